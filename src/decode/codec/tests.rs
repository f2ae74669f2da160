use super::*;

#[test]
fn chunks_are_joined_and_short_chunks_take_what_is_there() {
    let mut out = Vec::new();
    join_chunks(b"\x02\x00ab\x03\x00cde\x05\x00fg", &mut out).unwrap();
    assert_eq!(out, b"abcdefg");
    let mut out = Vec::new();
    assert!(join_chunks(b"\x01\x00a\x07", &mut out).is_err());
}
