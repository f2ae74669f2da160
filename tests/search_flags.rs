//! Searching as grep does, through the real binary on corpus files: time
//! windows, case, context records, counts, file names, whole-record
//! patterns and header fields. The expectations come from a line scan of
//! the corpus `.expected.log` texts written here, independent of the
//! library's record parser.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn corpus(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/corpus")
        .join(name)
}

fn xlogdec(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xlogdec"))
        .arg("--no-progress")
        .args(args)
        .env_remove("NO_COLOR")
        .env_remove("XLOGDEC_PRIVATE_KEY")
        .stdin(Stdio::null())
        .output()
        .expect("run xlogdec")
}

/// Standard output of a run that must succeed.
fn ok(args: &[&str]) -> Vec<u8> {
    let out = xlogdec(args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "xlogdec {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// A record of the expected text: its lines, and its header fields when
/// its first line is a full Mars header.
#[derive(Debug, Clone)]
struct Rec {
    text: Vec<u8>,
    head: Option<Head>,
}

#[derive(Debug, Clone)]
struct Head {
    date: String,
    time: String,
    tag: String,
    #[allow(dead_code)] // read by the --file test
    file: String,
    #[allow(dead_code)] // read by the --func test
    func: String,
    message: String,
}

const TIPS: [&str; 8] = [
    "^^^^^^^^^^",
    "$$$$$$$$$$",
    "~~~~~ ",
    "get mmap time: ",
    "MARS_",
    "log appender mode:",
    "log dir space info, ",
    "cache dir space info, ",
];

fn starts_record(line: &str) -> bool {
    let b = line.as_bytes();
    (b.len() >= 3 && b[0] == b'[' && b[2] == b']' && b"VDIWEF".contains(&b[1]))
        || TIPS.iter().any(|t| line.starts_with(t))
}

/// `[L][date tz time][pid, tid][tag][file:line, func][message`.
fn head(line: &str) -> Option<Head> {
    let parts: Vec<&str> = line.splitn(6, "][").collect();
    if parts.len() < 6 || !parts[0].starts_with('[') {
        return None;
    }
    let when: Vec<&str> = parts[1].split(' ').collect();
    if when.len() != 3 {
        return None;
    }
    let (file, func) = parts[4].split_once(", ")?;
    let file = file.rsplit_once(':').map_or(file, |(f, _)| f);
    Some(Head {
        date: when[0].into(),
        time: when[2].into(),
        tag: parts[3].into(),
        file: file.into(),
        func: func.into(),
        message: parts[5].into(),
    })
}

/// The records of a corpus file's expected text.
fn records(name: &str) -> Vec<Rec> {
    let text = std::fs::read(corpus(&format!("{name}.expected.log"))).unwrap();
    let mut recs: Vec<Rec> = Vec::new();
    for raw in text.split_inclusive(|&b| b == b'\n') {
        let line = String::from_utf8_lossy(raw);
        if starts_record(&line) || recs.is_empty() {
            recs.push(Rec {
                text: Vec::new(),
                head: head(line.trim_end_matches('\n')),
            });
        }
        recs.last_mut().expect("pushed").text.extend_from_slice(raw);
    }
    // The message runs to the record's end, continuation lines included.
    for r in &mut recs {
        if let Some(h) = &mut r.head {
            let text = String::from_utf8_lossy(&r.text);
            h.message = text.splitn(6, "][").nth(5).unwrap_or("").into();
        }
    }
    recs
}

fn joined<'a>(recs: impl IntoIterator<Item = &'a Rec>) -> Vec<u8> {
    recs.into_iter()
        .flat_map(|r| r.text.iter().copied())
        .collect()
}

const DAY: &str = "b_async_zlib.xlog";
const MIDNIGHT: &str = "h_multiday/imsdk_20240130.xlog";

#[test]
fn a_time_window_across_midnight_is_read_as_such() {
    let recs = records(MIDNIGHT);
    let want: Vec<&Rec> = recs
        .iter()
        .filter(|r| {
            r.head
                .as_ref()
                .is_some_and(|h| h.time.as_str() >= "23:59" || h.time.as_str() <= "00:30:00.000")
        })
        .collect();
    assert!(want.len() > 10, "the corpus day crosses midnight");
    let got = ok(&[
        "--since",
        "23:59",
        "--until",
        "00:30",
        corpus(MIDNIGHT).to_str().unwrap(),
    ]);
    assert_eq!(got, joined(want));
}

#[test]
fn until_a_date_alone_takes_that_whole_day() {
    let recs = records(MIDNIGHT);
    let want: Vec<&Rec> = recs
        .iter()
        .filter(|r| r.head.as_ref().is_some_and(|h| h.date == "2024-01-29"))
        .collect();
    assert!(!want.is_empty());
    let got = ok(&["--until", "2024-01-29", corpus(MIDNIGHT).to_str().unwrap()]);
    assert_eq!(got, joined(want));
}

#[test]
fn an_empty_time_window_is_an_error() {
    for (since, until) in [
        ("2024-01-31", "2024-01-30"),
        ("2024-01-31 10:03", "2024-01-31 10:02"),
    ] {
        let out = xlogdec(&[
            "--since",
            since,
            "--until",
            until,
            corpus(DAY).to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("empty time window") && err.contains(since),
            "{err}"
        );
        assert!(out.stdout.is_empty());
        // Said once, not once per input.
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}

#[test]
fn tags_take_ignore_case_and_smart_case() {
    let recs = records(DAY);
    let want = joined(
        recs.iter()
            .filter(|r| r.head.as_ref().is_some_and(|h| h.tag == "TIMManager")),
    );
    assert!(!want.is_empty());
    let day = corpus(DAY);
    let day = day.to_str().unwrap();
    assert_eq!(ok(&["--tag", "TIMManager", day]), want);
    assert_eq!(ok(&["--tag", "timmanager", day]), b"");
    assert_eq!(ok(&["-i", "--tag", "timmanager", day]), want);
    assert_eq!(ok(&["-S", "--tag", "timmanager", day]), want);
    assert_eq!(ok(&["-S", "--tag", "tim*", day]), want);
    assert_eq!(ok(&["-S", "--tag", "TIMmanager", day]), b"");
}
