use super::*;

fn piece(n: usize) -> Arc<Vec<u8>> {
    Arc::new(vec![0u8; n])
}

#[test]
fn the_cache_stays_in_bounds_and_spares_what_was_used() {
    let mut c = Cache::default();
    for k in 0..10u64 {
        c.insert((0, k), piece(100), 350);
        assert!(c.bytes <= 350, "{} bytes cached", c.bytes);
    }
    assert_eq!(c.map.len(), 3);
    assert_eq!(c.loads, 10);
    // Piece 7 is used; the next two insertions evict 8 and 9 first.
    assert!(c.get((0, 7)).is_some());
    c.insert((0, 10), piece(100), 350);
    c.insert((0, 11), piece(100), 350);
    assert!(c.get((0, 7)).is_some(), "a used piece gets a second turn");
    assert!(c.get((0, 8)).is_none() && c.get((0, 9)).is_none());
    // A piece larger than the bound is still kept (alone).
    c.insert((1, 0), piece(1000), 350);
    assert!(c.get((1, 0)).is_some());
    assert_eq!(c.map.len(), 1);
}
