//! The shapes of a log line, one module each. Each recognises its own
//! header line and fills the same [`Header`] fields, so every consumer of
//! [`Record`](super::Record) works on every shape.
//!
//! | shape | module | a line starts with |
//! |---|---|---|
//! | Mars bracket, current and pre-2021 | the parent module | `[L][` |
//! | IM SDK 5.x – 8.x | [`imsdk`] | `TIM: DATE TIME L ` |
//! | IM SDK 4.x | [`imsdk4`] | `TIM: DATE TIME/L/` |
//! | IM SDK 4.0.x | [`imsdk40`] | `DATE TIME\|` |
//! | user-defined | [`custom`] | what its regex matches |
//!
//! Lines that no shape claims and that are not the writers' own header-less
//! lines (see [`meta`]) continue the record before them.

use super::{Header, Level};

pub mod custom;
pub mod imsdk;
pub mod imsdk4;
pub mod imsdk40;
pub mod meta;

/// Level and header of a record that is not a Mars bracket line: `None`
/// when no shape claims its first line; a level without a header when the
/// line names a level but its other fields do not parse.
#[inline]
pub(crate) fn parse(rec: &[u8]) -> Option<(Option<Level>, Option<Header<'_>>)> {
    match rec.first()? {
        b'T' if rec.starts_with(imsdk::PREFIX) => match rec.get(imsdk::SEP) {
            Some(b'/') => imsdk4::parse(rec),
            _ => imsdk::parse(rec),
        },
        b'0'..=b'9' if imsdk40::starts(rec) => imsdk40::parse(rec),
        _ => custom::parse_installed(rec),
    }
}

/// The level of a record that is not a Mars bracket line, read cheaply
/// (only the built-in shapes' fixed places; a user-defined shape is
/// parsed).
#[inline]
pub(crate) fn level(rec: &[u8]) -> Option<Level> {
    match rec.first()? {
        b'T' => imsdk::level(rec),
        b'0'..=b'9' => imsdk40::level(rec),
        _ => custom::parse_installed(rec).and_then(|(l, _)| l),
    }
}

/// The first line of `rec`, without its `\n`.
#[inline]
pub(crate) fn first_line(rec: &[u8]) -> &[u8] {
    &rec[..super::find_byte(b'\n', rec).unwrap_or(rec.len())]
}

/// The end of a record's message: its last byte, less a final `\n`.
#[inline]
pub(crate) fn message_end(rec: &[u8]) -> usize {
    rec.len() - usize::from(rec.last() == Some(&b'\n'))
}

/// `YYYY-MM-DD HH:MM:SS.mmm`, the local time the IM SDK writes.
#[inline]
pub(crate) fn local_time(raw: &[u8]) -> Option<chrono::NaiveDateTime> {
    if raw.len() != 23 || raw[10] != b' ' {
        return None;
    }
    let (y, m, d) = super::date_fields(&raw[..10])?;
    let date = chrono::NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d)?;
    Some(date.and_time(super::time_of_day(&raw[11..])?))
}

/// `s` without leading and trailing spaces.
#[inline]
pub(crate) fn trim(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|&c| c != b' ').unwrap_or(s.len());
    let end = s.iter().rposition(|&c| c != b' ').map_or(start, |e| e + 1);
    &s[start..end]
}

/// Index of the first byte at or after `from` that is not a space.
#[inline]
pub(crate) fn skip_spaces(line: &[u8], mut from: usize) -> usize {
    while line.get(from) == Some(&b' ') {
        from += 1;
    }
    from
}

/// Index of the first of `a` or `b` at or after `from`.
#[inline]
pub(crate) fn find_either(line: &[u8], from: usize, a: u8, b: u8) -> Option<usize> {
    memchr::memchr2(a, b, line.get(from..)?).map(|n| from + n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_times() {
        assert_eq!(trim(b"  ab c  "), b"ab c");
        assert_eq!(trim(b"   "), b"");
        assert!(local_time(b"2024-03-12 09:55:35.125").is_some());
        assert!(local_time(b"2024-02-30 09:55:35.125").is_none());
        assert!(local_time(b"2024-03-12T09:55:35.125").is_none());
        assert!(local_time(b"2024-03-12 09:55:35.12").is_none());
    }
}

#[cfg(test)]
mod corpus_tests {
    use crate::record::{LineFormat, Records};

    /// Every IM SDK line of the corpus days is a record with a full header,
    /// of the shape its look says; every other line is no record's header.
    #[test]
    fn every_imsdk_line_of_the_corpus_parses() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/imsdk");
        let mut seen = 0;
        for entry in std::fs::read_dir(dir).expect("corpus") {
            let path = entry.expect("entry").path();
            if !path.to_string_lossy().ends_with(".expected.log") {
                continue;
            }
            let text = std::fs::read(&path).expect("readable");
            for rec in Records::new(&text) {
                let b = rec.bytes;
                if b.starts_with(b"TIM: 2") {
                    let h = rec
                        .header
                        .unwrap_or_else(|| panic!("{}", String::from_utf8_lossy(b)));
                    let want = if b[28] == b'/' {
                        LineFormat::ImSdk4
                    } else {
                        LineFormat::ImSdk
                    };
                    assert_eq!(h.format, want);
                    assert!(rec.level.is_some());
                    seen += 1;
                } else if b.starts_with(b"TIM: ") || b.starts_with(b"^^^") {
                    assert_eq!((rec.level, rec.header), (None, None));
                }
            }
        }
        assert!(seen > 2000, "{seen}");
    }
}
