//! Payload codecs: one block's payload in, bytes out.
//!
//! Every function here appends to an output `Vec` and, on failure, returns
//! the text the official decoder would print after `decompress err, `; what
//! was decoded before the failure stays in the output so that callers that
//! recover more than the official decoder can keep it.

pub mod inflate;
pub mod key;
pub mod tea;
pub mod zstd;

pub use inflate::Inflater;
pub use key::{KeyError, PrivateKey, TeaKey};
pub use zstd::ZstdDecoder;

/// How far a capped decode went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decoded {
    /// The whole payload was decoded.
    All,
    /// The output reached the cap; the rest of the payload was not decoded.
    Capped,
}

/// Joins the legacy 0x05 payload chunks (`[u16 LE len][len bytes]`...) into
/// `out`, exactly as the official decoder does: a chunk length that runs
/// past the payload takes what is there.
pub fn join_chunks(payload: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
    let mut rest = payload;
    while !rest.is_empty() {
        if rest.len() < 2 {
            return Err(format!(
                "unpack_from requires a buffer of at least 2 bytes for unpacking 2 bytes at offset 0 (actual buffer size is {})",
                rest.len()
            ));
        }
        let n = usize::from(u16::from_le_bytes([rest[0], rest[1]]));
        let end = (2 + n).min(rest.len());
        out.extend_from_slice(&rest[2..end]);
        rest = &rest[end..];
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_are_joined_and_short_chunks_take_what_is_there() {
        let mut out = Vec::new();
        join_chunks(b"\x02\x00ab\x03\x00cde\x05\x00fg", &mut out).unwrap();
        assert_eq!(out, b"abcdefg");
        let mut out = Vec::new();
        assert!(join_chunks(b"\x01\x00a\x07", &mut out).is_err());
    }
}
