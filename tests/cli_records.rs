//! The record filters, `--format json`, `--color` and `xlogdec info`,
//! through the real binary on corpus files. Expected results come from a
//! line scan written here, independent of the library's record parser.

mod common;

use std::process::{Command, Output};

use serde_json::Value;

fn corpus(name: &str) -> String {
    common::corpus(name).to_string_lossy().into_owned()
}

fn xlogdec(args: &[&str]) -> Output {
    common::xlogdec().args(args).output().expect("run xlogdec")
}

/// Standard output of a run that must succeed.
fn ok(args: &[&str]) -> Vec<u8> {
    common::stdout_of(common::xlogdec().args(args))
}

/// A record found by the line scan.
#[derive(Debug, Clone)]
struct Rec {
    bytes: Vec<u8>,
    level: Option<u8>,
    head: Option<Head>,
}

#[derive(Debug, Clone)]
struct Head {
    date: String,
    time: String,
    pid: i64,
    tid: i64,
    main: bool,
    tag: Vec<u8>,
    /// Everything after the tag's `][` (location and message).
    after_tag: Vec<u8>,
}

fn level_of(line: &[u8]) -> Option<u8> {
    (line.len() >= 3 && line[0] == b'[' && line[2] == b']' && b"VDIWEF".contains(&line[1]))
        .then(|| line[1])
}

fn starts(line: &[u8]) -> bool {
    level_of(line).is_some() || common::is_tip(line)
}

/// `[L][date tz time][pid, tid*][tag][rest`, split on `][`.
fn head(line: &[u8]) -> Option<Head> {
    let s = String::from_utf8_lossy(line);
    let parts: Vec<&str> = s.splitn(5, "][").collect();
    if parts.len() < 5 || !parts[1].starts_with("20") {
        return None;
    }
    let ts: Vec<&str> = parts[1].split(' ').collect();
    let (pid, tid) = parts[2].split_once(", ")?;
    let main = tid.ends_with('*');
    // Byte offset of the part after the tag, in the original line.
    let tag_start = parts[0].len() + parts[1].len() + parts[2].len() + 6;
    let tag_end = tag_start + find(&line[tag_start..], b"][")?;
    Some(Head {
        date: ts[0].to_string(),
        time: ts.get(2)?.to_string(),
        pid: pid.parse().ok()?,
        tid: tid.trim_end_matches('*').parse().ok()?,
        main,
        tag: line[tag_start..tag_end].to_vec(),
        after_tag: line[tag_end + 2..].to_vec(),
    })
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn scan(text: &[u8]) -> Vec<Rec> {
    let mut recs: Vec<Rec> = Vec::new();
    for line in text.split_inclusive(|&b| b == b'\n') {
        if recs.is_empty() || starts(line) {
            recs.push(Rec {
                bytes: Vec::new(),
                level: level_of(line),
                head: level_of(line).and_then(|_| head(line)),
            });
        } else if let Some(h) = recs.last_mut().and_then(|r| r.head.as_mut()) {
            h.after_tag.extend_from_slice(line);
        }
        recs.last_mut()
            .expect("pushed")
            .bytes
            .extend_from_slice(line);
    }
    recs
}

fn rank(l: u8) -> usize {
    b"VDIWEF"
        .iter()
        .position(|&c| c == l)
        .expect("level letter")
}

/// What a filtered run must print: the records that pass, plus the
/// decoder's marker lines, which are integrity events and always kept (from
/// the marker on, when a damaged block's text ran into it).
fn expect(text: &[u8], pass: impl Fn(&Rec, &Head) -> bool) -> (Vec<u8>, usize) {
    const MARKER: &[u8] = b"[F]decode_log_file.py";
    let mut out = Vec::new();
    let mut n = 0;
    for r in scan(text) {
        if r.head.as_ref().is_some_and(|h| pass(&r, h)) {
            n += 1;
            out.extend_from_slice(&r.bytes);
            continue;
        }
        for line in r.bytes.split_inclusive(|&b| b == b'\n') {
            if let Some(at) = find(line, MARKER) {
                out.extend_from_slice(&line[at..]);
            }
        }
    }
    (out, n)
}

fn check(file: &str, args: &[&str], pass: impl Fn(&Rec, &Head) -> bool) -> usize {
    let path = corpus(file);
    let base = ok(&[&path]);
    let (want, n) = expect(&base, pass);
    let mut full = args.to_vec();
    full.push(&path);
    let got = ok(&full);
    assert!(
        got == want,
        "{file} {args:?}: {} bytes, expected {} ({n} records)",
        got.len(),
        want.len()
    );
    n
}

const B: &str = "b_async_zlib.xlog";

#[test]
fn level_by_letter_and_name() {
    let base = ok(&[&corpus(B)]);
    let expected = std::fs::read(corpus("b_async_zlib.xlog.expected.log")).expect("read");
    assert!(base == expected, "unfiltered output is the official text");
    let mut last = usize::MAX;
    for (flag, min) in [
        ("V", 'V'),
        ("debug", 'D'),
        ("I", 'I'),
        ("warn", 'W'),
        ("ERROR", 'E'),
        ("f", 'F'),
    ] {
        let min = rank(min as u8);
        let n = check(B, &["-l", flag], |r, _| {
            rank(r.level.expect("level")) >= min
        });
        assert!(n > 0 && n < last, "level {flag}: {n} records");
        last = n;
        let m = check(B, &["--level", flag], |r, _| {
            rank(r.level.expect("level")) >= min
        });
        assert_eq!(n, m);
    }
}

#[test]
fn level_output_is_a_subsequence_and_keeps_multiline_records_whole() {
    let base = ok(&[&corpus(B)]);
    let warn = ok(&["--level", "warn", &corpus(B)]);
    // Subsequence by lines.
    let mut lines = base.split_inclusive(|&b| b == b'\n');
    for l in warn.split_inclusive(|&b| b == b'\n') {
        assert!(lines.any(|b| b == l), "line not in order: {l:?}");
    }
    // Text before the first record is left out.
    assert!(warn.starts_with(b"[W]") || warn.starts_with(b"[E]") || warn.starts_with(b"[F]"));
    // At least one multi-line record passed, with all its lines.
    let multi = scan(&warn)
        .into_iter()
        .filter(|r| r.bytes.iter().filter(|&&b| b == b'\n').count() > 1)
        .count();
    assert!(multi > 0, "no multi-line record among the warnings");
}

#[test]
fn tags_exact_and_glob() {
    let n = check(B, &["--tag", "imsdk"], |_, h| h.tag == b"imsdk");
    assert!(n > 0);
    let n2 = check(B, &["--tag", "im*", "--tag", "grou?"], |_, h| {
        h.tag.starts_with(b"im") || (h.tag.len() == 5 && h.tag.starts_with(b"grou"))
    });
    assert!(n2 > n);
    assert_eq!(check(B, &["--tag", "no-such-tag"], |_, _| false), 0);
}

#[test]
fn pid_tid_and_main_thread() {
    let file = "j10_truncated_then_appended.xlog";
    let text = ok(&[&corpus(file)]);
    let heads: Vec<Head> = scan(&text).into_iter().filter_map(|r| r.head).collect();
    let pid = heads.last().expect("records").pid;
    assert!(heads.iter().any(|h| h.pid != pid), "two processes");
    let n = check(file, &["--pid", &pid.to_string()], |_, h| h.pid == pid);
    assert!(n > 0 && n < heads.len());
    let tid = heads.iter().find(|h| !h.main).expect("worker").tid;
    let n = check(file, &["--tid", &tid.to_string()], |_, h| h.tid == tid);
    assert!(n > 0);
    let n = check(file, &["--main-thread"], |_, h| h.main);
    assert!(n > 0 && n < heads.len());
}

#[test]
fn since_and_until() {
    let t = |h: &Head| h.time.clone();
    let n = check(B, &["--since", "10:04:00"], |_, h| {
        t(h) >= "10:04:00.000".into()
    });
    let m = check(B, &["--until", "10:04:00"], |_, h| {
        t(h) <= "10:04:00.000".into()
    });
    assert!(n > 0 && m > 0);
    let k = check(
        B,
        &[
            "--since",
            "2024-01-31 10:03",
            "--until",
            "2024-01-31 10:03:59.999",
        ],
        |_, h| h.date == "2024-01-31" && t(h).starts_with("10:03:"),
    );
    assert!(k > 0 && k < n.min(m));
    // The same minute as an instant in UTC (the records are at +8.0).
    let z = check(
        B,
        &[
            "--since",
            "2024-01-31 02:03Z",
            "--until",
            "2024-01-31T02:03:59.999+00:00",
        ],
        |_, h| t(h).starts_with("10:03:"),
    );
    assert_eq!(z, k);
    // Long ago relative to now: everything; in the future: nothing.
    assert_eq!(check(B, &["--since", "-1d"], |_, _| false), 0);
    let all = check(B, &["--until", "-1d"], |_, _| true);
    assert!(all > n);
}

#[test]
fn grep_ignore_case_and_invert() {
    let has = |h: &Head, s: &str| String::from_utf8_lossy(&h.after_tag).contains(s);
    let n = check(B, &["-e", r"elapsed:\d+ms"], |_, h| has(h, "elapsed:"));
    assert!(n > 0);
    let lower = |h: &Head| String::from_utf8_lossy(&h.after_tag).to_lowercase();
    let i = check(B, &["-i", "--grep", "FAMILY EMOJI"], |_, h| {
        lower(h).contains("family emoji")
    });
    assert!(i > 0);
    let v = check(B, &["-v", "-e", "elapsed"], |_, h| !has(h, "elapsed"));
    let all = check(B, &["-l", "V"], |_, _| true);
    assert_eq!(v + n, all);
}

#[test]
fn filters_combine_with_and() {
    let n = check(
        B,
        &[
            "-l",
            "W",
            "--tag",
            "*o*",
            "--main-thread",
            "-v",
            "-e",
            "state",
        ],
        |r, h| {
            rank(r.level.expect("level")) >= rank(b'W')
                && h.tag.contains(&b'o')
                && h.main
                && !String::from_utf8_lossy(&h.after_tag).contains("state")
        },
    );
    assert!(n > 0);
}

#[test]
fn markers_stay_in_place_under_a_filter() {
    // Gaps and a skipped range: the marker lines are kept in order.
    let file = "j06_bad_length_field.xlog";
    let n = check(file, &["-l", "E"], |r, _| {
        r.level == Some(b'E') || r.level == Some(b'F')
    });
    assert!(n > 0);
    let out = ok(&["-l", "E", &corpus(file)]);
    assert!(find(&out, b"[F]decode_log_file.py decode error").is_some());
    let clean = ok(&["-l", "E", "--no-markers", &corpus(file)]);
    assert!(find(&clean, b"decode_log_file.py").is_none());
}

#[test]
fn bad_filter_values_are_usage_errors() {
    for args in [
        &["--level", "loud"][..],
        &["--since", "yesterday"],
        &["--grep", "(unclosed"],
        // -i alone is valid now (it folds --tag too); a bad count is not.
        &["--context", "many"],
    ] {
        let mut full = args.to_vec();
        let p = corpus(B);
        full.push(&p);
        let out = xlogdec(&full);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(args[0]) || err.contains(args[1]),
            "{args:?}: {err}"
        );
    }
}

fn json_lines(out: &[u8]) -> Vec<Value> {
    std::str::from_utf8(out)
        .expect("JSON output is UTF-8")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn bytes_of(v: &Value, field: &str) -> Vec<u8> {
    let s = v[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} in {v}"));
    let escaped = v["escaped"]
        .as_array()
        .is_some_and(|a| a.iter().any(|f| f == field));
    if escaped {
        xlogdec::render::escape::unescape(s).expect("valid escapes")
    } else {
        s.as_bytes().to_vec()
    }
}

#[test]
fn json_records_round_trip_every_field() {
    let path = corpus(B);
    let text = ok(&[&path]);
    let recs = scan(&text);
    let events = json_lines(&ok(&["--format", "json", &path]));
    assert_eq!(events[0]["type"], "begin");
    assert_eq!(events[0]["file"], path.as_str());
    let last = events.last().expect("events");
    assert_eq!(last["type"], "summary");
    let records: Vec<&Value> = events.iter().filter(|e| e["type"] == "record").collect();
    assert_eq!(records.len(), recs.len());
    assert_eq!(last["records"], recs.len());
    let mut escaped = 0;
    for (r, v) in recs.iter().zip(&records) {
        assert_eq!(v["file"], path.as_str());
        match &r.head {
            None => assert_eq!(bytes_of(v, "text"), r.bytes),
            Some(h) => {
                assert_eq!(v["level"], (r.level.expect("level") as char).to_string());
                let line = String::from_utf8_lossy(&r.bytes);
                let time = v["time"].as_str().expect("time");
                assert!(
                    line.starts_with(&format!("[{}][{time}]", v["level"].as_str().unwrap_or("?")))
                );
                assert_eq!(v["ts"], format!("{}T{}+08:00", h.date, h.time));
                assert_eq!(v["pid"], h.pid);
                assert_eq!(v["tid"], h.tid);
                assert_eq!(v["main_thread"], h.main);
                assert_eq!(bytes_of(v, "tag"), h.tag);
                // Location and message: `file:LINE, func][message`.
                let loc = format!(
                    "{}:{}, {}][",
                    v["src_file"].as_str().expect("src_file"),
                    v["src_line"],
                    v["func"].as_str().expect("func")
                );
                let mut rebuilt = loc.into_bytes();
                rebuilt.extend_from_slice(&bytes_of(v, "message"));
                rebuilt.push(b'\n');
                assert_eq!(
                    String::from_utf8_lossy(&rebuilt),
                    String::from_utf8_lossy(&h.after_tag)
                );
                assert_eq!(rebuilt, h.after_tag);
                assert_eq!(v["line_format"], "current");
            }
        }
        escaped += usize::from(v.get("escaped").is_some());
    }
    assert!(
        escaped > 0,
        "the sample has invalid UTF-8: some field is escaped"
    );
    // Per-level counts in the summary agree with the scan.
    for l in b"VDIWEF" {
        let n = recs.iter().filter(|r| r.level == Some(*l)).count();
        assert_eq!(last["levels"][(*l as char).to_string()], n);
    }
}

#[test]
fn json_integrity_events_and_filters() {
    let path = corpus("j06_bad_length_field.xlog");
    let events = json_lines(&ok(&["--format", "json", "-l", "E", &path]));
    let summary = events.last().expect("summary");
    let count = |t: &str| events.iter().filter(|e| e["type"] == t).count();
    assert_eq!(count("begin"), 1);
    // Every official seq-check line is a gap event; the summary counts
    // the seqs that went back (j06 has one) apart from the gaps.
    assert_eq!(
        count("gap"),
        (summary["gaps"].as_u64().expect("gaps") + summary["seq_backwards"].as_u64().expect("back"))
            as usize
    );
    assert_eq!(
        count("corrupt"),
        summary["corrupt"].as_u64().expect("corrupt") as usize
    );
    assert!(count("gap") > 0 && count("corrupt") > 0);
    for e in events.iter().filter(|e| e["type"] == "corrupt") {
        assert!(e["offset"].as_u64().is_some() && e["length"].as_u64().is_some());
        assert!(!e["reason"].as_str().expect("reason").is_empty());
    }
    let text = ok(&[&path]);
    let errors = scan(&text)
        .iter()
        .filter(|r| r.head.is_some() && matches!(r.level, Some(b'E' | b'F')))
        .count();
    assert_eq!(count("record"), errors);
    assert_eq!(summary["records"], errors);

    // An encrypted file without its key: locked blocks, no records.
    let path = corpus("j15_crypt_unknown_key.xlog");
    let events = json_lines(&ok(&["--format", "json", &path]));
    let locked: Vec<&Value> = events.iter().filter(|e| e["type"] == "locked").collect();
    assert!(!locked.is_empty());
    assert_eq!(events.last().expect("summary")["locked"], locked.len());
    assert!(
        locked[0]["reason"]
            .as_str()
            .expect("reason")
            .contains("key")
    );

    // Two inputs: one begin and one summary each, in order.
    let a = corpus("k_legacy_0x03_sync.xlog");
    let events = json_lines(&ok(&["--format", "json", &a, &path]));
    let kinds: Vec<(&str, &str)> = events
        .iter()
        .filter(|e| e["type"] == "begin" || e["type"] == "summary")
        .map(|e| {
            (
                e["type"].as_str().expect("type"),
                e["file"].as_str().expect("file"),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("begin", a.as_str()),
            ("summary", a.as_str()),
            ("begin", path.as_str()),
            ("summary", path.as_str())
        ]
    );
    let legacy = events
        .iter()
        .find(|e| e["type"] == "record" && e["tag"].is_string());
    assert_eq!(legacy.expect("a record")["line_format"], "legacy");
}

/// Removes `ESC [ ... m` sequences.
fn strip_ansi(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == 0x1b && b.get(i + 1) == Some(&b'[') {
            let end = b[i..].iter().position(|&c| c == b'm').expect("terminated");
            i += end + 1;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let path = corpus(B);
    let plain = ok(&[&path]);
    // Into a pipe, auto means none.
    assert!(ok(&["--color", "auto", &path]) == plain);
    assert!(ok(&["--color", "never", "-l", "V", &path]) == ok(&["-l", "V", &path]));
    let coloured = ok(&["--color", "always", &path]);
    assert!(find(&coloured, b"\x1b[31m[E]").is_some());
    assert!(find(&coloured, b"\x1b[33m[W]").is_some());
    assert!(strip_ansi(&coloured) == plain, "colour adds escapes only");
    // NO_COLOR does not override an explicit request.
    let out = Command::new(env!("CARGO_BIN_EXE_xlogdec"))
        .args(["--color", "always", &path])
        .env("NO_COLOR", "1")
        .output()
        .expect("run");
    assert!(out.stdout == coloured);
    // JSON is never coloured.
    let json = ok(&["--color", "always", "--format", "json", &path]);
    assert!(!json.contains(&0x1b));
}

#[test]
fn info_counts_agree_with_the_scan() {
    let path = corpus("j06_bad_length_field.xlog");
    let text = ok(&[&path]);
    let recs = scan(&text);
    let out = ok(&["info", "--format", "json", &path]);
    let v = json_lines(&out);
    assert_eq!(v.len(), 1);
    let info = &v[0];
    assert_eq!(info["type"], "info");
    assert_eq!(info["file"], path.as_str());
    // The decoded text has the marker lines; info counts records of the text
    // alone, where a damaged block's text that ran into a marker is a record.
    let marker = |l: &[u8]| find(l, b"[F]decode_log_file.py");
    let markers = recs.iter().filter(|r| marker(&r.bytes) == Some(0)).count();
    let glued = text
        .split(|&b| b == b'\n')
        .filter(|l| marker(l).is_some_and(|at| at > 0))
        .count();
    assert_eq!(glued, 1, "j06 has one damaged block's text before a marker");
    assert_eq!(
        info["records"].as_u64(),
        Some((recs.len() - markers + glued) as u64)
    );
    let heads: Vec<&Head> = recs.iter().filter_map(|r| r.head.as_ref()).collect();
    let first = heads.first().expect("records");
    let last = heads.last().expect("records");
    assert_eq!(
        info["first_time"],
        format!("{}T{}+08:00", first.date, first.time)
    );
    assert_eq!(
        info["last_time"],
        format!("{}T{}+08:00", last.date, last.time)
    );
    let imsdk = heads.iter().filter(|h| h.tag == b"imsdk").count();
    assert_eq!(info["top_tags"][0]["tag"], "imsdk");
    assert_eq!(info["top_tags"][0]["records"], imsdk);
    // j06's two seq-check lines: one gap, one seq that went back (a false
    // block's seq before the real ones).
    assert_eq!(info["gaps"], 1);
    assert_eq!(info["gap_list"].as_array().map(Vec::len), Some(1));
    assert_eq!(info["seq_backwards"], 1);
    assert_eq!(info["corrupt_list"].as_array().map(Vec::len), Some(2));

    let table = String::from_utf8(ok(&["info", &path])).expect("UTF-8");
    assert!(table.starts_with(&path), "{table}");
    assert!(table.contains(&format!("imsdk {imsdk}")), "{table}");
    assert!(table.contains("1 gaps: 14-44881 at byte 51042;"), "{table}");
    assert!(
        table.contains("1 went back: 44882 to 15 at byte"),
        "{table}"
    );

    let out = xlogdec(&["info", "no-such.xlog", &path]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no-such.xlog: no such file"));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with(&path));
}
