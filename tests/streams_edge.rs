//! TCP edge cases from real traffic (fixtures/streams-edge/, made by its
//! make.py) against Suricata 7's alerts on the same capture and rules
//! (fixtures/streams-edge/expected.json; the command is in its README.md).

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/streams-edge").join(name)
}

/// (sid, pcap_cnt, src_port, pkt_src) of each alert, sorted.
fn alerts(records: impl Iterator<Item = Value>) -> Vec<(u64, Option<u64>, u64, String)> {
    let mut v: Vec<_> = records
        .filter(|r| r["event_type"] == "alert")
        .map(|r| {
            (
                r["alert"]["signature_id"].as_u64().unwrap(),
                r["pcap_cnt"].as_u64(),
                r["src_port"].as_u64().unwrap(),
                r["pkt_src"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn forged_syns_unacked_request_pppoe_and_sessionless_packet_like_suricata() {
    let exp: Value = serde_json::from_str(&std::fs::read_to_string(fixture("expected.json")).unwrap()).unwrap();
    let want = alerts(exp["alerts"].as_array().unwrap().iter().cloned().map(|mut a| {
        a["alert"] = serde_json::json!({ "signature_id": a["signature_id"] });
        a["event_type"] = "alert".into();
        a
    }));
    assert_eq!(want.len(), 3, "Suricata alerts on the unACKed request, the PPPoE exchange and the sessionless packet");
    for threads in ["1", "2"] {
        let o = Command::new(env!("CARGO_BIN_EXE_mirador"))
            .args(["replay", "--threads", threads, "--no-behaviour", "--eve", "-", "-S"])
            .arg(fixture("streams-edge.rules"))
            .arg(fixture("streams-edge.pcap"))
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let out = String::from_utf8(o.stdout).unwrap();
        let got = alerts(out.lines().map(|l| serde_json::from_str(l).unwrap()));
        assert_eq!(got, want, "--threads {threads}");
    }
}

#[test]
fn make_py_reproduces_the_committed_capture() {
    let dir = tempfile::tempdir().unwrap();
    assert!(Command::new("python3").arg(fixture("make.py")).arg(dir.path()).status().unwrap().success());
    for f in ["streams-edge.pcap", "streams-edge.rules"] {
        assert_eq!(std::fs::read(dir.path().join(f)).unwrap(), std::fs::read(fixture(f)).unwrap(), "{f}");
    }
}
