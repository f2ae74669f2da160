//! Rules and error codes as data: the compiled-in `rules.toml` and
//! `codes.toml`, plus any user file given with `--rules` (same format,
//! tried first, replacing codes it names again).

use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::path::{Path, PathBuf};

use aho_corasick::{AhoCorasick, MatchKind};
use toml::{Table, Value};

use super::fields::CodeKeys;

/// The built-in rules (see the file's comments for the format).
pub const BUILTIN_RULES: &str = include_str!("rules.toml");
/// The built-in error-code table.
pub const BUILTIN_CODES: &str = include_str!("codes.toml");

/// Whether a rule's anchor is seen in captured real logs or only named in
/// Tencent's documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Confidence {
    /// In captured real lines.
    Seen,
    /// Only in Tencent's documentation of its logs.
    Documented,
}

impl Confidence {
    /// `seen` or `documented`.
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Seen => "seen",
            Confidence::Documented => "documented",
        }
    }
}

/// What a matched line means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Event {
    /// SDK initialised.
    Init,
    /// SDK uninitialised (ends the login state).
    Uninit,
    /// A connect attempt starts.
    ConnectBegin,
    /// A connect result (ok or failed by the code).
    Connect,
    /// A login starts.
    LoginBegin,
    /// A login result (ok or failed by the code).
    Login,
    /// A logout starts.
    LogoutBegin,
    /// A logout result.
    Logout,
    /// Heartbeats start (the interval may be announced).
    HeartbeatStart,
    /// A heartbeat response.
    Heartbeat,
    /// The UserSig expired.
    UserSigExpired,
    /// Kicked offline.
    Kicked,
    /// A message failed to send.
    SendFailed,
    /// An error.
    Error,
    /// Nothing to report (not even the code).
    Ignore,
}

impl Event {
    const NAMES: [(&'static str, Event); 15] = [
        ("init", Event::Init),
        ("uninit", Event::Uninit),
        ("connect_begin", Event::ConnectBegin),
        ("connect", Event::Connect),
        ("login_begin", Event::LoginBegin),
        ("login", Event::Login),
        ("logout_begin", Event::LogoutBegin),
        ("logout", Event::Logout),
        ("heartbeat_start", Event::HeartbeatStart),
        ("heartbeat", Event::Heartbeat),
        ("usersig_expired", Event::UserSigExpired),
        ("kicked", Event::Kicked),
        ("send_failed", Event::SendFailed),
        ("error", Event::Error),
        ("ignore", Event::Ignore),
    ];

    fn parse(s: &str) -> Option<Event> {
        Event::NAMES.iter().find(|(n, _)| *n == s).map(|&(_, e)| e)
    }
}

/// Which codes a rule applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum When {
    /// Any line.
    Any,
    /// No code, or code 0.
    Ok,
    /// A non-zero code.
    Failed,
}

/// One rule: an anchor and what it means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Exact function name, if the rule names one.
    pub function: Option<String>,
    /// Exact leading tag of the message, if the rule names one.
    pub head: Option<String>,
    /// Only for this code.
    pub code: Option<i64>,
    /// Which codes.
    pub when: When,
    /// What the line means.
    pub event: Event,
    /// Seen or documented.
    pub confidence: Confidence,
}

impl Rule {
    /// Whether the rule matches a line with this function, leading tag and
    /// code.
    pub fn matches(&self, function: &[u8], head: &[u8], code: Option<i64>) -> bool {
        self.function
            .as_ref()
            .is_none_or(|f| f.as_bytes() == function)
            && self.head.as_ref().is_none_or(|h| h.as_bytes() == head)
            && self.code.is_none_or(|c| code == Some(c))
            && match self.when {
                When::Any => true,
                When::Ok => code.unwrap_or(0) == 0,
                When::Failed => code.unwrap_or(0) != 0,
            }
    }
}

/// One entry of the error-code table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeInfo {
    /// The number.
    pub code: i64,
    /// The constant's name (`-` when it has none).
    pub name: String,
    /// What it means.
    pub meaning: String,
    /// What to do.
    pub advice: String,
}

/// A bad rules file: which file, where, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RulesError {
    /// The file (`<built-in>` for the compiled-in data).
    pub file: PathBuf,
    /// Byte offset in the file, when known.
    pub offset: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for RulesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(o) = self.offset {
            write!(f, " (byte {o})")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for RulesError {}

/// Every rule and code: what the engine consults.
#[derive(Debug, Clone)]
pub struct RuleSet {
    /// Rules in the order they are tried.
    rules: Vec<Rule>,
    /// Rules by function name, as indices into `rules` in order, the
    /// head-only rules among them.
    by_function: HashMap<Vec<u8>, Vec<usize>, BuildHasherDefault<Fnv>>,
    /// Rules with no function (matched by head alone).
    headless: Vec<usize>,
    /// Fields holding an error code, in the order they are looked for.
    code_fields: Vec<Vec<u8>>,
    /// Their searchers.
    code_keys: CodeKeys,
    /// Every word a rule or code field names: a line with none of them
    /// can give no finding (see [`RuleSet::may_matter`]).
    words: AhoCorasick,
    /// The same words, as a list.
    word_list: Vec<Vec<u8>>,
    /// The error-code table.
    codes: HashMap<i64, CodeInfo>,
}

impl RuleSet {
    /// The compiled-in rules and codes.
    pub fn builtin() -> RuleSet {
        let mut set = RuleSet::builtin_data();
        set.index();
        set
    }

    /// The compiled-in rules and codes, added but not yet indexed.
    fn builtin_data() -> RuleSet {
        let mut set = RuleSet {
            rules: Vec::new(),
            by_function: HashMap::default(),
            headless: Vec::new(),
            code_fields: Vec::new(),
            code_keys: CodeKeys::new::<&[u8]>(&[]),
            words: AhoCorasick::new::<_, &[u8]>([]).expect("an empty automaton builds"),
            word_list: Vec::new(),
            codes: HashMap::new(),
        };
        let builtin = Path::new("<built-in>");
        // The code table is most of the text (and of the start-up time of
        // `diagnose`): it is parsed beside the rules.
        let (rules, codes) = std::thread::scope(|s| {
            let codes = s.spawn(|| parse(BUILTIN_CODES, builtin));
            (parse(BUILTIN_RULES, builtin), codes.join())
        });
        let codes = codes.unwrap_or_else(|e| std::panic::resume_unwind(e));
        set.add(rules.expect("the built-in rules parse"), false);
        set.add(codes.expect("the built-in codes parse"), false);
        set
    }

    /// The built-in set with a user file's rules and codes added: its
    /// rules are tried first, its codes replace the built-in ones.
    pub fn with_file(path: &Path) -> Result<RuleSet, RulesError> {
        let text = std::fs::read_to_string(path).map_err(|e| RulesError {
            file: path.to_path_buf(),
            offset: None,
            message: format!("cannot read: {e}"),
        })?;
        RuleSet::with_text(&text, path)
    }

    /// Like [`with_file`](RuleSet::with_file), from the file's text.
    pub fn with_text(text: &str, path: &Path) -> Result<RuleSet, RulesError> {
        let user = parse(text, path)?;
        let mut set = RuleSet::builtin_data();
        set.add(user, true);
        set.index();
        Ok(set)
    }

    /// Adds the rules, code fields and codes of `data`: before the ones
    /// already held when `first`. [`index`](RuleSet::index) must follow.
    fn add(&mut self, data: Data, first: bool) {
        if first {
            let mut rules = data.rules;
            rules.append(&mut self.rules);
            self.rules = rules;
            if !data.code_fields.is_empty() {
                let mut fields = data.code_fields;
                for f in self.code_fields.drain(..) {
                    if !fields.contains(&f) {
                        fields.push(f);
                    }
                }
                self.code_fields = fields;
            }
        } else {
            self.rules.extend(data.rules);
            self.code_fields.extend(data.code_fields);
        }
        for c in data.codes {
            self.codes.insert(c.code, c);
        }
    }

    /// Builds what finds the rules (code searchers, the word automaton,
    /// the rules by function) once every [`add`](RuleSet::add) is done.
    fn index(&mut self) {
        self.code_keys = CodeKeys::new(&self.code_fields);
        // A rule with a function is found by it; a head-only rule by its
        // head. A word holding another word adds nothing to the scan.
        // A rule that needs a non-zero code, or says `ignore`, is reached
        // through the code field: its anchor need not be looked for.
        let mut words: Vec<&[u8]> = Vec::new();
        for r in &self.rules {
            let without_code = r.when != When::Failed && r.code.is_none_or(|c| c == 0);
            if r.event == Event::Ignore || !without_code {
                continue;
            }
            match (&r.function, &r.head) {
                (Some(f), _) => words.push(f.as_bytes()),
                (None, Some(h)) => words.push(h.as_bytes()),
                (None, None) => {}
            }
        }
        words.extend(self.code_fields.iter().map(Vec::as_slice));
        words.sort();
        words.dedup();
        let all = words.clone();
        words.retain(|w| {
            !all.iter()
                .any(|o| o.len() < w.len() && memchr::memmem::find(w, o).is_some())
        });
        self.words = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostFirst)
            .build(&words)
            .expect("a few short words build an automaton");
        self.word_list = words.into_iter().map(<[u8]>::to_vec).collect();
        self.by_function.clear();
        self.headless.clear();
        for (i, r) in self.rules.iter().enumerate() {
            if r.function.is_none() {
                self.headless.push(i);
            }
        }
        // Each function's rules with the head-only ones, in file order.
        for (i, r) in self.rules.iter().enumerate() {
            if let Some(f) = &r.function {
                let list = self
                    .by_function
                    .entry(f.as_bytes().to_vec())
                    .or_insert_with(|| self.headless.clone());
                list.push(i);
                list.sort_unstable();
            }
        }
    }

    /// The first rule that matches, in file order (user rules first).
    pub fn find(&self, function: &[u8], head: &[u8], code: Option<i64>) -> Option<&Rule> {
        let list = self.by_function.get(function).unwrap_or(&self.headless);
        list.iter()
            .map(|&i| &self.rules[i])
            .find(|r| r.matches(function, head, code))
    }

    /// Whether some rule names this function (a cheap first test).
    pub fn knows_function(&self, function: &[u8]) -> bool {
        self.by_function.contains_key(function)
    }

    /// Whether some rule matches by its head alone.
    pub fn has_headless(&self) -> bool {
        !self.headless.is_empty()
    }

    /// Whether a line may give a finding: it holds a function name, a
    /// leading tag or a code field some rule names. A line without any
    /// can be skipped unparsed (a cheap scan, done for most lines of a
    /// log).
    pub fn may_matter(&self, line: &[u8]) -> bool {
        self.words.is_match(line)
    }

    /// The words of [`may_matter`](RuleSet::may_matter).
    pub fn words(&self) -> impl Iterator<Item = &[u8]> {
        self.word_list.iter().map(Vec::as_slice)
    }

    /// Whether `word` (one of [`words`](RuleSet::words)) is a code field:
    /// a line holding it matters only when the code is not 0.
    pub fn is_code_field(&self, word: &[u8]) -> bool {
        self.code_fields.iter().any(|f| f == word)
    }

    /// The fields read as error codes.
    pub fn code_fields(&self) -> &[Vec<u8>] {
        &self.code_fields
    }

    /// The error code of a message, read from the first of the code
    /// fields present.
    pub fn read_code(&self, msg: &[u8]) -> Option<i64> {
        self.code_keys.code(msg)
    }

    /// The table entry of a code.
    pub fn code(&self, code: i64) -> Option<&CodeInfo> {
        self.codes.get(&code)
    }

    /// The rules, in the order they are tried.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The number of codes in the table.
    pub fn code_count(&self) -> usize {
        self.codes.len()
    }
}

/// FNV-1a: function names are short, and looked up for many lines.
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// What one file holds.
struct Data {
    rules: Vec<Rule>,
    code_fields: Vec<Vec<u8>>,
    codes: Vec<CodeInfo>,
}

fn parse(text: &str, path: &Path) -> Result<Data, RulesError> {
    let err = |offset: Option<usize>, message: String| RulesError {
        file: path.to_path_buf(),
        offset,
        message,
    };
    let table: Table = text.parse().map_err(|e: toml::de::Error| {
        err(
            e.span().map(|s| s.start),
            format!("not valid TOML: {}", e.message()),
        )
    })?;
    let mut data = Data {
        rules: Vec::new(),
        code_fields: Vec::new(),
        codes: Vec::new(),
    };
    for (key, value) in &table {
        match key.as_str() {
            "rule" => data
                .rules
                .extend(tables(value, "rule", rule).map_err(|m| err(None, m))?),
            "code" => data
                .codes
                .extend(tables(value, "code", code).map_err(|m| err(None, m))?),
            "code_fields" => {
                let list = value
                    .as_array()
                    .ok_or_else(|| err(None, "`code_fields` must be a list of strings".into()))?;
                for v in list {
                    let s = v.as_str().filter(|s| !s.trim().is_empty()).ok_or_else(|| {
                        err(
                            None,
                            "`code_fields` must be a list of non-empty strings".into(),
                        )
                    })?;
                    data.code_fields.push(s.as_bytes().to_vec());
                }
            }
            other => {
                return Err(err(
                    None,
                    format!("unknown key `{other}` (expected [[rule]], [[code]] or code_fields)"),
                ));
            }
        }
    }
    Ok(data)
}

fn string(t: &Table, key: &str) -> Result<Option<String>, String> {
    match t.get(key) {
        None => Ok(None),
        Some(Value::String(s)) if !s.is_empty() => Ok(Some(s.clone())),
        Some(_) => Err(format!("`{key}` must be a non-empty string")),
    }
}

fn integer(t: &Table, key: &str) -> Result<Option<i64>, String> {
    match t.get(key) {
        None => Ok(None),
        Some(Value::Integer(n)) => Ok(Some(*n)),
        Some(_) => Err(format!("`{key}` must be an integer")),
    }
}

fn check_keys(t: &Table, allowed: &[&str]) -> Result<(), String> {
    match t.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(format!(
            "unknown key `{k}` (expected one of: {})",
            allowed.join(", ")
        )),
        None => Ok(()),
    }
}

/// The `[[name]]` tables of `value`, each read by `read`; an error names
/// the table by its number (from 1).
fn tables<T>(
    value: &Value,
    name: &str,
    read: fn(&Table) -> Result<T, String>,
) -> Result<Vec<T>, String> {
    let list = value
        .as_array()
        .ok_or_else(|| format!("`{name}` must be [[{name}]] tables"))?;
    let mut out = Vec::with_capacity(list.len());
    for (i, v) in list.iter().enumerate() {
        let t = v
            .as_table()
            .ok_or_else(|| format!("{name} {}: not a table", i + 1))?;
        out.push(read(t).map_err(|m| format!("{name} {}: {m}", i + 1))?);
    }
    Ok(out)
}

fn rule(t: &Table) -> Result<Rule, String> {
    check_keys(
        t,
        &["function", "head", "code", "when", "event", "confidence"],
    )?;
    let function = string(t, "function")?;
    let head = string(t, "head")?;
    if function.is_none() && head.is_none() {
        return Err("needs `function` or `head`".into());
    }
    let when = match string(t, "when")?.as_deref() {
        None | Some("any") => When::Any,
        Some("ok") => When::Ok,
        Some("failed") => When::Failed,
        Some(w) => {
            return Err(format!(
                "`when` is {w:?}: expected \"ok\", \"failed\" or \"any\""
            ));
        }
    };
    let names: Vec<&str> = Event::NAMES.iter().map(|(n, _)| *n).collect();
    let event = match string(t, "event")? {
        None => return Err(format!("needs `event` (one of: {})", names.join(", "))),
        Some(e) => Event::parse(&e).ok_or_else(|| {
            format!(
                "unknown event {e:?} (expected one of: {})",
                names.join(", ")
            )
        })?,
    };
    let confidence = match string(t, "confidence")?.as_deref() {
        Some("seen") => Confidence::Seen,
        Some("documented") => Confidence::Documented,
        Some(c) => {
            return Err(format!(
                "`confidence` is {c:?}: expected \"seen\" or \"documented\""
            ));
        }
        None => return Err("needs `confidence` (\"seen\" or \"documented\")".into()),
    };
    Ok(Rule {
        function,
        head,
        code: integer(t, "code")?,
        when,
        event,
        confidence,
    })
}

fn code(t: &Table) -> Result<CodeInfo, String> {
    check_keys(t, &["code", "name", "meaning", "advice"])?;
    let code = integer(t, "code")?.ok_or("needs `code` (an integer)")?;
    let need = |k: &str| string(t, k)?.ok_or_else(|| format!("code {code}: needs `{k}`"));
    Ok(CodeInfo {
        code,
        name: need("name")?,
        meaning: need("meaning")?,
        advice: need("advice")?,
    })
}

#[cfg(test)]
mod tests;
