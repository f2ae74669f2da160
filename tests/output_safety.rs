//! What `xlogdec` writes, and what it never overwrites, through the real
//! binary on real files in a temporary directory: `-o` naming an input,
//! failed runs, symbolic links, FIFOs, device nodes (made in the temporary
//! directory, never a real `/dev` node), modes; directory mode; integrity
//! problems on stderr; `-q`.

mod common;

use common::{corpus, expected, run};

use std::ffi::CString;
use std::fs;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::Path;
use std::process::{Command, Output};

fn xlogdec(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_xlogdec"));
    c.env_remove("XLOGDEC_PRIVATE_KEY")
        .arg("--no-progress")
        .current_dir(dir);
    c
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn copy(name: &str, to: &Path) -> Vec<u8> {
    fs::copy(corpus(name), to).expect("copy");
    fs::read(to).expect("read copy")
}

fn mode(p: &Path) -> u32 {
    fs::metadata(p).expect("stat").permissions().mode() & 0o7777
}

/// No `.xlogdec-*.tmp` left in `dir`.
#[track_caller]
fn no_temp_files(dir: &Path) {
    let names: Vec<String> = fs::read_dir(dir)
        .expect("read_dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.ends_with(".tmp")), "{names:?}");
}

fn cpath(p: &Path) -> CString {
    CString::new(p.as_os_str().as_encoded_bytes()).expect("path without NUL")
}

/// `-o` naming an input, one input or several, plain or `--merge`, spelt
/// differently (`./`, a symbolic link, a hard link): exit 2, a message that
/// says why, and the input byte for byte as it was.
#[test]
fn output_that_is_an_input_is_refused_and_nothing_is_written() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let t = tmp.path();
    let a = copy("b_async_zlib.xlog", &t.join("a.xlog"));
    let b = copy("k_legacy_0x05_async.xlog", &t.join("b.xlog"));
    let c = copy("d_async_zstd_l6.xlog", &t.join("c.xlog"));
    std::os::unix::fs::symlink("a.xlog", t.join("link.log")).expect("symlink");
    fs::hard_link(t.join("b.xlog"), t.join("hard.log")).expect("hard link");
    let cases: &[&[&str]] = &[
        &["a.xlog", "-o", "a.xlog"],
        &["a.xlog", "-o", "./a.xlog"],
        &["a.xlog", "b.xlog", "-o", "a.xlog"],
        &["a.xlog", "b.xlog", "-o", "b.xlog", "-j1"],
        &["--merge", "c.xlog", "b.xlog", "-o", "c.xlog"],
        &["a.xlog", "-o", "link.log"],
        &["b.xlog", "-o", "hard.log"],
        &[".", "-o", "c.xlog"],
    ];
    for args in cases {
        let out = run(xlogdec(t).args(*args));
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains("refusing to overwrite") && err.contains("input"),
            "{args:?}: {err}"
        );
        assert!(out.stdout.is_empty(), "{args:?}");
        assert!(fs::read(t.join("a.xlog")).expect("a") == a, "{args:?}");
        assert!(fs::read(t.join("b.xlog")).expect("b") == b, "{args:?}");
        assert!(fs::read(t.join("c.xlog")).expect("c") == c, "{args:?}");
        assert!(
            fs::symlink_metadata(t.join("link.log"))
                .expect("link")
                .file_type()
                .is_symlink()
        );
        no_temp_files(t);
    }
    // Standard input redirected from the output file.
    let out = run(xlogdec(t)
        .args(["-", "-o", "a.xlog"])
        .stdin(fs::File::open(t.join("a.xlog")).expect("open")));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(fs::read(t.join("a.xlog")).expect("a") == a);
}

/// `--out-dir` whose output for one input is (a link to) another input:
/// the run is refused before anything is written.
#[test]
fn out_dir_never_writes_over_an_input_through_a_link() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let t = tmp.path();
    fs::create_dir(t.join("in")).expect("mkdir");
    // A directory input's outputs go below its own name.
    fs::create_dir_all(t.join("out/in")).expect("mkdir");
    let a = copy("b_async_zlib.xlog", &t.join("in/a.xlog"));
    copy("k_legacy_0x05_async.xlog", &t.join("in/b.xlog"));
    std::os::unix::fs::symlink("../../in/a.xlog", t.join("out/in/b.xlog.log")).expect("symlink");
    let out = run(xlogdec(t).args(["in", "--out-dir", "out", "--force"]));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("would overwrite the input in/a.xlog"),
        "{}",
        stderr(&out)
    );
    assert!(fs::read(t.join("in/a.xlog")).expect("a") == a);
    assert!(
        !t.join("out/in/a.xlog.log").exists(),
        "the run is refused whole"
    );
    assert!(
        fs::symlink_metadata(t.join("out/in/b.xlog.log"))
            .expect("link")
            .file_type()
            .is_symlink()
    );
}

/// A run that decodes nothing (a missing input, a file that is not an
/// xlog) leaves an existing `-o` file byte for byte as it was; a run that
/// decodes something replaces it.
#[test]
fn failed_runs_keep_an_existing_output() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let t = tmp.path();
    fs::write(t.join("notes.txt"), "just some notes\n").expect("write");
    let prev = b"yesterday's decoded text\n".to_vec();
    fs::write(t.join("prev.log"), &prev).expect("write");
    for args in [
        &["missing.xlog", "-o", "prev.log"][..],
        &["notes.txt", "-o", "prev.log"],
        &["missing.xlog", "notes.txt", "-o", "prev.log"],
        &["--merge", "missing.xlog", "notes.txt", "-o", "prev.log"],
    ] {
        let out = run(xlogdec(t).args(args));
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_eq!(
            fs::read(t.join("prev.log")).expect("prev"),
            prev,
            "{args:?}"
        );
        no_temp_files(t);
    }
    // Nothing is created either.
    let out = run(xlogdec(t).args(["missing.xlog", "-o", "new.log"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(!t.join("new.log").exists());
    // One good input among bad ones: its text replaces the file (exit 2
    // still names the bad ones).
    copy("b_async_zlib.xlog", &t.join("b.xlog"));
    let out = run(xlogdec(t).args(["missing.xlog", "b.xlog", "-o", "prev.log"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(fs::read(t.join("prev.log")).expect("prev") == expected("b_async_zlib.xlog"));
}

/// `-o` onto a symbolic link replaces the file it points to and leaves the
/// link a link; a link to nothing is refused.
#[test]
fn a_symlink_output_is_followed_never_replaced() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let t = tmp.path();
    copy("b_async_zlib.xlog", &t.join("b.xlog"));
    fs::create_dir(t.join("real")).expect("mkdir");
    fs::write(t.join("real/out.log"), "old").expect("write");
    std::os::unix::fs::symlink("real/out.log", t.join("out.log")).expect("symlink");
    let out = run(xlogdec(t).args(["b.xlog", "-o", "out.log"]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        fs::symlink_metadata(t.join("out.log"))
            .expect("lstat")
            .file_type()
            .is_symlink()
    );
    assert!(fs::read(t.join("real/out.log")).expect("real") == expected("b_async_zlib.xlog"));
    no_temp_files(t);
    no_temp_files(&t.join("real"));

    std::os::unix::fs::symlink("real/missing.log", t.join("dangling.log")).expect("symlink");
    let out = run(xlogdec(t).args(["b.xlog", "-o", "dangling.log"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("symbolic link"), "{}", stderr(&out));
    assert!(
        fs::symlink_metadata(t.join("dangling.log"))
            .expect("lstat")
            .file_type()
            .is_symlink()
    );
    assert!(!t.join("real/missing.log").exists());
}

/// `-o` onto a FIFO writes into it, as `> FIFO` would: a reader gets the
/// text, and the FIFO stays a FIFO.
#[test]
fn a_fifo_output_is_written_in_place() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let t = tmp.path();
    copy("b_async_zlib.xlog", &t.join("b.xlog"));
    let fifo = t.join("pipe");
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(cpath(&fifo).as_ptr(), 0o600) }, 0);
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || fs::read(fifo).expect("read fifo"))
    };
    let out = run(xlogdec(t).args(["b.xlog", "-o", "pipe"]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = reader.join().expect("reader");
    assert!(text == expected("b_async_zlib.xlog"));
    let ty = fs::symlink_metadata(&fifo).expect("lstat").file_type();
    assert!(ty.is_fifo(), "{ty:?}");
    no_temp_files(t);
}

/// `-o` onto a character device (made with mknod in the temporary
/// directory: the kernel's null device, 1:3) writes into it and leaves the
/// node as it was.
#[test]
fn a_character_device_output_stays_a_device() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let t = tmp.path();
    copy("b_async_zlib.xlog", &t.join("b.xlog"));
    let dev = t.join("null");
    // SAFETY: a valid NUL-terminated path.
    let r = unsafe {
        libc::mknod(
            cpath(&dev).as_ptr(),
            libc::S_IFCHR | 0o666,
            libc::makedev(1, 3),
        )
    };
    if r != 0 {
        let e = std::io::Error::last_os_error();
        common::skip_loudly(
            "a_character_device_output_stays_a_device",
            &format!("mknod in the temporary directory failed: {e}"),
        );
        return;
    }
    if let Err(e) = fs::OpenOptions::new().write(true).open(&dev) {
        common::skip_loudly(
            "a_character_device_output_stays_a_device",
            &format!("the device node cannot be opened here (nodev mount?): {e}"),
        );
        return;
    }
    let out = run(xlogdec(t).args(["b.xlog", "-o", "null"]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let meta = fs::symlink_metadata(&dev).expect("lstat");
    assert!(meta.file_type().is_char_device(), "{:?}", meta.file_type());
    use std::os::unix::fs::MetadataExt;
    assert_eq!(meta.rdev(), libc::makedev(1, 3));
    no_temp_files(t);
}

/// New outputs get 0666 less the umask (0644 under 022), as a shell
/// redirection gives; a replaced output keeps its mode (0664 stays 0664).
/// Also for `--out-dir` and the directory mode.
#[test]
fn modes_are_those_of_a_shell_redirection() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let t = tmp.path();
    fs::create_dir(t.join("logs")).expect("mkdir");
    copy("b_async_zlib.xlog", &t.join("logs/b.xlog"));
    let bin = env!("CARGO_BIN_EXE_xlogdec");
    let sh = |cmd: &str| {
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!("umask 022 && exec '{bin}' --no-progress {cmd}"))
            .current_dir(t)
            .output()
            .expect("sh");
        assert_eq!(out.status.code(), Some(0), "{cmd}: {}", stderr(&out));
    };
    sh("logs/b.xlog -o new.log");
    assert_eq!(mode(&t.join("new.log")), 0o644);
    fs::write(t.join("shared.log"), "old").expect("write");
    fs::set_permissions(t.join("shared.log"), fs::Permissions::from_mode(0o664)).expect("chmod");
    sh("logs/b.xlog -o shared.log");
    assert_eq!(mode(&t.join("shared.log")), 0o664);
    assert!(fs::read(t.join("shared.log")).expect("read") == expected("b_async_zlib.xlog"));
    sh("logs --out-dir out");
    assert_eq!(mode(&t.join("out/logs/b.xlog.log")), 0o644);
    sh("logs");
    assert_eq!(mode(&t.join("logs/b.xlog.log")), 0o644);
}

/// A directory on its own: NAME.xlog.log beside each NAME.xlog, and stderr
/// says how many and where (not with `-q`). Mixed with a file, everything
/// goes to the one output, as the README says.
#[test]
fn directory_mode_says_what_it_wrote_and_mixed_inputs_go_to_one_output() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let t = tmp.path();
    fs::create_dir(t.join("logs")).expect("mkdir");
    copy("b_async_zlib.xlog", &t.join("logs/b.xlog"));
    copy("k_legacy_0x05_async.xlog", &t.join("logs/k.xlog"));
    copy("d_async_zstd_l6.xlog", &t.join("d.xlog"));
    let out = run(xlogdec(t).arg("logs"));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    let err = stderr(&out);
    assert!(err.contains("logs: wrote 2 files"), "{err}");
    assert!(fs::read(t.join("logs/b.xlog.log")).expect("b") == expected("b_async_zlib.xlog"));
    fs::remove_file(t.join("logs/b.xlog.log")).expect("rm");
    fs::remove_file(t.join("logs/k.xlog.log")).expect("rm");
    let out = run(xlogdec(t).args(["-q", "logs"]));
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stderr.is_empty(), "{}", stderr(&out));
    fs::remove_file(t.join("logs/b.xlog.log")).expect("rm");
    fs::remove_file(t.join("logs/k.xlog.log")).expect("rm");

    let out = run(xlogdec(t).args(["logs", "d.xlog"]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let want = [
        expected("b_async_zlib.xlog"),
        expected("k_legacy_0x05_async.xlog"),
        expected("d_async_zstd_l6.xlog"),
    ]
    .concat();
    assert!(out.stdout == want);
    assert!(!t.join("logs/b.xlog.log").exists());
}

/// Integrity problems: one stderr line per affected input naming it and
/// the problem; a warning without `--strict` (hidden by `-q`), an error
/// with it (also under `-q`); the batch summary names the files.
#[test]
fn integrity_problems_name_the_file_and_the_problem() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let t = tmp.path();
    copy("j07_bad_magic.xlog", &t.join("damaged.xlog"));
    copy("j11_block_removed.xlog", &t.join("gap.xlog"));
    copy("e_async_zlib_crypt.xlog", &t.join("locked.xlog"));
    copy("b_async_zlib.xlog", &t.join("good.xlog"));

    let out = run(xlogdec(t).args(["--strict", "damaged.xlog"]));
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("xlogdec: damaged.xlog: integrity problem: ")
            && err.contains("corrupt range"),
        "{err}"
    );
    let out = run(xlogdec(t).args(["--strict", "-q", "damaged.xlog"]));
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("damaged.xlog"), "{}", stderr(&out));

    let out = run(xlogdec(t).arg("damaged.xlog"));
    assert_eq!(out.status.code(), Some(0));
    let err = stderr(&out);
    assert!(err.starts_with("xlogdec: damaged.xlog: warning: "), "{err}");
    let out = run(xlogdec(t).args(["-q", "damaged.xlog"]));
    assert!(out.stderr.is_empty(), "{}", stderr(&out));

    let out = run(xlogdec(t).args([
        "--strict",
        "good.xlog",
        "damaged.xlog",
        "gap.xlog",
        "locked.xlog",
    ]));
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().collect();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("xlogdec: gap.xlog: integrity problem: ")
                && l.contains("seq gap")),
        "{err}"
    );
    assert!(
        lines.iter().any(
            |l| l.starts_with("xlogdec: locked.xlog: integrity problem: ")
                && l.contains("encrypted block")
        ),
        "{err}"
    );
    assert!(!err.contains("good.xlog"), "{err}");
    assert_eq!(
        lines.last().copied(),
        Some(
            "xlogdec: 4 decoded, 0 failed; 3 with integrity problems: \
             damaged.xlog, gap.xlog, locked.xlog"
        ),
        "{err}"
    );
}

/// `-q` hides the closing summary, also when an input failed (its own
/// error line still shows).
#[test]
fn quiet_hides_the_closing_summary() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let t = tmp.path();
    copy("b_async_zlib.xlog", &t.join("b.xlog"));
    let out = run(xlogdec(t).args(["-q", "b.xlog", "missing.xlog"]));
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(
        err.lines().collect::<Vec<_>>(),
        ["xlogdec: missing.xlog: no such file"]
    );
    let out = run(xlogdec(t).args(["b.xlog", "missing.xlog"]));
    assert!(
        stderr(&out).contains("1 decoded, 1 failed"),
        "{}",
        stderr(&out)
    );
}

/// Runs `cmd` under a pseudo-terminal with `script`, in `dir`; the
/// terminal's transcript, or `None` (said loudly) without `script`.
fn under_terminal(test: &str, dir: &Path, cmd: &str) -> Option<String> {
    let ts = dir.join("typescript");
    let out = Command::new("script")
        .args(["-q", "-f", "-e", "-c", cmd])
        .arg(&ts)
        .current_dir(dir)
        .env("TERM", "xterm")
        .env_remove("NO_COLOR")
        .output();
    match out {
        Ok(o) if o.status.success() => {}
        Ok(o) => {
            common::skip_loudly(test, &format!("script failed: {}", stderr(&o)));
            return None;
        }
        Err(e) => {
            common::skip_loudly(test, &format!("no `script` to make a terminal: {e}"));
            return None;
        }
    }
    Some(String::from_utf8_lossy(&fs::read(&ts).expect("typescript")).into_owned())
}

/// Bytes from an indicatif binary size: `12.5 KiB`.
fn bytes(num: &str, unit: &str) -> f64 {
    let scale = match unit {
        "B" => 1.0,
        "KiB" => 1024.0,
        "MiB" => 1024.0 * 1024.0,
        "GiB" => 1024.0 * 1024.0 * 1024.0,
        other => panic!("absurd unit {other}"),
    };
    num.parse::<f64>().expect("number") * scale
}

/// Under a terminal, the bar counts the input bytes read: never past the
/// total, never backwards, never `16.00 EiB` (the decoder's probe for the
/// input's end once counted as read); and it is not drawn when the decoded
/// text goes to the same terminal.
#[test]
fn progress_under_a_terminal_shows_sane_numbers() {
    let test = "progress_under_a_terminal_shows_sane_numbers";
    let tmp = tempfile::tempdir().expect("tempdir");
    let t = tmp.path();
    let one = fs::read(corpus("b_async_zlib.xlog")).expect("corpus");
    let mut names = Vec::new();
    for i in 0..12 {
        let name = format!("f{i:02}.xlog");
        fs::write(t.join(&name), one.repeat(10)).expect("write");
        names.push(name);
    }
    let total: u64 = names
        .iter()
        .map(|n| fs::metadata(t.join(n)).expect("stat").len())
        .sum();
    let bin = env!("CARGO_BIN_EXE_xlogdec");
    let files = names.join(" ");
    let Some(ts) = under_terminal(test, t, &format!("'{bin}' -j2 {files} -o out.log")) else {
        return;
    };
    assert!(!ts.contains("EiB"), "{ts}");
    let re = regex::Regex::new(
        r"([0-9.]+) (B|KiB|MiB|GiB|TiB|PiB|EiB)/([0-9.]+) (B|KiB|MiB|GiB|TiB|PiB|EiB) ([0-9.]+) (B|KiB|MiB|GiB|TiB|PiB|EiB)/s",
    )
    .expect("regex");
    let frames: Vec<(f64, f64, f64)> = re
        .captures_iter(&ts)
        .map(|c| {
            (
                bytes(&c[1], &c[2]),
                bytes(&c[3], &c[4]),
                bytes(&c[5], &c[6]),
            )
        })
        .collect();
    assert!(!frames.is_empty(), "no progress bar drawn: {ts}");
    let mut last = 0.0;
    for &(pos, len, rate) in &frames {
        // indicatif rounds to two decimals.
        assert!(
            (len - total as f64).abs() <= total as f64 * 0.01,
            "{len} of {total}"
        );
        assert!(pos <= len * 1.01, "{pos} past {len}");
        assert!(pos + 0.01 * len >= last, "went back from {last} to {pos}");
        assert!(rate < 64.0 * 1024.0 * 1024.0 * 1024.0, "rate {rate}");
        last = pos;
    }
    assert!(fs::read(t.join("out.log")).expect("out") == expected("b_async_zlib.xlog").repeat(120));

    // The text to the terminal: no bar in it.
    let Some(ts) = under_terminal(test, t, &format!("'{bin}' -j2 --color never {files}")) else {
        return;
    };
    assert!(!re.is_match(&ts), "bar drawn into the text");
    assert!(!ts.contains("/12 files"), "bar drawn into the text");
    assert!(
        ts.contains("get mmap time"),
        "no decoded text on the terminal"
    );
}
