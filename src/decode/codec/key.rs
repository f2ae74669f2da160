//! The private key and the ECDH step that turns a block's public key into
//! its TEA key.
//!
//! Mars uses secp256k1 (micro-ecc): the TEA key is the first 16 bytes of the
//! raw X coordinate of ECDH(server private key, client public key), read as
//! four little-endian u32.

use k256::{PublicKey, SecretKey};
use std::fmt;

/// A TEA key: four 32-bit words.
pub type TeaKey = [u32; 4];

/// Why a key could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The private key is not 64 hex characters of a valid scalar.
    #[error("private key must be 64 hex characters (32 bytes) of a valid secp256k1 key: {0}")]
    BadPrivateKey(String),
    /// The block's 64-byte key field is not a point on the curve.
    #[error("the block's public key is not a valid secp256k1 point")]
    BadPublicKey,
}

/// The server private key that decrypts 0x07 / 0x0C blocks.
#[derive(Clone)]
pub struct PrivateKey(SecretKey);

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PrivateKey(..)")
    }
}

fn hex_nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

impl PrivateKey {
    /// Parses the key as Mars prints it: 64 hex characters. Surrounding
    /// white space (a key file's newline) is ignored.
    pub fn from_hex(text: &str) -> Result<PrivateKey, KeyError> {
        let t = text.trim().as_bytes();
        if t.len() != 64 {
            return Err(KeyError::BadPrivateKey(format!(
                "got {} characters",
                t.len()
            )));
        }
        let mut bytes = [0u8; 32];
        for (i, pair) in t.chunks_exact(2).enumerate() {
            match (hex_nibble(pair[0]), hex_nibble(pair[1])) {
                (Some(h), Some(l)) => bytes[i] = h << 4 | l,
                _ => {
                    return Err(KeyError::BadPrivateKey(format!(
                        "not a hex digit at character {}",
                        i * 2 + 1
                    )));
                }
            }
        }
        SecretKey::from_slice(&bytes)
            .map(PrivateKey)
            .map_err(|_| KeyError::BadPrivateKey("not a valid scalar".into()))
    }

    /// A key from its 32 raw bytes (big-endian scalar).
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<PrivateKey, KeyError> {
        SecretKey::from_slice(bytes)
            .map(PrivateKey)
            .map_err(|_| KeyError::BadPrivateKey("not a valid scalar".into()))
    }

    /// A valid key derived from a seed, for deterministic test writers
    /// (never for real secrets).
    pub fn from_seed(seed: u64) -> PrivateKey {
        let mut bytes = [0u8; 32];
        let mut x = seed ^ 0xD1B5_4A32_D192_ED03;
        for chunk in bytes.chunks_exact_mut(8) {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            chunk.copy_from_slice(&x.to_be_bytes());
        }
        bytes[0] &= 0x7F; // below the curve order
        bytes[31] |= 1; // not zero
        PrivateKey::from_bytes(&bytes).expect("a non-zero 255-bit scalar is a valid key")
    }

    /// The public key as Mars stores it in a block header: X‖Y, 64 bytes.
    pub fn public_key_bytes(&self) -> [u8; 64] {
        use k256::elliptic_curve::sec1::ToSec1Point;
        let p = self.0.public_key().to_sec1_point(false);
        let mut out = [0u8; 64];
        out.copy_from_slice(&p.as_bytes()[1..65]);
        out
    }

    /// Derives the TEA key for a block whose key field is `client_pub`
    /// (64 bytes, X‖Y big-endian).
    pub fn tea_key(&self, client_pub: &[u8]) -> Result<TeaKey, KeyError> {
        if client_pub.len() != 64 {
            return Err(KeyError::BadPublicKey);
        }
        let mut sec1 = [0u8; 65];
        sec1[0] = 0x04;
        sec1[1..].copy_from_slice(client_pub);
        let public = PublicKey::from_sec1_bytes(&sec1).map_err(|_| KeyError::BadPublicKey)?;
        let shared = self.0.diffie_hellman(&public);
        let x = shared.raw_secret_bytes();
        let w = |i: usize| u32::from_le_bytes([x[i], x[i + 1], x[i + 2], x[i + 3]]);
        Ok([w(0), w(4), w(8), w(12)])
    }
}

#[cfg(test)]
mod tests;
