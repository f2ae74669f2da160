//! The xlog writer: what it writes decodes, with this crate's decoder, to
//! exactly the lines given, in every block kind Mars writes.

mod common;

use xlogdec::decode::codec::PrivateKey;
use xlogdec::decode::event::Collect;
use xlogdec::decode::reader::{Decoder, Options, decode_to_vec};
use xlogdec::decode::writer::{Compression, LineGen, WriterOptions, XlogWriter};

/// The corpus key pair (testdata/corpus/keys.md).
const PRIVATE: &str = "9f730faaf15961d6f44e63977f81c7505d54c83480f0c7f7e1b5fbbd661e7fc7";
const PUBLIC: &str = "242ecb58315e1ca1437d8c0ad5ea91f2643212c63f575aedf4d188707e52396ea882b0bbecdf001826bc0045e0ef738983118a1f44a5ca583507f259c6d4439a";

fn public_key() -> [u8; 64] {
    let mut k = [0u8; 64];
    for (i, b) in k.iter_mut().enumerate() {
        *b = u8::from_str_radix(&PUBLIC[2 * i..2 * i + 2], 16).unwrap();
    }
    k
}

/// Writes `n` generated lines; returns the file and the text written.
fn write(opts: WriterOptions, n: usize) -> (Vec<u8>, Vec<u8>) {
    let mut w = XlogWriter::new(Vec::new(), opts).unwrap();
    let mut lines = LineGen::new(7);
    let mut text = Vec::new();
    let mut line = Vec::new();
    for _ in 0..n {
        line.clear();
        lines.line(&mut line);
        w.set_hour(lines.hour());
        w.write_line(&line).unwrap();
        text.extend_from_slice(&line);
    }
    (w.finish().unwrap(), text)
}

fn all_modes() -> Vec<(&'static str, WriterOptions)> {
    let m = |is_async, compression, crypt: bool| WriterOptions {
        is_async,
        compression,
        public_key: crypt.then(public_key),
        client_seed: 3,
    };
    vec![
        ("sync zlib", m(false, Compression::Zlib(9), false)),
        ("sync zstd", m(false, Compression::Zstd(6), false)),
        ("sync zlib crypt", m(false, Compression::Zlib(9), true)),
        ("sync zstd crypt", m(false, Compression::Zstd(6), true)),
        ("async zlib", m(true, Compression::Zlib(9), false)),
        ("async zstd", m(true, Compression::Zstd(6), false)),
        ("async zlib crypt", m(true, Compression::Zlib(9), true)),
        ("async zstd crypt", m(true, Compression::Zstd(3), true)),
    ]
}

#[test]
fn every_mode_decodes_to_exactly_the_lines_written() {
    let opts = Options {
        key: Some(PrivateKey::from_hex(PRIVATE).unwrap()),
        ..Options::default()
    };
    for (name, w) in all_modes() {
        let magic = w.magic();
        let is_async = w.is_async;
        let n = if is_async { 3000 } else { 300 };
        let (file, text) = write(w, n);
        assert_eq!(file[0], magic, "{name}: first magic");
        let mut events = Collect::default();
        let summary = Decoder::new(opts.clone())
            .decode_slice(&file, &mut events)
            .unwrap();
        assert!(!summary.has_problems(), "{name}: {summary:?}");
        let blocks = summary.blocks_by_magic[usize::from(magic)];
        assert_eq!(blocks, summary.blocks(), "{name}: one block kind");
        if is_async {
            assert!(blocks > 2, "{name}: several async blocks ({blocks})");
        } else {
            assert_eq!(blocks, n as u64, "{name}: one sync block per line");
        }
        let decoded = common::texts(&events.events).concat();
        assert!(decoded == text, "{name}: decoded text differs");
    }
}

#[test]
fn async_blocks_follow_the_mars_layout() {
    let (file, _) = write(WriterOptions::default(), 3000);
    // Walk the blocks: seq counts from 1, payloads end with the sync-flush
    // marker of an unfinished deflate stream, each block ends with 0x00.
    let mut at = 0;
    let mut seq = 0u16;
    while at < file.len() {
        assert_eq!(file[at], 0x09);
        let s = u16::from_le_bytes([file[at + 1], file[at + 2]]);
        seq += 1;
        assert_eq!(s, seq);
        let len = u32::from_le_bytes(file[at + 5..at + 9].try_into().unwrap()) as usize;
        let payload = &file[at + 73..at + 73 + len];
        assert_eq!(&payload[len - 4..], &[0, 0, 0xFF, 0xFF]);
        assert_eq!(file[at + 73 + len], 0);
        at += 73 + len + 1;
    }
    assert!(seq > 2);
}

#[test]
fn encrypted_output_needs_the_key() {
    let w = WriterOptions {
        public_key: Some(public_key()),
        ..WriterOptions::default()
    };
    let (file, _) = write(w, 2000);
    let text = decode_to_vec(&file, Options::default());
    assert!(text.starts_with(b"[F]xlogdec: "), "locked, one marker");
    assert_eq!(text.iter().filter(|&&b| b == b'\n').count(), 1);
}

#[test]
fn generated_lines_look_like_mars_lines() {
    let mut lines = LineGen::new(1);
    let mut buf = Vec::new();
    for _ in 0..5000 {
        lines.line(&mut buf);
    }
    let text = String::from_utf8_lossy(&buf);
    let headers = text.lines().filter(|l| l.starts_with('[')).count();
    assert!(headers >= 5000, "every line has a header");
    assert!(text.contains("*]["), "main-thread lines are marked");
    assert!(text.contains("收到新消息"));
    assert!(buf.split(|&b| b == b'\n').all(|l| l.len() <= 16_254));
    let mut again = Vec::new();
    let mut lines = LineGen::new(1);
    for _ in 0..5000 {
        lines.line(&mut again);
    }
    assert_eq!(buf, again, "deterministic");
}
