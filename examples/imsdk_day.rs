//! Writes a busy IM SDK day of a given decoded size, for benchmarks: the
//! sessions of a template day (its process starts, banners, logins,
//! failures, kicks and heartbeats, each once and in order) with the
//! message traffic between them multiplied until the text reaches the size.
//!
//! `cargo run --release --example imsdk_day -- TEMPLATE.log --size-mb 100 -o day.xlog`
//!
//! TEMPLATE is the decoded text of an IM SDK day (for example
//! testdata/imsdk/imsdk_20240312.xlog.expected.log). Its routine records
//! (`HandleNewMessage`, `RequestSynchronize`, and `SendMessageComplete`
//! with `error code:0`) are written again after themselves, with the same
//! time and with every run of six or more digits (sequence numbers, client
//! times, random ids) redrawn, so that the copies compress like new
//! traffic rather than like repeats. Every other record is written once:
//! the day holds the template's findings and heartbeats, in a hundred
//! times the text. Written as async zlib blocks (0x09) by the Mars-
//! compatible writer of `xlogdec::decode::writer`.

use anyhow::{Context, bail};
use clap::Parser;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use xlogdec::decode::writer::{WriterOptions, XlogWriter};

#[derive(Parser)]
struct Args {
    /// Decoded text of an IM SDK day.
    template: PathBuf,
    /// Decoded size to reach, in MB (10^6 bytes).
    #[arg(long, default_value_t = 100.0)]
    size_mb: f64,
    /// Seed of the digit generator.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output file.
    #[arg(short, long)]
    output: PathBuf,
}

/// Functions whose records are message traffic.
const ROUTINE: [&str; 3] = [
    " HandleNewMessage ",
    " RequestSynchronize ",
    " SendMessageComplete ",
];

/// Whether a record is traffic that carries no finding.
fn routine(rec: &[u8]) -> bool {
    let first = rec.split(|&b| b == b'\n').next().unwrap_or_default();
    let has = |p: &str| memchr::memmem::find(first, p.as_bytes()).is_some();
    ROUTINE.iter().any(|f| has(f)) && (!has("SendMessageComplete") || has("|error code:0|"))
}

/// The template's records: a line starting `TIM: ` or `^` begins one, any
/// other line continues the one before.
fn records(text: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut at = 0;
    while at < text.len() {
        let end = memchr::memchr(b'\n', &text[at..]).map_or(text.len(), |i| at + i + 1);
        let line = &text[at..end];
        if at > start && (line.starts_with(b"TIM: ") || line.starts_with(b"^")) {
            out.push(&text[start..at]);
            start = at;
        }
        at = end;
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

/// The local hour of a `TIM: YYYY-MM-DD HH:` record, if it has one.
fn hour(rec: &[u8]) -> Option<u8> {
    let h = rec.get(16..18)?;
    (rec.starts_with(b"TIM: 2") && h.iter().all(u8::is_ascii_digit))
        .then(|| (h[0] - b'0') * 10 + (h[1] - b'0'))
}

struct Digits(u64);

impl Digits {
    fn next(&mut self) -> u64 {
        // xorshift64*
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// `rec` with every run of six or more digits after its first line
    /// redrawn (the header's time and ids stay).
    fn redraw(&mut self, rec: &[u8], out: &mut Vec<u8>) {
        out.clear();
        out.extend_from_slice(rec);
        let from = memchr::memchr(b'|', rec).unwrap_or(rec.len());
        let mut i = from;
        while i < out.len() {
            if !out[i].is_ascii_digit() {
                i += 1;
                continue;
            }
            let start = i;
            while i < out.len() && out[i].is_ascii_digit() {
                i += 1;
            }
            if i - start >= 6 {
                for b in &mut out[start + 1..i] {
                    *b = b'0' + (self.next() % 10) as u8;
                }
            }
        }
    }
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let text =
        std::fs::read(&args.template).with_context(|| args.template.display().to_string())?;
    let recs = records(&text);
    let traffic: usize = recs.iter().filter(|r| routine(r)).map(|r| r.len()).sum();
    if traffic == 0 {
        bail!(
            "{}: no message traffic to multiply",
            args.template.display()
        );
    }
    let target = (args.size_mb * 1e6) as usize;
    // Copies of each routine record that bring the text to the target.
    let copies = target.saturating_sub(text.len()).div_ceil(traffic);
    let out = File::create(&args.output).with_context(|| args.output.display().to_string())?;
    let mut w = XlogWriter::new(
        BufWriter::with_capacity(1 << 20, out),
        WriterOptions::default(),
    )?;
    let mut digits = Digits(args.seed ^ 0x9E37_79B9_7F4A_7C15);
    let mut copy = Vec::new();
    for rec in recs {
        if let Some(h) = hour(rec) {
            w.set_hour(h);
        }
        w.write_line(rec)?;
        if routine(rec) {
            for _ in 0..copies {
                digits.redraw(rec, &mut copy);
                w.write_line(&copy)?;
            }
        }
    }
    w.finish()?.flush()?;
    Ok(())
}
