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

/// Newlines in `bytes`.
pub(super) fn newlines(bytes: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', bytes).count() as u64
}

/// Picks and reads the lines the rules can match.
#[derive(Debug, Clone)]
pub struct Picker {
    words: AhoCorasick,
    /// Which patterns are code fields (a hit counts only with a non-zero
    /// number after it).
    code_word: Vec<bool>,
    rules: Arc<RuleSet>,
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
        let code_word = words.iter().map(|w| rules.is_code_field(w)).collect();
        let words = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostFirst)
            .build(&words)
            .expect("a few short words build an automaton");
        Picker {
            words,
            code_word,
            rules,
        }
    }

    /// Reads one line (see [`line::read`]).
    pub fn read(&self, line: &[u8]) -> Read {
        line::read(&self.rules, line)
    }

    /// Whether a line holds a word, a code field counting only with a
    /// non-zero number.
    pub fn matters(&self, line: &[u8]) -> bool {
        let mut pos = 0;
        while let Some(m) = self.words.find(&line[pos..]) {
            let end = pos + m.end();
            if !self.code_word[m.pattern().as_usize()]
                || fields::number_at(line, end, false).is_some_and(|n| n != 0)
            {
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
            let Some(m) = self.words.find(&text[pos..]) else {
                break;
            };
            let hit = pos + m.start();
            if self.code_word[m.pattern().as_usize()] {
                // `error code:0`: not a reason to read the line; the rest
                // of it may hold another word. (The number ends at the
                // line's end: a newline is no digit.)
                let after = pos + m.end();
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
