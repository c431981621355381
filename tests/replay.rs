//! End-to-end: `mirador replay` on the bundled fixtures against Suricata 7's
//! alerts on the same captures (fixtures/expected/, made by
//! fixtures/expected/make_expected.sh; the exact Suricata command is in
//! fixtures/expected/README.md).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_mirador"))
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read_eve(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("valid JSON line"))
        .collect()
}

/// The identity of an alert: (sid, src, sport, dst, dport, proto).
fn key(v: &Value) -> (u64, String, u64, String, u64, String) {
    (
        v["alert"]["signature_id"].as_u64().unwrap(),
        v["src_ip"].as_str().unwrap().to_string(),
        v["src_port"].as_u64().unwrap_or(0),
        v["dest_ip"].as_str().unwrap().to_string(),
        v["dest_port"].as_u64().unwrap_or(0),
        v["proto"].as_str().unwrap().to_string(),
    )
}

fn replay_to_dir(pcap: &str, rules: Option<&str>) -> Vec<Value> {
    let out = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(bin());
    cmd.arg("replay");
    if let Some(r) = rules {
        cmd.arg("-S").arg(root().join(r));
    }
    let status = cmd.arg("-l").arg(out.path()).arg(root().join("fixtures").join(pcap)).status().unwrap();
    assert!(status.success());
    read_eve(&out.path().join("eve.json"))
}

fn sorted_keys(v: &[Value]) -> Vec<(u64, String, u64, String, u64, String)> {
    let mut k: Vec<_> = v.iter().map(key).collect();
    k.sort();
    k
}

fn object_keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    k.sort();
    k
}

fn check_against_suricata(name: &str) {
    let ours = replay_to_dir(&format!("{name}.pcap"), Some("rules/mirador.rules"));
    let theirs = read_eve(&root().join(format!("fixtures/expected/{name}.alerts.json")));
    assert_eq!(sorted_keys(&ours), sorted_keys(&theirs), "alerts differ from Suricata's on {name}.pcap");
    // Same order (packet order), same timestamps and field names.
    for (a, b) in ours.iter().zip(&theirs) {
        assert_eq!(a["timestamp"], b["timestamp"]);
        assert_eq!(a["pcap_cnt"], b["pcap_cnt"]);
        assert_eq!(object_keys(a), object_keys(b), "top-level fields of sid {}", key(a).0);
        assert_eq!(object_keys(&a["alert"]), object_keys(&b["alert"]));
        assert_eq!(a["alert"], b["alert"], "alert object");
        assert_eq!(a["direction"], b["direction"]);
        for f in ["pkts_toserver", "pkts_toclient", "bytes_toserver", "bytes_toclient", "start", "src_ip", "dest_ip"] {
            assert_eq!(a["flow"][f], b["flow"][f], "flow.{f} of sid {}", key(a).0);
        }
        if b.get("tunnel").is_some() {
            for f in ["src_ip", "src_port", "dest_ip", "dest_port", "proto", "depth", "pcap_cnt", "pkt_src"] {
                assert_eq!(a["tunnel"][f], b["tunnel"][f], "tunnel.{f}");
            }
            assert_eq!(a["pkt_src"], b["pkt_src"]);
        }
    }
}

#[test]
fn plain_ethernet_matches_suricata() {
    check_against_suricata("basic");
}

#[test]
fn vxlan_matches_suricata() {
    check_against_suricata("vxlan");
}

#[test]
fn geneve_matches_suricata() {
    check_against_suricata("geneve");
}

#[test]
fn geneve_around_vxlan_matches_suricata() {
    check_against_suricata("geneve-vxlan");
}

#[test]
fn wrapped_traffic_gives_the_same_alerts_with_the_vni() {
    let plain = replay_to_dir("basic.pcap", None);
    assert!(!plain.is_empty());
    for (pcap, vni, depth) in [("vxlan.pcap", 4242, 1), ("geneve.pcap", 777, 1), ("geneve-vxlan.pcap", 4242, 2)] {
        let w = replay_to_dir(pcap, None);
        assert_eq!(sorted_keys(&plain), sorted_keys(&w), "{pcap}");
        for a in &w {
            assert_eq!(a["tunnel"]["vni"], vni, "{pcap}");
            assert_eq!(a["tunnel"]["depth"], depth, "{pcap}");
        }
    }
}

#[test]
fn every_link_type_decodes() {
    let plain = sorted_keys(&replay_to_dir("basic.pcap", None));
    let pcapng = sorted_keys(&replay_to_dir("basic.pcapng", None));
    assert_eq!(plain, pcapng);
    // These link types cannot carry the two VLAN frames: 11 of 13 alerts.
    for f in ["basic-sll.pcap", "basic-sll2.pcap", "basic-null.pcap", "basic-raw.pcap"] {
        let got = sorted_keys(&replay_to_dir(f, None));
        assert_eq!(got.len(), 11, "{f}");
        assert!(got.iter().all(|k| plain.contains(k)), "{f}");
    }
}

#[test]
fn eve_to_stdout_and_summary_to_stderr() {
    let out =
        Command::new(bin()).args(["replay", "--eve", "-"]).arg(root().join("fixtures/basic.pcap")).output().unwrap();
    assert!(out.status.success());
    let lines = String::from_utf8(out.stdout).unwrap();
    assert_eq!(lines.lines().count(), 13);
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("24 packets") && err.contains("13 alerts"), "{err}");
}

#[test]
fn several_files_in_order() {
    let out = tempfile::tempdir().unwrap();
    let status = Command::new(bin())
        .args(["replay", "-l"])
        .arg(out.path())
        .arg(root().join("fixtures/basic.pcap"))
        .arg(root().join("fixtures/vxlan.pcap"))
        .status()
        .unwrap();
    assert!(status.success());
    let eve = read_eve(&out.path().join("eve.json"));
    assert_eq!(eve.len(), 26);
    assert!(eve[..13].iter().all(|v| v.get("tunnel").is_none()));
    assert!(eve[13..].iter().all(|v| v.get("tunnel").is_some()));
}

#[test]
fn suricata_compatible_form() {
    let out = tempfile::tempdir().unwrap();
    let cfg = out.path().join("s.yaml");
    std::fs::write(&cfg, "%YAML 1.1\n---\nvars:\n  address-groups:\n    HOME_NET: \"[10.0.0.0/8]\"\noutputs:\n  - fast:\n      enabled: yes\n").unwrap();
    let o = Command::new(bin())
        .arg("-c")
        .arg(&cfg)
        .args(["-k", "none", "--set", "stream.midstream=true", "--runmode", "single", "-v", "-l"])
        .arg(out.path())
        .arg("-r")
        .arg(root().join("fixtures/basic.pcap"))
        .arg("-S")
        .arg(root().join("rules/mirador.rules"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let err = String::from_utf8_lossy(&o.stderr);
    // `outputs` and `stream` are read (eve-log types, midstream); nothing
    // else in this file needs naming.
    assert!(!err.contains("ignored: outputs"), "{err}");
    // Without an eve-log output in the file, every event type is written,
    // as with Suricata's default configuration.
    let eve = read_eve(&out.path().join("eve.json"));
    assert_eq!(eve.iter().filter(|v| v["event_type"] == "alert").count(), 13);
    assert!(eve.iter().any(|v| v["event_type"] == "flow"));
    // fast.log beside it: one line per alert, in Suricata's format (the
    // same bytes as Suricata 7.0.10's fast.log for this capture).
    let fast = std::fs::read_to_string(out.path().join("fast.log")).unwrap();
    assert_eq!(fast.lines().count(), 13);
    assert!(fast.starts_with(
        "01/01/2024-00:00:00.003000  [**] [1:9000001:1] MIRADOR HTTP GET request with admin in the URI [**] \
         [Classification: Attempted Administrator Privilege Gain] [Priority: 1] {TCP} 10.0.0.5:49152 -> 93.184.216.34:80\n"
    ));
    let bad = Command::new(bin()).args(["--no-such-flag", "-r", "x.pcap"]).output().unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--no-such-flag"));
}

#[test]
fn rules_check_reports_and_exits_nonzero_on_rejects() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("t.rules");
    std::fs::write(
        &f,
        "alert tcp any any -> any any (msg:\"ok\"; content:\"a\"; sid:1;)\n\
         alert tcp any any -> any any (msg:\"bad\"; frobnicate; sid:2;)\n\
         alert tcp any any -> any any (msg:\"bad2\"; content:\"x\"; depth:0; sid:3;)\n",
    )
    .unwrap();
    let o = Command::new(bin()).args(["rules", "check"]).arg(&f).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.starts_with("1 rules loaded, 2 rejected\n"), "{text}");
    assert!(text.contains("unknown keyword 'frobnicate'"));
    assert!(text.contains("t.rules:2:42: sid 2: unknown keyword 'frobnicate'"), "{text}");
    let o = Command::new(bin()).args(["rules", "check", "--allow-rejects", "--json"]).arg(&f).output().unwrap();
    assert!(o.status.success());
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["loaded"], 1);
    assert_eq!(doc["rejected"], 2);
}

#[test]
fn truncated_capture_is_reported_and_processed_up_to_the_break() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(root().join("fixtures/basic.pcap")).unwrap();
    let cut = dir.path().join("cut.pcap");
    std::fs::write(&cut, &bytes[..bytes.len() - 30]).unwrap();
    let o = Command::new(bin()).args(["replay", "--eve", "-"]).arg(&cut).output().unwrap();
    assert!(o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("malformed after 23 records"), "{err}");
    assert_eq!(String::from_utf8_lossy(&o.stdout).lines().count(), 12);
    let junk = dir.path().join("junk.pcap");
    std::fs::write(&junk, b"this is not a capture file").unwrap();
    let o = Command::new(bin()).args(["replay", "--eve", "-"]).arg(&junk).output().unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a pcap or pcapng file"));
}

/// TCP packet versus stream inspection (fixtures/expected/stream.rules):
/// anchored contents on packets and stream, others on the stream once the
/// data is acknowledged, dsize/no_stream on packets only, header-only rules
/// once per flow direction. Suricata's alerts are in
/// fixtures/expected/stream.alerts.json.
#[test]
fn tcp_packet_and_stream_inspection_like_suricata() {
    let ours = replay_to_dir("basic.pcap", Some("fixtures/expected/stream.rules"));
    let theirs = read_eve(&root().join("fixtures/expected/stream.alerts.json"));
    let view = |v: &[Value]| -> Vec<(u64, u64, String, String)> {
        v.iter()
            .map(|a| {
                (
                    a["pcap_cnt"].as_u64().unwrap(),
                    a["alert"]["signature_id"].as_u64().unwrap(),
                    a["app_proto"].as_str().unwrap_or("").to_string(),
                    a["src_ip"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    assert_eq!(view(&ours), view(&theirs));
}

/// The set of alerts does not depend on the number of worker threads
/// (issue 6): many small flows across all keyword fixtures, 1, 2 and 4
/// threads.
#[test]
fn alerts_are_the_same_for_any_thread_count() {
    let mut pcaps: Vec<PathBuf> = std::fs::read_dir(root().join("fixtures/keywords"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "pcap"))
        .collect();
    pcaps.sort();
    pcaps.push(root().join("fixtures/basic.pcap"));
    pcaps.push(root().join("fixtures/geneve-vxlan.pcap"));
    let run = |threads: &str| -> Vec<String> {
        let out = Command::new(bin())
            .args(["replay", "--threads", threads, "--eve-types", "alert,flow,dns,http,tls", "--eve", "-", "-S"])
            .arg(root().join("fixtures/keywords/keywords.rules"))
            .args(&pcaps)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let mut lines: Vec<String> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| {
                // flow_id is derived from the flow, not the worker; keep it.
                l.to_string()
            })
            .collect();
        lines.sort();
        lines
    };
    let one = run("1");
    assert!(one.iter().filter(|l| l.contains("\"event_type\":\"alert\"")).count() > 50);
    assert_eq!(one, run("2"));
    assert_eq!(one, run("4"));
}
