//! The same input through every reader path gives the same events, and
//! hostile inputs give errors or markers, never a panic.

mod common;

use common::corpus;
use std::io::Read;
use xlogdec::decode::codec::PrivateKey;
use xlogdec::decode::event::{Collect, Event, OwnedEvent};
use xlogdec::decode::input::{MmapInput, ReadInput, SliceInput};
use xlogdec::decode::reader::{Decoder, Options, decode_to_vec};

const TEST_KEY: &str = "9f730faaf15961d6f44e63977f81c7505d54c83480f0c7f7e1b5fbbd661e7fc7";

fn keyed() -> Options {
    Options {
        key: Some(PrivateKey::from_hex(TEST_KEY).unwrap()),
        ..Options::default()
    }
}

/// Joins adjacent text events: how text is cut into events may differ
/// between paths only if it is the same bytes in the same place.
fn normalise(events: Vec<OwnedEvent>) -> Vec<OwnedEvent> {
    let mut out: Vec<OwnedEvent> = Vec::new();
    for e in events {
        match (out.last_mut(), e) {
            (Some(OwnedEvent::Text(prev)), OwnedEvent::Text(t)) => prev.extend_from_slice(&t),
            (_, e) => out.push(e),
        }
    }
    out
}

fn events_slice(data: &[u8]) -> Vec<OwnedEvent> {
    let mut c = Collect::default();
    Decoder::new(keyed())
        .decode(&mut SliceInput(data), &mut c)
        .unwrap();
    normalise(c.events)
}

/// A reader that hands out at most `n` bytes per read call.
struct Trickle<'a>(&'a [u8], usize);

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.1.min(buf.len()).min(self.0.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

const PATH_FILES: &[&str] = &[
    "b_async_zlib.xlog",
    "d_async_zstd_l6.xlog",
    "e_async_zlib_crypt.xlog",
    "i1_crash_async_zlib.mmap3",
    "j01_truncated_last_block.xlog",
    "j06_bad_length_field.xlog",
    "j08_garbage_prefix.xlog",
    "j10_truncated_then_appended.xlog",
    "k_legacy_0x05_async.xlog",
    "l_two_instances/app_20240131.xlog",
];

#[test]
fn slice_read_and_mmap_paths_agree() {
    for name in PATH_FILES {
        let path = corpus(name);
        let data = std::fs::read(&path).unwrap();
        let want = events_slice(&data);
        assert!(!want.is_empty(), "{name}");
        let chunks: &[usize] = if data.len() < 30_000 {
            &[1, 7, 4096, 1 << 20]
        } else {
            &[7, 4096, 1 << 20]
        };
        for &chunk in chunks {
            let mut c = Collect::default();
            let mut input = ReadInput::with_chunk(Trickle(&data, chunk), chunk);
            Decoder::new(keyed()).decode(&mut input, &mut c).unwrap();
            assert!(
                normalise(c.events) == want,
                "{name}: read path, chunk {chunk}"
            );
        }
        let file = std::fs::File::open(&path).unwrap();
        let mut map = MmapInput::open(&file).unwrap();
        let mut c = Collect::default();
        Decoder::new(keyed()).decode(&mut map, &mut c).unwrap();
        assert!(normalise(c.events) == want, "{name}: mmap path");
    }
}

#[test]
fn every_prefix_of_a_file_decodes_without_error() {
    // Cut a small multi-block file at every offset: each prefix decodes
    // (no panic, no error), and the blocks that are whole in it come out.
    let data = std::fs::read(corpus("k_legacy_0x04_async.xlog")).unwrap();
    let full = decode_to_vec(&data, Options::default());
    for cut in 0..=data.len() {
        let mut c = Collect::default();
        Decoder::new(Options::default())
            .decode_slice(&data[..cut], &mut c)
            .unwrap();
        let text = common::texts(&c.events).concat();
        // A cut file either ends on a block boundary or salvages its tail;
        // either way no more text than the whole file holds.
        assert!(text.len() <= full.len() + 200, "cut {cut}");
    }
}

#[test]
fn truncated_async_files_salvage_a_prefix_of_the_last_block() {
    let data = std::fs::read(corpus("b_async_zlib.xlog")).unwrap();
    let full = decode_to_vec(&data, Options::default());
    // Cut inside the payload of the last block, at several places.
    for back in [10usize, 100, 500, 1500] {
        let cut = data.len() - back;
        let mut sink = xlogdec::decode::text::TextSink::new(Vec::new(), false);
        Decoder::new(Options::default())
            .decode_slice(&data[..cut], &mut sink)
            .unwrap();
        let ours = sink.into_inner();
        assert!(full.starts_with(&ours), "cut {back} bytes before the end");
    }
}

#[test]
fn random_bytes_and_bogus_headers_never_panic() {
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for round in 0..200 {
        let len = (next() % 5000) as usize;
        let mut data: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        // Sprinkle plausible headers with bogus lengths.
        for _ in 0..(round % 8) {
            if data.len() > 80 {
                let at = (next() as usize) % (data.len() - 80);
                data[at] = 0x03 + (next() % 11) as u8;
                let l = if round % 2 == 0 {
                    u32::MAX - (next() % 100) as u32
                } else {
                    (next() % 200) as u32
                };
                data[at + 5..at + 9].copy_from_slice(&l.to_le_bytes());
            }
        }
        let mut c = Collect::default();
        let s = Decoder::new(keyed()).decode_slice(&data, &mut c).unwrap();
        assert_eq!(s.bytes_in, data.len() as u64);
    }
}

#[test]
fn a_header_claiming_four_gigabytes_costs_no_allocation_of_that_size() {
    // One good block, then a header that claims u32::MAX payload bytes.
    let good = std::fs::read(corpus("n_open_close_only.xlog")).unwrap();
    let mut data = good.clone();
    let mut bogus = good.clone();
    bogus[5..9].copy_from_slice(&u32::MAX.to_le_bytes());
    data.extend_from_slice(&bogus);
    let mut c = Collect::default();
    let s = Decoder::new(Options::default())
        .decode_slice(&data, &mut c)
        .unwrap();
    assert!(s.blocks() >= 1);
    // Through a reader the window never grows past the input.
    let mut c2 = Collect::default();
    let mut input = ReadInput::with_chunk(&data[..], 64);
    Decoder::new(Options::default())
        .decode(&mut input, &mut c2)
        .unwrap();
    assert!(normalise(c.events) == normalise(c2.events));
}

#[test]
fn resync_reports_the_official_reason_and_length() {
    let data = std::fs::read(corpus("j07_bad_magic.xlog")).unwrap();
    let mut c = Collect::default();
    Decoder::new(Options::default())
        .decode_slice(&data, &mut c)
        .unwrap();
    let skipped: Vec<_> = c
        .events
        .iter()
        .filter_map(|e| match e {
            OwnedEvent::Other(Event::Skipped {
                offset,
                len,
                reason,
            }) => Some((*offset, *len, reason.to_string())),
            _ => None,
        })
        .collect();
    // The manifest: magic of block seq 7 (offset 23799) set to 0x42.
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert_eq!(skipped[0].0, 23799);
    assert_eq!(skipped[0].2, "_buffer[23799]:66 != MAGIC_NUM_START");
}
