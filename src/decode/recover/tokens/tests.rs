use super::*;
use flate2::{Compress, Compression, FlushCompress};

/// The symbols, resolved in order, give the text back.
#[test]
fn symbols_resolve_to_the_text() {
    let mut c = Compress::new(Compression::best(), false);
    let mut stream = Vec::with_capacity(1 << 16);
    let mut text = Vec::new();
    for i in 0..300 {
        let l = format!(
            "[I][2024-01-31 +8.0 10:00:{:02}] line {i} {}\n",
            i % 60,
            "x".repeat(i % 40)
        );
        text.extend_from_slice(l.as_bytes());
        c.compress_vec(l.as_bytes(), &mut stream, FlushCompress::Sync)
            .unwrap();
    }
    let mut toks = Vec::new();
    let n = tokens(&stream, 1 << 20, &mut toks).unwrap();
    assert_eq!(n, text.len());
    let mut out: Vec<u8> = Vec::new();
    for t in toks {
        match t {
            Token::Lit(b) => out.push(b),
            Token::Copy { len, dist } => {
                for _ in 0..len {
                    out.push(out[out.len() - usize::from(dist) - 1]);
                }
            }
        }
    }
    assert_eq!(out, text);
}
