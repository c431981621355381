//! Keyword by keyword: mirador against Suricata 7.0.10, the oracle.
//!
//! Every case of `tests/keywords/cases.py` is a few rules and one small
//! generated capture, `fixtures/keywords/<case>.pcap`. The expected outcome of
//! every case, the subtle ones included (relative content chains, negative
//! distance, isdataat relative at the boundary, byte_jump from_beginning and
//! post_offset, pcre /R, flowbits ordering, threshold windows), is what
//! Suricata 7.0.10 did on that capture with that case's rules:
//! `tests/keywords/make.py` ran it and recorded, per packet, the sids that
//! alerted in `fixtures/keywords/expected.json` (exact commands in
//! `fixtures/keywords/README.md`). Nothing here is expected by hand.
//!
//! One test per group of cases (`content`, `pcre`, `byte_jump`, ...) replays
//! each case's capture through `mirador replay` with only that case's rules,
//! as Suricata was run, and reports every mismatch of the group at once: the
//! case, its rules, the packet and payload, Suricata's and mirador's alerts.
//!
//! [`KNOWN_DIFFERENCES`] names the cases where mirador is known to differ,
//! with the reason. They are printed but do not fail; an entry whose case
//! starts to agree fails (remove it), so the list only shrinks.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

/// Cases where mirador currently differs from Suricata, one line of reason
/// each. `parse:<name>` entries are cases of `parse.rules` (load or reject).
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[
    // Payload keywords.
    ("asn1_oversize", "asn1 on a truncated element: Suricata's decoder fails and does not match; mirador matches"),
    // Header keywords.
    // Stream and app layer (not built yet).
    ("tcp_stream_split_content", "no TCP reassembly: the pattern spans two segments"),
    ("ssl_version", "no TLS parser"),
    ("ssl_state", "no TLS parser"),
    ("ssh_softwareversion", "no SSH parser"),
    ("ftpbounce", "no FTP parser: mirador alerts on the PORT segment, Suricata on the ACK that lets it parse it"),
    ("file_data_close_delimited", "a FIN makes mirador deliver the segment's data at once (Stream::close); Suricata waits for the peer's ACK, so it parses the response body on the client's ACK and alerts on the next to-client packet (9), mirador on the FIN segment (6)"),
    // EVE.
    // parse.rules: Suricata rejects, mirador loads (unless noted).
];

/// Keywords of KEYWORDS.md's table that have no case yet, and why.
const PENDING_KEYWORDS: &[(&str, &str)] = &[];

/// One test per group of cases; the group names are those of cases.py.
macro_rules! groups {
    ($($test:ident => $group:literal),* $(,)?) => {
        const GROUPS: &[&str] = &[$($group),*];
        $(
            #[test]
            fn $test() {
                check_group($group);
            }
        )*
    };
}

groups! {
    content => "content",
    nocase => "nocase",
    offset => "offset",
    depth => "depth",
    distance => "distance",
    within => "within",
    negated_content => "negated_content",
    fast_pattern => "fast_pattern",
    isdataat => "isdataat",
    dsize => "dsize",
    byte_test => "byte_test",
    byte_jump => "byte_jump",
    byte_extract => "byte_extract",
    pcre => "pcre",
    flow => "flow",
    flowbits => "flowbits",
    threshold => "threshold",
    detection_filter => "detection_filter",
    ttl => "ttl",
    tos => "tos",
    ip_id => "id",
    ip_proto => "ip_proto",
    fragbits => "fragbits",
    tcp_flags => "flags",
    window => "window",
    seq => "seq",
    ack => "ack",
    itype => "itype",
    icode => "icode",
    icmp_id => "icmp_id",
    icmp_seq => "icmp_seq",
    meta => "meta",
    rawbytes => "rawbytes",
    tag => "tag",
    stream_size => "stream_size",
    asn1 => "asn1",
    dns_query => "dns_query",
    sip => "sip",
    mqtt => "mqtt",
    base64_decode => "base64_decode",
    ssl_version => "ssl_version",
    ssl_state => "ssl_state",
    ssh_softwareversion => "ssh.softwareversion",
    ftpbounce => "ftpbounce",
    http_uri => "http_uri",
    uricontent => "uricontent",
    http_raw_uri => "http_raw_uri",
    http_method => "http_method",
    http_header => "http_header",
    http_raw_header => "http_raw_header",
    http_client_body => "http_client_body",
    http_server_body => "http_server_body",
    file_data => "file_data",
    http_user_agent => "http_user_agent",
    http_stat_code => "http_stat_code",
    http_stat_msg => "http_stat_msg",
    http_host => "http_host",
    http_cookie => "http_cookie",
    urilen => "urilen",
}

// ---------------------------------------------------------------------------
// expected.json

struct Expected {
    suricata_version: String,
    cases: Vec<Case>,
    parse: Vec<ParseCase>,
}

struct Case {
    name: String,
    group: String,
    note: String,
    pcap: String,
    /// (sid, rule text)
    rules: Vec<(u64, String)>,
    packets: Vec<PacketOutcome>,
    /// Alerts on Suricata's end-of-flow pseudo packets (no pcap_cnt).
    without_packet: Vec<u64>,
    /// Suricata's `alert` objects, for the `meta` group: (pcap_cnt, object).
    /// Packets are in capture order: packet n is Suricata's pcap_cnt n.
    alert_objects: Vec<(u64, Value)>,
}

struct PacketOutcome {
    n: u64,
    what: String,
    label: Option<String>,
    payload: String,
    /// Sids that alerted on this packet, sorted.
    alerts: Vec<u64>,
}

struct ParseCase {
    name: String,
    rule: String,
    suricata_loads: bool,
    suricata_errors: Vec<String>,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixtures() -> PathBuf {
    root().join("fixtures").join("keywords")
}

fn str_of(v: &Value, k: &str) -> String {
    v[k].as_str().unwrap_or_default().to_string()
}

fn sids(v: &Value) -> Vec<u64> {
    let mut s: Vec<u64> = v.as_array().map(|a| a.iter().filter_map(Value::as_u64).collect()).unwrap_or_default();
    s.sort_unstable();
    s
}

fn expected() -> &'static Expected {
    static E: OnceLock<Expected> = OnceLock::new();
    E.get_or_init(|| {
        let path = fixtures().join("expected.json");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (run tests/keywords/make.py)", path.display()));
        let doc: Value = serde_json::from_str(&text).expect("expected.json is JSON");
        let rules = rules_by_sid(&fixtures().join("keywords.rules"));
        let cases = doc["cases"]
            .as_array()
            .expect("cases")
            .iter()
            .map(|c| Case {
                name: str_of(c, "name"),
                group: str_of(c, "group"),
                note: str_of(c, "note"),
                pcap: str_of(c, "pcap"),
                rules: sids(&c["sids"])
                    .into_iter()
                    .map(|sid| {
                        let text = rules.get(&sid).unwrap_or_else(|| {
                            panic!("sid {sid} is not in keywords.rules (run tests/keywords/make.py)")
                        });
                        (sid, text.clone())
                    })
                    .collect(),
                packets: c["packets"]
                    .as_array()
                    .expect("packets")
                    .iter()
                    .zip(1..)
                    .map(|(p, n)| PacketOutcome {
                        n,
                        what: str_of(p, "what"),
                        label: p["label"].as_str().map(str::to_string),
                        payload: str_of(p, "payload"),
                        alerts: sids(&p["alerts"]),
                    })
                    .collect(),
                without_packet: sids(&c["alerts_without_packet"]),
                alert_objects: c["alert_objects"]
                    .as_array()
                    .map(|a| a.iter().map(|o| (o["pcap_cnt"].as_u64().unwrap_or(0), o["alert"].clone())).collect())
                    .unwrap_or_default(),
            })
            .collect();
        let parse = doc["parse"]
            .as_array()
            .expect("parse")
            .iter()
            .map(|p| ParseCase {
                name: str_of(p, "name"),
                rule: str_of(p, "rule"),
                suricata_loads: p["suricata_loads"].as_bool().expect("suricata_loads"),
                suricata_errors: p["suricata_errors"]
                    .as_array()
                    .map(|a| a.iter().filter_map(|e| e.as_str().map(str::to_string)).collect())
                    .unwrap_or_default(),
            })
            .collect();
        Expected { suricata_version: str_of(&doc, "suricata_version"), cases, parse }
    })
}

/// sid -> rule line of a rules file.
fn rules_by_sid(path: &Path) -> BTreeMap<u64, String> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e} (run tests/keywords/make.py)", path.display()));
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let at = l.rfind("sid:")? + 4;
            let end = l[at..].find(';')? + at;
            Some((l[at..end].trim().parse().ok()?, l.to_string()))
        })
        .collect()
}

fn known_difference(name: &str) -> Option<&'static str> {
    KNOWN_DIFFERENCES.iter().find(|(n, _)| *n == name).map(|(_, r)| *r)
}

// ---------------------------------------------------------------------------
// running mirador

/// What mirador did on one case's capture.
struct Observed {
    /// pcap_cnt -> sids, sorted.
    by_packet: BTreeMap<u64, Vec<u64>>,
    /// Alerts without a pcap_cnt.
    without_packet: Vec<u64>,
    /// (pcap_cnt, alert object)
    objects: Vec<(u64, Value)>,
    /// "rule rejected" lines from stderr.
    rejected: Vec<String>,
}

fn run_mirador(case: &Case) -> Result<Observed, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let rules = dir.path().join("case.rules");
    let text: String = case.rules.iter().map(|(_, r)| format!("{r}\n")).collect();
    std::fs::write(&rules, text).map_err(|e| e.to_string())?;
    let out = Command::new(env!("CARGO_BIN_EXE_mirador"))
        .arg("replay")
        .arg("-S")
        .arg(&rules)
        .arg("--eve")
        .arg("-")
        .arg(fixtures().join(&case.pcap))
        .output()
        .map_err(|e| format!("cannot run mirador: {e}"))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return Err(format!("mirador exited with {}: {}", out.status, stderr.trim()));
    }
    let mut obs = Observed {
        by_packet: BTreeMap::new(),
        without_packet: Vec::new(),
        objects: Vec::new(),
        rejected: stderr.lines().filter(|l| l.contains("rule rejected")).map(|l| l.trim().to_string()).collect(),
    };
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        if line.trim().is_empty() {
            continue;
        }
        let v: Value = serde_json::from_str(line).map_err(|e| format!("bad EVE line {line:?}: {e}"))?;
        if v["event_type"] != "alert" {
            continue;
        }
        let sid = v["alert"]["signature_id"].as_u64().unwrap_or(0);
        match v["pcap_cnt"].as_u64() {
            Some(n) => {
                obs.by_packet.entry(n).or_default().push(sid);
                obs.objects.push((n, v["alert"].clone()));
            }
            None => obs.without_packet.push(sid),
        }
    }
    for s in obs.by_packet.values_mut() {
        s.sort_unstable();
    }
    obs.without_packet.sort_unstable();
    Ok(obs)
}

/// Every way mirador's outcome differs from Suricata's, one line each.
fn compare(case: &Case) -> Vec<String> {
    let obs = match run_mirador(case) {
        Ok(o) => o,
        Err(e) => return vec![e],
    };
    let mut diffs: Vec<String> = obs.rejected.iter().map(|r| format!("mirador: {r}")).collect();
    for p in &case.packets {
        let ours = obs.by_packet.get(&p.n).cloned().unwrap_or_default();
        if ours != p.alerts {
            let label = p.label.as_deref().map(|l| format!(" [{l}]")).unwrap_or_default();
            diffs.push(format!(
                "packet {} ({}){label} payload \"{}\": Suricata {:?}, mirador {:?}",
                p.n, p.what, p.payload, p.alerts, ours
            ));
        }
    }
    let last = case.packets.len() as u64;
    for (n, s) in obs.by_packet.range(last + 1..) {
        diffs.push(format!("packet {n} (not in the capture!): mirador {s:?}"));
    }
    if obs.without_packet != case.without_packet {
        diffs.push(format!(
            "at flow end (Suricata's pseudo packets, no pcap_cnt): Suricata {:?}, mirador {:?}",
            case.without_packet, obs.without_packet
        ));
    }
    for (n, theirs) in &case.alert_objects {
        let ours = obs.objects.iter().find(|(m, o)| m == n && o["signature_id"] == theirs["signature_id"]);
        match ours {
            Some((_, o)) if o == theirs => {}
            Some((_, o)) => {
                diffs.push(format!("packet {n}: alert object differs:\n      Suricata {theirs}\n      mirador  {o}"))
            }
            None => {} // already reported as a missing alert
        }
    }
    diffs
}

fn describe(case: &Case, diffs: &[String]) -> String {
    let mut s = format!("case {} [group {}]", case.name, case.group);
    if !case.note.is_empty() {
        s += &format!(" - {}", case.note);
    }
    for (sid, rule) in &case.rules {
        s += &format!("\n    rule sid {sid}: {rule}");
    }
    s += &format!(
        "\n    capture fixtures/keywords/{}; expected = Suricata {} on it (expected.json)",
        case.pcap,
        expected().suricata_version
    );
    for d in diffs {
        s += &format!("\n    {d}");
    }
    s
}

/// Runs every case of `group` and fails with the full list of mismatches.
fn check_group(group: &str) {
    let cases: Vec<&Case> = expected().cases.iter().filter(|c| c.group == group).collect();
    assert!(!cases.is_empty(), "no case in group {group}");
    // A few threads: each case is one short mirador process.
    let results: Vec<(&Case, Vec<String>)> = std::thread::scope(|s| {
        let handles: Vec<_> = cases
            .chunks(cases.len().div_ceil(4))
            .map(|chunk| s.spawn(move || chunk.iter().map(|c| (*c, compare(c))).collect::<Vec<_>>()))
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("worker")).collect()
    });
    let mut failures = Vec::new();
    let mut stale = Vec::new();
    for (case, diffs) in &results {
        match (diffs.is_empty(), known_difference(&case.name)) {
            (true, None) => {}
            (true, Some(reason)) => stale.push(format!(
                "case {} now agrees with Suricata: remove it from KNOWN_DIFFERENCES ({reason})",
                case.name
            )),
            (false, Some(reason)) => {
                eprintln!("known difference ({reason}):\n  {}", describe(case, diffs))
            }
            (false, None) => failures.push(describe(case, diffs)),
        }
    }
    let agree = results.iter().filter(|(_, d)| d.is_empty()).count();
    eprintln!("group {group}: {agree} of {} cases agree with Suricata", results.len());
    assert!(
        failures.is_empty() && stale.is_empty(),
        "group {group}: {} case(s) differ from Suricata {}, {} stale KNOWN_DIFFERENCES entr(ies):\n\n{}\n",
        failures.len(),
        expected().suricata_version,
        stale.len(),
        failures.iter().chain(&stale).map(String::as_str).collect::<Vec<_>>().join("\n\n")
    );
}

#[test]
fn every_group_has_a_test() {
    let groups: BTreeSet<&str> = expected().cases.iter().map(|c| c.group.as_str()).collect();
    let missing: Vec<&&str> = groups.iter().filter(|g| !GROUPS.contains(g)).collect();
    assert!(missing.is_empty(), "groups without a test: {missing:?}");
}

#[test]
fn known_differences_name_existing_cases() {
    let mut names: BTreeSet<String> = expected().cases.iter().map(|c| c.name.clone()).collect();
    names.extend(expected().parse.iter().map(|p| format!("parse:{}", p.name)));
    let unknown: Vec<&str> = KNOWN_DIFFERENCES.iter().map(|(n, _)| *n).filter(|n| !names.contains(*n)).collect();
    assert!(unknown.is_empty(), "KNOWN_DIFFERENCES names no case: {unknown:?}");
}

// ---------------------------------------------------------------------------
// parsing

/// `mirador rules check --json` on a rules file: line -> rejection reason.
fn rejections(rules: &Path) -> BTreeMap<u64, String> {
    let out = Command::new(env!("CARGO_BIN_EXE_mirador"))
        .args(["rules", "check", "--json", "--allow-rejects"])
        .arg(rules)
        .output()
        .expect("run mirador rules check");
    assert!(out.status.success(), "mirador rules check failed: {}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).expect("rules check --json");
    report["rejections"]
        .as_array()
        .expect("rejections")
        .iter()
        .map(|r| (r["line"].as_u64().expect("line"), str_of(r, "reason")))
        .collect()
}

/// Every rule of every case loads, as it does in Suricata (make.py checks
/// that Suricata loads them all).
#[test]
fn case_rules_load_as_in_suricata() {
    let path = fixtures().join("keywords.rules");
    let text = std::fs::read_to_string(&path).expect("keywords.rules");
    let mut failures = Vec::new();
    for (line, reason) in rejections(&path) {
        let rule = text.lines().nth(line as usize - 1).unwrap_or_default();
        let case = expected().cases.iter().find(|c| c.rules.iter().any(|(_, r)| r == rule));
        let name = case.map_or("?", |c| c.name.as_str());
        if known_difference(name).is_some() {
            continue;
        }
        failures.push(format!("case {name}: mirador rejects a rule Suricata loads: {reason}\n    {rule}"));
    }
    assert!(failures.is_empty(), "\n{}\n", failures.join("\n"));
}

/// parse.rules: rules that are only loaded. Suricata's `-T` decides which
/// load and which are rejected; mirador must agree.
#[test]
fn parse_rules_load_or_fail_as_in_suricata() {
    let rejected = rejections(&fixtures().join("parse.rules"));
    let mut failures = Vec::new();
    let mut stale = Vec::new();
    for (i, p) in expected().parse.iter().enumerate() {
        let ours = rejected.get(&(i as u64 + 1));
        let agree = ours.is_none() == p.suricata_loads;
        let name = format!("parse:{}", p.name);
        match (agree, known_difference(&name)) {
            (true, None) | (false, Some(_)) => {}
            (true, Some(reason)) => {
                stale.push(format!("{name} now agrees with Suricata: remove it from KNOWN_DIFFERENCES ({reason})"))
            }
            (false, None) => failures.push(format!(
                "{name}: Suricata {} it{}, mirador {}\n    {}",
                if p.suricata_loads { "loads" } else { "rejects" },
                p.suricata_errors.first().map(|e| format!(" ({e})")).unwrap_or_default(),
                ours.map_or("loads it".to_string(), |r| format!("rejects it ({r})")),
                p.rule
            )),
        }
    }
    assert!(
        failures.is_empty() && stale.is_empty(),
        "\n{}\n",
        failures.iter().chain(&stale).map(String::as_str).collect::<Vec<_>>().join("\n")
    );
}

// ---------------------------------------------------------------------------
// coverage of KEYWORDS.md

/// The option names of a rule: the text before ':' of each option, options
/// split at every ';' not preceded by '\' (Suricata's splitter).
fn option_names(rule: &str) -> Vec<String> {
    let body = match (rule.find('('), rule.rfind(')')) {
        (Some(a), Some(b)) if a < b => &rule[a + 1..b],
        _ => return Vec::new(),
    };
    let mut names = Vec::new();
    let mut start = 0;
    let bytes = body.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b';' && (i == 0 || bytes[i - 1] != b'\\') {
            let opt = body[start..i].trim();
            if !opt.is_empty() {
                names.push(opt.split(':').next().unwrap_or("").trim().to_string());
            }
            start = i + 1;
        }
    }
    names
}

/// The keyword column of KEYWORDS.md's "Option keywords" table.
fn keywords_md_table(text: &str) -> Vec<String> {
    let mut in_table = false;
    let mut out = Vec::new();
    for line in text.lines() {
        if line.starts_with("## ") {
            in_table = line.starts_with("## Option keywords");
            continue;
        }
        if !in_table || !line.starts_with('|') {
            continue;
        }
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if let Some(kw) = cells.get(2).and_then(|c| c.strip_prefix('`')).and_then(|c| c.strip_suffix('`')) {
            out.push(kw.to_string());
        }
    }
    out
}

/// Every keyword of KEYWORDS.md's table has cases in which Suricata both
/// alerted and did not alert, or is listed in PENDING_KEYWORDS with a reason.
#[test]
fn every_keyword_of_keywords_md_has_cases() {
    let copy = fixtures().join("KEYWORDS.md");
    let text = std::fs::read_to_string(&copy).expect("fixtures/keywords/KEYWORDS.md");
    // The copy must follow the shared original when it is there.
    let shared = root().join("../shared/rules/KEYWORDS.md");
    if let Ok(original) = std::fs::read_to_string(&shared) {
        assert_eq!(
            original, text,
            "fixtures/keywords/KEYWORDS.md differs from ../shared/rules/KEYWORDS.md: \
             run tests/keywords/make.py"
        );
    }
    let keywords = keywords_md_table(&text);
    assert!(keywords.len() >= 50, "parsed only {keywords:?}");
    let mut failures = Vec::new();
    for kw in &keywords {
        let using: Vec<&Case> = expected()
            .cases
            .iter()
            .filter(|c| c.rules.iter().any(|(_, r)| option_names(r).iter().any(|o| o == kw)))
            .collect();
        let pending = PENDING_KEYWORDS.iter().find(|(k, _)| k == kw);
        match (using.is_empty(), pending) {
            (true, Some(_)) => {}
            (true, None) => failures.push(format!("{kw}: no case (and not in PENDING_KEYWORDS)")),
            (false, Some(_)) => failures.push(format!("{kw}: has cases now; remove it from PENDING_KEYWORDS")),
            (false, None) => {
                let packets = using.iter().flat_map(|c| &c.packets);
                let hit =
                    packets.clone().any(|p| !p.alerts.is_empty()) || using.iter().any(|c| !c.without_packet.is_empty());
                let miss = packets.clone().any(|p| p.alerts.is_empty());
                if !hit || !miss {
                    failures.push(format!(
                        "{kw}: its cases need a packet Suricata alerts on and one it does not \
                         (alert: {hit}, no alert: {miss})"
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "\n{}\n", failures.join("\n"));
}

#[test]
fn option_names_split_like_suricata() {
    assert_eq!(
        option_names(r#"alert udp any any -> any any (msg:"a\;b: c"; content:"x"; nocase; sid:1;)"#),
        ["msg", "content", "nocase", "sid"]
    );
}
