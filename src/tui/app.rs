//! The viewer's state ([`App`]) and its pure update: actions in, state out.
//! No terminal here; [`crate::tui::view`] draws an `App`, and
//! [`crate::tui::runtime`] feeds it keys and loader messages.
//!
//! Long work (filtering, searching a big file) is done in slices by
//! [`App::pump`], so no key waits for the whole file.

use std::collections::{BTreeSet, HashSet};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset, Local, NaiveDate};
use regex::bytes::{Regex, RegexBuilder};

use crate::filter::{Filter, FilterOptions, TimeBound};
use crate::format::MMAP3_SIZE;
use crate::reader::{Options, Summary};
use crate::record::Level;
use crate::retention::{self, Candidate, Policy};
use crate::tui::action::Action;
use crate::tui::lens::Lens;
use crate::tui::loader::{Loader, Msg};
use crate::tui::retention::{Answer, RetentionDialog};
use crate::tui::store::{RowKind, Store};

/// Rows filtered or searched per [`App::pump`] slice.
pub const PUMP_ROWS: usize = 200_000;

/// A filter-in or filter-out message regex of the filter list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    /// The regex as typed.
    pub text: String,
    /// Filter out (hide matching records) instead of in.
    pub out: bool,
    /// Whether it applies.
    pub enabled: bool,
}

/// The user's filters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    /// Minimum level.
    pub min_level: Option<Level>,
    /// Only this tag.
    pub tag: Option<String>,
    /// Only this thread.
    pub tid: Option<i64>,
    /// Message regexes.
    pub patterns: Vec<Pattern>,
}

impl Filters {
    /// The library filters these stand for (all must pass); empty when
    /// nothing is set. Regexes are checked when added, so this only fails
    /// on a pattern that never compiled.
    pub fn compile(&self) -> Result<Vec<Filter>, String> {
        let mut out = Vec::new();
        let base = FilterOptions {
            level: self.min_level.map(|l| l.letter().to_string()),
            tags: self.tag.iter().cloned().collect(),
            tid: self.tid,
            ..Default::default()
        };
        let f = Filter::new(&base, now()).map_err(|e| e.to_string())?;
        if !f.is_empty() {
            out.push(f);
        }
        for p in self.patterns.iter().filter(|p| p.enabled) {
            out.push(pattern_filter(&p.text, p.out)?);
        }
        Ok(out)
    }

    /// A one-line description for the status bar.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(l) = self.min_level {
            parts.push(format!(">={}", l.letter()));
        }
        if let Some(t) = &self.tag {
            parts.push(format!("tag:{t}"));
        }
        if let Some(t) = self.tid {
            parts.push(format!("tid:{t}"));
        }
        for p in self.patterns.iter().filter(|p| p.enabled) {
            parts.push(format!("{}{}", if p.out { "-" } else { "+" }, p.text));
        }
        parts.join(" ")
    }
}

fn pattern_filter(text: &str, out: bool) -> Result<Filter, String> {
    let opts = FilterOptions {
        regex: Some(text.to_string()),
        invert: out,
        ..Default::default()
    };
    Filter::new(&opts, now()).map_err(|e| e.to_string())
}

fn now() -> DateTime<FixedOffset> {
    Local::now().fixed_offset()
}

/// What a prompt is asking for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    /// `/`: a search regex.
    Search,
    /// `f`: a filter-in regex.
    FilterIn,
    /// `F`: a filter-out regex.
    FilterOut,
    /// `:`: a time to jump to.
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
            PromptKind::Time => "jump to time (HH:MM[:SS] or YYYY-MM-DD HH:MM): ",
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

/// One file of a directory list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    /// Full path.
    pub path: PathBuf,
    /// File name.
    pub name: String,
    /// Date from a `prefix_YYYYMMDD[_N].xlog` name.
    pub date: Option<NaiveDate>,
    /// Size in bytes.
    pub size: u64,
    /// Records, once counted.
    pub records: Option<u64>,
    /// Integrity findings, once counted.
    pub integrity: Option<u64>,
    /// Why the file cannot be decoded.
    pub error: Option<String>,
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

/// A search being run in slices.
#[derive(Debug, Clone)]
struct SearchJob {
    forward: bool,
    /// View position to look at next.
    pos: usize,
    /// Positions still to look at.
    left: usize,
    /// Position the search started from.
    from: usize,
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
    compiled: Vec<Filter>,
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
    /// Last search regex and its text.
    pub search: Option<(Regex, String)>,
    search_job: Option<SearchJob>,
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
    /// The IM SDK lens over the loaded rows.
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
            store: Store::new(),
            order: None,
            merged: false,
            view: Vec::new(),
            scanned: 0,
            compiled: Vec::new(),
            filters: Filters::default(),
            cursor: 0,
            top: 0,
            hscroll: 0,
            page: 22,
            width: 80,
            anchor: None,
            search: None,
            search_job: None,
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

    fn start_load(&mut self, files: Vec<PathBuf>, merged: bool) {
        self.store = Store::new();
        self.order = None;
        self.merged = merged;
        self.view.clear();
        self.scanned = 0;
        self.cursor = 0;
        self.top = 0;
        self.marks.clear();
        self.expanded.clear();
        self.search_job = None;
        self.lens = Lens::default();
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
            Msg::Batch { batch, pos, .. } => {
                self.store.append(batch);
                self.lens.feed(&self.store);
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
                self.lens.finish(file);
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
        changed |= self.advance_filter(PUMP_ROWS);
        changed |= self.advance_search(PUMP_ROWS);
        changed
    }

    /// Whether work is left that [`App::pump`] would do.
    pub fn busy(&self) -> bool {
        self.loader.is_some()
            || self.dir_stats.is_some()
            || self.scanned < self.store.len()
            || self.search_job.is_some()
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
                continue;
            }
            if let Some(stats) = &self.dir_stats {
                let done = stats.wait(self.dir.as_mut().map(|d| &mut d.entries[..]));
                if done {
                    self.dir_stats = None;
                }
                continue;
            }
            let busy = self.advance_filter(usize::MAX) | self.advance_search(usize::MAX);
            if !busy && !self.busy() {
                return;
            }
        }
    }

    /// Base row at display position `i`.
    fn base(&self, i: usize) -> u32 {
        match &self.order {
            Some(o) => o[i],
            None => i as u32,
        }
    }

    /// Whether a row belongs in the view under the current filters.
    /// Integrity rows always show; records must pass every filter.
    fn passes(&self, row: u32) -> bool {
        let r = self.store.row(row);
        if self.compiled.is_empty() || r.kind.is_integrity() {
            return true;
        }
        // The level is in the row: most records fail here without a parse.
        if let Some(min) = self.filters.min_level
            && r.level.is_none_or(|l| l < min)
        {
            return false;
        }
        let rec = self.store.record(row);
        self.compiled.iter().all(|f| f.matches(&rec))
    }

    fn advance_filter(&mut self, budget: usize) -> bool {
        let total = self.store.len();
        if self.scanned >= total {
            return false;
        }
        let end = total.min(self.scanned.saturating_add(budget));
        for i in self.scanned..end {
            let row = self.base(i);
            if self.passes(row) {
                self.view.push(row);
                if self.anchor.is_some_and(|a| i >= a) {
                    self.anchor = None;
                    self.cursor = self.view.len() - 1;
                    self.scroll_into_view();
                }
            }
        }
        self.scanned = end;
        if self.scanned >= total && self.progress.finished && self.anchor.take().is_some() {
            self.cursor = self.view.len().saturating_sub(1);
            self.scroll_into_view();
        }
        true
    }

    /// Display position of a base row (its number, unless merged).
    fn order_pos(&self, row: u32) -> usize {
        match &self.order {
            Some(o) => o.iter().position(|&r| r == row).unwrap_or(0),
            None => row as usize,
        }
    }

    /// Starts the view over under new filters, keeping the cursor on the
    /// same record (or the next one that passes).
    fn refilter(&mut self) {
        match self.filters.compile() {
            Ok(c) => self.compiled = c,
            Err(e) => {
                self.message = Some(e);
                return;
            }
        }
        self.anchor = self.view.get(self.cursor).map(|&r| self.order_pos(r));
        self.view.clear();
        self.scanned = 0;
        self.cursor = 0;
        self.top = 0;
        self.search_job = None;
        // Filter the start at once so the first screen is there.
        self.advance_filter(PUMP_ROWS);
    }

    fn merge_by_time(&mut self) {
        let n = self.store.len();
        let mut keys: Vec<i64> = vec![i64::MIN; n];
        let mut last: Vec<Option<i64>> = vec![None; self.files.len().max(1)];
        let mut pending: Vec<Vec<usize>> = vec![Vec::new(); self.files.len().max(1)];
        for (i, key) in keys.iter_mut().enumerate() {
            let row = self.store.row(i as u32);
            let f = usize::from(row.file).min(last.len() - 1);
            let ts = self.store.record(i as u32).header.map(|h| {
                h.timestamp
                    .utc_millis()
                    .unwrap_or(h.timestamp.local_millis())
            });
            match ts.or(last[f]) {
                Some(t) => {
                    *key = t;
                    last[f] = Some(t);
                }
                None => pending[f].push(i),
            }
        }
        // Rows before a file's first timestamp go with that timestamp.
        for (f, rows) in pending.iter().enumerate() {
            let first = (0..n)
                .find(|&i| usize::from(self.store.row(i as u32).file) == f && keys[i] != i64::MIN);
            if let Some(first) = first {
                let t = keys[first];
                for &i in rows {
                    keys[i] = t;
                }
            }
        }
        let mut order: Vec<u32> = (0..n as u32).collect();
        order.sort_by_key(|&i| keys[i as usize]); // stable: equal times keep file order
        self.order = Some(order);
        self.view.clear();
        self.scanned = 0;
        self.cursor = 0;
        self.top = 0;
        self.advance_filter(PUMP_ROWS);
    }

    fn advance_search(&mut self, budget: usize) -> bool {
        let Some(job) = self.search_job.clone() else {
            return false;
        };
        let Some((re, text)) = &self.search else {
            self.search_job = None;
            return false;
        };
        let n = self.view.len();
        if n == 0 {
            self.search_job = None;
            self.message = Some(format!("pattern not found: {text}"));
            return true;
        }
        let mut job = job;
        let mut steps = 0;
        while job.left > 0 && steps < budget {
            let pos = job.pos % n;
            if re.is_match(self.store.bytes_of(self.view[pos])) {
                self.cursor = pos;
                let wrapped = if job.forward {
                    pos <= job.from
                } else {
                    pos >= job.from
                };
                self.message = wrapped.then(|| "search wrapped".to_string());
                self.search_job = None;
                self.scroll_into_view();
                return true;
            }
            job.pos = if job.forward {
                (pos + 1) % n
            } else {
                (pos + n - 1) % n
            };
            job.left -= 1;
            steps += 1;
        }
        if job.left == 0 {
            self.message = Some(format!("pattern not found: {text}"));
            self.search_job = None;
        } else {
            self.search_job = Some(job);
        }
        true
    }

    fn start_search(&mut self, forward: bool) {
        if self.search.is_none() {
            self.message = Some("no previous search".into());
            return;
        }
        let n = self.view.len();
        if n == 0 {
            return;
        }
        let from = self.cursor.min(n - 1);
        let pos = if forward {
            (from + 1) % n
        } else {
            (from + n - 1) % n
        };
        self.search_job = Some(SearchJob {
            forward,
            pos,
            left: n,
            from,
        });
        self.advance_search(PUMP_ROWS);
    }

    /// Height in screen lines of view position `i`.
    pub fn row_height(&self, i: usize) -> usize {
        let row = self.view[i];
        if !self.expanded.contains(&row) {
            return 1;
        }
        let bytes = self.store.bytes_of(row);
        let mut text = crate::tui::view::printable_lines(bytes);
        text.extend(self.lens.detail(bytes));
        let lines: usize = text
            .iter()
            .map(|l| crate::tui::view::wrap(l, self.text_width()).len())
            .sum();
        lines.clamp(1, self.page.max(1))
    }

    /// Columns left for text after the gutter.
    pub fn text_width(&self) -> usize {
        self.width.saturating_sub(crate::tui::view::GUTTER).max(1)
    }

    fn scroll_into_view(&mut self) {
        if self.view.is_empty() {
            self.cursor = 0;
            self.top = 0;
            return;
        }
        self.cursor = self.cursor.min(self.view.len() - 1);
        if self.cursor < self.top {
            self.top = self.cursor;
        }
        // Lower `top` until the cursor's row fits in the page.
        loop {
            let used: usize = (self.top..=self.cursor).map(|i| self.row_height(i)).sum();
            if used <= self.page.max(1) || self.top == self.cursor {
                break;
            }
            self.top += 1;
        }
    }

    fn move_to(&mut self, pos: usize) {
        self.cursor = pos.min(self.view.len().saturating_sub(1));
        self.scroll_into_view();
    }

    /// Next view position after (or before) the cursor whose row satisfies `pred`.
    fn find_row(&self, forward: bool, pred: impl Fn(u32) -> bool) -> Option<usize> {
        if forward {
            (self.cursor + 1..self.view.len()).find(|&i| pred(self.view[i]))
        } else {
            (0..self.cursor.min(self.view.len()))
                .rev()
                .find(|&i| pred(self.view[i]))
        }
    }

    fn jump(&mut self, forward: bool, what: &str, hit: Option<usize>) {
        match hit {
            Some(i) => {
                self.message = None;
                self.move_to(i);
            }
            None => {
                let dir = if forward { "below" } else { "above" };
                self.message = Some(format!("no {what} {dir}"));
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
            Overlay::Retention(dialog) => return self.retention(dialog, action),
            Overlay::Findings { sel } => return self.findings(sel, action),
        }
        if self.screen == Screen::Dir {
            return self.dir_update(action);
        }
        self.message = None;
        match action {
            Action::Quit => {
                if self.dir.is_some() {
                    self.loader = None;
                    self.screen = Screen::Dir;
                } else {
                    self.quit = true;
                }
            }
            Action::Down(n) => self.move_to(self.cursor.saturating_add(n)),
            Action::Up(n) => self.move_to(self.cursor.saturating_sub(n)),
            Action::Scroll(n) if n >= 0 => self.move_to(self.cursor.saturating_add(n as usize)),
            Action::Scroll(n) => {
                self.move_to(self.cursor.saturating_sub(n.unsigned_abs() as usize))
            }
            Action::PageDown => {
                let p = self.page.max(1);
                self.top = (self.top + p).min(self.view.len().saturating_sub(1));
                self.move_to(self.cursor + p);
            }
            Action::PageUp => {
                let p = self.page.max(1);
                self.top = self.top.saturating_sub(p);
                self.move_to(self.cursor.saturating_sub(p));
            }
            Action::Top => self.move_to(0),
            Action::Bottom => self.move_to(self.view.len().saturating_sub(1)),
            Action::Shift(n) => {
                self.hscroll = self.hscroll.saturating_add_signed(n as isize);
            }
            Action::MinLevel(l) => {
                self.filters.min_level = l.filter(|&l| l != Level::Verbose);
                self.refilter();
            }
            Action::SearchPrompt => self.open_prompt(PromptKind::Search),
            Action::SearchNext => self.start_search(true),
            Action::SearchPrev => self.start_search(false),
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
                    let tid = self
                        .view
                        .get(self.cursor)
                        .and_then(|&r| self.store.record(r).header.map(|h| h.tid));
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
            Action::NextError(fwd) => {
                let s = &self.store;
                let hit = self.find_row(fwd, |r| {
                    let row = s.row(r);
                    row.kind == RowKind::Text && row.level >= Some(Level::Error)
                });
                self.jump(fwd, "error", hit)
            }
            Action::NextWarning(fwd) => {
                let s = &self.store;
                let hit = self.find_row(fwd, |r| s.row(r).level == Some(Level::Warn));
                self.jump(fwd, "warning", hit)
            }
            Action::NextIntegrity(fwd) => {
                let s = &self.store;
                let hit = self.find_row(fwd, |r| s.row(r).kind.is_integrity());
                self.jump(fwd, "integrity row", hit)
            }
            Action::ToggleMark => {
                if let Some(&r) = self.view.get(self.cursor)
                    && !self.marks.remove(&r)
                {
                    self.marks.insert(r);
                }
            }
            Action::NextMark(fwd) => {
                let m = &self.marks;
                let hit = self.find_row(fwd, |r| m.contains(&r));
                self.jump(fwd, "mark", hit)
            }
            Action::SavePrompt => self.open_prompt(PromptKind::Save),
            Action::Enter => {
                if let Some(&r) = self.view.get(self.cursor)
                    && !self.expanded.remove(&r)
                {
                    self.expanded.insert(r);
                }
                self.scroll_into_view();
            }
            Action::Help => self.overlay = Overlay::Help(0),
            Action::Findings => self.overlay = Overlay::Findings { sel: 0 },
            _ => {}
        }
    }

    fn findings(&mut self, sel: usize, action: Action) {
        let last = self.lens.findings.len().saturating_sub(1);
        let sel = match action {
            Action::Close | Action::Quit | Action::Findings => return,
            Action::Down(n) => (sel + n).min(last),
            Action::Up(n) => sel.saturating_sub(n),
            Action::PageDown => (sel + self.page).min(last),
            Action::PageUp => sel.saturating_sub(self.page),
            Action::Top => 0,
            Action::Bottom => last,
            Action::Enter => {
                if let Some(f) = self.lens.findings.get(sel) {
                    let row = f.record as u32;
                    match self.view.iter().position(|&r| r == row) {
                        Some(pos) => {
                            self.message = None;
                            self.move_to(pos);
                        }
                        None => {
                            self.message = Some(format!(
                                "line {} is hidden by the filters (c clears them)",
                                f.line
                            ));
                        }
                    }
                    return;
                }
                sel
            }
            _ => sel,
        };
        self.overlay = Overlay::Findings { sel };
    }

    fn open_prompt(&mut self, kind: PromptKind) {
        let input = match kind {
            PromptKind::Save => self.default_save_path(),
            _ => String::new(),
        };
        self.overlay = Overlay::Prompt { kind, input };
    }

    fn default_save_path(&self) -> String {
        match (self.merged, self.files.first()) {
            (false, Some(f)) => {
                let mut s = f.as_os_str().to_os_string();
                s.push(".view.log");
                PathBuf::from(s).display().to_string()
            }
            _ => match &self.dir {
                Some(d) => d.path.join("merged.view.log").display().to_string(),
                None => "view.log".into(),
            },
        }
    }

    fn prompt(&mut self, kind: PromptKind, mut input: String, action: Action) {
        match action {
            Action::Close => {}
            Action::Char(c) => {
                input.push(c);
                self.overlay = Overlay::Prompt { kind, input };
            }
            Action::Backspace => {
                input.pop();
                self.overlay = Overlay::Prompt { kind, input };
            }
            Action::Enter => self.submit(kind, input),
            _ => self.overlay = Overlay::Prompt { kind, input },
        }
    }

    fn submit(&mut self, kind: PromptKind, input: String) {
        if input.is_empty() && kind != PromptKind::Search {
            return;
        }
        match kind {
            PromptKind::Search => {
                if input.is_empty() {
                    return self.start_search(true);
                }
                // Smart case: an upper-case letter makes the search exact.
                let insensitive = !input.chars().any(char::is_uppercase);
                match RegexBuilder::new(&input)
                    .case_insensitive(insensitive)
                    .build()
                {
                    Ok(re) => {
                        self.search = Some((re, input));
                        self.start_search(true);
                    }
                    Err(e) => self.message = Some(format!("bad regex: {e}")),
                }
            }
            PromptKind::FilterIn | PromptKind::FilterOut => {
                let out = kind == PromptKind::FilterOut;
                match pattern_filter(&input, out) {
                    Ok(_) => {
                        self.filters.patterns.push(Pattern {
                            text: input,
                            out,
                            enabled: true,
                        });
                        self.refilter();
                    }
                    Err(e) => self.message = Some(e),
                }
            }
            PromptKind::Time => match TimeBound::parse(&input, now()) {
                Ok(bound) => {
                    let s = &self.store;
                    let hit = self.view.iter().position(|&r| {
                        s.record(r).header.is_some_and(|h| {
                            bound.compare(&h.timestamp) != std::cmp::Ordering::Less
                        })
                    });
                    match hit {
                        Some(i) => self.move_to(i),
                        None => self.message = Some(format!("no record at or after {input}")),
                    }
                }
                Err(e) => self.message = Some(e.to_string()),
            },
            PromptKind::Save => {
                self.message = Some(match self.save(Path::new(&input)) {
                    Ok(n) => {
                        let partial = if self.progress.finished {
                            ""
                        } else {
                            " (still loading: partial)"
                        };
                        format!("saved {n} rows to {input}{partial}")
                    }
                    Err(e) => format!("cannot save to {input}: {e}"),
                })
            }
        }
    }

    /// Base rows `s` would write, as the CLI prints with the same filters:
    /// everything when no filter is set (the full decoded text), else the
    /// records that pass plus the integrity lines in place (raw text fails
    /// a filter); that is the view itself.
    pub fn rows_to_save(&mut self) -> Vec<u32> {
        self.advance_filter(usize::MAX);
        self.view.clone()
    }

    /// Writes the current view to `path` atomically; returns the row count.
    pub fn save(&mut self, path: &Path) -> std::io::Result<usize> {
        // Never over a file being viewed, however it is spelt.
        let id = |p: &Path| crate::atomic::file_id(p).ok().flatten();
        if let Some(target) = id(path)
            && self.files.iter().any(|f| id(f) == Some(target))
        {
            return Err(std::io::Error::other(
                "is a file being viewed: not overwritten",
            ));
        }
        let rows = self.rows_to_save();
        let mut w = BufWriter::with_capacity(1 << 20, crate::atomic::temp_beside(path)?);
        for &r in &rows {
            w.write_all(self.store.bytes_of(r))?;
        }
        let tmp = w.into_inner().map_err(|e| e.into_error())?;
        crate::atomic::persist(tmp, path)?;
        Ok(rows.len())
    }

    fn tags(&mut self, items: Vec<(String, u64)>, sel: usize, action: Action) {
        let sel = match action {
            Action::Close | Action::Quit => return,
            Action::Down(n) => (sel + n).min(items.len().saturating_sub(1)),
            Action::Up(n) => sel.saturating_sub(n),
            Action::PageDown => (sel + self.page).min(items.len().saturating_sub(1)),
            Action::PageUp => sel.saturating_sub(self.page),
            Action::Top => 0,
            Action::Bottom => items.len().saturating_sub(1),
            Action::Enter => {
                self.filters.tag = if sel == 0 {
                    None
                } else {
                    items.get(sel).map(|(t, _)| t.clone())
                };
                return self.refilter();
            }
            _ => sel,
        };
        self.overlay = Overlay::Tags { items, sel };
    }

    fn filter_list(&mut self, sel: usize, action: Action) {
        let n = self.filters.patterns.len();
        let sel = match action {
            Action::Close | Action::Quit => return,
            Action::Down(k) => (sel + k).min(n.saturating_sub(1)),
            Action::Up(k) => sel.saturating_sub(k),
            Action::Toggle | Action::Enter => {
                if let Some(p) = self.filters.patterns.get_mut(sel) {
                    p.enabled = !p.enabled;
                    self.refilter();
                }
                sel
            }
            Action::Delete => {
                if sel < n {
                    self.filters.patterns.remove(sel);
                    self.refilter();
                }
                sel.min(n.saturating_sub(2))
            }
            _ => sel,
        };
        self.overlay = Overlay::Filters { sel };
    }

    fn retention(&mut self, mut dialog: Box<RetentionDialog>, action: Action) {
        match dialog.update(action) {
            Answer::Open => self.overlay = Overlay::Retention(dialog),
            Answer::Remove => {
                self.remove_expired(&dialog.dir, &dialog.policy, &dialog.expired);
                if let Some(d) = self.dir.as_ref().map(|d| d.path.clone()) {
                    self.load_dir(&d);
                }
            }
            Answer::Keep => {
                self.message = Some(format!("kept {} expired files", dialog.expired.len()));
            }
            Answer::Quit => self.quit = true,
        }
    }

    /// Removes the expired files: a line for the status bar, and one per
    /// file in [`App::removed`].
    fn remove_expired(&mut self, dir: &Path, policy: &Policy, expired: &[Candidate]) {
        self.removed
            .push(crate::tui::retention::rule_line(dir, policy));
        let (lines, summary) = crate::tui::retention::remove(expired);
        self.removed.extend(lines);
        self.message = Some(summary);
    }

    fn dir_update(&mut self, action: Action) {
        let Some(d) = self.dir.as_mut() else {
            return;
        };
        let last = d.entries.len();
        self.message = None;
        match action {
            Action::Quit => self.quit = true,
            Action::Down(n) => d.sel = (d.sel + n).min(last),
            Action::Up(n) => d.sel = d.sel.saturating_sub(n),
            Action::Scroll(n) => {
                d.sel = (d.sel as i64 + i64::from(n)).clamp(0, last as i64) as usize;
            }
            Action::PageDown => d.sel = (d.sel + self.page).min(last),
            Action::PageUp => d.sel = d.sel.saturating_sub(self.page),
            Action::Top => d.sel = 0,
            Action::Bottom => d.sel = last,
            Action::Help => self.overlay = Overlay::Help(0),
            Action::Enter => {
                if d.sel == 0 {
                    let files: Vec<PathBuf> = d.entries.iter().map(|e| e.path.clone()).collect();
                    if files.is_empty() {
                        self.message = Some("no log files here".into());
                        return;
                    }
                    self.start_load(files, true);
                } else {
                    let f = d.entries[d.sel - 1].path.clone();
                    self.start_load(vec![f], false);
                }
                self.refilter();
            }
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
            | Overlay::Findings { .. } => Context::List,
            Overlay::None | Overlay::Help(_) => Context::Normal,
        }
    }

    /// Whether a search is still running.
    pub fn searching(&self) -> bool {
        self.search_job.is_some()
    }

    /// Whether the view is not yet filtered to the end of the loaded rows.
    pub fn filtering(&self) -> bool {
        self.scanned < self.store.len()
    }
}
