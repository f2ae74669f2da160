//! The whole decoder over arbitrary bytes: no panic, no error, and the
//! in-memory and streaming readers (tiny reads) give the same output, with
//! and without --recover.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xlogdec::decode::input::ReadInput;
use xlogdec::decode::reader::{Decoder, Mmap3Mode, Options, decode_to_vec};
use xlogdec::decode::text::TextSink;

fn through_reader(data: &[u8], opts: Options, chunk: usize) -> Vec<u8> {
    let mut out = TextSink::new(Vec::new(), true);
    let mut input = ReadInput::with_chunk(data, chunk);
    Decoder::new(opts)
        .decode(&mut input, &mut out)
        .expect("decoding from memory cannot fail");
    out.into_inner()
}

fuzz_target!(|data: &[u8]| {
    let plain = decode_to_vec(data, Options::default());
    assert_eq!(plain, through_reader(data, Options::default(), 7));
    let rec = Options {
        recover: true,
        ..Options::default()
    };
    let recovered = decode_to_vec(data, rec.clone());
    assert_eq!(recovered, through_reader(data, rec, 4096));
    let mmap3 = Options {
        mmap3: Mmap3Mode::Always,
        ..Options::default()
    };
    let _ = decode_to_vec(data, mmap3);
});
