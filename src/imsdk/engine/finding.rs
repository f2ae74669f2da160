//! What the lens finds: the kinds of finding, a [`Finding`] with its
//! evidence, and the [`Summary`] of an input.

use super::*;

/// What a finding says happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// A process start (the Mars header), with what the banners say.
    Session,
    /// The SDK was initialised.
    Init,
    /// A connect result.
    Connect,
    /// A login result.
    Login,
    /// The UserSig expired.
    UserSigExpired,
    /// Kicked offline.
    Kicked,
    /// A logout.
    Logout,
    /// A message failed to send.
    SendFailed,
    /// Any other non-zero code in a recognised field.
    Error,
    /// No heartbeat response for more than twice the interval while
    /// logged in (reported on the first line read after the silence,
    /// usually the response that ends it).
    Gap,
}

impl Kind {
    /// The name used in the timeline and in JSON's `type`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Session => "session",
            Kind::Init => "init",
            Kind::Connect => "connect",
            Kind::Login => "login",
            Kind::UserSigExpired => "usersig_expired",
            Kind::Kicked => "kicked",
            Kind::Logout => "logout",
            Kind::SendFailed => "send_failed",
            Kind::Error => "error",
            Kind::Gap => "gap",
        }
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// What happened.
    pub kind: Kind,
    /// The record's wall clock.
    pub time: Option<NaiveDateTime>,
    /// The UTC offset of the wall clock (from the session's Mars header).
    pub offset_minutes: Option<i32>,
    /// Line number in the decoded text (1-based).
    pub line: u64,
    /// The caller's id of the record that shows it
    /// ([`Engine::record_at`]; the line number otherwise).
    pub record: u64,
    /// The error code, when the line has a non-zero one.
    pub code: Option<i64>,
    /// The code's constant name.
    pub name: Option<String>,
    /// What the code means (says so when the code is unknown).
    pub meaning: Option<String>,
    /// What to do about it.
    pub advice: Option<String>,
    /// Whether the anchor is seen in real logs or only documented.
    pub confidence: Confidence,
    /// The line that shows it.
    pub evidence: String,
    /// What else the lines say: `result`, `user`, `server`, `retries`,
    /// `platform`, `sdk_version`, ... in a fixed order per kind.
    pub attrs: Vec<(&'static str, String)>,
}

impl Finding {
    /// An attribute's value.
    pub fn attr(&self, key: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
    }

    pub(super) fn set(&mut self, key: &'static str, value: String) {
        match self.attrs.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.attrs.push((key, value)),
        }
    }

    pub(super) fn set_if_missing(&mut self, key: &'static str, value: Option<String>) {
        if let Some(v) = value
            && self.attr(key).is_none()
        {
            self.attrs.push((key, v));
        }
    }

    /// `ok`/`failed` for connect, login and logout.
    pub fn result(&self) -> Option<&str> {
        self.attr("result")
    }

    /// The record's wall clock as `YYYY-MM-DD HH:MM:SS.mmm`.
    pub fn time_text(&self) -> Option<String> {
        let mut s = String::new();
        self.push_time(&mut s).then_some(s)
    }

    /// Appends [`time_text`](Finding::time_text) to `out`; returns whether
    /// the time is known (nothing is appended otherwise).
    pub fn push_time(&self, out: &mut String) -> bool {
        use chrono::{Datelike, Timelike};
        let Some(t) = self.time else {
            return false;
        };
        let year = t.year();
        let ms = t.nanosecond() / 1_000_000 % 1000;
        if !(0..=9999).contains(&year) {
            out.push_str(&format!(
                "{year:04}-{:02}-{:02} {:02}:{:02}:{:02}.{ms:03}",
                t.month(),
                t.day(),
                t.hour(),
                t.minute(),
                t.second(),
            ));
            return true;
        }
        // Digits written directly: one finding in the timeline is one
        // call, and `format!` was a good part of a finding's cost.
        let mut b = *b"0000-00-00 00:00:00.000";
        let mut put = |at: usize, width: usize, mut n: u32| {
            for i in (at..at + width).rev() {
                b[i] = b'0' + (n % 10) as u8;
                n /= 10;
            }
        };
        put(0, 4, year as u32);
        put(5, 2, t.month());
        put(8, 2, t.day());
        put(11, 2, t.hour());
        put(14, 2, t.minute());
        put(17, 2, t.second());
        put(20, 3, ms);
        // ASCII digits and separators.
        out.push_str(std::str::from_utf8(&b).expect("ASCII"));
        true
    }

    /// ISO 8601 with the offset, when the offset is known.
    pub fn ts(&self) -> Option<String> {
        let mut t = String::new();
        self.push_ts(&mut t).then_some(t)
    }

    /// Appends [`ts`](Finding::ts) to `out`; returns whether it is known
    /// (nothing is appended otherwise).
    pub fn push_ts(&self, out: &mut String) -> bool {
        let Some(off) = self.offset_minutes else {
            return false;
        };
        let at = out.len();
        if !self.push_time(out) {
            return false;
        }
        out.replace_range(at + 10..at + 11, "T");
        out.push(if off < 0 { '-' } else { '+' });
        let (h, m) = (off.unsigned_abs() / 60, off.unsigned_abs() % 60);
        if h < 100 {
            for d in [h / 10, h % 10, 10, m / 10, m % 10] {
                out.push(if d == 10 {
                    ':'
                } else {
                    char::from(b'0' + d as u8)
                });
            }
        } else {
            out.push_str(&format!("{h:02}:{m:02}"));
        }
        true
    }

    /// A one-line description: the attributes, then the code.
    pub fn detail(&self) -> String {
        let mut s = String::with_capacity(128);
        self.push_detail(&mut s);
        s
    }

    /// Appends [`detail`](Finding::detail) to `out`.
    pub fn push_detail(&self, out: &mut String) {
        let start = out.len();
        for (k, v) in &self.attrs {
            if out.len() > start {
                out.push_str(", ");
            }
            if *k != "result" {
                for part in k.split('_') {
                    out.push_str(part);
                    out.push(' ');
                }
            }
            out.push_str(v);
        }
        if let Some(c) = self.code {
            if out.len() > start {
                out.push_str(", ");
            }
            out.push_str("code ");
            push_int(out, c);
            if let Some(n) = self.name.as_deref().filter(|n| *n != "-") {
                out.push(' ');
                out.push_str(n);
            }
            if let Some(m) = &self.meaning {
                out.push_str(": ");
                out.push_str(m);
            }
        }
    }

    /// The finding as one JSON object (see the README for the schema).
    pub fn to_json(&self, file: &str) -> serde_json::Value {
        let mut o = serde_json::Map::new();
        o.insert("type".into(), self.kind.as_str().into());
        o.insert("file".into(), file.into());
        o.insert("time".into(), opt(self.time_text()));
        o.insert("ts".into(), opt(self.ts()));
        o.insert("line".into(), self.line.into());
        o.insert(
            "code".into(),
            self.code.map_or(serde_json::Value::Null, Into::into),
        );
        o.insert("name".into(), opt(self.name.clone()));
        o.insert("meaning".into(), opt(self.meaning.clone()));
        o.insert("advice".into(), opt(self.advice.clone()));
        o.insert("confidence".into(), self.confidence.as_str().into());
        o.insert("evidence".into(), self.evidence.clone().into());
        for (k, v) in &self.attrs {
            let value = match v.parse::<i64>() {
                Ok(n) if NUMERIC_ATTRS.contains(k) => n.into(),
                _ => v.clone().into(),
            };
            o.insert((*k).into(), value);
        }
        serde_json::Value::Object(o)
    }
}

impl Finding {
    /// Writes [`to_json`](Finding::to_json)'s object (the same keys, in
    /// the same order) without building it: the fast path for many
    /// findings.
    pub fn write_json<W: std::io::Write>(&self, out: &mut W, file: &str) -> std::io::Result<()> {
        let mut b = String::with_capacity(1024);
        self.push_json(&mut b, file);
        out.write_all(b.as_bytes())
    }

    /// Appends what [`write_json`](Finding::write_json) writes to `b`.
    pub fn push_json(&self, b: &mut String, file: &str) {
        fn s(b: &mut String, v: &str) {
            // Most strings need no escape: written as they are.
            if plain_json(v.as_bytes()) {
                b.push('"');
                b.push_str(v);
                b.push('"');
                return;
            }
            let quoted = serde_json::to_string(v).expect("a str serialises");
            b.push_str(&quoted);
        }
        fn os(b: &mut String, v: Option<&str>) {
            match v {
                Some(v) => s(b, v),
                None => b.push_str("null"),
            }
        }
        b.push_str("{\"type\":");
        s(b, self.kind.as_str());
        b.push_str(",\"file\":");
        s(b, file);
        // The time and the stamp: ASCII digits and separators.
        b.push_str(",\"time\":\"");
        if !self.push_time(b) {
            b.pop();
            b.push_str("null");
        } else {
            b.push('"');
        }
        b.push_str(",\"ts\":\"");
        if !self.push_ts(b) {
            b.pop();
            b.push_str("null");
        } else {
            b.push('"');
        }
        b.push_str(",\"line\":");
        push_uint(b, self.line);
        b.push_str(",\"code\":");
        match self.code {
            Some(c) => push_int(b, c),
            None => b.push_str("null"),
        }
        b.push_str(",\"name\":");
        os(b, self.name.as_deref());
        b.push_str(",\"meaning\":");
        os(b, self.meaning.as_deref());
        b.push_str(",\"advice\":");
        os(b, self.advice.as_deref());
        b.push_str(",\"confidence\":");
        s(b, self.confidence.as_str());
        b.push_str(",\"evidence\":");
        s(b, &self.evidence);
        for (k, v) in &self.attrs {
            b.push(',');
            s(b, k);
            b.push(':');
            if NUMERIC_ATTRS.contains(k) && v.parse::<i64>().is_ok() {
                b.push_str(v);
            } else {
                s(b, v);
            }
        }
        b.push('}');
    }
}

/// Whether `v` is written in JSON as it is, between quotes: no control
/// byte, quote nor backslash (looked for eight bytes at a time).
pub(super) fn plain_json(v: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Whether some byte of `x` is below `n` (n <= 128).
    let below = |x: u64, n: u8| x.wrapping_sub(ONES * u64::from(n)) & !x & HIGH != 0;
    let mut words = v.chunks_exact(8);
    for w in &mut words {
        let x = u64::from_le_bytes(w.try_into().expect("eight bytes"));
        if below(x, 0x20)
            || below(x ^ (ONES * u64::from(b'"')), 1)
            || below(x ^ (ONES * u64::from(b'\\')), 1)
        {
            return false;
        }
    }
    words
        .remainder()
        .iter()
        .all(|&c| c >= 0x20 && c != b'"' && c != b'\\')
}

/// Appends the decimal digits of `n` to `out` (what `n.to_string()`
/// gives, without the allocation).
pub fn push_int(out: &mut String, n: i64) {
    if n < 0 {
        out.push('-');
    }
    push_uint(out, n.unsigned_abs());
}

/// [`push_int`] for an unsigned number.
pub fn push_uint(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.push_str(std::str::from_utf8(&digits[i..]).expect("ASCII digits"));
}

/// Attributes written as JSON numbers.
pub(super) const NUMERIC_ATTRS: [&str; 5] = ["retries", "attempt", "pid", "interval", "silent_for"];

pub(super) fn opt(s: Option<String>) -> serde_json::Value {
    s.map_or(serde_json::Value::Null, Into::into)
}

/// The closing summary of one input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// The input holds IM SDK lines (log lines or banners).
    pub has_imsdk: bool,
    /// IM SDK lines the lens read (banners, and lines naming a word some
    /// rule or code field names; the others are skipped unparsed).
    pub im_lines: u64,
    /// Sessions (process starts with IM SDK lines).
    pub sessions: u64,
    /// Successful logins.
    pub logins_ok: u64,
    /// Failed logins, by code (0 when the line had none).
    pub logins_failed: Vec<(i64, u64)>,
    /// Kicks.
    pub kicks: u64,
    /// UserSig expiries.
    pub usersig_expired: u64,
    /// Logouts.
    pub logouts: u64,
    /// Failed connect attempts.
    pub connect_failures: u64,
    /// Send failures by code.
    pub send_failed: Vec<(i64, u64)>,
    /// Heartbeat gaps.
    pub gaps: u64,
    /// Every non-zero code of every finding, most frequent first (ties by
    /// code).
    pub codes: Vec<(i64, u64)>,
}

impl Summary {
    /// Failed logins in all.
    pub fn logins_failed_total(&self) -> u64 {
        self.logins_failed.iter().map(|(_, n)| n).sum()
    }

    /// Send failures in all.
    pub fn send_failed_total(&self) -> u64 {
        self.send_failed.iter().map(|(_, n)| n).sum()
    }

    /// The summary as one JSON object (`type` is `summary`).
    pub fn to_json(&self, file: &str, rules: &RuleSet, top: usize) -> serde_json::Value {
        let by_code = |v: &[(i64, u64)]| {
            serde_json::Value::Object(
                v.iter()
                    .map(|(c, n)| (c.to_string(), (*n).into()))
                    .collect(),
            )
        };
        let top_codes: Vec<serde_json::Value> = self
            .codes
            .iter()
            .take(top)
            .map(|(c, n)| {
                serde_json::json!({
                    "code": c,
                    "count": n,
                    "name": rules.code(*c).map(|i| i.name.clone()),
                    "meaning": rules.code(*c).map(|i| i.meaning.clone()),
                })
            })
            .collect();
        serde_json::json!({
            "type": "summary",
            "file": file,
            "has_imsdk_lines": self.has_imsdk,
            "im_lines_read": self.im_lines,
            "sessions": self.sessions,
            "logins_ok": self.logins_ok,
            "logins_failed": self.logins_failed_total(),
            "logins_failed_by_code": by_code(&self.logins_failed),
            "kicks": self.kicks,
            "usersig_expired": self.usersig_expired,
            "logouts": self.logouts,
            "connect_failures": self.connect_failures,
            "send_failed": self.send_failed_total(),
            "send_failed_by_code": by_code(&self.send_failed),
            "gaps": self.gaps,
            "top_codes": top_codes,
        })
    }

    /// The summary as text lines (no trailing newline).
    pub fn text(&self, rules: &RuleSet, top: usize) -> String {
        let list = |v: &[(i64, u64)]| {
            v.iter()
                .map(|(c, n)| format!("{c} x{n}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut s = format!(
            "  sessions {}; logins {} ok, {} failed",
            self.sessions,
            self.logins_ok,
            self.logins_failed_total()
        );
        if !self.logins_failed.is_empty() {
            s.push_str(&format!(" ({})", list(&self.logins_failed)));
        }
        s.push_str(&format!(
            "; kicks {}; UserSig expiries {}; logouts {}; connect failures {}; gaps {}\n",
            self.kicks, self.usersig_expired, self.logouts, self.connect_failures, self.gaps
        ));
        s.push_str(&format!("  send failures {}", self.send_failed_total()));
        if !self.send_failed.is_empty() {
            s.push_str(&format!(" ({})", list(&self.send_failed)));
        }
        s.push_str("\n  most frequent codes:");
        if self.codes.is_empty() {
            s.push_str(" none");
        }
        for (c, n) in self.codes.iter().take(top) {
            let name = rules
                .code(*c)
                .map_or("unknown code".to_string(), |i| i.name.clone());
            s.push_str(&format!("\n    {c:>7} x{n:<5} {name}"));
        }
        s
    }
}
