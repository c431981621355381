//! EVE compatibility with Suricata 7: for the captures listed in
//! fixtures/expected/eve-paths.json (made by
//! fixtures/expected/make_eve_expected.sh; the exact Suricata command is in
//! that file and in fixtures/expected/README.md), every key path mirador
//! writes in an `alert`, `flow`, `http`, `dns` or `tls` record exists in
//! Suricata's records of that type with the same JSON type, apart from the
//! additions listed in [`ADDITIONS`]. Key paths Suricata writes that mirador
//! does not are printed; they must be in [`NOT_WRITTEN`], and the essential
//! ones ([`ESSENTIAL`]) must be written. Every record of the run is also
//! validated against docs/eve.schema.json.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

/// Event type -> normalised key path -> JSON types.
type Paths = BTreeMap<String, BTreeMap<String, BTreeSet<&'static str>>>;

const TYPES: [&str; 5] = ["alert", "flow", "http", "dns", "tls"];

/// mirador's documented additions to Suricata's records: (event type or
/// `*` for every type, key path, JSON type, reason).
const ADDITIONS: &[(&str, &str, &str, &str)] = &[
    ("alert", "tunnel.vni", "integer", "VNI of the innermost tunnel: names the AWS Traffic Mirroring session"),
    ("alert", "tunnel.type", "string", "innermost encapsulation (VXLAN, GENEVE, GRE, ERSPAN)"),
    ("flow", "tunnel", "object", "tunnelled flows carry {vni} so that flow records can be enriched per mirror session"),
    ("flow", "tunnel.vni", "integer", "as above"),
    ("http", "tunnel", "object", "tunnelled flows carry {vni} (Suricata writes no tunnel outside alerts)"),
    ("http", "tunnel.vni", "integer", "as above"),
    ("dns", "tunnel", "object", "tunnelled flows carry {vni}"),
    ("dns", "tunnel.vni", "integer", "as above"),
    ("tls", "tunnel", "object", "tunnelled flows carry {vni}"),
    ("tls", "tunnel.vni", "integer", "as above"),
    ("*", "mirror", "object", "--mirror-state enrichment: the mirror session of the record's VNI"),
    ("*", "mirror.session_id", "string", "Traffic Mirror Session id"),
    ("*", "mirror.source_eni", "string", "mirrored network interface"),
    ("*", "mirror.source_instance", "string", "instance owning that interface"),
    ("*", "mirror.target_id", "string", "Traffic Mirror Target id"),
    // Behaviour findings (gid 9000) write their evidence as alert metadata,
    // `{key: [string]}` like a rule's `metadata`: they need no addition
    // because alert.metadata's keys are normalised to `*` (the keys of a
    // rule's metadata are the rule writer's). They have no flow_id, flow,
    // direction or pkt_src (they describe many flows): see NOT_WRITTEN.
];

/// Key paths Suricata writes that mirador does not, with the reason. The
/// test fails when one appears that is not listed here.
const NOT_WRITTEN: &[(&str, &str, &str)] = &[];

/// Key paths mirador must write because Suricata does (checked against the
/// committed Suricata output too, so the list cannot go stale silently).
const ESSENTIAL: &[(&str, &[&str])] = &[
    (
        "alert",
        &[
            "timestamp",
            "flow_id",
            "pcap_cnt",
            "src_ip",
            "src_port",
            "dest_ip",
            "dest_port",
            "proto",
            "pkt_src",
            "direction",
            "app_proto",
            "vlan",
            "icmp_type",
            "icmp_code",
            "flow",
            "flow.pkts_toserver",
            "flow.pkts_toclient",
            "flow.bytes_toserver",
            "flow.bytes_toclient",
            "flow.start",
            "flow.src_ip",
            "flow.dest_ip",
            "flow.src_port",
            "flow.dest_port",
            "alert",
            "alert.action",
            "alert.gid",
            "alert.signature_id",
            "alert.rev",
            "alert.signature",
            "alert.category",
            "alert.severity",
            "alert.source.ip",
            "alert.source.port",
            "alert.target.ip",
            "alert.target.port",
            "alert.metadata.*",
            "tunnel.src_ip",
            "tunnel.src_port",
            "tunnel.dest_ip",
            "tunnel.dest_port",
            "tunnel.proto",
            "tunnel.depth",
            "tunnel.pcap_cnt",
            "tunnel.pkt_src",
            "http.hostname",
            "http.url",
            "http.http_method",
            "dns.version",
            "dns.query[].rrname",
            "tls.sni",
            "tls.version",
            "tls.subject",
        ],
    ),
    (
        "flow",
        &[
            "flow_id",
            "app_proto",
            "vlan",
            "icmp_type",
            "icmp_code",
            "response_icmp_type",
            "response_icmp_code",
            "flow.pkts_toserver",
            "flow.pkts_toclient",
            "flow.bytes_toserver",
            "flow.bytes_toclient",
            "flow.start",
            "flow.end",
            "flow.age",
            "flow.state",
            "flow.reason",
            "flow.alerted",
            "tcp.tcp_flags",
            "tcp.tcp_flags_ts",
            "tcp.tcp_flags_tc",
            "tcp.state",
        ],
    ),
    (
        "http",
        &[
            "flow_id",
            "pcap_cnt",
            "pkt_src",
            "tx_id",
            "http.hostname",
            "http.url",
            "http.http_user_agent",
            "http.http_method",
            "http.http_content_type",
            "http.http_port",
            "http.status",
            "http.length",
            "http.protocol",
        ],
    ),
    (
        "dns",
        &[
            "flow_id",
            "pcap_cnt",
            "pkt_src",
            "dns.version",
            "dns.type",
            "dns.id",
            "dns.flags",
            "dns.qr",
            "dns.aa",
            "dns.rd",
            "dns.ra",
            "dns.z",
            "dns.opcode",
            "dns.rrname",
            "dns.rrtype",
            "dns.rcode",
            "dns.tx_id",
            "dns.answers[].rrname",
            "dns.answers[].rrtype",
            "dns.answers[].ttl",
            "dns.answers[].rdata",
            "dns.answers[].srv.name",
            "dns.answers[].sshfp.fingerprint",
            "dns.authorities[].soa.mname",
            "dns.grouped.*",
        ],
    ),
    (
        "tls",
        &[
            "flow_id",
            "pcap_cnt",
            "pkt_src",
            "tls.sni",
            "tls.version",
            "tls.subject",
            "tls.issuerdn",
            "tls.serial",
            "tls.fingerprint",
            "tls.notbefore",
            "tls.notafter",
        ],
    ),
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn expected() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| {
        let p = root().join("fixtures/expected/eve-paths.json");
        serde_json::from_str(&std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))).unwrap()
    })
}

/// JSON type as JSON Schema names it; numbers written with a fraction or an
/// exponent are `number`, others `integer` (as Suricata writes them).
fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "number",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Objects whose keys are data, not field names: a rule's metadata keys and
/// DNS record types. Their keys are written as `*`.
const MAPS: [&str; 2] = ["alert.metadata", "dns.grouped"];

fn child(path: &str, key: &str) -> String {
    if MAPS.contains(&path) {
        format!("{path}.*")
    } else if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn walk(v: &Value, path: &str, out: &mut BTreeMap<String, BTreeSet<&'static str>>) {
    if !path.is_empty() {
        out.entry(path.to_string()).or_default().insert(json_type(v));
    }
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                walk(x, &child(path, k), out);
            }
        }
        Value::Array(a) => {
            for x in a {
                walk(x, &format!("{path}[]"), out);
            }
        }
        _ => {}
    }
}

/// Re-normalises a raw path of the committed file (`alert.metadata.tag[]`
/// -> `alert.metadata.*[]`).
fn normalise(raw: &str) -> String {
    for m in MAPS {
        if let Some(rest) = raw.strip_prefix(m).and_then(|r| r.strip_prefix('.')) {
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            return format!("{m}.*{}", &rest[end..]);
        }
    }
    raw.to_string()
}

fn suricata_paths() -> Paths {
    let mut out = Paths::new();
    for (et, paths) in expected()["paths"].as_object().unwrap() {
        let e = out.entry(et.clone()).or_default();
        for (p, types) in paths.as_object().unwrap() {
            let set = e.entry(normalise(p)).or_default();
            for t in types.as_array().unwrap() {
                let t = match t.as_str().unwrap() {
                    "string" => "string",
                    "integer" => "integer",
                    "number" => "number",
                    "boolean" => "boolean",
                    "object" => "object",
                    "array" => "array",
                    "null" => "null",
                    other => panic!("unknown type {other}"),
                };
                set.insert(t);
            }
        }
    }
    out
}

/// One case: capture, rules, Suricata's record count per type.
struct Case {
    pcap: String,
    rules: String,
    records: BTreeMap<String, u64>,
}

fn cases() -> Vec<Case> {
    expected()["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| Case {
            pcap: c["pcap"].as_str().unwrap().to_string(),
            rules: c["rules"].as_str().unwrap().to_string(),
            records: c["records"].as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_u64().unwrap())).collect(),
        })
        .collect()
}

fn replay(case: &Case) -> Vec<Value> {
    let out = Command::new(env!("CARGO_BIN_EXE_mirador"))
        .args(["replay", "--eve-types", "alert,flow,http,dns,tls", "--eve", "-", "-S"])
        .arg(root().join(&case.rules))
        .arg(root().join(&case.pcap))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}: {}", case.pcap, String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{}: {e}: {l}", case.pcap)))
        .collect()
}

/// Every record mirador writes for the cases, replayed once.
fn records() -> &'static Vec<(String, Vec<Value>)> {
    static RECS: OnceLock<Vec<(String, Vec<Value>)>> = OnceLock::new();
    RECS.get_or_init(|| cases().iter().map(|c| (c.pcap.clone(), replay(c))).collect())
}

fn mirador_paths() -> Paths {
    let mut out = Paths::new();
    for (_, recs) in records() {
        for r in recs {
            let et = r["event_type"].as_str().expect("event_type").to_string();
            assert!(TYPES.contains(&et.as_str()), "unexpected event_type {et}");
            walk(r, "", out.entry(et).or_default());
        }
    }
    out
}

fn addition(et: &str, path: &str) -> Option<&'static (&'static str, &'static str, &'static str, &'static str)> {
    ADDITIONS.iter().find(|a| (a.0 == et || a.0 == "*") && a.1 == path)
}

#[test]
fn every_case_gives_the_record_types_suricata_gives() {
    for ((pcap, recs), case) in records().iter().zip(cases()) {
        for (et, n) in &case.records {
            if TYPES.contains(&et.as_str()) && *n > 0 {
                assert!(
                    recs.iter().any(|r| r["event_type"] == et.as_str()),
                    "{pcap}: Suricata wrote {n} {et} records, mirador none"
                );
            }
        }
    }
}

#[test]
fn mirador_writes_suricata_field_names_and_types() {
    let theirs = suricata_paths();
    let ours = mirador_paths();
    let mut errors = Vec::new();
    for et in TYPES {
        let empty = BTreeMap::new();
        let t = theirs.get(et).unwrap_or(&empty);
        for (path, types) in ours.get(et).unwrap_or(&empty) {
            match (t.get(path), addition(et, path)) {
                (Some(st), _) => {
                    for ty in types {
                        if !st.contains(ty) {
                            errors.push(format!("{et}: {path} is {ty} in mirador, {st:?} in Suricata"));
                        }
                    }
                }
                (None, Some(a)) => {
                    for ty in types {
                        if *ty != a.2 {
                            errors.push(format!("{et}: addition {path} is {ty}, documented as {}", a.2));
                        }
                    }
                }
                (None, None) => errors.push(format!("{et}: {path} ({types:?}) is not in Suricata's {et} records")),
            }
        }
    }
    assert!(errors.is_empty(), "EVE differs from Suricata 7:\n{}", errors.join("\n"));
}

#[test]
fn suricata_fields_mirador_does_not_write() {
    let theirs = suricata_paths();
    let ours = mirador_paths();
    let mut unexplained = Vec::new();
    for et in TYPES {
        let empty = BTreeMap::new();
        let o = ours.get(et).unwrap_or(&empty);
        let t = theirs.get(et).unwrap_or(&empty);
        for path in t.keys().filter(|p| !o.contains_key(*p)) {
            match NOT_WRITTEN.iter().find(|n| n.0 == et && n.1 == path) {
                Some(n) => println!("{et}: Suricata writes {path}, mirador does not: {}", n.2),
                None => unexplained.push(format!("{et}: {path}")),
            }
        }
        for (e, paths) in ESSENTIAL.iter().filter(|e| e.0 == et) {
            for p in *paths {
                assert!(t.contains_key(*p), "{e}: essential {p} is not in Suricata's output: stale list or fixtures");
                assert!(o.contains_key(*p), "{e}: mirador does not write {p}, which Suricata writes");
            }
        }
    }
    assert!(unexplained.is_empty(), "Suricata writes these, mirador does not:\n{}", unexplained.join("\n"));
    // The NOT_WRITTEN list stays honest: each entry is still missing.
    for (et, path, _) in NOT_WRITTEN {
        assert!(
            !ours.get(*et).is_some_and(|o| o.contains_key(*path)),
            "{et}: {path} is written now: update NOT_WRITTEN"
        );
    }
}

#[test]
fn every_record_matches_the_schema() {
    let p = root().join("docs/eve.schema.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
    assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
    for et in TYPES {
        assert!(schema["$defs"][et].is_object(), "no definition for {et}");
    }
    let validator = jsonschema::draft202012::new(&schema).expect("docs/eve.schema.json is a valid schema");
    let mut n = 0;
    for (pcap, recs) in records() {
        for r in recs {
            let errors: Vec<String> =
                validator.iter_errors(r).map(|e| format!("{} at {}", e, e.instance_path())).collect();
            assert!(
                errors.is_empty(),
                "{pcap}: record does not match docs/eve.schema.json:\n{}\n{r}",
                errors.join("\n")
            );
            n += 1;
        }
    }
    assert!(n > 1000, "only {n} records validated");
    // The schema is strict: an unknown field is rejected.
    let mut bad = records()[0].1[0].clone();
    bad["no_such_field"] = Value::from(1);
    assert!(!validator.is_valid(&bad));
}

/// The optional records and fields (decoder and app-layer anomalies; alert
/// payload and packet; the Community ID) match the schema too.
#[test]
fn optional_fields_and_anomaly_records_match_the_schema() {
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("docs/eve.schema.json")).unwrap()).unwrap();
    let validator = jsonschema::draft202012::new(&schema).expect("docs/eve.schema.json is a valid schema");
    let runs: [(&[&str], &str, &str); 6] = [
        (
            &["--eve-types", "alert,anomaly,stats"],
            "fixtures/decode-events/decode-events.rules",
            "fixtures/decode-events/decode-events.pcap",
        ),
        (
            &["-c", "fixtures/expected/suricata-payload.yaml"],
            "fixtures/defrag/defrag.rules",
            "fixtures/defrag/ipv4-tcp-http.pcap",
        ),
        (
            &["-c", "fixtures/expected/suricata-community-id.yaml"],
            "fixtures/expected/eve.rules",
            "fixtures/eve/tls.pcap",
        ),
        (
            // An absolute URI whose host differs from Host: an HTTP event.
            &["--eve-types", "alert,anomaly.applayer"],
            "fixtures/expected/eve.rules",
            "fixtures/keywords/http_uri_absolute_form.pcap",
        ),
        (
            &["-c", "fixtures/expected/suricata-eve-options.yaml"],
            "fixtures/expected/eve.rules",
            "fixtures/eve/tls.pcap",
        ),
        (
            &["-c", "fixtures/expected/suricata-eve-options.yaml"],
            "fixtures/defrag/defrag.rules",
            "fixtures/defrag/ipv4-tcp-http.pcap",
        ),
    ];
    let mut seen = BTreeSet::new();
    for (args, rules, pcap) in runs {
        let out = Command::new(env!("CARGO_BIN_EXE_mirador"))
            .current_dir(root())
            .args(["replay", "--eve", "-"])
            .args(args)
            .args(["-S", rules, pcap])
            .output()
            .unwrap();
        assert!(out.status.success(), "{pcap}: {}", String::from_utf8_lossy(&out.stderr));
        for l in String::from_utf8(out.stdout).unwrap().lines() {
            let r: Value = serde_json::from_str(l).unwrap();
            let errors: Vec<String> =
                validator.iter_errors(&r).map(|e| format!("{} at {}", e, e.instance_path())).collect();
            assert!(errors.is_empty(), "{pcap}: {}\n{r}", errors.join("\n"));
            for k in ["anomaly", "payload", "packet", "community_id", "stats"] {
                if r.get(k).is_some() {
                    seen.insert(k);
                }
            }
            if r["anomaly"]["type"] == "applayer" {
                seen.insert("applayer anomaly");
            }
            for (name, path) in [
                ("ether", "/ether/src_mac"),
                ("flow ether", "/ether/src_macs"),
                ("request_headers", "/http/request_headers"),
                ("tls certificate", "/tls/certificate"),
                ("tls chain", "/tls/chain"),
            ] {
                if r["event_type"] != "alert" && r.pointer(path).is_some() {
                    seen.insert(name);
                }
            }
        }
    }
    assert_eq!(seen.len(), 11, "every optional field was produced: {seen:?}");
}
