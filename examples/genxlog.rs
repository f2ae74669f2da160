//! Writes a synthetic Mars xlog of a given decoded size, for benchmarks.
//!
//! `cargo run --release --example genxlog -- --mode async-zlib --size-mb 100 -o /tmp/x.xlog`
//!
//! Modes: sync-zlib, sync-zstd, async-zlib, async-zstd, async-zlib-crypt,
//! async-zstd-crypt. Crypt modes encrypt for the corpus test key
//! (testdata/corpus/keys.md). With --text FILE the decoded text is written
//! too, to compare a decoder's output against.

use anyhow::{Context, bail};
use clap::Parser;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use xlogdec::decode::writer::{Compression, LineGen, WriterOptions, XlogWriter};

/// Public key of the corpus test key pair (testdata/corpus/keys.md).
const TEST_PUBLIC: &str = "242ecb58315e1ca1437d8c0ad5ea91f2643212c63f575aedf4d188707e52396ea882b0bbecdf001826bc0045e0ef738983118a1f44a5ca583507f259c6d4439a";

#[derive(Parser)]
struct Args {
    /// Block kind to write.
    #[arg(long, default_value = "async-zlib")]
    mode: String,
    /// Decoded size to reach, in MB (10^6 bytes).
    #[arg(long, default_value_t = 100.0)]
    size_mb: f64,
    /// Compression level (zlib 0-9, default 9; zstd default 6).
    #[arg(long)]
    level: Option<i32>,
    /// Seed of the line generator.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output file.
    #[arg(short, long)]
    output: PathBuf,
    /// Also write the decoded text here.
    #[arg(long)]
    text: Option<PathBuf>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let (is_async, zstd, crypt) = match args.mode.as_str() {
        "sync-zlib" => (false, false, false),
        "sync-zstd" => (false, true, false),
        "async-zlib" => (true, false, false),
        "async-zstd" => (true, true, false),
        "async-zlib-crypt" => (true, false, true),
        "async-zstd-crypt" => (true, true, true),
        m => bail!("unknown mode {m}"),
    };
    let compression = if zstd {
        Compression::Zstd(args.level.unwrap_or(6))
    } else {
        Compression::Zlib(args.level.unwrap_or(9).clamp(0, 9) as u32)
    };
    let public_key = crypt.then(|| {
        let mut k = [0u8; 64];
        for (i, b) in k.iter_mut().enumerate() {
            *b = u8::from_str_radix(&TEST_PUBLIC[2 * i..2 * i + 2], 16).expect("hex");
        }
        k
    });
    let opts = WriterOptions {
        is_async,
        compression,
        public_key,
        client_seed: args.seed,
    };
    let out = File::create(&args.output).with_context(|| args.output.display().to_string())?;
    let mut w = XlogWriter::new(BufWriter::with_capacity(1 << 20, out), opts)?;
    let mut text = match &args.text {
        Some(p) => Some(BufWriter::with_capacity(
            1 << 20,
            File::create(p).with_context(|| p.display().to_string())?,
        )),
        None => None,
    };
    let target = (args.size_mb * 1e6) as u64;
    let mut lines = LineGen::new(args.seed);
    let mut line = Vec::new();
    let mut done = 0u64;
    while done < target {
        line.clear();
        lines.line(&mut line);
        w.set_hour(lines.hour());
        w.write_line(&line)?;
        if let Some(t) = &mut text {
            t.write_all(&line)?;
        }
        done += line.len() as u64;
    }
    w.finish()?.flush()?;
    if let Some(mut t) = text {
        t.flush()?;
    }
    Ok(())
}
