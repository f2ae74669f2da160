//! Property tests over corpus files: a file cut anywhere decodes to a
//! prefix of the whole file's text, and a flipped byte never panics and
//! never costs the text of a block it did not touch.

use proptest::prelude::*;
use std::path::Path;
use std::sync::OnceLock;
use xlogdec::decode::codec::PrivateKey;
use xlogdec::decode::event::{Collect, OwnedEvent};
use xlogdec::decode::reader::{Decoder, Options};
use xlogdec::decode::text::TextSink;

const TEST_KEY: &str = "9f730faaf15961d6f44e63977f81c7505d54c83480f0c7f7e1b5fbbd661e7fc7";

/// One file per payload kind: deflate, zstd, encrypted deflate, plain sync.
const FILES: &[&str] = &[
    "b_async_zlib.xlog",
    "d_async_zstd_l6.xlog",
    "e_async_zlib_crypt.xlog",
    "a2_sync_zlib_tz.xlog",
];

fn load(i: usize) -> &'static [u8] {
    static DATA: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    let all = DATA.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/corpus");
        FILES
            .iter()
            .map(|f| std::fs::read(dir.join(f)).unwrap())
            .collect()
    });
    &all[i]
}

fn opts(recover: bool) -> Options {
    Options {
        key: Some(PrivateKey::from_hex(TEST_KEY).unwrap()),
        recover,
        ..Options::default()
    }
}

/// The text without any in-band marker lines.
fn text(data: &[u8], recover: bool) -> Vec<u8> {
    let mut sink = TextSink::new(Vec::new(), false);
    Decoder::new(opts(recover))
        .decode_slice(data, &mut sink)
        .expect("decoding from memory cannot fail");
    sink.into_inner()
}

/// A block's first byte, the byte after it, and its text.
type Block = (u64, u64, Vec<u8>);

/// The --recover text of a whole clean file (by index in FILES).
fn whole_text(i: usize) -> &'static [u8] {
    static TEXT: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    &TEXT.get_or_init(|| (0..FILES.len()).map(|i| text(load(i), true)).collect())[i]
}

/// Each block of a clean file (by index in FILES): its byte range and its text.
fn blocks(i: usize) -> &'static [Block] {
    static BLOCKS: OnceLock<Vec<Vec<Block>>> = OnceLock::new();
    &BLOCKS.get_or_init(|| (0..FILES.len()).map(|i| blocks_of(load(i))).collect())[i]
}

fn blocks_of(data: &[u8]) -> Vec<Block> {
    let mut c = Collect::default();
    Decoder::new(opts(false))
        .decode_slice(data, &mut c)
        .unwrap();
    let mut out: Vec<Block> = Vec::new();
    for e in c.events {
        match e {
            OwnedEvent::Block(b) => {
                let end = b.offset + b.magic.header_len() as u64 + u64::from(b.len) + 1;
                out.push((b.offset, end, Vec::new()));
            }
            OwnedEvent::Text(t) => out.last_mut().unwrap().2.extend_from_slice(&t),
            OwnedEvent::Other(_) => {}
        }
    }
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn any_prefix_decodes_to_a_prefix_of_the_whole_with_recover(file in 0..FILES.len(), cut in any::<prop::sample::Index>()) {
        let data = load(file);
        let cut = cut.index(data.len() + 1);
        // The official rescan may lock onto a false block inside the cut
        // block's payload and print garbage; that output is kept as it is
        // by default (it must match the official decoder), so only the
        // absence of errors is checked there.
        let _ = text(&data[..cut], false);
        let whole = whole_text(file);
        let part = text(&data[..cut], true);
        prop_assert!(
            whole.starts_with(&part[..]),
            "{} cut at {cut}: {} bytes of text are not a prefix",
            FILES[file],
            part.len()
        );
    }

    #[test]
    fn a_flipped_byte_keeps_every_untouched_block(
        file in 0..FILES.len(),
        at in any::<prop::sample::Index>(),
        xor in 1..=255u8,
    ) {
        let data = load(file);
        let at = at.index(data.len());
        let mut bad = data.to_vec();
        bad[at] ^= xor;
        for recover in [false, true] {
            // No panic, no error, whatever the flip hit.
            let out = text(&bad, recover);
            for (from, to, t) in blocks(file) {
                let touched = *from <= at as u64 && (at as u64) < *to;
                prop_assert!(
                    touched || contains(&out, t),
                    "{}: flip at {at} lost block {from}-{to} (recover {recover})",
                    FILES[file]
                );
            }
        }
    }
}
