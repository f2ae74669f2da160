//! Reading ahead: a thread that decodes the blocks a scan (a search, a
//! filter by text) will want next, so the decoding runs beside the
//! scan instead of inside it, off the thread that reads the keys.

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, Sender, channel};

use crate::decode::event::{Event, Sink};
use crate::decode::reader::{Decoder, Options};

use super::Piece;

/// Runs of blocks in flight at most (each up to [`super::RUN_BYTES`] of input).
pub(super) const MAX_IN_FLIGHT: usize = 4;

/// A run of consecutive blocks of one file to decode.
pub(super) struct Job {
    /// File index.
    pub file: u16,
    /// Index of the run's first piece.
    pub first: usize,
    /// The file.
    pub path: PathBuf,
    /// The pieces.
    pub run: Vec<Piece>,
}

/// A decoded run: file, first piece, the pieces' texts.
pub(super) type Done = (u16, usize, io::Result<Vec<Vec<u8>>>);

/// The reading-ahead thread and what it has been asked for.
pub(super) struct Ahead {
    tx: Sender<Job>,
    rx: Receiver<Done>,
    /// Pieces asked for and not back yet.
    pub pending: HashSet<(u16, u64)>,
    in_flight: usize,
}

impl Ahead {
    /// Starts the thread; it ends when the `Ahead` is dropped.
    pub fn spawn(opts: Options) -> Ahead {
        let (tx, jobs) = channel::<Job>();
        let (done, rx) = channel::<Done>();
        std::thread::spawn(move || {
            let mut dec = Decoder::new(opts);
            let mut open: Option<(PathBuf, File)> = None;
            while let Ok(job) = jobs.recv() {
                let text = (|| {
                    if open.as_ref().is_none_or(|(p, _)| *p != job.path) {
                        open = Some((job.path.clone(), File::open(&job.path)?));
                    }
                    let (_, f) = open.as_ref().expect("opened above");
                    decode_blocks(f, &mut dec, &job.run)
                })();
                if done.send((job.file, job.first, text)).is_err() {
                    return;
                }
            }
        });
        Ahead {
            tx,
            rx,
            pending: HashSet::new(),
            in_flight: 0,
        }
    }

    /// Whether another run may be asked for.
    pub fn has_room(&self) -> bool {
        self.in_flight < MAX_IN_FLIGHT
    }

    /// Asks for a run.
    pub fn request(&mut self, job: Job) {
        for k in 0..job.run.len() {
            self.pending.insert((job.file, (job.first + k) as u64));
        }
        if self.tx.send(job).is_ok() {
            self.in_flight += 1;
        }
    }

    fn settle(&mut self, d: &Done) {
        self.in_flight = self.in_flight.saturating_sub(1);
        let n = d.2.as_ref().map_or(0, Vec::len).max(1);
        for k in 0..n {
            self.pending.remove(&(d.0, (d.1 + k) as u64));
        }
    }

    /// Runs decoded so far, without waiting.
    pub fn poll(&mut self) -> Vec<Done> {
        let mut out = Vec::new();
        while let Ok(d) = self.rx.try_recv() {
            self.settle(&d);
            out.push(d);
        }
        out
    }

    /// The next decoded run, waiting for it (`None`: the thread is gone).
    pub fn wait(&mut self) -> Option<Done> {
        let d = self.rx.recv().ok()?;
        self.settle(&d);
        Some(d)
    }
}

/// The texts of `run`, consecutive blocks of the file `f`, decoded again;
/// an error if they no longer decode as they did.
pub(super) fn decode_blocks(
    f: &File,
    dec: &mut Decoder,
    run: &[Piece],
) -> io::Result<Vec<Vec<u8>>> {
    let (first, last) = (run[0], run[run.len() - 1]);
    let len = last.offset + last.block_len - first.offset;
    let mut r = f;
    r.seek(SeekFrom::Start(first.offset))?;
    let mut bytes = vec![0u8; len as usize];
    r.read_exact(&mut bytes)?;
    let mut sink = TextOnly::default();
    dec.decode_slice(&bytes, &mut sink)
        .map_err(|e| io::Error::other(e.to_string()))?;
    let same = !sink.other
        && sink.texts.len() == run.len()
        && sink
            .texts
            .iter()
            .zip(run)
            .all(|(t, p)| t.len() as u64 >= p.len);
    if !same {
        return Err(io::Error::other(format!(
            "the block at byte {} no longer decodes as it did",
            first.offset
        )));
    }
    Ok(sink.texts)
}

/// Collects the text of each block; notes anything else (a seq gap
/// aside: the first pass reported it already).
#[derive(Default)]
struct TextOnly {
    texts: Vec<Vec<u8>>,
    other: bool,
}

impl Sink for TextOnly {
    fn event(&mut self, event: &Event<'_>) -> io::Result<()> {
        match event {
            Event::Block(_) => self.texts.push(Vec::new()),
            Event::Text(t) => match self.texts.last_mut() {
                Some(last) => last.extend_from_slice(t),
                None => self.other = true,
            },
            Event::SeqGap(_) => {}
            _ => self.other = true,
        }
        Ok(())
    }
}
