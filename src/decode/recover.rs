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

/// The flush segments of a stream: each ends just after a flush marker,
/// the last one at the end of the stream.
pub fn segments(stream: &[u8]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut pos = 0;
    while pos + FLUSH_MARKER.len() <= stream.len() {
        match stream[pos..]
            .windows(FLUSH_MARKER.len())
            .position(|w| w == FLUSH_MARKER)
        {
            Some(k) => {
                let end = pos + k + FLUSH_MARKER.len();
                out.push(start..end);
                start = end;
                pos = end;
            }
            None => break,
        }
    }
    if start < stream.len() {
        out.push(start..stream.len());
    }
    out
}

/// Decodes one segment as a fresh raw-deflate stream primed with the last
/// `dict_len` bytes of `window`, into `out`. Also says whether the failure
/// (if any) was a copy from further back than the dictionary, and how much
/// input was read when it was found (the damage is at or before that).
fn decode_seg(
    z: &mut Decompress,
    seg: &[u8],
    window: &[u8],
    dict_len: usize,
    out: &mut Vec<u8>,
) -> (Seg, bool, usize) {
    z.reset(false);
    let dict = &window[window.len().saturating_sub(dict_len)..];
    if !dict.is_empty() && z.set_dictionary(dict).is_err() {
        out.clear();
        return (Seg::Bad, false, 0);
    }
    continue_seg(z, seg, out)
}

/// Decodes one segment with the inflater as the previous segment left it
/// (its window is then exactly the text before this segment).
fn continue_seg(z: &mut Decompress, seg: &[u8], out: &mut Vec<u8>) -> (Seg, bool, usize) {
    match inflate_seg(z, seg, out) {
        Err((far, pos)) => (Seg::Bad, far, pos),
        Ok(pos) if out.is_empty() => (Seg::Empty, false, pos),
        Ok(_) => (classify(out), false, seg.len()),
    }
}

/// Inflates one segment with the inflater as it stands into `out`: how
/// much input it read, or on failure whether it was a copy from too far
/// back and how much input was read when it was found.
fn inflate_seg(z: &mut Decompress, seg: &[u8], out: &mut Vec<u8>) -> Result<usize, (bool, usize)> {
    out.clear();
    out.reserve(SEGMENT_OUT);
    let mut pos = 0;
    loop {
        let before_in = z.total_in();
        let before_out = out.len();
        let status = z.decompress_vec(&seg[pos..], out, FlushDecompress::Sync);
        let consumed = (z.total_in() - before_in) as usize;
        pos += consumed;
        match status {
            Ok(Status::StreamEnd) => break,
            Ok(_) => {
                if pos >= seg.len() {
                    break;
                }
                if out.len() >= SEGMENT_OUT {
                    return Err((false, pos));
                }
                if consumed == 0 && out.len() == before_out && out.capacity() > out.len() {
                    // No progress with room to spare: the stream is stuck.
                    return Err((false, pos));
                }
                out.reserve(SEGMENT_OUT);
            }
            Err(e) => {
                let far = e
                    .message()
                    .is_some_and(|m| m.contains("too far back") || m.contains("bad state"));
                return Err((far, pos));
            }
        }
    }
    Ok(pos)
}

/// Whether decoded text is what the writer writes: whole lines, starting
/// with a record, every full header parsing.
fn classify(text: &[u8]) -> Seg {
    if text.last() != Some(&b'\n') || !starts_record(text) {
        return if text.contains(&FILLER) {
            Seg::Victim
        } else {
            Seg::Bad
        };
    }
    if text.contains(&FILLER) {
        return Seg::Victim;
    }
    if looks_damaged(text) {
        return Seg::Bad;
    }
    if Records::new(text).all(|r| header_ok(&r)) {
        Seg::Good
    } else {
        Seg::Bad
    }
}

/// Text a misread deflate stream tends to make and the writer does not:
/// control characters, or a run of empty lines at the end (the writer ends
/// a line with one newline).
fn looks_damaged(text: &[u8]) -> bool {
    text.ends_with(b"\n\n\n")
        || text
            .iter()
            .any(|&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x1B))
}

/// A record that starts like a full header (`[L][digit`) must parse as one.
fn header_ok(r: &Record<'_>) -> bool {
    let full = r.level.is_some() && r.bytes.get(3) == Some(&b'[');
    let dated = r.bytes.get(4).is_some_and(u8::is_ascii_digit);
    !(full && dated) || r.header.is_some()
}

/// A record of a victim segment that is whole and copied no filler.
fn is_clean_record(bytes: &[u8]) -> bool {
    bytes.last() == Some(&b'\n')
        && !bytes.contains(&FILLER)
        && !looks_damaged(bytes)
        && starts_record(bytes)
        && header_ok(&Record::parse(bytes))
}

/// Appends the records of a segment's recovered `text` that are whole and
/// copied no filler, and where one is not, the record at the same place
/// of its inflated text `base` (empty when there is none) if that one is
/// whole. Returns how many records were kept and whether every record
/// of the longer of the two was.
fn keep_records(text: &[u8], base: &[u8], out: &mut Vec<u8>) -> (u64, bool) {
    let mut ours = Records::new(text);
    let mut theirs = Records::new(base);
    let (mut kept, mut all) = (0, true);
    loop {
        let (a, b) = (ours.next(), theirs.next());
        if a.is_none() && b.is_none() {
            return (kept, all);
        }
        let pick = [a, b]
            .into_iter()
            .flatten()
            .map(|r| r.bytes)
            .find(|r| is_clean_record(r));
        match pick {
            Some(r) => {
                kept += 1;
                out.extend_from_slice(r);
            }
            None => all = false,
        }
    }
}

/// Resolves a segment's symbols into `out`, with the text before them
/// being `pre`, then `gap` unknown bytes (filler), then `post`. Returns
/// how far into the gap and `pre` the copies reached (0: not at all), or
/// `None` for a copy from before `pre`.
fn resolve(
    toks: &[Token],
    pre: &[u8],
    gap: usize,
    post: &[u8],
    out: &mut Vec<u8>,
) -> Option<usize> {
    out.clear();
    let mut reach = 0;
    for &t in toks {
        match t {
            Token::Lit(b) => out.push(b),
            Token::Copy { len, dist } => {
                let d = usize::from(dist) + 1;
                for _ in 0..len {
                    let p = out.len();
                    let b = if d <= p {
                        out[p - d]
                    } else if d - p <= post.len() {
                        post[post.len() - (d - p)]
                    } else {
                        let back = d - p - post.len();
                        reach = reach.max(back);
                        if back <= gap {
                            FILLER
                        } else {
                            let k = back - gap;
                            if k > pre.len() {
                                return None;
                            }
                            pre[pre.len() - k]
                        }
                    };
                    out.push(b);
                }
            }
        }
    }
    Some(reach)
}

/// Appends text to the window, keeping only what deflate can reach.
fn push_window(window: &mut Vec<u8>, text: &[u8]) {
    window.extend_from_slice(text);
    if window.len() > 4 * WINDOW {
        let cut = window.len() - WINDOW;
        window.drain(..cut);
    }
}

fn add_lost(lost: &mut Vec<Range<usize>>, r: Range<usize>) {
    match lost.last_mut() {
        Some(last) if last.end == r.start => last.end = r.end,
        _ => lost.push(r),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{Compress, Compression, FlushCompress};

    fn mars_deflate(lines: &[Vec<u8>]) -> Vec<u8> {
        let mut c = Compress::new(Compression::best(), false);
        let mut out = Vec::with_capacity(1 << 16);
        for l in lines {
            c.compress_vec(l, &mut out, FlushCompress::Sync).unwrap();
        }
        out
    }

    fn lines(n: usize) -> Vec<Vec<u8>> {
        (0..n)
            .map(|i| {
                format!(
                    "[I][2024-01-31 +8.0 10:00:{:02}.{:03}][123, 456*][imsdk][conv.cpp:{}, Sync][message number {i} sent to group @TGS#{}\n",
                    i % 60,
                    i * 7 % 1000,
                    100 + i,
                    i * 31 % 97
                )
                .into_bytes()
            })
            .collect()
    }

    #[test]
    fn segments_end_at_flush_markers() {
        let l = lines(5);
        let s = mars_deflate(&l);
        let segs = segments(&s);
        assert_eq!(segs.len(), 5);
        assert_eq!(segs[0].start, 0);
        assert_eq!(segs[4].end, s.len());
        for w in segs.windows(2) {
            assert_eq!(w[0].end, w[1].start);
            assert_eq!(&s[w[0].end - 4..w[0].end], &FLUSH_MARKER);
        }
    }

    #[test]
    fn an_intact_stream_recovers_every_line() {
        let l = lines(40);
        let s = mars_deflate(&l);
        let mut out = Vec::new();
        let r = Recoverer::new().deflate(&s, &mut out);
        assert_eq!(out, l.concat());
        assert_eq!(r.lines, 40);
        assert!(r.lost.is_empty());
    }

    #[test]
    fn lines_after_a_flipped_byte_are_never_guessed() {
        let l = lines(40);
        let clean = mars_deflate(&l);
        let segs = segments(&clean);
        let mut rec = Recoverer::new();
        let mut inflater = crate::decode::codec::Inflater::new();
        let mut failing = 0;
        for victim in [3usize, 17, 25, 31] {
            for at in segs[victim].clone() {
                let mut s = clean.clone();
                s[at] ^= 0x5A;
                // Only damage that makes inflate fail reaches recovery; a
                // flip that decodes quietly is not detectable.
                if inflater.inflate(&s, &mut Vec::new()).is_ok() {
                    continue;
                }
                failing += 1;
                let mut out = Vec::new();
                let r = rec.deflate(&s, &mut out);
                // Every kept line is a line of the writer's, never a guess.
                // (These synthetic lines all copy from the line before, so
                // most are lost after the damage; the corpus test in
                // tests/recover.rs measures real logs.)
                let kept: Vec<&[u8]> = out.split_inclusive(|&b| b == b'\n').collect();
                assert!(
                    kept.iter().all(|k| l.iter().any(|x| x == k)),
                    "flip at {at} in line {victim}: {:?}",
                    String::from_utf8_lossy(&out)
                );
                assert_eq!(r.lines as usize, kept.len());
                assert_eq!(r.lost.first().map(|x| x.start), Some(segs[victim].start));
            }
        }
        assert!(failing > 10, "the flips must provoke errors ({failing})");
    }

    /// Flips that inflate without error into text that is not records:
    /// the inflated text is what the decoder shows without --recover, so
    /// recovery keeps every writer's line of it, even where it cannot
    /// decode that line itself (two flips in a line, which no one-byte
    /// repair undoes, leave the lines that copy from it to filler).
    #[test]
    fn a_quiet_flip_keeps_every_good_line_of_the_inflated_text() {
        let l = lines(40);
        let clean = mars_deflate(&l);
        let segs = segments(&clean);
        let mut rec = Recoverer::new();
        let mut inflater = crate::decode::codec::Inflater::new();
        let mut checked = 0;
        for victim in [3usize, 17, 25, 31] {
            for at in segs[victim].clone() {
                // Two flips in one line: no one-byte repair undoes them.
                let seg = segs[victim].clone();
                let other = seg.start + (at - seg.start + seg.len() / 2) % seg.len();
                let mut s = clean.clone();
                s[at] ^= 0x04;
                s[other] ^= 0x10;
                let mut text = Vec::new();
                if inflater.inflate(&s, &mut text).is_err() || text == l.concat() {
                    continue;
                }
                let mut out = Vec::new();
                rec.inflated(&s, &mut out);
                let kept: Vec<&[u8]> = out.split_inclusive(|&b| b == b'\n').collect();
                let shown: Vec<&[u8]> = text.split_inclusive(|&b| b == b'\n').collect();
                for x in &shown {
                    if l.iter().any(|w| w == x) {
                        checked += 1;
                        assert!(
                            kept.contains(x),
                            "flip at {at}: lost {:?}",
                            String::from_utf8_lossy(x)
                        );
                    }
                }
            }
        }
        assert!(checked > 100, "the flips must decode quietly ({checked})");
    }

    #[test]
    fn garbage_never_panics_and_stays_bounded() {
        let mut seed = 7u32;
        let mut rec = Recoverer::new();
        for len in [0usize, 1, 4, 5, 100, 3000] {
            let mut data: Vec<u8> = (0..len)
                .map(|_| {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    (seed >> 16) as u8
                })
                .collect();
            for k in (0..data.len()).step_by(37) {
                if k + 4 <= data.len() {
                    data[k..k + 4].copy_from_slice(&FLUSH_MARKER);
                }
            }
            let mut out = Vec::new();
            let r = rec.deflate(&data, &mut out);
            assert!(out.len() <= SEGMENT_OUT * data.len().max(1));
            assert_eq!(r.lines == 0, out.is_empty());
        }
    }
}
