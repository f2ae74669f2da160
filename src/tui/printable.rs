//! Row text as the screen shows it: printable characters only, cut to the
//! screen's width. Shared by the model (which counts screen lines) and the
//! views (which draw them).

/// Text of a row made printable: invalid UTF-8 replaced, tabs expanded,
/// other control characters shown as `?`, the line end dropped.
pub fn printable(bytes: &[u8]) -> String {
    let t = String::from_utf8_lossy(bytes);
    let t = t.trim_end_matches(['\n', '\r']);
    let mut s = String::with_capacity(t.len());
    for c in t.chars() {
        match c {
            '\t' => s.push_str("    "),
            c if c.is_control() => s.push('?'),
            c => s.push(c),
        }
    }
    s
}

/// Columns of the log gutter: cursor, mark, integrity marker, space.
pub const GUTTER: usize = 4;

/// The printable lines of a record.
pub fn printable_lines(bytes: &[u8]) -> Vec<String> {
    let mut lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    if lines.len() > 1 && lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines.into_iter().map(printable).collect()
}

/// `line` cut into pieces of at most `width` characters (at least one piece).
pub fn wrap(line: &str, width: usize) -> Vec<String> {
    let chars: Vec<char> = line.chars().collect();
    if chars.is_empty() {
        return vec![String::new()];
    }
    chars
        .chunks(width.max(1))
        .map(|c| c.iter().collect())
        .collect()
}
