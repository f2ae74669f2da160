//! Searching a whole chunk for the message pattern at once, and what it
//! tells of each record.

use super::*;

/// The match of a search that found none: after every record.
pub(super) const NO_HIT: Range<usize> = usize::MAX..usize::MAX;

/// What the message regex's search over a whole chunk tells of a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Search {
    /// Nothing (no search, or bytes outside the chunk).
    Unknown,
    /// The regex matches nowhere in the record's bytes.
    NoMatch,
    /// The first match that starts in the record's bytes, as positions in
    /// them (it may run past their end).
    Hit(Range<usize>),
}

/// The message regex's search over a chunk. A pattern that is a plain
/// literal is searched for directly: the regex would search for it the
/// same way, behind more work per call, and a call is made per match.
#[derive(Debug, Clone)]
pub(super) enum Searcher {
    Regex(Regex),
    Literal(Box<memchr::memmem::Finder<'static>>),
}

impl Searcher {
    pub(super) fn new(re: &Regex) -> Searcher {
        match literal(re) {
            Some(lit) => {
                Searcher::Literal(Box::new(memchr::memmem::Finder::new(&lit).into_owned()))
            }
            None => Searcher::Regex(re.clone()),
        }
    }

    /// The leftmost match in `hay` that starts at `from` or later.
    #[inline]
    pub(super) fn find_at(&self, hay: &[u8], from: usize) -> Option<Range<usize>> {
        match self {
            Searcher::Regex(re) => re.find_at(hay, from).map(|m| m.range()),
            Searcher::Literal(f) => {
                let at = from + f.find(&hay[from..])?;
                Some(at..at + f.needle().len())
            }
        }
    }
}

/// The text `re` matches exactly, if it is a plain literal: ASCII, no
/// character with a meaning in a pattern, and, if it has letters, not
/// case-insensitive (it does not match its letters' other case; a
/// letterless ASCII text has no other case, not even under Unicode case
/// folding).
pub(super) fn literal(re: &Regex) -> Option<Vec<u8>> {
    let p = unescape(re.as_str())?;
    let p = p.as_str();
    let swapped: String = p
        .chars()
        .map(|c| match c {
            'a'..='z' => c.to_ascii_uppercase(),
            'A'..='Z' => c.to_ascii_lowercase(),
            c => c,
        })
        .collect();
    if swapped != p && re.is_match(swapped.as_bytes()) {
        return None;
    }
    Some(p.as_bytes().to_vec())
}

/// The ASCII text a pattern stands for when it is one written as
/// `regex::escape` writes a literal (as `-F` patterns are): plain
/// characters and escaped meta characters only.
pub(super) fn unescape(p: &str) -> Option<String> {
    if !p.is_ascii() {
        return None;
    }
    let mut out = String::with_capacity(p.len());
    let mut chars = p.chars();
    while let Some(c) = chars.next() {
        out.push(if c == '\\' { chars.next()? } else { c });
    }
    (regex::escape(&out) == p).then_some(out)
}
