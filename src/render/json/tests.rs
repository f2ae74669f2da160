//! Tests of the JSON writer's pieces: escaping, UTF-8 checks, numbers
//! and times.

use super::*;
use crate::record::Timestamp;
use crate::render::escape::unescape;

#[test]
fn word_escape_test_and_string_writer_agree_with_the_table() {
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    // Words of bytes drawn mostly near the escaped ones.
    let pick = [
        0x00, 0x01, 0x1F, 0x20, 0x21, 0x22, 0x23, 0x5B, 0x5C, 0x5D, 0x7F, 0x80, 0xA2, 0xDC, 0xFF,
        b'a',
    ];
    for _ in 0..20_000 {
        let r = next();
        let bytes: [u8; 8] = std::array::from_fn(|k| match (r >> (8 * k)) & 3 {
            0 => (r >> (4 * k)) as u8,
            _ => pick[((r >> (5 * k + 2)) & 15) as usize],
        });
        let want = bytes.iter().any(|&b| NEEDS_ESCAPE[usize::from(b)]);
        assert_eq!(needs_escape(u64::from_le_bytes(bytes)), want, "{bytes:?}");
    }
    // The writer against the byte-by-byte rule, on strings with escapes
    // at every offset.
    for len in 0..40 {
        for at in 0..len {
            for c in ["\"", "\\", "\n", "\u{1}", "\u{1f}", "é"] {
                let mut s: String = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"[..len].into();
                s.replace_range(at..at + 1, c);
                let mut got = Vec::new();
                write_str(&mut got, &s).expect("writes");
                let mut want = String::from("\"");
                for ch in s.chars() {
                    match ch {
                        '"' => want.push_str("\\\""),
                        '\\' => want.push_str("\\\\"),
                        '\n' => want.push_str("\\n"),
                        c if (c as u32) < 0x20 => want.push_str(&format!("\\u{:04x}", c as u32)),
                        c => want.push(c),
                    }
                }
                want.push('"');
                assert_eq!(String::from_utf8(got).expect("utf-8"), want, "{s:?}");
            }
        }
    }
}

#[test]
fn escaping_round_trips() {
    let cases: [&[u8]; 5] = [
        b"plain",
        b"a\\b \xff\xfe tail",
        "消息\\x41".as_bytes(),
        b"\xe6\xb6\x88\\x41 \x80",
        b"",
    ];
    for bytes in cases {
        let (s, esc) = escape_bytes(bytes);
        assert_eq!(esc, std::str::from_utf8(bytes).is_err());
        let back = if esc {
            unescape(&s).expect("valid")
        } else {
            s.as_bytes().to_vec()
        };
        assert_eq!(back, bytes);
    }
    assert_eq!(escape_bytes(b"a\\\xff").0, "a\\\\\\xFF");
    assert_eq!(unescape("\\q"), None);
}

#[test]
fn one_pass_text_writer_writes_what_escaping_and_writing_write() {
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    // Pieces of valid and broken UTF-8, escapes and plain ASCII, joined
    // at random so that each falls at every place of a word.
    let pieces: [&[u8]; 12] = [
        b"plain ascii text",
        b"a",
        b"\"",
        b"\\",
        b"\n",
        b"\x01",
        "消息".as_bytes(),
        "😀".as_bytes(),
        b"\xe6\xb6",
        b"\xff",
        b"\xc3",
        b"\x80 tail",
    ];
    let (mut escaped, mut plain) = (0, 0);
    for _ in 0..20_000 {
        let r = next();
        let mut bytes = Vec::new();
        for k in 0..(r % 9) {
            bytes.extend_from_slice(pieces[((r >> (4 * k + 4)) % 12) as usize]);
        }
        let (s, e) = escape_bytes(&bytes);
        let mut want = b"prefix".to_vec();
        write_str(&mut want, &s).expect("vec");
        let mut got = b"prefix".to_vec();
        let utf8 = is_utf8(&bytes);
        assert_eq!(utf8, !e, "{bytes:?}");
        assert_eq!(write_text(&mut got, &bytes, utf8), e, "{bytes:?}");
        assert_eq!(got, want, "{bytes:?}");
        if e {
            escaped += 1;
        } else {
            plain += 1;
        }
    }
    assert!(
        escaped > 1000 && plain > 1000,
        "{escaped} escaped, {plain} not"
    );
}

#[test]
fn escape_search_finds_the_first_byte_to_escape_at_every_place() {
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    // Bytes that need no escape, from both sides of each class edge,
    // with one or two escaped ones at every place of every length.
    let calm = [
        0x20, 0x21, 0x23, 0x5B, 0x5D, 0x7F, 0x80, 0x9F, 0xA0, 0xDC, 0xE4, 0xFF,
    ];
    let hot = [0x00, 0x09, 0x0A, 0x1F, b'"', b'\\'];
    let mut found = 0;
    for len in 0..70 {
        for _ in 0..60 {
            let mut hay: Vec<u8> = (0..len)
                .map(|_| calm[(next() % calm.len() as u64) as usize])
                .collect();
            for _ in 0..(next() % 3) {
                if len > 0 {
                    let at = (next() % len as u64) as usize;
                    hay[at] = hot[(next() % hot.len() as u64) as usize];
                }
            }
            let want = hay.iter().position(|&b| NEEDS_ESCAPE[usize::from(b)]);
            assert_eq!(find_escape(&hay), want, "{hay:?}");
            found += usize::from(want.is_some());
        }
    }
    assert!(found > 1000, "{found} with an escape");
}

#[test]
fn fields_of_a_checked_record_are_utf8_exactly_when_they_are() {
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let pieces: [&[u8]; 8] = [
        b"[I][",
        b"ascii",
        "消息".as_bytes(),
        "😀".as_bytes(),
        "é".as_bytes(),
        b"]",
        b"\xe6\xb6",
        b"\xff",
    ];
    let (mut valid, mut broken, mut cut) = (0, 0, 0);
    for _ in 0..5000 {
        let r = next();
        let mut record = Vec::new();
        for k in 0..(r % 12) {
            // Broken pieces in one record of four.
            let n = if r % 4 == 0 { 8 } else { 6 };
            record.extend_from_slice(pieces[((r >> (4 * k + 4)) % n) as usize]);
        }
        let utf8 = Utf8::of(&record);
        assert_eq!(utf8.valid, std::str::from_utf8(&record).is_ok());
        for _ in 0..20 {
            let a = (next() % (record.len() as u64 + 1)) as usize;
            let b = a + (next() % ((record.len() - a) as u64 + 1)) as usize;
            let field = &record[a..b];
            let want = std::str::from_utf8(field).is_ok();
            assert_eq!(utf8.holds(field), want, "{record:?} {a}..{b}");
            match (utf8.valid, want) {
                (true, false) => cut += 1,
                (_, true) => valid += 1,
                (false, false) => broken += 1,
            }
        }
        // A field from elsewhere is checked on its own.
        assert!(utf8.holds("消息".as_bytes()));
        assert!(!utf8.holds(b"\xe6\xb6"));
    }
    assert!(
        valid > 1000 && broken > 1000 && cut > 1000,
        "{valid} valid, {broken} broken, {cut} cut mid-character"
    );
}

#[test]
fn numbers_and_times_are_written_as_formatting_writes_them() {
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut ns: Vec<i64> = vec![0, 9, 10, 99, 100, -1, -10, i64::MAX, i64::MIN];
    // Every number of up to four digits, and the edges of the eight-digit
    // path.
    ns.extend(-10_000..10_000);
    ns.extend([99_999_999, 100_000_000, -99_999_999, -100_000_000]);
    for k in 0..19 {
        let p = 10i64.pow(k);
        ns.extend([p - 1, p, p + 1, -p]);
    }
    for _ in 0..5000 {
        let r = next();
        ns.push((r >> (r % 64)) as i64);
    }
    for n in ns {
        let mut out = b"x".to_vec();
        write_int(&mut out, n);
        assert_eq!(out, format!("x{n}").into_bytes());
    }
    // Times across the calendar, a leap second, years out of four
    // digits; offsets on both sides, odd minutes, and wide ones.
    use chrono::{Datelike, NaiveDate, Timelike};
    let mut times = Vec::new();
    for _ in 0..3000 {
        let r = next();
        let day =
            NaiveDate::from_num_days_from_ce_opt((r % 3_700_000) as i32 - 3000).expect("in range");
        let mut secs = (r >> 8) as u32 % 86_400;
        let nano = if r % 50 == 0 {
            // A leap second follows the 59th.
            secs = secs / 60 * 60 + 59;
            1_000_000_000 + (r >> 40) as u32 % 1_000_000
        } else {
            (r >> 20) as u32 % 1_000_000_000
        };
        let t = chrono::NaiveTime::from_num_seconds_from_midnight_opt(secs, nano).expect("valid");
        let off = match r % 5 {
            0 => None,
            1 => Some(-((r >> 33) as i32 % 900)),
            2 => Some(480),
            3 => Some((r >> 33) as i32 % 100_000),
            _ => Some(-345),
        };
        times.push((day.and_time(t), off));
    }
    for (local, offset_minutes) in times {
        let ts = Timestamp {
            local,
            offset_minutes,
            raw: b"",
        };
        let mut got = Vec::new();
        write_iso(&mut got, &ts).expect("vec");
        let l = local;
        let mut want = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}",
            l.year(),
            l.month(),
            l.day(),
            l.hour(),
            l.minute(),
            l.second(),
            l.nanosecond() / 1_000_000 % 1000
        );
        if let Some(off) = offset_minutes {
            let a = off.unsigned_abs();
            let sign = if off < 0 { '-' } else { '+' };
            want.push_str(&format!("{sign}{:02}:{:02}", a / 60, a % 60));
        }
        assert_eq!(String::from_utf8(got).expect("ascii"), want);
    }
}

#[test]
fn strings_are_valid_json() {
    for s in ["a\"b", "tab\there\u{1}\u{7f}", "line\nline\r\n", "消息 😀"] {
        let mut out = Vec::new();
        write_str(&mut out, s).expect("vec");
        let back: String = serde_json::from_slice(&out).expect("valid JSON");
        assert_eq!(back, s);
    }
}

/// Short fields are written from a fixed window of their record when they
/// need no escape: at every length up to the window and past it, with an
/// escape or a broken character at every place, and near the record's end
/// (no window), the bytes are what `write_text` writes.
#[test]
fn short_fields_are_written_as_text_is() {
    let alphabet: [&[u8]; 6] = [b"a", b"\"", b"\\", b"\n", "\u{4e2d}".as_bytes(), b"\xff"];
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    for _ in 0..20_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let mut rec = Vec::new();
        let mut r = x;
        while rec.len() < 48 + (x % 40) as usize {
            // Mostly plain letters, sometimes one of the others.
            let pick = if r.is_multiple_of(5) { (r >> 3) % 6 } else { 0 };
            rec.extend_from_slice(alphabet[pick as usize]);
            r = r.rotate_left(7) ^ 0x9E37;
        }
        let start = (x >> 20) as usize % rec.len();
        let len = ((x >> 30) as usize % 40).min(rec.len() - start);
        let field = &rec[start..start + len];
        let utf8 = Utf8::of(&rec);
        let (mut got, mut want) = (Vec::new(), Vec::new());
        let escaped = write_field(&mut got, field, &utf8);
        assert_eq!(escaped, write_text(&mut want, field, utf8.holds(field)));
        assert_eq!(got, want, "{field:?}");
        // Without the quotes: the same text, or nothing for a field that
        // is escaped.
        let mut bare = b"\"".to_vec();
        match write_bare(&mut bare, field, &utf8) {
            Some(()) => {
                bare.push(b'"');
                assert!(!escaped);
                assert_eq!(bare, want, "{field:?}");
            }
            None => assert!(escaped && bare == b"\"", "{field:?}"),
        }
    }
}
