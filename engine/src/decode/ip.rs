//! IPv4 and IPv6 headers, with IPv6 extension headers and fragment fields.
//!
//! The decoder bounds each IP packet by what was captured and by what its
//! header claims: ethernet padding past the total length is cut off, and a
//! capture shorter than the total length is decoded as far as it goes and
//! flagged truncated.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::ops::Range;

use super::event::{DecodeEvent, Events};
use super::wire::{array, be16, be32, byte};
use super::{DecodeError, IpInfo, Layer};

/// IPv6 extension headers walked before giving up. RFC 8200 §4.1 orders at
/// most eight; real traffic carries one or two, but evasion tools send long
/// chains (137 fragment headers in one packet) that Suricata walks to raise
/// its duplicate-header events. Each header is at least 8 bytes, so the walk
/// is linear in the packet; the cap covers every chain a 1500-byte packet can
/// hold (182) and bounds jumbograms. Exceeding it is reported as an invalid
/// IPv6 header.
pub(crate) const MAX_IPV6_EXT_HEADERS: usize = 192;

/// IP protocol numbers the decoder acts on; others are kept as
/// [`IpProto::Other`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IpProto {
    /// 0: IPv6 hop-by-hop options.
    HopByHop,
    /// 1
    Icmp,
    /// 6
    Tcp,
    /// 17
    Udp,
    /// 43: IPv6 routing header.
    Ipv6Route,
    /// 44: IPv6 fragment header.
    Ipv6Frag,
    /// 50: encrypted payload, nothing readable follows.
    Esp,
    /// 51: authentication header.
    Ah,
    /// 58
    Icmpv6,
    /// 59: IPv6 "no next header".
    Ipv6NoNext,
    /// 60: IPv6 destination options.
    Ipv6Opts,
    /// Anything else.
    Other(u8),
}

impl From<u8> for IpProto {
    fn from(v: u8) -> Self {
        match v {
            0 => IpProto::HopByHop,
            1 => IpProto::Icmp,
            6 => IpProto::Tcp,
            17 => IpProto::Udp,
            43 => IpProto::Ipv6Route,
            44 => IpProto::Ipv6Frag,
            50 => IpProto::Esp,
            51 => IpProto::Ah,
            58 => IpProto::Icmpv6,
            59 => IpProto::Ipv6NoNext,
            60 => IpProto::Ipv6Opts,
            o => IpProto::Other(o),
        }
    }
}

impl From<IpProto> for u8 {
    fn from(p: IpProto) -> u8 {
        match p {
            IpProto::HopByHop => 0,
            IpProto::Icmp => 1,
            IpProto::Tcp => 6,
            IpProto::Udp => 17,
            IpProto::Ipv6Route => 43,
            IpProto::Ipv6Frag => 44,
            IpProto::Esp => 50,
            IpProto::Ah => 51,
            IpProto::Icmpv6 => 58,
            IpProto::Ipv6NoNext => 59,
            IpProto::Ipv6Opts => 60,
            IpProto::Other(o) => o,
        }
    }
}

/// One decoded IP layer.
#[derive(Clone, Debug)]
pub(crate) struct IpLayer {
    /// The summary handed to the packet.
    pub(crate) info: IpInfo,
    /// After the header (and extension headers) up to the end of the IP
    /// packet as captured.
    pub(crate) payload: Range<usize>,
    /// Captured shorter than the header claims.
    pub(crate) truncated: bool,
    /// False when no transport header follows: non-first fragment, ESP, or
    /// IPv6 "no next header".
    pub(crate) has_transport: bool,
    /// Anomalies of the IP header and its options or extension headers.
    pub(crate) events: Events,
    /// Set when an extension header runs past the packet: the packet keeps
    /// its addresses but nothing after them is read.
    pub(crate) invalid: Option<DecodeError>,
}

/// Field offsets of the IPv4 header.
mod v4_off {
    use std::ops::Range;
    /// Version (high nibble) and IHL in 32-bit words (low nibble).
    pub const VER_IHL: usize = 0;
    /// Type of service / DSCP + ECN.
    pub const TOS: usize = 1;
    /// Total length, header included.
    pub const TOTAL_LEN: Range<usize> = 2..4;
    /// Identification.
    pub const IDENT: Range<usize> = 4..6;
    /// Flags (3 high bits) and fragment offset in 8-byte units (13 bits).
    pub const FLAGS_FRAG: Range<usize> = 6..8;
    /// Time to live.
    pub const TTL: usize = 8;
    /// Transport protocol.
    pub const PROTOCOL: usize = 9;
    /// Source address.
    pub const SRC: Range<usize> = 12..16;
    /// Destination address.
    pub const DST: Range<usize> = 16..20;
}

/// Checked view of an IPv4 header; `buf` runs from the header to the end of
/// the captured frame.
pub(crate) struct Ipv4View<'a> {
    buf: &'a [u8],
}

impl<'a> Ipv4View<'a> {
    /// Header without options.
    pub(crate) const MIN_HEADER_LEN: usize = 20;

    /// Checks the fixed header, the version, the header length (options
    /// included) and that the total length covers the header.
    pub(crate) fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        let have = buf.len();
        if have < Self::MIN_HEADER_LEN {
            return Err(DecodeError::Truncated { layer: Layer::Ipv4, need: Self::MIN_HEADER_LEN, have });
        }
        let v = Ipv4View { buf };
        if v.version() != 4 {
            return Err(DecodeError::Invalid { layer: Layer::Ipv4, reason: "version mismatch" });
        }
        if v.header_len() < Self::MIN_HEADER_LEN {
            return Err(DecodeError::Invalid { layer: Layer::Ipv4, reason: "header length below 20" });
        }
        if v.header_len() > have {
            return Err(DecodeError::Truncated { layer: Layer::Ipv4, need: v.header_len(), have });
        }
        if v.total_len() < v.header_len() {
            return Err(DecodeError::Invalid { layer: Layer::Ipv4, reason: "total length below header length" });
        }
        Ok(v)
    }

    fn version(&self) -> u8 {
        byte(self.buf, v4_off::VER_IHL) >> 4
    }

    /// Header length in bytes, options included.
    pub(crate) fn header_len(&self) -> usize {
        usize::from(byte(self.buf, v4_off::VER_IHL) & 0x0F) * 4
    }

    /// Total length the header claims.
    pub(crate) fn total_len(&self) -> usize {
        usize::from(be16(self.buf, v4_off::TOTAL_LEN))
    }

    fn tos(&self) -> u8 {
        byte(self.buf, v4_off::TOS)
    }

    fn ident(&self) -> u16 {
        be16(self.buf, v4_off::IDENT)
    }

    /// RB, DF, MF in the low three bits.
    fn flags(&self) -> u8 {
        (be16(self.buf, v4_off::FLAGS_FRAG) >> 13) as u8
    }

    /// Fragment offset in bytes (at most 8191 * 8 = 65528).
    fn frag_offset(&self) -> u16 {
        (be16(self.buf, v4_off::FLAGS_FRAG) & 0x1FFF) << 3
    }

    fn ttl(&self) -> u8 {
        byte(self.buf, v4_off::TTL)
    }

    fn protocol(&self) -> u8 {
        byte(self.buf, v4_off::PROTOCOL)
    }

    fn src(&self) -> Ipv4Addr {
        Ipv4Addr::from(array::<4>(self.buf, v4_off::SRC))
    }

    fn dst(&self) -> Ipv4Addr {
        Ipv4Addr::from(array::<4>(self.buf, v4_off::DST))
    }
}

/// MF bit in [`IpInfo::frag_flags`].
const FLAG_MF: u8 = 0b001;

/// Decodes the IPv4 packet starting at `at`; the captured frame ends at `end`.
pub(crate) fn ipv4(data: &[u8], at: usize, end: usize) -> Result<IpLayer, DecodeError> {
    let buf = data.get(at..end).unwrap_or_default();
    let v = Ipv4View::new_checked(buf)?;
    let total = v.total_len();
    let truncated = buf.len() < total;
    let ip_end = at + total.min(buf.len());
    let hdr_end = at + v.header_len();
    let frag_flags = v.flags();
    let frag_offset = v.frag_offset();
    let info = IpInfo {
        version: 4,
        src: IpAddr::V4(v.src()),
        dst: IpAddr::V4(v.dst()),
        proto: v.protocol(),
        ttl: v.ttl(),
        tos: v.tos(),
        id: u32::from(v.ident()),
        frag_flags,
        frag_offset,
        is_fragment: frag_offset > 0 || frag_flags & FLAG_MF != 0,
        header: at..hdr_end,
        claimed_len: total,
    };
    let mut events = ipv4_option_events(&buf[Ipv4View::MIN_HEADER_LEN..v.header_len()]);
    if truncated {
        events.set(DecodeEvent::Ipv4TruncPkt);
    }
    if v.protocol() == 58 {
        events.set(DecodeEvent::Ipv4Icmpv6);
    }
    Ok(IpLayer { info, payload: hdr_end..ip_end, truncated, has_transport: frag_offset == 0, events, invalid: None })
}

/// Walks IPv4 options: a length below 2 or past the header is
/// `ipv4.opt_invalid_len`, a known option twice `ipv4.opt_duplicate`, a kind
/// not assigned `ipv4.opt_unknown`.
fn ipv4_option_events(opts: &[u8]) -> Events {
    /// Option kinds in use (RFC 791 and the IANA registry as Suricata knows it).
    const KNOWN: [u8; 10] = [7, 25, 68, 130, 131, 133, 134, 136, 137, 148];
    /// Security (RFC 1108) options have this length.
    const SEC_LEN: usize = 11;
    let mut ev = Events::default();
    // Options should fill whole 8-byte units: a warning, parsing goes on.
    if !opts.len().is_multiple_of(8) {
        ev.set(DecodeEvent::Ipv4OptPadRequired);
    }
    let mut seen = [false; KNOWN.len()];
    let mut i = 0;
    while i < opts.len() {
        match opts[i] {
            0 => break,
            1 => {
                i += 1;
                continue;
            }
            _ => {}
        }
        let Some(&len) = opts.get(i + 1) else {
            ev.set(DecodeEvent::Ipv4OptInvalidLen);
            break;
        };
        let len = usize::from(len);
        if len < 2 || i + len > opts.len() {
            ev.set(DecodeEvent::Ipv4OptInvalidLen);
            break;
        }
        match KNOWN.iter().position(|&k| k == opts[i]) {
            Some(k) if std::mem::replace(&mut seen[k], true) => ev.set(DecodeEvent::Ipv4OptDuplicate),
            // A security option of another length is reported, and the
            // next option still read.
            Some(_) if opts[i] == 130 && len != SEC_LEN => ev.set(DecodeEvent::Ipv4OptInvalidLen),
            Some(_) => {}
            None => ev.set(DecodeEvent::Ipv4OptUnknown),
        }
        i += len;
    }
    ev
}

/// Field offsets of the IPv6 fixed header.
mod v6_off {
    use std::ops::Range;
    /// Version (4 bits), traffic class (8), flow label (20).
    pub const VTC_FLOW: Range<usize> = 0..4;
    /// Length after the fixed header (0 for jumbograms).
    pub const PAYLOAD_LEN: Range<usize> = 4..6;
    /// First extension header or transport protocol.
    pub const NEXT_HEADER: usize = 6;
    /// Hop limit.
    pub const HOP_LIMIT: usize = 7;
    /// Source address.
    pub const SRC: Range<usize> = 8..24;
    /// Destination address.
    pub const DST: Range<usize> = 24..40;
}

/// Checked view of the IPv6 fixed header.
pub(crate) struct Ipv6View<'a> {
    buf: &'a [u8],
}

impl<'a> Ipv6View<'a> {
    /// Fixed header length.
    pub(crate) const HEADER_LEN: usize = 40;

    /// Checks the fixed header length and the version.
    pub(crate) fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        if buf.len() < Self::HEADER_LEN {
            return Err(DecodeError::Truncated { layer: Layer::Ipv6, need: Self::HEADER_LEN, have: buf.len() });
        }
        let v = Ipv6View { buf };
        if v.vtc_flow() >> 28 != 6 {
            return Err(DecodeError::Invalid { layer: Layer::Ipv6, reason: "version mismatch" });
        }
        Ok(v)
    }

    fn vtc_flow(&self) -> u32 {
        be32(self.buf, v6_off::VTC_FLOW)
    }

    fn traffic_class(&self) -> u8 {
        (self.vtc_flow() >> 20) as u8
    }

    fn payload_len(&self) -> usize {
        usize::from(be16(self.buf, v6_off::PAYLOAD_LEN))
    }

    fn next_header(&self) -> u8 {
        byte(self.buf, v6_off::NEXT_HEADER)
    }

    fn hop_limit(&self) -> u8 {
        byte(self.buf, v6_off::HOP_LIMIT)
    }

    fn src(&self) -> Ipv6Addr {
        Ipv6Addr::from(array::<16>(self.buf, v6_off::SRC))
    }

    fn dst(&self) -> Ipv6Addr {
        Ipv6Addr::from(array::<16>(self.buf, v6_off::DST))
    }
}

/// Field offsets shared by hop-by-hop, routing, destination options and AH.
mod ext_off {
    /// Next header.
    pub const NEXT_HEADER: usize = 0;
    /// Length: 8-byte units minus one (AH: 4-byte units minus two).
    pub const LEN: usize = 1;
}

/// Checked view of a generic IPv6 extension header (first two bytes).
struct ExtView<'a> {
    buf: &'a [u8],
}

impl<'a> ExtView<'a> {
    /// Next header and length bytes.
    const MIN_LEN: usize = 2;

    fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        if buf.len() < Self::MIN_LEN {
            return Err(DecodeError::Truncated { layer: Layer::Ipv6, need: Self::MIN_LEN, have: buf.len() });
        }
        Ok(ExtView { buf })
    }

    fn next_header(&self) -> u8 {
        byte(self.buf, ext_off::NEXT_HEADER)
    }

    /// Whole header length in bytes.
    fn len(&self, proto: IpProto) -> usize {
        let n = usize::from(byte(self.buf, ext_off::LEN));
        if proto == IpProto::Ah {
            (n + 2) * 4
        } else {
            (n + 1) * 8
        }
    }
}

/// Field offsets of the IPv6 fragment header.
mod frag_off {
    use std::ops::Range;
    /// Next header.
    pub const NEXT_HEADER: usize = 0;
    /// Reserved (the length byte of other extension headers).
    pub const RESERVED: usize = 1;
    /// Offset in 8-byte units (13 high bits), 2 reserved bits, M flag.
    pub const OFFSET_FLAGS: Range<usize> = 2..4;
    /// Identification.
    pub const IDENT: Range<usize> = 4..8;
}

/// Checked view of the IPv6 fragment header.
struct FragView<'a> {
    buf: &'a [u8],
}

impl<'a> FragView<'a> {
    /// Fixed length.
    const LEN: usize = 8;

    fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        if buf.len() < Self::LEN {
            return Err(DecodeError::Truncated { layer: Layer::Ipv6, need: Self::LEN, have: buf.len() });
        }
        Ok(FragView { buf })
    }

    fn next_header(&self) -> u8 {
        byte(self.buf, frag_off::NEXT_HEADER)
    }

    /// Offset in bytes.
    fn offset(&self) -> u16 {
        be16(self.buf, frag_off::OFFSET_FLAGS) & 0xFFF8
    }

    fn more(&self) -> bool {
        be16(self.buf, frag_off::OFFSET_FLAGS) & 1 != 0
    }

    fn ident(&self) -> u32 {
        be32(self.buf, frag_off::IDENT)
    }

    /// The reserved byte after the next header.
    fn reserved(&self) -> u8 {
        byte(self.buf, frag_off::RESERVED)
    }
}

/// Decodes the IPv6 packet starting at `at` with its extension headers; the
/// captured frame ends at `end`.
pub(crate) fn ipv6(data: &[u8], at: usize, end: usize) -> Result<IpLayer, DecodeError> {
    let buf = data.get(at..end).unwrap_or_default();
    let v = Ipv6View::new_checked(buf)?;
    // Payload length 0 means a jumbogram (or a TSO capture): trust the capture.
    let claimed = match v.payload_len() {
        0 => buf.len(),
        n => Ipv6View::HEADER_LEN + n,
    };
    let truncated = buf.len() < claimed;
    let ip_end = at + claimed.min(buf.len());

    let mut events = Events::default();
    if truncated {
        events.set(DecodeEvent::Ipv6TruncPkt);
    }
    let mut invalid = None;
    let mut next = v.next_header();
    let mut off = at + Ipv6View::HEADER_LEN;
    let (mut id, mut frag_flags, mut frag_offset) = (0u32, 0u8, 0u16);
    // Extension headers already met, for the duplicate events.
    let (mut hh, mut rh, mut ah, mut fh, mut dh) = (false, false, false, false, 0u8);
    let mut walked = 0;
    let has_transport = loop {
        let proto = IpProto::from(next);
        let rest = data.get(off..ip_end).unwrap_or_default();
        if walked > 0 && rest.len() < 2 && proto != IpProto::Ipv6NoNext {
            // Suricata wants two bytes of whatever follows an extension
            // header, transport headers included.
            events.set(DecodeEvent::Ipv6TruncExthdr);
            invalid = Some(DecodeError::Truncated { layer: Layer::Ipv6, need: 2, have: rest.len() });
            break false;
        }
        match proto {
            IpProto::HopByHop | IpProto::Ipv6Route | IpProto::Ipv6Opts | IpProto::Ah | IpProto::Ipv6Frag => {}
            IpProto::Ipv6NoNext => {
                if !rest.is_empty() {
                    events.set(DecodeEvent::Ipv6DataAfterNoneHeader);
                }
                break false;
            }
            IpProto::Esp => break false,
            IpProto::Icmp => {
                events.set(DecodeEvent::Ipv6Icmpv4);
                break true;
            }
            _ => break true,
        }
        if walked == MAX_IPV6_EXT_HEADERS {
            return Err(DecodeError::Invalid { layer: Layer::Ipv6, reason: "too many extension headers" });
        }
        walked += 1;
        let trunc = |need: usize| DecodeError::Truncated { layer: Layer::Ipv6, need, have: rest.len() };
        if proto == IpProto::Ipv6Frag {
            let f = match FragView::new_checked(rest) {
                Ok(f) => f,
                Err(e) => {
                    events.set(DecodeEvent::Ipv6TruncExthdr);
                    invalid = Some(e);
                    break false;
                }
            };
            next = f.next_header();
            off += FragView::LEN;
            if f.reserved() != 0 {
                events.set(DecodeEvent::Ipv6FhNonZeroReservedField);
            }
            if std::mem::replace(&mut fh, true) {
                events.set(DecodeEvent::Ipv6ExthdrDuplFh);
                continue;
            }
            if f.offset() == 0 && !f.more() {
                // An atomic fragment (RFC 6946): the datagram is whole.
                events.set(DecodeEvent::Ipv6ExthdrUselessFh);
                continue;
            }
            id = f.ident();
            frag_offset = f.offset();
            frag_flags = u8::from(f.more());
            if f.more() && !(ip_end - off).is_multiple_of(8) {
                events.set(DecodeEvent::Ipv6FragInvalidLength);
            }
            if frag_offset > 0 {
                // Later fragments carry no transport header.
                break false;
            }
            continue;
        }
        let e = match ExtView::new_checked(rest) {
            Ok(e) => e,
            Err(e) => {
                events.set(DecodeEvent::Ipv6TruncExthdr);
                invalid = Some(e);
                break false;
            }
        };
        let len = e.len(proto);
        if len > rest.len() {
            events.set(DecodeEvent::Ipv6TruncExthdr);
            invalid = Some(trunc(len));
            break false;
        }
        next = e.next_header();
        off += len;
        let dup = match proto {
            IpProto::HopByHop => std::mem::replace(&mut hh, true),
            IpProto::Ipv6Route => std::mem::replace(&mut rh, true),
            IpProto::Ah => std::mem::replace(&mut ah, true),
            _ => {
                dh += 1;
                dh > 2
            }
        };
        if dup {
            events.set(match proto {
                IpProto::HopByHop => DecodeEvent::Ipv6ExthdrDuplHh,
                IpProto::Ipv6Route => DecodeEvent::Ipv6ExthdrDuplRh,
                IpProto::Ah => DecodeEvent::Ipv6ExthdrDuplAh,
                _ => DecodeEvent::Ipv6ExthdrDuplDh,
            });
            continue;
        }
        match proto {
            IpProto::Ipv6Route if rest.get(2) == Some(&0) => events.set(DecodeEvent::Ipv6RhType0),
            IpProto::Ah if rest.get(2..4).is_some_and(|r| r != [0, 0]) => {
                events.set(DecodeEvent::Ipv6ExthdrAhResNotNull)
            }
            IpProto::HopByHop | IpProto::Ipv6Opts => {
                events.merge(ipv6_option_events(&rest[2..len], proto == IpProto::HopByHop))
            }
            _ => {}
        }
    };

    let info = IpInfo {
        version: 6,
        src: IpAddr::V6(v.src()),
        dst: IpAddr::V6(v.dst()),
        proto: next,
        ttl: v.hop_limit(),
        tos: v.traffic_class(),
        id,
        frag_flags,
        frag_offset,
        is_fragment: frag_offset > 0 || frag_flags & FLAG_MF != 0,
        header: at..off,
        claimed_len: claimed,
    };
    Ok(IpLayer { info, payload: off..ip_end.max(off), truncated, has_transport, events, invalid })
}

/// Walks the options of a hop-by-hop (`hop`) or destination options header:
/// unknown option types, PadN of length 0, headers of padding only, and
/// option lengths that do not fit.
fn ipv6_option_events(opts: &[u8], hop: bool) -> Events {
    /// Pad1, PadN, Router Alert, Jumbo payload, Home Address.
    const PAD1: u8 = 0;
    const PADN: u8 = 1;
    const ROUTER_ALERT: u8 = 5;
    const JUMBO: u8 = 0xC2;
    const HOME_ADDRESS: u8 = 0xC9;
    let mut ev = Events::default();
    let (mut padding, mut other) = (0, 0);
    let mut i = 0;
    while i < opts.len() {
        let kind = opts[i];
        if kind == PAD1 {
            padding += 1;
            i += 1;
            continue;
        }
        let Some(&len) = opts.get(i + 1) else {
            ev.set(DecodeEvent::Ipv6ExthdrInvalidOptlen);
            break;
        };
        let len = usize::from(len);
        if i + 2 + len > opts.len() {
            ev.set(DecodeEvent::Ipv6ExthdrInvalidOptlen);
            break;
        }
        let min = match kind {
            PADN => {
                padding += 1;
                if len == 0 {
                    ev.set(DecodeEvent::Ipv6ZeroLenPadn);
                }
                0
            }
            ROUTER_ALERT => 2,
            JUMBO => 4,
            HOME_ADDRESS => 16,
            _ => {
                ev.set(if hop { DecodeEvent::Ipv6HopoptsUnknownOpt } else { DecodeEvent::Ipv6DstoptsUnknownOpt });
                0
            }
        };
        if len < min {
            ev.set(DecodeEvent::Ipv6ExthdrInvalidOptlen);
            break;
        }
        if kind != PADN && kind != JUMBO {
            other += 1;
        }
        i += 2 + len;
    }
    if padding > 0 && other == 0 {
        ev.set(if hop { DecodeEvent::Ipv6HopoptsOnlyPadding } else { DecodeEvent::Ipv6DstoptsOnlyPadding });
    }
    ev
}

#[cfg(test)]
mod tests {
    use super::{IpProto, MAX_IPV6_EXT_HEADERS};
    use crate::decode::DecodeEvent;
    use crate::decode::{decode, DecodeError, Layer, LinkType, L4};

    /// The options of bug-8021's packet (12 bytes: not a multiple of 8; a
    /// security option of length 2; then an option running past the end):
    /// Suricata reports padding, and a bad length twice.
    #[test]
    fn ipv4_options_padding_and_repeated_bad_lengths() {
        use crate::decode::DecodeEvent as E;
        let ev = super::ipv4_option_events(&[0x82, 0x02, 0xf1, 0x35, 0, 0, 0, 0, 0, 0, 0, 0]);
        let all: Vec<E> = ev.iter().collect();
        assert_eq!(all, [E::Ipv4OptInvalidLen, E::Ipv4OptInvalidLen, E::Ipv4OptPadRequired]);
        // Eight bytes of NOPs and an end: nothing to report.
        assert!(super::ipv4_option_events(&[1, 1, 1, 1, 1, 1, 1, 0]).is_empty());
    }

    /// IPv4 with a 4-byte Router Alert option (IHL 6), TOS 0x10, TTL 1, UDP 5000 -> 5001,
    /// payload "opts".
    /// Packed field by field as commented (Python struct); checksums computed and
    /// checked with tcpdump -vv.
    /// (36 bytes)
    const IPV4_ROUTER_ALERT: &[u8] = &[
        // ipv4: ihl 6, tos 16, total 36, id 0x101, flags none, frag off 0, ttl 1, proto 17, 192.0.2.1 -> 198.51.100.2, options 94040000
        0x46, 0x10, 0x00, 0x24, 0x01, 0x01, 0x00, 0x00, 0x01, 0x11, 0x37, 0x7d, 0xc0, 0x00, 0x02, 0x01, 0xc6, 0x33,
        0x64, 0x02, 0x94, 0x04, 0x00, 0x00, // udp: 5000 -> 5001, len 12
        0x13, 0x88, 0x13, 0x89, 0x00, 0x0c, 0x08, 0xaa, // payload b'opts'
        0x6f, 0x70, 0x74, 0x73,
    ];

    /// IPv4 DF, total length 60: TCP 40000 -> 80 PSH|ACK with 20 payload bytes
    /// "0123456789abcdefghij". Tests cut it to simulate a truncated mirror copy.
    /// Packed field by field as commented (Python struct); checksums computed and
    /// checked with tcpdump -vv.
    /// (60 bytes)
    const IPV4_TCP_60: &[u8] = &[
        // ipv4: ihl 5, tos 0, total 60, id 0x2222, flags DF, frag off 0, ttl 64, proto 6, 192.0.2.1 -> 198.51.100.2
        0x45, 0x00, 0x00, 0x3c, 0x22, 0x22, 0x40, 0x00, 0x40, 0x06, 0x2c, 0x63, 0xc0, 0x00, 0x02, 0x01, 0xc6, 0x33,
        0x64, 0x02, // tcp: 40000 -> 80, seq 1000, ack 2000, doff 5, flags PSH|ACK, win 512, urg 0
        0x9c, 0x40, 0x00, 0x50, 0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x07, 0xd0, 0x50, 0x18, 0x02, 0x00, 0x19, 0x2f,
        0x00, 0x00, // payload b'0123456789abcdefghij'
        0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68,
        0x69, 0x6a,
    ];

    /// Ethernet + IPv4 (total length 29) + UDP 7 -> 7 with payload "x", padded to the
    /// 60-byte Ethernet minimum as a NIC sends it.
    /// Packed field by field as commented (Python struct); checksums computed and
    /// checked with tcpdump -vv.
    /// (60 bytes)
    const ETH_PADDED: &[u8] = &[
        // ethernet: dst 02:00:00:00:00:02, src 02:00:00:00:00:01, type 0x0800
        0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00,
        // ipv4: ihl 5, tos 0, total 29, id 0x0, flags none, frag off 0, ttl 64, proto 17, 192.0.2.1 -> 198.51.100.2
        0x45, 0x00, 0x00, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x40, 0x11, 0x8e, 0x99, 0xc0, 0x00, 0x02, 0x01, 0xc6, 0x33,
        0x64, 0x02, // udp: 7 -> 7, len 9
        0x00, 0x07, 0x00, 0x07, 0x00, 0x09, 0x9b, 0x96, // payload b'x'
        0x78, // ethernet padding to the 60-byte minimum (17 zero bytes)
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ];

    /// First IPv4 fragment (id 0x4242, MF, offset 0) of a 32-byte UDP datagram
    /// 4000 -> 53: the UDP header and 16 payload bytes.
    /// Packed field by field as commented (Python struct); checksums computed and
    /// checked with tcpdump -vv.
    /// (44 bytes)
    const IPV4_FRAG_FIRST: &[u8] = &[
        // ipv4: ihl 5, tos 0, total 44, id 0x4242, flags MF, frag off 0, ttl 64, proto 17, 192.0.2.1 -> 198.51.100.2
        0x45, 0x00, 0x00, 0x2c, 0x42, 0x42, 0x20, 0x00, 0x40, 0x11, 0x2c, 0x48, 0xc0, 0x00, 0x02, 0x01, 0xc6, 0x33,
        0x64, 0x02, // udp header 4000 -> 53 len 32 + the first 16 payload bytes "ABCDEFGHIJKLMNOP"
        0x0f, 0xa0, 0x00, 0x35, 0x00, 0x20, 0x70, 0x02, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a,
        0x4b, 0x4c, 0x4d, 0x4e, 0x4f, 0x50,
    ];

    /// Second (last) fragment of the datagram above: offset 24, MF clear, 8 bytes.
    /// Packed field by field as commented (Python struct); checksums computed and
    /// checked with tcpdump -vv.
    /// (28 bytes)
    const IPV4_FRAG_SECOND: &[u8] = &[
        // ipv4: ihl 5, tos 0, total 28, id 0x4242, flags none, frag off 24, ttl 64, proto 17, 192.0.2.1 -> 198.51.100.2
        0x45, 0x00, 0x00, 0x1c, 0x42, 0x42, 0x00, 0x03, 0x40, 0x11, 0x4c, 0x55, 0xc0, 0x00, 0x02, 0x01, 0xc6, 0x33,
        0x64, 0x02, // the last 8 payload bytes "QRSTUVWX"
        0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58,
    ];

    /// A tiny first fragment (MF, offset 0) carrying only 8 bytes of a TCP header:
    /// the transport header does not fit.
    /// Packed field by field as commented (Python struct); checksums computed and
    /// checked with tcpdump -vv.
    /// (28 bytes)
    const IPV4_TINY_TCP_FRAG: &[u8] = &[
        // ipv4: ihl 5, tos 0, total 28, id 0x5151, flags MF, frag off 0, ttl 64, proto 6, 192.0.2.1 -> 198.51.100.2
        0x45, 0x00, 0x00, 0x1c, 0x51, 0x51, 0x20, 0x00, 0x40, 0x06, 0x1d, 0x54, 0xc0, 0x00, 0x02, 0x01, 0xc6, 0x33,
        0x64, 0x02, // the first 8 bytes of a TCP header 40000 -> 80
        0x9c, 0x40, 0x00, 0x50, 0x00, 0x00, 0x00, 0x01,
    ];

    /// IPv6 (traffic class 0xb8, hop limit 255) + hop-by-hop (PadN) + fragment header
    /// (id 0xdeadbeef, offset 0, M) + the first 24 bytes of a 32-byte UDP datagram 2000 -> 53.
    /// Packed field by field as commented (Python struct); checksums computed and
    /// checked with tcpdump -vv.
    /// (80 bytes)
    const IPV6_HBH_FRAG_FIRST: &[u8] = &[
        // ipv6: tc 184, flow 74565, payload len 40, next 0, hlim 255, 2001:db8::1 -> 2001:db8::2
        0x6b, 0x81, 0x23, 0x45, 0x00, 0x28, 0x00, 0xff, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x02, // ipv6 hop-by-hop: next 44, len 0 (8 bytes), options 010400000000
        0x2c, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00,
        // ipv6 fragment: next 17, offset 0, M 1, id 0xdeadbeef
        0x11, 0x00, 0x00, 0x01, 0xde, 0xad, 0xbe, 0xef,
        // udp header 2000 -> 53 len 32 + 16 payload bytes "0123456789abcdef"
        0x07, 0xd0, 0x00, 0x35, 0x00, 0x20, 0x03, 0x94, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39,
        0x61, 0x62, 0x63, 0x64, 0x65, 0x66,
    ];

    /// The last fragment of the datagram above: fragment header offset 24, M clear,
    /// 8 payload bytes "ZZZZZZZZ".
    /// Packed field by field as commented (Python struct); checksums computed and
    /// checked with tcpdump -vv.
    /// (56 bytes)
    const IPV6_FRAG_SECOND: &[u8] = &[
        // ipv6: tc 0, flow 0, payload len 16, next 44, hlim 64, 2001:db8::1 -> 2001:db8::2
        0x60, 0x00, 0x00, 0x00, 0x00, 0x10, 0x2c, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x02, // ipv6 fragment: next 17, offset 24, M 0, id 0xdeadbeef
        0x11, 0x00, 0x00, 0x18, 0xde, 0xad, 0xbe, 0xef, // payload b'ZZZZZZZZ'
        0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a,
    ];

    /// IPv6 with payload length 0 (as in jumbograms and TSO captures), UDP 1000 -> 53,
    /// payload "jumbo".
    /// Packed field by field as commented (Python struct); checksums computed and
    /// checked with tcpdump -vv.
    /// (53 bytes)
    const IPV6_ZERO_PLEN: &[u8] = &[
        // ipv6: tc 0, flow 0, payload len 0, next 17, hlim 64, 2001:db8::1 -> 2001:db8::2
        0x60, 0x00, 0x00, 0x00, 0x00, 0x00, 0x11, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x02, // udp: 1000 -> 53, len 13
        0x03, 0xe8, 0x00, 0x35, 0x00, 0x0d, 0x59, 0x6a, // payload b'jumbo'
        0x6a, 0x75, 0x6d, 0x62, 0x6f,
    ];

    /// IPv6 + authentication header (24 bytes: length field 4 counts 4-byte words
    /// minus 2) + TCP 443 -> 51000 ACK, payload "ah".
    /// Packed field by field as commented (Python struct); checksums computed and
    /// checked with tcpdump -vv.
    /// (86 bytes)
    const IPV6_AH_TCP: &[u8] = &[
        // ipv6: tc 0, flow 0, payload len 46, next 51, hlim 64, 2001:db8::1 -> 2001:db8::2
        0x60, 0x00, 0x00, 0x00, 0x00, 0x2e, 0x33, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x02, // ah: next 6, len 4 (24 bytes), spi 0x100, seq 1, 12-byte ICV
        0x06, 0x04, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05,
        0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b,
        // tcp: 443 -> 51000, seq 7, ack 9, doff 5, flags ACK, win 100, urg 0
        0x01, 0xbb, 0xc7, 0x38, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x09, 0x50, 0x10, 0x00, 0x64, 0x29, 0x8e,
        0x00, 0x00, // payload b'ah'
        0x61, 0x68,
    ];

    /// IPv6 carrying ESP: nothing after it is readable.
    /// Packed field by field as commented (Python struct); checksums computed and
    /// checked with tcpdump -vv.
    /// (56 bytes)
    const IPV6_ESP: &[u8] = &[
        // ipv6: tc 0, flow 0, payload len 16, next 50, hlim 64, 2001:db8::1 -> 2001:db8::2
        0x60, 0x00, 0x00, 0x00, 0x00, 0x10, 0x32, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x02, // esp: spi 0x100, seq 1, 8 encrypted bytes
        0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68,
    ];

    /// IPv6 with a chain of nine 8-byte destination options headers, then UDP 1 -> 2
    /// "deep".
    /// Packed field by field as commented (Python struct); checksums computed and
    /// checked with tcpdump -vv.
    /// (124 bytes)
    const IPV6_9_DSTOPTS: &[u8] = &[
        // ipv6: tc 0, flow 0, payload len 84, next 60, hlim 64, 2001:db8::1 -> 2001:db8::2
        0x60, 0x00, 0x00, 0x00, 0x00, 0x54, 0x3c, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x02, // ipv6 destination options: next 60, len 0 (8 bytes), options 010400000000
        0x3c, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00,
        // ipv6 destination options: next 60, len 0 (8 bytes), options 010400000000
        0x3c, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00,
        // ipv6 destination options: next 60, len 0 (8 bytes), options 010400000000
        0x3c, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00,
        // ipv6 destination options: next 60, len 0 (8 bytes), options 010400000000
        0x3c, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00,
        // ipv6 destination options: next 60, len 0 (8 bytes), options 010400000000
        0x3c, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00,
        // ipv6 destination options: next 60, len 0 (8 bytes), options 010400000000
        0x3c, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00,
        // ipv6 destination options: next 60, len 0 (8 bytes), options 010400000000
        0x3c, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00,
        // ipv6 destination options: next 60, len 0 (8 bytes), options 010400000000
        0x3c, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00,
        // ipv6 destination options: next 17, len 0 (8 bytes), options 010400000000
        0x11, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00, // udp: 1 -> 2, len 12
        0x00, 0x01, 0x00, 0x02, 0x00, 0x0c, 0xda, 0x88, // payload b'deep'
        0x64, 0x65, 0x65, 0x70,
    ];

    #[test]
    fn ipv4_options_are_skipped() {
        let p = decode(LinkType::Raw, IPV4_ROUTER_ALERT).unwrap();
        let ip = p.ip.as_ref().unwrap();
        assert_eq!(ip.header, 0..24);
        assert_eq!((ip.ttl, ip.tos, ip.id, ip.proto, ip.claimed_len), (1, 0x10, 0x0101, 17, 36));
        assert!(!ip.is_fragment);
        assert_eq!(p.l4, L4::Udp { sport: 5000, dport: 5001 });
        assert_eq!(p.payload(), b"opts");
    }

    #[test]
    fn ipv4_truncated_capture_decodes_as_far_as_it_goes() {
        let full = decode(LinkType::Raw, IPV4_TCP_60).unwrap();
        assert!(!full.truncated);
        assert_eq!(full.payload(), b"0123456789abcdefghij");
        assert_eq!(full.ip.as_ref().unwrap().frag_flags, 0b010);

        // A mirror session with packet length 50 cut the last 10 bytes.
        let p = decode(LinkType::Raw, &IPV4_TCP_60[..50]).unwrap();
        assert!(p.truncated);
        assert_eq!(p.ip.as_ref().unwrap().claimed_len, 60);
        assert!(matches!(p.l4, L4::Tcp { sport: 40000, dport: 80, seq: 1000, ack: 2000, .. }));
        assert_eq!(p.payload(), b"0123456789");
    }

    #[test]
    fn ethernet_padding_is_trimmed() {
        assert_eq!(ETH_PADDED.len(), 60);
        let p = decode(LinkType::Ethernet, ETH_PADDED).unwrap();
        assert!(!p.truncated);
        assert_eq!(p.ip.as_ref().unwrap().claimed_len, 29);
        assert_eq!(p.payload(), b"x");
    }

    #[test]
    fn ipv4_fragments() {
        let p = decode(LinkType::Raw, IPV4_FRAG_FIRST).unwrap();
        let ip = p.ip.as_ref().unwrap();
        assert!(ip.is_fragment);
        assert_eq!((ip.id, ip.frag_flags, ip.frag_offset), (0x4242, 0b001, 0));
        // First fragment: the UDP header is there; its length (32) is more
        // than this fragment holds, so the IP layer bounds the payload.
        assert_eq!(p.l4, L4::Udp { sport: 4000, dport: 53 });
        assert_eq!(p.payload(), b"ABCDEFGHIJKLMNOP");

        let p = decode(LinkType::Raw, IPV4_FRAG_SECOND).unwrap();
        let ip = p.ip.as_ref().unwrap();
        assert!(ip.is_fragment);
        assert_eq!((ip.id, ip.frag_flags, ip.frag_offset, ip.proto), (0x4242, 0, 24, 17));
        assert_eq!(p.l4, L4::Other);
        assert_eq!(p.payload(), b"QRSTUVWX");

        // A first fragment too short for its TCP header is kept, headerless.
        let p = decode(LinkType::Raw, IPV4_TINY_TCP_FRAG).unwrap();
        assert_eq!(p.l4, L4::Other);
        assert_eq!(p.payload().len(), 8);
    }

    #[test]
    fn ipv4_invalid_headers() {
        let mut b = IPV4_ROUTER_ALERT.to_vec();
        b[0] = 0x44; // IHL 4
        assert_eq!(
            decode(LinkType::Ipv4, &b).unwrap_err(),
            DecodeError::Invalid { layer: Layer::Ipv4, reason: "header length below 20" }
        );
        assert_eq!(
            DecodeError::Invalid { layer: Layer::Ipv4, reason: "header length below 20" }.counter(),
            "decoder.ipv4.header_length_below_20"
        );
        b[0] = 0x56; // version 5
        assert_eq!(
            decode(LinkType::Ipv4, &b).unwrap_err(),
            DecodeError::Invalid { layer: Layer::Ipv4, reason: "version mismatch" }
        );
        let mut b = IPV4_ROUTER_ALERT.to_vec();
        b[2..4].copy_from_slice(&20u16.to_be_bytes()); // total 20 < header 24
        assert!(matches!(decode(LinkType::Ipv4, &b), Err(DecodeError::Invalid { layer: Layer::Ipv4, .. })));
        // Options announced but not captured.
        assert_eq!(
            decode(LinkType::Ipv4, &IPV4_ROUTER_ALERT[..22]).unwrap_err(),
            DecodeError::Truncated { layer: Layer::Ipv4, need: 24, have: 22 }
        );
        assert_eq!(
            decode(LinkType::Ipv4, &IPV4_ROUTER_ALERT[..19]).unwrap_err(),
            DecodeError::Truncated { layer: Layer::Ipv4, need: 20, have: 19 }
        );
    }

    #[test]
    fn ipv6_hop_by_hop_and_fragment() {
        let p = decode(LinkType::Raw, IPV6_HBH_FRAG_FIRST).unwrap();
        let ip = p.ip.as_ref().unwrap();
        assert_eq!((ip.version, ip.proto, ip.ttl, ip.tos), (6, 17, 255, 0xb8));
        assert_eq!(ip.header, 0..56);
        assert_eq!((ip.id, ip.frag_flags, ip.frag_offset, ip.is_fragment), (0xdeadbeef, 1, 0, true));
        assert_eq!(ip.claimed_len, 80);
        assert_eq!(p.l4, L4::Udp { sport: 2000, dport: 53 });
        assert_eq!(p.payload(), b"0123456789abcdef");

        let p = decode(LinkType::Raw, IPV6_FRAG_SECOND).unwrap();
        let ip = p.ip.as_ref().unwrap();
        assert_eq!((ip.id, ip.frag_flags, ip.frag_offset, ip.is_fragment, ip.proto), (0xdeadbeef, 0, 24, true, 17));
        assert_eq!(p.l4, L4::Other);
        assert_eq!(p.payload(), b"ZZZZZZZZ");
    }

    #[test]
    fn ipv6_zero_payload_length_uses_the_capture() {
        let p = decode(LinkType::Raw, IPV6_ZERO_PLEN).unwrap();
        assert!(!p.truncated);
        assert_eq!(p.ip.as_ref().unwrap().claimed_len, IPV6_ZERO_PLEN.len());
        assert_eq!(p.payload(), b"jumbo");
    }

    #[test]
    fn ipv6_ah_esp_and_header_chain_limit() {
        let p = decode(LinkType::Raw, IPV6_AH_TCP).unwrap();
        assert_eq!(p.ip.as_ref().unwrap().header, 0..64);
        assert!(matches!(p.l4, L4::Tcp { sport: 443, dport: 51000, .. }));
        assert_eq!(p.payload(), b"ah");

        let p = decode(LinkType::Raw, IPV6_ESP).unwrap();
        assert_eq!(p.ip.as_ref().unwrap().proto, 50);
        assert_eq!(p.l4, L4::Other);
        assert_eq!(p.payload().len(), 16);

        // Nine destination options headers decode (Suricata walks them),
        // the third and later raising the duplicate event.
        let p = decode(LinkType::Raw, IPV6_9_DSTOPTS).unwrap();
        assert_eq!(p.ip.as_ref().unwrap().header, 0..40 + 9 * 8);
        assert_eq!(p.payload(), b"deep");
        assert!(p.events.has(DecodeEvent::Ipv6ExthdrDuplDh));
        // One header more than the cap is an invalid header: the same
        // 8-byte destination options header repeated.
        let n = MAX_IPV6_EXT_HEADERS + 1;
        let mut deep = IPV6_9_DSTOPTS[..40].to_vec();
        deep[4..6].copy_from_slice(&((n * 8 + 12) as u16).to_be_bytes());
        for _ in 0..n {
            deep.extend_from_slice(&IPV6_9_DSTOPTS[40..48]);
        }
        deep.extend_from_slice(&IPV6_9_DSTOPTS[IPV6_9_DSTOPTS.len() - 12..]);
        assert_eq!(
            decode(LinkType::Raw, &deep).unwrap_err(),
            DecodeError::Invalid { layer: Layer::Ipv6, reason: "too many extension headers" }
        );
    }

    #[test]
    fn ipv6_truncated_and_invalid() {
        assert_eq!(
            decode(LinkType::Ipv6, &IPV6_ESP[..39]).unwrap_err(),
            DecodeError::Truncated { layer: Layer::Ipv6, need: 40, have: 39 }
        );
        // The hop-by-hop header is 8 bytes; only 5 were captured: the
        // packet keeps its addresses and is invalid (Suricata's
        // ipv6.trunc_exthdr).
        let p = decode(LinkType::Ipv6, &IPV6_HBH_FRAG_FIRST[..45]).unwrap();
        assert_eq!(p.invalid, Some(DecodeError::Truncated { layer: Layer::Ipv6, need: 8, have: 5 }));
        assert!(p.events.has(DecodeEvent::Ipv6TruncExthdr));
        assert!(p.ip.is_some() && p.payload().is_empty());
        assert_eq!(
            decode(LinkType::Ipv6, IPV4_ROUTER_ALERT.repeat(2).as_slice()).unwrap_err(),
            DecodeError::Invalid { layer: Layer::Ipv6, reason: "version mismatch" }
        );
    }

    #[test]
    fn every_prefix_and_corruption_is_handled() {
        use crate::decode::tests::assert_total;
        for f in [
            IPV4_ROUTER_ALERT,
            IPV4_TCP_60,
            IPV4_FRAG_FIRST,
            IPV4_FRAG_SECOND,
            IPV4_TINY_TCP_FRAG,
            IPV6_HBH_FRAG_FIRST,
            IPV6_FRAG_SECOND,
            IPV6_ZERO_PLEN,
            IPV6_AH_TCP,
            IPV6_ESP,
            IPV6_9_DSTOPTS,
        ] {
            assert_total(LinkType::Raw, f);
        }
        assert_total(LinkType::Ethernet, ETH_PADDED);
    }

    #[test]
    fn ip_proto_is_open() {
        for v in 0..=255u8 {
            assert_eq!(u8::from(IpProto::from(v)), v);
        }
        assert_eq!(IpProto::from(47), IpProto::Other(47));
    }
}
