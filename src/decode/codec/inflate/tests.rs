use super::*;
use flate2::{Compress, Compression, FlushCompress};

mod crafted;
mod flips;

/// Compresses lines the way Mars does: raw deflate, a sync flush after
/// every line, never finished.
fn mars_deflate(lines: &[&[u8]]) -> Vec<u8> {
    let mut c = Compress::new(Compression::best(), false);
    let mut out = Vec::new();
    for l in lines {
        let mut pos = 0;
        loop {
            out.reserve(l.len() - pos + (1 << 16));
            let spare = out.capacity() - out.len();
            let (i, o) = (c.total_in(), c.total_out());
            c.compress_vec(&l[pos..], &mut out, FlushCompress::Sync)
                .unwrap();
            pos += (c.total_in() - i) as usize;
            if pos == l.len() && ((c.total_out() - o) as usize) < spare {
                break;
            }
        }
    }
    out
}

#[test]
fn unterminated_stream_yields_everything_flushed() {
    let p = mars_deflate(&[b"first line\n", b"second line\n"]);
    assert_eq!(&p[p.len() - 4..], &[0, 0, 0xFF, 0xFF]);
    let mut out = Vec::new();
    Inflater::new().decode(&p, &mut out).unwrap();
    assert_eq!(out, b"first line\nsecond line\n");
}

#[test]
fn large_outputs_are_not_cut() {
    let line = vec![b'x'; 1000];
    let lines: Vec<&[u8]> = std::iter::repeat_n(&line[..], 3000).collect();
    let p = mars_deflate(&lines);
    let mut out = Vec::new();
    Inflater::new().decode(&p, &mut out).unwrap();
    assert_eq!(out.len(), 3_000_000);
}

#[test]
fn a_prefix_decodes_to_a_prefix() {
    let p = mars_deflate(&[b"alpha\n", b"beta\n", b"gamma\n"]);
    let mut inf = Inflater::new();
    let mut full = Vec::new();
    inf.decode(&p, &mut full).unwrap();
    for cut in 0..p.len() {
        let mut out = Vec::new();
        inf.decode(&p[..cut], &mut out).unwrap();
        assert!(full.starts_with(&out), "cut {cut}");
    }
}

#[test]
fn errors_found_on_the_fast_path_keep_zlibs_words() {
    // A long valid stream, then a back-reference further than anything
    // decoded: zlib says "invalid distance too far back".
    let words: [&[u8]; 6] = [
        b"login ",
        b"message ",
        b"group ",
        b"sync ",
        b"tinyid=",
        b"42 ",
    ];
    let mut seed = 12345u32;
    let mut text = Vec::new();
    while text.len() < 50_000 {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
        text.extend_from_slice(words[(seed >> 16) as usize % words.len()]);
        text.push(b'a' + (seed >> 8) as u8 % 26);
    }
    let clean = mars_deflate(&[&text]);
    let mut inf = Inflater::new();
    let mut errors = 0;
    for cut in (clean.len() / 4..clean.len() - 8).step_by(97) {
        let mut p = clean.clone();
        for b in &mut p[cut..cut + 4] {
            *b ^= 0xFF;
        }
        let mut out = Vec::new();
        if let Err(err) = inf.decode(&p, &mut out) {
            errors += 1;
            assert!(!err.contains("repeated call"), "{err}");
            assert!(
                err.starts_with("Error -3 while decompressing data: "),
                "{err}"
            );
        }
    }
    assert!(errors > 5, "the damage must provoke errors ({errors})");
}

#[test]
fn the_whole_buffer_path_agrees_with_the_streaming_path() {
    let lines: Vec<Vec<u8>> = (0..4000u32)
        .map(|i| format!("[I][line {i}] value={} ok\n", i.wrapping_mul(2_654_435_761)).into_bytes())
        .collect();
    let refs: Vec<&[u8]> = lines.iter().map(|l| &l[..]).collect();
    let p = mars_deflate(&refs);
    let mut inf = Inflater::new();
    let mut fast = Vec::new();
    assert!(
        inf.whole(&p, &mut fast, usize::MAX),
        "libdeflate takes a Mars payload"
    );
    let mut slow = Vec::new();
    inf.stream(&p, &mut slow, usize::MAX).unwrap();
    assert_eq!(fast, slow);
    assert_eq!(fast, lines.concat());
    // Output already in the buffer stays in front.
    let mut out = b"before".to_vec();
    inf.decode(&p, &mut out).unwrap();
    assert_eq!(&out[..6], b"before");
    assert_eq!(&out[6..], &fast[..]);
}

#[test]
fn a_deflate_bomb_stops_at_the_cap() {
    // 64 MiB of zeros deflate to about 64 kB.
    let zeros = vec![0u8; 64 << 20];
    let p = mars_deflate(&[&zeros]);
    assert!(p.len() < 100_000);
    let mut inf = Inflater::new();
    let mut out = Vec::new();
    let r = inf.decode_capped(&p, &mut out, 1 << 20).unwrap();
    assert_eq!(r, Decoded::Capped);
    assert_eq!(out.len(), 1 << 20);
    assert!(
        out.capacity() < 8 << 20,
        "never held whole: {}",
        out.capacity()
    );
    // A cap the output fits in exactly is not a cut.
    let small = mars_deflate(&[&zeros[..1000]]);
    let mut out = Vec::new();
    assert_eq!(inf.decode_capped(&small, &mut out, 1000), Ok(Decoded::All));
    assert_eq!(out.len(), 1000);
    let mut out = Vec::new();
    assert_eq!(
        inf.decode_capped(&small, &mut out, 999),
        Ok(Decoded::Capped)
    );
    assert_eq!(out.len(), 999);
}

#[test]
fn chunks_give_the_text_of_the_whole_buffer_paths() {
    use crate::decode::codec::{check_chunks_match_whole, chunk_test_lines, chunked};
    let lines = chunk_test_lines();
    let refs: Vec<&[u8]> = lines.iter().map(|l| &l[..]).collect();
    let p = mars_deflate(&refs);
    let mut inf = Inflater::new();
    check_chunks_match_whole(&mut inf, &p);
    // A data error keeps zlib's words and the text before it.
    let mut bad = p.clone();
    let n = bad.len();
    bad[n / 2..n / 2 + 8].fill(0xFF);
    let mut out = Vec::new();
    let err = inf.decode(&bad, &mut out).unwrap_err();
    let (text, _, r) = chunked(&mut inf, &bad, usize::MAX, 1000);
    assert_eq!(r, Err(err));
    assert!(text == out);
}

#[test]
fn a_sink_error_stops_the_chunks() {
    let zeros = vec![0u8; 1 << 20];
    let p = mars_deflate(&[&zeros]);
    let mut buf = vec![0u8; 1000];
    let mut calls = 0;
    let mut emit = |_: &[u8]| {
        calls += 1;
        if calls == 3 {
            Err(io::Error::other("closed"))
        } else {
            Ok(())
        }
    };
    let r = Inflater::new().decode_chunks(&p, &mut Chunks::new(&mut buf, usize::MAX, &mut emit));
    assert_eq!(r.unwrap_err().to_string(), "closed");
    assert_eq!(calls, 3);
}

#[test]
fn errors_use_zlibs_words() {
    let mut out = Vec::new();
    let err = Inflater::new()
        .decode(&[0xFF, 0xFF, 0xFF], &mut out)
        .unwrap_err();
    assert_eq!(err, "Error -3 while decompressing data: invalid block type");
}
