//! `mirador mirror verify -r` on the fixtures made for each case
//! (fixtures/verify/, made by fixtures/verify/make_verify_fixtures.py; what
//! each holds is in fixtures/verify/README.md), and `--pcap-out` on replay
//! (issue 7, acceptance 2 and 3).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_mirador"))
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn verify(files: &[&str], json: bool) -> Output {
    let mut c = Command::new(bin());
    c.args(["mirror", "verify"]);
    for f in files {
        c.arg("-r").arg(root().join("fixtures/verify").join(f));
    }
    if json {
        c.arg("--json");
    }
    c.output().expect("mirador runs")
}

fn verify_json(files: &[&str]) -> (Option<i32>, Value) {
    let out = verify(files, true);
    let text = String::from_utf8_lossy(&out.stdout);
    (out.status.code(), serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}")))
}

/// The session with this encapsulation and VNI.
fn session<'a>(v: &'a Value, encap: &str, vni: u64) -> &'a Value {
    v["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["encapsulation"] == encap && s["vni"] == vni)
        .unwrap_or_else(|| panic!("no session {encap} {vni} in {}", v["sessions"]))
}

fn vnis(v: &Value) -> Vec<(String, u64, u64)> {
    v["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (s["encapsulation"].as_str().unwrap().into(), s["vni"].as_u64().unwrap(), s["packets"].as_u64().unwrap())
        })
        .collect()
}

fn n(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a count: {v}"))
}

#[test]
fn sessions_per_vni_and_encapsulation() {
    let (code, v) = verify_json(&["sessions.pcap"]);
    assert_eq!(code, Some(0));
    assert_eq!(
        vnis(&v),
        [("GENEVE".into(), 0, 2), ("VXLAN".into(), 100, 10), ("VXLAN".into(), 200, 4), ("VXLAN".into(), 300, 8)]
    );
    assert_eq!((n(&v["packets"]), n(&v["tunnelled"])), (24, 24));
    let s200 = session(&v, "VXLAN", 200);
    assert_eq!(s200["inner_protocols"], serde_json::json!({"ICMP": 2, "UDP": 2}));
    assert_eq!(s200["sources"][0]["ip"], "172.31.10.21");
    let s100 = session(&v, "VXLAN", 100);
    assert_eq!(s100["inner_protocols"], serde_json::json!({"TCP": 10}));
    let top: Vec<&str> = s100["top_endpoints"].as_array().unwrap().iter().map(|e| e["ip"].as_str().unwrap()).collect();
    assert_eq!(top, ["10.0.0.5", "93.184.216.34"]);
    // Outer bytes on the wire: 10 inner frames of basic.pcap plus 50 bytes each.
    assert_eq!(n(&s100["bytes"]), 764 + 10 * 50);
    let v6 = session(&v, "VXLAN", 300);
    assert_eq!(v6["top_endpoints"][0]["ip"], "2001:db8::5");
    let gwlb = session(&v, "GENEVE", 0);
    assert_eq!(gwlb["sources"][0]["ip"], "172.31.0.50");
    assert_eq!(gwlb["inner_protocols"], serde_json::json!({"UDP": 2}));
    for s in v["sessions"].as_array().unwrap() {
        assert_eq!((n(&s["truncated"]), n(&s["outer_fragments"]), n(&s["duplicates"])), (0, 0, 0), "{s}");
    }
    assert_eq!(n(&v["not_tunnelled"]["packets"]), 0);
    assert_eq!(v["ok"], true);
}

#[test]
fn truncation_by_the_session_packet_length() {
    let (code, v) = verify_json(&["truncated.pcap"]);
    assert_eq!(code, Some(0));
    let s = session(&v, "VXLAN", 400);
    assert_eq!((n(&s["packets"]), n(&s["truncated"]), n(&s["truncated_at"])), (10, 2, 128));
    assert!(v["hints"].as_array().unwrap().iter().any(|h| h.as_str().unwrap().contains("packet length")));
}

#[test]
fn outer_fragments_are_reassembled_and_counted() {
    let (code, v) = verify_json(&["fragments.pcap"]);
    assert_eq!(code, Some(0));
    let s = session(&v, "VXLAN", 500);
    // SYN whole, 2 + 3 fragments reassembled (the 3 in reverse order), 1
    // fragment of a packet whose other piece never came.
    assert_eq!(n(&s["packets"]), 3);
    assert_eq!(n(&s["outer_fragments"]), 6);
    assert_eq!(n(&s["incomplete_fragments"]), 1);
    assert_eq!(s["inner_protocols"], serde_json::json!({"TCP": 3}));
    assert_eq!(n(&v["packets"]), 7);
    assert_eq!(n(&v["not_tunnelled"]["packets"]), 0);
}

#[test]
fn duplicates_from_both_ends_mirrored() {
    let (code, v) = verify_json(&["duplicates.pcap"]);
    assert_eq!(code, Some(0));
    let (a, b) = (session(&v, "VXLAN", 600), session(&v, "VXLAN", 601));
    assert_eq!((n(&a["packets"]), n(&b["packets"])), (9, 9));
    // Client packets (5, and the repeat 2 s later) reach 601 second; the
    // server's 3 reach 600 second. The repeat's first copy is no duplicate.
    assert_eq!((n(&a["duplicates"]), n(&b["duplicates"])), (3, 6));
    assert_eq!(n(&v["duplicates"]["packets"]), 9);
    let pairs: Vec<(u64, u64, u64)> = v["duplicates"]["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (n(&p["first"]["vni"]), n(&p["second"]["vni"]), n(&p["packets"])))
        .collect();
    assert_eq!(pairs, [(600, 601, 6), (601, 600, 3)]);
}

#[test]
fn nothing_tunnelled_exits_non_zero_with_a_hint() {
    let (code, v) = verify_json(&["untunnelled.pcap"]);
    assert_eq!(code, Some(3));
    assert_eq!(v["ok"], false);
    assert_eq!(v["sessions"], serde_json::json!([]));
    let p = &v["not_tunnelled"];
    assert_eq!((n(&p["packets"]), n(&p["non_ip"]), n(&p["bad_tunnel_header"])), (6, 1, 1));
    assert_eq!(p["protocols"], serde_json::json!({"TCP": 3, "UDP": 2, "non-IP": 1}));
    let out = verify(&["untunnelled.pcap"], false);
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("security group must allow UDP 4789"), "{err}");
}

#[test]
fn mixed_capture_adds_up_and_reads_as_a_table() {
    let (code, v) = verify_json(&["mixed.pcap"]);
    assert_eq!(code, Some(0));
    let parts = ["sessions.pcap", "truncated.pcap", "fragments.pcap", "duplicates.pcap", "untunnelled.pcap"];
    let (_, together) = verify_json(&parts);
    assert_eq!(vnis(&v), vnis(&together));
    assert_eq!(n(&v["packets"]), 24 + 10 + 7 + 18 + 6);
    assert_eq!(n(&v["tunnelled"]), 24 + 10 + 3 + 18);
    assert_eq!(n(&v["duplicates"]["packets"]), 9);

    let out = verify(&["mixed.pcap"], false);
    let text = String::from_utf8_lossy(&out.stdout);
    for want in
        ["VXLAN", "GENEVE", "cut at 128 bytes", "not tunnelled: 6 packets", "6 first in VXLAN 600, again in VXLAN 601"]
    {
        assert!(text.contains(want), "missing '{want}' in:\n{text}");
    }
}

#[test]
fn fixtures_are_reproducible() {
    let dir = tempfile::tempdir().unwrap();
    let script = root().join("fixtures/verify/make_verify_fixtures.py");
    let Ok(st) = Command::new("python3").arg(&script).arg(dir.path()).stdout(std::process::Stdio::null()).status()
    else {
        eprintln!("skipping fixtures_are_reproducible: no python3");
        return;
    };
    assert!(st.success());
    for f in ["sessions", "truncated", "fragments", "duplicates", "untunnelled", "mixed"] {
        let name = format!("{f}.pcap");
        let made = std::fs::read(dir.path().join(&name)).unwrap();
        let kept = std::fs::read(root().join("fixtures/verify").join(&name)).unwrap();
        assert!(made == kept, "fixtures/verify/{name} differs from what the script makes");
    }
}

/// (seconds, microseconds, captured bytes) of each record of a pcap file
/// written in this machine's byte order or read from the fixtures (LE).
fn pcap_records(path: &Path) -> Vec<(u32, u32, Vec<u8>)> {
    let b = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let le = b[..4] == [0xd4, 0xc3, 0xb2, 0xa1];
    assert!(le || b[..4] == [0xa1, 0xb2, 0xc3, 0xd4], "{}: not a microsecond pcap", path.display());
    let word = |at: usize| {
        let a = [b[at], b[at + 1], b[at + 2], b[at + 3]];
        if le {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        }
    };
    assert_eq!(word(20), 1, "link type Ethernet");
    let mut at = 24;
    let mut out = Vec::new();
    while at + 16 <= b.len() {
        let len = word(at + 8) as usize;
        out.push((word(at), word(at + 4), b[at + 16..at + 16 + len].to_vec()));
        at += 16 + len;
    }
    out
}

fn replay_pcap_out(fixture: &str, dir: &Path, extra: &[&str]) -> (Output, PathBuf) {
    let out = dir.join("inner.pcap");
    let o = Command::new(bin())
        .args(["replay", "--eve"])
        .arg(dir.join("eve.json"))
        .arg("--pcap-out")
        .arg(&out)
        .args(extra)
        .arg(root().join("fixtures").join(fixture))
        .output()
        .unwrap();
    (o, out)
}

#[test]
fn pcap_out_holds_exactly_the_inner_frames() {
    let basic = pcap_records(&root().join("fixtures/basic.pcap"));
    for fixture in ["vxlan.pcap", "geneve.pcap", "geneve-vxlan.pcap", "basic.pcap"] {
        let dir = tempfile::tempdir().unwrap();
        let (o, path) = replay_pcap_out(fixture, dir.path(), &[]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert_eq!(pcap_records(&path), basic, "--pcap-out of {fixture}");
        // tcpdump opens it and sees the inner conversation, when installed.
        if let Ok(td) = Command::new("tcpdump").arg("-nn").arg("-r").arg(&path).output() {
            assert!(td.status.success(), "tcpdump -r: {}", String::from_utf8_lossy(&td.stderr));
            let text = String::from_utf8_lossy(&td.stdout);
            assert_eq!(text.lines().count(), 24);
            assert!(text.contains("10.0.0.5.49152 > 93.184.216.34.80"), "{text}");
            assert!(!text.contains("4789") && !text.contains("6081"), "outer headers left in:\n{text}");
        }
    }
}

#[test]
fn pcap_out_of_truncated_frames_keeps_their_length() {
    let dir = tempfile::tempdir().unwrap();
    let (o, path) = replay_pcap_out("verify/truncated.pcap", dir.path(), &[]);
    assert!(o.status.success());
    let frames = pcap_records(&path);
    assert_eq!(frames.len(), 10);
    assert_eq!(frames.iter().filter(|f| f.2.len() == 128).count(), 2);
    // The record header keeps the original length (155 and 161 bytes).
    let raw = std::fs::read(&path).unwrap();
    let le = raw[..4] == [0xd4, 0xc3, 0xb2, 0xa1];
    let mut at = 24;
    let mut orig = Vec::new();
    while at + 16 <= raw.len() {
        let f = |x: usize| {
            let a = [raw[x], raw[x + 1], raw[x + 2], raw[x + 3]];
            if le {
                u32::from_le_bytes(a)
            } else {
                u32::from_be_bytes(a)
            }
        };
        orig.push((f(at + 8), f(at + 12)));
        at += 16 + f(at + 8) as usize;
    }
    assert!(orig.contains(&(128, 155)) && orig.contains(&(128, 161)), "{orig:?}");
}

#[test]
fn pcap_out_limit_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    let (o, _) = replay_pcap_out("vxlan.pcap", dir.path(), &["--pcap-out-limit", "100"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("below the minimum"));
    let (o, _) = replay_pcap_out("vxlan.pcap", dir.path(), &["--pcap-out-limit", "ten"]);
    assert!(!o.status.success());
}
