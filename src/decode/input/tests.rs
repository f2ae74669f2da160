use super::*;

#[test]
fn read_input_grows_on_demand_and_drops_released_bytes() {
    let data: Vec<u8> = (0..=255u8).cycle().take(300_000).collect();
    let mut inp = ReadInput::with_chunk(&data[..], 1000);
    let w = inp.fetch(0, 10).unwrap();
    assert!(w.bytes.len() >= 10 && !w.at_eof);
    let w = inp.fetch(0, 200_000).unwrap();
    assert_eq!(w.range(199_990, 200_000), &data[199_990..200_000]);
    inp.release(150_000);
    let w = inp.fetch(150_000, 400_000).unwrap();
    assert!(w.at_eof);
    assert!(w.base > 0 && w.base <= 150_000);
    assert_eq!(w.range(150_000, 300_000), &data[150_000..]);
    assert_eq!(w.end(), 300_000);
}
