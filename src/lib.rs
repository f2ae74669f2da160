//! xlogdec: a streaming decoder for Tencent Mars xlog files.
#![deny(missing_docs)]

pub mod codec;
pub mod filter;
pub mod format;
pub mod record;
pub mod retention;
