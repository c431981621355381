//! Transform keywords end to end: rule text -> ruleset -> an HTTP
//! transaction's buffers -> hit or not.

use mirador_engine::decode::{decode, LinkType};
use mirador_engine::detect::{Buffers, FlowState, FlowView, Input, NoBuffers, Ruleset, Scratch, TxRef};
use mirador_engine::rules::ast::{AppProto, Buffer};

/// Buffers of one HTTP request.
#[derive(Default)]
struct Request {
    uri: Vec<u8>,
    host: Vec<u8>,
    body: Vec<u8>,
}

impl Buffers for Request {
    fn get(&self, b: Buffer) -> Option<&[u8]> {
        match b {
            Buffer::HttpUri => Some(&self.uri),
            Buffer::HttpHost => Some(&self.host),
            Buffer::HttpRequestBody => Some(&self.body),
            _ => None,
        }
    }
}

/// A raw IPv4/TCP packet 10.0.0.1:40000 -> 10.0.0.2:80 with a small payload
/// (the rules under test only read the transaction).
fn ipv4_tcp() -> Vec<u8> {
    let payload = b"GET / HTTP/1.1\r\n\r\n";
    let total = (20 + 20 + payload.len()) as u16;
    let mut p = vec![0x45, 0, 0, 0, 0, 1, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2];
    p[2..4].copy_from_slice(&total.to_be_bytes());
    let sum = p.chunks(2).map(|w| u32::from(u16::from_be_bytes([w[0], w[1]]))).sum::<u32>();
    let sum = (sum & 0xffff) + (sum >> 16);
    p[10..12].copy_from_slice(&(!(sum as u16)).to_be_bytes());
    p.extend_from_slice(&40000u16.to_be_bytes());
    p.extend_from_slice(&80u16.to_be_bytes());
    p.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 1, 0x50, 0x18, 0x10, 0, 0, 0, 0, 0]);
    p.extend_from_slice(payload);
    p
}

/// Sids of `rules` that match the request, sorted.
fn sids(rules: &str, req: &Request) -> Vec<u32> {
    let rs = Ruleset::from_text(rules).expect("rules load");
    let data = ipv4_tcp();
    let pkt = decode(LinkType::Raw, &data).expect("packet decodes");
    let flow = FlowView {
        to_server: true,
        established: true,
        app_proto: Some(AppProto::Http),
        first_in_dir: false,
        pseudo: false,
        flowless: false,
        stream_sizes: None,
    };
    let txs = [TxRef { id: 0, bufs: req }];
    let mut out = Vec::new();
    rs.inspect(
        &Input { pkt: &pkt, flow, stream: None, txs: &txs, app: &NoBuffers },
        &mut FlowState::default(),
        &mut Scratch::default(),
        &mut out,
    );
    let mut sids: Vec<u32> = out.iter().map(|m| rs.sig(m.sig).sid).collect();
    sids.sort_unstable();
    sids
}

#[test]
fn url_decode_matches_only_decoded_uri() {
    let rules = r#"alert http any any -> any any (http.uri; url_decode; content:"/evil'sqli x"; sid:1;)
alert http any any -> any any (http.uri; content:"/evil'sqli"; sid:2;)
alert http any any -> any any (http.uri; content:"/evil%27"; http.uri; url_decode; content:"'sqli"; sid:3;)
"#;
    let req = Request { uri: b"/evil%27sqli+x".to_vec(), ..Request::default() };
    assert_eq!(sids(rules, &req), [1, 3]);
    let req = Request { uri: b"/good".to_vec(), ..Request::default() };
    assert!(sids(rules, &req).is_empty());
}

#[test]
fn dotprefix_endswith_anchors_the_domain() {
    let rules = r#"alert http any any -> any any (http.host; dotprefix; content:".example.com"; endswith; sid:1;)"#;
    let host = |h: &[u8]| Request { host: h.to_vec(), ..Request::default() };
    assert_eq!(sids(rules, &host(b"example.com")), [1]);
    assert_eq!(sids(rules, &host(b"www.example.com")), [1]);
    assert!(sids(rules, &host(b"badexample.com")).is_empty());
    assert!(sids(rules, &host(b"example.com.evil")).is_empty());
}

#[test]
fn pcrexform_then_xor() {
    // As Suricata's detect-xor test: the data parameter is xored with
    // 0d0ac8ff, and the rule finds what it hides.
    let rules = r#"alert http any any -> any any (http.uri; content:"/get?data="; startswith; http.uri; pcrexform:"/get\?data=(.*)"; xor:"0d0ac8ff"; content:"password="; sid:1;)"#;
    let key = [0x0d, 0x0a, 0xc8, 0xff];
    let mut uri = b"/get?data=".to_vec();
    uri.extend(b"password=123456".iter().zip(key.iter().cycle()).map(|(b, k)| b ^ k));
    assert_eq!(sids(rules, &Request { uri, ..Request::default() }), [1]);
    let uri = b"/get?data=password=123456".to_vec();
    assert!(sids(rules, &Request { uri, ..Request::default() }).is_empty());
}

#[test]
fn whitespace_case_and_digest_transforms() {
    let rules = r#"alert http any any -> any any (http.request_body; strip_whitespace; to_lowercase; content:"eval(unescape("; sid:1;)
alert http any any -> any any (http.request_body; compress_whitespace; to_lowercase; content:"eval ( unescape"; sid:2;)
alert http any any -> any any (http.request_body; to_lowercase; content:"unescape"; sid:3;)
alert http any any -> any any (http.request_body; to_uppercase; content:"UNESCAPE"; sid:4;)
alert http any any -> any any (http.uri; to_sha256; content:"|ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad|"; bsize:32; sid:5;)
alert http any any -> any any (http.uri; to_md5; content:"|900150983cd24fb0d6963f7d28e17f72|"; sid:6;)
"#;
    let req = Request { uri: b"abc".to_vec(), body: b"eval  ( \t UnEscape('%u4141'))".to_vec(), ..Request::default() };
    assert_eq!(sids(rules, &req), [1, 2, 3, 4, 5, 6]);
    let req = Request { uri: b"abd".to_vec(), body: b"ev-al(un-escape".to_vec(), ..Request::default() };
    assert!(sids(rules, &req).is_empty());
}

#[test]
fn transform_rules_suricata_rejects() {
    for (opts, why) in [
        (r#"content:"x"; url_decode;"#, "no sticky buffer"),
        (r#"pkt_data; to_lowercase; content:"x";"#, "pkt_data is not transformable"),
        (r#"http.uri; strip_whitespace; content:"a b";"#, "content with whitespace"),
        (r#"http.uri; compress_whitespace; content:"a  b";"#, "content with a whitespace run"),
        (r#"http.uri; to_lowercase; content:"A";"#, "uppercase content"),
        (r#"http.uri; to_uppercase; content:"a";"#, "lowercase content"),
        (r#"http.uri; pcrexform:"no capture"; content:"a";"#, "pcrexform without a capture group"),
        (r#"http.uri; pcrexform:"(a)(b)"; content:"a";"#, "pcrexform with two capture groups"),
        (r#"http.uri; xor:"0d0"; content:"a";"#, "odd xor key"),
        (r#"http.uri; xor:"zz"; content:"a";"#, "xor key not hex"),
        (r#"http.uri; xor:"+f"; content:"a";"#, "xor key with a sign"),
        (r#"http.uri; url_decode:1; content:"a";"#, "url_decode with a value"),
    ] {
        let rule = format!("alert http any any -> any any ({opts} sid:1;)");
        assert!(Ruleset::from_text(&rule).is_err(), "{why}: {rule} loaded");
    }
    assert!(
        Ruleset::from_text(r#"alert http any any -> any any (http.uri; to_lowercase; content:"a"; sid:1;)"#).is_ok()
    );
}
