//! The Mars line parser over arbitrary text: no panic; the streaming
//! splitter cuts any chunking of a text into the same records as the
//! whole-text iterator; and the record filter, which parses only what it
//! needs (a one-pass header scan), passes exactly the records that
//! `Filter::matches` passes on fully parsed records, whichever way its
//! sink takes them.
#![no_main]

use chrono::{FixedOffset, TimeZone};
use libfuzzer_sys::fuzz_target;
use std::io;
use xlogdec::decode::event::{Event, Sink};
use xlogdec::select::filter::{Filter, FilterOptions};
use xlogdec::select::filtered::{FilterSink, RecordSink, Takes};
use xlogdec::decode::summary::Summary;
use xlogdec::record::{Level, Record, RecordSplitter, Records};

/// Collects the passed records' bytes, taking them as `takes` says.
struct Collect {
    takes: Takes,
    out: Vec<u8>,
}

impl RecordSink for Collect {
    fn record(&mut self, rec: &Record<'_>) -> io::Result<()> {
        self.out.extend_from_slice(rec.bytes);
        Ok(())
    }
    fn takes(&self) -> Takes {
        self.takes
    }
    fn record_level(&mut self, _level: Option<Level>, bytes: &[u8]) -> io::Result<()> {
        self.out.extend_from_slice(bytes);
        Ok(())
    }
    fn run(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.out.extend_from_slice(bytes);
        Ok(())
    }
    fn record_rest(&mut self, _level: Option<Level>, bytes: &[u8], _more: bool) -> io::Result<()> {
        self.out.extend_from_slice(bytes);
        Ok(())
    }
}

/// A filter chosen by the bits of `sel`.
fn filter(sel: u8) -> Filter {
    let levels = ["V", "D", "I", "W", "E", "F"];
    let opts = FilterOptions {
        level: Some(levels[usize::from(sel % 6)].to_string()),
        tags: if sel & 0x08 != 0 {
            vec!["t*".to_string()]
        } else {
            vec![]
        },
        pid: (sel & 0x10 != 0).then_some(1),
        main_thread: sel & 0x20 != 0,
        since: (sel & 0x40 != 0).then(|| "2024-01-31 10:00".to_string()),
        regex: (sel & 0x80 != 0).then(|| "a|1".to_string()),
        invert: sel & 0x04 != 0 && sel & 0x80 != 0,
        ..FilterOptions::default()
    };
    let now = FixedOffset::east_opt(8 * 3600)
        .expect("offset")
        .with_ymd_and_hms(2024, 2, 1, 0, 0, 0)
        .single()
        .expect("time");
    Filter::new(&opts, now).expect("valid options")
}

fuzz_target!(|data: &[u8]| {
    let Some((&step, rest)) = data.split_first() else {
        return;
    };
    let Some((&sel, text)) = rest.split_first() else {
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

    let f = filter(sel);
    let want: Vec<u8> = Records::new(text)
        .filter(|r| f.matches(r))
        .flat_map(|r| r.bytes.iter().copied())
        .collect();
    for takes in [Takes::Records, Takes::Levels, Takes::Runs] {
        let mut sink = FilterSink::new(
            Collect {
                takes,
                out: Vec::new(),
            },
            filter(sel),
        );
        for chunk in text.chunks(step) {
            sink.event(&Event::Text(chunk))
                .expect("collecting does not fail");
        }
        sink.finish(&Summary::default())
            .expect("collecting does not fail");
        assert_eq!(sink.into_inner().out, want, "{takes:?}");
    }
});
