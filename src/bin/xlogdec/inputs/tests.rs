use super::*;

#[test]
fn zip_member_names_cannot_leave_the_output_directory() {
    assert_eq!(sanitise("a/b.xlog"), Some(PathBuf::from("a/b.xlog")));
    assert_eq!(sanitise("/abs/b.xlog"), Some(PathBuf::from("abs/b.xlog")));
    assert_eq!(sanitise("../b.xlog"), None);
    assert_eq!(sanitise("a/../../b.xlog"), None);
    assert_eq!(sanitise("C:/b.xlog"), None);
}

#[test]
fn macos_litter_is_recognised() {
    assert!(is_apple_double("__MACOSX/._a.xlog"));
    assert!(is_apple_double("logs/._a.xlog"));
    assert!(is_apple_double("__MACOSX/logs/a.xlog"));
    assert!(!is_apple_double("logs/a.xlog"));
    assert!(!is_apple_double("logs/a._b.xlog"));
}

#[test]
fn archive_names() {
    assert_eq!(archive_stem("b.tar.gz"), "b");
    assert_eq!(archive_stem("b.TGZ"), "b");
    assert_eq!(archive_stem("b.zip"), "b");
    assert_eq!(archive_stem("a.xlog.gz"), "a.xlog");
    assert_eq!(name_kind("x/a.tgz"), Some(Kind::TarGz));
    assert_eq!(name_kind("a.xlog"), None);
    assert_eq!(numbered(Path::new("logs"), 2), PathBuf::from("logs-2"));
    assert_eq!(numbered(Path::new("a.xlog"), 3), PathBuf::from("a-3.xlog"));
}

#[test]
fn counted_reads_stop_past_the_budget() {
    let budget = Budget::new(10);
    let data = [7u8; 8];
    let mut r = budget.count(&data[..], "first".into());
    assert_eq!(io::copy(&mut r, &mut io::sink()).ok(), Some(8));
    // The budget is shared: the next reader has two bytes left.
    let mut r = budget.count(&data[..], "second".into());
    let e = io::copy(&mut r, &mut io::sink()).expect_err("past the budget");
    assert!(
        e.to_string()
            .contains("second unpacks to more than 10 bytes"),
        "{e}"
    );
    assert!(budget.or("other".into()).starts_with("second"));
}
