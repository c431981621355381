//! Offline reader for .pcap and .pcapng files.
//!
//! The format is chosen by the magic number, not the file name. pcap-file's
//! slice parsers read the headers and records; this module owns the buffering
//! (one reusable buffer, refilled from the file), so a record borrows the
//! buffer until the next call and nothing is allocated per packet.
//!
//! Where pcap-file 2 is stricter or looser than libpcap, libpcap wins:
//! - pcap records whose original length exceeds the snaplen are normal
//!   (snaplen-truncated captures) and are accepted; lengths are checked
//!   against [`MAX_PACKET_LEN`] instead.
//! - pcapng enhanced packet timestamps honour `if_tsresol` and `if_tsoffset`
//!   (pcap-file reads them as nanoseconds).
//! - simple packet blocks are cut to the interface snaplen and original
//!   length (pcap-file keeps the padding).
//! - only packet blocks are parsed beyond their framing, so a malformed
//!   optional block (name resolution...) cannot stop the file.

use std::fs::File;
use std::io::{ErrorKind, Read};
use std::ops::Range;
use std::path::{Path, PathBuf};

use pcap_file::pcap::{PcapHeader, PcapParser};
use pcap_file::pcapng::blocks::interface_description::{InterfaceDescriptionBlock, InterfaceDescriptionOption};
use pcap_file::pcapng::blocks::{ENHANCED_PACKET_BLOCK, PACKET_BLOCK, SECTION_HEADER_BLOCK, SIMPLE_PACKET_BLOCK};
use pcap_file::pcapng::{Block, PcapNgParser};
use pcap_file::{Endianness, TsResolution};

use super::{Record, SourceError, Timestamp};
use crate::decode::LinkType;

/// Largest captured length accepted for one pcap record: libpcap's
/// `MAXIMUM_SNAPLEN`. A larger length means a corrupt file; refusing it keeps
/// a bad length field from making the reader buffer megabytes.
const MAX_PACKET_LEN: usize = 262_144;

/// Largest pcapng block accepted, the limit libpcap applies
/// (`INITIAL_MAX_BLOCKSIZE`, 16 MiB): room for jumbo frames and large
/// name-resolution or comment blocks, and a bound on the reader's buffer.
const MAX_BLOCK_LEN: usize = 16 * 1024 * 1024;

/// Interface descriptions accepted per pcapng section. Real captures have a
/// handful; the cap bounds memory on a file made of nothing else.
const MAX_INTERFACES: usize = 65_536;

/// Bytes asked of the file per read.
const READ_CHUNK: usize = 1 << 20;

/// Classic pcap magic numbers as read big-endian: micro/nano, big/little.
const PCAP_MAGICS: [u32; 4] = [0xA1B2_C3D4, 0xA1B2_3C4D, 0xD4C3_B2A1, 0x4D3C_B2A1];

/// Size of the pcap global header.
const PCAP_HEADER_LEN: usize = 24;

/// Field offsets of a pcap record header.
mod pcap_rec {
    use std::ops::Range;
    /// Header length; the packet bytes follow.
    pub const LEN: usize = 16;
    /// Captured length (after seconds 0..4 and fraction 4..8).
    pub const INCL_LEN: Range<usize> = 8..12;
}

/// Field offsets of the framing every pcapng block shares.
mod ng_block {
    use std::ops::Range;
    /// Block type.
    pub const TYPE: Range<usize> = 0..4;
    /// Total block length, framing included.
    pub const TOTAL_LEN: Range<usize> = 4..8;
    /// Section header only: byte-order magic (0x1A2B3C4D as written).
    pub const BYTE_ORDER: Range<usize> = 8..12;
    /// Type, length and trailing length.
    pub const MIN_LEN: usize = 12;
    /// Packet bytes in an enhanced (and obsolete) packet block: framing
    /// (8), interface, timestamp high and low, captured and original length.
    pub const EPB_DATA: usize = 28;
    /// Packet bytes in a simple packet block: framing (8), original length.
    pub const SPB_DATA: usize = 12;
}

/// pcapng timestamps count units of 10^-6 s unless `if_tsresol` says else.
const DEFAULT_TSRESOL: u8 = 6;

/// LT_LINKTYPE(): the high bits of the pcap link type field hold FCS
/// information, not the link type.
const LINKTYPE_MASK: u32 = 0x03FF_FFFF;

/// A growable read buffer over the file: `buf[start..end]` is read but not
/// yet consumed.
struct Input {
    file: File,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
}

impl Input {
    fn new(file: File) -> Self {
        Input { file, buf: Vec::new(), start: 0, end: 0, eof: false }
    }

    /// Bytes read and not consumed.
    fn available(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// Makes at least `n` bytes available. Returns false when the file ends
    /// first (what is there stays available). Callers bound `n`.
    fn fill(&mut self, n: usize) -> std::io::Result<bool> {
        if self.end - self.start >= n {
            return Ok(true);
        }
        self.buf.copy_within(self.start..self.end, 0);
        self.end -= self.start;
        self.start = 0;
        let want = n.max(READ_CHUNK);
        if self.buf.len() < want {
            self.buf.resize(want, 0);
        }
        while self.end < n {
            if self.eof {
                return Ok(false);
            }
            match self.file.read(&mut self.buf[self.end..]) {
                Ok(0) => self.eof = true,
                Ok(got) => self.end += got,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }

    /// Marks `n` available bytes consumed (they stay in place until the next
    /// `fill`).
    fn consume(&mut self, n: usize) {
        self.start = (self.start + n).min(self.end);
    }
}

/// Reads a u32 in the given byte order from 4 bytes at `r` of `b`.
fn read_u32(b: &[u8], r: Range<usize>, endianness: Endianness) -> u32 {
    let bytes: [u8; 4] = b.get(r).and_then(|s| s.try_into().ok()).unwrap_or([0; 4]);
    match endianness {
        Endianness::Big => u32::from_be_bytes(bytes),
        Endianness::Little => u32::from_le_bytes(bytes),
    }
}

/// What a pcapng interface description says about its packets.
#[derive(Clone, Copy, Debug)]
struct Interface {
    linktype: LinkType,
    /// 0 = no limit.
    snaplen: u32,
    /// Timestamp units per second (from `if_tsresol`).
    units_per_sec: u128,
    /// Seconds added to every timestamp (`if_tsoffset`).
    offset_secs: i64,
}

impl Interface {
    fn from_idb(idb: &InterfaceDescriptionBlock<'_>) -> Result<Self, String> {
        let mut tsresol = DEFAULT_TSRESOL;
        let mut offset_secs = 0i64;
        for opt in &idb.options {
            match opt {
                InterfaceDescriptionOption::IfTsResol(r) => tsresol = *r,
                // The field is signed in the pcapng spec.
                InterfaceDescriptionOption::IfTsOffset(o) => offset_secs = *o as i64,
                _ => {}
            }
        }
        let exp = u32::from(tsresol & 0x7F);
        let units_per_sec = if tsresol & 0x80 == 0 { 10u128.checked_pow(exp) } else { 2u128.checked_pow(exp) }
            .ok_or_else(|| format!("if_tsresol {tsresol:#x} out of range"))?;
        Ok(Interface {
            linktype: LinkType::from(u32::from(idb.linktype)),
            snaplen: idb.snaplen,
            units_per_sec,
            offset_secs,
        })
    }

    /// The time of a packet; seconds are clamped to those a classic pcap
    /// can hold (0..=u32::MAX): a 64-bit count in seconds (`if_tsresol`
    /// 0) or a large `if_tsoffset` otherwise gives times whose microseconds
    /// overflow i64, and differences the flow table cannot take.
    fn timestamp(&self, units: u64) -> Timestamp {
        let units = u128::from(units);
        let secs = i64::try_from(units / self.units_per_sec).unwrap_or(i64::MAX);
        let micros = (units % self.units_per_sec) * 1_000_000 / self.units_per_sec;
        let secs = secs.saturating_add(self.offset_secs).clamp(0, i64::from(u32::MAX));
        Timestamp { secs, micros: micros as u32 }
    }
}

/// The format-specific state.
enum Format {
    Pcap { parser: PcapParser, linktype: LinkType, nanos: bool },
    PcapNg { parser: Box<PcapNgParser>, interfaces: Vec<Interface> },
}

/// A record found by `read_next`: everything but the borrowed bytes.
struct Found {
    ts: Timestamp,
    linktype: LinkType,
    data: Range<usize>,
    orig_len: u32,
}

/// Reads one capture file, pcap or pcapng, detected by its magic number.
pub struct FileSource {
    path: PathBuf,
    input: Input,
    format: Format,
    /// Records returned so far.
    records: u64,
    /// An error or the end was reported: nothing more comes.
    done: bool,
}

impl std::fmt::Debug for FileSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let format = match self.format {
            Format::Pcap { .. } => "pcap",
            Format::PcapNg { .. } => "pcapng",
        };
        f.debug_struct("FileSource")
            .field("path", &self.path)
            .field("format", &format)
            .field("records", &self.records)
            .finish()
    }
}

impl FileSource {
    /// Opens `path` and reads its file header (pcap) or first section header
    /// block (pcapng).
    ///
    /// # Errors
    /// [`SourceError::Io`] when the file cannot be opened or read,
    /// [`SourceError::BadMagic`] when it is neither pcap nor pcapng, and
    /// [`SourceError::Malformed`] when its header is truncated or invalid.
    pub fn open(path: &std::path::Path) -> Result<FileSource, SourceError> {
        let io = |e| SourceError::Io(path.to_path_buf(), e);
        let malformed = |reason: String| SourceError::Malformed { path: path.to_path_buf(), records: 0, reason };
        let mut input = Input::new(File::open(path).map_err(io)?);
        if !input.fill(4).map_err(io)? {
            return Err(SourceError::BadMagic(path.to_path_buf()));
        }
        let magic = read_u32(input.available(), 0..4, Endianness::Big);
        let format = if PCAP_MAGICS.contains(&magic) {
            if !input.fill(PCAP_HEADER_LEN).map_err(io)? {
                return Err(malformed("truncated pcap file header".into()));
            }
            let (_, parser) = PcapParser::new(input.available()).map_err(|e| malformed(e.to_string()))?;
            input.consume(PCAP_HEADER_LEN);
            let header: PcapHeader = parser.header();
            let linktype = LinkType::from(u32::from(header.datalink) & LINKTYPE_MASK);
            Format::Pcap { parser, linktype, nanos: header.ts_resolution == TsResolution::NanoSecond }
        } else if magic == SECTION_HEADER_BLOCK {
            let len = shb_len(&mut input, path)?;
            let (_, parser) = PcapNgParser::new(&input.available()[..len]).map_err(|e| malformed(e.to_string()))?;
            input.consume(len);
            Format::PcapNg { parser: Box::new(parser), interfaces: Vec::new() }
        } else {
            return Err(SourceError::BadMagic(path.to_path_buf()));
        };
        Ok(FileSource { path: path.to_path_buf(), input, format, records: 0, done: false })
    }

    /// Next record, `None` at the end of the file. After an `Err` the file is
    /// finished: every later call returns `None`.
    pub fn next_record(&mut self) -> Option<Result<Record<'_>, SourceError>> {
        if self.done {
            return None;
        }
        match self.read_next() {
            Ok(Some(found)) => {
                self.records += 1;
                let data = self.input.buf.get(found.data).unwrap_or_default();
                Some(Ok(Record { ts: found.ts, linktype: found.linktype, data, orig_len: found.orig_len }))
            }
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }

    /// Records returned so far.
    pub fn records(&self) -> u64 {
        self.records
    }

    fn malformed(&self, reason: impl Into<String>) -> SourceError {
        SourceError::Malformed { path: self.path.clone(), records: self.records, reason: reason.into() }
    }

    fn io(&self, e: std::io::Error) -> SourceError {
        SourceError::Io(self.path.clone(), e)
    }

    /// Makes `n` bytes available or explains that the file ends first.
    /// `Ok(false)` only when the file ended cleanly (nothing left at all).
    fn fill_or_truncated(&mut self, n: usize, what: &str) -> Result<bool, SourceError> {
        if self.input.fill(n).map_err(|e| self.io(e))? {
            return Ok(true);
        }
        let have = self.input.available().len();
        if have == 0 {
            return Ok(false);
        }
        Err(self.malformed(format!("truncated {what}: need {n} bytes, have {have}")))
    }

    fn read_next(&mut self) -> Result<Option<Found>, SourceError> {
        match self.format {
            Format::Pcap { .. } => self.next_pcap(),
            Format::PcapNg { .. } => self.next_pcapng(),
        }
    }

    fn next_pcap(&mut self) -> Result<Option<Found>, SourceError> {
        let Format::Pcap { ref parser, .. } = self.format else {
            return Ok(None);
        };
        let endianness = parser.header().endianness;
        if !self.fill_or_truncated(pcap_rec::LEN, "record header")? {
            return Ok(None);
        }
        let incl_len = read_u32(self.input.available(), pcap_rec::INCL_LEN, endianness) as usize;
        if incl_len > MAX_PACKET_LEN {
            return Err(self.malformed(format!("captured length {incl_len} above the {MAX_PACKET_LEN} limit")));
        }
        let total = pcap_rec::LEN + incl_len;
        if !self.fill_or_truncated(total, "record")? {
            return Ok(None);
        }
        let Format::Pcap { ref parser, linktype, nanos } = self.format else {
            return Ok(None);
        };
        let raw = match parser.next_raw_packet(&self.input.available()[..total]) {
            Ok((_, raw)) => raw,
            Err(e) => return Err(self.malformed(e.to_string())),
        };
        // Out-of-range fractions are carried into the seconds rather than
        // rejected: libpcap does not check them either.
        let frac_micros = if nanos { raw.ts_frac / 1000 } else { raw.ts_frac };
        let ts = Timestamp {
            secs: i64::from(raw.ts_sec) + i64::from(frac_micros / 1_000_000),
            micros: frac_micros % 1_000_000,
        };
        // A writer that put an original length below the captured one is
        // wrong; the frame was at least as long as what was captured.
        let orig_len = raw.orig_len.max(raw.incl_len);
        let start = self.input.start + pcap_rec::LEN;
        self.input.consume(total);
        Ok(Some(Found { ts, linktype, data: start..start + incl_len, orig_len }))
    }

    fn next_pcapng(&mut self) -> Result<Option<Found>, SourceError> {
        loop {
            if !self.fill_or_truncated(ng_block::MIN_LEN, "block header")? {
                return Ok(None);
            }
            let Format::PcapNg { ref parser, .. } = self.format else {
                return Ok(None);
            };
            let endianness = parser.section().endianness;
            let btype = read_u32(self.input.available(), ng_block::TYPE, endianness);
            let len = if btype == SECTION_HEADER_BLOCK {
                shb_len(&mut self.input, &self.path).map_err(|e| self.renumber(e))?
            } else {
                let len = read_u32(self.input.available(), ng_block::TOTAL_LEN, endianness) as usize;
                self.check_block_len(len)?;
                if !self.fill_or_truncated(len, "block")? {
                    return Ok(None);
                }
                len
            };
            let start = self.input.start;
            let Format::PcapNg { ref mut parser, ref mut interfaces } = self.format else {
                return Ok(None);
            };
            let block = &self.input.buf[start..start + len];
            let found = match btype {
                ENHANCED_PACKET_BLOCK | PACKET_BLOCK | SIMPLE_PACKET_BLOCK => match parser.next_block(block) {
                    Ok((_, b)) => packet_block(&b, interfaces, start),
                    Err(e) => Err(e.to_string()),
                },
                _ => match parser.next_raw_block(block) {
                    Ok(_) if btype == SECTION_HEADER_BLOCK => {
                        interfaces.clear();
                        Ok(None)
                    }
                    Ok(_) => match parser.interfaces().get(interfaces.len()) {
                        // The parser just learnt an interface description.
                        Some(_) if interfaces.len() >= MAX_INTERFACES => {
                            Err(format!("more than {MAX_INTERFACES} interfaces"))
                        }
                        Some(idb) => Interface::from_idb(idb).map(|i| {
                            interfaces.push(i);
                            None
                        }),
                        None => Ok(None),
                    },
                    Err(e) => Err(e.to_string()),
                },
            };
            match found {
                Ok(Some(f)) => {
                    self.input.consume(len);
                    return Ok(Some(f));
                }
                Ok(None) => self.input.consume(len),
                Err(reason) => return Err(self.malformed(reason)),
            }
        }
    }

    fn check_block_len(&self, len: usize) -> Result<(), SourceError> {
        if len > MAX_BLOCK_LEN {
            return Err(self.malformed(format!("block length {len} above the {MAX_BLOCK_LEN} limit")));
        }
        if len < ng_block::MIN_LEN || !len.is_multiple_of(4) {
            return Err(self.malformed(format!("invalid block length {len}")));
        }
        Ok(())
    }

    /// `shb_len` reports with 0 records; fix the count.
    fn renumber(&self, e: SourceError) -> SourceError {
        match e {
            SourceError::Malformed { reason, .. } => self.malformed(reason),
            other => other,
        }
    }
}

/// Reads the length of the section header block at the start of `input`
/// (its byte order comes from its own byte-order magic) and makes the whole
/// block available.
fn shb_len(input: &mut Input, path: &Path) -> Result<usize, SourceError> {
    let malformed = |reason: String| SourceError::Malformed { path: path.to_path_buf(), records: 0, reason };
    let io = |e| SourceError::Io(path.to_path_buf(), e);
    if !input.fill(ng_block::MIN_LEN).map_err(io)? {
        return Err(malformed("truncated section header block".into()));
    }
    let endianness = match read_u32(input.available(), ng_block::BYTE_ORDER, Endianness::Big) {
        0x1A2B_3C4D => Endianness::Big,
        0x4D3C_2B1A => Endianness::Little,
        other => return Err(malformed(format!("bad section byte-order magic {other:#010x}"))),
    };
    let len = read_u32(input.available(), ng_block::TOTAL_LEN, endianness) as usize;
    if !(ng_block::MIN_LEN..=MAX_BLOCK_LEN).contains(&len) || !len.is_multiple_of(4) {
        return Err(malformed(format!("invalid section header block length {len}")));
    }
    if !input.fill(len).map_err(io)? {
        let have = input.available().len();
        return Err(malformed(format!("truncated section header block: need {len} bytes, have {have}")));
    }
    Ok(len)
}

/// Turns a parsed packet block starting at `start` of the buffer into a
/// record; other blocks yield `None`.
fn packet_block(block: &Block<'_>, interfaces: &[Interface], start: usize) -> Result<Option<Found>, String> {
    let iface = |id: u32| interfaces.get(id as usize).ok_or_else(|| format!("packet for undeclared interface {id}"));
    match block {
        Block::EnhancedPacket(epb) => {
            let i = iface(epb.interface_id)?;
            // pcap-file stored the raw timestamp units as nanoseconds.
            let units = u64::try_from(epb.timestamp.as_nanos()).unwrap_or(u64::MAX);
            let data = start + ng_block::EPB_DATA;
            Ok(Some(Found {
                ts: i.timestamp(units),
                linktype: i.linktype,
                data: data..data + epb.data.len(),
                orig_len: epb.original_len.max(epb.data.len() as u32),
            }))
        }
        Block::Packet(pb) => {
            let i = iface(u32::from(pb.interface_id))?;
            let data = start + ng_block::EPB_DATA;
            Ok(Some(Found {
                ts: i.timestamp(pb.timestamp),
                linktype: i.linktype,
                data: data..data + pb.data.len(),
                orig_len: pb.original_len.max(pb.data.len() as u32),
            }))
        }
        Block::SimplePacket(spb) => {
            let i = iface(0)?;
            // The block body is padded to 32 bits: the captured length is the
            // original length cut to the snaplen.
            let mut captured = spb.data.len().min(spb.original_len as usize);
            if i.snaplen != 0 {
                captured = captured.min(i.snaplen as usize);
            }
            let data = start + ng_block::SPB_DATA;
            Ok(Some(Found {
                // A simple packet block has no timestamp; libpcap reports 0.
                ts: Timestamp::default(),
                linktype: i.linktype,
                data: data..data + captured,
                orig_len: spb.original_len,
            }))
        }
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    //! Capture files are built byte by byte from the pcap and pcapng
    //! specifications (draft-ietf-opsawg-pcap / -pcapng) by the helpers
    //! below, written to a temporary directory and read back.

    use std::path::PathBuf;

    use super::{FileSource, MAX_PACKET_LEN};
    use crate::decode::LinkType;
    use crate::source::{SourceError, Timestamp};

    /// A frame to store: 14-byte Ethernet header then "payload N".
    fn frame(n: u8) -> Vec<u8> {
        let mut f = vec![0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00];
        f.extend_from_slice(b"payload ");
        f.push(b'0' + n);
        f
    }

    /// A file in the system temp dir, removed when dropped.
    struct TempFile(PathBuf);

    impl TempFile {
        fn new(name: &str, bytes: &[u8]) -> Self {
            let dir = std::env::temp_dir().join(format!("mirador-source-test-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            let path = dir.join(name);
            std::fs::write(&path, bytes).unwrap();
            TempFile(path)
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    /// Appends integers in the file's byte order.
    struct Writer {
        le: bool,
        out: Vec<u8>,
    }

    impl Writer {
        fn new(le: bool) -> Self {
            Writer { le, out: Vec::new() }
        }
        fn u16(&mut self, v: u16) -> &mut Self {
            self.out.extend_from_slice(&if self.le { v.to_le_bytes() } else { v.to_be_bytes() });
            self
        }
        fn u32(&mut self, v: u32) -> &mut Self {
            self.out.extend_from_slice(&if self.le { v.to_le_bytes() } else { v.to_be_bytes() });
            self
        }
        fn bytes(&mut self, b: &[u8]) -> &mut Self {
            self.out.extend_from_slice(b);
            self
        }
        /// Zero bytes up to the next multiple of 4.
        fn pad4(&mut self) -> &mut Self {
            while !self.out.len().is_multiple_of(4) {
                self.out.push(0);
            }
            self
        }
    }

    /// A classic pcap file: global header (magic written in the file's byte
    /// order, version 2.4, snaplen, link type) then one 16-byte record
    /// header (seconds, fraction, captured length, original length) per
    /// packet.
    fn pcap(le: bool, nanos: bool, snaplen: u32, linktype: u32, recs: &[(u32, u32, &[u8], u32)]) -> Vec<u8> {
        let mut w = Writer::new(le);
        w.u32(if nanos { 0xA1B2_3C4D } else { 0xA1B2_C3D4 }).u16(2).u16(4).u32(0).u32(0).u32(snaplen).u32(linktype);
        for &(secs, frac, data, orig) in recs {
            w.u32(secs).u32(frac).u32(data.len() as u32).u32(orig).bytes(data);
        }
        w.out
    }

    /// A pcapng block: type, total length, body padded to 32 bits, total
    /// length again.
    fn block(le: bool, btype: u32, body: &[u8]) -> Vec<u8> {
        let padded = body.len().div_ceil(4) * 4;
        let total = (12 + padded) as u32;
        let mut w = Writer::new(le);
        w.u32(btype).u32(total).bytes(body).pad4().u32(total);
        w.out
    }

    /// Section header block: byte-order magic, version 1.0, unknown section
    /// length (-1), no options.
    fn shb(le: bool) -> Vec<u8> {
        let mut w = Writer::new(le);
        w.u32(0x1A2B_3C4D).u16(1).u16(0).u32(u32::MAX).u32(u32::MAX);
        block(le, 0x0A0D_0D0A, &w.out)
    }

    /// Interface description block: link type, reserved, snaplen, then
    /// options (code, length, value padded) closed by opt_endofopt.
    fn idb(le: bool, linktype: u16, snaplen: u32, options: &[(u16, &[u8])]) -> Vec<u8> {
        let mut w = Writer::new(le);
        w.u16(linktype).u16(0).u32(snaplen);
        if !options.is_empty() {
            for (code, value) in options {
                w.u16(*code).u16(value.len() as u16).bytes(value).pad4();
            }
            w.u16(0).u16(0);
        }
        block(le, 1, &w.out)
    }

    /// Enhanced packet block: interface id, timestamp high and low 32 bits
    /// (in the interface's units), captured length, original length, data.
    fn epb(le: bool, iface: u32, ts: u64, data: &[u8], orig: u32) -> Vec<u8> {
        let mut w = Writer::new(le);
        w.u32(iface).u32((ts >> 32) as u32).u32(ts as u32).u32(data.len() as u32).u32(orig).bytes(data);
        block(le, 6, &w.out)
    }

    /// Simple packet block: original length then data (padded by `block`).
    fn spb(le: bool, orig: u32, data: &[u8]) -> Vec<u8> {
        let mut w = Writer::new(le);
        w.u32(orig).bytes(data);
        block(le, 3, &w.out)
    }

    /// A record copied out of the reader: timestamp, link type, data,
    /// original length.
    type Owned = (Timestamp, LinkType, Vec<u8>, u32);

    /// Reads every record, then the error if one ended the file.
    fn read_all(path: &std::path::Path) -> (Vec<Owned>, Option<SourceError>) {
        let mut src = FileSource::open(path).expect("opens");
        let mut recs = Vec::new();
        let mut err = None;
        while let Some(r) = src.next_record() {
            match r {
                Ok(r) => recs.push((r.ts, r.linktype, r.data.to_vec(), r.orig_len)),
                Err(e) => {
                    err = Some(e);
                    break;
                }
            }
        }
        // Finished for good.
        assert!(src.next_record().is_none() && src.next_record().is_none());
        (recs, err)
    }

    fn ts(secs: i64, micros: u32) -> Timestamp {
        Timestamp { secs, micros }
    }

    #[test]
    fn pcap_all_four_magics() {
        let f0 = frame(0);
        let f1 = frame(1);
        for (le, nanos) in [(true, false), (false, false), (true, true), (false, true)] {
            // Fractions: 123456 us, or 123456789 ns which must become 123456 us.
            let frac = if nanos { 123_456_789 } else { 123_456 };
            let bytes = pcap(le, nanos, 65535, 1, &[(1_700_000_000, frac, &f0, 60), (1_700_000_001, 0, &f1, 23)]);
            let tmp = TempFile::new(&format!("magic-{le}-{nanos}.pcap"), &bytes);
            let (recs, err) = read_all(&tmp.0);
            assert!(err.is_none(), "{le} {nanos}: {err:?}");
            assert_eq!(recs.len(), 2);
            assert_eq!(recs[0], (ts(1_700_000_000, 123_456), LinkType::Ethernet, f0.clone(), 60));
            assert_eq!(recs[1], (ts(1_700_000_001, 0), LinkType::Ethernet, f1.clone(), 23));
        }
    }

    #[test]
    fn pcap_linktype_and_snaplen_truncation() {
        // tcpdump -s 16 on a raw-IP interface: orig_len 1500 > snaplen 16 is
        // normal (pcap-file 2 alone would reject it). The link type field's
        // high bits carry FCS information and are masked off.
        let data = [0x45u8; 16];
        let bytes = pcap(true, false, 16, 101 | 0x1000_0000, &[(5, 999_999, &data, 1500)]);
        let tmp = TempFile::new("snaplen.pcap", &bytes);
        let (recs, err) = read_all(&tmp.0);
        assert!(err.is_none());
        assert_eq!(recs, [(ts(5, 999_999), LinkType::Raw, data.to_vec(), 1500)]);
    }

    #[test]
    fn pcap_truncated_file_is_malformed_after_good_records() {
        let f = frame(3);
        let bytes = pcap(true, false, 65535, 1, &[(1, 0, &f, 23), (2, 0, &f, 23), (3, 0, &f, 23)]);
        // Cut inside the third record's data, then inside its header.
        for cut in [bytes.len() - 5, bytes.len() - 23 - 8] {
            let tmp = TempFile::new(&format!("cut-{cut}.pcap"), &bytes[..cut]);
            let (recs, err) = read_all(&tmp.0);
            assert_eq!(recs.len(), 2);
            match err {
                Some(SourceError::Malformed { records: 2, reason, .. }) => {
                    assert!(reason.contains("truncated"), "{reason}")
                }
                other => panic!("{other:?}"),
            }
        }
        // A file that ends exactly after a record is fine.
        let tmp = TempFile::new("whole.pcap", &bytes);
        let (recs, err) = read_all(&tmp.0);
        assert_eq!((recs.len(), err.is_none()), (3, true));
    }

    #[test]
    fn pcap_absurd_length_does_not_allocate() {
        let f = frame(4);
        let mut bytes = pcap(true, false, 65535, 1, &[(1, 0, &f, 23)]);
        // A second record header claiming 4 GB.
        bytes.extend_from_slice(&[2, 0, 0, 0, 0, 0, 0, 0, 0xf0, 0xff, 0xff, 0xff, 0xf0, 0xff, 0xff, 0xff]);
        let tmp = TempFile::new("absurd.pcap", &bytes);
        let (recs, err) = read_all(&tmp.0);
        assert_eq!(recs.len(), 1);
        match err {
            Some(SourceError::Malformed { records: 1, reason, .. }) => {
                assert!(reason.contains(&MAX_PACKET_LEN.to_string()), "{reason}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bad_magic_missing_file_and_short_header() {
        let tmp = TempFile::new("text.pcap", b"GET / HTTP/1.1\r\n");
        assert!(matches!(FileSource::open(&tmp.0), Err(SourceError::BadMagic(_))));
        let tmp = TempFile::new("empty.pcap", b"");
        assert!(matches!(FileSource::open(&tmp.0), Err(SourceError::BadMagic(_))));
        let tmp = TempFile::new("short.pcap", &pcap(true, false, 65535, 1, &[])[..20]);
        assert!(matches!(FileSource::open(&tmp.0), Err(SourceError::Malformed { records: 0, .. })));
        let missing = std::env::temp_dir().join("mirador-no-such-file.pcap");
        let err = FileSource::open(&missing).unwrap_err();
        assert!(matches!(err, SourceError::Io(..)));
        assert!(err.to_string().contains("mirador-no-such-file.pcap"));
    }

    #[test]
    fn pcapng_interfaces_resolutions_and_block_kinds() {
        let le = true;
        let (f0, f1, f2) = (frame(0), frame(1), frame(2));
        let mut bytes = shb(le);
        // Interface 0: Ethernet, snaplen 0 (none), default resolution (us).
        bytes.extend(idb(le, 1, 0, &[]));
        // An unknown (custom) block is skipped.
        bytes.extend(block(le, 0x0000_0BAD, b"skip me"));
        bytes.extend(epb(le, 0, 1_700_000_000_250_000, &f0, 100));
        // Interface 1: raw IP, if_tsresol 9 (ns), if_name "eth1",
        // if_tsoffset 10 s.
        bytes.extend(idb(le, 101, 65535, &[(2, b"eth1"), (9, &[9]), (14, &10u64.to_le_bytes())]));
        bytes.extend(epb(le, 1, 1_700_000_000_123_456_789, &f1, 23));
        // Simple packet block: interface 0, original length 30 but only the
        // 23 stored bytes (plus padding) are there.
        bytes.extend(spb(le, 23, &f2));
        // Interface 2: power-of-two resolution 2^-10 s.
        bytes.extend(idb(le, 1, 0, &[(9, &[0x80 | 10])]));
        bytes.extend(epb(le, 2, (7 << 10) | 512, &f0, 23));
        let tmp = TempFile::new("mixed.pcapng", &bytes);
        let (recs, err) = read_all(&tmp.0);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(
            recs,
            [
                (ts(1_700_000_000, 250_000), LinkType::Ethernet, f0.clone(), 100),
                (ts(1_700_000_010, 123_456), LinkType::Raw, f1.clone(), 23),
                (ts(0, 0), LinkType::Ethernet, f2.clone(), 23),
                (ts(7, 500_000), LinkType::Ethernet, f0.clone(), 23),
            ]
        );
    }

    #[test]
    fn pcapng_simple_packet_block_cut_to_snaplen() {
        let le = false;
        let f = frame(5);
        let mut bytes = shb(le);
        bytes.extend(idb(le, 1, 16, &[]));
        bytes.extend(spb(le, 23, &f[..16]));
        let tmp = TempFile::new("spb.pcapng", &bytes);
        let (recs, err) = read_all(&tmp.0);
        assert!(err.is_none());
        assert_eq!(recs, [(ts(0, 0), LinkType::Ethernet, f[..16].to_vec(), 23)]);
    }

    #[test]
    fn pcapng_sections_may_change_byte_order() {
        let (f0, f1) = (frame(0), frame(1));
        let mut bytes = shb(true);
        bytes.extend(idb(true, 1, 0, &[]));
        bytes.extend(epb(true, 0, 2_000_001, &f0, 23));
        bytes.extend(shb(false));
        // The new section has its own interfaces: id 0 is now raw IP.
        bytes.extend(idb(false, 101, 0, &[]));
        bytes.extend(epb(false, 0, 3_000_002, &f1, 23));
        let tmp = TempFile::new("sections.pcapng", &bytes);
        let (recs, err) = read_all(&tmp.0);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(recs, [(ts(2, 1), LinkType::Ethernet, f0.clone(), 23), (ts(3, 2), LinkType::Raw, f1.clone(), 23)]);
    }

    #[test]
    fn pcapng_errors() {
        let f = frame(6);
        let mut good = shb(true);
        good.extend(idb(true, 1, 0, &[]));
        good.extend(epb(true, 0, 1, &f, 23));
        good.extend(epb(true, 0, 2, &f, 23));

        // Truncated inside the last block.
        let tmp = TempFile::new("cut.pcapng", &good[..good.len() - 6]);
        let (recs, err) = read_all(&tmp.0);
        assert_eq!(recs.len(), 1);
        assert!(matches!(err, Some(SourceError::Malformed { records: 1, .. })), "{err:?}");

        // A packet for an interface that was never described.
        let mut bytes = good.clone();
        bytes.extend(epb(true, 3, 3, &f, 23));
        let tmp = TempFile::new("iface.pcapng", &bytes);
        let (recs, err) = read_all(&tmp.0);
        assert_eq!(recs.len(), 2);
        match err {
            Some(SourceError::Malformed { records: 2, reason, .. }) => {
                assert!(reason.contains("interface 3"), "{reason}")
            }
            other => panic!("{other:?}"),
        }

        // An absurd block length.
        let mut bytes = good.clone();
        bytes.extend_from_slice(&[6, 0, 0, 0, 0xf0, 0xff, 0xff, 0x7f, 0, 0, 0, 0]);
        let tmp = TempFile::new("absurd.pcapng", &bytes);
        let (recs, err) = read_all(&tmp.0);
        assert_eq!(recs.len(), 2);
        assert!(matches!(err, Some(SourceError::Malformed { records: 2, .. })), "{err:?}");

        // A block whose trailing length disagrees.
        let mut bytes = good.clone();
        let mut bad = epb(true, 0, 3, &f, 23);
        let n = bad.len();
        bad[n - 4] ^= 0x40;
        bytes.extend(bad);
        let tmp = TempFile::new("trailer.pcapng", &bytes);
        let (recs, err) = read_all(&tmp.0);
        assert_eq!(recs.len(), 2);
        assert!(matches!(err, Some(SourceError::Malformed { records: 2, .. })), "{err:?}");

        // A section header with a wrong byte-order magic.
        let mut bytes = shb(true);
        bytes[8] = 0x99;
        let tmp = TempFile::new("bom.pcapng", &bytes);
        assert!(matches!(FileSource::open(&tmp.0), Err(SourceError::Malformed { records: 0, .. })));
    }

    #[test]
    fn every_prefix_of_a_file_is_handled() {
        let f = frame(7);
        let mut ng = shb(true);
        ng.extend(idb(true, 1, 0, &[(9, &[6])]));
        ng.extend(epb(true, 0, 1, &f, 23));
        ng.extend(spb(true, 23, &f));
        let classic = pcap(false, true, 65535, 1, &[(1, 2, &f, 23), (3, 4, &f, 23)]);
        for (name, bytes) in [("prefix.pcapng", ng), ("prefix.pcap", classic)] {
            for n in 0..=bytes.len() {
                let tmp = TempFile::new(name, &bytes[..n]);
                if let Ok(mut src) = FileSource::open(&tmp.0) {
                    while let Some(r) = src.next_record() {
                        if r.is_err() {
                            break;
                        }
                    }
                }
            }
        }
    }
}
