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

/// A file of the test corpus, `testdata/corpus/NAME`.
#[allow(dead_code)]
pub fn corpus(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/corpus")
        .join(name)
}

/// The real binary, without the environment variables that change its
/// output (`NO_COLOR`, and the key of `XLOGDEC_PRIVATE_KEY`).
#[allow(dead_code)]
pub fn xlogdec() -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_xlogdec"));
    c.env_remove("NO_COLOR").env_remove("XLOGDEC_PRIVATE_KEY");
    c
}

/// The standard output of a run that must succeed (exit status 0).
#[allow(dead_code)]
pub fn stdout_of(cmd: &mut std::process::Command) -> Vec<u8> {
    let out = cmd.output().expect("run xlogdec");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The expected decoded text of corpus file NAME (`NAME.expected.log`).
#[allow(dead_code)]
pub fn expected(name: &str) -> Vec<u8> {
    std::fs::read(corpus(&format!("{name}.expected.log"))).expect("expected text")
}

/// The output of `cmd`, which must end by exiting, not by a signal.
#[allow(dead_code)]
pub fn run(cmd: &mut std::process::Command) -> std::process::Output {
    let out = cmd.output().expect("run xlogdec");
    assert!(
        out.status.code().is_some(),
        "killed by a signal: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Where the viewer's view shows the first record with more than
/// `breaks` line breaks.
#[allow(dead_code)]
pub fn record_with_breaks(app: &xlogdec::tui::app::App, breaks: usize) -> usize {
    app.view
        .iter()
        .position(|&r| {
            app.store
                .bytes_of(r)
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                > breaks
        })
        .expect("a multi-line record")
}

/// The decoded text among `events`, as its `Text` events delivered it.
#[allow(dead_code)]
pub fn texts(events: &[xlogdec::decode::event::OwnedEvent]) -> Vec<&[u8]> {
    events
        .iter()
        .filter_map(|e| match e {
            xlogdec::decode::event::OwnedEvent::Text(t) => Some(&t[..]),
            _ => None,
        })
        .collect()
}

/// Whether `line` is one of the Mars writer's header-less lines (its
/// banners and notes, spelled out from docs/xlog-format.md 7.1), which
/// each start a record.
#[allow(dead_code)]
pub fn is_tip(line: &[u8]) -> bool {
    [
        &b"^^^^^^^^^^"[..],
        b"$$$$$$$$$$",
        b"~~~~~ ",
        b"get mmap time: ",
        b"MARS_",
        b"log appender mode:",
        b"log dir space info, ",
        b"cache dir space info, ",
    ]
    .iter()
    .any(|p| line.starts_with(p))
}
