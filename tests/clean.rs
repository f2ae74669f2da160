//! `xlogdec clean` on temporary directories built by each test, with
//! "today" pinned by `--now 2024-02-08` and the default 7 days: files
//! dated 2024-01-31 or earlier are expired, 2024-02-01 and later are kept.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::SystemTime;

use chrono::{Local, NaiveDate, TimeZone};

const NOW: &str = "2024-02-08";

fn xlogdec(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xlogdec"))
        .arg("clean")
        .args(["--now", NOW])
        .args(args)
        .arg(dir)
        .output()
        .expect("run xlogdec")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Writes `len` bytes to `dir/name` and returns the path.
fn file(dir: &Path, name: &str, len: usize) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, vec![b'x'; len]).expect("write test file");
    path
}

/// Sets the file's mtime to local noon of `date` (noon: clear of DST gaps).
fn set_mtime(path: &Path, y: i32, m: u32, d: u32) {
    let noon = NaiveDate::from_ymd_opt(y, m, d)
        .and_then(|date| date.and_hms_opt(12, 0, 0))
        .expect("valid test date");
    let local = Local
        .from_local_datetime(&noon)
        .single()
        .expect("local noon is unambiguous");
    fs::File::options()
        .write(true)
        .open(path)
        .and_then(|f| f.set_modified(SystemTime::from(local)))
        .expect("set mtime");
}

/// A file, or a symlink itself, is still there.
fn present(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok()
}

#[track_caller]
fn assert_removed(paths: &[&Path]) {
    for p in paths {
        assert!(!present(p), "should be removed: {}", p.display());
    }
}

#[track_caller]
fn assert_kept(paths: &[&Path]) {
    for p in paths {
        assert!(present(p), "should be kept: {}", p.display());
    }
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("tempdir")
}

#[test]
fn expired_fresh_and_boundary() {
    let tmp = tempdir();
    let dir = tmp.path();
    let expired = file(dir, "imsdk_20240131.xlog", 10);
    let old = file(dir, "imsdk_20230615.xlog", 20);
    let boundary = file(dir, "imsdk_20240201.xlog", 1);
    let fresh = file(dir, "imsdk_20240205.xlog", 1);
    let today = file(dir, "imsdk_20240208.xlog", 1);
    let future = file(dir, "imsdk_20240301.xlog", 1);

    let out = xlogdec(&[], dir);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_removed(&[&expired, &old]);
    assert_kept(&[&boundary, &fresh, &today, &future]);
    let text = stdout(&out);
    assert!(
        text.contains("removed 2 files, 30 bytes freed"),
        "summary: {text}"
    );
}

#[test]
fn keep_days_moves_the_boundary() {
    let tmp = tempdir();
    let dir = tmp.path();
    let seven_days = file(dir, "imsdk_20240201.xlog", 1);
    let six_days = file(dir, "imsdk_20240202.xlog", 1);

    let out = xlogdec(&["--keep-days", "6"], dir);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_removed(&[&seven_days]);
    assert_kept(&[&six_days]);
}

#[test]
fn split_files_follow_their_date() {
    let tmp = tempdir();
    let dir = tmp.path();
    let base = file(dir, "imsdk_20240131.xlog", 1);
    let first = file(dir, "imsdk_20240131_1.xlog", 1);
    let second = file(dir, "imsdk_20240131_2.xlog", 1);
    let kept_split = file(dir, "imsdk_20240201_1.xlog", 1);
    let prefix_with_underscore = file(dir, "other_prefix_20240130_3.xlog", 1);

    let out = xlogdec(&[], dir);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_removed(&[&base, &first, &second, &prefix_with_underscore]);
    assert_kept(&[&kept_split]);
}

/// Without a date in the name (or with an impossible one, 30 February),
/// the local date of the mtime decides.
#[test]
fn names_without_dates_use_mtime() {
    let tmp = tempdir();
    let dir = tmp.path();
    let old = file(dir, "imsdk.xlog", 1);
    set_mtime(&old, 2024, 1, 31);
    let recent = file(dir, "crash_dump.xlog", 1);
    set_mtime(&recent, 2024, 2, 1);
    let bad_date_old = file(dir, "imsdk_20240230.xlog", 1);
    set_mtime(&bad_date_old, 2024, 1, 20);
    let bad_date_recent = file(dir, "imsdk_20240231.xlog", 1);
    set_mtime(&bad_date_recent, 2024, 2, 7);
    // The name wins over the mtime when it has a date.
    let named_fresh_but_old_mtime = file(dir, "imsdk_20240207.xlog", 1);
    set_mtime(&named_fresh_but_old_mtime, 2023, 1, 1);

    let out = xlogdec(&["--dry-run"], dir);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("imsdk.xlog  2024-01-31 (mtime)  8 days  1 bytes"),
        "{text}"
    );

    let out = xlogdec(&[], dir);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_removed(&[&old, &bad_date_old]);
    assert_kept(&[&recent, &bad_date_recent, &named_fresh_but_old_mtime]);
}

#[test]
fn mmap3_buffer_is_never_removed() {
    let tmp = tempdir();
    let dir = tmp.path();
    let mmap = file(dir, "imsdk.mmap3", 1);
    set_mtime(&mmap, 2020, 1, 1);
    let dated = file(dir, "imsdk_20200101.mmap3", 1);
    set_mtime(&dated, 2020, 1, 1);
    let odd = file(dir, "imsdk_20200101.mmap3.xlog", 1);

    let out = xlogdec(&["-r", "--include-decoded"], dir);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_kept(&[&mmap, &dated, &odd]);
}

#[cfg(unix)]
#[test]
fn symlinks_are_never_followed_nor_removed() {
    use std::os::unix::fs::symlink;
    let tmp = tempdir();
    let outside = tempdir();
    let dir = tmp.path();
    let target = file(outside.path(), "imsdk_20240101.xlog", 1);
    let link = dir.join("imsdk_20240102.xlog");
    symlink(&target, &link).expect("symlink to file");
    let dangling = dir.join("imsdk_20240103.xlog");
    symlink(outside.path().join("gone.xlog"), &dangling).expect("dangling symlink");
    let linked_dir = dir.join("linked");
    symlink(outside.path(), &linked_dir).expect("symlink to dir");

    let out = xlogdec(&["-r"], dir);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_kept(&[&link, &dangling, &linked_dir, &target]);
    assert!(
        fs::symlink_metadata(&link)
            .expect("link")
            .file_type()
            .is_symlink()
    );
}

#[test]
fn subdirectories_need_recursive() {
    let tmp = tempdir();
    let dir = tmp.path();
    let sub = dir.join("old");
    fs::create_dir(&sub).expect("mkdir");
    let nested = file(&sub, "imsdk_20240101.xlog", 1);
    let nested_fresh = file(&sub, "imsdk_20240207.xlog", 1);
    // A Mars dump directory: its name is a date, but directories are never removed.
    let dump_dir = dir.join("20240101");
    fs::create_dir(&dump_dir).expect("mkdir");
    let dump = file(&dump_dir, "20240101120000_10.dump", 1);
    let deep = dir.join("a/b");
    fs::create_dir_all(&deep).expect("mkdir -p");
    let deeper = file(&deep, "imsdk_20240101.xlog", 1);

    let out = xlogdec(&[], dir);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_kept(&[&sub, &nested, &nested_fresh, &dump_dir, &dump, &deeper]);

    let out = xlogdec(&["-r"], dir);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_removed(&[&nested, &deeper]);
    assert_kept(&[&sub, &nested_fresh, &dump_dir, &dump, &deep]);
}

#[test]
fn other_files_are_kept_and_decoded_outputs_need_the_flag() {
    let tmp = tempdir();
    let dir = tmp.path();
    let others: Vec<PathBuf> = [
        "notes.txt",
        "imsdk_20240101.log",
        "imsdk_20240101.xlog.bak",
        "imsdk_20240101.XLOG",
        "imsdk_20240101.xlog.log.gz",
    ]
    .iter()
    .map(|name| {
        let p = file(dir, name, 1);
        set_mtime(&p, 2020, 1, 1);
        p
    })
    .collect();
    let decoded = file(dir, "imsdk_20240101.xlog.log", 1);
    let decoded_fresh = file(dir, "imsdk_20240207.xlog.log", 1);
    let decoded_no_date = file(dir, "imsdk.xlog.log", 1);
    set_mtime(&decoded_no_date, 2024, 1, 1);

    let out = xlogdec(&[], dir);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_kept(&[&decoded, &decoded_fresh, &decoded_no_date]);

    let out = xlogdec(&["--include-decoded"], dir);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_removed(&[&decoded, &decoded_no_date]);
    assert_kept(&[&decoded_fresh]);
    for p in &others {
        assert_kept(&[p]);
    }
}

/// On Unix a file's own mode does not protect it from unlink: removal
/// depends on the directory, so an expired read-only log goes like any
/// other (as it does for the Mars writer's own clean-up).
#[cfg(unix)]
#[test]
fn read_only_expired_file_is_removed() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempdir();
    let dir = tmp.path();
    let ro = file(dir, "imsdk_20240101.xlog", 1);
    fs::set_permissions(&ro, fs::Permissions::from_mode(0o444)).expect("chmod");
    let ro_fresh = file(dir, "imsdk_20240207.xlog", 1);
    fs::set_permissions(&ro_fresh, fs::Permissions::from_mode(0o444)).expect("chmod");

    let out = xlogdec(&[], dir);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_removed(&[&ro]);
    assert_kept(&[&ro_fresh]);
}

/// Makes a directory refuse new and removed entries until dropped: mode
/// 0555 for an unprivileged user, the immutable attribute (`chattr +i`)
/// for root, who ignores modes. `None` if neither works here.
#[cfg(unix)]
struct LockedDir(PathBuf);

#[cfg(unix)]
impl LockedDir {
    fn lock(dir: &Path) -> Option<LockedDir> {
        use std::os::unix::fs::PermissionsExt;
        let guard = LockedDir(dir.to_path_buf());
        fs::set_permissions(dir, fs::Permissions::from_mode(0o555)).ok()?;
        if guard.refuses_writes() {
            return Some(guard);
        }
        let chattr = Command::new("chattr").arg("+i").arg(dir).status();
        if matches!(chattr, Ok(s) if s.success()) && guard.refuses_writes() {
            return Some(guard);
        }
        None
    }

    fn refuses_writes(&self) -> bool {
        let probe = self.0.join(".probe");
        match fs::write(&probe, b"") {
            Ok(()) => {
                let _ = fs::remove_file(&probe);
                false
            }
            Err(_) => true,
        }
    }
}

#[cfg(unix)]
impl Drop for LockedDir {
    fn drop(&mut self) {
        use std::os::unix::fs::PermissionsExt;
        let _ = Command::new("chattr")
            .arg("-i")
            .arg(&self.0)
            .stderr(std::process::Stdio::null())
            .status();
        let _ = fs::set_permissions(&self.0, fs::Permissions::from_mode(0o755));
    }
}

/// A file that cannot be removed (its directory refuses) is reported,
/// the others are still removed, and the exit code is 1. This exercises
/// a real unlink failure (EACCES or EPERM); if the directory cannot be
/// locked here the test says so and passes without checking.
#[cfg(unix)]
#[test]
fn removal_failure_is_reported_and_the_rest_continue() {
    let tmp = tempdir();
    let dir = tmp.path();
    let locked = dir.join("locked");
    fs::create_dir(&locked).expect("mkdir");
    let stuck = file(&locked, "imsdk_20240101.xlog", 7);
    let before = file(dir, "a_20240101.xlog", 3);
    let after = file(dir, "z_20240101.xlog", 4);
    let Some(_guard) = LockedDir::lock(&locked) else {
        common::skip_loudly("clean", "cannot make a directory refuse unlink here");
        return;
    };

    let out = xlogdec(&["-r"], dir);
    assert_eq!(out.status.code(), Some(1));
    assert_removed(&[&before, &after]);
    assert_kept(&[&stuck]);
    let err = stderr(&out);
    assert!(
        err.contains("cannot remove") && err.contains("imsdk_20240101.xlog"),
        "stderr: {err}"
    );
    let text = stdout(&out);
    assert!(
        text.contains("removed 2 files, 7 bytes freed") && text.contains("1 failed"),
        "{text}"
    );

    // The same failure in JSON: an error event, and the summary counts it.
    let again = file(dir, "b_20240101.xlog", 1);
    let out = xlogdec(&["-r", "--format", "json"], dir);
    assert_eq!(out.status.code(), Some(1));
    assert_removed(&[&again]);
    let events = json_lines(&stdout(&out));
    let error = events
        .iter()
        .find(|e| e["event"] == "error")
        .expect("an error event");
    assert_eq!(error["op"], "remove");
    assert!(
        error["path"]
            .as_str()
            .is_some_and(|p| p.ends_with("locked/imsdk_20240101.xlog"))
    );
    let summary = events.last().expect("summary");
    assert_eq!(summary["event"], "summary");
    assert_eq!(summary["failed"], 1);
    assert_eq!(summary["files"], 1);
}

fn json_lines(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .map(|line| serde_json::from_str(line).expect("each line is JSON"))
        .collect()
}

#[test]
fn dry_run_lists_date_age_and_size_and_removes_nothing() {
    let tmp = tempdir();
    let dir = tmp.path();
    let expired = file(dir, "imsdk_20240130.xlog", 1234);
    let fresh = file(dir, "imsdk_20240201.xlog", 1);

    let out = xlogdec(&["--dry-run"], dir);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_kept(&[&expired, &fresh]);
    let text = stdout(&out);
    let line = format!(
        "would remove  {}  2024-01-30  9 days  1234 bytes",
        expired.display()
    );
    assert!(text.contains(&line), "{text}");
    assert!(!text.contains("imsdk_20240201"), "{text}");
    assert!(text.contains("would remove 1 file, 1234 bytes"), "{text}");
}

#[test]
fn json_events_for_dry_run_and_real_run() {
    let tmp = tempdir();
    let dir = tmp.path();
    let expired = file(dir, "imsdk_20240131.xlog", 1234);
    file(dir, "imsdk_20240201.xlog", 1);

    for dry_run in [true, false] {
        let args: &[&str] = if dry_run {
            &["--format", "json", "--dry-run"]
        } else {
            &["--format", "json"]
        };
        let out = xlogdec(args, dir);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let events = json_lines(&stdout(&out));
        assert_eq!(events.len(), 3, "{events:?}");
        let reference = &events[0];
        assert_eq!(reference["event"], "reference");
        assert_eq!(reference["date"], NOW);
        assert_eq!(reference["source"], "given");
        assert_eq!(reference["first_kept"], "2024-02-01");
        let events = &events[1..];
        let remove = &events[0];
        assert_eq!(remove["event"], "remove");
        assert_eq!(remove["path"], expired.to_string_lossy().as_ref());
        assert_eq!(remove["date"], "2024-01-31");
        assert_eq!(remove["date_source"], "name");
        assert_eq!(remove["age_days"], 8);
        assert_eq!(remove["bytes"], 1234);
        assert_eq!(remove["dry_run"], dry_run);
        let summary = &events[1];
        assert_eq!(summary["event"], "summary");
        assert_eq!(summary["files"], 1);
        assert_eq!(summary["bytes"], 1234);
        assert_eq!(summary["failed"], 0);
        assert_eq!(summary["dry_run"], dry_run);
        assert_eq!(present(&expired), dry_run);
    }
}

#[test]
fn unusable_dir_exits_2_with_one_line() {
    let tmp = tempdir();
    let missing = tmp.path().join("missing");
    let not_dir = file(tmp.path(), "imsdk_20240101.xlog", 1);
    for (dir, why) in [
        (&missing, "no such directory"),
        (&not_dir, "not a directory"),
    ] {
        let out = xlogdec(&[], dir);
        assert_eq!(out.status.code(), Some(2));
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains(&*dir.to_string_lossy()) && err.contains(why),
            "{err}"
        );
        assert!(stdout(&out).is_empty());
    }
    assert_kept(&[&not_dir]);
}

#[test]
fn now_must_be_a_real_date() {
    let tmp = tempdir();
    let out = Command::new(env!("CARGO_BIN_EXE_xlogdec"))
        .args(["clean", "--now", "2024-02-30"])
        .arg(tmp.path())
        .output()
        .expect("run xlogdec");
    assert_eq!(out.status.code(), Some(2));
}

/// `clean` without `--now`.
fn clean(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xlogdec"))
        .arg("clean")
        .args(args)
        .arg(dir)
        .output()
        .expect("run xlogdec")
}

/// A customer's bundle a month or more old: the days are counted back from
/// its newest log, not from the machine's date, so the last seven days of
/// logs stay, as on the device; the report's first line says so.
#[test]
fn an_old_bundle_keeps_the_last_seven_days_of_its_newest_log() {
    let tmp = tempdir();
    let dir = tmp.path();
    let gone = file(dir, "imsdk_20230301.xlog", 5);
    let gone_split = file(dir, "imsdk_20230302_1.xlog", 5);
    let boundary = file(dir, "imsdk_20230303.xlog", 1);
    let mid = file(dir, "imsdk_20230307_2.xlog", 1);
    let newest = file(dir, "imsdk_20230310.xlog", 1);
    // Copied today: its mtime must not become the reference day.
    let undated = file(dir, "imsdk.xlog", 1);
    set_mtime(&undated, 2023, 3, 9);

    let out = clean(&["--dry-run"], dir);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(
        text.lines().next(),
        Some(
            "reference day 2023-03-10 (the day of the newest log, imsdk_20230310.xlog): \
             keeping 7 days, files dated 2023-03-03 or later"
        ),
        "{text}"
    );
    assert!(text.contains("would remove 2 files"), "{text}");

    let out = clean(&[], dir);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_removed(&[&gone, &gone_split]);
    assert_kept(&[&boundary, &mid, &newest, &undated]);
}

/// `--today` counts from the machine's date (everything of an old bundle
/// goes); `--now` and `--today` exclude each other.
#[test]
fn today_counts_from_the_machines_date() {
    let tmp = tempdir();
    let dir = tmp.path();
    let old = file(dir, "imsdk_20230310.xlog", 1);
    let out = clean(&["--today", "--dry-run"], dir);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let today = Local::now().date_naive();
    assert!(
        text.starts_with(&format!("reference day {today} (today)")),
        "{text}"
    );
    assert!(text.contains("would remove 1 file"), "{text}");
    assert_kept(&[&old]);
    let out = clean(&["--today", "--now", "2024-01-01"], dir);
    assert_eq!(out.status.code(), Some(2));
    assert_kept(&[&old]);
}

/// A log dated after today (a device clock ahead) does not push the day
/// past today, so it cannot expire the rest.
#[test]
fn a_log_dated_in_the_future_does_not_expire_the_rest() {
    let tmp = tempdir();
    let dir = tmp.path();
    let today = Local::now().date_naive();
    let recent = file(dir, &format!("imsdk_{}.xlog", today.format("%Y%m%d")), 1);
    let future = file(dir, "imsdk_29990101.xlog", 1);
    let out = clean(&[], dir);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("today: the newest log, imsdk_29990101.xlog, is dated later"),
        "{}",
        stdout(&out)
    );
    assert_kept(&[&recent, &future]);
}
