use super::*;

const KEYS: [&str; 5] = ["error_code", "error code", "errorCode", "errCode", "code"];

#[test]
fn codes_in_every_shape_of_the_sdk() {
    let cases: [(&[u8], Option<i64>); 12] = [
        (
            b"Login success|task_id:1|error_code:0 error_message:OK|x:1",
            Some(0),
        ),
        (
            b"error code:80001|error message:sensitive text|message:",
            Some(80001),
        ),
        (b"Login failed, code 6206|msg userSig expired", Some(6206)),
        (b"Login|code:6206|errMsg:", Some(6206)),
        (b"reg push failed, code -10003, msg ", Some(-10003)),
        (
            b"recv error code: 9519, errmsg: Channel send packet timeout",
            Some(9519),
        ),
        (b"FetchToken failed, ... errorCode = 60008", Some(60008)),
        (
            b"kick_offline_type:1|platform:iOS|error_code:6208",
            Some(6208),
        ),
        (b"receive heartbeat response|heartbeat_interval:120", None),
        // A word that merely contains the key is no field.
        (b"decode 12|barcode:7|zipcode 5", None),
        // Digits glued to letters are no number.
        (b"code:12ab", None),
        // The message dump after the first line is not read.
        (b"|message:\nerror_code:5", None),
    ];
    let keys = CodeKeys::new(&KEYS);
    for (msg, want) in cases {
        assert_eq!(code(msg, &KEYS), want, "{}", String::from_utf8_lossy(msg));
        assert_eq!(keys.code(msg), want, "{}", String::from_utf8_lossy(msg));
    }
    // Keys without the common piece are looked for too.
    let other = CodeKeys::new(&["ret"]);
    assert_eq!(other.code(b"x|ret:5"), Some(5));
}

#[test]
fn numbers_read_as_the_standard_parser_reads_them() {
    for text in [
        "0",
        "-0",
        "7",
        "-7",
        "120",
        "-10003",
        "000042",
        "-",
        "--5",
        "x",
        "999999999999999999",
        "-999999999999999999",
        "1000000000000000000",
        "-1000000000000000000",
        "123456789012345678",
    ] {
        let line = format!("code:{text}|next");
        let digits = text.trim_start_matches('-').len();
        let want = (digits > 0 && digits <= 18)
            .then(|| text.parse::<i64>().ok())
            .flatten();
        assert_eq!(number_at(line.as_bytes(), 4, false), want, "{text}");
    }
}

#[test]
fn error_code_wins_over_a_later_plain_code() {
    assert_eq!(code(b"code:1|error_code:2", &KEYS), Some(2));
}

#[test]
fn values_and_heads() {
    let m = b"channel connect completed|channel id:3|server address:1.2.3.4:443(tcp)|error_code:0|error_message:";
    assert_eq!(head(m), b"channel connect completed");
    assert_eq!(value(m, b"server address"), Some(&b"1.2.3.4:443(tcp)"[..]));
    assert_eq!(value(m, b"error_message"), Some(&b""[..]));
    assert_eq!(value(m, b"address"), None, "`server address` holds it");
    let joined = b"Login success|error_code:0 error_message:OK|x:1";
    assert_eq!(value(joined, b"error_message"), Some(&b"OK"[..]));
    assert_eq!(number(m, b"channel id"), Some(3));
    assert_eq!(head(b"Login failed, code 6206|msg x"), b"Login failed");
    assert_eq!(head(b"  Login succ\r\n"), b"Login succ");
    assert_eq!(
        number_unit(b"start heartbeat with interval 120s", b"interval"),
        Some(120)
    );
    assert_eq!(
        number(b"start heartbeat with interval 120s", b"interval"),
        None
    );
}

#[test]
fn fields_split_the_joined_quirk() {
    let got: Vec<(&[u8], &[u8])> =
        fields(b"Login success|error_code:0 error_message:OK|current status:Logining").collect();
    let want: Vec<(&[u8], &[u8])> = vec![
        (b"", b"Login success"),
        (b"error_code", b"0"),
        (b"error_message", b"OK"),
        (b"current status", b"Logining"),
    ];
    assert_eq!(got, want);
}
