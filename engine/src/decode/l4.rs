//! Transport headers: TCP, UDP, ICMPv4 and ICMPv6.
//!
//! Each view checks its fixed length (and TCP its data offset) once; the
//! summary it yields is an [`L4`] value plus the payload range.

use std::ops::Range;

use super::event::{DecodeEvent, Events};
use super::ip::IpProto;
use super::wire::{be16, be32, byte};
use super::{DecodeError, Layer, L4};

/// A decoded transport header.
#[derive(Clone, Debug)]
pub(crate) struct Transport {
    /// The summary.
    pub(crate) l4: L4,
    /// Transport payload in the frame.
    pub(crate) payload: Range<usize>,
    /// Anomalies of the transport header (TCP options, UDP length).
    pub(crate) events: Events,
}

/// The decoder event Suricata raises for a transport header that cannot be
/// read, which makes the packet invalid.
pub(crate) fn error_event(e: &DecodeError) -> Option<DecodeEvent> {
    Some(match *e {
        DecodeError::Truncated { layer: Layer::Tcp, need, .. } if need == TcpView::MIN_HEADER_LEN => {
            DecodeEvent::TcpPktTooSmall
        }
        // Suricata's names: the packet shorter than the header length is
        // "hlen too small", a data offset below 5 an "invalid optlen".
        DecodeError::Truncated { layer: Layer::Tcp, .. } => DecodeEvent::TcpHlenTooSmall,
        DecodeError::Invalid { layer: Layer::Tcp, .. } => DecodeEvent::TcpInvalidOptlen,
        DecodeError::Truncated { layer: Layer::Udp, .. } => DecodeEvent::UdpHlenTooSmall,
        DecodeError::Truncated { layer: Layer::Icmpv4, .. } => DecodeEvent::Icmpv4PktTooSmall,
        DecodeError::Truncated { layer: Layer::Icmpv6, .. } => DecodeEvent::Icmpv6PktTooSmall,
        _ => return None,
    })
}

/// TCP option kinds whose length is fixed or constrained, which Suricata
/// checks for length and duplicates.
mod tcp_opt {
    /// End of option list.
    pub const EOL: u8 = 0;
    /// No operation (padding).
    pub const NOP: u8 = 1;
    /// Maximum segment size (length 4).
    pub const MSS: u8 = 2;
    /// Window scale (length 3).
    pub const WS: u8 = 3;
    /// SACK permitted (length 2).
    pub const SACKOK: u8 = 4;
    /// SACK blocks (2 + 8n, n >= 1).
    pub const SACK: u8 = 5;
    /// Timestamps (length 10).
    pub const TS: u8 = 8;
    /// TCP fast open cookie (length 2, or 6 to 18 and even).
    pub const TFO: u8 = 34;
}

/// Walks the options of a TCP header: a length that cannot be right for its
/// kind or runs past the header is `tcp.opt_invalid_len`, a known option
/// seen twice is `tcp.opt_duplicate`.
fn tcp_option_events(opts: &[u8]) -> Events {
    let mut ev = Events::default();
    let mut seen = [false; 256];
    let mut i = 0;
    while i < opts.len() {
        let kind = opts[i];
        match kind {
            tcp_opt::EOL => break,
            tcp_opt::NOP => {
                i += 1;
                continue;
            }
            _ => {}
        }
        let Some(&len) = opts.get(i + 1) else {
            ev.set(DecodeEvent::TcpOptInvalidLen);
            break;
        };
        let len = usize::from(len);
        if len < 2 || i + len > opts.len() {
            ev.set(DecodeEvent::TcpOptInvalidLen);
            break;
        }
        let bad_len = match kind {
            tcp_opt::MSS => len != 4,
            tcp_opt::WS => len != 3,
            tcp_opt::SACKOK => len != 2,
            tcp_opt::SACK => len < 10 || (len - 2) % 8 != 0,
            tcp_opt::TS => len != 10,
            tcp_opt::TFO => !(len == 2 || (6..=18).contains(&len) && len % 2 == 0),
            _ => false,
        };
        if bad_len {
            ev.set(DecodeEvent::TcpOptInvalidLen);
        }
        let tracked =
            matches!(kind, tcp_opt::MSS | tcp_opt::WS | tcp_opt::SACKOK | tcp_opt::SACK | tcp_opt::TS | tcp_opt::TFO);
        if tracked && std::mem::replace(&mut seen[usize::from(kind)], true) {
            ev.set(DecodeEvent::TcpOptDuplicate);
        }
        i += len;
    }
    ev
}

/// Field offsets of the TCP header.
mod tcp_off {
    use std::ops::Range;
    /// Source port.
    pub const SRC_PORT: Range<usize> = 0..2;
    /// Destination port.
    pub const DST_PORT: Range<usize> = 2..4;
    /// Sequence number.
    pub const SEQ: Range<usize> = 4..8;
    /// Acknowledgement number.
    pub const ACK: Range<usize> = 8..12;
    /// Data offset in 32-bit words (high nibble).
    pub const DATA_OFF: usize = 12;
    /// Flag bits FIN..CWR.
    pub const FLAGS: usize = 13;
    /// Receive window.
    pub const WINDOW: Range<usize> = 14..16;
    /// Urgent pointer (after the checksum at 16..18).
    pub const URGENT: Range<usize> = 18..20;
}

/// Checked view of a TCP header.
pub(crate) struct TcpView<'a> {
    buf: &'a [u8],
}

impl<'a> TcpView<'a> {
    /// Header without options.
    pub(crate) const MIN_HEADER_LEN: usize = 20;

    /// Checks the fixed header and that the data offset is sane and captured.
    pub(crate) fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        let have = buf.len();
        if have < Self::MIN_HEADER_LEN {
            return Err(DecodeError::Truncated { layer: Layer::Tcp, need: Self::MIN_HEADER_LEN, have });
        }
        let v = TcpView { buf };
        if v.header_len() < Self::MIN_HEADER_LEN {
            return Err(DecodeError::Invalid { layer: Layer::Tcp, reason: "header length below 20" });
        }
        if v.header_len() > have {
            return Err(DecodeError::Truncated { layer: Layer::Tcp, need: v.header_len(), have });
        }
        Ok(v)
    }

    /// Header length in bytes, options included.
    pub(crate) fn header_len(&self) -> usize {
        usize::from(byte(self.buf, tcp_off::DATA_OFF) >> 4) * 4
    }

    fn summary(&self) -> L4 {
        L4::Tcp {
            sport: be16(self.buf, tcp_off::SRC_PORT),
            dport: be16(self.buf, tcp_off::DST_PORT),
            seq: be32(self.buf, tcp_off::SEQ),
            ack: be32(self.buf, tcp_off::ACK),
            flags: byte(self.buf, tcp_off::FLAGS),
            window: be16(self.buf, tcp_off::WINDOW),
            urgent: be16(self.buf, tcp_off::URGENT),
        }
    }
}

/// Field offsets of the UDP header.
mod udp_off {
    use std::ops::Range;
    /// Source port.
    pub const SRC_PORT: Range<usize> = 0..2;
    /// Destination port.
    pub const DST_PORT: Range<usize> = 2..4;
    /// Length, header included (checksum follows at 6..8).
    pub const LEN: Range<usize> = 4..6;
}

/// Checked view of a UDP header.
pub(crate) struct UdpView<'a> {
    buf: &'a [u8],
}

impl<'a> UdpView<'a> {
    /// Fixed header length.
    pub(crate) const HEADER_LEN: usize = 8;

    /// Checks the header length.
    pub(crate) fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        if buf.len() < Self::HEADER_LEN {
            return Err(DecodeError::Truncated { layer: Layer::Udp, need: Self::HEADER_LEN, have: buf.len() });
        }
        Ok(UdpView { buf })
    }

    fn sport(&self) -> u16 {
        be16(self.buf, udp_off::SRC_PORT)
    }

    fn dport(&self) -> u16 {
        be16(self.buf, udp_off::DST_PORT)
    }

    fn len(&self) -> usize {
        usize::from(be16(self.buf, udp_off::LEN))
    }
}

/// Field offsets shared by ICMPv4 and ICMPv6.
mod icmp_off {
    use std::ops::Range;
    /// Message type.
    pub const TYPE: usize = 0;
    /// Message code (checksum follows at 2..4).
    pub const CODE: usize = 1;
    /// Echo identifier.
    pub const ID: Range<usize> = 4..6;
    /// Echo sequence number.
    pub const SEQ: Range<usize> = 6..8;
}

/// Checked view of an ICMPv4 or ICMPv6 header (type, code, checksum and the
/// 4-byte rest of header).
pub(crate) struct IcmpView<'a> {
    buf: &'a [u8],
}

/// ICMPv4 messages whose header carries an identifier and sequence number
/// (echo, timestamp, information and address-mask requests and replies),
/// which Suricata's icmp_id/icmp_seq read.
const ICMPV4_ECHO: [u8; 8] = [0, 8, 13, 14, 15, 16, 17, 18];
/// ICMPv6 echo request and echo reply.
const ICMPV6_ECHO: [u8; 2] = [128, 129];

/// ICMPv4 message types whose header Suricata makes longer than 8 bytes.
mod icmpv4_type {
    /// Router advertisement (RFC 1256): the address list follows.
    pub const ROUTER_ADVERT: u8 = 9;
    /// Timestamp request.
    pub const TIMESTAMP: u8 = 13;
    /// Timestamp reply.
    pub const TIMESTAMP_REPLY: u8 = 14;
}

/// Originate, receive and transmit timestamps of a timestamp message.
const ICMPV4_TIMESTAMPS_LEN: usize = 12;

/// Router advertisement fields (after type, code, checksum).
mod rtradv_off {
    /// Number of addresses.
    pub const NUM_ADDRS: usize = 4;
    /// Size of one address entry, in 32-bit words.
    pub const ENTRY_WORDS: usize = 5;
}

impl<'a> IcmpView<'a> {
    /// Type, code, checksum and rest of header, as Suricata requires.
    pub(crate) const HEADER_LEN: usize = 8;

    /// Checks the header length.
    pub(crate) fn new_checked(buf: &'a [u8], layer: Layer) -> Result<Self, DecodeError> {
        if buf.len() < Self::HEADER_LEN {
            return Err(DecodeError::Truncated { layer, need: Self::HEADER_LEN, have: buf.len() });
        }
        Ok(IcmpView { buf })
    }

    /// Length of an ICMPv4 header as Suricata delimits it (`icmpv4.hdr`;
    /// its payload starts after it): 8 bytes, but the timestamps of a
    /// timestamp message and the address list of a router advertisement
    /// belong to the header when the message holds them all.
    pub(crate) fn v4_header_len(&self) -> usize {
        let longer = match byte(self.buf, icmp_off::TYPE) {
            icmpv4_type::TIMESTAMP | icmpv4_type::TIMESTAMP_REPLY => Self::HEADER_LEN + ICMPV4_TIMESTAMPS_LEN,
            icmpv4_type::ROUTER_ADVERT => {
                let naddrs = usize::from(byte(self.buf, rtradv_off::NUM_ADDRS));
                let words = usize::from(byte(self.buf, rtradv_off::ENTRY_WORDS));
                Self::HEADER_LEN + naddrs * words * 4
            }
            _ => Self::HEADER_LEN,
        };
        if longer <= self.buf.len() {
            longer
        } else {
            Self::HEADER_LEN
        }
    }

    fn summary(&self, v6: bool) -> L4 {
        let itype = byte(self.buf, icmp_off::TYPE);
        let echo: &[u8] = if v6 { &ICMPV6_ECHO } else { &ICMPV4_ECHO };
        let (id, seq) =
            if echo.contains(&itype) { (be16(self.buf, icmp_off::ID), be16(self.buf, icmp_off::SEQ)) } else { (0, 0) };
        L4::Icmp { itype, icode: byte(self.buf, icmp_off::CODE), id, seq, v6 }
    }
}

/// Decodes the transport header of protocol `proto` over `data[ip_payload]`.
/// ICMPv4 is only decoded inside IPv4 and ICMPv6 inside IPv6; anything else
/// is [`L4::Other`] with the whole IP payload.
pub(crate) fn transport(
    data: &[u8],
    ip_payload: Range<usize>,
    proto: u8,
    ip_version: u8,
) -> Result<Transport, DecodeError> {
    let buf = data.get(ip_payload.clone()).unwrap_or_default();
    let start = ip_payload.start;
    let end = ip_payload.end;
    match (IpProto::from(proto), ip_version) {
        (IpProto::Tcp, _) => {
            let v = TcpView::new_checked(buf)?;
            let events = tcp_option_events(&buf[TcpView::MIN_HEADER_LEN..v.header_len()]);
            Ok(Transport { l4: v.summary(), payload: start + v.header_len()..end, events })
        }
        (IpProto::Udp, _) => {
            let v = UdpView::new_checked(buf)?;
            // The UDP length bounds the payload when it is consistent with
            // the IP layer; otherwise (0 for jumbograms, too big when
            // truncated or forged) the IP layer does.
            let udp_len = v.len();
            let udp_end = if udp_len >= UdpView::HEADER_LEN && udp_len <= buf.len() { start + udp_len } else { end };
            let mut events = Events::default();
            // Suricata makes both packets invalid; a mirror's truncation
            // makes the second common, so the packet is kept (see the
            // module documentation of `decode`).
            if udp_len != 0 && udp_len < UdpView::HEADER_LEN {
                events.set(DecodeEvent::UdpLenInvalid);
            } else if udp_len > buf.len() {
                events.set(DecodeEvent::UdpPktTooSmall);
            }
            Ok(Transport {
                l4: L4::Udp { sport: v.sport(), dport: v.dport() },
                payload: start + UdpView::HEADER_LEN..udp_end,
                events,
            })
        }
        (IpProto::Icmp, 4) => {
            let v = IcmpView::new_checked(buf, Layer::Icmpv4)?;
            Ok(Transport { l4: v.summary(false), payload: start + v.v4_header_len()..end, events: Events::default() })
        }
        (IpProto::Icmpv6, 6) => {
            let v = IcmpView::new_checked(buf, Layer::Icmpv6)?;
            Ok(Transport { l4: v.summary(true), payload: start + IcmpView::HEADER_LEN..end, events: Events::default() })
        }
        // SCTP's common header: ports, verification tag, checksum. A
        // shorter one leaves the packet without ports, as Suricata.
        _ if proto == 132 && buf.len() >= SCTP_HEADER_LEN => Ok(Transport {
            l4: L4::Sctp { sport: be16(buf, 0..2), dport: be16(buf, 2..4) },
            payload: start + SCTP_HEADER_LEN..end,
            events: Events::default(),
        }),
        _ => Ok(Transport { l4: L4::Other, payload: ip_payload, events: Events::default() }),
    }
}

/// Length of SCTP's common header.
const SCTP_HEADER_LEN: usize = 12;

#[cfg(test)]
mod tests {
    use crate::decode::{decode, tcp_flags, DecodeError, Layer, LinkType, L4};

    /// IPv4 + TCP SYN 51000 -> 443, seq 0x01020304, window 64240, data offset 8 with
    /// 12 option bytes (MSS 1460, NOP, NOP, SACK permitted, NOP, window scale 7).
    /// Packed field by field as commented (Python struct); checksums computed and
    /// checked with tcpdump -vv.
    /// (52 bytes)
    const TCP4_SYN_OPTIONS: &[u8] = &[
        // ipv4: ihl 5, tos 0, total 52, id 0x0, flags none, frag off 0, ttl 64, proto 6, 192.0.2.1 -> 198.51.100.2
        0x45, 0x00, 0x00, 0x34, 0x00, 0x00, 0x00, 0x00, 0x40, 0x06, 0x8e, 0x8d, 0xc0, 0x00, 0x02, 0x01, 0xc6, 0x33,
        0x64, 0x02,
        // tcp: 51000 -> 443, seq 16909060, ack 0, doff 8, flags SYN, win 64240, urg 0, options 020405b40101040201030307
        0xc7, 0x38, 0x01, 0xbb, 0x01, 0x02, 0x03, 0x04, 0x00, 0x00, 0x00, 0x00, 0x80, 0x02, 0xfa, 0xf0, 0xba, 0xef,
        0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x01, 0x01, 0x04, 0x02, 0x01, 0x03, 0x03, 0x07,
    ];

    /// IPv6 + TCP 443 -> 51000 FIN|PSH|ACK|URG, seq 4000000000, ack 123456, window 1024,
    /// urgent pointer 3, payload "hello".
    /// Packed field by field as commented (Python struct); checksums computed and
    /// checked with tcpdump -vv.
    /// (65 bytes)
    const TCP6_URG_DATA: &[u8] = &[
        // ipv6: tc 0, flow 0, payload len 25, next 6, hlim 64, 2001:db8::1 -> 2001:db8::2
        0x60, 0x00, 0x00, 0x00, 0x00, 0x19, 0x06, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x02,
        // tcp: 443 -> 51000, seq 4000000000, ack 123456, doff 5, flags FIN|PSH|ACK|URG, win 1024, urg 3
        0x01, 0xbb, 0xc7, 0x38, 0xee, 0x6b, 0x28, 0x00, 0x00, 0x01, 0xe2, 0x40, 0x50, 0x39, 0x04, 0x00, 0x4a, 0xbb,
        0x00, 0x03, // payload b'hello'
        0x68, 0x65, 0x6c, 0x6c, 0x6f,
    ];

    /// IPv4 + UDP 1234 -> 5678 whose length field (10) covers only 2 of the 4 bytes
    /// the IP packet carries (checksum 0 = none).
    /// Packed field by field as commented (Python struct); checksums computed and
    /// checked with tcpdump -vv.
    /// (32 bytes)
    const UDP4_SHORT_LEN: &[u8] = &[
        // ipv4: ihl 5, tos 0, total 32, id 0x0, flags none, frag off 0, ttl 64, proto 17, 192.0.2.1 -> 198.51.100.2
        0x45, 0x00, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x40, 0x11, 0x8e, 0x96, 0xc0, 0x00, 0x02, 0x01, 0xc6, 0x33,
        0x64, 0x02, // udp: 1234 -> 5678, len 10
        0x04, 0xd2, 0x16, 0x2e, 0x00, 0x0a, 0x00, 0x00, // payload b'abcd'
        0x61, 0x62, 0x63, 0x64,
    ];

    /// IPv4 + ICMP echo request, id 0x1234, seq 7, payload "ping".
    /// Packed field by field as commented (Python struct); checksums computed and
    /// checked with tcpdump -vv.
    /// (32 bytes)
    const ICMP4_ECHO: &[u8] = &[
        // ipv4: ihl 5, tos 0, total 32, id 0x0, flags none, frag off 0, ttl 64, proto 1, 192.0.2.1 -> 198.51.100.2
        0x45, 0x00, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x40, 0x01, 0x8e, 0xa6, 0xc0, 0x00, 0x02, 0x01, 0xc6, 0x33,
        0x64, 0x02, // icmp: type 8, code 0, rest 12340007
        0x08, 0x00, 0x06, 0xf4, 0x12, 0x34, 0x00, 0x07, // payload b'ping'
        0x70, 0x69, 0x6e, 0x67,
    ];

    /// IPv4 + ICMP destination unreachable / port unreachable (3/3) quoting the
    /// offending IPv4 + UDP header.
    /// Packed field by field as commented (Python struct); checksums computed and
    /// checked with tcpdump -vv.
    /// (56 bytes)
    const ICMP4_PORT_UNREACH: &[u8] = &[
        // ipv4: ihl 5, tos 0, total 56, id 0x0, flags none, frag off 0, ttl 64, proto 1, 192.0.2.1 -> 198.51.100.2
        0x45, 0x00, 0x00, 0x38, 0x00, 0x00, 0x00, 0x00, 0x40, 0x01, 0x8e, 0x8e, 0xc0, 0x00, 0x02, 0x01, 0xc6, 0x33,
        0x64, 0x02, // icmp: type 3, code 3, rest 00000000
        0x03, 0x03, 0xe7, 0xd2, 0x00, 0x00, 0x00, 0x00,
        // quoted ipv4 + udp header of the offending datagram (28 bytes)
        0x45, 0x00, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x40, 0x11, 0x8e, 0x96, 0xc6, 0x33, 0x64, 0x02, 0xc0, 0x00,
        0x02, 0x01, 0x00, 0x35, 0x14, 0xe9, 0x00, 0x0c, 0x00, 0x00,
    ];

    /// IPv6 + ICMPv6 echo reply, id 0xbeef, seq 1, payload "pong".
    /// Packed field by field as commented (Python struct); checksums computed and
    /// checked with tcpdump -vv.
    /// (52 bytes)
    const ICMP6_ECHO_REPLY: &[u8] = &[
        // ipv6: tc 0, flow 0, payload len 12, next 58, hlim 64, 2001:db8::1 -> 2001:db8::2
        0x60, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x3a, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x02, // icmp: type 129, code 0, rest beef0001
        0x81, 0x00, 0x85, 0x7c, 0xbe, 0xef, 0x00, 0x01, // payload b'pong'
        0x70, 0x6f, 0x6e, 0x67,
    ];

    /// IPv6 + ICMPv6 neighbor solicitation (135) for 2001:db8::2.
    /// Packed field by field as commented (Python struct); checksums computed and
    /// checked with tcpdump -vv.
    /// (64 bytes)
    const ICMP6_NEIGHBOR_SOL: &[u8] = &[
        // ipv6: tc 0, flow 0, payload len 24, next 58, hlim 255, 2001:db8::1 -> ff02::1:ff00:2
        0x60, 0x00, 0x00, 0x00, 0x00, 0x18, 0x3a, 0xff, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
        0xff, 0x00, 0x00, 0x02, // icmp: type 135, code 0, rest 00000000
        0x87, 0x00, 0x1f, 0x31, 0x00, 0x00, 0x00, 0x00, // target address 2001:db8::2
        0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
    ];

    /// IPv4 carrying GRE (47), which mirador does not decode: payload is the IP payload.
    /// Packed field by field as commented (Python struct); checksums computed and
    /// checked with tcpdump -vv.
    /// (29 bytes)
    const GRE4: &[u8] = &[
        // ipv4: ihl 5, tos 0, total 29, id 0x0, flags none, frag off 0, ttl 64, proto 47, 192.0.2.1 -> 198.51.100.2
        0x45, 0x00, 0x00, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x40, 0x2f, 0x8e, 0x7b, 0xc0, 0x00, 0x02, 0x01, 0xc6, 0x33,
        0x64, 0x02, // gre: no flags, protocol 0x0800
        0x00, 0x00, 0x08, 0x00, // 5 bytes
        0x69, 0x6e, 0x6e, 0x65, 0x72,
    ];

    /// The error that made a frame's transport header unreadable (the
    /// packet itself still decodes, with its IP layer).
    fn invalid(frame: &[u8]) -> DecodeError {
        let p = decode(LinkType::Raw, frame).expect("the IP layer decodes");
        assert!(p.ip.is_some() && p.payload().is_empty() && p.l4 == L4::Other);
        p.invalid.expect("an invalid transport header")
    }

    #[test]
    fn tcp_fields_and_options() {
        let p = decode(LinkType::Raw, TCP4_SYN_OPTIONS).unwrap();
        assert_eq!(
            p.l4,
            L4::Tcp {
                sport: 51000,
                dport: 443,
                seq: 0x01020304,
                ack: 0,
                flags: tcp_flags::SYN,
                window: 64240,
                urgent: 0
            }
        );
        // 20 IP + 32 TCP: empty payload right after the options.
        assert_eq!(p.payload, 52..52);
        assert_eq!(p.l4.ports(), (51000, 443));

        let p = decode(LinkType::Raw, TCP6_URG_DATA).unwrap();
        let flags = tcp_flags::FIN | tcp_flags::PSH | tcp_flags::ACK | tcp_flags::URG;
        assert_eq!(
            p.l4,
            L4::Tcp { sport: 443, dport: 51000, seq: 4_000_000_000, ack: 123456, flags, window: 1024, urgent: 3 }
        );
        assert_eq!(p.payload(), b"hello");
    }

    #[test]
    fn tcp_bad_data_offset() {
        let mut b = TCP4_SYN_OPTIONS.to_vec();
        b[20 + 12] = 0x40; // data offset 4
        assert_eq!(invalid(&b), DecodeError::Invalid { layer: Layer::Tcp, reason: "header length below 20" });
        b[20 + 12] = 0xf0; // data offset 15 = 60 bytes, only 32 there
        assert_eq!(invalid(&b), DecodeError::Truncated { layer: Layer::Tcp, need: 60, have: 32 });
        assert_eq!(invalid(&TCP4_SYN_OPTIONS[..39]), DecodeError::Truncated { layer: Layer::Tcp, need: 20, have: 19 });
    }

    #[test]
    fn udp_length_bounds_payload_when_consistent() {
        let p = decode(LinkType::Raw, UDP4_SHORT_LEN).unwrap();
        assert_eq!(p.l4, L4::Udp { sport: 1234, dport: 5678 });
        assert_eq!(p.payload(), b"ab");
        // Length larger than the IP payload, or below the header: IP decides.
        for bad in [100u16, 4, 0] {
            let mut b = UDP4_SHORT_LEN.to_vec();
            b[24..26].copy_from_slice(&bad.to_be_bytes());
            assert_eq!(decode(LinkType::Raw, &b).unwrap().payload(), b"abcd", "udp length {bad}");
        }
        assert_eq!(invalid(&UDP4_SHORT_LEN[..27]), DecodeError::Truncated { layer: Layer::Udp, need: 8, have: 7 });
    }

    #[test]
    fn sctp_common_header_gives_ports() {
        // IPv4 (ihl 5, total 36, proto 132, checksum not checked) + SCTP
        // 7 -> 7, vtag 0, checksum 0, then one 4-byte chunk; as the suite's
        // decode-sctp-01 capture (an INIT to the echo port).
        let mut b = vec![0x45, 0, 0, 36, 0, 0, 0, 0, 64, 132, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2];
        b.extend_from_slice(&[0, 7, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 4]);
        let p = decode(LinkType::Raw, &b).unwrap();
        assert_eq!(p.l4, L4::Sctp { sport: 7, dport: 7 });
        assert_eq!(p.l4.ports(), (7, 7));
        assert_eq!(p.payload(), &[1, 0, 0, 4]);
        // Shorter than the common header: no ports.
        let mut short = b[..30].to_vec();
        short[3] = 30;
        assert_eq!(decode(LinkType::Raw, &short).unwrap().l4, L4::Other);
    }

    #[test]
    fn icmpv4_echo_and_error() {
        let p = decode(LinkType::Raw, ICMP4_ECHO).unwrap();
        assert_eq!(p.l4, L4::Icmp { itype: 8, icode: 0, id: 0x1234, seq: 7, v6: false });
        assert_eq!(p.payload(), b"ping");
        assert_eq!(p.l4.ports(), (0, 0));

        let p = decode(LinkType::Raw, ICMP4_PORT_UNREACH).unwrap();
        assert_eq!(p.l4, L4::Icmp { itype: 3, icode: 3, id: 0, seq: 0, v6: false });
        assert_eq!(p.payload().len(), 28);

        assert_eq!(invalid(&ICMP4_ECHO[..24]), DecodeError::Truncated { layer: Layer::Icmpv4, need: 8, have: 4 });
    }

    /// Suricata 7.0.10 starts the payload (dsize, content) of these ICMPv4
    /// messages after their timestamps or address list.
    #[test]
    fn icmpv4_longer_headers() {
        let icmp = |msg: &[u8]| {
            let total = (20 + msg.len()) as u16;
            let mut p = vec![0x45, 0, 0, 0, 0, 1, 0, 0, 64, 1, 0, 0, 192, 0, 2, 1, 198, 51, 100, 2];
            p[2..4].copy_from_slice(&total.to_be_bytes());
            p.extend_from_slice(msg);
            p
        };
        // Timestamp request, three timestamps, then "xy".
        let mut ts = vec![13, 0, 0, 0, 0, 7, 0, 9];
        ts.extend_from_slice(&[0; 12]);
        ts.extend_from_slice(b"xy");
        let data = icmp(&ts);
        assert_eq!(decode(LinkType::Raw, &data).unwrap().payload(), b"xy");
        // Without its timestamps: an 8-byte header.
        let data = icmp(&ts[..12]);
        assert_eq!(decode(LinkType::Raw, &data).unwrap().payload(), &[0; 4]);
        // Router advertisement: 1 address of 2 words, then "z".
        let ra = [9, 0, 0, 0, 1, 2, 0, 30, 192, 0, 2, 1, 0, 0, 0, 0, b'z'];
        let data = icmp(&ra);
        assert_eq!(decode(LinkType::Raw, &data).unwrap().payload(), b"z");
        // Announcing 3 addresses but holding 1: the plain header.
        let mut short = ra;
        short[4] = 3;
        let data = icmp(&short);
        assert_eq!(decode(LinkType::Raw, &data).unwrap().payload().len(), 9);
    }

    #[test]
    fn icmpv6_echo_and_other() {
        let p = decode(LinkType::Raw, ICMP6_ECHO_REPLY).unwrap();
        assert_eq!(p.l4, L4::Icmp { itype: 129, icode: 0, id: 0xbeef, seq: 1, v6: true });
        assert_eq!(p.payload(), b"pong");

        let p = decode(LinkType::Raw, ICMP6_NEIGHBOR_SOL).unwrap();
        assert_eq!(p.l4, L4::Icmp { itype: 135, icode: 0, id: 0, seq: 0, v6: true });
        assert_eq!(p.payload().len(), 16);

        assert_eq!(invalid(&ICMP6_ECHO_REPLY[..43]), DecodeError::Truncated { layer: Layer::Icmpv6, need: 8, have: 3 });
    }

    #[test]
    fn every_prefix_and_corruption_is_handled() {
        use crate::decode::tests::assert_total;
        for f in [
            TCP4_SYN_OPTIONS,
            TCP6_URG_DATA,
            UDP4_SHORT_LEN,
            ICMP4_ECHO,
            ICMP4_PORT_UNREACH,
            ICMP6_ECHO_REPLY,
            ICMP6_NEIGHBOR_SOL,
            GRE4,
        ] {
            assert_total(LinkType::Raw, f);
        }
    }

    #[test]
    fn other_protocols_keep_the_ip_payload() {
        let p = decode(LinkType::Raw, GRE4).unwrap();
        assert_eq!(p.ip.as_ref().unwrap().proto, 47);
        assert_eq!(p.l4, L4::Other);
        assert_eq!(p.payload, 20..29);
        // ICMPv6's number inside IPv4 is not decoded as ICMP.
        let mut b = ICMP4_ECHO.to_vec();
        b[9] = 58;
        assert_eq!(decode(LinkType::Raw, &b).unwrap().l4, L4::Other);
    }
}
