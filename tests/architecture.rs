//! The shape of the source tree, checked from the source text:
//!
//! - **No import circles.** At every level of the module tree, the
//!   sibling modules (with everything under them) depend on each other
//!   without a circle: whatever `a` uses of `b`, `b` uses nothing of `a`.
//!   A module may use its ancestors and its descendants freely.
//! - **No oversized files.** A source file outside tests holds at most
//!   [`MAX_LINES`] lines (test modules live in their own `tests.rs`).
//!
//! References are read from `use` items and from `crate::`, `super::` and
//! `self::` paths in the code (comments and test modules are left out),
//! each resolved to the source file of the deepest module it names.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The most lines a source file outside tests may hold.
const MAX_LINES: usize = 800;

/// A module path within its crate: `["tui", "view", "log"]`.
type ModPath = Vec<String>;

/// One crate's modules: path → source text (comments, strings and test
/// modules removed) and file.
struct Crate {
    modules: BTreeMap<ModPath, (String, PathBuf)>,
}

#[test]
fn no_import_circles() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut crates = vec![("lib", load_crate(&src, &src.join("lib.rs"), &["bin"]))];
    for bin in fs::read_dir(src.join("bin")).expect("src/bin") {
        let dir = bin.expect("src/bin entry").path();
        if dir.join("main.rs").is_file() {
            crates.push(("bin", load_crate(&dir, &dir.join("main.rs"), &[])));
        }
    }
    let mut circles = Vec::new();
    for (name, krate) in &crates {
        assert!(krate.modules.len() > 1, "{name}: no modules found");
        circles.extend(find_circles(krate));
    }
    assert!(
        circles.is_empty(),
        "import circles between sibling modules:\n{}",
        circles.join("\n")
    );
}

#[test]
fn no_oversized_source_files() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut big = Vec::new();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() > 10, "no source files found under {src:?}");
    for file in files {
        if file.file_name().is_some_and(|n| n == "tests.rs") {
            continue;
        }
        let lines = fs::read_to_string(&file).expect("source").lines().count();
        if lines > MAX_LINES {
            big.push(format!("{} has {lines} lines", file.display()));
        }
    }
    assert!(
        big.is_empty(),
        "files over {MAX_LINES} lines:\n{}",
        big.join("\n")
    );
}

/// The checker itself: a circle is found, a clean tree passes.
#[test]
fn the_checker_finds_a_circle_and_passes_a_layered_tree() {
    let krate = |files: &[(&str, &str)]| Crate {
        modules: files
            .iter()
            .map(|(path, text)| {
                let path: ModPath = path
                    .split("::")
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect();
                (path, (strip(text), PathBuf::from("x.rs")))
            })
            .collect(),
    };
    let circle = krate(&[
        ("", "mod a; mod b;"),
        ("a", "use crate::b::X;"),
        ("b", "pub fn f() { super::a::g() }"),
    ]);
    assert_eq!(find_circles(&circle).len(), 1);
    let nested = krate(&[
        ("", "mod a; mod b;"),
        ("a", "mod inner;"),
        ("a::inner", "use crate::{b::{X, Y}};"),
        ("b", "// use crate::a::Z;\nuse crate::a::inner::W;"),
    ]);
    assert_eq!(find_circles(&nested).len(), 1);
    let layered = krate(&[
        ("", "mod a; mod b;"),
        ("a", "mod inner; use self::inner::Z; use crate::b::Q;"),
        ("a::inner", "use super::Y; use crate::b::X;"),
        ("b", "/* crate::a::Z */ const S: &str = \"crate::a::Z\";"),
    ]);
    assert_eq!(find_circles(&layered), Vec::<String>::new());
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("source directory") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Loads the crate whose root file is `root`, in `dir`, skipping the
/// sub-directories named in `skip` (other crates).
fn load_crate(dir: &Path, root: &Path, skip: &[&str]) -> Crate {
    let mut files = Vec::new();
    rust_files(dir, &mut files);
    let mut modules = BTreeMap::new();
    for file in files {
        let rel = file.strip_prefix(dir).expect("under the crate's directory");
        if rel
            .components()
            .next()
            .is_some_and(|c| skip.iter().any(|s| c.as_os_str() == *s))
        {
            continue;
        }
        let mut path: ModPath = rel
            .with_extension("")
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        if file == root || path.last().is_some_and(|l| l == "mod") {
            path.pop();
        }
        if file == root {
            path.clear();
        }
        if path.last().is_some_and(|l| l == "tests") {
            continue;
        }
        let text = fs::read_to_string(&file).expect("source");
        modules.insert(path, (strip(&text), file));
    }
    Crate { modules }
}

/// The text with comments, string and char literals blanked out and an
/// inline `#[cfg(test)] mod … { … }` at its end cut off.
fn strip(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        if b[i..].starts_with(b"//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i..].starts_with(b"/*") {
            let mut depth = 0;
            while i < b.len() {
                if b[i..].starts_with(b"/*") {
                    depth += 1;
                    i += 2;
                } else if b[i..].starts_with(b"*/") {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if b[i] == b'"'
            || (b[i] == b'r' && (b.get(i + 1) == Some(&b'"') || b.get(i + 1) == Some(&b'#')))
        {
            i = skip_string(b, i);
            out.push_str("\"\"");
        } else if b[i] == b'\'' && b.get(i + 2) == Some(&b'\'') {
            i += 3;
            out.push_str("' '");
        } else if b[i] == b'\'' && b.get(i + 1) == Some(&b'\\') {
            i += 2;
            while i < b.len() && b[i] != b'\'' {
                i += 1;
            }
            i += 1;
            out.push_str("' '");
        } else {
            let c = text[i..].chars().next().expect("in bounds");
            out.push(c);
            i += c.len_utf8();
        }
    }
    let mut from = 0;
    while let Some(at) = out[from..].find("#[cfg(test)]").map(|a| from + a) {
        let rest = out[at + "#[cfg(test)]".len()..].trim_start();
        let inline = rest
            .find('{')
            .is_some_and(|b| rest.find(';').is_none_or(|s| b < s));
        if rest.starts_with("mod ") && inline {
            out.truncate(at);
            break;
        }
        from = at + 1;
    }
    out
}

/// The index after the string literal at `i` (plain, byte or raw).
fn skip_string(b: &[u8], mut i: usize) -> usize {
    if b[i] == b'r' {
        i += 1;
        let mut hashes = 0;
        while b.get(i) == Some(&b'#') {
            hashes += 1;
            i += 1;
        }
        if b.get(i) != Some(&b'"') {
            // An identifier starting with r (`r#type` or a name): not a string.
            return i;
        }
        i += 1;
        while i < b.len() {
            if b[i] == b'"'
                && b[i + 1..]
                    .iter()
                    .take(hashes)
                    .filter(|&&c| c == b'#')
                    .count()
                    == hashes
            {
                return i + 1 + hashes;
            }
            i += 1;
        }
        return i;
    }
    i += 1;
    while i < b.len() && b[i] != b'"' {
        if b[i] == b'\\' {
            i += 1;
        }
        i += 1;
    }
    i + 1
}

/// Every path the text names: `use` trees flattened, and the other
/// `crate::`/`super::`/`self::` paths.
fn paths(text: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let b = text.as_bytes();
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut i = 0;
    while i < b.len() {
        let starts_word = i == 0 || !(ident(b[i - 1]) || b[i - 1] == b':');
        if starts_word && text[i..].starts_with("use ") {
            let end = text[i..].find(';').map_or(b.len(), |e| i + e);
            flatten(&text[i + 4..end], &mut Vec::new(), &mut out);
            i = end;
            continue;
        }
        if starts_word
            && ["crate::", "super::", "self::"]
                .iter()
                .any(|p| text[i..].starts_with(p))
        {
            let mut end = i;
            while end < b.len() && (ident(b[end]) || b[end] == b':') {
                end += 1;
            }
            let path: Vec<String> = text[i..end]
                .split("::")
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect();
            out.push(path);
            i = end;
            continue;
        }
        i += 1;
    }
    out
}

/// Flattens a `use` tree (`a::{b, c::{d as e}}`) into paths.
fn flatten(tree: &str, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    let tree = tree.trim();
    if let Some(open) = tree.find('{') {
        let head: Vec<String> = tree[..open]
            .split("::")
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect();
        let close = tree.rfind('}').unwrap_or(tree.len());
        let inner = &tree[open + 1..close];
        let depth = prefix.len();
        prefix.extend(head);
        let mut level = 0;
        let mut start = 0;
        for (j, c) in inner.char_indices() {
            match c {
                '{' => level += 1,
                '}' => level -= 1,
                ',' if level == 0 => {
                    flatten(&inner[start..j], prefix, out);
                    start = j + 1;
                }
                _ => {}
            }
        }
        flatten(&inner[start..], prefix, out);
        prefix.truncate(depth);
    } else {
        let item = tree.split(" as ").next().unwrap_or("").trim();
        if item.is_empty() {
            return;
        }
        let mut path = prefix.clone();
        path.extend(
            item.split("::")
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from),
        );
        out.push(path);
    }
}

/// The module a path used in module `from` names: the deepest source
/// file module along it, if it is in the crate.
fn resolve(krate: &Crate, from: &ModPath, path: &[String]) -> Option<ModPath> {
    let mut base: ModPath;
    let mut rest = path;
    match path.first().map(String::as_str) {
        Some("crate") => {
            base = Vec::new();
            rest = &path[1..];
        }
        Some("super") | Some("self") => {
            base = from.clone();
            while let Some(first) = rest.first() {
                match first.as_str() {
                    "super" => {
                        base.pop()?;
                    }
                    "self" => {}
                    _ => break,
                }
                rest = &rest[1..];
            }
        }
        Some(first) => {
            // A path relative to the module: a child module of it.
            let mut child = from.clone();
            child.push(first.to_string());
            if !krate.modules.contains_key(&child) {
                return None;
            }
            base = from.clone();
        }
        None => return None,
    }
    for seg in rest {
        let mut next = base.clone();
        next.push(seg.clone());
        if !krate.modules.contains_key(&next) {
            break;
        }
        base = next;
    }
    Some(base)
}

/// The circles between sibling modules, one line each, with an edge of
/// each direction that makes it.
fn find_circles(krate: &Crate) -> Vec<String> {
    // Per parent module: sibling → sibling → an example (file, path).
    type Edges = BTreeMap<String, BTreeMap<String, String>>;
    let mut levels: BTreeMap<ModPath, Edges> = BTreeMap::new();
    for (from, (text, file)) in &krate.modules {
        for path in paths(text) {
            let Some(to) = resolve(krate, from, &path) else {
                continue;
            };
            let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
            if common == from.len() || common == to.len() {
                continue; // an ancestor or a descendant
            }
            let parent = from[..common].to_vec();
            levels
                .entry(parent)
                .or_default()
                .entry(from[common].clone())
                .or_default()
                .entry(to[common].clone())
                .or_insert_with(|| {
                    let name = file.file_name().map(|n| n.to_string_lossy().into_owned());
                    format!("{} uses {}", name.unwrap_or_default(), path.join("::"))
                });
        }
    }
    let mut circles = Vec::new();
    for (parent, edges) in &levels {
        for group in strongly_connected(edges) {
            let names: BTreeSet<&String> = group.iter().collect();
            let mut why = Vec::new();
            for a in &group {
                for (b, example) in &edges[a] {
                    if names.contains(b) {
                        why.push(format!("{a} -> {b} ({example})"));
                    }
                }
            }
            circles.push(format!(
                "in `{}`: {}",
                if parent.is_empty() {
                    "crate".to_string()
                } else {
                    parent.join("::")
                },
                why.join("; ")
            ));
        }
    }
    circles
}

/// The groups of more than one node that reach each other (Tarjan).
fn strongly_connected(edges: &BTreeMap<String, BTreeMap<String, String>>) -> Vec<Vec<String>> {
    struct State<'a> {
        edges: &'a BTreeMap<String, BTreeMap<String, String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        groups: Vec<Vec<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        s.on_stack.insert(v);
        if let Some(next) = s.edges.get(v) {
            for w in next.keys() {
                if !s.index.contains_key(w.as_str()) {
                    visit(s, w);
                    let low = s.low[w.as_str()].min(s.low[v]);
                    s.low.insert(v, low);
                } else if s.on_stack.contains(w.as_str()) {
                    let low = s.index[w.as_str()].min(s.low[v]);
                    s.low.insert(v, low);
                }
            }
        }
        if s.low[v] == s.index[v] {
            let mut group = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                group.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if group.len() > 1 {
                group.sort();
                s.groups.push(group);
            }
        }
    }
    let mut s = State {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        groups: Vec::new(),
    };
    for v in edges.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v);
        }
    }
    s.groups
}
