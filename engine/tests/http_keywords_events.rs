//! `http.request_header` / `http.response_header` (multi-buffers),
//! `http.start`, the legacy sticky spellings, `app-layer-event` and
//! `flowint` end to end: rule text -> ruleset -> real parser state -> hit or
//! not. Expected outcomes are Suricata 7.0.10's on the same messages
//! (verification-suite tests http-request-header-multi, http-sticky-start,
//! prefilter-multibuf-multipkts, http-auth-unrecognized, bug-2511, and
//! crafted sessions checked with its event rules).

use mirador_engine::applayer::AppState;
use mirador_engine::decode::{decode, LinkType};
use mirador_engine::detect::{FlowState, FlowView, Input, NoBuffers, Ruleset, Scratch, TxRef};
use mirador_engine::rules::ast::AppProto;

/// A raw IPv4/TCP packet between 10.0.0.1:40000 and 10.0.0.2:80 (the rules
/// under test only read transactions).
fn ipv4_tcp(to_server: bool) -> Vec<u8> {
    let mut p = vec![0x45, 0, 0, 40, 0, 1, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2];
    if !to_server {
        p[12..16].copy_from_slice(&[10, 0, 0, 2]);
        p[16..20].copy_from_slice(&[10, 0, 0, 1]);
    }
    let sum = p.chunks(2).map(|w| u32::from(u16::from_be_bytes([w[0], w[1]]))).sum::<u32>();
    let sum = (sum & 0xffff) + (sum >> 16);
    p[10..12].copy_from_slice(&(!(sum as u16)).to_be_bytes());
    let (sp, dp) = if to_server { (40000u16, 80u16) } else { (80, 40000) };
    p.extend_from_slice(&sp.to_be_bytes());
    p.extend_from_slice(&dp.to_be_bytes());
    p.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 1, 0x50, 0x10, 0x10, 0, 0, 0, 0, 0]);
    p
}

/// A flow of `proto` with its parser state, inspected packet by packet with
/// one ruleset and one detection state, as the pipeline does.
struct Flow {
    rs: Ruleset,
    proto: AppProto,
    app: AppState,
    state: FlowState,
}

impl Flow {
    fn new(proto: AppProto, rules: &str) -> Flow {
        let rs = Ruleset::from_text(rules).unwrap_or_else(|e| panic!("rules load: {e:?}"));
        let cfg = mirador_engine::applayer::ParserConfig {
            keep_frames: false,
            files: rs.file_config(),
            ..Default::default()
        };
        let app = AppState::for_proto(proto, cfg).expect("a parser");
        Flow { rs, proto, app, state: FlowState::default() }
    }

    fn parse(&mut self, to_server: bool, data: &[u8]) -> &mut Self {
        self.app.parse(to_server, data, self.proto != AppProto::Dns);
        self
    }

    /// Sids alerting on a packet of this direction, sorted.
    fn inspect(&mut self, to_server: bool) -> Vec<u32> {
        let data = ipv4_tcp(to_server);
        let pkt = decode(LinkType::Raw, &data).expect("packet decodes");
        let flow = FlowView {
            to_server,
            established: true,
            app_proto: Some(self.proto),
            first_in_dir: false,
            pseudo: false,
            flowless: false,
            stream_sizes: None,
        };
        let mut views = Vec::new();
        self.app.tx_views(to_server, &mut views);
        let txs: Vec<TxRef<'_>> = views.iter().map(|v| TxRef { id: v.id, bufs: v }).collect();
        let mut out = Vec::new();
        let input = Input { pkt: &pkt, flow, stream: None, txs: &txs, app: &NoBuffers };
        self.rs.inspect(&input, &mut self.state, &mut Scratch::default(), &mut out);
        let mut sids: Vec<u32> = out.iter().map(|m| self.rs.sig(m.sig).sid).collect();
        sids.sort_unstable();
        sids
    }
}

const WS_REQUEST: &[u8] = b"GET /ws HTTP/1.1\r\nHost: example.com\r\nUser-Agent: Go-http-client/1.1\r\nConnection: Upgrade\r\nKey: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\r\nCookie: c=1\r\nX-Dup: a\r\nX-Dup: b\r\n\r\n";

#[test]
fn request_header_instances() {
    let rules = r#"alert http any any -> any any (http.request_header; content:"Key|3a 20|"; startswith; pcre:"/^(?:[a-z0-9]{64})$/R"; bsize:69; sid:1;)
alert http any any -> any any (http.request_header; content:"Key|3a 20|"; startswith; pcre:"/^(?:[a-z0-9]{64})\x0d\x0a/R"; sid:2;)
alert http any any -> any any (http.request_header; content:"Host"; http.request_header; content:"Cookie: c=1"; sid:3;)
alert http any any -> any any (http.request_header; content:"Host"; content:"Cookie"; sid:4;)
alert http any any -> any any (http.request_header; content:"X-Dup: a, b"; startswith; endswith; sid:5;)
alert http any any -> any any (http.request_header; content:"Cookie"; fast_pattern; sid:6;)
alert http any any -> any any (http.response_header; content:"Host"; sid:7;)
"#;
    let mut f = Flow::new(AppProto::Http, rules);
    f.parse(true, WS_REQUEST);
    // Each rule's sticky selection matches one header line; sid 4 needs
    // both contents in one line, sid 2 a CRLF the instances do not have.
    assert_eq!(f.inspect(true), [1, 3, 5, 6]);
    // Once per transaction.
    assert_eq!(f.inspect(true), Vec::<u32>::new());
}

#[test]
fn response_header_instances_span_packets() {
    // prefilter-multibuf-multipkts: the header block arrives in pieces; the
    // buffers exist once it is complete.
    let rules = r#"alert http any any -> any any (http.stat_code; content:"200"; fast_pattern; http.response_header; content:"first"; sid:2;)
alert http any any -> any any (http.stat_code; content:"200"; http.response_header; content:"first"; fast_pattern; sid:3;)
"#;
    let mut f = Flow::new(AppProto::Http, rules);
    f.parse(true, b"GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    f.parse(false, b"HTTP/1.1 200 OK\r\nServer: x\r\n");
    assert_eq!(f.inspect(false), Vec::<u32>::new());
    f.parse(false, b"X-Test: first\r\nContent-Length: 0\r\n\r\n");
    assert_eq!(f.inspect(false), [2, 3]);
}

#[test]
fn http_start_by_direction() {
    let rules = r#"alert http any any -> any any (flow:to_server; http.start; content:"GET"; depth:3; content:"Host:"; distance:0; sid:1;)
alert http any any -> any any (flow:to_server; http.start; strip_whitespace; content:"GET"; depth:3; content:"Host:"; distance:0; sid:2;)
alert http any any -> any any (flow:to_client; http.start; content:"HTTP/1.1 200 OK|0d 0a|Server: x|0d 0a 0d 0a|"; startswith; endswith; sid:3;)
alert http any any -> any any (flow:to_server; http_start; content:"Cookie: c=1|0d 0a|"; sid:4;)
"#;
    let mut f = Flow::new(AppProto::Http, rules);
    f.parse(true, WS_REQUEST);
    f.parse(false, b"HTTP/1.1 200 OK\r\nServer: x\r\n\r\n");
    assert_eq!(f.inspect(true), [1, 2, 4]);
    assert_eq!(f.inspect(false), [3]);
}

#[test]
fn legacy_sticky_spellings() {
    let rules = r#"alert http any any -> any any (flow:to_client; http_protocol; content:"HTTP/1.1"; sid:1;)
alert http any any -> any any (flow:to_server; http_protocol; content:"HTTP/1.1"; sid:2;)
alert http any any -> any any (http_request_line; content:"GET /ws"; startswith; sid:3;)
alert http any any -> any any (http_response_line; content:"200 OK"; endswith; sid:4;)
alert http any any -> any any (http_header_names; content:"|0d 0a|Key|0d 0a|"; sid:5;)
alert http any any -> any any (http_connection; content:"Upgrade"; bsize:7; sid:6;)
"#;
    let mut f = Flow::new(AppProto::Http, rules);
    f.parse(true, WS_REQUEST);
    f.parse(false, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    assert_eq!(f.inspect(true), [2, 3, 5, 6]);
    assert_eq!(f.inspect(false), [1, 4]);
    // As in Suricata they are sticky buffers, not content modifiers.
    let e = Ruleset::from_text("alert http any any -> any any (content:\"a\"; http_protocol; sid:1;)").unwrap_err();
    assert!(e[0].contains("no matches"), "{e:?}");
}

#[test]
fn http_events() {
    let rules = r#"alert http any any -> any any (flow:established,to_server; app-layer-event:http.request_auth_unrecognized; flowint:http.anomaly.count,+,1; sid:1;)
alert http any any -> any any (flow:to_server; app-layer-event:http.too_many_encoding_layers; sid:2;)
alert http any any -> any any (flow:to_client; app-layer-event:http.abnormal_ce_header; sid:3;)
alert http any any -> any any (app-layer-event:http.request_header_repetition; sid:4;)
alert http any any -> any any (app-layer-event:http.request_auth_unrecognized; flowint:http.anomaly.count,>,1; sid:5;)
alert http any any -> any any (app-layer-event:http.request_auth_unrecognized; flowint:http.anomaly.count,isset; flowint:http.anomaly.count,==,1; sid:6;)
"#;
    let mut f = Flow::new(AppProto::Http, rules);
    f.parse(true, b"GET / HTTP/1.1\r\nHost: h\r\nX: 1\r\nX: 2\r\nAuthorization: Turbo customAuthDataHere\r\n\r\n");
    // The request's event, and the flowint it counts: as in Suricata,
    // rules changing a flowint run before rules testing it, so sid 6 sees
    // the count sid 1 just set.
    assert_eq!(f.inspect(true), [1, 6]);
    assert_eq!(f.inspect(true), Vec::<u32>::new());
    // bug-2511: six codings; identity makes the list abnormal too.
    f.parse(
        false,
        b"HTTP/1.1 200 OK\r\nContent-Encoding: identity, identity, gzip, identity, gzip, gzip\r\nContent-Length: 0\r\n\r\n",
    );
    assert_eq!(f.inspect(false), [3]);
    assert_eq!(f.inspect(true), [2]);
    // A second request with the same anomaly counts again. (sid 5 also
    // matches the first request, still live: mirador inspects live
    // transactions again on each packet, where Suricata would not go back
    // to a request it inspected complete.)
    f.parse(true, b"GET /2 HTTP/1.1\r\nHost: h\r\nAuthorization: NTLM x\r\n\r\n");
    let mut sids = f.inspect(true);
    sids.dedup();
    assert_eq!(sids, [1, 5]);
}

#[test]
fn dns_and_tls_events() {
    let rules = "alert dns any any -> any any (app-layer-event:dns.z_flag_set; sid:1;)\n\
                 alert dns any any -> any any (app-layer-event:dns.invalid_opcode; sid:2;)\n";
    let mut f = Flow::new(AppProto::Dns, rules);
    // A query for a.example with the Z bit set (flags 0x0140).
    f.parse(true, b"\x00\x02\x01\x40\x00\x01\x00\x00\x00\x00\x00\x00\x01a\x07example\x00\x00\x01\x00\x01");
    assert_eq!(f.inspect(true), [1]);

    let rules =
        "alert tls any any -> any any (flow:established; app-layer-event:tls.invalid_handshake_message; sid:1;)\n\
                 alert tls any any -> any any (app-layer-event:tls.certificate_invalid_length; sid:2;)\n\
                 alert tls any any -> any any (app-layer-event:tls.invalid_certificate; sid:3;)\n";
    let mut f = Flow::new(AppProto::Tls, rules);
    // The Certificate message of Suricata's tls_DER-incomplete-header.pcap
    // (bug 1450), then a handshake header of unknown type 132.
    let mut hs = vec![0x0b, 0, 0, 15, 0, 0, 12, 0, 0, 9, 0x30, 0x05, 0x30, 0x84, 0xff, 0xff, 0xff, 0xfa, 0x00];
    hs.extend_from_slice(&[0x84, 0xff, 0xff, 0xff, 0x41, 0x41]);
    let mut rec = vec![0x16, 0x03, 0x03];
    rec.extend_from_slice(&(hs.len() as u16).to_be_bytes());
    rec.extend_from_slice(&hs);
    f.parse(false, &rec);
    assert_eq!(f.inspect(false), [1, 2]);
}

#[test]
fn event_names_load_or_are_rejected() {
    // Protocols without a parser, and protocol-detection events, load and
    // never match.
    let rs = Ruleset::from_text(
        "alert smtp any any -> any any (app-layer-event:smtp.invalid_reply; sid:1;)\n\
         alert ip any any -> any any (app-layer-event:applayer_mismatch_protocol_both_directions; sid:2;)\n",
    );
    assert!(rs.is_ok());
    for (rule, why) in [
        ("app-layer-event:http.bogus", "has no event 'bogus'"),
        ("app-layer-event:tls.certificate_missing_element", "no longer supported"),
        ("app-layer-event:foo.bar", "unknown protocol 'foo'"),
        ("flowint:x,+,1", "invalid variable name"),
        ("flowint:ab,+", "a value is required"),
        ("flowint:ab,=,0x10", "not a decimal number"),
    ] {
        let e = Ruleset::from_text(&format!("alert tcp any any -> any any ({rule}; sid:1;)")).unwrap_err();
        assert!(e[0].contains(why), "{rule}: {e:?}");
    }
}
