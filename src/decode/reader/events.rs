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
    match outcome {
        Outcome::Text { capped: false } => {}
        Outcome::Text { capped: true } => {
            summary.capped += 1;
            emit(
                sink,
                &Event::OutputCapped {
                    block: info,
                    cap: len,
                },
            )?;
        }
        Outcome::Failed(message) => {
            summary.decompress_errors += 1;
            emit(
                sink,
                &Event::DecompressError {
                    block: info,
                    message,
                },
            )?;
        }
        Outcome::Locked(reason) => {
            summary.locked += 1;
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

pub(super) fn emit<S: Sink>(sink: &mut S, e: &Event<'_>) -> Result<(), Error> {
    sink.event(e).map_err(Error::Sink)
}
