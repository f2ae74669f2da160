//! Drawing: an [`App`] in, a frame out. Nothing here changes the state.

mod dir;
pub mod log;
mod overlay;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::tui::app::{App, Overlay, Screen};
use crate::tui::theme;

/// Draws the whole screen.
pub fn draw(frame: &mut Frame<'_>, app: &App) {
    let [body, status, bottom] = Layout::vertical([
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    match app.screen {
        Screen::Log => log::draw(frame, body, app),
        Screen::Dir => dir::draw(frame, body, app),
    }
    frame.render_widget(
        Paragraph::new(status_line(app)).style(theme::status()),
        status,
    );
    frame.render_widget(Paragraph::new(bottom_line(app)), bottom);
    overlay::draw(frame, body, app);
}

/// Text of a row made printable: invalid UTF-8 replaced, tabs expanded,
/// other control characters shown as `?`, the line end dropped.
pub fn printable(bytes: &[u8]) -> String {
    let t = String::from_utf8_lossy(bytes);
    let t = t.trim_end_matches(['\n', '\r']);
    let mut s = String::with_capacity(t.len());
    for c in t.chars() {
        match c {
            '\t' => s.push_str("    "),
            c if c.is_control() => s.push('?'),
            c => s.push(c),
        }
    }
    s
}

/// Columns of the log gutter: cursor, mark, integrity marker, space.
pub const GUTTER: usize = 4;

/// The printable lines of a record.
pub fn printable_lines(bytes: &[u8]) -> Vec<String> {
    let mut lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    if lines.len() > 1 && lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines.into_iter().map(printable).collect()
}

/// `line` cut into pieces of at most `width` characters (at least one piece).
pub fn wrap(line: &str, width: usize) -> Vec<String> {
    let chars: Vec<char> = line.chars().collect();
    if chars.is_empty() {
        return vec![String::new()];
    }
    chars
        .chunks(width.max(1))
        .map(|c| c.iter().collect())
        .collect()
}

fn percent(done: u64, total: u64) -> u64 {
    done.saturating_mul(100)
        .checked_div(total)
        .map_or(100, |p| p.min(100))
}

fn status_line(app: &App) -> Line<'static> {
    let mut spans = Vec::new();
    if app.screen == Screen::Dir {
        let n = app.dir.as_ref().map_or(0, |d| d.entries.len());
        spans.push(Span::raw(format!(" {}  {n} files", app.title)));
        return Line::from(spans);
    }
    let name = app
        .title
        .rsplit('/')
        .next()
        .unwrap_or(&app.title)
        .to_string();
    let pos = if app.view.is_empty() {
        0
    } else {
        app.cursor + 1
    };
    spans.push(Span::raw(format!(
        " {name}  {pos}/{} of {}",
        app.view.len(),
        app.store.len()
    )));
    let meta = &app.store.meta;
    if let Some(v) = meta.sdk_version() {
        spans.push(Span::raw(format!("  SDK {v}")));
    }
    if let Some(id) = meta.app_id() {
        spans.push(Span::raw(format!("  app {id}")));
    }
    let integrity = app.integrity_summary();
    if !integrity.is_empty() {
        spans.push(Span::raw("  "));
        spans.push(Span::styled(format!("!{integrity}"), theme::status_alert()));
    }
    let f = app.filters.describe();
    if !f.is_empty() {
        spans.push(Span::raw(format!("  [{f}]")));
    }
    if !app.progress.finished {
        spans.push(Span::raw(format!(
            "  loading {}%",
            percent(app.progress.done_bytes, app.progress.total_bytes)
        )));
    } else if !app.complete() && !app.filtering() {
        spans.push(Span::raw("  ordering by time"));
    } else if app.filtering() {
        spans.push(Span::raw(format!(
            "  filtering {}%",
            percent(app.scanned() as u64, app.store.len() as u64)
        )));
    }
    if let Some(s) = &app.search {
        let n = s.matches.count();
        let more = if s.matches.done() { "" } else { "+" };
        let k = s
            .matches
            .rank(app.cursor)
            .map_or("-".to_string(), |k| k.to_string());
        spans.push(Span::styled(
            format!("  /{} {k}/{n}{more}", s.text),
            theme::status_search(),
        ));
        if app.searching() {
            spans.push(Span::raw(format!(
                "  searching {}%",
                percent(s.matches.scanned_rows() as u64, app.view.len() as u64)
            )));
        }
    }
    if let Some(seek) = &app.seek {
        let done = if seek.forward {
            seek.pos
        } else {
            app.view.len().saturating_sub(seek.pos)
        };
        spans.push(Span::raw(format!(
            "  seeking {}% (Esc stops)",
            percent(done as u64, app.view.len() as u64)
        )));
    }
    if let Some((done, all)) = app.save_progress() {
        spans.push(Span::raw(match all {
            Some(n) => format!("  saving {}%", percent(done as u64, n as u64)),
            None => "  saving: waiting for the whole view".to_string(),
        }));
    }
    if app.follow {
        spans.push(Span::raw("  following the end"));
    }
    let c = &app.store.level_counts;
    spans.push(Span::raw(format!(
        "  V{} D{} I{} W{} E{} F{}",
        c[0], c[1], c[2], c[3], c[4], c[5]
    )));
    Line::from(spans)
}

fn bottom_line(app: &App) -> Line<'static> {
    if let Overlay::Prompt { kind, input } = &app.overlay {
        return Line::from(format!("{}{input}", kind.label()));
    }
    if let Some(m) = &app.message {
        return Line::from(m.clone());
    }
    Line::from(match app.screen {
        Screen::Dir => "Enter open  j/k move  ? help  q quit",
        Screen::Log => {
            "? help  / search  1-6 level  f/F filter  : time  H histogram  s save  q quit"
        }
    })
}
