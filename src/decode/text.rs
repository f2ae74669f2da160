//! The text printer: decoded bytes as the official decoder writes them,
//! with its in-band `[F]decode_log_file.py ...` lines, plus xlogdec's own
//! one-line markers where it does better (locked runs, salvaged blocks).

use crate::decode::event::{Event, LockReason, Salvage, SeqGap, Sink};
use crate::decode::summary::Summary;
use std::io::{self, Write};

/// A run of consecutive locked blocks, reported as one line.
#[derive(Debug, Clone, Copy)]
struct LockedRun {
    count: u64,
    first: u64,
    /// One past the last block's last byte.
    end: u64,
    reason: LockReason,
}

/// Writes decoded text to `W`.
pub struct TextSink<W: Write> {
    out: W,
    markers: bool,
    locked: Option<LockedRun>,
}

impl<W: Write> TextSink<W> {
    /// A printer; `markers` keeps the in-band integrity lines (the
    /// official decoder's and xlogdec's), `false` gives clean text.
    pub fn new(out: W, markers: bool) -> TextSink<W> {
        TextSink {
            out,
            markers,
            locked: None,
        }
    }

    /// The writer back.
    pub fn into_inner(self) -> W {
        self.out
    }

    /// A mutable reference to the writer.
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.out
    }

    fn flush_locked(&mut self) -> io::Result<()> {
        if let Some(run) = self.locked.take()
            && self.markers
        {
            let blocks = if run.count == 1 { "block" } else { "blocks" };
            let hint = match run.reason {
                LockReason::NoKey => " (give --key-file or XLOGDEC_PRIVATE_KEY)",
                _ => "",
            };
            writeln!(
                self.out,
                "[F]xlogdec: {} encrypted {blocks} at bytes {}-{} not decoded: {}{hint}",
                run.count,
                run.first,
                run.end,
                run.reason.as_str()
            )?;
        }
        Ok(())
    }
}

impl<W: Write> Sink for TextSink<W> {
    fn event(&mut self, event: &Event<'_>) -> io::Result<()> {
        if let Event::Locked { block, reason } = event {
            match &mut self.locked {
                Some(run) if run.reason == *reason => {
                    run.count += 1;
                    run.end = block.offset + block.block_len();
                }
                _ => {
                    self.flush_locked()?;
                    self.locked = Some(LockedRun {
                        count: 1,
                        first: block.offset,
                        end: block.offset + block.block_len(),
                        reason: *reason,
                    });
                }
            }
            return Ok(());
        }
        if matches!(event, Event::Block(_)) {
            return Ok(());
        }
        self.flush_locked()?;
        match event {
            Event::Text(t) => self.out.write_all(t),
            _ if !self.markers => Ok(()),
            Event::SeqGap(SeqGap { first, last, .. }) => writeln!(
                self.out,
                "[F]decode_log_file.py log seq:{first}-{last} is missing"
            ),
            Event::Skipped { len, reason, .. } => writeln!(
                self.out,
                "[F]decode_log_file.py decode error len={len}, result:{reason} "
            ),
            Event::DecompressError { message, .. } => {
                writeln!(self.out, "[F]decode_log_file.py decompress err, {message}")
            }
            Event::OutputCapped { block, cap } => writeln!(
                self.out,
                "[F]xlogdec: block at byte {} decodes to more than {cap} bytes; cut there (--max-block-output)",
                block.offset
            ),
            Event::Salvaged { block, how } => match how {
                Salvage::Mmap3 => writeln!(
                    self.out,
                    "[F]xlogdec: unflushed block of a crash buffer (seq {}, {} bytes) recovered",
                    block.seq, block.len
                ),
                Salvage::Truncated { have } => writeln!(
                    self.out,
                    "[F]xlogdec: last block at byte {} is cut off ({have} of {} payload bytes); decoded as far as it goes",
                    block.offset, block.len
                ),
            },
            Event::Recovered { block, lines, lost } => {
                let ranges: Vec<String> = lost
                    .iter()
                    .map(|r| format!("{}-{}", r.start, r.end))
                    .collect();
                writeln!(
                    self.out,
                    "[F]xlogdec: recovered {lines} lines of the damaged block at byte {} (seq {}); lines lost in bytes {}",
                    block.offset,
                    block.seq,
                    if ranges.is_empty() {
                        "none".to_string()
                    } else {
                        ranges.join(", ")
                    }
                )
            }
            _ => Ok(()),
        }
    }

    fn finish(&mut self, _summary: &Summary) -> io::Result<()> {
        self.flush_locked()?;
        self.out.flush()
    }
}
