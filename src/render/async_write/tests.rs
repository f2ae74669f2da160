use super::*;
use std::sync::mpsc::{Sender, channel};

/// Keeps what is written; fails a write that would pass byte `fail_at`.
#[derive(Debug)]
struct Probe {
    data: Arc<Mutex<Vec<u8>>>,
    fail_at: usize,
    kind: io::ErrorKind,
}

impl Write for Probe {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        let mut d = self.data.lock().unwrap();
        if d.len() + b.len() > self.fail_at {
            return Err(io::Error::new(self.kind, "probe failed"));
        }
        d.extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn probe(fail_at: usize, kind: io::ErrorKind) -> (Probe, Arc<Mutex<Vec<u8>>>) {
    let data = Arc::new(Mutex::new(Vec::new()));
    let p = Probe {
        data: Arc::clone(&data),
        fail_at,
        kind,
    };
    (p, data)
}

#[test]
fn many_small_writes_arrive_in_order() {
    let (p, data) = probe(usize::MAX, io::ErrorKind::Other);
    let mut w = AsyncWriter::new(p).map_err(|(_, e)| e).unwrap();
    let mut want = Vec::new();
    for i in 0..400_000u32 {
        let line = format!("{i}\n");
        w.write_all(line.as_bytes()).unwrap();
        want.extend_from_slice(line.as_bytes());
    }
    // A write larger than a buffer is split, still in order.
    let big: Vec<u8> = (0..3 * BUF_SIZE + 17).map(|i| i as u8).collect();
    w.write_all(&big).unwrap();
    want.extend_from_slice(&big);
    w.finish().unwrap();
    assert_eq!(*data.lock().unwrap(), want);
}

#[test]
fn shared_bytes_arrive_in_order_between_copied_ones() {
    let (p, data) = probe(usize::MAX, io::ErrorKind::Other);
    let mut w = AsyncWriter::new(p).map_err(|(_, e)| e).unwrap();
    let shared: Vec<Arc<Vec<u8>>> = (0..7u8)
        .map(|k| Arc::new((0..3 * SHARE_MIN).map(|i| k ^ i as u8).collect()))
        .collect();
    let mut want = Vec::new();
    let mut x = 12345u32;
    for i in 0..3000usize {
        x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        let r = (x >> 8) as usize;
        if i % 3 == 0 {
            let line = format!("{i}\n");
            w.write_all(line.as_bytes()).unwrap();
            want.extend_from_slice(line.as_bytes());
        } else {
            // Below and above SHARE_MIN: copied and kept.
            let b = &shared[r % shared.len()];
            let start = r % SHARE_MIN;
            let end = start + (r >> 4) % (2 * SHARE_MIN);
            w.write_shared(b, start..end).unwrap();
            want.extend_from_slice(&b[start..end]);
        }
    }
    assert!(w.write_shared(&shared[0], 0..4 * SHARE_MIN).is_err());
    assert_eq!(w.accepted(), want.len() as u64);
    w.flush().unwrap();
    assert_eq!(*data.lock().unwrap(), want);
    w.write_shared(&shared[1], 0..2 * SHARE_MIN).unwrap();
    want.extend_from_slice(&shared[1][..2 * SHARE_MIN]);
    w.finish().unwrap();
    assert_eq!(*data.lock().unwrap(), want);
    // Written, the buffers are let go of.
    assert!(shared.iter().all(|b| Arc::strong_count(b) == 1));
}

#[test]
fn flush_waits_until_the_bytes_are_written() {
    let (p, data) = probe(usize::MAX, io::ErrorKind::Other);
    let mut w = AsyncWriter::new(p).map_err(|(_, e)| e).unwrap();
    w.write_all(b"abc").unwrap();
    w.flush().unwrap();
    assert_eq!(*data.lock().unwrap(), b"abc");
    drop(w);
}

/// Blocks every write until it is let through.
struct Gate {
    go: Receiver<()>,
    written: Sender<usize>,
}

impl Write for Gate {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.go.recv().map_err(|_| io::Error::other("closed"))?;
        self.written.send(b.len()).unwrap();
        Ok(b.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_stalled_output_holds_at_most_the_fixed_buffers() {
    let (go, go_rx) = channel();
    let (written_tx, written) = channel();
    let gate = Gate {
        go: go_rx,
        written: written_tx,
    };
    let (done_tx, done) = channel();
    let t = std::thread::spawn(move || {
        let mut w = AsyncWriter::new(gate).map_err(|(_, e)| e).unwrap();
        let chunk = vec![b'x'; BUF_SIZE];
        for _ in 0..10 {
            w.write_all(&chunk).unwrap();
            done_tx.send(()).unwrap();
        }
        w.finish().unwrap();
    });
    // With the output stalled, the writer fills the other buffers,
    // then waits: one is being written, two are queued, and the fourth
    // write is held until a buffer comes back.
    std::thread::sleep(std::time::Duration::from_millis(200));
    let ahead = done.try_iter().count();
    assert_eq!(
        ahead,
        BUFFERS - 1,
        "writes accepted while nothing was written"
    );
    for _ in 0..10 {
        go.send(()).unwrap();
        assert_eq!(written.recv().unwrap(), BUF_SIZE);
    }
    t.join().unwrap();
}

#[test]
fn a_write_error_on_the_thread_reaches_the_writer_and_stops_it() {
    let (p, data) = probe(3 * BUF_SIZE / 2, io::ErrorKind::BrokenPipe);
    let mut w = AsyncWriter::new(p).map_err(|(_, e)| e).unwrap();
    let chunk = vec![b'y'; 4096];
    let mut accepted = 0usize;
    let err = loop {
        match w.write(&chunk) {
            Ok(n) => accepted += n,
            Err(e) => break e,
        }
        assert!(accepted < 64 * BUF_SIZE, "the error never surfaced");
    };
    assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
    assert_eq!(err.to_string(), "probe failed");
    // Only the first buffer was written, and the error stays.
    assert_eq!(data.lock().unwrap().len(), BUF_SIZE);
    assert_eq!(w.flush().unwrap_err().kind(), io::ErrorKind::BrokenPipe);
    assert_eq!(w.finish().unwrap_err().to_string(), "probe failed");
}

#[test]
fn an_os_error_keeps_its_code_and_text() {
    let e = io::Error::from_raw_os_error(28);
    let c = copy_error(&e);
    assert_eq!(c.raw_os_error(), Some(28));
    assert_eq!(c.to_string(), e.to_string());
    assert_eq!(c.kind(), e.kind());
}
