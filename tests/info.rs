//! `xlogdec info` on inputs built here: seqs that go back, empty tags,
//! `--top` in both formats, and the byte ranges of locked runs.

use std::process::{Command, Output};

use serde_json::Value;
use xlogdec::codec::PrivateKey;
use xlogdec::writer::{WriterOptions, XlogWriter};

fn xlogdec(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xlogdec"))
        .args(args)
        .env_remove("XLOGDEC_PRIVATE_KEY")
        .output()
        .expect("run xlogdec")
}

fn ok(args: &[&str]) -> String {
    let out = xlogdec(args);
    assert!(
        out.status.success(),
        "xlogdec {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// A record line with tag `tag`.
fn line(tag: &str, i: usize) -> Vec<u8> {
    format!(
        "[I][2024-01-31 +8.0 10:00:{:02}.000][1, 2*][{tag}][a.cc:1, f][line {i}\n",
        i % 60
    )
    .into_bytes()
}

/// One async zlib block per element of `blocks`, each holding its lines;
/// returns the file and the offsets at which its blocks start.
fn file(opts: WriterOptions, blocks: &[Vec<Vec<u8>>]) -> (Vec<u8>, Vec<usize>) {
    let mut w = XlogWriter::new(Vec::new(), opts).expect("writer");
    for b in blocks {
        for l in b {
            w.write_line(l).expect("line");
        }
        w.flush_block().expect("flush");
    }
    let data = w.finish().expect("finish");
    let mut starts = Vec::new();
    let mut at = 0;
    while at < data.len() {
        starts.push(at);
        let len = u32::from_le_bytes(data[at + 5..at + 9].try_into().unwrap()) as usize;
        at += 73 + len + 1;
    }
    assert_eq!(at, data.len());
    (data, starts)
}

fn temp_file(dir: &tempfile::TempDir, name: &str, data: &[u8]) -> String {
    let p = dir.path().join(name);
    std::fs::write(&p, data).expect("write");
    p.to_string_lossy().into_owned()
}

#[test]
fn a_seq_that_goes_back_is_not_a_gap() {
    // Blocks seq 1, 2, 3, 4; then block 2 again (two writers' files
    // joined): the official check prints "log seq:5-1 is missing".
    let blocks: Vec<Vec<Vec<u8>>> = (0..4).map(|b| vec![line("t", b)]).collect();
    let (data, starts) = file(WriterOptions::default(), &blocks);
    let mut joined = data.clone();
    joined.extend_from_slice(&data[starts[1]..starts[2]]);
    // And a real gap: seq 2 then 4.
    joined.extend_from_slice(&data[starts[3]..]);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = temp_file(&dir, "back.xlog", &joined);
    // The decoded text keeps the official lines, reversed range included.
    let text = ok(&[&path]);
    assert!(text.contains("log seq:5-1 is missing\n"), "{text}");
    assert!(text.contains("log seq:3-3 is missing\n"), "{text}");
    let table = ok(&["info", &path]);
    let seq = table
        .lines()
        .find(|l| l.trim_start().starts_with("seq"))
        .expect("seq row");
    let gap_at = data.len() + (starts[2] - starts[1]);
    assert!(
        seq.contains(&format!("1 gaps: 3-3 at byte {gap_at}")),
        "{seq}"
    );
    assert!(
        seq.contains(&format!("1 went back: 4 to 2 at byte {}", data.len())),
        "{seq}"
    );
    assert!(!seq.contains("5-1"), "no reversed range: {seq}");
    let json: Value =
        serde_json::from_str(&ok(&["info", "--format", "json", &path])).expect("JSON");
    assert_eq!(json["gaps"], 1);
    assert_eq!(json["gap_list"][0]["first"], 3);
    assert_eq!(json["gap_list"][0]["last"], 3);
    assert_eq!(json["seq_backwards"], 1);
    assert_eq!(json["seq_back_list"][0]["from"], 4);
    assert_eq!(json["seq_back_list"][0]["to"], 2);
    assert_eq!(json["seq_back_list"][0]["offset"], data.len());
}

#[test]
fn empty_tags_show_and_top_is_honoured_in_both_formats() {
    // Tags: "" x5, "b" x4, "c" x3, "d" x2.
    let mut lines = Vec::new();
    for (tag, n) in [("", 5), ("b", 4), ("c", 3), ("d", 2)] {
        for i in 0..n {
            lines.push(line(tag, i));
        }
    }
    let (data, _) = file(WriterOptions::default(), &[lines]);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = temp_file(&dir, "tags.xlog", &data);
    let table = ok(&["info", "--top", "2", &path]);
    let tags = table
        .lines()
        .find(|l| l.contains("top tags"))
        .expect("tags row");
    assert!(tags.ends_with("top tags   (empty) 5, b 4"), "{tags}");
    let json: Value = serde_json::from_str(&ok(&["info", "--format", "json", "--top", "3", &path]))
        .expect("JSON");
    let top = json["top_tags"].as_array().expect("top_tags");
    assert_eq!(top.len(), 3, "{top:?}");
    assert_eq!(
        (&top[0]["tag"], &top[0]["records"]),
        (&Value::from(""), &Value::from(5))
    );
    assert_eq!(top[2]["tag"], "c");
    let json: Value =
        serde_json::from_str(&ok(&["info", "--format", "json", &path])).expect("JSON");
    assert_eq!(
        json["top_tags"].as_array().map(Vec::len),
        Some(4),
        "all four under the default ten"
    );
}

#[test]
fn locked_runs_cover_their_blocks_to_the_last_byte() {
    let server = PrivateKey::from_seed(7);
    let opts = WriterOptions {
        public_key: Some(server.public_key_bytes()),
        ..WriterOptions::default()
    };
    let blocks: Vec<Vec<Vec<u8>>> = (0..3).map(|b| vec![line("t", b)]).collect();
    let (data, _) = file(opts.clone(), &blocks);
    let (one, _) = file(opts, &blocks[..1]);
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, data, n) in [("three.xlog", &data, 3), ("one.xlog", &one, 1)] {
        let path = temp_file(&dir, name, data);
        let text = ok(&[&path]);
        let blocks = if n == 1 { "block" } else { "blocks" };
        let want = format!(
            "[F]xlogdec: {n} encrypted {blocks} at bytes 0-{} not decoded",
            data.len()
        );
        assert!(text.starts_with(&want), "{text}");
        let table = ok(&["info", &path]);
        assert!(
            table.contains(&format!(
                "{n} blocks at bytes 0-{}: no private key",
                data.len()
            )),
            "{table}"
        );
        let json: Value =
            serde_json::from_str(&ok(&["info", "--format", "json", &path])).expect("JSON");
        assert_eq!(json["locked_list"][0]["end"], data.len());
    }
}
