//! What the user asked for, independent of the key that asked.

use crate::record::Level;

/// One request to [`crate::tui::app::App::update`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// Quit the viewer (`q`; in a file opened from a directory list, back to the list).
    Quit,
    /// Ctrl-C: stop a search move, a seek or a save being waited for; with
    /// none, quit at once, whatever is open.
    ForceQuit,
    /// Close the open overlay or prompt.
    Close,
    /// Move the cursor down this many rows.
    Down(usize),
    /// Move the cursor up this many rows.
    Up(usize),
    /// One screen down.
    PageDown,
    /// One screen up.
    PageUp,
    /// First row.
    Top,
    /// Last row.
    Bottom,
    /// The log area is now this many rows high.
    Resize(u16, u16),
    /// Show only records of this level or above (`None`: all).
    MinLevel(Option<Level>),
    /// Open the search prompt.
    SearchPrompt,
    /// Next match of the last search.
    SearchNext,
    /// Previous match of the last search.
    SearchPrev,
    /// Open the tag picker.
    TagPicker,
    /// Filter to the thread of the cursor's record (again: clear).
    ThreadFilter,
    /// Open the prompt for a filter-in regex.
    FilterInPrompt,
    /// Open the prompt for a filter-out regex.
    FilterOutPrompt,
    /// Open the list of filters.
    FilterList,
    /// Remove every filter.
    ClearFilters,
    /// Open the prompt for a time to jump to.
    TimePrompt,
    /// Next (`true`) or previous record at `Error` or above.
    NextError(bool),
    /// Next or previous warning.
    NextWarning(bool),
    /// Next or previous integrity row.
    NextIntegrity(bool),
    /// Toggle a mark on the cursor's row.
    ToggleMark,
    /// Next or previous marked row.
    NextMark(bool),
    /// Open the prompt for a file to save the current view to.
    SavePrompt,
    /// Enter: expand a record, open a file, confirm a prompt or a choice.
    Enter,
    /// Show or hide the key list.
    Help,
    /// A typed character (prompts, dialogs).
    Char(char),
    /// Delete the character before the prompt's cursor.
    Backspace,
    /// Space in a list: toggle the selected entry.
    Toggle,
    /// Delete the selected entry of a list.
    Delete,
    /// Mouse wheel: scroll by this many rows (negative: up).
    Scroll(i32),
    /// Shift the text this many columns to the right (negative: left).
    Shift(i32),
    /// Open the per-minute histogram of errors and warnings.
    Histogram,
    /// Clear the prompt's input (Ctrl-U).
    ClearInput,
    /// Suspend the viewer to the shell (Ctrl-Z); handled by the terminal
    /// loop, not by the state.
    Suspend,
    /// Open the IM SDK findings pane.
    Findings,
}

impl Action {
    /// Where a movement (down, up, a page either way, top, bottom) takes
    /// the selection `sel` of a list whose last entry is `last`, with
    /// `page` entries to a screen; `None` for any other action.
    pub fn moved(&self, sel: usize, last: usize, page: usize) -> Option<usize> {
        Some(match *self {
            Action::Down(n) => (sel + n).min(last),
            Action::Up(n) => sel.saturating_sub(n),
            Action::PageDown => (sel + page).min(last),
            Action::PageUp => sel.saturating_sub(page),
            Action::Top => 0,
            Action::Bottom => last,
            _ => return None,
        })
    }
}
