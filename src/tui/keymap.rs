//! Keys to actions, with less / vim / lnav habits, and the key list the
//! help overlay (and the README) shows.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEvent, MouseEventKind};

use crate::record::Level;
use crate::tui::action::Action;

/// What the keys currently drive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// The log or the file list.
    Normal,
    /// A text prompt: printable keys are typed.
    Prompt,
    /// A list overlay (tag picker, filter list) or a yes/no dialog.
    List,
}

/// Every key of the log screen and what it does, in help order.
pub const KEYS: &[(&str, &str)] = &[
    ("q", "quit (back to the file list when opened from one)"),
    (
        "Ctrl-C",
        "stop a search, jump or save you wait for; else quit",
    ),
    ("Ctrl-Z", "suspend to the shell (fg returns)"),
    (
        "Esc",
        "close an overlay or prompt; stop a search, jump or save",
    ),
    ("?", "this help"),
    ("Ctrl-U", "clear a prompt's input"),
    ("j / Down", "next row"),
    ("k / Up", "previous row"),
    ("PgDn / Space / Ctrl-F", "page down"),
    ("PgUp / b / Ctrl-B", "page up"),
    ("g / Home", "first row"),
    ("G / End", "last row"),
    ("mouse wheel", "scroll"),
    ("Left / Right", "shift the text 8 columns (folded rows)"),
    (
        "Enter",
        "unfold a record (again: fold); a long one opens in a scrollable pane; open a file",
    ),
    ("/", "search the whole record (regex; smart case)"),
    ("n / N", "next / previous match (status: match k/N)"),
    ("1..6", "minimum level V D I W E F (1 shows all)"),
    ("t", "filter to a tag (picker with counts)"),
    (
        "T",
        "filter to the thread of the current record (again: clear)",
    ),
    ("f", "keep records matching a regex (as /)"),
    ("F", "hide records matching a regex (as /)"),
    ("l", "filter list: Space toggles, d deletes"),
    ("c", "clear all filters"),
    (
        ":",
        "jump to a time (HH:MM: the next one after the cursor; YYYY-MM-DD HH:MM); FROM..TO filters to a range",
    ),
    ("H", "errors and warnings per minute (Enter jumps there)"),
    (
        "i",
        "IM SDK findings (logins, kicks, failed sends, codes): Enter jumps to the line",
    ),
    ("e / E", "next / previous error or fatal"),
    ("w / W", "next / previous warning"),
    ("x / X", "next / previous integrity row"),
    ("m", "toggle a mark"),
    ("' / \"", "next / previous mark"),
    ("s", "save the current view to a file"),
    (
        "i",
        "IM SDK findings (logins, kicks, failed sends, codes): Enter jumps to the line",
    ),
];

/// The gutter markers of integrity rows, for the help overlay.
pub const MARKERS: &[(&str, &str)] = &[
    ("C", "corrupt range skipped (offset, bytes)"),
    ("G", "seq gap"),
    ("Z", "block that did not decompress"),
    ("K", "encrypted blocks without a (fitting) key"),
    ("R", "recovered block (mmap3 tail, cut-off last block)"),
    ("!", "IM SDK error code (Enter: its meaning and advice)"),
    ("*", "mark"),
];

/// The action for a key press in `ctx`, if any.
pub fn key(ctx: Context, k: KeyEvent) -> Option<Action> {
    if k.kind == KeyEventKind::Release {
        return None;
    }
    let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && matches!(k.code, KeyCode::Char('c')) {
        return Some(Action::ForceQuit);
    }
    if ctrl && matches!(k.code, KeyCode::Char('z')) {
        return Some(Action::Suspend);
    }
    match ctx {
        Context::Prompt => match k.code {
            KeyCode::Esc => Some(Action::Close),
            KeyCode::Enter => Some(Action::Enter),
            KeyCode::Backspace => Some(Action::Backspace),
            KeyCode::Char('u') if ctrl => Some(Action::ClearInput),
            KeyCode::Char(c) if !ctrl => Some(Action::Char(c)),
            _ => None,
        },
        Context::List => match k.code {
            KeyCode::Esc => Some(Action::Close),
            KeyCode::Enter => Some(Action::Enter),
            KeyCode::Char(' ') => Some(Action::Toggle),
            KeyCode::Char('d') | KeyCode::Delete => Some(Action::Delete),
            KeyCode::Char('j') | KeyCode::Down => Some(Action::Down(1)),
            KeyCode::Char('k') | KeyCode::Up => Some(Action::Up(1)),
            KeyCode::PageDown => Some(Action::PageDown),
            KeyCode::PageUp => Some(Action::PageUp),
            KeyCode::Char('g') | KeyCode::Home => Some(Action::Top),
            KeyCode::Char('G') | KeyCode::End => Some(Action::Bottom),
            KeyCode::Char('q') => Some(Action::Quit),
            KeyCode::Char(c) => Some(Action::Char(c)),
            _ => None,
        },
        Context::Normal => normal(k.code, ctrl),
    }
}

fn normal(code: KeyCode, ctrl: bool) -> Option<Action> {
    if ctrl {
        return match code {
            KeyCode::Char('f') | KeyCode::Char('d') => Some(Action::PageDown),
            KeyCode::Char('b') | KeyCode::Char('u') => Some(Action::PageUp),
            _ => None,
        };
    }
    let a = match code {
        KeyCode::Char('q') => Action::Quit,
        KeyCode::Esc => Action::Close,
        KeyCode::Char('?') => Action::Help,
        KeyCode::Char('j') | KeyCode::Down => Action::Down(1),
        KeyCode::Char('k') | KeyCode::Up => Action::Up(1),
        KeyCode::PageDown | KeyCode::Char(' ') => Action::PageDown,
        KeyCode::PageUp | KeyCode::Char('b') => Action::PageUp,
        KeyCode::Char('g') | KeyCode::Home => Action::Top,
        KeyCode::Char('G') | KeyCode::End => Action::Bottom,
        KeyCode::Enter => Action::Enter,
        KeyCode::Left => Action::Shift(-8),
        KeyCode::Right => Action::Shift(8),
        KeyCode::Char('/') => Action::SearchPrompt,
        KeyCode::Char('n') => Action::SearchNext,
        KeyCode::Char('N') => Action::SearchPrev,
        KeyCode::Char(c @ '1'..='6') => {
            let l = Level::ALL[usize::from(c as u8 - b'1')];
            Action::MinLevel(Some(l))
        }
        KeyCode::Char('t') => Action::TagPicker,
        KeyCode::Char('T') => Action::ThreadFilter,
        KeyCode::Char('f') => Action::FilterInPrompt,
        KeyCode::Char('F') => Action::FilterOutPrompt,
        KeyCode::Char('l') => Action::FilterList,
        KeyCode::Char('c') => Action::ClearFilters,
        KeyCode::Char(':') => Action::TimePrompt,
        KeyCode::Char('e') => Action::NextError(true),
        KeyCode::Char('E') => Action::NextError(false),
        KeyCode::Char('w') => Action::NextWarning(true),
        KeyCode::Char('W') => Action::NextWarning(false),
        KeyCode::Char('x') => Action::NextIntegrity(true),
        KeyCode::Char('X') => Action::NextIntegrity(false),
        KeyCode::Char('m') => Action::ToggleMark,
        KeyCode::Char('\'') => Action::NextMark(true),
        KeyCode::Char('"') => Action::NextMark(false),
        KeyCode::Char('s') => Action::SavePrompt,
        KeyCode::Char('H') => Action::Histogram,
        KeyCode::Char('i') => Action::Findings,
        _ => return None,
    };
    Some(a)
}

/// The action for a mouse event: the wheel scrolls.
pub fn mouse(m: MouseEvent) -> Option<Action> {
    match m.kind {
        MouseEventKind::ScrollDown => Some(Action::Scroll(3)),
        MouseEventKind::ScrollUp => Some(Action::Scroll(-3)),
        _ => None,
    }
}
