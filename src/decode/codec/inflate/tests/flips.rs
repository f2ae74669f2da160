//! The whole-buffer fast path against zlib-rs over damaged genuine
//! payloads: single-bit flips in the blocks of the genuine writer's async
//! zlib files (`testdata/corpus`), plain and encrypted. Whatever the fast
//! path accepts must be exactly what zlib decodes; overall, `inflate`
//! must give zlib's verdict and bytes.

use crate::decode::codec::inflate::{Codec, FINAL_EMPTY, Inflater, SYNC_FLUSH};
use crate::decode::codec::{PrivateKey, tea};
use crate::decode::format::{self, Check, Payload};
use flate2::{Decompress, FlushDecompress, Status};

/// The private key of the corpus's encrypted files (testdata/corpus/keys.md).
const CORPUS_KEY: &str = "9f730faaf15961d6f44e63977f81c7505d54c83480f0c7f7e1b5fbbd661e7fc7";

/// One block: its raw payload and, for an encrypted one, its TEA key.
struct Block {
    payload: Vec<u8>,
    tea: Option<[u32; 4]>,
}

impl Block {
    /// The deflate stream of the payload with bit `bit` flipped (`None`:
    /// no flip), as the decoder sees it (decrypted).
    fn stream(&self, bit: Option<usize>) -> Vec<u8> {
        let mut p = self.payload.clone();
        if let Some(b) = bit {
            p[b / 8] ^= 1 << (b % 8);
        }
        if let Some(k) = &self.tea {
            tea::decrypt(&mut p, k);
        }
        p
    }
}

/// The deflate blocks of a corpus file.
fn blocks(name: &str) -> Vec<Block> {
    let path = format!("{}/testdata/corpus/{name}", env!("CARGO_MANIFEST_DIR"));
    let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let key = PrivateKey::from_hex(CORPUS_KEY).unwrap();
    let mut out = Vec::new();
    let mut at = 0u64;
    while (at as usize) < data.len() {
        let Check::Good { next } = format::check_block(&data, 0, at, true) else {
            panic!("{name}: a genuine file has good blocks only (byte {at})");
        };
        let b = &data[at as usize..next as usize];
        let h = format::parse_header(b).unwrap();
        let payload = b[h.magic.header_len()..b.len() - 1].to_vec();
        match h.magic.payload {
            Payload::Deflate => out.push(Block { payload, tea: None }),
            Payload::EncryptedDeflate => {
                let tea = Some(key.tea_key(h.key).unwrap());
                out.push(Block { payload, tea })
            }
            _ => {}
        }
        at = next;
    }
    assert!(out.len() >= 3, "{name}: {} deflate blocks", out.len());
    out
}

/// zlib-rs alone, as Python's `decompressobj(-15).decompress`: every byte
/// the stream yields until the input ends, or the output before an error.
fn zlib(input: &[u8]) -> (bool, Vec<u8>) {
    let mut z = Decompress::new(false);
    let mut out = Vec::with_capacity(input.len() * 8 + 1024);
    loop {
        if out.capacity() - out.len() < 1024 {
            out.reserve(out.capacity());
        }
        let before = z.total_in();
        let pos = before as usize;
        match z.decompress_vec(&input[pos..], &mut out, FlushDecompress::Sync) {
            Err(_) => return (false, out),
            Ok(Status::StreamEnd) => return (true, out),
            Ok(_) => {
                let room = out.capacity() > out.len();
                if z.total_in() as usize == input.len() && room {
                    return (true, out);
                }
                if z.total_in() == before && room {
                    return (true, out);
                }
            }
        }
    }
}

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n
    }
}

/// What one flip showed.
#[derive(Default, Debug)]
struct Tally {
    flips: usize,
    /// The fast path accepted the damaged stream.
    fast: usize,
    /// zlib refused it.
    zlib_errors: usize,
    /// Upstream libdeflate accepted what zlib refuses, or decoded other
    /// bytes: the leniency the vendored copy removes.
    upstream_lenient: Vec<(usize, usize)>,
    /// Flips where ours differs from zlib (must stay empty).
    wrong: Vec<(usize, usize)>,
}

/// Checks one flip of block `i` at `bit` (`None`: the clean block).
fn check(
    inf: &mut Inflater,
    up: &mut libdeflater::Decompressor,
    blocks: &[Block],
    i: usize,
    bit: Option<usize>,
    t: &mut Tally,
) {
    let input = blocks[i].stream(bit);
    let (ok, want) = zlib(&input);
    let mut fast = Vec::new();
    let fast_ok = input.ends_with(&SYNC_FLUSH) && inf.whole(&input, &mut fast, usize::MAX);
    let mut got = Vec::new();
    let got_ok = inf.decode(&input, &mut got).is_ok();
    t.flips += 1;
    t.fast += usize::from(fast_ok);
    t.zlib_errors += usize::from(!ok);
    let at = (i, bit.unwrap_or(usize::MAX));
    if (fast_ok && (!ok || fast != want)) || got_ok != ok || got != want {
        t.wrong.push(at);
    }
    // Upstream libdeflate on the same finished stream.
    let mut tail = input.clone();
    tail.extend_from_slice(&FINAL_EMPTY);
    let mut buf = vec![0u8; want.len() + (1 << 20)];
    if input.ends_with(&SYNC_FLUSH)
        && let Ok(n) = up.deflate_decompress(&tail, &mut buf)
        && (!ok || buf[..n] != want[..])
    {
        t.upstream_lenient.push(at);
    }
}

/// Flips `count` random bits of the payloads of `name` and checks each.
fn differential(name: &str, seed: u64, count: usize) -> Tally {
    let blocks = blocks(name);
    let mut inf = Inflater::new();
    let mut up = libdeflater::Decompressor::new();
    let mut t = Tally::default();
    for i in 0..blocks.len() {
        check(&mut inf, &mut up, &blocks, i, None, &mut t);
    }
    assert!(
        t.wrong.is_empty() && t.zlib_errors == 0,
        "{name} clean: {t:?}"
    );
    let mut rng = Rng(seed);
    for _ in 0..count {
        let i = rng.below(blocks.len());
        let bit = rng.below(blocks[i].payload.len() * 8);
        check(&mut inf, &mut up, &blocks, i, Some(bit), &mut t);
    }
    t
}

#[test]
fn flipped_plain_payloads_decode_as_zlib_decodes_them() {
    let t = differential("b_async_zlib.xlog", 0x5EED_0001, 3000);
    assert!(
        t.wrong.is_empty(),
        "differs from zlib at (block, bit) {:?}",
        t.wrong
    );
    // The flips do reach both outcomes and the fast path.
    assert!(t.zlib_errors > 300 && t.fast > 300, "{t:?}");
    // And the cases upstream libdeflate gets wrong.
    assert!(!t.upstream_lenient.is_empty(), "{t:?}");
    eprintln!("{t:?}");
}

#[test]
fn flipped_encrypted_payloads_decode_as_zlib_decodes_them() {
    let t = differential("e_async_zlib_crypt.xlog", 0x5EED_0002, 2000);
    assert!(
        t.wrong.is_empty(),
        "differs from zlib at (block, bit) {:?}",
        t.wrong
    );
    assert!(t.zlib_errors > 300 && t.fast > 100, "{t:?}");
    eprintln!("{t:?}");
}

/// Flips where upstream libdeflate decodes text zlib refuses (or other
/// text than zlib's), found by the tests above: (block, bit).
const PLAIN_LENIENT: [(usize, usize); 4] = [(10, 33190), (0, 1211), (4, 59300), (16, 89001)];
const ENCRYPTED_LENIENT: [(usize, usize); 4] = [(19, 807), (20, 353), (17, 4569), (3, 5643)];

#[test]
fn flips_upstream_libdeflate_misdecodes_give_zlibs_verdict() {
    for (name, cases) in [
        ("b_async_zlib.xlog", PLAIN_LENIENT),
        ("e_async_zlib_crypt.xlog", ENCRYPTED_LENIENT),
    ] {
        let blocks = blocks(name);
        let mut inf = Inflater::new();
        let mut up = libdeflater::Decompressor::new();
        let mut t = Tally::default();
        for (i, bit) in cases {
            check(&mut inf, &mut up, &blocks, i, Some(bit), &mut t);
        }
        assert_eq!(
            t.upstream_lenient, cases,
            "{name}: upstream still lenient there"
        );
        assert!(t.wrong.is_empty(), "{name}: {:?}", t.wrong);
        // zlib refuses each of them; so does xlogdec.
        assert_eq!(t.zlib_errors, cases.len(), "{name}");
    }
}
