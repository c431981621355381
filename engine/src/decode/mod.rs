//! Packet decoding: link layer, VLANs, IP, transport, and the tunnels a traffic
//! mirror wraps around the frames it copies (VXLAN, GENEVE).
//!
//! Contract: [`decode`] borrows the captured bytes and never copies them. Every
//! header is length-checked once before any field is read, so no accessor can
//! panic; a header that does not fit is reported as a [`DecodeError`] (a `Copy`
//! value, no allocation) and the caller counts it. A frame that is shorter than
//! its IP total length (a mirror truncated it) is *not* an error: it decodes as
//! far as it goes and is flagged [`Packet::truncated`].
//!
//! The result is a small summary ([`Packet`]) of what rules and flows need:
//! addresses, ports, flags and the byte range of the payload. Only matchers
//! touch payload bytes.
//!
//! Fragments are not decoded past their IP header: [`Packet::fragment`]
//! hands them to a [`defrag::Defrag`], and a datagram it completes is
//! decoded again as a [`Rebuilt`] packet (tunnels included).

pub mod defrag;
mod ethernet;
pub mod event;
mod ip;
mod l4;
mod linktype;
mod tunnel;

use std::net::IpAddr;
use std::ops::Range;

pub use event::{DecodeEvent, Events};
pub use linktype::LinkType;

/// Tunnels nested deeper than this are not decapsulated: [`decode`] returns
/// [`DecodeError::TooManyTunnels`], which is counted. Real mirrors nest at
/// most two (GENEVE around VXLAN behind a Gateway Load Balancer); four leaves
/// room for on-premises taps.
pub const MAX_TUNNEL_DEPTH: usize = 4;

/// VLAN tags beyond this are treated as an anomaly: QinQ uses two; three
/// covers provider backbones.
pub const MAX_VLAN_TAGS: usize = 3;

/// Which decoder layer a [`DecodeError`] comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Layer {
    /// Link layer (Ethernet, SLL, null/loopback).
    Link,
    /// 802.1Q / 802.1ad tag.
    Vlan,
    /// IPv4 header.
    Ipv4,
    /// IPv6 header or one of its extension headers.
    Ipv6,
    /// TCP header.
    Tcp,
    /// UDP header.
    Udp,
    /// ICMPv4 header.
    Icmpv4,
    /// ICMPv6 header.
    Icmpv6,
    /// VXLAN header.
    Vxlan,
    /// GENEVE header.
    Geneve,
}

impl Layer {
    /// Stable lowercase name used in counters and EVE anomaly records.
    pub fn name(self) -> &'static str {
        match self {
            Layer::Link => "link",
            Layer::Vlan => "vlan",
            Layer::Ipv4 => "ipv4",
            Layer::Ipv6 => "ipv6",
            Layer::Tcp => "tcp",
            Layer::Udp => "udp",
            Layer::Icmpv4 => "icmpv4",
            Layer::Icmpv6 => "icmpv6",
            Layer::Vxlan => "vxlan",
            Layer::Geneve => "geneve",
        }
    }
}

/// Why a frame could not be decoded. Cheap to copy; becomes a counter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DecodeError {
    /// The header of `layer` needs `need` bytes but only `have` were captured.
    Truncated {
        /// Layer whose header did not fit.
        layer: Layer,
        /// Bytes the header needs.
        need: usize,
        /// Bytes available.
        have: usize,
    },
    /// A header field holds a value that makes the header unusable
    /// (IP version mismatch, header length below the minimum, ...).
    Invalid {
        /// Layer whose header is invalid.
        layer: Layer,
        /// Short static reason, e.g. "header length below 20".
        reason: &'static str,
    },
    /// More VLAN tags than [`MAX_VLAN_TAGS`].
    TooManyVlans,
    /// More nested tunnels than [`MAX_TUNNEL_DEPTH`].
    TooManyTunnels,
    /// The capture's link type is not one mirador decodes.
    UnsupportedLinkType(u32),
}

impl DecodeError {
    /// Stable counter name, e.g. `decoder.ipv4.truncated`.
    pub fn counter(&self) -> String {
        match self {
            DecodeError::Truncated { layer, .. } => format!("decoder.{}.truncated", layer.name()),
            DecodeError::Invalid { layer, reason } => {
                format!("decoder.{}.{}", layer.name(), reason.replace(' ', "_"))
            }
            DecodeError::TooManyVlans => "decoder.vlan.too_many_layers".into(),
            DecodeError::TooManyTunnels => "decoder.tunnel.too_many_layers".into(),
            DecodeError::UnsupportedLinkType(_) => "decoder.link.unsupported_linktype".into(),
        }
    }
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::Truncated { layer, need, have } => {
                write!(f, "{} header truncated: need {need} bytes, have {have}", layer.name())
            }
            DecodeError::Invalid { layer, reason } => {
                write!(f, "invalid {} header: {reason}", layer.name())
            }
            DecodeError::TooManyVlans => write!(f, "more than {MAX_VLAN_TAGS} vlan tags"),
            DecodeError::TooManyTunnels => write!(f, "more than {MAX_TUNNEL_DEPTH} nested tunnels"),
            DecodeError::UnsupportedLinkType(l) => write!(f, "unsupported link type {l}"),
        }
    }
}

impl std::error::Error for DecodeError {}

/// Kind of encapsulation a mirror used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TunnelKind {
    /// VXLAN (RFC 7348), UDP 4789: AWS Traffic Mirroring.
    Vxlan,
    /// GENEVE (RFC 8926), UDP 6081: AWS Gateway Load Balancer.
    Geneve,
    /// GRE (RFC 2784/2890), IP protocol 47, carrying IP or Ethernet.
    Gre,
    /// ERSPAN type II or III inside GRE: switch port mirrors (on-premises
    /// taps, cloud mirrors that are not AWS).
    Erspan,
}

impl TunnelKind {
    /// Lowercase name as written in EVE (`tunnel.proto`... uses the outer IP
    /// protocol; this name goes in `tunnel.type`).
    pub fn name(self) -> &'static str {
        match self {
            TunnelKind::Vxlan => "VXLAN",
            TunnelKind::Geneve => "GENEVE",
            TunnelKind::Gre => "GRE",
            TunnelKind::Erspan => "ERSPAN",
        }
    }
}

/// One decapsulated tunnel layer: where the outer packet came from and its
/// virtual network id (the mirror session's VNI).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tunnel {
    /// VXLAN or GENEVE.
    pub kind: TunnelKind,
    /// Outer IP source (the mirror source's host side).
    pub src: IpAddr,
    /// Outer IP destination (the mirror target).
    pub dst: IpAddr,
    /// Outer UDP source port.
    pub sport: u16,
    /// Outer UDP destination port (4789 or 6081 normally).
    pub dport: u16,
    /// 24-bit virtual network identifier.
    pub vni: u32,
    /// Captured bytes after the tunnel's own header (GRE: the GRE payload,
    /// ERSPAN header included). Suricata counts a GRE or ERSPAN packet's
    /// flow bytes from there; 0 when unknown (a datagram rebuilt from
    /// fragments inside the tunnel, which counts from its IP header).
    pub payload_len: u32,
}

/// IP-layer summary of the innermost IP header.
///
/// `Clone` but not `Copy`: [`IpInfo::header`] is a `Range`, which is not
/// `Copy`. Borrow it (`pkt.ip.as_ref()`) or clone it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IpInfo {
    /// 4 or 6.
    pub version: u8,
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// Transport protocol number (after IPv6 extension headers).
    pub proto: u8,
    /// TTL / hop limit.
    pub ttl: u8,
    /// IPv4 TOS / IPv6 traffic class.
    pub tos: u8,
    /// IPv4 identification (IPv6: fragment header id when present, else 0).
    pub id: u32,
    /// IPv4 flags bits (reserved, DF, MF) in the low 3 bits: `0b100` = RB,
    /// `0b010` = DF, `0b001` = MF. IPv6: MF only.
    pub frag_flags: u8,
    /// Fragment offset in bytes.
    pub frag_offset: u16,
    /// True if this packet is a fragment (offset > 0 or MF set).
    pub is_fragment: bool,
    /// Range of the IP header (including IPv6 extension headers) in
    /// [`Packet::data`].
    pub header: Range<usize>,
    /// Total length the IP header claims (IPv4 total length; IPv6 40 +
    /// payload length).
    pub claimed_len: usize,
}

/// TCP flag bits as on the wire (FIN = 0x01 ... CWR = 0x80).
pub mod tcp_flags {
    /// FIN
    pub const FIN: u8 = 0x01;
    /// SYN
    pub const SYN: u8 = 0x02;
    /// RST
    pub const RST: u8 = 0x04;
    /// PSH
    pub const PSH: u8 = 0x08;
    /// ACK
    pub const ACK: u8 = 0x10;
    /// URG
    pub const URG: u8 = 0x20;
    /// ECE
    pub const ECE: u8 = 0x40;
    /// CWR
    pub const CWR: u8 = 0x80;
}

/// Transport-layer summary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum L4 {
    /// TCP segment.
    Tcp {
        /// Source port.
        sport: u16,
        /// Destination port.
        dport: u16,
        /// Sequence number.
        seq: u32,
        /// Acknowledgement number.
        ack: u32,
        /// Flag bits, see [`tcp_flags`].
        flags: u8,
        /// Window (unscaled).
        window: u16,
        /// Urgent pointer.
        urgent: u16,
    },
    /// UDP datagram.
    Udp {
        /// Source port.
        sport: u16,
        /// Destination port.
        dport: u16,
    },
    /// ICMPv4 or ICMPv6 message.
    Icmp {
        /// Type.
        itype: u8,
        /// Code.
        icode: u8,
        /// Identifier for echo-style messages (else 0).
        id: u16,
        /// Sequence for echo-style messages (else 0).
        seq: u16,
        /// True for ICMPv6.
        v6: bool,
    },
    /// SCTP packet: its common header's ports (the chunks are the payload).
    Sctp {
        /// Source port.
        sport: u16,
        /// Destination port.
        dport: u16,
    },
    /// Another IP protocol, or a non-first fragment (no transport header).
    Other,
}

impl L4 {
    /// Source and destination ports, zero for portless protocols.
    pub fn ports(&self) -> (u16, u16) {
        match *self {
            L4::Tcp { sport, dport, .. } | L4::Udp { sport, dport } | L4::Sctp { sport, dport } => (sport, dport),
            _ => (0, 0),
        }
    }
}

/// Flat summary of one decoded frame. Borrowed bytes stay in [`Packet::data`];
/// ranges index into it.
#[derive(Clone, Debug)]
pub struct Packet<'a> {
    /// The whole captured frame as read from the source.
    pub data: &'a [u8],
    /// How `data` starts (EVE `packet_info.linktype`).
    pub linktype: LinkType,
    /// Tunnels decapsulated, outermost first.
    pub tunnels: TunnelStack,
    /// VLAN ids of the innermost frame, outermost first (at most
    /// [`MAX_VLAN_TAGS`]).
    pub vlans: [u16; MAX_VLAN_TAGS],
    /// Number of valid entries in `vlans`.
    pub vlan_count: u8,
    /// Offset in `data` of the innermost frame's Ethernet header, when it
    /// has one (EVE `ether` with `ethernet: yes`). Entering a tunnel clears
    /// it: like Suricata, a tunnelled packet's MACs are those of its own
    /// frame, and a tunnel that carries IP directly has none.
    pub ether: Option<usize>,
    /// The innermost IP header, if any.
    pub ip: Option<IpInfo>,
    /// The transport header of the innermost IP packet.
    pub l4: L4,
    /// Range of the transport payload in `data` (as far as captured).
    pub payload: Range<usize>,
    /// The frame was captured shorter than its IP header claims (mirror
    /// packet-length truncation or snaplen): inspected as far as it goes.
    pub truncated: bool,
    /// Decoder anomalies (`decode-event` rules, EVE `anomaly` records).
    pub events: Events,
    /// The innermost transport header (or an IPv6 extension header) could
    /// not be read: the packet keeps its IP layer and gets packet rules
    /// without a flow, as Suricata treats an invalid packet; the error is
    /// counted like any decode error.
    pub invalid: Option<DecodeError>,
}

impl<'a> Packet<'a> {
    /// The transport payload bytes.
    pub fn payload(&self) -> &'a [u8] {
        &self.data[self.payload.clone()]
    }

    /// The innermost tunnel, if the frame came through one.
    pub fn tunnel(&self) -> Option<&Tunnel> {
        self.tunnels.as_slice().last()
    }

    /// VLAN ids, outermost first.
    pub fn vlans(&self) -> &[u16] {
        &self.vlans[..self.vlan_count as usize]
    }

    /// Source and destination MAC addresses of the innermost Ethernet
    /// header, if the frame has one.
    pub fn macs(&self) -> Option<([u8; 6], [u8; 6])> {
        let h = self.data.get(self.ether?..)?.get(..12)?;
        let mut dst = [0; 6];
        let mut src = [0; 6];
        dst.copy_from_slice(&h[..6]);
        src.copy_from_slice(&h[6..12]);
        Some((src, dst))
    }
}

impl<'a> Packet<'a> {
    /// Where the innermost IP layer was seen: its tunnel layers and VLAN
    /// tags.
    pub fn frame_ctx(&self) -> FrameCtx {
        FrameCtx { tunnels: self.tunnels, vlans: self.vlans, vlan_count: self.vlan_count }
    }

    /// When the packet is an IP fragment (decoding stopped at the first IP
    /// layer that is one, outer or inner): its context and its IP bytes,
    /// from the IP header to the end of the datagram as captured.
    pub fn fragment(&self) -> Option<(FrameCtx, &'a [u8])> {
        let ip = self.ip.as_ref().filter(|ip| ip.is_fragment)?;
        let end = ip.header.start.saturating_add(ip.claimed_len).min(self.data.len());
        let bytes = self.data.get(ip.header.start..end)?;
        Some((self.frame_ctx(), bytes))
    }
}

/// The frame around an IP layer: tunnels decapsulated to reach it and the
/// VLAN tags of its own frame. Kept with a fragment so that the datagram
/// rebuilt from it decodes as if it had come in one piece.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameCtx {
    /// Tunnels around the IP layer, outermost first.
    pub tunnels: TunnelStack,
    /// VLAN ids of its frame.
    pub vlans: [u16; MAX_VLAN_TAGS],
    /// Valid entries in `vlans`.
    pub vlan_count: u8,
}

impl FrameCtx {
    /// The defragmentation scope: fragments of different mirror sessions
    /// or VLANs never join.
    pub fn scope(&self) -> defrag::Scope {
        let mut vlans = [0; 3];
        for (d, s) in vlans.iter_mut().zip(&self.vlans[..usize::from(self.vlan_count).min(MAX_VLAN_TAGS)]) {
            *d = *s;
        }
        defrag::Scope {
            depth: self.tunnels.len() as u8,
            vni: self.tunnels.as_slice().last().map_or(0, |t| t.vni),
            vlans,
        }
    }
}

/// A datagram rebuilt from fragments: the whole IP packet and the frame its
/// fragments came in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rebuilt {
    /// The frame: the IP packet, behind the link header its last fragment
    /// was captured with when no tunnel carried it (Ethernet, VLAN tags,
    /// PPP...), so that EVE's `packet` shows it as Suricata does.
    pub ip: Vec<u8>,
    /// How `ip` starts: the capture's link type, or [`LinkType::Raw`] for a
    /// datagram that came through a tunnel.
    pub linktype: LinkType,
    /// Tunnels and VLANs around the fragments.
    pub ctx: FrameCtx,
}

impl Rebuilt {
    /// The datagram `ip` that the fragment `frag` (decoded from its frame)
    /// completed.
    pub fn new(ip: Vec<u8>, frag: &Packet<'_>) -> Rebuilt {
        let ctx = frag.frame_ctx();
        let link = frag.ip.as_ref().map_or(0, |i| i.header.start);
        if ctx.tunnels.is_empty() {
            let mut frame = Vec::with_capacity(link + ip.len());
            frame.extend_from_slice(&frag.data[..link]);
            frame.extend_from_slice(&ip);
            return Rebuilt { ip: frame, linktype: frag.linktype, ctx };
        }
        Rebuilt { ip, linktype: LinkType::Raw, ctx }
    }

    /// Decodes the rebuilt datagram inside its original tunnels and VLANs;
    /// tunnels it carries itself (an outer VXLAN datagram that was
    /// fragmented) are decapsulated and stacked after them.
    ///
    /// # Errors
    /// As [`decode`], plus [`DecodeError::TooManyTunnels`] when the stacks
    /// together are too deep.
    pub fn decode(&self) -> Result<Packet<'_>, DecodeError> {
        let mut p = decode(self.linktype, &self.ip)?;
        let mut tunnels = self.ctx.tunnels;
        for t in p.tunnels.as_slice() {
            if !tunnels.push(*t) {
                return Err(DecodeError::TooManyTunnels);
            }
        }
        if p.tunnels.is_empty() {
            p.vlans = self.ctx.vlans;
            p.vlan_count = self.ctx.vlan_count;
            // The datagram is a new packet: its bytes count from its IP
            // header, not from the last fragment's tunnel payload.
            if let Some(i) = tunnels.len().checked_sub(1) {
                tunnels.items[i].payload_len = 0;
            }
        }
        p.tunnels = tunnels;
        Ok(p)
    }
}

/// Fixed-capacity stack of tunnel layers (no allocation on the packet path).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TunnelStack {
    items: [Tunnel; MAX_TUNNEL_DEPTH],
    len: u8,
}

impl Default for TunnelStack {
    fn default() -> Self {
        const EMPTY: Tunnel = Tunnel {
            kind: TunnelKind::Vxlan,
            src: IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
            dst: IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
            sport: 0,
            dport: 0,
            vni: 0,
            payload_len: 0,
        };
        TunnelStack { items: [EMPTY; MAX_TUNNEL_DEPTH], len: 0 }
    }
}

impl TunnelStack {
    /// Pushes a layer; returns false when the stack is full.
    pub fn push(&mut self, t: Tunnel) -> bool {
        if (self.len as usize) >= MAX_TUNNEL_DEPTH {
            return false;
        }
        self.items[self.len as usize] = t;
        self.len += 1;
        true
    }

    /// Number of layers.
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// True when the frame was not tunnelled.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Layers, outermost first.
    pub fn as_slice(&self) -> &[Tunnel] {
        &self.items[..self.len as usize]
    }
}

/// Decodes one captured frame of the given link type.
///
/// VXLAN (UDP port 4789) and GENEVE (UDP port 6081) are decapsulated: each
/// layer is pushed on [`Packet::tunnels`] and the summary (`ip`, `l4`,
/// `payload`, `vlans`, `truncated`) describes the innermost frame. A tunnel
/// header that does not check out leaves the datagram as plain UDP. Frames
/// that are not IP (ARP...) decode to `ip: None` with an empty payload.
///
/// ```
/// use mirador_engine::decode::{decode, LinkType, L4};
///
/// // Raw IPv4 192.0.2.1 -> 192.0.2.2, UDP 1024 -> 53, payload "hi".
/// let frame = [
///     0x45, 0, 0, 30, 0, 0, 0, 0, 64, 17, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2,
///     0x04, 0x00, 0x00, 0x35, 0, 10, 0, 0, b'h', b'i',
/// ];
/// let pkt = decode(LinkType::Raw, &frame)?;
/// assert_eq!(pkt.l4, L4::Udp { sport: 1024, dport: 53 });
/// assert_eq!(pkt.payload(), b"hi");
/// # Ok::<(), mirador_engine::decode::DecodeError>(())
/// ```
///
/// # Errors
/// Returns the first [`DecodeError`] met: a header that does not fit in
/// the captured bytes, an invalid header field, too many VLAN tags or
/// tunnel layers, or an unsupported link type. Nothing is allocated.
pub fn decode(linktype: LinkType, data: &[u8]) -> Result<Packet<'_>, DecodeError> {
    let mut pkt = Packet {
        data,
        linktype,
        tunnels: TunnelStack::default(),
        vlans: [0; MAX_VLAN_TAGS],
        vlan_count: 0,
        ether: None,
        ip: None,
        l4: L4::Other,
        payload: 0..0,
        truncated: false,
        events: Events::default(),
        invalid: None,
    };
    // End of the frame being decoded: the capture, then each inner frame.
    let mut end = data.len();
    let mut next = ethernet::link(linktype, data)?;
    // Each turn either finishes, moves down one header, or enters a tunnel
    // (bounded by MAX_TUNNEL_DEPTH), so the loop ends.
    loop {
        next = match next {
            Next::Ethernet(at) => {
                let next = ethernet::ethernet(data, at..end)?;
                pkt.ether = Some(at);
                next
            }
            Next::EtherType(etype, at) => ethernet::ethertype(data, etype, at, end, &mut pkt)?,
            Next::NonIp(at) => {
                pkt.payload = at..at;
                return Ok(pkt);
            }
            Next::Ipv4(at) => {
                let layer = ip::ipv4(data, at, end)?;
                match ip_layer(&mut pkt, layer)? {
                    Some(d) => {
                        end = d.end;
                        d.next
                    }
                    None => return Ok(pkt),
                }
            }
            Next::Ipv6(at) => {
                let layer = ip::ipv6(data, at, end)?;
                match ip_layer(&mut pkt, layer)? {
                    Some(d) => {
                        end = d.end;
                        d.next
                    }
                    None => return Ok(pkt),
                }
            }
        };
    }
}

/// What the decoder reads next, and at which offset of [`Packet::data`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Next {
    /// An Ethernet II header.
    Ethernet(usize),
    /// The payload of a link header whose type field held this Ethernet type
    /// (VLAN tags are walked from here).
    EtherType(u16, usize),
    /// An IPv4 header.
    Ipv4(usize),
    /// An IPv6 header.
    Ipv6(usize),
    /// Something that is not IP (ARP, LLDP...): decoding stops there.
    NonIp(usize),
}

/// Records an IP layer and its transport header in `pkt`. Returns the tunnel
/// to enter when the datagram is VXLAN or GENEVE, after pushing it on the
/// tunnel stack and clearing the per-layer summary.
fn ip_layer(pkt: &mut Packet<'_>, layer: ip::IpLayer) -> Result<Option<tunnel::Decap>, DecodeError> {
    let info = layer.info;
    pkt.ip = Some(info.clone());
    pkt.truncated = layer.truncated;
    pkt.l4 = L4::Other;
    pkt.payload = layer.payload.clone();
    pkt.events.merge(layer.events);
    if let Some(e) = layer.invalid {
        pkt.payload = 0..0;
        pkt.invalid = Some(e);
        return Ok(None);
    }
    if !layer.has_transport {
        return Ok(None);
    }
    let t = match l4::transport(pkt.data, layer.payload, info.proto, info.version) {
        Ok(t) => t,
        // A first fragment whose transport header spills into the next
        // fragment: keep it as a payload-only packet.
        Err(DecodeError::Truncated { .. }) if info.is_fragment => return Ok(None),
        Err(e) => match l4::error_event(&e) {
            // The IP layer stays: rules on addresses and decoder events
            // still see the packet.
            Some(ev) => {
                pkt.events.set(ev);
                pkt.payload = 0..0;
                pkt.invalid = Some(e);
                return Ok(None);
            }
            None => return Err(e),
        },
    };
    pkt.l4 = t.l4;
    pkt.payload = t.payload.clone();
    pkt.events.merge(t.events);
    // A fragment holds only part of the inner frame: not decapsulated.
    if info.is_fragment {
        return Ok(None);
    }
    if info.proto == tunnel::GRE_PROTO && t.payload.len() < tunnel::GRE_MIN_LEN {
        pkt.events.set(DecodeEvent::GrePktTooSmall);
    }
    let (d, sport, dport) = match t.l4 {
        _ if info.proto == tunnel::GRE_PROTO => match tunnel::gre(pkt.data, t.payload) {
            Some(d) => (d, 0, 0),
            None => return Ok(None),
        },
        L4::Udp { sport, dport } => match tunnel::probe(pkt.data, t.payload, dport) {
            Some(d) => (d, sport, dport),
            None => return Ok(None),
        },
        _ => return Ok(None),
    };
    let payload_len = u32::try_from(d.end.saturating_sub(d.counted_from)).unwrap_or(u32::MAX);
    let outer = Tunnel { kind: d.kind, src: info.src, dst: info.dst, sport, dport, vni: d.vni, payload_len };
    if !pkt.tunnels.push(outer) {
        return Err(DecodeError::TooManyTunnels);
    }
    pkt.vlans = [0; MAX_VLAN_TAGS];
    pkt.vlan_count = 0;
    pkt.ether = None;
    if let Some(vid) = d.vlan {
        pkt.vlans[0] = vid;
        pkt.vlan_count = 1;
    }
    pkt.ip = None;
    pkt.l4 = L4::Other;
    pkt.truncated = false;
    Ok(Some(d))
}

/// Big-endian field readers over a checked view's buffer.
///
/// Views call them only after `new_checked` verified the length, so the
/// fallback value is never used; it exists so that a mistake in a view is a
/// wrong field (caught by a debug assertion in tests), never a panic.
mod wire {
    use std::ops::Range;

    /// The byte at `at`.
    #[inline]
    pub(super) fn byte(b: &[u8], at: usize) -> u8 {
        debug_assert!(at < b.len(), "field {at} outside a checked view");
        b.get(at).copied().unwrap_or(0)
    }

    /// The bytes of `r` as an array.
    #[inline]
    pub(super) fn array<const N: usize>(b: &[u8], r: Range<usize>) -> [u8; N] {
        debug_assert!(r.end <= b.len() && r.len() == N, "field {r:?} outside a checked view");
        b.get(r).and_then(|s| <[u8; N]>::try_from(s).ok()).unwrap_or([0; N])
    }

    /// A 16-bit big-endian field.
    #[inline]
    pub(super) fn be16(b: &[u8], r: Range<usize>) -> u16 {
        u16::from_be_bytes(array(b, r))
    }

    /// A 24-bit big-endian field.
    #[inline]
    pub(super) fn be24(b: &[u8], r: Range<usize>) -> u32 {
        let [x, y, z] = array(b, r);
        u32::from_be_bytes([0, x, y, z])
    }

    /// A 32-bit big-endian field.
    #[inline]
    pub(super) fn be32(b: &[u8], r: Range<usize>) -> u32 {
        u32::from_be_bytes(array(b, r))
    }

    /// A 32-bit little-endian field (BSD null header on x86 captures).
    #[inline]
    pub(super) fn le32(b: &[u8], r: Range<usize>) -> u32 {
        u32::from_le_bytes(array(b, r))
    }
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv6Addr};

    use super::*;

    /// Every layer at once: Ethernet + 802.1Q vid 5 + IPv4 10.2.0.1 -> 10.2.0.2 + UDP
    /// 50000 -> 6081 + GENEVE (vni 7, Ethernet, one option) around Ethernet + IPv4
    /// 10.1.0.7 -> 10.1.0.8 + UDP 40001 -> 4789 + VXLAN vni 99 around Ethernet + 802.1ad
    /// vid 11 + 802.1Q vid 12 + IPv6 2001:db8:1::10 -> 2001:db8:2::20 + hop-by-hop +
    /// destination options + TCP 55555 -> 8080 PSH|ACK with a timestamp option,
    /// payload "POST /x".
    /// Packed field by field as commented (Python struct); checksums computed and
    /// checked with tcpdump -vv (outer UDP checksums are 0, as mirrors send them).
    /// (229 bytes)
    const KITCHEN_SINK: &[u8] = &[
        // ethernet: dst 02:00:00:00:00:02, src 02:00:00:00:00:01, type 0x8100
        0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x81, 0x00,
        // vlan tag: pcp 0, vid 5, then type 0x0800
        0x00, 0x05, 0x08, 0x00,
        // ipv4: ihl 5, tos 0, total 211, id 0x0, flags none, frag off 0, ttl 64, proto 17, 10.2.0.1 -> 10.2.0.2
        0x45, 0x00, 0x00, 0xd3, 0x00, 0x00, 0x00, 0x00, 0x40, 0x11, 0x66, 0x14, 0x0a, 0x02, 0x00, 0x01, 0x0a, 0x02,
        0x00, 0x02, // udp: 50000 -> 6081, len 191
        0xc3, 0x50, 0x17, 0xc1, 0x00, 0xbf, 0x00, 0x00,
        // geneve: ver 0, opt len 2 (8 bytes), proto 0x6558, vni 7
        0x02, 0x00, 0x65, 0x58, 0x00, 0x00, 0x07, 0x00, // geneve options
        0x01, 0x08, 0x01, 0x01, 0x00, 0x00, 0x00, 0x01,
        // ethernet: dst 06:00:00:00:00:01, src 06:00:00:00:00:02, type 0x0800
        0x06, 0x00, 0x00, 0x00, 0x00, 0x01, 0x06, 0x00, 0x00, 0x00, 0x00, 0x02, 0x08, 0x00,
        // ipv4: ihl 5, tos 0, total 153, id 0x0, flags none, frag off 0, ttl 64, proto 17, 10.1.0.7 -> 10.1.0.8
        0x45, 0x00, 0x00, 0x99, 0x00, 0x00, 0x00, 0x00, 0x40, 0x11, 0x66, 0x44, 0x0a, 0x01, 0x00, 0x07, 0x0a, 0x01,
        0x00, 0x08, // udp: 40001 -> 4789, len 133
        0x9c, 0x41, 0x12, 0xb5, 0x00, 0x85, 0x00, 0x00, // vxlan: flags 0x08, vni 99
        0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x63, 0x00,
        // ethernet: dst 0a:00:00:00:00:0a, src 0a:00:00:00:00:0b, type 0x88a8
        0x0a, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x0b, 0x88, 0xa8,
        // vlan tag: pcp 0, vid 11, then type 0x8100
        0x00, 0x0b, 0x81, 0x00, // vlan tag: pcp 0, vid 12, then type 0x86dd
        0x00, 0x0c, 0x86, 0xdd,
        // ipv6: tc 0, flow 0, payload len 55, next 0, hlim 64, 2001:db8:1::10 -> 2001:db8:2::20
        0x60, 0x00, 0x00, 0x00, 0x00, 0x37, 0x00, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x20, // ipv6 hop-by-hop: next 60, len 0 (8 bytes), options 010400000000
        0x3c, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00,
        // ipv6 destination options: next 6, len 0 (8 bytes), options 010400000000
        0x06, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00,
        // tcp: 55555 -> 8080, seq 7, ack 8, doff 8, flags PSH|ACK, win 300, urg 0, options 0101080a0000000100000002
        0xd9, 0x03, 0x1f, 0x90, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x08, 0x80, 0x18, 0x01, 0x2c, 0xe5, 0x64,
        0x00, 0x00, 0x01, 0x01, 0x08, 0x0a, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, // payload b'POST /x'
        0x50, 0x4f, 0x53, 0x54, 0x20, 0x2f, 0x78,
    ];

    /// Decodes every prefix of `frame` and every single-byte corruption of
    /// it (0x00, 0xff, top bit flipped): each must return, Ok or Err, never
    /// panic, and every Ok range must lie inside the frame.
    pub(super) fn assert_total(linktype: LinkType, frame: &[u8]) {
        let check = |bytes: &[u8]| {
            if let Ok(p) = decode(linktype, bytes) {
                assert!(p.payload.start <= p.payload.end && p.payload.end <= bytes.len());
                if let Some(ip) = &p.ip {
                    assert!(ip.header.end <= bytes.len());
                }
                let _ = p.payload();
            }
        };
        for n in 0..=frame.len() {
            check(&frame[..n]);
        }
        let mut b = frame.to_vec();
        for i in 0..b.len() {
            let orig = b[i];
            for v in [0x00, 0xff, orig ^ 0x80] {
                b[i] = v;
                check(&b);
            }
            b[i] = orig;
        }
    }

    #[test]
    fn kitchen_sink() {
        let p = decode(LinkType::Ethernet, KITCHEN_SINK).unwrap();
        let t: Vec<_> = p.tunnels.as_slice().iter().map(|t| (t.kind, t.vni)).collect();
        assert_eq!(t, [(TunnelKind::Geneve, 7), (TunnelKind::Vxlan, 99)]);
        assert_eq!(p.vlans(), &[11, 12]);
        let ip = p.ip.as_ref().unwrap();
        assert_eq!(ip.src, IpAddr::V6("2001:db8:1::10".parse::<Ipv6Addr>().unwrap()));
        assert_eq!((ip.proto, ip.header.len()), (6, 40 + 8 + 8));
        assert!(matches!(p.l4, L4::Tcp { sport: 55555, dport: 8080, seq: 7, ack: 8, window: 300, .. }));
        assert_eq!(p.payload(), b"POST /x");
        assert!(!p.truncated);
    }

    #[test]
    fn every_prefix_and_corruption_is_handled() {
        assert_total(LinkType::Ethernet, KITCHEN_SINK);
        // The same bytes read through every other link type.
        for lt in [0u32, 12, 101, 108, 113, 228, 229, 276] {
            assert_total(LinkType::from(lt), KITCHEN_SINK);
            assert_total(LinkType::from(lt), &KITCHEN_SINK[18..]);
        }
    }

    /// IPv6 2001:db8::1 -> 2001:db8::2 with next header `next` and `rest`
    /// after the fixed header.
    fn v6(next: u8, rest: &[u8]) -> Vec<u8> {
        let mut b = vec![0x60, 0, 0, 0];
        b.extend((rest.len() as u16).to_be_bytes());
        b.extend([next, 64]);
        b.extend([0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        b.extend([0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
        b.extend_from_slice(rest);
        b
    }

    /// IPv4 192.0.2.1 -> 192.0.2.2 carrying protocol `proto` and `rest`.
    fn v4(proto: u8, rest: &[u8]) -> Vec<u8> {
        let mut b = vec![0x45, 0];
        b.extend(((20 + rest.len()) as u16).to_be_bytes());
        b.extend([0, 1, 0, 0, 64, proto, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2]);
        b.extend_from_slice(rest);
        b
    }

    #[test]
    fn decoder_events_as_suricata_names_them() {
        use DecodeEvent as E;
        let udp = [0, 1, 0, 2, 0, 8, 0, 0];
        let events = |b: &[u8]| decode(LinkType::Raw, b).unwrap().events;

        // An atomic fragment: a useless header, and the datagram is whole.
        let atomic = v6(44, &[&[17, 0, 0, 0, 0, 0, 0, 1][..], &udp].concat());
        let p = decode(LinkType::Raw, &atomic).unwrap();
        assert!(p.events.has(E::Ipv6ExthdrUselessFh) && p.invalid.is_none());
        assert_eq!(p.l4, L4::Udp { sport: 1, dport: 2 });
        // A second fragment header is a duplicate; a non-zero reserved byte.
        let two = [&[44, 0, 0, 0, 0, 0, 0, 1][..], &[17, 7, 0, 0, 0, 0, 0, 2], &udp].concat();
        let ev = events(&v6(44, &two));
        assert!(ev.has(E::Ipv6ExthdrDuplFh) && ev.has(E::Ipv6FhNonZeroReservedField));
        // A first fragment whose length is not a multiple of 8.
        assert!(events(&v6(44, &[&[17, 0, 0, 1, 0, 0, 0, 9][..], &udp, &[1]].concat())).has(E::Ipv6FragInvalidLength));
        // Destination options: an unknown option; padding only.
        assert!(events(&v6(60, &[59, 0, 0x1e, 4, 0, 0, 0, 0])).has(E::Ipv6DstoptsUnknownOpt));
        let ev = events(&v6(60, &[59, 0, 1, 4, 0, 0, 0, 0]));
        assert!(ev.has(E::Ipv6DstoptsOnlyPadding) && !ev.has(E::Ipv6DstoptsUnknownOpt));
        assert!(events(&v6(0, &[59, 0, 1, 0, 0, 0, 0, 0, 0])).has(E::Ipv6ZeroLenPadn));
        assert!(events(&v6(43, &[59, 0, 0, 0, 0, 0, 0, 0])).has(E::Ipv6RhType0));
        assert!(events(&v6(59, &[1, 2])).has(E::Ipv6DataAfterNoneHeader));
        // Nothing after a header: truncated, invalid, addresses kept.
        let cut = v6(44, &[6, 0, 0, 0, 0, 0, 0, 1]);
        let p = decode(LinkType::Raw, &cut).unwrap();
        assert!(p.events.has(E::Ipv6TruncExthdr) && p.invalid.is_some() && p.ip.is_some());

        // TCP shorter than its header: invalid, the IP layer stays.
        let tiny = v4(6, &[0; 10]);
        let p = decode(LinkType::Raw, &tiny).unwrap();
        assert!(p.events.has(E::TcpPktTooSmall) && p.invalid.is_some());
        assert_eq!(p.ip.as_ref().map(|ip| ip.proto), Some(6));
        // UDP shorter than its header.
        assert!(events(&v4(17, &[0; 4])).has(E::UdpHlenTooSmall));
        // TCP options: MSS twice; a window scale of the wrong length.
        let mut tcp = vec![0, 1, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0x70, 0x02, 0xff, 0xff, 0, 0, 0, 0];
        tcp.extend([2, 4, 5, 0xb4, 2, 4, 5, 0xb4]);
        assert!(events(&v4(6, &tcp)).has(E::TcpOptDuplicate));
        tcp[24..28].copy_from_slice(&[3, 4, 7, 1]);
        let ev = events(&v4(6, &tcp));
        assert!(ev.has(E::TcpOptInvalidLen) && !ev.has(E::TcpOptDuplicate));
        // IPv4 captured shorter than its total length: still decoded.
        let mut short = v4(17, &udp);
        short[2..4].copy_from_slice(&1000u16.to_be_bytes());
        let p = decode(LinkType::Raw, &short).unwrap();
        assert!(p.events.has(E::Ipv4TruncPkt) && p.invalid.is_none() && p.truncated);
        // GRE too small.
        assert!(events(&v4(47, &[0, 0])).has(E::GrePktTooSmall));
        // A clean packet has none.
        assert!(events(&v4(17, &udp)).is_empty());
    }

    #[test]
    fn prefixes_stop_with_the_layer_that_is_cut() {
        // 18 bytes of Ethernet + VLAN, then an IPv4 header cut after 10 bytes.
        assert_eq!(
            decode(LinkType::Ethernet, &KITCHEN_SINK[..28]).unwrap_err(),
            DecodeError::Truncated { layer: Layer::Ipv4, need: 20, have: 10 }
        );
        // Cut inside the GENEVE header: plain UDP to 6081, no tunnel, truncated.
        let p = decode(LinkType::Ethernet, &KITCHEN_SINK[..50]).unwrap();
        assert!(p.tunnels.is_empty() && p.truncated);
        assert_eq!(p.l4, L4::Udp { sport: 50000, dport: 6081 });
    }

    #[test]
    fn counters_and_messages_are_stable() {
        let cases = [
            (DecodeError::Truncated { layer: Layer::Geneve, need: 8, have: 5 }, "decoder.geneve.truncated"),
            (
                DecodeError::Invalid { layer: Layer::Tcp, reason: "header length below 20" },
                "decoder.tcp.header_length_below_20",
            ),
            (DecodeError::TooManyVlans, "decoder.vlan.too_many_layers"),
            (DecodeError::TooManyTunnels, "decoder.tunnel.too_many_layers"),
            (DecodeError::UnsupportedLinkType(147), "decoder.link.unsupported_linktype"),
        ];
        for (e, name) in cases {
            assert_eq!(e.counter(), name);
        }
        assert_eq!(
            DecodeError::Truncated { layer: Layer::Geneve, need: 8, have: 5 }.to_string(),
            "geneve header truncated: need 8 bytes, have 5"
        );
    }

    #[test]
    fn packet_summary_is_small_and_shareable() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<Packet<'static>>();
        send_sync::<DecodeError>();
        // The summary stays cheap to move around.
        assert!(std::mem::size_of::<Packet<'static>>() <= 512);
    }
}
