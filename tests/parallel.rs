//! Decoding on worker threads gives exactly the events of decoding on one
//! thread, and the per-block output cap cuts decompression bombs.

use std::path::{Path, PathBuf};
use std::process::Command;
use xlogdec::codec::PrivateKey;
use xlogdec::event::{Collect, Event, OwnedEvent};
use xlogdec::reader::{Decoder, Mmap3Mode, Options};
use xlogdec::writer::{Compression, LineGen, WriterOptions, XlogWriter};

const TEST_KEY: &str = "9f730faaf15961d6f44e63977f81c7505d54c83480f0c7f7e1b5fbbd661e7fc7";

fn corpus_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/corpus");
    let mut files = Vec::new();
    let mut dirs = vec![dir];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|e| e == "xlog" || e == "mmap3") {
                files.push(p);
            }
        }
    }
    files.sort();
    files
}

fn events(data: &[u8], opts: &Options, jobs: usize, cap: Option<usize>) -> Vec<OwnedEvent> {
    let mut d = Decoder::new(opts.clone());
    d.set_jobs(jobs);
    if let Some(c) = cap {
        d.set_max_block_output(c);
    }
    let mut c = Collect::default();
    d.decode_slice(data, &mut c).unwrap();
    c.events
}

#[test]
fn every_corpus_file_gives_the_same_events_on_one_and_four_threads() {
    let files = corpus_files();
    assert!(files.len() > 20);
    for path in files {
        let data = std::fs::read(&path).unwrap();
        for key in [None, Some(PrivateKey::from_hex(TEST_KEY).unwrap())] {
            let opts = Options {
                key,
                mmap3: if path.extension().is_some_and(|e| e == "mmap3") {
                    Mmap3Mode::Always
                } else {
                    Mmap3Mode::Auto
                },
                ..Options::default()
            };
            let one = events(&data, &opts, 1, None);
            for jobs in [2, 4] {
                assert!(
                    events(&data, &opts, jobs, None) == one,
                    "{}: -j{jobs} differs from -j1",
                    path.display()
                );
            }
        }
    }
}

/// A generated file mixing every kind of trouble the pool must keep in
/// order: async blocks, sync blocks between them, garbage, a seq gap.
fn mixed_file() -> Vec<u8> {
    let mut file = Vec::new();
    let mut lines = LineGen::new(5);
    let mut line = Vec::new();
    for (i, compression) in [Compression::Zlib(6), Compression::Zstd(3)]
        .into_iter()
        .enumerate()
    {
        let mut w = XlogWriter::new(
            Vec::new(),
            WriterOptions {
                compression,
                ..WriterOptions::default()
            },
        )
        .unwrap();
        for _ in 0..2500 {
            line.clear();
            lines.line(&mut line);
            w.write_line(&line).unwrap();
        }
        file.extend_from_slice(&w.finish().unwrap());
        file.extend_from_slice(b"garbage between writers");
        let mut sync = XlogWriter::new(
            Vec::new(),
            WriterOptions {
                is_async: false,
                ..WriterOptions::default()
            },
        )
        .unwrap();
        sync.write_line(format!("sync line {i}\n").as_bytes())
            .unwrap();
        file.extend_from_slice(&sync.finish().unwrap());
    }
    file
}

#[test]
fn generated_inputs_give_the_same_events_on_any_number_of_threads() {
    let file = mixed_file();
    let opts = Options::default();
    let one = events(&file, &opts, 1, None);
    let skipped = one
        .iter()
        .filter(|e| matches!(e, OwnedEvent::Other(Event::Skipped { .. })))
        .count();
    assert!(skipped >= 1, "the garbage is reported");
    assert!(one.len() > 20);
    for jobs in [2, 3, 8] {
        assert!(events(&file, &opts, jobs, None) == one, "-j{jobs}");
    }
    // A cap small enough to cut every async block, on both paths.
    let capped = events(&file, &opts, 1, Some(1000));
    let cuts = capped
        .iter()
        .filter(|e| matches!(e, OwnedEvent::Other(Event::OutputCapped { cap: 1000, .. })))
        .count();
    assert!(cuts > 4, "{cuts}");
    assert!(events(&file, &opts, 4, Some(1000)) == capped);
}

/// One async zlib block whose payload inflates to `size` zero bytes.
fn bomb(size: usize) -> Vec<u8> {
    use flate2::{Compress, FlushCompress};
    let zeros = vec![0u8; 1 << 20];
    let mut c = Compress::new(flate2::Compression::best(), false);
    let mut payload = Vec::with_capacity(size / 500 + (1 << 16));
    for _ in 0..size >> 20 {
        c.compress_vec(&zeros, &mut payload, FlushCompress::None)
            .unwrap();
    }
    c.compress_vec(&[], &mut payload, FlushCompress::Sync)
        .unwrap();
    assert!(payload.ends_with(&[0, 0, 0xFF, 0xFF]));
    let mut block = vec![0x09, 1, 0, 10, 10];
    block.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    block.extend_from_slice(&[0u8; 64]);
    block.extend_from_slice(&payload);
    block.push(0);
    block
}

#[test]
fn a_deflate_bomb_is_cut_at_the_cap_with_a_marker() {
    // 256 MiB of zeros in a ~250 kB block.
    let file = bomb(256 << 20);
    assert!(file.len() < 400_000);
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("bomb.xlog");
    std::fs::write(&input, &file).unwrap();
    for jobs in ["1", "2"] {
        let out = Command::new(env!("CARGO_BIN_EXE_xlogdec"))
            .args(["-j", jobs, "--max-block-output", "100000"])
            .arg(&input)
            .output()
            .unwrap();
        assert!(out.status.success());
        let text = out.stdout;
        assert!(text[..100_000].iter().all(|&b| b == 0));
        assert_eq!(
            &text[100_000..],
            b"[F]xlogdec: block at byte 0 decodes to more than 100000 bytes; cut there (--max-block-output)\n"
        );
    }
}

#[test]
fn jobs_flag_gives_the_same_bytes_as_one_job() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("mixed.xlog");
    std::fs::write(&input, mixed_file()).unwrap();
    let run = |jobs: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_xlogdec"))
            .args(["-j", jobs])
            .arg(&input)
            .output()
            .unwrap();
        assert!(out.status.success());
        out.stdout
    };
    let one = run("1");
    assert!(one.len() > 100_000);
    assert!(run("2") == one);
    assert!(run("4") == one);
}

/// Many small blocks of every kind, far more than one batch of the worker
/// pool holds: corpus files end to end (async zlib and zstd, encrypted
/// ones, a damaged payload, sync blocks, garbage between them), repeated.
fn many_small_blocks() -> Vec<u8> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/corpus");
    let parts: Vec<Vec<u8>> = [
        "b_async_zlib.xlog",
        "g_async_zstd_crypt.xlog",
        "d_async_zstd_l6.xlog",
        "e_async_zlib_crypt.xlog",
        "j04_flip_payload_zlib.xlog",
        "a2_sync_zlib_tz.xlog",
    ]
    .iter()
    .map(|name| std::fs::read(dir.join(name)).unwrap())
    .collect();
    let mut file = Vec::new();
    for round in 0..12 {
        for part in &parts {
            file.extend_from_slice(part);
        }
        if round % 5 == 2 {
            file.extend_from_slice(b"garbage between files");
        }
    }
    file
}

#[test]
fn many_small_blocks_give_the_same_events_on_one_two_and_four_threads() {
    let file = many_small_blocks();
    for key in [None, Some(PrivateKey::from_hex(TEST_KEY).unwrap())] {
        let opts = Options {
            key,
            ..Options::default()
        };
        let one = events(&file, &opts, 1, None);
        let blocks = one
            .iter()
            .filter(|e| matches!(e, OwnedEvent::Block(_)))
            .count();
        // Several batches of the pool.
        assert!(blocks > 1000, "{blocks} blocks");
        let troubles = one
            .iter()
            .filter(|e| {
                matches!(
                    e,
                    OwnedEvent::Other(
                        Event::Skipped { .. }
                            | Event::DecompressError { .. }
                            | Event::SeqGap { .. }
                    )
                )
            })
            .count();
        assert!(troubles > 10, "{troubles}");
        for jobs in [2, 4] {
            assert!(events(&file, &opts, jobs, None) == one, "-j{jobs}");
        }
    }
}
