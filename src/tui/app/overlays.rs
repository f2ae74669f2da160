//! The overlays and prompts of the viewer: the findings, tag, filter and
//! retention lists, the prompts and what submitting them does, saving the
//! view, and the directory screen.

use super::*;

impl App {
    pub(super) fn findings(&mut self, sel: usize, action: Action) {
        let last = self.lens.findings.len().saturating_sub(1);
        let sel = match action {
            Action::Close | Action::Quit | Action::Findings => return,
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
            _ => action.moved(sel, last, self.page).unwrap_or(sel),
        };
        self.overlay = Overlay::Findings { sel };
    }

    /// Stops what the user is waiting for: a seek (a jump, or a search
    /// move with its scan) or a save; with `all` (Esc), also following the
    /// end and a search still counting its matches. Whether anything was.
    pub fn cancel(&mut self, all: bool) -> bool {
        if let Some(job) = self.saving.take() {
            // Dropping the temporary file removes it: the target is untouched.
            self.message = Some(format!("save to {} cancelled", job.path.display()));
            return true;
        }
        let seek = self.seek.take();
        let mut any = seek.is_some();
        if all {
            any |= std::mem::take(&mut self.follow);
        }
        let waited = seek.is_some_and(|s| s.target == Target::Match);
        if let Some(s) = &mut self.search
            && !s.matches.done()
            && !s.stopped
            && (all || waited)
        {
            s.stopped = true;
            any = true;
        }
        if any {
            self.message = Some("cancelled".into());
        }
        any
    }

    pub(super) fn open_prompt(&mut self, kind: PromptKind) {
        let input = match kind {
            PromptKind::Save => self.default_save_path(),
            _ => String::new(),
        };
        self.overlay = Overlay::Prompt { kind, input };
    }

    pub(super) fn default_save_path(&self) -> String {
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

    pub(super) fn prompt(&mut self, kind: PromptKind, mut input: String, action: Action) {
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
            Action::ClearInput => {
                self.overlay = Overlay::Prompt {
                    kind,
                    input: String::new(),
                };
            }
            Action::Enter => self.submit(kind, input),
            _ => self.overlay = Overlay::Prompt { kind, input },
        }
    }

    pub(super) fn submit(&mut self, kind: PromptKind, input: String) {
        if input.is_empty() && kind != PromptKind::Search {
            return;
        }
        match kind {
            PromptKind::Search => {
                if input.is_empty() {
                    return self.search_next(true);
                }
                match smart_regex(&input) {
                    Ok(re) => {
                        self.search = Some(Search {
                            re,
                            text: input,
                            matches: Matches::new(self.cursor),
                            stopped: false,
                        });
                        self.search_next(true);
                    }
                    Err(e) => self.message = Some(e),
                }
            }
            PromptKind::FilterIn | PromptKind::FilterOut => {
                let out = kind == PromptKind::FilterOut;
                match smart_regex(&input) {
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
            PromptKind::Time => match TimeRange::parse(&input) {
                Some(Ok(_)) => {
                    self.filters.time = Some(input.trim().to_string());
                    self.refilter();
                }
                Some(Err(e)) => self.message = Some(e),
                None => match TimeSpec::parse(&input) {
                    Ok(spec) => self.jump_to_time(spec),
                    Err(e) => self.message = Some(e),
                },
            },
            PromptKind::Save => match self.start_save(Path::new(&input)) {
                Ok(()) => {
                    self.advance_save(SLICE);
                }
                Err(e) => self.message = Some(format!("cannot save to {input}: {e}")),
            },
        }
    }

    /// Base rows `s` would write: the view itself. With no filter that is
    /// the full decoded text, as the CLI prints it; with filters, the
    /// records that pass plus the integrity lines in place (raw text fails
    /// a filter), as the CLI prints with the same level, tag and thread.
    pub fn rows_to_save(&mut self) -> Vec<u32> {
        self.advance_filter(usize::MAX);
        self.view.clone()
    }

    /// Refuses a save over a file being viewed, however it is spelt.
    pub(super) fn check_save_target(&self, path: &Path) -> std::io::Result<()> {
        let id = |p: &Path| crate::render::atomic::file_id(p).ok().flatten();
        if let Some(target) = id(path)
            && self.files.iter().any(|f| id(f) == Some(target))
        {
            return Err(std::io::Error::other(
                "is a file being viewed: not overwritten",
            ));
        }
        Ok(())
    }

    /// `s`: starts writing the view to `path` in slices (a temporary file
    /// beside it, renamed over it at the end; Esc or Ctrl-C drop it). The
    /// writing waits for the view to be complete.
    pub(super) fn start_save(&mut self, path: &Path) -> std::io::Result<()> {
        self.check_save_target(path)?;
        let tmp = crate::render::atomic::temp_beside(path)?;
        self.saving = Some(SaveJob {
            path: path.to_path_buf(),
            out: Some(BufWriter::with_capacity(1 << 20, tmp)),
            rows: None,
            next: 0,
        });
        Ok(())
    }

    /// Writes the current view to `path` atomically, at once (tools,
    /// tests); returns the row count.
    pub fn save(&mut self, path: &Path) -> std::io::Result<usize> {
        self.check_save_target(path)?;
        let rows = self.rows_to_save();
        let mut w = BufWriter::with_capacity(1 << 20, crate::render::atomic::temp_beside(path)?);
        for (k, &r) in rows.iter().enumerate() {
            if k.is_multiple_of(256) {
                self.store.read_ahead(r);
            }
            w.write_all(&self.store.bytes_of(r))?;
        }
        let tmp = w.into_inner().map_err(|e| e.into_error())?;
        crate::render::atomic::persist(tmp, path)?;
        Ok(rows.len())
    }

    pub(super) fn tags(&mut self, items: Vec<(String, u64)>, sel: usize, action: Action) {
        let last = items.len().saturating_sub(1);
        let sel = match action {
            Action::Close | Action::Quit => return,
            Action::Enter => {
                self.filters.tag = if sel == 0 {
                    None
                } else {
                    items.get(sel).map(|(t, _)| t.clone())
                };
                return self.refilter();
            }
            _ => action.moved(sel, last, self.page).unwrap_or(sel),
        };
        self.overlay = Overlay::Tags { items, sel };
    }

    pub(super) fn filter_list(&mut self, sel: usize, action: Action) {
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

    pub(super) fn retention(&mut self, mut dialog: Box<RetentionDialog>, action: Action) {
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
    pub(super) fn remove_expired(&mut self, dir: &Path, policy: &Policy, expired: &[Candidate]) {
        self.removed
            .push(crate::tui::retention::rule_line(dir, policy));
        let (lines, summary) = crate::tui::retention::remove(expired);
        self.removed.extend(lines);
        self.message = Some(summary);
    }

    pub(super) fn dir_update(&mut self, action: Action) {
        let Some(d) = self.dir.as_mut() else {
            return;
        };
        let last = d.entries.len();
        self.message = None;
        match action {
            Action::Quit => self.quit = true,
            Action::Scroll(n) => {
                d.sel = (d.sel as i64 + i64::from(n)).clamp(0, last as i64) as usize;
            }
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
                self.message = None;
            }
            _ => d.sel = action.moved(d.sel, last, self.page).unwrap_or(d.sel),
        }
    }
}
