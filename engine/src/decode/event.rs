//! Decoder events: anomalies seen while decoding a packet, under the names
//! Suricata 7 gives them (`decode-event:ipv6.exthdr_useless_fh`, EVE
//! `anomaly.event: decoder.ipv6.exthdr_useless_fh`), so that its
//! `decoder-events.rules` load unchanged.
//!
//! A packet carries its events as a bit set ([`Events`]): raising one costs a
//! bit, and a packet with none costs nothing. Some events make the packet
//! *invalid* ([`crate::decode::Packet::invalid`]): its transport header could
//! not be read, so it gets packet rules without a flow, as in Suricata.

/// Declares [`DecodeEvent`] with each variant's Suricata name, in one list
/// so that a name cannot drift from its variant.
macro_rules! decode_events {
    ($($(#[$doc:meta])* $variant:ident = $name:literal,)*) => {
        /// One decoder anomaly (see the module documentation).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u8)]
        pub enum DecodeEvent {
            $($(#[$doc])* $variant,)*
        }

        impl DecodeEvent {
            /// Every event, in declaration order.
            pub const ALL: &'static [DecodeEvent] = &[$(DecodeEvent::$variant,)*];

            /// The name rules use (`ipv4.trunc_pkt`).
            pub fn name(self) -> &'static str {
                match self {
                    $(DecodeEvent::$variant => $name,)*
                }
            }
        }
    };
}

decode_events! {
    /// Fewer bytes than an IPv4 header.
    Ipv4PktTooSmall = "ipv4.pkt_too_small",
    /// IHL below 5.
    Ipv4HlenTooSmall = "ipv4.hlen_too_small",
    /// Total length below the header length.
    Ipv4IplenSmallerThanHlen = "ipv4.iplen_smaller_than_hlen",
    /// Captured shorter than the total length (a mirror's truncation too).
    Ipv4TruncPkt = "ipv4.trunc_pkt",
    /// An option of a kind that may not appear there.
    Ipv4OptInvalid = "ipv4.opt_invalid",
    /// An option whose length is below 2 or runs past the header.
    Ipv4OptInvalidLen = "ipv4.opt_invalid_len",
    /// An option whose content does not fit its kind.
    Ipv4OptMalformed = "ipv4.opt_malformed",
    /// Options that end without padding to the header length.
    Ipv4OptPadRequired = "ipv4.opt_pad_required",
    /// Options that need an end-of-list.
    Ipv4OptEolRequired = "ipv4.opt_eol_required",
    /// The same option twice.
    Ipv4OptDuplicate = "ipv4.opt_duplicate",
    /// An option kind not known.
    Ipv4OptUnknown = "ipv4.opt_unknown",
    /// Version field not 4 where IPv4 was expected.
    Ipv4WrongIpVersion = "ipv4.wrong_ip_version",
    /// IPv4 carrying ICMPv6.
    Ipv4Icmpv6 = "ipv4.icmpv6",
    /// Fragments that would make a datagram larger than 65,535 bytes.
    Ipv4FragPktTooLarge = "ipv4.frag_pkt_too_large",
    /// A fragment overlapping an earlier one.
    Ipv4FragOverlap = "ipv4.frag_overlap",
    /// Fewer bytes than an IPv6 header.
    Ipv6PktTooSmall = "ipv6.pkt_too_small",
    /// Captured shorter than the payload length.
    Ipv6TruncPkt = "ipv6.trunc_pkt",
    /// An extension header running past the packet.
    Ipv6TruncExthdr = "ipv6.trunc_exthdr",
    /// Two fragment headers.
    Ipv6ExthdrDuplFh = "ipv6.exthdr_dupl_fh",
    /// A fragment header with offset 0 and no more fragments (an atomic
    /// fragment).
    Ipv6ExthdrUselessFh = "ipv6.exthdr_useless_fh",
    /// Two routing headers.
    Ipv6ExthdrDuplRh = "ipv6.exthdr_dupl_rh",
    /// Two hop-by-hop headers.
    Ipv6ExthdrDuplHh = "ipv6.exthdr_dupl_hh",
    /// More than two destination options headers.
    Ipv6ExthdrDuplDh = "ipv6.exthdr_dupl_dh",
    /// Two authentication headers.
    Ipv6ExthdrDuplAh = "ipv6.exthdr_dupl_ah",
    /// Two ESP headers.
    Ipv6ExthdrDuplEh = "ipv6.exthdr_dupl_eh",
    /// An option length that does not fit its header.
    Ipv6ExthdrInvalidOptlen = "ipv6.exthdr_invalid_optlen",
    /// Version field not 6 where IPv6 was expected.
    Ipv6WrongIpVersion = "ipv6.wrong_ip_version",
    /// Authentication header reserved field not zero.
    Ipv6ExthdrAhResNotNull = "ipv6.exthdr_ah_res_not_null",
    /// Hop-by-hop option of an unknown type.
    Ipv6HopoptsUnknownOpt = "ipv6.hopopts_unknown_opt",
    /// Hop-by-hop header holding only padding.
    Ipv6HopoptsOnlyPadding = "ipv6.hopopts_only_padding",
    /// Destination option of an unknown type (a covert channel's favourite).
    Ipv6DstoptsUnknownOpt = "ipv6.dstopts_unknown_opt",
    /// Destination options header holding only padding.
    Ipv6DstoptsOnlyPadding = "ipv6.dstopts_only_padding",
    /// Routing header type 0 (deprecated by RFC 5095).
    Ipv6RhType0 = "ipv6.rh_type_0",
    /// PadN option of length 0.
    Ipv6ZeroLenPadn = "ipv6.zero_len_padn",
    /// Fragment header reserved field not zero.
    Ipv6FhNonZeroReservedField = "ipv6.fh_non_zero_reserved_field",
    /// Bytes after a "no next header".
    Ipv6DataAfterNoneHeader = "ipv6.data_after_none_header",
    /// A next header value that is neither an extension nor a transport.
    Ipv6UnknownNextHeader = "ipv6.unknown_next_header",
    /// IPv6 carrying ICMPv4.
    Ipv6Icmpv4 = "ipv6.icmpv4",
    /// Fragments that would make a datagram larger than 65,535 bytes.
    Ipv6FragPktTooLarge = "ipv6.frag_pkt_too_large",
    /// A fragment overlapping an earlier one.
    Ipv6FragOverlap = "ipv6.frag_overlap",
    /// A non-last fragment whose length is not a multiple of 8.
    Ipv6FragInvalidLength = "ipv6.frag_invalid_length",
    /// IPv4-in-IPv6 shorter than an IPv4 header.
    Ipv6Ipv4InIpv6TooSmall = "ipv6.ipv4_in_ipv6_too_small",
    /// IPv4-in-IPv6 with another version.
    Ipv6Ipv4InIpv6WrongVersion = "ipv6.ipv4_in_ipv6_wrong_version",
    /// IPv6-in-IPv6 shorter than an IPv6 header.
    Ipv6Ipv6InIpv6TooSmall = "ipv6.ipv6_in_ipv6_too_small",
    /// IPv6-in-IPv6 with another version.
    Ipv6Ipv6InIpv6WrongVersion = "ipv6.ipv6_in_ipv6_wrong_version",
    /// Fewer bytes than an ICMPv4 header.
    Icmpv4PktTooSmall = "icmpv4.pkt_too_small",
    /// ICMPv4 type not assigned.
    Icmpv4UnknownType = "icmpv4.unknown_type",
    /// ICMPv4 code not defined for its type.
    Icmpv4UnknownCode = "icmpv4.unknown_code",
    /// The IPv4 header quoted in an ICMPv4 error is truncated.
    Icmpv4Ipv4TruncPkt = "icmpv4.ipv4_trunc_pkt",
    /// The header quoted in an ICMPv4 error is not IPv4.
    Icmpv4Ipv4UnknownVer = "icmpv4.ipv4_unknown_ver",
    /// Fewer bytes than an ICMPv6 header.
    Icmpv6PktTooSmall = "icmpv6.pkt_too_small",
    /// ICMPv6 type not known.
    Icmpv6UnknownType = "icmpv6.unknown_type",
    /// ICMPv6 code not defined for its type.
    Icmpv6UnknownCode = "icmpv6.unknown_code",
    /// The IPv6 header quoted in an ICMPv6 error is truncated.
    Icmpv6Ipv6TruncPkt = "icmpv6.ipv6_trunc_pkt",
    /// The header quoted in an ICMPv6 error is not IPv6.
    Icmpv6Ipv6UnknownVersion = "icmpv6.ipv6_unknown_version",
    /// MLD message whose hop limit is not 1.
    Icmpv6MldMessageWithInvalidHl = "icmpv6.mld_message_with_invalid_hl",
    /// ICMPv6 type unassigned.
    Icmpv6UnassignedType = "icmpv6.unassigned_type",
    /// ICMPv6 experimentation type.
    Icmpv6ExperimentationType = "icmpv6.experimentation_type",
    /// Fewer bytes than a TCP header.
    TcpPktTooSmall = "tcp.pkt_too_small",
    /// Header length (data offset, options included) past the packet.
    TcpHlenTooSmall = "tcp.hlen_too_small",
    /// Data offset below 5 (a negative options length).
    TcpInvalidOptlen = "tcp.invalid_optlen",
    /// An option whose length is invalid for its kind or runs past the header.
    TcpOptInvalidLen = "tcp.opt_invalid_len",
    /// The same option twice.
    TcpOptDuplicate = "tcp.opt_duplicate",
    /// Fewer bytes than a UDP header.
    UdpPktTooSmall = "udp.pkt_too_small",
    /// UDP length field below 8.
    UdpHlenTooSmall = "udp.hlen_too_small",
    /// UDP length field inconsistent with the IP payload.
    UdpLenInvalid = "udp.len_invalid",
    /// Linux cooked header truncated.
    SllPktTooSmall = "sll.pkt_too_small",
    /// Ethernet header truncated.
    EthernetPktTooSmall = "ethernet.pkt_too_small",
    /// PPP header truncated.
    PppPktTooSmall = "ppp.pkt_too_small",
    /// PPP VJ header truncated.
    PppVjuPktTooSmall = "ppp.vju_pkt_too_small",
    /// IPv4 in PPP too small.
    PppIp4PktTooSmall = "ppp.ip4_pkt_too_small",
    /// IPv6 in PPP too small.
    PppIp6PktTooSmall = "ppp.ip6_pkt_too_small",
    /// PPP protocol not valid.
    PppWrongType = "ppp.wrong_type",
    /// PPP protocol not supported.
    PppUnsupProto = "ppp.unsup_proto",
    /// PPPoE header truncated.
    PppoePktTooSmall = "pppoe.pkt_too_small",
    /// PPPoE code wrong.
    PppoeWrongCode = "pppoe.wrong_code",
    /// PPPoE tags malformed.
    PppoeMalformedTags = "pppoe.malformed_tags",
    /// GRE header truncated.
    GrePktTooSmall = "gre.pkt_too_small",
    /// GRE version neither 0 nor 1.
    GreWrongVersion = "gre.wrong_version",
    /// GRE v0 recursion control set.
    GreVersion0Recur = "gre.version0_recur",
    /// GRE v0 reserved flags set.
    GreVersion0Flags = "gre.version0_flags",
    /// GRE v0 header larger than the packet.
    GreVersion0HdrTooBig = "gre.version0_hdr_too_big",
    /// GRE v0 malformed source route entry.
    GreVersion0MalformedSreHdr = "gre.version0_malformed_sre_hdr",
    /// GRE v1 checksum flag set.
    GreVersion1Chksum = "gre.version1_chksum",
    /// GRE v1 routing flag set.
    GreVersion1Route = "gre.version1_route",
    /// GRE v1 strict source route flag set.
    GreVersion1Ssr = "gre.version1_ssr",
    /// GRE v1 recursion control set.
    GreVersion1Recur = "gre.version1_recur",
    /// GRE v1 reserved flags set.
    GreVersion1Flags = "gre.version1_flags",
    /// GRE v1 without a key.
    GreVersion1NoKey = "gre.version1_no_key",
    /// GRE v1 carrying something other than PPP.
    GreVersion1WrongProtocol = "gre.version1_wrong_protocol",
    /// GRE v1 malformed source route entry.
    GreVersion1MalformedSreHdr = "gre.version1_malformed_sre_hdr",
    /// GRE v1 header larger than the packet.
    GreVersion1HdrTooBig = "gre.version1_hdr_too_big",
    /// VLAN header truncated.
    VlanHeaderTooSmall = "vlan.header_too_small",
    /// VLAN carrying an unknown type.
    VlanUnknownType = "vlan.unknown_type",
    /// More VLAN tags than decoded.
    VlanTooManyLayers = "vlan.too_many_layers",
    /// VN-Tag header truncated.
    VntagHeaderTooSmall = "vntag.header_too_small",
    /// VN-Tag carrying an unknown type.
    VntagUnknownType = "vntag.unknown_type",
    /// 802.1ah header truncated.
    Ieee8021ahHeaderTooSmall = "ieee8021ah.header_too_small",
    /// Raw IP link type with a version neither 4 nor 6.
    IprawInvalidIpVersion = "ipraw.invalid_ip_version",
    /// MPLS header truncated.
    MplsHeaderTooSmall = "mpls.header_too_small",
    /// MPLS packet too small.
    MplsPktTooSmall = "mpls.pkt_too_small",
    /// MPLS router alert label.
    MplsBadLabelRouterAlert = "mpls.bad_label_router_alert",
    /// MPLS implicit null label.
    MplsBadLabelImplicitNull = "mpls.bad_label_implicit_null",
    /// MPLS reserved label.
    MplsBadLabelReserved = "mpls.bad_label_reserved",
    /// MPLS payload of an unknown type.
    MplsUnknownPayloadType = "mpls.unknown_payload_type",
    /// Null/loopback header truncated.
    LtnullPktTooSmall = "ltnull.pkt_too_small",
    /// Null/loopback family not supported.
    LtnullUnsupportedType = "ltnull.unsupported_type",
    /// ERSPAN header truncated.
    ErspanHeaderTooSmall = "erspan.header_too_small",
    /// ERSPAN version not supported.
    ErspanUnsupportedVersion = "erspan.unsupported_version",
    /// ERSPAN with too many VLAN layers.
    ErspanTooManyVlanLayers = "erspan.too_many_vlan_layers",
    /// DCE header truncated.
    DcePktTooSmall = "dce.pkt_too_small",
    /// Cisco HDLC header truncated.
    ChdlcPktTooSmall = "chdlc.pkt_too_small",
    /// More nested layers (tunnels) than decoded.
    TooManyLayers = "too_many_layers",
    /// AF_PACKET truncation.
    AfpacketTruncPkt = "afpacket.trunc_pkt",
}

impl DecodeEvent {
    /// The event named `name` (`ipv6.frag_overlap`), as a rule writes it.
    pub fn from_name(name: &str) -> Option<DecodeEvent> {
        DecodeEvent::ALL.iter().copied().find(|e| e.name() == name)
    }
}

/// The decoder events of one packet. An event raised more than once is
/// kept twice (Suricata writes an anomaly per occurrence, as for two bad
/// IPv4 options); further repeats are not counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Events {
    bits: u128,
    twice: u128,
}

// Every event must have a bit.
const _: () = assert!(DecodeEvent::ALL.len() <= 128);

impl Events {
    /// Raises `e`.
    pub fn set(&mut self, e: DecodeEvent) {
        let bit = 1 << (e as u8);
        self.twice |= self.bits & bit;
        self.bits |= bit;
    }

    /// Whether `e` was raised.
    pub fn has(self, e: DecodeEvent) -> bool {
        self.bits & (1 << (e as u8)) != 0
    }

    /// No event raised.
    pub fn is_empty(self) -> bool {
        self.bits == 0
    }

    /// Adds every event of `o` (an event both raised counts once: the
    /// layers merged may have seen the same condition).
    pub fn merge(&mut self, o: Events) {
        self.twice |= o.twice;
        self.bits |= o.bits;
    }

    /// The raised events in declaration order, an event raised twice
    /// twice in a row.
    pub fn iter(self) -> impl Iterator<Item = DecodeEvent> {
        DecodeEvent::ALL.iter().copied().filter(move |e| self.has(*e)).flat_map(move |e| {
            let n = if self.twice & (1 << (e as u8)) != 0 { 2 } else { 1 };
            std::iter::repeat_n(e, n)
        })
    }
}

impl From<DecodeEvent> for Events {
    fn from(e: DecodeEvent) -> Events {
        let mut s = Events::default();
        s.set(e);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        for e in DecodeEvent::ALL {
            assert_eq!(DecodeEvent::from_name(e.name()), Some(*e));
        }
        let mut names: Vec<_> = DecodeEvent::ALL.iter().map(|e| e.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), DecodeEvent::ALL.len());
        assert_eq!(DecodeEvent::from_name("ipv6.no_such_event"), None);
    }

    #[test]
    fn every_name_in_suricata_decoder_events_rules_is_known() {
        // The names of Suricata 7.0.10's decoder-events.rules.
        let suricata = "ipv4.pkt_too_small ipv4.hlen_too_small ipv4.iplen_smaller_than_hlen ipv4.trunc_pkt \
            ipv4.opt_invalid ipv4.opt_invalid_len ipv4.opt_malformed ipv4.opt_pad_required ipv4.icmpv6 \
            ipv4.opt_eol_required ipv4.opt_duplicate ipv4.opt_unknown ipv4.wrong_ip_version ipv6.pkt_too_small \
            ipv6.trunc_pkt ipv6.trunc_exthdr ipv6.exthdr_dupl_fh ipv6.exthdr_useless_fh ipv6.exthdr_dupl_rh \
            ipv6.exthdr_dupl_hh ipv6.exthdr_dupl_dh ipv6.exthdr_dupl_ah ipv6.exthdr_dupl_eh \
            ipv6.exthdr_invalid_optlen ipv6.wrong_ip_version ipv6.exthdr_ah_res_not_null \
            ipv6.hopopts_unknown_opt ipv6.hopopts_only_padding ipv6.dstopts_unknown_opt \
            ipv6.dstopts_only_padding ipv6.rh_type_0 ipv6.zero_len_padn ipv6.fh_non_zero_reserved_field \
            ipv6.data_after_none_header ipv6.unknown_next_header ipv6.icmpv4 icmpv4.pkt_too_small \
            icmpv4.unknown_type icmpv4.unknown_code icmpv4.ipv4_trunc_pkt icmpv4.ipv4_unknown_ver \
            icmpv6.pkt_too_small icmpv6.unknown_type icmpv6.unknown_code icmpv6.ipv6_trunc_pkt \
            icmpv6.ipv6_unknown_version icmpv6.mld_message_with_invalid_hl icmpv6.unassigned_type \
            icmpv6.experimentation_type tcp.pkt_too_small tcp.hlen_too_small tcp.invalid_optlen \
            tcp.opt_invalid_len tcp.opt_duplicate udp.pkt_too_small udp.hlen_too_small udp.len_invalid \
            sll.pkt_too_small ethernet.pkt_too_small ppp.pkt_too_small ppp.vju_pkt_too_small \
            ppp.ip4_pkt_too_small ppp.ip6_pkt_too_small ppp.wrong_type ppp.unsup_proto pppoe.pkt_too_small \
            pppoe.wrong_code pppoe.malformed_tags gre.pkt_too_small gre.wrong_version gre.version0_recur \
            gre.version0_flags gre.version0_hdr_too_big gre.version1_chksum gre.version1_route \
            gre.version1_ssr gre.version1_recur gre.version1_flags gre.version1_no_key \
            gre.version1_wrong_protocol gre.version1_malformed_sre_hdr gre.version1_hdr_too_big \
            vlan.header_too_small vlan.unknown_type vlan.too_many_layers vntag.header_too_small \
            vntag.unknown_type ieee8021ah.header_too_small ipraw.invalid_ip_version ipv4.frag_pkt_too_large \
            ipv4.frag_overlap ipv6.frag_pkt_too_large ipv6.frag_overlap ipv6.frag_invalid_length \
            ipv6.ipv4_in_ipv6_too_small ipv6.ipv4_in_ipv6_wrong_version ipv6.ipv6_in_ipv6_too_small \
            ipv6.ipv6_in_ipv6_wrong_version mpls.header_too_small mpls.pkt_too_small \
            mpls.bad_label_router_alert mpls.bad_label_implicit_null mpls.bad_label_reserved \
            mpls.unknown_payload_type ltnull.pkt_too_small ltnull.unsupported_type erspan.header_too_small \
            erspan.unsupported_version erspan.too_many_vlan_layers dce.pkt_too_small chdlc.pkt_too_small \
            too_many_layers afpacket.trunc_pkt";
        for name in suricata.split_whitespace() {
            assert!(DecodeEvent::from_name(name).is_some(), "{name}");
        }
    }

    #[test]
    fn set_has_iter() {
        let mut s = Events::default();
        assert!(s.is_empty());
        s.set(DecodeEvent::TcpOptDuplicate);
        s.merge(Events::from(DecodeEvent::Ipv4PktTooSmall));
        assert!(s.has(DecodeEvent::TcpOptDuplicate) && !s.has(DecodeEvent::TcpPktTooSmall));
        let all: Vec<_> = s.iter().collect();
        assert_eq!(all, vec![DecodeEvent::Ipv4PktTooSmall, DecodeEvent::TcpOptDuplicate]);
        let last = *DecodeEvent::ALL.last().unwrap();
        s.set(last);
        assert!(s.has(last));
    }
}
