//! `xlogdec clean` (to be written).

/// Arguments of `xlogdec clean`.
#[derive(clap::Args, Debug)]
pub struct CleanArgs {}

/// Runs `xlogdec clean`; returns the exit code.
pub fn run(_args: CleanArgs) -> i32 {
    0
}
