//! Log bytes as JSON strings and back. Bytes that are not UTF-8 are kept:
//! such a field is written with each invalid byte as the four characters
//! `\xNN` and each backslash doubled, so that [`unescape`] gives the bytes
//! back exactly. Fields of valid UTF-8 are written as they are.

use std::borrow::Cow;

/// Log bytes as a string: as they are when valid UTF-8, else escaped (see
/// the module docs). The flag says whether escaping was needed.
pub fn escape_bytes(bytes: &[u8]) -> (Cow<'_, str>, bool) {
    if let Ok(s) = std::str::from_utf8(bytes) {
        return (Cow::Borrowed(s), false);
    }
    let mut out = String::with_capacity(bytes.len() + 16);
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c == '\\' {
                out.push_str("\\\\");
            } else {
                out.push(c);
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02X}"));
        }
    }
    (Cow::Owned(out), true)
}

/// The bytes of a field listed in `"escaped"`: the inverse of [`escape_bytes`].
/// `None` when the text is not a valid escaped field.
pub fn unescape(text: &str) -> Option<Vec<u8>> {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            out.push(b[i]);
            i += 1;
            continue;
        }
        match b.get(i + 1) {
            Some(b'\\') => {
                out.push(b'\\');
                i += 2;
            }
            Some(b'x') => {
                let hex = text.get(i + 2..i + 4)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 4;
            }
            _ => return None,
        }
    }
    Some(out)
}
