//! Mirror-aware enrichment: which mirrored instance a record belongs to.
//!
//! A sensor behind AWS Traffic Mirroring sees the private addresses of many
//! VPCs, often overlapping; the analyst wants the instance. `mirador mirror
//! up` writes a state file that maps each mirror session's VNI (and the
//! source ENI's primary address, which AWS puts as the outer source of every
//! mirrored packet) to the session, ENI, instance and target. [`MirrorMap`]
//! reads that file — or a hand-written one with the same `sessions` list —
//! and [`Enriched`] adds a `mirror` object to every EVE record that carries
//! a `tunnel` whose VNI (else outer source address) is in the map.
//!
//! The engine reads the file itself, without the AWS crate, so enrichment
//! works in builds without the `aws` feature and with mappings written by
//! hand. Only the fields below are read; others are ignored:
//!
//! ```json
//! { "sessions": [ { "id": "tms-0789", "vni": 4242, "source_eni": "eni-0bb",
//!                   "instance_id": "i-0web", "source_ip": "10.0.1.7",
//!                   "target_id": "tmt-0123" } ] }
//! ```

use std::collections::HashMap;
use std::io;
use std::net::IpAddr;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Sink;
use crate::analytics::{DnsQuery, FlowSummary};
use crate::detect::threshold::Hit;

/// The `mirror` object written on enriched records.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MirrorInfo {
    /// Traffic Mirror Session id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// The mirrored network interface.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_eni: Option<String>,
    /// The instance that owns that interface.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_instance: Option<String>,
    /// The Traffic Mirror Target id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_id: Option<String>,
}

/// One session as the state file records it (the fields enrichment needs).
#[derive(Deserialize)]
struct StateSession {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    vni: Option<u32>,
    #[serde(default)]
    source_eni: Option<String>,
    #[serde(default)]
    instance_id: Option<String>,
    #[serde(default)]
    source_ip: Option<IpAddr>,
    #[serde(default)]
    target_id: Option<String>,
}

#[derive(Deserialize)]
struct StateFile {
    #[serde(default)]
    sessions: Vec<StateSession>,
}

/// VNI and outer-source lookups of mirror sessions.
#[derive(Clone, Debug, Default)]
pub struct MirrorMap {
    by_vni: HashMap<u32, MirrorInfo>,
    by_source: HashMap<IpAddr, MirrorInfo>,
}

impl MirrorMap {
    /// Parses a state file's text.
    ///
    /// A VNI used by two sessions (possible when VNIs are set by hand) is
    /// ambiguous and is not used; those sessions are found by their outer
    /// source address instead.
    ///
    /// # Errors
    /// When the text is not JSON of the documented shape.
    pub fn parse(text: &str) -> Result<MirrorMap, serde_json::Error> {
        let file: StateFile = serde_json::from_str(text)?;
        let mut map = MirrorMap::default();
        let mut shared = Vec::new();
        for s in file.sessions {
            let info = MirrorInfo {
                session_id: s.id,
                source_eni: s.source_eni,
                source_instance: s.instance_id,
                target_id: s.target_id,
            };
            if let Some(vni) = s.vni {
                if map.by_vni.insert(vni, info.clone()).is_some() {
                    shared.push(vni);
                }
            }
            if let Some(ip) = s.source_ip {
                map.by_source.insert(ip, info);
            }
        }
        for vni in shared {
            map.by_vni.remove(&vni);
        }
        Ok(map)
    }

    /// Reads a state file.
    ///
    /// # Errors
    /// When the file cannot be read or parsed (the message names the file).
    pub fn load(path: &Path) -> io::Result<MirrorMap> {
        let text = std::fs::read_to_string(path)?;
        MirrorMap::parse(&text)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("{}: {e}", path.display())))
    }

    /// Number of sessions that can be found.
    pub fn len(&self) -> usize {
        self.by_vni.len().max(self.by_source.len())
    }

    /// No session.
    pub fn is_empty(&self) -> bool {
        self.by_vni.is_empty() && self.by_source.is_empty()
    }

    /// The session of a tunnelled record: by VNI, else by outer source.
    pub fn lookup(&self, vni: Option<u32>, outer_src: Option<IpAddr>) -> Option<&MirrorInfo> {
        vni.and_then(|v| self.by_vni.get(&v)).or_else(|| outer_src.and_then(|ip| self.by_source.get(&ip)))
    }

    /// The record with a `mirror` object added, or None when it has no
    /// tunnel or the tunnel is not a known session.
    pub fn enrich(&self, line: &str) -> Option<String> {
        // Cheap tests first: most records of a plain capture have no tunnel.
        if self.is_empty() || !line.contains("\"tunnel\":") {
            return None;
        }
        let mut v: Value = serde_json::from_str(line).ok()?;
        let obj = v.as_object_mut()?;
        let tunnel = obj.get("tunnel")?;
        let vni = tunnel.get("vni").and_then(Value::as_u64).and_then(|n| u32::try_from(n).ok());
        let src = tunnel.get("src_ip").and_then(Value::as_str).and_then(|s| s.parse().ok());
        let info = self.lookup(vni, src)?;
        obj.insert("mirror".into(), serde_json::to_value(info).ok()?);
        serde_json::to_string(&v).ok()
    }
}

/// A sink that enriches records with their mirror session before passing
/// them on.
pub struct Enriched<'s> {
    inner: &'s mut dyn Sink,
    map: MirrorMap,
    /// Records enriched.
    pub enriched: u64,
}

impl<'s> Enriched<'s> {
    /// Wraps `inner`.
    pub fn new(inner: &'s mut dyn Sink, map: MirrorMap) -> Self {
        Enriched { inner, map, enriched: 0 }
    }

    fn apply(&mut self, line: &str) -> Option<String> {
        let out = self.map.enrich(line);
        self.enriched += u64::from(out.is_some());
        out
    }
}

impl Sink for Enriched<'_> {
    fn write_record(&mut self, json: &str) -> io::Result<()> {
        match self.apply(json) {
            Some(e) => self.inner.write_record(&e),
            None => self.inner.write_record(json),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }

    fn write_alert(&mut self, line: &str, hit: &Hit) -> io::Result<()> {
        match self.apply(line) {
            Some(e) => self.inner.write_alert(&e, hit),
            None => self.inner.write_alert(line, hit),
        }
    }

    fn flow_ended(&mut self, f: &FlowSummary) {
        self.inner.flow_ended(f);
    }

    fn dns_answer(&mut self, q: &DnsQuery) {
        self.inner.dns_answer(q);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::VecSink;

    const STATE: &str = r#"{
      "format": 1, "name": "web-prod", "region": "us-east-1", "epoch": 0, "updated_unix": 1,
      "target": { "id": "tmt-1", "kind": "network-interface", "resource": "eni-t", "ip": "10.0.1.20",
                  "instance_id": "i-sensor" },
      "filter": null,
      "sessions": [
        { "id": "tms-a", "source_eni": "eni-a", "instance_id": "i-web", "source_ip": "10.0.1.7",
          "vni": 4242, "session_number": 1, "packet_length": null, "target_id": "tmt-1", "filter_id": "tmf-1" },
        { "id": "tms-b", "source_eni": "eni-b", "instance_id": null, "source_ip": "10.0.1.8",
          "vni": 777, "session_number": 1, "packet_length": null, "target_id": "tmt-1", "filter_id": "tmf-1" }
      ]
    }"#;

    fn alert(vni: u32, outer: &str) -> String {
        format!(
            r#"{{"timestamp":"t","event_type":"alert","src_ip":"1.2.3.4","tunnel":{{"src_ip":"{outer}","vni":{vni}}},"direction":"to_server"}}"#
        )
    }

    #[test]
    fn enriches_by_vni_then_outer_source() {
        let map = MirrorMap::parse(STATE).unwrap();
        let rec: Value = serde_json::from_str(&map.enrich(&alert(4242, "192.0.2.1")).unwrap()).unwrap();
        assert_eq!(rec["mirror"]["source_instance"], "i-web");
        assert_eq!(rec["mirror"]["session_id"], "tms-a");
        assert_eq!(rec["mirror"]["source_eni"], "eni-a");
        assert_eq!(rec["mirror"]["target_id"], "tmt-1");
        // Fields keep their order; `mirror` comes last.
        let keys: Vec<&String> = rec.as_object().unwrap().keys().collect();
        assert_eq!(keys.first().map(|k| k.as_str()), Some("timestamp"));
        assert_eq!(keys.last().map(|k| k.as_str()), Some("mirror"));
        // Unknown VNI, known outer source.
        let rec: Value = serde_json::from_str(&map.enrich(&alert(1, "10.0.1.8")).unwrap()).unwrap();
        assert_eq!(rec["mirror"]["session_id"], "tms-b");
        assert!(rec["mirror"].get("source_instance").is_none(), "null instance is left out");
        // Neither known: untouched.
        assert_eq!(map.enrich(&alert(1, "192.0.2.1")), None);
        // No tunnel: untouched.
        assert_eq!(map.enrich(r#"{"event_type":"alert","src_ip":"1.2.3.4"}"#), None);
    }

    #[test]
    fn a_shared_vni_is_not_trusted() {
        let text =
            r#"{"sessions":[{"id":"a","vni":5,"source_ip":"10.0.0.1"},{"id":"b","vni":5,"source_ip":"10.0.0.2"}]}"#;
        let map = MirrorMap::parse(text).unwrap();
        assert_eq!(map.lookup(Some(5), None), None);
        assert_eq!(map.lookup(Some(5), "10.0.0.2".parse().ok()).unwrap().session_id.as_deref(), Some("b"));
    }

    #[test]
    fn sink_passes_everything_on() {
        let map = MirrorMap::parse(STATE).unwrap();
        let mut out = VecSink::default();
        let mut e = Enriched::new(&mut out, map);
        e.write_record(&alert(4242, "x")).unwrap();
        e.write_record(r#"{"event_type":"flow"}"#).unwrap();
        assert_eq!(e.enriched, 1);
        assert!(out.0[0].contains(r#""mirror":{"session_id":"tms-a""#));
        assert_eq!(out.0[1], r#"{"event_type":"flow"}"#);
    }

    #[test]
    fn bad_state_is_an_error() {
        assert!(MirrorMap::parse("{").is_err());
        assert!(MirrorMap::parse(r#"{"sessions":[{"vni":"x"}]}"#).is_err());
    }
}
