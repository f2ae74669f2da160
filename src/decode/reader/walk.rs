//! Finding blocks in the input: reading ahead, checking headers, and
//! looking for the next good block after damage.

use super::*;

pub(super) fn fetch<I: Input>(
    input: &mut I,
    from: u64,
    to: u64,
) -> Result<crate::decode::input::Window<'_>, Error> {
    input.fetch(from, to).map_err(|source| Error::Read {
        offset: from,
        source,
    })
}

/// The official single-block check at `at`, reading as far as it needs.
pub(super) fn check_at<I: Input>(input: &mut I, at: u64) -> Result<Check, Error> {
    let mut need = at + format::HEADER_LEN as u64 + 2;
    loop {
        let w = fetch(input, at, need)?;
        match check_block(w.bytes, w.base, at, w.at_eof) {
            Check::NeedMore(n) => need = n,
            c => return Ok(c),
        }
    }
}

/// The official start search from `from`: the first offset holding a good
/// block; with `pair`, one whose next block is good too (or that ends the
/// input). Releases what it scans past, unless `keep` asks to keep the
/// bytes from `from` on (a salvage of the block there may follow).
pub(super) fn find_good<I: Input>(
    input: &mut I,
    from: u64,
    pair: bool,
    keep: bool,
) -> Result<Option<u64>, Error> {
    find_block(input, from, pair, keep, false)
}

/// [`find_good`]; `strict` also wants header hours a clock can show
/// (0-23), which false blocks inside compressed data rarely have.
pub(super) fn find_block<I: Input>(
    input: &mut I,
    from: u64,
    pair: bool,
    keep: bool,
    strict: bool,
) -> Result<Option<u64>, Error> {
    let mut p = from;
    loop {
        input.release(if keep { from } else { p });
        let w = fetch(input, p, p + SCAN_STEP)?;
        let avail = w.range(p, w.end());
        if avail.is_empty() {
            if w.at_eof {
                return Ok(None);
            }
            continue;
        }
        let Some(i) = avail.iter().position(|&b| is_magic(b)) else {
            p += avail.len() as u64;
            continue;
        };
        let q = p + i as u64;
        if let Check::Good { next } = check_at(input, q)?
            && (!pair || matches!(check_at(input, next)?, Check::Good { .. }))
            && (!strict || plausible_hours(input, q)?)
        {
            return Ok(Some(q));
        }
        p = q + 1;
    }
}

/// Whether the block header at `at` (checked good) has begin and end
/// hours of 0-23.
pub(super) fn plausible_hours<I: Input>(input: &mut I, at: u64) -> Result<bool, Error> {
    let w = fetch(input, at, at + 5)?;
    Ok(w.range(at + 3, at + 5).iter().all(|&h| h < 24))
}
