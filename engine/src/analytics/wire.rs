//! Feeding the analytics stage from the pipeline: flow and DNS summaries
//! built from engine state, and findings rendered as EVE alerts.

use std::net::IpAddr;

use serde_json::{Map, Value};

use super::{DnsQuery, Finding, FlowSummary, GID};
use crate::applayer::dns::parser::{Message, RData};
use crate::applayer::dns::DnsTx;
use crate::flow::Flow;
use crate::output::eve::{format_ip, format_ts, proto_name};
use crate::source::Timestamp;

fn rdata_len(d: &RData) -> usize {
    match d {
        RData::A(_) => 4,
        RData::Aaaa(_) => 16,
        RData::Txt(v) => v.iter().map(|s| s.len() + 1).sum(),
        RData::Null(b) | RData::Other(b) | RData::Malformed(b) => b.len(),
        RData::Cname(n) | RData::Ns(n) | RData::Ptr(n) => n.len() + 2,
        _ => 0,
    }
}

/// The summary of a finished flow.
pub fn flow_summary(f: &Flow, server_name: Option<String>) -> FlowSummary {
    FlowSummary {
        start: f.start,
        end: f.last,
        proto: f.proto,
        client: f.client,
        server: f.server,
        vni: f.vni,
        pkts_toserver: f.pkts_toserver,
        pkts_toclient: f.pkts_toclient,
        bytes_toserver: f.bytes_toserver,
        bytes_toclient: f.bytes_toclient,
        app_proto: f.app_proto.map(|p| p.name()),
        server_name,
    }
}

/// The query a DNS response answers, for the DNS tunnelling checks.
pub fn dns_query(ts: Timestamp, tx: &DnsTx, server: IpAddr, client: IpAddr, vni: Option<u32>) -> Option<DnsQuery> {
    from_message(ts, tx.response()?, server, client, vni)
}

/// The same from a parsed response message.
pub fn from_message(ts: Timestamp, m: &Message, server: IpAddr, client: IpAddr, vni: Option<u32>) -> Option<DnsQuery> {
    let q = m.questions.first()?;
    Some(DnsQuery {
        ts,
        client,
        server,
        vni,
        qname: String::from_utf8_lossy(&q.name).into_owned(),
        qtype: q.rrtype,
        answer_bytes: m.answers.iter().map(|r| rdata_len(&r.data)).sum(),
        answers: m
            .answers
            .iter()
            .filter_map(|r| match r.data {
                RData::A(x) => Some(IpAddr::V4(x)),
                RData::Aaaa(x) => Some(IpAddr::V6(x)),
                _ => None,
            })
            .collect(),
    })
}

/// A finding as an EVE alert record.
pub fn render_finding(f: &Finding) -> String {
    let mut m = Map::new();
    m.insert("timestamp".into(), format_ts(f.ts).into());
    m.insert("event_type".into(), "alert".into());
    m.insert("src_ip".into(), format_ip(f.src.0).into());
    if f.src.1 != 0 || f.dst.1 != 0 {
        m.insert("src_port".into(), f.src.1.into());
    }
    m.insert("dest_ip".into(), format_ip(f.dst.0).into());
    if f.src.1 != 0 || f.dst.1 != 0 {
        m.insert("dest_port".into(), f.dst.1.into());
    }
    m.insert("proto".into(), proto_name(f.proto).into());
    let mut meta = Map::new();
    for (k, v) in &f.metadata {
        let e = meta.entry(k.clone()).or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(a) = e {
            a.push(v.clone().into());
        }
    }
    let alert = serde_json::json!({
        "action": "allowed",
        "gid": GID,
        "signature_id": f.sid,
        "rev": f.rev,
        "signature": f.msg,
        "category": f.category,
        "severity": f.severity,
        "metadata": meta,
    });
    m.insert("alert".into(), alert);
    if let Some(v) = f.vni {
        m.insert("tunnel".into(), serde_json::json!({ "vni": v }));
    }
    Value::Object(m).to_string()
}
