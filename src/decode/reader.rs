//! The streaming decoder: walks the blocks of an input exactly as Mars's
//! official decoder does (start search, resync, seq check), decodes each
//! payload, and reports everything to a [`Sink`].
//!
//! Where the official decoder silently loses text (a cut-off last block, a
//! `.mmap3` crash buffer) this decoder salvages it, after everything the
//! official decoder would print, so the official output stays a prefix.

use crate::decode::ahead::Worked;
use crate::decode::codec::{Decoded, PrivateKey, TeaKey};
use crate::decode::event::{BlockInfo, Event, LockReason, Salvage, SeqGap, Sink};
use crate::decode::format::{
    self, BadBlock, Check, Header, MMAP3_SIZE, Payload, check_block, is_magic,
};
use crate::decode::input::{Input, SliceInput};
use crate::decode::parallel::{self, Codecs, Encoded, IN_MEMORY, Pool, Raw, WorkersGone};
use crate::decode::recover::{self, Recoverer};
use crate::decode::summary::Summary;
use std::collections::{HashMap, VecDeque};
use std::io;

mod events;
mod keys;
mod walk;
use events::*;
use keys::*;
use walk::*;

/// How many bytes the resync scan looks at per fetch.
const SCAN_STEP: u64 = 64 * 1024;
/// How far past an encrypted block that does not show whether the key
/// fits the decoder looks for another block of the same writer that does.
const KEY_LOOKAHEAD: u64 = 8 << 20;
/// The sync flush that ends every line of a Mars deflate stream.
const SYNC_FLUSH: [u8; 4] = [0x00, 0x00, 0xFF, 0xFF];
/// Default per-block output cap: far above any real block (a Mars payload
/// is at most 150 KiB and decodes to a few MB), low enough that a
/// decompression bomb does not flood the output. Memory does not depend
/// on it: a long text is delivered in chunks.
pub const DEFAULT_MAX_BLOCK_OUTPUT: usize = 64 << 20;

/// Errors that stop decoding an input.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading the input failed.
    #[error("read error at byte {offset}: {source}")]
    Read {
        /// Offset the decoder was reading at.
        offset: u64,
        /// The I/O error.
        source: io::Error,
    },
    /// The sink refused an event (for example a closed pipe).
    #[error(transparent)]
    Sink(io::Error),
    /// A decoding thread stopped unexpectedly.
    #[error("a decoding thread stopped unexpectedly")]
    Worker,
}

impl From<WorkersGone> for Error {
    fn from(_: WorkersGone) -> Error {
        Error::Worker
    }
}

/// Whether the input is a `.mmap3` crash buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mmap3Mode {
    /// Decode as an xlog; if the official walk finds no start, salvage the
    /// block at offset 0 (what a crash buffer holds).
    #[default]
    Auto,
    /// The input is a crash buffer: decode only the block at offset 0.
    Always,
}

/// Decoder settings.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Private key for encrypted (0x07 / 0x0C) blocks.
    pub key: Option<PrivateKey>,
    /// Crash-buffer handling.
    pub mmap3: Mmap3Mode,
    /// Decode what the official decoder drops silently (cut-off last block,
    /// lone crash-buffer block). On by default.
    pub no_salvage: bool,
    /// Recover what the official decoder drops from a damaged block:
    /// restart at the writer's per-line flush points and keep every line
    /// that parses (see [`crate::decode::recover`]). Decodes on the calling thread.
    pub recover: bool,
}

/// What became of one payload.
enum Outcome {
    /// Text is in hand (the decoded bytes, or the plain payload itself);
    /// `capped` if it was cut at the per-block output cap.
    Text { capped: bool },
    /// The payload did not decompress.
    Failed(String),
    /// Encrypted and not decodable.
    Locked(LockReason),
}

impl Outcome {
    /// Whether the block's text is shown: decoded text always, with
    /// `keep_partial` also the text before a failure.
    fn shows_text(&self, keep_partial: bool) -> bool {
        match self {
            Outcome::Text { .. } => true,
            Outcome::Failed(_) => keep_partial,
            Outcome::Locked(_) => false,
        }
    }
}

/// What is known of one writer key (the 64-byte key field).
#[derive(Clone, Copy)]
struct KeyState {
    tea: Option<TeaKey>,
    /// A block under this key has decoded cleanly (known in input order,
    /// as blocks are delivered).
    verified: bool,
    /// A block under this key decrypts to what the writer's streams hold
    /// (known as blocks are walked; see [`key_fits_payload`]).
    fits: bool,
}

/// How a block's payload is to be decoded, decided in input order.
enum Prep {
    /// Plain text: nothing to decode.
    Plain,
    /// Encrypted and not decodable.
    Locked(LockReason),
    /// Decode it (with this TEA key, for an encrypted payload whose key
    /// field is `key_id`; `fits` if the key is known to fit its writer).
    Decode {
        tea: Option<TeaKey>,
        key_id: Option<[u8; 64]>,
        fits: bool,
    },
}

/// Something waiting for delivery while earlier blocks are decoded on
/// worker threads.
enum Item {
    /// An event without text.
    Event(Event<'static>),
    /// A plain block's text.
    Plain { info: BlockInfo, text: Vec<u8> },
    /// A locked block.
    Locked { info: BlockInfo, reason: LockReason },
    /// A block being decoded by a worker.
    Decode {
        info: BlockInfo,
        ticket: u64,
        tea: Option<TeaKey>,
        key_id: Option<[u8; 64]>,
        fits: bool,
    },
}

/// The decoder. Reusable across inputs; keeps its codec state and buffers.
pub struct Decoder {
    opts: Options,
    codecs: Codecs,
    recoverer: Recoverer,
    keys: HashMap<[u8; 64], KeyState>,
    /// Per key of this input: how far the look-ahead for a block that
    /// shows the key fits has searched.
    looked: HashMap<[u8; 64], u64>,
    /// An encrypted block has been decoded (or locked) in this input.
    encrypted_seen: bool,
    last_seq: u32,
    summary: Summary,
    jobs: usize,
    max_block_output: usize,
    pool: Option<Pool>,
    queue: VecDeque<Item>,
}

impl Decoder {
    /// A decoder with the given options, decoding on the calling thread.
    pub fn new(opts: Options) -> Decoder {
        Decoder {
            opts,
            codecs: Codecs::new(),
            recoverer: Recoverer::new(),
            keys: HashMap::new(),
            looked: HashMap::new(),
            encrypted_seen: false,
            last_seq: 0,
            summary: Summary::default(),
            jobs: 1,
            max_block_output: DEFAULT_MAX_BLOCK_OUTPUT,
            pool: None,
            queue: VecDeque::new(),
        }
    }

    /// Decodes compressed payloads on `n` worker threads (1, the default,
    /// decodes on the calling thread). The events are the same for any
    /// `n`: they reach the sink in input order, on the calling thread.
    /// Consecutive blocks go to the workers in batches of about 256 KiB of
    /// payload, each holding at most 8 MiB of text; at most `2 × n`
    /// batches are in flight. A block whose text would not fit is decoded
    /// on the calling thread.
    pub fn set_jobs(&mut self, n: usize) -> &mut Decoder {
        self.jobs = n.max(1);
        self
    }

    /// Caps the text one block may decode to (default
    /// [`DEFAULT_MAX_BLOCK_OUTPUT`]). A block that decodes further is cut
    /// at the cap and reported with [`Event::OutputCapped`]. Whatever the
    /// cap, a block's text is held in memory only up to a few MiB; a
    /// longer one comes as several [`Event::Text`] chunks.
    pub fn set_max_block_output(&mut self, bytes: usize) -> &mut Decoder {
        self.max_block_output = bytes.max(1);
        self
    }

    /// Decodes an in-memory input.
    pub fn decode_slice<S: Sink>(&mut self, data: &[u8], sink: &mut S) -> Result<Summary, Error> {
        self.decode(&mut SliceInput(data), sink)
    }

    /// Decodes one input, reporting to `sink`, and returns its summary.
    pub fn decode<I: Input, S: Sink>(
        &mut self,
        input: &mut I,
        sink: &mut S,
    ) -> Result<Summary, Error> {
        self.last_seq = 0;
        self.summary = Summary::default();
        self.queue.clear();
        self.looked.clear();
        self.encrypted_seen = false;
        // --recover re-reads damaged payloads, which only the calling
        // thread still holds.
        if self.jobs > 1 && !self.opts.recover {
            let (pool, workers) = parallel::pool(self.jobs, sink.hook());
            self.pool = Some(pool);
            let walked = std::thread::scope(|scope| {
                for w in workers {
                    scope.spawn(move || w.run());
                }
                let r = self
                    .walk(input, sink)
                    .and_then(|()| self.deliver(sink, true));
                // Whatever happened, let the workers end so the scope can
                // join them.
                if let Some(p) = &mut self.pool {
                    p.close();
                }
                r
            });
            self.pool = None;
            self.queue.clear();
            walked?;
        } else {
            self.walk(input, sink)?;
        }
        self.codecs.trim();
        // The walk has read to the end; the last window ends there.
        self.summary.bytes_in = fetch(input, u64::MAX - 1, u64::MAX)?.end();
        let summary = std::mem::take(&mut self.summary);
        sink.finish(&summary).map_err(Error::Sink)?;
        Ok(summary)
    }

    /// Emits `event` now, or queues it behind blocks still being decoded.
    fn emit<S: Sink>(&mut self, sink: &mut S, event: Event<'static>) -> Result<(), Error> {
        if self.queue.is_empty() {
            emit(sink, &event)
        } else {
            self.queue.push_back(Item::Event(event));
            Ok(())
        }
    }

    /// Delivers what is ready at the front of the queue; with `all`, waits
    /// for every block in flight.
    fn deliver<S: Sink>(&mut self, sink: &mut S, all: bool) -> Result<(), Error> {
        while let Some(item) = self.queue.front() {
            if let Item::Decode { ticket, .. } = item {
                let ticket = *ticket;
                let pool = self.pool.as_mut().ok_or(Error::Worker)?;
                let block = all || !pool.has_room();
                let Some(done) = pool.take(ticket, block)? else {
                    return Ok(());
                };
                let Some(Item::Decode {
                    info,
                    tea,
                    key_id,
                    fits,
                    ..
                }) = self.queue.pop_front()
                else {
                    unreachable!("the front item was a decode")
                };
                if done.raw().redo {
                    // Its text outgrew the batch: decode it here.
                    let key = (key_id, fits);
                    let r = self.decode_here(sink, info, tea, key, done.payload(), None);
                    if let Some(p) = &mut self.pool {
                        p.recycle(done);
                    }
                    r?;
                    continue;
                }
                let kind = info.magic.payload;
                let failed = key_id.is_some() && done.raw().result.is_err();
                let fits = fits || (failed && starts_as_text(done.out()));
                let outcome = self.resolve(kind, key_id, fits, done.raw());
                let (text, worked) = (done.out(), done.worked());
                let r = report_worked(&mut self.summary, sink, info, outcome, text, worked);
                if let Some(p) = &mut self.pool {
                    p.recycle(done);
                }
                r?;
                continue;
            }
            match self.queue.pop_front() {
                Some(Item::Event(e)) => emit(sink, &e)?,
                Some(Item::Plain { info, text }) => {
                    report_ready(&mut self.summary, sink, info, Ready::Plain(&text), false)?
                }
                Some(Item::Locked { info, reason }) => {
                    report_ready(&mut self.summary, sink, info, Ready::Locked(reason), false)?
                }
                _ => unreachable!("decodes are handled above"),
            }
        }
        Ok(())
    }

    fn walk<I: Input, S: Sink>(&mut self, input: &mut I, sink: &mut S) -> Result<(), Error> {
        if self.opts.mmap3 == Mmap3Mode::Always {
            return self.salvage_at(input, 0, sink);
        }
        let Some(mut o) = find_good(input, 0, true, true)? else {
            return self.salvage_at(input, 0, sink);
        };
        loop {
            input.release(o);
            let w = fetch(input, o, o + 1)?;
            if w.at_eof && w.end() <= o {
                return Ok(());
            }
            let (at, next, resynced) = match check_at(input, o)? {
                Check::Good { next } => (o, next, false),
                Check::Bad(reason) => {
                    // A block cut off by the end of the input may be
                    // salvaged after the scan: keep its bytes.
                    let keep = matches!(reason, BadBlock::PastEnd { .. }) && !self.opts.no_salvage;
                    // The official rescan takes any lone plausible block,
                    // often a false one inside compressed data (such as a
                    // cut-off last block's payload). --recover asks for two
                    // in a row, as the official start search does, and for
                    // header hours of 0-23.
                    let strict = self.opts.recover;
                    match find_block(input, o, strict, keep, strict)? {
                        None => {
                            if matches!(reason, BadBlock::PastEnd { .. }) {
                                self.salvage_at(input, o, sink)?;
                            }
                            return Ok(());
                        }
                        Some(p) => {
                            self.summary.skipped += 1;
                            self.summary.skipped_bytes += p - o;
                            let skipped = Event::Skipped {
                                offset: o,
                                len: p - o,
                                reason,
                            };
                            self.emit(sink, skipped)?;
                            match check_at(input, p)? {
                                Check::Good { next } => (p, next, true),
                                _ => unreachable!("find_good returned an offset that checks good"),
                            }
                        }
                    }
                }
                Check::NeedMore(_) => unreachable!("check_at decides"),
            };
            self.block(input, at, next, resynced, sink)?;
            o = next;
        }
    }

    /// Decodes the good block at `at` (ending at `next`) the official way;
    /// `resynced` if the official rescan found it after bad bytes.
    fn block<I: Input, S: Sink>(
        &mut self,
        input: &mut I,
        at: u64,
        next: u64,
        resynced: bool,
        sink: &mut S,
    ) -> Result<(), Error> {
        let false_encrypted = resynced && self.false_encrypted(input, at, next)?;
        let prep = self.prepare_at(input, at, next, false_encrypted)?;
        let w = fetch(input, at, next)?;
        let bytes = w.range(at, next);
        let header = format::parse_header(bytes).expect("a good block has a full header");
        let info = block_info(at, &header);
        // The official seq check, false alarms and all.
        let seq = u32::from(header.seq);
        if seq != 0 && seq != 1 && self.last_seq != 0 && seq != self.last_seq + 1 {
            self.summary.gaps += 1;
            let gap = Event::SeqGap(SeqGap {
                offset: at,
                first: self.last_seq + 1,
                last: seq - 1,
            });
            self.emit(sink, gap)?;
        }
        if seq != 0 {
            self.last_seq = seq;
            let (lo, hi) = self.summary.seq_range.unwrap_or((header.seq, header.seq));
            self.summary.seq_range = Some((lo.min(header.seq), hi.max(header.seq)));
        }
        self.summary.blocks_by_magic[usize::from(header.magic.byte)] += 1;
        self.emit(sink, Event::Block(info))?;
        let hl = header.magic.header_len();
        let payload = &bytes[hl..bytes.len() - 1];
        let queued = !self.queue.is_empty();
        match prep {
            Prep::Plain if queued => self.queue.push_back(Item::Plain {
                info,
                text: payload.to_vec(),
            }),
            Prep::Plain => {
                report_ready(&mut self.summary, sink, info, Ready::Plain(payload), false)?
            }
            Prep::Locked(reason) if queued => self.queue.push_back(Item::Locked { info, reason }),
            Prep::Locked(reason) => {
                report_ready(&mut self.summary, sink, info, Ready::Locked(reason), false)?
            }
            Prep::Decode { tea, key_id, fits } => {
                let cap = self.max_block_output;
                if let Some(pool) = &mut self.pool {
                    if !pool.has_room() {
                        self.deliver(sink, false)?;
                    }
                    let pool = self.pool.as_mut().ok_or(Error::Worker)?;
                    let ticket = pool.submit(info.magic.payload, tea, payload, cap)?;
                    self.queue.push_back(Item::Decode {
                        info,
                        ticket,
                        tea,
                        key_id,
                        fits,
                    });
                    return self.deliver(sink, false);
                }
                self.decode_here(sink, info, tea, (key_id, fits), payload, None)?;
            }
        }
        Ok(())
    }

    /// Decodes a payload on the calling thread and reports it. Its text
    /// is decoded in memory up to [`IN_MEMORY`] bytes. A longer text is
    /// never held: the payload is decoded in chunks twice, first to learn
    /// how it ends (the text of a block that fails is not shown, as the
    /// official decoder shows none), then to deliver the text chunk by
    /// chunk. `full_len` is set for a salvaged block (what its header
    /// claims of a payload that may be cut): its text before a failure is
    /// kept.
    fn decode_here<S: Sink>(
        &mut self,
        sink: &mut S,
        info: BlockInfo,
        tea: Option<TeaKey>,
        (key_id, fits): (Option<[u8; 64]>, bool),
        payload: &[u8],
        full_len: Option<u64>,
    ) -> Result<(), Error> {
        let kind = info.magic.payload;
        let cap = self.max_block_output;
        let bound = cap.min(IN_MEMORY);
        let salvaged = full_len.is_some();
        let encoded = Encoded {
            kind,
            tea_key: tea.as_ref(),
            bytes: payload,
            full_len,
        };
        let raw = self.codecs.run(encoded, bound);
        let long = bound < cap && raw.result == Ok(Decoded::Capped);
        let (raw, len) = if long {
            let mut len = 0;
            let mut count = |t: &[u8]| {
                len += t.len();
                Ok(())
            };
            let codecs = &mut self.codecs;
            let raw = codecs.stream(encoded, cap, &mut count);
            (raw.map_err(Error::Sink)?, len)
        } else {
            (raw, self.codecs.out.len())
        };
        // The text decoded in memory starts the block's text, long or not.
        let failed = key_id.is_some() && raw.result.is_err();
        let fits = fits || (failed && starts_as_text(&self.codecs.out));
        let outcome = self.resolve(kind, key_id, fits, &raw);
        let outcome = match outcome {
            // A block that failed, or inflated quietly into text that is
            // not records: --recover keeps its intact lines.
            Outcome::Failed(m) if self.opts.recover && !salvaged => {
                close(&mut self.summary, sink, info, Outcome::Failed(m), 0)?;
                let rec = &mut self.recoverer;
                let r = recover::block(rec, info, payload, tea.as_ref(), true, sink);
                self.summary.bytes_out += r.map_err(Error::Sink)?.unwrap_or(0);
                return Ok(());
            }
            Outcome::Text { capped: false } if self.opts.recover && !salvaged => {
                let rec = &mut self.recoverer;
                let r = recover::block(rec, info, payload, tea.as_ref(), false, sink);
                if let Some(n) = r.map_err(Error::Sink)? {
                    self.summary.bytes_out += n;
                    return Ok(());
                }
                Outcome::Text { capped: false }
            }
            o => o,
        };
        if !long {
            let text = &self.codecs.out;
            return report(&mut self.summary, sink, info, outcome, text, salvaged);
        }
        if outcome.shows_text(salvaged) {
            let summary = &mut self.summary;
            let mut deliver = |t: &[u8]| {
                summary.bytes_out += t.len() as u64;
                sink.event(&Event::Text(t))
            };
            let codecs = &mut self.codecs;
            codecs
                .stream(encoded, cap, &mut deliver)
                .map_err(Error::Sink)?;
        }
        close(&mut self.summary, sink, info, outcome, len as u64)
    }

    /// Decodes the block at `at` that the official walk cannot use: a
    /// crash buffer's only block, or a last block cut off by the end of
    /// the input. Decodes as much of its payload as is there.
    fn salvage_at<I: Input, S: Sink>(
        &mut self,
        input: &mut I,
        at: u64,
        sink: &mut S,
    ) -> Result<(), Error> {
        if self.opts.no_salvage {
            return Ok(());
        }
        // Everything before it goes out first.
        if self.pool.is_some() {
            self.deliver(sink, true)?;
        }
        let w = fetch(input, at, at + format::HEADER_LEN as u64 + 2)?;
        let Some(header) = format::parse_header(w.range(at, w.end())) else {
            return Ok(());
        };
        let hl = header.magic.header_len() as u64;
        let want = at + hl + u64::from(header.len);
        let w = fetch(input, at, want)?;
        let header = format::parse_header(w.range(at, w.end())).expect("parsed above");
        let size_known = w.at_eof;
        let have = w.end().min(want).saturating_sub(at + hl);
        if have == 0 {
            return Ok(());
        }
        let info = block_info(at, &header);
        let how = if self.opts.mmap3 == Mmap3Mode::Always
            || (size_known && w.end() == MMAP3_SIZE && have == u64::from(header.len))
        {
            Salvage::Mmap3
        } else {
            Salvage::Truncated { have }
        };
        let payload = w.range(at + hl, at + hl + have);
        self.summary.salvaged += 1;
        self.summary.blocks_by_magic[usize::from(header.magic.byte)] += 1;
        emit(sink, &Event::Salvaged { block: info, how })?;
        let mut prep = self.prepare(&info, header.key);
        if let Prep::Decode {
            tea: Some(tea),
            key_id: Some(id),
            fits,
        } = &mut prep
        {
            // What is there of the encrypted units.
            let enc = (u64::from(header.len) / 8 * 8).min(have) as usize;
            *fits = *fits || self.payload_fits(*id, header.magic.payload, tea, payload, enc);
        }
        match prep {
            Prep::Plain => report_ready(&mut self.summary, sink, info, Ready::Plain(payload), true),
            Prep::Locked(reason) => {
                report_ready(&mut self.summary, sink, info, Ready::Locked(reason), true)
            }
            Prep::Decode { tea, key_id, fits } => {
                let full_len = Some(u64::from(header.len));
                self.decode_here(sink, info, tea, (key_id, fits), payload, full_len)
            }
        }
    }
}

/// Decodes `data` and renders it as the official decoder's text (with
/// xlogdec's own markers for what it does better). A convenience for
/// tests and small inputs.
pub fn decode_to_vec(data: &[u8], opts: Options) -> Vec<u8> {
    let mut out = crate::decode::text::TextSink::new(Vec::new(), true);
    Decoder::new(opts)
        .decode_slice(data, &mut out)
        .expect("decoding into memory cannot fail");
    out.into_inner()
}
