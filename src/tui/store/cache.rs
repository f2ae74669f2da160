//! Reading rows' text back: the opened files and a clock cache of decoded
//! blocks, bounded in bytes.

use super::*;

/// One opened file, as far as reading its text back goes.
#[derive(Debug, Default)]
pub(super) struct Source {
    pub(super) path: PathBuf,
    pub(super) plain: bool,
    pub(super) pieces: Vec<Piece>,
    pub(super) file: Option<File>,
}

/// A piece read: its file, its first byte's decoded offset, its text.
pub(super) type LastPiece = (u16, u64, Arc<Vec<u8>>);

/// A cached piece's text, and whether it was used since it last came up
/// for eviction.
pub(super) type Cached = (Arc<Vec<u8>>, bool);

/// Decoded pieces kept for reuse. Eviction goes round in insertion order
/// and spares a piece used since its last turn (the "clock" scheme): O(1)
/// per piece, and the rows on screen stay while a search sweeps the file.
#[derive(Debug, Default)]
pub(super) struct Cache {
    /// (file, piece) to the piece's text.
    pub(super) map: HashMap<(u16, u64), Cached>,
    /// Keys in eviction order.
    pub(super) ring: VecDeque<(u16, u64)>,
    pub(super) bytes: usize,
    /// Pieces decoded (or read) so far: what re-reading costs.
    pub(super) loads: u64,
}

impl Cache {
    pub(super) fn get(&mut self, key: (u16, u64)) -> Option<Arc<Vec<u8>>> {
        let (buf, used) = self.map.get_mut(&key)?;
        *used = true;
        Some(buf.clone())
    }

    pub(super) fn insert(&mut self, key: (u16, u64), buf: Arc<Vec<u8>>, limit: usize) {
        if self.map.contains_key(&key) {
            return;
        }
        // At most two turns round the ring: every spared piece has lost
        // its mark by the second.
        let mut turns = 2 * self.ring.len();
        while self.bytes + buf.len() > limit && turns > 0 {
            turns -= 1;
            let Some(k) = self.ring.pop_front() else {
                break;
            };
            match self.map.get_mut(&k) {
                Some((_, used)) if *used => {
                    *used = false;
                    self.ring.push_back(k);
                }
                Some(_) => {
                    if let Some((b, _)) = self.map.remove(&k) {
                        self.bytes -= b.len();
                    }
                }
                None => {}
            }
        }
        self.loads += 1;
        self.bytes += buf.len();
        self.map.insert(key, (buf, false));
        self.ring.push_back(key);
    }
}

/// Default bound of the cache of decoded text.
pub const CACHE_BYTES: usize = 24 << 20;

/// Input bytes decoded again in one go, at most (a run of blocks).
pub(super) const RUN_BYTES: u64 = 256 << 10;

/// Text files are read back in aligned pieces of this size.
pub(super) const PLAIN_PIECE: u64 = 1 << 20;
