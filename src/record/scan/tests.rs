use super::*;

#[test]
fn every_classifier_gives_the_byte_by_byte_masks() {
    // Every byte value at every position, and text-like windows.
    let mut windows: Vec<[u8; WINDOW]> = (0..=255u8)
        .map(|k| std::array::from_fn(|i| (i as u8).wrapping_mul(37).wrapping_add(k)))
        .collect();
    windows.push(std::array::from_fn(|i| {
        b"[I][2024-01-31 +8.0 10:00:0, :]\n"[i % 32]
    }));
    for w in &windows {
        let want = classify_bytes(w);
        #[cfg(target_arch = "x86_64")]
        {
            assert_eq!(sse2::classify(w), want);
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the processor has AVX2.
                assert_eq!(unsafe { avx2::classify(w) }, want);
            }
        }
        assert_eq!(classify(w), want);
    }
}
