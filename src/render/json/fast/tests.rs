use super::*;
use crate::record::Records;
use crate::render::json::JsonRenderer;

fn renderer(file: &str) -> JsonRenderer {
    let mut lit = Vec::new();
    crate::render::json::text::write_str(&mut lit, file).expect("vec");
    JsonRenderer {
        heads: Heads::new(&lit),
        file: lit.into_boxed_slice(),
    }
}

/// Renders `bytes` both ways: by this path (with `memo`) and by the
/// general one (with a fresh memo of dates). Returns whether this path
/// took the record; when it does not, it leaves `out` as it was.
fn both_ways(r: &JsonRenderer, bytes: &[u8], memo: &mut Memo) -> bool {
    let (mut got, mut want) = (b"x".to_vec(), b"x".to_vec());
    let Some(meta) = render_mars(&r.heads, bytes, &mut got, memo) else {
        assert_eq!(got, b"x", "{}", String::from_utf8_lossy(bytes));
        return false;
    };
    let general = r.render_with(bytes, &mut want, &mut DateMemo::default());
    assert_eq!(
        String::from_utf8_lossy(&got),
        String::from_utf8_lossy(&want),
        "{}",
        String::from_utf8_lossy(bytes)
    );
    assert_eq!(got, want);
    assert_eq!(Some(meta), general);
    true
}

#[test]
fn corpus_records_are_written_as_the_general_path_writes_them() {
    // A name whose heads are copied at once, and one too long for that.
    let long = format!("{}/file.xlog", "a directory".repeat(12));
    for name in ["corpus/file \"1\".xlog", &long] {
        let r = renderer(name);
        assert_eq!(
            matches!(r.heads, Heads::Pieces(_)),
            name.len() < 100,
            "{name}"
        );
        let mut memo = Memo::default();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/text");
        let (mut taken, mut all) = (0, 0);
        for entry in std::fs::read_dir(dir).expect("corpus text") {
            let text = std::fs::read(entry.expect("entry").path()).expect("readable");
            for rec in Records::new(&text) {
                all += 1;
                taken += usize::from(both_ways(&r, rec.bytes, &mut memo));
            }
        }
        assert!(taken > 5000, "{taken} of {all}");
    }
}

/// Headers of both layouts with the numbers, times, offsets and fields
/// this path copies as written, and every one-byte damage of them: what
/// it takes, it writes as the general path does; the rest it leaves.
#[test]
fn damaged_and_unusual_headers_are_written_as_the_general_path_writes_them() {
    let bases: [&[u8]; 10] = [
        b"[E][2024-02-29 +8.0 23:59:59.999][-12, 34*][t g][a.cc:10, f(x)][m\nmore\n",
        b"[I][2024-01-31 -2.5 10:00:00.000][1, 2][][a.cc, f, 7][m",
        b"[D][2024-01-31 +8.0 10:00:00.000][007, 0][tag][a.cc:0010, f][\"q\" \\ \t\n",
        b"[W][12024-01-31 +5.8 10:00:00.000][0, -0][t][a.cc:1, f][m\n",
        b"[V][2024-1-3 0 10:00:00.000][123456789012345678, 5][t][a.cc:999999999, f][m",
        "[F][2024-01-31 +80 10:00:00.000][1, 2][标签][源文件.cc:3, 函数][消息 😀\n".as_bytes(),
        b"[I][2024-01-31 +8.0 10:00:00.000][1, 2][a tag longer than thirty-two bytes!][f.cc:3, fn][m\n",
        b"[I][2024-01-31 +8.0 10:00:00.000][1, 2][t][f.cc:3, -[V2TIMManager sendMessage:toUser:]][m\n",
        b"[I][2024-01-31 +8.0 10:00:00.000][1, 2][t\xff][f.cc:3, fn][m\xfe\n",
        b"[I][2024-01-31 +8.0 10:00:00.000][1, 2][t][f.cc:3, fn][\x01\x1f\x7f\n",
    ];
    let r = renderer("f.xlog");
    let (mut taken, mut left) = (0, 0);
    for base in bases {
        let mut warm = Memo::default();
        let took = both_ways(&r, base, &mut warm);
        taken += usize::from(took);
        for i in 0..base.len() {
            for b in [
                b'0', b'1', b'9', b'-', b'+', b' ', b']', b'[', b',', b':', b'*', b'x', b'\n',
                b'.', b'"', b'\\', 0x80, b'T',
            ] {
                let mut bad = base.to_vec();
                bad[i] = b;
                for memo in [&mut warm, &mut Memo::default()] {
                    if both_ways(&r, &bad, memo) {
                        taken += 1;
                    } else {
                        left += 1;
                    }
                    // The intact line again, with what the damage left in the memo.
                    assert_eq!(both_ways(&r, base, memo), took);
                }
            }
        }
    }
    assert!(taken > 1000 && left > 1000, "{taken} taken, {left} left");
}
