//! The log area: one row per record, integrity rows marked in the gutter,
//! search matches highlighted, each row's file in a merged view.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::tui::app::App;
use crate::tui::lens::{CODE_MARKER, Lens};
use crate::tui::printable::{printable_lines, wrap};
use crate::tui::store::RowKind;
use crate::tui::theme;

/// `text` as spans, the search's matches in the highlight style.
pub fn highlighted(text: String, style: Style, app: &App) -> Vec<Span<'static>> {
    let Some(s) = &app.search else {
        return vec![Span::styled(text, style)];
    };
    let mut spans = Vec::new();
    let mut at = 0;
    for m in s.re.find_iter(text.as_bytes()) {
        if m.start() == m.end() {
            continue;
        }
        // Matches fall on character boundaries of valid UTF-8 text unless
        // the regex matches inside a character; skip those.
        if !text.is_char_boundary(m.start()) || !text.is_char_boundary(m.end()) {
            continue;
        }
        if m.start() > at {
            spans.push(Span::styled(text[at..m.start()].to_string(), style));
        }
        spans.push(Span::styled(
            text[m.start()..m.end()].to_string(),
            style.patch(theme::highlight()),
        ));
        at = m.end();
    }
    if at < text.len() || spans.is_empty() {
        spans.push(Span::styled(text[at..].to_string(), style));
    }
    spans
}

/// Draws the rows from `app.top` down.
pub fn draw(frame: &mut Frame<'_>, area: Rect, app: &App) {
    let height = usize::from(area.height);
    let mut lines: Vec<Line<'_>> = Vec::with_capacity(height);
    let mut i = app.top;
    let file_col = app.file_column();
    while lines.len() < height && i < app.view.len() {
        let r = app.view[i];
        let row = app.store.row(r);
        let bytes = app.store.bytes_of(r);
        let style = theme::row(row.level, row.kind);
        let here = i == app.cursor;
        let mark = if app.marks.contains(&r) { "*" } else { " " };
        let gutter_cursor = if here { ">" } else { " " };
        let marker = if row.kind == RowKind::Text && Lens::code_of(&bytes).is_some() {
            CODE_MARKER.to_string()
        } else {
            row.kind.marker().to_string()
        };
        let mut text_lines = printable_lines(&bytes);
        let expanded = app.expanded.contains(&r);
        let pieces: Vec<String> = if expanded {
            text_lines.extend(Lens::detail(&bytes));
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
        let file = if file_col > 0 {
            let label = app
                .file_labels
                .get(usize::from(row.file))
                .map_or("", String::as_str);
            format!("{label:<w$}", w = file_col)
        } else {
            String::new()
        };
        for (k, text) in pieces.into_iter().enumerate() {
            if lines.len() >= height {
                break;
            }
            let first = k == 0;
            let mut spans = vec![
                Span::raw(if first { gutter_cursor } else { " " }),
                Span::styled(if first { mark } else { " " }, theme::mark()),
                Span::styled(
                    if first { marker.clone() } else { " ".into() },
                    theme::row(row.level, row.kind),
                ),
                Span::raw(" "),
            ];
            if file_col > 0 {
                let f = if first {
                    file.clone()
                } else {
                    " ".repeat(file_col)
                };
                spans.push(Span::styled(f, theme::file(row.file)));
            }
            spans.extend(highlighted(text, body_style, app));
            lines.push(Line::from(spans));
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
