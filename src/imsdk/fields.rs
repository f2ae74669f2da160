//! The `key:value|key:value` messages of the IM SDK, read without
//! allocating.
//!
//! The SDK writes most messages as fields separated by `|`, with a leading
//! tag that has no key (`Login success|task_id:1|error_code:0 ...`). The
//! quirks of real lines are read as fields too:
//!
//! * `error_code:0 error_message:OK`: two fields joined by a space;
//! * `error code:0|error message:Success`: keys with a space inside;
//! * 4.x `Login failed, code 6206|msg userSig expired`, `reg push failed,
//!   code -10003, msg` and `recv error code: 9519, errmsg: ...`: a key, a
//!   space or `: `, then the number;
//! * 4.0.x `errorCode = 60008`.
//!
//! Only the first line of a message is read: the lines after it are a
//! message dump, whose fields describe the message, not the call.
//!
//! ```
//! use xlogdec::imsdk::fields::{head, number, value};
//! let msg = b"Login success|task_id:1|error_code:0 error_message:OK|userid:bob";
//! assert_eq!(head(msg), b"Login success");
//! assert_eq!(number(msg, b"error_code"), Some(0));
//! assert_eq!(value(msg, b"userid"), Some(&b"bob"[..]));
//! assert_eq!(number(b"Login failed, code 6206|msg x", b"code"), Some(6206));
//! ```

/// The first line of `msg` (without its `\r\n` or `\n`).
pub fn first_line(msg: &[u8]) -> &[u8] {
    let end = memchr::memchr(b'\n', msg).unwrap_or(msg.len());
    let line = &msg[..end];
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// The leading tag of a message: its first field, up to the first `|` or
/// `,`, trimmed (`Login begin`, `InitSDK`, `Login failed`).
pub fn head(msg: &[u8]) -> &[u8] {
    let line = first_line(msg);
    let end = memchr::memchr2(b'|', b',', line).unwrap_or(line.len());
    line[..end].trim_ascii()
}

/// Whether `key` starts at `at` in `line` as a whole key: at the start, or
/// after a separator, and not glued to a longer word.
fn key_at(line: &[u8], at: usize, key: &[u8]) -> bool {
    let before_ok = at == 0 || matches!(line[at - 1], b'|' | b' ' | b',' | b'\t' | b'/' | b'(');
    let after = at + key.len();
    let after_ok = after == line.len() || !is_word(line[after]);
    before_ok && after_ok
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Positions where `key` occurs as a whole key in `line`.
fn key_positions<'a>(line: &'a [u8], key: &'a [u8]) -> impl Iterator<Item = usize> + 'a {
    // Keys are short and lines too: a plain scan beats building a searcher.
    let first = key.first().copied();
    memchr::memchr_iter(first.unwrap_or(0), line)
        .filter(move |&at| first.is_some() && line[at..].starts_with(key) && key_at(line, at, key))
}

/// The fields that hold an error code, with their searchers built once
/// (reading a code is done for every line of a log).
#[derive(Debug, Clone)]
pub struct CodeKeys {
    keys: Vec<(Vec<u8>, memmem::Finder<'static>)>,
    /// A piece every key contains (`ode`), looked for first.
    common: Option<memmem::Finder<'static>>,
}

use memchr::memmem;

impl CodeKeys {
    /// Searchers for `keys`, in the order they are looked for.
    pub fn new<K: AsRef<[u8]>>(keys: &[K]) -> CodeKeys {
        let keys: Vec<(Vec<u8>, memmem::Finder<'static>)> = keys
            .iter()
            .map(|k| {
                let k = k.as_ref().to_vec();
                let f = memmem::Finder::new(&k).into_owned();
                (k, f)
            })
            .collect();
        let common = keys
            .iter()
            .all(|(k, _)| memmem::find(k, b"ode").is_some())
            .then(|| memmem::Finder::new(b"ode").into_owned());
        CodeKeys { keys, common }
    }

    /// The keys, in order.
    pub fn keys(&self) -> impl Iterator<Item = &[u8]> {
        self.keys.iter().map(|(k, _)| k.as_slice())
    }

    /// The error code of a message (see [`code`]).
    pub fn code(&self, msg: &[u8]) -> Option<i64> {
        let line = first_line(msg);
        if let Some(c) = &self.common
            && c.find(line).is_none()
        {
            return None;
        }
        self.keys.iter().find_map(|(k, f)| {
            f.find_iter(line)
                .filter(|&at| key_at(line, at, k))
                .find_map(|at| number_at(line, at + k.len(), false))
        })
    }
}

/// The value of field `key` (`key:value`): up to the next `|` or the end of
/// the first line, trimmed. `None` when the key is absent.
pub fn value<'a>(msg: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    let line = first_line(msg);
    // A value's key starts a field: after `|` or `,`, or after the space
    // of the joined `error_code:0 error_message:OK`.
    let starts_field = |at: usize| {
        at == 0
            || matches!(line[at - 1], b'|' | b',')
            || (line[at - 1] == b' ' && at >= 2 && line[at - 2].is_ascii_digit())
    };
    for at in key_positions(line, key).filter(|&at| starts_field(at)) {
        let rest = &line[at + key.len()..];
        if let Some(rest) = rest.strip_prefix(b":") {
            let end = memchr::memchr(b'|', rest).unwrap_or(rest.len());
            return Some(rest[..end].trim_ascii());
        }
    }
    None
}

/// The integer after key `key`, written `key:N`, `key: N`, `key N`,
/// `key = N` or `key:N unit`: the first such occurrence whose number
/// parses. Digits glued to letters (`key:12ab`) do not count, but a unit
/// right after the number does (`interval 120s`) only when `unit_ok`.
fn number_with(msg: &[u8], key: &[u8], unit_ok: bool) -> Option<i64> {
    let line = first_line(msg);
    key_positions(line, key).find_map(|at| number_at(line, at + key.len(), unit_ok))
}

/// The number written right after a key that ends at `key_end` (see
/// [`number_with`]).
pub(crate) fn number_at(line: &[u8], key_end: usize, unit_ok: bool) -> Option<i64> {
    let mut i = key_end;
    while i < line.len() && line[i] == b' ' {
        i += 1;
    }
    if i < line.len() && matches!(line[i], b':' | b'=') {
        i += 1;
        while i < line.len() && line[i] == b' ' {
            i += 1;
        }
    } else if i == key_end {
        // Neither a separator nor a space: `keyword...`.
        return None;
    }
    let start = i;
    if i < line.len() && line[i] == b'-' {
        i += 1;
    }
    let digits = i;
    while i < line.len() && line[i].is_ascii_digit() {
        i += 1;
    }
    if i == digits || i - digits > 18 {
        return None;
    }
    if i < line.len() && is_word(line[i]) && !(unit_ok && line[i].is_ascii_alphabetic()) {
        return None;
    }
    // At most 18 digits: the value fits an i64.
    let n = line[digits..i]
        .iter()
        .fold(0i64, |n, &d| n * 10 + i64::from(d - b'0'));
    Some(if digits > start { -n } else { n })
}

/// The integer of field `key` (see the module docs for the forms read).
pub fn number(msg: &[u8], key: &[u8]) -> Option<i64> {
    number_with(msg, key, false)
}

/// Like [`number`], also reading a number followed by a unit
/// (`interval 120s` gives 120).
pub fn number_unit(msg: &[u8], key: &[u8]) -> Option<i64> {
    number_with(msg, key, true)
}

/// The error code of a message: the number of the first of `keys` present
/// (the order of `keys` decides between two, e.g. `error code` before
/// `code`).
pub fn code<K: AsRef<[u8]>>(msg: &[u8], keys: &[K]) -> Option<i64> {
    keys.iter().find_map(|k| number(msg, k.as_ref()))
}

/// The fields of the first line of a message, in order: `(key, value)`,
/// the key empty for a field without one (the leading tag). The joined
/// `error_code:0 error_message:OK` comes as two fields.
pub fn fields(msg: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    first_line(msg).split(|&b| b == b'|').flat_map(|part| {
        let (first, second) = split_joined(part);
        std::iter::once(first).chain(second).map(split_field)
    })
}

/// `error_code:0 error_message:OK` -> (`error_code:0`, `error_message:OK`).
fn split_joined(part: &[u8]) -> (&[u8], Option<&[u8]>) {
    if let Some(colon) = memchr::memchr(b':', part) {
        let rest = &part[colon + 1..];
        let digits = rest
            .iter()
            .position(|b| !(b.is_ascii_digit() || *b == b'-'))
            .unwrap_or(rest.len());
        if digits > 0
            && rest.get(digits) == Some(&b' ')
            && let Some(next) = rest.get(digits + 1..)
            && let Some(c) = memchr::memchr(b':', next)
            && next[..c].iter().all(|&b| is_word(b))
            && c > 0
        {
            let cut = colon + 1 + digits;
            return (&part[..cut], Some(&part[cut + 1..]));
        }
    }
    (part, None)
}

fn split_field(part: &[u8]) -> (&[u8], &[u8]) {
    match memchr::memchr(b':', part) {
        Some(c) => (part[..c].trim_ascii(), part[c + 1..].trim_ascii()),
        None => (&b""[..], part.trim_ascii()),
    }
}

#[cfg(test)]
mod tests;
