//! Link layers: Ethernet II with 802.1Q / 802.1ad (QinQ) tags, Linux cooked
//! capture (SLL and SLL2), and BSD null / OpenBSD loopback headers.
//!
//! Each header has a checked view: `new_checked` verifies the length once and
//! the accessors read fixed offsets that are then known to be in bounds.

use std::ops::Range;

use super::wire::{be16, be32, le32};
use super::{DecodeError, Layer, Next, Packet, MAX_VLAN_TAGS};

/// Ethernet type codes mirador acts on; every other value is kept as
/// [`EtherType::Other`] (ARP, LLDP, MPLS... decode to "not IP", never an error).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EtherType {
    /// 0x0800
    Ipv4,
    /// 0x86DD
    Ipv6,
    /// 0x8100: 802.1Q customer tag.
    Dot1Q,
    /// 0x88A8: 802.1ad service tag (QinQ outer tag).
    Dot1Ad,
    /// 0x9100: pre-standard QinQ outer tag still sent by some switches.
    QinQ9100,
    /// 0x6558: transparent Ethernet bridging (GENEVE's "Ethernet inside").
    TransparentEthernet,
    /// 0x8864: PPPoE session (DSL uplinks): 6-byte header, then PPP.
    PppoeSession,
    /// Anything else.
    Other(u16),
}

impl From<u16> for EtherType {
    fn from(v: u16) -> Self {
        match v {
            0x0800 => EtherType::Ipv4,
            0x86DD => EtherType::Ipv6,
            0x8100 => EtherType::Dot1Q,
            0x88A8 => EtherType::Dot1Ad,
            0x9100 => EtherType::QinQ9100,
            0x6558 => EtherType::TransparentEthernet,
            0x8864 => EtherType::PppoeSession,
            o => EtherType::Other(o),
        }
    }
}

impl From<EtherType> for u16 {
    fn from(e: EtherType) -> u16 {
        match e {
            EtherType::Ipv4 => 0x0800,
            EtherType::Ipv6 => 0x86DD,
            EtherType::Dot1Q => 0x8100,
            EtherType::Dot1Ad => 0x88A8,
            EtherType::QinQ9100 => 0x9100,
            EtherType::TransparentEthernet => 0x6558,
            EtherType::PppoeSession => 0x8864,
            EtherType::Other(o) => o,
        }
    }
}

impl EtherType {
    /// True for the three tag types that carry a VLAN id.
    fn is_vlan_tag(self) -> bool {
        matches!(self, EtherType::Dot1Q | EtherType::Dot1Ad | EtherType::QinQ9100)
    }
}

/// Ethernet II header (destination, source, type): 14 bytes.
pub(crate) struct EthernetView<'a> {
    buf: &'a [u8],
}

impl<'a> EthernetView<'a> {
    /// Destination and source MAC, then the type.
    pub(crate) const HEADER_LEN: usize = 14;

    /// Checks that `buf` holds a whole header.
    pub(crate) fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        need(buf, Self::HEADER_LEN, Layer::Link)?;
        Ok(EthernetView { buf })
    }

    /// The type field (or an 802.3 length below 0x0600: then not IP).
    pub(crate) fn ethertype(&self) -> u16 {
        be16(self.buf, eth_off::ETHERTYPE)
    }
}

/// Field offsets of the Ethernet II header.
mod eth_off {
    use std::ops::Range;
    /// Type / length field (after destination 0..6 and source 6..12).
    pub const ETHERTYPE: Range<usize> = 12..14;
}

/// One 802.1Q / 802.1ad tag following its TPID: TCI then the next type.
pub(crate) struct VlanView<'a> {
    buf: &'a [u8],
}

/// Field offsets of a VLAN tag (after the TPID that announced it).
mod vlan_off {
    use std::ops::Range;
    /// Tag control information: PCP (3 bits), DEI (1), VLAN id (12).
    pub const TCI: Range<usize> = 0..2;
    /// Type of what follows the tag.
    pub const ETHERTYPE: Range<usize> = 2..4;
}

impl<'a> VlanView<'a> {
    /// TCI and encapsulated type.
    pub(crate) const HEADER_LEN: usize = 4;

    /// Checks that `buf` holds a whole tag.
    pub(crate) fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        need(buf, Self::HEADER_LEN, Layer::Vlan)?;
        Ok(VlanView { buf })
    }

    /// The 12-bit VLAN id.
    pub(crate) fn vid(&self) -> u16 {
        be16(self.buf, vlan_off::TCI) & 0x0FFF
    }

    /// Type of the encapsulated frame.
    pub(crate) fn ethertype(&self) -> u16 {
        be16(self.buf, vlan_off::ETHERTYPE)
    }
}

/// Linux cooked capture v1 header (LINKTYPE_LINUX_SLL): 16 bytes.
pub(crate) struct SllView<'a> {
    buf: &'a [u8],
}

/// Field offsets of the SLL header.
mod sll_off {
    use std::ops::Range;
    /// Protocol (an Ethernet type for IP), after packet type, ARPHRD type,
    /// address length and 8 address bytes.
    pub const PROTOCOL: Range<usize> = 14..16;
}

impl<'a> SllView<'a> {
    /// Fixed header length.
    pub(crate) const HEADER_LEN: usize = 16;

    /// Checks that `buf` holds a whole header.
    pub(crate) fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        need(buf, Self::HEADER_LEN, Layer::Link)?;
        Ok(SllView { buf })
    }

    /// Protocol of the payload.
    pub(crate) fn protocol(&self) -> u16 {
        be16(self.buf, sll_off::PROTOCOL)
    }
}

/// Linux cooked capture v2 header (LINKTYPE_LINUX_SLL2): 20 bytes.
pub(crate) struct Sll2View<'a> {
    buf: &'a [u8],
}

/// Field offsets of the SLL2 header.
mod sll2_off {
    use std::ops::Range;
    /// Protocol comes first in v2 (then reserved, ifindex, ARPHRD, addresses).
    pub const PROTOCOL: Range<usize> = 0..2;
}

impl<'a> Sll2View<'a> {
    /// Fixed header length.
    pub(crate) const HEADER_LEN: usize = 20;

    /// Checks that `buf` holds a whole header.
    pub(crate) fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        need(buf, Self::HEADER_LEN, Layer::Link)?;
        Ok(Sll2View { buf })
    }

    /// Protocol of the payload.
    pub(crate) fn protocol(&self) -> u16 {
        be16(self.buf, sll2_off::PROTOCOL)
    }
}

/// BSD null (host byte order) or OpenBSD loop (network byte order) header:
/// a 4-byte address family.
pub(crate) struct FamilyView<'a> {
    buf: &'a [u8],
}

/// Field offsets of the null/loop header.
mod family_off {
    use std::ops::Range;
    /// Address family (`AF_INET`, `AF_INET6`).
    pub const FAMILY: Range<usize> = 0..4;
}

/// `AF_INET` on every BSD and Linux.
const AF_INET: u32 = 2;
/// `AF_INET6` differs per OS: NetBSD/OpenBSD 24, FreeBSD 28, macOS 30.
const AF_INET6: [u32; 3] = [24, 28, 30];

impl<'a> FamilyView<'a> {
    /// Fixed header length.
    pub(crate) const HEADER_LEN: usize = 4;

    /// Checks that `buf` holds a whole header.
    pub(crate) fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        need(buf, Self::HEADER_LEN, Layer::Link)?;
        Ok(FamilyView { buf })
    }

    /// Family read in network order.
    fn family_be(&self) -> u32 {
        be32(self.buf, family_off::FAMILY)
    }

    /// Family read in little-endian order.
    fn family_le(&self) -> u32 {
        le32(self.buf, family_off::FAMILY)
    }
}

/// Maps an address family to the next decoder.
fn family_next(family: u32, at: usize) -> Option<Next> {
    if family == AF_INET {
        Some(Next::Ipv4(at))
    } else if AF_INET6.contains(&family) {
        Some(Next::Ipv6(at))
    } else {
        None
    }
}

/// Returns `Truncated` unless `buf` holds `len` bytes.
fn need(buf: &[u8], len: usize, layer: Layer) -> Result<(), DecodeError> {
    if buf.len() < len {
        Err(DecodeError::Truncated { layer, need: len, have: buf.len() })
    } else {
        Ok(())
    }
}

/// Decodes the capture's link header over `data[frame]` and says what
/// follows. Ethernet frames go through [`Next::Ethernet`] so that tunnels can
/// reuse the same path.
pub(crate) fn link(linktype: super::LinkType, data: &[u8]) -> Result<Next, DecodeError> {
    use super::LinkType as L;
    match linktype {
        L::Ethernet => Ok(Next::Ethernet(0)),
        L::Ipv4 => Ok(Next::Ipv4(0)),
        L::Ipv6 => Ok(Next::Ipv6(0)),
        L::Raw => match data.first().map(|b| b >> 4) {
            Some(4) => Ok(Next::Ipv4(0)),
            Some(6) => Ok(Next::Ipv6(0)),
            Some(_) => Err(DecodeError::Invalid { layer: Layer::Link, reason: "raw ip version unknown" }),
            None => Err(DecodeError::Truncated { layer: Layer::Link, need: 1, have: 0 }),
        },
        L::LinuxSll => {
            let v = SllView::new_checked(data)?;
            Ok(Next::EtherType(v.protocol(), SllView::HEADER_LEN))
        }
        L::LinuxSll2 => {
            let v = Sll2View::new_checked(data)?;
            Ok(Next::EtherType(v.protocol(), Sll2View::HEADER_LEN))
        }
        L::Null => {
            // Host byte order of the capturing machine: try both readings.
            // The families are small numbers, so at most one reading matches.
            let v = FamilyView::new_checked(data)?;
            let at = FamilyView::HEADER_LEN;
            Ok(family_next(v.family_le(), at).or_else(|| family_next(v.family_be(), at)).unwrap_or(Next::NonIp(at)))
        }
        L::Loop => {
            let v = FamilyView::new_checked(data)?;
            let at = FamilyView::HEADER_LEN;
            Ok(family_next(v.family_be(), at).unwrap_or(Next::NonIp(at)))
        }
        L::Ppp => ppp(data, 0),
        L::Other(n) => Err(DecodeError::UnsupportedLinkType(n)),
    }
}

/// PPP protocol numbers of IPv4 and IPv6.
const PPP_IPV4: u16 = 0x0021;
/// See [`PPP_IPV4`].
const PPP_IPV6: u16 = 0x0057;

/// A PPP frame at `start`: optional `ff 03` address and control, then the
/// protocol in one byte (compressed, odd) or two.
fn ppp(data: &[u8], start: usize) -> Result<Next, DecodeError> {
    let at = start + if data.get(start..).is_some_and(|d| d.starts_with(&[0xff, 0x03])) { 2 } else { 0 };
    let first = *data.get(at).ok_or(DecodeError::Truncated { layer: Layer::Link, need: at + 1, have: data.len() })?;
    let (proto, len) = if first & 1 == 1 {
        (u16::from(first), 1)
    } else {
        need(data, at + 2, Layer::Link)?;
        (u16::from_be_bytes([first, data[at + 1]]), 2)
    };
    Ok(match proto {
        PPP_IPV4 => Next::Ipv4(at + len),
        PPP_IPV6 => Next::Ipv6(at + len),
        _ => Next::NonIp(at + len),
    })
}

/// Decodes the Ethernet II header at `frame.start`.
pub(crate) fn ethernet(data: &[u8], frame: Range<usize>) -> Result<Next, DecodeError> {
    let buf = data.get(frame.clone()).unwrap_or_default();
    let v = EthernetView::new_checked(buf)?;
    Ok(Next::EtherType(v.ethertype(), frame.start + EthernetView::HEADER_LEN))
}

/// Follows `ethertype` found just before `at`: walks VLAN tags (recording
/// their ids in `pkt`) up to [`MAX_VLAN_TAGS`], then says which network
/// decoder comes next.
pub(crate) fn ethertype(
    data: &[u8],
    ethertype: u16,
    mut at: usize,
    end: usize,
    pkt: &mut Packet<'_>,
) -> Result<Next, DecodeError> {
    let mut etype = EtherType::from(ethertype);
    while etype.is_vlan_tag() {
        let count = pkt.vlan_count as usize;
        if count >= MAX_VLAN_TAGS {
            return Err(DecodeError::TooManyVlans);
        }
        let v = VlanView::new_checked(data.get(at..end).unwrap_or_default())?;
        pkt.vlans[count] = v.vid();
        pkt.vlan_count += 1;
        etype = EtherType::from(v.ethertype());
        at += VlanView::HEADER_LEN;
    }
    Ok(match etype {
        EtherType::Ipv4 => Next::Ipv4(at),
        EtherType::Ipv6 => Next::Ipv6(at),
        EtherType::PppoeSession => {
            // Version/type, code, session id, length; then PPP.
            const PPPOE_HEADER_LEN: usize = 6;
            let frame = data.get(..end).unwrap_or_default();
            need(frame.get(at..).unwrap_or_default(), PPPOE_HEADER_LEN, Layer::Link)?;
            ppp(frame, at + PPPOE_HEADER_LEN)?
        }
        _ => Next::NonIp(at),
    })
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

    use super::EtherType;
    use crate::decode::{decode, DecodeError, Layer, LinkType, L4};

    /// IPv4 192.0.2.1 -> 198.51.100.2, UDP 5353 -> 53, payload "abcd" (no link header).
    /// Packed field by field as commented (Python struct); checksums computed and
    /// checked with tcpdump -vv.
    /// (32 bytes)
    const IP4_UDP: &[u8] = &[
        // ipv4: ihl 5, tos 0, total 32, id 0x1234, flags none, frag off 0, ttl 64, proto 17, 192.0.2.1 -> 198.51.100.2
        0x45, 0x00, 0x00, 0x20, 0x12, 0x34, 0x00, 0x00, 0x40, 0x11, 0x7c, 0x62, 0xc0, 0x00, 0x02, 0x01, 0xc6, 0x33,
        0x64, 0x02, // udp: 5353 -> 53, len 12
        0x14, 0xe9, 0x00, 0x35, 0x00, 0x0c, 0x39, 0xba, // payload b'abcd'
        0x61, 0x62, 0x63, 0x64,
    ];
    /// IPv6 2001:db8::1 -> 2001:db8::2, UDP 1000 -> 53, payload "abcd" (no link header).
    /// Packed field by field as commented (Python struct); checksums computed and
    /// checked with tcpdump -vv.
    /// (52 bytes)
    const IP6_UDP: &[u8] = &[
        // ipv6: tc 0, flow 0, payload len 12, next 17, hlim 64, 2001:db8::1 -> 2001:db8::2
        0x60, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x11, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x02, // udp: 1000 -> 53, len 12
        0x03, 0xe8, 0x00, 0x35, 0x00, 0x0c, 0xdb, 0x7d, // payload b'abcd'
        0x61, 0x62, 0x63, 0x64,
    ];

    /// Ethernet II header, 02:00:00:00:00:01 -> 02:00:00:00:00:02, type IPv4.
    const ETH_IPV4: [u8; 14] = [0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00];

    /// Linux SLL (v1) header as tcpdump -i any writes it: packet type 0
    /// (to us), ARPHRD_ETHER (1), address length 6, address 02:00:00:00:00:01
    /// padded to 8 bytes, protocol 0x0800.
    const SLL_IPV4: [u8; 16] = [0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 0x02, 0, 0, 0, 0, 0x01, 0, 0, 0x08, 0x00];

    /// Linux SLL2 header: protocol 0x86DD, reserved 0, ifindex 2, ARPHRD_ETHER,
    /// packet type 0, address length 6, address 02:00:00:00:00:01 + 2 pad bytes.
    const SLL2_IPV6: [u8; 20] =
        [0x86, 0xdd, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01, 0x00, 0x06, 0x02, 0, 0, 0, 0, 0x01, 0, 0];

    /// Concatenates a link header and a packet (test helper).
    fn cat(a: &[u8], b: &[u8]) -> Vec<u8> {
        [a, b].concat()
    }

    fn v4(a: [u8; 4]) -> IpAddr {
        IpAddr::V4(Ipv4Addr::from(a))
    }

    /// Checks that `frame` decoded to the IP4_UDP packet starting at `at`.
    fn assert_ip4_udp(linktype: LinkType, frame: &[u8], at: usize) {
        let p = decode(linktype, frame).expect("decodes");
        let ip = p.ip.as_ref().expect("ip");
        assert_eq!((ip.version, ip.src, ip.dst), (4, v4([192, 0, 2, 1]), v4([198, 51, 100, 2])));
        assert_eq!(ip.header, at..at + 20);
        assert_eq!(p.l4, L4::Udp { sport: 5353, dport: 53 });
        assert_eq!(p.payload(), b"abcd");
        assert_eq!(p.payload, at + 28..at + 32);
        assert!(!p.truncated && p.tunnels.is_empty());
    }

    /// Checks that `frame` decoded to the IP6_UDP packet starting at `at`.
    fn assert_ip6_udp(linktype: LinkType, frame: &[u8], at: usize) {
        let p = decode(linktype, frame).expect("decodes");
        let ip = p.ip.as_ref().expect("ip");
        assert_eq!(ip.version, 6);
        assert_eq!(ip.src, IpAddr::V6("2001:db8::1".parse::<Ipv6Addr>().unwrap()));
        assert_eq!(ip.header, at..at + 40);
        assert_eq!(p.l4, L4::Udp { sport: 1000, dport: 53 });
        assert_eq!(p.payload(), b"abcd");
    }

    #[test]
    fn pppoe_session_carries_ip() {
        let mut frame = vec![0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x88, 0x64];
        frame.extend([0x11, 0x00, 0x00, 0x2d]);
        frame.extend(((IP4_UDP.len() + 2) as u16).to_be_bytes());
        frame.extend([0x00, 0x21]);
        frame.extend_from_slice(IP4_UDP);
        let p = decode(LinkType::Ethernet, &frame).unwrap();
        assert_eq!(p.ip.as_ref().unwrap().header.start, 22);
        assert!(decode(LinkType::Ethernet, &frame[..17]).is_err());
    }

    #[test]
    fn ppp_with_and_without_compression() {
        let ip = IP4_UDP;
        for head in [&[0x21][..], &[0x00, 0x21], &[0xff, 0x03, 0x00, 0x21]] {
            let frame = [head, ip].concat();
            let p = decode(LinkType::Ppp, &frame).unwrap();
            assert_eq!(p.ip.as_ref().unwrap().header.start, head.len());
        }
        let p = decode(LinkType::Ppp, &[0xc0, 0x21, 1, 2]).unwrap();
        assert!(p.ip.is_none());
        assert!(decode(LinkType::Ppp, &[0xff, 0x03]).is_err());
    }

    #[test]
    fn ethernet_ipv4() {
        assert_ip4_udp(LinkType::Ethernet, &cat(&ETH_IPV4, IP4_UDP), 14);
    }

    #[test]
    fn ethernet_ipv6() {
        let mut eth = ETH_IPV4;
        eth[12..].copy_from_slice(&[0x86, 0xdd]);
        assert_ip6_udp(LinkType::Ethernet, &cat(&eth, IP6_UDP), 14);
    }

    #[test]
    fn raw_picks_version_from_first_nibble() {
        assert_ip4_udp(LinkType::Raw, IP4_UDP, 0);
        assert_ip6_udp(LinkType::Raw, IP6_UDP, 0);
        assert_ip4_udp(LinkType::from(101), IP4_UDP, 0);
        assert_ip4_udp(LinkType::from(12), IP4_UDP, 0);
        assert_eq!(
            decode(LinkType::Raw, &[0x55, 0, 0]).unwrap_err(),
            DecodeError::Invalid { layer: Layer::Link, reason: "raw ip version unknown" }
        );
        assert_eq!(
            decode(LinkType::Raw, &[]).unwrap_err(),
            DecodeError::Truncated { layer: Layer::Link, need: 1, have: 0 }
        );
    }

    #[test]
    fn ipv4_and_ipv6_linktypes() {
        assert_ip4_udp(LinkType::from(228), IP4_UDP, 0);
        assert_ip6_udp(LinkType::from(229), IP6_UDP, 0);
        // The link type, not the nibble, decides.
        assert!(matches!(decode(LinkType::Ipv4, IP6_UDP), Err(DecodeError::Invalid { layer: Layer::Ipv4, .. })));
    }

    #[test]
    fn linux_sll_and_sll2() {
        assert_ip4_udp(LinkType::from(113), &cat(&SLL_IPV4, IP4_UDP), 16);
        assert_ip6_udp(LinkType::from(276), &cat(&SLL2_IPV6, IP6_UDP), 20);
        assert_eq!(
            decode(LinkType::LinuxSll, &SLL_IPV4[..15]).unwrap_err(),
            DecodeError::Truncated { layer: Layer::Link, need: 16, have: 15 }
        );
        assert_eq!(
            decode(LinkType::LinuxSll2, &SLL2_IPV6[..19]).unwrap_err(),
            DecodeError::Truncated { layer: Layer::Link, need: 20, have: 19 }
        );
    }

    #[test]
    fn null_accepts_both_byte_orders() {
        // AF_INET = 2 written by a little-endian host, then by a big-endian one.
        assert_ip4_udp(LinkType::Null, &cat(&[2, 0, 0, 0], IP4_UDP), 4);
        assert_ip4_udp(LinkType::Null, &cat(&[0, 0, 0, 2], IP4_UDP), 4);
        // AF_INET6 of NetBSD/OpenBSD (24), FreeBSD (28), macOS (30).
        assert_ip6_udp(LinkType::Null, &cat(&[24, 0, 0, 0], IP6_UDP), 4);
        assert_ip6_udp(LinkType::Null, &cat(&[0, 0, 0, 28], IP6_UDP), 4);
        assert_ip6_udp(LinkType::from(0), &cat(&[30, 0, 0, 0], IP6_UDP), 4);
        // An unknown family is not IP, and not an error.
        let frame = cat(&[7, 0, 0, 0], IP4_UDP);
        let p = decode(LinkType::Null, &frame).unwrap();
        assert!(p.ip.is_none());
        assert_eq!(p.payload, 4..4);
    }

    #[test]
    fn loop_is_network_order() {
        assert_ip4_udp(LinkType::from(108), &cat(&[0, 0, 0, 2], IP4_UDP), 4);
        assert_ip6_udp(LinkType::Loop, &cat(&[0, 0, 0, 24], IP6_UDP), 4);
        // Host order is not accepted on LOOP.
        assert!(decode(LinkType::Loop, &cat(&[2, 0, 0, 0], IP4_UDP)).unwrap().ip.is_none());
        assert_eq!(
            decode(LinkType::Loop, &[0, 0, 2]).unwrap_err(),
            DecodeError::Truncated { layer: Layer::Link, need: 4, have: 3 }
        );
    }

    #[test]
    fn unsupported_linktype() {
        // 105 = IEEE 802.11.
        assert_eq!(decode(LinkType::from(105), IP4_UDP).unwrap_err(), DecodeError::UnsupportedLinkType(105));
        assert_eq!(DecodeError::UnsupportedLinkType(105).counter(), "decoder.link.unsupported_linktype");
    }

    #[test]
    fn vlan_8021q() {
        // Ethernet type 0x8100, tag PCP 5 / vid 100, then IPv4.
        let mut hdr = ETH_IPV4.to_vec();
        hdr.truncate(12);
        hdr.extend_from_slice(&[0x81, 0x00, 0xa0, 0x64, 0x08, 0x00]);
        let frame = cat(&hdr, IP4_UDP);
        assert_ip4_udp(LinkType::Ethernet, &frame, 18);
        assert_eq!(decode(LinkType::Ethernet, &frame).unwrap().vlans(), &[100]);
    }

    #[test]
    fn qinq_88a8_and_9100() {
        // 802.1ad S-tag vid 10, 802.1Q C-tag vid 20, then IPv4.
        let mut hdr = ETH_IPV4[..12].to_vec();
        hdr.extend_from_slice(&[0x88, 0xa8, 0x00, 0x0a, 0x81, 0x00, 0x00, 0x14, 0x08, 0x00]);
        let frame = cat(&hdr, IP4_UDP);
        assert_ip4_udp(LinkType::Ethernet, &frame, 22);
        assert_eq!(decode(LinkType::Ethernet, &frame).unwrap().vlans(), &[10, 20]);

        // Pre-standard 0x9100 outer tag vid 4095 (all 12 bits), C-tag vid 1, IPv6.
        let mut hdr = ETH_IPV4[..12].to_vec();
        hdr.extend_from_slice(&[0x91, 0x00, 0xef, 0xff, 0x81, 0x00, 0x00, 0x01, 0x86, 0xdd]);
        let frame = cat(&hdr, IP6_UDP);
        assert_ip6_udp(LinkType::Ethernet, &frame, 22);
        assert_eq!(decode(LinkType::Ethernet, &frame).unwrap().vlans(), &[4095, 1]);
    }

    #[test]
    fn vlan_limit_and_truncation() {
        // Three tags are accepted, a fourth is an anomaly.
        let mut hdr = ETH_IPV4[..12].to_vec();
        hdr.extend_from_slice(&[0x88, 0xa8, 0, 1, 0x81, 0x00, 0, 2, 0x81, 0x00, 0, 3, 0x08, 0x00]);
        let frame = cat(&hdr, IP4_UDP);
        assert_eq!(decode(LinkType::Ethernet, &frame).unwrap().vlans(), &[1, 2, 3]);
        let mut hdr = ETH_IPV4[..12].to_vec();
        hdr.extend_from_slice(&[0x88, 0xa8, 0, 1, 0x81, 0x00, 0, 2, 0x81, 0x00, 0, 3, 0x81, 0x00, 0, 4, 0x08, 0x00]);
        let err = decode(LinkType::Ethernet, &cat(&hdr, IP4_UDP)).unwrap_err();
        assert_eq!(err, DecodeError::TooManyVlans);
        assert_eq!(err.counter(), "decoder.vlan.too_many_layers");
        // A tag cut short.
        let frame = [&ETH_IPV4[..12], &[0x81, 0x00, 0x00]].concat();
        assert_eq!(
            decode(LinkType::Ethernet, &frame).unwrap_err(),
            DecodeError::Truncated { layer: Layer::Vlan, need: 4, have: 1 }
        );
    }

    #[test]
    fn arp_is_not_ip_and_not_an_error() {
        // Ethernet broadcast, type 0x0806, ARP request who-has 192.0.2.2 tell 192.0.2.1.
        let frame: &[u8] = &[
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x06, // ethernet
            0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, // htype 1, ptype ipv4, hlen 6, plen 4, op 1
            0x02, 0, 0, 0, 0, 0x01, 192, 0, 2, 1, // sender
            0, 0, 0, 0, 0, 0, 192, 0, 2, 2, // target
        ];
        let p = decode(LinkType::Ethernet, frame).unwrap();
        assert!(p.ip.is_none());
        assert_eq!(p.l4, L4::Other);
        assert!(p.payload().is_empty());
        // An 802.3 length field (below 0x0600) is not IP either.
        let frame = [&ETH_IPV4[..12], &[0x00, 0x26], &[0u8; 38]].concat();
        let p = decode(LinkType::Ethernet, &frame).unwrap();
        assert!(p.ip.is_none());
        assert_eq!(
            decode(LinkType::Ethernet, &ETH_IPV4[..13]).unwrap_err(),
            DecodeError::Truncated { layer: Layer::Link, need: 14, have: 13 }
        );
    }

    #[test]
    fn every_prefix_and_corruption_is_handled() {
        use crate::decode::tests::assert_total;
        assert_total(LinkType::Ethernet, &cat(&ETH_IPV4, IP4_UDP));
        assert_total(LinkType::LinuxSll, &cat(&SLL_IPV4, IP4_UDP));
        assert_total(LinkType::LinuxSll2, &cat(&SLL2_IPV6, IP6_UDP));
        assert_total(LinkType::Null, &cat(&[2, 0, 0, 0], IP4_UDP));
        assert_total(LinkType::Loop, &cat(&[0, 0, 0, 24], IP6_UDP));
    }

    #[test]
    fn ethertype_is_open() {
        for v in [0x0800u16, 0x86dd, 0x8100, 0x88a8, 0x9100, 0x6558, 0x0806, 0] {
            assert_eq!(u16::from(EtherType::from(v)), v);
        }
        assert_eq!(EtherType::from(0x0806), EtherType::Other(0x0806));
    }
}
