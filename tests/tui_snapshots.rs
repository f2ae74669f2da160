//! Screens drawn through ratatui's `TestBackend` at 80x24, compared with
//! plain-text snapshots in `tests/snapshots/`. After a deliberate change
//! of the screens, rewrite them with `UPDATE_SNAPSHOTS=1 cargo test --test
//! tui_snapshots` and review the diff.

mod common;

use std::path::{Path, PathBuf};

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use xlogdec::decode::reader::Options;
use xlogdec::record::Level;
use xlogdec::tui::action::Action;
use xlogdec::tui::app::App;
use xlogdec::tui::view;

fn corpus(name: &str) -> PathBuf {
    // Relative, so the title in the snapshots does not depend on the checkout.
    Path::new("testdata/corpus").join(name)
}

fn screen(app: &mut App, w: u16, h: u16) -> String {
    app.update(Action::Resize(w, h));
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("test backend");
    term.draw(|f| view::draw(f, app)).expect("draw");
    let buf = term.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..h {
        let mut line = String::new();
        for x in 0..w {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn check(name: &str, got: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(format!("{name}.txt"));
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "missing snapshot {}; run with UPDATE_SNAPSHOTS=1. Got:\n{got}",
            path.display()
        )
    });
    assert_eq!(got, want, "screen {name} differs from its snapshot");
}

fn open(name: &str) -> App {
    let mut app = App::open_file(&corpus(name), Options::default());
    app.update(Action::Resize(80, 24));
    app.settle();
    app
}

#[test]
fn log_screen_at_80x24() {
    let mut app = open("b_async_zlib.xlog");
    check("log_top", &screen(&mut app, 80, 24));
}

#[test]
fn level_filter_screen() {
    let mut app = open("b_async_zlib.xlog");
    app.update(Action::MinLevel(Some(Level::Error)));
    app.settle();
    let s = screen(&mut app, 80, 24);
    // Every log row shown is E or F.
    for line in s.lines().take(22) {
        let text = line.get(4..).unwrap_or("");
        assert!(text.starts_with("[E]") || text.starts_with("[F]"), "{line}");
    }
    check("log_level_error", &s);
}

#[test]
fn integrity_row_and_expanded_record() {
    let mut app = open("j04_flip_payload_zlib.xlog");
    app.update(Action::NextIntegrity(true));
    check("log_integrity", &screen(&mut app, 80, 24));
    let mut app = open("b_async_zlib.xlog");
    let multi = common::record_with_breaks(&app, 2);
    app.update(Action::Down(multi));
    app.update(Action::Enter);
    check("log_expanded", &screen(&mut app, 80, 24));
}

#[test]
fn help_overlay() {
    let mut app = open("b_async_zlib.xlog");
    app.update(Action::Help);
    check("help", &screen(&mut app, 80, 24));
}

#[test]
fn tag_picker_overlay() {
    let mut app = open("b_async_zlib.xlog");
    app.update(Action::TagPicker);
    app.update(Action::Down(2));
    check("tags", &screen(&mut app, 80, 24));
}

#[test]
fn directory_screen() {
    let mut app = App::open_dir(&corpus("h_multiday"), Options::default(), None, false);
    app.update(Action::Resize(80, 24));
    app.settle();
    check("dir", &screen(&mut app, 80, 24));
}

#[test]
fn small_and_resized_windows_draw() {
    let mut app = open("b_async_zlib.xlog");
    app.update(Action::Bottom);
    for (w, h) in [(20, 5), (80, 24), (200, 60), (1, 1), (80, 3)] {
        let s = screen(&mut app, w, h);
        assert_eq!(s.lines().count(), usize::from(h));
    }
    app.update(Action::Help);
    let _ = screen(&mut app, 10, 4);
}

/// The cells of row `y` whose background is the search highlight's.
fn highlighted_text(app: &mut App, w: u16, h: u16, y: u16) -> String {
    app.update(Action::Resize(w, h));
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("test backend");
    term.draw(|f| view::draw(f, app)).expect("draw");
    let buf = term.backend().buffer().clone();
    (0..w)
        .filter(|&x| buf[(x, y)].bg == ratatui::style::Color::Yellow)
        .map(|x| buf[(x, y)].symbol().to_string())
        .collect()
}

#[test]
fn search_highlights_the_match_and_counts_it() {
    let mut app = open("b_async_zlib.xlog");
    app.update(Action::SearchPrompt);
    for c in "conversation".chars() {
        app.update(Action::Char(c));
    }
    app.update(Action::Enter);
    app.settle();
    app.update(Action::SearchNext);
    app.settle();
    let s = screen(&mut app, 80, 24);
    // The status line says which match of how many, and the pattern.
    let status = s.lines().nth(22).unwrap();
    assert!(status.contains("/conversation 2/"), "{status}");
    // The hit is placed with rows above it, not on the bottom line.
    let y = s.lines().position(|l| l.starts_with('>')).unwrap();
    assert!((3..15).contains(&y), "hit at screen line {y}");
    assert_eq!(
        highlighted_text(&mut app, 80, 24, y as u16).to_lowercase(),
        "conversation"
    );
    check("search_hit", &s);
}

#[test]
fn detail_pane_scrolls_a_record_taller_than_the_screen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long.log");
    let mut text =
        String::from("[I][2024-01-31 +8.0 10:00:00.000][1, 2][imsdk][a.cpp:1, f][before]\n");
    text.push_str("[E][2024-01-31 +8.0 10:00:01.000][1, 2][imsdk][a.cpp:2, f][a stack:\n");
    for i in 1..=60 {
        text.push_str(&format!("  frame {i:02} at libim.so+0x{:04x}\n", i * 16));
    }
    text.push_str("[I][2024-01-31 +8.0 10:00:02.000][1, 2][imsdk][a.cpp:3, f][after]\n");
    std::fs::write(&path, text).unwrap();
    let mut app = App::open_file(&path, Options::default());
    app.update(Action::Resize(80, 24));
    app.settle();
    assert_eq!(app.view.len(), 3, "a plain-text file opens as records");
    app.update(Action::Down(1));
    app.update(Action::Enter);
    let first = screen(&mut app, 80, 24);
    assert!(
        first.contains("frame 01") && !first.contains("frame 60"),
        "{first}"
    );
    app.update(Action::Bottom);
    let last = screen(&mut app, 80, 24);
    assert!(
        last.contains("frame 60") && !last.contains("frame 01"),
        "{last}"
    );
    check("detail_end", &last);
    app.update(Action::Close);
    assert!(!screen(&mut app, 80, 24).contains("frame 60"));
}

#[test]
fn histogram_of_errors_and_warnings_per_minute() {
    let mut app = open("b_async_zlib.xlog");
    app.update(Action::Histogram);
    let s = screen(&mut app, 80, 24);
    assert!(s.contains("2024-01-31 10:02"), "{s}");
    check("histogram", &s);
    // Enter jumps to the selected minute.
    app.update(Action::Down(2));
    app.update(Action::Enter);
    app.settle();
    let row = app.view[app.cursor];
    let t = app.store.bytes_of(row);
    assert!(
        String::from_utf8_lossy(&t).contains("10:04:"),
        "{}",
        String::from_utf8_lossy(&t)
    );
}

/// The retention dialog on a directory of 40 files past retention (dates
/// from names, one from its modification time): the directory, the rule,
/// the reference day, and a list that scrolls.
#[test]
fn retention_dialog_scrolls() {
    use xlogdec::retention::Policy;
    use xlogdec::tui::app::Overlay;
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let day = chrono::NaiveDate::from_ymd_opt(2023, 1, 1).unwrap();
    for i in 0..40u64 {
        let date = day + chrono::Days::new(i);
        let name = format!("imsdk_{}.xlog", date.format("%Y%m%d"));
        std::fs::write(d.join(name), vec![b'x'; 100 + i as usize]).unwrap();
    }
    let undated = d.join("undated.xlog");
    std::fs::write(&undated, b"x").unwrap();
    let noon = chrono::NaiveDate::from_ymd_opt(2022, 12, 1)
        .unwrap()
        .and_hms_opt(12, 0, 0)
        .unwrap()
        .and_local_timezone(chrono::Local)
        .single()
        .unwrap();
    std::fs::File::options()
        .write(true)
        .open(&undated)
        .unwrap()
        .set_modified(noon.into())
        .unwrap();
    std::fs::write(d.join("imsdk_20230310.xlog"), b"x").unwrap();
    let policy = Policy::new(chrono::NaiveDate::from_ymd_opt(2024, 6, 1).unwrap())
        .from_newest_log(d)
        .unwrap();
    let mut app = App::open_dir(d, Options::default(), Some(policy), false);
    // The snapshot must not depend on the temporary directory's name.
    let Overlay::Retention(dialog) = &mut app.overlay else {
        panic!("no retention dialog");
    };
    dialog.dir = PathBuf::from("customer-bundle");
    app.title = "customer-bundle".into();
    check("retention_top", &screen(&mut app, 100, 24));
    app.update(Action::PageDown);
    app.update(Action::Down(1));
    check("retention_scrolled", &screen(&mut app, 100, 24));
    app.update(Action::Bottom);
    app.update(Action::Char('y'));
    check("retention_bottom_confirm", &screen(&mut app, 100, 24));
}

/// An IM SDK day: its `TIM:` lines are rows of their own with their
/// levels, so key `5` keeps only the E and F rows, and the status line
/// names the SDK version and app id from the banner.
#[test]
fn imsdk_day_by_level_with_the_sdk_version() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use xlogdec::tui::keymap::{Context, key};
    let mut app = App::open_file(
        &Path::new("testdata/imsdk").join("imsdk_20240312.xlog"),
        Options::default(),
    );
    app.update(Action::Resize(80, 24));
    app.settle();
    // Far more rows than the 18 Mars open banners and tips.
    assert!(app.store.len() > 500, "{}", app.store.len());
    let five = key(
        Context::Normal,
        KeyEvent::new(KeyCode::Char('5'), KeyModifiers::NONE),
    )
    .expect("key 5 is bound");
    app.update(five);
    app.settle();
    let s = screen(&mut app, 80, 24);
    let rows: Vec<&str> = s.lines().take(22).filter(|l| l.len() > 4).collect();
    assert!(rows.len() > 5, "{s}");
    for line in rows {
        // `TIM: 2024-03-12 09:57:34.699 E ...` after the 4-column gutter.
        let level = line.get(4 + 29..4 + 30);
        assert!(matches!(level, Some("E" | "F")), "{line}");
    }
    let status = s.lines().nth(22).expect("status line");
    assert!(status.contains("SDK 8.1.6108"), "{status}");
    assert!(status.contains("app 1400590001"), "{status}");
    check("imsdk_level_error", &s);
}

/// The IM SDK findings pane (`i`) on an IM SDK day: the same findings as
/// `xlogdec diagnose`; Enter jumps to the finding's row, which carries the
/// `!` marker of a known code and, expanded, the code's meaning.
#[test]
fn imsdk_findings_pane_jumps_and_explains() {
    use xlogdec::imsdk::Kind;
    use xlogdec::tui::app::Overlay;
    let mut app = App::open_file(
        Path::new("testdata/imsdk/imsdk_20240312.xlog"),
        Options::default(),
    );
    app.update(Action::Resize(100, 30));
    app.settle();
    let findings = app.lens.findings.clone();
    assert!(findings.len() > 20, "{}", findings.len());
    assert_eq!(findings[0].kind, Kind::Session);
    app.update(Action::Findings);
    check("imsdk_findings", &screen(&mut app, 100, 30));

    // The first connect failure: down to it, Enter.
    let k = findings
        .iter()
        .position(|f| f.kind == Kind::Connect && f.code.is_some())
        .expect("a failed connect");
    app.update(Action::Down(k));
    app.update(Action::Enter);
    assert!(
        matches!(app.overlay, Overlay::None),
        "Enter closes the pane"
    );
    let row = app.view[app.cursor];
    assert_eq!(u64::from(row), findings[k].record);
    let text = String::from_utf8_lossy(&app.store.bytes_of(row)).into_owned();
    assert!(text.starts_with(&findings[k].evidence), "{text}");
    assert!(text.contains("NotifyConnectResult") && text.contains("error_code:9508"));
    // Expanded: the meaning of 9508 under the record.
    app.update(Action::Enter);
    let s = screen(&mut app, 100, 30);
    assert!(s.contains("! code 9508 ERR_SDK_NET_DISCONNECT"), "{s}");
    assert!(
        s.lines()
            .any(|l| l.starts_with(">") && l.chars().nth(2) == Some('!')),
        "{s}"
    );
    check("imsdk_code_detail", &s);
}
