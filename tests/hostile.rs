//! Hostile and damaged inputs: wrong keys, hostile byte patterns, and
//! the regressions the property tests and fuzzers found. Each test says
//! what it guards.

mod common;

use common::corpus;
use xlogdec::decode::codec::PrivateKey;
use xlogdec::decode::event::{Collect, Event, LockReason, OwnedEvent};
use xlogdec::decode::reader::{Decoder, Options, decode_to_vec};
use xlogdec::decode::text::TextSink;

const TEST_KEY: &str = "9f730faaf15961d6f44e63977f81c7505d54c83480f0c7f7e1b5fbbd661e7fc7";
/// A valid private key that is not the one the corpus was written for.
const OTHER_KEY: &str = "1111111111111111111111111111111111111111111111111111111111111111";

fn with_key(key: &str, recover: bool) -> Options {
    Options {
        key: Some(PrivateKey::from_hex(key).unwrap()),
        recover,
        ..Options::default()
    }
}

fn events(data: &[u8], opts: Options) -> Vec<OwnedEvent> {
    let mut c = Collect::default();
    Decoder::new(opts).decode_slice(data, &mut c).unwrap();
    c.events
}

#[test]
fn a_wrong_key_is_said_once_and_no_garbage_is_printed() {
    // Encrypted deflate and encrypted zstd, with and without --recover:
    // every block is locked as "wrong key", nothing decrypted comes out,
    // and the text printer says it in one line.
    for name in ["e_async_zlib_crypt.xlog", "g_async_zstd_crypt.xlog"] {
        let data = std::fs::read(corpus(name)).unwrap();
        for recover in [false, true] {
            let ev = events(&data, with_key(OTHER_KEY, recover));
            let mut locked = 0;
            for e in &ev {
                match e {
                    OwnedEvent::Text(t) => panic!("{name}: text under a wrong key: {t:?}"),
                    OwnedEvent::Other(Event::Locked { reason, .. }) => {
                        assert_eq!(*reason, LockReason::WrongKey, "{name}");
                        locked += 1;
                    }
                    OwnedEvent::Other(Event::DecompressError { .. }) => {
                        panic!("{name}: a wrong key must not read as damage")
                    }
                    _ => {}
                }
            }
            assert_eq!(locked, 21, "{name}");
            let out = decode_to_vec(&data, with_key(OTHER_KEY, recover));
            let text = String::from_utf8(out).unwrap();
            assert_eq!(text.lines().count(), 1, "{name}: {text}");
            assert!(text.contains("wrong private key"), "{text}");
        }
    }
}

#[test]
fn the_right_key_still_reports_damage_as_damage() {
    // j16 has one flipped bit in an encrypted block: with the right key it
    // is a decompress error (and recoverable), not a wrong key.
    let data = std::fs::read(corpus("j16_crypt_flip_payload.xlog")).unwrap();
    let ev = events(&data, with_key(TEST_KEY, true));
    assert!(
        !ev.iter()
            .any(|e| matches!(e, OwnedEvent::Other(Event::Locked { .. })))
    );
    assert!(
        ev.iter()
            .any(|e| matches!(e, OwnedEvent::Other(Event::DecompressError { .. })))
    );
    assert!(
        ev.iter()
            .any(|e| matches!(e, OwnedEvent::Other(Event::Recovered { .. })))
    );
}

#[test]
fn recover_does_not_resync_into_a_cut_last_block() {
    // Found by tests/props.rs: b_async_zlib.xlog cut at byte 7934 ends in
    // the middle of a block, and the official rescan finds a false block
    // inside its payload (garbage text and a "seq:4-26890 is missing"
    // line). By default that stays (it is the official output); with
    // --recover the rescan needs two blocks in a row (the end of the input
    // counts as one) with header hours of 0-23, so the cut block is
    // salvaged instead and the text is a prefix of the whole file's.
    let data = std::fs::read(corpus("b_async_zlib.xlog")).unwrap();
    let cut = &data[..7934];
    let official = decode_to_vec(cut, Options::default());
    assert!(
        String::from_utf8_lossy(&official).contains("seq:4-26890 is missing"),
        "the default keeps the official output"
    );
    let text = |d: &[u8]| {
        let mut s = TextSink::new(Vec::new(), false);
        Decoder::new(with_key(TEST_KEY, true))
            .decode_slice(d, &mut s)
            .unwrap();
        s.into_inner()
    };
    let whole = text(&data);
    let part = text(cut);
    assert!(part.len() > 7000);
    assert!(whole.starts_with(&part));
}

#[test]
fn hostile_patterns_decode_to_nothing_without_error() {
    // Inputs that make every offset a candidate block: all magic bytes,
    // headers claiming 4 GB, headers whose tail byte is wrong. Each must
    // end (the bench in benches/pathological.sh checks that time grows
    // linearly) with no text and no false block.
    let n = 64 * 1024;
    let all_magic = vec![0x09u8; n];
    let mut huge = Vec::new();
    while huge.len() < n {
        huge.extend_from_slice(&[0x0D, 2, 0, 1, 1, 0xF0, 0xFF, 0xFF, 0xFF]);
    }
    let mut bad_tail = Vec::new();
    while bad_tail.len() < n {
        bad_tail.extend_from_slice(&[9, 1, 0, 1, 1, 100, 0, 0, 0]);
        bad_tail.extend_from_slice(&[0u8; 64]);
        bad_tail.extend_from_slice(&[b'A'; 101]);
    }
    for (name, data) in [
        ("all magic", all_magic),
        ("huge lengths", huge),
        ("bad tails", bad_tail),
    ] {
        for recover in [false, true] {
            let opts = Options {
                recover,
                ..Options::default()
            };
            let mut c = Collect::default();
            let s = Decoder::new(opts).decode_slice(&data, &mut c).unwrap();
            assert_eq!(s.bytes_out, 0, "{name}");
            assert!(
                !c.events.iter().any(|e| matches!(e, OwnedEvent::Text(_))),
                "{name}"
            );
        }
    }
}
