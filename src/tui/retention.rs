//! The retention dialog of the directory screen: the files past retention,
//! with the directory, the keep-days value, the reference day and where
//! each file's date came from; scrollable; the answer is "keep" unless the
//! user confirms twice (`y`, then `y` again).

use std::cell::Cell;
use std::path::{Path, PathBuf};

use crate::retention::{self, Candidate, Policy, Removal};
use crate::tui::action::Action;

/// The open dialog.
#[derive(Debug, Clone)]
pub struct RetentionDialog {
    /// The directory examined.
    pub dir: PathBuf,
    /// The rule applied (keep-days and the reference day).
    pub policy: Policy,
    /// The files past retention, by path.
    pub expired: Vec<Candidate>,
    /// The first file shown.
    pub scroll: usize,
    /// `y` was pressed once: a second `y` removes, any other answer keeps.
    pub confirm: bool,
    /// Files the last drawing had room for (scrolling stops at the end).
    pub rows: Cell<usize>,
}

/// What the user answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Still open.
    Open,
    /// Keep every file (the default).
    Keep,
    /// Remove the listed files: confirmed twice.
    Remove,
    /// Leave the viewer at once, removing nothing.
    Quit,
}

impl RetentionDialog {
    /// A dialog over `expired`, which must not be empty to be useful.
    pub fn new(dir: PathBuf, policy: Policy, expired: Vec<Candidate>) -> RetentionDialog {
        RetentionDialog {
            dir,
            policy,
            expired,
            scroll: 0,
            confirm: false,
            rows: Cell::new(10),
        }
    }

    fn last_scroll(&self) -> usize {
        self.expired.len().saturating_sub(self.rows.get().max(1))
    }

    /// Applies one action. Moves scroll the list; `y` asks for
    /// confirmation, a second `y` removes; `n`, Esc, Enter and `q` keep.
    pub fn update(&mut self, action: Action) -> Answer {
        let page = self.rows.get().max(1);
        let last = self.last_scroll();
        let down = |from: usize, n: usize| from.saturating_add(n).min(last);
        match action {
            Action::Char('y') | Action::Char('Y') if self.confirm => return Answer::Remove,
            Action::Char('y') | Action::Char('Y') => self.confirm = true,
            Action::Char('n')
            | Action::Char('N')
            | Action::Close
            | Action::Quit
            | Action::Enter => {
                return Answer::Keep;
            }
            Action::ForceQuit => return Answer::Quit,
            Action::Down(n) => self.scroll = down(self.scroll, n),
            Action::Up(n) => self.scroll = self.scroll.saturating_sub(n),
            Action::Scroll(n) if n >= 0 => self.scroll = down(self.scroll, n as usize),
            Action::Scroll(n) => {
                self.scroll = self.scroll.saturating_sub(n.unsigned_abs() as usize)
            }
            Action::PageDown => self.scroll = down(self.scroll, page),
            Action::PageUp => self.scroll = self.scroll.saturating_sub(page),
            Action::Top => self.scroll = 0,
            Action::Bottom => self.scroll = last,
            Action::Resize(..) => {}
            // Anything else withdraws a pending confirmation.
            _ => self.confirm = false,
        }
        Answer::Open
    }

    /// The header lines: directory, rule and reference day.
    pub fn header(&self) -> Vec<String> {
        let p = &self.policy;
        vec![
            format!("directory  {}", self.dir.display()),
            format!(
                "keep {} days counted back from {} ({})",
                p.keep_days, p.today, p.reference
            ),
            format!(
                "{} files dated before {} are past retention:",
                self.expired.len(),
                p.first_kept_day()
            ),
        ]
    }

    /// One line per file: name, date and where it came from, age, size.
    pub fn line(c: &Candidate) -> String {
        let name = c
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        format!(
            "{name}  {} ({})  {} days  {} bytes",
            c.date.map_or("-".into(), |d| d.to_string()),
            c.date_source.map_or("-", |s| s.as_str()),
            c.age_days.unwrap_or_default(),
            c.size
        )
    }

    /// The question at the bottom.
    pub fn question(&self) -> String {
        if self.confirm {
            format!(
                "Press y again to remove these {} files; any other key keeps them.",
                self.expired.len()
            )
        } else {
            "Remove them? y, then y again = remove; n / Esc / Enter = keep".into()
        }
    }
}

/// The rule applied, for the record: directory, keep-days, reference day.
pub fn rule_line(dir: &Path, p: &Policy) -> String {
    format!(
        "retention in {}: keep {} days counted back from {} ({})",
        dir.display(),
        p.keep_days,
        p.today,
        p.reference
    )
}

/// Removes the expired files; the report lines (one per file, for the
/// record printed on exit) and a one-line summary for the status bar.
pub fn remove(expired: &[Candidate]) -> (Vec<String>, String) {
    let done = retention::remove(expired);
    let lines = done.iter().map(report_line).collect();
    let ok = done.iter().filter(|r| r.result.is_ok()).count();
    let bytes: u64 = done.iter().filter_map(|r| r.result.as_ref().ok()).sum();
    let failed = done.len() - ok;
    let mut s = format!("removed {ok} expired files ({bytes} bytes)");
    if failed > 0 {
        s.push_str(&format!(", {failed} could not be removed"));
    }
    (lines, s)
}

fn report_line(r: &Removal) -> String {
    let c = &r.candidate;
    let date = c.date.map_or("-".into(), |d| d.to_string());
    let source = c.date_source.map_or("-", |s| s.as_str());
    match &r.result {
        Ok(bytes) => format!(
            "removed  {}  {date} ({source})  {bytes} bytes",
            c.path.display()
        ),
        Err(e) => format!("could not remove  {}: {e}", c.path.display()),
    }
}
