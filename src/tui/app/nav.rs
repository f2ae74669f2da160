//! Moving through the view, and the work done in slices: filtering the
//! base rows into the view, scanning for search matches, seeking the next
//! row of a kind. Every move costs rows on screen; every slice at most
//! [`SLICE`] rows.

use super::{App, Overlay, SLICE, Seek, Target};
use std::io::Write;

use crate::record::Level;
use crate::tui::action::Action;
use crate::tui::filters::TimeSpec;
use crate::tui::printable::{printable_lines, wrap};
use crate::tui::search::{Answer, Matches};
use crate::tui::store::RowKind;

impl App {
    /// Base row at display position `i`.
    fn base(&self, i: usize) -> u32 {
        match &self.order {
            Some(o) => o[i],
            None => i as u32,
        }
    }

    /// Display position of a base row (its number, unless merged).
    fn order_pos(&self, row: u32) -> usize {
        match &self.inv_order {
            Some(inv) => inv.get(row as usize).map_or(0, |&p| p as usize),
            None => row as usize,
        }
    }

    /// Whether a row belongs in the view under the current filters.
    /// Integrity rows always show; records must pass every filter (raw
    /// text, without a level, passes none).
    fn passes(&self, row: u32) -> bool {
        let r = self.store.row(row);
        if self.compiled.is_empty() || r.kind.is_integrity() {
            return true;
        }
        if r.level.is_none() {
            return false;
        }
        match self.compiled.quick(r.level, self.store.time(row)) {
            Some(pass) => pass,
            None => self.compiled.text_passes(&self.store.bytes_of(row)),
        }
    }

    /// Whether the view holds every row it ever will.
    pub fn complete(&self) -> bool {
        self.progress.finished && self.merging.is_none() && self.scanned >= self.store.len()
    }

    /// Whether the view is not yet filtered to the end of the loaded rows.
    pub fn filtering(&self) -> bool {
        self.scanned < self.store.len()
    }

    /// Whether a slice of work is waiting.
    pub(crate) fn working(&self) -> bool {
        self.filtering()
            || self.searching()
            || self.seek.is_some()
            || self.saving.is_some()
            || self.merging.is_some()
    }

    /// One slice of each kind of pending work; whether any was done.
    pub(crate) fn slice(&mut self) -> bool {
        let mut did = self.advance_filter(SLICE);
        did |= self.advance_matches(SLICE);
        did |= self.advance_seek(SLICE);
        did |= self.advance_save(SLICE);
        did
    }

    /// Writes up to `budget` more rows of a save; at the end, puts the
    /// file in place and says so.
    pub(crate) fn advance_save(&mut self, budget: usize) -> bool {
        let Some(mut job) = self.saving.take() else {
            return false;
        };
        if job.rows.is_none() {
            if !self.complete() {
                self.saving = Some(job);
                return false;
            }
            job.rows = Some(self.view.clone());
        }
        let rows = job.rows.as_deref().unwrap_or(&[]);
        let end = rows.len().min(job.next.saturating_add(budget));
        let mut result = Ok(());
        if let Some(w) = job.out.as_mut() {
            for (k, &r) in rows[job.next..end].iter().enumerate() {
                if k.is_multiple_of(256) {
                    self.store.read_ahead(r);
                }
                if let Err(e) = w.write_all(&self.store.bytes_of(r)) {
                    result = Err(e);
                    break;
                }
            }
        }
        self.work += (end - job.next) as u64;
        job.next = end;
        let shown = job.path.display().to_string();
        if let Err(e) = result {
            self.message = Some(format!("cannot save to {shown}: {e}"));
            return true;
        }
        if job.next < rows.len() {
            self.saving = Some(job);
            return true;
        }
        let n = rows.len();
        let done = job
            .out
            .take()
            .ok_or_else(|| std::io::Error::other("no output"))
            .and_then(|w| w.into_inner().map_err(|e| e.into_error()))
            .and_then(|tmp| crate::render::atomic::persist(tmp, &job.path));
        self.message = Some(match done {
            Ok(()) => format!("saved {n} rows to {shown}"),
            Err(e) => format!("cannot save to {shown}: {e}"),
        });
        true
    }

    /// Runs up to `budget` more base rows through the filters.
    pub(crate) fn advance_filter(&mut self, budget: usize) -> bool {
        let total = self.store.len();
        if self.scanned >= total {
            return false;
        }
        let end = total.min(self.scanned.saturating_add(budget));
        let text = self.compiled.needs_text();
        for i in self.scanned..end {
            let row = self.base(i);
            if text && (i - self.scanned).is_multiple_of(256) {
                self.store.read_ahead(row);
            }
            if self.passes(row) {
                self.view.push(row);
                if self.anchor.is_some_and(|a| i >= a) {
                    self.anchor = None;
                    self.cursor = self.view.len() - 1;
                    self.land(self.cursor);
                }
            }
        }
        self.work += (end - self.scanned) as u64;
        self.scanned = end;
        if self.scanned >= total && self.progress.finished && self.anchor.take().is_some() {
            self.cursor = self.view.len().saturating_sub(1);
            self.scroll_into_view();
        }
        if self.follow {
            self.cursor = self.view.len().saturating_sub(1);
            self.scroll_into_view();
            self.follow = !self.complete();
        }
        true
    }

    /// Starts the view over under new filters, keeping the cursor on the
    /// same record (or the next one that passes).
    pub(crate) fn refilter(&mut self) {
        match self.filters.compile() {
            Ok(c) => self.compiled = c,
            Err(e) => {
                self.message = Some(e);
                return;
            }
        }
        self.anchor = self.view.get(self.cursor).map(|&r| self.order_pos(r));
        self.reset_view();
        // Filter the start at once so the first screen is there.
        self.advance_filter(SLICE);
    }

    fn reset_view(&mut self) {
        self.view.clear();
        self.scanned = 0;
        self.cursor = 0;
        self.top = 0;
        if let Some(s) = &mut self.search {
            s.matches = Matches::new(0);
        }
    }

    /// Orders the rows of all files by time (stable: equal times keep
    /// file order); rows before a file's first timestamp go with it.
    pub(crate) fn merge_by_time(&mut self) {
        let Some(mut keys) = self.store.take_millis() else {
            return;
        };
        let n = keys.len().min(self.store.len());
        let mut first: Vec<Option<i64>> = vec![None; self.files.len().max(1)];
        for (i, &k) in keys.iter().enumerate().take(n) {
            let f = usize::from(self.store.row(i as u32).file).min(first.len() - 1);
            if k != i64::MIN && first[f].is_none() {
                first[f] = Some(k);
            }
        }
        for (i, k) in keys.iter_mut().enumerate().take(n) {
            if *k == i64::MIN {
                let f = usize::from(self.store.row(i as u32).file).min(first.len() - 1);
                *k = first[f].unwrap_or(i64::MIN);
            }
        }
        // The sort is the long part: on a thread of its own, while the
        // rows show in arrival order (the view is not complete until then).
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut order: Vec<u32> = (0..n as u32).collect();
            order.sort_by_key(|&i| keys[i as usize]);
            drop(keys);
            let mut inv = vec![0u32; n];
            for (d, &r) in order.iter().enumerate() {
                inv[r as usize] = d as u32;
            }
            let _ = tx.send((order, inv));
        });
        self.merging = Some(rx);
    }

    /// Takes the merged order once it is sorted; `wait`: block for it.
    pub(crate) fn take_merge(&mut self, wait: bool) -> bool {
        let Some(rx) = &self.merging else {
            return false;
        };
        let got = if wait {
            rx.recv().ok()
        } else {
            match rx.try_recv() {
                Ok(m) => Some(m),
                Err(std::sync::mpsc::TryRecvError::Empty) => return false,
                Err(std::sync::mpsc::TryRecvError::Disconnected) => None,
            }
        };
        self.merging = None;
        let Some((order, inv)) = got else {
            self.message = Some("could not order the files by time".into());
            return true;
        };
        self.order = Some(order);
        self.inv_order = Some(inv);
        // Positions change meaning: whatever was on its way stops.
        self.anchor = None;
        self.seek = None;
        self.reset_view();
        self.advance_filter(SLICE);
        true
    }

    /// Scans up to `budget` rows of the view for the search's matches.
    fn advance_matches(&mut self, budget: usize) -> bool {
        let complete = self.complete();
        let n = self.view.len();
        let Some(s) = &mut self.search else {
            return false;
        };
        if s.stopped {
            return false;
        }
        let mut steps = 0;
        while steps < budget {
            let Some(p) = s.matches.next_to_scan(n, complete) else {
                break;
            };
            if steps.is_multiple_of(256) {
                self.store.read_ahead(self.view[p]);
            }
            let hit = s.re.is_match(&self.store.bytes_of(self.view[p]));
            s.matches.scanned(p, hit);
            steps += 1;
        }
        self.work += steps as u64;
        steps > 0
    }

    /// `n` / `N`: the next match after (or before) the cursor, as soon as
    /// the rows that decide it are scanned.
    pub(crate) fn search_next(&mut self, forward: bool) {
        let Some(s) = &mut self.search else {
            self.message = Some("no previous search".into());
            return;
        };
        s.stopped = false;
        self.seek = Some(Seek {
            target: Target::Match,
            forward,
            pos: self.cursor,
        });
        self.advance_matches(SLICE);
        self.advance_seek(SLICE);
    }

    /// Starts a seek for `target` from the cursor and does one slice of it.
    pub(crate) fn start_seek(&mut self, target: Target, forward: bool) {
        let pos = if forward {
            self.cursor + 1
        } else {
            self.cursor
        };
        self.seek = Some(Seek {
            target,
            forward,
            pos,
        });
        self.advance_seek(SLICE);
    }

    /// `:` with a time: the first row at or after it (a time of day: the
    /// next such time after the cursor's record).
    pub(crate) fn jump_to_time(&mut self, spec: TimeSpec) {
        let Some(&r) = self.view.get(self.cursor) else {
            self.message = Some("no rows".into());
            return;
        };
        let mut now = self.store.time(r);
        if now == 0 {
            // Before the first timestamp: from the earliest one.
            now = self.store.minutes.keys().next().map_or(0, |m| m * 60);
            now = now.saturating_sub(1);
        }
        let target = spec.next_from(now);
        // A date and time before the cursor's: look from the start.
        let pos = if target < now { 0 } else { self.cursor };
        self.seek = Some(Seek {
            target: Target::Time(target),
            forward: true,
            pos,
        });
        self.advance_seek(SLICE);
    }

    fn seek_hit(&self, target: Target, row: u32) -> bool {
        let r = self.store.row(row);
        match target {
            Target::Error => r.kind == RowKind::Text && r.level >= Some(Level::Error),
            Target::Warning => r.kind == RowKind::Text && r.level == Some(Level::Warn),
            Target::Integrity => r.kind.is_integrity(),
            Target::Mark => self.marks.contains(&row),
            Target::Time(t) => {
                let at = self.store.time(row);
                at != 0 && at >= t && r.kind == RowKind::Text
            }
            Target::Match => false,
        }
    }

    /// Moves a seek on by up to `budget` rows; lands when found.
    fn advance_seek(&mut self, budget: usize) -> bool {
        let Some(mut seek) = self.seek else {
            return false;
        };
        if seek.target == Target::Match {
            return self.resolve_match(seek);
        }
        let n = self.view.len();
        let mut steps = 0usize;
        let found = loop {
            if steps >= budget {
                break None;
            }
            if seek.forward {
                if seek.pos >= n {
                    if self.complete() {
                        self.seek = None;
                        self.not_found(seek);
                        return true;
                    }
                    // Wait for the rows still to come.
                    break None;
                }
                if self.seek_hit(seek.target, self.view[seek.pos]) {
                    break Some(seek.pos);
                }
                seek.pos += 1;
            } else {
                if seek.pos == 0 {
                    self.seek = None;
                    self.not_found(seek);
                    return true;
                }
                seek.pos -= 1;
                if self.seek_hit(seek.target, self.view[seek.pos]) {
                    break Some(seek.pos);
                }
            }
            steps += 1;
        };
        self.work += steps as u64;
        match found {
            Some(p) => {
                self.seek = None;
                self.land(p);
                true
            }
            None => {
                self.seek = Some(seek);
                steps > 0
            }
        }
    }

    fn not_found(&mut self, seek: Seek) {
        self.message = Some(match seek.target {
            Target::Time(_) => "no record at or after that time".to_string(),
            t => {
                let dir = if seek.forward { "below" } else { "above" };
                format!("no {} {dir}", t.name())
            }
        });
    }

    fn resolve_match(&mut self, seek: Seek) -> bool {
        let Some(s) = &self.search else {
            self.seek = None;
            return false;
        };
        match s.matches.next(seek.pos, seek.forward) {
            Answer::Wait => false,
            Answer::None => {
                self.message = Some(format!("pattern not found: {}", s.text));
                self.seek = None;
                true
            }
            Answer::Hit { pos, wrapped } => {
                self.message = wrapped.then(|| "search wrapped".to_string());
                self.seek = None;
                self.land(pos);
                self.show_match_column();
                true
            }
        }
    }

    /// Shifts the text sideways so the search's match on the cursor's
    /// folded row shows: back to the left edge when it shows from there,
    /// else with a third of the width before it.
    fn show_match_column(&mut self) {
        let (Some(s), Some(&r)) = (&self.search, self.view.get(self.cursor)) else {
            return;
        };
        if self.expanded.contains(&r) {
            return;
        }
        let lines = printable_lines(&self.store.bytes_of(r));
        let Some(m) = s.re.find(lines[0].as_bytes()) else {
            return;
        };
        let Some(before) = lines[0].get(..m.start()) else {
            return;
        };
        let start = before.chars().count();
        let len = lines[0]
            .get(m.start()..m.end())
            .map_or(1, |t| t.chars().count());
        let width = self.text_width();
        if start + len <= width {
            self.hscroll = 0;
        } else if start < self.hscroll || start + len > self.hscroll + width {
            self.hscroll = start.saturating_sub(width / 3);
        }
    }

    /// Height in screen lines of view position `i` (an unfolded record's
    /// lines, wrapped, at most a screen).
    pub fn row_height(&self, i: usize) -> usize {
        let row = self.view[i];
        if !self.expanded.contains(&row) {
            return 1;
        }
        self.full_height(row).clamp(1, self.page.max(1))
    }

    /// Screen lines of base row `row` unfolded, unbounded.
    pub fn full_height(&self, row: u32) -> usize {
        let bytes = self.store.bytes_of(row);
        let mut text = printable_lines(&bytes);
        text.extend(crate::tui::lens::Lens::detail(&bytes));
        text.iter().map(|l| wrap(l, self.text_width()).len()).sum()
    }

    /// Columns left for text after the gutter (and the file column).
    pub fn text_width(&self) -> usize {
        self.width
            .saturating_sub(crate::tui::printable::GUTTER + self.file_column())
            .max(1)
    }

    /// Width of the file column: merged views show each row's file.
    pub fn file_column(&self) -> usize {
        if self.merged {
            self.file_labels
                .iter()
                .map(|l| l.chars().count())
                .max()
                .unwrap_or(0)
                + 1
        } else {
            0
        }
    }

    /// Lowers `top` as little as needed for the cursor's row to show;
    /// visits at most a screen of rows.
    pub(crate) fn scroll_into_view(&mut self) {
        if self.view.is_empty() {
            self.cursor = 0;
            self.top = 0;
            return;
        }
        self.cursor = self.cursor.min(self.view.len() - 1);
        if self.cursor < self.top {
            self.top = self.cursor;
            return;
        }
        let page = self.page.max(1);
        let mut used = self.row_height(self.cursor);
        let mut t = self.cursor;
        let mut visited = 1;
        while t > self.top {
            let h = self.row_height(t - 1);
            visited += 1;
            if used + h > page {
                break;
            }
            used += h;
            t -= 1;
        }
        self.work += visited;
        self.top = t;
    }

    pub(crate) fn move_to(&mut self, pos: usize) {
        self.cursor = pos.min(self.view.len().saturating_sub(1));
        self.scroll_into_view();
    }

    /// Puts the cursor on `pos` with context: a row off screen, or in the
    /// last quarter of the screen, is shown a third of a screen down.
    pub(crate) fn land(&mut self, pos: usize) {
        let pos = pos.min(self.view.len().saturating_sub(1));
        let page = self.page.max(1);
        if !self.on_screen(pos, page - page / 4) {
            self.top = pos.saturating_sub(page / 3);
        }
        self.move_to(pos);
    }

    /// Whether view position `pos` shows within the first `lines` screen
    /// lines from `top`.
    fn on_screen(&mut self, pos: usize, lines: usize) -> bool {
        if pos < self.top || pos - self.top >= lines {
            return false;
        }
        let mut used = 0;
        for i in self.top..=pos {
            used += self.row_height(i);
            self.work += 1;
        }
        used <= lines
    }

    /// The top that shows the last screen of the view.
    fn last_page_top(&mut self) -> usize {
        let n = self.view.len();
        if n == 0 {
            return 0;
        }
        let page = self.page.max(1);
        let mut t = n - 1;
        let mut used = self.row_height(t);
        while t > 0 {
            let h = self.row_height(t - 1);
            self.work += 1;
            if used + h > page {
                break;
            }
            used += h;
            t -= 1;
        }
        t
    }

    /// One screen down; at the end, the last screen stays full.
    pub(crate) fn page_down(&mut self) {
        let p = self.page.max(1);
        let max_top = self.last_page_top();
        self.top = (self.top + p).min(max_top).max(self.top.min(max_top));
        self.move_to(self.cursor + p);
    }

    /// Enter: unfold the cursor's record where it fits on screen, else
    /// open it in the detail pane; on an unfolded record, fold it.
    pub(crate) fn unfold(&mut self) {
        let Some(&r) = self.view.get(self.cursor) else {
            return;
        };
        if self.expanded.remove(&r) {
            self.scroll_into_view();
            return;
        }
        if self.full_height(r) > self.page.max(1) {
            self.overlay = Overlay::Detail { row: r, scroll: 0 };
            return;
        }
        self.expanded.insert(r);
        self.scroll_into_view();
    }

    /// Lines the detail pane shows of `row` (inside its border).
    pub fn detail_lines(&self, row: u32) -> Vec<String> {
        let width = self.width.saturating_sub(2).max(1);
        let bytes = self.store.bytes_of(row);
        let mut lines = printable_lines(&bytes);
        lines.extend(crate::tui::lens::Lens::detail(&bytes));
        lines.iter().flat_map(|l| wrap(l, width)).collect()
    }

    pub(crate) fn detail(&mut self, row: u32, scroll: usize, action: Action) {
        let inner = self.page.saturating_sub(2).max(1);
        let max = self.detail_lines(row).len().saturating_sub(inner);
        let scroll = match action {
            Action::Close | Action::Quit | Action::Enter => return,
            Action::Down(n) => scroll + n,
            Action::Up(n) => scroll.saturating_sub(n),
            Action::Scroll(n) if n >= 0 => scroll + n as usize,
            Action::Scroll(n) => scroll.saturating_sub(n.unsigned_abs() as usize),
            Action::PageDown => scroll + inner,
            Action::PageUp => scroll.saturating_sub(inner),
            Action::Top => 0,
            Action::Bottom => max,
            _ => scroll,
        };
        self.overlay = Overlay::Detail {
            row,
            scroll: scroll.min(max),
        };
    }

    /// Minutes with records, oldest first, with counts per level.
    pub fn histogram_rows(&self) -> Vec<(u32, [u32; 6])> {
        self.store.minutes.iter().map(|(&m, &c)| (m, c)).collect()
    }

    /// Index of the cursor's minute among the histogram's rows.
    pub(crate) fn histogram_minute_at_cursor(&self) -> usize {
        let Some(&r) = self.view.get(self.cursor) else {
            return 0;
        };
        let m = self.store.time(r) / 60;
        let before = self.store.minutes.range(..m).count();
        before.min(self.store.minutes.len().saturating_sub(1))
    }

    pub(crate) fn histogram(&mut self, sel: usize, action: Action) {
        let n = self.store.minutes.len();
        let last = n.saturating_sub(1);
        let sel = match action {
            Action::Close | Action::Quit | Action::Histogram => return,
            Action::Enter => {
                if let Some((&m, _)) = self.store.minutes.iter().nth(sel) {
                    self.jump_to_time(TimeSpec::At(m * 60));
                }
                return;
            }
            _ => action.moved(sel, last, self.page).unwrap_or(sel),
        };
        self.overlay = Overlay::Histogram { sel };
    }
}
