//! The mirror state file: what `mirror up` set up, for the engine and for
//! `mirror status`.
//!
//! JSON, written atomically (temporary file + rename) by `up`, `filter` and
//! `down`. The engine loads it with [`load_state`] and maps a mirrored
//! packet to its source by VNI ([`MirrorState::session_by_vni`]) or, when
//! VNIs are shared or unknown, by the outer source address
//! ([`MirrorState::session_by_source_ip`]): AWS sets the outer source IP of
//! every mirrored packet to the source ENI's primary private IP.
//!
//! Format 1 (fields that may be absent are `null`):
//!
//! ```json
//! {
//!   "format": 1,
//!   "name": "web-prod",
//!   "region": "us-east-1",
//!   "epoch": 0,
//!   "updated_unix": 1764460800,
//!   "target": { "id": "tmt-0123", "kind": "network-interface", "resource": "eni-0aa",
//!               "ip": "10.0.1.20", "instance_id": "i-0sensor" },
//!   "filter": { "id": "tmf-0456", "amazon_dns": false,
//!               "rules": [ { "direction": "ingress", "number": 100, "action": "accept",
//!                            "protocol": null, "source_cidr": "0.0.0.0/0",
//!                            "destination_cidr": "0.0.0.0/0", "source_ports": null,
//!                            "destination_ports": null, "description": "mirador preset all" } ] },
//!   "sessions": [ { "id": "tms-0789", "source_eni": "eni-0bb", "instance_id": "i-0web",
//!                   "source_ip": "10.0.1.7", "vni": 4242, "session_number": 1,
//!                   "packet_length": null, "target_id": "tmt-0123", "filter_id": "tmf-0456" } ]
//! }
//! ```
//!
//! `epoch` counts teardowns: `down` increments it and it is mixed into the
//! ClientTokens of new targets and filters, so that an `up` after a `down`
//! never replays a deleted resource from EC2's idempotency cache.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

use crate::model::{Observed, RuleSpec, TargetKind};

/// Current state file format.
pub const STATE_FORMAT: u32 = 1;

/// The whole state file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MirrorState {
    /// Format version ([`STATE_FORMAT`]).
    pub format: u32,
    /// Setup name (`--name`, the `mirador:name` tag value).
    pub name: String,
    /// AWS region, when known.
    #[serde(default)]
    pub region: Option<String>,
    /// Number of `down`s so far (see the module docs).
    #[serde(default)]
    pub epoch: u32,
    /// When the file was written (seconds since the Unix epoch).
    #[serde(default)]
    pub updated_unix: u64,
    /// The mirror target, if one exists.
    #[serde(default)]
    pub target: Option<StateTarget>,
    /// The mirror filter, if one exists.
    #[serde(default)]
    pub filter: Option<StateFilter>,
    /// One session per mirrored source ENI.
    #[serde(default)]
    pub sessions: Vec<StateSession>,
}

/// The target as recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateTarget {
    /// Target id.
    pub id: String,
    /// Kind.
    pub kind: TargetKind,
    /// ENI id, NLB ARN or GWLB endpoint id.
    pub resource: String,
    /// Primary private IP of a target ENI (outer destination of VXLAN).
    #[serde(default)]
    pub ip: Option<IpAddr>,
    /// Instance the target ENI belongs to (the sensor).
    #[serde(default)]
    pub instance_id: Option<String>,
}

/// The filter as recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateFilter {
    /// Filter id.
    pub id: String,
    /// Its rules, ingress and egress.
    pub rules: Vec<RuleSpec>,
    /// Whether the `amazon-dns` network service is mirrored.
    #[serde(default)]
    pub amazon_dns: bool,
}

/// One session as recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateSession {
    /// Session id.
    pub id: String,
    /// The mirrored ENI.
    pub source_eni: String,
    /// The instance that ENI is attached to.
    #[serde(default)]
    pub instance_id: Option<String>,
    /// Primary private IP of the source ENI: the outer source address of its
    /// mirrored packets.
    #[serde(default)]
    pub source_ip: Option<IpAddr>,
    /// VXLAN network identifier of the session (`null` when AWS did not say).
    #[serde(default)]
    pub vni: Option<u32>,
    /// Session number on the source ENI.
    pub session_number: u16,
    /// Bytes kept per packet; `null` mirrors whole packets.
    #[serde(default)]
    pub packet_length: Option<u16>,
    /// Target id.
    pub target_id: String,
    /// Filter id.
    pub filter_id: String,
}

impl MirrorState {
    /// An empty state for `name`.
    pub fn empty(name: &str, region: Option<String>, epoch: u32) -> Self {
        MirrorState {
            format: STATE_FORMAT,
            name: name.to_string(),
            region,
            epoch,
            updated_unix: now_unix(),
            target: None,
            filter: None,
            sessions: Vec::new(),
        }
    }

    /// The session with this VNI. `None` when no session or more than one
    /// session carries it (one VNI shared by several sources: use
    /// [`Self::session_by_source_ip`]).
    pub fn session_by_vni(&self, vni: u32) -> Option<&StateSession> {
        let mut it = self.sessions.iter().filter(|s| s.vni == Some(vni));
        let first = it.next()?;
        if it.next().is_some() {
            None
        } else {
            Some(first)
        }
    }

    /// The session whose source ENI has this primary private IP.
    pub fn session_by_source_ip(&self, ip: IpAddr) -> Option<&StateSession> {
        self.sessions.iter().find(|s| s.source_ip == Some(ip))
    }

    /// The session for a mirrored packet: by VNI when that is unambiguous,
    /// else by outer source IP.
    pub fn session_for(&self, vni: Option<u32>, outer_src: Option<IpAddr>) -> Option<&StateSession> {
        vni.and_then(|v| self.session_by_vni(v)).or_else(|| outer_src.and_then(|ip| self.session_by_source_ip(ip)))
    }
}

fn now_unix() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// Where `up` writes the state when `--state` is not given:
/// `mirador-mirror-NAME.json` in the current directory.
pub fn default_state_path(name: &str) -> PathBuf {
    PathBuf::from(format!("mirador-mirror-{name}.json"))
}

/// Loads a state file.
///
/// # Errors
/// The file cannot be read, is not JSON of this shape, or has a newer format.
pub fn load_state(path: impl AsRef<Path>) -> anyhow::Result<MirrorState> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read mirror state {}", path.display()))?;
    let state: MirrorState = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a mirador mirror state file", path.display()))?;
    if state.format > STATE_FORMAT {
        anyhow::bail!(
            "{}: state format {} is newer than this mirador understands ({STATE_FORMAT})",
            path.display(),
            state.format
        );
    }
    Ok(state)
}

/// Writes a state file atomically.
///
/// # Errors
/// I/O errors.
pub fn save_state(path: &Path, state: &MirrorState) -> anyhow::Result<()> {
    let mut text = serde_json::to_string_pretty(state)?;
    text.push('\n');
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let file = path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_else(|| "state".into());
    let tmp = dir.join(format!(".{file}.tmp{}", std::process::id()));
    std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// What is known about a source ENI beyond what the session says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EniInfo {
    /// Attached instance.
    pub instance_id: Option<String>,
    /// Primary private IP.
    pub ip: Option<IpAddr>,
}

/// Builds the state from what exists in the account for `name`.
pub fn state_from_observed(
    name: &str,
    region: Option<String>,
    epoch: u32,
    obs: &Observed,
    enis: &BTreeMap<String, EniInfo>,
    target_info: &EniInfo,
) -> MirrorState {
    let mut st = MirrorState::empty(name, region, epoch);
    let sessions: Vec<_> = obs.our_sessions(name).collect();
    // The target and filter our sessions use; else the first of ours.
    let target = obs
        .our_targets(name)
        .find(|t| sessions.iter().any(|s| s.target_id == t.id))
        .or_else(|| obs.our_targets(name).next());
    st.target = target.and_then(|t| {
        t.spec.as_ref().map(|spec| StateTarget {
            id: t.id.clone(),
            kind: spec.kind,
            resource: spec.resource.clone(),
            ip: target_info.ip,
            instance_id: target_info.instance_id.clone(),
        })
    });
    let filter = obs
        .our_filters(name)
        .find(|f| sessions.iter().any(|s| s.filter_id == f.id))
        .or_else(|| obs.our_filters(name).next());
    st.filter = filter.map(|f| {
        let mut rules: Vec<RuleSpec> = f.rules.iter().map(|r| r.spec.clone()).collect();
        rules.sort_by_key(|r| (r.direction, r.number));
        StateFilter { id: f.id.clone(), rules, amazon_dns: f.amazon_dns }
    });
    st.sessions = sessions
        .iter()
        .map(|s| {
            let info = enis.get(&s.eni).cloned().unwrap_or_default();
            StateSession {
                id: s.id.clone(),
                source_eni: s.eni.clone(),
                instance_id: info.instance_id,
                source_ip: info.ip,
                vni: s.vni,
                session_number: s.number,
                packet_length: s.packet_length,
                target_id: s.target_id.clone(),
                filter_id: s.filter_id.clone(),
            }
        })
        .collect();
    st.sessions.sort_by(|a, b| a.source_eni.cmp(&b.source_eni));
    st
}

/// Differences between the state file and the account: what `status`
/// reports as drift. Empty when they agree.
pub fn drift(state: &MirrorState, obs: &Observed) -> Vec<String> {
    let name = state.name.as_str();
    let mut out = Vec::new();
    let targets: Vec<_> = obs.our_targets(name).collect();
    match &state.target {
        Some(t) if !targets.iter().any(|x| x.id == t.id) => {
            out.push(format!("target {} is in the state file but no longer exists", t.id))
        }
        _ => {}
    }
    for t in &targets {
        if state.target.as_ref().is_none_or(|s| s.id != t.id) {
            out.push(format!("target {} exists but is not in the state file", t.id));
        }
    }
    let filters: Vec<_> = obs.our_filters(name).collect();
    if let Some(f) = &state.filter {
        match filters.iter().find(|x| x.id == f.id) {
            None => out.push(format!("filter {} is in the state file but no longer exists", f.id)),
            Some(x) => {
                for r in &f.rules {
                    match x.rules.iter().find(|o| o.spec.direction == r.direction && o.spec.number == r.number) {
                        None => out.push(format!("filter {}: rule {} {} is gone", f.id, r.direction, r.number)),
                        Some(o) if !r.same_as(&o.spec) => out.push(format!(
                            "filter {}: rule {} {} changed: {} (state file: {})",
                            f.id,
                            r.direction,
                            r.number,
                            o.spec.summary(),
                            r.summary()
                        )),
                        Some(_) => {}
                    }
                }
                for o in &x.rules {
                    if !f.rules.iter().any(|r| r.direction == o.spec.direction && r.number == o.spec.number) {
                        out.push(format!("filter {}: rule {} was added outside mirador", f.id, o.spec.summary()));
                    }
                }
                if x.amazon_dns != f.amazon_dns {
                    out.push(format!(
                        "filter {}: amazon-dns is {} (state file: {})",
                        f.id,
                        if x.amazon_dns { "on" } else { "off" },
                        if f.amazon_dns { "on" } else { "off" }
                    ));
                }
            }
        }
    }
    for f in &filters {
        if state.filter.as_ref().is_none_or(|s| s.id != f.id) {
            out.push(format!("filter {} exists but is not in the state file", f.id));
        }
    }
    let sessions: Vec<_> = obs.our_sessions(name).collect();
    for s in &state.sessions {
        match sessions.iter().find(|x| x.id == s.id) {
            None => out.push(format!("session {} ({}) is in the state file but no longer exists", s.id, s.source_eni)),
            Some(x) => {
                let mut diffs = Vec::new();
                if x.vni != s.vni {
                    diffs.push(format!("vni {:?} (state file {:?})", x.vni, s.vni));
                }
                if x.number != s.session_number {
                    diffs.push(format!("session number {} (state file {})", x.number, s.session_number));
                }
                if x.packet_length != s.packet_length {
                    diffs.push(format!("packet length {:?} (state file {:?})", x.packet_length, s.packet_length));
                }
                if x.target_id != s.target_id {
                    diffs.push(format!("target {} (state file {})", x.target_id, s.target_id));
                }
                if x.filter_id != s.filter_id {
                    diffs.push(format!("filter {} (state file {})", x.filter_id, s.filter_id));
                }
                if !diffs.is_empty() {
                    out.push(format!("session {} changed: {}", s.id, diffs.join(", ")));
                }
            }
        }
    }
    for x in &sessions {
        if !state.sessions.iter().any(|s| s.id == x.id) {
            out.push(format!("session {} ({}) exists but is not in the state file", x.id, x.eni));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ObservedFilter, ObservedRule, ObservedSession, ObservedTarget, Tags, TargetSpec, TAG_NAME};

    fn tags() -> Tags {
        [(TAG_NAME.to_string(), "web".to_string())].into()
    }

    fn observed() -> Observed {
        Observed {
            targets: vec![ObservedTarget {
                id: "tmt-1".into(),
                spec: Some(TargetSpec { kind: TargetKind::NetworkInterface, resource: "eni-t".into() }),
                tags: tags(),
            }],
            filters: vec![ObservedFilter {
                id: "tmf-1".into(),
                rules: vec![ObservedRule {
                    id: "r1".into(),
                    spec: RuleSpec::accept_all(crate::model::Direction::Ingress, 100, false),
                }],
                amazon_dns: false,
                tags: tags(),
            }],
            sessions: vec![
                ObservedSession {
                    id: "tms-1".into(),
                    eni: "eni-a".into(),
                    target_id: "tmt-1".into(),
                    filter_id: "tmf-1".into(),
                    number: 1,
                    vni: Some(4242),
                    packet_length: None,
                    tags: tags(),
                },
                ObservedSession {
                    id: "tms-other".into(),
                    eni: "eni-z".into(),
                    target_id: "tmt-1".into(),
                    filter_id: "tmf-1".into(),
                    number: 1,
                    vni: Some(9),
                    packet_length: None,
                    tags: Tags::new(),
                },
            ],
        }
    }

    fn state() -> MirrorState {
        let enis: BTreeMap<String, EniInfo> =
            [("eni-a".to_string(), EniInfo { instance_id: Some("i-a".into()), ip: Some("10.0.0.7".parse().unwrap()) })]
                .into();
        let target = EniInfo { instance_id: Some("i-sensor".into()), ip: Some("10.0.0.9".parse().unwrap()) };
        state_from_observed("web", Some("us-east-1".into()), 0, &observed(), &enis, &target)
    }

    #[test]
    fn built_from_observed_only_ours() {
        let st = state();
        assert_eq!(st.sessions.len(), 1);
        let s = &st.sessions[0];
        assert_eq!((s.source_eni.as_str(), s.instance_id.as_deref(), s.vni), ("eni-a", Some("i-a"), Some(4242)));
        assert_eq!(st.target.as_ref().unwrap().ip, Some("10.0.0.9".parse().unwrap()));
        assert_eq!(st.filter.as_ref().unwrap().rules.len(), 1);
    }

    #[test]
    fn round_trip_and_documented_shape() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        let st = state();
        save_state(&path, &st).unwrap();
        assert_eq!(load_state(&path).unwrap(), st);
        // The documented field names, as the engine reads them.
        let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(v["format"], 1);
        assert_eq!(v["name"], "web");
        assert_eq!(v["sessions"][0]["vni"], 4242);
        assert_eq!(v["sessions"][0]["source_eni"], "eni-a");
        assert_eq!(v["sessions"][0]["instance_id"], "i-a");
        assert_eq!(v["sessions"][0]["source_ip"], "10.0.0.7");
        assert_eq!(v["target"]["kind"], "network-interface");
        assert_eq!(v["filter"]["rules"][0]["source_cidr"], "0.0.0.0/0");
        // The example in the module docs parses.
        let doc = include_str!("state.rs");
        let start = doc.find("//! ```json").unwrap();
        let end = doc[start + 12..].find("//! ```").unwrap() + start + 12;
        let example: String = doc[start + 12..end]
            .lines()
            .map(|l| l.trim_start().trim_start_matches("//!"))
            .collect::<Vec<_>>()
            .join("\n");
        let parsed: MirrorState = serde_json::from_str(&example).unwrap();
        assert_eq!(parsed.session_by_vni(4242).unwrap().instance_id.as_deref(), Some("i-0web"));
    }

    #[test]
    fn lookups() {
        let mut st = state();
        assert_eq!(st.session_by_vni(4242).unwrap().source_eni, "eni-a");
        assert!(st.session_by_vni(1).is_none());
        let ip: IpAddr = "10.0.0.7".parse().unwrap();
        assert_eq!(st.session_by_source_ip(ip).unwrap().id, "tms-1");
        // A shared VNI is ambiguous: fall back to the outer source address.
        let mut second = st.sessions[0].clone();
        second.id = "tms-2".into();
        second.source_ip = Some("10.0.0.8".parse().unwrap());
        st.sessions.push(second);
        assert!(st.session_by_vni(4242).is_none());
        assert_eq!(st.session_for(Some(4242), Some("10.0.0.8".parse().unwrap())).unwrap().id, "tms-2");
    }

    #[test]
    fn rejects_garbage_and_newer_formats() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.json");
        std::fs::write(&p, "{}").unwrap();
        assert!(load_state(&p).unwrap_err().to_string().contains("not a mirador mirror state"));
        let mut st = state();
        st.format = 99;
        save_state(&p, &st).unwrap();
        assert!(load_state(&p).unwrap_err().to_string().contains("newer"));
        assert!(load_state(dir.path().join("missing.json")).is_err());
    }

    #[test]
    fn drift_is_reported() {
        let st = state();
        assert!(drift(&st, &observed()).is_empty());
        let mut obs = observed();
        obs.sessions[0].vni = Some(5);
        obs.filters[0].amazon_dns = true;
        obs.filters[0].rules[0].spec.action = crate::model::RuleAction::Reject;
        obs.sessions.push(ObservedSession { id: "tms-new".into(), tags: tags(), ..obs.sessions[1].clone() });
        let d = drift(&st, &obs);
        assert_eq!(d.len(), 4, "{d:#?}");
        assert!(d.iter().any(|m| m.contains("vni Some(5)")));
        assert!(d.iter().any(|m| m.contains("tms-new") && m.contains("not in the state file")));
        let gone = Observed::default();
        assert_eq!(drift(&st, &gone).len(), 3);
    }
}
