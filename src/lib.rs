//! xlogdec: a streaming decoder for Tencent Mars xlog files.
//!
//! ```
//! use xlogdec::reader::{decode_to_vec, Options};
//! // An empty input decodes to nothing.
//! assert!(decode_to_vec(b"", Options::default()).is_empty());
//! ```
#![deny(missing_docs)]

pub mod async_write;
pub mod atomic;
pub mod codec;
pub mod color;
pub mod event;
pub mod filter;
pub mod filtered;
pub mod format;
pub mod imsdk;
pub mod input;
pub mod json;
pub mod merge;
pub mod names;
mod parallel;
pub mod reader;
pub mod record;
pub mod recover;
pub mod retention;
pub mod stats;
pub mod text;
pub mod tui;
pub mod writer;

pub use event::{Event, Sink};
pub use reader::{Decoder, Options, Summary};
