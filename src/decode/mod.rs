//! The decoding layer: from xlog bytes to the decoded text, as an event
//! stream.
//!
//! [`format`](mod@format) reads a block's bytes; [`codec`] inflates, decompresses and
//! decrypts payloads; [`input`] is where bytes come from; [`reader`] walks
//! the blocks (with worker threads) and, where blocks are damaged,
//! [`recover`] salvages what can be read; [`event`] is what it emits, and
//! [`text`] writes it as the official decoder does. [`writer`] writes
//! xlog files as Mars does, for tests and benchmarks.

pub mod ahead;
pub mod codec;
pub mod event;
pub mod format;
pub mod input;
mod parallel;
pub mod reader;
pub mod recover;
pub mod summary;
pub mod text;
pub mod writer;
