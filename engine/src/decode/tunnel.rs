//! Mirror encapsulations: VXLAN (AWS Traffic Mirroring) and GENEVE (AWS
//! Gateway Load Balancer).
//!
//! [`probe`] looks at a UDP payload sent to the tunnel's port. A header that
//! does not check out (too short, wrong flags or version, unknown inner
//! protocol) is not an error: like Suricata, the datagram is then inspected as
//! ordinary UDP to that port.

use std::ops::Range;

use super::ethernet::{EtherType, EthernetView};
use super::wire::{be16, be24, byte};
use super::{DecodeError, Layer, Next, TunnelKind};

/// IANA port for VXLAN (RFC 7348).
pub(crate) const VXLAN_PORT: u16 = 4789;
/// IANA port for GENEVE (RFC 8926).
pub(crate) const GENEVE_PORT: u16 = 6081;

/// A tunnel header that checked out: what it is and where its inner frame is.
#[derive(Clone, Debug)]
pub(crate) struct Decap {
    /// VXLAN or GENEVE.
    pub(crate) kind: TunnelKind,
    /// 24-bit VNI.
    pub(crate) vni: u32,
    /// Where decoding resumes (inner Ethernet or IP header).
    pub(crate) next: Next,
    /// End of the inner frame.
    pub(crate) end: usize,
    /// The VLAN id an ERSPAN type II header gives the mirrored frame (the
    /// switch port's VLAN when the copy itself is untagged); Suricata
    /// writes it first in the inner packet's `vlan` list and keys flows on
    /// it. `None` when 0 or for other tunnels.
    pub(crate) vlan: Option<u16>,
    /// Where the bytes Suricata counts for the inner packet start: the
    /// tunnel's payload after its own header (for ERSPAN, its header and
    /// the mirrored frame).
    pub(crate) counted_from: usize,
}

/// Field offsets of the VXLAN header.
mod vxlan_off {
    use std::ops::Range;
    /// Flags; bit 0x08 (I) says the VNI is valid.
    pub const FLAGS: usize = 0;
    /// VXLAN network identifier (3 bytes; 1..4 are reserved or GBP).
    pub const VNI: Range<usize> = 4..7;
    /// Reserved, must be zero.
    pub const RESERVED: usize = 7;
}

/// The VXLAN "VNI valid" flag.
const VXLAN_FLAG_I: u8 = 0x08;

/// Checked view of a VXLAN header.
pub(crate) struct VxlanView<'a> {
    buf: &'a [u8],
}

impl<'a> VxlanView<'a> {
    /// Fixed header length.
    pub(crate) const HEADER_LEN: usize = 8;

    /// Checks the length, the I flag and the reserved last byte (Suricata's
    /// checks; the middle bytes may carry group-policy ids).
    pub(crate) fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        if buf.len() < Self::HEADER_LEN {
            return Err(DecodeError::Truncated { layer: Layer::Vxlan, need: Self::HEADER_LEN, have: buf.len() });
        }
        let v = VxlanView { buf };
        if byte(buf, vxlan_off::FLAGS) & VXLAN_FLAG_I == 0 {
            return Err(DecodeError::Invalid { layer: Layer::Vxlan, reason: "vni flag not set" });
        }
        if byte(buf, vxlan_off::RESERVED) != 0 {
            return Err(DecodeError::Invalid { layer: Layer::Vxlan, reason: "reserved bits set" });
        }
        Ok(v)
    }

    /// The 24-bit VNI.
    pub(crate) fn vni(&self) -> u32 {
        be24(self.buf, vxlan_off::VNI)
    }
}

/// Field offsets of the GENEVE base header.
mod geneve_off {
    use std::ops::Range;
    /// Version (2 high bits) and options length in 4-byte words (6 bits).
    pub const VER_OPT_LEN: usize = 0;
    /// Protocol type of the inner frame (an Ethernet type), after the
    /// O/C flags byte at 1.
    pub const PROTOCOL: Range<usize> = 2..4;
    /// Virtual network identifier (3 bytes; byte 7 is reserved).
    pub const VNI: Range<usize> = 4..7;
}

/// Checked view of a GENEVE header with its options.
pub(crate) struct GeneveView<'a> {
    buf: &'a [u8],
}

impl<'a> GeneveView<'a> {
    /// Base header without options.
    pub(crate) const BASE_LEN: usize = 8;

    /// Checks the base header, the version (0) and that the options fit.
    pub(crate) fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        let have = buf.len();
        if have < Self::BASE_LEN {
            return Err(DecodeError::Truncated { layer: Layer::Geneve, need: Self::BASE_LEN, have });
        }
        let v = GeneveView { buf };
        if byte(buf, geneve_off::VER_OPT_LEN) >> 6 != 0 {
            return Err(DecodeError::Invalid { layer: Layer::Geneve, reason: "version not 0" });
        }
        if v.header_len() > have {
            return Err(DecodeError::Truncated { layer: Layer::Geneve, need: v.header_len(), have });
        }
        Ok(v)
    }

    /// Base header plus options, in bytes (at most 8 + 63 * 4).
    pub(crate) fn header_len(&self) -> usize {
        Self::BASE_LEN + usize::from(byte(self.buf, geneve_off::VER_OPT_LEN) & 0x3F) * 4
    }

    /// Inner protocol (an Ethernet type).
    pub(crate) fn protocol(&self) -> u16 {
        be16(self.buf, geneve_off::PROTOCOL)
    }

    /// The 24-bit VNI.
    pub(crate) fn vni(&self) -> u32 {
        be24(self.buf, geneve_off::VNI)
    }
}

/// IP protocol number of GRE.
pub(crate) const GRE_PROTO: u8 = 47;

/// Flags, version and protocol type: the GRE header without options.
pub(crate) const GRE_MIN_LEN: usize = 4;

/// Decodes a GRE header (version 0) at `data[payload]`: IPv4, IPv6,
/// transparent Ethernet, and ERSPAN type I and II (0x88BE) and III
/// (0x22EB) around Ethernet. The key (or the ERSPAN session id) goes where
/// VXLAN keeps its VNI. Returns `None` for anything else (PPTP's enhanced
/// GRE, unknown payloads): the packet then stays plain GRE.
///
/// ERSPAN type I and II share the protocol type; only type II sets the
/// GRE sequence bit, and type I has no ERSPAN header at all (the frame
/// follows GRE). Suricata 7 always decodes type I (its
/// `decoder.erspan.typeI.enabled` setting no longer gates it), so this
/// does too.
pub(crate) fn gre(data: &[u8], payload: Range<usize>) -> Option<Decap> {
    let b = data.get(payload.clone())?;
    if b.len() < GRE_MIN_LEN {
        return None;
    }
    let flags = u16::from_be_bytes([b[0], b[1]]);
    if flags & 0x0007 != 0 {
        return None; // version 1 (PPTP) and others
    }
    let proto = u16::from_be_bytes([b[2], b[3]]);
    let mut off = 4;
    if flags & 0x8000 != 0 {
        off += 4; // checksum + reserved
    }
    let mut key = 0u32;
    if flags & 0x2000 != 0 {
        let k = b.get(off..off + 4)?;
        key = u32::from_be_bytes([k[0], k[1], k[2], k[3]]);
        off += 4;
    }
    if flags & 0x1000 != 0 {
        off += 4; // sequence number
    }
    let inner = payload.start + off;
    let mut vlan = None;
    let (kind, vni, next) = match proto {
        0x0800 => (TunnelKind::Gre, key, Next::Ipv4(inner)),
        0x86DD => (TunnelKind::Gre, key, Next::Ipv6(inner)),
        0x6558 => (TunnelKind::Gre, key, Next::Ethernet(inner)),
        // ERSPAN type I: no sequence number, no header, no session id.
        0x88BE if flags & 0x1000 == 0 => (TunnelKind::Erspan, 0, Next::Ethernet(inner)),
        0x88BE => {
            // ERSPAN type II: 8 bytes; version (4 bits) and VLAN (12 bits)
            // in the first 16-bit word, session id in the low 10 bits of
            // the second.
            let h = b.get(off..off + 8)?;
            let vid = u16::from_be_bytes([h[0], h[1]]) & 0x0fff;
            vlan = (vid != 0).then_some(vid);
            let session = u32::from(u16::from_be_bytes([h[2], h[3]]) & 0x03ff);
            (TunnelKind::Erspan, session, Next::Ethernet(inner + 8))
        }
        0x22EB => {
            // ERSPAN type III: 12 bytes, plus an 8-byte platform subheader
            // when the O bit is set.
            let h = b.get(off..off + 12)?;
            let session = u32::from(u16::from_be_bytes([h[2], h[3]]) & 0x03ff);
            let sub = if h[11] & 0x01 != 0 { 8 } else { 0 };
            (TunnelKind::Erspan, session, Next::Ethernet(inner + 12 + sub))
        }
        _ => return None,
    };
    // Only enter the tunnel when an inner header is there: a GRE packet
    // with nothing decodable inside stays a plain GRE packet, as in
    // Suricata (rules on it still match).
    match next {
        Next::Ethernet(at) => {
            EthernetView::new_checked(data.get(at..payload.end)?).ok()?;
        }
        Next::Ipv4(at) => {
            let h = data.get(at..payload.end)?;
            if h.len() < 20 || h[0] >> 4 != 4 {
                return None;
            }
        }
        Next::Ipv6(at) => {
            let h = data.get(at..payload.end)?;
            if h.len() < 40 || h[0] >> 4 != 6 {
                return None;
            }
        }
        _ => {}
    }
    Some(Decap { kind, vni, next, end: payload.end, vlan, counted_from: inner })
}

/// Looks for a tunnel in the UDP payload `data[payload]` sent to `dport`.
/// Returns `None` when the datagram is not a (well-formed) tunnel.
pub(crate) fn probe(data: &[u8], payload: Range<usize>, dport: u16) -> Option<Decap> {
    let buf = data.get(payload.clone())?;
    match dport {
        VXLAN_PORT => {
            let v = VxlanView::new_checked(buf).ok()?;
            let inner = payload.start + VxlanView::HEADER_LEN;
            // Suricata also wants a whole inner Ethernet header.
            EthernetView::new_checked(data.get(inner..payload.end)?).ok()?;
            Some(Decap {
                kind: TunnelKind::Vxlan,
                vni: v.vni(),
                next: Next::Ethernet(inner),
                end: payload.end,
                vlan: None,
                counted_from: inner,
            })
        }
        GENEVE_PORT => {
            let v = GeneveView::new_checked(buf).ok()?;
            let inner = payload.start + v.header_len();
            let next = match EtherType::from(v.protocol()) {
                EtherType::TransparentEthernet => {
                    EthernetView::new_checked(data.get(inner..payload.end)?).ok()?;
                    Next::Ethernet(inner)
                }
                EtherType::Ipv4 => Next::Ipv4(inner),
                EtherType::Ipv6 => Next::Ipv6(inner),
                _ => return None,
            };
            Some(Decap {
                kind: TunnelKind::Geneve,
                vni: v.vni(),
                next,
                end: payload.end,
                vlan: None,
                counted_from: inner,
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};

    use super::{GeneveView, VxlanView};
    use crate::decode::{decode, DecodeError, Layer, LinkType, Tunnel, TunnelKind, L4, MAX_TUNNEL_DEPTH};

    /// AWS Traffic Mirroring copy: Ethernet + 802.1Q vid 300 + IPv4 10.0.0.5 -> 10.0.0.9 +
    /// UDP 51234 -> 4789 + VXLAN vni 123, around Ethernet + 802.1Q vid 7 + IPv4
    /// 172.16.0.1 -> 172.16.0.2 + TCP 33000 -> 80 PSH|ACK "GET / HTTP/1.1\r\n\r\n".
    /// Packed field by field as commented (Python struct); checksums computed and
    /// checked with tcpdump -vv (outer UDP checksums are 0, as mirrors send them).
    /// (130 bytes)
    const VXLAN: &[u8] = &[
        // ethernet: dst 02:00:00:00:00:02, src 02:00:00:00:00:01, type 0x8100
        0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x81, 0x00,
        // vlan tag: pcp 0, vid 300, then type 0x0800
        0x01, 0x2c, 0x08, 0x00,
        // ipv4: ihl 5, tos 0, total 112, id 0x1, flags none, frag off 0, ttl 64, proto 17, 10.0.0.5 -> 10.0.0.9
        0x45, 0x00, 0x00, 0x70, 0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0x66, 0x6f, 0x0a, 0x00, 0x00, 0x05, 0x0a, 0x00,
        0x00, 0x09, // udp: 51234 -> 4789, len 92
        0xc8, 0x22, 0x12, 0xb5, 0x00, 0x5c, 0x00, 0x00, // vxlan: flags 0x08, vni 123
        0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x7b, 0x00,
        // ethernet: dst 0a:00:00:00:00:0a, src 0a:00:00:00:00:0b, type 0x8100
        0x0a, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x0b, 0x81, 0x00,
        // vlan tag: pcp 0, vid 7, then type 0x0800
        0x00, 0x07, 0x08, 0x00,
        // ipv4: ihl 5, tos 0, total 58, id 0x77, flags none, frag off 0, ttl 64, proto 6, 172.16.0.1 -> 172.16.0.2
        0x45, 0x00, 0x00, 0x3a, 0x00, 0x77, 0x00, 0x00, 0x40, 0x06, 0x22, 0x24, 0xac, 0x10, 0x00, 0x01, 0xac, 0x10,
        0x00, 0x02, // tcp: 33000 -> 80, seq 1, ack 1, doff 5, flags PSH|ACK, win 502, urg 0
        0x80, 0xe8, 0x00, 0x50, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x50, 0x18, 0x01, 0xf6, 0xf5, 0xc5,
        0x00, 0x00, // payload b'GET / HTTP/1.1\r\n\r\n'
        0x47, 0x45, 0x54, 0x20, 0x2f, 0x20, 0x48, 0x54, 0x54, 0x50, 0x2f, 0x31, 0x2e, 0x31, 0x0d, 0x0a, 0x0d, 0x0a,
    ];

    /// Gateway Load Balancer delivery: Ethernet + IPv4 10.0.1.10 -> 10.0.1.20 + UDP
    /// 60000 -> 6081 + GENEVE (vni 0, protocol 0x0800, 32 bytes of AWS options: class
    /// 0x0108 types 1, 2, 3) around IPv4 172.31.5.6 -> 8.8.8.8 + ICMP echo id 1 seq 2.
    /// Packed field by field as commented (Python struct); checksums computed and
    /// checked with tcpdump -vv (outer UDP checksums are 0, as mirrors send them).
    /// (118 bytes)
    const GENEVE_GWLB: &[u8] = &[
        // ethernet: dst 02:00:00:00:00:02, src 02:00:00:00:00:01, type 0x0800
        0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00,
        // ipv4: ihl 5, tos 0, total 104, id 0x0, flags none, frag off 0, ttl 64, proto 17, 10.0.1.10 -> 10.0.1.20
        0x45, 0x00, 0x00, 0x68, 0x00, 0x00, 0x00, 0x00, 0x40, 0x11, 0x64, 0x68, 0x0a, 0x00, 0x01, 0x0a, 0x0a, 0x00,
        0x01, 0x14, // udp: 60000 -> 6081, len 84
        0xea, 0x60, 0x17, 0xc1, 0x00, 0x54, 0x00, 0x00,
        // geneve: ver 0, opt len 8 (32 bytes), proto 0x0800, vni 0
        0x08, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, // geneve options
        0x01, 0x08, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x0b, 0x01, 0x08, 0x02, 0x02, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x0c, 0x0d, 0x01, 0x08, 0x03, 0x01, 0x12, 0x34, 0x56, 0x78,
        // ipv4: ihl 5, tos 0, total 36, id 0x99, flags none, frag off 0, ttl 64, proto 1, 172.31.5.6 -> 8.8.8.8
        0x45, 0x00, 0x00, 0x24, 0x00, 0x99, 0x00, 0x00, 0x40, 0x01, 0xb9, 0x0b, 0xac, 0x1f, 0x05, 0x06, 0x08, 0x08,
        0x08, 0x08, // icmp: type 8, code 0, rest 00010002
        0x08, 0x00, 0x66, 0x67, 0x00, 0x01, 0x00, 0x02, // payload b'abcdefgh'
        0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68,
    ];

    /// Mirror traffic behind a GWLB endpoint: Ethernet + IPv4 10.2.0.1 -> 10.2.0.2 + UDP
    /// 50000 -> 6081 + GENEVE (vni 77, protocol 0x6558 = Ethernet, one 8-byte option)
    /// around Ethernet + IPv4 10.1.0.7 -> 10.1.0.8 + UDP 40001 -> 4789 + VXLAN vni 4242
    /// around Ethernet + IPv4 172.16.9.1 -> 172.16.9.2 + TCP 1025 -> 22 "SSH-2.0-x\r\n".
    /// Packed field by field as commented (Python struct); checksums computed and
    /// checked with tcpdump -vv (outer UDP checksums are 0, as mirrors send them).
    /// (173 bytes)
    const GENEVE_VXLAN: &[u8] = &[
        // ethernet: dst 02:00:00:00:00:02, src 02:00:00:00:00:01, type 0x0800
        0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00,
        // ipv4: ihl 5, tos 0, total 159, id 0x0, flags none, frag off 0, ttl 64, proto 17, 10.2.0.1 -> 10.2.0.2
        0x45, 0x00, 0x00, 0x9f, 0x00, 0x00, 0x00, 0x00, 0x40, 0x11, 0x66, 0x48, 0x0a, 0x02, 0x00, 0x01, 0x0a, 0x02,
        0x00, 0x02, // udp: 50000 -> 6081, len 139
        0xc3, 0x50, 0x17, 0xc1, 0x00, 0x8b, 0x00, 0x00,
        // geneve: ver 0, opt len 2 (8 bytes), proto 0x6558, vni 77
        0x02, 0x00, 0x65, 0x58, 0x00, 0x00, 0x4d, 0x00, // geneve options
        0x01, 0x08, 0x01, 0x01, 0x00, 0x00, 0x00, 0x01,
        // ethernet: dst 06:00:00:00:00:01, src 06:00:00:00:00:02, type 0x0800
        0x06, 0x00, 0x00, 0x00, 0x00, 0x01, 0x06, 0x00, 0x00, 0x00, 0x00, 0x02, 0x08, 0x00,
        // ipv4: ihl 5, tos 0, total 101, id 0x0, flags none, frag off 0, ttl 64, proto 17, 10.1.0.7 -> 10.1.0.8
        0x45, 0x00, 0x00, 0x65, 0x00, 0x00, 0x00, 0x00, 0x40, 0x11, 0x66, 0x78, 0x0a, 0x01, 0x00, 0x07, 0x0a, 0x01,
        0x00, 0x08, // udp: 40001 -> 4789, len 81
        0x9c, 0x41, 0x12, 0xb5, 0x00, 0x51, 0x00, 0x00, // vxlan: flags 0x08, vni 4242
        0x08, 0x00, 0x00, 0x00, 0x00, 0x10, 0x92, 0x00,
        // ethernet: dst 0a:00:00:00:00:0a, src 0a:00:00:00:00:0b, type 0x0800
        0x0a, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x0b, 0x08, 0x00,
        // ipv4: ihl 5, tos 0, total 51, id 0x0, flags none, frag off 0, ttl 64, proto 6, 172.16.9.1 -> 172.16.9.2
        0x45, 0x00, 0x00, 0x33, 0x00, 0x00, 0x00, 0x00, 0x40, 0x06, 0x10, 0xa2, 0xac, 0x10, 0x09, 0x01, 0xac, 0x10,
        0x09, 0x02, // tcp: 1025 -> 22, seq 100, ack 200, doff 5, flags PSH|ACK, win 8000, urg 0
        0x04, 0x01, 0x00, 0x16, 0x00, 0x00, 0x00, 0x64, 0x00, 0x00, 0x00, 0xc8, 0x50, 0x18, 0x1f, 0x40, 0xa1, 0x31,
        0x00, 0x00, // payload b'SSH-2.0-x\r\n'
        0x53, 0x53, 0x48, 0x2d, 0x32, 0x2e, 0x30, 0x2d, 0x78, 0x0d, 0x0a,
    ];

    /// The VXLAN frame above without its outer VLAN and with VXLAN flags 0x00 (I flag
    /// clear): not a valid VXLAN header.
    /// Packed field by field as commented (Python struct); checksums computed and
    /// checked with tcpdump -vv (outer UDP checksums are 0, as mirrors send them).
    /// (126 bytes)
    const VXLAN_NO_I_FLAG: &[u8] = &[
        // ethernet: dst 02:00:00:00:00:02, src 02:00:00:00:00:01, type 0x0800
        0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00,
        // ipv4: ihl 5, tos 0, total 112, id 0x0, flags none, frag off 0, ttl 64, proto 17, 10.0.0.5 -> 10.0.0.9
        0x45, 0x00, 0x00, 0x70, 0x00, 0x00, 0x00, 0x00, 0x40, 0x11, 0x66, 0x70, 0x0a, 0x00, 0x00, 0x05, 0x0a, 0x00,
        0x00, 0x09, // udp: 51234 -> 4789, len 92
        0xc8, 0x22, 0x12, 0xb5, 0x00, 0x5c, 0x00, 0x00, // vxlan: flags 0x00, vni 123
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x7b, 0x00,
        // ethernet: dst 0a:00:00:00:00:0a, src 0a:00:00:00:00:0b, type 0x8100
        0x0a, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x0b, 0x81, 0x00,
        // vlan tag: pcp 0, vid 7, then type 0x0800
        0x00, 0x07, 0x08, 0x00,
        // ipv4: ihl 5, tos 0, total 58, id 0x77, flags none, frag off 0, ttl 64, proto 6, 172.16.0.1 -> 172.16.0.2
        0x45, 0x00, 0x00, 0x3a, 0x00, 0x77, 0x00, 0x00, 0x40, 0x06, 0x22, 0x24, 0xac, 0x10, 0x00, 0x01, 0xac, 0x10,
        0x00, 0x02, // tcp: 33000 -> 80, seq 1, ack 1, doff 5, flags PSH|ACK, win 502, urg 0
        0x80, 0xe8, 0x00, 0x50, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x50, 0x18, 0x01, 0xf6, 0xf5, 0xc5,
        0x00, 0x00, // payload b'GET / HTTP/1.1\r\n\r\n'
        0x47, 0x45, 0x54, 0x20, 0x2f, 0x20, 0x48, 0x54, 0x54, 0x50, 0x2f, 0x31, 0x2e, 0x31, 0x0d, 0x0a, 0x0d, 0x0a,
    ];

    /// Five nested VXLAN layers (outer IPv4 10.9.N.1 -> 10.9.N.2, UDP 100N -> 4789,
    /// vni N for N = 1..5) around Ethernet + IPv4 192.168.5.1 -> 192.168.5.2 + UDP 9 -> 9
    /// "deepest!". Each layer is 50 bytes of headers.
    /// Packed field by field as commented (Python struct); checksums computed and
    /// checked with tcpdump -vv (outer UDP checksums are 0, as mirrors send them).
    /// (300 bytes)
    const VXLAN_X5: &[u8] = &[
        // ethernet: dst 0a:00:00:00:00:01, src 0a:00:00:00:01:01, type 0x0800
        0x0a, 0x00, 0x00, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x00, 0x01, 0x01, 0x08, 0x00,
        // ipv4: ihl 5, tos 0, total 286, id 0x0, flags none, frag off 0, ttl 64, proto 17, 10.9.1.1 -> 10.9.1.2
        0x45, 0x00, 0x01, 0x1e, 0x00, 0x00, 0x00, 0x00, 0x40, 0x11, 0x63, 0xbb, 0x0a, 0x09, 0x01, 0x01, 0x0a, 0x09,
        0x01, 0x02, // udp: 1001 -> 4789, len 266
        0x03, 0xe9, 0x12, 0xb5, 0x01, 0x0a, 0x00, 0x00, // vxlan: flags 0x08, vni 1
        0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00,
        // ethernet: dst 0a:00:00:00:00:02, src 0a:00:00:00:01:02, type 0x0800
        0x0a, 0x00, 0x00, 0x00, 0x00, 0x02, 0x0a, 0x00, 0x00, 0x00, 0x01, 0x02, 0x08, 0x00,
        // ipv4: ihl 5, tos 0, total 236, id 0x0, flags none, frag off 0, ttl 64, proto 17, 10.9.2.1 -> 10.9.2.2
        0x45, 0x00, 0x00, 0xec, 0x00, 0x00, 0x00, 0x00, 0x40, 0x11, 0x61, 0xed, 0x0a, 0x09, 0x02, 0x01, 0x0a, 0x09,
        0x02, 0x02, // udp: 1002 -> 4789, len 216
        0x03, 0xea, 0x12, 0xb5, 0x00, 0xd8, 0x00, 0x00, // vxlan: flags 0x08, vni 2
        0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00,
        // ethernet: dst 0a:00:00:00:00:03, src 0a:00:00:00:01:03, type 0x0800
        0x0a, 0x00, 0x00, 0x00, 0x00, 0x03, 0x0a, 0x00, 0x00, 0x00, 0x01, 0x03, 0x08, 0x00,
        // ipv4: ihl 5, tos 0, total 186, id 0x0, flags none, frag off 0, ttl 64, proto 17, 10.9.3.1 -> 10.9.3.2
        0x45, 0x00, 0x00, 0xba, 0x00, 0x00, 0x00, 0x00, 0x40, 0x11, 0x60, 0x1f, 0x0a, 0x09, 0x03, 0x01, 0x0a, 0x09,
        0x03, 0x02, // udp: 1003 -> 4789, len 166
        0x03, 0xeb, 0x12, 0xb5, 0x00, 0xa6, 0x00, 0x00, // vxlan: flags 0x08, vni 3
        0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00,
        // ethernet: dst 0a:00:00:00:00:04, src 0a:00:00:00:01:04, type 0x0800
        0x0a, 0x00, 0x00, 0x00, 0x00, 0x04, 0x0a, 0x00, 0x00, 0x00, 0x01, 0x04, 0x08, 0x00,
        // ipv4: ihl 5, tos 0, total 136, id 0x0, flags none, frag off 0, ttl 64, proto 17, 10.9.4.1 -> 10.9.4.2
        0x45, 0x00, 0x00, 0x88, 0x00, 0x00, 0x00, 0x00, 0x40, 0x11, 0x5e, 0x51, 0x0a, 0x09, 0x04, 0x01, 0x0a, 0x09,
        0x04, 0x02, // udp: 1004 -> 4789, len 116
        0x03, 0xec, 0x12, 0xb5, 0x00, 0x74, 0x00, 0x00, // vxlan: flags 0x08, vni 4
        0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
        // ethernet: dst 0a:00:00:00:00:05, src 0a:00:00:00:01:05, type 0x0800
        0x0a, 0x00, 0x00, 0x00, 0x00, 0x05, 0x0a, 0x00, 0x00, 0x00, 0x01, 0x05, 0x08, 0x00,
        // ipv4: ihl 5, tos 0, total 86, id 0x0, flags none, frag off 0, ttl 64, proto 17, 10.9.5.1 -> 10.9.5.2
        0x45, 0x00, 0x00, 0x56, 0x00, 0x00, 0x00, 0x00, 0x40, 0x11, 0x5c, 0x83, 0x0a, 0x09, 0x05, 0x01, 0x0a, 0x09,
        0x05, 0x02, // udp: 1005 -> 4789, len 66
        0x03, 0xed, 0x12, 0xb5, 0x00, 0x42, 0x00, 0x00, // vxlan: flags 0x08, vni 5
        0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x00,
        // ethernet: dst 0a:00:00:00:00:05, src 0a:00:00:00:00:06, type 0x0800
        0x0a, 0x00, 0x00, 0x00, 0x00, 0x05, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x06, 0x08, 0x00,
        // ipv4: ihl 5, tos 0, total 36, id 0x0, flags none, frag off 0, ttl 64, proto 17, 192.168.5.1 -> 192.168.5.2
        0x45, 0x00, 0x00, 0x24, 0x00, 0x00, 0x00, 0x00, 0x40, 0x11, 0xef, 0x75, 0xc0, 0xa8, 0x05, 0x01, 0xc0, 0xa8,
        0x05, 0x02, // udp: 9 -> 9, len 16
        0x00, 0x09, 0x00, 0x09, 0x00, 0x10, 0xd0, 0xfd, // payload "deepest!"
        0x64, 0x65, 0x65, 0x70, 0x65, 0x73, 0x74, 0x21,
    ];

    /// Mirror session with a packet length limit: the outer headers are consistent,
    /// the inner IPv4 header still claims 1500 bytes but only 10 TCP payload bytes
    /// "0123456789" were copied. (Inner TCP checksum left 0.)
    /// Packed field by field as commented (Python struct); checksums computed and
    /// checked with tcpdump -vv (outer UDP checksums are 0, as mirrors send them).
    /// (114 bytes)
    const VXLAN_CUT_INNER: &[u8] = &[
        // ethernet: dst 02:00:00:00:00:02, src 02:00:00:00:00:01, type 0x0800
        0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00,
        // ipv4: ihl 5, tos 0, total 100, id 0x0, flags none, frag off 0, ttl 64, proto 17, 10.0.0.5 -> 10.0.0.9
        0x45, 0x00, 0x00, 0x64, 0x00, 0x00, 0x00, 0x00, 0x40, 0x11, 0x66, 0x7c, 0x0a, 0x00, 0x00, 0x05, 0x0a, 0x00,
        0x00, 0x09, // udp: 51234 -> 4789, len 80
        0xc8, 0x22, 0x12, 0xb5, 0x00, 0x50, 0x00, 0x00, // vxlan: flags 0x08, vni 123
        0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x7b, 0x00,
        // ethernet: dst 0a:00:00:00:00:0a, src 0a:00:00:00:00:0b, type 0x0800
        0x0a, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x0b, 0x08, 0x00,
        // ipv4: ihl 5, tos 0, total 1500, id 0x0, flags none, frag off 0, ttl 64, proto 6, 172.16.0.1 -> 172.16.0.2
        0x45, 0x00, 0x05, 0xdc, 0x00, 0x00, 0x00, 0x00, 0x40, 0x06, 0x1c, 0xf9, 0xac, 0x10, 0x00, 0x01, 0xac, 0x10,
        0x00, 0x02, // tcp: 33000 -> 80, seq 1, ack 1, doff 5, flags PSH|ACK, win 502, urg 0
        0x80, 0xe8, 0x00, 0x50, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x50, 0x18, 0x01, 0xf6, 0x00, 0x00,
        0x00, 0x00, // payload b'0123456789'
        0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39,
    ];

    fn v4(a: [u8; 4]) -> IpAddr {
        IpAddr::V4(Ipv4Addr::from(a))
    }

    #[test]
    fn vxlan_is_decapsulated() {
        let p = decode(LinkType::Ethernet, VXLAN).unwrap();
        assert_eq!(
            p.tunnels.as_slice(),
            &[Tunnel {
                kind: TunnelKind::Vxlan,
                src: v4([10, 0, 0, 5]),
                dst: v4([10, 0, 0, 9]),
                sport: 51234,
                dport: 4789,
                vni: 123,
                payload_len: 76,
            }]
        );
        assert_eq!(p.tunnel().unwrap().vni, 123);
        // The outer VLAN 300 is forgotten; the inner frame's tag is kept.
        assert_eq!(p.vlans(), &[7]);
        let ip = p.ip.as_ref().unwrap();
        assert_eq!((ip.src, ip.dst, ip.id), (v4([172, 16, 0, 1]), v4([172, 16, 0, 2]), 0x77));
        assert!(matches!(p.l4, L4::Tcp { sport: 33000, dport: 80, .. }));
        assert_eq!(p.payload(), b"GET / HTTP/1.1\r\n\r\n");
        assert!(!p.truncated);
    }

    #[test]
    fn geneve_with_options_carrying_ipv4() {
        let p = decode(LinkType::Ethernet, GENEVE_GWLB).unwrap();
        let t = p.tunnel().unwrap();
        assert_eq!(
            (t.kind, t.src, t.dst, t.sport, t.dport, t.vni),
            (TunnelKind::Geneve, v4([10, 0, 1, 10]), v4([10, 0, 1, 20]), 60000, 6081, 0)
        );
        assert_eq!(TunnelKind::Geneve.name(), "GENEVE");
        let ip = p.ip.as_ref().unwrap();
        assert_eq!(ip.dst, v4([8, 8, 8, 8]));
        // 14 + 20 + 8 outer, 8 + 32 GENEVE: the inner IPv4 starts at 82.
        assert_eq!(ip.header, 82..102);
        assert_eq!(p.l4, L4::Icmp { itype: 8, icode: 0, id: 1, seq: 2, v6: false });
        assert_eq!(p.payload(), b"abcdefgh");
        assert!(p.vlans().is_empty());
    }

    #[test]
    fn geneve_ethernet_around_vxlan() {
        let p = decode(LinkType::Ethernet, GENEVE_VXLAN).unwrap();
        let kinds: Vec<_> = p.tunnels.as_slice().iter().map(|t| (t.kind, t.vni, t.src, t.dport)).collect();
        assert_eq!(
            kinds,
            [(TunnelKind::Geneve, 77, v4([10, 2, 0, 1]), 6081), (TunnelKind::Vxlan, 4242, v4([10, 1, 0, 7]), 4789)]
        );
        assert_eq!(p.tunnel().unwrap().kind, TunnelKind::Vxlan);
        let ip = p.ip.as_ref().unwrap();
        assert_eq!((ip.src, ip.dst), (v4([172, 16, 9, 1]), v4([172, 16, 9, 2])));
        assert!(matches!(p.l4, L4::Tcp { sport: 1025, dport: 22, seq: 100, ack: 200, .. }));
        assert_eq!(p.payload(), b"SSH-2.0-x\r\n");
    }

    #[test]
    fn malformed_vxlan_is_plain_udp() {
        let p = decode(LinkType::Ethernet, VXLAN_NO_I_FLAG).unwrap();
        assert!(p.tunnels.is_empty());
        assert_eq!(p.ip.as_ref().unwrap().src, v4([10, 0, 0, 5]));
        assert_eq!(p.l4, L4::Udp { sport: 51234, dport: 4789 });
        // The payload is the whole UDP payload, VXLAN header included.
        assert_eq!(p.payload, 42..VXLAN_NO_I_FLAG.len());

        // Reserved last byte set: not VXLAN either.
        let mut b = VXLAN_NO_I_FLAG.to_vec();
        b[42] = 0x08;
        b[49] = 1;
        assert!(decode(LinkType::Ethernet, &b).unwrap().tunnels.is_empty());
        b[49] = 0;
        assert_eq!(decode(LinkType::Ethernet, &b).unwrap().tunnels.len(), 1);

        // A VXLAN header with less than an Ethernet header behind it.
        let mut short = b[..42 + 8 + 13].to_vec();
        let len = short.len() as u16;
        short[16..18].copy_from_slice(&(len - 14).to_be_bytes()); // IPv4 total length
        short[38..40].copy_from_slice(&(len - 34).to_be_bytes()); // UDP length
        let p = decode(LinkType::Ethernet, &short).unwrap();
        assert!(p.tunnels.is_empty());
        assert_eq!(p.payload().len(), 21);
        assert!(matches!(
            VxlanView::new_checked(&[0x08, 0, 0]),
            Err(DecodeError::Truncated { layer: Layer::Vxlan, need: 8, have: 3 })
        ));
    }

    #[test]
    fn malformed_geneve_is_plain_udp() {
        // Version 1.
        let mut b = GENEVE_GWLB.to_vec();
        b[42] |= 0x40;
        let p = decode(LinkType::Ethernet, &b).unwrap();
        assert!(p.tunnels.is_empty());
        assert_eq!(p.l4, L4::Udp { sport: 60000, dport: 6081 });
        // Options longer than the datagram (63 words).
        let mut b = GENEVE_GWLB.to_vec();
        b[42] = 0x3f;
        assert!(decode(LinkType::Ethernet, &b).unwrap().tunnels.is_empty());
        assert!(matches!(
            GeneveView::new_checked(&b[42..]),
            Err(DecodeError::Truncated { layer: Layer::Geneve, need: 260, .. })
        ));
        // Unknown protocol type (0x88cc, LLDP).
        let mut b = GENEVE_GWLB.to_vec();
        b[44..46].copy_from_slice(&[0x88, 0xcc]);
        assert!(decode(LinkType::Ethernet, &b).unwrap().tunnels.is_empty());
        // A truncated GENEVE base header.
        assert!(GeneveView::new_checked(&b[42..49]).is_err());
    }

    #[test]
    fn tunnel_depth_limit() {
        assert_eq!(MAX_TUNNEL_DEPTH, 4);
        let err = decode(LinkType::Ethernet, VXLAN_X5).unwrap_err();
        assert_eq!(err, DecodeError::TooManyTunnels);
        assert_eq!(err.counter(), "decoder.tunnel.too_many_layers");
        // Skipping the outermost 50-byte layer leaves exactly four.
        let p = decode(LinkType::Ethernet, &VXLAN_X5[50..]).unwrap();
        let vnis: Vec<u32> = p.tunnels.as_slice().iter().map(|t| t.vni).collect();
        assert_eq!(vnis, [2, 3, 4, 5]);
        assert_eq!(p.payload(), b"deepest!");
        // Ranges index the original frame, not the inner one.
        assert_eq!(p.payload.end, VXLAN_X5.len() - 50);
    }

    #[test]
    fn truncated_inner_frame_is_flagged() {
        let p = decode(LinkType::Ethernet, VXLAN_CUT_INNER).unwrap();
        assert_eq!(p.tunnels.len(), 1);
        assert!(p.truncated);
        assert_eq!(p.ip.as_ref().unwrap().claimed_len, 1500);
        assert_eq!(p.payload(), b"0123456789");
    }

    #[test]
    fn every_prefix_and_corruption_is_handled() {
        use crate::decode::tests::assert_total;
        for f in [VXLAN, GENEVE_GWLB, GENEVE_VXLAN, VXLAN_NO_I_FLAG, VXLAN_X5, VXLAN_CUT_INNER] {
            assert_total(LinkType::Ethernet, f);
        }
    }

    #[test]
    fn fragments_are_not_decapsulated() {
        // Set MF on the outer IPv4 header of the VXLAN frame (offset 18 + 6).
        let mut b = VXLAN.to_vec();
        b[24] |= 0x20;
        let p = decode(LinkType::Ethernet, &b).unwrap();
        assert!(p.tunnels.is_empty());
        assert_eq!(p.l4, L4::Udp { sport: 51234, dport: 4789 });
    }
}

#[cfg(test)]
mod gre_tests {
    use super::*;

    #[test]
    fn gre_and_erspan() {
        // GRE with key 7 around IPv4 (header only, 20 bytes of zeros after).
        let mut d = vec![0x20, 0x00, 0x08, 0x00, 0, 0, 0, 7, 0x45];
        d.extend([0u8; 19]);
        let g = gre(&d, 0..d.len()).unwrap();
        assert_eq!((g.kind, g.vni), (TunnelKind::Gre, 7));
        assert_eq!(g.next, Next::Ipv4(8));
        // ERSPAN II (sequence bit set), session 0x155, then Ethernet.
        let mut e = vec![0x10, 0x00, 0x88, 0xbe, 0, 0, 0, 1, 0x10, 0x00, 0x01, 0x55, 0, 0, 0, 0];
        e.extend([0u8; 14]);
        let g = gre(&e, 0..e.len()).unwrap();
        assert_eq!((g.kind, g.vni), (TunnelKind::Erspan, 0x155));
        assert_eq!(g.next, Next::Ethernet(16));
        // ERSPAN I (no sequence bit): the frame follows GRE directly.
        let mut e1 = vec![0x00, 0x00, 0x88, 0xbe];
        e1.extend([0u8; 14]);
        let g = gre(&e1, 0..e1.len()).unwrap();
        assert_eq!((g.kind, g.vni, g.vlan, g.next), (TunnelKind::Erspan, 0, None, Next::Ethernet(4)));
        // PPTP's version 1 and short headers are left alone.
        assert!(gre(&[0x30, 0x01, 0x88, 0x0b, 0, 0, 0, 0], 0..8).is_none());
        assert!(gre(&[0x20, 0x00], 0..2).is_none());
    }

    /// ERSPAN type I from a switch: Ethernet + IPv4 10.0.0.1 -> 10.0.0.2 + GRE (no
    /// flags, protocol 0x88be) around Ethernet + 802.1Q vid 42 + IPv4 192.168.7.1 ->
    /// 192.168.7.2 + ICMP echo id 9 seq 1 "ping". Packed field by field (Python
    /// struct), checksums computed. (88 bytes)
    const ERSPAN_I: &[u8] = &[
        // ethernet: dst 02:00:00:00:00:02, src 02:00:00:00:00:01, type 0x0800
        0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00,
        // ipv4: ihl 5, total 74, ttl 64, proto 47, 10.0.0.1 -> 10.0.0.2
        0x45, 0x00, 0x00, 0x4a, 0x00, 0x00, 0x00, 0x00, 0x40, 0x2f, 0x66, 0x83, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00,
        0x00, 0x02, // gre: flags 0, protocol 0x88be
        0x00, 0x00, 0x88, 0xbe, // ethernet: dst 02:..:0b, src 02:..:0a, type 0x8100
        0x02, 0x00, 0x00, 0x00, 0x00, 0x0b, 0x02, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x81, 0x00,
        // vlan tag: vid 42, then type 0x0800
        0x00, 0x2a, 0x08, 0x00, // ipv4: total 32, ttl 64, proto 1, 192.168.7.1 -> 192.168.7.2
        0x45, 0x00, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x40, 0x01, 0xeb, 0x89, 0xc0, 0xa8, 0x07, 0x01, 0xc0, 0xa8,
        0x07, 0x02, // icmp: echo request, id 9, seq 1, "ping"
        0x08, 0x00, 0x19, 0x25, 0x00, 0x09, 0x00, 0x01, 0x70, 0x69, 0x6e, 0x67,
    ];

    /// ERSPAN type II: the same outer headers, GRE with the sequence bit (seq 5),
    /// an ERSPAN header (version 1, VLAN 23, session 100) and the mirrored frame
    /// untagged: Ethernet + the same IPv4/ICMP. (96 bytes)
    const ERSPAN_II: &[u8] = &[
        // ethernet: dst 02:00:00:00:00:02, src 02:00:00:00:00:01, type 0x0800
        0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00,
        // ipv4: ihl 5, total 82, ttl 64, proto 47, 10.0.0.1 -> 10.0.0.2
        0x45, 0x00, 0x00, 0x52, 0x00, 0x00, 0x00, 0x00, 0x40, 0x2f, 0x66, 0x7b, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00,
        0x00, 0x02, // gre: flags 0x1000 (S), protocol 0x88be, sequence 5
        0x10, 0x00, 0x88, 0xbe, 0x00, 0x00, 0x00, 0x05, // erspan: version 1 | vlan 23, session 100, index 0
        0x10, 0x17, 0x00, 0x64, 0x00, 0x00, 0x00, 0x00, // ethernet: dst 02:..:0b, src 02:..:0a, type 0x0800
        0x02, 0x00, 0x00, 0x00, 0x00, 0x0b, 0x02, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x08, 0x00,
        // ipv4: total 32, ttl 64, proto 1, 192.168.7.1 -> 192.168.7.2
        0x45, 0x00, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x40, 0x01, 0xeb, 0x89, 0xc0, 0xa8, 0x07, 0x01, 0xc0, 0xa8,
        0x07, 0x02, // icmp: echo request, id 9, seq 1, "ping"
        0x08, 0x00, 0x19, 0x25, 0x00, 0x09, 0x00, 0x01, 0x70, 0x69, 0x6e, 0x67,
    ];

    #[test]
    fn erspan_type_i_is_decapsulated() {
        use crate::decode::{decode, LinkType, L4};
        let p = decode(LinkType::Ethernet, ERSPAN_I).unwrap();
        let t = p.tunnel().unwrap();
        assert_eq!((t.kind, t.vni), (TunnelKind::Erspan, 0));
        // GRE payload: the mirrored frame, 14 + 4 + 32 bytes.
        assert_eq!(t.payload_len, 50);
        // The mirrored frame's own tag.
        assert_eq!(p.vlans(), &[42]);
        let ip = p.ip.as_ref().unwrap();
        assert_eq!(ip.src.to_string(), "192.168.7.1");
        assert_eq!(p.l4, L4::Icmp { itype: 8, icode: 0, id: 9, seq: 1, v6: false });
        assert_eq!(p.payload(), b"ping");
    }

    #[test]
    fn erspan_type_ii_vlan_comes_from_its_header() {
        use crate::decode::{decode, LinkType, L4};
        let p = decode(LinkType::Ethernet, ERSPAN_II).unwrap();
        let t = p.tunnel().unwrap();
        assert_eq!((t.kind, t.vni), (TunnelKind::Erspan, 100));
        // ERSPAN header (8) + Ethernet (14) + IPv4 (32).
        assert_eq!(t.payload_len, 54);
        assert_eq!(p.vlans(), &[23]);
        assert_eq!(p.l4, L4::Icmp { itype: 8, icode: 0, id: 9, seq: 1, v6: false });
        assert_eq!(p.payload(), b"ping");

        // A tagged copy keeps the header's VLAN first, then its own tags.
        // (The outer IPv4 total length grows by the 4-byte tag.)
        let mut frame = ERSPAN_II[..62].to_vec();
        frame[16..18].copy_from_slice(&86u16.to_be_bytes());
        frame.extend([0x81, 0x00, 0x00, 0x07, 0x08, 0x00]);
        frame.extend(&ERSPAN_II[64..]);
        let p = decode(LinkType::Ethernet, &frame).unwrap();
        assert_eq!(p.vlans(), &[23, 7]);
        assert_eq!(p.payload(), b"ping");

        // VLAN 0 in the header adds no tag.
        let mut zero = ERSPAN_II.to_vec();
        zero[42..44].copy_from_slice(&[0x10, 0x00]);
        assert!(decode(LinkType::Ethernet, &zero).unwrap().vlans().is_empty());
    }

    #[test]
    fn erspan_prefixes_and_corruptions_are_handled() {
        use crate::decode::{tests::assert_total, LinkType};
        assert_total(LinkType::Ethernet, ERSPAN_I);
        assert_total(LinkType::Ethernet, ERSPAN_II);
    }
}
