use super::*;

#[test]
fn counts_levels_tags_and_span() {
    let mut s = Stats::new();
    let recs: [&[u8]; 5] = [
        b"banner\n",
        b"[I][2024-01-31 +8.0 10:00:00.000][1, 2*][a][x.cc:1, f][m\n",
        b"[E][2024-01-31 +8.0 09:00:00.000][1, 2*][b][x.cc:1, f][m\n",
        b"[E][2024-01-31 +8.0 11:00:00.500][1, 2*][b][x.cc:1, f][m\n",
        b"[F]decode_log_file.py log seq:2-3 is missing\n",
    ];
    for r in recs {
        s.record(&Record::parse(r)).expect("ok");
    }
    assert_eq!(s.records, 5);
    assert_eq!((s.no_level, s.no_header), (1, 1));
    assert_eq!(s.level_count(Level::Error), 2);
    assert_eq!(s.level_count(Level::Fatal), 1);
    assert_eq!(s.top_tags(5), vec![("b".into(), 2), ("a".into(), 1)]);
    let first = s.first.expect("first").to_string();
    assert_eq!(first, "2024-01-31 10:00:00.000 +08:00");
    let last = s.last.expect("last").iso();
    assert_eq!(last, "2024-01-31T11:00:00.500+08:00");
}

#[test]
fn absorbing_adds_counts_and_widens_the_span() {
    let parse = |lines: &[&[u8]]| {
        let mut s = Stats::new();
        for r in lines {
            s.record(&Record::parse(r)).expect("ok");
        }
        s
    };
    let mut a = parse(&[
        b"[I][2024-01-31 +8.0 10:00:00.000][1, 2*][a][x.cc:1, f][m\n",
        b"[E][2024-01-31 +8.0 11:00:00.000][1, 2*][b][x.cc:1, f][m\n",
    ]);
    // 09:30 at +7 is 10:30 at +8: inside a's span; 12:00 +8 after it.
    let b = parse(&[
        b"[W][2024-01-31 +7.0 09:30:00.000][1, 2*][b][x.cc:1, f][m\n",
        b"[W][2024-01-31 +8.0 12:00:00.000][1, 2*][c][x.cc:1, f][m\n",
    ]);
    let mut b = b;
    a.gap_count = 2;
    b.gap_count = 3;
    b.seq_back_count = 1;
    a.absorb(b);
    assert_eq!((a.gap_count, a.seq_back_count), (5, 1));
    assert!(a.gaps.is_empty() && a.seq_back.is_empty());
    assert_eq!(a.records, 4);
    assert_eq!(a.level_count(Level::Warn), 2);
    assert_eq!(a.top_tags(1), vec![("b".into(), 2)]);
    assert_eq!(a.distinct_tags(), 3);
    assert_eq!(
        a.first.expect("first").to_string(),
        "2024-01-31 10:00:00.000 +08:00"
    );
    assert_eq!(
        a.last.expect("last").to_string(),
        "2024-01-31 12:00:00.000 +08:00"
    );
}

#[test]
fn tags_past_the_limit_count_as_other_and_known_ones_keep_counting() {
    let mut s = Stats::new();
    let line = |tag: usize| {
        format!("[I][2024-01-31 +8.0 10:00:00.000][1, 2*][t{tag}][x.cc:1, f][m\n").into_bytes()
    };
    for tag in 0..MAX_TAGS + 50 {
        s.record(&Record::parse(&line(tag))).expect("ok");
    }
    // Tags seen first after the limit stay out; earlier ones count on.
    for _ in 0..3 {
        s.record(&Record::parse(&line(7))).expect("ok");
        s.record(&Record::parse(&line(MAX_TAGS + 10))).expect("ok");
    }
    assert_eq!(s.distinct_tags(), MAX_TAGS);
    assert_eq!(s.other_tags, 50 + 3);
    assert_eq!(s.top_tags(2), vec![("t7".into(), 4), ("t0".into(), 1)]);
    assert_eq!(s.records, (MAX_TAGS + 50 + 6) as u64);
}

#[test]
fn kinds_are_named() {
    assert_eq!(block_kind(0x09), "0x09 async zlib");
    assert_eq!(block_kind(0x0C), "0x0C async zstd+tea");
    assert_eq!(block_kind(0x03), "0x03 sync plain");
}
