//! Searching as grep does, through the real binary on corpus files: time
//! windows, case, context records, counts, file names, whole-record
//! patterns and header fields. The expectations come from a line scan of
//! the corpus `.expected.log` texts written here, independent of the
//! library's record parser.

mod common;

use common::corpus;
use std::process::{Command, Output, Stdio};

/// The binary with `args`, reading no standard input.
fn command(args: &[&str]) -> Command {
    let mut c = common::xlogdec();
    c.arg("--no-progress").args(args).stdin(Stdio::null());
    c
}

fn xlogdec(args: &[&str]) -> Output {
    command(args).output().expect("run xlogdec")
}

/// Standard output of a run that must succeed.
fn ok(args: &[&str]) -> Vec<u8> {
    common::stdout_of(&mut command(args))
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
    file: String,
    func: String,
    message: String,
}

fn starts_record(line: &str) -> bool {
    let b = line.as_bytes();
    (b.len() >= 3 && b[0] == b'[' && b[2] == b']' && b"VDIWEF".contains(&b[1])) || common::is_tip(b)
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

/// Compares outputs, showing where they part as text.
#[track_caller]
fn same(got: &[u8], want: &[u8], what: &str) {
    if got != want {
        let at = got.iter().zip(want).take_while(|(a, b)| a == b).count();
        let from = at.saturating_sub(200);
        panic!(
            "{what}: outputs differ at byte {at} (lengths {} and {})\n got: {}\nwant: {}",
            got.len(),
            want.len(),
            String::from_utf8_lossy(&got[from..got.len().min(at + 200)]),
            String::from_utf8_lossy(&want[from..want.len().min(at + 200)]),
        );
    }
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
    same(&got, &joined(want), "window");
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
    same(&got, &joined(want), "window");
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
    same(&ok(&["--tag", "TIMManager", day]), &want, "exact");
    same(&ok(&["--tag", "timmanager", day]), b"", "case differs");
    same(&ok(&["-i", "--tag", "timmanager", day]), &want, "-i");
    same(&ok(&["-S", "--tag", "timmanager", day]), &want, "-S");
    same(&ok(&["-S", "--tag", "tim*", day]), &want, "-S glob");
    same(&ok(&["-S", "--tag", "TIMmanager", day]), b"", "-S upper");
}

/// grep's context output over `recs`: the records `hit` picks with `b`
/// records before and `a` after, `--` between groups that do not touch;
/// each line starts with `name` and `:` (match) or `-` (context) when a
/// name is given.
fn grep_context(
    recs: &[Rec],
    hit: impl Fn(&Rec) -> bool,
    b: usize,
    a: usize,
    name: Option<&str>,
) -> Vec<u8> {
    let hits: Vec<bool> = recs.iter().map(hit).collect();
    let mut shown = vec![None; recs.len()];
    for (i, &h) in hits.iter().enumerate() {
        if h {
            for (j, s) in shown
                .iter_mut()
                .enumerate()
                .take((i + a + 1).min(recs.len()))
                .skip(i.saturating_sub(b))
            {
                if s.is_none() || j == i {
                    *s = Some(j == i || hits[j]);
                }
            }
        }
    }
    let mut out = Vec::new();
    let mut last: Option<usize> = None;
    for (i, s) in shown.iter().enumerate() {
        let Some(matched) = s else { continue };
        if b + a > 0 && last.is_some_and(|l| l + 1 != i) {
            out.extend_from_slice(b"--\n");
        }
        last = Some(i);
        for line in recs[i].text.split_inclusive(|&c| c == b'\n') {
            if let Some(n) = name {
                out.extend_from_slice(n.as_bytes());
                out.push(if *matched { b':' } else { b'-' });
            }
            out.extend_from_slice(line);
        }
    }
    out
}

fn message_has(needle: &'static str) -> impl Fn(&Rec) -> bool {
    move |r| r.head.as_ref().is_some_and(|h| h.message.contains(needle))
}

#[test]
fn context_records_around_matches_as_grep() {
    let recs = records(DAY);
    let day = corpus(DAY);
    let day = day.to_str().unwrap();
    for (flags, b, a) in [
        (vec!["-A", "2"], 0, 2),
        (vec!["-B", "3"], 3, 0),
        (vec!["-C", "1"], 1, 1),
        (vec!["-C", "5", "-A", "0"], 5, 0),
        (vec!["-C", "40"], 40, 40),
    ] {
        let mut args = flags.clone();
        args.extend(["-e", "ret=2", day]);
        let want = grep_context(&recs, message_has("ret=2"), b, a, None);
        assert!(
            want.windows(3).any(|w| w == b"--\n") || b + a >= 40,
            "{flags:?}"
        );
        same(&ok(&args), &want, &format!("{flags:?}"));
    }
}

#[test]
fn count_and_file_names_with_several_inputs() {
    let (b, d) = (corpus(DAY), corpus("d_async_zstd_l6.xlog"));
    let (b, d) = (b.to_str().unwrap(), d.to_str().unwrap());
    let n = |name: &str| {
        records(name)
            .iter()
            .filter(|r| message_has("ret=2")(r))
            .count()
    };
    let (nb, nd) = (n(DAY), n("d_async_zstd_l6.xlog"));
    assert!(nb > 0 && nd > 0);
    assert_eq!(
        ok(&["-c", "-e", "ret=2", b]),
        format!("{nb}\n").into_bytes()
    );
    assert_eq!(
        ok(&["--count", "-e", "ret=2", b, d]),
        format!("{b}:{nb}\n{d}:{nd}\n").into_bytes()
    );
    assert_eq!(
        ok(&["-c", "--no-filename", "-e", "ret=2", b, d]),
        format!("{nb}\n{nd}\n").into_bytes()
    );
    // Without a filter every record counts.
    assert_eq!(
        ok(&["-c", b]),
        format!("{}\n", records(DAY).len()).into_bytes()
    );

    // Several inputs searched: names on by default, off with --no-filename.
    let hits = |name: &str, who: Option<&str>| {
        grep_context(&records(name), message_has("ret=2"), 0, 0, who)
    };
    let named = [hits(DAY, Some(b)), hits("d_async_zstd_l6.xlog", Some(d))].concat();
    same(&ok(&["-e", "ret=2", b, d]), &named, "names");
    let bare = [hits(DAY, None), hits("d_async_zstd_l6.xlog", None)].concat();
    same(
        &ok(&["-e", "ret=2", "--no-filename", b, d]),
        &bare,
        "no names",
    );
    // One input: off by default, on with -H, with context marks.
    same(&ok(&["-e", "ret=2", b]), &hits(DAY, None), "one input");
    let want = grep_context(&records(DAY), message_has("ret=2"), 1, 1, Some(b));
    same(&ok(&["-H", "-C1", "-e", "ret=2", b]), &want, "-H -C1");
    // Context across inputs: `--` between the groups of two inputs too,
    // whichever way the inputs are spread over jobs.
    let ctx =
        |name: &str, who: &str| grep_context(&records(name), message_has("ret=2"), 1, 1, Some(who));
    let want = [
        ctx(DAY, b),
        b"--\n".to_vec(),
        ctx("d_async_zstd_l6.xlog", d),
    ]
    .concat();
    for jobs in ["1", "2"] {
        same(
            &ok(&["-j", jobs, "-C1", "-e", "ret=2", b, d]),
            &want,
            &format!("-C1 -j{jobs}"),
        );
    }
    // A plain decode of several inputs stays the official byte stream.
    let plain = [
        std::fs::read(corpus(&format!("{DAY}.expected.log"))).unwrap(),
        std::fs::read(corpus("d_async_zstd_l6.xlog.expected.log")).unwrap(),
    ]
    .concat();
    same(&ok(&[b, d]), &plain, "plain decode");
    // JSON and --merge refuse what only shapes text.
    for args in [
        vec!["--format", "json", "-C1", b],
        vec!["--merge", "-c", b, d],
    ] {
        assert_eq!(xlogdec(&args).status.code(), Some(2), "{args:?}");
    }
}

fn text_has(r: &Rec, needle: &str, fold: bool) -> bool {
    let text = String::from_utf8_lossy(&r.text);
    let text = text.trim_end_matches('\n');
    if fold {
        text.to_lowercase().contains(&needle.to_lowercase())
    } else {
        text.contains(needle)
    }
}

#[test]
fn e_searches_the_whole_record_as_grep() {
    let recs = records(DAY);
    let day = corpus(DAY);
    let day = day.to_str().unwrap();
    let pick = |f: &dyn Fn(&Rec) -> bool| joined(recs.iter().filter(|r| r.head.is_some() && f(r)));
    // The function name is in the header: -e finds it, --message does not.
    let want = pick(&|r| text_has(r, "SendHeartbeat", false));
    let in_message = pick(&|r| {
        r.head
            .as_ref()
            .is_some_and(|h| h.message.contains("SendHeartbeat"))
    });
    assert!(want.len() > in_message.len() + 1000);
    same(&ok(&["-e", "SendHeartbeat", day]), &want, "-e");
    same(&ok(&["--grep", "SendHeartbeat", day]), &want, "--grep");
    same(
        &ok(&["--message", "SendHeartbeat", day]),
        &in_message,
        "--message",
    );
    // Several patterns: any may match.
    let either = pick(&|r| text_has(r, "SendHeartbeat", false) || text_has(r, "ret=2", false));
    same(
        &ok(&["-e", "SendHeartbeat", "-e", "ret=2", day]),
        &either,
        "two -e",
    );
    // -F: brackets and the star are text.
    let main = pick(&|r| text_has(r, "[26289, 26289*]", false));
    assert!(!main.is_empty());
    same(&ok(&["-F", "-e", "[26289, 26289*]", day]), &main, "-F");
    // Without -F it is a character class that nearly every record matches.
    assert!(ok(&["-e", "[26289, 26289*]", day]).len() > 2 * main.len());
    same(
        &ok(&["-F", "-e", "a.c*", day]),
        &pick(&|r| text_has(r, "a.c*", false)),
        "-F dot",
    );
    // Case: -i, and smart case.
    let folded = pick(&|r| text_has(r, "sendheartbeat", true));
    same(&ok(&["-i", "-e", "sendheartbeat", day]), &folded, "-i");
    same(
        &ok(&["-S", "-e", "sendheartbeat", day]),
        &folded,
        "-S lower",
    );
    same(&ok(&["-S", "-e", "SendheartBeat", day]), b"", "-S upper");
    // -v turns -e around (records with a header only).
    let without = pick(&|r| !text_has(r, "SendHeartbeat", false));
    same(&ok(&["-v", "-e", "SendHeartbeat", day]), &without, "-v");
    // -e with --message: both must match.
    let both = pick(&|r| {
        text_has(r, "imsdk", false) && r.head.as_ref().is_some_and(|h| h.message.contains("ret=2"))
    });
    assert!(!both.is_empty());
    same(
        &ok(&["-e", "imsdk", "--message", "ret=2", day]),
        &both,
        "-e and --message",
    );
}

#[test]
fn func_and_file_filter_on_the_header() {
    let recs = records(DAY);
    let day = corpus(DAY);
    let day = day.to_str().unwrap();
    let pick =
        |f: &dyn Fn(&Head) -> bool| joined(recs.iter().filter(|r| r.head.as_ref().is_some_and(f)));
    let beat = pick(&|h| h.func == "SendHeartbeat");
    assert!(!beat.is_empty());
    same(&ok(&["--func", "SendHeartbeat", day]), &beat, "--func");
    same(
        &ok(&["--func", "sendheartbeat", "-i", day]),
        &beat,
        "--func -i",
    );
    let login = pick(&|h| h.func.contains("Login"));
    same(&ok(&["--func", "*Login*", day]), &login, "--func glob");
    let file = pick(&|h| h.file == "login_manager.cpp");
    assert!(!file.is_empty());
    same(&ok(&["--file", "login_manager.cpp", day]), &file, "--file");
    let both = pick(&|h| {
        h.file.starts_with("login_manager.") && (h.func == "SendHeartbeat" || h.func == "Login")
    });
    assert!(!both.is_empty());
    same(
        &ok(&[
            "--file",
            "login_manager.*",
            "--func",
            "SendHeartbeat",
            "--func",
            "Login",
            day,
        ]),
        &both,
        "--file and two --func",
    );
}

#[test]
fn help_shows_the_search_flags_together_first() {
    let out = xlogdec(&["--help"]);
    let help = String::from_utf8(out.stdout).expect("UTF-8");
    let heading = help
        .find("Search and filter records")
        .expect("a search heading");
    // Before every other group of flags, after -h/-V.
    for other in ["Output:", "Inputs and decoding:"] {
        let at = help.find(other).expect(other);
        assert!(heading < at, "{other} comes before the search flags");
    }
    let group = &help[heading..help.find("Output:").expect("output")];
    for flag in [
        "--regexp",
        "--message",
        "--fixed-strings",
        "--ignore-case",
        "--smart-case",
        "--invert-match",
        "--level",
        "--tag",
        "--func",
        "--file",
        "--since",
        "--until",
        "--after-context",
        "--before-context",
        "--context",
        "--count",
        "--with-filename",
        "--no-filename",
    ] {
        assert!(group.contains(flag), "{flag} is not in the search group");
    }
}
