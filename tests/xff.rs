//! eve-log alert `xff` (X-Forwarded-For) against Suricata 7's alerts on
//! fixtures/xff/xff.pcap, for both modes (extra-data, overwrite) and both
//! deployments (forward, reverse): fixtures/xff/expected.json, written by
//! the command in fixtures/xff/README.md.

use std::path::PathBuf;
use std::process::Command;

use serde_json::{json, Value};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// (sid, src_ip, dest_ip, alert.xff) of each alert, in sid order.
fn alerts(config: &str) -> Vec<Value> {
    let out = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_mirador"))
        .current_dir(root())
        .args(["-c", &format!("fixtures/xff/{config}.yaml"), "-k", "none"])
        .args(["-r", "fixtures/xff/xff.pcap", "-S", "fixtures/xff/xff.rules", "-l"])
        .arg(out.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let eve = std::fs::read_to_string(out.path().join("eve.json")).unwrap();
    let mut v: Vec<Value> = eve
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|r| r["event_type"] == "alert")
        .map(|r| {
            json!({"sid": r["alert"]["signature_id"], "src_ip": r["src_ip"], "dest_ip": r["dest_ip"],
                   "xff": r["alert"].get("xff").cloned().unwrap_or(Value::Null)})
        })
        .collect();
    v.sort_by_key(|a| a["sid"].as_u64());
    v
}

#[test]
fn xff_modes_and_deployments_equal_suricata() {
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("fixtures/xff/expected.json")).unwrap()).unwrap();
    let configs = expected.as_object().unwrap();
    assert_eq!(configs.len(), 4);
    for (config, want) in configs {
        let want = want.as_array().unwrap();
        assert_eq!(want.len(), 2, "{config}: a request and a response alert");
        assert_eq!(&alerts(config), want, "{config}");
    }
    // The fixture's header names the client first, then a proxy.
    assert_eq!(configs["xff-extra-data-forward"][0]["xff"], "10.2.2.2");
    assert_eq!(configs["xff-extra-data-reverse"][0]["xff"], "10.3.3.3");
}
