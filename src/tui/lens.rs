//! The IM SDK lens in the viewer: the same engine and rules as `xlogdec
//! diagnose`, fed the rows of the store as they arrive, one engine per
//! opened file. Findings carry their base row number, so the findings pane
//! (`i`) jumps to them; a row whose record has a known error code gets a
//! gutter marker and, expanded, the code's meaning and advice.

use std::collections::HashMap;
use std::sync::Arc;

use crate::imsdk::line::{Line, classify};
use crate::imsdk::{Engine, Finding, RuleSet};
use crate::tui::store::{RowKind, Store};

/// The gutter marker of a row whose record has a non-zero error code.
pub const CODE_MARKER: char = '!';

/// One opened file's engine and its line count.
struct FileLens {
    engine: Engine,
    lines: u64,
}

/// The lens over the loaded rows.
pub struct Lens {
    rules: Arc<RuleSet>,
    files: HashMap<u16, FileLens>,
    /// Findings so far, in arrival order; [`Finding::record`] is the base
    /// row number.
    pub findings: Vec<Finding>,
    /// Base rows fed so far.
    fed: usize,
}

impl Default for Lens {
    fn default() -> Lens {
        Lens::new(Arc::new(RuleSet::builtin()))
    }
}

impl Lens {
    /// A lens with these rules.
    pub fn new(rules: Arc<RuleSet>) -> Lens {
        Lens {
            rules,
            files: HashMap::new(),
            findings: Vec::new(),
            fed: 0,
        }
    }

    /// Feeds the rows of `store` not fed yet.
    pub fn feed(&mut self, store: &Store) {
        let end = store.len();
        for r in self.fed..end {
            let r = r as u32;
            let row = store.row(r);
            if row.kind != RowKind::Text {
                continue;
            }
            let bytes = store.bytes_of(r);
            let rules = &self.rules;
            let f = self.files.entry(row.file).or_insert_with(|| FileLens {
                engine: Engine::new(Arc::clone(rules)),
                lines: 0,
            });
            f.engine.record_at(f.lines + 1, u64::from(r), bytes);
            f.lines += memchr::memchr_iter(b'\n', bytes).count() as u64;
            self.findings.extend(f.engine.drain());
        }
        self.fed = end;
    }

    /// A file is loaded: its last held-back finding comes out.
    pub fn finish(&mut self, file: u16) {
        if let Some(f) = self.files.get_mut(&file) {
            f.engine.finish();
            self.findings.extend(f.engine.drain());
        }
    }

    /// The non-zero error code of a record, with its table entry when the
    /// code is known (what the gutter marker and the detail view show).
    pub fn code_of(&self, bytes: &[u8]) -> Option<(i64, Option<&crate::imsdk::rules::CodeInfo>)> {
        if !matches!(bytes.first(), Some(b'T' | b'0'..=b'9')) {
            return None;
        }
        let rec = crate::record::Record::parse(bytes);
        let Line::Im(im) = classify(&rec) else {
            return None;
        };
        let code = self.rules.read_code(im.message).filter(|&c| c != 0)?;
        Some((code, self.rules.code(code)))
    }

    /// The lines the detail view adds under an expanded record: its code's
    /// meaning and advice.
    pub fn detail(&self, bytes: &[u8]) -> Vec<String> {
        let Some((code, info)) = self.code_of(bytes) else {
            return Vec::new();
        };
        match info {
            Some(i) => vec![
                format!("{CODE_MARKER} code {code} {}: {}", i.name, i.meaning),
                format!("  advice: {}", i.advice),
            ],
            None => vec![format!(
                "{CODE_MARKER} code {code}: unknown code, not in the error-code table"
            )],
        }
    }

    /// One line of the findings pane.
    pub fn item(f: &Finding) -> String {
        let time = f
            .time_text()
            .map_or_else(|| "-".repeat(12), |t| t[11..].to_string());
        format!("{time} {:<15} {}", f.kind.as_str(), f.detail())
    }
}
