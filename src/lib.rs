//! xlogdec: a streaming decoder for Tencent Mars xlog files, and the
//! record layer, renderers and viewer built on it.
//!
//! The modules are layers; each uses only those listed before it
//! (`ARCHITECTURE.md` walks through them):
//! - [`record`]: the record model: line shapes (Mars, IM SDK, custom),
//!   levels, times, record boundaries. Pure text, no I/O.
//! - [`decode`]: the block format, codecs and keys, inputs, the
//!   decoder with its worker threads and recovery, and the event stream
//!   it emits ([`Event`], [`Sink`]).
//! - [`select`]: filters over records, the filtering sink, the time merge.
//! - [`render`]: text with colour, JSON, statistics, the asynchronous
//!   writer and atomic output files.
//! - [`retention`] and [`tui`]: the seven-day retention and the viewer.
//!
//! ```
//! use xlogdec::decode::reader::{decode_to_vec, Options};
//! // An empty input decodes to nothing.
//! assert!(decode_to_vec(b"", Options::default()).is_empty());
//! ```
#![deny(missing_docs)]

pub mod decode;
pub mod imsdk;
pub mod names;
pub mod record;
pub mod render;
pub mod retention;
pub mod select;
pub mod tui;

pub use decode::event::{Event, Sink};
pub use decode::reader::{Decoder, Options};
pub use decode::summary::Summary;
