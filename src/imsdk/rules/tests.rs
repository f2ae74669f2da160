use super::*;

#[test]
fn builtin_data_parses_and_holds_the_fact_sheet_codes() {
    let set = RuleSet::builtin();
    for (code, name) in [
        (6013, "ERR_SDK_NOT_INITIALIZED"),
        (6014, "ERR_SDK_NOT_LOGGED_IN"),
        (6015, "ERR_IN_PROGESS"),
        (6206, "ERR_USER_SIG_EXPIRED"),
        (6208, "ERR_LOGIN_KICKED_OFF_BY_OTHER"),
        (7009, "ERR_SDK_COMM_INTERRUPT"),
        (7501, "ERR_SDK_ACCOUNT_LOGIN_IN_PROCESS"),
        (7502, "ERR_SDK_ACCOUNT_LOGOUT_IN_PROCESS"),
        (8001, "ERR_SDK_MSG_BODY_SIZE_LIMIT"),
        (9508, "ERR_SDK_NET_DISCONNECT"),
        (9510, "ERR_SDK_NET_CONN_TIMEOUT"),
        (9519, "ERR_SDK_NET_WAIT_SEND_TIMEOUT"),
        (9520, "ERR_SDK_NET_WAIT_ACK_TIMEOUT"),
        (-10001, "ERR_SVR_SSO_D2_EXPIRED"),
        (-10003, "ERR_SVR_SSO_A2_UP_INVALID"),
        (20007, "ERR_SVR_MSG_IN_PEER_BLACKLIST"),
        (70001, "ERR_SVR_ACCOUNT_USERSIG_EXPIRED"),
        (70003, "ERR_SVR_ACCOUNT_USERSIG_CHECK_FAILED"),
        (70005, "ERR_SVR_ACCOUNT_USERSIG_CHECK_FAILED_EX"),
        (70013, "ERR_SVR_ACCOUNT_USERSIG_MISMATCH_ID"),
        (70014, "ERR_SVR_ACCOUNT_USERSIG_MISMATCH_SDKAPPID"),
        (80001, "ERR_SVR_COMM_SENSITIVE_TEXT"),
        (10007, "ERR_SVR_GROUP_PERMISSION_DENY"),
        (10010, "ERR_SVR_GROUP_NOT_FOUND"),
        (-10108, "ERR_SVR_SSO_PREPAID_ARREARS"),
        (-10112, "ERR_SVR_SSO_APPID_WITHOUT_USING"),
        (60020, "ERR_SVR_COMM_INVALID_SERVICE"),
        (11000, "-"),
    ] {
        let info = set.code(code).unwrap_or_else(|| panic!("{code} missing"));
        assert_eq!(info.name, name);
        assert!(!info.meaning.is_empty() && !info.advice.is_empty());
    }
    assert!(set.code_count() > 250, "{}", set.code_count());
    assert!(set.code(12345).is_none());
}

#[test]
fn rules_match_by_function_head_and_code() {
    let set = RuleSet::builtin();
    let ev = |f: &[u8], h: &[u8], c| set.find(f, h, c).map(|r| r.event);
    assert_eq!(
        ev(b"LogRequestBegin", b"Login begin", None),
        Some(Event::LoginBegin)
    );
    assert_eq!(
        ev(b"LogRequestBegin", b"Logout begin", None),
        Some(Event::LogoutBegin)
    );
    assert_eq!(
        ev(b"LogRequestEnd", b"Login success", Some(0)),
        Some(Event::Login)
    );
    assert_eq!(
        ev(b"LogRequestEnd", b"Logout success", Some(0)),
        Some(Event::Logout)
    );
    assert_eq!(
        ev(b"SendMessageComplete", b"", Some(0)),
        Some(Event::Ignore)
    );
    assert_eq!(
        ev(b"SendMessageComplete", b"", Some(8001)),
        Some(Event::SendFailed)
    );
    assert_eq!(ev(b"", b"Login failed", Some(6206)), Some(Event::Login));
    assert_eq!(
        ev(b"HandleHeartbeatResponse", b"", Some(-10001)),
        Some(Event::UserSigExpired)
    );
    assert_eq!(
        ev(b"HandleHeartbeatResponse", b"", None),
        Some(Event::Heartbeat)
    );
    assert_eq!(ev(b"NoSuchFunction", b"x", Some(1)), None);
    let connect = set.find(b"NotifyConnectResult", b"", Some(9508)).unwrap();
    assert_eq!(connect.confidence, Confidence::Documented);
    let connect = set.find(b"NotifyConnectResult", b"", Some(0)).unwrap();
    assert_eq!(connect.confidence, Confidence::Seen);
}

#[test]
fn a_user_file_goes_first_and_replaces_codes() {
    let text = r#"
code_fields = ["ret"]
[[rule]]
function = "SendMessageComplete"
event = "ignore"
confidence = "seen"
[[rule]]
function = "MyCheck"
when = "failed"
event = "kicked"
confidence = "documented"
[[code]]
code = 8001
name = "MINE"
meaning = "mine"
advice = "do mine"
"#;
    let set = RuleSet::with_text(text, Path::new("mine.toml")).unwrap();
    let r = set.find(b"SendMessageComplete", b"", Some(8001)).unwrap();
    assert_eq!(r.event, Event::Ignore);
    assert_eq!(
        set.find(b"MyCheck", b"", Some(3)).unwrap().event,
        Event::Kicked
    );
    assert!(set.find(b"MyCheck", b"", Some(0)).is_none());
    assert_eq!(set.code(8001).unwrap().name, "MINE");
    assert_eq!(set.code_fields()[0], b"ret");
    assert!(set.code_fields().iter().any(|f| f == b"error_code"));
}

#[test]
fn bad_files_say_what_and_where() {
    let cases = [
        (
            "[[rule]]\nfunction = \"X\"\nevent = \"login\"\n",
            "needs `confidence`",
        ),
        (
            "[[rule]]\nfunction = \"X\"\nevent = \"nope\"\nconfidence = \"seen\"\n",
            "unknown event \"nope\"",
        ),
        (
            "[[rule]]\nevent = \"login\"\nconfidence = \"seen\"\n",
            "needs `function` or `head`",
        ),
        (
            "[[rule]]\nfunction = \"X\"\nevent = \"login\"\nconfidence = \"seen\"\nwhen = \"later\"\n",
            "`when` is \"later\"",
        ),
        (
            "[[rule]]\nfunction = \"X\"\nevent = \"login\"\nconfidence = \"sure\"\n",
            "`confidence` is \"sure\"",
        ),
        (
            "[[rule]]\nfunction = \"X\"\nevnt = \"login\"\n",
            "unknown key `evnt`",
        ),
        ("[[code]]\ncode = \"12\"\n", "`code` must be an integer"),
        ("[[code]]\ncode = 12\nname = \"A\"\n", "needs `meaning`"),
        ("rules = 1\n", "unknown key `rules`"),
        ("rule = 1\n", "`rule` must be [[rule]] tables"),
        ("code = [1]\n", "code 1: not a table"),
        (
            "[[code]]\ncode = 1\nname = \"A\"\nmeaning = \"m\"\nadvice = \"a\"\n[[code]]\ncode = 7\n",
            "code 2: code 7: needs `name`",
        ),
        ("[[rule]\n", "not valid TOML"),
    ];
    for (text, want) in cases {
        let e = RuleSet::with_text(text, Path::new("bad.toml")).unwrap_err();
        let shown = e.to_string();
        assert!(shown.starts_with("bad.toml"), "{shown}");
        assert!(shown.contains(want), "{shown} lacks {want}");
    }
    let e = RuleSet::with_text("a = \n", Path::new("bad.toml")).unwrap_err();
    assert!(e.offset.is_some(), "a syntax error has a byte offset: {e}");
}
