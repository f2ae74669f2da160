//! Batch decoding through the real binary: directory trees, zip archives
//! and globs; -j1 against -jN; --merge; exit codes; interrupted runs.

mod common;

use common::{corpus, expected, run};

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const TEST_KEY: &str = "9f730faaf15961d6f44e63977f81c7505d54c83480f0c7f7e1b5fbbd661e7fc7";

fn xlogdec() -> Command {
    let mut c = common::xlogdec();
    c.arg("--no-progress");
    c
}

fn copy(name: &str, to: &Path) {
    fs::create_dir_all(to.parent().unwrap()).unwrap();
    fs::copy(corpus(name), to).unwrap();
}

fn zip(path: &Path, members: &[(&str, &str)]) {
    let f = fs::File::create(path).unwrap();
    let mut z = zip::ZipWriter::new(f);
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (member, name) in members {
        z.start_file(*member, opts).unwrap();
        z.write_all(&fs::read(corpus(name)).unwrap()).unwrap();
    }
    z.start_file("notes.txt", opts).unwrap();
    z.write_all(b"not a log").unwrap();
    z.finish().unwrap();
}

#[test]
fn a_tree_a_zip_and_a_glob_decode_to_the_corpus_expectations() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    // A nested tree, with a file name used twice in different folders.
    copy("b_async_zlib.xlog", &t.join("tree/b_async_zlib.xlog"));
    copy(
        "d_async_zstd_l6.xlog",
        &t.join("tree/user1/2024/d_async_zstd_l6.xlog"),
    );
    copy(
        "l_two_instances/imsdk_20240131.xlog",
        &t.join("tree/user1/imsdk_20240131.xlog"),
    );
    copy(
        "h_multiday/imsdk_20240131.xlog",
        &t.join("tree/user2/imsdk_20240131.xlog"),
    );
    fs::write(t.join("tree/user2/readme.txt"), "skipped").unwrap();
    zip(
        &t.join("sent.zip"),
        &[
            ("logs/k_legacy_0x04_async.xlog", "k_legacy_0x04_async.xlog"),
            ("n_open_close_only.xlog", "n_open_close_only.xlog"),
        ],
    );
    copy("a2_sync_zlib_tz.xlog", &t.join("g/a2_sync_zlib_tz.xlog"));
    copy(
        "k_legacy_0x03_sync.xlog",
        &t.join("g/k_legacy_0x03_sync.xlog"),
    );
    copy("j07_bad_magic.xlog", &t.join("g/other.bin"));

    let out = run(xlogdec().current_dir(t).args([
        "-r",
        "tree",
        "sent.zip",
        "g/*.xlog",
        "--out-dir",
        "out",
        "-j3",
    ]));
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let want = [
        ("tree/b_async_zlib.xlog.log", "b_async_zlib.xlog"),
        (
            "tree/user1/2024/d_async_zstd_l6.xlog.log",
            "d_async_zstd_l6.xlog",
        ),
        (
            "tree/user1/imsdk_20240131.xlog.log",
            "l_two_instances/imsdk_20240131.xlog",
        ),
        (
            "tree/user2/imsdk_20240131.xlog.log",
            "h_multiday/imsdk_20240131.xlog",
        ),
        (
            "sent/logs/k_legacy_0x04_async.xlog.log",
            "k_legacy_0x04_async.xlog",
        ),
        ("sent/n_open_close_only.xlog.log", "n_open_close_only.xlog"),
        ("a2_sync_zlib_tz.xlog.log", "a2_sync_zlib_tz.xlog"),
        ("k_legacy_0x03_sync.xlog.log", "k_legacy_0x03_sync.xlog"),
    ];
    // Directory inputs keep their tree below --out-dir, under their own
    // name, as archives go under theirs: two inputs never share a folder.
    for (rel, name) in want {
        let got = fs::read(t.join("out").join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert!(got == expected(name), "{rel} differs from {name}");
    }
    let mut files = Vec::new();
    let mut stack = vec![t.join("out")];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.push(p);
            }
        }
    }
    assert_eq!(files.len(), want.len(), "{files:?}");

    // Without --out-dir the same inputs go to stdout, in the order given.
    let out = run(xlogdec().current_dir(t).args(["sent.zip", "g/*.xlog"]));
    assert_eq!(out.status.code(), Some(0));
    let concat = [
        expected("k_legacy_0x04_async.xlog"),
        expected("n_open_close_only.xlog"),
        expected("a2_sync_zlib_tz.xlog"),
        expected("k_legacy_0x03_sync.xlog"),
    ]
    .concat();
    assert!(out.stdout == concat);
}

#[test]
fn one_job_and_four_jobs_write_the_same_bytes() {
    // The corpus sample, and one input whose text (9 MB) outgrows the
    // in-memory spool of a worker, so it goes through a temporary file.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("in");
    fs::create_dir_all(&dir).unwrap();
    let mut stack = vec![corpus("")];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(corpus("")).unwrap();
            if p.is_dir() {
                fs::create_dir_all(dir.join(rel)).unwrap();
                stack.push(p);
            } else {
                fs::copy(&p, dir.join(rel)).unwrap();
            }
        }
    }
    big_input(&dir.join("c_big.xlog"), 30);
    let mut by_jobs = Vec::new();
    for jobs in ["1", "4"] {
        let out = run(xlogdec()
            .args(["-r", "--key", TEST_KEY, "-j", jobs])
            .arg(&dir)
            .arg("--merge")
            .arg("-q"));
        let merged = out.stdout;
        let tmp = tempfile::tempdir().unwrap();
        let out = run(xlogdec()
            .args(["-r", "--key", TEST_KEY, "-j", jobs, "--out-dir"])
            .arg(tmp.path())
            .arg(&dir));
        // j13_not_xlog.xlog is not an xlog: exit 2 either way.
        assert_eq!(out.status.code(), Some(2));
        let mut files: Vec<(PathBuf, Vec<u8>)> = Vec::new();
        let mut stack = vec![tmp.path().to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in fs::read_dir(d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    let rel = p.strip_prefix(tmp.path()).unwrap().to_path_buf();
                    files.push((rel, fs::read(&p).unwrap()));
                }
            }
        }
        files.sort();
        // A directory goes beside its files unless an output is named:
        // `-o -` is standard output.
        let stdout = run(xlogdec()
            .args(["-r", "--key", TEST_KEY, "-j", jobs, "-o", "-"])
            .arg(&dir));
        by_jobs.push((stdout.stdout, stdout.stderr, files, merged));
    }
    let (a, b) = (&by_jobs[0], &by_jobs[1]);
    assert!(a.0.len() > 1_000_000);
    assert!(a.0 == b.0, "stdout differs between -j1 and -j4");
    assert_eq!(a.1, b.1, "stderr differs between -j1 and -j4");
    assert!(a.2 == b.2, "--out-dir files differ between -j1 and -j4");
    assert!(a.3 == b.3, "--merge differs between -j1 and -j4");
    // Every good file made its output, equal to the expectation for the
    // files decoded exactly as the official decoder.
    let b_out =
        a.2.iter()
            .find(|(p, _)| p == Path::new("in/b_async_zlib.xlog.log"))
            .unwrap();
    assert!(b_out.1 == expected("b_async_zlib.xlog"));
    assert_eq!(a.2.len(), 38);
    let big =
        a.2.iter()
            .find(|(p, _)| p == Path::new("in/c_big.xlog.log"))
            .unwrap();
    assert!(big.1.len() > 8 << 20);
}

#[test]
fn merge_orders_split_days_by_time_whatever_the_argument_order() {
    let day = |n: &str| corpus(&format!("h_multiday/{n}"));
    // Newest first on the command line, and the (empty) crash buffer.
    let names = [
        "imsdk_20240131.xlog",
        "imsdk_20240130_1.xlog",
        "imsdk_20240130.xlog",
        "imsdk_20240129.xlog",
        "imsdk_20240128_1.xlog",
        "imsdk_20240128.xlog",
    ];
    let mut cmd = xlogdec();
    cmd.arg("--merge");
    for n in names {
        cmd.arg(day(n));
    }
    cmd.arg(day("imsdk.mmap3"));
    let out = run(&mut cmd);
    assert_eq!(out.status.code(), Some(0));
    // Each file is in time order and the days do not overlap, so the
    // timeline is the files' texts in date order.
    let mut want = Vec::new();
    for n in names.iter().rev() {
        want.extend(fs::read(day(&format!("{n}.expected.log"))).unwrap());
    }
    assert!(out.stdout == want, "merged timeline is not in date order");
}

/// The unflushed block of `i1_crash_async_zlib.mmap3`, as the writer
/// appends it to the .xlog when the next process starts.
fn recovered_block() -> Vec<u8> {
    let buf = fs::read(corpus("i1_crash_async_zlib.mmap3")).unwrap();
    let len = u32::from_le_bytes(buf[5..9].try_into().unwrap()) as usize;
    let mut block = buf[..73 + len].to_vec();
    block.push(0);
    block
}

#[test]
fn merge_shows_the_records_of_a_crash_buffer_that_reached_the_xlog_once() {
    let tmp = tempfile::tempdir().unwrap();
    let xlog = tmp.path().join("imsdk_20240131.xlog");
    fs::write(&xlog, recovered_block()).unwrap();
    let alone = run(xlogdec().arg(&xlog));
    assert_eq!(alone.status.code(), Some(0));
    assert!(alone.stdout.len() > 1000);
    let merged = run(xlogdec()
        .arg("--merge")
        .arg(&xlog)
        .arg(corpus("i1_crash_async_zlib.mmap3")));
    assert_eq!(merged.status.code(), Some(0));
    // What is left is the crash buffer's own marker line.
    let (markers, rest): (Vec<&[u8]>, Vec<&[u8]>) = merged
        .stdout
        .split_inclusive(|&b| b == b'\n')
        .partition(|l| l.starts_with(b"[F]xlogdec: unflushed block"));
    assert_eq!(markers.len(), 1);
    assert!(rest.concat() == alone.stdout);
}

#[test]
fn merge_dedups_the_crash_tail_in_the_shared_corpus() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    let dir = if dir.exists() {
        dir
    } else {
        PathBuf::from("/work/shared/corpus")
    };
    if !dir.join("i2_recovered_async_zlib.xlog").exists() {
        common::skip_loudly(
            "merge_dedups_the_crash_tail_in_the_shared_corpus",
            &format!("shared corpus not found at {}", dir.display()),
        );
        return;
    }
    let out = run(xlogdec()
        .arg("--merge")
        .arg(dir.join("i2_recovered_async_zlib.xlog"))
        .arg(dir.join("i1_crash_async_zlib.mmap3")));
    assert_eq!(out.status.code(), Some(0));
    let want = fs::read(dir.join("i2_recovered_async_zlib.xlog.expected.log")).unwrap();
    let rest: Vec<u8> = out
        .stdout
        .split_inclusive(|&b| b == b'\n')
        .filter(|l| !l.starts_with(b"[F]xlogdec: unflushed block"))
        .flatten()
        .copied()
        .collect();
    assert!(rest == want, "crash tail shown twice or lost");
}

#[test]
fn a_missing_file_among_good_ones_exits_2_and_keeps_the_good_outputs() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    copy("b_async_zlib.xlog", &t.join("in/b.xlog"));
    copy("j13_not_xlog.xlog", &t.join("in/c.xlog"));
    copy("k_legacy_0x05_async.xlog", &t.join("in/d.xlog"));
    let out = run(xlogdec()
        .current_dir(t)
        .args(["in/b.xlog", "in/missing.xlog", "in/c.xlog", "in/d.xlog"])
        .args(["--out-dir", "out", "-j2"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(fs::read(t.join("out/b.xlog.log")).unwrap() == expected("b_async_zlib.xlog"));
    assert!(fs::read(t.join("out/d.xlog.log")).unwrap() == expected("k_legacy_0x05_async.xlog"));
    assert!(!t.join("out/missing.xlog.log").exists());
    assert!(!t.join("out/c.xlog.log").exists());
    let err = String::from_utf8_lossy(&out.stderr);
    let last = err.lines().last().unwrap();
    assert_eq!(
        last,
        "xlogdec: 2 decoded, 2 failed: in/missing.xlog, in/c.xlog"
    );

    // Same to stdout: the good ones in order.
    let out =
        run(xlogdec()
            .current_dir(t)
            .args(["in/b.xlog", "in/missing.xlog", "in/d.xlog", "-j2"]));
    assert_eq!(out.status.code(), Some(2));
    let want = [
        expected("b_async_zlib.xlog"),
        expected("k_legacy_0x05_async.xlog"),
    ]
    .concat();
    assert!(out.stdout == want);
}

#[test]
fn existing_outputs_need_force_and_inputs_are_never_overwritten() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    copy("n_open_close_only.xlog", &t.join("n.xlog"));
    fs::write(t.join("n.xlog.log"), "old").unwrap();
    let out = run(xlogdec().current_dir(t).args(["n.xlog", "--out-dir", "."]));
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(fs::read(t.join("n.xlog.log")).unwrap(), b"old");
    let out = run(xlogdec()
        .current_dir(t)
        .args(["n.xlog", "--out-dir", ".", "--force"]));
    assert_eq!(out.status.code(), Some(0));
    assert!(fs::read(t.join("n.xlog.log")).unwrap() == expected("n_open_close_only.xlog"));
    // An input named like another input's output is not overwritten.
    copy("n_open_close_only.xlog", &t.join("src/x.log"));
    fs::copy(t.join("src/x.log"), t.join("x")).unwrap();
    let out = run(xlogdec()
        .current_dir(t)
        .args(["x", "src/x.log", "--out-dir", "src", "--force"]));
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        fs::read(t.join("src/x.log")).unwrap()
            == fs::read(corpus("n_open_close_only.xlog")).unwrap()
    );
}

#[test]
fn strict_fails_on_integrity_problems_only() {
    let out = run(xlogdec().arg("--strict").arg(corpus("j07_bad_magic.xlog")));
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout == expected("j07_bad_magic.xlog"));
    let out = run(xlogdec().arg(corpus("j07_bad_magic.xlog")));
    assert_eq!(out.status.code(), Some(0));
    let out = run(xlogdec().arg("--strict").arg(corpus("b_async_zlib.xlog")));
    assert_eq!(out.status.code(), Some(0));
    // Locked blocks count as a problem.
    let out = run(xlogdec()
        .arg("--strict")
        .arg(corpus("e_async_zlib_crypt.xlog")));
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn man_page_and_completions_come_from_the_flags() {
    let man = run(xlogdec().args(["--generate", "man"]));
    assert_eq!(man.status.code(), Some(0));
    let man = String::from_utf8(man.stdout).unwrap();
    assert!(man.starts_with(".ie") || man.contains(".TH xlogdec"));
    assert!(man.contains("out\\-dir") && man.contains("130"));
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let c = run(xlogdec().args(["--generate", shell]));
        assert_eq!(c.status.code(), Some(0));
        assert!(
            String::from_utf8_lossy(&c.stdout).contains("out-dir"),
            "{shell}"
        );
    }
}

/// An xlog of `copies` times the blocks of a corpus file: a few MB that
/// take the decoder long enough to be interrupted.
fn big_input(path: &Path, copies: usize) {
    let one = fs::read(corpus("b_async_zlib.xlog")).unwrap();
    let mut f = fs::File::create(path).unwrap();
    for _ in 0..copies {
        f.write_all(&one).unwrap();
    }
}

#[cfg(unix)]
fn interrupted(signal: &str, code: i32, args: &[&str]) {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    big_input(&t.join("big.xlog"), 200);
    fs::create_dir(t.join("out")).unwrap();
    let child = xlogdec()
        .current_dir(t)
        .arg("big.xlog")
        .args(args)
        .arg("-q")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the temporary output exists and has data.
    let started = std::time::Instant::now();
    loop {
        let tmp_file = fs::read_dir(t.join("out"))
            .unwrap()
            .filter_map(|e| e.ok())
            .find(|e| e.file_name().to_string_lossy().ends_with(".tmp"));
        if let Some(e) = tmp_file
            && e.metadata().map(|m| m.len() > 0).unwrap_or(false)
        {
            break;
        }
        assert!(
            started.elapsed().as_secs() < 60,
            "no temporary output appeared"
        );
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let left: Vec<_> = fs::read_dir(t.join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    if out.status.code() == Some(0) {
        // The run beat the signal: then the output must be whole.
        eprintln!("run finished before {signal}; checking the output is complete");
        assert_eq!(left.len(), 1);
        return;
    }
    assert_eq!(out.status.code(), Some(code), "{out:?}");
    if !left.is_empty() {
        // The signal came after the output was renamed into place and
        // before the process ended: then it must be whole, never partial.
        assert_eq!(left.len(), 1, "left behind: {left:?}");
        let whole = xlogdec().current_dir(t).arg("big.xlog").output().unwrap();
        let kept = fs::read(t.join("out").join(&left[0])).unwrap();
        assert!(
            kept == whole.stdout,
            "a partial output was left behind: {left:?}"
        );
    }
}

#[cfg(unix)]
#[test]
fn an_interrupted_run_leaves_no_partial_output() {
    interrupted("-TERM", 143, &["--out-dir", "out"]);
    interrupted("-INT", 130, &["--out-dir", "out"]);
    // One output written by an output thread.
    interrupted("-TERM", 143, &["-o", "out/big.log"]);
    interrupted("-INT", 130, &["-j1", "-o", "out/big.log"]);
}

/// Standard output goes through an output thread: its write errors must
/// still end the run as they always did. A full disk is one line and exit
/// 2; a closed pipe (`xlogdec f | head`) is a quiet exit 0.
#[cfg(target_os = "linux")]
#[test]
fn write_errors_on_standard_output_end_the_run_as_before() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    big_input(&t.join("big.xlog"), 20);
    for jobs in ["-j1", "-j2"] {
        let full = fs::File::create("/dev/full").unwrap();
        let out = run(xlogdec()
            .current_dir(t)
            .args([jobs, "big.xlog"])
            .stdout(full));
        assert_eq!(out.status.code(), Some(2));
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            "xlogdec: big.xlog: cannot write output: No space left on device (os error 28)\n"
        );

        let mut child = xlogdec()
            .current_dir(t)
            .args([jobs, "big.xlog"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = [0u8; 100];
        std::io::Read::read_exact(child.stdout.as_mut().unwrap(), &mut first).unwrap();
        drop(child.stdout.take()); // the reader goes away, like `head`
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        assert!(
            out.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// `-o` through the output thread: the same bytes as standard output,
/// renamed into place, no temporary file left.
#[test]
fn output_file_matches_standard_output() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    big_input(&t.join("big.xlog"), 10);
    let want = expected("b_async_zlib.xlog").repeat(10);
    for jobs in ["-j1", "-j2"] {
        let out = run(xlogdec().current_dir(t).args([jobs, "big.xlog"]));
        assert_eq!(out.status.code(), Some(0));
        assert!(out.stdout == want, "stdout differs with {jobs}");
        let out = run(xlogdec()
            .current_dir(t)
            .args([jobs, "big.xlog", "-o", "big.log"]));
        assert_eq!(out.status.code(), Some(0));
        assert!(
            fs::read(t.join("big.log")).unwrap() == want,
            "-o differs with {jobs}"
        );
        let names: Vec<_> = fs::read_dir(t)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(!names.iter().any(|n| n.ends_with(".tmp")), "{names:?}");
    }
}

/// One bad input is one line on stderr, with its path, and nothing on
/// stdout: the batch summary line is for runs of several inputs.
#[test]
fn a_single_missing_file_is_one_line_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.xlog");
    let out = run(xlogdec().arg(&missing));
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "stderr: {err}");
    assert!(err.contains(&*missing.to_string_lossy()), "stderr: {err}");
}
