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
mod tests {
    use super::*;

    fn sorted(names: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        v.sort_by(|a, b| natural_cmp(a.as_bytes(), b.as_bytes()));
        v
    }

    #[test]
    fn digit_runs_compare_by_value() {
        assert_eq!(
            sorted(&["a_10.xlog", "a_2.xlog", "a_1.xlog", "a.xlog", "b_0.xlog"]),
            ["a.xlog", "a_1.xlog", "a_2.xlog", "a_10.xlog", "b_0.xlog"]
        );
        assert_eq!(
            sorted(&[
                "im_20240131_10.xlog",
                "im_20240131_9.xlog",
                "im_20240130_11.xlog"
            ]),
            [
                "im_20240130_11.xlog",
                "im_20240131_9.xlog",
                "im_20240131_10.xlog"
            ]
        );
        // Leading zeros: the same value, the shorter run first; never Equal
        // for different bytes.
        assert_eq!(sorted(&["x01", "x1", "x001"]), ["x1", "x01", "x001"]);
        assert_eq!(natural_cmp(b"x01", b"x1"), Ordering::Greater);
        assert_eq!(natural_cmp(b"same_7", b"same_7"), Ordering::Equal);
        // Numbers longer than any integer type still order.
        assert_eq!(
            natural_cmp(b"n99999999999999999999999", b"n100000000000000000000000"),
            Ordering::Less
        );
    }
}
