//! The viewer on 5 million rows (a 1 GB file's worth): every action —
//! moves, jumps, search hits, level changes, refilters — does work bounded
//! by the screen and one slice, whatever the row count. Work is counted in
//! rows visited ([`App::work`]), not timed. Long work goes on in
//! [`App::pump`] slices, each bounded the same way.

use xlogdec::record::Level;
use xlogdec::tui::action::Action;
use xlogdec::tui::app::{App, SLICE};
use xlogdec::tui::store::{ARENA, Batch, Row, RowKind, Store};

const ROWS: usize = 5_000_000;
/// Rows of the one record that holds the search word.
const NEEDLE: usize = ROWS - 1_000;
/// Every this many rows, an error.
const ERROR_EVERY: usize = 100_000;

/// The most rows one action may visit: one slice of each kind of work
/// (filter, search scan, seek) plus a few screens.
const BOUND: u64 = 3 * SLICE as u64 + 10_000;

const SAMPLES: [(&str, Level); 4] = [
    (
        "[I][2024-01-31 +8.0 10:00:00.000][1, 2][imsdk][a.cpp:1, f][heartbeat ok]\n",
        Level::Info,
    ),
    (
        "[W][2024-01-31 +8.0 10:00:00.000][1, 2][imsdk][a.cpp:1, f][slow network]\n",
        Level::Warn,
    ),
    (
        "[E][2024-01-31 +8.0 10:00:00.000][1, 2][imsdk][a.cpp:1, f][login failed code=6014]\n",
        Level::Error,
    ),
    (
        "[E][2024-01-31 +8.0 10:00:00.000][1, 2][imsdk][a.cpp:1, f][kicked offline: needle]\n",
        Level::Error,
    ),
];

/// A store of `ROWS` rows sharing four records' bytes: info and warnings,
/// an error every `ERROR_EVERY` rows, the needle once near the end.
fn big_store() -> Store {
    let mut b = Batch::default();
    let mut offs = Vec::new();
    for (text, _) in SAMPLES {
        offs.push(b.arena.len() as u64);
        b.arena.extend_from_slice(text.as_bytes());
    }
    b.rows.reserve(ROWS);
    b.times.reserve(ROWS);
    let base = 1_706_695_200u32; // 2024-01-31 10:00 as local seconds
    for i in 0..ROWS {
        let k = if i == NEEDLE {
            3
        } else if i % ERROR_EVERY == ERROR_EVERY - 1 {
            2
        } else {
            usize::from(i % 7 == 0)
        };
        b.rows.push(Row {
            off: ARENA | offs[k],
            len: SAMPLES[k].0.len() as u32,
            file: 0,
            level: Some(SAMPLES[k].1),
            kind: RowKind::Text,
        });
        // About 58 rows a second: a day.
        b.times.push(base + (i / 58) as u32);
    }
    b.millis = vec![0; ROWS];
    let mut store = Store::new(&[], Default::default());
    store.append(b, 0);
    store
}

/// Applies `action` and returns the rows it visited.
fn cost(app: &mut App, action: Action) -> u64 {
    let before = app.work;
    app.update(action);
    app.work - before
}

/// Pumps until no work is left; returns the largest slice's cost and
/// asserts each slice stays in bound.
fn pump_all(app: &mut App) -> u64 {
    let mut worst = 0;
    for _ in 0..10 * ROWS / SLICE {
        let before = app.work;
        let did = app.pump();
        let w = app.work - before;
        assert!(w <= BOUND, "a pump slice visited {w} rows");
        worst = worst.max(w);
        if !did && !app.busy() {
            return worst;
        }
    }
    panic!("work never ended");
}

fn assert_bounded(app: &mut App, what: &str, action: Action) {
    let w = cost(app, action);
    assert!(
        w <= BOUND,
        "{what} visited {w} rows of {ROWS} (bound {BOUND})"
    );
}

#[test]
fn every_action_costs_rows_on_screen_not_rows_in_file() {
    let mut app = App::with_store(big_store(), "big");
    app.update(Action::Resize(100, 30));
    // G before the view is complete follows the end as it grows.
    assert_bounded(&mut app, "G while filtering", Action::Bottom);
    assert!(app.follow);
    pump_all(&mut app);
    assert_eq!(app.view.len(), ROWS);
    assert_eq!(app.cursor, ROWS - 1);
    assert!(!app.follow, "following ends with the view complete");

    // G again, and the last screen is full.
    assert_bounded(&mut app, "G", Action::Bottom);
    assert_eq!(app.cursor, ROWS - 1);
    assert_eq!(app.top, ROWS - 28, "the last screen stays full");
    assert_bounded(&mut app, "PgDn at the end", Action::PageDown);
    assert_eq!(app.top, ROWS - 28);
    assert_bounded(&mut app, "g", Action::Top);
    assert_eq!((app.cursor, app.top), (0, 0));
    assert_bounded(&mut app, "PgDn", Action::PageDown);
    assert_bounded(&mut app, "j", Action::Down(1));

    // A search for a word near the end: the prompt's Enter is bounded, the
    // scan goes on in slices, and the hit lands with context above it.
    assert_bounded(&mut app, "/", Action::SearchPrompt);
    for c in "kicked.*needle".chars() {
        app.update(Action::Char(c));
    }
    assert_bounded(&mut app, "Enter on a search", Action::Enter);
    pump_all(&mut app);
    assert_eq!(app.cursor, NEEDLE);
    assert!(
        app.cursor > app.top && app.cursor - app.top >= 5,
        "the hit comes with rows above it"
    );
    // Smart case: an upper-case letter makes the search exact.
    app.update(Action::Top);
    app.update(Action::SearchPrompt);
    for c in "Needle".chars() {
        app.update(Action::Char(c));
    }
    assert_bounded(&mut app, "Enter on a search", Action::Enter);
    pump_all(&mut app);
    assert_eq!(app.cursor, 0);
    assert!(app.message.as_deref().unwrap_or("").contains("not found"));

    // A save of the whole view is written in slices too; Ctrl-C drops it
    // and leaves nothing behind.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("all.log");
    app.update(Action::SavePrompt);
    app.update(Action::ClearInput);
    for c in out.to_str().unwrap().chars() {
        app.update(Action::Char(c));
    }
    assert_bounded(&mut app, "Enter on a save", Action::Enter);
    assert_eq!(app.save_progress(), Some((SLICE, Some(ROWS))));
    assert_bounded(&mut app, "Ctrl-C during a save", Action::ForceQuit);
    assert!(!app.quit && app.save_progress().is_none());
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no file left"
    );

    // A mark far above: the seek runs in slices, Ctrl-C stops it (and
    // does not quit), and asked again it gets there.
    app.update(Action::Down(5));
    app.update(Action::ToggleMark);
    app.update(Action::Bottom);
    assert_bounded(&mut app, "\" to a far mark", Action::NextMark(false));
    assert!(app.seek.is_some(), "the seek goes on in slices");
    assert_bounded(&mut app, "Ctrl-C", Action::ForceQuit);
    assert!(
        app.seek.is_none() && !app.quit,
        "Ctrl-C stopped the seek, not the viewer"
    );
    assert_bounded(&mut app, "\" again", Action::NextMark(false));
    pump_all(&mut app);
    assert_eq!(app.cursor, 5);

    // A hit found at once while the matches are still counted: Esc stops
    // the count; Ctrl-C, with nothing waited for, quits.
    app.update(Action::SearchPrompt);
    for c in "heartbeat".chars() {
        app.update(Action::Char(c));
    }
    assert_bounded(&mut app, "Enter on a search", Action::Enter);
    assert!(
        app.seek.is_none() && app.searching(),
        "hit found, count goes on"
    );
    assert_bounded(&mut app, "Esc", Action::Close);
    assert!(!app.searching() && !app.quit);
    app.update(Action::ForceQuit);
    assert!(app.quit);
}

#[test]
fn search_wraps_and_refilters_stay_bounded() {
    let mut app = App::with_store(big_store(), "big");
    app.update(Action::Resize(100, 30));
    pump_all(&mut app);

    // From the top, a lower-case pattern (case-insensitive) finds the
    // needle near the end; n wraps back to it from the end.
    app.update(Action::SearchPrompt);
    for c in "needle".chars() {
        app.update(Action::Char(c));
    }
    assert_bounded(&mut app, "Enter on a search", Action::Enter);
    pump_all(&mut app);
    assert_eq!(app.cursor, NEEDLE);
    let s = app.search.as_ref().unwrap();
    assert!(s.matches.done());
    assert_eq!(s.matches.count(), 1);
    assert_eq!(s.matches.rank(app.cursor), Some(1));
    assert_bounded(&mut app, "G", Action::Bottom);
    assert_bounded(&mut app, "n wrapping", Action::SearchNext);
    assert_eq!(app.cursor, NEEDLE, "n wrapped to the only match");
    assert_bounded(&mut app, "g", Action::Top);
    assert_bounded(&mut app, "N wrapping to the end", Action::SearchPrev);
    assert_eq!(app.cursor, NEEDLE);

    // A level change after G: bounded, and the cursor ends on the last
    // error at or before where it was.
    assert_bounded(&mut app, "G", Action::Bottom);
    assert_bounded(
        &mut app,
        "level E after G",
        Action::MinLevel(Some(Level::Error)),
    );
    pump_all(&mut app);
    let errors = ROWS / ERROR_EVERY + 1;
    assert_eq!(app.view.len(), errors);
    assert_eq!(app.cursor, errors - 1);
    assert_eq!(app.view[app.cursor] as usize, ROWS - 1);

    // Back to all levels: the cursor stays on its record.
    let row = app.view[app.cursor];
    assert_bounded(&mut app, "level V", Action::MinLevel(None));
    pump_all(&mut app);
    assert_eq!(app.view[app.cursor], row);

    // e / E over long stretches: seeks in slices.
    assert_bounded(&mut app, "g", Action::Top);
    assert_bounded(&mut app, "e", Action::NextError(true));
    pump_all(&mut app);
    assert_eq!(app.view[app.cursor] as usize, ERROR_EVERY - 1);

    // A refilter by regex on the whole view: bounded per action; Ctrl-C
    // stops a seek that would cross the file.
    assert_bounded(&mut app, "f", Action::FilterInPrompt);
    for c in "login".chars() {
        app.update(Action::Char(c));
    }
    assert_bounded(&mut app, "Enter on a filter", Action::Enter);
    assert!(app.filtering());
    assert_bounded(&mut app, "c", Action::ClearFilters);
    assert_bounded(&mut app, "time range", Action::TimePrompt);
    for c in "2024-01-31 20:00..".chars() {
        app.update(Action::Char(c));
    }
    assert_bounded(&mut app, "Enter on a time range", Action::Enter);
    pump_all(&mut app);
    // Rows from 20:00 on: ten hours after the first, at 58 rows a second.
    assert_eq!(app.view.len(), ROWS - 10 * 3600 * 58);
}
