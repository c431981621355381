//! The Community ID of every flow record against Suricata 7's for the same
//! captures and configuration (fixtures/expected/community-id.json, written
//! by fixtures/expected/make_community_id_expected.sh), and on the other
//! record types of the same flow.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn records(pcap: &str) -> Vec<Value> {
    let o = Command::new(env!("CARGO_BIN_EXE_mirador"))
        .current_dir(root())
        .args(["replay", "--threads", "2", "--no-behaviour", "--eve", "-"])
        .args(["-c", "fixtures/expected/suricata-community-id.yaml", "-S", "fixtures/expected/eve.rules"])
        .arg(pcap)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// "PROTO client:port server:port" (ICMP: type and code for the ports).
fn key(e: &Value) -> String {
    let port = |p: &str, icmp: &str| e.get(p).or_else(|| e.get(icmp)).map_or(String::new(), |v| v.to_string());
    format!(
        "{} {}:{} {}:{}",
        e["proto"].as_str().unwrap(),
        e["src_ip"].as_str().unwrap(),
        port("src_port", "icmp_type"),
        e["dest_ip"].as_str().unwrap(),
        port("dest_port", "icmp_code")
    )
}

#[test]
fn flow_records_carry_suricatas_community_id() {
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("fixtures/expected/community-id.json")).unwrap())
            .unwrap();
    for (pcap, ids) in expected["captures"].as_object().unwrap() {
        let path = match pcap.as_str() {
            "basic.pcap" => format!("fixtures/{pcap}"),
            _ => format!("fixtures/eve/{pcap}"),
        };
        let recs = records(&path);
        let got: BTreeMap<String, Value> =
            recs.iter().filter(|e| e["event_type"] == "flow").map(|e| (key(e), e["community_id"].clone())).collect();
        let want: BTreeMap<String, Value> = ids.as_object().unwrap().clone().into_iter().collect();
        assert_eq!(got, want, "{pcap}");
        // Alerts and protocol records of a flow carry its id.
        let by_flow: BTreeMap<u64, &Value> = recs
            .iter()
            .filter(|e| e["event_type"] == "flow")
            .map(|e| (e["flow_id"].as_u64().unwrap(), &e["community_id"]))
            .collect();
        for e in recs.iter().filter(|e| e["event_type"] != "flow") {
            assert_eq!(Some(&&e["community_id"]), by_flow.get(&e["flow_id"].as_u64().unwrap()), "{e}");
        }
    }
}
