//! Decoder events end to end: the malformed packets of
//! fixtures/decode-events/ (made by its make.py) through `mirador replay`
//! with `decode-event` rules, against Suricata 7's alerts on the same
//! capture with the same rules (fixtures/decode-events/expected.json; the
//! command is in that folder's README.md).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/decode-events").join(name)
}

/// Every EVE record `mirador replay` writes for the fixture.
fn replay(threads: usize, types: &str) -> Vec<Value> {
    let o = Command::new(env!("CARGO_BIN_EXE_mirador"))
        .args(["replay", "--threads", &threads.to_string(), "--no-behaviour", "--eve", "-"])
        .args(["--eve-types", types, "-S"])
        .arg(fixture("decode-events.rules"))
        .arg(fixture("decode-events.pcap"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap().lines().map(|l| serde_json::from_str(l).expect("JSON")).collect()
}

/// pcap_cnt -> sorted sids of the alerts on that packet.
fn by_packet(records: &[Value]) -> BTreeMap<String, Vec<u64>> {
    let mut m: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for r in records.iter().filter(|r| r["event_type"] == "alert") {
        let n = r["pcap_cnt"].as_u64().expect("pcap_cnt").to_string();
        m.entry(n).or_default().push(r["alert"]["signature_id"].as_u64().unwrap());
    }
    m.values_mut().for_each(|v| v.sort_unstable());
    m
}

#[test]
fn alerts_equal_suricata_per_packet_at_any_thread_count() {
    let expected: BTreeMap<String, Vec<u64>> =
        serde_json::from_str(&std::fs::read_to_string(fixture("expected.json")).unwrap()).unwrap();
    assert_eq!(expected.len(), 17, "every malformed packet alerts in Suricata's run");
    for threads in [1, 2] {
        assert_eq!(by_packet(&replay(threads, "alert")), expected, "--threads {threads}");
    }
}

#[test]
fn anomaly_records_name_each_event_as_suricata_does() {
    let records = replay(1, "alert,anomaly");
    let anomalies: Vec<&Value> = records.iter().filter(|r| r["event_type"] == "anomaly").collect();
    // One record per event raised; every alert's event has its record.
    let rules = std::fs::read_to_string(fixture("decode-events.rules")).unwrap();
    for a in records.iter().filter(|r| r["event_type"] == "alert") {
        let sid = a["alert"]["signature_id"].as_u64().unwrap();
        let line = rules.lines().find(|l| l.contains(&format!("sid:{sid};"))).unwrap();
        let name = line.split("decode-event:").nth(1).unwrap().split(';').next().unwrap();
        let event = format!("decoder.{name}");
        assert!(
            anomalies.iter().any(|r| r["pcap_cnt"] == a["pcap_cnt"]
                && r["anomaly"]["type"] == "decode"
                && r["anomaly"]["event"] == event),
            "no anomaly record {event} for packet {}",
            a["pcap_cnt"]
        );
    }
    // The clean first packet has none; the truncated TCP header keeps the
    // addresses but has no ports.
    assert!(anomalies.iter().all(|r| r["pcap_cnt"] != 1));
    let tcp = anomalies.iter().find(|r| r["anomaly"]["event"] == "decoder.tcp.pkt_too_small").unwrap();
    assert_eq!((tcp["src_ip"].as_str(), tcp["proto"].as_str()), (Some("10.1.0.1"), Some("TCP")));
    assert!(tcp.get("src_port").is_none());
    // Off by default.
    assert!(replay(1, "alert").iter().all(|r| r["event_type"] != "anomaly"));
}

#[test]
fn make_py_reproduces_the_committed_capture_and_rules() {
    let dir = tempfile::tempdir().unwrap();
    let ok = Command::new("python3").arg(fixture("make.py")).arg(dir.path()).status().unwrap().success();
    assert!(ok);
    for f in ["decode-events.pcap", "decode-events.rules"] {
        assert_eq!(std::fs::read(dir.path().join(f)).unwrap(), std::fs::read(fixture(f)).unwrap(), "{f}");
    }
}

#[test]
fn stats_record_counts_packets_invalid_and_alerts() {
    let records = replay(2, "alert,stats");
    let stats: Vec<&Value> = records.iter().filter(|r| r["event_type"] == "stats").collect();
    assert_eq!(stats.len(), 1, "one stats record at the end");
    let s = &stats[0]["stats"];
    assert_eq!(s["decoder"]["pkts"], 18);
    // The invalid packets: three unreadable TCP headers, one UDP, and the
    // IPv6 extension header chain cut short.
    assert_eq!(s["decoder"]["invalid"], 5);
    let alerts = records.iter().filter(|r| r["event_type"] == "alert").count();
    assert_eq!(s["detect"]["alert"], alerts as u64);
}
