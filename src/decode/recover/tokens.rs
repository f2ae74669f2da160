//! A raw-deflate reader that stops at the symbols: literals and copies,
//! before any copy is resolved. One flush segment's symbols do not depend
//! on the text before it, so they can be resolved against several
//! guesses of that text without inflating again.

/// One deflate symbol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Token {
    /// One byte of text.
    Lit(u8),
    /// `len` bytes from `dist` bytes back.
    Copy { len: u16, dist: u16 },
}

/// The symbols of a deflate segment, into `out` (cleared first), and the
/// text length they make. `None` if the bits are not valid deflate, or
/// the text would pass `max_out` bytes.
pub(super) fn tokens(seg: &[u8], max_out: usize, out: &mut Vec<Token>) -> Option<usize> {
    out.clear();
    let mut r = Bits {
        data: seg,
        pos: 0,
        bit: 0,
        nbits: 0,
    };
    let mut len = 0usize;
    // A segment ends where its input does, after a whole block.
    while r.pos < seg.len() || r.nbits >= 8 {
        let last = r.get(1)?;
        match r.get(2)? {
            0 => {
                r.align();
                let n = r.get(16)?;
                let nn = r.get(16)?;
                if n != !nn & 0xFFFF {
                    return None;
                }
                for _ in 0..n {
                    out.push(Token::Lit(r.get(8)? as u8));
                }
                len += n as usize;
            }
            1 => {
                let (lit, dist) = fixed();
                codes(&mut r, &lit, &dist, max_out, &mut len, out)?;
            }
            2 => {
                let (lit, dist) = dynamic(&mut r)?;
                codes(&mut r, &lit, &dist, max_out, &mut len, out)?;
            }
            _ => return None,
        }
        if len > max_out {
            return None;
        }
        if last == 1 {
            break;
        }
    }
    Some(len)
}

struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
    bit: u64,
    nbits: u32,
}

impl Bits<'_> {
    fn get(&mut self, n: u32) -> Option<u32> {
        while self.nbits < n {
            let b = *self.data.get(self.pos)?;
            self.pos += 1;
            self.bit |= u64::from(b) << self.nbits;
            self.nbits += 8;
        }
        let v = (self.bit & ((1u64 << n) - 1)) as u32;
        self.bit >>= n;
        self.nbits -= n;
        Some(v)
    }

    fn align(&mut self) {
        let drop = self.nbits % 8;
        self.bit >>= drop;
        self.nbits -= drop;
    }
}

/// A canonical Huffman code: how many codes of each length, and the
/// symbols in code order.
struct Huff {
    count: [u16; 16],
    symbol: Vec<u16>,
}

impl Huff {
    /// `None` for an over-subscribed code (incomplete ones are allowed,
    /// as zlib allows a single distance code).
    fn new(lengths: &[u8]) -> Option<Huff> {
        let mut count = [0u16; 16];
        for &l in lengths {
            count[l as usize] += 1;
        }
        let mut left: i32 = 1;
        for &c in &count[1..] {
            left <<= 1;
            left -= i32::from(c);
            if left < 0 {
                return None;
            }
        }
        let mut offs = [0u16; 16];
        for l in 1..15 {
            offs[l + 1] = offs[l] + count[l];
        }
        let mut symbol = vec![0u16; lengths.len()];
        for (s, &l) in lengths.iter().enumerate() {
            if l != 0 {
                symbol[offs[l as usize] as usize] = s as u16;
                offs[l as usize] += 1;
            }
        }
        Some(Huff { count, symbol })
    }

    fn decode(&self, r: &mut Bits<'_>) -> Option<u16> {
        let (mut code, mut first, mut index) = (0i32, 0i32, 0i32);
        for len in 1..16 {
            code |= r.get(1)? as i32;
            let count = i32::from(self.count[len]);
            if code - count < first {
                return self.symbol.get((index + (code - first)) as usize).copied();
            }
            index += count;
            first += count;
            first <<= 1;
            code <<= 1;
        }
        None
    }
}

const LEN_BASE: [u16; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
    163, 195, 227, 258,
];
const LEN_EXTRA: [u8; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
const DIST_BASE: [u16; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
    2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
const DIST_EXTRA: [u8; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];

fn codes(
    r: &mut Bits<'_>,
    lit: &Huff,
    dist: &Huff,
    max_out: usize,
    len: &mut usize,
    out: &mut Vec<Token>,
) -> Option<()> {
    loop {
        let s = lit.decode(r)?;
        match s {
            0..=255 => {
                out.push(Token::Lit(s as u8));
                *len += 1;
            }
            256 => return Some(()),
            _ => {
                let k = usize::from(s - 257);
                let n = LEN_BASE.get(k)? + r.get(u32::from(LEN_EXTRA[k]))? as u16;
                let d = usize::from(dist.decode(r)?);
                let dd = u32::from(*DIST_BASE.get(d)?) + r.get(u32::from(DIST_EXTRA[d]))?;
                if dd > 32768 {
                    return None;
                }
                // 32768 does not fit a u16: keep distances minus one.
                out.push(Token::Copy {
                    len: n,
                    dist: (dd - 1) as u16,
                });
                *len += usize::from(n);
            }
        }
        if *len > max_out {
            return None;
        }
    }
}

fn fixed() -> (Huff, Huff) {
    let mut l = [0u8; 288];
    l[..144].fill(8);
    l[144..256].fill(9);
    l[256..280].fill(7);
    l[280..].fill(8);
    let lit = Huff::new(&l).expect("the fixed code is complete");
    let dist = Huff::new(&[5u8; 30]).expect("the fixed code is complete");
    (lit, dist)
}

fn dynamic(r: &mut Bits<'_>) -> Option<(Huff, Huff)> {
    const ORDER: [usize; 19] = [
        16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
    ];
    let nlen = r.get(5)? as usize + 257;
    let ndist = r.get(5)? as usize + 1;
    let ncode = r.get(4)? as usize + 4;
    if nlen > 286 || ndist > 30 {
        return None;
    }
    let mut cl = [0u8; 19];
    for &o in ORDER.iter().take(ncode) {
        cl[o] = r.get(3)? as u8;
    }
    let clh = Huff::new(&cl)?;
    let mut lengths = [0u8; 316];
    let mut i = 0;
    while i < nlen + ndist {
        let s = clh.decode(r)?;
        let (v, rep) = match s {
            0..=15 => (s as u8, 1),
            16 => (*lengths.get(i.checked_sub(1)?)?, 3 + r.get(2)? as usize),
            17 => (0, 3 + r.get(3)? as usize),
            _ => (0, 11 + r.get(7)? as usize),
        };
        if i + rep > nlen + ndist {
            return None;
        }
        lengths[i..i + rep].fill(v);
        i += rep;
    }
    if lengths[256] == 0 {
        return None;
    }
    Some((
        Huff::new(&lengths[..nlen])?,
        Huff::new(&lengths[nlen..nlen + ndist])?,
    ))
}

#[cfg(test)]
mod tests;
