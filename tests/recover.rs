//! `--recover` on generated damage: corpus async zlib files with random
//! byte flips (seeded), measured against a count of the undamaged lines
//! made here, independently of the recovery code, from the clean file.

use flate2::{Decompress, FlushDecompress};
use std::collections::HashMap;
use std::path::Path;
use xlogdec::codec::{PrivateKey, tea};
use xlogdec::reader::{Options, decode_to_vec};

const TEST_KEY: &str = "9f730faaf15961d6f44e63977f81c7505d54c83480f0c7f7e1b5fbbd661e7fc7";

/// Async zlib files (magic 0x09, and 0x07 under the test key).
const FILES: &[&str] = &[
    "b_async_zlib.xlog",
    "o_pre2021_linefmt_async_zlib.xlog",
    "h_multiday/imsdk_20240130.xlog",
    "h_multiday/imsdk_20240128.xlog",
    "e_async_zlib_crypt.xlog",
];

/// One line of the clean file: its text and the payload bytes (absolute
/// offsets) whose flush segment produced it.
struct Line {
    text: Vec<u8>,
    from: usize,
    to: usize,
}

/// Payload ranges of the file's blocks (a plain front-to-back walk).
fn payloads(data: &[u8]) -> Vec<(u8, usize, usize)> {
    let mut out = Vec::new();
    let mut o = 0;
    while o + 73 <= data.len() {
        let len = u32::from_le_bytes(data[o + 5..o + 9].try_into().unwrap()) as usize;
        out.push((data[o], o + 73, o + 73 + len));
        o += 73 + len + 1;
    }
    assert_eq!(o, data.len(), "a clean file walks to its end");
    out
}

/// The lines of a clean file with the input range each came from: the
/// payload is inflated one flush segment (ending `00 00 FF FF`) at a time
/// through one continuous inflater, so each line is tied to its bytes.
fn lines_of(data: &[u8], key: &PrivateKey) -> Vec<Line> {
    let mut lines = Vec::new();
    for (magic, start, end) in payloads(data) {
        let mut payload = data[start..end].to_vec();
        if magic == 0x07 {
            let tk = key.tea_key(&data[start - 64..start]).unwrap();
            tea::decrypt(&mut payload, &tk);
        }
        let mut z = Decompress::new(false);
        let mut seg_start = 0;
        let mut i = 0;
        while i + 4 <= payload.len() {
            if payload[i..i + 4] != [0, 0, 0xFF, 0xFF] {
                i += 1;
                continue;
            }
            let seg_end = i + 4;
            let mut text = Vec::with_capacity(64 * 1024);
            z.decompress_vec(
                &payload[seg_start..seg_end],
                &mut text,
                FlushDecompress::Sync,
            )
            .unwrap();
            assert_eq!(z.total_in() as usize, seg_end, "one call takes a segment");
            // A segment normally holds one line; split in case it holds more.
            for l in text.split_inclusive(|&b| b == b'\n') {
                lines.push(Line {
                    text: l.to_vec(),
                    from: start + seg_start,
                    to: start + seg_end,
                });
            }
            seg_start = seg_end;
            i = seg_end;
        }
    }
    lines
}

fn count_lines(text: &[u8]) -> HashMap<&[u8], usize> {
    let mut m = HashMap::new();
    for l in text.split_inclusive(|&b| b == b'\n') {
        *m.entry(l).or_insert(0) += 1;
    }
    m
}

/// How many of `want` appear in `text` (as whole lines, with multiplicity).
fn found(want: &[&Line], text: &[u8]) -> usize {
    let mut have = count_lines(text);
    let mut n = 0;
    for l in want {
        if let Some(c) = have.get_mut(&l.text[..])
            && *c > 0
        {
            *c -= 1;
            n += 1;
        }
    }
    n
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn recover_keeps_ninety_percent_of_the_undamaged_lines() {
    let key = PrivateKey::from_hex(TEST_KEY).unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/corpus");
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut undamaged, mut ours, mut official) = (0usize, 0usize, 0usize);
    // Undamaged lines in blocks that hold a flip: (all, ours, official's).
    let mut hit_blocks = (0usize, 0usize, 0usize);
    for name in FILES {
        let data = std::fs::read(dir.join(name)).unwrap();
        let lines = lines_of(&data, &key);
        let expected = decode_to_vec(
            &data,
            Options {
                key: Some(key.clone()),
                ..Options::default()
            },
        );
        // The independent split reproduces the official text exactly.
        let joined: Vec<u8> = lines.iter().flat_map(|l| l.text.clone()).collect();
        assert!(
            joined == expected,
            "{name}: the split must reproduce the text"
        );
        let spans = payloads(&data);
        for round in 0..3 {
            // A few flips, each in some block's payload (header damage is
            // the resync's business).
            let flips = 2 + round;
            let mut bad = data.clone();
            let mut at = Vec::new();
            for _ in 0..flips {
                let (_, s, e) = spans[rng.next() as usize % spans.len()];
                let x = s + rng.next() as usize % (e - s);
                bad[x] ^= 1 + (rng.next() % 255) as u8;
                at.push(x);
            }
            let want: Vec<&Line> = lines
                .iter()
                .filter(|l| !at.iter().any(|&x| l.from <= x && x < l.to))
                .collect();
            let opts = |recover| Options {
                key: Some(key.clone()),
                recover,
                ..Options::default()
            };
            let rec = decode_to_vec(&bad, opts(true));
            let off = decode_to_vec(&bad, opts(false));
            let (r, o) = (found(&want, &rec), found(&want, &off));
            // The same count over the blocks that hold a flip only.
            let hit = |l: &&Line| {
                spans.iter().any(|&(_, s, e)| {
                    s <= l.from && l.to <= e && at.iter().any(|&x| s <= x && x < e)
                })
            };
            let in_hit: Vec<&Line> = want.iter().copied().filter(hit).collect();
            hit_blocks.0 += in_hit.len();
            hit_blocks.1 += found(&in_hit, &rec);
            hit_blocks.2 += found(&in_hit, &off);
            eprintln!(
                "{name} round {round}: {} undamaged lines, recover kept {r}, official kept {o}",
                want.len()
            );
            undamaged += want.len();
            ours += r;
            official += o;
            // --recover never does worse than the official decoder.
            assert!(r >= o, "{name} round {round}: {r} < {o}");
        }
    }
    let pct = |n: usize| 100.0 * n as f64 / undamaged as f64;
    eprintln!(
        "undamaged lines {undamaged}: --recover kept {ours} ({:.1}%), official kept {official} ({:.1}%)",
        pct(ours),
        pct(official)
    );
    let (h, hr, ho) = hit_blocks;
    eprintln!(
        "in the damaged blocks, {h} undamaged lines: --recover kept {hr} ({:.1}%), official kept {ho} ({:.1}%)",
        100.0 * hr as f64 / h as f64,
        100.0 * ho as f64 / h as f64
    );
    assert!(pct(ours) >= 90.0, "recovered {:.1}%", pct(ours));
    // The whole-file figure is high for the official decoder too (most
    // blocks hold no flip); what --recover adds shows in the damaged
    // blocks: measured 91.2% there against the official 43.7%.
    assert!(
        hr * 100 >= h * 90 && hr >= 3 * ho / 2,
        "in damaged blocks --recover kept {hr} of {h} (official {ho})"
    );
}

#[test]
fn recovered_blocks_are_marked_in_band() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/corpus");
    let data = std::fs::read(dir.join("j04_flip_payload_zlib.xlog")).unwrap();
    let plain = decode_to_vec(&data, Options::default());
    let rec = decode_to_vec(
        &data,
        Options {
            recover: true,
            ..Options::default()
        },
    );
    let marker = b"[F]xlogdec: recovered ";
    assert!(!plain.windows(marker.len()).any(|w| w == marker));
    let at = rec
        .windows(marker.len())
        .position(|w| w == marker)
        .expect("a marker line");
    // The official output is untouched up to and including its error line.
    assert_eq!(&rec[..at], &plain[..at]);
    assert!(rec.len() > plain.len());
}
