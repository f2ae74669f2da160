//! The IM SDK lens on every IM SDK day of testdata/imsdk: the timeline the
//! engine builds from the .xlog is checked against what the decoded text
//! holds, found here by plain scanning of NAME.expected.log (no engine
//! code involved), and the `diagnose` command's output, rules file and
//! exit codes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use xlogdec::decode::reader::{Decoder, Options};
use xlogdec::imsdk::sink::DiagnoseSink;
use xlogdec::imsdk::{Finding, Kind, RuleSet, Summary};

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/imsdk")
}

fn days() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(testdata())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "xlog"))
        .collect();
    v.sort();
    assert!(v.len() >= 4, "the IM SDK days are in testdata/imsdk");
    v
}

/// Runs the engine over a decoded .xlog (the real decoder path).
fn diagnose(path: &Path, rules: RuleSet) -> (Vec<Finding>, Summary) {
    let data = std::fs::read(path).unwrap();
    let mut found = Vec::new();
    let summary = {
        let mut sink = DiagnoseSink::new(Arc::new(rules), |f: &Finding| {
            found.push(f.clone());
            Ok(())
        });
        Decoder::new(Options::default())
            .decode_slice(&data, &mut sink)
            .unwrap();
        sink.summary().cloned().expect("finish was called")
    };
    (found, summary)
}

/// The number after `key` on `line` (`key` includes its separator).
fn num_after(line: &str, key: &str) -> Option<i64> {
    let at = line.find(key)? + key.len();
    let rest = &line[at..];
    let end = rest
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || (i == 0 && c == '-')))
        .map_or(rest.len(), |(i, _)| i);
    rest[..end].parse().ok()
}

/// What a day holds, by scanning its text.
#[derive(Debug, Default)]
struct Expect {
    sessions: usize,
    logins_ok: Vec<usize>,
    /// (line, code) of each failed login's final line.
    logins_failed: Vec<(usize, i64)>,
    /// (line, platform) of each kick.
    kicks: Vec<(usize, Option<String>)>,
    usersig_expired: usize,
    logouts: Vec<usize>,
    /// (line, code) of each failed connect.
    connect_failed: Vec<(usize, i64)>,
    /// (line, code) of each failed send.
    send_failed: Vec<(usize, i64)>,
    /// Lines with error_code 6013.
    not_init: Vec<usize>,
}

fn scan(text: &str) -> Expect {
    let mut e = Expect::default();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if line.starts_with("^^^^^^^^^^") {
            e.sessions += 1;
        }
        if !line.starts_with("TIM: 20") {
            continue;
        }
        let func = |name: &str| line.contains(&format!(" {name} "));
        if func("LogRequestEnd") && line.contains("|Login success|")
            || line.ends_with("/Login succ")
        {
            e.logins_ok.push(n);
        }
        if func("LogRequestEnd") && line.contains("|Login failed|") {
            e.logins_failed
                .push((n, num_after(line, "error_code:").unwrap()));
        }
        if line.contains("/Login failed, code ") {
            e.logins_failed
                .push((n, num_after(line, "/Login failed, code ").unwrap()));
        }
        if func("OnKickout") || func("OnForceOffline") {
            let platform = line
                .split('|')
                .find_map(|f| f.strip_prefix("platform:"))
                .map(str::to_string);
            e.kicks.push((n, platform));
        }
        if func("OnUserSigExpired") {
            e.usersig_expired += 1;
        }
        if func("LogRequestEnd") && line.contains("|Logout success|") {
            e.logouts.push(n);
        }
        if func("NotifyConnectResult") {
            let code = num_after(line, "error_code:").unwrap();
            if code != 0 {
                e.connect_failed.push((n, code));
            }
        }
        if func("SendMessageComplete") {
            let code = num_after(line, "error code:").unwrap();
            if code != 0 {
                e.send_failed.push((n, code));
            }
        }
        if line.contains("error_code:6013|") {
            e.not_init.push(n);
        }
    }
    e
}

fn of(found: &[Finding], kind: Kind) -> Vec<&Finding> {
    found.iter().filter(|f| f.kind == kind).collect()
}

#[test]
fn every_imsdk_day_gives_the_timeline_its_text_holds() {
    let mut saw = Expect::default();
    for day in days() {
        let name = day.file_name().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(format!("{}.expected.log", day.display())).unwrap();
        let want = scan(&text);
        let lines: Vec<&str> = text.lines().collect();
        let (found, summary) = diagnose(&day, RuleSet::builtin());

        // Sessions: one per Mars header, on its line, with the banner's facts.
        let sessions = of(&found, Kind::Session);
        assert_eq!(sessions.len(), want.sessions, "{name}: sessions");
        assert_eq!(summary.sessions as usize, want.sessions, "{name}");
        for s in &sessions {
            assert!(
                lines[s.line as usize - 1].starts_with("^^^^^^^^^^"),
                "{name}: {s:?}"
            );
            assert!(s.attr("pid").is_some(), "{name}: {s:?}");
            let version = s.attr("sdk_version").expect("the banner names the version");
            assert!(
                text.contains(&format!("Ver: {version}"))
                    || text.contains(&format!("Version: {version}"))
            );
        }

        // Logins: the successes, and each failure with its code (two lines
        // reporting one failure make one finding).
        let logins = of(&found, Kind::Login);
        let ok = logins.iter().filter(|f| f.result() == Some("ok")).count();
        assert_eq!(ok, want.logins_ok.len(), "{name}: logins ok");
        assert_eq!(summary.logins_ok as usize, want.logins_ok.len());
        let mut failed: Vec<i64> = logins
            .iter()
            .filter(|f| f.result() == Some("failed"))
            .map(|f| f.code.expect("a failed login has its code"))
            .collect();
        let mut want_failed: Vec<i64> = want.logins_failed.iter().map(|&(_, c)| c).collect();
        failed.sort();
        want_failed.sort();
        assert_eq!(failed, want_failed, "{name}: failed logins");
        assert_eq!(summary.logins_failed_total() as usize, want_failed.len());

        // Kicks, with the other device's platform when the line gives it.
        let kicks = of(&found, Kind::Kicked);
        assert_eq!(kicks.len(), want.kicks.len(), "{name}: kicks");
        for (k, (_, platform)) in kicks.iter().zip(&want.kicks) {
            assert_eq!(k.attr("platform"), platform.as_deref(), "{name}: {k:?}");
        }
        assert_eq!(summary.kicks as usize, want.kicks.len());

        assert_eq!(
            of(&found, Kind::UserSigExpired).len(),
            want.usersig_expired,
            "{name}"
        );
        assert_eq!(summary.usersig_expired as usize, want.usersig_expired);

        let logouts: Vec<usize> = of(&found, Kind::Logout)
            .iter()
            .map(|f| f.line as usize)
            .collect();
        assert_eq!(logouts, want.logouts, "{name}: logouts");

        // Connect failures and send failures: each on its own line, with
        // its code.
        let connect: Vec<(usize, i64)> = of(&found, Kind::Connect)
            .iter()
            .filter(|f| f.result() == Some("failed"))
            .map(|f| (f.line as usize, f.code.unwrap()))
            .collect();
        assert_eq!(connect, want.connect_failed, "{name}: connect failures");
        let sends: Vec<(usize, i64)> = of(&found, Kind::SendFailed)
            .iter()
            .map(|f| (f.line as usize, f.code.unwrap()))
            .collect();
        assert_eq!(sends, want.send_failed, "{name}: send failures");
        let mut by_code: BTreeMap<i64, u64> = BTreeMap::new();
        for &(_, c) in &want.send_failed {
            *by_code.entry(c).or_default() += 1;
        }
        let summary_by_code: BTreeMap<i64, u64> = summary.send_failed.iter().copied().collect();
        assert_eq!(summary_by_code, by_code, "{name}: send failures by code");

        // 6013 on its line, named.
        let not_init: Vec<usize> = found
            .iter()
            .filter(|f| f.code == Some(6013))
            .map(|f| f.line as usize)
            .collect();
        assert_eq!(not_init, want.not_init, "{name}: 6013");
        for f in found.iter().filter(|f| f.code == Some(6013)) {
            assert_eq!(f.kind, Kind::Error);
            assert_eq!(f.name.as_deref(), Some("ERR_SDK_NOT_INITIALIZED"));
        }

        // Every finding's line number points at its evidence, and every
        // coded finding carries a meaning from the table.
        for f in &found {
            let at = lines[f.line as usize - 1];
            assert!(at.starts_with(f.evidence.as_str()), "{name}: {f:?} vs {at}");
            if let Some(c) = f.code {
                let m = f
                    .meaning
                    .as_deref()
                    .unwrap_or_else(|| panic!("{name}: {f:?}"));
                assert!(
                    !m.starts_with("unknown code"),
                    "{name}: {c} is in the table: {m}"
                );
                assert!(f.advice.is_some(), "{name}: {f:?}");
            }
        }
        // Findings come in line order.
        assert!(found.windows(2).all(|w| w[0].line <= w[1].line), "{name}");

        saw.sessions += want.sessions;
        saw.logins_failed.extend(want.logins_failed);
        saw.kicks.extend(want.kicks);
        saw.usersig_expired += want.usersig_expired;
        saw.logouts.extend(want.logouts);
        saw.connect_failed.extend(want.connect_failed);
        saw.send_failed.extend(want.send_failed);
        saw.not_init.extend(want.not_init);
    }
    // The corpus has each kind of event, so none of the checks above is
    // vacuous.
    assert!(saw.sessions > 0 && !saw.logins_failed.is_empty() && !saw.kicks.is_empty());
    assert!(saw.usersig_expired > 0 && !saw.logouts.is_empty() && !saw.connect_failed.is_empty());
    assert!(!saw.send_failed.is_empty() && !saw.not_init.is_empty());
}

fn xlogdec() -> Command {
    Command::new(env!("CARGO_BIN_EXE_xlogdec"))
}

#[test]
fn json_output_has_the_documented_fields() {
    let day = testdata().join("imsdk_20240312.xlog");
    let out = xlogdec()
        .args(["diagnose", "--format", "json"])
        .arg(&day)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let objs: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let (summary, findings) = objs.split_last().unwrap();
    assert_eq!(summary["type"], "summary");
    assert_eq!(summary["sessions"], 6);
    assert!(summary["send_failed_by_code"]["20007"].as_u64().unwrap() > 0);
    for f in findings {
        for key in [
            "type",
            "file",
            "time",
            "ts",
            "line",
            "code",
            "meaning",
            "advice",
            "confidence",
            "evidence",
        ] {
            assert!(f.get(key).is_some(), "{key} missing in {f}");
        }
        let time = f["time"].as_str().unwrap();
        assert_eq!(time.len(), 23, "YYYY-MM-DD HH:MM:SS.mmm: {time}");
        // The day's offset is +0800, from the Mars header.
        let ts = f["ts"].as_str().unwrap();
        assert!(
            ts.ends_with("+08:00") && ts.starts_with(&time[..10]),
            "{ts}"
        );
        assert!(matches!(
            f["confidence"].as_str(),
            Some("seen" | "documented")
        ));
        assert!(f["code"].is_null() || f["code"].is_i64());
        if f["code"].is_i64() {
            assert!(f["meaning"].is_string(), "{f}");
        }
    }
    let kick = findings.iter().find(|f| f["type"] == "kicked").unwrap();
    assert_eq!(kick["code"], 6208);
    assert_eq!(kick["platform"], "iOS");
}

#[test]
fn a_rules_file_adds_a_rule_that_fires_and_a_bad_one_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("mine.toml");
    // A new anchor (each channel close becomes an `error`), a silenced one
    // (the community-group code) and a renamed code.
    std::fs::write(
        &rules,
        r#"
[[rule]]
function = "Close"
event = "error"
confidence = "documented"

[[rule]]
function = "HandleJoinedGroupListResponse"
event = "ignore"
confidence = "seen"

[[code]]
code = 20007
name = "PEER_BLOCKED"
meaning = "blocked by the peer (site note)"
advice = "ask the peer"
"#,
    )
    .unwrap();
    let day = testdata().join("imsdk_20240312.xlog");
    let text = std::fs::read_to_string(format!("{}.expected.log", day.display())).unwrap();
    let closes: Vec<usize> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.starts_with("TIM: 20") && l.contains(" Close "))
        .map(|(i, _)| i + 1)
        .collect();
    assert!(!closes.is_empty());

    let out = xlogdec()
        .args(["diagnose", "--format", "json", "--rules"])
        .arg(&rules)
        .arg(&day)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let objs: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let errors: Vec<usize> = objs
        .iter()
        .filter(|o| o["type"] == "error" && o["evidence"].as_str().unwrap().contains(" Close "))
        .map(|o| o["line"].as_u64().unwrap() as usize)
        .collect();
    assert_eq!(errors, closes, "the new rule fires on every Close line");
    assert!(objs.iter().all(|o| o["code"] != 11000), "11000 is silenced");
    let blocked = objs.iter().find(|o| o["code"] == 20007).unwrap();
    assert_eq!(blocked["name"], "PEER_BLOCKED");
    assert_eq!(blocked["meaning"], "blocked by the peer (site note)");

    // Without the file, the same input has no such errors and 11000 shows.
    let plain = xlogdec()
        .args(["diagnose", "--format", "json"])
        .arg(&day)
        .output()
        .unwrap();
    let plain = String::from_utf8(plain.stdout).unwrap();
    assert!(plain.contains("\"code\":11000"));

    // A bad file: a clear message naming the file and the problem, exit 2,
    // no output.
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[[rule]]\nfunction = \"X\"\nevent = \"explode\"\nconfidence = \"seen\"\n",
    )
    .unwrap();
    let out = xlogdec()
        .args(["diagnose", "--rules"])
        .arg(&bad)
        .arg(&day)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.toml")
            && err.contains("rule 1")
            && err.contains("unknown event \"explode\""),
        "{err}"
    );

    let broken = dir.path().join("broken.toml");
    std::fs::write(&broken, "[[rule]\nfunction = 1\n").unwrap();
    let out = xlogdec()
        .args(["diagnose", "--rules"])
        .arg(&broken)
        .arg(&day)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("broken.toml (byte ") && err.contains("not valid TOML"),
        "{err}"
    );

    let missing = dir.path().join("missing.toml");
    let out = xlogdec()
        .args(["diagnose", "--rules"])
        .arg(&missing)
        .arg(&day)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.toml: cannot read"));
}

#[test]
fn a_mars_file_without_imsdk_lines_says_so() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/corpus/b_async_zlib.xlog");
    let out = xlogdec().arg("diagnose").arg(&corpus).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("no IM SDK lines found"), "{text}");
    assert!(!text.contains("session"), "{text}");
}

#[test]
fn directories_and_zips_are_read_like_the_batch_command() {
    let dir = tempfile::tempdir().unwrap();
    let zip_path = dir.path().join("logs.zip");
    {
        let f = std::fs::File::create(&zip_path).unwrap();
        let mut z = zip::ZipWriter::new(f);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        z.start_file("a/imsdk_20240312.xlog", opts).unwrap();
        std::io::Write::write_all(
            &mut z,
            &std::fs::read(testdata().join("imsdk_20240312.xlog")).unwrap(),
        )
        .unwrap();
        z.finish().unwrap();
    }
    let out = xlogdec()
        .args(["diagnose", "--format", "json"])
        .arg(testdata())
        .arg(&zip_path)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let summaries: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|o| o["type"] == "summary")
        .collect();
    assert_eq!(summaries.len(), days().len() + 1);
    let last = summaries.last().unwrap();
    assert!(
        last["file"]
            .as_str()
            .unwrap()
            .ends_with("logs.zip:a/imsdk_20240312.xlog")
    );
    assert_eq!(last["sessions"], 6);
}

/// The summaries (`file`, `sessions`) of `diagnose --format json` over
/// `args`, with `stdin` piped in.
fn json_summaries(args: &[&std::ffi::OsStr], stdin: Vec<u8>) -> Vec<(String, u64)> {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = xlogdec()
        .args(["diagnose", "--format", "json"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || pipe.write_all(&stdin));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|o| o["type"] == "summary")
        .map(|o| {
            (
                o["file"].as_str().unwrap().to_string(),
                o["sessions"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// Every input kind decoding takes (tar.gz, .xlog.gz, zips in zips,
/// standard input, named or not) gives the same findings' summary as the
/// plain file.
#[test]
fn archives_gz_and_stdin_are_read_like_decoding() {
    use flate2::Compression;
    use flate2::write::GzEncoder;
    use std::io::Write;
    let day_path = testdata().join("imsdk_20240312.xlog");
    let day = std::fs::read(&day_path).unwrap();
    let gz = |b: &[u8]| {
        let mut g = GzEncoder::new(Vec::new(), Compression::fast());
        g.write_all(b).unwrap();
        g.finish().unwrap()
    };
    let dir = tempfile::tempdir().unwrap();
    // A tar.gz holding the day.
    let mut t = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(day.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    t.append_data(&mut h, "user/imsdk_20240312.xlog", &day[..])
        .unwrap();
    let tgz = dir.path().join("bundle.tar.gz");
    std::fs::write(&tgz, gz(&t.into_inner().unwrap())).unwrap();
    let xgz = dir.path().join("imsdk_20240312.xlog.gz");
    std::fs::write(&xgz, gz(&day)).unwrap();
    // A zip in a zip.
    let zip_of = |name: &str, bytes: &[u8]| {
        let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        z.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        z.write_all(bytes).unwrap();
        z.finish().unwrap().into_inner()
    };
    let nested = dir.path().join("outer.zip");
    std::fs::write(
        &nested,
        zip_of("inner.zip", &zip_of("imsdk_20240312.xlog", &day)),
    )
    .unwrap();

    let plain = json_summaries(&[day_path.as_os_str()], Vec::new());
    assert_eq!(plain.len(), 1);
    let sessions = plain[0].1;
    assert_eq!(sessions, 6);
    let got = json_summaries(
        &[tgz.as_os_str(), xgz.as_os_str(), nested.as_os_str()],
        Vec::new(),
    );
    let names: Vec<&str> = got.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(names[0].ends_with("bundle.tar.gz:user/imsdk_20240312.xlog"));
    assert!(names[1].ends_with("imsdk_20240312.xlog.gz"));
    assert!(names[2].ends_with("outer.zip:inner.zip:imsdk_20240312.xlog"));
    assert!(got.iter().all(|&(_, s)| s == sessions), "{got:?}");
    // Standard input, plain (`-`) and gzipped (no input named).
    assert_eq!(
        json_summaries(&["-".as_ref()], day.clone()),
        vec![("-".to_string(), sessions)]
    );
    assert_eq!(
        json_summaries(&[], gz(&day)),
        vec![("-".to_string(), sessions)]
    );
}
