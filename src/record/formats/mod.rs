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

use super::{Header, Level, LineFormat, Timestamp};

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
        b'T' if rec.starts_with(imsdk::PREFIX) => imsdk::level(rec),
        b'0'..=b'9' if imsdk40::starts(rec) => imsdk40::level(rec),
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

/// Where a header says its line was written: (tag, file, line, function).
pub(crate) type Location<'a> = (&'a [u8], &'a [u8], u32, &'a [u8]);

/// The header of a shape that writes a local time without a UTC offset
/// and marks no main thread (every IM SDK shape): the time's text `raw`,
/// read as `local`; the process and thread ids; the location; the message.
#[inline]
pub(crate) fn local_header<'a>(
    raw: &'a [u8],
    local: chrono::NaiveDateTime,
    (pid, tid): (i64, i64),
    (tag, file, line, func): Location<'a>,
    message: &'a [u8],
    format: LineFormat,
) -> Header<'a> {
    Header {
        timestamp: Timestamp {
            local,
            offset_minutes: None,
            raw,
        },
        pid,
        tid,
        main_thread: false,
        tag,
        file,
        line,
        func,
        message,
        format,
    }
}

/// `YYYY-MM-DD HH:MM:SS.mmm`, the local time the IM SDK writes: every
/// digit and separator in its place.
#[inline]
pub(crate) fn local_time(raw: &[u8]) -> Option<chrono::NaiveDateTime> {
    let [y, mo, d, h, mi, s, ms] = time_fields(raw)?;
    chrono::NaiveDate::from_ymd_opt(y as i32, mo, d)?.and_hms_milli_opt(h, mi, s, ms)
}

/// Whether [`local_time`] accepts `raw`, without building the time (read
/// at fixed places: this runs for every record a time filter passes).
#[inline]
pub(crate) fn time_ok(raw: &[u8]) -> bool {
    let Some([y, mo, d, h, mi, s, _]) = time_fields(raw) else {
        return false;
    };
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let days = match mo {
        2 => 28 + u32::from(leap),
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    (1..=12).contains(&mo) && (1..=days).contains(&d) && h < 24 && mi < 60 && s < 60
}

/// The numbers of `YYYY-MM-DD HH:MM:SS.mmm` when every digit and
/// separator is in its place (their ranges unchecked).
#[inline(always)]
fn time_fields(raw: &[u8]) -> Option<[u32; 7]> {
    let raw: &[u8; 23] = raw.try_into().ok()?;
    if raw[4] != b'-'
        || raw[7] != b'-'
        || raw[10] != b' '
        || raw[13] != b':'
        || raw[16] != b':'
        || raw[19] != b'.'
    {
        return None;
    }
    let d = |i: usize| u32::from(raw[i].wrapping_sub(b'0'));
    let mut bad = 0;
    let mut n = |from: usize, to: usize| {
        let mut v = 0;
        for i in from..to {
            let x = d(i);
            bad |= u32::from(x > 9);
            v = v * 10 + x;
        }
        v
    };
    let f = [
        n(0, 4),
        n(5, 7),
        n(8, 10),
        n(11, 13),
        n(14, 16),
        n(17, 19),
        n(20, 23),
    ];
    (bad == 0).then_some(f)
}

/// The text of the local time of a record of a built-in shape that is not
/// a Mars bracket line, at its place (whether it is a valid time or not).
#[inline]
pub(crate) fn time_text(rec: &[u8]) -> Option<&[u8; 23]> {
    let t = match rec.first()? {
        b'T' if rec.starts_with(imsdk::PREFIX) => rec.get(5..imsdk::SEP)?,
        b'0'..=b'9' if imsdk40::starts(rec) => rec.get(..23)?,
        _ => return None,
    };
    t.try_into().ok()
}

/// Whether the first line of `rec`, a record of a built-in shape that is
/// not a Mars bracket line, is a full header: exactly when
/// [`Record::parse`](super::Record::parse) finds one, without building it.
#[inline]
pub(crate) fn header_ok(rec: &[u8]) -> bool {
    match rec.first() {
        Some(b'T') if rec.starts_with(imsdk::PREFIX) => match rec.get(imsdk::SEP) {
            Some(b'/') => imsdk4::parse(rec).is_some_and(|(_, h)| h.is_some()),
            _ => imsdk::header_ok(rec),
        },
        _ => parse(rec).is_some_and(|(_, h)| h.is_some()),
    }
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
        for t in [
            "2024-02-29 23:59:59.999",
            "2023-02-29 10:00:00.000",
            "2100-02-29 10:00:00.000",
            "2000-02-29 10:00:00.000",
            "2024-04-31 10:00:00.000",
            "2024-12-31 10:00:00.000",
            "2024-13-01 10:00:00.000",
            "2024-00-01 10:00:00.000",
            "2024-01-00 10:00:00.000",
            "2024-01-01 24:00:00.000",
            "2024-01-01 23:60:00.000",
            "2024-01-01 23:00:60.000",
            "0000-01-01 00:00:00.000",
            "2024-01-01 23:00:0x.000",
            "2024-01-01T23:00:00.000",
        ] {
            assert_eq!(
                time_ok(t.as_bytes()),
                local_time(t.as_bytes()).is_some(),
                "{t}"
            );
        }
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

    /// The streaming splitter cuts the IM SDK days where the whole-text
    /// split does, whatever the chunking (a `TIM: ` or dated line cut
    /// anywhere, even inside its first bytes).
    #[test]
    fn the_splitter_cuts_imsdk_days_as_records_do() {
        use crate::record::RecordSplitter;
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/imsdk");
        for name in [
            "mixed_20240312.xlog.expected.log",
            "imsdk4_20240312.xlog.expected.log",
        ] {
            let mut text = std::fs::read(dir.join(name)).expect("corpus");
            // 4.0.x lines too, with a dump line after one.
            text.extend_from_slice(b"2019-03-11 18:17:20.970|looper_logic|I|       a.cpp:223 |Encode               > x\n  dump\n2019-09-24 17:13:08.135|  2048|looper_logic|E|                b.cpp:436 |f           > y\nTIM: 2024");
            let want: Vec<&[u8]> = Records::new(&text).map(|r| r.bytes).collect();
            assert!(want.len() > 400, "{name}: {}", want.len());
            assert!(want[want.len() - 2].starts_with(b"2019-09-24"), "{name}");
            for chunk in [1, 5, 29, 97, 4093] {
                let mut sp = RecordSplitter::new();
                let mut got: Vec<Vec<u8>> = Vec::new();
                for c in text.chunks(chunk) {
                    sp.push_bytes(c, |b| {
                        got.push(b.to_vec());
                        Ok::<(), ()>(())
                    })
                    .expect("ok");
                }
                sp.finish_bytes(|b| {
                    got.push(b.to_vec());
                    Ok::<(), ()>(())
                })
                .expect("ok");
                assert!(got == want, "{name} chunk {chunk}");
            }
        }
    }
}

#[cfg(test)]
mod check_tests {
    use super::*;
    use crate::record::Record;

    /// The cheap header check and the time read at its place agree with the
    /// full parse, on good lines and on every one-byte damage of them.
    #[test]
    fn header_ok_agrees_with_the_parse() {
        let bases: [&[u8]; 4] = [
            b"TIM: 2024-02-29 09:55:35.125 I 16633-16633     |-im_engine_impl.cpp:211                  Init                                    |InitSDK|a:b\n",
            b"TIM: 2024-03-12 09:55:35.291 W 16633-16633     |-NetworkInfoCenter                                                               |NetworkInfoCenter has init",
            b"TIM: 2020-01-21 09:55:35.297/E/22008-22113     /IMSDK       -BaseManager.0                                              /Login failed",
            b"2019-09-24 17:13:08.135|  2048|looper_logic|E|                cos_helper.cpp:436 |operator()           > FetchToken failed\n",
        ];
        let mut headers = 0;
        for base in bases {
            for i in 0..base.len() {
                for b in [
                    b'0', b'9', b'-', b' ', b'|', b'/', b':', b'.', b'x', b'\n', 0xFF,
                ] {
                    let mut bad = base.to_vec();
                    bad[i] = b;
                    for rec in [&bad[..], &bad[..i]] {
                        let parsed = Record::parse(rec);
                        if parsed.level.is_none() {
                            continue;
                        }
                        let h = parsed.header;
                        assert_eq!(
                            header_ok(rec),
                            h.is_some(),
                            "{}",
                            String::from_utf8_lossy(rec)
                        );
                        if let Some(h) = h {
                            let t = time_text(rec).expect("a time text");
                            assert_eq!(local_time(t), Some(h.timestamp.local));
                            headers += 1;
                        }
                    }
                }
            }
        }
        assert!(headers > 1000, "{headers}");
    }
}
