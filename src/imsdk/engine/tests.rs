use super::*;
use crate::imsdk::sink::DiagnoseSink;

/// The digits written directly give what `format!` gives, for any
/// time (leap seconds and years past four digits included).
#[test]
fn time_text_writes_what_format_writes() {
    let finding = |t: NaiveDateTime| Finding {
        kind: Kind::Error,
        time: Some(t),
        offset_minutes: Some(-90),
        line: 1,
        record: 1,
        code: None,
        name: None,
        meaning: None,
        advice: None,
        confidence: Confidence::Seen,
        evidence: String::new(),
        attrs: Vec::new(),
    };
    let day = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
    for t in [
        day(2024, 3, 12).and_hms_milli_opt(9, 5, 7, 31).unwrap(),
        day(1, 1, 1).and_hms_milli_opt(0, 0, 0, 0).unwrap(),
        day(9999, 12, 31)
            .and_hms_milli_opt(23, 59, 59, 999)
            .unwrap(),
        day(2016, 12, 31)
            .and_hms_milli_opt(23, 59, 59, 1500)
            .unwrap(),
        day(12345, 6, 7).and_hms_milli_opt(1, 2, 3, 4).unwrap(),
        day(-44, 3, 15).and_hms_milli_opt(12, 0, 0, 0).unwrap(),
    ] {
        let f = finding(t);
        use chrono::{Datelike, Timelike};
        let want = format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03}",
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            t.nanosecond() / 1_000_000 % 1000
        );
        assert_eq!(f.time_text().unwrap(), want, "{t:?}");
    }
    let f = finding(day(2024, 3, 12).and_hms_milli_opt(9, 5, 7, 31).unwrap());
    assert_eq!(f.ts().unwrap(), "2024-03-12T09:05:07.031-01:30");
}

fn tim(time: &str, func: &str, msg: &str) -> String {
    format!("TIM: 2024-03-12 {time} I 100-101     |-x.cpp:1    {func:<40}|{msg}\n")
}

fn run(text: &str, chunk: usize) -> (Vec<Finding>, Summary, u64) {
    run_with(text, chunk, How::Inline)
}

/// How a test feeds the sink.
#[derive(Clone, Copy, PartialEq)]
enum How {
    /// Everything on the caller's thread.
    Inline,
    /// Through the sink's scanner thread.
    Threaded,
    /// As the decoder's workers do: each chunk a block picked by the
    /// sink's hook, but every third chunk plain text (to the thread) and
    /// every fifth a block the worker did not work on.
    Hooked,
}

fn run_with(text: &str, chunk: usize, how: How) -> (Vec<Finding>, Summary, u64) {
    let pieces: Vec<&[u8]> = text.as_bytes().chunks(chunk).collect();
    run_pieces(&pieces, how)
}

fn run_pieces(pieces: &[&[u8]], how: How) -> (Vec<Finding>, Summary, u64) {
    use crate::decode::ahead::Worked;
    use crate::decode::event::Sink;
    let mut found = Vec::new();
    let (summary, lines) = {
        let on = |f: &Finding| {
            found.push(f.clone());
            Ok(())
        };
        let rules = Arc::new(RuleSet::builtin());
        let mut sink = match how {
            How::Inline => DiagnoseSink::new(rules, on),
            How::Threaded | How::Hooked => DiagnoseSink::threaded(rules, on),
        };
        let hook = sink.hook();
        assert_eq!(hook.is_some(), how != How::Inline);
        let mut worker = hook.as_ref().map(|h| h.worker());
        let mut results = hook.as_ref().map(|h| h.results());
        for (i, &piece) in pieces.iter().enumerate() {
            match (&mut worker, &mut results) {
                (Some(w), Some(r)) if how == How::Hooked && i % 3 != 2 => {
                    r.clear();
                    if i % 5 != 4 {
                        w.work(piece, &mut **r);
                    }
                    r.end_block();
                    let worked = Worked {
                        results: &**r,
                        block: 0,
                    };
                    sink.worked_text(piece, worked).unwrap();
                }
                _ => sink.text(piece).unwrap(),
            }
        }
        let s = sink.end().unwrap().clone();
        (s, sink.lines())
    };
    (found, summary, lines)
}

#[test]
fn a_silent_connection_while_logged_in_is_a_gap_and_unknown_codes_say_so() {
    let mut t = String::from(
        "^^^^^^^^^^Dec 10 2021^^^15:15:13^^^^^^^^^^[100,100][2024-03-12 +0800 10:00:00]\n",
    );
    t += "TIM: ======  SDK Version: 8.1.1\n";
    t += &tim(
        "10:00:01.000",
        "LogRequestEnd",
        "Login success|error_code:0 error_message:OK|userid:u1",
    );
    t += &tim(
        "10:00:01.100",
        "StartHeartbeat",
        "start heartbeat with interval 60s",
    );
    t += &tim(
        "10:01:01.000",
        "HandleHeartbeatResponse",
        "receive heartbeat response|heartbeat_interval:60",
    );
    t += &tim("10:02:59.000", "HandleNewMessage", "message_source:c2c");
    t += &tim("10:03:02.000", "HandleNewMessage", "message_source:c2c");
    t += &tim("10:03:04.000", "HandleNewMessage", "message_source:c2c");
    t += &tim(
        "10:03:05.000",
        "HandleHeartbeatResponse",
        "heartbeat_interval:60",
    );
    t += &tim(
        "10:04:00.000",
        "SomethingNew",
        "error_code:424242|error_message:x",
    );
    t += &tim(
        "10:04:30.000",
        "LogRequestEnd",
        "Logout success|error_code:0 error_message:OK",
    );
    // Logged out: silence is no gap.
    t += &tim("11:11:00.000", "HandleNewMessage", "message_source:c2c");
    let (found, summary, lines) = run(&t, 37);
    assert_eq!(lines, 12);
    let kinds: Vec<Kind> = found.iter().map(|f| f.kind).collect();
    assert_eq!(
        kinds,
        [
            Kind::Session,
            Kind::Login,
            Kind::Gap,
            Kind::Error,
            Kind::Logout
        ]
    );
    let gap = &found[2];
    // Reported on the first line the lens reads past twice the
    // interval: the response that ends the silence (the messages in
    // between name nothing a rule knows).
    assert_eq!(gap.line, 9);
    assert_eq!(gap.attr("silent_for"), Some("124"));
    assert_eq!(gap.attr("interval"), Some("60"));
    let err = &found[3];
    assert_eq!(err.code, Some(424242));
    assert_eq!(err.name, None);
    assert!(
        err.meaning
            .as_deref()
            .unwrap()
            .starts_with("unknown code 424242")
    );
    assert_eq!(summary.gaps, 1);
    assert_eq!(summary.logouts, 1);
    assert_eq!(
        found[0].ts().as_deref(),
        Some("2024-03-12T10:00:00.000+08:00")
    );
    assert_eq!(found[0].attr("sdk_version"), Some("8.1.1"));
}

#[test]
fn a_busy_day_gives_the_same_timeline_whatever_the_chunking() {
    // A day of 150,000 lines: one session's lines repeated.
    let mut day = String::from(
        "^^^^^^^^^^Dec 10 2021^^^15:15:13^^^^^^^^^^[100,100][2024-03-12 +0800 10:00:00]\n",
    );
    day += &tim(
        "10:00:01.000",
        "LogRequestEnd",
        "Login success|error_code:0 error_message:OK|userid:u1",
    );
    let mut n = 2;
    while n < 150_000 {
        day += &tim(
            "10:00:02.000",
            "SendMessageComplete",
            "error code:0|error message:Success|message:",
        );
        day += "message_type:c2c|message_sub_type:0x0\n";
        day += &tim(
            "10:00:02.000",
            "SendMessageComplete",
            "error code:8001|error message:too big|message:",
        );
        day += "\n";
        n += 4;
    }
    let (a, sa, la) = run(&day, 1 << 20);
    let (b, sb, lb) = run(&day, 4093);
    assert_eq!(la, n as u64);
    assert_eq!((la, &sa), (lb, &sb));
    assert_eq!(a, b);
    // The scanner on a thread of its own gives the same, and so do the
    // decoder's workers.
    for how in [How::Threaded, How::Hooked] {
        let (c, sc, lc) = run_with(&day, 7919, how);
        assert_eq!((lc, &sc), (la, &sa));
        assert!(c == a);
    }
    assert_eq!(sa.send_failed, vec![(8001, (n as u64 - 2) / 4)]);
    assert_eq!(a.last().unwrap().line, n as u64 - 1);
}

#[test]
fn the_json_writer_writes_what_to_json_builds() {
    let mut t = String::from(
        "^^^^^^^^^^Dec 10 2021^^^15:15:13^^^^^^^^^^[100,100][2024-03-12 -0330 10:00:00]\n",
    );
    t += &tim(
        "10:00:01.000",
        "LogRequestEnd",
        "Login failed|error_code:70001 error_message:\"x\"|userid:u\\1",
    );
    t += &tim(
        "10:00:02.000",
        "Connect",
        "channel connect|server address:1.2.3.4:443(tcp)",
    );
    t += &tim(
        "10:00:03.000",
        "NotifyConnectResult",
        "error_code:9508|server address:1.2.3.4:443(tcp)",
    );
    t += &tim("10:00:04.000", "X", "error_code:1234567");
    let (found, _, _) = run(&t, 64);
    assert_eq!(found.len(), 4);
    for f in &found {
        let mut out = Vec::new();
        f.write_json(&mut out, "a \"b\".xlog").unwrap();
        let parsed: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(parsed, f.to_json("a \"b\".xlog"));
    }
    assert_eq!(
        found[1].ts().as_deref(),
        Some("2024-03-12T10:00:01.000-03:30")
    );
    assert_eq!(found[2].to_json("f")["attempt"], 1);
}

#[test]
fn a_giant_line_keeps_the_line_numbers() {
    let mut t = "x".repeat(3 * crate::imsdk::sink::MAX_PIECE);
    t.push('\n');
    t += &tim(
        "10:00:01.000",
        "CheckInit",
        "error_code:6013|error_message:sdk not init",
    );
    let (found, _, lines) = run(&t, 1000);
    assert_eq!(lines, 2);
    assert_eq!(found.last().unwrap().line, 2);
    assert_eq!(found.last().unwrap().code, Some(6013));
}

/// The lines a block boundary cuts are mended, whoever picked the blocks:
/// the IM SDK days give the same timeline fed whole, and fed in blocks
/// cut anywhere (picked by the workers' hook, by the sink's thread, or
/// not at all).
#[test]
fn blocks_cut_anywhere_give_the_timeline_of_the_whole_text() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/imsdk");
    let mut days = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if !path.to_string_lossy().ends_with(".expected.log") {
            continue;
        }
        days += 1;
        let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
        let (want, summary, lines) = run(&text, text.len());
        assert!(want.len() > 5, "{}: findings", path.display());
        for chunk in [7, 97, 4096] {
            for how in [How::Inline, How::Threaded, How::Hooked] {
                let (got, s, l) = run_with(&text, chunk, how);
                assert_eq!((l, &s), (lines, &summary), "{}", path.display());
                assert!(got == want, "{} in {chunk}-byte blocks", path.display());
            }
        }
    }
    assert!(days >= 4);
    // A block that starts inside a line, with what would start a record.
    let line = tim(
        "10:00:01.000",
        "CheckInit",
        "error_code:6013|error_message:x",
    );
    let glued = format!("glued {line}{line}");
    let (want, _, _) = run(&glued, glued.len());
    assert_eq!(want.iter().map(|f| f.line).collect::<Vec<_>>(), [2, 2]);
    let (a, b) = glued.as_bytes().split_at(6);
    for how in [How::Inline, How::Threaded, How::Hooked] {
        let (got, _, lines) = run_pieces(&[a, b], how);
        assert_eq!(lines, 2);
        assert!(got == want, "the glued line is one line");
    }
}

#[test]
fn numbers_are_written_as_to_string_writes_them() {
    for n in [0, 7, -5, 1_000_000, i64::MIN, i64::MAX] {
        let mut s = String::from("x");
        push_int(&mut s, n);
        assert_eq!(s, format!("x{n}"));
    }
    let mut s = String::new();
    push_uint(&mut s, u64::MAX);
    assert_eq!(s, u64::MAX.to_string());
}

/// The word-at-a-time test agrees with the byte-at-a-time one, wherever
/// the byte that needs an escape sits.
#[test]
fn strings_needing_no_json_escape_are_told_apart() {
    let naive = |v: &[u8]| v.iter().all(|&c| c >= 0x20 && c != b'"' && c != b'\\');
    let base = "héllo wörld, a plain line: 0123456789 ~!@#$%^&*()".as_bytes();
    assert!(super::finding::plain_json(base));
    for special in [
        0u8, 0x1f, b'\t', b'\n', b'"', b'\\', 0x20, 0x7f, 0x80, 0xff, b'!', b'#', b']',
    ] {
        for at in 0..base.len() {
            let mut v = base.to_vec();
            v[at] = special;
            assert_eq!(
                super::finding::plain_json(&v),
                naive(&v),
                "{special:#x} at {at}"
            );
        }
    }
    assert!(super::finding::plain_json(b""));
}
