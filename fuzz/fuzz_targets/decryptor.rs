//! The decryptor: TEA over arbitrary payloads, ECDH over arbitrary key
//! fields, and whole encrypted blocks (0x07, 0x0C) with arbitrary key
//! fields and payloads decoded under the test key. No panic; a key field
//! that is not a curve point locks the block instead.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xlogdec::decode::codec::{PrivateKey, tea};
use xlogdec::decode::reader::{Options, decode_to_vec};

/// The corpus test key (testdata/corpus/keys.md).
const TEST_KEY: &str = "9f730faaf15961d6f44e63977f81c7505d54c83480f0c7f7e1b5fbbd661e7fc7";

fuzz_target!(|data: &[u8]| {
    if data.len() < 65 {
        return;
    }
    let key = PrivateKey::from_hex(TEST_KEY).expect("the test key is valid");
    let (field, payload) = data.split_at(64);
    let _ = key.tea_key(field);
    let mut buf = payload.to_vec();
    let words = [0x0123_4567, 0x89AB_CDEF, 0xFEDC_BA98, 0x7654_3210];
    tea::decrypt(&mut buf, &words);
    assert_eq!(buf.len(), payload.len());
    for magic in [0x07u8, 0x0C] {
        let mut block = vec![magic, 1, 0, 10, 10];
        block.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        block.extend_from_slice(field);
        block.extend_from_slice(payload);
        block.push(0);
        for recover in [false, true] {
            let opts = Options {
                key: Some(key.clone()),
                recover,
                ..Options::default()
            };
            let _ = decode_to_vec(&block, opts);
        }
    }
});
