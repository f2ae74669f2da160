//! The Mars line parser over arbitrary text: no panic, and the streaming
//! splitter cuts any chunking of a text into the same records as the
//! whole-text iterator.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xlogdec::record::{Record, RecordSplitter, Records};

fuzz_target!(|data: &[u8]| {
    let Some((&step, text)) = data.split_first() else {
        return;
    };
    let whole: Vec<Vec<u8>> = Records::new(text).map(|r| r.bytes.to_vec()).collect();
    assert_eq!(whole.concat(), text);
    for r in Records::new(text) {
        let again = Record::parse(r.bytes);
        assert_eq!(again, r);
        if let Some(h) = r.header {
            let _ = h.timestamp.utc_millis();
            let _ = h.timestamp.datetime();
            assert!(r.level.is_some());
        }
    }
    let mut split = RecordSplitter::new();
    let mut got: Vec<Vec<u8>> = Vec::new();
    let step = usize::from(step).max(1);
    for chunk in text.chunks(step) {
        split
            .push(chunk, |r| {
                got.push(r.bytes.to_vec());
                Ok::<(), ()>(())
            })
            .expect("the callback does not fail");
    }
    split
        .finish(|r| {
            got.push(r.bytes.to_vec());
            Ok::<(), ()>(())
        })
        .expect("the callback does not fail");
    assert_eq!(got, whole);
});
