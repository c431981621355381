//! Protocol detection per direction, end to end through the replay
//! pipeline: a UDP flow whose first datagram is a DNS answer is reversed, a
//! junk first request does not fail a flow the answer names DNS, and a TCP
//! session whose sides name different protocols raises a `proto_detect`
//! anomaly. Expected records are Suricata 7.0.10's on the same exchanges
//! (verification-suite tests dns-reversed-udp-1, dns-udp-junkrequest-first
//! and output-eve-anomaly-02).

use mirador_engine::decode::LinkType;
use mirador_engine::detect::Ruleset;
use mirador_engine::output::records::EveTypes;
use mirador_engine::output::VecSink;
use mirador_engine::pipeline::{EngineConfig, Replay};
use mirador_engine::source::{Record, Timestamp};
use serde_json::Value;

const CLIENT: [u8; 4] = [10, 16, 1, 11];
const SERVER: [u8; 4] = [10, 16, 1, 1];

fn checksum(data: &[u8], init: u32) -> u16 {
    let mut sum = init;
    for w in data.chunks(2) {
        sum += u32::from(u16::from_be_bytes([w[0], *w.get(1).unwrap_or(&0)]));
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// A raw IPv4 packet carrying `l4` (a UDP or TCP header and payload whose
/// checksum field is filled in here).
fn ipv4(src: [u8; 4], dst: [u8; 4], proto: u8, mut l4: Vec<u8>) -> Vec<u8> {
    let total = 20 + l4.len();
    let mut ip = vec![0x45, 0, (total >> 8) as u8, total as u8, 0, 1, 0x40, 0, 64, proto, 0, 0];
    ip.extend_from_slice(&src);
    ip.extend_from_slice(&dst);
    let c = checksum(&ip, 0);
    ip[10..12].copy_from_slice(&c.to_be_bytes());
    let mut pseudo = Vec::new();
    pseudo.extend_from_slice(&src);
    pseudo.extend_from_slice(&dst);
    pseudo.extend_from_slice(&[0, proto, (l4.len() >> 8) as u8, l4.len() as u8]);
    let init = pseudo.chunks(2).map(|w| u32::from(u16::from_be_bytes([w[0], w[1]]))).sum();
    let at = if proto == 17 { 6 } else { 16 };
    let c = checksum(&l4, init);
    l4[at..at + 2].copy_from_slice(&c.to_be_bytes());
    ip.extend_from_slice(&l4);
    ip
}

fn udp(src: ([u8; 4], u16), dst: ([u8; 4], u16), payload: &[u8]) -> Vec<u8> {
    let len = 8 + payload.len();
    let mut l4 = Vec::new();
    l4.extend_from_slice(&src.1.to_be_bytes());
    l4.extend_from_slice(&dst.1.to_be_bytes());
    l4.extend_from_slice(&(len as u16).to_be_bytes());
    l4.extend_from_slice(&[0, 0]);
    l4.extend_from_slice(payload);
    ipv4(src.0, dst.0, 17, l4)
}

fn tcp(src: ([u8; 4], u16), dst: ([u8; 4], u16), seq: u32, ack: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
    let mut l4 = Vec::new();
    l4.extend_from_slice(&src.1.to_be_bytes());
    l4.extend_from_slice(&dst.1.to_be_bytes());
    l4.extend_from_slice(&seq.to_be_bytes());
    l4.extend_from_slice(&ack.to_be_bytes());
    l4.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    l4.extend_from_slice(payload);
    ipv4(src.0, dst.0, 6, l4)
}

/// Replays `frames` (one per millisecond) with every record type on and
/// returns the records, stats left out.
fn replay(frames: &[Vec<u8>]) -> Vec<Value> {
    replay_with(frames, "", false)
}

/// [`replay`] with rules and `detect.guess-applayer-tx`.
fn replay_with(frames: &[Vec<u8>], rules: &str, guess_applayer_tx: bool) -> Vec<Value> {
    let rules = Ruleset::from_text(rules).expect("rules load");
    let cfg = EngineConfig {
        eve_types: EveTypes {
            alert: true,
            flow: true,
            dns: true,
            http: true,
            anomaly_applayer: true,
            ..EveTypes::NONE
        },
        guess_applayer_tx,
        ..EngineConfig::default()
    };
    let mut r = Replay::new(&rules, &cfg);
    let mut sink = VecSink::default();
    for (i, f) in frames.iter().enumerate() {
        let ts = Timestamp { secs: 1_500_000_000, micros: 1000 * i as u32 };
        r.packet(&Record { ts, linktype: LinkType::Raw, data: f, orig_len: f.len() as u32 }, &mut sink);
    }
    r.finish(&mut sink);
    sink.0.iter().map(|l| serde_json::from_str(l).expect("JSON")).collect()
}

fn of_type<'a>(recs: &'a [Value], t: &str) -> Vec<&'a Value> {
    recs.iter().filter(|r| r["event_type"] == t).collect()
}

/// A DNS answer for `name` A with one address (QR set).
fn dns_answer(id: u16, name: &str) -> Vec<u8> {
    let mut m = id.to_be_bytes().to_vec();
    m.extend_from_slice(&[0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0]);
    for label in name.split('.') {
        m.push(label.len() as u8);
        m.extend_from_slice(label.as_bytes());
    }
    m.extend_from_slice(&[0, 0, 1, 0, 1]);
    m.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1]);
    m
}

fn dns_query(id: u16, name: &str) -> Vec<u8> {
    let mut m = id.to_be_bytes().to_vec();
    m.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    for label in name.split('.') {
        m.push(label.len() as u8);
        m.extend_from_slice(label.as_bytes());
    }
    m.extend_from_slice(&[0, 0, 1, 0, 1]);
    m
}

#[test]
fn udp_flow_opened_by_a_dns_answer_is_reversed() {
    let recs = replay(&[udp((SERVER, 53), (CLIENT, 41805), &dns_answer(7, "example.org"))]);
    let flows = of_type(&recs, "flow");
    assert_eq!(flows.len(), 1);
    let f = flows[0];
    assert_eq!((f["src_ip"].as_str(), f["src_port"].as_u64()), (Some("10.16.1.11"), Some(41805)));
    assert_eq!(f["app_proto"], "dns");
    assert_eq!((f["flow"]["pkts_toserver"].as_u64(), f["flow"]["pkts_toclient"].as_u64()), (Some(0), Some(1)));
    let dns = of_type(&recs, "dns");
    assert_eq!(dns.len(), 1, "{dns:?}");
    assert_eq!(dns[0]["dns"]["type"], "answer");
    assert_eq!(dns[0]["src_ip"], "10.16.1.11");
    assert_eq!(dns[0]["dest_ip"], "10.16.1.1");
}

#[test]
fn junk_first_request_leaves_the_flow_to_the_dns_answer() {
    // A header claiming hundreds of records in a few bytes: not DNS.
    let junk = b"\x30\x40\x02\x01\x03\x30\x0f\x02\x03\x00\x91\xc8\x02\x02\x05\xdc\x04\x01\x04\x02";
    let formerr = b"\x30\x40\x80\x81\x00\x00\x00\x00\x00\x00\x00\x00";
    let recs = replay(&[
        udp((CLIENT, 59075), (SERVER, 53), junk),
        udp((SERVER, 53), (CLIENT, 59075), formerr),
        udp((CLIENT, 59075), (SERVER, 53), &dns_query(9, "example.org")),
        udp((SERVER, 53), (CLIENT, 59075), &dns_answer(9, "example.org")),
    ]);
    let f = of_type(&recs, "flow")[0];
    assert_eq!(f["app_proto"], "dns");
    assert_eq!(f["app_proto_ts"], "failed");
    assert!(f.get("app_proto_tc").is_none());
    let queries: Vec<_> = of_type(&recs, "dns").into_iter().filter(|r| r["dns"]["type"] == "query").collect();
    assert_eq!(queries.len(), 1);
    assert_eq!(queries[0]["dns"]["rrname"], "example.org");
    // The FormErr answer was the flow's first transaction.
    assert_eq!(queries[0]["dns"]["tx_id"], 1);
}

#[test]
fn http_request_answered_by_ssh_is_a_proto_detect_mismatch() {
    let (c, s) = ((CLIENT, 32928), (SERVER, 22));
    let req = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    let banner = b"SSH-2.0-OpenSSH_7.4\r\n";
    let (syn, ack) = (tcp_flags::SYN, tcp_flags::ACK);
    let recs = replay(&[
        tcp(c, s, 100, 0, syn, b""),
        tcp(s, c, 500, 101, syn | ack, b""),
        tcp(c, s, 101, 501, ack, b""),
        tcp(c, s, 101, 501, ack | tcp_flags::PSH, req),
        tcp(s, c, 501, 101 + req.len() as u32, ack | tcp_flags::PSH, banner),
        tcp(c, s, 101 + req.len() as u32, 501 + banner.len() as u32, ack, b""),
    ]);
    let anomalies = of_type(&recs, "anomaly");
    let mismatch: Vec<_> =
        anomalies.iter().filter(|a| a["anomaly"]["event"] == "APPLAYER_MISMATCH_PROTOCOL_BOTH_DIRECTIONS").collect();
    assert_eq!(mismatch.len(), 1, "{anomalies:?}");
    let a = mismatch[0];
    assert_eq!(a["anomaly"]["layer"], "proto_detect");
    assert_eq!(a["anomaly"]["app_proto"], "http");
    assert!(a.get("tx_id").is_none(), "raised on a packet, not by a transaction");
    // Logged by the client's ACK that made the banner available.
    assert_eq!(a["src_ip"], "10.16.1.11");
    assert_eq!(a["pcap_cnt"], 6);
    let f = of_type(&recs, "flow")[0];
    assert_eq!((f["app_proto"].as_str(), f["app_proto_tc"].as_str()), (Some("http"), Some("ssh")));
}

#[test]
fn stream_match_names_the_guessed_dns_transaction() {
    let (c, s) = ((CLIENT, 36926), ([9, 9, 9, 9], 53));
    let frame = |m: Vec<u8>| {
        let mut f = (m.len() as u16).to_be_bytes().to_vec();
        f.extend_from_slice(&m);
        f
    };
    let (q, a) = (frame(dns_query(0, "example.org")), frame(dns_answer(0, "example.org")));
    let (syn, ack, psh) = (tcp_flags::SYN, tcp_flags::ACK, tcp_flags::PSH);
    let (cs, ss) = (101u32, 501u32);
    let frames = [
        tcp(c, s, 100, 0, syn, b""),
        tcp(s, c, 500, cs, syn | ack, b""),
        tcp(c, s, cs, ss, ack, b""),
        tcp(c, s, cs, ss, ack | psh, &q),
        tcp(s, c, ss, cs + q.len() as u32, ack, b""),
        tcp(s, c, ss, cs + q.len() as u32, ack | psh, &a),
        tcp(c, s, cs + q.len() as u32, ss + a.len() as u32, ack, b""),
        tcp(s, c, ss + a.len() as u32, cs + q.len() as u32, ack, b""),
    ];
    let rule = r#"alert dns any any -> any any (msg:"stream"; content:"example|03|org"; sid:1;)"#;
    let guessed = replay_with(&frames, rule, true);
    let alerts = of_type(&guessed, "alert");
    let to_server: Vec<_> = alerts.iter().filter(|a| a["direction"] == "to_server").collect();
    assert_eq!(to_server.len(), 1, "{alerts:?}");
    // The query, the first transaction the client's side had not inspected.
    assert_eq!((to_server[0]["tx_id"].as_u64(), to_server[0]["tx_guessed"].as_bool()), (Some(0), Some(true)));
    assert_eq!(to_server[0]["dns"]["query"][0]["rrname"], "example.org");
    // Without the setting a stream match names no transaction.
    let plain = replay_with(&frames, rule, false);
    assert!(!of_type(&plain, "alert").is_empty());
    assert!(of_type(&plain, "alert").iter().all(|a| a.get("tx_id").is_none() && a.get("tx_guessed").is_none()));
}

mod tcp_flags {
    pub const SYN: u8 = 0x02;
    pub const PSH: u8 = 0x08;
    pub const ACK: u8 = 0x10;
}
