//! Criterion benches: the per-block inflate engine, and whole generated
//! inputs decoded end to end through the library (text out, discarded).
//!
//! `cargo bench --bench decode` (figures in MB/s of decoded text).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use xlogdec::decode::codec::{Codec, Inflater, ZstdDecoder};
use xlogdec::decode::format::parse_header;
use xlogdec::decode::reader::{Decoder, Options};
use xlogdec::decode::text::TextSink;
use xlogdec::decode::writer::{Compression, LineGen, WriterOptions, XlogWriter};

/// Decoded size of the generated inputs.
const SIZE: usize = 16 << 20;

fn generate(compression: Compression) -> (Vec<u8>, usize) {
    let mut w = XlogWriter::new(
        Vec::new(),
        WriterOptions {
            compression,
            ..WriterOptions::default()
        },
    )
    .expect("no key");
    let mut lines = LineGen::new(1);
    let mut line = Vec::new();
    let mut n = 0;
    while n < SIZE {
        line.clear();
        lines.line(&mut line);
        w.write_line(&line).expect("in memory");
        n += line.len();
    }
    (w.finish().expect("in memory"), n)
}

fn payloads(file: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(h) = parse_header(&file[at..]) {
        let hl = h.magic.header_len();
        out.push(&file[at + hl..at + hl + h.len as usize]);
        at += hl + h.len as usize + 1;
    }
    out
}

fn engines(c: &mut Criterion) {
    let (zlib, n) = generate(Compression::Zlib(9));
    let (zstd, nz) = generate(Compression::Zstd(6));
    let mut g = c.benchmark_group("engine");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(n as u64));
    let blocks = payloads(&zlib);
    let mut inflater = Inflater::new();
    let mut out = Vec::new();
    g.bench_function("inflate (libdeflate, zlib-rs fallback)", |b| {
        b.iter(|| {
            for p in &blocks {
                out.clear();
                inflater.decode(p, &mut out).expect("clean");
                black_box(&out);
            }
        })
    });
    let mut z = flate2::Decompress::new(false);
    let mut buf = vec![0u8; 8 << 20];
    g.bench_function("zlib-rs streaming", |b| {
        b.iter(|| {
            for p in &blocks {
                z.reset(false);
                z.decompress(p, &mut buf, flate2::FlushDecompress::Sync)
                    .expect("clean");
                black_box(&buf);
            }
        })
    });
    g.throughput(Throughput::Bytes(nz as u64));
    let zblocks = payloads(&zstd);
    let mut zd = ZstdDecoder::new();
    g.bench_function("zstd", |b| {
        b.iter(|| {
            for p in &zblocks {
                out.clear();
                zd.decode(p, &mut out).expect("clean");
                black_box(&out);
            }
        })
    });
    g.finish();

    let mut g = c.benchmark_group("end_to_end");
    g.sample_size(10);
    for (name, file, n) in [("async zlib", &zlib, n), ("async zstd", &zstd, nz)] {
        g.throughput(Throughput::Bytes(n as u64));
        for jobs in [1, 2] {
            let mut d = Decoder::new(Options::default());
            d.set_jobs(jobs);
            g.bench_function(format!("{name} -j{jobs}"), |b| {
                b.iter(|| {
                    let mut sink = TextSink::new(std::io::sink(), true);
                    d.decode_slice(file, &mut sink).expect("clean")
                })
            });
        }
    }
    g.finish();
}

criterion_group!(benches, engines);
criterion_main!(benches);
