//! `mirador mirror verify`: what a traffic mirror delivers to its target,
//! without rules. Listens on the target's interface for a while (or reads
//! capture files) and reports, per mirror session (encapsulation and VNI):
//! packets, bytes, inner protocols, top inner endpoints, the mirror sources,
//! truncated inner frames, outer IP fragments and duplicates; and the traffic
//! that arrived without a tunnel.
//!
//! Definitions (docs/live.md repeats them for users):
//! - a *session* is the innermost tunnel's encapsulation stack and VNI
//!   (`VXLAN 123`; `GENEVE/VXLAN 4242` when a Gateway Load Balancer carries
//!   a mirror);
//! - *packets* are mirrored packets: an outer packet that arrived in IPv4
//!   fragments is reassembled here and counts once; *fragments* counts the
//!   outer fragments, *incomplete* the fragments of packets never completed;
//! - *bytes* are outer bytes on the wire (what the mirror costs);
//! - *truncated*: the inner frame is shorter than its IP header says (the
//!   session's packet length cut it); `cut at` is the longest such inner
//!   frame, which is the session's packet length setting;
//! - a *duplicate* is an inner packet identical to one seen less than
//!   [`DUP_WINDOW_US`] earlier, TTL aside (both ends of a connection
//!   mirrored, or two sessions overlapping);
//! - *not tunnelled*: frames without VXLAN/GENEVE, including UDP to 4789 or
//!   6081 that does not hold a valid tunnel header.

use std::collections::{BTreeMap, HashMap};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Args;
use mirador_engine::decode::{self, LinkType, Packet, L4};
use mirador_engine::output::eve::proto_name;
use mirador_engine::output::pcap_out::inner_frame;
use mirador_engine::source::live::{LiveCapture, LiveConfig, Next};
use mirador_engine::source::{FileSource, Record, Timestamp};
use serde_json::{json, Value};

/// Two copies of an inner packet further apart than this (packet time,
/// microseconds) are not duplicates but retransmissions or repeats.
pub const DUP_WINDOW_US: i64 = 1_000_000;

/// Outer datagrams waiting for their fragments at once; beyond it the
/// oldest is given up (counted as incomplete).
const MAX_PENDING_FRAGMENTED: usize = 4096;

/// Fragments of one datagram kept at most (a 64 KiB datagram in 8-byte
/// pieces is 8192; real ones are 2 to 7).
const MAX_FRAGMENTS: usize = 64;

/// Seconds a fragmented datagram may wait for its other pieces (packet
/// time), as Linux's `ipfrag_time`.
const FRAG_TIMEOUT_US: i64 = 30_000_000;

/// Distinct endpoints remembered per session; beyond it new ones are
/// counted under "other". Bounds memory on a scan.
const MAX_ENDPOINTS: usize = 65_536;

/// What to check when no tunnelled packet arrived.
const NO_TUNNEL_HINT: &str = "no VXLAN (UDP 4789) or GENEVE (UDP 6081) traffic arrived: the mirror target's \
     security group must allow UDP 4789 inbound from the mirror sources; check that the mirror session exists \
     and points at this target, and that its filter accepts traffic (direction, rule numbers, action accept) \
     that the source ENI actually carries";

/// UDP ports the decoder treats as tunnels.
const TUNNEL_PORTS: [u16; 2] = [4789, 6081];

/// `mirador mirror verify` options.
#[derive(Args, Debug, Default)]
pub struct VerifyArgs {
    /// Listen on this interface (the mirror target's).
    #[arg(
        short = 'i',
        long = "interface",
        value_name = "IFACE",
        conflicts_with = "read",
        required_unless_present = "read"
    )]
    pub interface: Option<String>,
    /// How long to listen, seconds.
    #[arg(long, value_name = "N", default_value_t = 10, requires = "interface")]
    pub seconds: u64,
    /// Read capture files instead (repeatable; reported together).
    #[arg(short = 'r', long = "read", value_name = "PCAP")]
    pub read: Vec<PathBuf>,
    /// BPF capture filter for -i (default: none, so that untunnelled traffic is seen too).
    #[arg(long, value_name = "EXPR", requires = "interface")]
    pub bpf: Option<String>,
    /// Print one JSON document instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Endpoints and sources listed per session.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub top: usize,
}

/// Packets and bytes.
#[derive(Clone, Copy, Debug, Default)]
struct Count {
    packets: u64,
    bytes: u64,
}

impl Count {
    fn add(&mut self, bytes: u64) {
        self.packets += 1;
        self.bytes += bytes;
    }
}

/// Counters keyed by address, bounded.
#[derive(Debug, Default)]
struct Endpoints {
    map: HashMap<IpAddr, Count>,
    other: Count,
}

impl Endpoints {
    fn add(&mut self, ip: IpAddr, bytes: u64) {
        let full = self.map.len() >= MAX_ENDPOINTS;
        match self.map.get_mut(&ip) {
            Some(c) => c.add(bytes),
            None if full => self.other.add(bytes),
            None => self.map.entry(ip).or_default().add(bytes),
        }
    }

    /// The `n` busiest, by packets then address.
    fn top(&self, n: usize) -> Vec<(IpAddr, Count)> {
        let mut v: Vec<(IpAddr, Count)> = self.map.iter().map(|(k, c)| (*k, *c)).collect();
        v.sort_by(|a, b| b.1.packets.cmp(&a.1.packets).then(a.0.cmp(&b.0)));
        v.truncate(n);
        v
    }
}

/// What one mirror session delivered.
#[derive(Debug, Default)]
struct Session {
    wire: Count,
    inner_bytes: u64,
    protocols: BTreeMap<String, u64>,
    endpoints: Endpoints,
    sources: Endpoints,
    truncated: u64,
    cut_at: usize,
    fragments: u64,
    incomplete: u64,
    duplicates: u64,
}

/// Session key: encapsulation stack and the innermost VNI.
type Key = (String, u32);

/// Traffic that arrived without a tunnel.
#[derive(Debug, Default)]
struct Plain {
    wire: Count,
    protocols: BTreeMap<String, u64>,
    endpoints: Endpoints,
    non_ip: u64,
    bad_tunnel: u64,
    fragments: u64,
}

/// Pieces of one outer IPv4 datagram.
#[derive(Debug)]
struct Fragmented {
    first_seen: i64,
    /// IPv4 header of the fragment at offset 0.
    header: Option<Vec<u8>>,
    /// (offset, bytes) as they came.
    pieces: Vec<(usize, Vec<u8>)>,
    /// Total payload length, known from the last fragment.
    total: Option<usize>,
    wire: Count,
    /// Session named by the first fragment's tunnel header, if visible.
    session: Option<Key>,
}

/// The whole report, built packet by packet.
#[derive(Debug, Default)]
struct Verify {
    total: Count,
    sessions: BTreeMap<Key, Session>,
    plain: Plain,
    decode_errors: BTreeMap<String, u64>,
    frags: HashMap<(IpAddr, IpAddr, u32), Fragmented>,
    /// Duplicate detection: inner packet hash -> (time, session) in the
    /// current and the previous window.
    seen: [HashMap<u64, (i64, Key)>; 2],
    window_start: i64,
    dup_pairs: BTreeMap<(Key, Key), u64>,
    first_ts: Option<Timestamp>,
    last_ts: Option<Timestamp>,
}

fn encap_name(pkt: &Packet<'_>) -> String {
    pkt.tunnels.as_slice().iter().map(|t| t.kind.name()).collect::<Vec<_>>().join("/")
}

fn l4_name(pkt: &Packet<'_>) -> String {
    match &pkt.ip {
        None => "non-IP".into(),
        Some(ip) if ip.is_fragment => format!("{} fragment", proto_name(ip.proto)),
        Some(ip) => proto_name(ip.proto),
    }
}

/// Identity of an inner packet for duplicate detection: every header field
/// that the path between two mirror sources does not change (TTL and the
/// IPv4 checksum aside) and the first 64 bytes of payload.
fn inner_hash(pkt: &Packet<'_>) -> Option<u64> {
    let ip = pkt.ip.as_ref()?;
    let mut h = DefaultHasher::new();
    (ip.src, ip.dst, ip.proto, ip.id, ip.tos, ip.frag_offset, ip.claimed_len).hash(&mut h);
    match pkt.l4 {
        L4::Tcp { sport, dport, seq, ack, flags, window, urgent } => {
            (sport, dport, seq, ack, flags, window, urgent).hash(&mut h)
        }
        L4::Udp { sport, dport } | L4::Sctp { sport, dport } => (sport, dport).hash(&mut h),
        L4::Icmp { itype, icode, id, seq, v6 } => (itype, icode, id, seq, v6).hash(&mut h),
        L4::Other => 0u8.hash(&mut h),
    }
    let p = pkt.payload();
    p[..p.len().min(64)].hash(&mut h);
    Some(h.finish())
}

/// The session a first fragment names, from the VXLAN/GENEVE header visible
/// in it (the reassembled packet may still prove otherwise).
fn session_of_first_fragment(pkt: &Packet<'_>) -> Option<Key> {
    let L4::Udp { dport, .. } = pkt.l4 else { return None };
    let p = pkt.payload();
    let vni = |at: usize| Some(u32::from_be_bytes([0, *p.get(at)?, *p.get(at + 1)?, *p.get(at + 2)?]));
    match dport {
        4789 if p.first().is_some_and(|f| f & 0x08 != 0) => Some(("VXLAN".into(), vni(4)?)),
        6081 => Some(("GENEVE".into(), vni(4)?)),
        _ => None,
    }
}

impl Verify {
    fn record(&mut self, rec: &Record<'_>) {
        self.first_ts.get_or_insert(rec.ts);
        self.last_ts = Some(rec.ts);
        let wire = u64::from(rec.orig_len).max(rec.data.len() as u64);
        self.total.add(wire);
        let pkt = match decode::decode(rec.linktype, rec.data) {
            Ok(p) => p,
            Err(e) => {
                *self.decode_errors.entry(e.counter()).or_default() += 1;
                self.plain.wire.add(wire);
                return;
            }
        };
        self.expire_fragments(rec.ts.as_micros());
        let outer_fragment = pkt.tunnels.is_empty() && pkt.ip.as_ref().is_some_and(|ip| ip.is_fragment);
        if outer_fragment {
            self.fragment(rec, &pkt, wire);
            return;
        }
        if pkt.tunnels.is_empty() {
            self.plain_packet(&pkt, wire);
        } else {
            self.tunnelled(rec.linktype, rec.ts, &pkt, wire, 0);
        }
    }

    fn plain_packet(&mut self, pkt: &Packet<'_>, wire: u64) {
        let p = &mut self.plain;
        p.wire.add(wire);
        *p.protocols.entry(l4_name(pkt)).or_default() += 1;
        match &pkt.ip {
            None => p.non_ip += 1,
            Some(ip) => {
                p.endpoints.add(ip.src, wire);
                p.endpoints.add(ip.dst, wire);
                if let L4::Udp { dport, .. } = pkt.l4 {
                    if TUNNEL_PORTS.contains(&dport) {
                        p.bad_tunnel += 1;
                    }
                }
            }
        }
    }

    /// A mirrored packet (reassembled or not; `fragments` outer pieces).
    fn tunnelled(&mut self, linktype: LinkType, ts: Timestamp, pkt: &Packet<'_>, wire: u64, fragments: u64) {
        let t = *pkt.tunnel().expect("tunnelled");
        let key: Key = (encap_name(pkt), t.vni);
        let outer_src = pkt.tunnels.as_slice()[0].src;
        let frame = inner_frame(linktype, pkt);
        let s = self.sessions.entry(key.clone()).or_default();
        s.wire.add(wire);
        s.sources.add(outer_src, wire);
        s.fragments += fragments;
        *s.protocols.entry(l4_name(pkt)).or_default() += 1;
        let inner_len = frame.as_ref().map_or(0, |f| f.written_len());
        s.inner_bytes += frame.as_ref().map_or(0, |f| f.orig_len as u64);
        if pkt.truncated {
            s.truncated += 1;
            s.cut_at = s.cut_at.max(inner_len);
        }
        if let Some(ip) = &pkt.ip {
            let b = ip.claimed_len as u64;
            s.endpoints.add(ip.src, b);
            s.endpoints.add(ip.dst, b);
        }
        self.duplicate_check(ts, pkt, key);
    }

    fn duplicate_check(&mut self, ts: Timestamp, pkt: &Packet<'_>, key: Key) {
        let Some(h) = inner_hash(pkt) else { return };
        let now = ts.as_micros();
        if now - self.window_start >= DUP_WINDOW_US {
            let [cur, prev] = &mut self.seen;
            std::mem::swap(cur, prev);
            cur.clear();
            self.window_start = now;
        }
        let earlier = self.seen.iter().find_map(|m| m.get(&h)).filter(|(t, _)| now - t < DUP_WINDOW_US).cloned();
        match earlier {
            Some((_, first)) => {
                if let Some(s) = self.sessions.get_mut(&key) {
                    s.duplicates += 1;
                }
                *self.dup_pairs.entry((first, key)).or_default() += 1;
            }
            None => {
                self.seen[0].insert(h, (now, key));
            }
        }
    }

    /// An outer fragment: kept until its datagram is whole (IPv4), then the
    /// datagram is decoded as if it had come in one piece.
    fn fragment(&mut self, rec: &Record<'_>, pkt: &Packet<'_>, wire: u64) {
        let ip = pkt.ip.as_ref().expect("fragment has IP");
        let now = rec.ts.as_micros();
        let key = (ip.src, ip.dst, ip.id ^ (u32::from(ip.proto) << 24));
        if !self.frags.contains_key(&key) && self.frags.len() >= MAX_PENDING_FRAGMENTED {
            if let Some(oldest) = self.frags.iter().min_by_key(|(_, f)| f.first_seen).map(|(k, _)| *k) {
                let f = self.frags.remove(&oldest).expect("present");
                self.give_up(f);
            }
        }
        let f = self.frags.entry(key).or_insert_with(|| Fragmented {
            first_seen: now,
            header: None,
            pieces: Vec::new(),
            total: None,
            wire: Count::default(),
            session: None,
        });
        f.wire.add(wire);
        let off = usize::from(ip.frag_offset);
        if off == 0 {
            f.session = session_of_first_fragment(pkt);
        }
        if ip.version != 4 || f.pieces.len() >= MAX_FRAGMENTS {
            // IPv6 outer fragments are counted, not reassembled.
            f.pieces.push((off, Vec::new()));
            return;
        }
        let end = (ip.header.start + ip.claimed_len).min(pkt.data.len());
        let body = pkt.data.get(ip.header.end..end).unwrap_or_default().to_vec();
        if off == 0 {
            f.header = Some(pkt.data[ip.header.clone()].to_vec());
        }
        if ip.frag_flags & 1 == 0 {
            f.total = Some(off + body.len());
        }
        f.pieces.push((off, body));
        if let Some(buf) = reassemble(f) {
            let f = self.frags.remove(&key).expect("present");
            let n = f.pieces.len() as u64;
            match decode::decode(LinkType::Raw, &buf) {
                Ok(whole) if !whole.tunnels.is_empty() => {
                    self.tunnelled(LinkType::Raw, rec.ts, &whole, f.wire.bytes, n)
                }
                Ok(whole) => {
                    self.plain.fragments += n;
                    self.plain_packet(&whole, f.wire.bytes);
                }
                Err(e) => {
                    *self.decode_errors.entry(e.counter()).or_default() += 1;
                    self.plain.fragments += n;
                    self.plain.wire.add(f.wire.bytes);
                }
            }
        }
    }

    /// A datagram whose pieces never all came: its fragments are counted in
    /// the session its first piece named, else as untunnelled.
    fn give_up(&mut self, f: Fragmented) {
        let n = f.pieces.len() as u64;
        match f.session {
            Some(k) => {
                let s = self.sessions.entry(k).or_default();
                s.fragments += n;
                s.incomplete += n;
                s.wire.bytes += f.wire.bytes;
            }
            None => {
                self.plain.fragments += n;
                self.plain.wire.packets += n;
                self.plain.wire.bytes += f.wire.bytes;
            }
        }
    }

    fn expire_fragments(&mut self, now: i64) {
        if self.frags.is_empty() {
            return;
        }
        let old: Vec<_> =
            self.frags.iter().filter(|(_, f)| now - f.first_seen > FRAG_TIMEOUT_US).map(|(k, _)| *k).collect();
        for k in old {
            let f = self.frags.remove(&k).expect("present");
            self.give_up(f);
        }
    }

    /// Ends the input: datagrams still waiting are incomplete.
    fn finish(&mut self) {
        let mut pending: Vec<_> = self.frags.drain().map(|(_, f)| f).collect();
        pending.sort_by_key(|f| f.first_seen);
        for f in pending {
            self.give_up(f);
        }
    }

    fn tunnelled_packets(&self) -> u64 {
        self.sessions.values().map(|s| s.wire.packets).sum()
    }
}

/// The datagram rebuilt from its pieces, when they cover it without a hole.
fn reassemble(f: &Fragmented) -> Option<Vec<u8>> {
    let total = f.total?;
    let header = f.header.as_ref()?;
    let mut pieces: Vec<&(usize, Vec<u8>)> = f.pieces.iter().collect();
    pieces.sort_by_key(|p| p.0);
    let mut covered = 0;
    for (off, b) in &pieces {
        if *off > covered {
            return None;
        }
        covered = covered.max(off + b.len());
    }
    if covered < total {
        return None;
    }
    let mut buf = header.clone();
    let hlen = header.len();
    buf.resize(hlen + total, 0);
    for (off, b) in pieces {
        let end = (off + b.len()).min(total);
        if *off < end {
            buf[hlen + off..hlen + end].copy_from_slice(&b[..end - off]);
        }
    }
    let len = u16::try_from(hlen + total).ok()?;
    buf[2..4].copy_from_slice(&len.to_be_bytes());
    buf[6..8].copy_from_slice(&[0, 0]);
    buf[10..12].copy_from_slice(&[0, 0]);
    let sum = checksum(&buf[..hlen]);
    buf[10..12].copy_from_slice(&sum.to_be_bytes());
    Some(buf)
}

/// RFC 1071 checksum.
fn checksum(b: &[u8]) -> u16 {
    let mut sum: u32 = b.chunks(2).map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))).sum();
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

fn top_json(e: &Endpoints, n: usize) -> Vec<Value> {
    e.top(n).into_iter().map(|(ip, c)| json!({"ip": ip.to_string(), "packets": c.packets, "bytes": c.bytes})).collect()
}

fn key_json(k: &Key) -> Value {
    json!({"encapsulation": k.0, "vni": k.1})
}

/// What the report advises, most important first.
fn hints(v: &Verify, source: &str) -> Vec<String> {
    let mut h = Vec::new();
    if v.tunnelled_packets() == 0 {
        if v.total.packets == 0 {
            h.push(format!(
                "nothing arrived on {source}: check that this is the mirror target's interface and that it is up"
            ));
        }
        h.push(NO_TUNNEL_HINT.into());
    }
    if v.plain.bad_tunnel > 0 {
        h.push(format!(
            "{} UDP datagrams to 4789/6081 had no valid VXLAN/GENEVE header: something else uses those ports",
            v.plain.bad_tunnel
        ));
    }
    for (k, s) in &v.sessions {
        if s.truncated > 0 {
            h.push(format!(
                "{} {}: {} inner frames truncated (cut at {} bytes): the session's packet length is set; \
                 payload beyond it is not inspected",
                k.0, k.1, s.truncated, s.cut_at
            ));
        }
        if s.fragments > 0 {
            h.push(format!(
                "{} {}: {} outer fragments: the mirrored packets exceed the path MTU to the target; \
                 use a target with a 9001-byte MTU or a session packet length below it",
                k.0, k.1, s.fragments
            ));
        }
    }
    if !v.dup_pairs.is_empty() {
        h.push(
            "duplicates: the same packets arrive twice (both ends of connections mirrored, or overlapping \
             sessions): alerts will be raised twice; mirror one side, or narrow the filters"
                .into(),
        );
    }
    h
}

fn report_json(v: &Verify, source: &str, duration: f64, top: usize, capture: Option<Value>) -> Value {
    let sessions: Vec<Value> = v
        .sessions
        .iter()
        .map(|(k, s)| {
            json!({
                "encapsulation": k.0,
                "vni": k.1,
                "packets": s.wire.packets,
                "bytes": s.wire.bytes,
                "inner_bytes": s.inner_bytes,
                "inner_protocols": s.protocols,
                "top_endpoints": top_json(&s.endpoints, top),
                "sources": top_json(&s.sources, top),
                "truncated": s.truncated,
                "truncated_at": s.cut_at,
                "outer_fragments": s.fragments,
                "incomplete_fragments": s.incomplete,
                "duplicates": s.duplicates,
            })
        })
        .collect();
    let pairs: Vec<Value> = v
        .dup_pairs
        .iter()
        .map(|((a, b), n)| json!({"first": key_json(a), "second": key_json(b), "packets": n}))
        .collect();
    let mut doc = json!({
        "source": source,
        "seconds": duration,
        "packets": v.total.packets,
        "bytes": v.total.bytes,
        "tunnelled": v.tunnelled_packets(),
        "sessions": sessions,
        "not_tunnelled": {
            "packets": v.plain.wire.packets,
            "bytes": v.plain.wire.bytes,
            "protocols": v.plain.protocols,
            "top_endpoints": top_json(&v.plain.endpoints, top),
            "non_ip": v.plain.non_ip,
            "bad_tunnel_header": v.plain.bad_tunnel,
            "fragments": v.plain.fragments,
        },
        "duplicates": {
            "packets": v.dup_pairs.values().sum::<u64>(),
            "pairs": pairs,
        },
        "decode_errors": v.decode_errors,
        "ok": v.tunnelled_packets() > 0,
        "hints": hints(v, source),
    });
    if let Some(c) = capture {
        doc["capture"] = c;
    }
    doc
}

fn human_bytes(b: u64) -> String {
    match b {
        0..=9_999 => format!("{b} B"),
        10_000..=9_999_999 => format!("{:.1} kB", b as f64 / 1e3),
        10_000_000..=999_999_999 => format!("{:.1} MB", b as f64 / 1e6),
        _ => format!("{:.1} GB", b as f64 / 1e9),
    }
}

fn protocols_line(p: &BTreeMap<String, u64>) -> String {
    let mut v: Vec<_> = p.iter().collect();
    v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    v.iter().map(|(k, n)| format!("{k} {n}")).collect::<Vec<_>>().join(", ")
}

fn endpoints_line(e: &Endpoints, n: usize) -> String {
    e.top(n).iter().map(|(ip, c)| format!("{ip} ({})", c.packets)).collect::<Vec<_>>().join(", ")
}

fn report_text(v: &Verify, source: &str, duration: f64, top: usize, capture: Option<&str>) -> String {
    use std::fmt::Write as _;
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{source}: {} frames, {} in {duration:.1} s: {} mirrored packets in {} sessions, {} frames not tunnelled",
        v.total.packets,
        human_bytes(v.total.bytes),
        v.tunnelled_packets(),
        v.sessions.len(),
        v.plain.wire.packets
    );
    if let Some(c) = capture {
        let _ = writeln!(o, "capture: {c}");
    }
    if !v.sessions.is_empty() {
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "{:<14} {:>8} {:>9} {:>10} {:>9} {:>9} {:>10}  inner protocols",
            "encapsulation", "VNI", "packets", "bytes", "truncated", "fragments", "duplicates"
        );
        for (k, s) in &v.sessions {
            let _ = writeln!(
                o,
                "{:<14} {:>8} {:>9} {:>10} {:>9} {:>9} {:>10}  {}",
                k.0,
                k.1,
                s.wire.packets,
                human_bytes(s.wire.bytes),
                s.truncated,
                s.fragments,
                s.duplicates,
                protocols_line(&s.protocols)
            );
        }
        let _ = writeln!(o);
        for (k, s) in &v.sessions {
            let _ = writeln!(o, "{} {}:", k.0, k.1);
            let _ = writeln!(o, "  mirror sources: {}", endpoints_line(&s.sources, top));
            let _ = writeln!(o, "  top inner endpoints: {}", endpoints_line(&s.endpoints, top));
            if s.truncated > 0 {
                let _ = writeln!(o, "  truncated inner frames: {} (cut at {} bytes)", s.truncated, s.cut_at);
            }
            if s.incomplete > 0 {
                let _ = writeln!(o, "  fragments of packets never completed: {}", s.incomplete);
            }
        }
    }
    let p = &v.plain;
    let _ = writeln!(o);
    if p.wire.packets == 0 {
        let _ = writeln!(o, "not tunnelled: none");
    } else {
        let _ = writeln!(
            o,
            "not tunnelled: {} packets, {}: {}",
            p.wire.packets,
            human_bytes(p.wire.bytes),
            protocols_line(&p.protocols)
        );
        if !p.endpoints.map.is_empty() {
            let _ = writeln!(o, "  top endpoints: {}", endpoints_line(&p.endpoints, top));
        }
        if p.bad_tunnel > 0 {
            let _ = writeln!(o, "  UDP 4789/6081 without a valid tunnel header: {}", p.bad_tunnel);
        }
    }
    if !v.dup_pairs.is_empty() {
        let _ = writeln!(o, "duplicates: {} inner packets arrived twice", v.dup_pairs.values().sum::<u64>());
        for ((a, b), n) in &v.dup_pairs {
            let _ = writeln!(o, "  {n} first in {} {}, again in {} {}", a.0, a.1, b.0, b.1);
        }
    }
    if !v.decode_errors.is_empty() {
        let errs: Vec<String> = v.decode_errors.iter().map(|(k, n)| format!("{k} {n}")).collect();
        let _ = writeln!(o, "undecodable: {}", errs.join(", "));
    }
    let h = hints(v, source);
    if !h.is_empty() {
        let _ = writeln!(o);
        for line in h {
            let _ = writeln!(o, "hint: {line}");
        }
    }
    o
}

/// Listens on `iface` for `seconds` (or until SIGINT/SIGTERM).
fn listen(v: &mut Verify, args: &VerifyArgs, iface: &str) -> Result<(f64, Value, String)> {
    let cfg = LiveConfig { interfaces: vec![iface.to_string()], bpf: args.bpf.clone(), ..LiveConfig::default() };
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, Arc::clone(&stop)).context("installing signal handlers")?;
    }
    let mut source = LiveCapture::open(&cfg)?.start()?;
    eprintln!("mirador: ready, verifying the mirror on {iface} for {} s", args.seconds);
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.seconds);
    let mut stopping = false;
    loop {
        if !stopping && (stop.load(Ordering::Relaxed) || Instant::now() >= deadline) {
            source.stop();
            stopping = true;
        }
        match source.next_batch(Duration::from_millis(100)) {
            Next::Batch(b) => {
                for rec in b.records() {
                    v.record(&rec);
                }
                source.recycle(b);
            }
            Next::Idle => {}
            Next::Ended => break,
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let t = source.total();
    for (i, e) in source.errors() {
        eprintln!("mirador: capture on {i} failed: {e}");
    }
    let text =
        format!("{} received, {} dropped by kernel, {} dropped by interface", t.received, t.kernel_drops, t.if_drops);
    let doc = json!({"received": t.received, "kernel_drops": t.kernel_drops, "kernel_ifdrops": t.if_drops});
    Ok((elapsed, doc, text))
}

/// `mirador mirror verify`. Exit status 0 when tunnelled traffic arrived,
/// 3 when none did (with a hint), 1 on errors (2: usage errors, from clap).
///
/// # Errors
/// Unreadable capture files, an interface that cannot be opened.
pub fn run(args: VerifyArgs) -> Result<ExitCode> {
    let mut v = Verify::default();
    let (source, duration, capture) = match &args.interface {
        Some(iface) => {
            let (d, doc, text) = listen(&mut v, &args, iface)?;
            (iface.clone(), d, Some((doc, text)))
        }
        None => {
            if args.read.is_empty() {
                bail!("give -i IFACE --seconds N, or -r PCAP");
            }
            for p in &args.read {
                let mut src = FileSource::open(p)?;
                while let Some(r) = src.next_record() {
                    match r {
                        Ok(rec) => v.record(&rec),
                        Err(e) => {
                            eprintln!("mirador: {e}");
                            break;
                        }
                    }
                }
            }
            let d = match (v.first_ts, v.last_ts) {
                (Some(a), Some(b)) => (b.as_micros() - a.as_micros()) as f64 / 1e6,
                _ => 0.0,
            };
            let names: Vec<String> = args.read.iter().map(|p| p.display().to_string()).collect();
            (names.join(", "), d, None)
        }
    };
    v.finish();
    if args.json {
        let doc = report_json(&v, &source, duration, args.top, capture.as_ref().map(|c| c.0.clone()));
        println!("{doc}");
    } else {
        print!("{}", report_text(&v, &source, duration, args.top, capture.as_ref().map(|c| c.1.as_str())));
    }
    if v.tunnelled_packets() == 0 {
        eprintln!("mirador: {NO_TUNNEL_HINT}");
        return Ok(ExitCode::from(3));
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_of_a_known_header() {
        // RFC 1071 example header from Wikipedia's IPv4 article.
        let h = [
            0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8,
            0x00, 0xc7,
        ];
        assert_eq!(checksum(&h), 0xb861);
    }

    #[test]
    fn reassembly_needs_every_piece() {
        let header = vec![0x45, 0, 0, 0, 0, 1, 0x20, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2];
        let mut f = Fragmented {
            first_seen: 0,
            header: Some(header),
            pieces: vec![(8, vec![2; 8])],
            total: Some(16),
            wire: Count::default(),
            session: None,
        };
        assert!(reassemble(&f).is_none());
        f.pieces.push((0, vec![1; 8]));
        let buf = reassemble(&f).unwrap();
        assert_eq!(buf.len(), 36);
        assert_eq!(&buf[2..4], &[0, 36]);
        assert_eq!(&buf[6..8], &[0, 0]);
        assert_eq!(&buf[20..28], &[1; 8]);
        assert_eq!(&buf[28..36], &[2; 8]);
        assert_eq!(checksum(&buf[..20]), 0);
    }

    #[test]
    fn sizes_read_well() {
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(12_345), "12.3 kB");
        assert_eq!(human_bytes(3_500_000_000), "3.5 GB");
    }
}
