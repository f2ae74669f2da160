use super::*;
use crate::record::{Record, Records};

#[test]
fn with_and_without_a_thread_number() {
    let a = b"2019-03-11 18:17:20.970|looper_logic|I|       imcore_manager_task.cpp:223 |Encode               > set offline push|param|config:openPush=1\n";
    let r = Record::parse(a);
    assert_eq!(r.level, Some(Level::Info));
    let h = r.header.expect("header");
    assert_eq!((h.pid, h.tid, h.tag), (0, 0, &b"looper_logic"[..]));
    assert_eq!((h.file, h.line), (&b"imcore_manager_task.cpp"[..], 223));
    assert_eq!(h.func, b"Encode");
    assert_eq!(h.message, b"set offline push|param|config:openPush=1");
    assert_eq!(h.format, LineFormat::ImSdk40);

    let b = b"2019-09-24 17:13:08.135|  2048|looper_logic|E|                cos_helper.cpp:436 |operator()           > FetchToken failed, ... errorCode = 60008";
    let h = Record::parse(b).header.expect("header");
    assert_eq!((h.tid, h.tag), (2048, &b"looper_logic"[..]));
    assert_eq!(
        (h.file, h.line, h.func),
        (&b"cos_helper.cpp"[..], 436, &b"operator()"[..])
    );
    assert_eq!(h.message, b"FetchToken failed, ... errorCode = 60008");
    assert_eq!(Record::parse(b).level, Some(Level::Error));

    // Each line starts a record; a dump line continues it.
    let text = [&a[..], b"  dump line\n", b].concat();
    assert_eq!(Records::new(&text).count(), 2);
    assert!(!starts(b"2019-09-24 17:13:08.135 not a bar"));
    assert!(!starts(b"2019-09-24"));
}
