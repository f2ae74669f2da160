//! Times the viewer headless on a big input: first screen, full load, a
//! full search, a level filter, and the peak resident memory.
//!
//! ```sh
//! # ~1.08 GB of decoded text: b_async_zlib.xlog 3600 times over.
//! for i in $(seq 3600); do cat testdata/corpus/b_async_zlib.xlog; done > /tmp/big.xlog
//! cargo run --release --example view_timing -- /tmp/big.xlog
//! ```

use std::time::Instant;

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
    let mut app = App::open_file(path.as_ref(), Options::default());
    app.update(Action::Resize(80, 24));
    while app.view.len() < 22 && app.busy() {
        app.pump();
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    term.draw(|f| view::draw(f, &app)).expect("draw");
    let first = t.elapsed();
    println!("first screen:  {:>8.1} ms", first.as_secs_f64() * 1e3);

    app.settle();
    let load = t.elapsed();
    println!(
        "full load:     {:>8.1} ms  ({} rows, {:.1} MB of text, {:.0} MB/s decoded)",
        load.as_secs_f64() * 1e3,
        app.store.len(),
        app.store.bytes as f64 / 1e6,
        app.store.bytes as f64 / 1e6 / load.as_secs_f64()
    );

    let t = Instant::now();
    app.update(Action::SearchPrompt);
    for c in word.chars() {
        app.update(Action::Char(c));
    }
    app.update(Action::Enter);
    app.settle();
    println!(
        "search {word:?}: {:>8.1} ms  ({})",
        t.elapsed().as_secs_f64() * 1e3,
        app.message.as_deref().unwrap_or("found")
    );

    let t = Instant::now();
    app.update(Action::MinLevel(Some(Level::Error)));
    term.draw(|f| view::draw(f, &app)).expect("draw");
    println!(
        "level E, first screen: {:>8.1} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    app.settle();
    println!(
        "level E, whole file:   {:>8.1} ms  ({} rows)",
        t.elapsed().as_secs_f64() * 1e3,
        app.view.len()
    );
    if let Some(mib) = peak_rss_mib() {
        println!("peak RSS:      {mib:>8.1} MiB");
    }
}
