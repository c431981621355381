//! A TCP flow first seen at its SYN/ACK (the SYN missed) under
//! `stream.midstream`, `stream.midstream-policy` and the `exception-policy`
//! master switch, in the Suricata form of the command line. What is
//! expected is what Suricata 7.0.10 does with suricata-verify's
//! bug-5825-midstream-exception-policy, exception-policy-default-* and
//! exception-policy-master-switch-* captures, which start the same way.

use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

const CLIENT: [u8; 4] = [10, 1, 1, 1];
const SERVER: [u8; 4] = [10, 2, 2, 2];
const CPORT: u16 = 40000;
const SPORT: u16 = 80;

const SYN: u8 = 0x02;
const FIN: u8 = 0x01;
const PSH: u8 = 0x08;
const ACK: u8 = 0x10;

/// An Ethernet/IPv4/TCP frame (checksums left at zero: mirador, as
/// Suricata's `-k none`, does not check them).
fn frame(to_server: bool, flags: u8, seq: u32, ack: u32, payload: &[u8]) -> Vec<u8> {
    let (src, dst, sp, dp) = if to_server { (CLIENT, SERVER, CPORT, SPORT) } else { (SERVER, CLIENT, SPORT, CPORT) };
    let mut f = Vec::new();
    f.extend_from_slice(&[0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 0x08, 0x00]);
    let total = (20 + 20 + payload.len()) as u16;
    f.extend_from_slice(&[0x45, 0, (total >> 8) as u8, total as u8, 0, 1, 0x40, 0, 64, 6, 0, 0]);
    f.extend_from_slice(&src);
    f.extend_from_slice(&dst);
    f.extend_from_slice(&sp.to_be_bytes());
    f.extend_from_slice(&dp.to_be_bytes());
    f.extend_from_slice(&seq.to_be_bytes());
    f.extend_from_slice(&ack.to_be_bytes());
    f.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    f.extend_from_slice(payload);
    f
}

const REQUEST: &[u8] = b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n";
const RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nuid=0(root)\n";

/// The capture: an HTTP exchange from the server's SYN/ACK on, whose
/// response holds `uid=0(root)`.
fn synack_first() -> Vec<Vec<u8>> {
    let (c, s) = (5001u32, 1001u32);
    let (c2, s2) = (c + REQUEST.len() as u32, s + RESPONSE.len() as u32);
    vec![
        frame(false, SYN | ACK, s - 1, c, b""),
        frame(true, ACK, c, s, b""),
        frame(true, PSH | ACK, c, s, REQUEST),
        frame(false, ACK, s, c2, b""),
        frame(false, PSH | ACK, s, c2, RESPONSE),
        frame(true, ACK, c2, s2, b""),
        frame(true, FIN | ACK, c2, s2, b""),
        frame(false, FIN | ACK, s2, c2 + 1, b""),
        frame(true, ACK, c2 + 1, s2 + 1, b""),
    ]
}

/// A pcap file of these frames.
fn write_capture(path: &Path, frames: &[Vec<u8>]) {
    let mut out = Vec::new();
    out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    out.extend_from_slice(&[2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    out.extend_from_slice(&65535u32.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    for (i, f) in frames.iter().enumerate() {
        out.extend_from_slice(&1_704_067_200u32.to_le_bytes());
        out.extend_from_slice(&(i as u32 * 1000).to_le_bytes());
        out.extend_from_slice(&(f.len() as u32).to_le_bytes());
        out.extend_from_slice(&(f.len() as u32).to_le_bytes());
        out.extend_from_slice(f);
    }
    std::fs::write(path, out).unwrap();
}

/// The EVE records of a run on the SYN/ACK-first capture with these extra
/// arguments.
fn run(args: &[&str]) -> Vec<Value> {
    run_on(&synack_first(), args)
}

/// The EVE records of a run on these frames with these extra arguments.
fn run_on(frames: &[Vec<u8>], args: &[&str]) -> Vec<Value> {
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("capture.pcap");
    write_capture(&pcap, frames);
    let rules = dir.path().join("test.rules");
    std::fs::write(
        &rules,
        "alert tcp any any -> any any (msg:\"root\"; content:\"uid=0|28|root|29|\"; sid:1;)\n\
         alert http any any -> any any (msg:\"http\"; flow:to_server; sid:2;)\n",
    )
    .unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_mirador"))
        .args(args)
        .arg("-l")
        .arg(dir.path())
        .arg("-r")
        .arg(&pcap)
        .arg("-S")
        .arg(&rules)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let eve = std::fs::read_to_string(dir.path().join("eve.json")).unwrap();
    let recs: Vec<Value> = eve.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    // The new flow fields (bypassed, bypass, action drop) are documented.
    for r in &recs {
        let errors: Vec<String> = schema().iter_errors(r).map(|e| format!("{e} at {}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{args:?}: record does not match docs/eve.schema.json:\n{}\n{r}", errors.join("\n"));
    }
    recs.into_iter().filter(|r| r["event_type"] != "stats").collect()
}

fn schema() -> &'static jsonschema::Validator {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    V.get_or_init(|| {
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/eve.schema.json");
        let schema: Value = serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
        jsonschema::draft202012::new(&schema).expect("docs/eve.schema.json is a valid schema")
    })
}

fn of_type<'a>(recs: &'a [Value], t: &str) -> Vec<&'a Value> {
    recs.iter().filter(|r| r["event_type"] == t).collect()
}

fn sids(recs: &[Value]) -> Vec<u64> {
    of_type(recs, "alert").iter().map(|a| a["alert"]["signature_id"].as_u64().unwrap()).collect()
}

fn flow(recs: &[Value]) -> &Value {
    let flows = of_type(recs, "flow");
    assert_eq!(flows.len(), 1, "{recs:?}");
    flows[0]
}

/// The flow as Suricata leaves one it has no session for: oriented by its
/// first packet, no app layer, no TCP flags or state.
fn assert_sessionless(f: &Value) {
    assert_eq!(f["src_ip"], "10.2.2.2", "the SYN/ACK's sender stays the client: {f}");
    assert!(f.get("app_proto").is_none(), "{f}");
    assert_eq!(f["tcp"], serde_json::json!({"tcp_flags": "00", "tcp_flags_ts": "00", "tcp_flags_tc": "00"}));
    assert_eq!(f["flow"]["pkts_toserver"], 4, "{f}");
    assert_eq!(f["flow"]["pkts_toclient"], 5, "{f}");
}

#[test]
fn midstream_off_gives_no_session_but_packet_rules_still_match() {
    for args in [&[][..], &["--set", "exception-policy=auto"], &["--set", "stream.midstream-policy=ignore"]] {
        let recs = run(args);
        assert!(of_type(&recs, "http").is_empty(), "{args:?}");
        // The response's packet, seen "to server" in a flow its sender opened.
        let alerts = of_type(&recs, "alert");
        assert_eq!(sids(&recs), [1], "{args:?}");
        assert_eq!((alerts[0]["pcap_cnt"].as_u64(), alerts[0]["direction"].as_str()), (Some(5), Some("to_server")));
        let f = flow(&recs);
        assert_sessionless(f);
        assert_eq!((f["flow"]["state"].as_str(), f["flow"]["alerted"].as_bool()), (Some("new"), Some(true)));
        assert!(f["flow"].get("action").is_none());
    }
}

#[test]
fn midstream_on_picks_up_the_session_from_the_syn_ack() {
    let recs = run(&["--set", "stream.midstream=true"]);
    assert_eq!(of_type(&recs, "http").len(), 1);
    assert!(sids(&recs).contains(&1) && sids(&recs).contains(&2), "{:?}", sids(&recs));
    let f = flow(&recs);
    assert_eq!((f["src_ip"].as_str(), f["app_proto"].as_str()), (Some("10.1.1.1"), Some("http")));
    assert_eq!(f["tcp"]["state"], "closed");
    // An explicit ignore overrides a master switch.
    let recs = run(&[
        "--set",
        "stream.midstream=true",
        "--set",
        "exception-policy=bypass",
        "--set",
        "stream.midstream-policy=ignore",
    ]);
    assert_eq!(of_type(&recs, "http").len(), 1);
}

#[test]
fn bypass_leaves_the_flow_alone_midstream_on_or_off() {
    for args in [
        &["--set", "stream.midstream-policy=bypass"][..],
        &["--set", "stream.midstream=true", "--set", "exception-policy=bypass"],
        &["--simulate-ips", "--set", "exception-policy=bypass"],
    ] {
        let recs = run(args);
        assert_eq!(recs.len(), 1, "only the flow record: {args:?} {recs:?}");
        let f = flow(&recs);
        assert_sessionless(f);
        let fl = &f["flow"];
        assert_eq!(
            fl["bypassed"],
            serde_json::json!({"pkts_toserver": 0, "pkts_toclient": 0, "bytes_toserver": 0, "bytes_toclient": 0})
        );
        assert_eq!(
            (fl["bypass"].as_str(), fl["state"].as_str(), fl["action"].as_str(), fl["alerted"].as_bool()),
            (Some("local"), Some("bypassed"), Some("pass"), Some(false)),
            "{args:?}"
        );
    }
}

#[test]
fn pass_flow_stops_detection() {
    let recs = run(&["--set", "stream.midstream-policy=pass-flow"]);
    assert_eq!(recs.len(), 1, "{recs:?}");
    let f = flow(&recs);
    assert_sessionless(f);
    assert_eq!((f["flow"]["state"].as_str(), f["flow"]["action"].as_str()), (Some("new"), Some("pass")));
    assert!(f["flow"].get("bypass").is_none());
    // With midstream on the session is picked up: the app layer is
    // logged, nothing is detected.
    let recs = run(&["--set", "stream.midstream=true", "--set", "stream.midstream-policy=pass-flow"]);
    assert!(sids(&recs).is_empty(), "{recs:?}");
    assert_eq!(of_type(&recs, "http").len(), 1);
    assert_eq!(flow(&recs)["flow"]["action"], "pass");
}

#[test]
fn ips_mode_drops_what_it_cannot_pick_up() {
    // `auto` in IPS mode with midstream off is drop-flow.
    for args in [&["--simulate-ips"][..], &["--simulate-ips", "--set", "exception-policy=auto"]] {
        let recs = run(args);
        assert_eq!(recs.len(), 1, "{args:?} {recs:?}");
        let f = flow(&recs);
        assert_sessionless(f);
        assert_eq!((f["flow"]["state"].as_str(), f["flow"]["action"].as_str()), (Some("new"), Some("drop")));
    }
    // ... and ignore with midstream on.
    let recs = run(&["--simulate-ips", "--set", "stream.midstream=true"]);
    assert_eq!(of_type(&recs, "http").len(), 1);
    // A master switch that drops means nothing in IDS mode.
    let recs = run(&["--set", "exception-policy=drop-flow"]);
    assert_eq!(sids(&recs), [1]);
    assert!(flow(&recs)["flow"].get("action").is_none());
}

#[test]
fn a_session_first_seen_from_its_server_is_reversed_by_protocol_detection() {
    // The tail of the exchange: the response first, as suricata-verify's
    // alert-testmyids-midstream has it.
    let (c, s) = (5001u32, 1001u32);
    let s2 = s + RESPONSE.len() as u32;
    let frames = [
        frame(false, PSH | ACK, s, c, RESPONSE),
        frame(true, ACK, c, s2, b""),
        frame(true, FIN | ACK, c, s2, b""),
        frame(false, FIN | ACK, s2, c + 1, b""),
        frame(true, ACK, c + 1, s2 + 1, b""),
    ];
    let recs = run_on(&frames, &["--set", "stream.midstream=true"]);
    let f = flow(&recs);
    assert_eq!((f["src_ip"].as_str(), f["dest_port"].as_u64()), (Some("10.1.1.1"), Some(80)), "{f}");
    assert_eq!((f["flow"]["pkts_toserver"].as_u64(), f["flow"]["pkts_toclient"].as_u64()), (Some(3), Some(2)));
    assert_eq!((f["tcp"]["tcp_flags_ts"].as_str(), f["tcp"]["tcp_flags_tc"].as_str()), (Some("11"), Some("19")));
    let http = of_type(&recs, "http");
    assert_eq!(http.len(), 1, "{recs:?}");
    assert_eq!((http[0]["dest_port"].as_u64(), http[0]["http"]["status"].as_u64()), (Some(80), Some(200)));
    // The response's data, now going to the client.
    let root: Vec<_> = of_type(&recs, "alert").into_iter().filter(|a| a["alert"]["signature_id"] == 1).collect();
    assert_eq!(root.len(), 1, "{recs:?}");
    assert_eq!((root[0]["pcap_cnt"].as_u64(), root[0]["direction"].as_str()), (Some(4), Some("to_client")));
    // Without midstream there is no session to reverse: the first packet's
    // sender stays the client.
    let recs = run_on(&frames, &[]);
    assert_eq!(flow(&recs)["src_ip"], "10.2.2.2");
    assert!(of_type(&recs, "http").is_empty());
}
