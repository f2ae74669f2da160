//! The block check and header parser over arbitrary bytes: every verdict
//! is consistent with the header, and a window that ends early asks for
//! more instead of guessing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xlogdec::decode::format::{Check, check_block, parse_header};

fuzz_target!(|data: &[u8]| {
    let size = data.len() as u64;
    for at in 0..data.len().min(128) {
        let at64 = at as u64;
        let whole = check_block(data, 0, at64, true);
        match &whole {
            Check::Good { next } => {
                assert!(*next <= size);
                let h = parse_header(&data[at..]).expect("a good block has a header");
                assert_eq!(*next, at64 + h.block_len());
            }
            Check::Bad(reason) => {
                let _ = reason.to_string();
            }
            Check::NeedMore(_) => panic!("a window at end of input cannot need more"),
        }
        // The same bytes seen through a window that may go on: either the
        // same verdict, or a request for bytes past the window.
        for cut in [at + 1, at + 9, at + 75, data.len()] {
            let cut = cut.min(data.len());
            if cut <= at {
                continue;
            }
            match check_block(&data[..cut], 0, at64, false) {
                Check::NeedMore(n) => assert!(n > cut as u64),
                c => assert_eq!(c, whole),
            }
        }
    }
});
