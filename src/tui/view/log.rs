//! The log area: one row per record, integrity rows marked in the gutter.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{printable_lines, wrap};
use crate::tui::app::App;
use crate::tui::lens::CODE_MARKER;
use crate::tui::store::RowKind;
use crate::tui::theme;

/// Draws the rows from `app.top` down.
pub fn draw(frame: &mut Frame<'_>, area: Rect, app: &App) {
    let height = usize::from(area.height);
    let mut lines: Vec<Line<'_>> = Vec::with_capacity(height);
    let mut i = app.top;
    while lines.len() < height && i < app.view.len() {
        let r = app.view[i];
        let row = app.store.row(r);
        let bytes = app.store.bytes_of(r);
        let style = theme::row(row.level, row.kind);
        let here = i == app.cursor;
        let mark = if app.marks.contains(&r) { "*" } else { " " };
        let gutter_cursor = if here { ">" } else { " " };
        let marker = if row.kind == RowKind::Text && app.lens.code_of(bytes).is_some() {
            CODE_MARKER.to_string()
        } else {
            row.kind.marker().to_string()
        };
        let mut text_lines = printable_lines(bytes);
        let expanded = app.expanded.contains(&r);
        let pieces: Vec<String> = if expanded {
            text_lines.extend(app.lens.detail(bytes));
            text_lines
                .iter()
                .flat_map(|l| wrap(l, app.text_width()))
                .collect()
        } else {
            let mut first: String = text_lines[0].chars().skip(app.hscroll).collect();
            if text_lines.len() > 1 {
                first.push_str(&format!("  [+{} lines]", text_lines.len() - 1));
            }
            vec![first]
        };
        let body_style = if here {
            style.patch(theme::cursor())
        } else {
            style
        };
        for (k, text) in pieces.into_iter().enumerate() {
            if lines.len() >= height {
                break;
            }
            let first = k == 0;
            lines.push(Line::from(vec![
                Span::raw(if first { gutter_cursor } else { " " }),
                Span::styled(if first { mark } else { " " }, theme::mark()),
                Span::styled(
                    if first { marker.clone() } else { " ".into() },
                    theme::row(row.level, row.kind),
                ),
                Span::raw(" "),
                Span::styled(text, body_style),
            ]));
        }
        i += 1;
    }
    if app.view.is_empty() {
        let msg = if app.progress.finished && !app.filtering() {
            if app.store.is_empty() {
                "(no records)"
            } else {
                "(no records pass the filters; c clears them)"
            }
        } else {
            "(loading...)"
        };
        lines.push(Line::from(msg));
        for e in &app.progress.errors {
            lines.push(Line::from(e.clone()));
        }
    }
    frame.render_widget(Paragraph::new(lines), area);
}
