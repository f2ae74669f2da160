//! The directory screen: one line per log file, plus "all files".

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::tui::app::App;
use crate::tui::theme;

/// Draws the file list.
pub fn draw(frame: &mut Frame<'_>, area: Rect, app: &App) {
    let Some(d) = &app.dir else {
        return;
    };
    let height = usize::from(area.height);
    let mut lines = vec![Line::styled(
        format!(
            "  {:<34} {:<10} {:>10} {:>9}  {}",
            "file", "date", "bytes", "records", "integrity"
        ),
        theme::heading(),
    )];
    let rows = height.saturating_sub(1).max(1);
    let first = d.sel.saturating_sub(rows - 1);
    for i in first..=d.entries.len() {
        if lines.len() >= height {
            break;
        }
        let here = i == d.sel;
        let cursor = if here { "> " } else { "  " };
        let line = if i == 0 {
            let total: u64 = d.entries.iter().map(|e| e.size).sum();
            let records: Option<u64> = d.entries.iter().map(|e| e.records).sum();
            Line::from(vec![Span::raw(format!(
                "{cursor}{:<34} {:<10} {:>10} {:>9}",
                "[all files, merged by time]",
                "",
                total,
                records.map_or("...".into(), |n| n.to_string())
            ))])
        } else {
            let e = &d.entries[i - 1];
            let (badge, style) = match (&e.error, e.integrity) {
                (Some(_), _) => ("unreadable".to_string(), Style::default().fg(Color::Red)),
                (None, Some(0)) => ("ok".to_string(), Style::default().fg(Color::Green)),
                (None, Some(n)) => (format!("! {n}"), Style::default().fg(Color::Magenta)),
                (None, None) => ("...".to_string(), Style::default()),
            };
            Line::from(vec![
                Span::raw(format!(
                    "{cursor}{:<34} {:<10} {:>10} {:>9}  ",
                    e.name,
                    e.date
                        .map_or("-".into(), |d| d.format("%Y-%m-%d").to_string()),
                    e.size,
                    e.records.map_or("...".into(), |n| n.to_string())
                )),
                Span::styled(badge, style),
            ])
        };
        lines.push(if here {
            line.patch_style(theme::cursor())
        } else {
            line
        });
    }
    frame.render_widget(Paragraph::new(lines), area);
}
