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
