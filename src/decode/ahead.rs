//! Work a sink has the decoder's worker threads do on each block's text
//! before the block is delivered: a [`BlockHook`].
//!
//! The decoder knows nothing of what a hook computes. Each worker thread
//! gets the hook's [`HookWorker`] (its own state), runs it on the text of
//! every block it decodes, and keeps the results in the hook's own
//! [`HookResults`], one per batch of blocks; the sink gets each block's
//! text with its results ([`Sink::worked_text`](super::event::Sink)). The
//! record layer's filter is such a hook: it judges each record, and
//! renders those that pass when its sink renders ahead.

use std::any::Any;

/// Work to do on each decoded block's text on the worker threads.
pub trait BlockHook: Send + Sync {
    /// The state of one worker thread, kept across its blocks.
    fn worker(&self) -> Box<dyn HookWorker>;

    /// An empty store for the results of one batch of blocks.
    fn results(&self) -> Box<dyn HookResults>;
}

/// One worker thread's side of a [`BlockHook`].
pub trait HookWorker: Send {
    /// Works on the decoded text of one block, adding to `results`.
    fn work(&mut self, text: &[u8], results: &mut dyn HookResults);
}

/// A [`HookResults`] store that grew past this many bytes is dropped
/// rather than used again (by the workers' batches, or by a sink that
/// works a hook on its own thread).
pub(crate) const KEEP_RESULTS: usize = 16 << 20;

/// What a [`BlockHook`] computed on a batch of blocks, block after block.
pub trait HookResults: Any + Send {
    /// Closes the results of the current block (called once per block,
    /// whether or not it was worked on): what follows is the next block's.
    fn end_block(&mut self);

    /// Empties the store, to be used for another batch.
    fn clear(&mut self);

    /// Whether the store grew past `limit` bytes (it is then dropped
    /// rather than kept for another batch).
    fn too_big(&self, limit: usize) -> bool;

    /// The store as [`Any`], for the sink to read back its own type.
    fn as_any(&self) -> &dyn Any;
}

/// The results of one block: the `block`-th of `results`.
#[derive(Clone, Copy)]
pub struct Worked<'a> {
    /// The batch's results.
    pub results: &'a dyn HookResults,
    /// The block's place in the batch.
    pub block: usize,
}
