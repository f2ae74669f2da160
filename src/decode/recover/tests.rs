use super::*;
use crate::decode::codec::Codec;
use flate2::{Compress, Compression, FlushCompress};

fn mars_deflate(lines: &[Vec<u8>]) -> Vec<u8> {
    let mut c = Compress::new(Compression::best(), false);
    let mut out = Vec::with_capacity(1 << 16);
    for l in lines {
        c.compress_vec(l, &mut out, FlushCompress::Sync).unwrap();
    }
    out
}

fn lines(n: usize) -> Vec<Vec<u8>> {
    (0..n)
            .map(|i| {
                format!(
                    "[I][2024-01-31 +8.0 10:00:{:02}.{:03}][123, 456*][imsdk][conv.cpp:{}, Sync][message number {i} sent to group @TGS#{}\n",
                    i % 60,
                    i * 7 % 1000,
                    100 + i,
                    i * 31 % 97
                )
                .into_bytes()
            })
            .collect()
}

#[test]
fn segments_end_at_flush_markers() {
    let l = lines(5);
    let s = mars_deflate(&l);
    let segs = segments(&s);
    assert_eq!(segs.len(), 5);
    assert_eq!(segs[0].start, 0);
    assert_eq!(segs[4].end, s.len());
    for w in segs.windows(2) {
        assert_eq!(w[0].end, w[1].start);
        assert_eq!(&s[w[0].end - 4..w[0].end], &FLUSH_MARKER);
    }
}

#[test]
fn an_intact_stream_recovers_every_line() {
    let l = lines(40);
    let s = mars_deflate(&l);
    let mut out = Vec::new();
    let r = Recoverer::new().deflate(&s, &mut out);
    assert_eq!(out, l.concat());
    assert_eq!(r.lines, 40);
    assert!(r.lost.is_empty());
}

#[test]
fn lines_after_a_flipped_byte_are_never_guessed() {
    let l = lines(40);
    let clean = mars_deflate(&l);
    let segs = segments(&clean);
    let mut rec = Recoverer::new();
    let mut inflater = crate::decode::codec::Inflater::new();
    let mut failing = 0;
    for victim in [3usize, 17, 25, 31] {
        for at in segs[victim].clone() {
            let mut s = clean.clone();
            s[at] ^= 0x5A;
            // Only damage that makes inflate fail reaches recovery; a
            // flip that decodes quietly is not detectable.
            if inflater.decode(&s, &mut Vec::new()).is_ok() {
                continue;
            }
            failing += 1;
            let mut out = Vec::new();
            let r = rec.deflate(&s, &mut out);
            // Every kept line is a line of the writer's, never a guess.
            // (These synthetic lines all copy from the line before, so
            // most are lost after the damage; the corpus test in
            // tests/recover.rs measures real logs.)
            let kept: Vec<&[u8]> = out.split_inclusive(|&b| b == b'\n').collect();
            assert!(
                kept.iter().all(|k| l.iter().any(|x| x == k)),
                "flip at {at} in line {victim}: {:?}",
                String::from_utf8_lossy(&out)
            );
            assert_eq!(r.lines as usize, kept.len());
            assert_eq!(r.lost.first().map(|x| x.start), Some(segs[victim].start));
        }
    }
    assert!(failing > 10, "the flips must provoke errors ({failing})");
}

/// Flips that inflate without error into text that is not records:
/// the inflated text is what the decoder shows without --recover, so
/// recovery keeps every writer's line of it, even where it cannot
/// decode that line itself (two flips in a line, which no one-byte
/// repair undoes, leave the lines that copy from it to filler).
#[test]
fn a_quiet_flip_keeps_every_good_line_of_the_inflated_text() {
    let l = lines(40);
    let clean = mars_deflate(&l);
    let segs = segments(&clean);
    let mut rec = Recoverer::new();
    let mut inflater = crate::decode::codec::Inflater::new();
    let mut checked = 0;
    for victim in [3usize, 17, 25, 31] {
        for at in segs[victim].clone() {
            // Two flips in one line: no one-byte repair undoes them.
            let seg = segs[victim].clone();
            let other = seg.start + (at - seg.start + seg.len() / 2) % seg.len();
            let mut s = clean.clone();
            s[at] ^= 0x04;
            s[other] ^= 0x10;
            let mut text = Vec::new();
            if inflater.decode(&s, &mut text).is_err() || text == l.concat() {
                continue;
            }
            let mut out = Vec::new();
            rec.inflated(&s, &mut out);
            let kept: Vec<&[u8]> = out.split_inclusive(|&b| b == b'\n').collect();
            let shown: Vec<&[u8]> = text.split_inclusive(|&b| b == b'\n').collect();
            for x in &shown {
                if l.iter().any(|w| w == x) {
                    checked += 1;
                    assert!(
                        kept.contains(x),
                        "flip at {at}: lost {:?}",
                        String::from_utf8_lossy(x)
                    );
                }
            }
        }
    }
    assert!(checked > 100, "the flips must decode quietly ({checked})");
}

#[test]
fn garbage_never_panics_and_stays_bounded() {
    let mut seed = 7u32;
    let mut rec = Recoverer::new();
    for len in [0usize, 1, 4, 5, 100, 3000] {
        let mut data: Vec<u8> = (0..len)
            .map(|_| {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                (seed >> 16) as u8
            })
            .collect();
        for k in (0..data.len()).step_by(37) {
            if k + 4 <= data.len() {
                data[k..k + 4].copy_from_slice(&FLUSH_MARKER);
            }
        }
        let mut out = Vec::new();
        let r = rec.deflate(&data, &mut out);
        assert!(out.len() <= SEGMENT_OUT * data.len().max(1));
        assert_eq!(r.lines == 0, out.is_empty());
    }
}
