//! A Mars-compatible xlog writer and a generator of realistic Mars lines,
//! for tests, benchmarks and fixtures.
//!
//! The writer lays blocks out as Mars's appender does (see
//! `docs/xlog-format.md`, sections 1-4):
//! - sync mode: one uncompressed block per line, seq 0;
//! - async mode: one deflate or zstd stream per block, flushed after every
//!   line and never finished; a block is written once its payload reaches
//!   a third of Mars's 150 KiB buffer; seq counts from 1 and skips 0;
//! - with a server public key: the async payload is TEA-encrypted under the
//!   ECDH key of an ephemeral client key pair whose public half fills the
//!   64-byte key field of every block; sync blocks stay plain.

use crate::decode::codec::tea;
use crate::decode::codec::{KeyError, PrivateKey, TeaKey};
use flate2::{Compress, FlushCompress};
use std::io::{self, Write};
use zstd::zstd_safe::{CCtx, CParameter, InBuffer, OutBuffer, zstd_sys::ZSTD_EndDirective};

/// Mars writes an async block once its payload reaches a third of its
/// 150 KiB buffer.
pub const ASYNC_FLUSH_AT: usize = 150 * 1024 / 3;

/// The stream an async block holds, or the family a sync block's magic
/// belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Raw deflate, level 0-9 (Mars uses 9).
    Zlib(u32),
    /// zstd at the given level (Mars's default is 6), 64 KiB window.
    Zstd(i32),
}

/// What kind of file to write.
#[derive(Debug, Clone)]
pub struct WriterOptions {
    /// Async (buffered, compressed) or sync (one plain block per line).
    pub is_async: bool,
    /// Compression family and level.
    pub compression: Compression,
    /// The server public key (64 bytes X‖Y) to encrypt async blocks for.
    pub public_key: Option<[u8; 64]>,
    /// Seed of the ephemeral client key (deterministic output).
    pub client_seed: u64,
}

impl Default for WriterOptions {
    fn default() -> Self {
        WriterOptions {
            is_async: true,
            compression: Compression::Zlib(9),
            public_key: None,
            client_seed: 1,
        }
    }
}

impl WriterOptions {
    /// The block magic this configuration writes.
    pub fn magic(&self) -> u8 {
        let crypt = self.public_key.is_some();
        match (self.compression, self.is_async, crypt) {
            (Compression::Zlib(_), false, true) => 0x06,
            (Compression::Zlib(_), true, true) => 0x07,
            (Compression::Zlib(_), false, false) => 0x08,
            (Compression::Zlib(_), true, false) => 0x09,
            (Compression::Zstd(_), false, true) => 0x0A,
            (Compression::Zstd(_), false, false) => 0x0B,
            (Compression::Zstd(_), true, true) => 0x0C,
            (Compression::Zstd(_), true, false) => 0x0D,
        }
    }
}

enum Stream {
    Zlib(Box<Compress>),
    Zstd(CCtx<'static>),
}

/// Writes an xlog file block by block.
pub struct XlogWriter<W: Write> {
    out: W,
    opts: WriterOptions,
    magic: u8,
    key_field: [u8; 64],
    tea: Option<TeaKey>,
    stream: Option<Stream>,
    payload: Vec<u8>,
    block: Vec<u8>,
    open: bool,
    seq: u16,
    hour: u8,
    begin_hour: u8,
}

impl<W: Write> XlogWriter<W> {
    /// A writer to `out`. Fails only if the public key is not a curve point.
    pub fn new(out: W, opts: WriterOptions) -> Result<XlogWriter<W>, KeyError> {
        let mut key_field = [0u8; 64];
        let mut tea = None;
        if let Some(server) = &opts.public_key {
            let client = PrivateKey::from_seed(opts.client_seed);
            key_field = client.public_key_bytes();
            tea = Some(client.tea_key(server)?);
        }
        let stream = if opts.is_async {
            Some(match opts.compression {
                Compression::Zlib(level) => Stream::Zlib(Box::new(Compress::new(
                    flate2::Compression::new(level.min(9)),
                    false,
                ))),
                Compression::Zstd(level) => {
                    let mut c = CCtx::create();
                    // Out-of-range levels are clamped by zstd itself.
                    let _ = c.set_parameter(CParameter::CompressionLevel(level));
                    let _ = c.set_parameter(CParameter::WindowLog(16));
                    Stream::Zstd(c)
                }
            })
        } else {
            None
        };
        Ok(XlogWriter {
            out,
            magic: opts.magic(),
            opts,
            key_field,
            tea,
            stream,
            payload: Vec::with_capacity(ASYNC_FLUSH_AT + 64 * 1024),
            block: Vec::with_capacity(ASYNC_FLUSH_AT + 64 * 1024),
            open: false,
            seq: 0,
            hour: 10,
            begin_hour: 10,
        })
    }

    /// The local hour stamped into headers from now on.
    pub fn set_hour(&mut self, hour: u8) {
        self.hour = hour % 24;
    }

    /// Appends one formatted line (with its newline, as Mars passes it).
    pub fn write_line(&mut self, line: &[u8]) -> io::Result<()> {
        if !self.opts.is_async {
            self.payload.clear();
            self.payload.extend_from_slice(line);
            self.begin_hour = self.hour;
            return self.write_block(0);
        }
        if !self.open {
            self.start_block();
        }
        match self.stream.as_mut().expect("async writers have a stream") {
            Stream::Zlib(c) => {
                let mut pos = 0;
                loop {
                    if self.payload.capacity() - self.payload.len() < line.len() - pos + 1024 {
                        self.payload.reserve(line.len() - pos + 64 * 1024);
                    }
                    let spare = self.payload.capacity() - self.payload.len();
                    let (in0, out0) = (c.total_in(), c.total_out());
                    c.compress_vec(&line[pos..], &mut self.payload, FlushCompress::Sync)
                        .map_err(io::Error::other)?;
                    pos += (c.total_in() - in0) as usize;
                    // The flush is complete once deflate leaves room unused.
                    if pos == line.len() && ((c.total_out() - out0) as usize) < spare {
                        break;
                    }
                }
            }
            Stream::Zstd(c) => {
                let mut inb = InBuffer::around(line);
                loop {
                    if self.payload.capacity() - self.payload.len() < line.len() + 1024 {
                        self.payload.reserve(line.len() + 64 * 1024);
                    }
                    let pos = self.payload.len();
                    let mut ob = OutBuffer::around_pos(&mut self.payload, pos);
                    let left = c
                        .compress_stream2(&mut ob, &mut inb, ZSTD_EndDirective::ZSTD_e_flush)
                        .map_err(|code| io::Error::other(zstd::zstd_safe::get_error_name(code)))?;
                    if left == 0 && inb.pos() == line.len() {
                        break;
                    }
                }
            }
        }
        if self.payload.len() >= ASYNC_FLUSH_AT {
            self.flush_block()?;
        }
        Ok(())
    }

    fn start_block(&mut self) {
        self.payload.clear();
        self.seq = if self.seq == u16::MAX {
            1
        } else {
            self.seq + 1
        };
        self.begin_hour = self.hour;
        match self.stream.as_mut() {
            Some(Stream::Zlib(c)) => c.reset(),
            Some(Stream::Zstd(c)) => {
                let _ = c.reset(zstd::zstd_safe::ResetDirective::SessionOnly);
            }
            None => {}
        }
        self.open = true;
    }

    /// Writes the open async block, if any (Mars's flush).
    pub fn flush_block(&mut self) -> io::Result<()> {
        if !self.open {
            return Ok(());
        }
        self.open = false;
        if let Some(key) = &self.tea {
            tea::encrypt(&mut self.payload, key);
        }
        self.write_block(self.seq)
    }

    fn write_block(&mut self, seq: u16) -> io::Result<()> {
        self.block.clear();
        frame_block(
            &mut self.block,
            Frame {
                magic: self.magic,
                seq,
                hours: (self.begin_hour, self.hour),
                key_field: &self.key_field,
            },
            &self.payload,
        )?;
        self.out.write_all(&self.block)
    }

    /// Writes the open block and returns the output.
    pub fn finish(mut self) -> io::Result<W> {
        self.flush_block()?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// A deterministic source of realistic Mars lines (current line format,
/// IM-SDK-like tags and messages, Chinese and emoji, some multi-line and
/// some long bodies), for tests and benchmarks.
pub struct LineGen {
    state: u64,
    /// Milliseconds since 2024-01-31 00:00:00 local time.
    clock_ms: u64,
    pid: u32,
    main_tid: u32,
}

const TAGS: [&str; 8] = [
    "imsdk",
    "IMCore",
    "TIMConversation",
    "network",
    "",
    "MessageCenter",
    "login",
    "group",
];
const LOCATIONS: [&str; 8] = [
    "TIMManager.cpp:212, Login",
    "conversation_manager.cc:1043, OnNewMessage",
    "msg_sync.cc:88, operator()",
    "V2TIMManager.mm:57, -[V2TIMManager sendMessage:]",
    "network_layer.cc:1337, Send",
    "group_manager.cc:402, GetGroupMembers",
    "db_storage.cc:73, ",
    "long_conn.cc:610, OnHeartbeat",
];
const WORDS: [&str; 16] = [
    "send",
    "message",
    "seq=",
    "tinyid=",
    "group_id:@TGS#",
    "ret:",
    "cost",
    "ms",
    "conversation",
    "c2c_",
    "收到新消息",
    "同步完成",
    "🙂",
    "heartbeat",
    "code=0",
    "retry",
];
/// Longest line Mars writes, without its newline.
const MAX_LINE: usize = 16_254;
const LEVELS: [u8; 6] = [b'V', b'D', b'I', b'W', b'E', b'F'];

impl LineGen {
    /// A generator; the same seed gives the same lines.
    pub fn new(seed: u64) -> LineGen {
        let mut g = LineGen {
            state: seed ^ 0x9E37_79B9_7F4A_7C15,
            clock_ms: 10 * 3_600_000,
            pid: 0,
            main_tid: 0,
        };
        g.pid = 1000 + (g.next() % 30000) as u32;
        g.main_tid = g.pid;
        g
    }

    fn next(&mut self) -> u64 {
        // xorshift64*
        let mut x = self.state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// The local hour of the last line made.
    pub fn hour(&self) -> u8 {
        ((self.clock_ms / 3_600_000) % 24) as u8
    }

    /// Appends the next line, newline included, to `out`.
    pub fn line(&mut self, out: &mut Vec<u8>) {
        let start = out.len();
        self.clock_ms += self.below(40);
        let level = LEVELS[match self.below(100) {
            0..=9 => 0,
            10..=39 => 1,
            40..=84 => 2,
            85..=94 => 3,
            95..=98 => 4,
            _ => 5,
        }];
        let t = self.clock_ms;
        let (h, m, s, ms) = (
            (t / 3_600_000) % 24,
            (t / 60_000) % 60,
            (t / 1000) % 60,
            t % 1000,
        );
        let day = 1 + (t / 86_400_000).min(27);
        let tid = if self.below(3) == 0 {
            self.main_tid
        } else {
            self.main_tid + 1 + self.below(6) as u32
        };
        let star = if tid == self.main_tid { "*" } else { "" };
        let tag = TAGS[self.below(TAGS.len() as u64) as usize];
        let loc = LOCATIONS[self.below(LOCATIONS.len() as u64) as usize];
        let _ = write!(
            out,
            "[{}][2024-02-{day:02} +8.0 {h:02}:{m:02}:{s:02}.{ms:03}][{}, {tid}{star}][{tag}][{loc}][",
            level as char, self.pid
        );
        let words = match self.below(200) {
            0 => 2000 + self.below(4000), // a long body, later cut like Mars
            1..=8 => 40 + self.below(80),
            _ => 4 + self.below(14),
        };
        for i in 0..words {
            if i > 0 {
                out.push(if self.below(40) == 0 { b'\n' } else { b' ' });
            }
            out.extend_from_slice(WORDS[self.below(WORDS.len() as u64) as usize].as_bytes());
            if self.below(2) == 0 {
                let _ = write!(out, "{}", self.next() % 100_000);
            }
        }
        // Mars cuts the line at 16 KiB (bytes, even inside a UTF-8
        // sequence) and adds a newline unless the body ends with one.
        if out.len() - start > MAX_LINE {
            out.truncate(start + MAX_LINE);
        }
        if out.last() != Some(&b'\n') {
            out.push(b'\n');
        }
    }
}

/// The header fields of one block, for [`frame_block`].
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    /// The block kind (its first byte).
    pub magic: u8,
    /// The sequence number.
    pub seq: u16,
    /// Local hours the block was begun and flushed.
    pub hours: (u8, u8),
    /// The key field: 64 bytes (the client's public key, or zeros), or 4
    /// for the oldest kinds.
    pub key_field: &'a [u8],
}

impl Frame<'static> {
    /// An async block as tests frame one by hand: seq 1, hour 10, a zero
    /// 64-byte key field.
    pub fn plain(magic: u8) -> Frame<'static> {
        Frame {
            magic,
            seq: 1,
            hours: (10, 10),
            key_field: &[0; 64],
        }
    }
}

/// Appends to `out` the block `frame` around `payload`, laid out as Mars
/// writes it: magic, seq, hours, length, key field, payload, end byte.
pub fn frame_block(out: &mut Vec<u8>, frame: Frame<'_>, payload: &[u8]) -> io::Result<()> {
    let len =
        u32::try_from(payload.len()).map_err(|_| io::Error::other("block payload over 4 GiB"))?;
    out.push(frame.magic);
    out.extend_from_slice(&frame.seq.to_le_bytes());
    out.push(frame.hours.0);
    out.push(frame.hours.1);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(frame.key_field);
    out.extend_from_slice(payload);
    out.push(crate::decode::format::MAGIC_END);
    Ok(())
}
