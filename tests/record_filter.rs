//! Record splitting/parsing and filters, checked against the decoded corpus
//! texts in `testdata/text/` (byte-exact outputs of Mars's official decoder).

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

/// The writer's header-less lines, spelled out from docs/xlog-format.md 7.1.
fn is_tip(line: &[u8]) -> bool {
    [
        &b"^^^^^^^^^^"[..],
        b"$$$$$$$$$$",
        b"~~~~~ ",
        b"get mmap time: ",
        b"MARS_",
        b"log appender mode:",
        b"log dir space info, ",
        b"cache dir space info, ",
    ]
    .iter()
    .any(|p| line.starts_with(p))
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
