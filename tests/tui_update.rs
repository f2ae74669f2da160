//! The viewer's state machine without a terminal: actions in, state out,
//! on corpus samples. Expected values come from the official decoder's
//! texts (`*.expected.log`) and from the library's own record filters,
//! which define what the CLI prints.

mod common;

use common::{corpus, expected};
use std::path::Path;

use chrono::{Local, NaiveDate};
use xlogdec::decode::reader::Options;
use xlogdec::record::{Level, Record, Records};
use xlogdec::retention::Policy;
use xlogdec::select::filter::{Filter, FilterOptions};
use xlogdec::tui::action::Action;
use xlogdec::tui::app::{App, Overlay, Screen};
use xlogdec::tui::keymap::{self, Context, KEYS};
use xlogdec::tui::store::RowKind;

fn open(name: &str) -> App {
    let mut app = App::open_file(&corpus(name), Options::default());
    app.update(Action::Resize(80, 24));
    app.settle();
    app
}

fn type_text(app: &mut App, s: &str) {
    for c in s.chars() {
        app.update(Action::Char(c));
    }
}

fn cursor_bytes(app: &App) -> Vec<u8> {
    app.store.bytes_of(app.view[app.cursor]).to_vec()
}

/// The CLI's filtered output: the records of the decoded text that pass.
fn cli_filtered(text: &[u8], opts: &FilterOptions) -> Vec<u8> {
    let f = Filter::new(opts, Local::now().fixed_offset()).expect("valid filter");
    Records::new(text)
        .filter(|r| f.matches(r))
        .flat_map(|r| r.bytes.to_vec())
        .collect()
}

#[test]
fn rows_concatenate_to_the_official_output() {
    for name in [
        "b_async_zlib.xlog",
        "j04_flip_payload_zlib.xlog",
        "j07_bad_magic.xlog",
        "j11_block_removed.xlog",
        "k_legacy_0x05_async.xlog",
    ] {
        let mut app = open(name);
        assert!(app.progress.finished, "{name}");
        let rows = app.rows_to_save();
        let all: Vec<u8> = rows
            .iter()
            .flat_map(|&r| app.store.bytes_of(r).to_vec())
            .collect();
        assert_eq!(all, expected(name), "{name}");
        assert_eq!(
            app.view.len(),
            app.store.len(),
            "{name}: no filter, no loss"
        );
    }
}

/// The store keeps no text: rows are decoded again from the file, block by
/// block, through a cache. With the cache at its smallest (one piece),
/// every row read back must still be what the command line prints, and
/// the store must hold far less than the text.
#[test]
fn rows_read_back_from_the_file_are_the_official_output() {
    for name in [
        "b_async_zlib.xlog",
        "d_async_zstd_l6.xlog",
        "a2_sync_zlib_tz.xlog",
        "j04_flip_payload_zlib.xlog",
        "j01_truncated_last_block.xlog",
        "j10_truncated_then_appended.xlog",
        "i1_crash_async_zlib.mmap3",
        "b_async_zlib.xlog.expected.log",
    ] {
        let mut app = App::open_file(&corpus(name), Options::default());
        app.store.set_cache_limit(1);
        app.settle();
        let all: Vec<u8> = (0..app.store.len() as u32)
            .flat_map(|r| app.store.bytes_of(r).to_vec())
            .collect();
        // The same with the blocks decoded ahead on the reading-ahead
        // thread, as a search does.
        let ahead: Vec<u8> = (0..app.store.len() as u32)
            .flat_map(|r| {
                if r % 16 == 0 {
                    app.store.read_ahead(r);
                }
                app.store.bytes_of(r).to_vec()
            })
            .collect();
        assert!(all == ahead, "{name}: read ahead, the same bytes");
        // What the command line prints: the official text plus the
        // integrity lines and salvaged blocks.
        let want = if name.ends_with(".log") {
            std::fs::read(corpus(name)).unwrap()
        } else {
            cli(&[], &corpus(name))
        };
        assert_eq!(all, want, "{name}");
        assert!(
            app.store.cached_bytes() <= 8 << 20,
            "{name}: one piece cached"
        );
        if name.ends_with(".xlog") {
            assert!(
                app.store.loads() > 1,
                "{name}: decoded again, block by block"
            );
            assert!(
                app.store.heap_bytes() * 4 < want.len(),
                "{name}: the store holds {} bytes for {} of text",
                app.store.heap_bytes(),
                want.len()
            );
        }
    }
}

#[test]
fn integrity_rows_are_distinct_and_reachable_with_x() {
    let mut app = open("j04_flip_payload_zlib.xlog");
    assert_eq!(app.store.kind_count(RowKind::DecompressError), 1);
    assert_eq!(app.store.integrity_count(), 1);
    app.update(Action::NextIntegrity(true));
    let row = app.store.row(app.view[app.cursor]);
    assert_eq!(row.kind, RowKind::DecompressError);
    assert!(cursor_bytes(&app).starts_with(b"[F]decode_log_file.py decompress err"));
    let at = app.cursor;
    app.update(Action::NextIntegrity(true));
    assert_eq!(app.cursor, at, "only one integrity row");
    assert!(
        app.message
            .as_deref()
            .unwrap_or("")
            .contains("no integrity row below")
    );
    app.update(Action::Top);
    app.update(Action::NextIntegrity(false));
    assert_eq!(app.cursor, 0);

    let app = open("j07_bad_magic.xlog");
    assert_eq!(app.store.kind_count(RowKind::Skipped), 1);
    let app = open("j11_block_removed.xlog");
    assert_eq!(app.store.kind_count(RowKind::SeqGap), 1);
}

#[test]
fn locked_and_recovered_blocks_are_rows() {
    // Encrypted without a key: one row for the run of locked blocks.
    let app = open("e_async_zlib_crypt.xlog");
    assert_eq!(app.store.kind_count(RowKind::Locked), 1);
    // The marker line starts `[F]` as the official decoder writes it, but
    // it is no record: the status bar's level counts leave it out.
    assert_eq!(app.store.level_counts.iter().sum::<u64>(), 0);
    // A crash buffer's unflushed block is recovered, marked as such.
    let app = open("i1_crash_async_zlib.mmap3");
    assert_eq!(app.store.kind_count(RowKind::Salvaged), 1);
    assert!(app.store.len() > 1, "the recovered text follows the marker");
}

#[test]
fn level_keys_keep_only_that_level_and_above() {
    let name = "b_async_zlib.xlog";
    let text = expected(name);
    let ef = text
        .split(|&b| b == b'\n')
        .filter(|l| l.starts_with(b"[E][20") || l.starts_with(b"[F][20"))
        .count();
    let mut app = open(name);
    let all = app.view.len();
    app.update(Action::MinLevel(Some(Level::Error)));
    app.settle();
    assert_eq!(app.view.len(), ef);
    for &r in &app.view {
        assert!(app.store.row(r).level >= Some(Level::Error));
    }
    app.update(Action::MinLevel(Some(Level::Verbose)));
    app.settle();
    assert_eq!(app.view.len(), all, "1 shows everything again");
}

#[test]
fn save_writes_what_the_cli_prints_with_the_same_filters() {
    let name = "b_async_zlib.xlog";
    let text = expected(name);
    let dir = tempfile::tempdir().unwrap();
    let mut app = open(name);

    let out = dir.path().join("all.log");
    app.update(Action::SavePrompt);
    assert!(matches!(app.overlay, Overlay::Prompt { .. }));
    // Replace the suggested name.
    for _ in 0..500 {
        app.update(Action::Backspace);
    }
    type_text(&mut app, out.to_str().unwrap());
    app.update(Action::Enter);
    app.settle();
    assert_eq!(std::fs::read(&out).unwrap(), text);
    assert!(
        app.message
            .as_deref()
            .unwrap_or("")
            .starts_with("saved 1510 rows")
    );

    app.update(Action::MinLevel(Some(Level::Warn)));
    app.update(Action::FilterOutPrompt);
    type_text(&mut app, "heartbeat");
    app.update(Action::Enter);
    let out = dir.path().join("w.log");
    app.save(&out).unwrap();
    // b_async_zlib has no integrity rows: the records that pass, the
    // regex matched against the whole record, smart case.
    let want = without(
        &cli_filtered(
            &text,
            &FilterOptions {
                level: Some("W".into()),
                ..Default::default()
            },
        ),
        "(?i)heartbeat",
    );
    assert!(!want.is_empty());
    assert_eq!(std::fs::read(&out).unwrap(), want);
    // Nothing else was written into the directory (no temp files left).
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
}

/// The records of `text` that do not match `re` anywhere.
fn without(text: &[u8], re: &str) -> Vec<u8> {
    let re = regex::bytes::Regex::new(re).unwrap();
    Records::new(text)
        .filter(|r| !re.is_match(r.bytes))
        .flat_map(|r| r.bytes.to_vec())
        .collect()
}

/// What `xlogdec ARGS FILE` prints.
fn cli(args: &[&str], file: &Path) -> Vec<u8> {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_xlogdec"))
        .args(["--color", "never"])
        .args(args)
        .arg(file)
        .output()
        .expect("run xlogdec");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// `s` onto the file being viewed (here through a symbolic link) is
/// refused and the file stays as it was.
#[test]
fn save_never_overwrites_the_file_being_viewed() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("b.xlog");
    std::fs::copy(corpus("b_async_zlib.xlog"), &log).unwrap();
    std::os::unix::fs::symlink("b.xlog", dir.path().join("link.log")).unwrap();
    let before = std::fs::read(&log).unwrap();
    let mut app = App::open_file(&log, Options::default());
    app.settle();
    for target in [log.clone(), dir.path().join("link.log")] {
        let e = app.save(&target).unwrap_err();
        assert!(e.to_string().contains("being viewed"), "{e}");
        assert!(std::fs::read(&log).unwrap() == before);
    }
    assert!(app.save(&dir.path().join("out.log")).unwrap() > 0);
}

fn saved(app: &mut App) -> Vec<u8> {
    let rows = app.rows_to_save();
    rows.iter()
        .flat_map(|&r| app.store.bytes_of(r).to_vec())
        .collect()
}

#[test]
fn save_equals_the_cli_with_the_same_filters() {
    // Integrity lines stay in place under a filter, as in the CLI.
    for name in [
        "j04_flip_payload_zlib.xlog",
        "j06_bad_length_field.xlog",
        "j11_block_removed.xlog",
        "b_async_zlib.xlog",
    ] {
        let mut app = open(name);
        assert_eq!(saved(&mut app), cli(&[], &corpus(name)), "{name}");
        app.update(Action::MinLevel(Some(Level::Error)));
        app.settle();
        assert!(app.view.iter().all(|&r| {
            let row = app.store.row(r);
            row.kind.is_integrity() || row.level >= Some(Level::Error)
        }));
        assert_eq!(
            saved(&mut app),
            cli(&["-l", "E"], &corpus(name)),
            "{name} -l E"
        );
        app.update(Action::MinLevel(Some(Level::Warn)));
        app.update(Action::FilterOutPrompt);
        type_text(&mut app, "heartbeat");
        app.update(Action::Enter);
        app.settle();
        // `F` matches as `/` does: the whole record, smart case.
        assert_eq!(
            saved(&mut app),
            without(&cli(&["-l", "W"], &corpus(name)), "(?i)heartbeat"),
            "{name} -l W, then records with heartbeat anywhere left out"
        );
    }
    // Locked blocks without a key, and a crash buffer's recovered tail.
    for name in ["e_async_zlib_crypt.xlog", "i1_crash_async_zlib.mmap3"] {
        let mut app = open(name);
        assert_eq!(saved(&mut app), cli(&[], &corpus(name)), "{name}");
        app.update(Action::MinLevel(Some(Level::Info)));
        app.settle();
        assert_eq!(
            saved(&mut app),
            cli(&["-l", "I"], &corpus(name)),
            "{name} -l I"
        );
    }
}

#[test]
fn search_moves_to_matches_forward_and_back() {
    let mut app = open("b_async_zlib.xlog");
    app.update(Action::SearchPrompt);
    type_text(&mut app, "heartbeat");
    app.update(Action::Enter);
    app.settle();
    let first = app.cursor;
    assert!(first > 0);
    let hit = String::from_utf8_lossy(&cursor_bytes(&app)).to_lowercase();
    assert!(hit.contains("heartbeat"), "{hit}");
    // No row between the start and the hit matches.
    for i in 1..first {
        let t = String::from_utf8_lossy(&app.store.bytes_of(app.view[i])).to_lowercase();
        assert!(!t.contains("heartbeat"), "row {i} skipped");
    }
    app.update(Action::SearchNext);
    app.settle();
    assert!(app.cursor > first);
    app.update(Action::SearchPrev);
    app.settle();
    assert_eq!(app.cursor, first);
    // Smart case: an upper-case letter makes the search exact.
    app.update(Action::SearchPrompt);
    type_text(&mut app, "HEARTBEAT");
    app.update(Action::Enter);
    app.settle();
    assert!(
        app.message
            .as_deref()
            .unwrap_or("")
            .contains("pattern not found")
    );
    // A match past the right edge of a folded row: the text shifts so it
    // shows; a match near the start shifts it back.
    app.update(Action::SearchPrompt);
    type_text(&mut app, "KICKED_OFFLINE");
    app.update(Action::Enter);
    app.settle();
    // Columns as drawn: the first line made printable, in characters.
    let line = xlogdec::tui::printable::printable(&cursor_bytes(&app));
    let at = line[..line.find("KICKED_OFFLINE").expect("the hit")]
        .chars()
        .count();
    assert!(at > 76, "the match lies past the screen: {at}");
    assert!(app.hscroll > 0 && app.hscroll <= at, "{}", app.hscroll);
    assert!(at + 14 <= app.hscroll + app.text_width());
    app.update(Action::SearchPrompt);
    type_text(&mut app, r"^\[I\]");
    app.update(Action::Enter);
    app.settle();
    assert_eq!(app.hscroll, 0);
    // A bad regex is reported, not applied.
    app.update(Action::SearchPrompt);
    type_text(&mut app, "(");
    app.update(Action::Enter);
    assert!(app.message.as_deref().unwrap_or("").contains("bad regex"));
}

#[test]
fn level_jumps_and_marks() {
    let mut app = open("b_async_zlib.xlog");
    app.update(Action::NextError(true));
    let e = app.cursor;
    assert!(app.store.row(app.view[e]).level >= Some(Level::Error));
    for i in 0..e {
        assert!(app.store.row(app.view[i]).level < Some(Level::Error));
    }
    app.update(Action::NextWarning(true));
    assert_eq!(app.store.row(app.view[app.cursor]).level, Some(Level::Warn));
    app.update(Action::NextError(false));
    assert_eq!(app.cursor, e);

    app.update(Action::Top);
    app.update(Action::Down(5));
    app.update(Action::ToggleMark);
    app.update(Action::Down(10));
    app.update(Action::ToggleMark);
    app.update(Action::Bottom);
    app.update(Action::NextMark(false));
    assert_eq!(app.cursor, 15);
    app.update(Action::NextMark(false));
    assert_eq!(app.cursor, 5);
    app.update(Action::NextMark(true));
    assert_eq!(app.cursor, 15);
    app.update(Action::ToggleMark);
    app.update(Action::Top);
    app.update(Action::NextMark(true));
    app.update(Action::NextMark(true));
    assert_eq!(app.cursor, 5, "the unmarked row is skipped");
}

#[test]
fn moving_and_paging_stay_in_bounds() {
    let mut app = open("b_async_zlib.xlog");
    let n = app.view.len();
    app.update(Action::Up(3));
    assert_eq!(app.cursor, 0);
    app.update(Action::PageDown);
    assert_eq!(app.cursor, 22);
    assert!(app.top <= app.cursor && app.cursor < app.top + 22);
    app.update(Action::Bottom);
    assert_eq!(app.cursor, n - 1);
    app.update(Action::Down(10));
    assert_eq!(app.cursor, n - 1);
    assert!(app.top + 22 >= n);
    app.update(Action::PageUp);
    assert_eq!(app.cursor, n - 23);
    app.update(Action::Scroll(-3));
    assert_eq!(app.cursor, n - 26);
    app.update(Action::Top);
    assert_eq!((app.cursor, app.top), (0, 0));
    // A smaller window: the cursor stays on screen.
    app.update(Action::Down(30));
    app.update(Action::Resize(80, 10));
    assert!(app.cursor < app.top + 8);
}

#[test]
fn tag_picker_and_thread_filter() {
    let name = "b_async_zlib.xlog";
    let text = expected(name);
    let mut app = open(name);
    app.update(Action::TagPicker);
    let Overlay::Tags { items, .. } = app.overlay.clone() else {
        panic!("tag picker not open");
    };
    assert_eq!(items[0].0, "(all tags)");
    let counts: Vec<u64> = items[1..].iter().map(|i| i.1).collect();
    assert!(
        counts.windows(2).all(|w| w[0] >= w[1]),
        "most frequent first"
    );
    let (tag, count) = items[1].clone();
    let pattern = format!("][{tag}][");
    let independent = text
        .split(|&b| b == b'\n')
        .filter(|l| {
            l.starts_with(b"[") && l.windows(pattern.len()).any(|w| w == pattern.as_bytes())
        })
        .count() as u64;
    assert_eq!(count, independent);
    app.update(Action::Down(1));
    app.update(Action::Enter);
    app.settle();
    assert_eq!(app.filters.tag.as_deref(), Some(tag.as_str()));
    assert_eq!(app.view.len() as u64, count);

    app.update(Action::ThreadFilter);
    app.settle();
    let tid = app.filters.tid.expect("thread filter set");
    for &r in &app.view {
        let t = app.store.bytes_of(r);
        let h = Record::parse(&t).header.expect("header");
        assert_eq!(h.tid, tid);
        assert_eq!(h.tag, tag.as_bytes());
    }
    app.update(Action::ThreadFilter);
    app.settle();
    assert_eq!(app.filters.tid, None, "T again clears");
    app.update(Action::ClearFilters);
    app.settle();
    assert_eq!(app.view.len(), app.store.len());
}

#[test]
fn filter_list_toggles_and_deletes() {
    let mut app = open("b_async_zlib.xlog");
    let all = app.view.len();
    app.update(Action::FilterInPrompt);
    type_text(&mut app, "heartbeat");
    app.update(Action::Enter);
    app.settle();
    let with = app.view.len();
    assert!(with > 0 && with < all);
    for &r in &app.view {
        // Filters match the whole record, smart case.
        let t = app.store.bytes_of(r).to_ascii_lowercase();
        assert!(t.windows(9).any(|w| w == b"heartbeat"));
    }
    app.update(Action::FilterOutPrompt);
    type_text(&mut app, "heartbeat");
    app.update(Action::Enter);
    app.settle();
    assert_eq!(
        app.view.len(),
        0,
        "in and out of the same regex leave nothing"
    );
    app.update(Action::FilterList);
    app.update(Action::Toggle); // disables the filter-in
    app.settle();
    let without = app.view.len();
    assert!(without > 0 && without < all);
    app.update(Action::Down(1));
    app.update(Action::Delete); // deletes the filter-out
    app.update(Action::Close);
    app.settle();
    assert_eq!(app.filters.patterns.len(), 1);
    assert!(!app.filters.patterns[0].enabled);
    assert_eq!(app.view.len(), all);
    // A regex that does not compile is refused.
    app.update(Action::FilterInPrompt);
    type_text(&mut app, "[");
    app.update(Action::Enter);
    assert_eq!(app.filters.patterns.len(), 1);
    assert!(app.message.as_deref().unwrap_or("").contains("bad regex"));
}

#[test]
fn refilter_keeps_the_cursor_on_its_record() {
    let mut app = open("b_async_zlib.xlog");
    app.update(Action::NextError(true));
    app.update(Action::NextError(true));
    let row = app.view[app.cursor];
    app.update(Action::MinLevel(Some(Level::Error)));
    app.settle();
    assert_eq!(app.view[app.cursor], row);
    app.update(Action::MinLevel(None));
    app.settle();
    assert_eq!(app.view[app.cursor], row);
}

#[test]
fn time_jump_goes_to_the_first_record_at_or_after() {
    let mut app = open("b_async_zlib.xlog");
    app.update(Action::TimePrompt);
    type_text(&mut app, "10:02:40");
    app.update(Action::Enter);
    app.settle();
    let t = app.store.bytes_of(app.view[app.cursor]);
    let h = Record::parse(&t).header.expect("header");
    assert!(h.timestamp.local.format("%H:%M:%S").to_string().as_str() >= "10:02:40");
    for i in 0..app.cursor {
        let t = app.store.bytes_of(app.view[i]);
        if let Some(h) = Record::parse(&t).header {
            assert!(h.timestamp.local.format("%H:%M:%S").to_string().as_str() < "10:02:40");
        }
    }
    app.update(Action::TimePrompt);
    type_text(&mut app, "soon");
    app.update(Action::Enter);
    assert!(app.message.as_deref().unwrap_or("").contains("bad time"));
}

#[test]
fn enter_expands_a_multi_line_record() {
    let mut app = open("b_async_zlib.xlog");
    let multi = common::record_with_breaks(&app, 1);
    app.update(Action::Down(multi));
    assert_eq!(app.row_height(app.cursor), 1);
    app.update(Action::Enter);
    let lines = app
        .store
        .bytes_of(app.view[app.cursor])
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .count();
    let h = app.row_height(app.cursor);
    assert!(
        h >= lines,
        "every line shown, long ones wrapped: {h} < {lines}"
    );
    // Narrower: long lines wrap onto more screen lines.
    app.update(Action::Resize(30, 24));
    assert!(app.row_height(app.cursor) > h);
    app.update(Action::Enter);
    assert_eq!(app.row_height(app.cursor), 1);
}

#[test]
fn left_and_right_shift_the_text() {
    let mut app = open("n_open_close_only.xlog");
    app.update(Action::Shift(8));
    app.update(Action::Shift(8));
    assert_eq!(app.hscroll, 16);
    app.update(Action::Shift(-40));
    assert_eq!(app.hscroll, 0);
}

#[test]
fn help_opens_and_closes_and_quit_ends() {
    let mut app = open("n_open_close_only.xlog");
    app.update(Action::Help);
    assert!(matches!(app.overlay, Overlay::Help(0)));
    app.update(Action::Down(1));
    assert!(matches!(app.overlay, Overlay::Help(1)));
    app.update(Action::Close);
    assert!(matches!(app.overlay, Overlay::None));
    assert!(!app.quit);
    app.update(Action::Quit);
    assert!(app.quit);
    let mut app = open("n_open_close_only.xlog");
    app.update(Action::SearchPrompt);
    type_text(&mut app, "typo");
    app.update(Action::ClearInput);
    assert!(
        matches!(&app.overlay, Overlay::Prompt { input, .. } if input.is_empty()),
        "Ctrl-U clears the prompt"
    );
    app.update(Action::ForceQuit);
    assert!(app.quit, "Ctrl-C quits from a prompt too");
}

#[test]
fn text_files_open_as_they_are() {
    let mut app = App::open_file(
        &corpus("b_async_zlib.xlog.expected.log"),
        Options::default(),
    );
    app.settle();
    let xlog = open("b_async_zlib.xlog");
    assert_eq!(app.store.len(), xlog.store.len());
    for r in 0..app.store.len() as u32 {
        assert_eq!(app.store.bytes_of(r), xlog.store.bytes_of(r));
        assert_eq!(app.store.row(r).level, xlog.store.row(r).level);
    }
}

#[test]
fn directory_lists_files_and_merges_them_by_time() {
    let dir = corpus("h_multiday");
    let mut app = App::open_dir(&dir, Options::default(), None, false);
    app.update(Action::Resize(80, 24));
    app.settle();
    assert_eq!(app.screen, Screen::Dir);
    let d = app.dir.clone().expect("dir state");
    let names: Vec<&str> = d.entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "imsdk.mmap3",
            "imsdk_20240128.xlog",
            "imsdk_20240128_1.xlog",
            "imsdk_20240129.xlog",
            "imsdk_20240130.xlog",
            "imsdk_20240130_1.xlog",
            "imsdk_20240131.xlog"
        ]
    );
    assert_eq!(d.entries[0].date, None);
    assert_eq!(d.entries[2].date, NaiveDate::from_ymd_opt(2024, 1, 28));
    let total: u64 = d.entries.iter().map(|e| e.records.expect("counted")).sum();
    for e in &d.entries {
        assert_eq!(e.integrity, Some(0), "{}", e.name);
    }

    // One file.
    app.update(Action::Down(2));
    app.update(Action::Enter);
    app.settle();
    assert_eq!(app.screen, Screen::Log);
    assert_eq!(app.store.len() as u64, d.entries[1].records.unwrap());
    app.update(Action::Quit);
    assert_eq!(app.screen, Screen::Dir, "q goes back to the list");
    assert_eq!(
        app.title,
        dir.display().to_string(),
        "with the list's title"
    );
    assert!(!app.quit);

    // All files, merged by time (stable for equal times).
    app.update(Action::Top);
    app.update(Action::Enter);
    app.settle();
    assert!(app.merged);
    assert_eq!(app.store.len() as u64, total);
    assert_eq!(app.view.len() as u64, total);
    let times: Vec<i64> = app
        .view
        .iter()
        .filter_map(|&r| {
            app.store.with_record(r, |rec| {
                rec.header.as_ref().map(|h| h.timestamp.utc_millis())
            })
        })
        .map(|ms| ms.unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "ordered by time");
    let mut seen = app.view.clone();
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len() as u64, total, "every row once");
    // Each row shows its file.
    assert_eq!(app.file_labels[1], "20240128");
    assert_eq!(app.file_labels[2], "20240128_1");
    assert!(app.file_column() > 10);

    // `:00:10` is the next 00:10 after the cursor, not the first row whose
    // time of day is past 00:10.
    app.update(Action::TimePrompt);
    type_text(&mut app, "00:10");
    app.update(Action::Enter);
    app.settle();
    let at = |app: &App| {
        let t = app.store.bytes_of(app.view[app.cursor]);
        Record::parse(&t).header.expect("a record").timestamp.local
    };
    let first = at(&app);
    assert_eq!(
        first.date(),
        NaiveDate::from_ymd_opt(2024, 1, 29).unwrap(),
        "{first}"
    );
    app.update(Action::TimePrompt);
    type_text(&mut app, "00:10");
    app.update(Action::Enter);
    app.settle();
    let next = at(&app);
    assert_eq!(
        next.date(),
        NaiveDate::from_ymd_opt(2024, 1, 30).unwrap(),
        "{next}"
    );
    assert!(
        next.format("%H:%M").to_string().as_str() >= "00:10",
        "{next}"
    );
    let before = app.store.bytes_of(app.view[app.cursor - 1]);
    let before = Record::parse(&before)
        .header
        .expect("a record")
        .timestamp
        .local;
    assert!(
        before.format("%H:%M").to_string().as_str() < "00:10",
        "{before}"
    );
    app.update(Action::Quit);
    app.update(Action::Quit);
    assert!(app.quit);
}

fn retention_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let src = std::fs::read(corpus("n_open_close_only.xlog")).unwrap();
    for name in [
        "imsdk_20240101.xlog",
        "imsdk_20240120.xlog",
        "imsdk_20240125.xlog",
        "notes.txt",
    ] {
        std::fs::write(dir.path().join(name), &src).unwrap();
    }
    dir
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn policy() -> Policy {
    Policy::new(NaiveDate::from_ymd_opt(2024, 1, 28).unwrap())
}

#[test]
fn retention_dialog_removes_only_on_a_confirmed_yes() {
    let dir = retention_dir();
    let mut app = App::open_dir(dir.path(), Options::default(), Some(policy()), false);
    let Overlay::Retention(dialog) = &app.overlay else {
        panic!("no retention dialog");
    };
    let listed: Vec<_> = dialog
        .expired
        .iter()
        .map(|c| c.path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(listed, ["imsdk_20240101.xlog", "imsdk_20240120.xlog"]);
    assert_eq!(dialog.dir, dir.path());
    app.update(Action::Char('x'));
    assert!(
        matches!(app.overlay, Overlay::Retention(_)),
        "other keys wait"
    );
    // One `y` only asks again; another key withdraws it.
    app.update(Action::Char('y'));
    assert!(matches!(&app.overlay, Overlay::Retention(d) if d.confirm));
    app.update(Action::Char('x'));
    assert!(matches!(&app.overlay, Overlay::Retention(d) if !d.confirm));
    assert_eq!(names(dir.path()).len(), 4);
    app.update(Action::Char('y'));
    app.update(Action::Char('y'));
    app.settle();
    assert_eq!(names(dir.path()), ["imsdk_20240125.xlog", "notes.txt"]);
    assert_eq!(app.dir.as_ref().unwrap().entries.len(), 1);
    // The record printed on exit names each removed file.
    assert_eq!(app.removed.len(), 3, "{:?}", app.removed);
    assert!(
        app.removed[0].contains("keep 7 days counted back from 2024-01-28"),
        "{:?}",
        app.removed
    );
    assert!(app.removed[1].starts_with("removed  "), "{:?}", app.removed);
    assert!(app.removed[1].contains("imsdk_20240101.xlog  2024-01-01 (name)"));

    // Enter, Esc, n and q all keep (the default is no).
    for key in [
        Action::Enter,
        Action::Close,
        Action::Char('n'),
        Action::Quit,
    ] {
        let dir = retention_dir();
        let mut app = App::open_dir(dir.path(), Options::default(), Some(policy()), false);
        app.update(key.clone());
        app.settle();
        assert_eq!(names(dir.path()).len(), 4, "{key:?} keeps everything");
        assert_eq!(app.dir.as_ref().unwrap().entries.len(), 3);
        assert!(app.removed.is_empty());
        assert!(!app.quit);
    }
}

#[test]
fn retention_yes_and_none() {
    let dir = retention_dir();
    let app = App::open_dir(dir.path(), Options::default(), Some(policy()), true);
    assert!(matches!(app.overlay, Overlay::None));
    assert!(app.message.as_deref().unwrap().contains("removed 2"));
    assert_eq!(names(dir.path()), ["imsdk_20240125.xlog", "notes.txt"]);
    assert_eq!(app.removed.len(), 3, "--yes leaves a record too");

    let dir = retention_dir();
    let app = App::open_dir(dir.path(), Options::default(), None, false);
    assert!(matches!(app.overlay, Overlay::None));
    assert_eq!(names(dir.path()).len(), 4);
}

/// The default reference day of the viewer is the newest log's: on this
/// old directory only the file more than seven days before 2024-01-25 is
/// past retention, whatever the machine's date.
#[test]
fn retention_counts_from_the_newest_log() {
    let dir = retention_dir();
    let p = Policy::new(Local::now().date_naive())
        .from_newest_log(dir.path())
        .unwrap();
    let app = App::open_dir(dir.path(), Options::default(), Some(p), false);
    let Overlay::Retention(dialog) = &app.overlay else {
        panic!("no retention dialog");
    };
    assert_eq!(dialog.expired.len(), 1);
    assert!(
        dialog.header()[1]
            .contains("from 2024-01-25 (the day of the newest log, imsdk_20240125.xlog)")
    );
}

#[test]
fn keys_follow_less_and_vim_habits() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let k = |c: KeyCode| keymap::key(Context::Normal, KeyEvent::new(c, KeyModifiers::NONE));
    assert_eq!(k(KeyCode::Char('j')), Some(Action::Down(1)));
    assert_eq!(k(KeyCode::Down), Some(Action::Down(1)));
    assert_eq!(k(KeyCode::Char(' ')), Some(Action::PageDown));
    assert_eq!(k(KeyCode::Char('G')), Some(Action::Bottom));
    assert_eq!(
        k(KeyCode::Char('5')),
        Some(Action::MinLevel(Some(Level::Error)))
    );
    assert_eq!(k(KeyCode::Char('"')), Some(Action::NextMark(false)));
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    for ctx in [Context::Normal, Context::Prompt, Context::List] {
        assert_eq!(keymap::key(ctx, ctrl_c), Some(Action::ForceQuit));
    }
    // In a prompt, letters are typed, not commands.
    assert_eq!(
        keymap::key(
            Context::Prompt,
            KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE)
        ),
        Some(Action::Char('q'))
    );
    // Every key of the log screen is in the help list.
    let help: String = KEYS.iter().map(|(k, _)| format!("{k} ")).collect();
    for key in [
        "q", "Esc", "j", "k", "g", "G", "/", "n / N", "1..6", "t", "T", "f", "F", ":", "e / E",
        "w / W", "x / X", "m", "'", "s", "Enter", "?",
    ] {
        assert!(help.contains(key), "{key} missing from help");
    }
}

#[test]
fn unusable_inputs_say_why() {
    let app = open("j13_not_xlog.xlog");
    assert!(app.store.is_empty());
    assert!(
        app.message
            .as_deref()
            .unwrap_or("")
            .contains("not an xlog file"),
        "{:?}",
        app.message
    );
    let app = open("j12_zero_length.xlog");
    assert!(app.store.is_empty() && app.message.is_none());
    let app = open("h_multiday/imsdk.mmap3");
    assert!(
        app.message.is_none(),
        "an empty crash buffer is not an error"
    );
    let mut app = App::open_file(&corpus("no_such_file.xlog"), Options::default());
    app.settle();
    assert!(
        app.message
            .as_deref()
            .unwrap_or("")
            .contains("no_such_file.xlog")
    );
}

/// The wall-clock time text (`YYYY-MM-DD HH:MM:SS.mmm`) of a bracket or IM
/// SDK 5.x header line, read plainly.
fn wall_clock(row: &[u8]) -> Option<String> {
    let line = std::str::from_utf8(row).ok()?.lines().next()?;
    if let Some(rest) = line.strip_prefix("TIM: ") {
        let t = rest.get(..23)?;
        return t.starts_with("20").then(|| t.to_string());
    }
    let inner = line.strip_prefix('[')?.get(3..)?;
    let close = inner.find(']')?;
    let parts: Vec<&str> = inner[..close].split(' ').collect();
    match parts[..] {
        [date, _offset, clock] => Some(format!("{date} {clock}")),
        _ => None,
    }
}

/// A directory of an IM SDK day and a file that mixes IM SDK and bracket
/// lines, merged by time: the IM SDK lines (no offset of their own) are
/// read in the offset of their file's open banner, as the bracket lines
/// carry theirs, so the two kinds interleave by their clocks (every line
/// here is at +08:00) instead of the IM SDK lines sorting eight hours late.
#[test]
fn merged_view_orders_imsdk_and_bracket_lines_together() {
    let dir = tempfile::tempdir().unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/imsdk");
    for (from, to) in [
        ("mixed_20240312.xlog", "imsdk_20240312.xlog"),
        ("imsdk_20240312_1.xlog", "imsdk_20240312_1.xlog"),
    ] {
        std::fs::copy(src.join(from), dir.path().join(to)).unwrap();
    }
    let mut app = App::open_dir(dir.path(), Options::default(), None, false);
    app.update(Action::Resize(80, 24));
    app.settle();
    app.update(Action::Top);
    app.update(Action::Enter);
    app.settle();
    assert!(app.merged);
    let times: Vec<String> = app
        .view
        .iter()
        .filter_map(|&r| wall_clock(&app.store.bytes_of(r)))
        .collect();
    assert!(times.len() > 1000, "{}", times.len());
    let brackets = app
        .view
        .iter()
        .filter(|&&r| app.store.bytes_of(r).get(2..4) == Some(b"]["))
        .count();
    assert!(brackets > 20, "{brackets}");
    for w in times.windows(2) {
        assert!(w[0] <= w[1], "{} after {}", w[1], w[0]);
    }
}
