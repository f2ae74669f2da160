//! The IM SDK lens in the viewer: the same engine and rules as `xlogdec
//! diagnose`. The loader feeds each file's records to a [`FileLens`] as it
//! turns them into rows (the text is at hand there; the store keeps only
//! where it lies), and the findings travel with the rows' batches, each
//! carrying its row's number. The findings pane (`i`) jumps to them; a row
//! whose record has a known error code gets a gutter marker and, unfolded,
//! the code's meaning and advice.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use crate::imsdk::line::{Line, classify};
use crate::imsdk::rules::CodeInfo;
use crate::imsdk::{Engine, Finding, RuleSet};

/// The gutter marker of a row whose record has a non-zero error code.
pub const CODE_MARKER: char = '!';

/// The built-in rules, shared by every lens of the viewer.
pub fn rules() -> &'static Arc<RuleSet> {
    static RULES: OnceLock<Arc<RuleSet>> = OnceLock::new();
    RULES.get_or_init(|| Arc::new(RuleSet::builtin()))
}

/// Newlines in `bytes`.
pub fn newlines(bytes: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', bytes).count() as u64
}

/// One file's engine, fed by the loader.
pub struct FileLens {
    engine: Engine,
    /// Lines of the file's decoded text so far.
    pub lines: u64,
    /// Rows of the file sent in earlier batches.
    pub sent: u64,
}

impl Default for FileLens {
    fn default() -> FileLens {
        FileLens {
            engine: Engine::new(Arc::clone(rules())),
            lines: 0,
            sent: 0,
        }
    }
}

impl FileLens {
    /// The file's row number of the batch's row `in_batch`.
    pub fn row(&self, in_batch: usize) -> u64 {
        self.sent + in_batch as u64
    }

    /// Feeds a record that becomes the file's row `row`; its findings go
    /// to `out`.
    pub fn record(&mut self, row: u64, bytes: &[u8], out: &mut Vec<Finding>) {
        self.engine.record_at(self.lines + 1, row, bytes);
        self.lines += newlines(bytes);
        out.extend(self.engine.drain());
    }

    /// The file has ended: the held-back finding goes to `out`.
    pub fn finish(&mut self, out: &mut Vec<Finding>) {
        self.engine.finish();
        out.extend(self.engine.drain());
    }
}

/// The findings of the open log, on the viewer's side.
#[derive(Default)]
pub struct Lens {
    /// Findings so far, in arrival order; [`Finding::record`] is the base
    /// row number.
    pub findings: Vec<Finding>,
    /// The base row number of each file's first row.
    bases: HashMap<u16, u64>,
}

impl Lens {
    /// Takes a batch's findings; `first_row` is the base row number the
    /// batch's first row gets.
    pub fn take(&mut self, file: u16, first_row: usize, findings: Vec<Finding>) {
        let base = *self.bases.entry(file).or_insert(first_row as u64);
        self.findings.extend(findings.into_iter().map(|mut f| {
            f.record += base;
            f
        }));
    }

    /// The non-zero error code of a record, with its table entry when the
    /// code is known (what the gutter marker and the detail view show).
    pub fn code_of(bytes: &[u8]) -> Option<(i64, Option<&'static CodeInfo>)> {
        if !matches!(bytes.first(), Some(b'T' | b'0'..=b'9')) {
            return None;
        }
        let rec = crate::record::Record::parse(bytes);
        let Line::Im(im) = classify(&rec) else {
            return None;
        };
        let rules = rules();
        let code = rules.read_code(im.message).filter(|&c| c != 0)?;
        Some((code, rules.code(code)))
    }

    /// The lines the detail view adds under an unfolded record: its code's
    /// meaning and advice.
    pub fn detail(bytes: &[u8]) -> Vec<String> {
        let Some((code, info)) = Lens::code_of(bytes) else {
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
