//! Block payloads decoded on worker threads.
//!
//! The reader walks the blocks on its own thread (the walk is cheap) and
//! hands each compressed payload to a pool of workers; it delivers their
//! results to the sink in input order, making every decision that depends
//! on earlier blocks (which keys have proven right) as it delivers them.
//! So the events are the same, in the same order, for any number of jobs.
//! Consecutive blocks travel in batches (up to [`BATCH_BYTES`] of payload or
//! [`BATCH_BLOCKS`] blocks), so that the hand-over costs little next to the
//! decoding even when blocks are small; batches and their buffers are
//! reused. At most a fixed number of batches is in flight, and a batch
//! holds at most [`BATCH_TEXT`] of text (a block that would take it
//! further is handed back and decoded, in chunks if need be, by the
//! delivering thread), which bounds memory by jobs × batch size.

use crate::decode::ahead::{BlockHook, HookResults, KEEP_RESULTS, Worked};
use crate::decode::codec::{self, Chunks, Codec, Decoded, Inflater, TeaKey, ZstdDecoder, tea};
use crate::decode::format::Payload;
use std::collections::HashMap;
use std::io;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};

/// zstd's frame magic, what a correctly decrypted 0x0C payload starts with.
pub(crate) const ZSTD_MAGIC: [u8; 4] = [0x28, 0xB5, 0x2F, 0xFD];
/// Output buffers larger than this are not kept between blocks (a huge
/// block must not pin its memory for the rest of the input).
const KEEP_CAPACITY: usize = 4 << 20;
/// The most text a block decodes to in memory. A block whose text is
/// longer is decoded again in chunks, on the thread that delivers it
/// (see [`Codecs::stream`]): real blocks stay far below this.
pub(crate) const IN_MEMORY: usize = 4 << 20;
/// The size of the chunks a longer block's text is delivered in.
pub(crate) const TEXT_CHUNK: usize = 1 << 20;
/// The most text one batch holds: a block that would take the batch past
/// it is handed back undecoded, to be decoded on the delivering thread.
const BATCH_TEXT: usize = 8 << 20;

/// One block's payload, as its header describes it.
#[derive(Clone, Copy)]
pub(crate) struct Encoded<'a> {
    /// How the payload is compressed and encrypted.
    pub(crate) kind: Payload,
    /// The key of an encrypted payload, if one is known.
    pub(crate) tea_key: Option<&'a TeaKey>,
    /// The payload's bytes.
    pub(crate) bytes: &'a [u8],
    /// Set for a salvaged, possibly cut, payload: the length its header
    /// claims.
    pub(crate) full_len: Option<u64>,
}

/// One thread's codecs.
struct Decoders {
    inflater: Inflater,
    zstd: ZstdDecoder,
}

impl Decoders {
    /// The codec of a payload of `kind`; `None` for plain text.
    fn of(&mut self, kind: Payload) -> Option<&mut dyn Codec> {
        match kind {
            Payload::Plain => None,
            Payload::Zstd | Payload::EncryptedZstd => Some(&mut self.zstd),
            Payload::Deflate | Payload::ChunkedDeflate | Payload::EncryptedDeflate => {
                Some(&mut self.inflater)
            }
        }
    }
}

/// One thread's codecs and buffers.
pub(crate) struct Codecs {
    decoders: Decoders,
    /// The decoded text of the last payload.
    pub(crate) out: Vec<u8>,
    scratch: Vec<u8>,
    /// The buffer of [`Codecs::stream`].
    chunk: Vec<u8>,
}

/// What decoding one payload gave, before the decisions made in order.
pub(crate) struct Raw {
    /// How the codec ended.
    pub(crate) result: Result<Decoded, String>,
    /// An encrypted zstd payload that, decrypted, does not start like a
    /// zstd frame (a sign of a wrong key).
    pub(crate) not_zstd: bool,
    /// A worker left the payload undecoded: its text outgrew what a
    /// batch may hold. The delivering thread decodes it.
    pub(crate) redo: bool,
}

impl Raw {
    fn new(result: Result<Decoded, String>, not_zstd: bool) -> Raw {
        Raw {
            result,
            not_zstd,
            redo: false,
        }
    }
}

impl Codecs {
    pub(crate) fn new() -> Codecs {
        Codecs {
            decoders: Decoders {
                inflater: Inflater::new(),
                zstd: ZstdDecoder::new(),
            },
            out: Vec::new(),
            scratch: Vec::new(),
            chunk: Vec::new(),
        }
    }

    /// Decodes one compressed payload into `self.out`, at most `cap`
    /// bytes.
    pub(crate) fn run(&mut self, payload: Encoded<'_>, cap: usize) -> Raw {
        let mut out = std::mem::take(&mut self.out);
        out.clear();
        let raw = self.append(payload, cap, &mut out);
        self.out = out;
        raw
    }

    /// [`Codecs::run`], appending the text to `out` (the cap counts from
    /// the end of what `out` already holds).
    fn append(&mut self, payload: Encoded<'_>, cap: usize, out: &mut Vec<u8>) -> Raw {
        let input = match codec_input(&mut self.scratch, payload) {
            Ok(input) => input,
            Err(e) => return Raw::new(Err(e), false),
        };
        let not_zstd = not_zstd(payload.kind, input);
        let result = match self.decoders.of(payload.kind) {
            None => Ok(Decoded::All),
            Some(codec) => codec.decode_capped(input, out, cap),
        };
        Raw::new(result, not_zstd)
    }

    /// [`Codecs::run`] for a payload whose text is too long to hold: hands
    /// the text to `emit` in chunks of at most [`TEXT_CHUNK`] bytes. An
    /// error from `emit` stops decoding and is returned.
    pub(crate) fn stream(
        &mut self,
        payload: Encoded<'_>,
        cap: usize,
        emit: &mut dyn FnMut(&[u8]) -> io::Result<()>,
    ) -> io::Result<Raw> {
        let input = match codec_input(&mut self.scratch, payload) {
            Ok(input) => input,
            Err(e) => return Ok(Raw::new(Err(e), false)),
        };
        let not_zstd = not_zstd(payload.kind, input);
        self.chunk.resize(TEXT_CHUNK, 0);
        let result = match self.decoders.of(payload.kind) {
            None => Ok(Decoded::All),
            Some(codec) => {
                codec.decode_chunks(input, &mut Chunks::new(&mut self.chunk, cap, emit))?
            }
        };
        Ok(Raw::new(result, not_zstd))
    }

    /// Drops buffers a huge block left behind.
    pub(crate) fn trim(&mut self) {
        if self.out.capacity() > KEEP_CAPACITY {
            self.out = Vec::new();
        }
        if self.scratch.capacity() > KEEP_CAPACITY {
            self.scratch = Vec::new();
        }
        self.chunk = Vec::new();
    }
}

/// The bytes a payload's codec reads: the payload itself, its legacy
/// chunks joined, or its decryption (in `scratch`).
fn codec_input<'a>(scratch: &'a mut Vec<u8>, encoded: Encoded<'a>) -> Result<&'a [u8], String> {
    let Encoded {
        kind,
        tea_key,
        bytes: payload,
        full_len,
    } = encoded;
    match kind {
        Payload::ChunkedDeflate => {
            scratch.clear();
            codec::join_chunks(payload, scratch)?;
            Ok(scratch)
        }
        Payload::EncryptedDeflate | Payload::EncryptedZstd => {
            scratch.clear();
            scratch.extend_from_slice(payload);
            // The writer encrypts every whole 8-byte unit of the full
            // payload and leaves its last len % 8 bytes plain. Of a cut
            // payload, keep the whole units, plus the plain tail if the
            // cut is inside it.
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
            scratch.truncate(usable);
            if let Some(k) = tea_key {
                tea::decrypt(scratch, k);
            }
            Ok(scratch)
        }
        Payload::Plain | Payload::Deflate | Payload::Zstd => Ok(payload),
    }
}

/// Whether `input`, the decryption of an encrypted zstd payload, does not
/// start like a zstd frame.
fn not_zstd(kind: Payload, input: &[u8]) -> bool {
    kind == Payload::EncryptedZstd && input.len() >= 4 && input[..4] != ZSTD_MAGIC
}

/// Payload bytes that close a batch.
pub(crate) const BATCH_BYTES: usize = 256 << 10;
/// Blocks that close a batch.
pub(crate) const BATCH_BLOCKS: usize = 128;
/// A batch whose buffers grew beyond this is not reused.
const KEEP_BATCH: usize = 16 << 20;

/// One block of a batch.
struct Spec {
    kind: Payload,
    tea: Option<TeaKey>,
    /// End of its payload in [`Batch::payloads`].
    end: usize,
    cap: usize,
}

/// Consecutive payloads to decode, and then their results.
#[derive(Default)]
struct Batch {
    /// Ticket of the first block.
    first: u64,
    /// The payloads, end to end.
    payloads: Vec<u8>,
    specs: Vec<Spec>,
    /// The decoded texts, end to end.
    out: Vec<u8>,
    /// Per block: how the codec ended, and the end of its text in `out`.
    results: Vec<(Raw, usize)>,
    /// What the sink's [`BlockHook`] computed on the blocks' texts (made
    /// by the first worker that has the batch).
    worked: Option<Box<dyn HookResults>>,
    /// The worker panicked on this batch.
    panicked: bool,
}

impl Batch {
    fn clear(&mut self) {
        self.payloads.clear();
        self.specs.clear();
        self.out.clear();
        self.results.clear();
        if let Some(w) = &mut self.worked {
            w.clear();
        }
        self.panicked = false;
    }

    fn too_big(&self) -> bool {
        self.payloads.capacity() > KEEP_BATCH
            || self.out.capacity() > KEEP_BATCH
            || self
                .worked
                .as_ref()
                .is_some_and(|w| w.too_big(KEEP_RESULTS))
    }
}

/// A decoded payload (one block of a batch).
pub(crate) struct Done {
    batch: Batch,
    index: usize,
}

impl Done {
    /// How the codec ended.
    pub(crate) fn raw(&self) -> &Raw {
        &self.batch.results[self.index].0
    }

    /// The payload (decoded again on the delivering thread when
    /// [`Raw::redo`] is set).
    pub(crate) fn payload(&self) -> &[u8] {
        let start = match self.index {
            0 => 0,
            i => self.batch.specs[i - 1].end,
        };
        &self.batch.payloads[start..self.batch.specs[self.index].end]
    }

    /// The decoded text.
    pub(crate) fn out(&self) -> &[u8] {
        let start = match self.index {
            0 => 0,
            i => self.batch.results[i - 1].1,
        };
        &self.batch.out[start..self.batch.results[self.index].1]
    }

    /// What the sink's [`BlockHook`] computed on the text (none without
    /// a hook).
    pub(crate) fn worked(&self) -> Option<Worked<'_>> {
        let results = self.batch.worked.as_deref()?;
        Some(Worked {
            results,
            block: self.index,
        })
    }
}

/// The reader's end of the worker pool.
pub(crate) struct Pool {
    jobs: Option<Sender<Batch>>,
    done: Receiver<Batch>,
    /// The next ticket.
    next: u64,
    /// The batch being filled.
    open: Batch,
    /// Batches sent and not wholly delivered.
    in_flight: usize,
    limit: usize,
    /// Decoded batches by first ticket.
    arrived: HashMap<u64, Batch>,
    /// The batch being delivered.
    current: Option<Batch>,
    free: Vec<Batch>,
}

/// The worker side: what each spawned thread runs.
pub(crate) struct Worker {
    jobs: Arc<Mutex<Receiver<Batch>>>,
    done: Sender<Batch>,
    hook: Option<Arc<dyn BlockHook>>,
}

impl Worker {
    /// Decodes batches until the pool is dropped.
    pub(crate) fn run(self) {
        let mut codecs = Codecs::new();
        let mut hooked = self.hook.as_ref().map(|h| (h, h.worker()));
        loop {
            let mut batch = {
                let Ok(rx) = self.jobs.lock() else { return };
                match rx.recv() {
                    Ok(batch) => batch,
                    Err(_) => return, // the pool is gone
                }
            };
            // A panic here would leave the reader waiting for this batch
            // forever: report it instead, and end.
            let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let Batch {
                    payloads,
                    specs,
                    out,
                    results,
                    worked,
                    ..
                } = &mut batch;
                let mut start = 0;
                for s in specs.iter() {
                    let payload = &payloads[start..s.end];
                    start = s.end;
                    // Decode no further than the batch may hold; past
                    // that, hand the block back.
                    let before = out.len();
                    let bound = s.cap.min(IN_MEMORY).min(BATCH_TEXT.saturating_sub(before));
                    let payload = Encoded {
                        kind: s.kind,
                        tea_key: s.tea.as_ref(),
                        bytes: payload,
                        full_len: None,
                    };
                    let mut raw = codecs.append(payload, bound, out);
                    if bound < s.cap && raw.result == Ok(Decoded::Capped) {
                        out.truncate(before);
                        raw.redo = true;
                    }
                    if let Some((hook, worker)) = &mut hooked {
                        let w = worked.get_or_insert_with(|| hook.results());
                        if raw.result.is_ok() {
                            worker.work(&out[before..], &mut **w);
                        }
                        w.end_block();
                    }
                    results.push((raw, out.len()));
                }
            }));
            codecs.trim();
            let panicked = run.is_err();
            batch.panicked = panicked;
            if self.done.send(batch).is_err() || panicked {
                return;
            }
        }
    }
}

/// A pool of `threads` workers (to be spawned by the caller) that keeps at
/// most `2 × threads` batches in flight. With a `hook`, the workers also
/// run it on the texts they decode.
pub(crate) fn pool(threads: usize, hook: Option<Arc<dyn BlockHook>>) -> (Pool, Vec<Worker>) {
    let (job_tx, job_rx) = channel();
    let (done_tx, done_rx) = channel();
    let job_rx = Arc::new(Mutex::new(job_rx));
    let workers = (0..threads)
        .map(|_| Worker {
            jobs: Arc::clone(&job_rx),
            done: done_tx.clone(),
            hook: hook.clone(),
        })
        .collect();
    let pool = Pool {
        jobs: Some(job_tx),
        done: done_rx,
        next: 0,
        open: Batch::default(),
        in_flight: 0,
        limit: 2 * threads,
        arrived: HashMap::new(),
        current: None,
        free: Vec::new(),
    };
    (pool, workers)
}

/// The workers stopped (a worker thread panicked).
#[derive(Debug)]
pub(crate) struct WorkersGone;

impl Pool {
    /// Whether another block may be submitted without exceeding the limit.
    pub(crate) fn has_room(&self) -> bool {
        self.in_flight < self.limit
    }

    /// Queues a payload; returns its ticket. The payload travels with the
    /// next batch, sent once full or when its result is waited for.
    pub(crate) fn submit(
        &mut self,
        kind: Payload,
        tea: Option<TeaKey>,
        payload: &[u8],
        cap: usize,
    ) -> Result<u64, WorkersGone> {
        let ticket = self.next;
        self.next += 1;
        if self.open.specs.is_empty() {
            self.open.first = ticket;
        }
        self.open.payloads.extend_from_slice(payload);
        self.open.specs.push(Spec {
            kind,
            tea,
            end: self.open.payloads.len(),
            cap,
        });
        if self.open.payloads.len() >= BATCH_BYTES || self.open.specs.len() >= BATCH_BLOCKS {
            self.flush()?;
        }
        Ok(ticket)
    }

    /// Sends the open batch, if it holds anything.
    fn flush(&mut self) -> Result<(), WorkersGone> {
        if self.open.specs.is_empty() {
            return Ok(());
        }
        let fresh = self.free.pop().unwrap_or_default();
        let batch = std::mem::replace(&mut self.open, fresh);
        self.jobs
            .as_ref()
            .ok_or(WorkersGone)?
            .send(batch)
            .map_err(|_| WorkersGone)?;
        self.in_flight += 1;
        Ok(())
    }

    /// The result for `ticket` (tickets are taken in order): waits for it
    /// if `block`, else returns `None` when it has not arrived yet.
    pub(crate) fn take(&mut self, ticket: u64, block: bool) -> Result<Option<Done>, WorkersGone> {
        if let Some(b) = self.current.take() {
            let index = ticket.wrapping_sub(b.first) as usize;
            if index < b.results.len() {
                return Ok(Some(Done { batch: b, index }));
            }
            self.finished(b);
        }
        if !self.open.specs.is_empty() && ticket >= self.open.first {
            if !block {
                return Ok(None);
            }
            self.flush()?;
        }
        while let Ok(b) = self.done.try_recv() {
            self.arrived.insert(b.first, b);
        }
        loop {
            if let Some(b) = self.arrived.remove(&ticket) {
                if b.panicked {
                    return Err(WorkersGone);
                }
                if b.results.is_empty() {
                    return Err(WorkersGone);
                }
                return Ok(Some(Done { batch: b, index: 0 }));
            }
            if !block {
                return Ok(None);
            }
            let b = self.done.recv().map_err(|_| WorkersGone)?;
            self.arrived.insert(b.first, b);
        }
    }

    /// Gives a result back: its batch serves the next tickets, or, once
    /// all are delivered, later batches.
    pub(crate) fn recycle(&mut self, done: Done) {
        if done.index + 1 < done.batch.results.len() {
            self.current = Some(done.batch);
        } else {
            self.finished(done.batch);
        }
    }

    /// A wholly delivered batch.
    fn finished(&mut self, mut batch: Batch) {
        self.in_flight -= 1;
        if batch.too_big() {
            return;
        }
        batch.clear();
        if self.free.len() < self.limit + 1 {
            self.free.push(batch);
        }
    }

    /// Lets the workers finish: they stop once the queue is empty.
    pub(crate) fn close(&mut self) {
        self.jobs = None;
    }
}

#[cfg(test)]
mod tests;
