//! `--pcap-out`: the frames the engine inspected, written to a pcap file an
//! analyst opens in Wireshark or tcpdump, rotated by size.
//!
//! What is written, per captured frame:
//! - a tunnelled frame (VXLAN, GENEVE, nested): the innermost frame, as the
//!   mirrored instance sent it, without the outer Ethernet/IP/UDP/tunnel
//!   headers. When the innermost tunnel carries an IP packet without an
//!   Ethernet header (AWS Gateway Load Balancer's GENEVE), a 14-byte Ethernet
//!   header with zero addresses is put in front of it; so it is for any other
//!   encapsulation the decoder learns, whose innermost IP packet is written;
//! - a frame that is not tunnelled: the frame itself when the capture is
//!   Ethernet; for other link types (raw IP, Linux SLL, loopback) its IP
//!   packet behind a zero-address Ethernet header;
//! - a frame that does not decode, or a non-IP frame outside a tunnel on a
//!   non-Ethernet link, is not written (it is counted in
//!   [`PcapOutStats::skipped`]).
//!
//! The file is classic pcap, link type Ethernet, microsecond timestamps (the
//! capture's), native byte order. A frame that a mirror truncated keeps its
//! original length in the record header, so Wireshark marks it as cut short.
//! Outer IP fragments are not reassembled by the decoder, so they are written
//! as captured (not tunnelled).
//!
//! Rotation: with a limit, a new file starts before a frame would take the
//! current one past the limit: `inner.pcap`, then `inner.1.pcap`,
//! `inner.2.pcap`... (the index goes before the extension so that the files
//! keep opening with the same program). A single frame larger than the limit
//! still gets written, alone in its file.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
use pcap_file::{DataLink, Endianness, TsResolution};

use crate::decode::{self, LinkType, Packet, TunnelKind};
use crate::source::Record;

/// Snapshot length written in the file header: libpcap's maximum, so that
/// an inner frame's original length (up to 64 KiB of IP plus its Ethernet
/// header) never exceeds it.
pub const PCAP_OUT_SNAPLEN: u32 = 262_144;

/// Size of the pcap global header.
const FILE_HEADER_LEN: u64 = 24;

/// Size of a pcap record header.
const RECORD_HEADER_LEN: u64 = 16;

/// Smallest rotation limit accepted: a file header and one full-size frame.
pub const MIN_LIMIT: u64 = FILE_HEADER_LEN + RECORD_HEADER_LEN + 65_535;

/// VXLAN header length and UDP header length.
const VXLAN_LEN: usize = 8;
const UDP_LEN: usize = 8;

/// Ethernet header length and one VLAN tag.
const ETH_LEN: usize = 14;
const VLAN_TAG_LEN: usize = 4;

/// GENEVE protocol types.
const GENEVE_PROTO_ETHERNET: u16 = 0x6558;
const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86dd;

/// Where the inspected frame of a decoded packet lies in its bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InnerFrame {
    /// Byte range in [`Packet::data`].
    pub range: Range<usize>,
    /// The range starts with an Ethernet header; else it starts with an IP
    /// header of this version.
    pub ethernet: bool,
    /// IP version of the packet when `ethernet` is false.
    pub ip_version: u8,
    /// Length the frame had before any truncation (from its IP header).
    pub orig_len: usize,
}

impl InnerFrame {
    /// Captured length of the frame as written (with the Ethernet header put
    /// in front of a bare IP packet).
    pub fn written_len(&self) -> usize {
        self.range.len() + if self.ethernet { 0 } else { ETH_LEN }
    }
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn be24(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes([0, *b.get(at)?, *b.get(at + 1)?, *b.get(at + 2)?]))
}

/// The UDP header that carried `t`, just before a tunnel header at `hdr`.
/// Returns the end of the datagram (its UDP length, bounded by the data).
fn udp_before(data: &[u8], hdr: usize, t: &decode::Tunnel) -> Option<usize> {
    let udp = hdr.checked_sub(UDP_LEN)?;
    if be16(data, udp)? != t.sport || be16(data, udp + 2)? != t.dport {
        return None;
    }
    let len = usize::from(be16(data, udp + 4)?);
    Some(if len >= UDP_LEN { (udp + len).min(data.len()) } else { data.len() })
}

/// Finds the innermost tunnel's header in front of a frame starting at
/// `start`, checking every field the decoder read (ports, VNI, flags,
/// protocol type) so that payload bytes cannot pass for a header. Returns
/// the end of the tunnel's UDP datagram.
fn tunnel_before(data: &[u8], start: usize, t: &decode::Tunnel, payload_proto: &[u16]) -> Option<usize> {
    if t.kind == TunnelKind::Vxlan {
        let h = start.checked_sub(VXLAN_LEN)?;
        let ok =
            data.get(h)? & 0x08 != 0 && be24(data, h + 4)? == t.vni && payload_proto.contains(&GENEVE_PROTO_ETHERNET);
        ok.then(|| udp_before(data, h, t)).flatten()
    } else if t.kind == TunnelKind::Geneve {
        (0..64usize).find_map(|words| {
            let h = start.checked_sub(8 + 4 * words)?;
            let first = *data.get(h)?;
            let ok = first >> 6 == 0
                && usize::from(first & 0x3f) == words
                && payload_proto.contains(&be16(data, h + 2)?)
                && be24(data, h + 4)? == t.vni;
            ok.then(|| udp_before(data, h, t)).flatten()
        })
    } else {
        None
    }
}

/// Locates the frame the engine inspects in a decoded packet: see the
/// module docs. `linktype` is the capture's.
pub fn inner_frame(linktype: LinkType, pkt: &Packet<'_>) -> Option<InnerFrame> {
    let data = pkt.data;
    // Where the innermost layer 3 begins: the IP header, or for a non-IP
    // frame the byte after its Ethernet type.
    let l3 = pkt.ip.as_ref().map_or(pkt.payload.start, |ip| ip.header.start);
    let ip_total = pkt.ip.as_ref().map(|ip| ip.claimed_len);
    let version = pkt.ip.as_ref().map_or(0, |ip| ip.version);
    let orig = |start: usize, end: usize| ip_total.map_or(end - start, |n| (l3 - start + n).max(end - start));
    let Some(t) = pkt.tunnel() else {
        return match linktype {
            LinkType::Ethernet => {
                Some(InnerFrame { range: 0..data.len(), ethernet: true, ip_version: version, orig_len: data.len() })
            }
            _ if pkt.ip.is_some() => Some(InnerFrame {
                range: l3..data.len(),
                ethernet: false,
                ip_version: version,
                orig_len: orig(l3, data.len()),
            }),
            _ => None,
        };
    };
    // An Ethernet frame (VXLAN; GENEVE with protocol 0x6558)...
    let eth = l3.checked_sub(ETH_LEN + VLAN_TAG_LEN * usize::from(pkt.vlan_count));
    if let Some(e) = eth {
        if let Some(end) = tunnel_before(data, e, t, &[GENEVE_PROTO_ETHERNET]) {
            let end = end.max(l3);
            return Some(InnerFrame { range: e..end, ethernet: true, ip_version: version, orig_len: orig(e, end) });
        }
    }
    // ...or an IP packet straight after a GENEVE header.
    if pkt.vlan_count == 0 && pkt.ip.is_some() {
        let proto = if version == 6 { ETHERTYPE_IPV6 } else { ETHERTYPE_IPV4 };
        if let Some(end) = tunnel_before(data, l3, t, &[proto]) {
            let end = end.max(l3);
            return Some(InnerFrame { range: l3..end, ethernet: false, ip_version: version, orig_len: orig(l3, end) });
        }
    }
    // Another encapsulation: its innermost IP packet, as far as its header
    // says it goes.
    let total = ip_total?;
    let end = (l3 + total).min(data.len()).max(l3);
    Some(InnerFrame { range: l3..end, ethernet: false, ip_version: version, orig_len: orig(l3, end) })
}

/// Counters of a [`PcapOut`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PcapOutStats {
    /// Frames written.
    pub frames: u64,
    /// Bytes written (record headers and files headers included).
    pub bytes: u64,
    /// Files opened.
    pub files: u64,
    /// Frames not written: undecodable, or nothing to write.
    pub skipped: u64,
}

/// The `--pcap-out` writer.
pub struct PcapOut {
    base: PathBuf,
    limit: Option<u64>,
    /// pcap-file's writer, over a handle on the file that [`PcapOut::flush`]
    /// can reach (pcap-file 2 hands its inner writer out by value only).
    writer: Option<(PcapWriter<SharedFile>, SharedFile)>,
    /// Bytes in the current file.
    size: u64,
    /// Index of the current file (0: `base` itself).
    index: u64,
    /// Reused buffer for frames that get an Ethernet header put in front.
    scratch: Vec<u8>,
    /// Counters.
    pub stats: PcapOutStats,
}

impl std::fmt::Debug for PcapOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PcapOut")
            .field("base", &self.base)
            .field("limit", &self.limit)
            .field("index", &self.index)
            .field("stats", &self.stats)
            .finish()
    }
}

impl PcapOut {
    /// Creates (truncates) `path`. `limit` is the size in bytes after which
    /// a new file starts; `None` never rotates.
    ///
    /// # Errors
    /// When the file cannot be created, or `limit` is below [`MIN_LIMIT`]
    /// (kind `InvalidInput`).
    pub fn create(path: &Path, limit: Option<u64>) -> io::Result<PcapOut> {
        if let Some(l) = limit.filter(|l| *l < MIN_LIMIT) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("pcap-out limit {l} is below the minimum of {MIN_LIMIT} bytes (one full-size frame)"),
            ));
        }
        let mut out = PcapOut {
            base: path.to_path_buf(),
            limit,
            writer: None,
            size: 0,
            index: 0,
            scratch: Vec::new(),
            stats: PcapOutStats::default(),
        };
        out.open_current()?;
        Ok(out)
    }

    /// Name of the file with this rotation index: `base` for 0, else the
    /// index before the extension (`inner.pcap` -> `inner.3.pcap`).
    pub fn file_name(base: &Path, index: u64) -> PathBuf {
        if index == 0 {
            return base.to_path_buf();
        }
        match (base.file_stem(), base.extension()) {
            (Some(stem), Some(ext)) => {
                let mut name = stem.to_os_string();
                name.push(format!(".{index}."));
                name.push(ext);
                base.with_file_name(name)
            }
            _ => {
                let mut name = base.as_os_str().to_os_string();
                name.push(format!(".{index}"));
                PathBuf::from(name)
            }
        }
    }

    /// The file being written.
    pub fn current_path(&self) -> PathBuf {
        Self::file_name(&self.base, self.index)
    }

    fn open_current(&mut self) -> io::Result<()> {
        if let Some((_, mut file)) = self.writer.take() {
            file.flush()?;
        }
        let path = self.current_path();
        let f = File::create(&path)?;
        let header = PcapHeader {
            snaplen: PCAP_OUT_SNAPLEN,
            datalink: DataLink::ETHERNET,
            ts_resolution: TsResolution::MicroSecond,
            endianness: Endianness::native(),
            ..PcapHeader::default()
        };
        let file = SharedFile(Arc::new(Mutex::new(BufWriter::with_capacity(1 << 16, f))));
        let w = PcapWriter::with_header(file.clone(), header).map_err(to_io)?;
        self.writer = Some((w, file));
        self.size = FILE_HEADER_LEN;
        self.stats.files += 1;
        self.stats.bytes += FILE_HEADER_LEN;
        Ok(())
    }

    /// Decodes `rec` and writes its inspected frame. Returns whether a frame
    /// was written.
    ///
    /// # Errors
    /// I/O errors of the file (creating the next one included).
    pub fn write(&mut self, rec: &Record<'_>) -> io::Result<bool> {
        match decode::decode(rec.linktype, rec.data) {
            Ok(pkt) => self.write_packet(rec, &pkt),
            Err(_) => {
                self.stats.skipped += 1;
                Ok(false)
            }
        }
    }

    /// Writes the inspected frame of an already decoded packet.
    ///
    /// # Errors
    /// I/O errors of the file (creating the next one included).
    pub fn write_packet(&mut self, rec: &Record<'_>, pkt: &Packet<'_>) -> io::Result<bool> {
        let Some(frame) = inner_frame(rec.linktype, pkt) else {
            self.stats.skipped += 1;
            return Ok(false);
        };
        let Ok(secs) = u64::try_from(rec.ts.secs) else {
            // pcap cannot hold times before 1970.
            self.stats.skipped += 1;
            return Ok(false);
        };
        let record = RECORD_HEADER_LEN + frame.written_len() as u64;
        if let Some(limit) = self.limit {
            if self.size > FILE_HEADER_LEN && self.size + record > limit {
                self.index += 1;
                self.open_current()?;
            }
        }
        let bytes: &[u8] = if frame.ethernet {
            // Not tunnelled: keep the original length the capture recorded.
            &pkt.data[frame.range.clone()]
        } else {
            self.scratch.clear();
            self.scratch.extend_from_slice(&[0; 12]);
            let etype = if frame.ip_version == 6 { ETHERTYPE_IPV6 } else { ETHERTYPE_IPV4 };
            self.scratch.extend_from_slice(&etype.to_be_bytes());
            self.scratch.extend_from_slice(&pkt.data[frame.range.clone()]);
            &self.scratch
        };
        let orig_len = match (pkt.tunnels.is_empty(), frame.ethernet) {
            // The frame as captured: the length the capture recorded.
            (true, true) => rec.orig_len as usize,
            // Raw IP, SLL or loopback: the link header is replaced by Ethernet.
            (true, false) => (rec.orig_len as usize).saturating_sub(frame.range.start) + ETH_LEN,
            (false, _) => frame.orig_len + (frame.written_len() - frame.range.len()),
        };
        let orig_len = u32::try_from(orig_len.max(bytes.len())).unwrap_or(u32::MAX).min(PCAP_OUT_SNAPLEN);
        let ts = Duration::new(secs, rec.ts.micros.min(999_999) * 1000);
        let packet = PcapPacket::new(ts, orig_len, bytes);
        let (w, _) = self.writer.as_mut().ok_or_else(|| io::Error::other("pcap-out closed"))?;
        w.write_packet(&packet).map_err(to_io)?;
        self.size += record;
        self.stats.frames += 1;
        self.stats.bytes += record;
        Ok(true)
    }

    /// Flushes buffered frames to the file.
    ///
    /// # Errors
    /// I/O errors of the file.
    pub fn flush(&mut self) -> io::Result<()> {
        match self.writer.as_mut() {
            Some((_, file)) => file.flush(),
            None => Ok(()),
        }
    }

    /// Flushes and closes the current file.
    ///
    /// # Errors
    /// I/O errors of the file.
    pub fn finish(&mut self) -> io::Result<()> {
        self.flush()?;
        self.writer = None;
        Ok(())
    }
}

/// The buffered file, shared by pcap-file's writer and [`PcapOut`].
#[derive(Clone)]
struct SharedFile(Arc<Mutex<BufWriter<File>>>);

impl Write for SharedFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).flush()
    }
}

fn to_io(e: pcap_file::PcapError) -> io::Error {
    match e {
        pcap_file::PcapError::IoError(e) => e,
        other => io::Error::other(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{FileSource, Timestamp};

    /// A file in the temporary folder, removed on drop.
    struct Temp(PathBuf);

    impl Temp {
        fn new(name: &str) -> Temp {
            static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
            let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let dir = std::env::temp_dir().join(format!("mirador-pcap-out-{}-{n}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            Temp(dir.join(name))
        }
    }

    impl Drop for Temp {
        fn drop(&mut self) {
            if let Some(d) = self.0.parent() {
                let _ = std::fs::remove_dir_all(d);
            }
        }
    }

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures").join(name)
    }

    /// (time, bytes, original length) of every record of a capture file.
    fn records(path: &Path) -> Vec<(Timestamp, Vec<u8>, u32)> {
        let mut src = FileSource::open(path).unwrap();
        let mut out = Vec::new();
        while let Some(r) = src.next_record() {
            let r = r.unwrap();
            assert_eq!(r.linktype, LinkType::Ethernet);
            out.push((r.ts, r.data.to_vec(), r.orig_len));
        }
        out
    }

    fn write_all(input: &Path, out: &mut PcapOut) -> u64 {
        let mut src = FileSource::open(input).unwrap();
        let mut n = 0;
        while let Some(r) = src.next_record() {
            n += u64::from(out.write(&r.unwrap()).unwrap());
        }
        out.finish().unwrap();
        n
    }

    #[test]
    fn tunnelled_fixtures_give_back_the_inner_frames() {
        let basic = records(&fixture("basic.pcap"));
        for name in ["vxlan.pcap", "geneve.pcap", "geneve-vxlan.pcap", "basic.pcap"] {
            let t = Temp::new("inner.pcap");
            let mut out = PcapOut::create(&t.0, None).unwrap();
            assert_eq!(write_all(&fixture(name), &mut out), 24, "{name}");
            assert_eq!(out.stats.files, 1);
            assert_eq!(records(&t.0), basic, "{name}");
        }
    }

    #[test]
    fn other_link_types_get_an_ethernet_header() {
        let t = Temp::new("raw.pcap");
        let mut out = PcapOut::create(&t.0, None).unwrap();
        assert_eq!(write_all(&fixture("basic-sll.pcap"), &mut out), 22);
        let got = records(&t.0);
        let basic: Vec<_> = records(&fixture("basic.pcap")).into_iter().take(22).collect();
        for ((_, g, glen), (_, b, _)) in got.iter().zip(&basic) {
            assert_eq!(&g[..12], &[0; 12]);
            assert_eq!(&g[12..], &b[12..]);
            assert_eq!(*glen as usize, g.len());
        }
    }

    /// Gateway Load Balancer GENEVE: an IPv4 packet right after the GENEVE
    /// header and its options (protocol 0x0800), no inner Ethernet.
    #[test]
    fn geneve_carrying_ip_gets_an_ethernet_header() {
        let inner_ip: &[u8] = &[
            0x45, 0, 0, 30, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, // IPv4 UDP
            0x04, 0x00, 0x00, 0x35, 0, 10, 0, 0, b'h', b'i',
        ];
        let opt: &[u8] = &[0x01, 0x08, 0x01, 0x01, 0xde, 0xad, 0xbe, 0xef];
        let mut geneve = vec![0x02, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00];
        geneve.extend_from_slice(opt);
        let udp_len = (8 + geneve.len() + inner_ip.len()) as u16;
        let mut f = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00];
        let total = 20 + udp_len;
        f.extend_from_slice(&[
            0x45,
            0,
            (total >> 8) as u8,
            total as u8,
            0,
            0,
            0,
            0,
            64,
            17,
            0,
            0,
            172,
            31,
            0,
            50,
            172,
            31,
            99,
            9,
        ]);
        f.extend_from_slice(&[0xea, 0x60, 0x17, 0xc1, (udp_len >> 8) as u8, udp_len as u8, 0, 0]);
        f.extend_from_slice(&geneve);
        f.extend_from_slice(inner_ip);
        let pkt = decode::decode(LinkType::Ethernet, &f).unwrap();
        assert_eq!(pkt.tunnel().map(|t| t.kind), Some(TunnelKind::Geneve));
        let frame = inner_frame(LinkType::Ethernet, &pkt).unwrap();
        assert!(!frame.ethernet);
        assert_eq!(&f[frame.range.clone()], inner_ip);
        assert_eq!(frame.written_len(), 14 + inner_ip.len());

        let t = Temp::new("gwlb.pcap");
        let mut out = PcapOut::create(&t.0, None).unwrap();
        let rec = Record {
            ts: Timestamp { secs: 1, micros: 5 },
            linktype: LinkType::Ethernet,
            data: &f,
            orig_len: f.len() as u32,
        };
        assert!(out.write(&rec).unwrap());
        out.finish().unwrap();
        let got = records(&t.0);
        let mut want = vec![0u8; 12];
        want.extend_from_slice(&[0x08, 0x00]);
        want.extend_from_slice(inner_ip);
        assert_eq!(got, [(Timestamp { secs: 1, micros: 5 }, want, 44)]);
    }

    #[test]
    fn undecodable_frames_are_skipped() {
        let t = Temp::new("skip.pcap");
        let mut out = PcapOut::create(&t.0, None).unwrap();
        let rec = Record { ts: Timestamp::default(), linktype: LinkType::Raw, data: &[0x45, 0], orig_len: 2 };
        assert!(!out.write(&rec).unwrap());
        assert_eq!(out.stats.skipped, 1);
        assert_eq!(out.stats.frames, 0);
    }

    #[test]
    fn rotation_by_size() {
        assert_eq!(PcapOut::file_name(Path::new("/x/inner.pcap"), 0), Path::new("/x/inner.pcap"));
        assert_eq!(PcapOut::file_name(Path::new("/x/inner.pcap"), 3), Path::new("/x/inner.3.pcap"));
        assert_eq!(PcapOut::file_name(Path::new("/x/inner"), 2), Path::new("/x/inner.2"));
        let t = Temp::new("rot.pcap");
        assert_eq!(PcapOut::create(&t.0, Some(MIN_LIMIT - 1)).unwrap_err().kind(), io::ErrorKind::InvalidInput);
        let mut out = PcapOut::create(&t.0, Some(MIN_LIMIT)).unwrap();
        // 200 Ethernet frames of 1000 bytes: 64 fit in each 65,575-byte file.
        let mut frame = vec![0u8; 1000];
        frame[12] = 0x88; // not IP: written as captured
        frame[13] = 0xb5;
        for i in 0..200 {
            let rec = Record {
                ts: Timestamp { secs: i, micros: 0 },
                linktype: LinkType::Ethernet,
                data: &frame,
                orig_len: 1000,
            };
            assert!(out.write(&rec).unwrap());
        }
        out.finish().unwrap();
        assert_eq!(out.stats.files, 4);
        let mut total = 0;
        for i in 0..4 {
            let p = PcapOut::file_name(&t.0, i);
            let len = std::fs::metadata(&p).unwrap().len();
            assert!(len <= MIN_LIMIT, "{} is {len} bytes", p.display());
            let recs = records(&p);
            assert!(recs.iter().all(|r| r.1 == frame));
            total += recs.len();
        }
        assert_eq!(total, 200);
        assert_eq!(records(&t.0)[0].0.secs, 0);
        assert_eq!(records(&PcapOut::file_name(&t.0, 3))[0].0.secs, 192);
    }
}
