//! Records in the IM SDK's own line shapes, through the real binary on the
//! IM SDK corpus days (`testdata/imsdk/`): the level, time and JSON
//! selections, `info` and `--merge`. The expected results come from a plain
//! line scan of each `NAME.expected.log` written here; it shares no code
//! with the library's record parser.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value;
use xlogdec::decode::writer::{WriterOptions, XlogWriter};

const DAYS: [&str; 4] = [
    "imsdk_20240312.xlog",
    "imsdk_20240312_1.xlog",
    "imsdk4_20240312.xlog",
    "mixed_20240312.xlog",
];

fn path(name: &str) -> String {
    let p: PathBuf = [env!("CARGO_MANIFEST_DIR"), "testdata", "imsdk", name]
        .iter()
        .collect();
    p.to_string_lossy().into_owned()
}

fn expected(name: &str) -> Vec<u8> {
    std::fs::read(path(&format!("{name}.expected.log"))).expect("expected text")
}

fn ok(args: &[&str]) -> Vec<u8> {
    common::stdout_of(
        common::xlogdec()
            .args(args)
            .env("XDG_CONFIG_HOME", env!("CARGO_MANIFEST_DIR")),
    )
}

/// A record of the line scan: its bytes, level letter, local time text
/// (`YYYY-MM-DD HH:MM:SS.mmm`) and UTC offset in minutes.
#[derive(Debug, Clone)]
struct Rec {
    bytes: Vec<u8>,
    level: Option<u8>,
    time: Option<String>,
    offset: Option<i32>,
}

/// Lines the writers emit without a level: each stands alone.
const TIPS: [&str; 7] = [
    "^^^^^^^^^^",
    "$$$$$$$$$$",
    "~~~~~ ",
    "del time out files",
    "get mmap time: ",
    "log appender mode:",
    "TIM: ",
];

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// `YYYY-MM-DD HH:MM:SS.mmm` with every digit in place.
fn is_time(s: &str) -> bool {
    s.len() == 23
        && s.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            10 => b == b' ',
            13 | 16 => b == b':',
            19 => b == b'.',
            _ => b.is_ascii_digit(),
        })
}

/// The level letter and local time of a header line, if it is one.
fn header_of(line: &str) -> Option<(u8, String)> {
    if let Some(rest) = line.strip_prefix("TIM: ") {
        // `DATE TIME L pid-tid ... |-` or `DATE TIME/L/pid-tid /Module -`.
        let time = rest.get(..23)?;
        let tail = rest.get(23..)?;
        let sep = tail.chars().next()?;
        if !(sep == ' ' || sep == '/') || tail.get(2..3) != Some(&tail[..1]) {
            return None;
        }
        let (letter, after) = (tail.as_bytes()[1], &tail[3..]);
        let ids: String = after.chars().take_while(|c| *c != ' ').collect();
        let (pid, tid) = ids.split_once('-')?;
        let shaped = after.contains(" |-") || after.contains(" /");
        (is_time(time) && is_digits(pid) && is_digits(tid) && shaped && b"VDIWEF".contains(&letter))
            .then(|| (letter, time.to_string()))
    } else if line.starts_with('[') && line.get(2..4) == Some("][") {
        // `[L][YYYY-MM-DD +8.0 HH:MM:SS.mmm][`
        let letter = line.as_bytes()[1];
        let close = line[4..].find(']')? + 4;
        let parts: Vec<&str> = line[4..close].split(' ').collect();
        let [date, _offset, clock] = parts[..] else {
            return None;
        };
        let time = format!("{date} {clock}");
        (b"VDIWEF".contains(&letter) && is_time(&time)).then_some((letter, time))
    } else {
        None
    }
}

/// The bracket line's own offset (`+8.0` hours), else the open banner's
/// (`+0800`).
fn bracket_offset(line: &str) -> Option<i32> {
    let off = line.split(' ').nth(1)?;
    let hours: f64 = off.parse().ok()?;
    Some((hours * 60.0).round() as i32)
}

fn banner_offset(line: &str) -> Option<i32> {
    let off = line.trim_end().rsplit('[').next()?.split(' ').nth(1)?;
    let sign = if off.starts_with('-') { -1 } else { 1 };
    let h: i32 = off.get(1..3)?.parse().ok()?;
    let m: i32 = off.get(3..5)?.parse().ok()?;
    Some(sign * (h * 60 + m))
}

/// Splits a text into records the plain way: a header line or a writer's
/// line starts one; any other line continues the one before.
fn scan(text: &[u8]) -> Vec<Rec> {
    let text = std::str::from_utf8(text).expect("UTF-8 corpus");
    let mut recs: Vec<Rec> = Vec::new();
    let mut offset = None;
    for line in text.split_inclusive('\n') {
        let head = header_of(line);
        let bracket = line.len() > 3
            && line.starts_with('[')
            && b"VDIWEF".contains(&line.as_bytes()[1])
            && &line[2..3] == "]";
        if line.starts_with("^^^^^^^^^^") {
            offset = banner_offset(line);
        }
        let starts = head.is_some() || bracket || TIPS.iter().any(|t| line.starts_with(t));
        if starts || recs.is_empty() {
            let (level, time) = match head {
                Some((l, t)) => (Some(l), Some(t)),
                None => (None, None),
            };
            let own = if bracket {
                bracket_offset(&line[4..])
            } else {
                None
            };
            recs.push(Rec {
                bytes: line.as_bytes().to_vec(),
                level,
                time,
                offset: own.or(offset),
            });
        } else {
            let last = recs.last_mut().expect("a record");
            last.bytes.extend_from_slice(line.as_bytes());
        }
    }
    recs
}

fn rank(level: u8) -> usize {
    b"VDIWEF".iter().position(|&l| l == level).expect("a level")
}

fn join(recs: &[&Rec]) -> Vec<u8> {
    recs.iter().flat_map(|r| r.bytes.clone()).collect()
}

fn show(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The day's text as a file of many small blocks, so that worker threads
/// judge blocks that hold IM SDK lines but not the open banner before them.
fn many_blocks(dir: &std::path::Path, name: &str) -> String {
    let text = expected(name);
    let file = dir.join(name);
    let out = std::fs::File::create(&file).expect("create");
    let mut w = XlogWriter::new(out, WriterOptions::default()).expect("writer");
    for (i, line) in text.split_inclusive(|&b| b == b'\n').enumerate() {
        w.write_line(line).expect("write");
        if i % 7 == 6 {
            w.flush_block().expect("flush");
        }
    }
    w.finish().expect("finish");
    file.to_string_lossy().into_owned()
}

#[test]
fn level_and_time_filters_select_what_the_line_scan_selects() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut checked = 0;
    for name in DAYS {
        let recs = scan(&expected(name));
        let headed: Vec<&Rec> = recs.iter().filter(|r| r.level.is_some()).collect();
        assert!(headed.len() > 400, "{name}: {}", headed.len());
        let blocks = many_blocks(dir.path(), name);
        for input in [path(name), blocks] {
            for jobs in ["1", "4"] {
                for (flag, min) in [("E", 4), ("W", 3)] {
                    let want: Vec<&Rec> = headed
                        .iter()
                        .copied()
                        .filter(|r| rank(r.level.expect("level")) >= min)
                        .collect();
                    assert!(!want.is_empty(), "{name} -l {flag}");
                    for color in ["never", "always"] {
                        let got = ok(&["-j", jobs, "--color", color, "-l", flag, &input]);
                        let got = if color == "never" {
                            got
                        } else {
                            strip_ansi(&got)
                        };
                        assert!(
                            got == join(&want),
                            "{name} -l {flag} -j {jobs} --color {color}:\n{}",
                            show(&got)
                        );
                        checked += 1;
                    }
                }
                for (since, until) in [
                    ("2024-03-12 10:00:00", "2024-03-12 11:00:00"),
                    ("2024-03-12 09:14:35.386", "2024-03-12 12:16:32"),
                    ("2024-03-12 06:55:58.421", "2024-03-12 06:56:00"),
                ] {
                    // Bounds in the lines' own layout, to the millisecond.
                    let pad = |b: &str| {
                        if b.len() == 19 {
                            format!("{b}.000")
                        } else {
                            b.to_string()
                        }
                    };
                    let (lo, hi) = (pad(since), pad(until));
                    let in_window = |t: &str| t >= lo.as_str() && t <= hi.as_str();
                    let want: Vec<&Rec> = headed
                        .iter()
                        .copied()
                        .filter(|r| in_window(r.time.as_deref().expect("time")))
                        .collect();
                    let got = ok(&["-j", jobs, "--since", since, "--until", until, &input]);
                    assert!(
                        got == join(&want),
                        "{name} {since}..{until}:\n{}",
                        show(&got)
                    );
                    // The same window as instants: every line of these days
                    // is at +08:00, the IM SDK lines by their open banner.
                    let utc = |t: &str| {
                        let local =
                            chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S%.f")
                                .expect("bound");
                        (local - chrono::TimeDelta::hours(8))
                            .format("%Y-%m-%dT%H:%M:%S%.3fZ")
                            .to_string()
                    };
                    assert!(headed.iter().all(|r| r.offset == Some(480)), "{name}");
                    let got = ok(&[
                        "-j",
                        jobs,
                        "--since",
                        &utc(since),
                        "--until",
                        &utc(until),
                        &input,
                    ]);
                    assert!(
                        got == join(&want),
                        "{name} {since}..{until} as UTC:\n{}",
                        show(&got)
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 100, "{checked}");
}

fn strip_ansi(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == 0x1B {
            while i < b.len() && b[i] != b'm' {
                i += 1;
            }
            i += 1;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

fn json_lines(out: &[u8]) -> Vec<Value> {
    out.split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).expect("JSON line"))
        .collect()
}

#[test]
fn json_records_carry_the_scanned_levels_times_and_offsets() {
    for name in DAYS {
        let recs = scan(&expected(name));
        for filter in [&[][..], &["-l", "W"][..]] {
            let mut args = vec!["--format", "json"];
            args.extend_from_slice(filter);
            let p = path(name);
            args.push(&p);
            let events = json_lines(&ok(&args));
            let got: Vec<&Value> = events.iter().filter(|e| e["type"] == "record").collect();
            let want: Vec<&Rec> = recs
                .iter()
                .filter(|r| filter.is_empty() || r.level.is_some_and(|l| rank(l) >= 3))
                .collect();
            assert_eq!(got.len(), want.len(), "{name} {filter:?}");
            for (g, w) in got.iter().zip(&want) {
                match w.level {
                    Some(l) => {
                        assert_eq!(g["level"], (l as char).to_string(), "{g}");
                        let time = w.time.as_deref().expect("time");
                        let line = show(&w.bytes);
                        let ts = format!("{}T{}+08:00", &time[..10], &time[11..]);
                        assert_eq!(g["ts"], ts, "{g}");
                        let shape = if line.starts_with('[') {
                            "current"
                        } else if line.as_bytes()[28] == b'/' {
                            "imsdk4"
                        } else {
                            "imsdk"
                        };
                        assert_eq!(g["line_format"], shape, "{g}");
                        // The message is the text after the header's last
                        // separator, continuation lines included.
                        let msg = g["message"].as_str().expect("message");
                        assert!(
                            line.strip_suffix('\n').unwrap_or(&line).ends_with(msg),
                            "{g}"
                        );
                        assert!(!msg.contains("TIM: "), "{g}");
                    }
                    None => {
                        assert_eq!(g["level"], Value::Null, "{g}");
                        assert_eq!(g["text"], show(&w.bytes), "{g}");
                    }
                }
            }
        }
    }
}

#[test]
fn info_counts_a_level_for_every_record_and_the_time_span() {
    for name in DAYS {
        let recs = scan(&expected(name));
        let p = path(name);
        let info = json_lines(&ok(&["info", "--format", "json", &p]));
        let info = &info[0];
        let mut want: BTreeMap<char, u64> = "VDIWEF".chars().map(|c| (c, 0)).collect();
        for r in &recs {
            if let Some(l) = r.level {
                *want.get_mut(&(l as char)).expect("letter") += 1;
            }
        }
        for (l, n) in &want {
            assert_eq!(info["levels"][l.to_string()], *n, "{name} {l}");
        }
        let unleveled = recs.iter().filter(|r| r.level.is_none()).count();
        assert_eq!(info["no_level"], unleveled as u64, "{name}");
        assert_eq!(info["no_header"], 0, "{name}");
        let times: Vec<&str> = recs.iter().filter_map(|r| r.time.as_deref()).collect();
        let iso = |t: &str| format!("{}T{}+08:00", &t[..10], &t[11..]);
        assert_eq!(info["first_time"], iso(times[0]), "{name}");
        assert_eq!(info["last_time"], iso(times[times.len() - 1]), "{name}");
        let meta = &info["metadata"];
        let starts = recs.iter().filter(|r| r.bytes.starts_with(b"^^^^")).count();
        assert_eq!(meta["process_starts"], starts as u64, "{name}");
        let text = show(&expected(name));
        let version = text
            .lines()
            .find_map(|l| {
                l.strip_prefix("TIM: ======  SDK Version:")
                    .or(l.strip_prefix("TIM: ======  Ver:"))
            })
            .expect("a version banner")
            .trim();
        assert_eq!(meta["sdk_versions"][0], version, "{name}");
        let table = show(&ok(&["info", &p]));
        assert!(table.contains(&format!("version {version}")), "{table}");
    }
}

#[test]
fn merge_orders_two_days_by_time() {
    let (a, b) = ("imsdk_20240312.xlog", "imsdk_20240312_1.xlog");
    let out = ok(&["--merge", &path(a), &path(b)]);
    let merged = scan(&out);
    let times: Vec<&str> = merged.iter().filter_map(|r| r.time.as_deref()).collect();
    assert!(times.len() > 1000, "{}", times.len());
    for w in times.windows(2) {
        assert!(w[0] <= w[1], "{} after {}", w[1], w[0]);
    }
    // Nothing lost, nothing added.
    let mut got: Vec<Vec<u8>> = merged.into_iter().map(|r| r.bytes).collect();
    let mut want: Vec<Vec<u8>> = scan(&expected(a))
        .into_iter()
        .chain(scan(&expected(b)))
        .map(|r| r.bytes)
        .collect();
    got.sort();
    want.sort();
    assert!(got == want);
}

/// The search flags reach IM SDK records as they reach bracket ones: `-e`
/// over the whole record (the function name is in the header), `--func`,
/// and a time-of-day window across midnight (times after `since` or
/// before `until`), on one block and on many, with one job and four.
#[test]
fn search_flags_and_windows_across_midnight_on_im_sdk_days() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut checked = 0;
    let mut found = 0;
    for name in DAYS {
        let recs = scan(&expected(name));
        let headed: Vec<&Rec> = recs.iter().filter(|r| r.level.is_some()).collect();
        let first_line = |r: &Rec| -> String {
            let text = show(&r.bytes);
            text.lines().next().unwrap_or_default().to_string()
        };
        let blocks = many_blocks(dir.path(), name);
        for input in [path(name), blocks] {
            for jobs in ["1", "4"] {
                // The function name of the heartbeat answer sits in the header.
                for word in ["HandleHeartbeatResponse", "OnUserSigExpired"] {
                    let want: Vec<&Rec> = headed
                        .iter()
                        .copied()
                        .filter(|r| show(&r.bytes).contains(word))
                        .collect();
                    let got = ok(&["-j", jobs, "-e", word, &input]);
                    assert!(got == join(&want), "{name} -e {word}:\n{}", show(&got));
                    let by_func: Vec<&Rec> = headed
                        .iter()
                        .copied()
                        .filter(|r| {
                            first_line(r)
                                .split_whitespace()
                                .any(|w| w == word || w.ends_with(&format!(" {word}")))
                        })
                        .collect();
                    found += want.len().min(1) + by_func.len().min(1);
                    let got = ok(&["-j", jobs, "--func", word, &input]);
                    assert!(
                        got == join(&by_func),
                        "{name} --func {word}:\n{}",
                        show(&got)
                    );
                    checked += 1;
                }
                // Across midnight: late evening or early morning.
                let (since, until) = ("12:00", "09:56");
                let want: Vec<&Rec> = headed
                    .iter()
                    .copied()
                    .filter(|r| {
                        let t = &r.time.as_deref().expect("time")[11..];
                        t >= "12:00:00.000" || t <= "09:56:00.000"
                    })
                    .collect();
                assert!(!want.is_empty(), "{name}");
                let got = ok(&["-j", jobs, "--since", since, "--until", until, &input]);
                assert!(
                    got == join(&want),
                    "{name} {since}..{until}:\n{}",
                    show(&got)
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 48, "{checked}");
    // Each word is found in some of the days, by both searches.
    assert!(found >= 16, "{found}");
}
