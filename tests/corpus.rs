//! Golden tests: files written by the genuine Mars writer, decoded and
//! compared with what Mars's official decoder wrote for them.
//!
//! The rule: byte-identical, except where xlogdec does better on purpose:
//! - a cut-off last block (j01, j02, j14): the official output is a strict
//!   prefix of ours, and ours goes on with the salvaged text;
//! - a `.mmap3` crash buffer (official: nothing): the text the writer later
//!   recovered from it appears in ours;
//! - encrypted blocks the key does not open (j15): one marker line instead
//!   of one `decompress err` line per block.

mod common;

use std::path::{Path, PathBuf};
use xlogdec::decode::codec::PrivateKey;
use xlogdec::decode::reader::{Decoder, Mmap3Mode, Options, decode_to_vec};
use xlogdec::decode::text::TextSink;

/// The test private key of the corpus (testdata/corpus/keys.md).
const TEST_KEY: &str = "9f730faaf15961d6f44e63977f81c7505d54c83480f0c7f7e1b5fbbd661e7fc7";

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/corpus")
}

fn options_for(path: &Path) -> Options {
    Options {
        key: Some(PrivateKey::from_hex(TEST_KEY).unwrap()),
        mmap3: if path.extension().is_some_and(|e| e == "mmap3") {
            Mmap3Mode::Always
        } else {
            Mmap3Mode::Auto
        },
        ..Options::default()
    }
}

fn expected_path(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".expected.log");
    PathBuf::from(p)
}

/// What kind of agreement a corpus file must show.
#[derive(Debug, PartialEq)]
enum Verdict {
    Identical,
    /// Official output is a strict prefix; what follows starts with our
    /// salvage marker.
    PrefixThenSalvage,
    /// The recovered text (`.recovered.log`) appears in our output.
    RecoveredMmap3,
    /// Our output is exactly one wrong-key marker line.
    WrongKeyMarker,
}

fn verdict_for(name: &str) -> Verdict {
    if name.ends_with(".mmap3") && !name.starts_with("imsdk") {
        Verdict::RecoveredMmap3
    } else if name.starts_with("j01_") || name.starts_with("j02_") || name.starts_with("j14_") {
        Verdict::PrefixThenSalvage
    } else if name.starts_with("j15_") {
        Verdict::WrongKeyMarker
    } else {
        Verdict::Identical
    }
}

/// Checks one corpus file; returns a description of the failure, if any.
fn check_file(path: &Path) -> Result<(), String> {
    let data = std::fs::read(path).map_err(|e| e.to_string())?;
    let expected = std::fs::read(expected_path(path)).map_err(|e| e.to_string())?;
    let ours = decode_to_vec(&data, options_for(path));
    let name = path.file_name().unwrap().to_string_lossy().to_string();
    let v = verdict_for(&name);
    let ok = match v {
        Verdict::Identical => ours == expected,
        Verdict::PrefixThenSalvage => {
            ours.len() > expected.len()
                && ours.starts_with(&expected)
                && ours[expected.len()..].starts_with(b"[F]xlogdec: last block at byte ")
        }
        Verdict::RecoveredMmap3 => {
            let mut rec = path.as_os_str().to_owned();
            rec.push(".recovered.log");
            let recovered = std::fs::read(rec).map_err(|e| e.to_string())?;
            expected.is_empty()
                && !recovered.is_empty()
                && ours.windows(recovered.len()).any(|w| w == recovered)
        }
        Verdict::WrongKeyMarker => {
            ours.starts_with(b"[F]xlogdec: ")
                && ours.ends_with(b"wrong private key\n")
                && ours.iter().filter(|&&b| b == b'\n').count() == 1
        }
    };
    if ok {
        Ok(())
    } else {
        let at = ours
            .iter()
            .zip(&expected)
            .position(|(a, b)| a != b)
            .unwrap_or(ours.len().min(expected.len()));
        Err(format!(
            "{name}: {v:?} failed (ours {} bytes, official {} bytes, first difference at {at})",
            ours.len(),
            expected.len()
        ))
    }
}

fn corpus_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "xlog" || e == "mmap3") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn bundled_corpus_matches_the_official_decoder() {
    let files = corpus_files(&corpus_dir());
    assert!(files.len() >= 30, "testdata/corpus is incomplete");
    let failures: Vec<String> = files.iter().filter_map(|p| check_file(p).err()).collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Runs over the full shared corpus when it is present next to the repo.
#[test]
fn shared_corpus_matches_the_official_decoder() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if !dir.is_dir() {
        common::skip_loudly(
            "shared_corpus_matches_the_official_decoder",
            &format!("{} is absent", dir.display()),
        );
        return;
    }
    let files = corpus_files(&dir);
    assert!(files.len() >= 50, "shared corpus looks incomplete");
    let failures: Vec<String> = files.iter().filter_map(|p| check_file(p).err()).collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn without_salvage_the_output_is_the_official_one() {
    for name in [
        "j01_truncated_last_block.xlog",
        "j02_truncated_mid_file_zstd.xlog",
        "j14_crypt_truncated.xlog",
    ] {
        let path = corpus_dir().join(name);
        let data = std::fs::read(&path).unwrap();
        let mut opts = options_for(&path);
        opts.no_salvage = true;
        let expected = std::fs::read(expected_path(&path)).unwrap();
        assert!(decode_to_vec(&data, opts) == expected, "{name}");
    }
}

#[test]
fn encrypted_blocks_without_a_key_become_one_marker_line() {
    let path = corpus_dir().join("e_async_zlib_crypt.xlog");
    let data = std::fs::read(&path).unwrap();
    let out = decode_to_vec(&data, Options::default());
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(
        text.starts_with("[F]xlogdec: 21 encrypted blocks at bytes 0-"),
        "{text}"
    );
    assert!(text.contains("no private key given"), "{text}");
}

#[test]
fn sync_crypt_magics_are_plain_text_and_need_no_key() {
    // 0x0A blocks carry the writer's public key but are not encrypted.
    let path = corpus_dir().join("f2_sync_zstd_crypt.xlog");
    let data = std::fs::read(&path).unwrap();
    let expected = std::fs::read(expected_path(&path)).unwrap();
    assert!(decode_to_vec(&data, Options::default()) == expected);
}

#[test]
fn an_all_zero_crash_buffer_decodes_to_nothing() {
    let data = std::fs::read(corpus_dir().join("h_multiday/imsdk.mmap3")).unwrap();
    assert!(data.iter().all(|&b| b == 0));
    let mut sink = TextSink::new(Vec::new(), true);
    let opts = Options {
        mmap3: Mmap3Mode::Always,
        ..Options::default()
    };
    let summary = Decoder::new(opts).decode_slice(&data, &mut sink).unwrap();
    assert!(sink.into_inner().is_empty());
    assert_eq!(summary.blocks(), 0);
    assert_eq!(summary.bytes_in, 153_600);
}

#[test]
fn summaries_count_what_the_markers_say() {
    let path = corpus_dir().join("l_two_instances/imsdk_20240131.xlog");
    let data = std::fs::read(&path).unwrap();
    let expected = std::fs::read(expected_path(&path)).unwrap();
    let official_gaps = expected
        .split(|&b| b == b'\n')
        .filter(|l| l.starts_with(b"[F]decode_log_file.py log seq:"))
        .count() as u64;
    let mut sink = TextSink::new(Vec::new(), true);
    let s = Decoder::new(Options::default())
        .decode_slice(&data, &mut sink)
        .unwrap();
    assert!(official_gaps > 0);
    assert_eq!(s.gaps, official_gaps);
    assert_eq!(s.blocks_by_magic[0x09], 18);
    assert_eq!(s.bytes_in, data.len() as u64);
    assert!(s.has_problems());
}
