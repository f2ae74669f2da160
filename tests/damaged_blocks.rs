//! Damaged blocks against the right key, a wrong key and no key: a block
//! that decrypts under a key fitting its writer and then fails is damage
//! (`decompress err`, as the official decoder says), never a wrong key; a
//! false encrypted header inside an unencrypted file says nothing of keys.

mod common;

use common::corpus;
use std::process::Command;

use xlogdec::decode::codec::{Codec, Inflater, PrivateKey, ZstdDecoder, tea};
use xlogdec::decode::event::{Collect, Event, LockReason, OwnedEvent};
use xlogdec::decode::format::{self, Check, Payload};
use xlogdec::decode::reader::{Decoder, Options, decode_to_vec};

/// The corpus's private key (testdata/corpus/keys.md).
const TEST_KEY: &str = "9f730faaf15961d6f44e63977f81c7505d54c83480f0c7f7e1b5fbbd661e7fc7";
/// A valid private key that fits no corpus file.
const OTHER_KEY: &str = "1111111111111111111111111111111111111111111111111111111111111111";

fn key(hex: &str) -> Option<PrivateKey> {
    Some(PrivateKey::from_hex(hex).unwrap())
}

fn events(data: &[u8], key: Option<PrivateKey>, jobs: usize) -> Vec<OwnedEvent> {
    let mut c = Collect::default();
    let opts = Options {
        key,
        ..Options::default()
    };
    let mut d = Decoder::new(opts);
    d.set_jobs(jobs);
    d.decode_slice(data, &mut c).unwrap();
    c.events
}

/// A block of a corpus file: offset, payload range, TEA key.
struct Block {
    offset: u64,
    payload: std::ops::Range<usize>,
    kind: Payload,
    tea: [u32; 4],
}

fn blocks(data: &[u8]) -> Vec<Block> {
    let k = key(TEST_KEY).unwrap();
    let mut out = Vec::new();
    let mut at = 0u64;
    while (at as usize) < data.len() {
        let Check::Good { next } = format::check_block(data, 0, at, true) else {
            panic!("a genuine file has good blocks only");
        };
        let h = format::parse_header(&data[at as usize..]).unwrap();
        let start = at as usize + h.magic.header_len();
        out.push(Block {
            offset: at,
            payload: start..next as usize - 1,
            kind: h.magic.payload,
            tea: k.tea_key(h.key).unwrap(),
        });
        at = next;
    }
    out
}

/// What the official decoder says of a block's payload: its codec's error
/// text, or `None` when it decodes.
fn official_error(b: &Block, data: &[u8]) -> Option<String> {
    let mut p = data[b.payload.clone()].to_vec();
    tea::decrypt(&mut p, &b.tea);
    let mut out = Vec::new();
    match b.kind {
        Payload::EncryptedDeflate => Inflater::new().decode(&p, &mut out).err(),
        Payload::EncryptedZstd => ZstdDecoder::new().decode(&p, &mut out).err(),
        k => panic!("{k:?} is not encrypted"),
    }
}

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n
    }
}

#[test]
fn flipped_encrypted_blocks_are_damage_under_the_right_key_and_locked_under_a_wrong_one() {
    for (name, seed) in [
        ("e_async_zlib_crypt.xlog", 11),
        ("g_async_zstd_crypt.xlog", 12),
    ] {
        let clean = std::fs::read(corpus(name)).unwrap();
        let bl = blocks(&clean);
        let mut rng = Rng(seed);
        // Flips in the first unit of the first block (which shows nothing
        // of the key: only the writer's other blocks do), in the first
        // block anywhere, and anywhere.
        let mut flips: Vec<(usize, usize)> = (0..6).map(|i| (0, i * 11 + 3)).collect();
        flips.extend((0..6).map(|_| (0, rng.below(bl[0].payload.len() * 8))));
        flips.extend((0..16).map(|_| {
            let i = rng.below(bl.len());
            (i, rng.below(bl[i].payload.len() * 8))
        }));
        let mut damage = 0;
        for &(i, bit) in &flips {
            let mut data = clean.clone();
            data[bl[i].payload.start + bit / 8] ^= 1 << (bit % 8);
            let want = official_error(&bl[i], &data);
            let offset = bl[i].offset;
            let runs = [
                events(&data, key(TEST_KEY), 1),
                events(&data, key(TEST_KEY), 3),
            ];
            assert!(
                runs[0] == runs[1],
                "{name} block {i} bit {bit}: jobs change the events"
            );
            let mut errors = Vec::new();
            for e in &runs[0] {
                match e {
                    OwnedEvent::Other(Event::Locked { reason, .. }) => {
                        panic!(
                            "{name} block {i} bit {bit}: locked ({reason:?}) under the right key"
                        )
                    }
                    OwnedEvent::Other(Event::DecompressError { block, message }) => {
                        errors.push((block.offset, message.clone()))
                    }
                    _ => {}
                }
            }
            let expected: Vec<(u64, String)> = want.into_iter().map(|m| (offset, m)).collect();
            assert_eq!(errors, expected, "{name} block {i} bit {bit}");
            damage += errors.len();
            // The text printer says it as the official decoder does.
            if let Some((_, m)) = expected.first() {
                let text = decode_to_vec(
                    &data,
                    Options {
                        key: key(TEST_KEY),
                        ..Options::default()
                    },
                );
                let line = format!("[F]decode_log_file.py decompress err, {m}\n");
                assert!(
                    text.windows(line.len()).any(|w| w == line.as_bytes()),
                    "{name}: {line}"
                );
                assert!(!text.windows(9).any(|w| w == b"wrong pri"), "{name}");
            }
            // A key that fits no block of the writer stays a wrong key.
            let wrong = events(&data, key(OTHER_KEY), 1);
            let locked = wrong
                .iter()
                .filter(|e| {
                    matches!(
                        e,
                        OwnedEvent::Other(Event::Locked {
                            reason: LockReason::WrongKey,
                            ..
                        })
                    )
                })
                .count();
            assert_eq!(locked, bl.len(), "{name} block {i} bit {bit}: wrong key");
            assert!(
                !wrong.iter().any(|e| matches!(e, OwnedEvent::Text(_))),
                "{name}"
            );
        }
        assert!(
            damage >= 15,
            "{name}: the flips must hit the codec ({damage} errors)"
        );
    }
}

/// An async zlib file of `blocks` blocks of a few lines each.
fn plain_file(blocks: usize) -> Vec<u8> {
    use xlogdec::decode::writer::{WriterOptions, XlogWriter};
    let mut w = XlogWriter::new(Vec::new(), WriterOptions::default()).unwrap();
    for b in 0..blocks {
        for l in 0..3 {
            let line = format!(
                "[I][2024-01-31 +8.0 10:00:0{b}.000][1, 2*][t][a.cc:1, f][block {b} line {l}\n"
            );
            w.write_line(line.as_bytes()).unwrap();
        }
        w.flush_block().unwrap();
    }
    w.finish().unwrap()
}

/// A block header of `magic` with a payload of `len` bytes (key field all
/// 0x11, not a curve point).
fn header(magic: u8, seq: u16, len: u32) -> Vec<u8> {
    let mut h = vec![magic];
    h.extend_from_slice(&seq.to_le_bytes());
    h.extend_from_slice(&[10, 10]);
    h.extend_from_slice(&len.to_le_bytes());
    h.extend_from_slice(&[0x11; 64]);
    h
}

#[test]
fn a_false_encrypted_header_after_damage_says_nothing_of_keys() {
    // An unencrypted file, bad bytes, then what looks like a 0x07 block
    // inside other data, then more bad bytes. The official decoder for
    // unencrypted files copies the false block's payload as it is.
    let mut data = plain_file(2);
    data.extend_from_slice(&[0x42; 10]);
    let false_at = data.len() as u64;
    data.extend_from_slice(&header(0x07, 3, 5));
    data.extend_from_slice(b"\x01\x02abc\x00");
    data.extend_from_slice(&[0x42; 3]);
    for k in [None, key(TEST_KEY)] {
        for jobs in [1, 3] {
            let ev = events(&data, k.clone(), jobs);
            assert!(
                !ev.iter()
                    .any(|e| matches!(e, OwnedEvent::Other(Event::Locked { .. }))),
                "{ev:?}"
            );
            let i = ev
                .iter()
                .position(|e| matches!(e, OwnedEvent::Block(b) if b.offset == false_at))
                .expect("the false block is walked");
            assert_eq!(ev[i + 1], OwnedEvent::Text(b"\x01\x02abc".to_vec()));
        }
        let text = decode_to_vec(
            &data,
            Options {
                key: k,
                ..Options::default()
            },
        );
        let text = String::from_utf8_lossy(&text);
        assert!(
            text.contains("decode error len=10, result:_buffer["),
            "{text}"
        );
        assert!(!text.contains("encrypted"), "{text}");
        // Then the official decoder finds no block in the last bad bytes
        // and stops silently.
        assert!(text.ends_with("\x01\x02abc"), "{text}");
    }
    // The same header followed by a good block is a real one: no key, a
    // locked block.
    let mut real = plain_file(2);
    real.extend_from_slice(&[0x42; 10]);
    real.extend_from_slice(&header(0x07, 3, 5));
    real.extend_from_slice(b"\x01\x02abc\x00");
    real.extend_from_slice(&plain_file(1));
    let ev = events(&real, None, 1);
    assert!(ev.iter().any(|e| matches!(
        e,
        OwnedEvent::Other(Event::Locked {
            reason: LockReason::NoKey,
            ..
        })
    )));
    // A genuine encrypted block in the same place, which the key given
    // decrypts as its writer's, is decoded, not copied.
    let crypt = std::fs::read(corpus("e_async_zlib_crypt.xlog")).unwrap();
    let b = &blocks(&crypt)[1];
    let block = &crypt[b.offset as usize..b.payload.end + 1];
    let mut data = plain_file(2);
    data.extend_from_slice(&[0x42; 10]);
    data.extend_from_slice(block);
    data.extend_from_slice(&[0x42; 3]);
    let mut want = Vec::new();
    let mut p = crypt[b.payload.clone()].to_vec();
    tea::decrypt(&mut p, &b.tea);
    Inflater::new().decode(&p, &mut want).unwrap();
    let ev = events(&data, key(TEST_KEY), 1);
    assert!(ev.contains(&OwnedEvent::Text(want)), "decoded");
    // Without a key, such a lone block cannot be told from a false one:
    // it is copied as the official decoder for unencrypted files does.
    let ev = events(&data, None, 1);
    let locked = |e: &OwnedEvent| matches!(e, OwnedEvent::Other(Event::Locked { .. }));
    assert!(!ev.iter().any(locked));
    assert!(ev.contains(&OwnedEvent::Text(crypt[b.payload.clone()].to_vec())));
}

#[test]
fn a_cut_unencrypted_file_gives_no_key_warning() {
    // b_async_zlib cut at 42198: the official rescan lands on a false
    // 0x0C header (empty payload) inside the cut-off block's data.
    let data = std::fs::read(corpus("b_async_zlib.xlog")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.xlog");
    std::fs::write(&path, &data[..42198]).unwrap();
    let ev = events(&data[..42198], None, 1);
    assert!(
        ev.iter()
            .any(|e| matches!(e, OwnedEvent::Block(b) if b.magic.is_encrypted())),
        "the cut lands on a false encrypted header"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_xlogdec"))
        .arg(&path)
        .env_remove("XLOGDEC_PRIVATE_KEY")
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(
        !stdout.contains("encrypted") && !stdout.contains("private key"),
        "{stdout}"
    );
    assert!(!stderr.contains("key"), "{stderr}");
    // The official lines are all there.
    assert!(stdout.contains("[F]decode_log_file.py decode error len=5672, result:log length:8908, end pos 45414 > len(buffer):42198 \n"));
    assert!(stdout.contains("[F]decode_log_file.py log seq:11-19755 is missing\n"));
}

#[test]
fn a_lone_one_line_block_damaged_after_its_first_text_is_damage() {
    use xlogdec::decode::writer::{WriterOptions, XlogWriter};
    // One writer, one block, one line: its only sync flush lies in the
    // plain tail (length % 8 >= 3), so the payload shows nothing of the
    // key and there is no other block. The text decoded before the
    // damage does.
    let server = PrivateKey::from_seed(9);
    let opts = WriterOptions {
        public_key: Some(server.public_key_bytes()),
        ..WriterOptions::default()
    };
    let (data, b) = (0..64)
        .find_map(|pad| {
            let line = format!(
                "[I][2024-01-31 +8.0 10:00:00.000][1, 2*][imsdk][a.cc:1, f][login ok{}\n",
                " tinyid=42".repeat(3) + &"x".repeat(pad)
            );
            let mut w = XlogWriter::new(Vec::new(), opts.clone()).unwrap();
            w.write_line(line.as_bytes()).unwrap();
            w.flush_block().unwrap();
            let data = w.finish().unwrap();
            let len = u32::from_le_bytes(data[5..9].try_into().unwrap()) as usize;
            (len % 8 >= 3).then(|| (data, 73..73 + len))
        })
        .expect("some padding gives such a length");
    let tea = server.tea_key(&data[9..73]).unwrap();
    let enc = b.len() / 8 * 8;
    // The first flip in the last encrypted unit that the codec refuses.
    let (flipped, message) = (0..64)
        .find_map(|bit| {
            let mut d = data.clone();
            d[b.start + enc - 8 + bit / 8] ^= 1 << (bit % 8);
            let mut p = d[b.clone()].to_vec();
            tea::decrypt(&mut p, &tea);
            let mut out = Vec::new();
            let err = Inflater::new().decode(&p, &mut out).err()?;
            Some((d, err))
        })
        .expect("a flip the codec refuses");
    for jobs in [1, 3] {
        let ev = events(&flipped, Some(server.clone()), jobs);
        assert!(
            ev.iter().any(|e| matches!(
                e,
                OwnedEvent::Other(Event::DecompressError { message: m, .. }) if *m == message
            )),
            "{ev:?}"
        );
        assert!(
            !ev.iter()
                .any(|e| matches!(e, OwnedEvent::Other(Event::Locked { .. })))
        );
    }
    let wrong = events(&flipped, key(TEST_KEY), 1);
    assert!(wrong.iter().any(|e| matches!(
        e,
        OwnedEvent::Other(Event::Locked {
            reason: LockReason::WrongKey,
            ..
        })
    )));
}
