//! The streaming decoder: walks the blocks of an input exactly as Mars's
//! official decoder does (start search, resync, seq check), decodes each
//! payload, and reports everything to a [`Sink`].
//!
//! Where the official decoder silently loses text (a cut-off last block, a
//! `.mmap3` crash buffer) this decoder salvages it, after everything the
//! official decoder would print, so the official output stays a prefix.

use crate::codec::{self, Inflater, PrivateKey, TeaKey, ZstdDecoder, tea};
use crate::event::{BlockInfo, Event, LockReason, Salvage, Sink};
use crate::format::{self, BadBlock, Check, MMAP3_SIZE, Payload, check_block, is_magic};
use crate::input::{Input, SliceInput};
use crate::recover::{self, Recoverer};
use std::collections::HashMap;
use std::io;

/// How many bytes the resync scan looks at per fetch.
const SCAN_STEP: u64 = 64 * 1024;
/// An encrypted deflate block that fails before yielding this many bytes,
/// under a key that has never decoded a block, is taken as a wrong key.
const WRONG_KEY_OUTPUT: usize = 64;
/// zstd's frame magic, what a correctly decrypted 0x0C payload starts with.
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xB5, 0x2F, 0xFD];

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
    /// Recover what the official decoder drops from a block that fails to
    /// decompress: restart at the writer's per-line flush points and keep
    /// every line that parses (see [`crate::recover`]).
    pub recover: bool,
}

/// Counts gathered while decoding one input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Input size in bytes.
    pub bytes_in: u64,
    /// Decoded text bytes delivered to the sink.
    pub bytes_out: u64,
    /// Blocks decoded, by magic byte (index = magic).
    pub blocks_by_magic: [u64; 16],
    /// Lowest and highest non-zero seq seen.
    pub seq_range: Option<(u16, u16)>,
    /// Seq gaps reported.
    pub gaps: u64,
    /// Ranges skipped to resynchronise.
    pub skipped: u64,
    /// Bytes in those ranges.
    pub skipped_bytes: u64,
    /// Blocks whose payload failed to decompress.
    pub decompress_errors: u64,
    /// Encrypted blocks left undecoded.
    pub locked: u64,
    /// Blocks salvaged beyond the official decoder.
    pub salvaged: u64,
}

impl Summary {
    /// Total blocks decoded.
    pub fn blocks(&self) -> u64 {
        self.blocks_by_magic.iter().sum()
    }

    /// Whether any integrity problem was found.
    pub fn has_problems(&self) -> bool {
        self.gaps + self.skipped + self.decompress_errors + self.locked + self.salvaged > 0
    }
}

/// What became of one payload.
enum Outcome {
    /// Text is in `Decoder::out` (or is the plain payload itself).
    Text,
    /// The payload did not decompress.
    Failed(String),
    /// Encrypted and not decodable.
    Locked(LockReason),
}

/// What is known of one writer key (the 64-byte key field).
#[derive(Clone, Copy)]
struct KeyState {
    tea: Option<TeaKey>,
    /// A block under this key has decoded cleanly.
    verified: bool,
}

/// The decoder. Reusable across inputs; keeps its codec state and buffers.
pub struct Decoder {
    opts: Options,
    inflater: Inflater,
    zstd: ZstdDecoder,
    recoverer: Recoverer,
    /// Text of a block `--recover` re-reads (the block's own text stays
    /// in `out` until it is known to be sound).
    scratch_out: Vec<u8>,
    keys: HashMap<[u8; 64], KeyState>,
    out: Vec<u8>,
    scratch: Vec<u8>,
    last_seq: u32,
    summary: Summary,
}

impl Decoder {
    /// A decoder with the given options.
    pub fn new(opts: Options) -> Decoder {
        Decoder {
            opts,
            inflater: Inflater::new(),
            zstd: ZstdDecoder::new(),
            recoverer: Recoverer::new(),
            scratch_out: Vec::new(),
            keys: HashMap::new(),
            out: Vec::new(),
            scratch: Vec::new(),
            last_seq: 0,
            summary: Summary::default(),
        }
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
        self.walk(input, sink)?;
        // The walk has read to the end; the last window ends there.
        self.summary.bytes_in = fetch(input, u64::MAX - 1, u64::MAX)?.end();
        let summary = std::mem::take(&mut self.summary);
        sink.finish(&summary).map_err(Error::Sink)?;
        Ok(summary)
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
            let (at, next) = match check_at(input, o)? {
                Check::Good { next } => (o, next),
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
                            emit(
                                sink,
                                &Event::Skipped {
                                    offset: o,
                                    len: p - o,
                                    reason,
                                },
                            )?;
                            match check_at(input, p)? {
                                Check::Good { next } => (p, next),
                                _ => unreachable!("find_good returned an offset that checks good"),
                            }
                        }
                    }
                }
                Check::NeedMore(_) => unreachable!("check_at decides"),
            };
            self.block(input, at, next, sink)?;
            o = next;
        }
    }

    /// Decodes the good block at `at` (ending at `next`) the official way.
    fn block<I: Input, S: Sink>(
        &mut self,
        input: &mut I,
        at: u64,
        next: u64,
        sink: &mut S,
    ) -> Result<(), Error> {
        let w = fetch(input, at, next)?;
        let bytes = w.range(at, next);
        let header = format::parse_header(bytes).expect("a good block has a full header");
        let info = BlockInfo {
            offset: at,
            magic: header.magic,
            seq: header.seq,
            begin_hour: header.begin_hour,
            end_hour: header.end_hour,
            len: header.len,
        };
        // The official seq check, false alarms and all.
        let seq = u32::from(header.seq);
        if seq != 0 && seq != 1 && self.last_seq != 0 && seq != self.last_seq + 1 {
            self.summary.gaps += 1;
            emit(
                sink,
                &Event::SeqGap {
                    offset: at,
                    first: self.last_seq + 1,
                    last: seq - 1,
                },
            )?;
        }
        if seq != 0 {
            self.last_seq = seq;
            let (lo, hi) = self.summary.seq_range.unwrap_or((header.seq, header.seq));
            self.summary.seq_range = Some((lo.min(header.seq), hi.max(header.seq)));
        }
        self.summary.blocks_by_magic[usize::from(header.magic.byte)] += 1;
        emit(sink, &Event::Block(info))?;
        let hl = header.magic.header_len();
        let payload = &bytes[hl..bytes.len() - 1];
        let key = header.key;
        let outcome = self.payload(&info, key, payload, None);
        self.report(info, outcome, payload, sink, false)
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
        let info = BlockInfo {
            offset: at,
            magic: header.magic,
            seq: header.seq,
            begin_hour: header.begin_hour,
            end_hour: header.end_hour,
            len: header.len,
        };
        let how = if self.opts.mmap3 == Mmap3Mode::Always
            || (size_known && w.end() == MMAP3_SIZE && have == u64::from(header.len))
        {
            Salvage::Mmap3
        } else {
            Salvage::Truncated { have }
        };
        let key = header.key;
        let payload = w.range(at + hl, at + hl + have);
        self.summary.salvaged += 1;
        self.summary.blocks_by_magic[usize::from(header.magic.byte)] += 1;
        emit(sink, &Event::Salvaged { block: info, how })?;
        let outcome = self.payload(&info, key, payload, Some(u64::from(header.len)));
        self.report(info, outcome, payload, sink, true)
    }

    /// Turns a payload outcome into events.
    fn report<S: Sink>(
        &mut self,
        info: BlockInfo,
        outcome: Outcome,
        payload: &[u8],
        sink: &mut S,
        keep_partial: bool,
    ) -> Result<(), Error> {
        match outcome {
            Outcome::Text => {
                if self.opts.recover && !keep_partial && info.magic.payload != Payload::Plain {
                    // Damage can also inflate quietly into garbage.
                    let (rec, scratch) = (&mut self.recoverer, &self.scratch);
                    let mut tmp = std::mem::take(&mut self.scratch_out);
                    let r = recover::check_decoded(rec, info, payload, scratch, &mut tmp, sink);
                    self.scratch_out = tmp;
                    if let Some(n) = r.map_err(Error::Sink)? {
                        self.summary.bytes_out += n;
                        return Ok(());
                    }
                }
                let text: &[u8] = if info.magic.payload == Payload::Plain {
                    payload
                } else {
                    &self.out
                };
                if !text.is_empty() {
                    self.summary.bytes_out += text.len() as u64;
                    emit(sink, &Event::Text(text))?;
                }
            }
            Outcome::Failed(message) => {
                if keep_partial && !self.out.is_empty() {
                    self.summary.bytes_out += self.out.len() as u64;
                    emit(sink, &Event::Text(&self.out))?;
                }
                self.summary.decompress_errors += 1;
                emit(
                    sink,
                    &Event::DecompressError {
                        block: info,
                        message,
                    },
                )?;
                if self.opts.recover && !keep_partial {
                    let (rec, scratch, out) = (&mut self.recoverer, &self.scratch, &mut self.out);
                    self.summary.bytes_out +=
                        recover::block(rec, info, payload, scratch, out, sink)
                            .map_err(Error::Sink)?;
                }
            }
            Outcome::Locked(reason) => {
                self.summary.locked += 1;
                emit(
                    sink,
                    &Event::Locked {
                        block: info,
                        reason,
                    },
                )?;
            }
        }
        Ok(())
    }

    /// Decodes one payload into `self.out` (plain payloads are left where
    /// they are). `full_len` is set for a salvaged, possibly cut, payload:
    /// the length the header claims.
    fn payload(
        &mut self,
        info: &BlockInfo,
        key: &[u8],
        payload: &[u8],
        full_len: Option<u64>,
    ) -> Outcome {
        self.out.clear();
        let r = match info.magic.payload {
            Payload::Plain => Ok(()),
            Payload::Deflate => self.inflater.inflate(payload, &mut self.out),
            Payload::ChunkedDeflate => {
                self.scratch.clear();
                match codec::join_chunks(payload, &mut self.scratch) {
                    Ok(()) => self.inflater.inflate(&self.scratch, &mut self.out),
                    Err(e) => Err(e),
                }
            }
            Payload::Zstd => self.zstd.decode(payload, &mut self.out),
            Payload::EncryptedDeflate | Payload::EncryptedZstd => {
                return self.encrypted(info, key, payload, full_len);
            }
        };
        match r {
            Ok(()) => Outcome::Text,
            Err(m) => Outcome::Failed(m),
        }
    }

    fn encrypted(
        &mut self,
        info: &BlockInfo,
        key: &[u8],
        payload: &[u8],
        full_len: Option<u64>,
    ) -> Outcome {
        let Some(private) = &self.opts.key else {
            return Outcome::Locked(LockReason::NoKey);
        };
        let mut id = [0u8; 64];
        id.copy_from_slice(&key[..64]);
        let state = *self.keys.entry(id).or_insert_with(|| KeyState {
            tea: private.tea_key(key).ok(),
            verified: false,
        });
        let Some(tea_key) = state.tea else {
            return Outcome::Locked(LockReason::BadPublicKey);
        };
        self.scratch.clear();
        self.scratch.extend_from_slice(payload);
        // The writer encrypts every whole 8-byte unit of the full payload
        // and leaves its last len % 8 bytes plain. Of a cut payload, keep
        // the whole units, plus the plain tail if the cut is inside it.
        let usable = match full_len {
            None => payload.len(),
            Some(full) => {
                let enc = (full / 8 * 8) as usize;
                if payload.len() > enc {
                    payload.len()
                } else {
                    payload.len() / 8 * 8
                }
            }
        };
        self.scratch.truncate(usable);
        tea::decrypt(&mut self.scratch, &tea_key);
        let r = if info.magic.payload == Payload::EncryptedZstd {
            if !state.verified && self.scratch.len() >= 4 && self.scratch[..4] != ZSTD_MAGIC {
                return Outcome::Locked(LockReason::WrongKey);
            }
            self.zstd.decode(&self.scratch, &mut self.out)
        } else {
            self.inflater.inflate(&self.scratch, &mut self.out)
        };
        match r {
            Ok(()) => {
                if let Some(s) = self.keys.get_mut(&id) {
                    s.verified = true;
                }
                Outcome::Text
            }
            Err(_) if !state.verified && self.out.len() < WRONG_KEY_OUTPUT => {
                Outcome::Locked(LockReason::WrongKey)
            }
            Err(m) => Outcome::Failed(m),
        }
    }
}

fn emit<S: Sink>(sink: &mut S, e: &Event<'_>) -> Result<(), Error> {
    sink.event(e).map_err(Error::Sink)
}

fn fetch<I: Input>(input: &mut I, from: u64, to: u64) -> Result<crate::input::Window<'_>, Error> {
    input.fetch(from, to).map_err(|source| Error::Read {
        offset: from,
        source,
    })
}

/// The official single-block check at `at`, reading as far as it needs.
fn check_at<I: Input>(input: &mut I, at: u64) -> Result<Check, Error> {
    let mut need = at + format::HEADER_LEN as u64 + 2;
    loop {
        let w = fetch(input, at, need)?;
        match check_block(w.bytes, w.base, at, w.at_eof) {
            Check::NeedMore(n) => need = n,
            c => return Ok(c),
        }
    }
}

/// The official start search from `from`: the first offset holding a good
/// block; with `pair`, one whose next block is good too (or that ends the
/// input). Releases what it scans past, unless `keep` asks to keep the
/// bytes from `from` on (a salvage of the block there may follow).
fn find_good<I: Input>(
    input: &mut I,
    from: u64,
    pair: bool,
    keep: bool,
) -> Result<Option<u64>, Error> {
    find_block(input, from, pair, keep, false)
}

/// [`find_good`]; `strict` also wants header hours a clock can show
/// (0-23), which false blocks inside compressed data rarely have.
fn find_block<I: Input>(
    input: &mut I,
    from: u64,
    pair: bool,
    keep: bool,
    strict: bool,
) -> Result<Option<u64>, Error> {
    let mut p = from;
    loop {
        input.release(if keep { from } else { p });
        let w = fetch(input, p, p + SCAN_STEP)?;
        let avail = w.range(p, w.end());
        if avail.is_empty() {
            if w.at_eof {
                return Ok(None);
            }
            continue;
        }
        let Some(i) = avail.iter().position(|&b| is_magic(b)) else {
            p += avail.len() as u64;
            continue;
        };
        let q = p + i as u64;
        if let Check::Good { next } = check_at(input, q)?
            && (!pair || matches!(check_at(input, next)?, Check::Good { .. }))
            && (!strict || plausible_hours(input, q)?)
        {
            return Ok(Some(q));
        }
        p = q + 1;
    }
}

/// Whether the block header at `at` (checked good) has begin and end
/// hours of 0-23.
fn plausible_hours<I: Input>(input: &mut I, at: u64) -> Result<bool, Error> {
    let w = fetch(input, at, at + 5)?;
    Ok(w.range(at + 3, at + 5).iter().all(|&h| h < 24))
}

/// Decodes `data` and renders it as the official decoder's text (with
/// xlogdec's own markers for what it does better). A convenience for
/// tests and small inputs.
pub fn decode_to_vec(data: &[u8], opts: Options) -> Vec<u8> {
    let mut out = crate::text::TextSink::new(Vec::new(), true);
    Decoder::new(opts)
        .decode_slice(data, &mut out)
        .expect("decoding into memory cannot fail");
    out.into_inner()
}
