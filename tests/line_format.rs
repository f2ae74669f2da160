//! User-defined line shapes (`--line-format FILE`, or `line-format.toml` in
//! the user's configuration directory), through the real binary: a good
//! format drives the filters and JSON; a bad one is a clear error naming
//! the file, with exit status 2.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;
use xlogdec::writer::{WriterOptions, XlogWriter};

const FORMAT: &str = r#"
name = "demo"
regex = '(?P<date>\d{4}-\d\d-\d\d) (?P<time>\d\d:\d\d:\d\d\.\d{3}) <(?P<level>\w+)> \[(?P<pid>\d+):(?P<tid>\d+)\] (?P<tag>\w+) (?P<file>[^: ]+):(?P<line>\d+) (?P<func>\w+): (?P<msg>.*)'
time_format = "%Y-%m-%d %H:%M:%S%.3f"
[levels]
ERR = "E"
WARNING = "warn"
INFO = "I"
"#;

const LINES: [&str; 6] = [
    "2024-03-12 10:00:00.000 <INFO> [7:8] net conn.cpp:10 Open: connecting\n",
    "2024-03-12 10:00:01.000 <ERR> [7:9] net conn.cpp:42 Open: refused\n",
    "  a dump line of the error\n",
    "2024-03-12 10:00:02.000 <WARNING> [7:8] db store.cpp:5 Save: slow\n",
    "2024-03-12 10:00:03.000 <INFO> [7:8] db store.cpp:6 Save: done\n",
    "2024-03-12 10:00:04.000 <ERR> [7:8] ui view.cpp:1 Draw: blank\n",
];

fn xlogdec(args: &[&str], config: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xlogdec"))
        .args(args)
        .env("XDG_CONFIG_HOME", config)
        .env_remove("XLOGDEC_PRIVATE_KEY")
        .output()
        .expect("run xlogdec")
}

fn write_log(dir: &Path) -> String {
    let file = dir.join("custom.xlog");
    let out = std::fs::File::create(&file).expect("create");
    let mut w = XlogWriter::new(out, WriterOptions::default()).expect("writer");
    for (i, line) in LINES.iter().enumerate() {
        w.write_line(line.as_bytes()).expect("write");
        if i == 2 {
            w.flush_block().expect("flush");
        }
    }
    w.finish().expect("finish");
    file.to_string_lossy().into_owned()
}

#[test]
fn a_good_format_drives_the_filters_and_json() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = write_log(dir.path());
    let fmt = dir.path().join("demo.toml");
    std::fs::write(&fmt, FORMAT).expect("write format");
    let fmt = fmt.to_string_lossy().into_owned();
    let empty = dir.path().join("no-config");
    for jobs in ["1", "3"] {
        let out = xlogdec(
            &["-j", jobs, "--line-format", &fmt, "-l", "E", &log],
            &empty,
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let want = [LINES[1], LINES[2], LINES[5]].concat();
        assert_eq!(String::from_utf8_lossy(&out.stdout), want);
        let out = xlogdec(
            &["-j", jobs, "--line-format", &fmt, "--tag", "db", &log],
            &empty,
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            [LINES[3], LINES[4]].concat()
        );
        let out = xlogdec(
            &[
                "--line-format",
                &fmt,
                "--since",
                "2024-03-12 10:00:02",
                &log,
            ],
            &empty,
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout), LINES[3..].concat());
    }
    // Without the format the lines are one raw record: no level.
    let out = xlogdec(&["-l", "E", &log], &empty);
    assert!(out.status.success());
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    let out = xlogdec(&["--line-format", &fmt, "--format", "json", &log], &empty);
    let recs: Vec<Value> = out
        .stdout
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).expect("JSON"))
        .filter(|v: &Value| v["type"] == "record")
        .collect();
    assert_eq!(recs.len(), 5);
    let e = &recs[1];
    assert_eq!(e["level"], "E");
    assert_eq!(e["line_format"], "custom");
    assert_eq!((e["pid"].as_i64(), e["tid"].as_i64()), (Some(7), Some(9)));
    assert_eq!(e["tag"], "net");
    assert_eq!(
        (&e["src_file"], &e["src_line"], &e["func"]),
        (
            &Value::from("conn.cpp"),
            &Value::from(42),
            &Value::from("Open")
        )
    );
    assert_eq!(e["message"], "refused\n  a dump line of the error");
    assert_eq!(e["ts"], "2024-03-12T10:00:01.000");

    // The same file found in the configuration directory.
    let config = dir.path().join("config");
    std::fs::create_dir_all(config.join("xlogdec")).expect("config dir");
    std::fs::write(config.join("xlogdec/line-format.toml"), FORMAT).expect("write");
    let out = xlogdec(&["-l", "W", &log], &config);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        [LINES[1], LINES[2], LINES[3], LINES[5]].concat()
    );
}

#[test]
fn bad_formats_are_clear_errors_with_status_2() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = write_log(dir.path());
    let empty = dir.path().join("no-config");
    let good_regex = r"(?P<date>\S+) (?P<time>\S+) <(?P<level>\w+)> (?P<msg>.*)";
    for (name, text, want) in [
        (
            "bad-regex.toml",
            "regex = '(?P<level>\\w+) (?P<time>[0-9'\ntime_format = \"%H:%M\"\n".to_string(),
            "bad regex",
        ),
        (
            "missing-group.toml",
            "regex = '(?P<level>\\w+) (?P<msg>.*)'\ntime_format = \"%H:%M\"\n".to_string(),
            "no group \"time\"",
        ),
        (
            "unknown-level.toml",
            format!("regex = '{good_regex}'\ntime_format = \"%H:%M\"\n[levels]\nERR = \"X\"\n"),
            "unknown level \"X\"",
        ),
        (
            "not-toml.toml",
            "regex = \n".to_string(),
            "not a format file",
        ),
    ] {
        let fmt = dir.path().join(name);
        std::fs::write(&fmt, text).expect("write");
        for args in [
            vec!["--line-format", fmt.to_str().expect("utf-8"), &log],
            vec!["info", "--line-format", fmt.to_str().expect("utf-8"), &log],
        ] {
            let out = xlogdec(&args, &empty);
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{name}: {err}");
            assert!(err.contains(name) && err.contains(want), "{name}: {err}");
            assert!(!err.contains("panicked"), "{err}");
            assert!(out.stdout.is_empty());
        }
    }
    let out = xlogdec(&["--line-format", "/nonexistent/dir/f.toml", &log], &empty);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("/nonexistent/dir/f.toml: cannot read it")
    );
}

/// `--format json` with a user-defined shape: the same bytes whether the
/// records are rendered on the worker threads (`-j 3`) or on the one
/// thread (`-j 1`), over many blocks that cut records between their lines.
#[test]
fn json_of_a_custom_shape_is_the_same_on_one_and_three_threads() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("many.xlog");
    let out = std::fs::File::create(&file).expect("create");
    let mut w = XlogWriter::new(out, WriterOptions::default()).expect("writer");
    for i in 0..6000 {
        let line =
            LINES[i % LINES.len()].replace("10:00:0", &format!("1{}:{:02}:0", i / 2000, i % 60));
        w.write_line(line.as_bytes()).expect("write");
        if i % 37 == 0 {
            w.write_line("  \"quoted\" dump \u{6d88}\u{606f} \\ line\n".as_bytes())
                .expect("write");
        }
        if i % 53 == 1 {
            w.flush_block().expect("flush");
        }
    }
    w.finish().expect("finish");
    let log = file.to_string_lossy().into_owned();
    let fmt = dir.path().join("demo.toml");
    std::fs::write(&fmt, FORMAT).expect("write format");
    let fmt = fmt.to_string_lossy().into_owned();
    let empty = dir.path().join("no-config");
    let filters: [&[&str]; 4] = [
        &[],
        &["-l", "W"],
        &["--tag", "db", "-e", "Save"],
        &["--since", "2024-03-12 11:00", "--until", "2024-03-12 11:30"],
    ];
    for f in filters {
        let run = |jobs: &str| {
            let mut args = vec!["-j", jobs, "--line-format", &fmt, "--format", "json"];
            args.extend_from_slice(f);
            args.push(&log);
            let out = xlogdec(&args, &empty);
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            out.stdout
        };
        let one = run("1");
        let records = one
            .split(|&b| b == b'\n')
            .filter(|l| l.starts_with(b"{\"type\":\"record\""))
            .count();
        assert!(records > 500, "{f:?}: {records} records");
        assert!(one == run("3"), "{f:?}");
    }
}
