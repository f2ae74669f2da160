use super::*;

#[test]
fn padding_runs_show_as_one_space() {
    for (text, want) in [
        ("a   b c  d    ", "a b c d "),
        ("  x", " x"),
        ("é  ü ", "é ü "),
        ("", ""),
        ("no runs", "no runs"),
    ] {
        let mut s = String::new();
        squeeze_into(&mut s, text);
        assert_eq!(s, want);
    }
    let mut p = String::new();
    pad(&mut p, "ab", 4);
    assert_eq!(p, "ab  ");
}
