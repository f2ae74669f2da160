//! Natural order of file names: runs of digits compare by their value, so
//! `log_2.xlog` comes before `log_10.xlog`, as a person would list them.

use std::cmp::Ordering;

/// Compares two names in natural order: digit runs by value (then by
/// length, so `01` and `1` keep a fixed order), everything else byte by
/// byte. Equal only for equal bytes.
pub fn natural_cmp(a: &[u8], b: &[u8]) -> Ordering {
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i].is_ascii_digit() && b[j].is_ascii_digit() {
            let (si, sj) = (i, j);
            while i < a.len() && a[i].is_ascii_digit() {
                i += 1;
            }
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            let (da, db) = (trim_zeros(&a[si..i]), trim_zeros(&b[sj..j]));
            let by_value = da.len().cmp(&db.len()).then_with(|| da.cmp(db));
            let ord = by_value.then_with(|| (i - si).cmp(&(j - sj)));
            if ord != Ordering::Equal {
                return ord;
            }
        } else {
            match a[i].cmp(&b[j]) {
                Ordering::Equal => {
                    i += 1;
                    j += 1;
                }
                ord => return ord,
            }
        }
    }
    (a.len() - i).cmp(&(b.len() - j))
}

fn trim_zeros(digits: &[u8]) -> &[u8] {
    let nz = digits
        .iter()
        .position(|&d| d != b'0')
        .unwrap_or(digits.len());
    &digits[nz..]
}

/// [`natural_cmp`] on paths (their bytes on Unix, their lossy text
/// elsewhere).
pub fn natural_cmp_path(a: &std::path::Path, b: &std::path::Path) -> Ordering {
    natural_cmp(
        a.as_os_str().as_encoded_bytes(),
        b.as_os_str().as_encoded_bytes(),
    )
}

#[cfg(test)]
mod tests;
