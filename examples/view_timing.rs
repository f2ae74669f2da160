//! Times the viewer headless on a big input: first screen, `G` while
//! loading and after, a full search, a level filter, and the peak
//! resident memory.
//!
//! ```sh
//! # ~1.08 GB of decoded text: b_async_zlib.xlog 3600 times over.
//! for i in $(seq 3600); do cat testdata/corpus/b_async_zlib.xlog; done > /tmp/big.xlog
//! cargo run --release --example view_timing -- /tmp/big.xlog
//! ```

use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use xlogdec::reader::Options;
use xlogdec::record::Level;
use xlogdec::tui::action::Action;
use xlogdec::tui::app::App;
use xlogdec::tui::view;

fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// CPU time of this process so far (user + system), in ms: on a busy
/// machine wall time says more about the neighbours than about us.
fn cpu_ms() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name, which is in parentheses.
    let rest = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of the line, 12 and 13 here;
    // clock ticks are 100 a second on Linux.
    (ticks(11) + ticks(12)) * 10.0
}

/// Pumps as the terminal loop does until `done` holds.
fn run_until(app: &mut App, done: impl Fn(&App) -> bool) {
    while !done(app) && app.busy() {
        app.pump_for(Duration::from_millis(40));
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn search(app: &mut App, word: &str) {
    app.update(Action::SearchPrompt);
    for c in word.chars() {
        app.update(Action::Char(c));
    }
    app.update(Action::Enter);
}

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: view_timing FILE [WORD]");
        std::process::exit(2);
    };
    let word = std::env::args()
        .nth(2)
        .unwrap_or_else(|| "no such text anywhere".into());
    let mut term = Terminal::new(TestBackend::new(80, 24)).expect("test backend");

    let t = Instant::now();
    let c0 = cpu_ms();
    let mut app = App::open_file(path.as_ref(), Options::default());
    app.update(Action::Resize(80, 24));
    run_until(&mut app, |a| a.view.len() >= 22);
    term.draw(|f| view::draw(f, &app)).expect("draw");
    println!("first screen:  {:>8.1} ms", ms(t.elapsed()));

    // G while loading: the cursor follows the end as rows come.
    let g = Instant::now();
    app.update(Action::Bottom);
    term.draw(|f| view::draw(f, &app)).expect("draw");
    println!(
        "G while loading: {:>6.1} ms  (following the end: {})",
        ms(g.elapsed()),
        app.follow
    );
    // The worst pause between two looks at the keyboard while loading.
    let mut worst = Duration::ZERO;
    while app.busy() {
        let s = Instant::now();
        app.pump_for(Duration::from_millis(40));
        term.draw(|f| view::draw(f, &app)).expect("draw");
        worst = worst.max(s.elapsed());
        std::thread::sleep(Duration::from_millis(1));
    }
    let load = t.elapsed();
    println!(
        "full load:     {:>8.1} ms, {:.0} ms of CPU  ({} rows, {:.1} MB of text, {:.0} MB/s; longest pause between keys {:.1} ms; cursor on the last row: {})",
        ms(load),
        cpu_ms() - c0,
        app.store.len(),
        app.store.bytes as f64 / 1e6,
        app.store.bytes as f64 / 1e6 / load.as_secs_f64(),
        ms(worst),
        app.cursor + 1 == app.view.len()
    );

    app.update(Action::Top);
    let g = Instant::now();
    app.update(Action::Bottom);
    term.draw(|f| view::draw(f, &app)).expect("draw");
    println!("G after loading: {:>6.2} ms", ms(g.elapsed()));

    let t = Instant::now();
    let c = cpu_ms();
    search(&mut app, &word);
    run_until(&mut app, |a| a.seek.is_none() && !a.searching());
    println!(
        "search {word:?}: {:>8.1} ms, {:.0} ms of CPU  ({})",
        ms(t.elapsed()),
        cpu_ms() - c,
        app.message.as_deref().unwrap_or("found")
    );

    let t = Instant::now();
    let c = cpu_ms();
    app.update(Action::MinLevel(Some(Level::Error)));
    term.draw(|f| view::draw(f, &app)).expect("draw");
    println!("level E, first screen: {:>8.1} ms", ms(t.elapsed()));
    run_until(&mut app, |a| !a.filtering());
    println!(
        "level E, whole file:   {:>8.1} ms, {:.0} ms of CPU  ({} rows; the search's matches counted again over them)",
        ms(t.elapsed()),
        cpu_ms() - c,
        app.view.len()
    );
    println!(
        "store: {:.1} MB (rows, times, pieces, arena, cache of {:.1} MB); pieces decoded again: {}",
        app.store.heap_bytes() as f64 / 1e6,
        app.store.cached_bytes() as f64 / 1e6,
        app.store.loads()
    );
    if let Some(mib) = peak_rss_mib() {
        println!("peak RSS:      {mib:>8.1} MiB");
    }
}
