//! One deflate segment at a time: splitting a stream at its flush markers,
//! inflating a segment, and judging whether its text reads as records.

use super::*;

/// The flush segments of a stream: each ends just after a flush marker,
/// the last one at the end of the stream.
pub fn segments(stream: &[u8]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut pos = 0;
    while pos + FLUSH_MARKER.len() <= stream.len() {
        match stream[pos..]
            .windows(FLUSH_MARKER.len())
            .position(|w| w == FLUSH_MARKER)
        {
            Some(k) => {
                let end = pos + k + FLUSH_MARKER.len();
                out.push(start..end);
                start = end;
                pos = end;
            }
            None => break,
        }
    }
    if start < stream.len() {
        out.push(start..stream.len());
    }
    out
}

/// Decodes one segment as a fresh raw-deflate stream primed with the last
/// `dict_len` bytes of `window`, into `out`. Also says whether the failure
/// (if any) was a copy from further back than the dictionary, and how much
/// input was read when it was found (the damage is at or before that).
pub(super) fn decode_seg(
    z: &mut Decompress,
    seg: &[u8],
    window: &[u8],
    dict_len: usize,
    out: &mut Vec<u8>,
) -> (Seg, bool, usize) {
    z.reset(false);
    let dict = &window[window.len().saturating_sub(dict_len)..];
    if !dict.is_empty() && z.set_dictionary(dict).is_err() {
        out.clear();
        return (Seg::Bad, false, 0);
    }
    continue_seg(z, seg, out)
}

/// Decodes one segment with the inflater as the previous segment left it
/// (its window is then exactly the text before this segment).
pub(super) fn continue_seg(
    z: &mut Decompress,
    seg: &[u8],
    out: &mut Vec<u8>,
) -> (Seg, bool, usize) {
    match inflate_seg(z, seg, out) {
        Err((far, pos)) => (Seg::Bad, far, pos),
        Ok(pos) if out.is_empty() => (Seg::Empty, false, pos),
        Ok(_) => (classify(out), false, seg.len()),
    }
}

/// Inflates one segment with the inflater as it stands into `out`: how
/// much input it read, or on failure whether it was a copy from too far
/// back and how much input was read when it was found.
pub(super) fn inflate_seg(
    z: &mut Decompress,
    seg: &[u8],
    out: &mut Vec<u8>,
) -> Result<usize, (bool, usize)> {
    out.clear();
    out.reserve(SEGMENT_OUT);
    let mut pos = 0;
    loop {
        let before_in = z.total_in();
        let before_out = out.len();
        let status = z.decompress_vec(&seg[pos..], out, FlushDecompress::Sync);
        let consumed = (z.total_in() - before_in) as usize;
        pos += consumed;
        match status {
            Ok(Status::StreamEnd) => break,
            Ok(_) => {
                if pos >= seg.len() {
                    break;
                }
                if out.len() >= SEGMENT_OUT {
                    return Err((false, pos));
                }
                if consumed == 0 && out.len() == before_out && out.capacity() > out.len() {
                    // No progress with room to spare: the stream is stuck.
                    return Err((false, pos));
                }
                out.reserve(SEGMENT_OUT);
            }
            Err(e) => {
                let far = e
                    .message()
                    .is_some_and(|m| m.contains("too far back") || m.contains("bad state"));
                return Err((far, pos));
            }
        }
    }
    Ok(pos)
}

/// Whether decoded text is what the writer writes: whole lines, starting
/// with a record, every full header parsing.
pub(super) fn classify(text: &[u8]) -> Seg {
    if text.last() != Some(&b'\n') || !starts_record(text) {
        return if text.contains(&FILLER) {
            Seg::Victim
        } else {
            Seg::Bad
        };
    }
    if text.contains(&FILLER) {
        return Seg::Victim;
    }
    if looks_damaged(text) {
        return Seg::Bad;
    }
    if Records::new(text).all(|r| header_ok(&r)) {
        Seg::Good
    } else {
        Seg::Bad
    }
}

/// Text a misread deflate stream tends to make and the writer does not:
/// control characters, or a run of empty lines at the end (the writer ends
/// a line with one newline).
pub(super) fn looks_damaged(text: &[u8]) -> bool {
    text.ends_with(b"\n\n\n")
        || text
            .iter()
            .any(|&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x1B))
}

/// A record that starts like a full header (`[L][digit`) must parse as one.
pub(super) fn header_ok(r: &Record<'_>) -> bool {
    let full = r.level.is_some() && r.bytes.get(3) == Some(&b'[');
    let dated = r.bytes.get(4).is_some_and(u8::is_ascii_digit);
    !(full && dated) || r.header.is_some()
}

/// A record of a victim segment that is whole and copied no filler.
pub(super) fn is_clean_record(bytes: &[u8]) -> bool {
    bytes.last() == Some(&b'\n')
        && !bytes.contains(&FILLER)
        && !looks_damaged(bytes)
        && starts_record(bytes)
        && header_ok(&Record::parse(bytes))
}

/// Appends the records of a segment's recovered `text` that are whole and
/// copied no filler, and where one is not, the record at the same place
/// of its inflated text `base` (empty when there is none) if that one is
/// whole. Returns how many records were kept and whether every record
/// of the longer of the two was.
pub(super) fn keep_records(text: &[u8], base: &[u8], out: &mut Vec<u8>) -> (u64, bool) {
    let mut ours = Records::new(text);
    let mut theirs = Records::new(base);
    let (mut kept, mut all) = (0, true);
    loop {
        let (a, b) = (ours.next(), theirs.next());
        if a.is_none() && b.is_none() {
            return (kept, all);
        }
        let pick = [a, b]
            .into_iter()
            .flatten()
            .map(|r| r.bytes)
            .find(|r| is_clean_record(r));
        match pick {
            Some(r) => {
                kept += 1;
                out.extend_from_slice(r);
            }
            None => all = false,
        }
    }
}

/// Resolves a segment's symbols into `out`, with the text before them
/// being `pre`, then `gap` unknown bytes (filler), then `post`. Returns
/// how far into the gap and `pre` the copies reached (0: not at all), or
/// `None` for a copy from before `pre`.
pub(super) fn resolve(
    toks: &[Token],
    pre: &[u8],
    gap: usize,
    post: &[u8],
    out: &mut Vec<u8>,
) -> Option<usize> {
    out.clear();
    let mut reach = 0;
    for &t in toks {
        match t {
            Token::Lit(b) => out.push(b),
            Token::Copy { len, dist } => {
                let d = usize::from(dist) + 1;
                for _ in 0..len {
                    let p = out.len();
                    let b = if d <= p {
                        out[p - d]
                    } else if d - p <= post.len() {
                        post[post.len() - (d - p)]
                    } else {
                        let back = d - p - post.len();
                        reach = reach.max(back);
                        if back <= gap {
                            FILLER
                        } else {
                            let k = back - gap;
                            if k > pre.len() {
                                return None;
                            }
                            pre[pre.len() - k]
                        }
                    };
                    out.push(b);
                }
            }
        }
    }
    Some(reach)
}

/// Appends text to the window, keeping only what deflate can reach.
pub(super) fn push_window(window: &mut Vec<u8>, text: &[u8]) {
    window.extend_from_slice(text);
    if window.len() > 4 * WINDOW {
        let cut = window.len() - WINDOW;
        window.drain(..cut);
    }
}

pub(super) fn add_lost(lost: &mut Vec<Range<usize>>, r: Range<usize>) {
    match lost.last_mut() {
        Some(last) if last.end == r.start => last.end = r.end,
        _ => lost.push(r),
    }
}
