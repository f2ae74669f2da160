//! Record splitting/parsing and filters, checked against the decoded corpus
//! texts in `testdata/text/` (byte-exact outputs of Mars's official decoder).

mod common;

use common::is_tip;
use std::path::PathBuf;

use xlogdec::record::{Level, LineFormat, Record, RecordSplitter, Records};

const TEXTS: [&str; 11] = [
    "b_async_zlib.xlog.expected.log",
    "o_pre2021_linefmt_async_zlib.xlog.expected.log",
    "k_legacy_0x03_sync.xlog.expected.log",
    "a2_sync_zlib_tz.xlog.expected.log",
    "b2_async_zlib_dst.xlog.expected.log",
    "i2_recovered_async_zlib.xlog.expected.log",
    "j06_bad_length_field.xlog.expected.log",
    "j15_crypt_unknown_key.xlog.expected.log",
    "j16_crypt_flip_payload.xlog.expected.log",
    "n_open_close_only.xlog.expected.log",
    "h_multiday_imsdk_20240129.xlog.expected.log",
];

fn text(name: &str) -> Vec<u8> {
    let p: PathBuf = [env!("CARGO_MANIFEST_DIR"), "testdata", "text", name]
        .iter()
        .collect();
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Lines of `t`, each with its `\n` (the last may lack it).
fn lines(t: &[u8]) -> Vec<&[u8]> {
    t.split_inclusive(|&b| b == b'\n').collect()
}

fn is_level_letter(b: u8) -> bool {
    b"VDIWEF".contains(&b)
}

/// `[L][20` at the start of a line: a real header line in this corpus.
fn looks_like_header(line: &[u8]) -> bool {
    line.len() >= 6 && line[0] == b'[' && is_level_letter(line[1]) && &line[2..6] == b"][20"
}

fn owned(r: &Record<'_>) -> String {
    format!("{r:?}")
}

#[test]
fn records_concatenate_back_to_the_input() {
    for name in TEXTS {
        let t = text(name);
        let mut joined = Vec::with_capacity(t.len());
        for r in Records::new(&t) {
            assert!(!r.bytes.is_empty(), "{name}: empty record");
            joined.extend_from_slice(r.bytes);
        }
        assert!(joined == t, "{name}: concatenation differs from input");
    }
}

#[test]
fn every_header_line_parses_and_starts_a_record() {
    for name in TEXTS {
        let t = text(name);
        let header_lines = lines(&t).iter().filter(|l| looks_like_header(l)).count();
        let mut full = 0;
        for r in Records::new(&t) {
            if looks_like_header(r.bytes) {
                let h = r.header.unwrap_or_else(|| {
                    panic!(
                        "{name}: no header for {:?}",
                        String::from_utf8_lossy(r.bytes)
                    )
                });
                // The message is the tail of the record, without the final newline.
                let body = r.bytes.strip_suffix(b"\n").unwrap_or(r.bytes);
                assert!(body.ends_with(h.message), "{name}");
                full += 1;
            } else {
                assert!(
                    r.header.is_none(),
                    "{name}: {:?}",
                    String::from_utf8_lossy(r.bytes)
                );
            }
        }
        assert_eq!(full, header_lines, "{name}");
    }
}

#[test]
fn record_count_follows_the_line_rule() {
    for name in TEXTS {
        let t = text(name);
        let ls = lines(&t);
        let starts = ls
            .iter()
            .enumerate()
            .filter(|(i, l)| {
                *i == 0
                    || (l.len() >= 3 && l[0] == b'[' && l[2] == b']' && is_level_letter(l[1]))
                    || is_tip(l)
            })
            .count();
        assert_eq!(Records::new(&t).count(), starts, "{name}");
    }
}

#[test]
fn raw_and_level_only_records() {
    let t = text("i2_recovered_async_zlib.xlog.expected.log");
    let recs: Vec<Record<'_>> = Records::new(&t).collect();
    let first = &recs[0];
    assert!(first.bytes.starts_with(b"^^^^^^^^^^Jan 15 2024"));
    assert!(first.is_raw() && first.level().is_none());
    assert_eq!(first.bytes.iter().filter(|&&b| b == b'\n').count(), 1);
    let end_mmap = recs
        .iter()
        .find(|r| r.bytes.starts_with(b"~~~~~ end of mmap ~~~~~"))
        .expect("marker present");
    assert!(end_mmap.is_raw());
    assert_eq!(
        end_mmap.bytes,
        &b"~~~~~ end of mmap ~~~~~[26352,26352][2024-01-31 +0800 16:25:00]\n"[..]
    );
    assert!(recs.iter().any(|r| r.bytes == b"get mmap time: 17\n"));

    let t = text("j15_crypt_unknown_key.xlog.expected.log");
    let recs: Vec<Record<'_>> = Records::new(&t).collect();
    assert_eq!(recs.len(), 13);
    for r in &recs {
        assert!(r.bytes.starts_with(b"[F]decode_log_file.py"));
        assert_eq!(r.level(), Some(Level::Fatal));
        assert!(r.header.is_none());
    }
}

#[test]
fn pseudo_headers_are_level_only() {
    let t = b"[F][ sg_buffer_async.Length() >= 5*1024, err(1, 2)\n[F]log_size <= 5*1024, err(a, b)\n[F][ last log file:/tmp/x.xlog\n";
    let recs: Vec<Record<'_>> = Records::new(t).collect();
    assert_eq!(recs.len(), 3);
    for r in recs {
        assert_eq!(r.level, Some(Level::Fatal));
        assert!(r.header.is_none());
    }
}

fn find<'a>(t: &'a [u8], prefix: &[u8]) -> Record<'a> {
    Records::new(t)
        .find(|r| r.bytes.starts_with(prefix))
        .unwrap_or_else(|| panic!("no record {:?}", String::from_utf8_lossy(prefix)))
}

#[test]
fn fields_of_current_format_lines() {
    let t = text("b_async_zlib.xlog.expected.log");

    let r = find(&t, b"[D][2024-01-31 +8.0 10:02:11.601]");
    let h = r.header.expect("header");
    assert_eq!(r.level, Some(Level::Debug));
    assert_eq!(h.format, LineFormat::Current);
    assert_eq!(h.timestamp.raw, b"2024-01-31 +8.0 10:02:11.601");
    assert_eq!(
        h.timestamp.local.to_string(),
        "2024-01-31 10:02:11.601",
        "local time as written"
    );
    assert_eq!(h.timestamp.offset_minutes, Some(480));
    // 10:02:11.601 at +08:00 is 02:02:11.601 UTC.
    let utc = chrono::NaiveDate::from_ymd_opt(2024, 1, 31)
        .and_then(|d| d.and_hms_milli_opt(2, 2, 11, 601))
        .expect("valid")
        .and_utc()
        .timestamp_millis();
    assert_eq!(h.timestamp.utc_millis(), Some(utc));
    assert_eq!(
        h.timestamp.datetime().map(|d| d.to_rfc3339()),
        Some("2024-01-31T10:02:11.601+08:00".to_string())
    );
    assert_eq!((h.pid, h.tid, h.main_thread), (26289, 26293, false));
    assert_eq!(h.tag, b"TIMManager");
    assert_eq!(h.file, b"long_connection.cpp");
    assert_eq!(h.line, 1594);
    assert_eq!(h.func, b"-[V2TIMManager sendMessage:]");
    assert_eq!(h.message, b"packet cmd=openim.pbgetmsg len=52173 ret=-1");

    // Empty func, and a body that itself looks like a header.
    let r = find(&t, b"[I][2024-01-31 +8.0 10:05:16.829]");
    let h = r.header.expect("header");
    assert_eq!((h.pid, h.tid, h.main_thread), (26289, 26289, true));
    assert_eq!(h.tag, b"imsdk");
    assert_eq!(
        (h.file, h.line, h.func),
        (&b"login_manager.cpp"[..], 2950, &b""[..])
    );
    assert_eq!(
        h.message,
        &b"[E][2024-01-01 +8.0 00:00:00.000][1, 1*][fake][x.cc:1, f][this is message text, not a header"[..]
    );

    // Empty body.
    let r = find(&t, b"[V][2024-01-31 +8.0 10:02:32.158]");
    let h = r.header.expect("header");
    assert_eq!(h.func, b"-[V2TIMManager sendMessage:]");
    assert_eq!(h.message, b"");
    assert_eq!(r.bytes.last(), Some(&b'\n'));

    // A body with a trailing CR keeps it.
    let r = find(&t, b"[V][2024-01-31 +8.0 10:04:34.816]");
    let h = r.header.expect("header");
    assert_eq!(h.message, b"trailing spaces and CR\r");

    // Multi-line message: continuation lines belong to the record.
    let r = find(&t, b"[D][2024-01-31 +8.0 10:02:54.631]");
    let h = r.header.expect("header");
    assert_eq!(h.func, b"OnRecvNewMessage");
    assert_eq!(
        h.message,
        "multi-line message first line\n  second line: 第二行\n\tthird line with tab 🚀\nlast line"
            .as_bytes()
    );

    // A Java stack trace: 12 continuation lines.
    let r = find(&t, b"[E][2024-01-31 +8.0 10:05:56.255]");
    let h = r.header.expect("header");
    assert_eq!(h.func, b"operator()");
    assert_eq!(r.bytes.iter().filter(|&&b| b == b'\n').count(), 13);
    assert!(h.message.ends_with(b"method11(V2TIMManagerImpl.java:111)"));
}

#[test]
fn fields_of_older_formats() {
    let t = text("o_pre2021_linefmt_async_zlib.xlog.expected.log");
    let r = find(&t, b"[D][2024-01-31 +80 16:40:01.312]");
    let h = r.header.expect("header");
    assert_eq!(h.format, LineFormat::Legacy);
    assert_eq!(h.timestamp.offset_minutes, Some(480));
    assert_eq!((h.pid, h.tid, h.main_thread), (26326, 26326, true));
    assert_eq!(h.tag, b"msg_sync");
    assert_eq!(h.file, b"TIMManager.java");
    assert_eq!(h.func, b"-[V2TIMManager sendMessage:]");
    assert_eq!(h.line, 2886);
    assert_eq!(
        h.message,
        b"login state changed: LOGINING -> KICKED_OFFLINE, tinyid=934286291850467"
    );
    let r = find(&t, b"[W][2024-01-31 +80 16:40:05.035]");
    let h = r.header.expect("header");
    assert_eq!(
        (h.file, h.func, h.line),
        (&b"sync_worker.cc"[..], &b"operator()"[..], 1280)
    );

    let t = text("k_legacy_0x03_sync.xlog.expected.log");
    let r = find(&t, b"[V][2016-12-30 +8.0 10:00:00.043]");
    let h = r.header.expect("header");
    assert_eq!(h.format, LineFormat::Legacy);
    assert_eq!(
        (h.file, h.func, h.line),
        (&b"legacy_module.cpp"[..], &b"OnLegacyEvent"[..], 781)
    );
    assert_eq!(h.tag, b"IMCore");
    assert_eq!(h.message, b"multi\nline\nmessage | idx=2");
}

#[test]
fn offsets_and_instants_across_zones_and_dst() {
    let t = text("a2_sync_zlib_tz.xlog.expected.log");
    let h = find(&t, b"[W][2024-01-31 +5.5 11:20:00.057]")
        .header
        .expect("header");
    assert_eq!(h.timestamp.offset_minutes, Some(330));
    assert_eq!(
        h.timestamp.datetime().map(|d| d.to_rfc3339()),
        Some("2024-01-31T11:20:00.057+05:30".to_string())
    );

    // Europe/London, the night clocks go forward: 00:59:54.274 GMT then
    // 02:00:04.844 BST are 10.570 s apart, not 1 h.
    let t = text("b2_async_zlib_dst.xlog.expected.log");
    let a = find(&t, b"[V][2024-03-31 +0.0 00:59:54.274]")
        .header
        .expect("header");
    let b = find(&t, b"[I][2024-03-31 +1.0 02:00:04.844]")
        .header
        .expect("header");
    assert_eq!(
        (a.timestamp.offset_minutes, b.timestamp.offset_minutes),
        (Some(0), Some(60))
    );
    let d = b.timestamp.utc_millis().expect("offset") - a.timestamp.utc_millis().expect("offset");
    assert_eq!(d, 10_570);
    assert_eq!(
        b.timestamp.local_millis() - a.timestamp.local_millis(),
        3_600_000 + 10_570
    );
}

#[test]
fn hand_written_variants() {
    let cases: [(&str, i32, LineFormat, &str, &str); 5] = [
        (
            "[I][2024-01-31 -4.0 10:02:11.123][1, 2][][a.cc:12, ][x\n",
            -240,
            LineFormat::Current,
            "",
            "x",
        ),
        (
            "[I][2024-01-31 +-40 10:02:11.123][1, 2][t][a.cc, , 12][x][y\n",
            -240,
            LineFormat::Legacy,
            "",
            "x][y",
        ),
        (
            "[I][2024-01-31 +-5.0 10:02:11.123][1, 2][t][a.cc, f, g, 12][x\n",
            -300,
            LineFormat::Legacy,
            "f, g",
            "x",
        ),
        (
            "[I][2024-01-31 0 10:02:11.123][1, 2][t][a.cc, operator[], 7][b\n",
            0,
            LineFormat::Legacy,
            "operator[]",
            "b",
        ),
        (
            "[E][2024-01-31 +5.5 10:02:11.123][1, 2*][t][a.cc:7, operator[]][b][c",
            330,
            LineFormat::Current,
            "operator[]",
            "b][c",
        ),
    ];
    for (line, off, fmt, func, msg) in cases {
        let r = Record::parse(line.as_bytes());
        let h = r.header.unwrap_or_else(|| panic!("{line}"));
        assert_eq!(h.timestamp.offset_minutes, Some(off), "{line}");
        assert_eq!(h.format, fmt, "{line}");
        assert_eq!(h.func, func.as_bytes(), "{line}");
        assert_eq!(h.message, msg.as_bytes(), "{line}");
        assert_eq!(h.file, b"a.cc", "{line}");
    }
    // Broken headers keep their level but have no fields.
    for line in [
        "[I][2024-01-31 +8.0 10:02:11][1, 2][t][a.cc:1, f][x\n",
        "[I][2024-01-31 +8.0 10:02:11.123][1 2][t][a.cc:1, f][x\n",
        "[I][2024-13-31 +8.0 10:02:11.123][1, 2][t][a.cc:1, f][x\n",
        "[I][2024-01-31 +8.0 10:02:11.123][1, 2][t][a.cc, f][x\n",
    ] {
        let r = Record::parse(line.as_bytes());
        assert_eq!(r.level, Some(Level::Info), "{line}");
        assert!(r.header.is_none(), "{line}");
    }
}

fn split_in_chunks(t: &[u8], size: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut sp = RecordSplitter::new();
    for c in t.chunks(size) {
        sp.push(c, |r| {
            out.push(owned(&r));
            Ok::<(), ()>(())
        })
        .expect("no error");
        // Only the open record is held back.
        assert!(sp.buffered() <= t.len());
    }
    sp.finish(|r| {
        out.push(owned(&r));
        Ok::<(), ()>(())
    })
    .expect("no error");
    out
}

#[test]
fn splitter_matches_one_shot_iterator() {
    for name in TEXTS {
        let t = text(name);
        let want: Vec<String> = Records::new(&t).map(|r| owned(&r)).collect();
        for size in [1, 7, 4096, t.len().max(1)] {
            if size == 1 && t.len() > 120_000 {
                continue; // byte-at-a-time is covered by the smaller texts
            }
            assert_eq!(split_in_chunks(&t, size), want, "{name} chunk {size}");
        }
    }
}

#[test]
fn splitter_edge_cases() {
    let cases: [&[u8]; 8] = [
        b"",
        b"\n",
        b"garbage\nmore\n[I]x\n",
        b"[I][2024-01-31 +8.0 10:02:11.123][1, 2][t][a.cc:1, f][x\ncont\n[E]y",
        b"a\n[D]",
        b"a\n[D",
        b"[W]\n\n\n",
        b"x\nMARS_URL: \n\t[E]not a start\n[E]start",
    ];
    for t in cases {
        let want: Vec<String> = Records::new(t).map(|r| owned(&r)).collect();
        let joined: Vec<u8> = Records::new(t).flat_map(|r| r.bytes.to_vec()).collect();
        assert_eq!(joined, t);
        for size in 1..=t.len().max(1) {
            assert_eq!(
                split_in_chunks(t, size),
                want,
                "{:?} chunk {size}",
                String::from_utf8_lossy(t)
            );
        }
    }
    assert_eq!(Records::new(b"a\n[D]").count(), 2);
    assert_eq!(Records::new(b"a\n[D").count(), 1);
}

#[test]
fn splitter_holds_only_the_open_record() {
    let t = text("b_async_zlib.xlog.expected.log");
    let longest = Records::new(&t)
        .map(|r| r.bytes.len())
        .max()
        .expect("records");
    let mut sp = RecordSplitter::new();
    let mut max_buf = 0;
    for c in t.chunks(4096) {
        sp.push(c, |_| Ok::<(), ()>(())).expect("no error");
        max_buf = max_buf.max(sp.buffered());
    }
    // Only a prefix of the open record is ever held.
    assert!(max_buf <= longest, "{max_buf} > {longest}");
    assert!(max_buf > 0);
}

#[test]
fn splitter_stops_on_callback_error() {
    let t = b"[I]a\n[I]b\n[I]c\n";
    let mut sp = RecordSplitter::new();
    let mut seen = 0;
    let r = sp.push(t, |_| {
        seen += 1;
        if seen == 2 { Err("stop") } else { Ok(()) }
    });
    assert_eq!(r, Err("stop"));
    assert_eq!(seen, 2);
}

mod prop {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn random_chunking_is_invisible(cuts in proptest::collection::vec(0usize..36_000, 0..40)) {
            let t = text("k_legacy_0x03_sync.xlog.expected.log");
            let want: Vec<String> = Records::new(&t).map(|r| owned(&r)).collect();
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (t.len() + 1)).collect();
            cuts.push(0);
            cuts.push(t.len());
            cuts.sort_unstable();
            let mut got = Vec::new();
            let mut sp = RecordSplitter::new();
            for w in cuts.windows(2) {
                sp.push(&t[w[0]..w[1]], |r| { got.push(owned(&r)); Ok::<(), ()>(()) }).expect("ok");
            }
            sp.finish(|r| { got.push(owned(&r)); Ok::<(), ()>(()) }).expect("ok");
            prop_assert_eq!(got, want);
        }
    }
}

/// Every `*.expected.log` under `$XLOGDEC_CORPUS` (e.g. the shared corpus):
/// round trip, and every `[L][20` line has a full header. Run with
/// `XLOGDEC_CORPUS=/path cargo test -- --ignored`.
#[test]
#[ignore = "needs XLOGDEC_CORPUS pointing at a corpus directory"]
fn whole_corpus_from_env() {
    fn walk(dir: &std::path::Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).expect("readable corpus dir") {
            let p = e.expect("dir entry").path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.to_string_lossy().ends_with(".log") {
                out.push(p);
            }
        }
    }
    let dir = std::env::var_os("XLOGDEC_CORPUS").expect("set XLOGDEC_CORPUS");
    let mut files = Vec::new();
    walk(std::path::Path::new(&dir), &mut files);
    assert!(!files.is_empty());
    for f in files {
        let t = std::fs::read(&f).expect("readable");
        let mut joined = Vec::new();
        let mut full = 0;
        for r in Records::new(&t) {
            joined.extend_from_slice(r.bytes);
            if looks_like_header(r.bytes) {
                assert!(
                    r.header.is_some(),
                    "{}: {:?}",
                    f.display(),
                    String::from_utf8_lossy(r.bytes)
                );
                full += 1;
            }
        }
        assert!(joined == t, "{}", f.display());
        let want = lines(&t).iter().filter(|l| looks_like_header(l)).count();
        assert_eq!(full, want, "{}", f.display());
    }
}

// ---------------------------------------------------------------- filters

use chrono::{DateTime, FixedOffset, NaiveDateTime};
use xlogdec::select::filter::{Filter, FilterError, FilterOptions};

/// Header fields read by a plain regex over lines, independently of the parser.
struct Line {
    level: u8,
    local: String, // "2024-01-31 10:02:11.123"
    utc: NaiveDateTime,
    pid: i64,
    tid: i64,
    main: bool,
    tag: String,
    /// The header line plus its continuation lines, as text.
    text: String,
}

fn scan(t: &[u8]) -> Vec<Line> {
    let re = regex::bytes::Regex::new(
        r"^\[([VDIWEF])\]\[(\d{4}-\d\d-\d\d) ([-+][0-9.]+) (\d\d:\d\d:\d\d\.\d\d\d)\]\[(\d+), (\d+)(\*?)\]\[([^\]]*)\]",
    )
    .expect("valid");
    let mut out: Vec<Line> = Vec::new();
    for l in lines(t) {
        if let Some(c) = re.captures(l) {
            let s = |i: usize| String::from_utf8_lossy(&c[i]).into_owned();
            let local = format!("{} {}", s(2), s(4));
            let naive =
                NaiveDateTime::parse_from_str(&local, "%Y-%m-%d %H:%M:%S%.3f").expect("time");
            let hours: f64 = s(3).parse().expect("hours offset in this corpus");
            let utc = naive - chrono::TimeDelta::minutes((hours * 60.0).round() as i64);
            out.push(Line {
                level: c[1][0],
                local,
                utc,
                pid: s(5).parse().expect("pid"),
                tid: s(6).parse().expect("tid"),
                main: &c[7] == b"*",
                tag: s(8),
                text: String::from_utf8_lossy(l).into_owned(),
            });
        } else if let Some(last) = out.last_mut() {
            let raw_start =
                looks_like_header(l) || is_tip(l) || (l.len() >= 3 && l[0] == b'[' && l[2] == b']');
            if !raw_start {
                last.text.push_str(&String::from_utf8_lossy(l));
            }
        }
    }
    out
}

fn now() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2024-01-31T10:05:00+08:00").expect("valid")
}

fn filter(opts: FilterOptions) -> Filter {
    Filter::new(&opts, now()).expect("valid options")
}

/// Records passing `f`, after checking they come out in input order as
/// untouched slices of the input (a subsequence).
fn passing<'a>(t: &'a [u8], f: &Filter) -> Vec<Record<'a>> {
    let mut last_end = 0;
    let mut out = Vec::new();
    for r in Records::new(t).filter(|r| f.matches(r)) {
        let off = r.bytes.as_ptr() as usize - t.as_ptr() as usize;
        assert!(off >= last_end, "out of order");
        assert_eq!(&t[off..off + r.bytes.len()], r.bytes);
        last_end = off + r.bytes.len();
        out.push(r);
    }
    out
}

fn count(t: &[u8], opts: FilterOptions) -> usize {
    passing(t, &filter(opts)).len()
}

#[test]
fn empty_filter_passes_everything_raw_included() {
    let t = text("i2_recovered_async_zlib.xlog.expected.log");
    let f = filter(FilterOptions::default());
    assert!(f.is_empty());
    assert_eq!(passing(&t, &f).len(), Records::new(&t).count());
    assert!(
        !filter(FilterOptions {
            main_thread: true,
            ..Default::default()
        })
        .is_empty()
    );
}

#[test]
fn level_filter_counts_records_not_lines() {
    for name in TEXTS {
        let t = text(name);
        let ls = scan(&t);
        for (lvl, letters) in [
            ("E", &b"EF"[..]),
            ("warning", b"WEF"),
            ("v", b"VDIWEF"),
            ("FATAL", b"F"),
        ] {
            let want = ls.iter().filter(|l| letters.contains(&l.level)).count();
            let got = count(
                &t,
                FilterOptions {
                    level: Some(lvl.into()),
                    ..Default::default()
                },
            );
            assert_eq!(got, want, "{name} level {lvl}");
        }
    }
    // Multi-line records: k_legacy has 190 lines but fewer records.
    let t = text("k_legacy_0x03_sync.xlog.expected.log");
    let all = count(
        &t,
        FilterOptions {
            level: Some("V".into()),
            ..Default::default()
        },
    );
    assert_eq!(all, scan(&t).len());
    assert!(all < lines(&t).len());
}

#[test]
fn raw_and_marker_records_fail_a_filter() {
    // j16 holds one `[F]decode_log_file.py` marker: it is level F but no header.
    let t = text("j16_crypt_flip_payload.xlog.expected.log");
    let fatal_lines = lines(&t)
        .iter()
        .filter(|l| l.starts_with(b"[F][20"))
        .count();
    let markers = lines(&t)
        .iter()
        .filter(|l| l.starts_with(b"[F]decode_log_file.py"))
        .count();
    assert_eq!(markers, 1);
    assert_eq!(
        count(
            &t,
            FilterOptions {
                level: Some("F".into()),
                ..Default::default()
            }
        ),
        fatal_lines
    );
    let t = text("n_open_close_only.xlog.expected.log");
    assert_eq!(
        count(
            &t,
            FilterOptions {
                level: Some("V".into()),
                ..Default::default()
            }
        ),
        0
    );
    assert_eq!(
        count(
            &t,
            FilterOptions {
                regex: Some("MARS".into()),
                ..Default::default()
            }
        ),
        0
    );
}

#[test]
fn tag_pid_tid_main_thread_filters() {
    let t = text("b_async_zlib.xlog.expected.log");
    let ls = scan(&t);
    let n = |p: &dyn Fn(&Line) -> bool| ls.iter().filter(|l| p(l)).count();
    let tags = |v: &[&str]| FilterOptions {
        tags: v.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    };

    assert_eq!(count(&t, tags(&["imsdk"])), n(&|l| l.tag == "imsdk"));
    assert!(n(&|l| l.tag == "imsdk") > 0);
    assert_eq!(count(&t, tags(&["T*"])), n(&|l| l.tag.starts_with('T')));
    assert_eq!(count(&t, tags(&["*a*"])), n(&|l| l.tag.contains('a')));
    assert_eq!(count(&t, tags(&["gr?up"])), n(&|l| l.tag == "group"));
    assert_eq!(
        count(&t, tags(&["login", "group"])),
        n(&|l| l.tag == "login" || l.tag == "group")
    );
    assert_eq!(count(&t, tags(&["IMSDK"])), 0);

    let main = n(&|l| l.main);
    assert!(main > 0 && main < ls.len());
    assert_eq!(
        count(
            &t,
            FilterOptions {
                main_thread: true,
                ..Default::default()
            }
        ),
        main
    );
    assert_eq!(
        count(
            &t,
            FilterOptions {
                tid: Some(26292),
                ..Default::default()
            }
        ),
        n(&|l| l.tid == 26292)
    );
    assert_eq!(
        count(
            &t,
            FilterOptions {
                pid: Some(26289),
                ..Default::default()
            }
        ),
        ls.len()
    );

    let t = text("i2_recovered_async_zlib.xlog.expected.log");
    let ls = scan(&t);
    for pid in [26349, 26352] {
        let want = ls.iter().filter(|l| l.pid == pid).count();
        assert!(want > 0);
        assert_eq!(
            count(
                &t,
                FilterOptions {
                    pid: Some(pid),
                    ..Default::default()
                }
            ),
            want
        );
    }
}

#[test]
fn time_filters() {
    let t = text("b_async_zlib.xlog.expected.log");
    let ls = scan(&t);
    let between = |lo: &str, hi: &str| {
        ls.iter()
            .filter(|l| l.local.as_str() >= lo && l.local.as_str() <= hi)
            .count()
    };
    let win = |since: Option<&str>, until: Option<&str>| {
        count(
            &t,
            FilterOptions {
                since: since.map(Into::into),
                until: until.map(Into::into),
                ..Default::default()
            },
        )
    };
    let want = between("2024-01-31 10:03:00.000", "2024-01-31 10:04:30.000");
    assert!(want > 0 && want < ls.len());
    assert_eq!(win(Some("10:03"), Some("10:04:30")), want);
    assert_eq!(
        win(Some("2024-01-31 10:03"), Some("2024-01-31T10:04:30")),
        want
    );
    // The same window as instants: 02:03 UTC is 10:03 at +8.
    assert_eq!(
        win(Some("2024-01-31 02:03Z"), Some("2024-01-31 10:04:30+08:00")),
        want
    );
    // Relative to now = 10:05 +08:00.
    assert_eq!(
        win(Some("-2m"), None),
        between("2024-01-31 10:03:00.000", "9")
    );
    assert_eq!(win(None, Some("-1h")), 0);
    assert_eq!(win(Some("-1d"), None), ls.len());
    // A time of day in another offset: 04:03 at +02:00 is 10:03 at +08:00.
    assert_eq!(
        win(Some("04:03+02:00"), None),
        between("2024-01-31 10:03:00.000", "9")
    );

    // Across DST (Europe/London): compare instants, read from the text independently.
    let t = text("b2_async_zlib_dst.xlog.expected.log");
    let ls = scan(&t);
    let cut =
        NaiveDateTime::parse_from_str("2024-03-31 01:00:05", "%Y-%m-%d %H:%M:%S").expect("valid");
    let want = ls.iter().filter(|l| l.utc <= cut).count();
    assert!(want > 0 && want < ls.len());
    assert_eq!(
        count(
            &t,
            FilterOptions {
                until: Some("2024-03-31 01:00:05Z".into()),
                ..Default::default()
            }
        ),
        want
    );
    // The same bound as a wall-clock time compares with the local text instead.
    let want_local = ls
        .iter()
        .filter(|l| l.local.as_str() <= "2024-03-31 01:00:05.000")
        .count();
    assert_ne!(want, want_local);
    assert_eq!(
        count(
            &t,
            FilterOptions {
                until: Some("2024-03-31 01:00:05".into()),
                ..Default::default()
            }
        ),
        want_local
    );
}

#[test]
fn regex_filters_see_whole_records() {
    let t = text("b_async_zlib.xlog.expected.log");
    let ls = scan(&t);
    let re = |p: &str, ic: bool, inv: bool| {
        count(
            &t,
            FilterOptions {
                regex: Some(p.into()),
                ignore_case: ic,
                invert: inv,
                ..Default::default()
            },
        )
    };
    // "second line" appears only on continuation lines.
    let second = lines(&t)
        .iter()
        .filter(|l| l.starts_with("  second line".as_bytes()))
        .count();
    assert!(second > 0);
    assert_eq!(re("second line: 第二行", false, false), second);
    assert_eq!(re("(?s)first line.*last line", false, false), second);
    let stack = ls
        .iter()
        .filter(|l| l.text.contains("V2TIMManagerImpl.method11("))
        .count();
    assert!(stack > 0);
    assert_eq!(re(r"method11\(", false, false), stack);

    let hb = ls
        .iter()
        .filter(|l| l.text.contains("heartbeat rtt"))
        .count();
    assert!(hb > 0);
    assert_eq!(re("HEARTBEAT RTT", false, false), 0);
    assert_eq!(re("HEARTBEAT RTT", true, false), hb);
    assert_eq!(re("heartbeat rtt", false, true), ls.len() - hb);
    // The regex sees the message only, not the header.
    assert!(ls.iter().any(|l| l.text.contains("[26289, 26293]")));
    assert_eq!(re(r"26289, 26293\]", false, false), 0);
    let bracket_body = ls.iter().filter(|l| l.text.contains("][[")).count();
    assert!(bracket_body > 0);
    assert_eq!(re(r"^\[", false, false), bracket_body);
    // Invalid UTF-8 bodies (j06) do not stop matching.
    let t6 = text("j06_bad_length_field.xlog.expected.log");
    let ls6 = scan(&t6);
    let idx = ls6.iter().filter(|l| l.text.contains("idx=")).count();
    assert_eq!(
        count(
            &t6,
            FilterOptions {
                regex: Some("idx=".into()),
                ..Default::default()
            }
        ),
        idx
    );
}

#[test]
fn combined_filters_are_and() {
    let t = text("b_async_zlib.xlog.expected.log");
    let ls = scan(&t);
    let want = ls
        .iter()
        .filter(|l| {
            b"WEF".contains(&l.level)
                && l.tag.starts_with("TIM")
                && l.main
                && l.text.contains("idx=")
        })
        .count();
    assert!(want > 0);
    let got = count(
        &t,
        FilterOptions {
            level: Some("w".into()),
            tags: vec!["TIM*".into()],
            main_thread: true,
            regex: Some("idx=".into()),
            ..Default::default()
        },
    );
    assert_eq!(got, want);
    let want = ls
        .iter()
        .filter(|l| l.level == b'E' || l.level == b'F')
        .filter(|l| {
            l.tid == 26293
                && l.local.as_str() >= "2024-01-31 10:04:00.000"
                && !l.text.contains("user=")
        })
        .count();
    let got = count(
        &t,
        FilterOptions {
            level: Some("error".into()),
            tid: Some(26293),
            since: Some("10:04".into()),
            regex: Some("user=".into()),
            invert: true,
            ..Default::default()
        },
    );
    assert_eq!(got, want);
}

#[test]
fn bad_inputs_name_the_offending_text() {
    let err = |o: FilterOptions| Filter::new(&o, now()).expect_err("must fail");
    let e = err(FilterOptions {
        level: Some("chatty".into()),
        ..Default::default()
    });
    assert!(
        matches!(e, FilterError::Level(_)) && e.to_string().contains("chatty"),
        "{e}"
    );
    let e = err(FilterOptions {
        since: Some("tomorrow-ish".into()),
        ..Default::default()
    });
    assert!(
        matches!(&e, FilterError::Time(s) if s == "tomorrow-ish"),
        "{e}"
    );
    let e = err(FilterOptions {
        until: Some("24:61".into()),
        ..Default::default()
    });
    assert!(e.to_string().contains("24:61"), "{e}");
    let e = err(FilterOptions {
        regex: Some("a{2".into()),
        ..Default::default()
    });
    assert!(
        matches!(&e, FilterError::Regex { pattern, .. } if pattern == "a{2"),
        "{e}"
    );
}
