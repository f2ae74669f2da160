use super::*;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("valid test date")
}

#[test]
fn name_plain_and_split() {
    assert_eq!(
        file_date_from_name("imsdk_20240131.xlog"),
        Some(d(2024, 1, 31))
    );
    assert_eq!(
        file_date_from_name("imsdk_20240131_1.xlog"),
        Some(d(2024, 1, 31))
    );
    assert_eq!(
        file_date_from_name("imsdk_20240131_12.xlog"),
        Some(d(2024, 1, 31))
    );
    assert_eq!(
        file_date_from_name("other_prefix_20240131.xlog"),
        Some(d(2024, 1, 31))
    );
    assert_eq!(
        file_date_from_name("other_prefix_20240131_3.xlog"),
        Some(d(2024, 1, 31))
    );
    // Mars with an empty name prefix.
    assert_eq!(file_date_from_name("_20240131.xlog"), Some(d(2024, 1, 31)));
}

#[test]
fn name_decoded_output() {
    assert_eq!(
        file_date_from_name("imsdk_20240131.xlog.log"),
        Some(d(2024, 1, 31))
    );
    assert_eq!(
        file_date_from_name("imsdk_20240131_2.xlog.log"),
        Some(d(2024, 1, 31))
    );
}

#[test]
fn name_without_valid_date() {
    for name in [
        "imsdk.xlog",
        "20240131.xlog",
        "imsdk_2024013.xlog",
        "imsdk_202401311.xlog",
        "imsdk_2024-01-31.xlog",
        "imsdk_20240230.xlog", // 30 February
        "imsdk_20241301.xlog", // month 13
        "imsdk_20240131_.xlog",
        "imsdk_20240131_x.xlog",
        "imsdk_20240131_1_2.xlog",
        "imsdk_20240131.log",
        "imsdk_20240131.xlog.bak",
        "imsdk_20240131.mmap3",
        "imsdk_+2024013.xlog",
    ] {
        assert_eq!(file_date_from_name(name), None, "{name}");
    }
}

#[test]
fn leap_day_is_a_date() {
    assert_eq!(file_date_from_name("a_20240229.xlog"), Some(d(2024, 2, 29)));
    assert_eq!(file_date_from_name("a_20230229.xlog"), None);
}

/// Guards the meaning of "more than N days before today".
#[test]
fn boundary_is_kept_one_day_more_is_expired() {
    let policy = Policy::new(d(2024, 2, 8));
    assert!(!is_expired(d(2024, 2, 8), &policy));
    assert!(!is_expired(d(2024, 2, 1), &policy), "exactly 7 days: kept");
    assert!(is_expired(d(2024, 1, 31), &policy), "8 days: expired");
    assert!(!is_expired(d(2024, 3, 1), &policy), "future: kept");
    let zero = Policy {
        keep_days: 0,
        ..policy
    };
    assert!(!is_expired(d(2024, 2, 8), &zero));
    assert!(is_expired(d(2024, 2, 7), &zero));
}

#[test]
fn age_counts_whole_days() {
    assert_eq!(age_days(d(2024, 1, 31), d(2024, 2, 8)), 8);
    assert_eq!(age_days(d(2024, 2, 9), d(2024, 2, 8)), -1);
}

fn touch(path: &Path) {
    fs::write(path, b"x").expect("write test file");
}

fn expired_paths(cands: &[Candidate]) -> Vec<PathBuf> {
    cands
        .iter()
        .filter(|c| c.is_expired())
        .map(|c| c.path.clone())
        .collect()
}

/// A file that vanishes between scan and removal is reported, and the
/// others are still removed.
#[test]
fn vanished_file_is_reported_and_others_continue() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let a = tmp.path().join("a_20240101.xlog");
    let b = tmp.path().join("b_20240101.xlog");
    touch(&a);
    touch(&b);
    let cands = scan(tmp.path(), &Policy::new(d(2024, 2, 8))).expect("scan");
    assert_eq!(expired_paths(&cands), vec![a.clone(), b.clone()]);
    fs::remove_file(&a).expect("remove a behind the scan's back");
    let removals = remove(&cands);
    assert_eq!(removals.len(), 2);
    match &removals[0].result {
        Err(RemoveError::Io(e)) => assert_eq!(e.kind(), io::ErrorKind::NotFound),
        other => panic!("expected NotFound, got {other:?}"),
    }
    assert_eq!(removals[1].result.as_ref().ok(), Some(&1));
    assert!(!b.exists());
}

/// A file swapped for a symlink after the scan is not removed, nor is
/// its target.
#[cfg(unix)]
#[test]
fn file_replaced_by_symlink_is_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let outside = tempfile::tempdir().expect("tempdir");
    let target = outside.path().join("keep_20240101.xlog");
    touch(&target);
    let a = tmp.path().join("a_20240101.xlog");
    touch(&a);
    let cands = scan(tmp.path(), &Policy::new(d(2024, 2, 8))).expect("scan");
    fs::remove_file(&a).expect("remove");
    std::os::unix::fs::symlink(&target, &a).expect("symlink");
    let removals = remove(&cands);
    assert!(matches!(
        removals[0].result,
        Err(RemoveError::NotRegularFile)
    ));
    assert!(fs::symlink_metadata(&a).is_ok());
    assert!(target.exists());
}

/// A sub-directory swapped for a symlink to elsewhere after the scan:
/// the file of the same name there is not removed.
#[cfg(unix)]
#[test]
fn parent_replaced_by_symlink_is_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let outside = tempfile::tempdir().expect("tempdir");
    let sub = tmp.path().join("sub");
    fs::create_dir(&sub).expect("mkdir");
    touch(&sub.join("a_20240101.xlog"));
    touch(&outside.path().join("a_20240101.xlog"));
    let policy = Policy {
        recursive: true,
        ..Policy::new(d(2024, 2, 8))
    };
    let cands = scan(tmp.path(), &policy).expect("scan");
    assert_eq!(expired_paths(&cands), vec![sub.join("a_20240101.xlog")]);
    fs::remove_dir_all(&sub).expect("rm sub");
    std::os::unix::fs::symlink(outside.path(), &sub).expect("symlink");
    let removals = remove(&cands);
    assert!(matches!(removals[0].result, Err(RemoveError::OutsideDir)));
    assert!(outside.path().join("a_20240101.xlog").exists());
}

/// An old bundle keeps the last `keep_days` days of its newest log, not
/// of the machine's date; a later-dated log does not push the day past
/// today; names count before modification times.
#[test]
fn the_reference_day_is_the_newest_logs_day() {
    let tmp = tempfile::tempdir().expect("tempdir");
    for n in ["a_20230301.xlog", "a_20230308.xlog", "a_20230310_2.xlog"] {
        touch(&tmp.path().join(n));
    }
    touch(&tmp.path().join("undated.xlog")); // mtime: today
    let today = d(2024, 2, 8);
    let p = Policy::new(today)
        .from_newest_log(tmp.path())
        .expect("policy");
    assert_eq!(p.today, d(2023, 3, 10));
    assert_eq!(
        p.reference,
        Reference::NewestLog("a_20230310_2.xlog".into())
    );
    assert_eq!(p.first_kept_day(), d(2023, 3, 3));
    let cands = scan(tmp.path(), &p).expect("scan");
    let expired: Vec<_> = expired_paths(&cands)
        .iter()
        .map(|p| p.file_name().expect("name").to_string_lossy().into_owned())
        .collect();
    assert_eq!(expired, ["a_20230301.xlog"]);

    touch(&tmp.path().join("a_20240301.xlog"));
    let p = Policy::new(today)
        .from_newest_log(tmp.path())
        .expect("policy");
    assert_eq!(p.today, today);
    assert_eq!(
        p.reference,
        Reference::TodayNewestLater("a_20240301.xlog".into())
    );

    let empty = tempfile::tempdir().expect("tempdir");
    let p = Policy::new(today)
        .from_newest_log(empty.path())
        .expect("policy");
    assert_eq!((p.today, p.reference), (today, Reference::TodayNoDatedLog));
}

#[test]
fn scan_of_a_file_is_an_error() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let f = tmp.path().join("a_20240101.xlog");
    touch(&f);
    let err = scan(&f, &Policy::new(d(2024, 2, 8))).expect_err("not a dir");
    assert_eq!(err.kind(), io::ErrorKind::NotADirectory);
    let err = scan(&tmp.path().join("missing"), &Policy::new(d(2024, 2, 8))).expect_err("missing");
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
}
