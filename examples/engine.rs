//! Raw engine throughput on the blocks of an xlog file: each payload
//! decoded in memory, one thread, no walk, no output. The ceiling an end
//! to end run is measured against (benches/run.sh).
//!
//! `cargo run --release --example engine -- FILE [RUNS]` prints
//! `ENGINE WALL/CPU` (decoded MB per second of wall clock and of CPU time,
//! best of RUNS) per engine that
//! applies: libdeflate and zlib-rs for deflate blocks; for zstd blocks,
//! libzstd through xlogdec's own codec call (`libzstd`) and through a
//! plain streaming loop into one large buffer (`libzstd-64MiB-buffer`).
//! Encrypted blocks are decrypted (corpus test key) beforehand.

use std::time::Instant;
use xlogdec::decode::codec::{Codec, PrivateKey, tea};
use xlogdec::decode::format::{Magic, Payload, parse_header};

const TEST_KEY: &str = "9f730faaf15961d6f44e63977f81c7505d54c83480f0c7f7e1b5fbbd661e7fc7";

/// CPU seconds this thread has used.
fn thread_cpu() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: a valid out-pointer for clock_gettime.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .ok_or_else(|| anyhow::anyhow!("usage: engine FILE [RUNS]"))?;
    let runs: usize = args.next().map_or(Ok(5), |r| r.parse())?;
    let data = std::fs::read(&path)?;
    let key = PrivateKey::from_hex(TEST_KEY)?;
    // The payloads, decrypted where needed; a clean generated file is a
    // plain sequence of blocks.
    let mut deflate = Vec::new();
    let mut zstd = Vec::new();
    let mut at = 0;
    while let Some(h) = parse_header(&data[at..]) {
        let hl = h.magic.header_len();
        let mut p = data[at + hl..at + hl + h.len as usize].to_vec();
        let Magic { payload, .. } = h.magic;
        if matches!(payload, Payload::EncryptedDeflate | Payload::EncryptedZstd) {
            tea::decrypt(&mut p, &key.tea_key(h.key)?);
        }
        match payload {
            Payload::Deflate | Payload::EncryptedDeflate => deflate.push(p),
            Payload::Zstd | Payload::EncryptedZstd => zstd.push(p),
            _ => {}
        }
        at += hl + h.len as usize + 1;
        if at >= data.len() {
            break;
        }
    }
    // Best of `runs` by wall clock and by this thread's CPU time (the
    // latter is what the engine costs when other processes share the
    // cores); returned as "wall/cpu" MB/s.
    let best = |f: &mut dyn FnMut() -> usize| {
        let (mut wall, mut cpu) = (f64::MAX, f64::MAX);
        let mut bytes = 0;
        for _ in 0..runs {
            let (t, c) = (Instant::now(), thread_cpu());
            bytes = f();
            wall = wall.min(t.elapsed().as_secs_f64());
            cpu = cpu.min(thread_cpu() - c);
        }
        let mb = bytes as f64 / 1e6;
        format!("{:.0}/{:.0}", mb / wall, mb / cpu.max(1e-9))
    };
    if !deflate.is_empty() {
        let mut d = libdeflater::Decompressor::new();
        let mut out = vec![0u8; 64 << 20];
        let mut input = Vec::new();
        let mb = best(&mut || {
            let mut n = 0;
            for p in &deflate {
                input.clear();
                input.extend_from_slice(p);
                input.extend_from_slice(&[3, 0]);
                n += d.deflate_decompress(&input, &mut out).expect("clean block");
            }
            n
        });
        println!("libdeflate {mb}");
        let mut z = flate2::Decompress::new(false);
        let mb = best(&mut || {
            let mut n = 0;
            for p in &deflate {
                z.reset(false);
                z.decompress(p, &mut out, flate2::FlushDecompress::Sync)
                    .expect("clean block");
                n += z.total_out() as usize;
            }
            n
        });
        println!("zlib-rs {mb}");
    }
    if !zstd.is_empty() {
        // The codec xlogdec runs: the streaming call into a buffer sized
        // from the payload, reused between blocks.
        let mut dec = xlogdec::decode::codec::ZstdDecoder::new();
        let mut out: Vec<u8> = Vec::new();
        let mb = best(&mut || {
            let mut n = 0;
            for p in &zstd {
                out.clear();
                dec.decode(p, &mut out).expect("clean block");
                n += out.len();
            }
            n
        });
        println!("libzstd {mb}");
        // The plain streaming loop into one 64 MiB buffer, for comparison
        // with the figure above.
        let mut out: Vec<u8> = Vec::with_capacity(64 << 20);
        let mut dctx = zstd::zstd_safe::DCtx::create();
        let mb = best(&mut || {
            let mut n = 0;
            for p in &zstd {
                dctx.reset(zstd::zstd_safe::ResetDirective::SessionOnly)
                    .expect("reset");
                out.clear();
                let mut inb = zstd::zstd_safe::InBuffer::around(p);
                let mut ob = zstd::zstd_safe::OutBuffer::around(&mut out);
                while inb.pos() < p.len() {
                    dctx.decompress_stream(&mut ob, &mut inb)
                        .expect("clean block");
                }
                n += ob.pos();
            }
            n
        });
        println!("libzstd-64MiB-buffer {mb}");
    }
    Ok(())
}
