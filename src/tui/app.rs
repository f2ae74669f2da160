//! The viewer's state ([`App`]) and its pure update: actions in, state out.
//! No terminal here; [`crate::tui::view`] draws an `App`, and
//! [`crate::tui::runtime`] feeds it keys and loader messages.
//!
//! Long work (filtering, searching, seeking a big file) is done in slices
//! by [`App::pump`] between two keys, so no key waits for the whole file:
//! every action itself does work bounded by the rows on screen plus one
//! slice ([`SLICE`] rows), whatever the size of the file. [`App::work`]
//! counts the rows visited, so tests can check that bound.

use std::collections::{BTreeSet, HashSet};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::decode::format::MMAP3_SIZE;
use crate::decode::reader::Options;
use crate::decode::summary::Summary;
use crate::record::Level;
use crate::retention::{self, Candidate, Policy};
use crate::tui::action::Action;
use crate::tui::dir::DirEntry;
use crate::tui::filters::{Compiled, TimeRange, TimeSpec};
use crate::tui::lens::Lens;
use crate::tui::loader::{Loader, Msg};
use crate::tui::retention::{Answer, RetentionDialog};
use crate::tui::search::{Matches, smart_regex};
use crate::tui::store::{RowKind, Store};

mod nav;
mod overlays;

/// Rows filtered, searched or sought in one slice of work.
pub const SLICE: usize = 50_000;

pub use crate::tui::filters::{Filters, Pattern};

/// What a prompt is asking for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    /// `/`: a search regex.
    Search,
    /// `f`: a filter-in regex.
    FilterIn,
    /// `F`: a filter-out regex.
    FilterOut,
    /// `:`: a time to jump to, or a range to filter to.
    Time,
    /// `s`: a file to save the view to.
    Save,
}

impl PromptKind {
    /// The prompt's label.
    pub fn label(self) -> &'static str {
        match self {
            PromptKind::Search => "/",
            PromptKind::FilterIn => "filter in: ",
            PromptKind::FilterOut => "filter out: ",
            PromptKind::Time => "time (HH:MM[:SS], YYYY-MM-DD HH:MM) or range FROM..TO: ",
            PromptKind::Save => "save view to: ",
        }
    }
}

/// What is drawn over the log.
#[derive(Debug, Clone)]
pub enum Overlay {
    /// Nothing.
    None,
    /// The key list, scrolled by this many lines.
    Help(usize),
    /// A one-line text prompt.
    Prompt {
        /// What for.
        kind: PromptKind,
        /// Text typed so far.
        input: String,
    },
    /// Tag picker: tags with their record counts, most frequent first.
    Tags {
        /// Tag and count; the first entry is "all tags".
        items: Vec<(String, u64)>,
        /// Selected entry.
        sel: usize,
    },
    /// The filter list.
    Filters {
        /// Selected entry.
        sel: usize,
    },
    /// One record in full, scrolled by this many lines.
    Detail {
        /// Base row shown.
        row: u32,
        /// Lines scrolled off the top.
        scroll: usize,
    },
    /// Errors and warnings per minute.
    Histogram {
        /// Selected minute (index into the minutes with records).
        sel: usize,
    },
    /// Files past retention, waiting for the user's answer.
    Retention(Box<RetentionDialog>),
    /// The IM SDK findings pane.
    Findings {
        /// Selected finding.
        sel: usize,
    },
}

/// Which screen is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    /// The file list of a directory.
    Dir,
    /// A log (one file, or all files of the directory merged).
    Log,
}

/// The directory screen.
#[derive(Debug, Clone, Default)]
pub struct DirState {
    /// The directory.
    pub path: PathBuf,
    /// Its log files, by name.
    pub entries: Vec<DirEntry>,
    /// Selected line: 0 is "all files", `i + 1` is `entries[i]`.
    pub sel: usize,
}

/// Loading progress of the open log.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    /// Input bytes consumed, summed over files done and the current one.
    pub done_bytes: u64,
    /// Input bytes in all.
    pub total_bytes: u64,
    /// Every file is loaded.
    pub finished: bool,
    /// Summaries of decoded files.
    pub summaries: Vec<Summary>,
    /// Errors of files that could not be read.
    pub errors: Vec<String>,
    bytes_before: u64,
}

/// A save being written in slices.
pub(crate) struct SaveJob {
    path: PathBuf,
    out: Option<BufWriter<tempfile::NamedTempFile>>,
    /// The view's rows, taken once it is complete.
    rows: Option<Vec<u32>>,
    /// Next of `rows` to write.
    next: usize,
}

/// The last search: its regex, and the matches found so far.
#[derive(Debug, Clone)]
pub struct Search {
    /// The compiled regex (smart case).
    pub re: regex::bytes::Regex,
    /// The pattern as typed.
    pub text: String,
    /// Matches over the current view.
    pub matches: Matches,
    /// Scanning is stopped (cancelled); `n` resumes it.
    pub stopped: bool,
}

/// What a seek looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A record at `Error` or above.
    Error,
    /// A warning.
    Warning,
    /// An integrity row.
    Integrity,
    /// A marked row.
    Mark,
    /// A row at or after this local time (seconds since the epoch).
    Time(u32),
    /// The next match of the search.
    Match,
}

impl Target {
    fn name(self) -> &'static str {
        match self {
            Target::Error => "error",
            Target::Warning => "warning",
            Target::Integrity => "integrity row",
            Target::Mark => "mark",
            Target::Time(_) => "record at that time",
            Target::Match => "match",
        }
    }
}

/// A move waiting for work: a seek through the view, done in slices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seek {
    /// What is looked for.
    pub target: Target,
    /// Direction.
    pub forward: bool,
    /// Next view position to look at.
    pub pos: usize,
}

/// The viewer's whole state.
pub struct App {
    /// Which screen is shown.
    pub screen: Screen,
    /// The directory list, when a directory was opened.
    pub dir: Option<DirState>,
    /// Decoder options for files opened from here.
    pub opts: Options,
    /// The opened files (one, or all files of the directory).
    pub files: Vec<PathBuf>,
    /// Title for the status bar.
    pub title: String,
    /// Every row loaded so far.
    pub store: Store,
    /// Display order of the base rows when merged by time (else arrival order).
    pub order: Option<Vec<u32>>,
    /// Whether the open log merges several files by time.
    pub merged: bool,
    /// The filtered view: base row numbers, in display order.
    pub view: Vec<u32>,
    /// Base positions already run through the filters.
    scanned: usize,
    /// The compiled filters.
    compiled: Compiled,
    /// The user's filters.
    pub filters: Filters,
    /// Cursor, as a position in `view`.
    pub cursor: usize,
    /// First shown position in `view`.
    pub top: usize,
    /// Columns of text scrolled off to the left (folded rows).
    pub hscroll: usize,
    /// Rows of the log area.
    pub page: usize,
    /// Width of the log area.
    pub width: usize,
    /// Display position the cursor should return to once a refilter reaches it.
    anchor: Option<usize>,
    /// The cursor stays on the last row as the view grows (`G` before the
    /// view is complete), until the user moves.
    pub follow: bool,
    /// Display position of each base row, when merged (inverse of `order`).
    inv_order: Option<Vec<u32>>,
    /// Short names of the files, for the file column of a merged view.
    pub file_labels: Vec<String>,
    /// The last search.
    pub search: Option<Search>,
    /// A move in progress.
    pub seek: Option<Seek>,
    /// Rows visited so far by updates and pumps (what navigation costs).
    pub work: u64,
    saving: Option<SaveJob>,
    /// The merged order being sorted on a thread.
    merging: Option<std::sync::mpsc::Receiver<(Vec<u32>, Vec<u32>)>>,
    /// Marked base rows.
    pub marks: BTreeSet<u32>,
    /// Expanded base rows.
    pub expanded: HashSet<u32>,
    /// What is drawn over the screen.
    pub overlay: Overlay,
    /// A one-line message for the user.
    pub message: Option<String>,
    /// Loading progress.
    pub progress: Progress,
    loader: Option<Loader>,
    dir_stats: Option<crate::tui::dir::StatsLoader>,
    /// The viewer should end.
    pub quit: bool,
    /// Files removed past retention (or that could not be), one line each,
    /// printed when the viewer ends.
    pub removed: Vec<String>,
    /// The IM SDK findings of the open log.
    pub lens: Lens,
}

impl App {
    fn empty(opts: Options) -> App {
        App {
            screen: Screen::Log,
            dir: None,
            opts,
            files: Vec::new(),
            title: String::new(),
            store: Store::default(),
            order: None,
            merged: false,
            view: Vec::new(),
            scanned: 0,
            compiled: Compiled::default(),
            filters: Filters::default(),
            cursor: 0,
            top: 0,
            hscroll: 0,
            page: 22,
            width: 80,
            anchor: None,
            follow: false,
            inv_order: None,
            file_labels: Vec::new(),
            search: None,
            seek: None,
            work: 0,
            saving: None,
            merging: None,
            marks: BTreeSet::new(),
            expanded: HashSet::new(),
            overlay: Overlay::None,
            message: None,
            progress: Progress::default(),
            loader: None,
            dir_stats: None,
            quit: false,
            removed: Vec::new(),
            lens: Lens::default(),
        }
    }

    /// A viewer on one file; loading starts in the background.
    pub fn open_file(path: &Path, opts: Options) -> App {
        let mut app = App::empty(opts);
        app.start_load(vec![path.to_path_buf()], false);
        app
    }

    /// A viewer on a directory's file list. Files past retention under
    /// `policy` are removed at once with `yes`, or listed in a dialog;
    /// `policy` `None` leaves them alone.
    pub fn open_dir(dir: &Path, opts: Options, policy: Option<Policy>, yes: bool) -> App {
        let mut app = App::empty(opts);
        app.screen = Screen::Dir;
        if let Some(policy) = policy {
            match retention::scan(dir, &policy) {
                Ok(c) => {
                    let expired: Vec<Candidate> =
                        c.into_iter().filter(|c| c.is_expired()).collect();
                    if !expired.is_empty() {
                        if yes {
                            app.remove_expired(dir, &policy, &expired);
                        } else {
                            app.overlay = Overlay::Retention(Box::new(RetentionDialog::new(
                                dir.to_path_buf(),
                                policy,
                                expired,
                            )));
                        }
                    }
                }
                Err(e) => app.message = Some(format!("retention scan failed: {e}")),
            }
        }
        app.load_dir(dir);
        app
    }

    fn load_dir(&mut self, dir: &Path) {
        let entries = crate::tui::dir::list(dir);
        let paths = entries.iter().map(|e| e.path.clone()).collect();
        self.dir_stats = Some(crate::tui::dir::StatsLoader::spawn(
            paths,
            self.opts.clone(),
        ));
        self.title = dir.display().to_string();
        self.dir = Some(DirState {
            path: dir.to_path_buf(),
            entries,
            sel: 0,
        });
    }

    /// A viewer over rows already in hand (tools, tests): nothing loads.
    pub fn with_store(store: Store, title: &str) -> App {
        let mut app = App::empty(Options::default());
        app.store = store;
        app.title = title.to_string();
        app.progress.finished = true;
        app.refilter();
        app
    }

    fn start_load(&mut self, files: Vec<PathBuf>, merged: bool) {
        self.store = Store::new(&files, self.opts.clone());
        if merged {
            self.store.keep_millis();
        }
        self.file_labels = file_labels(&files);
        self.order = None;
        self.inv_order = None;
        self.merging = None;
        self.saving = None;
        self.merged = merged;
        self.view.clear();
        self.scanned = 0;
        self.cursor = 0;
        self.top = 0;
        self.marks.clear();
        self.expanded.clear();
        self.seek = None;
        self.follow = false;
        self.anchor = None;
        self.lens = Lens::default();
        if let Some(s) = &mut self.search {
            s.matches = Matches::new(0);
        }
        self.progress = Progress {
            total_bytes: files
                .iter()
                .map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0))
                .sum(),
            ..Default::default()
        };
        self.title = match (merged, files.first()) {
            (false, Some(f)) => f.display().to_string(),
            _ => format!("{} files merged", files.len()),
        };
        self.files = files.clone();
        self.loader = Some(Loader::spawn(files, self.opts.clone()));
        self.screen = Screen::Log;
    }

    /// Takes one loader message.
    pub fn receive(&mut self, msg: Msg) {
        match msg {
            Msg::Batch {
                mut batch,
                pos,
                file,
            } => {
                let findings = std::mem::take(&mut batch.findings);
                self.lens.take(file, self.store.len(), findings);
                self.store.append(batch, file);
                self.progress.done_bytes = self.progress.bytes_before + pos;
            }
            Msg::FileDone {
                file,
                summary,
                error,
            } => {
                let size = self
                    .files
                    .get(usize::from(file))
                    .and_then(|f| std::fs::metadata(f).ok())
                    .map_or(0, |m| m.len());
                self.progress.bytes_before += size;
                self.progress.done_bytes = self.progress.bytes_before;
                if let Some(s) = summary {
                    // As the CLI: a non-empty input without a single block
                    // (a crash buffer after a clean close aside).
                    if s.blocks() == 0 && s.bytes_in > 0 && s.bytes_in != MMAP3_SIZE {
                        let name = self.files.get(usize::from(file));
                        let e = format!(
                            "{}: not an xlog file (no valid block found)",
                            name.map(|p| p.display().to_string()).unwrap_or_default()
                        );
                        self.message = Some(e.clone());
                        self.progress.errors.push(e);
                    }
                    self.progress.summaries.push(s);
                }
                if let Some(e) = error {
                    self.message = Some(e.clone());
                    self.progress.errors.push(e);
                }
            }
            Msg::AllDone => {
                self.progress.finished = true;
                self.progress.done_bytes = self.progress.total_bytes;
                self.loader = None;
                if self.merged {
                    self.merge_by_time();
                }
            }
        }
    }

    /// Does pending work: takes loader messages (without waiting), then
    /// filters and searches one slice. Returns whether anything changed.
    pub fn pump(&mut self) -> bool {
        let mut changed = false;
        if let Some(stats) = &self.dir_stats {
            let (got, done) = stats.drain(self.dir.as_mut().map(|d| &mut d.entries[..]));
            changed |= got;
            if done {
                self.dir_stats = None;
            }
        }
        let mut msgs = Vec::new();
        if let Some(l) = &self.loader {
            while let Ok(m) = l.rx.try_recv() {
                msgs.push(m);
            }
        }
        for m in msgs {
            self.receive(m);
            changed = true;
        }
        changed |= self.take_merge(false);
        changed |= self.slice();
        changed
    }

    /// [`App::pump`], then more slices of work until `budget` has passed
    /// or nothing is left (the terminal loop: keys are read in between).
    pub fn pump_for(&mut self, budget: std::time::Duration) -> bool {
        let start = std::time::Instant::now();
        let mut changed = self.pump();
        while start.elapsed() < budget && self.slice() {
            changed = true;
        }
        changed
    }

    /// Whether work is left that [`App::pump`] would do.
    pub fn busy(&self) -> bool {
        self.loader.is_some() || self.dir_stats.is_some() || self.working()
    }

    /// Runs all pending work to the end, waiting for the loader (tests,
    /// tools, timing).
    pub fn settle(&mut self) {
        loop {
            if let Some(l) = &self.loader {
                match l.rx.recv() {
                    Ok(m) => self.receive(m),
                    Err(_) => self.loader = None,
                }
                while self.slice() {}
                continue;
            }
            if let Some(stats) = &self.dir_stats {
                let done = stats.wait(self.dir.as_mut().map(|d| &mut d.entries[..]));
                if done {
                    self.dir_stats = None;
                }
                continue;
            }
            self.take_merge(true);
            while self.slice() {}
            if !self.busy() {
                return;
            }
        }
    }

    /// The tags of the loaded records with their counts, most first.
    pub fn tag_items(&self) -> Vec<(String, u64)> {
        let mut items: Vec<(String, u64)> = self
            .store
            .tag_counts
            .iter()
            .map(|(t, n)| (String::from_utf8_lossy(t).into_owned(), *n))
            .collect();
        items.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        items.insert(0, ("(all tags)".into(), self.store.len() as u64));
        items
    }

    /// Applies one action.
    pub fn update(&mut self, action: Action) {
        if action == Action::ForceQuit {
            // Ctrl-C stops a long operation first; with none, it quits.
            if self.screen == Screen::Log && self.cancel(false) {
                return;
            }
            self.quit = true;
            return;
        }
        if let Action::Resize(w, h) = action {
            self.width = usize::from(w);
            self.page = usize::from(h).saturating_sub(2).max(1);
            self.scroll_into_view();
            return;
        }
        match std::mem::replace(&mut self.overlay, Overlay::None) {
            Overlay::None => {}
            Overlay::Help(scroll) => {
                let scroll = match action {
                    Action::Close | Action::Help | Action::Quit => return,
                    Action::Down(n) => scroll + n,
                    Action::Scroll(n) if n >= 0 => scroll + n as usize,
                    Action::Up(n) => scroll.saturating_sub(n),
                    Action::Scroll(n) => scroll.saturating_sub(n.unsigned_abs() as usize),
                    Action::PageDown => scroll + self.page,
                    Action::PageUp => scroll.saturating_sub(self.page),
                    Action::Top => 0,
                    _ => scroll,
                };
                let max = crate::tui::keymap::KEYS.len() + crate::tui::keymap::MARKERS.len() + 4;
                self.overlay = Overlay::Help(scroll.min(max));
                return;
            }
            Overlay::Prompt { kind, input } => return self.prompt(kind, input, action),
            Overlay::Tags { items, sel } => return self.tags(items, sel, action),
            Overlay::Filters { sel } => return self.filter_list(sel, action),
            Overlay::Detail { row, scroll } => return self.detail(row, scroll, action),
            Overlay::Histogram { sel } => return self.histogram(sel, action),
            Overlay::Retention(dialog) => return self.retention(dialog, action),
            Overlay::Findings { sel } => return self.findings(sel, action),
        }
        if self.screen == Screen::Dir {
            return self.dir_update(action);
        }
        self.message = None;
        // Any other move ends following the end and a move in progress.
        if !matches!(action, Action::Help | Action::Close) {
            self.follow = false;
            self.seek = None;
        }
        match action {
            Action::Quit => {
                if let Some(d) = &self.dir {
                    self.loader = None;
                    self.title = d.path.display().to_string();
                    self.screen = Screen::Dir;
                } else {
                    self.quit = true;
                }
            }
            Action::Close => {
                self.cancel(true);
            }
            Action::Down(n) => self.move_to(self.cursor.saturating_add(n)),
            Action::Up(n) => self.move_to(self.cursor.saturating_sub(n)),
            Action::Scroll(n) if n >= 0 => self.move_to(self.cursor.saturating_add(n as usize)),
            Action::Scroll(n) => {
                self.move_to(self.cursor.saturating_sub(n.unsigned_abs() as usize))
            }
            Action::PageDown => self.page_down(),
            Action::PageUp => {
                let p = self.page.max(1);
                self.top = self.top.saturating_sub(p);
                self.move_to(self.cursor.saturating_sub(p));
            }
            Action::Top => self.move_to(0),
            Action::Bottom => {
                self.move_to(self.view.len().saturating_sub(1));
                // Rows still to come: stay on the last one as they do.
                self.follow = !self.complete();
            }
            Action::Shift(n) => {
                self.hscroll = self.hscroll.saturating_add_signed(n as isize);
            }
            Action::MinLevel(l) => {
                self.filters.min_level = l.filter(|&l| l != Level::Verbose);
                self.refilter();
            }
            Action::SearchPrompt => self.open_prompt(PromptKind::Search),
            Action::SearchNext => self.search_next(true),
            Action::SearchPrev => self.search_next(false),
            Action::TagPicker => {
                self.overlay = Overlay::Tags {
                    items: self.tag_items(),
                    sel: 0,
                }
            }
            Action::ThreadFilter => {
                if self.filters.tid.is_some() {
                    self.filters.tid = None;
                } else {
                    let tid = self.view.get(self.cursor).and_then(|&r| {
                        self.store
                            .with_record(r, |rec| rec.header.as_ref().map(|h| h.tid))
                    });
                    match tid {
                        Some(t) => self.filters.tid = Some(t),
                        None => {
                            self.message = Some("this row has no thread id".into());
                            return;
                        }
                    }
                }
                self.refilter();
            }
            Action::FilterInPrompt => self.open_prompt(PromptKind::FilterIn),
            Action::FilterOutPrompt => self.open_prompt(PromptKind::FilterOut),
            Action::FilterList => self.overlay = Overlay::Filters { sel: 0 },
            Action::ClearFilters => {
                self.filters = Filters::default();
                self.refilter();
            }
            Action::TimePrompt => self.open_prompt(PromptKind::Time),
            Action::NextError(fwd) => self.start_seek(Target::Error, fwd),
            Action::NextWarning(fwd) => self.start_seek(Target::Warning, fwd),
            Action::NextIntegrity(fwd) => self.start_seek(Target::Integrity, fwd),
            Action::ToggleMark => {
                if let Some(&r) = self.view.get(self.cursor)
                    && !self.marks.remove(&r)
                {
                    self.marks.insert(r);
                }
            }
            Action::NextMark(fwd) => self.start_seek(Target::Mark, fwd),
            Action::SavePrompt => self.open_prompt(PromptKind::Save),
            Action::Enter => self.unfold(),
            Action::Histogram => {
                let sel = self.histogram_minute_at_cursor();
                self.overlay = Overlay::Histogram { sel };
            }
            Action::Help => self.overlay = Overlay::Help(0),
            Action::Findings => self.overlay = Overlay::Findings { sel: 0 },
            _ => {}
        }
    }

    /// The integrity rows in the store, by kind, for the status bar.
    pub fn integrity_summary(&self) -> String {
        RowKind::INTEGRITY
            .iter()
            .filter_map(|&k| {
                let n = self.store.kind_count(k);
                (n > 0).then(|| format!("{n} {}", k.name()))
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// What the keys drive now.
    pub fn key_context(&self) -> crate::tui::keymap::Context {
        use crate::tui::keymap::Context;
        match self.overlay {
            Overlay::Prompt { .. } => Context::Prompt,
            Overlay::Tags { .. }
            | Overlay::Filters { .. }
            | Overlay::Retention(_)
            | Overlay::Histogram { .. }
            | Overlay::Findings { .. } => Context::List,
            Overlay::None | Overlay::Help(_) | Overlay::Detail { .. } => Context::Normal,
        }
    }

    /// Base rows run through the filters so far.
    pub fn scanned(&self) -> usize {
        self.scanned
    }

    /// How far a save has got: (rows written, rows in all; `None` while it
    /// waits for the view to be complete).
    pub fn save_progress(&self) -> Option<(usize, Option<usize>)> {
        self.saving
            .as_ref()
            .map(|j| (j.next, j.rows.as_ref().map(Vec::len)))
    }

    /// Whether a search is still scanning.
    pub fn searching(&self) -> bool {
        self.search
            .as_ref()
            .is_some_and(|s| !s.stopped && !s.matches.done())
    }
}

/// Short names for the files of a merged view: their names without the
/// extension, less the `_`-separated prefix they all share, at most 16
/// characters (the end, where the date is).
fn file_labels(files: &[PathBuf]) -> Vec<String> {
    let stems: Vec<String> = files
        .iter()
        .map(|p| {
            p.file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        })
        .collect();
    let mut common = stems.first().map_or(0, String::len);
    for s in &stems {
        common = stems[0]
            .bytes()
            .zip(s.bytes())
            .take(common)
            .take_while(|(a, b)| a == b)
            .count();
    }
    // Cut after the last `_` of the shared part, or after all of it when
    // the names go on with `_` (`imsdk` and `imsdk_20240128`).
    let cut = stems
        .first()
        .and_then(|s| s.get(..common))
        .map_or(0, |p| p.rfind('_').map_or(common, |i| i + 1));
    stems
        .iter()
        .map(|s| {
            let rest = s.get(cut..).unwrap_or("").trim_start_matches('_');
            let rest = if rest.is_empty() { s.as_str() } else { rest };
            let chars: Vec<char> = rest.chars().collect();
            chars[chars.len().saturating_sub(16)..].iter().collect()
        })
        .collect()
}
