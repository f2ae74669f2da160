use super::*;
use flate2::{Compress, Compression, FlushCompress};

/// A raw deflate payload, flushed as Mars flushes, of `n` zero bytes.
fn zeros(n: usize) -> Vec<u8> {
    let mut c = Compress::new(Compression::best(), false);
    let mut out = Vec::with_capacity(n / 500 + 4096);
    c.compress_vec(&vec![0u8; n], &mut out, FlushCompress::Sync)
        .expect("compresses");
    out
}

#[test]
fn a_batch_holds_at_most_its_text_and_hands_longer_blocks_back() {
    let (mut pool, workers) = pool(1, None);
    std::thread::scope(|scope| {
        for w in workers {
            scope.spawn(move || w.run());
        }
        // Small payloads, one batch: 3 + 3 + 3 MiB passes the batch's
        // 8 MiB, and 5 MiB passes what one block decodes to in memory.
        let sizes = [3 << 20, 3 << 20, 3 << 20, 1000, 5 << 20];
        let cap = 64 << 20;
        for &n in &sizes {
            pool.submit(Payload::Deflate, None, &zeros(n), cap)
                .expect("submits");
        }
        let mut got = Vec::new();
        for ticket in 0..sizes.len() as u64 {
            let done = pool
                .take(ticket, true)
                .expect("workers run")
                .expect("waits");
            assert!(done.batch.out.len() <= BATCH_TEXT);
            got.push((done.raw().redo, done.out().len(), done.payload().to_vec()));
            pool.recycle(done);
        }
        pool.close();
        let want = [
            (false, 3 << 20),
            (false, 3 << 20),
            (true, 0),
            (false, 1000),
            (true, 0),
        ];
        for (i, (redo, len, payload)) in got.into_iter().enumerate() {
            assert_eq!((redo, len), want[i], "block {i}");
            assert!(payload == zeros(sizes[i]), "block {i} keeps its payload");
        }
    });
}
