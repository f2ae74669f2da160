//! Hand-made deflate streams, one per case where upstream libdeflate
//! decodes what zlib refuses: the vendored decompressor must refuse them
//! too (or decode them exactly as zlib does), so that `inflate` gives
//! zlib's verdict, words and bytes.

use crate::decode::codec::inflate::{Codec, FINAL_EMPTY, Inflater};

/// Deflate's bit order: values LSB first, Huffman codes MSB first.
#[derive(Default)]
struct Bits {
    out: Vec<u8>,
    bit: u32,
}

impl Bits {
    fn put(&mut self, value: u32, n: u32) {
        for i in 0..n {
            if self.bit == 0 {
                self.out.push(0);
            }
            let b = (value >> i) & 1;
            *self.out.last_mut().unwrap() |= (b as u8) << self.bit;
            self.bit = (self.bit + 1) % 8;
        }
    }

    /// A Huffman code of `len` bits, most significant first.
    fn code(&mut self, code: u32, len: u32) {
        for i in (0..len).rev() {
            self.put((code >> i) & 1, 1);
        }
    }

    /// A stored block (not final) holding `data`, as a sync flush ends
    /// with when `data` is empty.
    fn stored(&mut self, data: &[u8]) {
        self.put(0, 3);
        if self.bit != 0 {
            self.put(0, 8 - self.bit);
        }
        let n = data.len() as u16;
        self.out.extend_from_slice(&n.to_le_bytes());
        self.out.extend_from_slice(&(!n).to_le_bytes());
        self.out.extend_from_slice(data);
    }

    /// The stream, ended with a sync flush as every Mars payload is.
    fn finish(mut self) -> Vec<u8> {
        self.stored(&[]);
        self.out
    }
}

/// The static code's litlen codeword of `sym`: (code, length).
fn fixed_litlen(sym: u32) -> (u32, u32) {
    match sym {
        0..=143 => (0x30 + sym, 8),
        144..=255 => (0x190 + sym - 144, 9),
        256..=279 => (sym - 256, 7),
        _ => (0xC0 + sym - 280, 8),
    }
}

/// Canonical Huffman codes of `lens` (0: unused).
fn canonical(lens: &[u8]) -> Vec<u32> {
    let mut count = [0u32; 16];
    for &l in lens {
        count[usize::from(l)] += 1;
    }
    count[0] = 0;
    let mut next = [0u32; 16];
    let mut code = 0;
    for bits in 1..16 {
        code = (code + count[bits - 1]) << 1;
        next[bits] = code;
    }
    lens.iter()
        .map(|&l| {
            let c = next[usize::from(l)];
            next[usize::from(l)] += 1;
            c
        })
        .collect()
}

/// A dynamic block header (not final) declaring `lit` litlen and `dist`
/// distance code lengths, sent with a complete precode (lengths 0-15,
/// four bits each); returns the codes of both.
fn dynamic(b: &mut Bits, lit: &[u8], dist: &[u8]) -> (Vec<u32>, Vec<u32>) {
    b.put(0, 1);
    b.put(2, 2);
    b.put(lit.len() as u32 - 257, 5);
    b.put(dist.len() as u32 - 1, 5);
    b.put(19 - 4, 4);
    const ORDER: [usize; 19] = [
        16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
    ];
    for sym in ORDER {
        b.put(if sym < 16 { 4 } else { 0 }, 3);
    }
    // With sixteen 4-bit codes, length value v is code v.
    for &l in lit.iter().chain(dist) {
        b.code(u32::from(l), 4);
    }
    (canonical(lit), canonical(dist))
}

/// What zlib-rs alone says of `input`: ok, and the bytes.
fn zlib(input: &[u8]) -> (bool, Vec<u8>) {
    use flate2::{Decompress, FlushDecompress};
    let mut z = Decompress::new(false);
    let mut out = Vec::with_capacity(1 << 20);
    let r = z.decompress_vec(input, &mut out, FlushDecompress::Sync);
    assert!(
        z.total_in() as usize == input.len() || r.is_err(),
        "one call takes it all"
    );
    (r.is_ok(), out)
}

/// Checks `input` three ways: the fast path refuses it (or decodes it as
/// zlib), `inflate` gives zlib's verdict and bytes, and upstream
/// libdeflate misdecodes it or not, as `upstream_misdecodes` says (the
/// case is real). Returns `inflate`'s error text.
fn check(input: &[u8], upstream_misdecodes: Option<bool>) -> Option<String> {
    let (ok, want) = zlib(input);
    let mut inf = Inflater::new();
    let mut fast = Vec::new();
    if inf.whole(input, &mut fast, usize::MAX) {
        assert!(
            ok && fast == want,
            "the fast path decoded what zlib does not"
        );
    }
    let mut got = Vec::new();
    let r = inf.decode(input, &mut got);
    assert_eq!(r.is_ok(), ok);
    assert!(got == want);
    let mut tail = input.to_vec();
    tail.extend_from_slice(&FINAL_EMPTY);
    let mut buf = vec![0u8; 1 << 20];
    let up = libdeflater::Decompressor::new().deflate_decompress(&tail, &mut buf);
    if let Some(m) = upstream_misdecodes {
        let wrong = up.is_ok_and(|n| !ok || buf[..n] != want[..]);
        assert_eq!(wrong, m, "whether upstream libdeflate misdecodes it");
    }
    r.err()
}

/// zlib's text for a distance code that is none.
const INVALID_DISTANCE: &str = "Error -3 while decompressing data: invalid distance code";

/// 33000 bytes of text in stored blocks: enough history for any distance.
fn history(b: &mut Bits) {
    let text: Vec<u8> = (0..33_000u32).map(|i| b'a' + (i % 26) as u8).collect();
    b.stored(&text[..16_500]);
    b.stored(&text[16_500..]);
}

#[test]
fn static_distance_codes_30_and_31_are_invalid() {
    // Followed by 13 bits (upstream reads them as extra bits, as for 29)
    // and by 3 (a decoder that took 8 bits for the code, its table's
    // width, and none after would go on in step): zlib fails either way.
    for (sym, extra, upstream) in [(30, 13, Some(true)), (31, 13, Some(true)), (30, 3, None)] {
        let mut b = Bits::default();
        history(&mut b);
        b.put(0, 1);
        b.put(1, 2);
        let (c, l) = fixed_litlen(257); // length 3
        b.code(c, l);
        b.code(sym, 5);
        b.put(0, extra);
        let (c, l) = fixed_litlen(256);
        b.code(c, l);
        let err = check(&b.finish(), upstream);
        assert_eq!(err.as_deref(), Some(INVALID_DISTANCE));
    }
}

#[test]
fn static_litlen_codes_286_and_287_are_invalid() {
    for sym in [286, 287] {
        let mut b = Bits::default();
        history(&mut b);
        b.put(0, 1);
        b.put(1, 2);
        let (c, l) = fixed_litlen(sym);
        b.code(c, l);
        b.code(0, 5); // distance 1
        let (c, l) = fixed_litlen(256);
        b.code(c, l);
        let err = check(&b.finish(), Some(true));
        assert_eq!(
            err.as_deref(),
            Some("Error -3 while decompressing data: invalid literal/length code")
        );
    }
}

/// A complete litlen code over symbols 0..=257 (literals, end-of-block,
/// length 3): 254 codewords of 8 bits and four of 9 (symbols 0-3).
fn litlen_lens() -> Vec<u8> {
    let mut lens = vec![8u8; 258];
    lens[..4].fill(9);
    lens
}

#[test]
fn an_empty_distance_code_decodes_only_literals() {
    // zlib accepts a block without distance codes and fails when a match
    // needs one; upstream libdeflate takes distance 1 there.
    for with_match in [false, true] {
        let mut b = Bits::default();
        history(&mut b);
        let (lit, _) = dynamic(&mut b, &litlen_lens(), &[0]);
        for &ch in b"xyz" {
            b.code(lit[usize::from(ch)], 8);
        }
        if with_match {
            b.code(lit[257], 8);
            b.put(0, 1); // what upstream reads as the distance
        }
        b.code(lit[256], 8);
        let err = check(&b.finish(), Some(with_match));
        assert_eq!(err.as_deref(), with_match.then_some(INVALID_DISTANCE));
    }
}

#[test]
fn a_lone_distance_code_of_one_bit_fails_on_its_unused_half() {
    for bit in [0u32, 1] {
        let mut b = Bits::default();
        history(&mut b);
        // Distance symbol 4 (distances 5-6) alone, one bit: codeword '0'.
        let (lit, _) = dynamic(&mut b, &litlen_lens(), &[0, 0, 0, 0, 1]);
        b.code(lit[257], 8);
        b.code(bit, 1);
        b.put(0, 1); // symbol 4's extra bit
        b.code(lit[256], 8);
        let err = check(&b.finish(), Some(bit == 1));
        assert_eq!(err.as_deref(), (bit == 1).then_some(INVALID_DISTANCE));
    }
}

#[test]
fn too_many_litlen_codes_are_invalid() {
    // 287 litlen lengths; zlib allows 286.
    let mut lens = litlen_lens();
    lens.resize(287, 0);
    let mut b = Bits::default();
    history(&mut b);
    let (lit, _) = dynamic(&mut b, &lens, &[1, 1]);
    b.code(lit[256], 8);
    let err = check(&b.finish(), Some(true));
    assert_eq!(
        err.as_deref(),
        Some("Error -3 while decompressing data: too many length or distance symbols")
    );
}

#[test]
fn a_litlen_code_without_end_of_block_is_invalid() {
    // Complete without symbol 256: 0 and 1 of 9 bits, the rest of 8.
    let mut lens = vec![8u8; 258];
    lens[..2].fill(9);
    lens[256] = 0;
    let mut b = Bits::default();
    history(&mut b);
    let (lit, _) = dynamic(&mut b, &lens, &[1, 1]);
    b.code(lit[usize::from(b'x')], 8);
    let err = check(&b.finish(), None);
    assert_eq!(
        err.as_deref(),
        Some("Error -3 while decompressing data: invalid code -- missing end-of-block")
    );
}
