//! Block payloads decoded on worker threads.
//!
//! The reader walks the blocks on its own thread (the walk is cheap) and
//! hands each compressed payload to a pool of workers; it delivers their
//! results to the sink in input order, making every decision that depends
//! on earlier blocks (which keys have proven right) as it delivers them.
//! So the events are the same, in the same order, for any number of jobs.
//! At most a fixed number of blocks is in flight, which bounds memory by
//! jobs × block size.

use crate::codec::{self, Decoded, Inflater, TeaKey, ZstdDecoder, tea};
use crate::format::Payload;
use std::collections::HashMap;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};

/// zstd's frame magic, what a correctly decrypted 0x0C payload starts with.
pub(crate) const ZSTD_MAGIC: [u8; 4] = [0x28, 0xB5, 0x2F, 0xFD];
/// Output buffers larger than this are not kept between blocks (a huge
/// block must not pin its memory for the rest of the input).
const KEEP_CAPACITY: usize = 4 << 20;

/// One thread's codecs and buffers.
pub(crate) struct Codecs {
    inflater: Inflater,
    zstd: ZstdDecoder,
    /// The decoded text of the last payload.
    pub(crate) out: Vec<u8>,
    scratch: Vec<u8>,
}

/// What decoding one payload gave, before the decisions made in order.
pub(crate) struct Raw {
    /// How the codec ended.
    pub(crate) result: Result<Decoded, String>,
    /// An encrypted zstd payload that, decrypted, does not start like a
    /// zstd frame (a sign of a wrong key).
    pub(crate) not_zstd: bool,
}

impl Codecs {
    pub(crate) fn new() -> Codecs {
        Codecs {
            inflater: Inflater::new(),
            zstd: ZstdDecoder::new(),
            out: Vec::new(),
            scratch: Vec::new(),
        }
    }

    /// Decodes one compressed payload into `self.out`, at most `cap`
    /// bytes. `full_len` is set for a salvaged, possibly cut, payload: the
    /// length its header claims.
    pub(crate) fn run(
        &mut self,
        kind: Payload,
        tea_key: Option<&TeaKey>,
        payload: &[u8],
        full_len: Option<u64>,
        cap: usize,
    ) -> Raw {
        self.out.clear();
        let mut not_zstd = false;
        let result = match kind {
            Payload::Plain => Ok(Decoded::All),
            Payload::Deflate => self.inflater.inflate_capped(payload, &mut self.out, cap),
            Payload::ChunkedDeflate => {
                self.scratch.clear();
                match codec::join_chunks(payload, &mut self.scratch) {
                    Ok(()) => self
                        .inflater
                        .inflate_capped(&self.scratch, &mut self.out, cap),
                    Err(e) => Err(e),
                }
            }
            Payload::Zstd => self.zstd.decode_capped(payload, &mut self.out, cap),
            Payload::EncryptedDeflate | Payload::EncryptedZstd => {
                self.scratch.clear();
                self.scratch.extend_from_slice(payload);
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
                self.scratch.truncate(usable);
                if let Some(k) = tea_key {
                    tea::decrypt(&mut self.scratch, k);
                }
                if kind == Payload::EncryptedZstd {
                    not_zstd = self.scratch.len() >= 4 && self.scratch[..4] != ZSTD_MAGIC;
                    self.zstd.decode_capped(&self.scratch, &mut self.out, cap)
                } else {
                    self.inflater
                        .inflate_capped(&self.scratch, &mut self.out, cap)
                }
            }
        };
        Raw { result, not_zstd }
    }

    /// Drops buffers a huge block left behind.
    pub(crate) fn trim(&mut self) {
        if self.out.capacity() > KEEP_CAPACITY {
            self.out = Vec::new();
        }
        if self.scratch.capacity() > KEEP_CAPACITY {
            self.scratch = Vec::new();
        }
    }
}

/// A payload to decode.
struct Job {
    ticket: u64,
    kind: Payload,
    tea: Option<TeaKey>,
    payload: Vec<u8>,
    cap: usize,
    /// An empty buffer to decode into (recycled).
    out: Vec<u8>,
}

/// A decoded payload.
pub(crate) struct Done {
    ticket: u64,
    /// How the codec ended.
    pub(crate) raw: Raw,
    /// The decoded text.
    pub(crate) out: Vec<u8>,
    payload: Vec<u8>,
    /// The worker panicked on this block.
    panicked: bool,
}

/// The reader's end of the worker pool.
pub(crate) struct Pool {
    jobs: Option<Sender<Job>>,
    done: Receiver<Done>,
    next: u64,
    in_flight: usize,
    limit: usize,
    arrived: HashMap<u64, Done>,
    free: Vec<(Vec<u8>, Vec<u8>)>,
}

/// The worker side: what each spawned thread runs.
pub(crate) struct Worker {
    jobs: Arc<Mutex<Receiver<Job>>>,
    done: Sender<Done>,
}

impl Worker {
    /// Decodes jobs until the pool is dropped.
    pub(crate) fn run(self) {
        let mut codecs = Codecs::new();
        loop {
            let job = {
                let Ok(rx) = self.jobs.lock() else { return };
                match rx.recv() {
                    Ok(job) => job,
                    Err(_) => return, // the pool is gone
                }
            };
            // A panic here would leave the reader waiting for this ticket
            // forever: report it instead, and end.
            let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                codecs.run(job.kind, job.tea.as_ref(), &job.payload, None, job.cap)
            }));
            let Ok(raw) = run else {
                let _ = self.done.send(Done {
                    ticket: job.ticket,
                    raw: Raw {
                        result: Ok(Decoded::All),
                        not_zstd: false,
                    },
                    out: Vec::new(),
                    payload: Vec::new(),
                    panicked: true,
                });
                return;
            };
            let out = std::mem::replace(&mut codecs.out, job.out);
            codecs.trim();
            let done = Done {
                ticket: job.ticket,
                raw,
                out,
                payload: job.payload,
                panicked: false,
            };
            if self.done.send(done).is_err() {
                return;
            }
        }
    }
}

/// A pool of `threads` workers (to be spawned by the caller) that keeps at
/// most `2 × threads` blocks in flight.
pub(crate) fn pool(threads: usize) -> (Pool, Vec<Worker>) {
    let (job_tx, job_rx) = channel();
    let (done_tx, done_rx) = channel();
    let job_rx = Arc::new(Mutex::new(job_rx));
    let workers = (0..threads)
        .map(|_| Worker {
            jobs: Arc::clone(&job_rx),
            done: done_tx.clone(),
        })
        .collect();
    let pool = Pool {
        jobs: Some(job_tx),
        done: done_rx,
        next: 0,
        in_flight: 0,
        limit: 2 * threads,
        arrived: HashMap::new(),
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

    /// Queues a payload; returns its ticket.
    pub(crate) fn submit(
        &mut self,
        kind: Payload,
        tea: Option<TeaKey>,
        payload: &[u8],
        cap: usize,
    ) -> Result<u64, WorkersGone> {
        let (mut buf, out) = self.free.pop().unwrap_or_default();
        buf.clear();
        buf.extend_from_slice(payload);
        let ticket = self.next;
        self.next += 1;
        let job = Job {
            ticket,
            kind,
            tea,
            payload: buf,
            cap,
            out,
        };
        self.jobs
            .as_ref()
            .ok_or(WorkersGone)?
            .send(job)
            .map_err(|_| WorkersGone)?;
        self.in_flight += 1;
        Ok(ticket)
    }

    /// The result for `ticket`: waits for it if `block`, else returns
    /// `None` when it has not arrived yet.
    pub(crate) fn take(&mut self, ticket: u64, block: bool) -> Result<Option<Done>, WorkersGone> {
        while let Ok(d) = self.done.try_recv() {
            self.arrived.insert(d.ticket, d);
        }
        loop {
            if let Some(d) = self.arrived.remove(&ticket) {
                self.in_flight -= 1;
                if d.panicked {
                    return Err(WorkersGone);
                }
                return Ok(Some(d));
            }
            if !block {
                return Ok(None);
            }
            let d = self.done.recv().map_err(|_| WorkersGone)?;
            self.arrived.insert(d.ticket, d);
        }
    }

    /// Gives a result's buffers back for later jobs.
    pub(crate) fn recycle(&mut self, done: Done) {
        let mut out = done.out;
        out.clear();
        if out.capacity() > KEEP_CAPACITY {
            out = Vec::new();
        }
        if self.free.len() < self.limit + 1 {
            self.free.push((done.payload, out));
        }
    }

    /// Lets the workers finish: they stop once the queue is empty.
    pub(crate) fn close(&mut self) {
        self.jobs = None;
    }
}
