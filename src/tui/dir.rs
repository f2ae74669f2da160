//! The directory screen's data: the log files of a directory, and a
//! background count of each file's records and integrity findings.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, channel};

use crate::event::{Event, Sink};
use crate::input::MmapInput;
use crate::reader::{Decoder, Mmap3Mode, Options, Summary};
use crate::record::RecordSplitter;
use crate::retention::file_date_from_name;
use crate::tui::app::DirEntry;

/// The `*.xlog` and `*.mmap3` files directly inside `dir`, by name.
pub fn list(dir: &Path) -> Vec<DirEntry> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut entries: Vec<DirEntry> = rd
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let path = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            let ext = path.extension().and_then(|x| x.to_str());
            if !matches!(ext, Some("xlog" | "mmap3")) {
                return None;
            }
            let meta = std::fs::metadata(&path).ok()?;
            if !meta.is_file() {
                return None;
            }
            Some(DirEntry {
                date: file_date_from_name(&name),
                name,
                path,
                size: meta.len(),
                records: None,
                integrity: None,
                error: None,
            })
        })
        .collect();
    entries.sort_by(|a, b| crate::names::natural_cmp(a.name.as_bytes(), b.name.as_bytes()));
    entries
}

/// Counts of one file.
type Stat = (usize, Result<(u64, u64), String>);

/// Counts records and integrity rows of each file in a thread.
pub struct StatsLoader {
    rx: Receiver<Stat>,
}

impl StatsLoader {
    /// Starts counting `files`.
    pub fn spawn(files: Vec<PathBuf>, opts: Options) -> StatsLoader {
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            for (i, f) in files.iter().enumerate() {
                if tx.send((i, count(f, &opts))).is_err() {
                    return;
                }
            }
        });
        StatsLoader { rx }
    }

    fn apply(stat: Stat, entries: Option<&mut [DirEntry]>) {
        let (i, r) = stat;
        if let Some(e) = entries.and_then(|e| e.get_mut(i)) {
            match r {
                Ok((records, integrity)) => {
                    e.records = Some(records);
                    e.integrity = Some(integrity);
                }
                Err(m) => e.error = Some(m),
            }
        }
    }

    /// Takes what has arrived; returns (anything arrived, all done).
    pub fn drain(&self, mut entries: Option<&mut [DirEntry]>) -> (bool, bool) {
        let mut got = false;
        loop {
            match self.rx.try_recv() {
                Ok(s) => {
                    got = true;
                    Self::apply(s, entries.as_deref_mut());
                }
                Err(std::sync::mpsc::TryRecvError::Empty) => return (got, false),
                Err(std::sync::mpsc::TryRecvError::Disconnected) => return (got, true),
            }
        }
    }

    /// Waits for the next count; returns whether all are done.
    pub fn wait(&self, entries: Option<&mut [DirEntry]>) -> bool {
        match self.rx.recv() {
            Ok(s) => {
                Self::apply(s, entries);
                false
            }
            Err(_) => true,
        }
    }
}

/// Counts records as the viewer would cut them.
#[derive(Default)]
struct CountSink {
    splitter: RecordSplitter,
    records: u64,
}

impl Sink for CountSink {
    fn event(&mut self, event: &Event<'_>) -> io::Result<()> {
        if let Event::Text(t) = event {
            let n = &mut self.records;
            let _ = self.splitter.push_parts(t, |_, part| {
                *n += u64::from(part.is_start());
                Ok::<(), ()>(())
            });
        }
        Ok(())
    }

    fn finish(&mut self, _summary: &Summary) -> io::Result<()> {
        let n = &mut self.records;
        let _ = self.splitter.finish_parts(|_, part| {
            *n += u64::from(part.is_start());
            Ok::<(), ()>(())
        });
        Ok(())
    }
}

fn count(path: &Path, opts: &Options) -> Result<(u64, u64), String> {
    let f = File::open(path).map_err(|e| e.to_string())?;
    let mut input = MmapInput::open(&f).map_err(|e| e.to_string())?;
    let mut o = opts.clone();
    if path.extension().is_some_and(|e| e == "mmap3") {
        o.mmap3 = Mmap3Mode::Always;
    }
    let mut sink = CountSink::default();
    let s = Decoder::new(o)
        .decode(&mut input, &mut sink)
        .map_err(|e| e.to_string())?;
    Ok((
        sink.records,
        s.gaps + s.skipped + s.decompress_errors + s.locked + s.salvaged,
    ))
}
