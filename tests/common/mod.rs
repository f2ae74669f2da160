//! Helpers shared by the integration tests.

use std::io::Write;

/// Says that a test was skipped, and why, where `cargo test` shows it.
///
/// The test harness captures `eprintln!` unless `--nocapture` is given; a
/// write to the process's standard error handle itself is not captured, so
/// the line shows in the normal test output.
#[allow(dead_code)]
pub fn skip_loudly(test: &str, why: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "SKIPPED {test}: {why}");
}
