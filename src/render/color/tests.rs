use super::*;

#[test]
fn auto_honours_terminal_no_color_and_dumb() {
    use ColorChoice::*;
    assert!(Auto.resolve(true, None, Some("xterm")));
    assert!(Auto.resolve(true, Some(""), None));
    assert!(!Auto.resolve(false, None, Some("xterm")));
    assert!(!Auto.resolve(true, Some("1"), Some("xterm")));
    assert!(!Auto.resolve(true, None, Some("dumb")));
    assert!(Always.resolve(false, Some("1"), Some("dumb")));
    assert!(!Never.resolve(true, None, Some("xterm")));
}

#[test]
fn colours_wrap_the_record_but_not_its_newline() {
    let mut p = TextRecords::new(TextSink::new(Vec::new(), true), true);
    let e = b"[E][2024-01-31 +8.0 10:00:00.000][1, 2][t][a.cc:1, f][x\n  y\n";
    p.record(&Record::parse(e)).expect("ok");
    let i = b"[I][2024-01-31 +8.0 10:00:00.000][1, 2][t][a.cc:1, f][x\n";
    p.record(&Record::parse(i)).expect("ok");
    let out = p.into_inner().into_inner();
    let mut want = b"\x1b[31m".to_vec();
    want.extend_from_slice(&e[..e.len() - 1]);
    want.extend_from_slice(b"\x1b[0m\n");
    want.extend_from_slice(i);
    assert_eq!(
        String::from_utf8_lossy(&out),
        String::from_utf8_lossy(&want)
    );
}
