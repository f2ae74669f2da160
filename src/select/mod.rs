//! The selection layer, over decoded records: [`filter`] says which
//! records a run keeps, [`filtered`] applies it to the event stream (with
//! the decoder's workers judging ahead), and [`merge`] interleaves the
//! records of several inputs by time.

pub mod ahead;
pub mod filter;
pub mod filtered;
pub mod merge;
