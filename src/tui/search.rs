//! The matches of a search over a view, found in slices.
//!
//! A scan starts at a view position (the cursor), runs to the end of the
//! view (which may still grow while the file loads), then wraps to the
//! start. Every match found is kept (positions, 4 bytes each), so `n` and
//! `N` are answered by a binary search once the scan has passed, the
//! status line can say "match k of N", and an answer is given only when
//! no unscanned row could change it: a search during loading waits for
//! the part it needs instead of answering for the loaded part.

use regex::bytes::{Regex, RegexBuilder};

/// A user's pattern: a regex, case-insensitive unless it holds an
/// upper-case letter (smart case), matched against the whole record.
pub fn smart_regex(pattern: &str) -> Result<Regex, String> {
    let insensitive = !pattern.chars().any(char::is_uppercase);
    RegexBuilder::new(pattern)
        .case_insensitive(insensitive)
        .build()
        .map_err(|e| format!("bad regex: {e}"))
}

/// The answer to "where is the next match".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// At this view position; `wrapped` when past an end of the view.
    Hit {
        /// View position.
        pos: usize,
        /// The search went past the end (or the start) to find it.
        wrapped: bool,
    },
    /// Rows that could hold it are not scanned yet.
    Wait,
    /// No match anywhere.
    None,
}

/// Matches found so far by a scan started at `origin`.
#[derive(Debug, Clone, Default)]
pub struct Matches {
    origin: usize,
    /// Matches at `origin` or after, ascending.
    hi: Vec<u32>,
    /// Matches before `origin`, ascending (found after wrapping).
    lo: Vec<u32>,
    /// Positions `origin..p1` are scanned.
    p1: usize,
    /// After wrapping, positions `0..p2` are scanned.
    p2: usize,
    wrapped: bool,
}

impl Matches {
    /// A scan starting at view position `origin`.
    pub fn new(origin: usize) -> Matches {
        Matches {
            origin,
            p1: origin,
            ..Default::default()
        }
    }

    /// Every row of the view is scanned.
    pub fn done(&self) -> bool {
        self.wrapped && self.p2 >= self.origin
    }

    /// Matches found.
    pub fn count(&self) -> usize {
        self.lo.len() + self.hi.len()
    }

    fn at(&self, i: usize) -> usize {
        if i < self.lo.len() {
            self.lo[i] as usize
        } else {
            self.hi[i - self.lo.len()] as usize
        }
    }

    /// The next position to test, if any, for a view of `len` rows
    /// (`complete`: the view will not grow).
    pub fn next_to_scan(&mut self, len: usize, complete: bool) -> Option<usize> {
        if !self.wrapped {
            if self.p1 < len {
                return Some(self.p1);
            }
            if !complete {
                return None;
            }
            self.wrapped = true;
        }
        (self.p2 < self.origin.min(len)).then_some(self.p2)
    }

    /// Records the result for the position [`Matches::next_to_scan`] gave.
    pub fn scanned(&mut self, pos: usize, hit: bool) {
        if !self.wrapped {
            if hit {
                self.hi.push(pos as u32);
            }
            self.p1 = pos + 1;
        } else {
            if hit {
                self.lo.push(pos as u32);
            }
            self.p2 = pos + 1;
        }
    }

    /// Whether no unscanned position lies in `from..to`.
    fn clear(&self, from: usize, to: usize) -> bool {
        if from >= to {
            return true;
        }
        let tail = if self.wrapped {
            (0, 0)
        } else {
            (self.p1, usize::MAX)
        };
        let head = if self.wrapped {
            (self.p2, self.origin)
        } else {
            (0, self.origin)
        };
        [tail, head]
            .iter()
            .all(|&(a, b)| a >= b || a >= to || b <= from)
    }

    /// Index of the first match after position `c`.
    fn first_after(&self, c: usize) -> usize {
        let n = self.count();
        let (mut lo, mut hi) = (0, n);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if self.at(mid) > c {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        lo
    }

    /// The next match after view position `c` (forward) or before it,
    /// wrapping around an end.
    pub fn next(&self, c: usize, forward: bool) -> Answer {
        let n = self.count();
        // The nearest match on the way to the end, the rows from `c` to
        // that end, and the match nearest the other end (where the search
        // goes on after wrapping).
        let (near, to_end, far) = if forward {
            let i = self.first_after(c);
            let far = (n > 0).then(|| self.at(0));
            ((i < n).then(|| self.at(i)), (c + 1, usize::MAX), far)
        } else {
            let below = self.before(c);
            let far = n.checked_sub(1).map(|i| self.at(i));
            (below.checked_sub(1).map(|i| self.at(i)), (0, c), far)
        };
        if let Some(h) = near {
            let (a, b) = if forward { (c + 1, h) } else { (h + 1, c) };
            return self.answer(self.clear(a, b), h, false);
        }
        if !self.clear(to_end.0, to_end.1) {
            return Answer::Wait;
        }
        let Some(h) = far else {
            return if self.done() {
                Answer::None
            } else {
                Answer::Wait
            };
        };
        // Wrapped: the rows from the other end to `h`.
        let (a, b) = if forward { (0, h) } else { (h + 1, usize::MAX) };
        self.answer(self.clear(a, b), h, true)
    }

    fn answer(&self, clear: bool, pos: usize, wrapped: bool) -> Answer {
        if clear {
            Answer::Hit { pos, wrapped }
        } else {
            Answer::Wait
        }
    }

    /// How many matches lie before position `c`.
    fn before(&self, c: usize) -> usize {
        if c == 0 { 0 } else { self.first_after(c - 1) }
    }

    /// Which match position `c` is (1-based), if it is one.
    pub fn rank(&self, c: usize) -> Option<usize> {
        let i = self.before(c);
        (i < self.count() && self.at(i) == c).then_some(i + 1)
    }

    /// Scanned rows, for progress.
    pub fn scanned_rows(&self) -> usize {
        let first = self.p1.saturating_sub(self.origin);
        if self.wrapped { first + self.p2 } else { first }
    }
}

#[cfg(test)]
mod tests;
