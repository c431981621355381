//! Packet-header sticky buffers: `ipv4.hdr`, `ipv6.hdr`, `tcp.hdr`,
//! `udp.hdr`, `icmpv4.hdr` and `icmpv6.hdr`.
//!
//! Each is the raw bytes of one header of the innermost packet, as long as
//! Suricata 7 makes it (checked against 7.0.10 with `bsize` probes):
//!
//! | buffer | bytes |
//! |---|---|
//! | `ipv4.hdr` | IHL * 4, options included |
//! | `ipv6.hdr` | the fixed 40 bytes and every extension header before the transport header |
//! | `tcp.hdr` | data offset * 4, options included |
//! | `udp.hdr` | 8 |
//! | `icmpv4.hdr` | 8; 20 for timestamp messages; 8 + the address list for router advertisements (when the message holds them) |
//! | `icmpv6.hdr` | 8 |
//!
//! A buffer the packet does not have (`tcp.hdr` on UDP, `ipv6.hdr` on
//! IPv4, a transport header of an IP fragment, which Suricata does not
//! decode before reassembly) is `None`, and a rule inspecting it does not
//! match. The getters only slice [`Packet::data`]: they never panic and
//! never allocate.

use crate::decode::{Packet, L4};
use crate::rules::ast::Buffer;

/// The bytes of header buffer `b` in `pkt`, or None when the packet has no
/// such header (or `b` is not a header buffer).
///
/// The transport header is what lies between the IP header (with IPv6's
/// extension headers) and the transport payload: the decoder delimits TCP
/// by its data offset, UDP and ICMPv6 by 8 bytes, and ICMPv4 as Suricata
/// does. Fragments have no transport header before reassembly.
pub fn header<'a>(pkt: &Packet<'a>, b: Buffer) -> Option<&'a [u8]> {
    let ip = pkt.ip.as_ref()?;
    let transport = || if ip.is_fragment { None } else { pkt.data.get(ip.header.end..pkt.payload.start) };
    match (b, pkt.l4) {
        (Buffer::Ipv4Hdr, _) if ip.version == 4 => pkt.data.get(ip.header.clone()),
        (Buffer::Ipv6Hdr, _) if ip.version == 6 => pkt.data.get(ip.header.clone()),
        (Buffer::IpSrc | Buffer::IpDst, _) => {
            // Addresses at their place in the IPv4 or IPv6 header.
            let (at, len) = if ip.version == 4 { (12, 4) } else { (8, 16) };
            let at = ip.header.start + at + if b == Buffer::IpDst { len } else { 0 };
            pkt.data.get(at..at + len)
        }
        (Buffer::TcpHdr, L4::Tcp { .. })
        | (Buffer::UdpHdr, L4::Udp { .. })
        | (Buffer::Icmpv4Hdr, L4::Icmp { v6: false, .. })
        | (Buffer::Icmpv6Hdr, L4::Icmp { v6: true, .. }) => transport(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::{decode, LinkType};

    /// IPv4 with a 4-byte router-alert option (IHL 6) + TCP SYN 1000 -> 80
    /// with MSS, NOP, window-scale options (data offset 7), payload "hello".
    /// Built with scapy; checksums by scapy.
    const V4_OPTS_TCP_OPTS: &[u8] = &[
        0x46, 0x00, 0x00, 0x39, 0x12, 0x34, 0x00, 0x00, 0x40, 0x06, 0xe7, 0x4f, 0xc0, 0x00, 0x02, 0x01, 0xc6, 0x33,
        0x64, 0x02, 0x94, 0x04, 0x00, 0x00, // tcp
        0x03, 0xe8, 0x00, 0x50, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x70, 0x02, 0x20, 0x00, 0x2f, 0xd1,
        0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x01, 0x03, 0x03, 0x07, // payload
        0x68, 0x65, 0x6c, 0x6c, 0x6f,
    ];

    /// IPv4 + UDP 53 -> 5353, payload "abc" (scapy).
    const V4_UDP: &[u8] = &[
        0x45, 0x00, 0x00, 0x1f, 0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0x8e, 0x96, 0xc0, 0x00, 0x02, 0x01, 0xc6, 0x33,
        0x64, 0x02, 0x00, 0x35, 0x14, 0xe9, 0x00, 0x0b, 0x3a, 0x20, 0x61, 0x62, 0x63,
    ];

    /// IPv4 first fragment (MF) of a UDP datagram 7 -> 8 (scapy).
    const V4_UDP_FRAG: &[u8] = &[
        0x45, 0x00, 0x00, 0x20, 0x00, 0x63, 0x20, 0x00, 0x40, 0x11, 0x6e, 0x33, 0xc0, 0x00, 0x02, 0x01, 0xc6, 0x33,
        0x64, 0x02, 0x00, 0x07, 0x00, 0x08, 0x00, 0x0c, 0x4b, 0xb6, 0x66, 0x72, 0x61, 0x67,
    ];

    /// IPv4 + ICMP timestamp request (type 13), id 7, seq 9, timestamps
    /// 1, 2, 3 (scapy).
    const V4_ICMP_TIMESTAMP: &[u8] = &[
        0x45, 0x00, 0x00, 0x28, 0x00, 0x01, 0x00, 0x00, 0x40, 0x01, 0x8e, 0x9d, 0xc0, 0x00, 0x02, 0x01, 0xc6, 0x33,
        0x64, 0x02, 0x0d, 0x00, 0xf2, 0xe9, 0x00, 0x07, 0x00, 0x09, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02,
        0x00, 0x00, 0x00, 0x03,
    ];

    /// IPv4 + ICMP router advertisement, 2 addresses of 2 words
    /// (192.0.2.1, 192.0.2.2), lifetime 30, then 4 stray bytes "tail"
    /// (scapy Raw; ICMP checksum not computed).
    const V4_ICMP_RTRADV: &[u8] = &[
        0x45, 0x00, 0x00, 0x30, 0x00, 0x01, 0x00, 0x00, 0x40, 0x01, 0x8e, 0x95, 0xc0, 0x00, 0x02, 0x01, 0xc6, 0x33,
        0x64, 0x02, 0x09, 0x00, 0x8c, 0xfc, 0x02, 0x02, 0x00, 0x1e, 0xc0, 0x00, 0x02, 0x01, 0x00, 0x00, 0x00, 0x00,
        0xc0, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x74, 0x61, 0x69, 0x6c,
    ];

    /// The same advertisement announcing 4 addresses but carrying 1.
    const V4_ICMP_RTRADV_SHORT: &[u8] = &[
        0x45, 0x00, 0x00, 0x24, 0x00, 0x01, 0x00, 0x00, 0x40, 0x01, 0x8e, 0xa1, 0xc0, 0x00, 0x02, 0x01, 0xc6, 0x33,
        0x64, 0x02, 0x09, 0x00, 0x8c, 0xfc, 0x04, 0x02, 0x00, 0x1e, 0xc0, 0x00, 0x02, 0x01, 0x00, 0x00, 0x00, 0x00,
    ];

    /// IPv6 + hop-by-hop + destination options (8 bytes each) + UDP 1 -> 2,
    /// payload "zz" (scapy).
    const V6_HBH_DST_UDP: &[u8] = &[
        0x60, 0x00, 0x00, 0x00, 0x00, 0x1a, 0x00, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x02, // hop-by-hop, destination options
        0x3c, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00, 0x11, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00, // udp
        0x00, 0x01, 0x00, 0x02, 0x00, 0x0a, 0x29, 0xe8, 0x7a, 0x7a,
    ];

    /// IPv6 + ICMPv6 router advertisement, router lifetime 0, with a
    /// source link-layer address option (scapy).
    const V6_RA: &[u8] = &[
        0x60, 0x00, 0x00, 0x00, 0x00, 0x18, 0x3a, 0xff, 0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x01, // icmpv6
        0x86, 0x00, 0x7b, 0x1d, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x01,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
    ];

    fn buf<'a>(pkt: &Packet<'a>, b: Buffer) -> Option<&'a [u8]> {
        header(pkt, b)
    }

    fn lens(data: &[u8]) -> Vec<(Buffer, usize)> {
        let pkt = decode(LinkType::Raw, data).expect("fixture decodes");
        Buffer::PACKET_HEADERS
            .iter()
            .filter(|b| !matches!(b, Buffer::IpSrc | Buffer::IpDst))
            .filter_map(|&b| buf(&pkt, b).map(|h| (b, h.len())))
            .collect()
    }

    /// Checksum keywords on scapy's packets (checksums computed by scapy),
    /// then on the same packets with one byte changed.
    #[test]
    fn checksums_of_scapy_packets_are_valid_and_a_changed_byte_is_not() {
        use crate::rules::ast::ChecksumKind as K;
        let ok = |data: &[u8], k| super::super::header::checksum_ok(&decode(LinkType::Raw, data).unwrap(), k);
        assert_eq!(ok(V4_OPTS_TCP_OPTS, K::Ipv4), Some(true));
        assert_eq!(ok(V4_OPTS_TCP_OPTS, K::Tcpv4), Some(true));
        assert_eq!(ok(V4_OPTS_TCP_OPTS, K::Udpv4), None, "not UDP");
        assert_eq!(ok(V4_OPTS_TCP_OPTS, K::Tcpv6), None, "not IPv6");
        assert_eq!(ok(V4_UDP, K::Udpv4), Some(true));
        assert_eq!(ok(V4_ICMP_TIMESTAMP, K::Icmpv4), Some(true));
        assert_eq!(ok(V6_HBH_DST_UDP, K::Udpv6), Some(true), "pseudo-header past the extension headers");
        assert_eq!(ok(V6_RA, K::Icmpv6), Some(true));
        // scapy left this one's ICMP checksum as written.
        assert_eq!(ok(V4_ICMP_RTRADV, K::Icmpv4), Some(false));
        let mut bad = V4_OPTS_TCP_OPTS.to_vec();
        *bad.last_mut().unwrap() ^= 1;
        assert_eq!(ok(&bad, K::Tcpv4), Some(false));
        assert_eq!(ok(&bad, K::Ipv4), Some(true));
        bad[8] ^= 1; // TTL
        assert_eq!(ok(&bad, K::Ipv4), Some(false));
    }

    #[test]
    fn ip_src_and_dst_are_the_raw_addresses() {
        let v4 = decode(LinkType::Raw, V4_UDP).unwrap();
        assert_eq!(buf(&v4, Buffer::IpSrc).unwrap(), &[192, 0, 2, 1]);
        assert_eq!(buf(&v4, Buffer::IpDst).unwrap(), &[198, 51, 100, 2]);
        let v6 = decode(LinkType::Raw, V6_HBH_DST_UDP).unwrap();
        assert_eq!(buf(&v6, Buffer::IpSrc).unwrap(), &V6_HBH_DST_UDP[8..24]);
        assert_eq!(buf(&v6, Buffer::IpDst).unwrap(), &V6_HBH_DST_UDP[24..40]);
    }

    #[test]
    fn ipv4_and_tcp_keep_their_options() {
        assert_eq!(lens(V4_OPTS_TCP_OPTS), [(Buffer::Ipv4Hdr, 24), (Buffer::TcpHdr, 28)]);
        let pkt = decode(LinkType::Raw, V4_OPTS_TCP_OPTS).unwrap();
        assert_eq!(buf(&pkt, Buffer::Ipv4Hdr).unwrap(), &V4_OPTS_TCP_OPTS[..24]);
        assert_eq!(buf(&pkt, Buffer::TcpHdr).unwrap(), &V4_OPTS_TCP_OPTS[24..52]);
    }

    #[test]
    fn udp_is_eight_bytes_and_fragments_have_no_transport_header() {
        assert_eq!(lens(V4_UDP), [(Buffer::Ipv4Hdr, 20), (Buffer::UdpHdr, 8)]);
        let pkt = decode(LinkType::Raw, V4_UDP).unwrap();
        assert_eq!(buf(&pkt, Buffer::UdpHdr).unwrap(), &V4_UDP[20..28]);
        assert_eq!(lens(V4_UDP_FRAG), [(Buffer::Ipv4Hdr, 20)]);
    }

    #[test]
    fn icmpv4_header_lengths_follow_suricata() {
        assert_eq!(lens(V4_ICMP_TIMESTAMP), [(Buffer::Ipv4Hdr, 20), (Buffer::Icmpv4Hdr, 20)]);
        // 8 + 2 addresses * 2 words * 4: the trailing bytes stay out.
        assert_eq!(lens(V4_ICMP_RTRADV), [(Buffer::Ipv4Hdr, 20), (Buffer::Icmpv4Hdr, 24)]);
        // An address list longer than the message: the plain header.
        assert_eq!(lens(V4_ICMP_RTRADV_SHORT), [(Buffer::Ipv4Hdr, 20), (Buffer::Icmpv4Hdr, 8)]);
    }

    #[test]
    fn ipv6_includes_extension_headers() {
        assert_eq!(lens(V6_HBH_DST_UDP), [(Buffer::Ipv6Hdr, 56), (Buffer::UdpHdr, 8)]);
        let pkt = decode(LinkType::Raw, V6_HBH_DST_UDP).unwrap();
        assert_eq!(buf(&pkt, Buffer::Ipv6Hdr).unwrap(), &V6_HBH_DST_UDP[..56]);
        assert_eq!(lens(V6_RA), [(Buffer::Ipv6Hdr, 40), (Buffer::Icmpv6Hdr, 8)]);
        let pkt = decode(LinkType::Raw, V6_RA).unwrap();
        assert_eq!(buf(&pkt, Buffer::Icmpv6Hdr).unwrap(), &V6_RA[40..48]);
    }

    #[test]
    fn other_buffers_are_not_headers() {
        let pkt = decode(LinkType::Raw, V4_UDP).unwrap();
        assert_eq!(buf(&pkt, Buffer::Payload), None);
        assert_eq!(buf(&pkt, Buffer::HttpUri), None);
    }
}
