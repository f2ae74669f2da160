use super::*;
use crate::record::Record;

#[test]
fn file_and_component_lines() {
    let l = b"TIM: 2022-01-20 15:37:21.769 E 25763-25810     |-TIMNetworkCenterAndroid.cpp:124         GetSocketInfo                           |sockfd failure!\n";
    let r = Record::parse(l);
    assert_eq!(r.level, Some(Level::Error));
    let h = r.header.expect("header");
    assert_eq!((h.pid, h.tid, h.main_thread), (25763, 25810, false));
    assert_eq!(h.file, b"TIMNetworkCenterAndroid.cpp");
    assert_eq!(h.line, 124);
    assert_eq!(h.func, b"GetSocketInfo");
    assert_eq!(h.tag, b"");
    assert_eq!(h.message, b"sockfd failure!");
    assert_eq!(h.timestamp.raw, b"2022-01-20 15:37:21.769");
    assert_eq!(h.timestamp.offset_minutes, None);
    assert_eq!(h.format, LineFormat::ImSdk);
    assert_eq!(
        h.timestamp.local.to_string(),
        "2022-01-20 15:37:21.769".to_string()
    );

    let c = b"TIM: 2024-03-12 09:55:35.532 D 16633-16789     |-TIMPush-TIMPushProvider                                                         |onConnectSuccess|a:b\nmore\n";
    let h = Record::parse(c).header.expect("header");
    assert_eq!(h.tag, b"TIMPush-TIMPushProvider");
    assert_eq!((h.file, h.line, h.func), (&b""[..], 0, &b""[..]));
    assert_eq!(h.message, b"onConnectSuccess|a:b\nmore");
}

#[test]
fn banner_and_damage_are_no_headers() {
    for l in [
        &b"TIM: =========================================================================="[..],
        b"TIM: ======  SDK Version: 8.1.6108",
        b"TIM: |-foo.cpp:1 Bar |logcat copy",
    ] {
        let r = Record::parse(l);
        assert_eq!((r.level, r.header), (None, None), "{l:?}");
    }
    // A level, but fields that do not parse: a level-only record.
    for l in [
        &b"TIM: 2024-03-12 09:55:35.532 D 16633-16789     no bar"[..],
        b"TIM: 2024-03-12 09:55:35.532 D x-16789     |-a.cpp:1 F |m",
        b"TIM: 2024-13-12 09:55:35.532 D 1-2     |-a.cpp:1 F |m",
    ] {
        let r = Record::parse(l);
        assert_eq!(r.level, Some(Level::Debug));
        assert_eq!(r.header, None, "{l:?}");
    }
}
