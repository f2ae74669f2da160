//! Picking, out of a block of decoded text, the lines the rules can match,
//! and reading them ahead of the engine: work that depends on the text
//! alone, so any thread may do it. The decoder's worker threads do it on
//! the blocks they decode ([`ScanHook`]); the engine's thread then only
//! numbers the picked lines and feeds them in order
//! ([`DiagnoseSink`](super::sink::DiagnoseSink)).
//!
//! Most lines of an IM SDK log (messages received, heartbeat requests,
//! syncs) name nothing a rule knows. So the text is not cut into every
//! record: one multi-pattern scan looks for the words the rules name
//! (function names, leading tags, code fields) and the writers'
//! header-less lines (`^^^^^^^^^^` process starts, `TIM: ======` banners);
//! only a line holding one, and starting a record by the record model's
//! rule ([`starts_record`]), is picked and read ([`line::read`]).

use std::sync::Arc;

use aho_corasick::{AhoCorasick, MatchKind};

use super::fields;
use super::line::{self, Read};
use super::rules::RuleSet;
use crate::decode::ahead::{BlockHook, HookResults, HookWorker};
use crate::record::starts_record;

/// Lines that matter whatever the rules: process starts and banners.
const ALWAYS: [&[u8]; 2] = [b"^^^^^^^^^^", b"TIM: ="];

/// Beginnings so common in IM SDK text (`TIM` starts every line, `error`
/// most code fields) that a search keyed on them stops all the time: a
/// word that begins with one is looked for by the rest of it (its anchor,
/// at least [`MIN_ANCHOR`] bytes), and the beginning is checked before the
/// anchor. Longest first.
const COMMON_STARTS: [&[u8]; 3] = [b"error", b"err", b"TIM"];

/// The shortest anchor worth a search of its own.
const MIN_ANCHOR: usize = 3;

/// Newlines in `bytes`.
pub(super) fn newlines(bytes: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', bytes).count() as u64
}

/// Picks and reads the lines the rules can match.
#[derive(Debug, Clone)]
pub struct Picker {
    /// The anchors of the words (see [`COMMON_STARTS`]), each once.
    anchors: AhoCorasick,
    /// For each anchor, the words it ends: (word, length of the beginning
    /// before the anchor), the longest beginning first (never empty).
    ends: Vec<Vec<(usize, usize)>>,
    words: Vec<Vec<u8>>,
    /// Which words are code fields (a hit counts only with a non-zero
    /// number after it).
    code_word: Vec<bool>,
    rules: Arc<RuleSet>,
}

/// How many bytes of `words[i]` come before its anchor: the length of a
/// [`COMMON_STARTS`] beginning, when the rest is long enough and no other
/// word can begin within that beginning or at the anchor (where two
/// matches could then be found by their anchors in another order than by
/// their starts). Otherwise 0: the word is its own anchor.
fn anchor_skip(words: &[&[u8]], i: usize) -> usize {
    let w = words[i];
    let Some(k) = COMMON_STARTS
        .iter()
        .find(|c| w.starts_with(c) && w.len() >= c.len() + MIN_ANCHOR)
        .map(|c| c.len())
    else {
        return 0;
    };
    // Another word fits at `j`: it lies inside `w` there, or `w`'s rest
    // begins it.
    let fits = |u: &[u8], j: usize| w[j..].starts_with(u) || u.starts_with(&w[j..]);
    let alone = words
        .iter()
        .enumerate()
        .all(|(n, u)| n == i || (0..=k).all(|j| !fits(u, j)));
    if alone { k } else { 0 }
}

/// One picked line of a block.
#[derive(Debug, Clone, Copy)]
pub struct Pick {
    /// Start and end (after its newline) in the block's text.
    pub start: usize,
    /// See `start`.
    pub end: usize,
    /// Newlines in the block before the line.
    pub line: u64,
    /// The line, read.
    pub read: Read,
}

/// What a scan found in one block (see [`Picks::block`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct Scanned {
    /// The block was scanned (a block the decoder could not decode is
    /// not), and its length then.
    pub(super) len: Option<usize>,
    /// End of its picks in [`Picks::picks`].
    picks_end: usize,
    /// End of the first line (after its newline), if the block has one.
    pub(super) first_end: Option<usize>,
    /// End of the last whole line (0 without a newline).
    pub(super) whole: usize,
    /// Newlines in the block.
    pub(super) newlines: u64,
    /// `TIM: ` is in the first line; in the whole lines after it.
    pub(super) tim_first: bool,
    /// See `tim_first`.
    pub(super) tim_rest: bool,
}

/// The picks of a batch of blocks, block after block.
#[derive(Debug, Default)]
pub struct Picks {
    picks: Vec<Pick>,
    blocks: Vec<Scanned>,
    /// The block being scanned.
    open: Option<Scanned>,
}

impl Picks {
    /// The `i`-th block's scan and picks.
    pub fn block(&self, i: usize) -> Option<(Scanned, &[Pick])> {
        let b = *self.blocks.get(i)?;
        let start = match i {
            0 => 0,
            i => self.blocks[i - 1].picks_end,
        };
        Some((b, &self.picks[start..b.picks_end]))
    }

    /// Empties the store.
    pub fn clear(&mut self) {
        self.picks.clear();
        self.blocks.clear();
        self.open = None;
    }
}

impl HookResults for Picks {
    fn end_block(&mut self) {
        let mut b = self.open.take().unwrap_or_default();
        b.picks_end = self.picks.len();
        self.blocks.push(b);
    }

    fn clear(&mut self) {
        Picks::clear(self);
    }

    fn too_big(&self, limit: usize) -> bool {
        self.picks.capacity() * std::mem::size_of::<Pick>() > limit
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

impl Picker {
    /// A picker for the words of `rules`.
    pub fn new(rules: Arc<RuleSet>) -> Picker {
        let mut words: Vec<&[u8]> = rules.words().collect();
        words.extend(ALWAYS);
        let words: Vec<Vec<u8>> = words.into_iter().map(<[u8]>::to_vec).collect();
        Picker::with_words(rules, words)
    }

    /// A picker for `words` (the code fields among them as `rules` says).
    fn with_words(rules: Arc<RuleSet>, words: Vec<Vec<u8>>) -> Picker {
        let code_word = words.iter().map(|w| rules.is_code_field(w)).collect();
        let words_ref: Vec<&[u8]> = words.iter().map(Vec::as_slice).collect();
        let mut anchors: Vec<&[u8]> = Vec::new();
        let mut ends: Vec<Vec<(usize, usize)>> = Vec::new();
        let skips: Vec<usize> = (0..words.len())
            .map(|i| anchor_skip(&words_ref, i))
            .collect();
        // Whole words first, in their order (which decides between two
        // that start at one place), then the anchors of the others.
        let order = (0..words.len())
            .filter(|&i| skips[i] == 0)
            .chain((0..words.len()).filter(|&i| skips[i] > 0));
        for i in order {
            let k = skips[i];
            let anchor = &words[i][k..];
            let at = match anchors.iter().position(|a| *a == anchor) {
                Some(at) => at,
                None => {
                    anchors.push(anchor);
                    ends.push(Vec::new());
                    anchors.len() - 1
                }
            };
            ends[at].push((i, k));
        }
        for e in &mut ends {
            e.sort_by_key(|&(_, k)| std::cmp::Reverse(k));
        }
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostFirst)
            .build(&anchors)
            .expect("a few short words build an automaton");
        Picker {
            anchors: automaton,
            ends,
            words,
            code_word,
            rules,
        }
    }

    /// The first word in `text` that starts at or after `from`: (start,
    /// end, word), as a leftmost-first search for the words themselves
    /// would give it. (Two words found by their anchors come in the order
    /// of their starts, see [`anchor_skip`]; where an anchor's beginning
    /// is missing, another anchor may start at the same place.)
    #[inline]
    fn next_word(&self, text: &[u8], from: usize) -> Option<(usize, usize, usize)> {
        let mut pos = from;
        loop {
            let m = self.anchors.find(&text[pos..])?;
            let a = pos + m.start();
            if let Some(found) = self.word_at(text, from, a, m.pattern().as_usize()) {
                return Some(found);
            }
            let other = (0..self.ends.len()).find_map(|p| {
                (p != m.pattern().as_usize() && text[a..].starts_with(self.anchor(p)))
                    .then(|| self.word_at(text, from, a, p))
                    .flatten()
            });
            if other.is_some() {
                return other;
            }
            pos = a + 1;
        }
    }

    /// The bytes of anchor `p`: the end of any of its words.
    fn anchor(&self, p: usize) -> &[u8] {
        let (w, k) = self.ends[p][0];
        &self.words[w][k..]
    }

    /// The word of anchor `p`, found at `a`, whose beginning is in place
    /// (and starts at or after `from`).
    #[inline]
    fn word_at(
        &self,
        text: &[u8],
        from: usize,
        a: usize,
        p: usize,
    ) -> Option<(usize, usize, usize)> {
        let end = a + self.anchor(p).len();
        self.ends[p].iter().find_map(|&(w, k)| {
            // A byte loop: the beginnings are a few bytes (a slice
            // comparison would call `memcmp`).
            let fits = a >= from + k && (0..k).all(|j| text[a - k + j] == self.words[w][j]);
            if fits { Some((a - k, end, w)) } else { None }
        })
    }

    /// Reads one line (see [`line::read`]).
    pub fn read(&self, line: &[u8]) -> Read {
        line::read(&self.rules, line)
    }

    /// Whether a line holds a word, a code field counting only with a
    /// non-zero number.
    pub fn matters(&self, line: &[u8]) -> bool {
        let mut pos = 0;
        while let Some((_, end, w)) = self.next_word(line, pos) {
            if !self.code_word[w] || fields::number_at(line, end, false).is_some_and(|n| n != 0) {
                return true;
            }
            pos = end;
        }
        false
    }

    /// Scans one block of text as if it started a line, adding its picks
    /// (in its whole lines) and its [`Scanned`] to `out`; close the block
    /// with [`HookResults::end_block`].
    pub fn block(&self, text: &[u8], out: &mut Picks) {
        let whole = memchr::memrchr(b'\n', text).map_or(0, |i| i + 1);
        let first_end = memchr::memchr(b'\n', text).map(|i| i + 1);
        let split = first_end.unwrap_or(0);
        let tim = |t: &[u8]| memchr::memmem::find(t, b"TIM: ").is_some();
        let newlines = self.scan(&text[..whole], out);
        out.open = Some(Scanned {
            len: Some(text.len()),
            picks_end: 0,
            first_end,
            whole,
            newlines,
            tim_first: tim(&text[..split]),
            tim_rest: tim(&text[split..whole]),
        });
    }

    /// Whole lines: the ones holding a word are picked. Returns the
    /// newlines counted.
    fn scan(&self, text: &[u8], out: &mut Picks) -> u64 {
        let mut lines = 0;
        let mut pos = 0;
        // Newlines are counted up to `counted`.
        let mut counted = 0;
        while pos < text.len() {
            let Some((hit, after, w)) = self.next_word(text, pos) else {
                break;
            };
            if self.code_word[w] {
                // `error code:0`: not a reason to read the line; the rest
                // of it may hold another word. (The number ends at the
                // line's end: a newline is no digit.)
                let code = fields::number_at(text, after, false);
                if code.is_none_or(|n| n == 0) {
                    pos = after;
                    continue;
                }
            }
            let end = hit + memchr::memchr(b'\n', &text[hit..]).map_or(text.len() - hit, |i| i + 1);
            let start = memchr::memrchr(b'\n', &text[..hit]).map_or(0, |i| i + 1);
            let line = &text[start..end];
            if starts_record(line) {
                lines += newlines(&text[counted..start]);
                counted = start;
                out.picks.push(Pick {
                    start,
                    end,
                    line: lines,
                    read: self.read(line),
                });
            }
            pos = end;
        }
        lines + newlines(&text[counted..])
    }
}

/// The picker as the decoder's [`BlockHook`]: each worker picks and reads
/// the lines of the blocks it decodes.
#[derive(Debug, Clone)]
pub struct ScanHook(pub Arc<Picker>);

impl BlockHook for ScanHook {
    fn worker(&self) -> Box<dyn HookWorker> {
        Box::new(self.clone())
    }

    fn results(&self) -> Box<dyn HookResults> {
        Box::new(Picks::default())
    }
}

impl HookWorker for ScanHook {
    fn work(&mut self, text: &[u8], results: &mut dyn HookResults) {
        // The results are the store this hook made (`results` above).
        let any: &mut dyn std::any::Any = results;
        if let Some(picks) = any.downcast_mut::<Picks>() {
            self.0.block(text, picks);
        }
    }
}

#[cfg(test)]
mod tests;
