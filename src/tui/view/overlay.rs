//! Overlays: help, tag picker, filter list, retention dialog, IM SDK
//! findings.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::log;
use crate::record::Level;
use crate::tui::app::{App, Overlay};
use crate::tui::keymap::{KEYS, MARKERS};
use crate::tui::lens::Lens;
use crate::tui::retention::RetentionDialog;
use crate::tui::store::RowKind;
use crate::tui::theme;

/// A box of `w` x `h` centred in `area` (clipped to it).
fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

fn boxed(frame: &mut Frame<'_>, area: Rect, title: &str, lines: Vec<Line<'_>>) {
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .title(title.to_string()),
        ),
        area,
    );
}

/// Lines of a list with `sel` kept in a window of `rows` lines.
fn window(items: Vec<String>, sel: usize, rows: usize) -> Vec<Line<'static>> {
    let first = sel.saturating_sub(rows.saturating_sub(1));
    items
        .into_iter()
        .enumerate()
        .skip(first)
        .take(rows)
        .map(|(i, s)| {
            if i == sel {
                Line::styled(format!("> {s}"), theme::cursor())
            } else {
                Line::from(format!("  {s}"))
            }
        })
        .collect()
}

/// `text` cut into lines of at most `width` characters, at spaces where
/// it can.
fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let wl = word.chars().count();
        let ll = line.chars().count();
        if ll > 0 && ll + 1 + wl > width {
            out.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push(line);
    out
}

/// Draws the open overlay, if any, over `area`.
pub fn draw(frame: &mut Frame<'_>, area: Rect, app: &App) {
    match &app.overlay {
        Overlay::None | Overlay::Prompt { .. } => {}
        Overlay::Help(scroll) => {
            // As wide as the screen allows, long descriptions wrapped
            // under their column rather than cut.
            let r = centered(area, area.width.min(100), area.height);
            let key_w = 22;
            let desc_w = usize::from(r.width.saturating_sub(2))
                .saturating_sub(key_w + 1)
                .max(10);
            let mut lines = vec![Line::styled("Keys", theme::heading())];
            let entry = |k: &str, d: &str, lines: &mut Vec<Line<'_>>| {
                for (i, piece) in wrap_words(d, desc_w).into_iter().enumerate() {
                    let key = if i == 0 { k } else { "" };
                    lines.push(Line::from(format!("{key:<key_w$} {piece}")));
                }
            };
            for (k, d) in KEYS {
                entry(k, d, &mut lines);
            }
            lines.push(Line::styled("Gutter markers", theme::heading()));
            for (k, d) in MARKERS {
                entry(k, d, &mut lines);
            }
            let lines: Vec<Line<'_>> = lines.into_iter().skip(*scroll).collect();
            boxed(frame, r, " help: j/k scroll, Esc close ", lines);
        }
        Overlay::Detail { row, scroll } => {
            let all = app.detail_lines(*row);
            let inner = usize::from(area.height.saturating_sub(2));
            let total = all.len();
            let lines: Vec<Line<'_>> = all
                .into_iter()
                .skip(*scroll)
                .take(inner)
                .map(|l| Line::from(log::highlighted(l, Style::default(), app)))
                .collect();
            let title = format!(
                " record: lines {}-{} of {total}; j/k PgDn/PgUp g/G scroll, Esc close ",
                (*scroll + 1).min(total),
                (*scroll + inner).min(total)
            );
            boxed(frame, area, &title, lines);
        }
        Overlay::Histogram { sel } => {
            let rows = app.histogram_rows();
            let r = area;
            let height = usize::from(r.height.saturating_sub(3));
            let peak = rows
                .iter()
                .map(|(_, c)| c[3] + c[4] + c[5])
                .max()
                .unwrap_or(0)
                .max(1);
            // Inside the border, after the 40 columns of figures.
            let bar_w = usize::from(r.width.saturating_sub(42)).max(1);
            let mut lines = vec![Line::styled(
                format!("{:<16}  {:>6} {:>6} {:>7}", "minute", "E+F", "W", "all"),
                theme::heading(),
            )];
            let first = sel.saturating_sub(height.saturating_sub(1));
            for (i, (m, c)) in rows.iter().enumerate().skip(first).take(height) {
                let e = c[4] + c[5];
                let w = c[3];
                let all: u32 = c.iter().sum();
                let eb = (e as usize * bar_w).div_ceil(peak as usize);
                let wb = ((e + w) as usize * bar_w).div_ceil(peak as usize) - eb;
                let cursor = if i == *sel { "> " } else { "  " };
                let mut spans = vec![Span::raw(format!(
                    "{cursor}{:<16}{:>6} {:>6} {:>7} ",
                    crate::tui::filters::show_minute(m * 60),
                    e,
                    w,
                    all
                ))];
                spans.push(Span::styled(
                    "#".repeat(eb),
                    theme::row(Some(Level::Error), RowKind::Text),
                ));
                spans.push(Span::styled(
                    "=".repeat(wb),
                    theme::row(Some(Level::Warn), RowKind::Text),
                ));
                let line = Line::from(spans);
                lines.push(if i == *sel {
                    line.patch_style(theme::cursor())
                } else {
                    line
                });
            }
            if rows.is_empty() {
                lines.push(Line::from("  no records with a time"));
            }
            boxed(
                frame,
                r,
                " errors (#) and warnings (=) per minute: Enter jumps there, Esc close ",
                lines,
            );
        }
        Overlay::Tags { items, sel } => {
            let r = centered(area, 60, area.height.saturating_sub(2).max(3));
            let rows = usize::from(r.height.saturating_sub(2));
            let list = items.iter().map(|(t, n)| format!("{n:>8}  {t}")).collect();
            boxed(
                frame,
                r,
                " tag: Enter filter, Esc close ",
                window(list, *sel, rows),
            );
        }
        Overlay::Filters { sel } => {
            let f = &app.filters;
            let r = centered(area, 70, 14);
            let mut lines = Vec::new();
            let fixed = format!(
                "level >= {}   tag: {}   tid: {}",
                f.min_level.map_or("all".into(), |l| l.letter().to_string()),
                f.tag.as_deref().unwrap_or("any"),
                f.tid.map_or("any".into(), |t| t.to_string())
            );
            lines.push(Line::from(fixed));
            let list: Vec<String> = f
                .patterns
                .iter()
                .map(|p| {
                    format!(
                        "[{}] {} {}",
                        if p.enabled { "x" } else { " " },
                        if p.out { "out" } else { "in " },
                        p.text
                    )
                })
                .collect();
            if list.is_empty() {
                lines.push(Line::from("  no regex filters (f adds one, F filters out)"));
            }
            lines.extend(window(list, *sel, usize::from(r.height.saturating_sub(3))));
            boxed(
                frame,
                r,
                " filters: Space toggle, d delete, Esc close ",
                lines,
            );
        }
        Overlay::Findings { sel } => {
            let r = centered(
                area,
                area.width.saturating_sub(4).max(20),
                area.height.saturating_sub(2).max(3),
            );
            let rows = usize::from(r.height.saturating_sub(2));
            let list: Vec<String> = app.lens.findings.iter().map(Lens::item).collect();
            let lines = if list.is_empty() {
                vec![Line::from(if app.progress.finished {
                    "  no IM SDK findings"
                } else {
                    "  (loading...)"
                })]
            } else {
                window(list, *sel, rows)
            };
            let title = format!(
                " IM SDK findings ({}): Enter jump to the line, Esc close ",
                app.lens.findings.len()
            );
            boxed(frame, r, &title, lines);
        }
        Overlay::Retention(d) => {
            let header = d.header();
            let fixed = header.len() + 4; // header, scroll line, question, borders
            let r = centered(
                area,
                96,
                (d.expired.len() + fixed).min(usize::from(area.height)) as u16,
            );
            let rows = usize::from(r.height).saturating_sub(fixed).max(1);
            d.rows.set(rows);
            let first = d.scroll.min(d.expired.len().saturating_sub(rows));
            let mut lines: Vec<Line<'_>> = header.into_iter().map(Line::from).collect();
            for c in d.expired.iter().skip(first).take(rows) {
                lines.push(Line::from(format!("  {}", RetentionDialog::line(c))));
            }
            let shown = rows.min(d.expired.len());
            lines.push(Line::from(if d.expired.len() > shown {
                format!(
                    "  files {}-{} of {}  (j/k, PgUp/PgDn scroll)",
                    first + 1,
                    first + shown,
                    d.expired.len()
                )
            } else {
                String::new()
            }));
            lines.push(Line::styled(d.question(), theme::heading()));
            boxed(frame, r, " retention ", lines);
        }
    }
}
