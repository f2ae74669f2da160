use super::*;

fn block(magic: u8, seq: u16, payload: &[u8]) -> Vec<u8> {
    let m = Magic::from_byte(magic).unwrap();
    let mut v = vec![magic];
    v.extend_from_slice(&seq.to_le_bytes());
    v.extend_from_slice(&[10, 11]);
    v.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    v.extend(std::iter::repeat_n(0xAA, m.key_len));
    v.extend_from_slice(payload);
    v.push(0);
    v
}

#[test]
fn header_fields_are_little_endian() {
    let b = block(0x09, 0x1234, b"abc");
    let h = parse_header(&b).unwrap();
    assert_eq!(h.seq, 0x1234);
    assert_eq!((h.begin_hour, h.end_hour), (10, 11));
    assert_eq!(h.len, 3);
    assert_eq!(h.key.len(), 64);
    assert_eq!(h.block_len(), b.len() as u64);
    let legacy = block(0x04, 7, b"xy");
    assert_eq!(parse_header(&legacy).unwrap().block_len(), 13 + 2 + 1);
}

#[test]
fn good_block_and_end_of_input() {
    let b = block(0x08, 0, b"hello\n");
    assert_eq!(
        check_block(&b, 0, 0, true),
        Check::Good {
            next: b.len() as u64
        }
    );
    assert_eq!(
        check_block(&b, 0, b.len() as u64, true),
        Check::Good {
            next: b.len() as u64
        }
    );
}

#[test]
fn bad_reasons_use_the_official_wording() {
    let mut b = block(0x09, 1, b"payload");
    let n = b.len();
    b[n - 1] = 7;
    let r = match check_block(&b, 0, 0, true) {
        Check::Bad(r) => r.to_string(),
        other => panic!("{other:?}"),
    };
    assert_eq!(r, format!("log length:7, buffer[{}]:7 != MAGIC_END", n - 1));
    let cut = &b[..n - 3];
    let r = match check_block(cut, 0, 0, true) {
        Check::Bad(r) => r.to_string(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        r,
        format!("log length:7, end pos {} > len(buffer):{}", n, n - 3)
    );
    let r = match check_block(&b[..40], 0, 0, true) {
        Check::Bad(r) => r.to_string(),
        other => panic!("{other:?}"),
    };
    assert_eq!(r, "offset:0 > len(buffer):40");
    let r = match check_block(b"\x42", 0, 0, true) {
        Check::Bad(r) => r.to_string(),
        other => panic!("{other:?}"),
    };
    assert_eq!(r, "_buffer[0]:66 != MAGIC_NUM_START");
}

#[test]
fn undecided_checks_ask_for_more() {
    let b = block(0x09, 1, &[1u8; 100]);
    assert_eq!(check_block(&b[..10], 0, 0, false), Check::NeedMore(75));
    assert_eq!(
        check_block(&b[..80], 0, 0, false),
        Check::NeedMore(b.len() as u64)
    );
    // A window that starts later than offset 0.
    assert_eq!(
        check_block(&b[80..], 80, 80, false),
        Check::Bad(BadBlock::Magic {
            offset: 80,
            byte: 1
        })
    );
}
