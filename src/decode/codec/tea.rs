//! The 16-round TEA variant Mars uses for async payloads.
//!
//! 8-byte units, read as two little-endian u32, aligned to the start of the
//! payload, no chaining (ECB); the last `len % 8` bytes are left plain.

/// TEA's key schedule constant.
const DELTA: u32 = 0x9E37_79B9;
/// Mars runs 16 rounds, not the usual 32.
const ROUNDS: u32 = 16;

/// Decrypts every whole 8-byte unit of `buf` in place; a partial last unit
/// is left as it is (the writer leaves it plain).
pub fn decrypt(buf: &mut [u8], key: &[u32; 4]) {
    let [k0, k1, k2, k3] = *key;
    for unit in buf.chunks_exact_mut(8) {
        let mut v0 = u32::from_le_bytes([unit[0], unit[1], unit[2], unit[3]]);
        let mut v1 = u32::from_le_bytes([unit[4], unit[5], unit[6], unit[7]]);
        let mut sum = DELTA.wrapping_mul(ROUNDS);
        for _ in 0..ROUNDS {
            v1 = v1.wrapping_sub(
                (v0 << 4).wrapping_add(k2) ^ v0.wrapping_add(sum) ^ (v0 >> 5).wrapping_add(k3),
            );
            v0 = v0.wrapping_sub(
                (v1 << 4).wrapping_add(k0) ^ v1.wrapping_add(sum) ^ (v1 >> 5).wrapping_add(k1),
            );
            sum = sum.wrapping_sub(DELTA);
        }
        unit[..4].copy_from_slice(&v0.to_le_bytes());
        unit[4..].copy_from_slice(&v1.to_le_bytes());
    }
}

/// Encrypts every whole 8-byte unit of `buf` in place, as the Mars
/// writer does; a partial last unit stays plain.
pub fn encrypt(buf: &mut [u8], key: &[u32; 4]) {
    let [k0, k1, k2, k3] = *key;
    for unit in buf.chunks_exact_mut(8) {
        let mut v0 = u32::from_le_bytes([unit[0], unit[1], unit[2], unit[3]]);
        let mut v1 = u32::from_le_bytes([unit[4], unit[5], unit[6], unit[7]]);
        let mut sum = 0u32;
        for _ in 0..ROUNDS {
            sum = sum.wrapping_add(DELTA);
            v0 = v0.wrapping_add(
                (v1 << 4).wrapping_add(k0) ^ v1.wrapping_add(sum) ^ (v1 >> 5).wrapping_add(k1),
            );
            v1 = v1.wrapping_add(
                (v0 << 4).wrapping_add(k2) ^ v0.wrapping_add(sum) ^ (v0 >> 5).wrapping_add(k3),
            );
        }
        unit[..4].copy_from_slice(&v0.to_le_bytes());
        unit[4..].copy_from_slice(&v1.to_le_bytes());
    }
}

#[cfg(test)]
mod tests;
