use super::*;

/// Writes `lines` lines of the kind a JSON sink writes, one call each.
fn spooled(lines: usize) -> (Spool, Vec<u8>) {
    let (mut spool, mut want) = (Spool::default(), Vec::new());
    for i in 0..lines {
        let line = format!(
            "{{\"type\":\"record\",\"n\":{i},\"message\":\"{}\"}}\n",
            "x".repeat(i % 300)
        );
        spool.write_all(line.as_bytes()).unwrap();
        want.extend_from_slice(line.as_bytes());
    }
    (spool, want)
}

#[test]
fn a_spool_in_memory_gives_back_what_it_was_given() {
    let (spool, want) = spooled(1000);
    assert!(spool.file.is_none());
    let mut got = Vec::new();
    spool.copy_to(&mut got).unwrap();
    assert!(got == want);
}

#[test]
fn a_spool_past_its_memory_gives_back_what_it_was_given() {
    // Past SPOOL_MEM the lines go to the file through its buffer; what is
    // still in the buffer at the end is written before reading back.
    let (spool, want) = spooled(80_000);
    assert!(want.len() > SPOOL_MEM + SPOOL_WRITE + 1, "{}", want.len());
    assert!(spool.file.is_some());
    assert!(spool.mem.is_empty());
    let buffered = spool.file.as_ref().unwrap().buffer().len();
    assert!(buffered > 0 && buffered < SPOOL_WRITE, "{buffered}");
    let mut got = Vec::new();
    spool.copy_to(&mut got).unwrap();
    assert_eq!(got.len(), want.len());
    assert!(got == want);
}
