//! The engine: lines in, findings out, in one pass with bounded state.
//!
//! Feed it every line of one input in order ([`Engine::record`], or
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
use super::line::{ImLine, Known, Line, Read, Shape, classify, know};
use super::rules::{Confidence, Event, RuleSet};
use crate::record::Record;
use crate::record::formats::meta::{MetaLine, ProcessStart};

mod finding;
pub use finding::*;

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

    /// Feeds a line a scanner picked (as
    /// [`record_matched`](Engine::record_matched) does), read ahead by
    /// [`line::read`](super::line::read) with this engine's rules.
    pub fn picked(&mut self, line_no: u64, bytes: &[u8], read: &Read) {
        self.current = line_no;
        if read.tim {
            self.saw_imsdk = true;
        }
        if read.shape == Shape::Skipped {
            return;
        }
        let first = read.first_line(bytes);
        let line = read.line(bytes);
        match (line, read.shape) {
            (Line::Im(im), Shape::Im { known, .. }) => {
                self.summary.im_lines += 1;
                self.summary.has_imsdk = true;
                self.im_read(line_no, first, &im, known);
            }
            (line, _) => self.feed(line_no, first, line),
        }
    }

    /// Feeds a record already classified; `text` is its first line (the
    /// evidence).
    pub fn feed(&mut self, line_no: u64, text: &[u8], line: Line<'_>) {
        match line {
            Line::Meta(MetaLine::Start(h)) => self.header(line_no, text, h),
            Line::Meta(MetaLine::Banner { key, value }) => {
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

    fn header(&mut self, line_no: u64, text: &[u8], h: ProcessStart) {
        self.flush();
        self.session = Some(Session {
            line: line_no,
            record: self.current,
            evidence: lossy(text),
            time: Some(h.local),
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
        let known = know(&self.rules, im);
        self.im_read(line_no, text, im, known);
    }

    /// An IM SDK line, with what the rules make of it.
    fn im_read(&mut self, line_no: u64, text: &[u8], im: &ImLine<'_>, known: Known) {
        let Known {
            code,
            rule,
            interval,
        } = known;
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

        let msg = im.message;
        let failed = code.is_some_and(|c| c != 0);
        let Some((event, conf)) = rule else {
            if failed {
                let f = self.finding(Kind::Error, line_no, text, im, code, Confidence::Seen);
                self.push(f);
            }
            return;
        };
        let mk = |e: &mut Engine, kind| e.finding(kind, line_no, text, im, code, conf);
        let result = if failed { "failed" } else { "ok" };
        match event {
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
                let s = self.session.as_mut().expect("a session is open");
                if let Some(n) = interval.filter(|&n| n > 0) {
                    s.interval_s = Some(n);
                }
                s.last_alive = Some(im.time);
                self.error_if(failed, line_no, text, im, code);
            }
            Event::Heartbeat => {
                let s = self.session.as_mut().expect("a session is open");
                if let Some(n) = interval.filter(|&n| n > 0) {
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
mod tests;
