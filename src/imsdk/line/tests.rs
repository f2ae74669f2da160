use super::*;

fn of(s: &str) -> Line<'_> {
    classify(&Record::parse(s.as_bytes()))
}

fn im_line(s: &str) -> ImLine<'_> {
    match of(s) {
        Line::Im(l) => l,
        other => panic!("{s}: {other:?}"),
    }
}

#[test]
fn modern_lines() {
    let l = im_line(
        "TIM: 2024-03-12 09:55:35.882 I 16633-16789     |-login.cpp:780                           LogRequestEnd                           |Login success|task_id:1|error_code:0 error_message:OK\n",
    );
    assert_eq!(l.function, b"LogRequestEnd");
    assert_eq!(l.pid, 16633);
    assert!(l.message.starts_with(b"Login success|"));
    assert_eq!(l.time.to_string(), "2024-03-12 09:55:35.882");
    let j = im_line(
        "TIM: 2024-03-12 09:55:35.532 D 16633-16789     |-TIMPush-TIMPushProvider                                                         |onConnectSuccess",
    );
    assert_eq!(j.function, b"");
    assert_eq!(j.message, b"onConnectSuccess");
    let dump = im_line(
        "TIM: 2024-03-12 09:59:35.278 I 1-2     |-message_sender.cpp:1052                 SendMessageComplete                     |error code:0|error message:Success|message:\nmessage_type:c2c\n",
    );
    assert_eq!(dump.message, b"error code:0|error message:Success|message:");
}

#[test]
fn v4_lines() {
    let l = im_line(
        "TIM: 2020-01-21 09:55:35.295/I/22008-22113     /Common      -imcore_manager.cpp.947  OnUserSigExpired                   /userSig expired|loginStatus:logining",
    );
    assert_eq!(l.function, b"OnUserSigExpired");
    assert_eq!(l.message, b"userSig expired|loginStatus:logining");
    let j = im_line(
        "TIM: 2020-01-21 09:55:35.297/I/22008-22113     /IMSDK       -BaseManager.0                                              /Login failed, code 6206|msg userSig expired",
    );
    assert_eq!(j.function, b"");
    assert_eq!(j.message, b"Login failed, code 6206|msg userSig expired");
}

/// The engine takes a line read ahead on another thread as if it read
/// it itself: the read gives back the same line, code and rule.
#[test]
fn a_line_read_ahead_is_the_line_classified() {
    let rules = RuleSet::builtin();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/imsdk");
    let mut ims = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if !path.to_string_lossy().ends_with(".expected.log") {
            continue;
        }
        let text = std::fs::read(&path).unwrap();
        for line in text.split_inclusive(|&b| b == b'\n') {
            let read = read(&rules, line);
            assert_eq!(read.tim, line.starts_with(b"TIM: "));
            let want = match line.first() {
                Some(b'^' | b'0'..=b'9') => classify(&Record::parse(line)),
                Some(b'T') if read.tim => classify(&Record::parse(line)),
                _ => {
                    assert_eq!(read.shape, Shape::Skipped);
                    continue;
                }
            };
            assert_eq!(read.line(line), want, "{}", String::from_utf8_lossy(line));
            assert_eq!(read.first_line(line), super::fields::first_line(line));
            if let (Line::Im(im), Shape::Im { known, .. }) = (want, read.shape) {
                ims += 1;
                let Known { code, rule, .. } = known;
                assert_eq!(code, rules.read_code(im.message));
                let r = rules.find(im.function, super::fields::head(im.message), code);
                assert_eq!(rule, r.map(|r| (r.event, r.confidence)));
            }
        }
    }
    assert!(ims > 1000, "the IM SDK days hold IM SDK lines: {ims}");
}

#[test]
fn banners_and_headers() {
    assert_eq!(
        of("TIM: ======  SDK Version: 8.1.6108\n"),
        Line::Meta(MetaLine::Banner {
            key: b"SDK Version",
            value: b"8.1.6108"
        })
    );
    assert_eq!(
        of("TIM: ======  Ver: 4.6.51"),
        Line::Meta(MetaLine::Banner {
            key: b"Ver",
            value: b"4.6.51"
        })
    );
    let Line::Meta(MetaLine::Start(h)) =
        of("^^^^^^^^^^Dec 10 2021^^^15:15:13^^^^^^^^^^[16633,16633][2024-03-12 +0800 09:55:35]\n")
    else {
        panic!()
    };
    assert_eq!(h.pid, Some(16633));
    assert_eq!(h.offset_minutes, Some(480));
    assert_eq!(h.local.to_string(), "2024-03-12 09:55:35");
    assert_eq!(
        of("[I][2024-03-12 +8.0 06:55:58.319][4242, 4243][x][y.cc:1, z][body"),
        Line::Other
    );
    assert_eq!(of("TIM: garbage"), Line::Other);
}
