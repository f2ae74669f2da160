//! xlogdec: a streaming decoder for Tencent Mars xlog files.
#![deny(missing_docs)]

pub mod filter;
pub mod record;
pub mod retention;
