//! The rendering layer: what a run writes. [`color`] writes records as
//! text (with colour on a terminal), [`json`] as JSON lines, [`stats`]
//! counts what `info` reports; [`async_write`] moves writing off the
//! decoding thread (taking the lines workers rendered without a copy, see
//! [`shared`]) and [`atomic`] makes output files that never replace
//! an input and appear whole or not at all.

pub mod async_write;
pub mod atomic;
pub mod color;
pub mod escape;
pub mod json;
pub mod shared;
pub mod stats;
