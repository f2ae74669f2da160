//! The engine: lines in, findings out, in one pass with bounded state.
//!
//! Feed it every line of one input in order ([`Engine::line`], or
//! [`Engine::feed`] with a line already classified), take the findings as
//! they come ([`Engine::drain`]), and call [`Engine::finish`] at the end
//! for the closing summary. The state is one session's (a few strings and
//! counters) and at most one finding held back: two lines that report one
//! event (`HandleA2D2OnlineResponse` then `LogRequestEnd` with the same
//! code, `HandleKickoutNotify` then `OnKickout`) become one finding.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{Duration, NaiveDateTime};

use super::fields;
use super::line::{ImLine, Line, MarsHeader, classify};
use super::rules::{Confidence, Event, RuleSet};
use crate::record::Record;

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

    fn set(&mut self, key: &'static str, value: String) {
        match self.attrs.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.attrs.push((key, value)),
        }
    }

    fn set_if_missing(&mut self, key: &'static str, value: Option<String>) {
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
        use chrono::{Datelike, Timelike};
        self.time.map(|t| {
            let year = t.year();
            let ms = t.nanosecond() / 1_000_000 % 1000;
            if !(0..=9999).contains(&year) {
                return format!(
                    "{year:04}-{:02}-{:02} {:02}:{:02}:{:02}.{ms:03}",
                    t.month(),
                    t.day(),
                    t.hour(),
                    t.minute(),
                    t.second(),
                );
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
            b.iter().map(|&c| char::from(c)).collect()
        })
    }

    /// ISO 8601 with the offset, when the offset is known.
    pub fn ts(&self) -> Option<String> {
        let off = self.offset_minutes?;
        let mut t = self.time_text()?;
        t.replace_range(10..11, "T");
        let sign = if off < 0 { '-' } else { '+' };
        t.push_str(&format!(
            "{sign}{:02}:{:02}",
            off.abs() / 60,
            off.abs() % 60
        ));
        Some(t)
    }

    /// A one-line description: the attributes, then the code.
    pub fn detail(&self) -> String {
        let mut s = String::with_capacity(128);
        for (k, v) in &self.attrs {
            if !s.is_empty() {
                s.push_str(", ");
            }
            if *k != "result" {
                for part in k.split('_') {
                    s.push_str(part);
                    s.push(' ');
                }
            }
            s.push_str(v);
        }
        if let Some(c) = self.code {
            if !s.is_empty() {
                s.push_str(", ");
            }
            s.push_str("code ");
            s.push_str(&c.to_string());
            if let Some(n) = self.name.as_deref().filter(|n| *n != "-") {
                s.push(' ');
                s.push_str(n);
            }
            if let Some(m) = &self.meaning {
                s.push_str(": ");
                s.push_str(m);
            }
        }
        s
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
        fn s<W: std::io::Write>(out: &mut W, v: &str) -> std::io::Result<()> {
            // Most strings need no escape: written as they are.
            if v.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
                out.write_all(b"\"")?;
                out.write_all(v.as_bytes())?;
                return out.write_all(b"\"");
            }
            serde_json::to_writer(&mut *out, v).map_err(std::io::Error::other)
        }
        fn os<W: std::io::Write>(out: &mut W, v: Option<&str>) -> std::io::Result<()> {
            match v {
                Some(v) => s(out, v),
                None => out.write_all(b"null"),
            }
        }
        out.write_all(b"{\"type\":")?;
        s(out, self.kind.as_str())?;
        out.write_all(b",\"file\":")?;
        s(out, file)?;
        out.write_all(b",\"time\":")?;
        os(out, self.time_text().as_deref())?;
        out.write_all(b",\"ts\":")?;
        os(out, self.ts().as_deref())?;
        write!(out, ",\"line\":{},\"code\":", self.line)?;
        match self.code {
            Some(c) => write!(out, "{c}")?,
            None => out.write_all(b"null")?,
        }
        out.write_all(b",\"name\":")?;
        os(out, self.name.as_deref())?;
        out.write_all(b",\"meaning\":")?;
        os(out, self.meaning.as_deref())?;
        out.write_all(b",\"advice\":")?;
        os(out, self.advice.as_deref())?;
        out.write_all(b",\"confidence\":")?;
        s(out, self.confidence.as_str())?;
        out.write_all(b",\"evidence\":")?;
        s(out, &self.evidence)?;
        for (k, v) in &self.attrs {
            out.write_all(b",")?;
            s(out, k)?;
            out.write_all(b":")?;
            if NUMERIC_ATTRS.contains(k) && v.parse::<i64>().is_ok() {
                out.write_all(v.as_bytes())?;
            } else {
                s(out, v)?;
            }
        }
        out.write_all(b"}")
    }
}

/// Attributes written as JSON numbers.
const NUMERIC_ATTRS: [&str; 5] = ["retries", "attempt", "pid", "interval", "silent_for"];

fn opt(s: Option<String>) -> serde_json::Value {
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

/// The longest evidence kept, in bytes.
const MAX_EVIDENCE: usize = 512;
/// Two lines at most this far apart may report one event.
const MERGE_WINDOW_MS: i64 = 10_000;

/// One process start's state.
#[derive(Debug, Default)]
struct Session {
    /// The session finding is out.
    announced: bool,
    line: u64,
    record: u64,
    evidence: String,
    time: Option<NaiveDateTime>,
    offset_minutes: Option<i32>,
    pid: Option<i64>,
    sdk_version: Option<String>,
    app_id: Option<String>,
    platform: Option<String>,
    logged_in: bool,
    user: Option<String>,
    interval_s: Option<i64>,
    last_alive: Option<NaiveDateTime>,
    gap_open: bool,
    connect_failures: u64,
    connected_reported: bool,
}

/// The streaming engine for one input.
#[derive(Debug)]
pub struct Engine {
    rules: Arc<RuleSet>,
    session: Option<Session>,
    /// The last finding, held back while a next line may complete it.
    pending: Option<Finding>,
    out: Vec<Finding>,
    summary: Summary,
    logins_failed: HashMap<i64, u64>,
    send_failed: HashMap<i64, u64>,
    codes: HashMap<i64, u64>,
    /// An IM SDK line was seen (read or skipped).
    saw_imsdk: bool,
    /// The caller's id of the record being read.
    current: u64,
}

fn lossy(bytes: &[u8]) -> String {
    let mut end = bytes.len().min(MAX_EVIDENCE);
    while end < bytes.len() && end > 0 && (bytes[end] & 0xC0) == 0x80 {
        end -= 1;
    }
    let s = match std::str::from_utf8(&bytes[..end]) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(&bytes[..end]),
    };
    s.trim_end_matches(['\r', '\n']).to_string()
}

fn owned(bytes: &[u8]) -> Option<String> {
    (!bytes.is_empty()).then(|| String::from_utf8_lossy(bytes).into_owned())
}

impl Engine {
    /// An engine with these rules.
    pub fn new(rules: Arc<RuleSet>) -> Engine {
        Engine {
            rules,
            session: None,
            pending: None,
            out: Vec::new(),
            summary: Summary::default(),
            logins_failed: HashMap::new(),
            send_failed: HashMap::new(),
            codes: HashMap::new(),
            saw_imsdk: false,
            current: 0,
        }
    }

    /// Says that the input holds IM SDK lines, though none was fed (a
    /// caller that skips lines the rules cannot match).
    pub fn saw_imsdk(&mut self) {
        self.saw_imsdk = true;
    }

    /// The rules in use.
    pub fn rules(&self) -> &Arc<RuleSet> {
        &self.rules
    }

    /// Feeds one record (its bytes as cut by the record splitter, or just
    /// its first line) that starts on line `line_no` (1-based). A record
    /// that names no word of the rules ([`RuleSet::may_matter`]) is
    /// skipped unparsed.
    pub fn record(&mut self, line_no: u64, bytes: &[u8]) {
        self.current = line_no;
        self.record_with(line_no, bytes, false);
    }

    /// Like [`record`](Engine::record), the findings it gives carrying `id`
    /// as their [`Finding::record`] (the viewer's row number).
    pub fn record_at(&mut self, line_no: u64, id: u64, bytes: &[u8]) {
        self.current = id;
        self.record_with(line_no, bytes, false);
    }

    /// Like [`record`](Engine::record), for a caller that found a word of
    /// the rules in the record's first line already.
    pub fn record_matched(&mut self, line_no: u64, bytes: &[u8]) {
        self.current = line_no;
        self.record_with(line_no, bytes, true);
    }

    fn record_with(&mut self, line_no: u64, bytes: &[u8], matched: bool) {
        let first = fields::first_line(bytes);
        match bytes.first() {
            Some(b'^' | b'0'..=b'9') => {}
            Some(b'T') if first.starts_with(b"TIM: ") => {
                self.saw_imsdk = true;
                // Most IM SDK lines name nothing a rule knows: they are
                // counted, not parsed (once a session is announced).
                let announced = self.session.as_ref().is_some_and(|s| s.announced);
                if announced
                    && !matched
                    && !first.starts_with(b"TIM: =")
                    && !self.rules.may_matter(first)
                {
                    return;
                }
            }
            _ => return,
        }
        let rec = Record::parse(bytes);
        self.feed(line_no, first, classify(&rec));
    }

    /// Feeds a record already classified; `text` is its first line (the
    /// evidence).
    pub fn feed(&mut self, line_no: u64, text: &[u8], line: Line<'_>) {
        match line {
            Line::MarsHeader(h) => self.header(line_no, text, h),
            Line::Banner { key, value } => {
                self.summary.im_lines += 1;
                self.summary.has_imsdk = true;
                let s = self.session_for(line_no, text);
                let v = text_opt(value);
                match key {
                    b"SDK APP ID" => s.app_id = v,
                    b"SDK Version" | b"Ver" => s.sdk_version = v,
                    b"Platform" => s.platform = v,
                    b"Process ID" => {
                        if let Some(p) = v.and_then(|v| v.parse().ok()) {
                            s.pid = Some(p);
                        }
                    }
                    _ => {}
                }
            }
            Line::Im(im) => {
                self.summary.im_lines += 1;
                self.summary.has_imsdk = true;
                self.im(line_no, text, &im);
            }
            Line::Other => {}
        }
    }

    /// Findings ready so far, in order.
    pub fn drain(&mut self) -> std::vec::Drain<'_, Finding> {
        self.out.drain(..)
    }

    /// Ends the input: the held-back finding comes out (take it with
    /// [`drain`](Engine::drain)), and the summary is returned.
    pub fn finish(&mut self) -> Summary {
        self.flush();
        self.summary.has_imsdk |= self.saw_imsdk;
        let mut s = self.summary.clone();
        s.logins_failed = sorted_by_code(&self.logins_failed);
        s.send_failed = sorted_by_code(&self.send_failed);
        let mut codes: Vec<(i64, u64)> = self.codes.iter().map(|(&c, &n)| (c, n)).collect();
        codes.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        s.codes = codes;
        s
    }

    fn header(&mut self, line_no: u64, text: &[u8], h: MarsHeader) {
        self.flush();
        self.session = Some(Session {
            line: line_no,
            record: self.current,
            evidence: lossy(text),
            time: h.time,
            offset_minutes: h.offset_minutes,
            pid: h.pid,
            ..Session::default()
        });
    }

    /// The current session, started here if the input has no header yet.
    fn session_for(&mut self, line_no: u64, text: &[u8]) -> &mut Session {
        let record = self.current;
        self.session.get_or_insert_with(|| Session {
            line: line_no,
            record,
            evidence: lossy(text),
            ..Session::default()
        })
    }

    fn im(&mut self, line_no: u64, text: &[u8], im: &ImLine<'_>) {
        let s = self.session_for(line_no, text);
        if s.time.is_none() {
            s.time = Some(im.time);
        }
        if s.pid.is_none() {
            s.pid = Some(im.pid);
        }
        if !s.announced {
            s.announced = true;
            let f = self.session_finding();
            self.push(f);
        }
        self.check_gap(line_no, text, im.time);

        let rules = Arc::clone(&self.rules);
        let msg = im.message;
        let code = rules.read_code(msg);
        let head = fields::head(msg);
        let rule = rules.find(im.function, head, code);
        let failed = code.is_some_and(|c| c != 0);
        let Some(rule) = rule else {
            if failed {
                let f = self.finding(Kind::Error, line_no, text, im, code, Confidence::Seen);
                self.push(f);
            }
            return;
        };
        let conf = rule.confidence;
        let mk = |e: &mut Engine, kind| e.finding(kind, line_no, text, im, code, conf);
        let result = if failed { "failed" } else { "ok" };
        match rule.event {
            Event::Ignore => {}
            Event::Init => {
                let mut f = mk(self, Kind::Init);
                f.set_if_missing(
                    "sdk_version",
                    fields::value(msg, b"sdk_version").and_then(owned),
                );
                f.set_if_missing("app_id", fields::value(msg, b"sdk_app_id").and_then(owned));
                f.set_if_missing("platform", fields::value(msg, b"platform").and_then(owned));
                self.push(f);
            }
            Event::Uninit => {
                self.logged_out();
                self.error_if(failed, line_no, text, im, code);
            }
            Event::ConnectBegin => {
                if let Some(s) = self.session.as_mut() {
                    s.connected_reported = false;
                }
                self.error_if(failed, line_no, text, im, code);
            }
            Event::Connect => {
                let server = fields::value(msg, b"server address")
                    .or_else(|| fields::value(msg, b"successful address"))
                    .and_then(owned);
                let mut f = mk(self, Kind::Connect);
                f.set("result", result.into());
                f.set_if_missing("server", server);
                let s = self.session.as_mut().expect("a session is open");
                if failed {
                    s.connect_failures += 1;
                    s.connected_reported = false;
                    f.set("attempt", s.connect_failures.to_string());
                    self.summary.connect_failures += 1;
                    self.push(f);
                } else if !s.connected_reported {
                    f.set("retries", s.connect_failures.to_string());
                    s.connect_failures = 0;
                    s.connected_reported = true;
                    self.push(f);
                }
            }
            Event::LoginBegin => {
                let user = fields::value(msg, b"userid").and_then(owned);
                if let Some(s) = self.session.as_mut() {
                    s.user = user;
                }
                self.error_if(failed, line_no, text, im, code);
            }
            Event::Login => {
                let mut f = mk(self, Kind::Login);
                f.set("result", result.into());
                let user = fields::value(msg, b"userid")
                    .and_then(owned)
                    .or_else(|| self.session.as_ref().and_then(|s| s.user.clone()));
                f.set_if_missing("user", user);
                let s = self.session.as_mut().expect("a session is open");
                if failed {
                    s.logged_in = false;
                } else {
                    s.logged_in = true;
                    s.last_alive = Some(im.time);
                    s.gap_open = false;
                }
                self.push(f);
            }
            Event::LogoutBegin => self.error_if(failed, line_no, text, im, code),
            Event::Logout => {
                let mut f = mk(self, Kind::Logout);
                f.set("result", result.into());
                f.set_if_missing("user", fields::value(msg, b"userid").and_then(owned));
                self.logged_out();
                self.push(f);
            }
            Event::HeartbeatStart => {
                let n = fields::number(msg, b"heartbeat_interval")
                    .or_else(|| fields::number_unit(msg, b"interval"));
                let s = self.session.as_mut().expect("a session is open");
                if let Some(n) = n.filter(|&n| n > 0) {
                    s.interval_s = Some(n);
                }
                s.last_alive = Some(im.time);
                self.error_if(failed, line_no, text, im, code);
            }
            Event::Heartbeat => {
                let n = fields::number(msg, b"heartbeat_interval");
                let s = self.session.as_mut().expect("a session is open");
                if let Some(n) = n.filter(|&n| n > 0) {
                    s.interval_s = Some(n);
                }
                s.last_alive = Some(im.time);
                s.gap_open = false;
                self.error_if(failed, line_no, text, im, code);
            }
            Event::UserSigExpired => {
                let mut f = mk(self, Kind::UserSigExpired);
                let user = fields::value(msg, b"userid")
                    .and_then(owned)
                    .or_else(|| self.session.as_ref().and_then(|s| s.user.clone()));
                f.set_if_missing("user", user);
                self.logged_out();
                self.push(f);
            }
            Event::Kicked => {
                let mut f = mk(self, Kind::Kicked);
                f.set_if_missing("platform", fields::value(msg, b"platform").and_then(owned));
                f.set_if_missing(
                    "kick_type",
                    fields::value(msg, b"kick_offline_type").and_then(owned),
                );
                self.logged_out();
                self.push(f);
            }
            Event::SendFailed => {
                let f = mk(self, Kind::SendFailed);
                self.push(f);
            }
            Event::Error => {
                let f = mk(self, Kind::Error);
                self.push(f);
            }
        }
    }

    fn error_if(
        &mut self,
        failed: bool,
        line_no: u64,
        text: &[u8],
        im: &ImLine<'_>,
        code: Option<i64>,
    ) {
        if failed {
            let f = self.finding(Kind::Error, line_no, text, im, code, Confidence::Seen);
            self.push(f);
        }
    }

    fn logged_out(&mut self) {
        if let Some(s) = self.session.as_mut() {
            s.logged_in = false;
            s.gap_open = false;
        }
    }

    fn check_gap(&mut self, line_no: u64, text: &[u8], now: NaiveDateTime) {
        let Some(s) = self.session.as_mut() else {
            return;
        };
        let (Some(interval), Some(last)) = (s.interval_s, s.last_alive) else {
            return;
        };
        if !s.logged_in || s.gap_open {
            return;
        }
        let silent = now - last;
        if silent <= Duration::seconds(2 * interval) {
            return;
        }
        s.gap_open = true;
        let offset = s.offset_minutes;
        let f = Finding {
            kind: Kind::Gap,
            time: Some(now),
            offset_minutes: offset,
            line: line_no,
            record: self.current,
            code: None,
            name: None,
            meaning: None,
            advice: Some(
                "The connection was silent while logged in: check the device's network and \
                 whether the app was suspended in the background."
                    .into(),
            ),
            confidence: Confidence::Seen,
            evidence: lossy(text),
            attrs: vec![
                ("silent_for", silent.num_seconds().to_string()),
                ("interval", interval.to_string()),
                ("since", last.format("%H:%M:%S%.3f").to_string()),
            ],
        };
        self.push(f);
    }

    fn session_finding(&self) -> Finding {
        let s = self.session.as_ref().expect("a session is open");
        let mut f = Finding {
            kind: Kind::Session,
            time: s.time,
            offset_minutes: s.offset_minutes,
            line: s.line,
            record: s.record,
            code: None,
            name: None,
            meaning: None,
            advice: None,
            confidence: Confidence::Seen,
            evidence: s.evidence.clone(),
            attrs: Vec::new(),
        };
        f.set_if_missing("pid", s.pid.map(|p| p.to_string()));
        f.set_if_missing("sdk_version", s.sdk_version.clone());
        f.set_if_missing("app_id", s.app_id.clone());
        f.set_if_missing("platform", s.platform.clone());
        f
    }

    fn finding(
        &self,
        kind: Kind,
        line_no: u64,
        text: &[u8],
        im: &ImLine<'_>,
        code: Option<i64>,
        confidence: Confidence,
    ) -> Finding {
        let code = code.filter(|&c| c != 0);
        let mut f = Finding {
            kind,
            time: Some(im.time),
            offset_minutes: self.session.as_ref().and_then(|s| s.offset_minutes),
            line: line_no,
            record: self.current,
            code,
            name: None,
            meaning: None,
            advice: None,
            confidence,
            evidence: lossy(text),
            attrs: Vec::new(),
        };
        self.describe(&mut f);
        f
    }

    fn describe(&self, f: &mut Finding) {
        let Some(c) = f.code else {
            return;
        };
        match self.rules.code(c) {
            Some(info) => {
                f.name = Some(info.name.clone());
                f.meaning = Some(info.meaning.clone());
                f.advice = Some(info.advice.clone());
            }
            None => {
                f.name = None;
                f.meaning = Some(format!("unknown code {c}: not in the error-code table"));
                f.advice = None;
            }
        }
    }

    /// Holds `f` back, merging it into the held-back finding when both
    /// report one event.
    fn push(&mut self, f: Finding) {
        if let Some(p) = self.pending.as_mut() {
            if mergeable(p, &f) {
                if p.code.is_none() && f.code.is_some() {
                    p.code = f.code;
                    p.name = f.name.clone();
                    p.meaning = f.meaning.clone();
                    p.advice = f.advice.clone();
                }
                for (k, v) in f.attrs {
                    p.set_if_missing(k, Some(v));
                }
                return;
            }
            if p.kind == Kind::Session && f.kind == Kind::Init {
                // Without banners, the session learns from the init line.
                for k in ["sdk_version", "app_id", "platform"] {
                    p.set_if_missing(k, f.attr(k).map(str::to_string));
                }
            }
        }
        self.flush();
        self.pending = Some(f);
    }

    fn flush(&mut self) {
        let Some(f) = self.pending.take() else {
            return;
        };
        let code = f.code.unwrap_or(0);
        match f.kind {
            Kind::Session => self.summary.sessions += 1,
            Kind::Login if f.result() == Some("failed") => {
                *self.logins_failed.entry(code).or_default() += 1
            }
            Kind::Login => self.summary.logins_ok += 1,
            Kind::Kicked => self.summary.kicks += 1,
            Kind::UserSigExpired => self.summary.usersig_expired += 1,
            Kind::Logout => self.summary.logouts += 1,
            Kind::SendFailed => *self.send_failed.entry(code).or_default() += 1,
            Kind::Gap => self.summary.gaps += 1,
            _ => {}
        }
        if let Some(c) = f.code {
            *self.codes.entry(c).or_default() += 1;
        }
        self.out.push(f);
    }
}

fn text_opt(v: &[u8]) -> Option<String> {
    owned(v)
}

fn sorted_by_code(m: &HashMap<i64, u64>) -> Vec<(i64, u64)> {
    let mut v: Vec<(i64, u64)> = m.iter().map(|(&c, &n)| (c, n)).collect();
    v.sort();
    v
}

/// Whether `next` reports the same event as `held` (see the module docs).
fn mergeable(held: &Finding, next: &Finding) -> bool {
    let kinds = matches!(held.kind, Kind::Login | Kind::Kicked | Kind::UserSigExpired);
    if !kinds || held.kind != next.kind || held.result() != next.result() {
        return false;
    }
    if held.kind == Kind::Login && held.result() != Some("failed") {
        return false;
    }
    let codes = match (held.code, next.code) {
        (Some(a), Some(b)) => a == b,
        _ => true,
    };
    let close = match (held.time, next.time) {
        (Some(a), Some(b)) => (b - a).num_milliseconds().abs() <= MERGE_WINDOW_MS,
        _ => false,
    };
    codes && close
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::imsdk::sink::DiagnoseSink;

    /// The digits written directly give what `format!` gives, for any
    /// time (leap seconds and years past four digits included).
    #[test]
    fn time_text_writes_what_format_writes() {
        let finding = |t: NaiveDateTime| Finding {
            kind: Kind::Error,
            time: Some(t),
            offset_minutes: Some(-90),
            line: 1,
            record: 1,
            code: None,
            name: None,
            meaning: None,
            advice: None,
            confidence: Confidence::Seen,
            evidence: String::new(),
            attrs: Vec::new(),
        };
        let day = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
        for t in [
            day(2024, 3, 12).and_hms_milli_opt(9, 5, 7, 31).unwrap(),
            day(1, 1, 1).and_hms_milli_opt(0, 0, 0, 0).unwrap(),
            day(9999, 12, 31)
                .and_hms_milli_opt(23, 59, 59, 999)
                .unwrap(),
            day(2016, 12, 31)
                .and_hms_milli_opt(23, 59, 59, 1500)
                .unwrap(),
            day(12345, 6, 7).and_hms_milli_opt(1, 2, 3, 4).unwrap(),
            day(-44, 3, 15).and_hms_milli_opt(12, 0, 0, 0).unwrap(),
        ] {
            let f = finding(t);
            use chrono::{Datelike, Timelike};
            let want = format!(
                "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03}",
                t.year(),
                t.month(),
                t.day(),
                t.hour(),
                t.minute(),
                t.second(),
                t.nanosecond() / 1_000_000 % 1000
            );
            assert_eq!(f.time_text().unwrap(), want, "{t:?}");
        }
        let f = finding(day(2024, 3, 12).and_hms_milli_opt(9, 5, 7, 31).unwrap());
        assert_eq!(f.ts().unwrap(), "2024-03-12T09:05:07.031-01:30");
    }

    fn tim(time: &str, func: &str, msg: &str) -> String {
        format!("TIM: 2024-03-12 {time} I 100-101     |-x.cpp:1    {func:<40}|{msg}\n")
    }

    fn run(text: &str, chunk: usize) -> (Vec<Finding>, Summary, u64) {
        run_with(text, chunk, false)
    }

    fn run_with(text: &str, chunk: usize, threaded: bool) -> (Vec<Finding>, Summary, u64) {
        let mut found = Vec::new();
        let (summary, lines) = {
            let on = |f: &Finding| {
                found.push(f.clone());
                Ok(())
            };
            let rules = Arc::new(RuleSet::builtin());
            let mut sink = if threaded {
                DiagnoseSink::threaded(rules, on)
            } else {
                DiagnoseSink::new(rules, on)
            };
            for piece in text.as_bytes().chunks(chunk) {
                sink.text(piece).unwrap();
            }
            let s = sink.end().unwrap().clone();
            (s, sink.lines())
        };
        (found, summary, lines)
    }

    #[test]
    fn a_silent_connection_while_logged_in_is_a_gap_and_unknown_codes_say_so() {
        let mut t = String::from(
            "^^^^^^^^^^Dec 10 2021^^^15:15:13^^^^^^^^^^[100,100][2024-03-12 +0800 10:00:00]\n",
        );
        t += "TIM: ======  SDK Version: 8.1.1\n";
        t += &tim(
            "10:00:01.000",
            "LogRequestEnd",
            "Login success|error_code:0 error_message:OK|userid:u1",
        );
        t += &tim(
            "10:00:01.100",
            "StartHeartbeat",
            "start heartbeat with interval 60s",
        );
        t += &tim(
            "10:01:01.000",
            "HandleHeartbeatResponse",
            "receive heartbeat response|heartbeat_interval:60",
        );
        t += &tim("10:02:59.000", "HandleNewMessage", "message_source:c2c");
        t += &tim("10:03:02.000", "HandleNewMessage", "message_source:c2c");
        t += &tim("10:03:04.000", "HandleNewMessage", "message_source:c2c");
        t += &tim(
            "10:03:05.000",
            "HandleHeartbeatResponse",
            "heartbeat_interval:60",
        );
        t += &tim(
            "10:04:00.000",
            "SomethingNew",
            "error_code:424242|error_message:x",
        );
        t += &tim(
            "10:04:30.000",
            "LogRequestEnd",
            "Logout success|error_code:0 error_message:OK",
        );
        // Logged out: silence is no gap.
        t += &tim("11:11:00.000", "HandleNewMessage", "message_source:c2c");
        let (found, summary, lines) = run(&t, 37);
        assert_eq!(lines, 12);
        let kinds: Vec<Kind> = found.iter().map(|f| f.kind).collect();
        assert_eq!(
            kinds,
            [
                Kind::Session,
                Kind::Login,
                Kind::Gap,
                Kind::Error,
                Kind::Logout
            ]
        );
        let gap = &found[2];
        // Reported on the first line the lens reads past twice the
        // interval: the response that ends the silence (the messages in
        // between name nothing a rule knows).
        assert_eq!(gap.line, 9);
        assert_eq!(gap.attr("silent_for"), Some("124"));
        assert_eq!(gap.attr("interval"), Some("60"));
        let err = &found[3];
        assert_eq!(err.code, Some(424242));
        assert_eq!(err.name, None);
        assert!(
            err.meaning
                .as_deref()
                .unwrap()
                .starts_with("unknown code 424242")
        );
        assert_eq!(summary.gaps, 1);
        assert_eq!(summary.logouts, 1);
        assert_eq!(
            found[0].ts().as_deref(),
            Some("2024-03-12T10:00:00.000+08:00")
        );
        assert_eq!(found[0].attr("sdk_version"), Some("8.1.1"));
    }

    #[test]
    fn a_busy_day_gives_the_same_timeline_whatever_the_chunking() {
        // A day of 150,000 lines: one session's lines repeated.
        let mut day = String::from(
            "^^^^^^^^^^Dec 10 2021^^^15:15:13^^^^^^^^^^[100,100][2024-03-12 +0800 10:00:00]\n",
        );
        day += &tim(
            "10:00:01.000",
            "LogRequestEnd",
            "Login success|error_code:0 error_message:OK|userid:u1",
        );
        let mut n = 2;
        while n < 150_000 {
            day += &tim(
                "10:00:02.000",
                "SendMessageComplete",
                "error code:0|error message:Success|message:",
            );
            day += "message_type:c2c|message_sub_type:0x0\n";
            day += &tim(
                "10:00:02.000",
                "SendMessageComplete",
                "error code:8001|error message:too big|message:",
            );
            day += "\n";
            n += 4;
        }
        let (a, sa, la) = run(&day, 1 << 20);
        let (b, sb, lb) = run(&day, 4093);
        assert_eq!(la, n as u64);
        assert_eq!((la, &sa), (lb, &sb));
        assert_eq!(a, b);
        // The scanner on a thread of its own gives the same.
        let (c, sc, lc) = run_with(&day, 7919, true);
        assert_eq!((lc, &sc), (la, &sa));
        assert_eq!(c, a);
        assert_eq!(sa.send_failed, vec![(8001, (n as u64 - 2) / 4)]);
        assert_eq!(a.last().unwrap().line, n as u64 - 1);
    }

    #[test]
    fn the_json_writer_writes_what_to_json_builds() {
        let mut t = String::from(
            "^^^^^^^^^^Dec 10 2021^^^15:15:13^^^^^^^^^^[100,100][2024-03-12 -0330 10:00:00]\n",
        );
        t += &tim(
            "10:00:01.000",
            "LogRequestEnd",
            "Login failed|error_code:70001 error_message:\"x\"|userid:u\\1",
        );
        t += &tim(
            "10:00:02.000",
            "Connect",
            "channel connect|server address:1.2.3.4:443(tcp)",
        );
        t += &tim(
            "10:00:03.000",
            "NotifyConnectResult",
            "error_code:9508|server address:1.2.3.4:443(tcp)",
        );
        t += &tim("10:00:04.000", "X", "error_code:1234567");
        let (found, _, _) = run(&t, 64);
        assert_eq!(found.len(), 4);
        for f in &found {
            let mut out = Vec::new();
            f.write_json(&mut out, "a \"b\".xlog").unwrap();
            let parsed: serde_json::Value = serde_json::from_slice(&out).unwrap();
            assert_eq!(parsed, f.to_json("a \"b\".xlog"));
        }
        assert_eq!(
            found[1].ts().as_deref(),
            Some("2024-03-12T10:00:01.000-03:30")
        );
        assert_eq!(found[2].to_json("f")["attempt"], 1);
    }

    #[test]
    fn a_giant_line_keeps_the_line_numbers() {
        let mut t = "x".repeat(3 * crate::imsdk::sink::MAX_PIECE);
        t.push('\n');
        t += &tim(
            "10:00:01.000",
            "CheckInit",
            "error_code:6013|error_message:sdk not init",
        );
        let (found, _, lines) = run(&t, 1000);
        assert_eq!(lines, 2);
        assert_eq!(found.last().unwrap().line, 2);
        assert_eq!(found.last().unwrap().code, Some(6013));
    }
}
