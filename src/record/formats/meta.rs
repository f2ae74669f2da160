//! What the writers' header-less lines say about the process: the Mars
//! appender's open banner (a process start, with its UTC offset) and the
//! IM SDK's banner (SDK version, app id, platform, device).
//!
//! ```text
//! ^^^^^^^^^^Dec 10 2021^^^15:15:13^^^^^^^^^^[16633,16633][2024-03-12 +0800 09:55:35]
//! TIM: ======  SDK APP ID:   1400590001
//! TIM: ======  SDK Version: 8.1.6108
//! TIM: ======  Ver: 4.6.51
//! ```
//!
//! The IM SDK writes no UTC offset on its own lines: the offset of the
//! open banner before them is theirs ([`ProcessStart::offset_minutes`]).

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use serde_json::{Value, json};

use super::super::{find_near, int, num, parse_offset};
use super::{first_line, trim};

/// The Mars appender's open banner: a process (re)start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProcessStart {
    /// The process id, when written.
    pub pid: Option<i64>,
    /// The wall-clock time of the start, as written.
    pub local: NaiveDateTime,
    /// The UTC offset in minutes (east positive), when it parses.
    pub offset_minutes: Option<i32>,
}

/// A line that says something about the process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetaLine<'a> {
    /// The Mars appender's open banner.
    Start(ProcessStart),
    /// An IM SDK banner line `TIM: ======  Key: value` (key and value
    /// without the padding).
    Banner {
        /// `SDK Version`, `SDK APP ID`, `Ver`, `Platform`, ...
        key: &'a [u8],
        /// The value.
        value: &'a [u8],
    },
}

/// What the first line of `rec` says, when it is a banner line.
pub fn meta_line(rec: &[u8]) -> Option<MetaLine<'_>> {
    let line = first_line(rec);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.starts_with(b"^^^^^^^^^^") {
        return process_start(line).map(MetaLine::Start);
    }
    let rest = line.strip_prefix(b"TIM: ======")?;
    if rest.first() != Some(&b' ') {
        return None;
    }
    let colon = find_near(b':', rest)?;
    let key = trim(&rest[..colon]);
    (!key.is_empty()).then(|| MetaLine::Banner {
        key,
        value: trim(&rest[colon + 1..]),
    })
}

/// The UTC offset the open banner in `rec` gives the lines after it:
/// `Some(offset)` when `rec` is an open banner (`Some(None)` when its
/// offset does not parse), `None` for any other record. Cheap for others.
#[inline]
pub fn start_offset(rec: &[u8]) -> Option<Option<i32>> {
    if !rec.starts_with(b"^^^^^^^^^^") {
        return None;
    }
    Some(process_start(first_line(rec)).and_then(|s| s.offset_minutes))
}

/// `^^^^^^^^^^BUILD DATE^^^BUILD TIME^^^^^^^^^^[pid,tid][DATE OFFSET HH:MM:SS]`.
fn process_start(line: &[u8]) -> Option<ProcessStart> {
    let line = trim(line);
    let inner = line.strip_suffix(b"]")?;
    let open = inner.iter().rposition(|&c| c == b'[')?;
    let mut parts = inner[open + 1..].split(|&c| c == b' ');
    let (date, off, time) = (parts.next()?, parts.next()?, parts.next()?);
    let (y, m, d) = super::super::date_fields(date)?;
    let time = std::str::from_utf8(time).ok()?;
    let local = NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d)?
        .and_time(NaiveTime::parse_from_str(time, "%H:%M:%S%.f").ok()?);
    let pid = inner[..open]
        .strip_suffix(b"]")
        .and_then(|ids| {
            let o = ids.iter().rposition(|&c| c == b'[')?;
            let ids = &ids[o + 1..];
            let comma = find_near(b',', ids).unwrap_or(ids.len());
            int(trim(&ids[..comma]))
        })
        .filter(|&p| p != 0);
    Some(ProcessStart {
        pid,
        local,
        offset_minutes: header_offset(off),
    })
}

/// `+0800`, `-0330` (`±HHMM`), else the bracket line's forms (`+8.0`).
fn header_offset(off: &[u8]) -> Option<i32> {
    if let [sign @ (b'+' | b'-'), h0, h1, m0, m1] = *off {
        let m = i32::try_from(num(&[h0, h1])? * 60 + num(&[m0, m1])?).ok()?;
        return (m <= 18 * 60).then_some(if sign == b'-' { -m } else { m });
    }
    parse_offset(off)
}

/// At most this many values of each kind, and process starts, are kept.
pub const MAX_KEPT: usize = 64;

/// The metadata of one input, gathered from its banner lines in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metadata {
    /// Distinct SDK versions (`SDK Version:`, 4.x `Ver:`), first seen first.
    pub sdk_versions: Vec<String>,
    /// Distinct SDK app ids (`SDK APP ID:`).
    pub app_ids: Vec<String>,
    /// Distinct platforms (`Platform:`).
    pub platforms: Vec<String>,
    /// Distinct device types (`Device Type:`).
    pub device_types: Vec<String>,
    /// Distinct process ids (the IM SDK banner's `Process ID:`).
    pub process_ids: Vec<i64>,
    /// Process starts (the Mars open banners), in input order (the first
    /// [`MAX_KEPT`]).
    pub starts: Vec<ProcessStart>,
    /// All process starts seen.
    pub start_count: u64,
}

impl Metadata {
    /// No metadata yet.
    pub fn new() -> Metadata {
        Metadata::default()
    }

    /// Takes in what the record `rec` says, if it is a banner line.
    pub fn observe(&mut self, rec: &[u8]) {
        match rec.first() {
            Some(b'^' | b'T') => {}
            _ => return,
        }
        match meta_line(rec) {
            Some(MetaLine::Start(s)) => {
                self.start_count += 1;
                if self.starts.len() < MAX_KEPT {
                    self.starts.push(s);
                }
            }
            Some(MetaLine::Banner { key, value }) => {
                let value = String::from_utf8_lossy(value).into_owned();
                let list = match key.to_ascii_lowercase().as_slice() {
                    b"sdk version" | b"ver" | b"version" => &mut self.sdk_versions,
                    b"sdk app id" | b"sdkappid" | b"app id" => &mut self.app_ids,
                    b"platform" => &mut self.platforms,
                    b"device type" => &mut self.device_types,
                    b"process id" => {
                        if let Some(p) = int(value.as_bytes())
                            && !self.process_ids.contains(&p)
                            && self.process_ids.len() < MAX_KEPT
                        {
                            self.process_ids.push(p);
                        }
                        return;
                    }
                    _ => return,
                };
                if !value.is_empty() && !list.contains(&value) && list.len() < MAX_KEPT {
                    list.push(value);
                }
            }
            None => {}
        }
    }

    /// Takes in what `other`, the metadata of text that follows, found.
    pub fn extend(&mut self, other: &Metadata) {
        for (mine, theirs) in [
            (&mut self.sdk_versions, &other.sdk_versions),
            (&mut self.app_ids, &other.app_ids),
            (&mut self.platforms, &other.platforms),
            (&mut self.device_types, &other.device_types),
        ] {
            for v in theirs {
                if !mine.contains(v) && mine.len() < MAX_KEPT {
                    mine.push(v.clone());
                }
            }
        }
        for &p in &other.process_ids {
            if !self.process_ids.contains(&p) && self.process_ids.len() < MAX_KEPT {
                self.process_ids.push(p);
            }
        }
        let room = MAX_KEPT.saturating_sub(self.starts.len());
        self.starts.extend(other.starts.iter().take(room));
        self.start_count += other.start_count;
    }

    /// Whether nothing was found.
    pub fn is_empty(&self) -> bool {
        *self == Metadata::default()
    }

    /// Whether an IM SDK banner said anything (a Mars open banner alone
    /// does not count).
    pub fn has_sdk(&self) -> bool {
        !(self.sdk_versions.is_empty()
            && self.app_ids.is_empty()
            && self.platforms.is_empty()
            && self.device_types.is_empty()
            && self.process_ids.is_empty())
    }

    /// The first SDK version seen.
    pub fn sdk_version(&self) -> Option<&str> {
        self.sdk_versions.first().map(String::as_str)
    }

    /// The first SDK app id seen.
    pub fn app_id(&self) -> Option<&str> {
        self.app_ids.first().map(String::as_str)
    }

    /// As a JSON object (see the README's `info` fields).
    pub fn to_json(&self) -> Value {
        let starts: Vec<Value> = self
            .starts
            .iter()
            .map(|s| {
                let t = s.local.format("%Y-%m-%dT%H:%M:%S").to_string();
                let time = match s.offset_minutes {
                    Some(o) => format!(
                        "{t}{}{:02}:{:02}",
                        if o < 0 { '-' } else { '+' },
                        o.abs() / 60,
                        o.abs() % 60
                    ),
                    None => t,
                };
                json!({"time": time, "pid": s.pid})
            })
            .collect();
        json!({
            "sdk_versions": self.sdk_versions,
            "app_ids": self.app_ids,
            "platforms": self.platforms,
            "device_types": self.device_types,
            "process_ids": self.process_ids,
            "process_starts": self.start_count,
            "process_start_list": starts,
        })
    }
}

#[cfg(test)]
mod tests;
