//! Table-driven detection tests: rule text + packet -> hit or not.

use super::*;
use crate::decode::{IpInfo, Packet, TunnelStack, L4};

/// A packet with this payload (IPv4, TCP, UDP or ICMP by `proto`); also
/// used by the app-layer tests that run rules.
pub(crate) fn packet(payload: &[u8], proto: u8, sport: u16, dport: u16) -> Packet<'_> {
    let l4 = match proto {
        6 => L4::Tcp { sport, dport, seq: 1000, ack: 2000, flags: 0x18, window: 512, urgent: 0 },
        17 => L4::Udp { sport, dport },
        1 => L4::Icmp { itype: 8, icode: 0, id: 7, seq: 1, v6: false },
        _ => L4::Other,
    };
    Packet {
        data: payload,
        linktype: crate::decode::LinkType::Raw,
        tunnels: TunnelStack::default(),
        vlans: [0; crate::decode::MAX_VLAN_TAGS],
        vlan_count: 0,
        ether: None,
        ip: Some(IpInfo {
            version: 4,
            src: "10.0.0.5".parse().unwrap(),
            dst: "93.184.216.34".parse().unwrap(),
            proto,
            ttl: 64,
            tos: 0,
            id: 1,
            frag_flags: 0b010,
            frag_offset: 0,
            is_fragment: false,
            header: 0..0,
            claimed_len: payload.len(),
        }),
        l4,
        payload: 0..payload.len(),
        truncated: false,
        events: Default::default(),
        invalid: None,
    }
}

fn ruleset(rules: &str) -> Ruleset {
    Ruleset::from_text(rules).unwrap_or_else(|e| panic!("{e:?}"))
}

fn hits(rules: &str, pkt: &Packet<'_>, flow: FlowView) -> Vec<u32> {
    let rs = ruleset(rules);
    let mut out = Vec::new();
    rs.inspect(
        &Input { pkt, flow, stream: None, txs: &[], app: &NoBuffers },
        &mut FlowState::default(),
        &mut Scratch::default(),
        &mut out,
    );
    out.iter().map(|m| rs.sig(m.sig).sid).collect()
}

const TO_SERVER: FlowView = FlowView {
    to_server: true,
    established: true,
    app_proto: None,
    first_in_dir: true,
    pseudo: false,
    flowless: false,
    stream_sizes: None,
};

macro_rules! case {
    ($name:ident, $opts:expr, $payload:expr, $hit:expr) => {
        case!($name, "udp", $opts, $payload, $hit);
    };
    ($name:ident, $proto:expr, $opts:expr, $payload:expr, $hit:expr) => {
        #[test]
        fn $name() {
            let rule = format!("alert {} any any -> any any ({} sid:1;)", $proto, $opts);
            let p: &[u8] = $payload;
            let proto = match $proto {
                "udp" => 17,
                "icmp" => 1,
                _ => 6,
            };
            let pkt = packet(p, proto, 49152, 80);
            let got = !hits(&rule, &pkt, TO_SERVER).is_empty();
            assert_eq!(got, $hit, "rule {rule} on {:?}", String::from_utf8_lossy(p));
        }
    };
}

// CONTENT
case!(content_plain, r#"content:"admin";"#, b"GET /admin", true);
case!(content_missing, r#"content:"root";"#, b"GET /admin", false);
case!(content_case, r#"content:"ADMIN";"#, b"GET /admin", false);
case!(content_nocase, r#"content:"ADMIN"; nocase;"#, b"GET /admin", true);
case!(content_hex, r#"content:"|47 45|T";"#, b"GET /", true);
case!(content_negated, r#"content:"GET"; content:!"POST";"#, b"GET /", true);
case!(content_negated_hit, r#"content:"GET"; content:!"admin";"#, b"GET /admin", false);
case!(depth_ok, r#"content:"GET"; depth:3;"#, b"GET /", true);
case!(depth_miss, r#"content:"GET"; depth:3;"#, b" GET /", false);
case!(offset_ok, r#"content:"/"; offset:4; depth:1;"#, b"GET /", true);
case!(distance_within, r#"content:"GET"; content:"admin"; distance:2; within:5;"#, b"GET /admin", true);
case!(distance_too_far, r#"content:"GET"; content:"admin"; distance:0; within:5;"#, b"GET /xx/admin", false);
case!(backtrack, r#"content:"a"; content:"b"; distance:0; within:1;"#, b"axxab", true);
case!(fast_pattern_only, r#"content:"x"; content:"admin"; fast_pattern:only;"#, b"x admin", true);
case!(fast_pattern_chop, r#"content:"xxadminyy"; fast_pattern:2,5;"#, b"xxadminyy", true);
case!(startswith_kw, r#"content:"GET"; startswith;"#, b"GET /", true);
case!(endswith_kw, r#"content:"min"; endswith;"#, b"GET /admin", true);
case!(escaped, r#"content:"a\;b\"c";"#, b"xa;b\"c", true);

// PCRE
case!(pcre_plain, r#"pcre:"/ad[a-z]+n/";"#, b"GET /admin", true);
case!(pcre_caseless, r#"pcre:"/ADMIN/i";"#, b"GET /admin", true);
case!(pcre_negated, r#"content:"GET"; pcre:!"/root/";"#, b"GET /admin", true);
case!(pcre_relative, r#"content:"GET"; pcre:"/^ \/adm/R";"#, b"GET /admin", true);
case!(pcre_relative_miss, r#"content:"admin"; pcre:"/^GET/R";"#, b"GET /admin", false);
case!(pcre_backref, r#"pcre:"/(ad)min\/\1/";"#, b"/admin/ad", true);

// BYTE KEYWORDS
case!(isdataat_abs, r#"isdataat:4;"#, b"GET /", true);
case!(isdataat_abs_miss, r#"isdataat:5;"#, b"GET /", false);
case!(isdataat_rel_neg, r#"content:"GET"; isdataat:!3,relative;"#, b"GET /", true);
case!(byte_test_eq, r#"byte_test:1,=,0x47,0;"#, b"GET /", true);
case!(byte_test_string, r#"content:"len="; byte_test:3,>,100,0,relative,string,dec;"#, b"len=200", true);
case!(byte_jump_rel, r#"byte_jump:1,0; content:"Z"; within:1;"#, b"\x02abZ", true);
case!(byte_extract_var, r#"byte_extract:1,0,n; content:"Z"; distance:n; within:1;"#, b"\x02abZ", true);
case!(bsize_payload, r#"content:"G"; bsize:5;"#, b"GET /", true);

// BASE64: expected results from Suricata 7.0.10 on the suite's `base64` and
// `base64-issue-5223` captures (decoding stops at the first byte outside the
// alphabet; a partial last group still gives its whole bytes).
case!(
    b64_relative,
    r#"content:"arg"; base64_decode:bytes 17, offset 1, relative; base64_data; content:"thisisatest";"#,
    b"/?arg=dGhpc2lzYXRlc3QK",
    true
);
case!(
    b64_too_few_bytes,
    r#"content:"arg"; base64_decode:bytes 10, offset 1, relative; base64_data; content:"test";"#,
    b"/?arg=dGhpc2lzYXRlc3QK",
    false
);
case!(
    b64_wrong_content,
    r#"content:"arg"; base64_decode:offset 1, relative; base64_data; content:"toast";"#,
    b"/?arg=dGhpc2lzYXRlc3QK",
    false
);
case!(
    b64_partial_group,
    r#"content:"v="; base64_decode:bytes 2, relative; base64_data; content:"|9e|"; startswith;"#,
    b"v=nq; x",
    true
);
case!(
    b64_stops_at_invalid,
    r#"content:"v="; base64_decode:relative; base64_data; content:"x"; isdataat:!1,relative;"#,
    b"v=eA==eA==",
    true
);
case!(b64_nothing_decoded, r#"base64_decode; base64_data; pcre:"/./";"#, b"!!!!", false);

// HEADER CHECKS
case!(dsize_eq, r#"dsize:5;"#, b"GET /", true);
case!(dsize_gt, r#"dsize:>5;"#, b"GET /", false);
case!(dsize_ne, r#"dsize:!9;"#, b"GET /", true);
// Suricata gives `!=` the payload requirement of `>`: 0 differs from 9, yet
// an empty packet does not match.
case!(dsize_ne_empty, r#"dsize:!9;"#, b"", false);
case!(dsize_lt_empty, r#"dsize:<9;"#, b"", true);
case!(ttl_eq, r#"ttl:64;"#, b"x", true);
case!(flags_pa, "tcp", r#"flags:PA;"#, b"x", true);
case!(flags_plus, "tcp", r#"flags:A+;"#, b"x", true);
case!(flags_exact_miss, "tcp", r#"flags:A;"#, b"x", false);
case!(fragbits_df, r#"fragbits:D;"#, b"x", true);
case!(itype_echo, "icmp", r#"itype:8; icode:0; icmp_id:7; icmp_seq:1;"#, b"ping", true);
case!(itype_tcp_miss, "tcp", r#"itype:8;"#, b"x", false);
case!(window_eq, "tcp", r#"window:512;"#, b"x", true);
case!(seq_ack, "tcp", r#"seq:1000; ack:2000;"#, b"x", true);
case!(flow_to_server, "tcp", r#"flow:established,to_server;"#, b"x", true);
case!(flow_to_client_miss, "tcp", r#"flow:to_client;"#, b"x", false);
case!(ip_proto_name, "tcp", r#"ip_proto:tcp;"#, b"x", true);

#[test]
fn header_addresses_ports_and_bidir() {
    let pkt = packet(b"x", 6, 49152, 80);
    assert_eq!(hits("alert tcp $HOME_NET any -> $EXTERNAL_NET 80 (sid:1;)", &pkt, TO_SERVER), [1]);
    assert!(hits("alert tcp $EXTERNAL_NET any -> $HOME_NET any (sid:1;)", &pkt, TO_SERVER).is_empty());
    assert_eq!(hits("alert tcp $EXTERNAL_NET 80 <> $HOME_NET any (sid:1;)", &pkt, TO_SERVER), [1]);
    assert!(hits("alert udp any any -> any any (sid:1;)", &pkt, TO_SERVER).is_empty());
    assert!(hits("alert tcp any any -> any [!80,443] (sid:1;)", &pkt, TO_SERVER).is_empty());
    assert_eq!(hits("alert ip any any -> any any (sid:1;)", &pkt, TO_SERVER), [1]);
}

#[test]
fn flowbits_set_then_isset_same_packet() {
    // The isset rule comes first in the file; evaluation order still runs
    // the setter first, as Suricata does.
    let rules = "alert udp any any -> any any (content:\"b\"; flowbits:isset,seen; sid:2;)\n\
                 alert udp any any -> any any (content:\"a\"; flowbits:set,seen; flowbits:noalert; sid:1;)\n";
    let pkt = packet(b"ab", 17, 1, 2);
    assert_eq!(hits(rules, &pkt, TO_SERVER), [2]);
    let pkt = packet(b"b", 17, 1, 2);
    assert!(hits(rules, &pkt, TO_SERVER).is_empty());
}

#[test]
fn flowbits_across_packets() {
    let rs = ruleset(
        "alert udp any any -> any any (content:\"login\"; flowbits:set,auth; flowbits:noalert; sid:1;)\n\
         alert udp any any -> any any (content:\"cmd\"; flowbits:isset,auth; sid:2;)\n\
         alert udp any any -> any any (content:\"cmd\"; flowbits:isnotset,auth; sid:3;)\n",
    );
    let mut st = FlowState::default();
    let mut sc = Scratch::default();
    let mut out = Vec::new();
    rs.inspect(
        &Input { pkt: &packet(b"cmd", 17, 1, 2), flow: TO_SERVER, stream: None, txs: &[], app: &NoBuffers },
        &mut st,
        &mut sc,
        &mut out,
    );
    rs.inspect(
        &Input { pkt: &packet(b"login", 17, 1, 2), flow: TO_SERVER, stream: None, txs: &[], app: &NoBuffers },
        &mut st,
        &mut sc,
        &mut out,
    );
    rs.inspect(
        &Input { pkt: &packet(b"cmd", 17, 1, 2), flow: TO_SERVER, stream: None, txs: &[], app: &NoBuffers },
        &mut st,
        &mut sc,
        &mut out,
    );
    let sids: Vec<u32> = out.iter().map(|m| rs.sig(m.sig).sid).collect();
    assert_eq!(sids, [3, 2]);
}

#[test]
fn app_buffer_rules_need_their_buffer() {
    struct Uri;
    impl Buffers for Uri {
        fn get(&self, b: Buffer) -> Option<&[u8]> {
            (b == Buffer::HttpUri).then_some(b"/admin.php".as_slice())
        }
    }
    let rs = ruleset(
        "alert tcp any any -> any any (content:\"admin\"; http_uri; sid:1;)\n\
         alert tcp any any -> any any (http.uri; content:\".php\"; endswith; sid:2;)\n\
         alert tcp any any -> any any (pcre:\"/admin/U\"; sid:3;)\n",
    );
    let mut out = Vec::new();
    let pkt = packet(b"nothing here", 6, 1, 80);
    rs.inspect(
        &Input { pkt: &pkt, flow: TO_SERVER, stream: None, txs: &[], app: &NoBuffers },
        &mut FlowState::default(),
        &mut Scratch::default(),
        &mut out,
    );
    assert!(out.is_empty());
    rs.inspect(
        &Input { pkt: &pkt, flow: TO_SERVER, stream: None, txs: &[TxRef { id: 0, bufs: &Uri }], app: &NoBuffers },
        &mut FlowState::default(),
        &mut Scratch::default(),
        &mut out,
    );
    assert_eq!(out.len(), 3);
}

#[test]
fn ruleset_is_send_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Ruleset>();
}

// KEYWORDS NEEDING APP-LAYER FACTS OR SPECIAL DECODING
case!(ftpbounce_other_host, r#"content:"PORT"; ftpbounce;"#, b"PORT 192,168,1,9,4,1\r\n", true);
case!(ftpbounce_own_host, r#"content:"PORT"; ftpbounce;"#, b"PORT 10,0,0,5,4,1\r\n", false);
case!(asn1_oversize, r#"content:"|30|"; asn1:oversize_length 100, relative_offset -1;"#, b"\x30\x82\x01\x00", true);
case!(asn1_bitstring, r#"asn1:bitstring_overflow, absolute_offset 0;"#, b"\x03\x02\x09\xff", true);
case!(asn1_clean, r#"asn1:bitstring_overflow, oversize_length 10, absolute_offset 0;"#, b"\x04\x02AB", false);

struct Tls;
impl Buffers for Tls {
    fn get(&self, b: Buffer) -> Option<&[u8]> {
        (b == Buffer::SshSoftware).then_some(b"PuTTY_Release_0.70".as_slice())
    }
    fn ssl_versions(&self) -> Option<u8> {
        Some(crate::rules::ast::SSL_V3)
    }
    fn ssl_states(&self) -> Option<u8> {
        Some(crate::rules::ast::SSL_CLIENT_HELLO | crate::rules::ast::SSL_SERVER_HELLO)
    }
}

#[test]
fn app_facts() {
    let rs = ruleset(
        "alert tcp any any -> any any (ssl_version:sslv3; sid:1;)\n\
         alert tcp any any -> any any (ssl_version:tls1.2,tls1.3; sid:2;)\n\
         alert tcp any any -> any any (ssl_state:server_hello; sid:3;)\n\
         alert tcp any any -> any any (ssl_state:client_keyx; sid:4;)\n\
         alert tcp any any -> any any (ssh.softwareversion:\"PuTTY_Release_0.70\"; sid:5;)\n\
         alert tcp any any -> any any (ssl_state:!client_keyx; sid:6;)\n",
    );
    let pkt = packet(b"x", 6, 1, 443);
    let mut out = Vec::new();
    rs.inspect(
        &Input { pkt: &pkt, flow: TO_SERVER, stream: None, txs: &[], app: &Tls },
        &mut FlowState::default(),
        &mut Scratch::default(),
        &mut out,
    );
    let mut sids: Vec<u32> = out.iter().map(|m| rs.sig(m.sig).sid).collect();
    sids.sort();
    assert_eq!(sids, [1, 3, 5, 6]);
    out.clear();
    rs.inspect(
        &Input { pkt: &pkt, flow: TO_SERVER, stream: None, txs: &[], app: &NoBuffers },
        &mut FlowState::default(),
        &mut Scratch::default(),
        &mut out,
    );
    assert!(out.is_empty(), "no TLS state: none of them match");
}

#[test]
fn sticky_buffer_without_match_is_rejected() {
    let mut r = LoadReport::default();
    r.add_text("alert http any any -> any any (file_data; file_data; content:\"x\"; sid:1;)\n", None);
    assert_eq!(r.errors.len(), 1);
    assert!(r.errors[0].reason().contains("previous sticky buffer has no matches"));
    assert_eq!(r.errors[0].column, 43);
}

/// `tcp-pkt` rules inspect packets only and `tcp-stream` rules the
/// reassembled stream only, whatever their contents look like.
#[test]
fn tcp_pkt_and_tcp_stream_choose_what_they_inspect() {
    let rs = ruleset(
        "alert tcp-pkt any any -> any any (content:\"GET\"; sid:1;)\n\
         alert tcp-stream any any -> any any (content:\"GET\"; depth:3; sid:2;)\n\
         alert tcp any any -> any any (content:\"GET\"; sid:3;)\n",
    );
    let kind = |sid: u32| (0..3).map(|i| rs.sig(i)).find(|s| s.sid == sid).unwrap().kind;
    assert!(kind(1).packet && !kind(1).stream);
    assert!(!kind(2).packet && kind(2).stream);
    assert!(kind(3).stream);
}

/// A dataset is declared where a rule first gives its type, whatever the
/// rule order; `set`/`unset` mark the ruleset as order-dependent.
#[test]
fn datasets_resolve_by_name_and_writers_are_known() {
    let rs = ruleset(
        "alert dns any any -> any any (dns.query; dataset:isset,seen; sid:1;)\n\
         alert dns any any -> any any (dns.query; dataset:isnotset,seen,type string; sid:2;)\n",
    );
    assert_eq!(rs.len(), 2);
    assert!(!rs.writes_datasets());
    let rs = ruleset("alert http any any -> any any (http.user_agent; dataset:set,ua,type string; sid:1;)\n");
    assert!(rs.writes_datasets());
    let err = |rule: &str| Ruleset::from_text(rule).unwrap_err().join("\n");
    assert!(err("alert dns any any -> any any (dns.query; dataset:isset,nobody; sid:1;)").contains("needs a type"));
    assert!(err("alert tcp any any -> any any (dataset:isset,x,type string; sid:1;)").contains("sticky buffer"));
    assert!(err("alert dns any any -> any any (dns.query; dataset:isset,x,type md4; sid:1;)").contains("md4"));
    assert!(err("alert dns any any -> any any (dns.query; datarep:x, !=, 3, type string; sid:1;)").contains("'!='"));
}

/// A growing body is prefiltered a piece at a time: a pattern that
/// straddles what was scanned and what arrived is found, and the
/// candidates of a body that stopped growing are verified again only when
/// they read flowbits or flowints.
#[test]
fn growing_bodies_are_scanned_incrementally() {
    struct Body(Vec<u8>);
    impl Buffers for Body {
        fn get(&self, b: Buffer) -> Option<&[u8]> {
            (b == Buffer::FileData).then_some(self.0.as_slice())
        }
    }
    let rs = ruleset(
        "alert tcp any any -> any any (file_data; content:\"needle-in-body\"; sid:1;)\n\
         alert tcp any any -> any any (flowbits:isset,ready; file_data; content:\"haystack\"; sid:2;)\n\
         alert tcp-pkt any any -> any any (content:\"READY\"; flowbits:set,ready; flowbits:noalert; sid:3;)\n",
    );
    let mut state = FlowState::default();
    let mut scratch = Scratch::default();
    let run = |body: &Body, payload: &[u8], state: &mut FlowState, scratch: &mut Scratch| {
        let pkt = packet(payload, 6, 80, 40000);
        let mut out = Vec::new();
        let flow = FlowView { to_server: false, ..TO_SERVER };
        let txs = [TxRef { id: 0, bufs: body }];
        rs.inspect(&Input { pkt: &pkt, flow, stream: None, txs: &txs, app: &NoBuffers }, state, scratch, &mut out);
        out.iter().map(|m| rs.sig(m.sig).sid).collect::<Vec<_>>()
    };
    // 8 KB of haystack, then "needle-" at its very end.
    let mut body = b"haystack".repeat(1024);
    body.extend_from_slice(b"needle-");
    let mut b = Body(body);
    assert!(run(&b, b"data", &mut state, &mut scratch).is_empty());
    // "in-body" arrives: the pattern spans the two pieces.
    b.0.extend_from_slice(b"in-body and more");
    assert_eq!(run(&b, b"data", &mut state, &mut scratch), [1]);
    // The body stops growing; the packet that sets the flowbit sid 2
    // waits for (setters run first) lets sid 2 match the unchanged body.
    assert!(run(&b, b"data", &mut state, &mut scratch).is_empty());
    assert_eq!(run(&b, b"READY", &mut state, &mut scratch), [2]);
}

/// Runs `rules` (compiled with `order`) on UDP packets of one flow and
/// returns, per payload, the sids that alerted and the packet's verdict.
fn run_flow(rules: &str, order: &[&str], payloads: &[&[u8]]) -> (Vec<(Vec<u32>, PacketAction)>, FlowState) {
    let mut report = crate::rules::LoadReport {
        action_order: crate::rules::ast::ActionOrder::parse(order).unwrap(),
        ..Default::default()
    };
    report.add_text(rules, None);
    let b = Ruleset::from_report(report, &Vars::default(), &Classifications::default());
    assert!(b.errors.is_empty(), "{:?}", b.errors.iter().map(ToString::to_string).collect::<Vec<_>>());
    let rs = b.ruleset;
    let mut state = FlowState::default();
    let mut scratch = Scratch::default();
    let mut res = Vec::new();
    for (i, payload) in payloads.iter().enumerate() {
        let pkt = packet(payload, 17, 1, 2);
        let flow = FlowView { first_in_dir: i == 0, ..TO_SERVER };
        let mut out = Vec::new();
        rs.inspect(
            &Input { pkt: &pkt, flow, stream: None, txs: &[], app: &NoBuffers },
            &mut state,
            &mut scratch,
            &mut out,
        );
        res.push((out.iter().map(|m| rs.sig(m.sig).sid).collect(), scratch.verdict()));
    }
    (res, state)
}

const DEFAULT_ORDER: &[&str] = &["pass", "drop", "reject", "alert"];

/// A `pass` rule with a payload match (evaluated first by default) ends
/// detection on its packet only, and is not an alert itself (Suricata
/// gives a packet rule's pass to the packet, util-action-06).
#[test]
fn content_pass_rules_pass_their_packet_only() {
    let rules = "alert udp any any -> any any (content:\"x\"; sid:1;)\n\
                 pass udp any any -> any any (content:\"pass-me\"; sid:2;)\n";
    let (res, state) = run_flow(rules, DEFAULT_ORDER, &[b"x", b"x pass-me", b"x"]);
    assert_eq!(res[0].0, [1]);
    assert!(res[1].0.is_empty(), "the pass rule wins on its packet");
    assert!(res[1].1.pass);
    assert_eq!(res[2].0, [1], "the next packet is inspected again");
    assert_eq!(state.action(), None);
}

/// An IP-only pass rule passes the whole flow: later packets are not
/// inspected (util-action-05 and -09).
#[test]
fn ip_only_pass_rules_pass_the_flow() {
    let rules = "alert udp any any -> any any (content:\"x\"; sid:1;)\n\
                 pass ip 10.0.0.5 any -> any any (sid:2;)\n";
    let (res, state) = run_flow(rules, DEFAULT_ORDER, &[b"x", b"x"]);
    assert!(res[0].0.is_empty() && res[1].0.is_empty());
    assert!(state.passed());
}

/// With `action-order: drop, pass, ...` a drop ranked before a pass still
/// alerts and drops the flow; the pass then only cuts the alerts ranked
/// after it (util-action-02). The dropped flow is not inspected again.
#[test]
fn action_order_puts_drop_before_pass() {
    let rules = "alert ip any any -> any any (sid:1;)\n\
                 pass ip 10.0.0.5 any -> any any (sid:2;)\n\
                 drop ip any any -> any any (sid:3;)\n";
    let (res, state) = run_flow(rules, &["drop", "pass", "reject", "alert"], &[b"a", b"b"]);
    assert_eq!(res[0].0, [3]);
    assert!(res[0].1.drop && res[0].1.pass);
    assert_eq!(state.action(), Some(FlowAction::Drop));
    assert!(res[1].0.is_empty());
    assert!(res[1].1.drop, "a dropped flow's packets are dropped");
    // The default order lets the pass win before the drop is seen.
    let (res, state) = run_flow(rules, DEFAULT_ORDER, &[b"a"]);
    assert!(res[0].0.is_empty() && !res[0].1.drop);
    assert_eq!(state.action(), Some(FlowAction::Pass));
}

/// The `alert` keyword makes a pass rule's match an alert; `noalert` on a
/// pass silences it without stopping the rules after it.
#[test]
fn pass_rules_with_alert_and_noalert() {
    let rules = "pass udp any any -> any any (content:\"a\"; alert; sid:1;)\n\
                 alert udp any any -> any any (content:\"a\"; sid:2;)\n";
    let (res, _) = run_flow(rules, DEFAULT_ORDER, &[b"a"]);
    assert_eq!(res[0].0, [1]);
    let rules = "pass udp any any -> any any (content:\"a\"; noalert; sid:1;)\n\
                 alert udp any any -> any any (content:\"a\"; sid:2;)\n";
    let (res, _) = run_flow(rules, DEFAULT_ORDER, &[b"a"]);
    assert_eq!(res[0].0, [2]);
    assert!(!res[0].1.pass);
}

/// A content drop rule drops its packet, not the flow; a reject is a drop.
#[test]
fn packet_drops_and_rejects() {
    let rules = "drop udp any any -> any any (content:\"d\"; sid:1;)\n\
                 reject udp any any -> any any (content:\"r\"; sid:2;)\n";
    let (res, state) = run_flow(rules, DEFAULT_ORDER, &[b"d", b"r", b"x"]);
    assert_eq!(res[0].0, [1]);
    assert!(res[0].1.drop && !res[0].1.reject);
    assert_eq!(res[1].0, [2]);
    assert!(res[1].1.drop && res[1].1.reject);
    assert_eq!(res[2].1, PacketAction::default());
    assert_eq!(state.action(), None);
}

/// `action-order` names: a missing action keeps its default place after
/// the named ones; unknown and repeated names are refused.
#[test]
fn action_order_parsing() {
    use crate::rules::ast::{Action, ActionOrder};
    let o = ActionOrder::parse(&["alert", "pass"]).unwrap();
    assert!(o.rank(Action::Alert) < o.rank(Action::Pass));
    assert!(o.rank(Action::Pass) < o.rank(Action::Drop));
    assert!(o.rank(Action::Drop) < o.rank(Action::Reject));
    assert_eq!(o.rank(Action::RejectBoth), o.rank(Action::Reject));
    assert_eq!(ActionOrder::parse::<&str>(&[]).unwrap(), ActionOrder::default());
    assert!(ActionOrder::parse(&["pass", "block"]).is_err());
    assert!(ActionOrder::parse(&["pass", "pass"]).is_err());
}

/// `ipv4`/`ipv6` rule protocols pick the IP version; `icmpv6.mtu` reads
/// the MTU of a Packet Too Big message and nothing else.
#[test]
fn ip_version_protocols_and_icmpv6_mtu() {
    let v4 = packet(b"x", 17, 1, 2);
    assert_eq!(hits("alert ipv4 any any -> any any (sid:1;)", &v4, TO_SERVER), [1]);
    assert!(hits("alert ipv6 any any -> any any (sid:1;)", &v4, TO_SERVER).is_empty());
    // IPv6 (payload 16 bytes, next header 58, hop limit 64) fe80::1 -> fe80::2,
    // then ICMPv6 type 2 code 0, checksum 0, MTU 1000, 8 bytes of the
    // offending packet.
    let mut raw = vec![0x60, 0, 0, 0, 0, 16, 58, 64];
    for last in [1u8, 2] {
        raw.extend_from_slice(&[0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, last]);
    }
    raw.extend_from_slice(&[2, 0, 0, 0, 0, 0, 0x03, 0xe8, 0x60, 0, 0, 0, 0, 0, 0, 0]);
    let ptb = crate::decode::decode(crate::decode::LinkType::Raw, &raw).unwrap();
    let rules = "alert ipv6 any any -> any any (icmpv6.mtu:<1280; sid:1;)\n\
                 alert icmp any any -> any any (icmpv6.mtu:1000; sid:2;)\n\
                 alert ipv6 any any -> any any (icmpv6.mtu:>1000; sid:3;)\n";
    assert_eq!(hits(rules, &ptb, TO_SERVER), [1, 2]);
    // Another ICMPv6 type has no MTU to compare.
    raw[40] = 128;
    let echo = crate::decode::decode(crate::decode::LinkType::Raw, &raw).unwrap();
    assert!(hits(rules, &echo, TO_SERVER).is_empty());
}

/// File rules as Suricata 7 evaluates them on `pdf-dl.pcap` (conformance
/// fileext-01/-02, filemagic-flowbits, bug-2558-01): `filename` is a
/// case-insensitive substring, `fileext` a case-insensitive extension,
/// both negatable; a file rule alerts once per file, on the first packet
/// where what it asks is known (a size only once the file is closed).
#[test]
fn file_rules_match_once_per_file() {
    use crate::applayer::file::File;
    struct Tx(Vec<File>);
    impl Buffers for Tx {
        fn get(&self, _: Buffer) -> Option<&[u8]> {
            None
        }
        fn file(&self, i: usize) -> Option<&File> {
            self.0.get(i)
        }
    }
    let rs = ruleset(
        "alert tcp any any -> any any (fileext:\"PDF\"; sid:1;)\n\
         alert tcp any any -> any any (fileext:!\"pDf\"; sid:2;)\n\
         alert tcp any any -> any any (fileext:!\"doc\"; sid:3;)\n\
         alert tcp any any -> any any (filename:\"R.pdf\"; sid:4;)\n\
         alert tcp any any -> any any (filename:!\"r.pdf\"; sid:5;)\n\
         alert tcp any any -> any any (fileext:\"df\"; sid:6;)\n\
         alert tcp any any -> any any (filemagic:\"pdf document\"; sid:7;)\n\
         alert tcp any any -> any any (filesize:>100; sid:8;)\n\
         alert tcp any any -> any any (filename:\"x\"; sid:9;)\n",
    );
    assert!(rs.file_config().magic && !rs.file_config().md5);
    let cfg = rs.file_config();
    let mut state = FlowState::default();
    let mut scratch = Scratch::default();
    let mut run = |tx: &Tx, state: &mut FlowState| {
        let pkt = packet(b"data", 6, 80, 40000);
        let mut out = Vec::new();
        let flow = FlowView { to_server: false, ..TO_SERVER };
        let txs = [TxRef { id: 0, bufs: tx }];
        rs.inspect(&Input { pkt: &pkt, flow, stream: None, txs: &txs, app: &NoBuffers }, state, &mut scratch, &mut out);
        assert!(out.iter().all(|m| m.tx == Some(0)));
        out.iter().map(|m| (rs.sig(m.sig).sid, m.file.expect("a file match"))).collect::<Vec<_>>()
    };
    let mut f = File::new(b"/~regit/r.pdf".to_vec(), cfg);
    f.feed(b"%PDF-1.5\n");
    let mut tx = Tx(vec![f]);
    // Name known, type not yet (under 512 bytes), size not final.
    assert_eq!(run(&tx, &mut state), [(1, 0), (3, 0), (4, 0)]);
    tx.0[0].feed(&[b' '; 600]);
    assert_eq!(run(&tx, &mut state), [(7, 0)]);
    assert!(run(&tx, &mut state).is_empty(), "once per file");
    tx.0[0].close(true);
    assert_eq!(run(&tx, &mut state), [(8, 0)]);
    // A second file of the transaction is matched on its own.
    tx.0.push(File::new(b"/x.doc".to_vec(), cfg));
    assert_eq!(run(&tx, &mut state), [(2, 1), (5, 1), (9, 1)]);
}
