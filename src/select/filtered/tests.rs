use super::*;
use crate::decode::event::SeqGap;
use crate::select::filter::FilterOptions;
use chrono::DateTime;
use regex::bytes::RegexBuilder;

/// Keeps record bytes and event names.
#[derive(Default)]
struct Log(Vec<String>);

impl RecordSink for Log {
    fn record(&mut self, rec: &Record<'_>) -> io::Result<()> {
        self.0.push(String::from_utf8_lossy(rec.bytes).into_owned());
        Ok(())
    }
    fn event(&mut self, event: &Event<'_>) -> io::Result<()> {
        let name = match event {
            Event::Block(_) => "block",
            Event::SeqGap(_) => "gap",
            _ => "other",
        };
        self.0.push(name.into());
        Ok(())
    }
    fn finish(&mut self, _summary: &Summary) -> io::Result<()> {
        self.0.push("finish".into());
        Ok(())
    }
    fn record_rest(&mut self, _: Option<Level>, bytes: &[u8], _: bool) -> io::Result<()> {
        let piece = String::from_utf8_lossy(bytes);
        self.0.last_mut().expect("a first piece").push_str(&piece);
        Ok(())
    }
}

fn filter(level: &str) -> Filter {
    let now = DateTime::parse_from_rfc3339("2024-01-31T12:00:00+08:00").expect("valid");
    Filter::new(
        &FilterOptions {
            level: Some(level.into()),
            ..Default::default()
        },
        now,
    )
    .expect("valid filter")
}

const E1: &str = "[E][2024-01-31 +8.0 10:00:00.000][1, 2*][t][a.cc:1, f][boom\n";
const I1: &str = "[I][2024-01-31 +8.0 10:00:01.000][1, 2*][t][a.cc:1, f][fine\n";

#[test]
fn records_pass_whole_and_events_keep_their_place() {
    let mut s = FilterSink::new(Log::default(), filter("W"));
    let first = format!("banner\n{E1}  more\n{}", &I1[..20]);
    s.event(&Event::Text(first.as_bytes())).expect("ok");
    s.event(&Event::Text(&I1.as_bytes()[20..])).expect("ok");
    s.event(&Event::Text(E1.as_bytes())).expect("ok");
    s.event(&Event::SeqGap(SeqGap {
        offset: 0,
        first: 2,
        last: 3,
    }))
    .expect("ok");
    s.event(&Event::Text(b"  tail of nothing\n")).expect("ok");
    s.finish(&Summary::default()).expect("ok");
    assert_eq!((s.seen(), s.passed()), (5, 2));
    let got = s.into_inner().0;
    let want = vec![
        format!("{E1}  more\n"),
        E1.to_string(),
        "gap".into(),
        "finish".into(),
    ];
    assert_eq!(got, want);
}

#[test]
fn regex_sees_the_message_only_with_or_without_the_shortcut() {
    let now = DateTime::parse_from_rfc3339("2024-01-31T12:00:00+08:00").expect("valid");
    let run = |pattern: &str, invert: bool| {
        let f = Filter::new(
            &FilterOptions {
                regex: Some(pattern.into()),
                invert,
                ..Default::default()
            },
            now,
        )
        .expect("valid filter");
        let mut s = FilterSink::new(Log::default(), f);
        s.event(&Event::Text(format!("{E1}{I1}").as_bytes()))
            .expect("ok");
        s.finish(&Summary::default()).expect("ok");
        s.into_inner().0.len() - 1
    };
    assert_eq!(run("boom", false), 1);
    assert_eq!(run("^boom$", false), 1); // anchored: no shortcut
    assert_eq!(run(r"\bfine\b", false), 1);
    assert_eq!(run(r"a\.cc", false), 0); // in the header, not the message
    assert_eq!(run(r"^\[E\]", false), 0);
    assert_eq!(run("boom", true), 1);
    assert_eq!(run(r"a\.cc", true), 2);
    assert!(regex_prefilter(&Filter {
        regex: Some(regex::bytes::Regex::new("x+y").expect("valid")),
        ..Default::default()
    }));
    assert!(!regex_prefilter(&Filter {
        regex: Some(regex::bytes::Regex::new(r"\bx").expect("valid")),
        ..Default::default()
    }));
}

#[test]
fn prefix_fields_are_the_headers_fields() {
    use crate::record::Records;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/text");
    let mut checked = 0;
    for name in [
        "b_async_zlib.xlog.expected.log",
        "o_pre2021_linefmt_async_zlib.xlog.expected.log",
        "j06_bad_length_field.xlog.expected.log",
    ] {
        let text = std::fs::read(dir.join(name)).expect("corpus text");
        for rec in Records::new(&text) {
            let prefix = parse_prefix(rec.bytes);
            match (rec.header, prefix) {
                (Some(h), Some(p)) => {
                    assert_eq!(
                        (h.timestamp, h.pid, h.tid, h.main_thread, h.tag),
                        (p.timestamp, p.pid, p.tid, p.main_thread, p.tag)
                    );
                    checked += 1;
                }
                (Some(_), None) => panic!("{name}: header without prefix"),
                (None, _) => {}
            }
        }
    }
    assert!(checked > 2000, "{checked}");
}

/// A text printer made to take records the way `takes` says.
struct Forced {
    inner: crate::render::color::TextRecords<Vec<u8>>,
    takes: Takes,
}

impl RecordSink for Forced {
    fn record(&mut self, rec: &Record<'_>) -> io::Result<()> {
        self.inner.record(rec)
    }
    fn event(&mut self, event: &Event<'_>) -> io::Result<()> {
        self.inner.event(event)
    }
    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        self.inner.finish(summary)
    }
    fn takes(&self) -> Takes {
        self.takes
    }
    fn record_rest(&mut self, level: Option<Level>, bytes: &[u8], more: bool) -> io::Result<()> {
        self.inner.record_rest(level, bytes, more)
    }
}

/// `text` in chunks of `chunk` bytes, or, for a `chunk` of the form
/// `LINES + n`, of about `n` bytes each ended at a line's end, as
/// decoded blocks are.
fn chunks(text: &[u8], chunk: usize) -> Vec<&[u8]> {
    if chunk < LINES {
        return text.chunks(chunk).collect();
    }
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let at = (chunk - LINES).min(rest.len() - 1);
        let end = find_byte(b'\n', &rest[at..]).map_or(rest.len(), |n| at + n + 1);
        out.push(&rest[..end]);
        rest = &rest[end..];
    }
    out
}

const LINES: usize = 1 << 30;

/// Prints `text` through a filter sink, in [`chunks`] of `chunk` with
/// a gap marker after the third; `judged`: with the sink's verdicts on
/// each chunk, as worker threads give them.
fn print(
    text: &[u8],
    f: &Filter,
    color: bool,
    takes: Option<Takes>,
    chunk: usize,
    judged: bool,
) -> Vec<u8> {
    let printer = crate::render::color::TextRecords::new(
        crate::decode::text::TextSink::new(Vec::new(), true),
        color,
    );
    let takes = takes.unwrap_or(printer.takes());
    let mut s = FilterSink::new(
        Forced {
            inner: printer,
            takes,
        },
        f.clone(),
    );
    let judge = s.judge().filter(|_| judged);
    let mut memo = Memo::default();
    let mut verdicts = Vec::new();
    for (i, part) in chunks(text, chunk).into_iter().enumerate() {
        match &judge {
            Some(j) => {
                verdicts.clear();
                j.judge(part, &mut memo, &mut verdicts);
                s.judged_text(part, Verdicts(&verdicts, &[], &[], None))
                    .expect("ok");
            }
            None => s.event(&Event::Text(part)).expect("ok"),
        }
        if i == 2 {
            s.event(&Event::SeqGap(SeqGap {
                offset: 0,
                first: 7,
                last: 8,
            }))
            .expect("ok");
        }
    }
    s.finish(&Summary::default()).expect("ok");
    s.into_inner().inner.into_inner().into_inner()
}

#[test]
fn fast_paths_give_the_bytes_of_the_parsed_path() {
    let now = DateTime::parse_from_rfc3339("2024-01-31T12:00:00+08:00").expect("valid");
    let opts = |f: &dyn Fn(&mut FilterOptions)| {
        let mut o = FilterOptions::default();
        f(&mut o);
        Filter::new(&o, now).expect("valid filter")
    };
    let filters = [
        Filter::default(),
        opts(&|o| o.level = Some("V".into())),
        opts(&|o| o.level = Some("W".into())),
        opts(&|o| {
            o.level = Some("E".into());
            o.tags = vec!["im*".into(), "TIM?anager".into()];
        }),
        opts(&|o| {
            o.since = Some("10:03".into());
            o.until = Some("2024-01-31 10:05 +08:00".into());
            o.main_thread = true;
        }),
        opts(&|o| o.regex = Some(r"elapsed:\d+ms".into())),
        opts(&|o| {
            o.level = Some("I".into());
            o.regex = Some("LOGIN|kicked".into());
            o.ignore_case = true;
        }),
        opts(&|o| {
            o.regex = Some("user=".into());
            o.invert = true;
        }),
        opts(&|o| o.regex = Some(r"^\[|\]$".into())),
        opts(&|o| o.pid = Some(1)),
        // Matches that run from one record into the next.
        opts(&|o| o.regex = Some(r"[0-9}]\n\[[DI]|\n ".into())),
        // Matches in the header, or across its end, and empty ones.
        opts(&|o| {
            o.regex = Some(r"\]\[|, ".into());
            o.invert = true;
        }),
        opts(&|o| o.regex = Some(r"\]\[[^\]]*ms|z*".into())),
        // Whole-record patterns: in the header, across it, several,
        // literal, with case folding, inverted, and with the message
        // regex, functions and files beside them.
        opts(&|o| o.patterns = vec!["SendHeartbeat".into()]),
        opts(&|o| o.patterns = vec![r"\]\[login\]|ret=2".into(), "10:02:1".into()]),
        opts(&|o| {
            o.patterns = vec!["[26289, 26289*]".into()];
            o.fixed_strings = true;
        }),
        opts(&|o| {
            o.patterns = vec!["timmanager".into()];
            o.smart_case = true;
            o.invert = true;
        }),
        opts(&|o| o.patterns = vec![r"^\[E\]|\n\[".into()]),
        opts(&|o| {
            o.patterns = vec!["imsdk".into()];
            o.regex = Some("ret=".into());
            o.funcs = vec!["*Login*".into(), "SendHeartbeat".into()];
        }),
        opts(&|o| {
            o.files = vec!["login_manager.*".into()];
            o.level = Some("W".into());
        }),
    ];
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/text");
    let mut passed = 0;
    for name in [
        "b_async_zlib.xlog.expected.log",
        "h_multiday_imsdk_20240129.xlog.expected.log",
        "j06_bad_length_field.xlog.expected.log",
        "o_pre2021_linefmt_async_zlib.xlog.expected.log",
    ] {
        let text = std::fs::read(dir.join(name)).expect("corpus text");
        for (k, f) in filters.iter().enumerate() {
            let planned = Planned::new(f.clone());
            // One memo for all records, as in the sink.
            let mut memo = Memo::default();
            for rec in Records::new(&text) {
                let want = f.matches(&rec).then_some(rec.level);
                assert_eq!(
                    planned.decide(rec.bytes, Search::Unknown, &mut memo),
                    want,
                    "{name} filter {k}"
                );
                if let Some(re) = &f.regex
                    && assertion_free(f)
                {
                    // Told what a search over the whole text finds from
                    // the record on (a match may run into the next
                    // record): the same answer.
                    let from = rec.bytes.as_ptr() as usize - text.as_ptr() as usize;
                    let search = match re.find_at(&text, from) {
                        Some(m) if m.start() < from + rec.bytes.len() => {
                            Search::Hit(m.start() - from..m.end() - from)
                        }
                        _ => Search::NoMatch,
                    };
                    assert_eq!(
                        planned.decide(rec.bytes, search.clone(), &mut memo),
                        want,
                        "{name} filter {k} {search:?}"
                    );
                }
                passed += usize::from(want.is_some());
            }
            for color in [false, true] {
                for chunk in [97, 1000, 4093, 65536, LINES + 50, LINES + 3000] {
                    let parsed = print(&text, f, color, Some(Takes::Records), chunk, false);
                    let fast = print(&text, f, color, None, chunk, false);
                    assert!(
                        fast == parsed,
                        "{name} filter {k} colour {color} chunk {chunk}"
                    );
                    // Judged ahead, whatever the takes.
                    for takes in [None, Some(Takes::Records), Some(Takes::Levels)] {
                        let judged = print(&text, f, color, takes, chunk, true);
                        assert!(
                            judged == parsed,
                            "{name} filter {k} colour {color} chunk {chunk} judged {takes:?}"
                        );
                    }
                }
            }
        }
    }
    assert!(passed > 10_000, "{passed}");
}

/// The IM SDK shapes' own path ([`Planned::decide_other`], the text window, the
/// header check, the open banners' offsets) answers as the full parse
/// and [`Filter::matches`] do, and every way of printing gives the same
/// bytes, judged ahead or not.
#[test]
fn imsdk_records_are_judged_as_the_parser_judges_them() {
    let now = DateTime::parse_from_rfc3339("2024-03-12T12:00:00+08:00").expect("valid");
    let opts = |f: &dyn Fn(&mut FilterOptions)| {
        let mut o = FilterOptions::default();
        f(&mut o);
        Filter::new(&o, now).expect("valid filter")
    };
    let filters = [
        opts(&|o| o.level = Some("W".into())),
        opts(&|o| o.level = Some("E".into())),
        opts(&|o| {
            o.since = Some("2024-03-12 10:00".into());
            o.until = Some("2024-03-12 11:42:48.769".into());
        }),
        opts(&|o| {
            o.since = Some("10:43:26.8635".into());
            o.until = Some("12:00".into());
            o.level = Some("I".into());
        }),
        opts(&|o| {
            o.since = Some("2024-03-12 02:00Z".into());
            o.until = Some("2024-03-12 04:00:00.5 +00:00".into());
        }),
        opts(&|o| o.since = Some("10:00+09:00".into())),
        opts(&|o| {
            o.since = Some("2024-03-12 10:00".into());
            o.until = Some("2024-03-12 03:00Z".into());
        }),
        opts(&|o| o.tags = vec!["NetworkInfoCenter".into(), "Co*".into()]),
        opts(&|o| o.pid = Some(16633)),
        opts(&|o| o.tid = Some(4243)),
        opts(&|o| o.main_thread = true),
        opts(&|o| o.regex = Some(r"error_code:[1-9]".into())),
        opts(&|o| {
            o.regex = Some("TIM: |login".into());
            o.invert = true;
            o.level = Some("D".into());
        }),
    ];
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/imsdk");
    let mut passed = 0;
    for name in [
        "imsdk_20240312.xlog.expected.log",
        "imsdk4_20240312.xlog.expected.log",
        "mixed_20240312.xlog.expected.log",
    ] {
        let text = std::fs::read(dir.join(name)).expect("corpus text");
        for (k, f) in filters.iter().enumerate() {
            let planned = Planned::new(f.clone());
            let mut memo = Memo::default();
            for rec in Records::new(&text) {
                if let Some(o) = start_offset(rec.bytes) {
                    memo.offset = o;
                }
                let want = f
                    .matches(&Record::parse_in(rec.bytes, memo.offset))
                    .then_some(rec.level);
                let got = planned.decide(rec.bytes, Search::Unknown, &mut memo);
                assert_eq!(
                    got,
                    want,
                    "{name} filter {k}: {}",
                    String::from_utf8_lossy(rec.bytes)
                );
                passed += usize::from(want.is_some());
            }
            for chunk in [97, 4093, 65536] {
                for color in [false, true] {
                    let parsed = print(&text, f, color, Some(Takes::Records), chunk, false);
                    for takes in [None, Some(Takes::Records), Some(Takes::Levels)] {
                        for judged in [false, true] {
                            let got = print(&text, f, color, takes, chunk, judged);
                            assert!(
                                got == parsed,
                                "{name} filter {k} chunk {chunk} {takes:?} judged {judged}"
                            );
                        }
                    }
                }
            }
        }
    }
    assert!(passed > 2000, "{passed}");
}

/// A literal pattern is searched for directly, and finds what the
/// regex finds; a case-insensitive or non-literal one keeps the regex.
#[test]
fn literal_search_finds_what_the_regex_finds() {
    let text =
        format!("{E1}{I1}user=1 USER=2 User=3 a.cc a-cc [t] \u{212A}ick kick=\n").into_bytes();
    let build = |p: &str, icase: bool| {
        RegexBuilder::new(p)
            .case_insensitive(icase)
            .build()
            .expect("valid")
    };
    for (p, icase, direct) in [
        ("user=", false, true),
        ("user=", true, false),
        ("a.cc", false, false),
        ("a-cc", false, false),
        ("[t]", false, false),
        ("kick", true, false),
        ("kick", false, true),
        ("2 ", true, true),
        ("", false, true),
    ] {
        let re = build(p, icase);
        let s = Searcher::new(&re);
        assert_eq!(
            matches!(s, Searcher::Literal(_)),
            direct,
            "{p:?} -i {icase}"
        );
        for from in 0..=text.len() {
            let want = re.find_at(&text, from).map(|m| m.range());
            assert_eq!(s.find_at(&text, from), want, "{p:?} -i {icase} from {from}");
        }
    }
}

/// Records longer than a piece, judged ahead or not, in chunks that end
/// at lines' ends: the same output.
#[test]
fn long_records_come_out_the_same_when_judged() {
    let long = format!("{}{}\n", &E1[..E1.len() - 1], "x".repeat(MAX_PIECE * 5 / 2));
    let long_i = long.replacen("[E]", "[I]", 1);
    let text = [E1, &long, I1, E1, &long_i, E1, &long, I1, &long].concat();
    let now = DateTime::parse_from_rfc3339("2024-01-31T12:00:00+08:00").expect("valid");
    for (level, regex) in [("W", None), ("V", Some("boom")), ("I", Some("x{20}"))] {
        let f = Filter::new(
            &FilterOptions {
                level: Some(level.into()),
                regex: regex.map(Into::into),
                ..Default::default()
            },
            now,
        )
        .expect("valid filter");
        for chunk in [LINES + 50, LINES + MAX_PIECE * 3, 300_000] {
            let want = print(
                text.as_bytes(),
                &f,
                false,
                Some(Takes::Records),
                chunk,
                false,
            );
            let got = print(text.as_bytes(), &f, false, None, chunk, true);
            assert!(got == want, "-l {level} -e {regex:?} chunk {chunk}");
        }
    }
}

/// The sink obeys a verdict given on exactly a record's bytes, in the
/// chunk or held at its end, and ignores any other.
#[test]
fn verdicts_serve_exactly_the_records_they_were_given_on() {
    let mut memo = Memo::default();
    let judge = |text: &[u8], memo: &mut Memo| {
        let mut v = Vec::new();
        let sink = FilterSink::new(Log::default(), filter("W"));
        sink.judge().expect("a filter").judge(text, memo, &mut v);
        v
    };
    // Records far shorter than any log's get no verdicts at all.
    let tiny = "[E]\n".repeat(100);
    assert!(judge(tiny.as_bytes(), &mut memo).is_empty());
    assert_eq!(judge(&tiny.as_bytes()[..8], &mut memo).len(), 2);
    let text = format!("banner\n{E1}{I1}{E1}");
    let v = judge(text.as_bytes(), &mut memo);
    let starts: Vec<u32> = v.iter().map(|v| v.start).collect();
    assert_eq!(
        starts,
        [7, 7 + E1.len() as u32, 7 + (E1.len() + I1.len()) as u32]
    );
    assert_eq!(
        v.iter().map(|v| v.pass()).collect::<Vec<_>>(),
        [Some(Some(Level::Error)), None, Some(Some(Level::Error))]
    );
    // Every verdict a reject: where the sink believes one, the record
    // is left out, so it was not judged again.
    let reject = |v: &[Verdict]| {
        v.iter()
            .map(|v| Verdict::new(v.start as usize, None))
            .collect::<Vec<_>>()
    };
    let run = |chunks: &[(&str, Option<Vec<Verdict>>)]| {
        let mut s = FilterSink::new(Log::default(), filter("W"));
        for (c, v) in chunks {
            match v {
                Some(v) => s
                    .judged_text(c.as_bytes(), Verdicts(v, &[], &[], None))
                    .expect("ok"),
                None => s.event(&Event::Text(c.as_bytes())).expect("ok"),
            }
        }
        s.finish(&Summary::default()).expect("ok");
        s.into_inner().0
    };
    assert_eq!(run(&[(&text, None)]), [E1, E1, "finish"]);
    // The last record is held, and comes out unchanged at the end.
    assert_eq!(run(&[(&text, Some(reject(&v)))]), ["finish"]);
    // Held, then continued by the next chunk: judged anew.
    let got = run(&[(&text, Some(reject(&v))), ("  more\n", None)]);
    assert_eq!(got, [format!("{E1}  more\n").as_str(), "finish"]);
    // Held with its line unfinished, then completed: judged anew.
    let cut = &text[..text.len() - 10];
    let vc = judge(cut.as_bytes(), &mut memo);
    let got = run(&[(cut, Some(reject(&vc))), (&text[text.len() - 10..], None)]);
    assert_eq!(got, [E1, "finish"]);
    // A pass is believed too, with its level.
    let mut s = FilterSink::new(
        Forced {
            inner: crate::render::color::TextRecords::new(
                crate::decode::text::TextSink::new(Vec::new(), true),
                false,
            ),
            takes: Takes::Levels,
        },
        filter("W"),
    );
    let pass = [
        Verdict::new(0, Some(Some(Level::Info))),
        Verdict::new(I1.len(), None),
    ];
    s.judged_text(
        format!("{I1}{I1}").as_bytes(),
        Verdicts(&pass[..], &[], &[], None),
    )
    .expect("ok");
    s.finish(&Summary::default()).expect("ok");
    let out = s.into_inner().inner.into_inner().into_inner();
    assert_eq!(out, I1.as_bytes(), "the first I1 only");
    // A chunk that starts inside a line: what the worker read as a
    // record start there is not one, and its verdict is unused.
    let second = format!("{E1}{I1}");
    let v2 = judge(second.as_bytes(), &mut memo);
    assert_eq!(v2[0].start, 0);
    let first = format!("{E1}  x");
    let got = run(&[(&first, None), (&second, Some(reject(&v2)))]);
    assert_eq!(got, [format!("{E1}  x{E1}").as_str(), "finish"]);
}

/// A writer may keep a batch's rendered lines (shared) past the batch: the
/// store, used again for another batch, must not write over them, and
/// takes back a buffer the writer has let go of.
#[test]
fn rendered_lines_a_writer_holds_stay_as_they_were() {
    let sink = FilterSink::new(
        crate::render::json::JsonSink::new(Vec::new(), "in.xlog"),
        Filter::default(),
    );
    let judge = sink.judge().expect("a renderer");
    let hook: &dyn BlockHook = &judge;
    let (mut worker, mut store) = (hook.worker(), hook.results());
    // One block per batch; what the batch rendered, and its buffer.
    let mut batch = |text: &str, store: &mut Box<dyn HookResults>| {
        store.clear();
        worker.work(text.as_bytes(), &mut **store);
        store.end_block();
        let judged = store.as_any().downcast_ref::<Judged>().expect("a Judge's");
        let v = judged.block(0);
        let buffer = Arc::clone(v.3.expect("shared"));
        assert_eq!(v.1.len(), 2, "both records rendered");
        (v.2.to_vec(), buffer)
    };
    let first = format!("{E1}{I1}");
    let (lines, held) = batch(&first, &mut store);
    assert!(lines.starts_with(b"{\"type\":\"record\""));
    let second = format!("{I1}{E1}");
    let (lines2, held2) = batch(&second, &mut store);
    assert_eq!(*held, lines, "the held lines are unchanged");
    assert!(!Arc::ptr_eq(&held, &held2), "a new buffer while held");
    assert_ne!(lines2, lines);
    // Let go of: the store's buffer is emptied and reused.
    drop(held2);
    let (lines3, held3) = batch(&first, &mut store);
    assert_eq!(lines3, lines);
    assert_eq!(*held, lines);
    // Held again: the first buffer, let go of meanwhile, is taken back.
    let ptr = Arc::as_ptr(&held);
    drop(held);
    let (lines4, held4) = batch(&second, &mut store);
    assert_eq!(lines4, lines2);
    assert_eq!(Arc::as_ptr(&held4), ptr, "the spare buffer is reused");
    assert_eq!(*held3, lines, "still as it was");
}
