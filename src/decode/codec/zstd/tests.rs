use super::*;
use zstd::zstd_safe::{CCtx, CParameter, zstd_sys::ZSTD_EndDirective};

/// Compresses lines the way Mars does: one frame, a flush after every
/// line, never ended.
fn mars_zstd(lines: &[&[u8]]) -> Vec<u8> {
    let mut c = CCtx::create();
    c.set_parameter(CParameter::CompressionLevel(6)).unwrap();
    c.set_parameter(CParameter::WindowLog(16)).unwrap();
    let mut out: Vec<u8> = Vec::with_capacity(1 << 20);
    for l in lines {
        let mut inb = InBuffer::around(l);
        loop {
            let pos = out.len();
            let mut ob = OutBuffer::around_pos(&mut out, pos);
            let left = c
                .compress_stream2(&mut ob, &mut inb, ZSTD_EndDirective::ZSTD_e_flush)
                .unwrap();
            if left == 0 {
                break;
            }
        }
    }
    out
}

#[test]
fn unended_frame_yields_everything_flushed() {
    let p = mars_zstd(&[b"one\n", b"two\n", b"three\n"]);
    assert_eq!(&p[..4], &[0x28, 0xB5, 0x2F, 0xFD]);
    let mut out = Vec::new();
    ZstdDecoder::new().decode(&p, &mut out).unwrap();
    assert_eq!(out, b"one\ntwo\nthree\n");
}

#[test]
fn more_than_a_megabyte_is_not_cut() {
    let line: Vec<u8> = (0..4000u32).flat_map(|i| i.to_le_bytes()).collect();
    let lines: Vec<&[u8]> = std::iter::repeat_n(&line[..], 200).collect();
    let p = mars_zstd(&lines);
    let mut out = Vec::new();
    ZstdDecoder::new().decode(&p, &mut out).unwrap();
    assert_eq!(out.len(), 200 * 16000);
}

#[test]
fn a_zstd_bomb_stops_at_the_cap() {
    let zeros = vec![0u8; 16 << 20];
    let p = mars_zstd(&[&zeros]);
    let mut d = ZstdDecoder::new();
    let mut out = Vec::new();
    assert_eq!(d.decode_capped(&p, &mut out, 300_000), Ok(Decoded::Capped));
    assert_eq!(out.len(), 300_000);
    assert!(out.capacity() < 4 << 20, "never held whole");
    let mut out = Vec::new();
    let p = mars_zstd(&[&zeros[..5000]]);
    assert_eq!(d.decode_capped(&p, &mut out, 5000), Ok(Decoded::All));
    assert_eq!(out.len(), 5000);
}

#[test]
fn chunks_give_the_text_of_the_whole_buffer_path() {
    use crate::decode::codec::{check_chunks_match_whole, chunk_test_lines, chunked};
    let lines = chunk_test_lines();
    let refs: Vec<&[u8]> = lines.iter().map(|l| &l[..]).collect();
    let p = mars_zstd(&refs);
    let mut d = ZstdDecoder::new();
    check_chunks_match_whole(&mut d, &p);
    let (text, _, r) = chunked(&mut d, b"not zstd at all", usize::MAX, 1000);
    assert_eq!(
        r,
        Err("zstd decompress error: Unknown frame descriptor".into())
    );
    assert!(text.is_empty());
    let (_, _, r) = chunked(&mut d, b"", usize::MAX, 1000);
    assert_eq!(r, Err(String::new()));
}

#[test]
fn corruption_and_empty_frames_are_errors() {
    let mut d = ZstdDecoder::new();
    let mut out = Vec::new();
    assert_eq!(
        d.decode(b"not zstd at all", &mut out).unwrap_err(),
        "zstd decompress error: Unknown frame descriptor"
    );
    assert_eq!(d.decode(b"", &mut out).unwrap_err(), "");
    // The decoder recovers for the next payload.
    let p = mars_zstd(&[b"ok\n"]);
    d.decode(&p, &mut out).unwrap();
    assert_eq!(out, b"ok\n");
}
