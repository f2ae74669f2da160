use super::*;

#[test]
fn decrypt_inverts_the_writers_encryption_and_leaves_the_tail_plain() {
    let key = [0x0123_4567, 0x89AB_CDEF, 0xFEDC_BA98, 0x7654_3210];
    let plain: Vec<u8> = (0u8..21).collect();
    let mut buf = plain.clone();
    encrypt(&mut buf, &key);
    assert_ne!(buf[..16], plain[..16]);
    assert_eq!(buf[16..], plain[16..], "the last len % 8 bytes stay plain");
    decrypt(&mut buf, &key);
    assert_eq!(buf, plain);
}

#[test]
fn sixteen_rounds_start_sum() {
    assert_eq!(DELTA.wrapping_mul(ROUNDS), 0xE377_9B90);
}
