//! `--recover`: lines from a damaged deflate block that the official
//! decoder drops whole.
//!
//! Mars flushes its deflate stream after every line (`Z_SYNC_FLUSH`), so
//! the payload is a run of byte-aligned segments, each ending in the empty
//! stored block `00 00 FF FF` and each holding one line. A flipped byte
//! spoils its own segment; the segments after it are intact but may copy
//! text from earlier lines through the 32 KiB window. Recovery walks the
//! segments, decodes each with the text before it as the inflate
//! dictionary, and keeps the ones whose output parses as Mars records.
//!
//! For a segment that does not decode, it tries every one-byte repair near
//! where inflate failed (of the encrypted bytes for an encrypted payload,
//! where one flipped byte spoils an 8-byte unit; bounded by a trial
//! budget) and scores each by how
//! many of the following segments then decode to records. The best repairs
//! give the lost line's length and the bytes they all agree on; the rest
//! of the line becomes filler bytes in the window, so copies from the
//! lines before it still land right. Without a repair, the symbols of
//! the next segments measure the length: resolved with each possible
//! length of the gap, only the right one (if they copy across it) makes
//! them all decode to records; one clear winner is used. Otherwise the
//! length is unknown and the whole window before the gap becomes filler.
//! Either way
//! a later line that copies filler is dropped, never guessed: every kept
//! line decoded from the writer's bytes and the writer's text.
//!
//! A flip can also decode quietly into wrong text of the wrong length,
//! when the line copies filler and so does not look damaged; the next
//! segment then fails. Before giving up on that one, recovery takes back
//! the few segments before it that copied filler and tries to repair
//! each in turn (their kept lines are dropped if one is repaired).
//!
//! A block that inflated without error but holds text that is not
//! records is shown by the decoder without --recover as it inflated.
//! Recovery keeps that text wherever it cannot do better: a record it
//! cannot decode itself (it copied lost text) is kept as inflated when
//! that one is whole, so --recover keeps every line the plain decoder
//! shows except those it decoded differently or found broken.

use crate::decode::codec::{TeaKey, join_chunks, tea};
use crate::decode::event::{BlockInfo, Event, Sink};
use crate::decode::format::Payload;
use crate::record::{Record, Records, starts_record};
use flate2::{Decompress, FlushDecompress, Status};
use std::ops::Range;
use tokens::{Token, tokens};

mod tokens;

mod segment;
pub use segment::*;

/// The empty stored block a sync flush ends with.
const FLUSH_MARKER: [u8; 4] = [0x00, 0x00, 0xFF, 0xFF];
/// How far back deflate may copy.
const WINDOW: usize = 32 * 1024;
/// Dictionary of a first, cheap repair trial: most lines copy from the
/// last few lines only.
const SHORT_WINDOW: usize = 4 * 1024;
/// Output cap of one segment: a line is at most 16 KiB, and a segment
/// whose marker was destroyed holds two or three lines.
const SEGMENT_OUT: usize = 256 * 1024;
/// Stands for text the window lost; never part of a Mars line.
const FILLER: u8 = 0x00;
/// Repair trials (one segment decode each) allowed per block and per
/// input: recovery of a hostile input stays bounded.
/// Bytes before the failure point where a repair looks for the damage.
const REPAIR_SPAN: usize = 160;
/// Input zlib may have read past the damage before it fails.
const READ_AHEAD: usize = 16;
/// Repair trials for one segment.
const SEGMENT_TRIALS: u64 = 40_000;
/// Segments after a repaired one that score the repair.
const LOOKAHEAD: usize = 6;
/// Segments after a repair that must decode for it to count.
const MIN_FIT: usize = 3;
/// Most equally good repairs whose common text is still worth using.
const MAX_TIED: usize = 4096;
const BLOCK_TRIALS: u64 = 200_000;
/// Segments with filler before a lost one that may hold its damage.
const UNDO_DEPTH: usize = 3;
/// Segments after a lost one that measure its length.
const GAP_LOOKAHEAD: usize = 8;
const INPUT_TRIALS: u64 = 1_000_000;

/// What recovery made of one damaged stream.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Records kept.
    pub lines: u64,
    /// Stream ranges (offsets into the stream given) whose lines are lost.
    pub lost: Vec<Range<usize>>,
    /// Lost segments whose text a one-byte repair put back in the window.
    pub repaired: u64,
    /// Lost segments whose text length the segments after them gave.
    pub measured: u64,
}

/// Recovers lines from damaged deflate streams. Reusable; keeps its
/// buffers and the input's repair budget.
pub struct Recoverer {
    z: Decompress,
    seg_out: Vec<u8>,
    trial: Vec<u8>,
    cand_out: Vec<u8>,
    window: Vec<u8>,
    budget: u64,
    /// The stream being recovered (decrypted or joined payload).
    stream: Vec<u8>,
    /// The kept text of the block being recovered.
    text: Vec<u8>,
    /// The encrypted payload and its key, when the stream is its
    /// decryption: a flipped byte there spoils a whole 8-byte unit, so
    /// repairs are tried on the encrypted bytes.
    cipher: Vec<u8>,
    key: Option<TeaKey>,
    /// For a stream that inflated without error: its text as the decoder
    /// without --recover shows it, and each segment's part of it (empty
    /// from where this inflater failed, if it did).
    base: Vec<u8>,
    base_at: Vec<Range<usize>>,
    zb: Decompress,
}

impl Default for Recoverer {
    fn default() -> Self {
        Self::new()
    }
}

/// A segment that decoded with filler, and the state before it.
#[derive(Clone)]
struct Undo {
    seg: usize,
    out: usize,
    lines: u64,
    lost: Vec<Range<usize>>,
    text: Vec<u8>,
}

/// How one segment decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seg {
    /// Records, as the writer wrote them.
    Good,
    /// No bytes: nothing to keep, nothing lost.
    Empty,
    /// Decoded without error, but copies from lost text (filler).
    Victim,
    /// Damaged: an inflate error or text that is not records.
    Bad,
}

impl Recoverer {
    /// A recoverer with a fresh budget.
    pub fn new() -> Recoverer {
        Recoverer {
            z: Decompress::new(false),
            seg_out: Vec::new(),
            trial: Vec::new(),
            cand_out: Vec::new(),
            window: Vec::new(),
            budget: INPUT_TRIALS,
            stream: Vec::new(),
            text: Vec::new(),
            cipher: Vec::new(),
            key: None,
            base: Vec::new(),
            base_at: Vec::new(),
            zb: Decompress::new(false),
        }
    }

    /// Restores the repair budget (it is spent across all the blocks a
    /// recoverer sees, so that a hostile input cannot make it work long).
    pub fn reset_budget(&mut self) {
        self.budget = INPUT_TRIALS;
    }

    /// Recovers the lines of a raw deflate `stream` that failed to
    /// decompress, appending the kept text to `out`.
    pub fn deflate(&mut self, stream: &[u8], out: &mut Vec<u8>) -> Outcome {
        self.recover(stream, false, out)
    }

    /// Recovers the lines of a raw deflate `stream` that inflated without
    /// error into text that is not all records, appending the kept text
    /// to `out`. That text is what the decoder shows without --recover,
    /// and it stands wherever recovery does not do better: a record
    /// recovery cannot keep (it copied lost text) is kept as inflated
    /// when it is whole, so `out` holds every whole record of the
    /// inflated text except the ones recovery decoded differently.
    pub fn inflated(&mut self, stream: &[u8], out: &mut Vec<u8>) -> Outcome {
        self.recover(stream, true, out)
    }

    fn recover(&mut self, stream: &[u8], inflated: bool, out: &mut Vec<u8>) -> Outcome {
        let segs = segments(stream);
        self.base.clear();
        self.base_at.clear();
        if inflated {
            self.baseline(stream, &segs);
        }
        let mut res = Outcome::default();
        self.window.clear();
        let mut block_trials = BLOCK_TRIALS.min(self.budget);
        let mut i = 0;
        // Whether the inflater's own window is `self.window` (it decoded
        // the segments before this one without trouble).
        let mut in_step = false;
        // Whether the last segment with text decoded cleanly (or none did).
        let mut last_good = true;
        // The segments with text just before this one, while they decoded
        // with filler: how to take them back if one of them turns out to
        // hold the damage.
        let mut undo: Vec<Undo> = Vec::new();
        while i < segs.len() {
            let r = segs[i].clone();
            let (kind, _, err_at) = if in_step {
                continue_seg(&mut self.z, &stream[r.clone()], &mut self.seg_out)
            } else {
                decode_seg(
                    &mut self.z,
                    &stream[r.clone()],
                    &self.window,
                    WINDOW,
                    &mut self.seg_out,
                )
            };
            in_step = kind != Seg::Bad;
            let trusted = last_good;
            if kind != Seg::Empty {
                last_good = kind == Seg::Good;
            }
            let victims = if matches!(kind, Seg::Empty | Seg::Victim) {
                Vec::new()
            } else {
                std::mem::take(&mut undo)
            };
            match kind {
                Seg::Good => {
                    res.lines += Records::new(&self.seg_out).count() as u64;
                    out.extend_from_slice(&self.seg_out);
                    push_window(&mut self.window, &self.seg_out);
                }
                Seg::Empty if self.base_text(i).is_empty() => {}
                Seg::Empty => {
                    // Recovery decoded nothing where inflate decoded text.
                    let (n, _) = keep_records(&[], self.base_text(i), out);
                    res.lines += n;
                }
                Seg::Victim => {
                    // The text is right except where it copied filler:
                    // keep its clean records, and its length keeps the
                    // window aligned.
                    if undo.len() == UNDO_DEPTH {
                        undo.remove(0);
                    }
                    undo.push(Undo {
                        seg: i,
                        out: out.len(),
                        lines: res.lines,
                        lost: res.lost.clone(),
                        text: self.seg_out.clone(),
                    });
                    let (n, kept_all) = keep_records(&self.seg_out, self.base_text(i), out);
                    res.lines += n;
                    if !kept_all {
                        add_lost(&mut res.lost, r.clone());
                    }
                    push_window(&mut self.window, &self.seg_out);
                }
                Seg::Bad => {
                    add_lost(&mut res.lost, r.clone());
                    let (n, _) = keep_records(&[], self.base_text(i), out);
                    res.lines += n;
                    let used_before = block_trials;
                    let repaired = self.repair(stream, &segs, i, err_at, &mut block_trials, false);
                    in_step = false;
                    self.budget -= used_before - block_trials;
                    // The segments just before, which decoded with filler,
                    // may hold the damage, quietly: their text, and so its
                    // length, would be wrong, and this segment copies from
                    // it. Take them back one by one and try to repair each.
                    let pushed: usize = victims.iter().map(|u| u.text.len()).sum();
                    if repaired.is_none() && pushed <= self.window.len() {
                        let mut fixed = None;
                        for (k, u) in victims.iter().enumerate().rev() {
                            self.window.truncate(self.window.len() - u.text.len());
                            let j = u.seg;
                            let before = block_trials;
                            let again = self.repair(
                                stream,
                                &segs,
                                j,
                                segs[j].len(),
                                &mut block_trials,
                                true,
                            );
                            self.budget -= before - block_trials;
                            if let Some(text) = again {
                                fixed = Some((k, text));
                                break;
                            }
                        }
                        match fixed {
                            Some((k, text)) => {
                                let u = &victims[k];
                                out.truncate(u.out);
                                res.lines = u.lines;
                                res.lost.clone_from(&u.lost);
                                add_lost(&mut res.lost, segs[u.seg].clone());
                                let (n, _) = keep_records(&[], self.base_text(u.seg), out);
                                res.lines += n;
                                res.repaired += 1;
                                push_window(&mut self.window, &text);
                                last_good = false;
                                // The segments after the repaired one again.
                                i = u.seg + 1;
                                continue;
                            }
                            None => {
                                for u in &victims {
                                    push_window(&mut self.window, &u.text);
                                }
                            }
                        }
                    }
                    let gap = if repaired.is_none() && trusted {
                        let before = block_trials;
                        let g = self.gap_length(stream, &segs, i, &mut block_trials);
                        self.budget -= before - block_trials;
                        g
                    } else {
                        None
                    };
                    if let Some(text) = repaired {
                        res.repaired += 1;
                        push_window(&mut self.window, &text);
                    } else if let Some(len) = gap {
                        res.measured += 1;
                        push_window(&mut self.window, &vec![FILLER; len]);
                    } else {
                        // The lost length is unknown: a copy from before
                        // the gap could land anywhere, so all of that text
                        // becomes filler. Copies from the text after the
                        // gap are relative to it and still land right.
                        push_window(&mut self.window, &[FILLER; WINDOW]);
                    }
                }
            }
            i += 1;
        }
        res
    }

    /// Inflates the whole stream segment by segment, as the decoder
    /// without --recover does, into `base` and `base_at`.
    fn baseline(&mut self, stream: &[u8], segs: &[Range<usize>]) {
        self.zb.reset(false);
        let mut text = std::mem::take(&mut self.cand_out);
        for r in segs {
            let start = self.base.len();
            match inflate_seg(&mut self.zb, &stream[r.clone()], &mut text) {
                Ok(_) => {
                    self.base.extend_from_slice(&text);
                    self.base_at.push(start..self.base.len());
                }
                Err(_) => break,
            }
        }
        self.cand_out = text;
    }

    /// The inflated text of segment `i` (empty if there is none).
    fn base_text(&self, i: usize) -> &[u8] {
        self.base_at.get(i).map_or(&[], |r| &self.base[r.clone()])
    }

    /// Tries every one-byte repair of segment `i` and scores each that
    /// decodes to records by how many of the next segments then decode to
    /// records too. Of the best-scoring repairs, returns the text they all
    /// agree on (filler where they differ): the lost line's length and
    /// the bytes no plausible repair disputes. `None` if no repair fits,
    /// the repairs disagree on the length, or the budget runs out.
    /// `with_filler` also lets a repair count that copies filler (for a
    /// segment that decoded with filler and turned out to be damaged).
    fn repair(
        &mut self,
        stream: &[u8],
        segs: &[Range<usize>],
        i: usize,
        err_at: usize,
        trials: &mut u64,
        with_filler: bool,
    ) -> Option<Vec<u8>> {
        // A lost last segment is copied by nothing: no need to repair it.
        if i + 1 >= segs.len() {
            return None;
        }
        let seg = &stream[segs[i].clone()];
        let base = segs[i].start;
        // Whole units are encrypted; a last partial one is plain.
        let sealed = match self.key {
            Some(_) if self.cipher.len() == stream.len() => stream.len() & !7,
            _ => 0,
        };
        self.trial.clear();
        self.trial.extend_from_slice(seg);
        let mut best_score = 0;
        let mut agreed: Option<Vec<u8>> = None;
        let mut tied = 0;
        // The damage is before the point where inflate failed (or the
        // text went wrong), and rarely far before it; inflate may read a
        // few bytes ahead.
        let hi = (err_at + READ_AHEAD).min(seg.len());
        let lo = hi.saturating_sub(REPAIR_SPAN);
        let mut seg_trials = SEGMENT_TRIALS.min(*trials);
        for (pos, &plain) in seg.iter().enumerate().take(hi).skip(lo) {
            let at = base + pos;
            let orig = if at < sealed { self.cipher[at] } else { plain };
            for v in 0..=255u8 {
                if v == orig {
                    continue;
                }
                if seg_trials == 0 || *trials == 0 {
                    return None;
                }
                seg_trials -= 1;
                *trials -= 1;
                if at < sealed {
                    self.set_unit(base, seg.len(), at, v);
                } else {
                    self.trial[pos] = v;
                }
                // A cheap first pass with the recent text only; a far
                // copy needs the whole window.
                let (k, far, _) = decode_seg(
                    &mut self.z,
                    &self.trial,
                    &self.window,
                    SHORT_WINDOW,
                    &mut self.cand_out,
                );
                let k = if k == Seg::Bad && far && self.window.len() > SHORT_WINDOW {
                    decode_seg(
                        &mut self.z,
                        &self.trial,
                        &self.window,
                        WINDOW,
                        &mut self.cand_out,
                    )
                    .0
                } else {
                    k
                };
                if k != Seg::Good && !(with_filler && k == Seg::Victim) {
                    continue;
                }
                let score = self.next_segments_fit(stream, segs, i, trials);
                if score == 0 || score < best_score {
                    continue;
                }
                if score > best_score {
                    best_score = score;
                    agreed = Some(self.cand_out.clone());
                    tied = 1;
                    continue;
                }
                tied += 1;
                if tied > MAX_TIED {
                    return None;
                }
                let a = agreed.as_mut().expect("set with best_score");
                if a.len() != self.cand_out.len() {
                    return None;
                }
                for (x, y) in a.iter_mut().zip(&self.cand_out) {
                    if x != y {
                        *x = FILLER;
                    }
                }
            }
            if at < sealed {
                self.set_unit(base, seg.len(), at, orig);
            } else {
                self.trial[pos] = plain;
            }
        }
        // Only a repair that makes the next few segments decode counts.
        let want = MIN_FIT.min(segs.len() - i - 1);
        if best_score < want {
            return None;
        }
        agreed
    }

    /// Writes into the trial segment (stream offset `base`, `len` bytes)
    /// the decryption of the unit holding stream offset `at`, with the
    /// encrypted byte there set to `v`.
    fn set_unit(&mut self, base: usize, len: usize, at: usize, v: u8) {
        let start = at & !7;
        let mut unit = [0u8; 8];
        unit.copy_from_slice(&self.cipher[start..start + 8]);
        unit[at - start] = v;
        tea::decrypt(&mut unit, self.key.as_ref().expect("set with the cipher"));
        for (k, &b) in unit.iter().enumerate() {
            let p = start + k;
            if (base..base + len).contains(&p) {
                self.trial[p - base] = b;
            }
        }
    }

    /// The length of the text lost with segment `i`, found from the next
    /// segments: their symbols are read once, then resolved against the
    /// window with `len` unknown bytes (filler) between the known text and
    /// them, for every `len` that changes where their copies land. The
    /// baseline is an unknown length (all the text before the gap filler).
    /// A length is plausible if no segment then decodes to damage (while
    /// none does at the baseline); it scores the segments that decode to
    /// records without filler. One plausible length that scores above the
    /// baseline and above every other is the answer; anything else (a tie,
    /// no gain, no budget) is `None`.
    fn gap_length(
        &mut self,
        stream: &[u8],
        segs: &[Range<usize>],
        i: usize,
        trials: &mut u64,
    ) -> Option<usize> {
        let mut next: Vec<Vec<Token>> = Vec::new();
        for r in segs.iter().skip(i + 1) {
            if next.len() == GAP_LOOKAHEAD {
                break;
            }
            let mut t = Vec::new();
            match tokens(&stream[r.clone()], SEGMENT_OUT, &mut t) {
                Some(0) => continue,
                Some(_) => next.push(t),
                None => break,
            }
        }
        let pre = &self.window[self.window.len().saturating_sub(WINDOW)..];
        let mut post = Vec::new();
        let mut out = Vec::new();
        // The baseline: where it finds damage, the lookahead ends.
        let mut reach = 0;
        let mut base = 0;
        let mut usable = 0;
        for t in &next {
            let Some(r) = resolve(t, pre, usize::MAX, &post, &mut out) else {
                break;
            };
            match classify(&out) {
                Seg::Bad => break,
                Seg::Good => base += 1,
                _ => {}
            }
            reach = reach.max(r);
            usable += 1;
            post.extend_from_slice(&out);
        }
        let next = &next[..usable];
        let (mut best, mut best_len, mut tied) = (base, None, false);
        for len in 0..reach {
            if *trials == 0 {
                return None;
            }
            *trials -= 1;
            post.clear();
            let mut score = 0;
            let mut ok = true;
            for t in next {
                if resolve(t, pre, len, &post, &mut out).is_none() {
                    ok = false;
                    break;
                }
                *trials = trials.saturating_sub((out.len() / 1024) as u64);
                match classify(&out) {
                    Seg::Bad => {
                        ok = false;
                        break;
                    }
                    Seg::Good => score += 1,
                    _ => {}
                }
                post.extend_from_slice(&out);
            }
            if !ok || score < best {
                continue;
            }
            if score == best {
                tied = true;
                continue;
            }
            best = score;
            best_len = Some(len);
            tied = false;
        }
        if tied { None } else { best_len }
    }

    /// How many of the next segments after `i` decode to records, in a
    /// row, with `cand_out` as the text of segment `i`.
    fn next_segments_fit(
        &mut self,
        stream: &[u8],
        segs: &[Range<usize>],
        i: usize,
        trials: &mut u64,
    ) -> usize {
        // Only the last window's worth can be reached: copy no more.
        let keep = WINDOW.saturating_sub(self.cand_out.len());
        let mut window = self.window[self.window.len().saturating_sub(keep)..].to_vec();
        push_window(&mut window, &self.cand_out);
        let mut out = Vec::new();
        let mut fit = 0;
        for r in segs.iter().skip(i + 1).take(LOOKAHEAD) {
            *trials = trials.saturating_sub(1);
            let (k, _, _) = decode_seg(&mut self.z, &stream[r.clone()], &window, WINDOW, &mut out);
            match k {
                Seg::Good => {
                    fit += 1;
                    push_window(&mut window, &out);
                }
                Seg::Empty => {}
                Seg::Victim | Seg::Bad => break,
            }
        }
        fit
    }
}

/// The `--recover` hook of the decoder, for a block whose payload
/// inflated with an error (`failed`) or without one. Re-reads the
/// payload (decrypted with `tea`, or 0x05 chunks joined) segment by
/// segment. A failed block, or one with a segment that is not Mars
/// records, is reported as [`Event::Recovered`] with its kept text, and
/// the text bytes sent are returned; `None` if the block is sound (its
/// text stands as decoded) or is not deflate.
pub fn block<S: Sink>(
    rec: &mut Recoverer,
    info: BlockInfo,
    payload: &[u8],
    tea: Option<&TeaKey>,
    failed: bool,
    sink: &mut S,
) -> std::io::Result<Option<u64>> {
    let mut stream = std::mem::take(&mut rec.stream);
    stream.clear();
    rec.cipher.clear();
    rec.key = None;
    match info.magic.payload {
        Payload::Deflate => stream.extend_from_slice(payload),
        Payload::ChunkedDeflate => {
            if join_chunks(payload, &mut stream).is_err() && !failed {
                rec.stream = stream;
                return Ok(None);
            }
        }
        Payload::EncryptedDeflate => {
            let Some(key) = tea else {
                rec.stream = stream;
                return Ok(None);
            };
            stream.extend_from_slice(payload);
            tea::decrypt(&mut stream, key);
            rec.cipher.extend_from_slice(payload);
            rec.key = Some(*key);
        }
        _ => {
            rec.stream = stream;
            return Ok(None);
        }
    }
    let mut out = std::mem::take(&mut rec.text);
    out.clear();
    let r = if failed {
        rec.deflate(&stream, &mut out)
    } else {
        rec.inflated(&stream, &mut out)
    };
    rec.stream = stream;
    let result = if !failed && r.lost.is_empty() {
        Ok(None)
    } else {
        report(info, &r, &out, sink).map(Some)
    };
    rec.text = out;
    result
}

fn report<S: Sink>(info: BlockInfo, r: &Outcome, out: &[u8], sink: &mut S) -> std::io::Result<u64> {
    let base = info.offset + info.magic.header_len() as u64;
    let lost = r
        .lost
        .iter()
        .map(|l| base + l.start as u64..base + l.end as u64)
        .collect();
    sink.event(&Event::Recovered {
        block: info,
        lines: r.lines,
        lost,
    })?;
    if !out.is_empty() {
        sink.event(&Event::Text(out))?;
    }
    Ok(out.len() as u64)
}

#[cfg(test)]
mod tests;
