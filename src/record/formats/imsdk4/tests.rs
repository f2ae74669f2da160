use super::*;
use crate::record::Record;

#[test]
fn native_and_java_lines() {
    let l = b"TIM: 2020-01-21 09:55:35.295/I/22008-22113     /Common      -imcore_manager.cpp.947  OnUserSigExpired                   /userSig expired|loginStatus:logining\n";
    let r = Record::parse(l);
    assert_eq!(r.level, Some(Level::Info));
    let h = r.header.expect("header");
    assert_eq!((h.pid, h.tid), (22008, 22113));
    assert_eq!(h.tag, b"Common");
    assert_eq!((h.file, h.line), (&b"imcore_manager.cpp"[..], 947));
    assert_eq!(h.func, b"OnUserSigExpired");
    assert_eq!(h.message, b"userSig expired|loginStatus:logining");
    assert_eq!(h.format, LineFormat::ImSdk4);

    let j = b"TIM: 2020-01-21 09:55:35.297/E/22008-22113     /IMSDK       -BaseManager.0                                              /Login failed, code 6206|msg userSig expired";
    let h = Record::parse(j).header.expect("header");
    assert_eq!(h.tag, b"IMSDK");
    assert_eq!((h.file, h.line, h.func), (&b"BaseManager"[..], 0, &b""[..]));
    assert_eq!(h.message, b"Login failed, code 6206|msg userSig expired");
    assert_eq!(Record::parse(j).level, Some(Level::Error));
}

#[test]
fn damaged_lines_keep_their_level_only() {
    for l in [
        &b"TIM: 2020-01-21 09:55:35.297/W/22008-22113     /IMSDK       BaseManager.0   /x"[..],
        b"TIM: 2020-01-21 09:55:35.297/W/22008-22113     /IMSDK       -BaseManager   /x",
        b"TIM: 2020-01-21 09:55:35.297/W/22008-22113     /IMSDK       -BaseManager.0   no slash",
    ] {
        let r = Record::parse(l);
        assert_eq!((r.level, r.header), (Some(Level::Warn), None), "{l:?}");
    }
    assert_eq!(Record::parse(b"TIM: ======  Ver: 4.6.1").level, None);
}
