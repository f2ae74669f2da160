use super::*;

#[test]
fn find_near_matches_naive_search() {
    let hay: Vec<u8> = (0..300u32).map(|i| (i * 7 % 13) as u8 + b'0').collect();
    for start in 0..40 {
        for len in 0..60 {
            let h = &hay[start..start + len];
            for needle in (b'0'..b'0' + 14).chain([0x80, 0xff]) {
                assert_eq!(find_near(needle, h), h.iter().position(|&b| b == needle));
            }
        }
    }
    // Bytes just above and below the needle: no false hit from a borrow.
    let h = [b'[', b']' + 1, b']' - 1, 0, 0xff, b']', b']', 1, b']'];
    assert_eq!(find_near(b']', &h), Some(5));
    assert_eq!(find_near(b'\0', &h), Some(3));
}

#[test]
fn find_byte_matches_naive_search() {
    let hay: Vec<u8> = (0..200u32).map(|i| (i * 37 % 251) as u8).collect();
    for start in 0..40 {
        for needle in [0u8, 1, 10, 0x80, 0xff, 200, 37] {
            let h = &hay[start..];
            assert_eq!(
                find_byte(needle, h),
                h.iter().position(|&b| b == needle),
                "needle {needle} start {start}"
            );
        }
    }
    // The borrow trick must not report a byte above a true match as the first one.
    let h = b"\x01\x00\x0a\x0a\x0b\x0a0123456789abcdef";
    assert_eq!(find_byte(0x0a, h), Some(2));
    assert_eq!(find_byte(0x00, h), Some(1));
}

#[test]
fn newline_maps_mark_every_newline() {
    let text: Vec<u8> = (0..9000u32)
        .map(|i| match i {
            _ if i % 7 == 0 || i % 64 == 63 || i % 4096 == 0 => b'\n',
            _ => (i * 37 % 251) as u8,
        })
        .collect();
    for start in [0, 1, 63, 64, 65, 4095, 4096, 4097, 8990] {
        for len in [0, 1, 63, 64, 65, 200, 4096, 4097, 9000] {
            let part = &text[start..(start + len).min(text.len())];
            let mapped = part.len().min(64 * MAP_WORDS);
            let mut map = [u64::MAX; MAP_WORDS];
            assert_eq!(newline_map(part, &mut map), mapped.div_ceil(64));
            for (i, &b) in part[..mapped].iter().enumerate() {
                assert_eq!(
                    map[i / 64] >> (i % 64) & 1 == 1,
                    b == b'\n',
                    "{start} {len} {i}"
                );
            }
            if !mapped.is_multiple_of(64) {
                // Past the end of the text: no newline.
                assert_eq!(map[mapped / 64] >> (mapped % 64), 0);
            }
            #[cfg(target_arch = "x86_64")]
            {
                let blocks = &part[..mapped / 64 * 64];
                let mut sse2 = [0; MAP_WORDS];
                newline_words::sse2(blocks, &mut sse2);
                assert_eq!(sse2[..mapped / 64], map[..mapped / 64]);
                if std::arch::is_x86_feature_detected!("avx2") {
                    let mut avx2 = [0; MAP_WORDS];
                    // SAFETY: the processor has AVX2.
                    unsafe { newline_words::avx2(blocks, &mut avx2) };
                    assert_eq!(avx2, sse2);
                }
            }
        }
    }
}

/// Splits `text` pushed in `chunk`-byte pieces; checks the pieces'
/// flags and sizes and the splitter's buffer, and joins the pieces of
/// each record back.
fn split_parts(text: &[u8], chunk: usize) -> Vec<Vec<u8>> {
    let mut sp = RecordSplitter::new();
    let mut recs: Vec<Vec<u8>> = Vec::new();
    let mut open = false;
    let mut take = |b: &[u8], p: Part| {
        assert!(b.len() <= MAX_PIECE, "piece of {}", b.len());
        assert!(!b.is_empty() || !p.cont, "empty continuation");
        assert_eq!(p.cont, open, "a continuation follows a piece with more");
        if p.cont {
            recs.last_mut().expect("open record").extend_from_slice(b);
        } else {
            recs.push(b.to_vec());
        }
        open = p.more;
        Ok::<(), ()>(())
    };
    for c in text.chunks(chunk) {
        sp.push_parts(c, &mut take).expect("ok");
        assert!(sp.buffered() <= MAX_PIECE, "{}", sp.buffered());
    }
    sp.finish_parts(&mut take).expect("ok");
    assert!(!open, "the last record was ended");
    recs
}

#[test]
fn long_records_come_in_pieces_and_join_back() {
    let head = b"[E][2024-01-31 +8.0 10:00:00.000][1, 2*][t][a.cc:1, f][";
    let rec = b"[I][2024-01-31 +8.0 10:00:01.000][1, 2*][t][a.cc:1, f][ok\n";
    let mut line_bomb = head.to_vec();
    line_bomb.resize(3 * MAX_PIECE + 17, b'x');
    let zeros = vec![0u8; 2 * MAX_PIECE + 5];
    let mut lines = head.to_vec();
    while lines.len() < 3 * MAX_PIECE {
        lines.extend_from_slice("  continued \u{4e2d}\u{6587} line\n".as_bytes());
    }
    let mut mixed = rec.to_vec();
    mixed.extend_from_slice(&lines);
    mixed.extend_from_slice(rec);
    mixed.extend_from_slice(&line_bomb);
    mixed.push(b'\n');
    mixed.extend_from_slice(rec);
    // A long record ending in a short line, then a record start cut short.
    mixed.extend_from_slice(&zeros);
    mixed.extend_from_slice(b"\n[W]");
    for text in [&line_bomb[..], &zeros, &lines, &mixed] {
        let want: Vec<Vec<u8>> = Records::new(text).map(|r| r.bytes.to_vec()).collect();
        for chunk in [MAX_PIECE, 4093, 3 * MAX_PIECE / 2, text.len()] {
            assert!(split_parts(text, chunk) == want, "chunk {chunk}");
        }
    }
}

#[test]
fn offsets() {
    let cases: [(&[u8], Option<i32>); 14] = [
        (b"+8.0", Some(480)),
        (b"+5.5", Some(330)),
        (b"-4.0", Some(-240)),
        (b"-2.5", Some(-150)),
        (b"+0.0", Some(0)),
        (b"+1.0", Some(60)),
        (b"+80", Some(480)),
        (b"+55", Some(330)),
        (b"-40", Some(-240)),
        (b"0", Some(0)),
        (b"+-40", Some(-240)),
        (b"+-5.0", Some(-300)),
        (b"+5.8", Some(345)), // Nepal +5:45 printed with one decimal
        (b"x", None),
    ];
    for (text, want) in cases {
        assert_eq!(
            parse_offset(text),
            want,
            "{}",
            String::from_utf8_lossy(text)
        );
    }
    assert_eq!(parse_offset(b"+57"), Some(345)); // Nepal as 20700/360 = 57 tenths
    assert_eq!(parse_offset(b"+99.0"), None);
}

#[test]
fn levels_parse_and_order() {
    assert_eq!(Level::parse("warning"), Ok(Level::Warn));
    assert_eq!(Level::parse("W"), Ok(Level::Warn));
    assert_eq!(Level::parse(" DEBUG "), Ok(Level::Debug));
    assert_eq!(Level::parse("e"), Ok(Level::Error));
    assert!(Level::parse("critical").is_err());
    assert!(Level::Verbose < Level::Debug && Level::Error < Level::Fatal);
    for l in Level::ALL {
        assert_eq!(Level::from_letter(l.letter() as u8), Some(l));
        assert_eq!(Level::parse(l.name()), Ok(l));
    }
}

/// The message start of a full parse, for comparison with `body_start`.
fn parsed_body(rec: &[u8]) -> Option<usize> {
    let m = Record::parse(rec).message()?;
    Some(m.as_ptr() as usize - rec.as_ptr() as usize)
}

#[test]
fn body_start_agrees_with_the_full_parse() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/text");
    let mut headers = 0;
    // One memo throughout, so most answers come from it.
    let mut memo = DateMemo::default();
    for entry in std::fs::read_dir(dir).expect("corpus text") {
        let text = std::fs::read(entry.expect("entry").path()).expect("readable");
        for rec in Records::new(&text) {
            if rec.level.is_some() {
                assert_eq!(body_start(rec.bytes, &mut memo), parsed_body(rec.bytes));
                headers += usize::from(rec.header.is_some());
            }
        }
    }
    assert!(headers > 5000, "{headers}");
    // Every one-byte damage of a header: both agree on whether it is one.
    let line = b"[E][2024-02-29 +8.0 23:59:59.999][-12, 34*][t g][a.cc:10, f(x)][m\n".to_vec();
    let legacy = b"[I][2024-01-31 -2.5 10:00:00.000][1, 2][][a.cc, f, 7][m".to_vec();
    for base in [line, legacy] {
        assert!(body_start(&base, &mut memo).is_some());
        for i in 0..base.len() {
            for b in [
                b'0', b'9', b'-', b' ', b']', b'[', b',', b':', b'*', b'x', b'\n',
            ] {
                let mut bad = base.clone();
                bad[i] = b;
                if Record::parse(&bad).level.is_none() {
                    continue; // no level letter: never asked
                }
                // After the undamaged header, and from scratch.
                assert!(body_start(&base, &mut memo).is_some());
                assert_eq!(
                    body_start(&bad, &mut memo),
                    parsed_body(&bad),
                    "{}",
                    String::from_utf8_lossy(&bad)
                );
                assert_eq!(
                    body_start(&bad, &mut DateMemo::default()),
                    parsed_body(&bad),
                    "{}",
                    String::from_utf8_lossy(&bad)
                );
            }
        }
    }
    for ts in [
        "2023-02-29 +8.0 10:00:00.000",
        "2024-01-31 +8.0 24:00:00.000",
    ] {
        let rec = format!("[I][{ts}][1, 2][t][a.cc:1, f][m");
        assert_eq!(body_start(rec.as_bytes(), &mut memo), None, "{ts}");
    }
}

/// The one-pass scan's answer for the first line of `rec`, checked
/// against the field-by-field parser's.
fn check_scan(rec: &[u8]) -> scan::Scan {
    let line = &rec[..find_byte(b'\n', rec).unwrap_or(rec.len())];
    let got = scan::scan(rec);
    match &got {
        scan::Scan::Header(s) => assert_eq!(
            Some(s),
            scalar_spans(line).as_ref(),
            "{}",
            String::from_utf8_lossy(rec)
        ),
        scan::Scan::NotHeader => {
            assert_eq!(scalar_spans(line), None, "{}", String::from_utf8_lossy(rec))
        }
        scan::Scan::Unknown => assert!(line.len() >= 128, "{}", String::from_utf8_lossy(rec)),
    }
    got
}

#[test]
fn the_one_pass_scan_finds_the_parsers_fields() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/text");
    let mut fast = 0;
    for entry in std::fs::read_dir(dir).expect("corpus text") {
        let text = std::fs::read(entry.expect("entry").path()).expect("readable");
        for rec in Records::new(&text) {
            fast += usize::from(matches!(check_scan(rec.bytes), scan::Scan::Header(_)));
        }
    }
    assert!(fast > 5000, "{fast}");
    // Fields of every length put each delimiter on every side of the
    // 16-, 32-, 64- and 128-byte boundaries, and past the window.
    for n in 0..150 {
        let field = "x".repeat(n);
        let digits = "7".repeat(n.min(20));
        for line in [
            format!("[E][2024-02-29 +8.0 23:59:59.999][-12, 34*][{field}][a.cc:10, f][m\n"),
            format!("[I][2024-01-31 -2.5 10:00:00.000][1, 2][t][{field}.cc, f, 7][m"),
            format!("[I][2024-01-31 +80 10:00:00.000][1, 2][t][a.cc:9, {field}][m\nmore"),
            format!("[W][2024-01-31 +8.0 10:00:00.000][{digits}, {digits}][t][a:{digits}, f][m"),
            format!("[D][{field} 10:00:00.000][1, 2][t][a.cc:1, f]"),
        ] {
            check_scan(line.as_bytes());
        }
    }
    // Locations whose line number is odd: the current layout only when
    // the last colon before `, ` is followed by 1..=9 digits up to it.
    for loc in [
        "a:b:12, f",
        "a:12x, f",
        "a::, f",
        "a:, f",
        ":1, f",
        "a:1234567890, f",
        "a:123456789, f",
        "1:2:3, f, 4",
        "a, f, 7",
        "a:7, f, 8",
        "7, f, 8",
        "a:b, 9",
        "a:1 , f, 2",
        "a:0, f][x, 3",
    ] {
        for tail in ["][m\n", "][m", "]\n[m", "][", "]"] {
            let line = format!("[I][2024-01-31 +8.0 10:00:00.000][1, 2][t][{loc}{tail}");
            check_scan(line.as_bytes());
        }
    }
    // Every one-byte damage of headers of several lengths.
    let bases = [
            &b"[E][2024-02-29 +8.0 23:59:59.999][-12, 34*][t g][a.cc:10, f(x)][m\n"[..],
            b"[I][2024-01-31 -2.5 10:00:00.000][1, 2][][a.cc, f, 7][m",
            b"[F][2024-01-31 +8.0 10:00:00.000][123456789, 987654321*][a_tag_that_is_long][some/long/path/file_name.cc:12345, Namespace::Class::function(int)][m\n",
        ];
    for base in bases {
        // The last is longer than the window: the scalar parser's.
        assert!(!matches!(check_scan(base), scan::Scan::NotHeader));
        for i in 0..base.len() {
            for b in [
                b'0', b'9', b'-', b' ', b']', b'[', b',', b':', b'*', b'.', b'x', b'\n', 0x80, 0xFF,
            ] {
                let mut bad = base.to_vec();
                bad[i] = b;
                check_scan(&bad);
                check_scan(&bad[..i]);
            }
        }
    }
}

#[test]
fn date_memo_reads_timestamps_as_parse_timestamp_does() {
    let mut memo = DateMemo::default();
    let base = b"2024-02-29 +8.0 23:59:59.999";
    let mut seen = 0;
    for prev in [
        &base[..],
        b"2024-02-29 -2.5 10:00:00.000",
        b"2024-02-29 +8.0 ",
    ] {
        for i in 0..base.len() {
            for b in [b'0', b'9', b'-', b' ', b'.', b':', b'x'] {
                let mut bad = base.to_vec();
                bad[i] = b;
                // After an accepted (or rejected) neighbour.
                assert_eq!(memo.timestamp(prev), parse_timestamp(prev));
                assert_eq!(memo.timestamp(&bad), parse_timestamp(&bad));
                assert_eq!(memo.timestamp(prev), parse_timestamp(prev));
                let mut rec = b"[I][".to_vec();
                rec.extend_from_slice(&bad);
                rec.extend_from_slice(b"][1, 2][t][a.cc:1, f][m");
                let spans = header_spans(&rec).expect("fields around the time");
                let ok = parse_timestamp(&bad).is_some();
                assert_eq!(memo.ok_spans(&rec, &spans), ok);
                seen += usize::from(parse_timestamp(&bad).is_some());
            }
        }
    }
    assert!(seen > 10, "{seen}");
    for raw in [
        &b"2024-02-29 +8.0 23:59:59.9999"[..],
        b"2024-02-29 +8.0 23:59:59.99",
        b"2024-02-29 +8.0 24:00:00.000",
        b"2024-02-29 +8.0 23:60:00.000",
        b"2024-02-29 +8.0  23:59:59.999",
    ] {
        assert!(memo.timestamp(base).is_some());
        assert_eq!(
            memo.timestamp(raw),
            None,
            "{}",
            String::from_utf8_lossy(raw)
        );
    }
}

#[test]
fn parse_record_gives_what_record_parse_gives() {
    // One memo throughout, as a renderer keeps it: most times come from it.
    let mut memo = DateMemo::default();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/text");
    let mut headers = 0;
    for entry in std::fs::read_dir(dir).expect("corpus text") {
        let text = std::fs::read(entry.expect("entry").path()).expect("readable");
        for rec in Records::new(&text) {
            assert_eq!(parse_record(rec.bytes, &mut memo), rec);
            headers += usize::from(rec.header.is_some());
        }
    }
    assert!(headers > 5000, "{headers}");
    // Every one-byte damage of headers of both layouts, after the intact
    // header (the memo holds its date) and from scratch.
    let line =
        b"[E][2024-02-29 +8.0 23:59:59.999][-12, 34*][t g][a.cc:10, f(x)][m\nmore\n".to_vec();
    let legacy = b"[I][2024-01-31 -2.5 10:00:00.000][1, 2][][a.cc, f, 7][m".to_vec();
    let mut damaged = 0;
    for base in [line, legacy] {
        assert!(parse_record(&base, &mut memo).header.is_some());
        for i in 0..base.len() {
            for b in [
                b'0', b'9', b'-', b' ', b']', b'[', b',', b':', b'*', b'x', b'\n', b'.',
            ] {
                let mut bad = base.clone();
                bad[i] = b;
                let want = Record::parse(&bad);
                damaged += usize::from(want.header.is_none());
                assert_eq!(parse_record(&base, &mut memo), Record::parse(&base));
                assert_eq!(
                    parse_record(&bad, &mut memo),
                    want,
                    "{}",
                    String::from_utf8_lossy(&bad)
                );
                assert_eq!(parse_record(&bad, &mut DateMemo::default()), want);
            }
        }
    }
    assert!(damaged > 100, "{damaged}");
}
