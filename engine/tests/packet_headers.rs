//! Packet-header sticky buffers end to end: rule text -> ruleset -> a
//! decoded packet -> hit or miss, for `ipv4.hdr`, `ipv6.hdr`, `tcp.hdr`,
//! `udp.hdr`, `icmpv4.hdr`, `icmpv6.hdr`, and `byte_math` on them.
//!
//! Fixtures are raw IP packets built with scapy (checksums by scapy); the
//! expected verdicts were checked with Suricata 7.0.10 on the same packets.

use mirador_engine::decode::{decode, LinkType};
use mirador_engine::detect::{FlowState, FlowView, Input, NoBuffers, Ruleset, Scratch};

/// IPv4 (IHL 6: a router-alert option) + TCP SYN 1000 -> 80, seq 1, window
/// 8192, options MSS 1460, NOP, window scale 7 (data offset 7), payload
/// "hello".
const V4_TCP: &[u8] = &[
    0x46, 0x00, 0x00, 0x39, 0x12, 0x34, 0x00, 0x00, 0x40, 0x06, 0xe7, 0x4f, 0xc0, 0x00, 0x02, 0x01, 0xc6, 0x33, 0x64,
    0x02, 0x94, 0x04, 0x00, 0x00, // tcp
    0x03, 0xe8, 0x00, 0x50, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x70, 0x02, 0x20, 0x00, 0x2f, 0xd1, 0x00,
    0x00, 0x02, 0x04, 0x05, 0xb4, 0x01, 0x03, 0x03, 0x07, // payload
    0x68, 0x65, 0x6c, 0x6c, 0x6f,
];

/// IPv4 + UDP 53 -> 5353 (length 11), payload "abc".
const V4_UDP: &[u8] = &[
    0x45, 0x00, 0x00, 0x1f, 0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0x8e, 0x96, 0xc0, 0x00, 0x02, 0x01, 0xc6, 0x33, 0x64,
    0x02, 0x00, 0x35, 0x14, 0xe9, 0x00, 0x0b, 0x3a, 0x20, 0x61, 0x62, 0x63,
];

/// IPv4 + ICMP router advertisement: 2 addresses of 2 words (192.0.2.1,
/// 192.0.2.2), lifetime 30, then 4 stray bytes "tail".
const V4_ICMP_RTRADV: &[u8] = &[
    0x45, 0x00, 0x00, 0x30, 0x00, 0x01, 0x00, 0x00, 0x40, 0x01, 0x8e, 0x95, 0xc0, 0x00, 0x02, 0x01, 0xc6, 0x33, 0x64,
    0x02, 0x09, 0x00, 0x8c, 0xfc, 0x02, 0x02, 0x00, 0x1e, 0xc0, 0x00, 0x02, 0x01, 0x00, 0x00, 0x00, 0x00, 0xc0, 0x00,
    0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x74, 0x61, 0x69, 0x6c,
];

/// IPv6 + hop-by-hop + destination options + UDP 1 -> 2, payload "zz".
const V6_HBH_DST_UDP: &[u8] = &[
    0x60, 0x00, 0x00, 0x00, 0x00, 0x1a, 0x00, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x02, // hop-by-hop, destination options
    0x3c, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00, 0x11, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00, // udp
    0x00, 0x01, 0x00, 0x02, 0x00, 0x0a, 0x29, 0xe8, 0x7a, 0x7a,
];

/// IPv6 + ICMPv6 router advertisement, router lifetime 0, with a source
/// link-layer address option.
const V6_RA: &[u8] = &[
    0x60, 0x00, 0x00, 0x00, 0x00, 0x18, 0x3a, 0xff, 0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x01, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x01, // icmpv6
    0x86, 0x00, 0x7b, 0x1d, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x01,
];

/// Sids of `rules` that match the packet (no flow state, no transaction),
/// sorted.
fn sids(rules: &str, packet: &[u8]) -> Vec<u32> {
    let rs = Ruleset::from_text(rules).expect("rules load");
    let pkt = decode(LinkType::Raw, packet).expect("packet decodes");
    let flow = FlowView { to_server: true, first_in_dir: true, ..FlowView::default() };
    let mut out = Vec::new();
    rs.inspect(
        &Input { pkt: &pkt, flow, stream: None, txs: &[], app: &NoBuffers },
        &mut FlowState::default(),
        &mut Scratch::default(),
        &mut out,
    );
    let mut sids: Vec<u32> = out.iter().map(|m| rs.sig(m.sig).sid).collect();
    sids.sort_unstable();
    sids
}

#[test]
fn ipv4_hdr() {
    let rules = r#"
alert ip any any -> any any (msg:"hit: ttl 64 proto tcp"; ipv4.hdr; content:"|40 06|"; offset:8; depth:2; sid:1;)
alert ip any any -> any any (msg:"hit: the option is in the header"; ipv4.hdr; content:"|94 04 00 00|"; endswith; bsize:24; sid:2;)
alert ip any any -> any any (msg:"miss: wrong ttl"; ipv4.hdr; content:"|41 06|"; offset:8; depth:2; sid:3;)
alert ip any any -> any any (msg:"miss: the payload is not in the header"; ipv4.hdr; content:"hello"; sid:4;)
"#;
    assert_eq!(sids(rules, V4_TCP), [1, 2]);
    // No IPv4 header on an IPv6 packet.
    assert_eq!(sids(rules, V6_HBH_DST_UDP), Vec::<u32>::new());
}

#[test]
fn ipv6_hdr() {
    let rules = r#"
alert ip any any -> any any (msg:"hit: extension headers included"; ipv6.hdr; content:"|11 00 01 04 00 00 00 00|"; offset:40; endswith; sid:1;)
alert ip any any -> any any (msg:"hit: version nibble"; ipv6.hdr; byte_test:1,=,6,0,bitmask 0xf0; bsize:56; sid:2;)
alert ip any any -> any any (msg:"miss: no udp bytes"; ipv6.hdr; content:"|00 01 00 02|"; sid:3;)
"#;
    assert_eq!(sids(rules, V6_HBH_DST_UDP), [1, 2]);
    assert_eq!(sids(rules, V4_UDP), Vec::<u32>::new());
}

#[test]
fn tcp_hdr() {
    let rules = r#"
alert tcp any any -> any 80 (msg:"hit: dport"; tcp.hdr; content:"|00 50|"; offset:2; depth:2; sid:1;)
alert tcp any any -> any any (msg:"hit: options and relative"; tcp.hdr; content:"|70 02|"; offset:12; depth:2; content:"|03 03 07|"; distance:6; endswith; sid:2;)
alert tcp any any -> any any (msg:"hit: payload and header"; content:"hello"; tcp.hdr; content:"|03 e8|"; startswith; sid:3;)
alert tcp any any -> any any (msg:"miss: wrong flags"; tcp.hdr; content:"|50 18|"; offset:12; depth:2; sid:4;)
alert tcp any any -> any any (msg:"miss: payload not in header"; tcp.hdr; content:"hello"; sid:5;)
alert ip any any -> any any (msg:"miss on udp: no tcp header"; tcp.hdr; content:"|00|"; sid:6;)
"#;
    assert_eq!(sids(rules, V4_TCP), [1, 2, 3, 6]);
    assert_eq!(sids(rules, V4_UDP), Vec::<u32>::new());
}

#[test]
fn udp_hdr() {
    let rules = r#"
alert udp any any -> any any (msg:"hit: length 11"; udp.hdr; content:"|00 0b|"; offset:4; depth:2; sid:1;)
alert udp any any -> any any (msg:"hit: size"; udp.hdr; bsize:8; byte_test:2,=,53,0; sid:2;)
alert udp any any -> any any (msg:"miss: payload"; udp.hdr; content:"abc"; sid:3;)
alert ip any any -> any any (msg:"miss on tcp: no udp header"; udp.hdr; bsize:8; sid:4;)
"#;
    assert_eq!(sids(rules, V4_UDP), [1, 2, 4]);
    assert_eq!(sids(rules, V4_TCP), Vec::<u32>::new());
}

#[test]
fn icmpv4_hdr() {
    let rules = r#"
alert icmp any any -> any any (msg:"hit: addresses of a router advertisement"; icmpv4.hdr; content:"|1e c0 00 02 01|"; sid:1;)
alert icmp any any -> any any (msg:"hit: size"; icmpv4.hdr; bsize:24; sid:2;)
alert icmp any any -> any any (msg:"miss: trailing bytes are not header"; icmpv4.hdr; content:"tail"; sid:3;)
alert icmp any any -> any any (msg:"miss: icmpv6 buffer"; icmpv6.hdr; content:"|09|"; sid:4;)
"#;
    assert_eq!(sids(rules, V4_ICMP_RTRADV), [1, 2]);
    assert_eq!(sids(rules, V6_RA), Vec::<u32>::new());
}

#[test]
fn icmpv6_hdr() {
    // As the ipv6-kill-router-gateway rule: a router lifetime of zero.
    let rules = r#"
alert icmpv6 any any -> any any (msg:"hit: lifetime 0"; itype:134; icmpv6.hdr; content:"|00 00|"; offset:6; depth:2; sid:1;)
alert icmpv6 any any -> any any (msg:"hit: size"; icmpv6.hdr; bsize:8; sid:2;)
alert icmpv6 any any -> any any (msg:"miss: the option is payload"; icmpv6.hdr; content:"|01 01|"; sid:3;)
alert icmp any any -> any any (msg:"miss: icmpv4 buffer"; icmpv4.hdr; content:"|86|"; sid:4;)
"#;
    assert_eq!(sids(rules, V6_RA), [1, 2]);
    assert_eq!(sids(rules, V4_ICMP_RTRADV), Vec::<u32>::new());
}

#[test]
fn byte_math_on_header_buffers() {
    // ttl (64) + 1 from ipv4.hdr (the cursor moves past the ttl, onto the
    // protocol), compared in tcp.hdr with the flags (SYN = 2).
    let rules = r#"
alert tcp any any -> any any (msg:"hit"; ipv4.hdr; byte_math:bytes 1, offset 8, oper +, rvalue 1, result t; byte_test:1,=,6,0,relative; tcp.hdr; byte_test:1,<,t,13; sid:1;)
alert tcp any any -> any any (msg:"hit: variable bytes and rvalue (4)"; ipv4.hdr; byte_extract:1,21,n; byte_math:bytes n, offset 16, oper -, rvalue n, result r; byte_test:4,>,r,16; byte_test:4,=,0xc6336402,16; sid:2;)
alert tcp any any -> any any (msg:"hit: shift then bitmask: 0x70 >> 1 & 0xf0 >> 4 = 3"; tcp.hdr; byte_math:bytes 1, offset 12, oper >>, rvalue 1, result d, bitmask 0xf0; byte_test:1,=,d,12,relative; sid:3;)
alert tcp any any -> any any (msg:"miss: divide by zero"; tcp.hdr; byte_math:bytes 1, offset 0, oper /, rvalue 0, result z; sid:4;)
alert tcp any any -> any any (msg:"miss: read past the header"; tcp.hdr; byte_math:bytes 2, offset 27, oper +, rvalue 0, result z; sid:5;)
"#;
    assert_eq!(sids(rules, V4_TCP), [1, 2, 3]);
}

#[test]
fn rules_suricata_rejects() {
    for rule in [
        // A transport header the rule's protocol does not carry.
        r#"alert udp any any -> any any (tcp.hdr; content:"|00|"; sid:1;)"#,
        r#"alert tcp any any -> any any (udp.hdr; content:"|00|"; sid:1;)"#,
        r#"alert icmpv6 any any -> any any (icmpv4.hdr; content:"|00|"; sid:1;)"#,
        // Packet buffers with stream-only or transaction inspection.
        r#"alert tcp-stream any any -> any any (tcp.hdr; content:"|00|"; sid:1;)"#,
        r#"alert http any any -> any any (http.uri; content:"x"; tcp.hdr; content:"|00|"; sid:1;)"#,
        // A sticky buffer takes no value.
        r#"alert tcp any any -> any any (tcp.hdr:1; content:"|00|"; sid:1;)"#,
        // byte_math options Suricata 7 refuses.
        r#"alert tcp any any -> any any (byte_math:bytes 1, offset 0, oper +, rvalue 1; sid:1;)"#,
        r#"alert tcp any any -> any any (byte_math:bytes 11, offset 0, oper +, rvalue 1, result r; sid:1;)"#,
        r#"alert tcp any any -> any any (byte_math:bytes 5, offset 0, oper <<, rvalue 1, result r; sid:1;)"#,
        r#"alert tcp any any -> any any (byte_math:bytes 1, offset 0, oper +, rvalue 0x1, result r; sid:1;)"#,
        r#"alert tcp any any -> any any (byte_math:bytes 1, offset 0, oper +, rvalue nope, result r; sid:1;)"#,
        r#"alert tcp any any -> any any (byte_math:bytes 1, offset 0, oper +, rvalue 1, result r, dce; sid:1;)"#,
        r#"alert tcp any any -> any any (byte_math:bytes 1, offset 65536, oper +, rvalue 1, result r; sid:1;)"#,
        r#"alert tcp any any -> any any (byte_math:bytes 1, offset 0, offset 1, oper +, rvalue 1, result r; sid:1;)"#,
    ] {
        assert!(Ruleset::from_text(rule).is_err(), "{rule}");
    }
    for rule in [
        r#"alert ip any any -> any any (tcp.hdr; content:"|00|"; sid:1;)"#,
        r#"alert http any any -> any any (tcp.hdr; content:"|00|"; sid:1;)"#,
        r#"alert dns any any -> any any (udp.hdr; content:"|00|"; sid:1;)"#,
        r#"alert icmp any any -> any any (icmpv6.hdr; content:"|00|"; sid:1;)"#,
        r#"alert udp any any -> any any (ipv4.hdr; to_md5; bsize:16; sid:1;)"#,
        r#"alert tcp any any -> any any (byte_math:offset 0, bytes 1, oper +, rvalue 1, result r, string dec, endian big; sid:1;)"#,
        r#"alert tcp any any -> any any (byte_math:bytes 1,offset -1,oper >>,rvalue 4294967295,result r,bitmask f0,relative; sid:1;)"#,
    ] {
        assert!(Ruleset::from_text(rule).is_ok(), "{rule}");
    }
}
