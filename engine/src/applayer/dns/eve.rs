//! The `dns` EVE object as Suricata 7 writes it (format `version: 2`, the
//! default), checked field by field against Suricata 7.0.10's output.
//!
//! * [`query_records`]: the bodies of `event_type: "dns"` records for a
//!   request, one per question:
//!   `{"version":2,"type":"query","id":..,"rrname":..,"rrtype":..,"tx_id":..,"opcode":..}`
//!   (`"z":true` before `opcode` when the Z bit is set).
//! * [`answer_record`]: the body for a response:
//!   `{"version":2,"type":"answer","id":..,"flags":"8180","qr":true,"rd":true,
//!   "ra":true,"opcode":0,"rrname":..,"rrtype":..,"rcode":"NOERROR",
//!   "answers":[..],"grouped":{..},"authorities":[..]}`. Flag booleans are
//!   present only when set; `rrname`/`rrtype` are the response's first
//!   question; a response without questions is not logged (as Suricata).
//! * [`alert_object`]: the `dns` object of an alert on a DNS transaction:
//!   `{"version":2,"query":[..]}` for a request (query objects without
//!   `version`), `{"version":2,"answer":{..}}` for a response (the answer
//!   object without `answers`/`grouped`, with `authorities`).
//!
//! Suricata 7 quirks kept on purpose: AAAA addresses fully expanded
//! (`2001:0db8:0000:...`), each TXT character-string its own answer entry,
//! MX rdata is only the exchange name, a wrongly sized A/AAAA rdata logs as
//! `""`, records of types without a decoder carry no `rdata`, and the type
//! names `ND` (MD, 3), `NSAPPT` (NSAP-PTR, 23) and `CDSNKEY` (CDNSKEY, 60).
//! Byte strings are written as UTF-8 when valid, otherwise ASCII bytes are
//! kept and others written as `\xNN`.
//!
//! Differences: `grouped` keys appear in first-seen order (Suricata: hash
//! order). mirador decodes leniently, so a response whose last record is
//! broken still logs the records before it, where Suricata logs nothing.
//!
//! Values are built in Suricata's field order; serde_json keeps that order
//! only with its `preserve_order` feature.

use std::borrow::Cow;

use serde_json::{json, Map, Value};

use super::parser::{rrtype, Header, Message, RData, Record};
use super::state::DnsTx;

/// What the `dns` logger writes (the `outputs.eve-log.types.dns` settings).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DnsLogConfig {
    /// Log requests (`requests: yes`, default).
    pub requests: bool,
    /// Log responses (`responses: yes`, default).
    pub responses: bool,
    /// `formats` includes `detailed`: the `answers` array.
    pub detailed: bool,
    /// `formats` includes `grouped`: the `grouped` object.
    pub grouped: bool,
    /// `types`: only these query types are logged; `None` logs every type,
    /// known or not (the default).
    pub types: Option<Vec<u16>>,
}

impl Default for DnsLogConfig {
    fn default() -> Self {
        DnsLogConfig { requests: true, responses: true, detailed: true, grouped: true, types: None }
    }
}

impl DnsLogConfig {
    fn type_enabled(&self, t: u16) -> bool {
        match &self.types {
            None => true,
            Some(list) => list.contains(&t),
        }
    }
}

/// Suricata's name for a record type, or the number as text.
pub fn rrtype_name(t: u16) -> Cow<'static, str> {
    let s = match t {
        1 => "A",
        2 => "NS",
        3 => "ND",
        4 => "MF",
        5 => "CNAME",
        6 => "SOA",
        7 => "MB",
        8 => "MG",
        9 => "MR",
        10 => "NULL",
        11 => "WKS",
        12 => "PTR",
        13 => "HINFO",
        14 => "MINFO",
        15 => "MX",
        16 => "TXT",
        17 => "RP",
        18 => "AFSDB",
        19 => "X25",
        20 => "ISDN",
        21 => "RT",
        22 => "NSAP",
        23 => "NSAPPT",
        24 => "SIG",
        25 => "KEY",
        26 => "PX",
        27 => "GPOS",
        28 => "AAAA",
        29 => "LOC",
        30 => "NXT",
        33 => "SRV",
        34 => "ATMA",
        35 => "NAPTR",
        36 => "KX",
        37 => "CERT",
        38 => "A6",
        39 => "DNAME",
        41 => "OPT",
        42 => "APL",
        43 => "DS",
        44 => "SSHFP",
        45 => "IPSECKEY",
        46 => "RRSIG",
        47 => "NSEC",
        48 => "DNSKEY",
        49 => "DHCID",
        50 => "NSEC3",
        51 => "NSEC3PARAM",
        52 => "TLSA",
        55 => "HIP",
        59 => "CDS",
        60 => "CDSNKEY",
        65 => "HTTPS",
        99 => "SPF",
        249 => "TKEY",
        250 => "TSIG",
        254 => "MAILA",
        255 => "ANY",
        256 => "URI",
        n => return Cow::Owned(n.to_string()),
    };
    Cow::Borrowed(s)
}

/// True for the types Suricata names (the ones alerts log).
pub fn rrtype_known(t: u16) -> bool {
    matches!(rrtype_name(t), Cow::Borrowed(_))
}

/// Suricata's name for a response code, or the number as text.
pub fn rcode_name(rcode: u8) -> Cow<'static, str> {
    let s = match rcode {
        0 => "NOERROR",
        1 => "FORMERR",
        2 => "SERVFAIL",
        3 => "NXDOMAIN",
        4 => "NOTIMP",
        5 => "REFUSED",
        6 => "YXDOMAIN",
        7 => "YXRRSET",
        8 => "NXRRSET",
        9 => "NOTAUTH",
        10 => "NOTZONE",
        n => return Cow::Owned(n.to_string()),
    };
    Cow::Borrowed(s)
}

/// Bytes as EVE writes them: valid UTF-8 as is; otherwise ASCII bytes kept
/// and every other byte written as `\xNN` (lowercase hex).
pub fn bytes_to_string(b: &[u8]) -> String {
    match std::str::from_utf8(b) {
        Ok(s) => s.to_owned(),
        Err(_) => {
            let mut out = String::with_capacity(b.len() * 2);
            for &c in b {
                if c.is_ascii() {
                    out.push(char::from(c));
                } else {
                    out.push_str(&format!("\\x{c:02x}"));
                }
            }
            out
        }
    }
}

fn query_object(tx: &DnsTx, m: &Message, q: usize, version: bool) -> Value {
    let h = &m.header;
    let question = &m.questions[q];
    let mut o = Map::new();
    if version {
        o.insert("version".into(), json!(2));
    }
    o.insert("type".into(), json!("query"));
    o.insert("id".into(), json!(h.id));
    o.insert("rrname".into(), json!(bytes_to_string(&question.name)));
    o.insert("rrtype".into(), json!(rrtype_name(question.rrtype)));
    o.insert("tx_id".into(), json!(tx.id));
    if h.z() {
        o.insert("z".into(), json!(true));
    }
    o.insert("opcode".into(), json!(h.opcode()));
    Value::Object(o)
}

/// Bodies of the `event_type: "dns"` records of a request: one per logged
/// question (empty for a response, or when requests are not logged).
pub fn query_records(tx: &DnsTx, cfg: &DnsLogConfig) -> Vec<Value> {
    let Some(m) = tx.request() else {
        return Vec::new();
    };
    if !cfg.requests {
        return Vec::new();
    }
    (0..m.questions.len())
        .filter(|&i| cfg.type_enabled(m.questions[i].rrtype))
        .map(|i| query_object(tx, m, i, true))
        .collect()
}

fn address_text(r: &RData) -> String {
    match r {
        RData::A(a) => a.to_string(),
        RData::Aaaa(a) => {
            let s = a.segments();
            format!(
                "{:04x}:{:04x}:{:04x}:{:04x}:{:04x}:{:04x}:{:04x}:{:04x}",
                s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]
            )
        }
        _ => String::new(),
    }
}

fn soa_object(s: &super::parser::Soa) -> Value {
    json!({
        "mname": bytes_to_string(&s.mname),
        "rname": bytes_to_string(&s.rname),
        "serial": s.serial,
        "refresh": s.refresh,
        "retry": s.retry,
        "expire": s.expire,
        "minimum": s.minimum,
    })
}

fn srv_object(s: &super::parser::Srv) -> Value {
    json!({
        "priority": s.priority,
        "weight": s.weight,
        "port": s.port,
        "name": bytes_to_string(&s.target),
    })
}

fn sshfp_object(s: &super::parser::Sshfp) -> Value {
    let fp: Vec<String> = s.fingerprint.iter().map(|b| format!("{b:02x}")).collect();
    json!({"fingerprint": fp.join(":"), "algo": s.algo, "type": s.fp_type})
}

/// What one record contributes: (key, value) pairs for a detailed entry,
/// one entry per TXT string, and the grouped values.
enum Rendered {
    /// `rdata` strings (one detailed entry each; TXT may give several).
    Text(Vec<String>),
    /// An object under this key (`soa`, `srv`, `sshfp`).
    Object(&'static str, Value),
    /// Nothing beyond rrname/rrtype/ttl.
    Nothing,
}

fn render(r: &Record) -> Rendered {
    match &r.data {
        RData::A(_) | RData::Aaaa(_) => Rendered::Text(vec![address_text(&r.data)]),
        RData::Malformed(_) if matches!(r.rrtype, rrtype::A | rrtype::AAAA) => Rendered::Text(vec![String::new()]),
        RData::Cname(n) | RData::Ns(n) | RData::Ptr(n) | RData::Null(n) => Rendered::Text(vec![bytes_to_string(n)]),
        RData::Mx { exchange, .. } => Rendered::Text(vec![bytes_to_string(exchange)]),
        RData::Txt(strings) if strings.is_empty() => Rendered::Text(vec![String::new()]),
        RData::Txt(strings) => Rendered::Text(strings.iter().map(|s| bytes_to_string(s)).collect()),
        RData::Soa(s) => Rendered::Object("soa", soa_object(s)),
        RData::Srv(s) => Rendered::Object("srv", srv_object(s)),
        RData::Sshfp(s) => Rendered::Object("sshfp", sshfp_object(s)),
        RData::Other(_) | RData::Malformed(_) => Rendered::Nothing,
    }
}

fn detail_base(r: &Record) -> Map<String, Value> {
    let mut o = Map::new();
    o.insert("rrname".into(), json!(bytes_to_string(&r.name)));
    o.insert("rrtype".into(), json!(rrtype_name(r.rrtype)));
    o.insert("ttl".into(), json!(r.ttl));
    o
}

/// Detailed entries of one record (a TXT record gives one per string).
fn details(r: &Record) -> Vec<Value> {
    match render(r) {
        Rendered::Text(texts) => texts
            .into_iter()
            .map(|t| {
                let mut o = detail_base(r);
                o.insert("rdata".into(), json!(t));
                Value::Object(o)
            })
            .collect(),
        Rendered::Object(k, v) => {
            let mut o = detail_base(r);
            o.insert(k.into(), v);
            vec![Value::Object(o)]
        }
        Rendered::Nothing => vec![Value::Object(detail_base(r))],
    }
}

fn header_fields(o: &mut Map<String, Value>, h: &Header) {
    o.insert("version".into(), json!(2));
    o.insert("type".into(), json!("answer"));
    o.insert("id".into(), json!(h.id));
    o.insert("flags".into(), json!(format!("{:x}", h.flags)));
    for (set, key) in
        [(h.is_response(), "qr"), (h.aa(), "aa"), (h.tc(), "tc"), (h.rd(), "rd"), (h.ra(), "ra"), (h.z(), "z")]
    {
        if set {
            o.insert(key.into(), json!(true));
        }
    }
    o.insert("opcode".into(), json!(h.opcode()));
}

fn answer_object(m: &Message, detailed: bool, grouped: bool) -> Value {
    let mut o = Map::new();
    header_fields(&mut o, &m.header);
    if let Some(q) = m.questions.first() {
        o.insert("rrname".into(), json!(bytes_to_string(&q.name)));
        o.insert("rrtype".into(), json!(rrtype_name(q.rrtype)));
    }
    o.insert("rcode".into(), json!(rcode_name(m.header.rcode())));
    if !m.answers.is_empty() {
        if detailed {
            let answers: Vec<Value> = m.answers.iter().flat_map(details).collect();
            o.insert("answers".into(), Value::Array(answers));
        }
        if grouped {
            let mut groups: Vec<(String, Vec<Value>)> = Vec::new();
            for r in &m.answers {
                let values: Vec<Value> = match render(r) {
                    Rendered::Text(t) => t.into_iter().map(Value::String).collect(),
                    Rendered::Object(_, v) => vec![v],
                    Rendered::Nothing => continue,
                };
                let key = rrtype_name(r.rrtype).into_owned();
                match groups.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, list)) => list.extend(values),
                    None => groups.push((key, values)),
                }
            }
            let g: Map<String, Value> = groups.into_iter().map(|(k, v)| (k, Value::Array(v))).collect();
            o.insert("grouped".into(), Value::Object(g));
        }
    }
    if !m.authorities.is_empty() {
        let auth: Vec<Value> = m.authorities.iter().flat_map(details).collect();
        o.insert("authorities".into(), Value::Array(auth));
    }
    Value::Object(o)
}

/// Body of the `event_type: "dns"` record of a response; `None` for a
/// request, when responses are not logged, or when no question of the
/// response has a logged type (a response without questions included).
pub fn answer_record(tx: &DnsTx, cfg: &DnsLogConfig) -> Option<Value> {
    let m = tx.response()?;
    if !cfg.responses || !m.questions.iter().any(|q| cfg.type_enabled(q.rrtype)) {
        return None;
    }
    Some(answer_object(m, cfg.detailed, cfg.grouped))
}

/// Bodies of every `event_type: "dns"` record of a transaction, in the
/// order Suricata writes them.
pub fn records(tx: &DnsTx, cfg: &DnsLogConfig) -> Vec<Value> {
    let mut out = query_records(tx, cfg);
    out.extend(answer_record(tx, cfg));
    out
}

/// The `dns` object of an alert on this transaction.
///
/// Suricata logs the queries of a request up to the first one with a type
/// it has no name for, and the answer of a response when one of its
/// questions has a named type; a transaction with neither gives
/// `{"version":2}`.
pub fn alert_object(tx: &DnsTx) -> Value {
    let mut o = Map::new();
    o.insert("version".into(), json!(2));
    if let Some(m) = tx.request() {
        let queries: Vec<Value> = (0..m.questions.len())
            .take_while(|&i| rrtype_known(m.questions[i].rrtype))
            .map(|i| query_object(tx, m, i, false))
            .collect();
        if !queries.is_empty() {
            o.insert("query".into(), Value::Array(queries));
        }
    }
    if let Some(m) = tx.response() {
        if m.questions.iter().any(|q| rrtype_known(q.rrtype)) {
            o.insert("answer".into(), answer_object(m, false, false));
        }
    }
    Value::Object(o)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::applayer::dns::DnsState;

    fn name(n: &str) -> Vec<u8> {
        let mut out = Vec::new();
        for l in n.split('.') {
            out.push(l.len() as u8);
            out.extend_from_slice(l.as_bytes());
        }
        out.push(0);
        out
    }

    fn msg(id: u16, flags: u16, qname: &str, qtype: u16, an: &[Vec<u8>], ns: &[Vec<u8>]) -> Vec<u8> {
        let mut m = Vec::new();
        for x in [id, flags, 1, an.len() as u16, ns.len() as u16, 0] {
            m.extend_from_slice(&x.to_be_bytes());
        }
        m.extend(name(qname));
        m.extend_from_slice(&qtype.to_be_bytes());
        m.extend_from_slice(&[0, 1]);
        for r in an.iter().chain(ns) {
            m.extend_from_slice(r);
        }
        m
    }

    fn rr(owner: &[u8], t: u16, ttl: u32, rdata: &[u8]) -> Vec<u8> {
        let mut v = owner.to_vec();
        v.extend_from_slice(&t.to_be_bytes());
        v.extend_from_slice(&[0, 1]);
        v.extend_from_slice(&ttl.to_be_bytes());
        v.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        v.extend_from_slice(rdata);
        v
    }

    fn one(to_server: bool, m: &[u8]) -> DnsState {
        let mut s = DnsState::new();
        s.parse(to_server, m, false);
        s
    }

    // Expected values below are Suricata 7.0.10's eve.json for the same
    // messages (lab capture described in ../tls/testdata/README.md).

    #[test]
    fn query_record_shape() {
        let s = one(true, &msg(0x1234, 0x0100, "www.Example.COM", 1, &[], &[]));
        let tx = s.txs().next().unwrap();
        let r = query_records(tx, &DnsLogConfig::default());
        assert_eq!(
            r,
            vec![json!({"version":2,"type":"query","id":4660,"rrname":"www.Example.COM",
                "rrtype":"A","tx_id":0,"opcode":0})]
        );
        assert_eq!(answer_record(tx, &DnsLogConfig::default()), None);
        assert_eq!(
            alert_object(tx),
            json!({"version":2,"query":[{"type":"query","id":4660,"rrname":"www.Example.COM",
                "rrtype":"A","tx_id":0,"opcode":0}]})
        );
    }

    #[test]
    fn z_flag_and_escaping() {
        let mut m = vec![0x02, 0x05, 0x01, 0x40, 0, 1, 0, 0, 0, 0, 0, 0];
        m.extend_from_slice(b"\x03a.b\x02\xff\xfe\x07example\x00\x00\x01\x00\x01");
        let s = one(true, &m);
        let r = query_records(s.txs().next().unwrap(), &DnsLogConfig::default());
        assert_eq!(
            r[0],
            json!({"version":2,"type":"query","id":517,"rrname":"a.b.\\xff\\xfe.example",
                "rrtype":"A","tx_id":0,"z":true,"opcode":0})
        );
    }

    #[test]
    fn answer_record_shape() {
        let resp = msg(
            0x2222,
            0x8180,
            "ipv6.example.net",
            28,
            &[rr(&[0xc0, 12], 28, 60, &[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])],
            &[],
        );
        let s = one(false, &resp);
        let tx = s.txs().next().unwrap();
        let a = answer_record(tx, &DnsLogConfig::default()).unwrap();
        assert_eq!(
            a,
            json!({"version":2,"type":"answer","id":8738,"flags":"8180","qr":true,"rd":true,
                "ra":true,"opcode":0,"rrname":"ipv6.example.net","rrtype":"AAAA","rcode":"NOERROR",
                "answers":[{"rrname":"ipv6.example.net","rrtype":"AAAA","ttl":60,
                    "rdata":"2001:0db8:0000:0000:0000:0000:0000:0001"}],
                "grouped":{"AAAA":["2001:0db8:0000:0000:0000:0000:0000:0001"]}})
        );
        assert_eq!(
            alert_object(tx),
            json!({"version":2,"answer":{"version":2,"type":"answer","id":8738,"flags":"8180",
                "qr":true,"rd":true,"ra":true,"opcode":0,"rrname":"ipv6.example.net",
                "rrtype":"AAAA","rcode":"NOERROR"}})
        );
    }

    #[test]
    fn txt_strings_are_separate_answers() {
        let resp =
            msg(0x3333, 0x8580, "txt.example.org", 16, &[rr(&[0xc0, 12], 16, 120, b"\x0bv=spf1 -all\x06second")], &[]);
        let s = one(false, &resp);
        let a = answer_record(s.txs().next().unwrap(), &DnsLogConfig::default()).unwrap();
        assert_eq!(a["aa"], json!(true));
        assert_eq!(
            a["answers"],
            json!([{"rrname":"txt.example.org","rrtype":"TXT","ttl":120,"rdata":"v=spf1 -all"},
                   {"rrname":"txt.example.org","rrtype":"TXT","ttl":120,"rdata":"second"}])
        );
        assert_eq!(a["grouped"], json!({"TXT":["v=spf1 -all","second"]}));
    }

    #[test]
    fn nxdomain_with_soa_authority() {
        let mut soa = b"\x03ns1\xc0\x11\x0ahostmaster\xc0\x11".to_vec();
        for n in [2024010101u32, 7200, 3600, 1209600, 300] {
            soa.extend_from_slice(&n.to_be_bytes());
        }
        let resp = msg(0x5555, 0x8183, "nope.example.org", 1, &[], &[rr(&[0xc0, 0x11], 6, 900, &soa)]);
        let s = one(false, &resp);
        let tx = s.txs().next().unwrap();
        let expect_auth = json!([{"rrname":"example.org","rrtype":"SOA","ttl":900,
            "soa":{"mname":"ns1.example.org","rname":"hostmaster.example.org","serial":2024010101u32,
                   "refresh":7200,"retry":3600,"expire":1209600,"minimum":300}}]);
        let a = answer_record(tx, &DnsLogConfig::default()).unwrap();
        assert_eq!(a["rcode"], json!("NXDOMAIN"));
        assert!(a.get("answers").is_none() && a.get("grouped").is_none());
        assert_eq!(a["authorities"], expect_auth);
        assert_eq!(alert_object(tx)["answer"]["authorities"], expect_auth);
    }

    #[test]
    fn mx_srv_sshfp_null_unknown() {
        let resp = msg(
            0x4444,
            0x8180,
            "example.org",
            15,
            &[
                rr(&[0xc0, 12], 15, 300, b"\x00\x0a\x04mail\xc0\x0c"),
                rr(&[0xc0, 12], 33, 86400, b"\x00\x0a\x00\x3c\x13\xc4\x03sip\xc0\x0c"),
                rr(&[0xc0, 12], 44, 5, b"\x01\x02\xde\xad\xbe\xef"),
                rr(&[0xc0, 12], 10, 5, b"VACKD\x03\xc5\xe9\x01"),
                rr(&[0xc0, 12], 13, 5, b"\x03CPU\x02OS"),
                rr(&[0xc0, 12], 1, 5, b"\x01\x02\x03"),
            ],
            &[],
        );
        let s = one(false, &resp);
        let a = answer_record(s.txs().next().unwrap(), &DnsLogConfig::default()).unwrap();
        assert_eq!(
            a["answers"],
            json!([
                {"rrname":"example.org","rrtype":"MX","ttl":300,"rdata":"mail.example.org"},
                {"rrname":"example.org","rrtype":"SRV","ttl":86400,
                    "srv":{"priority":10,"weight":60,"port":5060,"name":"sip.example.org"}},
                {"rrname":"example.org","rrtype":"SSHFP","ttl":5,
                    "sshfp":{"fingerprint":"de:ad:be:ef","algo":1,"type":2}},
                {"rrname":"example.org","rrtype":"NULL","ttl":5,"rdata":"VACKD\u{3}\\xc5\\xe9\u{1}"},
                {"rrname":"example.org","rrtype":"HINFO","ttl":5},
                {"rrname":"example.org","rrtype":"A","ttl":5,"rdata":""}
            ])
        );
        assert_eq!(
            a["grouped"],
            json!({"MX":["mail.example.org"],
                   "SRV":[{"priority":10,"weight":60,"port":5060,"name":"sip.example.org"}],
                   "SSHFP":[{"fingerprint":"de:ad:be:ef","algo":1,"type":2}],
                   "NULL":["VACKD\u{3}\\xc5\\xe9\u{1}"],"A":[""]})
        );
    }

    #[test]
    fn unknown_types_and_filters() {
        let s = one(true, &msg(0x106, 0x0100, "t64.example", 64, &[], &[]));
        let tx = s.txs().next().unwrap();
        assert_eq!(query_records(tx, &DnsLogConfig::default())[0]["rrtype"], json!("64"));
        assert_eq!(alert_object(tx), json!({"version":2}));
        let only_a = DnsLogConfig { types: Some(vec![1]), ..DnsLogConfig::default() };
        assert!(query_records(tx, &only_a).is_empty());
        assert_eq!(rrtype_name(3), "ND");
        assert_eq!(rrtype_name(60), "CDSNKEY");
        assert_eq!(rrtype_name(65), "HTTPS");
        assert_eq!(rcode_name(3), "NXDOMAIN");
        assert_eq!(rcode_name(12), "12");
    }

    #[test]
    fn response_without_question_is_not_logged() {
        let mut m = vec![0x02, 0x00, 0x81, 0x80, 0, 0, 0, 1, 0, 0, 0, 0];
        m.extend(rr(&name("noq.example"), 1, 5, &[1, 2, 3, 4]));
        let s = one(false, &m);
        let tx = s.txs().next().unwrap();
        assert_eq!(answer_record(tx, &DnsLogConfig::default()), None);
        assert_eq!(alert_object(tx), json!({"version":2}));
    }
}
