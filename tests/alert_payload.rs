//! Optional alert fields (`payload`, `payload_printable`, `stream`, `packet`,
//! `packet_info`) against Suricata 7's records for the same captures, rules
//! and configuration (fixtures/expected/alert-payload.json, written by
//! fixtures/expected/make_payload_expected.sh): packet matches log the
//! packet payload, stream matches the reassembled data, and a datagram
//! rebuilt from fragments is logged behind its capture's link header.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

const FIELDS: [&str; 5] = ["payload", "payload_printable", "stream", "packet", "packet_info"];

/// The alerts of one capture, reduced to the signature and the fields.
fn mirador_alerts(pcap: &str, config: Option<&str>) -> Vec<Value> {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mirador"));
    cmd.current_dir(root()).args(["replay", "--threads", "1", "--no-behaviour", "--eve", "-"]);
    if let Some(c) = config {
        cmd.args(["-c", c]);
    }
    let o = cmd.args(["-S", "fixtures/defrag/defrag.rules"]).arg(format!("fixtures/defrag/{pcap}")).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut out: Vec<Value> = String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|r| r["event_type"] == "alert")
        .map(|r| {
            let mut m = serde_json::Map::new();
            m.insert("signature_id".into(), r["alert"]["signature_id"].clone());
            for k in FIELDS {
                if let Some(v) = r.get(k) {
                    m.insert(k.into(), v.clone());
                }
            }
            Value::Object(m)
        })
        .collect();
    out.sort_by_key(|a| a["signature_id"].as_u64());
    out
}

#[test]
fn payload_and_packet_fields_equal_suricata() {
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("fixtures/expected/alert-payload.json")).unwrap())
            .unwrap();
    let captures = expected["captures"].as_object().unwrap();
    assert_eq!(captures.len(), 4);
    for (pcap, alerts) in captures {
        let mut want = alerts.as_array().unwrap().clone();
        want.sort_by_key(|a| a["signature_id"].as_u64());
        assert!(!want.is_empty());
        let got = mirador_alerts(pcap, Some("fixtures/expected/suricata-payload.yaml"));
        assert_eq!(got, want, "{pcap}");
    }
}

#[test]
fn fields_are_off_without_the_configuration() {
    for a in mirador_alerts("ipv4-tcp-http.pcap", None) {
        for k in FIELDS {
            assert!(a.get(k).is_none(), "{k} written by default: {a}");
        }
    }
}
