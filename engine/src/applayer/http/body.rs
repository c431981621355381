//! Message bodies: the copy that rules inspect (dechunked by the caller,
//! decompressed here, capped) and the length seen on the wire.
//!
//! Decompression follows libhtp: `gzip`/`x-gzip` and `deflate` (zlib-wrapped
//! or raw, whichever the first two bytes say) are inflated; when the data
//! is not what the header claims, the raw bytes are kept instead (Suricata
//! 7 inspects `not gzip!!` as sent). Inflating stops as soon as the
//! inspected copy is full, so a compression bomb costs at most the body
//! limit in output, never more.

use std::io::{self, Write};

use flate2::write::{DeflateDecoder, GzDecoder, ZlibDecoder};

use crate::applayer::file::{File, FileConfig};

/// Content codings the body decoder knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Coding {
    /// No decompression.
    Identity,
    /// `gzip` / `x-gzip`.
    Gzip,
    /// `deflate`: zlib-wrapped or raw deflate.
    Deflate,
}

impl Coding {
    /// The coding named by a `Content-Encoding` value. Only a single coding
    /// is decoded: a list (`gzip, deflate`) is kept as sent, where libhtp
    /// would decode up to two layers.
    pub(super) fn from_header(v: Option<&[u8]>) -> Coding {
        let Some(v) = v else {
            return Coding::Identity;
        };
        let v = v.trim_ascii();
        if v.eq_ignore_ascii_case(b"gzip") || v.eq_ignore_ascii_case(b"x-gzip") {
            Coding::Gzip
        } else if v.eq_ignore_ascii_case(b"deflate") || v.eq_ignore_ascii_case(b"x-deflate") {
            Coding::Deflate
        } else {
            Coding::Identity
        }
    }
}

/// Where a decoder writes: at most `room` more bytes, then an error that
/// stops the decoder.
#[derive(Debug, Default)]
struct Sink {
    buf: Vec<u8>,
    room: usize,
}

impl Write for Sink {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        if self.room == 0 {
            return Err(io::Error::other("body limit reached"));
        }
        let n = b.len().min(self.room);
        self.buf.extend_from_slice(&b[..n]);
        self.room -= n;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

enum Decoder {
    /// Bytes are kept as they come.
    Raw,
    /// `deflate` whose first bytes have not all arrived yet.
    Sniff(Vec<u8>),
    Gzip(Box<GzDecoder<Sink>>),
    Zlib(Box<ZlibDecoder<Sink>>),
    Deflate(Box<DeflateDecoder<Sink>>),
    /// Stream ended or output full: further input is counted, not kept.
    Done,
}

/// One direction's body of one transaction.
pub(super) struct Body {
    data: Vec<u8>,
    limit: usize,
    wire_len: u64,
    dec: Decoder,
    /// Some input or output was dropped because of the limit.
    pub(super) truncated: bool,
    /// The data did not decompress; it is kept raw from there on.
    pub(super) decode_failed: bool,
    /// Name and settings of the file this body is, opened with its first
    /// decoded byte (as Suricata opens it), when the body is a file.
    file_spec: Option<(Vec<u8>, FileConfig)>,
    /// The body as a file: every decoded byte, not only the kept ones.
    pub(super) file: Option<File>,
    /// Decoded data the file did not get (the decoder stops at the limit).
    file_lost: bool,
}

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Body")
            .field("len", &self.data.len())
            .field("wire_len", &self.wire_len)
            .field("truncated", &self.truncated)
            .finish()
    }
}

impl Body {
    /// A body keeping at most `limit` inspected bytes.
    pub(super) fn new(limit: usize, coding: Coding) -> Body {
        let dec = match coding {
            Coding::Identity => Decoder::Raw,
            Coding::Gzip => Decoder::Gzip(Box::new(GzDecoder::new(Sink::default()))),
            Coding::Deflate => Decoder::Sniff(Vec::new()),
        };
        Body {
            data: Vec::new(),
            limit,
            wire_len: 0,
            dec,
            truncated: false,
            decode_failed: false,
            file_spec: None,
            file: None,
            file_lost: false,
        }
    }

    /// Makes the body a file named `name`.
    pub(super) fn with_file(mut self, name: Vec<u8>, cfg: FileConfig) -> Body {
        self.file_spec = Some((name, cfg));
        self
    }

    /// Ends the body's file: closed when `complete` and nothing was lost,
    /// truncated otherwise (`gap`: because data was lost on the wire).
    pub(super) fn end_file(&mut self, complete: bool, gap: bool) {
        if let Some(f) = self.file.as_mut() {
            f.gaps |= gap;
            f.close(complete && !self.file_lost);
        }
    }

    /// The inspected bytes so far.
    pub(super) fn data(&self) -> &[u8] {
        &self.data
    }

    /// Bytes of the message body seen on the wire (libhtp
    /// `response_message_len`: compressed size, chunk framing included).
    pub(super) fn wire_len(&self) -> u64 {
        self.wire_len
    }

    /// Counts framing bytes (chunk-size lines, CRLF after a chunk) in the
    /// wire length.
    pub(super) fn add_framing(&mut self, n: usize) {
        self.wire_len += n as u64;
    }

    fn keep(&mut self, input: &[u8]) {
        if !input.is_empty() {
            if self.file.is_none() {
                if let Some((name, cfg)) = self.file_spec.take() {
                    self.file = Some(File::new(name, cfg));
                }
            }
            if let Some(f) = self.file.as_mut() {
                f.feed(input);
            }
        }
        let room = self.limit.saturating_sub(self.data.len());
        if input.len() > room {
            self.truncated = true;
        }
        self.data.extend_from_slice(&input[..input.len().min(room)]);
    }

    /// Adds body bytes (already dechunked).
    pub(super) fn feed(&mut self, input: &[u8]) {
        self.wire_len += input.len() as u64;
        if input.is_empty() {
            return;
        }
        if let Decoder::Sniff(pending) = &mut self.dec {
            pending.extend_from_slice(input);
            if pending.len() < 2 {
                return;
            }
            let first = std::mem::take(pending);
            // RFC 1950 header: CM = 8 and the check bits.
            let zlib = first[0] & 0x0f == 8 && ((u16::from(first[0]) << 8) | u16::from(first[1])) % 31 == 0;
            let sink = Sink::default();
            self.dec = if zlib {
                Decoder::Zlib(Box::new(ZlibDecoder::new(sink)))
            } else {
                Decoder::Deflate(Box::new(DeflateDecoder::new(sink)))
            };
            self.inflate(&first);
            return;
        }
        self.inflate(input);
    }

    fn inflate(&mut self, input: &[u8]) {
        let room = self.limit.saturating_sub(self.data.len());
        let result = match &mut self.dec {
            Decoder::Raw => {
                self.keep(input);
                return;
            }
            Decoder::Done => {
                if room == 0 {
                    self.truncated = true;
                    self.file_lost = true;
                }
                return;
            }
            Decoder::Sniff(_) => return,
            Decoder::Gzip(d) => run(d.as_mut(), input, room),
            Decoder::Zlib(d) => run(d.as_mut(), input, room),
            Decoder::Deflate(d) => run(d.as_mut(), input, room),
        };
        let out = match &mut self.dec {
            Decoder::Gzip(d) => std::mem::take(&mut d.get_mut().buf),
            Decoder::Zlib(d) => std::mem::take(&mut d.get_mut().buf),
            Decoder::Deflate(d) => std::mem::take(&mut d.get_mut().buf),
            _ => Vec::new(),
        };
        self.keep(&out);
        match result {
            Inflate::More => {}
            Inflate::End => self.dec = Decoder::Done,
            Inflate::Full => {
                self.truncated = true;
                self.file_lost = true;
                self.dec = Decoder::Done;
            }
            Inflate::Failed => {
                // libhtp passes the data through when inflate fails.
                self.decode_failed = true;
                self.dec = Decoder::Raw;
                self.keep(input);
            }
        }
    }

    /// Flushes what the decoder still holds; the body is complete.
    pub(super) fn finish(&mut self) {
        let room = self.limit.saturating_sub(self.data.len());
        let out = match &mut self.dec {
            Decoder::Gzip(d) => finish(d.as_mut(), room),
            Decoder::Zlib(d) => finish(d.as_mut(), room),
            Decoder::Deflate(d) => finish(d.as_mut(), room),
            Decoder::Sniff(p) => {
                let p = std::mem::take(p);
                self.dec = Decoder::Raw;
                self.keep(&p);
                return;
            }
            _ => return,
        };
        self.keep(&out);
        self.dec = Decoder::Done;
    }
}

enum Inflate {
    More,
    End,
    Full,
    Failed,
}

/// The three flate2 write-side decoders, seen alike.
trait Inflater: Write {
    fn sink(&mut self) -> &mut Sink;
    fn try_finish(&mut self) -> io::Result<()>;
}

macro_rules! inflater {
    ($t:ident) => {
        impl Inflater for $t<Sink> {
            fn sink(&mut self) -> &mut Sink {
                self.get_mut()
            }
            fn try_finish(&mut self) -> io::Result<()> {
                $t::try_finish(self)
            }
        }
    };
}
inflater!(GzDecoder);
inflater!(ZlibDecoder);
inflater!(DeflateDecoder);

fn run(d: &mut dyn Inflater, mut input: &[u8], room: usize) -> Inflate {
    d.sink().room = room;
    while !input.is_empty() {
        match d.write(input) {
            Ok(0) => return Inflate::End,
            Ok(n) => input = &input[n..],
            Err(_) if d.sink().room == 0 => return Inflate::Full,
            Err(_) => return Inflate::Failed,
        }
    }
    match d.flush() {
        Ok(()) => Inflate::More,
        Err(_) if d.sink().room == 0 => Inflate::Full,
        Err(_) => Inflate::Failed,
    }
}

fn finish(d: &mut dyn Inflater, room: usize) -> Vec<u8> {
    d.sink().room = room;
    // A truncated or corrupt end of stream keeps what was inflated so far.
    let _ = d.try_finish();
    std::mem::take(&mut d.sink().buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::{DeflateEncoder, GzEncoder, ZlibEncoder};
    use flate2::Compression;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut e = ZlibEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn raw_deflate(data: &[u8]) -> Vec<u8> {
        let mut e = DeflateEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn body_of(coding: Coding, wire: &[u8], step: usize, limit: usize) -> Body {
        let mut b = Body::new(limit, coding);
        for part in wire.chunks(step.max(1)) {
            b.feed(part);
        }
        b.finish();
        b
    }

    #[test]
    fn codings() {
        let text = b"compressed body ".repeat(10);
        let cases: &[(Coding, Vec<u8>)] = &[
            (Coding::Gzip, gzip(&text)),
            (Coding::Deflate, zlib(&text)),
            (Coding::Deflate, raw_deflate(&text)),
            (Coding::Identity, text.clone()),
        ];
        for (coding, wire) in cases {
            for step in [1, 2, 3, 7, 1000] {
                let b = body_of(*coding, wire, step, 100 * 1024);
                assert_eq!(b.data(), &text[..], "{coding:?} step {step}");
                assert_eq!(b.wire_len(), wire.len() as u64);
                assert!(!b.truncated && !b.decode_failed);
            }
        }
    }

    #[test]
    fn not_compressed_is_kept_raw() {
        // Suricata 7.0.10: "Content-Encoding: gzip" over "not gzip!!" inspects
        // the raw bytes.
        let b = body_of(Coding::Gzip, b"not gzip!!", 1000, 1024);
        assert_eq!(b.data(), b"not gzip!!");
        assert!(b.decode_failed);
    }

    #[test]
    fn bomb_is_bounded() {
        // 10 MiB of zeros compress to ~10 KiB; only the limit is inflated.
        let big = vec![0u8; 10 << 20];
        let wire = gzip(&big);
        let b = body_of(Coding::Gzip, &wire, 4096, 100 * 1024);
        assert_eq!(b.data().len(), 100 * 1024);
        assert!(b.truncated);
        assert_eq!(b.wire_len(), wire.len() as u64);
    }

    #[test]
    fn limit_on_raw_data() {
        let b = body_of(Coding::Identity, &[b'x'; 50], 7, 10);
        assert_eq!(b.data(), &[b'x'; 10]);
        assert!(b.truncated);
        assert_eq!(b.wire_len(), 50);
    }

    #[test]
    fn trailing_garbage_after_stream_is_ignored() {
        let mut wire = gzip(b"abc");
        wire.extend_from_slice(b"junk after the trailer");
        let b = body_of(Coding::Gzip, &wire, 5, 1024);
        assert_eq!(b.data(), b"abc");
    }

    #[test]
    fn one_byte_deflate() {
        let b = body_of(Coding::Deflate, b"x", 1, 1024);
        assert_eq!(b.data(), b"x");
    }
}
