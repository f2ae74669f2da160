//! Colours and styles of the viewer, in one place.

use ratatui::style::{Color, Modifier, Style};

use crate::record::Level;
use crate::tui::store::RowKind;

/// The style of a row of `level` and `kind`.
pub fn row(level: Option<Level>, kind: RowKind) -> Style {
    if kind.is_integrity() {
        return Style::default()
            .fg(Color::Magenta)
            .add_modifier(Modifier::BOLD);
    }
    match level {
        Some(Level::Verbose) => Style::default().fg(Color::DarkGray),
        Some(Level::Debug) => Style::default().fg(Color::Blue),
        Some(Level::Info) => Style::default(),
        Some(Level::Warn) => Style::default().fg(Color::Yellow),
        Some(Level::Error) => Style::default().fg(Color::Red),
        Some(Level::Fatal) => Style::default().fg(Color::Red).add_modifier(Modifier::BOLD),
        None => Style::default().fg(Color::Cyan),
    }
}

/// The cursor row.
pub fn cursor() -> Style {
    Style::default().add_modifier(Modifier::REVERSED)
}

/// The status bar.
pub fn status() -> Style {
    Style::default().fg(Color::Black).bg(Color::Gray)
}

/// Integrity counts in the status bar.
pub fn status_alert() -> Style {
    Style::default()
        .fg(Color::White)
        .bg(Color::Magenta)
        .add_modifier(Modifier::BOLD)
}

/// Headings of overlays and tables.
pub fn heading() -> Style {
    Style::default().add_modifier(Modifier::BOLD)
}

/// A mark in the gutter.
pub fn mark() -> Style {
    Style::default()
        .fg(Color::Green)
        .add_modifier(Modifier::BOLD)
}

/// A search match.
pub fn highlight() -> Style {
    Style::default()
        .fg(Color::Black)
        .bg(Color::Yellow)
        .add_modifier(Modifier::BOLD)
}

/// The file column of a merged view: one colour per file.
pub fn file(index: u16) -> Style {
    const COLOURS: [Color; 6] = [
        Color::Cyan,
        Color::Green,
        Color::Magenta,
        Color::Blue,
        Color::Yellow,
        Color::LightRed,
    ];
    Style::default().fg(COLOURS[usize::from(index) % COLOURS.len()])
}

/// The search in the status bar.
pub fn status_search() -> Style {
    Style::default().fg(Color::Black).bg(Color::Yellow)
}
