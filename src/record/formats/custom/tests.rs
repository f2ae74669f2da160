use super::*;

const GOOD: &str = r#"
name = "demo"
regex = '(?P<date>\d{4}-\d\d-\d\d) (?P<time>[\d:.]{12}) <(?P<level>\w+)> \[(?P<pid>\d+):(?P<tid>\d+)\] (?P<tag>\w+) (?P<file>[^: ]+):(?P<line>\d+) (?P<func>\w+): (?P<msg>.*)'
time_format = "%Y-%m-%d %H:%M:%S%.3f"
[levels]
ERR = "E"
warning = "warn"
"#;

#[test]
fn a_good_format_parses_its_lines() {
    let f = CustomFormat::from_toml(GOOD, Path::new("f.toml")).expect("good");
    assert_eq!(f.name(), "demo");
    let rec = b"2024-03-12 09:55:35.125 <ERR> [12:34] net conn.cpp:42 Open: refused\n  dump\n";
    assert!(f.starts(rec));
    assert!(!f.starts(b"  dump\n"));
    let (level, h) = f.parse(rec).expect("matches");
    assert_eq!(level, Some(Level::Error));
    let h = h.expect("header");
    assert_eq!((h.pid, h.tid, h.tag), (12, 34, &b"net"[..]));
    assert_eq!(
        (h.file, h.line, h.func),
        (&b"conn.cpp"[..], 42, &b"Open"[..])
    );
    assert_eq!(h.message, b"refused\n  dump");
    assert_eq!(h.timestamp.raw, b"2024-03-12 09:55:35.125");
    assert_eq!(h.format, LineFormat::Custom);
    let w = b"2024-03-12 09:55:35.125 <warning> [1:2] t a.c:1 f: m";
    assert_eq!(f.parse(w).expect("matches").0, Some(Level::Warn));
    let i = b"2024-03-12 09:55:35.125 <I> [1:2] t a.c:1 f: m";
    assert_eq!(f.parse(i).expect("matches").0, Some(Level::Info));
    let x = b"2024-03-12 09:55:35.125 <Q> [1:2] t a.c:1 f: m";
    assert_eq!(f.parse(x), Some((None, None)));
}

#[test]
fn bad_formats_say_what_and_where() {
    let p = Path::new("/tmp/fmt.toml");
    for (text, want) in [
        (
            "regex = '(?P<level>\\w) (?P<time>[' \ntime_format = \"%H\"",
            "bad regex",
        ),
        (
            "regex = '(?P<level>\\w) (?P<msg>.*)'\ntime_format = \"%H\"",
            "no group \"time\"",
        ),
        (
            "regex = '(?P<level>\\w) (?P<time>\\S+) (?P<msg>.*)'\ntime_format = \"%H\"\n[levels]\nX = \"loud\"",
            "unknown level \"loud\"",
        ),
        (
            "regex = '(?P<lvl>\\w)'\ntime_format = \"%H\"",
            "unknown group \"lvl\"",
        ),
        ("regex = 3", "not a format file"),
    ] {
        let e = CustomFormat::from_toml(text, p).expect_err(text);
        let s = e.to_string();
        assert!(s.contains("/tmp/fmt.toml") && s.contains(want), "{s}");
    }
}
