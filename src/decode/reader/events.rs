//! A block's outcome as events for the sink.

use super::*;

/// Turns a payload outcome into events; `text` is the block's decoded
/// text (or plain payload).
pub(super) fn report<S: Sink>(
    summary: &mut Summary,
    sink: &mut S,
    info: BlockInfo,
    outcome: Outcome,
    text: &[u8],
    keep_partial: bool,
) -> Result<(), Error> {
    if outcome.shows_text(keep_partial) && !text.is_empty() {
        summary.bytes_out += text.len() as u64;
        emit(sink, &Event::Text(text))?;
    }
    close(summary, sink, info, outcome, text.len() as u64)
}

/// A block that needs no decoding: its payload is its text, or it stays
/// locked.
pub(super) enum Ready<'a> {
    /// A plain block's text.
    Plain(&'a [u8]),
    /// An encrypted block that cannot be decoded.
    Locked(LockReason),
}

/// [`report`] for a block that needs no decoding.
pub(super) fn report_ready<S: Sink>(
    summary: &mut Summary,
    sink: &mut S,
    info: BlockInfo,
    ready: Ready<'_>,
    keep_partial: bool,
) -> Result<(), Error> {
    match ready {
        Ready::Plain(text) => {
            let outcome = Outcome::Text { capped: false };
            report(summary, sink, info, outcome, text, keep_partial)
        }
        Ready::Locked(reason) => report(
            summary,
            sink,
            info,
            Outcome::Locked(reason),
            &[],
            keep_partial,
        ),
    }
}

/// The block's place and header fields, for events.
pub(super) fn block_info(at: u64, header: &Header<'_>) -> BlockInfo {
    BlockInfo {
        offset: at,
        magic: header.magic,
        seq: header.seq,
        begin_hour: header.begin_hour,
        end_hour: header.end_hour,
        len: header.len,
    }
}

/// [`report`] for a text a worker decoded, with what the sink's hook
/// computed on it there.
pub(super) fn report_worked<S: Sink>(
    summary: &mut Summary,
    sink: &mut S,
    info: BlockInfo,
    outcome: Outcome,
    text: &[u8],
    worked: Option<Worked<'_>>,
) -> Result<(), Error> {
    let Some(worked) = worked else {
        return report(summary, sink, info, outcome, text, false);
    };
    if outcome.shows_text(false) && !text.is_empty() {
        summary.bytes_out += text.len() as u64;
        sink.worked_text(text, worked).map_err(Error::Sink)?;
    }
    close(summary, sink, info, outcome, text.len() as u64)
}

/// The events that follow a block's text, of which `len` bytes were
/// decoded.
pub(super) fn close<S: Sink>(
    summary: &mut Summary,
    sink: &mut S,
    info: BlockInfo,
    outcome: Outcome,
    len: u64,
) -> Result<(), Error> {
    let (count, event) = match outcome {
        Outcome::Text { capped: false } => return Ok(()),
        Outcome::Text { capped: true } => (
            &mut summary.capped,
            Event::OutputCapped {
                block: info,
                cap: len,
            },
        ),
        Outcome::Failed(message) => (
            &mut summary.decompress_errors,
            Event::DecompressError {
                block: info,
                message,
            },
        ),
        Outcome::Locked(reason) => (
            &mut summary.locked,
            Event::Locked {
                block: info,
                reason,
            },
        ),
    };
    *count += 1;
    emit(sink, &event)
}

pub(super) fn emit<S: Sink>(sink: &mut S, e: &Event<'_>) -> Result<(), Error> {
    sink.event(e).map_err(Error::Sink)
}
