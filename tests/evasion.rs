//! IDS evasion cases (fixtures/evasion/, made by its make.py) against
//! Suricata 7's alerts on the same captures and rules
//! (fixtures/evasion/expected.json, recorded by `make.py --suricata`; the
//! command is in its README.md). One test per capture; each names the
//! Suricata result it encodes.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

/// Captures where mirador is known to alert unlike Suricata, with why. The
/// test of such a case asserts that it still differs: when mirador is fixed
/// the test fails and the entry must go.
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[];

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/evasion").join(name)
}

/// Sorted (sid, pcap_cnt) of Suricata's alerts on `pcap`.
fn suricata(pcap: &str) -> Vec<(u64, Option<u64>)> {
    let exp: Value = serde_json::from_str(&std::fs::read_to_string(fixture("expected.json")).unwrap()).unwrap();
    let mut v: Vec<_> = exp["pcaps"][pcap]
        .as_array()
        .unwrap_or_else(|| panic!("{pcap} not in expected.json"))
        .iter()
        .map(|a| (a[0].as_u64().unwrap(), a[1].as_u64()))
        .collect();
    v.sort();
    v
}

/// Sorted (sid, pcap_cnt) of mirador's alerts on `pcap`.
fn mirador(pcap: &str) -> Vec<(u64, Option<u64>)> {
    let o = Command::new(env!("CARGO_BIN_EXE_mirador"))
        .args(["replay", "--threads", "1", "--no-behaviour", "--eve", "-", "-S"])
        .arg(fixture("evasion.rules"))
        .arg(fixture(pcap))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut v: Vec<_> = String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|r| r["event_type"] == "alert")
        .map(|r| (r["alert"]["signature_id"].as_u64().unwrap(), r["pcap_cnt"].as_u64()))
        .collect();
    v.sort();
    v
}

/// Checks that expected.json still says `want` (so the comment on each test
/// stays true), then compares mirador with it, or, for a known difference,
/// checks that mirador still differs.
fn check(pcap: &str, want: &[(u64, Option<u64>)]) {
    let exp = suricata(pcap);
    assert_eq!(exp, want, "{pcap}: expected.json changed; update the test and its comment");
    let got = mirador(pcap);
    match KNOWN_DIFFERENCES.iter().find(|(p, _)| *p == pcap) {
        Some((_, why)) => {
            assert_ne!(got, exp, "{pcap} now matches Suricata; remove it from KNOWN_DIFFERENCES (it was: {why})")
        }
        None => assert_eq!(got, exp, "{pcap}: mirador (left) vs Suricata 7 (right)"),
    }
}

/// Suricata: the stream keeps the first copy of the overlapping bytes, so the
/// first copy's URI and raw content alert (9300001, 9300003 at packet 9),
/// the later copy's do not.
#[test]
fn tcp_overlap_keeps_the_first_copy() {
    check("tcp-overlap.pcap", &[(9300001, Some(9)), (9300003, Some(9))]);
}

/// Suricata: the 8-byte fragments are reassembled; URI and raw content alert
/// (9300005, 9300006 at packet 18, the client's ACK of the response).
#[test]
fn tiny_fragments_are_reassembled() {
    check("tiny-fragments.pcap", &[(9300005, Some(18)), (9300006, Some(18))]);
}

/// Suricata: the TTL-1 decoy comes first and wins; only the decoy URI alerts
/// (9300008 at packet 8), the real request is hidden.
#[test]
fn ttl_decoy_hides_the_real_request() {
    check("ttl-games.pcap", &[(9300008, Some(8))]);
}

/// Suricata 7: urgent data stays inline; the URI with the urgent byte alerts
/// (9300011 at packet 7), the one without it does not.
#[test]
fn urgent_byte_stays_inline() {
    check("urgent-data.pcap", &[(9300011, Some(7))]);
}

/// Suricata: the request crossing 2^32 is reassembled; URI and raw content
/// alert (9300012, 9300013 at packet 8).
#[test]
fn sequence_wraparound_is_reassembled() {
    check("seq-wrap.pcap", &[(9300012, Some(8)), (9300013, Some(8))]);
}

/// Suricata: chunked wins over Content-Length, so the hidden request is a
/// request of its own; both URIs and the raw content alert (9300014,
/// 9300015, 9300016 at packet 8).
#[test]
fn smuggled_request_is_parsed() {
    check("http-smuggling.pcap", &[(9300014, Some(8)), (9300015, Some(8)), (9300016, Some(8))]);
}

/// Suricata: the query alerts (9300017 at packet 1) whatever the looping
/// response; the self-pointing query name still yields "hidden..." and alerts
/// (9300018 at packet 3, with too_many_labels).
#[test]
fn dns_compression_loop() {
    check("dns-loop.pcap", &[(9300017, Some(1)), (9300018, Some(3))]);
}

/// Suricata: the ClientHello is reassembled across the two records and the
/// SNI alerts (9300019 at packet 7); the raw SNI is cut by the record header
/// and 9300020 does not alert.
#[test]
fn tls_hello_split_over_records() {
    check("tls-split-hello.pcap", &[(9300019, Some(7))]);
}

#[test]
fn make_py_reproduces_the_committed_captures() {
    let dir = tempfile::tempdir().unwrap();
    assert!(Command::new("python3").arg(fixture("make.py")).arg(dir.path()).status().unwrap().success());
    let exp: Value = serde_json::from_str(&std::fs::read_to_string(fixture("expected.json")).unwrap()).unwrap();
    let mut files: Vec<String> = exp["pcaps"].as_object().unwrap().keys().cloned().collect();
    assert_eq!(files.len(), 8);
    files.push("evasion.rules".into());
    for f in &files {
        let bytes = std::fs::read(fixture(f)).unwrap();
        assert_eq!(std::fs::read(dir.path().join(f)).unwrap(), bytes, "{f}");
        assert!(bytes.len() < 20 * 1024, "{f} is over 20 KB");
    }
    let made = std::fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(made, files.len(), "make.py writes a capture that expected.json lacks");
}
