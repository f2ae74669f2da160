//! Which key decodes a block: keys derived once per writer, and whether
//! a key fits a payload it failed on.

use super::*;

impl Decoder {
    /// How to decode a block's payload: plain, locked, or with which key.
    /// Runs in input order (derives and caches keys).
    pub(super) fn prepare(&mut self, info: &BlockInfo, key: &[u8]) -> Prep {
        match info.magic.payload {
            Payload::Plain => Prep::Plain,
            Payload::EncryptedDeflate | Payload::EncryptedZstd => {
                let Some(private) = &self.opts.key else {
                    return Prep::Locked(LockReason::NoKey);
                };
                let mut id = [0u8; 64];
                id.copy_from_slice(&key[..64]);
                let state = *self.keys.entry(id).or_insert_with(|| KeyState {
                    tea: private.tea_key(key).ok(),
                    verified: false,
                    fits: false,
                });
                match state.tea {
                    None => Prep::Locked(LockReason::BadPublicKey),
                    Some(tea) => Prep::Decode {
                        tea: Some(tea),
                        key_id: Some(id),
                        fits: state.fits,
                    },
                }
            }
            _ => Prep::Decode {
                tea: None,
                key_id: None,
                fits: false,
            },
        }
    }

    /// [`Decoder::prepare`] for the good block at `at` (ending at `next`)
    /// of the official walk. A false encrypted header (see
    /// [`Decoder::false_encrypted`]) is plain: the official decoder for
    /// unencrypted files copies its payload as it is. For an encrypted
    /// block, whether the key fits its writer: this block decrypts to what
    /// the writer's streams hold, or an earlier one did, or one of the
    /// next [`KEY_LOOKAHEAD`] bytes does (the input order decides, so the
    /// answer is the same for any number of jobs).
    pub(super) fn prepare_at<I: Input>(
        &mut self,
        input: &mut I,
        at: u64,
        next: u64,
        false_encrypted: bool,
    ) -> Result<Prep, Error> {
        let w = fetch(input, at, next)?;
        let bytes = w.range(at, next);
        let header = format::parse_header(bytes).expect("a good block has a full header");
        if false_encrypted {
            return Ok(Prep::Plain);
        }
        let info = block_info(at, &header);
        let kind = header.magic.payload;
        if header.magic.is_encrypted() {
            self.encrypted_seen = true;
        }
        let mut prep = self.prepare(&info, header.key);
        let Prep::Decode {
            tea: Some(tea),
            key_id: Some(id),
            fits: false,
        } = prep
        else {
            return Ok(prep);
        };
        let payload = &bytes[header.magic.header_len()..bytes.len() - 1];
        let enc = payload.len() / 8 * 8;
        let fits = self.payload_fits(id, kind, &tea, payload, enc)
            || self.fits_ahead(input, id, &tea, next)?;
        if let Prep::Decode { fits: f, .. } = &mut prep {
            *f = fits;
        }
        Ok(prep)
    }

    /// Whether `payload` (its first `enc` bytes encrypted) decrypts under
    /// `tea` to what the writer's streams hold; if so, the key `id` is
    /// known to fit.
    pub(super) fn payload_fits(
        &mut self,
        id: [u8; 64],
        kind: Payload,
        tea: &TeaKey,
        payload: &[u8],
        enc: usize,
    ) -> bool {
        let fits = key_fits_payload(kind, tea, payload, enc);
        if fits && let Some(s) = self.keys.get_mut(&id) {
            s.fits = true;
        }
        fits
    }

    /// Looks through the blocks after `from` (up to [`KEY_LOOKAHEAD`]
    /// bytes on, each byte once per key and input) for one under the key
    /// field `id` that shows the key fits.
    pub(super) fn fits_ahead<I: Input>(
        &mut self,
        input: &mut I,
        id: [u8; 64],
        tea: &TeaKey,
        from: u64,
    ) -> Result<bool, Error> {
        let mut p = self.looked.get(&id).copied().unwrap_or(0).max(from);
        let limit = from.saturating_add(KEY_LOOKAHEAD);
        let mut found = false;
        while p < limit {
            let w = fetch(input, p, (p + SCAN_STEP).min(limit))?;
            let avail = w.range(p, w.end().min(limit));
            if avail.is_empty() {
                if w.at_eof || w.end() >= limit {
                    break;
                }
                continue;
            }
            let Some(i) = avail.iter().position(|&b| is_magic(b)) else {
                p += avail.len() as u64;
                continue;
            };
            let q = p + i as u64;
            let Check::Good { next } = check_at(input, q)? else {
                p = q + 1;
                continue;
            };
            let w = fetch(input, q, next)?;
            let bytes = w.range(q, next);
            if let Some(h) = format::parse_header(bytes)
                && h.magic.is_encrypted()
                && h.key[..] == id[..]
            {
                let payload = &bytes[h.magic.header_len()..bytes.len() - 1];
                let enc = payload.len() / 8 * 8;
                if self.payload_fits(id, h.magic.payload, tea, payload, enc) {
                    found = true;
                    break;
                }
            }
            p = next.max(q + 1);
        }
        self.looked.insert(id, p);
        Ok(found)
    }

    /// Whether the encrypted block at `at` (ending at `next`), which the
    /// official rescan found after bad bytes, is a false one inside other
    /// data: no encrypted block came before it in this input, no good
    /// block follows it, and the key given (if any) does not decrypt it as
    /// a writer's. The official decoder for unencrypted files copies such
    /// a block's payload as it is; it says nothing about keys.
    pub(super) fn false_encrypted<I: Input>(
        &mut self,
        input: &mut I,
        at: u64,
        next: u64,
    ) -> Result<bool, Error> {
        if self.encrypted_seen {
            return Ok(false);
        }
        let w = fetch(input, at, at + 1)?;
        let encrypted = w
            .range(at, at + 1)
            .first()
            .and_then(|&b| format::Magic::from_byte(b))
            .is_some_and(|m| m.is_encrypted());
        if !encrypted {
            return Ok(false);
        }
        // A good block after it (not the end of the input) makes it real.
        if matches!(check_at(input, next)?, Check::Good { next: n } if n > next) {
            return Ok(false);
        }
        // So does a payload that the key given decrypts as its writer's.
        let Some(private) = &self.opts.key else {
            return Ok(true);
        };
        let w = fetch(input, at, next)?;
        let bytes = w.range(at, next);
        let Some(h) = format::parse_header(bytes) else {
            return Ok(true);
        };
        let Ok(tea) = private.tea_key(h.key) else {
            return Ok(true);
        };
        let payload = &bytes[h.magic.header_len()..bytes.len() - 1];
        let enc = payload.len() / 8 * 8;
        Ok(!key_fits_payload(h.magic.payload, &tea, payload, enc))
    }

    /// Turns a codec result into an outcome, in input order. An encrypted
    /// block that fails is damage (the official `decompress err`) if its
    /// key fits the writer: `fits` (the walk found a block of the writer
    /// that decrypts to what its streams hold, or this block's text starts
    /// as text), or an earlier block under the same key decoded. Otherwise
    /// it is a wrong key.
    pub(super) fn resolve(
        &mut self,
        kind: Payload,
        key_id: Option<[u8; 64]>,
        fits: bool,
        raw: &Raw,
    ) -> Outcome {
        let text = |d: &Decoded| Outcome::Text {
            capped: *d == Decoded::Capped,
        };
        let Some(id) = key_id else {
            return match &raw.result {
                Ok(d) => text(d),
                Err(m) => Outcome::Failed(m.clone()),
            };
        };
        // A key that fits the writer makes a failure damage, whatever the
        // failure: the official decoder's `decompress err`.
        let fits = fits || self.keys.get(&id).is_some_and(|s| s.verified);
        if kind == Payload::EncryptedZstd && !fits && raw.not_zstd {
            return Outcome::Locked(LockReason::WrongKey);
        }
        match &raw.result {
            Ok(d) => {
                if let Some(s) = self.keys.get_mut(&id) {
                    s.verified = true;
                }
                text(d)
            }
            Err(_) if !fits => Outcome::Locked(LockReason::WrongKey),
            Err(m) => Outcome::Failed(m.clone()),
        }
    }
}

/// Bytes of text a failed block must have decoded first for its key to
/// fit: under a wrong key, inflate turns random bytes into random bytes,
/// printable about one time in three.
pub(super) const TEXT_SIGN: usize = 32;

/// Whether `text` starts with [`TEXT_SIGN`] bytes of UTF-8 text without
/// control characters other than tab, CR and LF: what a block decoded
/// under a wrong key does not start with (about one chance in 10^13).
pub(super) fn starts_as_text(text: &[u8]) -> bool {
    let Some(head) = text.get(..TEXT_SIGN) else {
        return false;
    };
    let utf8 = match std::str::from_utf8(head) {
        Ok(_) => true,
        // A character cut by the end of the head.
        Err(e) => e.error_len().is_none(),
    };
    utf8 && head
        .iter()
        .all(|&b| (b >= 0x20 && b != 0x7F) || matches!(b, b'\t' | b'\n' | b'\r'))
}

/// Whether an encrypted payload, decrypted under `tea`, holds what the
/// writer's streams hold, a sign that the key fits (a wrong key gives
/// random bytes). Only the first `enc` bytes (whole 8-byte units) were
/// encrypted. Deflate: a sync flush (`00 00 FF FF`, which ends every line)
/// among them (at random, one chance in 2^32 per byte); zstd: the frame
/// magic in the first unit (2^-32). A payload too short or too damaged to
/// show either tells nothing.
pub(super) fn key_fits_payload(kind: Payload, tea: &TeaKey, payload: &[u8], enc: usize) -> bool {
    let enc = enc.min(payload.len()) / 8 * 8;
    match kind {
        Payload::EncryptedZstd => {
            if enc < 8 {
                return false;
            }
            let mut unit = [0u8; 8];
            unit.copy_from_slice(&payload[..8]);
            crate::decode::codec::tea::decrypt(&mut unit, tea);
            unit[..4] == parallel::ZSTD_MAGIC
        }
        Payload::EncryptedDeflate => {
            // Decrypt a piece at a time: the first line's flush comes
            // early in a genuine payload.
            const PIECE: usize = 4096;
            let mut plain: Vec<u8> = Vec::with_capacity(PIECE + 8);
            let mut done = 0;
            while done < enc {
                let end = (done + PIECE).min(enc);
                // Keep the last 3 bytes: a flush may straddle two pieces.
                let keep = plain.len().saturating_sub(3);
                plain.drain(..keep);
                let from = plain.len();
                plain.extend_from_slice(&payload[done..end]);
                crate::decode::codec::tea::decrypt(&mut plain[from..], tea);
                if memchr::memmem::find(&plain, &SYNC_FLUSH).is_some() {
                    return true;
                }
                done = end;
            }
            false
        }
        _ => false,
    }
}
