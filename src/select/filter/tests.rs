use super::*;

fn now() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2024-01-31T12:00:00+08:00").expect("valid")
}

#[test]
fn globs() {
    let m = |p: &str, t: &str| TagPattern::new(p).matches(t.as_bytes());
    assert!(m("imsdk", "imsdk"));
    assert!(!m("imsdk", "imsdk2"));
    assert!(m("im*", "imsdk"));
    assert!(m("*sdk", "imsdk"));
    assert!(m("*", ""));
    assert!(m("i?sdk", "imsdk"));
    assert!(!m("i?sdk", "isdk"));
    assert!(m("*M*r", "TIMManager"));
    assert!(!m("*M*x", "TIMManager"));
    assert!(m("a*b*c", "aXbYbZc"));
    assert!(m("消?", "消息"));
    assert!(!m("??", "消息x"));
    assert!(m("??", "消息"));
    assert!(!m("im?", "im"));
}

#[test]
fn time_inputs() {
    let p = |s: &str| TimeBound::parse(s, now());
    let t = |h, m, s| NaiveTime::from_hms_opt(h, m, s).expect("valid");
    assert_eq!(p("10:05").ok(), Some(TimeBound::TimeOfDay(t(10, 5, 0))));
    assert_eq!(p("10:05:30").ok(), Some(TimeBound::TimeOfDay(t(10, 5, 30))));
    assert_eq!(
        p("10:05+05:30").ok(),
        Some(TimeBound::TimeOfDayAt(t(10, 5, 0), 330))
    );
    let d = NaiveDate::from_ymd_opt(2024, 1, 31).expect("valid");
    assert_eq!(
        p("2024-01-31 10:05").ok(),
        Some(TimeBound::Local(d.and_time(t(10, 5, 0))))
    );
    assert_eq!(
        p("2024-01-31T10:05:01").ok(),
        Some(TimeBound::Local(d.and_time(t(10, 5, 1))))
    );
    assert_eq!(
        p("2024-01-31").ok(),
        Some(TimeBound::Local(d.and_time(t(0, 0, 0))))
    );
    // 10:00 UTC; 18:00 at +08:00: the same instant.
    let instant = |s: &str| match p(s) {
        Ok(TimeBound::Instant { utc_millis, offset }) => (utc_millis, offset),
        other => panic!("{s}: {other:?}"),
    };
    let ten_utc = d.and_time(t(10, 0, 0)).and_utc().timestamp_millis();
    assert_eq!(instant("2024-01-31 10:00Z"), (ten_utc, 0));
    assert_eq!(instant("2024-01-31 18:00 +08:00"), (ten_utc, 480));
    assert_eq!(instant("2024-01-31 18:00+0800"), (ten_utc, 480));
    assert_eq!(instant("2024-01-31 06:00-04"), (ten_utc, -240));
    // now is 04:00 UTC; two hours back is 02:00 UTC.
    assert_eq!(
        p("-2h").ok(),
        Some(TimeBound::Instant {
            utc_millis: d.and_time(t(2, 0, 0)).and_utc().timestamp_millis(),
            offset: 480
        })
    );
    assert!(p("-1d").is_ok());
    assert_eq!(p("-1d").ok(), p("-24h").ok());
    for bad in [
        "",
        "yesterday",
        "25:00",
        "10",
        "2024-13-01",
        "-2x",
        "10:00+8:00:00",
        "-h",
    ] {
        match p(bad) {
            Err(FilterError::Time(s)) => assert_eq!(s, bad),
            other => panic!("{bad:?} gave {other:?}"),
        }
    }
}

#[test]
fn a_date_alone_ends_its_day_as_an_until() {
    let d = NaiveDate::from_ymd_opt(2024, 1, 31).expect("valid");
    let end = d.and_hms_nano_opt(23, 59, 59, 999_999_999).expect("valid");
    assert_eq!(
        TimeBound::parse_end("2024-01-31", now()).ok(),
        Some(TimeBound::Local(end))
    );
    // With an offset: the instant of the day's last millisecond.
    let z = d.and_hms_milli_opt(23, 59, 59, 999).expect("valid");
    assert_eq!(
        TimeBound::parse_end("2024-01-31Z", now()).ok(),
        Some(TimeBound::Instant {
            utc_millis: z.and_utc().timestamp_millis(),
            offset: 0
        })
    );
    // A time given is kept as it is, and so are relative bounds.
    for s in ["2024-01-31 10:00", "2024-01-31T10:00", "10:00", "-2h"] {
        assert_eq!(
            TimeBound::parse_end(s, now()).ok(),
            TimeBound::parse(s, now()).ok(),
            "{s}"
        );
    }
}

#[test]
fn windows_across_midnight_and_empty_windows() {
    let window = |since: &str, until: &str| {
        Filter::new(
            &FilterOptions {
                since: Some(since.into()),
                until: Some(until.into()),
                ..Default::default()
            },
            now(),
        )
    };
    let rec = |t: &str| format!("[I][{t}][1, 2][tag][a.cc, f, 1][message\n");
    let passes = |f: &Filter, t: &str| f.matches(&Record::parse(rec(t).as_bytes()));
    let f = window("23:50", "00:10").expect("overnight");
    assert!(f.overnight);
    for t in [
        "2024-01-30 +8.0 23:50:00.000",
        "2024-01-31 +8.0 00:10:00.000",
    ] {
        assert!(passes(&f, t), "{t}");
    }
    for t in [
        "2024-01-30 +8.0 23:49:59.999",
        "2024-01-31 +8.0 00:10:00.001",
    ] {
        assert!(!passes(&f, t), "{t}");
    }
    let f = window("10:00", "11:00").expect("same day");
    assert!(!f.overnight);
    assert!(passes(&f, "2024-01-31 +8.0 10:30:00.000"));
    assert!(!passes(&f, "2024-01-31 +8.0 23:55:00.000"));
    // Full dates: since after until is an error naming both.
    for (a, b) in [
        ("2024-01-31", "2024-01-30"),
        ("2024-01-31 10:03", "2024-01-31 10:02"),
        ("2024-01-31 10:00Z", "2024-01-31 09:00Z"),
    ] {
        match window(a, b) {
            Err(e @ FilterError::EmptyWindow { .. }) => {
                let m = e.to_string();
                assert!(m.contains(a) && m.contains(b), "{m}");
            }
            other => panic!("{a}..{b}: {other:?}"),
        }
    }
    // One day as both ends: the whole day.
    let f = window("2024-01-31", "2024-01-31").expect("one day");
    assert!(passes(&f, "2024-01-31 +8.0 23:59:59.999"));
    assert!(!passes(&f, "2024-02-01 +8.0 00:00:00.000"));
}

#[test]
fn tags_fold_case_with_i_and_smart_case() {
    let tags = |t: &str, ignore_case: bool, smart_case: bool| {
        Filter::new(
            &FilterOptions {
                tags: vec![t.into()],
                ignore_case,
                smart_case,
                ..Default::default()
            },
            now(),
        )
        .expect("valid")
    };
    let rec = "[I][2024-01-31 +8.0 10:00:00.000][1, 2][TIMManager][a.cc, f, 1][m\n";
    let passes = |f: &Filter| f.matches(&Record::parse(rec.as_bytes()));
    assert!(passes(&tags("TIMManager", false, false)));
    assert!(!passes(&tags("timmanager", false, false)));
    assert!(passes(&tags("timmanager", true, false)));
    assert!(passes(&tags("tim*", true, false)));
    assert!(passes(&tags("timmanager", false, true)));
    assert!(passes(&tags("tim?anager", false, true)));
    // An upper-case letter makes smart case exact; -i still folds.
    assert!(!passes(&tags("TIMmanager", false, true)));
    assert!(passes(&tags("TIMmanager", true, true)));
    assert!(folds_case("abc", false, true) && !folds_case("aBc", false, true));
}

#[test]
fn option_errors_carry_the_text() {
    let e = Filter::new(
        &FilterOptions {
            level: Some("loud".into()),
            ..Default::default()
        },
        now(),
    )
    .expect_err("bad level");
    assert!(e.to_string().contains("\"loud\""), "{e}");
    let e = Filter::new(
        &FilterOptions {
            regex: Some("(unclosed".into()),
            ..Default::default()
        },
        now(),
    )
    .expect_err("bad regex");
    assert!(e.to_string().contains("(unclosed"), "{e}");
}
