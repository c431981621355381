//! Mirror-aware enrichment end to end: `mirador replay --mirror-state FILE`
//! puts the mirror session (`mirror.source_instance` ...) on the records of
//! the VNI the state file names, and on no other.
//!
//! The fixtures carry VNI 4242 (vxlan.pcap), 777 (geneve.pcap) and 4242
//! inside GENEVE (geneve-vxlan.pcap, the Gateway Load Balancer shape); see
//! fixtures/README.md.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A state file as `mirador mirror up` writes it (format 1): session
/// tms-web has VNI 4242, tms-db has VNI 5000 (not in any fixture).
const STATE: &str = r#"{
  "format": 1, "name": "web-prod", "region": "us-east-1", "epoch": 0, "updated_unix": 1764460800,
  "target": { "id": "tmt-0123", "kind": "network-interface", "resource": "eni-0sensor",
              "ip": "10.0.1.20", "instance_id": "i-0sensor" },
  "filter": null,
  "sessions": [
    { "id": "tms-web", "source_eni": "eni-0web", "instance_id": "i-0web", "source_ip": "10.0.1.7",
      "vni": 4242, "session_number": 1, "packet_length": null, "target_id": "tmt-0123", "filter_id": "tmf-1" },
    { "id": "tms-db", "source_eni": "eni-0db", "instance_id": "i-0db", "source_ip": "10.0.1.8",
      "vni": 5000, "session_number": 1, "packet_length": null, "target_id": "tmt-0123", "filter_id": "tmf-1" }
  ]
}"#;

fn replay(pcap: &str, extra: &[&str]) -> Vec<Value> {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("mirror-state.json");
    std::fs::write(&state, STATE).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_mirador"))
        .args(["replay", "--no-behaviour", "--threads", "1", "--eve", "-", "--eve-types", "alert,flow"])
        .args(extra)
        .arg("--mirror-state")
        .arg(&state)
        .arg(root().join("fixtures").join(pcap))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn alerts(recs: &[Value]) -> impl Iterator<Item = &Value> {
    recs.iter().filter(|r| r["event_type"] == "alert")
}

#[test]
fn records_of_the_mapped_vni_name_the_instance() {
    for pcap in ["vxlan.pcap", "geneve-vxlan.pcap"] {
        let recs = replay(pcap, &[]);
        assert!(alerts(&recs).count() >= 5, "{pcap}: too few alerts to mean anything");
        for r in alerts(&recs) {
            assert_eq!(r["tunnel"]["vni"], 4242, "{pcap}");
            let m = &r["mirror"];
            assert_eq!(m["source_instance"], "i-0web", "{pcap}: {r}");
            assert_eq!(m["session_id"], "tms-web");
            assert_eq!(m["source_eni"], "eni-0web");
            assert_eq!(m["target_id"], "tmt-0123");
        }
        let flows: Vec<&Value> = recs.iter().filter(|r| r["event_type"] == "flow").collect();
        assert!(!flows.is_empty(), "{pcap}: flow records");
        for f in flows {
            assert_eq!(f["tunnel"]["vni"], 4242);
            assert_eq!(f["mirror"]["source_instance"], "i-0web", "{pcap}: {f}");
        }
    }
}

#[test]
fn other_vnis_and_plain_traffic_are_not_enriched() {
    // VNI 777 is not in the state file; its outer source is not a session's.
    let recs = replay("geneve.pcap", &[]);
    assert!(alerts(&recs).count() >= 5);
    for r in &recs {
        assert!(r.get("mirror").is_none(), "geneve.pcap (VNI 777) must not be enriched: {r}");
    }
    let recs = replay("basic.pcap", &[]);
    assert!(alerts(&recs).count() >= 5);
    assert!(recs.iter().all(|r| r.get("mirror").is_none() && r.get("tunnel").is_none()));
}

#[test]
fn a_broken_state_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    std::fs::write(&state, "{\"sessions\": [{\"vni\": \"x\"}]}").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_mirador"))
        .args(["replay", "--eve", "-", "--mirror-state"])
        .arg(&state)
        .arg(root().join("fixtures/vxlan.pcap"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("mirror state") && err.contains(&*state.to_string_lossy()), "{err}");
}

/// The state file the provisioner writes (mirador_mirror::MirrorState) is
/// the one the engine reads: serialize one with the mirror crate, replay
/// with it.
#[cfg(feature = "aws")]
#[test]
fn the_provisioners_state_file_is_read_by_the_engine() {
    use mirador_mirror::{MirrorState, StateSession};
    let state = MirrorState {
        format: mirador_mirror::state::STATE_FORMAT,
        name: "web-prod".into(),
        region: Some("us-east-1".into()),
        epoch: 0,
        updated_unix: 0,
        target: None,
        filter: None,
        sessions: vec![StateSession {
            id: "tms-1".into(),
            source_eni: "eni-1".into(),
            instance_id: Some("i-from-mirror-crate".into()),
            source_ip: None,
            vni: Some(4242),
            session_number: 1,
            packet_length: None,
            target_id: "tmt-1".into(),
            filter_id: "tmf-1".into(),
        }],
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    std::fs::write(&path, serde_json::to_string_pretty(&state).unwrap()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_mirador"))
        .args(["replay", "--no-behaviour", "--eve", "-", "--mirror-state"])
        .arg(&path)
        .arg(root().join("fixtures/vxlan.pcap"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let recs: Vec<Value> =
        String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(!recs.is_empty());
    assert!(recs.iter().all(|r| r["mirror"]["source_instance"] == "i-from-mirror-crate"));
}
