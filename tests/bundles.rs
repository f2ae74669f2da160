//! Customer bundles through the real binary: Mac zips, zips in zips,
//! tar, tar.gz and gz archives, folders of the same name, decompression
//! bombs, empty inputs and standard input. Every bundle is built here from
//! the corpus, and its output is compared with the corpus expectations.

mod common;

use common::{corpus, expected};
use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use flate2::Compression;
use flate2::write::GzEncoder;

fn log(name: &str) -> Vec<u8> {
    fs::read(corpus(name)).unwrap()
}

fn xlogdec() -> Command {
    let mut c = common::xlogdec();
    c.arg("--no-progress");
    c
}

fn run(cmd: &mut Command) -> Output {
    common::run(cmd.stdin(Stdio::null()))
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A zip of `(member name, bytes)`.
fn zip_bytes(members: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in members {
        z.start_file(*name, opts).unwrap();
        z.write_all(bytes).unwrap();
    }
    z.finish().unwrap().into_inner()
}

/// A tar of `(member name, bytes)`.
fn tar_bytes(members: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut t = tar::Builder::new(Vec::new());
    for (name, bytes) in members {
        let mut h = tar::Header::new_gnu();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        t.append_data(&mut h, name, &bytes[..]).unwrap();
    }
    t.into_inner().unwrap()
}

fn gz_bytes(bytes: &[u8]) -> Vec<u8> {
    let mut g = GzEncoder::new(Vec::new(), Compression::fast());
    g.write_all(bytes).unwrap();
    g.finish().unwrap()
}

/// Two logs named so that byte order and natural order differ, with the
/// litter a Mac leaves in a zip.
fn mac_members() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("logs/im_10.xlog", log("d_async_zstd_l6.xlog")),
        ("logs/im_2.xlog", log("b_async_zlib.xlog")),
        (
            "__MACOSX/logs/._im_2.xlog",
            b"\x00\x05\x16\x07AppleDouble".to_vec(),
        ),
        ("logs/._im_10.xlog", b"\x00\x05\x16\x07AppleDouble".to_vec()),
        ("logs/readme.txt", b"not a log".to_vec()),
    ]
}

/// `im_2` then `im_10`: natural order.
fn mac_expected() -> Vec<u8> {
    [
        expected("b_async_zlib.xlog"),
        expected("d_async_zstd_l6.xlog"),
    ]
    .concat()
}

#[test]
fn a_mac_zip_decodes_without_its_apple_double_members_in_natural_order() {
    let tmp = tempfile::tempdir().unwrap();
    let z = tmp.path().join("mac.zip");
    fs::write(&z, zip_bytes(&mac_members())).unwrap();
    let out = run(xlogdec().arg(&z));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(out.stdout == mac_expected(), "{}", stderr(&out));
    assert!(!stderr(&out).contains("._im"), "{}", stderr(&out));
}

#[test]
fn zips_in_zips_tars_tgz_and_gz_decode_like_their_logs() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let mac = zip_bytes(&mac_members());
    let tar = tar_bytes(&mac_members());
    let bundles: Vec<(&str, Vec<u8>)> = vec![
        ("outer.zip", zip_bytes(&[("sent/mac.zip", mac.clone())])),
        ("plain.tar", tar.clone()),
        ("b.tgz", gz_bytes(&tar)),
        ("b2.tar.gz", gz_bytes(&tar)),
        // A tar.gz inside a zip, a zip inside a tar.
        ("mixed.zip", zip_bytes(&[("x.tgz", gz_bytes(&tar))])),
        ("mixed.tar", tar_bytes(&[("m/mac.zip", mac)])),
    ];
    for (name, bytes) in &bundles {
        fs::write(t.join(name), bytes).unwrap();
        let out = run(xlogdec().arg(t.join(name)));
        assert_eq!(out.status.code(), Some(0), "{name}: {}", stderr(&out));
        assert!(out.stdout == mac_expected(), "{name}: {}", stderr(&out));
    }
    // One log, gzipped; and gzipped logs inside a tar.
    fs::write(t.join("one.xlog.gz"), gz_bytes(&log("b_async_zlib.xlog"))).unwrap();
    let out = run(xlogdec().arg(t.join("one.xlog.gz")));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(out.stdout == expected("b_async_zlib.xlog"));
    let gz_tar = tar_bytes(&[
        ("a_10.xlog.gz", gz_bytes(&log("d_async_zstd_l6.xlog"))),
        ("a_2.xlog.gz", gz_bytes(&log("b_async_zlib.xlog"))),
        ("notes.gz", gz_bytes(b"not a log")),
    ]);
    fs::write(t.join("gz.tar"), gz_tar).unwrap();
    let out = run(xlogdec().arg(t.join("gz.tar")));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(out.stdout == mac_expected());
    // A crash buffer inside an archive decodes as it does on disk.
    let name = "i1_crash_async_zlib.mmap3";
    fs::write(
        t.join("crash.tgz"),
        gz_bytes(&tar_bytes(&[(name, log(name))])),
    )
    .unwrap();
    let direct = run(xlogdec().arg(corpus(name)));
    let out = run(xlogdec().arg(t.join("crash.tgz")));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!out.stdout.is_empty() && out.stdout == direct.stdout);
}

#[test]
fn a_plain_tar_is_read_as_an_archive_not_decoded_as_a_log() {
    // Named like a log: the content decides.
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("sent.xlog");
    fs::write(&p, tar_bytes(&mac_members())).unwrap();
    let out = run(xlogdec().arg(&p));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(out.stdout == mac_expected());
    assert!(!String::from_utf8_lossy(&out.stdout).contains("decode error"));
}

#[test]
fn out_dir_keeps_two_folders_and_two_bundles_of_the_same_names_apart() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    for (dir, name) in [
        ("a/logs", "b_async_zlib.xlog"),
        ("b/logs", "d_async_zstd_l6.xlog"),
    ] {
        fs::create_dir_all(t.join(dir)).unwrap();
        fs::copy(corpus(name), t.join(dir).join("im.xlog")).unwrap();
    }
    fs::write(t.join("sent.zip"), zip_bytes(&mac_members())).unwrap();
    fs::create_dir_all(t.join("c")).unwrap();
    fs::write(t.join("c/sent.tgz"), gz_bytes(&tar_bytes(&mac_members()))).unwrap();
    let out = run(xlogdec().current_dir(t).args([
        "a/logs",
        "b/logs",
        "sent.zip",
        "c/sent.tgz",
        "--out-dir",
        "out",
    ]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let want = [
        ("logs/im.xlog.log", "b_async_zlib.xlog"),
        ("logs-2/im.xlog.log", "d_async_zstd_l6.xlog"),
        ("sent/logs/im_2.xlog.log", "b_async_zlib.xlog"),
        ("sent/logs/im_10.xlog.log", "d_async_zstd_l6.xlog"),
        ("sent-2/logs/im_2.xlog.log", "b_async_zlib.xlog"),
        ("sent-2/logs/im_10.xlog.log", "d_async_zstd_l6.xlog"),
    ];
    for (rel, name) in want {
        let got = fs::read(t.join("out").join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert!(got == expected(name), "{rel} differs from {name}");
    }
    let count = walkdir_count(&t.join("out"));
    assert_eq!(count, want.len());
}

fn walkdir_count(dir: &Path) -> usize {
    let mut n = 0;
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        n += if p.is_dir() { walkdir_count(&p) } else { 1 };
    }
    n
}

#[test]
fn a_directory_lists_in_natural_order_without_mac_litter() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("logs");
    fs::create_dir_all(&d).unwrap();
    fs::copy(corpus("d_async_zstd_l6.xlog"), d.join("im_10.xlog")).unwrap();
    fs::copy(corpus("b_async_zlib.xlog"), d.join("im_2.xlog")).unwrap();
    fs::write(d.join("._im_2.xlog"), b"\x00\x05\x16\x07AppleDouble").unwrap();
    let out = run(xlogdec().arg(&d).args(["-o", "-"]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(out.stdout == mac_expected());
    // Named twice, spelt differently: decoded once.
    let twice = format!("{}/", d.display());
    let out = run(xlogdec().arg(&d).arg(&twice).args(["-o", "-"]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(out.stdout == mac_expected());
    // The same through a glob.
    let out = run(xlogdec().arg(format!("{}/*.xlog", d.display())));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(out.stdout == mac_expected());
}

#[test]
fn decompression_bombs_are_refused_with_the_member_named() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    // 8 MiB of zeros unpack from a few kilobytes.
    let zeros = vec![0u8; 8 << 20];
    let inner = zip_bytes(&[("big.xlog", zeros.clone())]);
    fs::write(t.join("bomb.zip"), zip_bytes(&[("inner.zip", inner)])).unwrap();
    fs::write(t.join("good.xlog"), log("b_async_zlib.xlog")).unwrap();
    let out = run(xlogdec()
        .args(["--max-unpacked", "1000000"])
        .arg(t.join("bomb.zip"))
        .arg(t.join("good.xlog")));
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("bomb.zip:inner.zip") && err.contains("decompression bomb"),
        "{err}"
    );
    // The good input is still decoded.
    assert!(out.stdout == expected("b_async_zlib.xlog"));
    // A member read in place is bounded too, and so is a .gz.
    fs::write(
        t.join("flat.zip"),
        zip_bytes(&[("big.xlog", zeros.clone())]),
    )
    .unwrap();
    fs::write(t.join("big.xlog.gz"), gz_bytes(&zeros)).unwrap();
    for (name, member) in [
        ("flat.zip", "flat.zip:big.xlog"),
        ("big.xlog.gz", "big.xlog.gz"),
    ] {
        let out = run(xlogdec()
            .args(["--max-unpacked", "1000000"])
            .arg(t.join(name)));
        assert_eq!(out.status.code(), Some(2), "{name}");
        let err = stderr(&out);
        assert!(
            err.contains(member) && err.contains("decompression bomb"),
            "{err}"
        );
    }
    // Nesting: four levels are read, five refused.
    let mut nested = zip_bytes(&[("b.xlog", log("b_async_zlib.xlog"))]);
    for level in 2..=4 {
        nested = zip_bytes(&[(&format!("l{}.zip", level - 1), nested)]);
    }
    fs::write(t.join("l4.zip"), &nested).unwrap();
    let out = run(xlogdec().arg(t.join("l4.zip")));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(out.stdout == expected("b_async_zlib.xlog"));
    fs::write(t.join("l5.zip"), zip_bytes(&[("l4.zip", nested)])).unwrap();
    let out = run(xlogdec().arg(t.join("l5.zip")));
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("l5.zip:l4.zip:l3.zip:l2.zip:l1.zip") && err.contains("nested"),
        "{err}"
    );
}

#[test]
fn a_directory_or_archive_without_logs_is_said_on_stderr() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    fs::create_dir_all(t.join("empty/sub")).unwrap();
    fs::copy(corpus("b_async_zlib.xlog"), t.join("empty/sub/a.xlog")).unwrap();
    fs::write(
        t.join("notes.zip"),
        zip_bytes(&[("notes.txt", b"hi".to_vec())]),
    )
    .unwrap();
    for args in [vec!["empty", "-o", "-"], vec!["notes.zip"], vec!["empty"]] {
        let out = run(xlogdec().current_dir(t).args(&args));
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        let err = stderr(&out);
        assert!(
            err.contains(args[0]) && err.contains("no .xlog"),
            "{args:?}: {err}"
        );
        assert!(out.stdout.is_empty());
        let out = run(xlogdec().current_dir(t).arg("--strict").args(&args));
        assert_eq!(out.status.code(), Some(1), "{args:?}");
    }
    // The hint names -r, which finds the log below.
    let out = run(xlogdec().current_dir(t).args(["empty", "-o", "-"]));
    assert!(stderr(&out).contains("-r"));
    let out = run(xlogdec().current_dir(t).args(["-r", "empty", "-o", "-"]));
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout == expected("b_async_zlib.xlog"));
}

#[test]
fn standard_input_is_read_when_no_input_is_named() {
    // Plain, and gzipped.
    for data in [
        log("b_async_zlib.xlog"),
        gz_bytes(&log("b_async_zlib.xlog")),
    ] {
        let out = fed(&mut xlogdec(), data);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert!(out.stdout == expected("b_async_zlib.xlog"));
    }
    let out = fed(xlogdec().arg("-"), log("b_async_zlib.xlog"));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(out.stdout == expected("b_async_zlib.xlog"));
    // `info` too.
    let out = fed(info().args(["--format", "json"]), log("b_async_zlib.xlog"));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["file"], "-");
    assert_eq!(v["bytes_out"], expected("b_async_zlib.xlog").len());
}

/// The output of `cmd` with `data` written to its standard input (from a
/// thread of its own, while the output is read).
fn fed(cmd: &mut Command, data: Vec<u8>) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&data));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    out
}

/// `xlogdec info` (which has no progress bar to turn off).
fn info() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_xlogdec"));
    c.env_remove("XLOGDEC_PRIVATE_KEY").arg("info");
    c
}

fn info_json(args: &[&str], dir: &Path) -> Vec<serde_json::Value> {
    let out = run(info()
        .current_dir(dir)
        .args(["--format", "json"])
        .args(args));
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn info_takes_every_input_kind_and_totals_them() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    fs::create_dir_all(t.join("d/sub")).unwrap();
    fs::copy(corpus("b_async_zlib.xlog"), t.join("d/sub/im_2.xlog")).unwrap();
    fs::copy(corpus("d_async_zstd_l6.xlog"), t.join("d/im_10.xlog")).unwrap();
    fs::write(t.join("mac.zip"), zip_bytes(&mac_members())).unwrap();
    fs::write(t.join("b.tgz"), gz_bytes(&tar_bytes(&mac_members()))).unwrap();
    let b_len = expected("b_async_zlib.xlog").len() as u64;
    let d_len = expected("d_async_zstd_l6.xlog").len() as u64;
    // One object per log, in natural order, named by archive and member.
    for (args, names) in [
        (
            vec!["mac.zip"],
            vec!["mac.zip:logs/im_2.xlog", "mac.zip:logs/im_10.xlog"],
        ),
        (
            vec!["b.tgz"],
            vec!["b.tgz:logs/im_2.xlog", "b.tgz:logs/im_10.xlog"],
        ),
        (vec!["-r", "d"], vec!["d/im_10.xlog", "d/sub/im_2.xlog"]),
        (vec!["d/*.xlog"], vec!["d/im_10.xlog"]),
    ] {
        let infos = info_json(&args, t);
        let got: Vec<&str> = infos.iter().map(|v| v["file"].as_str().unwrap()).collect();
        assert_eq!(got, names, "{args:?}");
        for v in &infos {
            let want = if v["file"].as_str().unwrap().ends_with("im_2.xlog") {
                b_len
            } else {
                d_len
            };
            assert_eq!(v["bytes_out"], want, "{v}");
        }
    }
    // The total over six logs adds up the single files' figures.
    let single: Vec<serde_json::Value> = ["b_async_zlib.xlog", "d_async_zstd_l6.xlog"]
        .iter()
        .map(|n| info_json(&[corpus(n).to_str().unwrap()], t).remove(0))
        .collect();
    let total = info_json(&["--total", "-r", "d", "mac.zip", "b.tgz"], t);
    assert_eq!(total.len(), 1);
    let total = &total[0];
    assert_eq!(total["type"], "total");
    assert_eq!(total["inputs"], 6);
    assert_eq!(total["bytes_out"], 3 * (b_len + d_len));
    for field in ["records", "blocks", "no_level"] {
        let sum: u64 = single.iter().map(|v| v[field].as_u64().unwrap()).sum();
        assert_eq!(total[field], 3 * sum, "{field}");
    }
    for l in ["V", "D", "I", "W", "E", "F"] {
        let sum: u64 = single
            .iter()
            .map(|v| v["levels"][l].as_u64().unwrap())
            .sum();
        assert_eq!(total["levels"][l], 3 * sum, "{l}");
    }
    assert_eq!(total["first_time"], single[0]["first_time"]);
    assert_eq!(total["last_time"], single[1]["last_time"]);
    // The text table says the same.
    let out = run(info().current_dir(t).args(["--total", "mac.zip"]));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("total\n  inputs     2\n"), "{text}");
}
