//! How fast the IM SDK lens reads decoded text, without decoding or
//! output: `cargo run --release --example diagnose_speed -- DECODED.log
//! [threaded]`.
use std::sync::Arc;
use std::time::Instant;
use xlogdec::imsdk::RuleSet;
use xlogdec::imsdk::sink::DiagnoseSink;

fn main() {
    let path = std::env::args().nth(1).expect("a decoded text file");
    let text = std::fs::read(path).expect("readable");
    let rules = Arc::new(RuleSet::builtin());
    for _ in 0..3 {
        let mut n = 0u64;
        let t = Instant::now();
        let threaded = std::env::args().nth(2).is_some_and(|a| a == "threaded");
        let on = |_f: &xlogdec::imsdk::Finding| {
            n += 1;
            Ok(())
        };
        let mut sink = if threaded {
            DiagnoseSink::threaded(Arc::clone(&rules), on)
        } else {
            DiagnoseSink::new(Arc::clone(&rules), on)
        };
        for chunk in text.chunks(1 << 20) {
            sink.text(chunk).unwrap();
        }
        let lines = sink.end().unwrap().im_lines;
        let dt = t.elapsed().as_secs_f64();
        drop(sink);
        println!(
            "{:.3} s, {:.0} MB/s, {n} findings, {lines} IM SDK lines read",
            dt,
            text.len() as f64 / dt / 1e6
        );
    }
}
