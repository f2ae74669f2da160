//! Decoding on worker threads gives exactly the events of decoding on one
//! thread, and the per-block output cap cuts decompression bombs.

mod common;

use chrono::DateTime;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use xlogdec::Sink;
use xlogdec::decode::ahead::{BlockHook, Worked};
use xlogdec::decode::codec::PrivateKey;
use xlogdec::decode::event::{Collect, Event, OwnedEvent};
use xlogdec::decode::reader::{Decoder, Mmap3Mode, Options};
use xlogdec::decode::text::TextSink;
use xlogdec::decode::writer::{
    Compression, Frame, LineGen, WriterOptions, XlogWriter, frame_block,
};
use xlogdec::record::{Level, Record};
use xlogdec::render::color::TextRecords;
use xlogdec::render::json::JsonSink;
use xlogdec::select::ahead::{RenderAhead, Rendered, RenderedRun};
use xlogdec::select::filter::{Filter, FilterOptions};
use xlogdec::select::filtered::{FilterSink, RecordSink};

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

/// A block of `magic` around `payload`.
fn block(magic: u8, payload: &[u8]) -> Vec<u8> {
    let mut block = Vec::new();
    frame_block(&mut block, Frame::plain(magic), payload).expect("framed");
    block
}

/// The text of [`long_block`]: a line, `zeros` zero bytes, a line.
fn long_text(zeros: usize) -> Vec<u8> {
    let mut text = b"[I]a long block starts\n".to_vec();
    text.resize(text.len() + zeros, 0);
    text.extend_from_slice(b"[I]a long block ends\n");
    text
}

/// One async block (zlib or zstd) whose text is [`long_text`], written
/// the way Mars writes: flushed, never finished.
fn long_block(zstd: bool, zeros: usize) -> Vec<u8> {
    let text = long_text(zeros);
    if zstd {
        use zstd::zstd_safe::{CCtx, InBuffer, OutBuffer, zstd_sys::ZSTD_EndDirective};
        let mut c = CCtx::create();
        let mut payload: Vec<u8> = Vec::with_capacity(text.len() / 1000 + (1 << 20));
        let mut inb = InBuffer::around(&text[..]);
        loop {
            let pos = payload.len();
            let mut ob = OutBuffer::around_pos(&mut payload, pos);
            let left = c
                .compress_stream2(&mut ob, &mut inb, ZSTD_EndDirective::ZSTD_e_flush)
                .unwrap();
            if left == 0 && inb.pos() == text.len() {
                break;
            }
        }
        block(0x0D, &payload)
    } else {
        use flate2::{Compress, FlushCompress};
        let mut c = Compress::new(flate2::Compression::best(), false);
        let mut payload = Vec::with_capacity(text.len() / 500 + (1 << 16));
        c.compress_vec(&text, &mut payload, FlushCompress::Sync)
            .unwrap();
        assert_eq!(c.total_in() as usize, text.len());
        assert!(payload.ends_with(&[0, 0, 0xFF, 0xFF]));
        block(0x09, &payload)
    }
}

/// An ordinary file (a few blocks) with a long block in the middle.
fn with_long_block(zstd: bool, zeros: usize) -> (Vec<u8>, Vec<u8>) {
    let normal = mixed_file();
    let mut file = normal.clone();
    file.extend_from_slice(&long_block(zstd, zeros));
    file.extend_from_slice(&normal);
    let plain = common::texts(&events(&normal, &Options::default(), 1, None)).concat();
    let mut text = plain.clone();
    text.extend_from_slice(&long_text(zeros));
    text.extend_from_slice(&plain);
    (file, text)
}

#[test]
fn a_long_block_under_the_cap_comes_whole_in_chunks_of_at_most_a_mebibyte() {
    // 40 MiB of text: ten times what a block decodes to in memory.
    let zeros = 40 << 20;
    for zstd in [false, true] {
        let (file, want) = with_long_block(zstd, zeros);
        assert!(file.len() < 2 << 20, "{}", file.len());
        let mut per_jobs = Vec::new();
        for jobs in [1, 2] {
            let events = events(&file, &Options::default(), jobs, Some(64 << 20));
            let texts = common::texts(&events);
            let chunks = texts.iter().filter(|t| t.len() == 1 << 20).count();
            assert!(chunks >= 40, "zstd {zstd} -j{jobs}: {chunks} chunks");
            let largest = texts.iter().map(|t| t.len()).max().unwrap();
            assert!(largest <= 1 << 20, "zstd {zstd} -j{jobs}: {largest}");
            assert!(texts.concat() == want, "zstd {zstd} -j{jobs}");
            assert!(!events.iter().any(|e| matches!(
                e,
                OwnedEvent::Other(Event::OutputCapped { .. } | Event::DecompressError { .. })
            )));
            per_jobs.push(events);
        }
        assert!(per_jobs[0] == per_jobs[1], "zstd {zstd}: -j2 differs");
    }
}

#[test]
fn a_long_block_over_the_cap_is_cut_at_the_cap_with_its_marker() {
    let zeros = 20 << 20;
    for zstd in [false, true] {
        let (file, _) = with_long_block(zstd, zeros);
        let at = mixed_file().len() as u64;
        // Past the in-memory size, so the cut happens while streaming.
        let cap = (6 << 20) + 12345;
        for jobs in [1, 2] {
            let events = events(&file, &Options::default(), jobs, Some(cap));
            let mut bytes = 0;
            let mut long = None;
            let mut marker = None;
            for (i, e) in events.iter().enumerate() {
                match e {
                    OwnedEvent::Block(b) if b.offset == at => long = Some(i),
                    OwnedEvent::Text(t) if long.is_some() && marker.is_none() => {
                        assert!(t.len() <= 1 << 20);
                        bytes += t.len();
                    }
                    OwnedEvent::Other(Event::OutputCapped { block, cap: c }) => {
                        assert_eq!(block.offset, at);
                        assert_eq!(*c, cap as u64);
                        marker = Some(i);
                    }
                    _ => {}
                }
            }
            assert_eq!(
                bytes, cap,
                "zstd {zstd} -j{jobs}: the text up to the marker"
            );
            // The marker closes the long block: the next block follows.
            let marker = marker.expect("a marker");
            assert!(matches!(events[marker + 1], OwnedEvent::Block(_)));
        }
        // The text printer: the cut text, then the marker line.
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("long.xlog");
        std::fs::write(&input, &file).unwrap();
        let mut want = xlogdec::decode::reader::decode_to_vec(&mixed_file(), Options::default());
        want.extend_from_slice(&long_text(zeros)[..cap]);
        want.extend_from_slice(
            format!("[F]xlogdec: block at byte {at} decodes to more than {cap} bytes; cut there (--max-block-output)\n")
                .as_bytes(),
        );
        let run = |jobs: &str| {
            let out = Command::new(env!("CARGO_BIN_EXE_xlogdec"))
                .args(["-j", jobs, "--max-block-output", &cap.to_string()])
                .arg(&input)
                .output()
                .unwrap();
            assert!(out.status.success());
            out.stdout
        };
        let one = run("1");
        assert!(one.starts_with(&want), "zstd {zstd}");
        assert!(one.len() > want.len() + 100_000, "the rest follows");
        assert!(run("2") == one, "zstd {zstd} -j2");
    }
}

#[test]
fn a_long_block_that_fails_shows_no_text_and_a_cut_one_shows_what_is_there() {
    // A data error after 10 MiB of text: the official decoder drops the
    // whole block, and so does a block decoded in chunks.
    let good = long_block(false, 10 << 20);
    let payload = &good[73..good.len() - 1];
    let mut bad = payload.to_vec();
    bad.extend_from_slice(&[0xFF, 0xFF, 0xFF]);
    let mut file = block(0x09, &bad);
    file.extend_from_slice(&block(0x08, b"after\n"));
    for jobs in [1, 2] {
        let events = events(&file, &Options::default(), jobs, Some(64 << 20));
        let kinds: Vec<String> = events
            .iter()
            .map(|e| match e {
                OwnedEvent::Block(_) => "block".to_string(),
                OwnedEvent::Text(t) => format!("text {}", t.len()),
                OwnedEvent::Other(Event::DecompressError { message, .. }) => message.clone(),
                OwnedEvent::Other(_) => "other".to_string(),
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "block",
                "Error -3 while decompressing data: invalid block type",
                "block",
                "text 6"
            ],
            "-j{jobs}"
        );
    }
    // A long last block cut off by the end of the file: its text as far
    // as the payload goes, in chunks.
    let cut = &good[..good.len() - 3000];
    let events = events(cut, &Options::default(), 1, Some(64 << 20));
    assert!(matches!(
        events[0],
        OwnedEvent::Other(Event::Salvaged { .. })
    ));
    let texts = common::texts(&events);
    assert!(texts.iter().all(|t| t.len() <= 1 << 20));
    let text = texts.concat();
    assert!(text.len() > 5 << 20, "{}", text.len());
    assert!(long_text(10 << 20).starts_with(&text));
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
    block(0x09, &payload)
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
                        Event::Skipped { .. } | Event::DecompressError { .. } | Event::SeqGap(_)
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

/// Counts the texts that reach a filter sink with what the workers
/// computed on them (its verdicts, and records rendered ahead).
struct Counting<S> {
    inner: S,
    judged: usize,
}

impl<S: Sink> Sink for Counting<S> {
    fn event(&mut self, event: &Event<'_>) -> std::io::Result<()> {
        self.inner.event(event)
    }
    fn finish(&mut self, summary: &xlogdec::Summary) -> std::io::Result<()> {
        self.inner.finish(summary)
    }
    fn hook(&self) -> Option<Arc<dyn BlockHook>> {
        self.inner.hook()
    }
    fn worked_text(&mut self, text: &[u8], worked: Worked<'_>) -> std::io::Result<()> {
        self.judged += 1;
        self.inner.worked_text(text, worked)
    }
}

/// What `xlogdec [filter] --format text|json` prints for `data` on `jobs`
/// threads, and how many texts came judged by the workers.
fn filtered(data: &[u8], f: &Filter, json: bool, jobs: usize) -> (Vec<u8>, usize) {
    let mut d = Decoder::new(Options::default());
    d.set_jobs(jobs);
    if json {
        let mut s = Counting {
            inner: FilterSink::new(JsonSink::new(Vec::new(), "in.xlog"), f.clone()),
            judged: 0,
        };
        d.decode_slice(data, &mut s).unwrap();
        (s.inner.into_inner().into_inner(), s.judged)
    } else {
        let printer = TextRecords::new(TextSink::new(Vec::new(), true), false);
        let mut s = Counting {
            inner: FilterSink::new(printer, f.clone()),
            judged: 0,
        };
        d.decode_slice(data, &mut s).unwrap();
        (s.inner.into_inner().into_inner().into_inner(), s.judged)
    }
}

/// The filter of the options `f` sets, "now" being 2024-01-31 12:00 +08:00.
fn filter(f: &dyn Fn(&mut FilterOptions)) -> Filter {
    let now = DateTime::parse_from_rfc3339("2024-01-31T12:00:00+08:00").unwrap();
    let mut o = FilterOptions::default();
    f(&mut o);
    Filter::new(&o, now).unwrap()
}

#[test]
fn filtered_output_is_the_same_when_workers_judge_the_records() {
    let filters = [
        filter(&|o| o.level = Some("V".into())),
        filter(&|o| o.level = Some("W".into())),
        filter(&|o| {
            o.level = Some("E".into());
            o.tags = vec!["im*".into()];
        }),
        filter(&|o| {
            o.since = Some("10:03".into());
            o.until = Some("10:05".into());
            o.main_thread = true;
        }),
        filter(&|o| {
            o.level = Some("I".into());
            o.regex = Some("LOGIN|kicked".into());
            o.ignore_case = true;
        }),
        filter(&|o| {
            o.regex = Some("user=".into());
            o.invert = true;
        }),
        // Matches that run from one record into the next.
        filter(&|o| o.regex = Some(r"[0-9}]\n\[[DI]|\n ".into())),
    ];
    let mut inputs: Vec<(String, Vec<u8>)> = corpus_files()
        .into_iter()
        .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
        .collect();
    inputs.push(("many small blocks".into(), many_small_blocks()));
    inputs.push(("mixed".into(), mixed_file()));
    let mut judged = 0;
    for (name, data) in &inputs {
        for (k, f) in filters.iter().enumerate() {
            for json in [false, true] {
                let (one, none) = filtered(data, f, json, 1);
                assert_eq!(none, 0, "one thread judges nothing ahead");
                let (three, j) = filtered(data, f, json, 3);
                assert!(one == three, "{name}: filter {k} json {json}");
                judged += j;
            }
        }
    }
    assert!(judged > 1000, "the workers judged {judged} texts");
}

/// A JSON printer that counts the records rendered ahead by the workers,
/// handed on one by one and in runs; `ahead: false` asks for none (every
/// record is rendered in order).
struct Rendering {
    inner: JsonSink<Vec<u8>>,
    ahead: bool,
    rendered: Ahead,
}

/// Records rendered ahead: handed on one by one, and in runs.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Ahead {
    single: usize,
    in_runs: usize,
}

impl RecordSink for Rendering {
    fn record(&mut self, rec: &Record<'_>) -> std::io::Result<()> {
        self.inner.record(rec)
    }
    fn event(&mut self, event: &Event<'_>) -> std::io::Result<()> {
        self.inner.event(event)
    }
    fn finish(&mut self, summary: &xlogdec::Summary) -> std::io::Result<()> {
        self.inner.finish(summary)
    }
    fn record_head(&mut self, rec: &Record<'_>) -> std::io::Result<()> {
        self.inner.record_head(rec)
    }
    fn record_rest(
        &mut self,
        level: Option<Level>,
        bytes: &[u8],
        more: bool,
    ) -> std::io::Result<()> {
        self.inner.record_rest(level, bytes, more)
    }
    fn renderer(&self) -> Option<Arc<dyn RenderAhead>> {
        self.inner.renderer().filter(|_| self.ahead)
    }
    fn rendered(&mut self, r: &Rendered<'_>) -> std::io::Result<()> {
        self.rendered.single += 1;
        self.inner.rendered(r)
    }
    fn rendered_run(&mut self, run: &RenderedRun<'_>) -> std::io::Result<()> {
        self.rendered.in_runs += run.meta.len();
        self.inner.rendered_run(run)
    }
}

/// What `xlogdec [filter] --format json` prints for `data` on `jobs`
/// threads, rendering ahead or not, and how many records were rendered
/// ahead.
fn json_out(data: &[u8], f: &Filter, jobs: usize, ahead: bool) -> (Vec<u8>, Ahead) {
    let mut d = Decoder::new(Options::default());
    d.set_jobs(jobs);
    let printer = Rendering {
        inner: JsonSink::new(Vec::new(), "in.xlog"),
        ahead,
        rendered: Ahead::default(),
    };
    let mut s = FilterSink::new(printer, f.clone());
    d.decode_slice(data, &mut s).unwrap();
    let p = s.into_inner();
    (p.inner.into_inner(), p.rendered)
}

/// Records cut across blocks at every place: generated lines, lines
/// with bytes that are not UTF-8 and with characters JSON escapes, a
/// record of more than 1 MiB, text before the first record, all cut into
/// zlib blocks of 777 bytes of text (and one of 3 MiB).
fn cut_across_blocks() -> Vec<u8> {
    let mut text = b"text before any record\n".to_vec();
    let mut lines = LineGen::new(11);
    for i in 0..3000 {
        lines.line(&mut text);
        match i % 500 {
            7 => text.extend_from_slice(
                b"[W][2024-01-31 +8.0 10:00:00.000][1, 2*][t\xff\"g][a\\.cc:1, f\x01][bad \xc3 \x1f\"q\"\n",
            ),
            8 => text.extend_from_slice(b"[E] a level but no header\n  and a second line\n"),
            9 => {
                text.extend_from_slice(
                    b"[E][2024-01-31 +8.0 10:00:01.000][1, 2*][long][a.cc:1, f][boom ",
                );
                text.resize(text.len() + (3 << 19), b'x');
                text.extend_from_slice(b"\n  TAILMARK\n");
            }
            _ => {}
        }
    }
    let mut file = Vec::new();
    let mut seq = 1u16;
    let mut rest = &text[..];
    while !rest.is_empty() {
        let n = if seq == 40 { 3 << 20 } else { 777 };
        let (piece, after) = rest.split_at(n.min(rest.len()));
        rest = after;
        let mut c = flate2::Compress::new(flate2::Compression::fast(), false);
        let mut payload = Vec::with_capacity(piece.len() + 1024);
        c.compress_vec(piece, &mut payload, flate2::FlushCompress::Sync)
            .unwrap();
        let mut b = block(0x09, &payload);
        b[1..3].copy_from_slice(&seq.to_le_bytes());
        file.extend_from_slice(&b);
        seq += 1;
    }
    file
}

/// The JSON of every input and filter is the same whether records are
/// rendered ahead by three workers, by the one decoding thread as a
/// worker would, or one at a time by the sink.
#[test]
fn json_is_the_same_when_workers_render_the_records() {
    let filters = [
        Filter::default(),
        filter(&|o| o.level = Some("W".into())),
        filter(&|o| {
            o.level = Some("E".into());
            o.tags = vec!["im*".into()];
        }),
        filter(&|o| {
            o.since = Some("2024-03-12T02:00Z".into());
            o.until = Some("2024-03-12T04:00Z".into());
        }),
        filter(&|o| {
            o.regex = Some("user=".into());
            o.invert = true;
        }),
        // Whole-record patterns, fixed strings, functions and files, case
        // folding, a window across midnight, thread fields.
        filter(&|o| o.patterns = vec!["SendHeartbeat".into(), r"\]\[login\]|ret=2".into()]),
        filter(&|o| {
            o.patterns = vec!["[26289, 26289*]".into()];
            o.fixed_strings = true;
        }),
        filter(&|o| {
            o.patterns = vec!["timmanager".into()];
            o.smart_case = true;
            o.invert = true;
        }),
        filter(&|o| {
            o.regex = Some("ret=".into());
            o.funcs = vec!["*Login*".into(), "SendHeartbeat".into()];
        }),
        filter(&|o| {
            o.files = vec!["*manager*".into()];
            o.level = Some("I".into());
        }),
        filter(&|o| {
            o.since = Some("10:03".into());
            o.until = Some("10:01".into());
        }),
        filter(&|o| o.main_thread = true),
    ];
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/imsdk");
    let mut inputs: Vec<(String, Vec<u8>)> = corpus_files()
        .into_iter()
        .chain(
            std::fs::read_dir(&dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|e| e == "xlog")),
        )
        .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
        .collect();
    assert!(inputs.iter().filter(|(n, _)| n.contains("imsdk")).count() >= 3);
    inputs.push(("many small blocks".into(), many_small_blocks()));
    inputs.push(("mixed".into(), mixed_file()));
    inputs.push(("cut across blocks".into(), cut_across_blocks()));
    let (mut rendered, mut here) = (Ahead::default(), Ahead::default());
    for (name, data) in &inputs {
        for (k, f) in filters.iter().enumerate() {
            // One thread judges and renders as a worker does, on its own.
            let (one, r) = json_out(data, f, 1, true);
            here.single += r.single;
            here.in_runs += r.in_runs;
            let (three, r) = json_out(data, f, 3, true);
            assert!(one == three, "{name}: filter {k}");
            let (in_order, none) = json_out(data, f, 3, false);
            assert_eq!(none, Ahead::default());
            assert!(in_order == three, "{name}: filter {k}, in order");
            rendered.single += r.single;
            rendered.in_runs += r.in_runs;
            let (one_in_order, none) = json_out(data, f, 1, false);
            assert_eq!(none, Ahead::default());
            assert!(
                one_in_order == one,
                "{name}: filter {k}, one thread in order"
            );
        }
    }
    // Both ways of handing them on were taken: runs within chunks, single
    // records where a chunk does not start a line.
    assert!(
        rendered.in_runs > 100_000 && rendered.single > 1_000,
        "the workers rendered {rendered:?}"
    );
    assert!(
        here.in_runs > 100_000 && here.single > 1_000,
        "one thread rendered {here:?}"
    );
}
