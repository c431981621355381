//! Behavioural detection over finished flows and DNS transactions:
//! beaconing, exfiltration and DNS tunnelling.
//!
//! Signatures catch what someone wrote a rule for; this stage finds what
//! only shows across many flows: an instance calling home on a timer, data
//! leaving in bulk, data leaving through DNS. It is fed summaries, never
//! packets:
//!
//! - [`Analytics::flow_ended`] with a [`FlowSummary`] when a flow ends (closed,
//!   timed out, evicted, or flushed at the end of input);
//! - [`Analytics::dns`] with a [`DnsQuery`] for each DNS transaction;
//! - [`Analytics::finish`] once at the end of input.
//!
//! Each call appends [`Finding`]s, which the caller turns into EVE alerts with
//! generator id [`GID`] and the signature ids in [`sid`] (docs/behaviour.md
//! documents them).
//!
//! # Contract
//!
//! - **Packet time only.** Every window, decay and cool-down runs on the
//!   timestamps of the summaries, never on the wall clock, so replaying the
//!   same input in the same order gives the same findings. Findings that
//!   [`Analytics::finish`] emits are sorted.
//! - **One instance sees all flows of a source.** Beacons and volumes are
//!   per source address, across ports and 5-tuples: feed one instance from
//!   the ordered output stage, or shard by (VNI, client address), never by
//!   flow hash.
//! - **Bounded memory.** Every table is a map of two generations (an
//!   approximate LRU) with a byte budget, a fixed share of
//!   [`AnalyticsConfig::memcap`] ([`SHARE_BEACON`] and the other `SHARE_*`). Per-key state is bounded by named caps
//!   ([`MAX_NAME_LEN`], [`MAX_DISTINCT_TRACKED`], [`MAX_ANSWERS_CACHED`],
//!   `beacon.max-events`). Hitting a cap drops the oldest state and is
//!   counted in [`AnalyticsCounters`]; it never fails.
//! - **No panics** on any input: names are untrusted bytes made text, and
//!   out-of-order or equal timestamps are handled.
//!
//! # Scope
//!
//! A flow is analysed when its client is internal ([`AnalyticsConfig::home_net`])
//! and its server external (outside `home_net` and not link-local, loopback,
//! multicast or broadcast), and no allow-list entry matches. Beaconing may
//! also look at internal servers (`beacon.internal-destinations`).
//!
//! The destination of a flow is its server name when one is known (TLS SNI or
//! HTTP Host in [`FlowSummary::server_name`], else the name the client last
//! resolved to the server address, learnt from [`DnsQuery::answers`]), else
//! the server address. Beacons are keyed per (VNI, client address,
//! destination, server port, protocol); volumes per (VNI, client address,
//! destination); DNS per (VNI, client address, registered domain).

mod beacon;
pub mod config;
mod dns;
mod exfil;
mod table;
pub mod wire;

use std::net::IpAddr;

pub use config::{AllowList, AnalyticsConfig, BeaconConfig, Cidr, DnsConfig, DomainPattern, ExfilConfig, PortRule};
pub use table::TableCounters;

use crate::source::Timestamp;
use table::GenMap;

/// Generator id of behavioural alerts (Suricata uses 1 for rules and 100+
/// for its decoders and engines; 9000 is mirador's).
pub const GID: u32 = 9000;

/// Signature ids of behavioural alerts (generator [`GID`]).
pub mod sid {
    /// Periodic connections to one destination (beaconing).
    pub const BEACON: u32 = 9_000_001;
    /// Outbound volume to one destination far above the source's baseline.
    pub const EXFIL_VOLUME: u32 = 9_000_002;
    /// Long flow sending far more than it receives.
    pub const UPLOAD_RATIO: u32 = 9_000_003;
    /// Many distinct long, random-looking names under one domain.
    pub const DNS_LONG_NAMES: u32 = 9_000_004;
    /// Many distinct subdomains of one domain.
    pub const DNS_MANY_SUBDOMAINS: u32 = 9_000_005;
    /// Many distinct names with large TXT or NULL answers under one domain.
    pub const DNS_LARGE_ANSWERS: u32 = 9_000_006;
}

/// Names longer than this are cut (and counted): 253 is the longest legal
/// DNS name in text form.
pub const MAX_NAME_LEN: usize = 253;

/// Distinct-name sets per (client, domain) stop growing at their threshold,
/// and thresholds are clamped to this: 4096 hashes of 4 bytes bound one
/// domain's state to 16 KiB per set whatever the configuration says.
pub const MAX_DISTINCT_TRACKED: u32 = 4096;

/// Addresses of one DNS answer remembered for naming later flows: a few
/// cover round-robin records; more only pushes useful names out.
pub const MAX_ANSWERS_CACHED: usize = 8;

/// Share of the memcap for beacon keys: the largest per-key state (up to
/// `beacon.max-events` beats each) and the most keys.
pub const SHARE_BEACON: f64 = 0.40;
/// Share of the memcap for exfiltration (source, destination) pairs.
pub const SHARE_EXFIL_PAIRS: f64 = 0.20;
/// Share of the memcap for per-source baselines (one per internal host).
pub const SHARE_EXFIL_SOURCES: f64 = 0.05;
/// Share of the memcap for DNS (client, registered domain) state.
pub const SHARE_DNS_DOMAINS: f64 = 0.25;
/// Share of the memcap for the address-to-name cache learnt from DNS.
pub const SHARE_DNS_NAMES: f64 = 0.10;

/// A finished flow, as the flow table knows it when the flow ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlowSummary {
    /// First packet time.
    pub start: Timestamp,
    /// Last packet time.
    pub end: Timestamp,
    /// IP protocol (6 TCP, 17 UDP, ...).
    pub proto: u8,
    /// Client (initiator) address and port (0 for portless protocols).
    pub client: (IpAddr, u16),
    /// Server (responder) address and port.
    pub server: (IpAddr, u16),
    /// VXLAN/GENEVE VNI the flow came in, if any (overlapping address spaces
    /// stay apart).
    pub vni: Option<u32>,
    /// Packets client to server.
    pub pkts_toserver: u64,
    /// Packets server to client.
    pub pkts_toclient: u64,
    /// Bytes client to server (as the flow table counts them).
    pub bytes_toserver: u64,
    /// Bytes server to client.
    pub bytes_toclient: u64,
    /// Detected application protocol (`"tls"`, `"http"`, ...), if any.
    pub app_proto: Option<&'static str>,
    /// TLS SNI or HTTP Host, if seen (a port suffix is ignored).
    pub server_name: Option<String>,
}

/// One DNS transaction (query and, if seen, its response).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DnsQuery {
    /// Query time.
    pub ts: Timestamp,
    /// Client address.
    pub client: IpAddr,
    /// Server (resolver) address.
    pub server: IpAddr,
    /// VNI the query came in, if any.
    pub vni: Option<u32>,
    /// Query name as text (any case, trailing dot or not).
    pub qname: String,
    /// Query type (16 TXT, 10 NULL, ...).
    pub qtype: u16,
    /// Bytes of rdata in the response's answers, 0 if none.
    pub answer_bytes: usize,
    /// A and AAAA addresses of the response, to name later flows to them
    /// (at most [`MAX_ANSWERS_CACHED`] are used).
    pub answers: Vec<IpAddr>,
}

/// A behavioural alert: what EVE needs for an `alert` record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// Packet time the finding was made (end of the flow, or the query).
    pub ts: Timestamp,
    /// Signature id (one of [`sid`]); the generator is [`GID`].
    pub sid: u32,
    /// Signature revision.
    pub rev: u32,
    /// Signature message (fixed per sid, so a SIEM can route on it).
    pub msg: String,
    /// Severity (priority): 1 high, 3 low.
    pub severity: u8,
    /// Classification description, as in classification.config.
    pub category: String,
    /// Source: the internal client (port of the last flow; 0 for DNS).
    pub src: (IpAddr, u16),
    /// Destination: the server of the last flow, or the DNS server (port 53).
    pub dst: (IpAddr, u16),
    /// IP protocol of the last flow (17 for DNS).
    pub proto: u8,
    /// VNI of the source, if any.
    pub vni: Option<u32>,
    /// Figures behind the finding, e.g. `("period_s", "60.1")`,
    /// `("jitter", "0.12")`, `("count", "14")`.
    pub metadata: Vec<(String, String)>,
}

/// Counters of the stage, for the stats record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AnalyticsCounters {
    /// Flow summaries received.
    pub flows: u64,
    /// Flows ignored by the allow-list.
    pub flows_allowed: u64,
    /// Flows out of scope (not internal client to external server).
    pub flows_out_of_scope: u64,
    /// DNS transactions received.
    pub dns_queries: u64,
    /// DNS transactions ignored by the allow-lists.
    pub dns_allowed: u64,
    /// DNS transactions with an empty or unusable name.
    pub dns_bad_names: u64,
    /// Names cut to [`MAX_NAME_LEN`].
    pub names_truncated: u64,
    /// Beacon keys scored.
    pub beacon_evaluations: u64,
    /// Findings per signature, in [`sid`] order (9000001 first).
    pub findings: [u64; 6],
    /// Beacon keys.
    pub beacon_table: TableCounters,
    /// Exfiltration (source, destination) pairs.
    pub exfil_pairs: TableCounters,
    /// Per-source baselines.
    pub exfil_sources: TableCounters,
    /// DNS (client, registered domain) state.
    pub dns_domains: TableCounters,
    /// Address-to-name cache.
    pub dns_names: TableCounters,
    /// The configured cap of all tables together.
    pub memcap: u64,
    /// Bytes accounted now, all tables.
    pub bytes: u64,
    /// Highest `bytes` seen.
    pub peak_bytes: u64,
}

/// A host: address plus the VNI it was seen in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Host {
    vni: Option<u32>,
    ip: IpAddr,
}

/// Where a flow goes: a name (hashed) when known, else the address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Dest {
    Ip(IpAddr),
    Name(u64),
}

/// Sentinel for "never" in packet-time fields (microseconds).
pub(crate) const NEVER: i64 = i64::MIN;

/// FNV-1a, 64 bits: a fixed hash so that keys and sets are the same in
/// every run.
pub(crate) fn fnv64(b: &[u8]) -> u64 {
    b.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &c| (h ^ u64::from(c)).wrapping_mul(0x0100_0000_01b3))
}

/// The behavioural stage; see the module documentation.
pub struct Analytics {
    cfg: AnalyticsConfig,
    beacons: beacon::Beacons,
    exfil: exfil::Exfil,
    dns: dns::DnsTunnels,
    names: GenMap<Host, Box<str>>,
    c: AnalyticsCounters,
}

impl Analytics {
    /// A stage with this configuration. Out-of-range settings are clamped
    /// (`beacon.min-count` to at least 4, `beacon.max-events` to at least
    /// `min-count`, distinct-name thresholds to [`MAX_DISTINCT_TRACKED`]).
    pub fn new(mut cfg: AnalyticsConfig) -> Self {
        cfg.beacon.min_count = cfg.beacon.min_count.max(4);
        cfg.beacon.max_events = cfg.beacon.max_events.max(cfg.beacon.min_count);
        for t in [&mut cfg.dns.long_min_count, &mut cfg.dns.unique_subdomains, &mut cfg.dns.large_answer_count] {
            *t = (*t).clamp(1, MAX_DISTINCT_TRACKED);
        }
        let cap = cfg.memcap as f64;
        let budget = |share: f64| (cap * share) as usize;
        let realert = cfg.realert_s.saturating_mul(1_000_000).min(i64::MAX as u64) as i64;
        Analytics {
            beacons: beacon::Beacons::new(cfg.beacon.clone(), realert, budget(SHARE_BEACON)),
            exfil: exfil::Exfil::new(
                cfg.exfil.clone(),
                realert,
                budget(SHARE_EXFIL_PAIRS),
                budget(SHARE_EXFIL_SOURCES),
            ),
            dns: dns::DnsTunnels::new(cfg.dns.clone(), realert, budget(SHARE_DNS_DOMAINS)),
            names: GenMap::new(budget(SHARE_DNS_NAMES), 0.6),
            c: AnalyticsCounters { memcap: cfg.memcap, ..AnalyticsCounters::default() },
            cfg,
        }
    }

    /// The configuration in use (after clamping).
    pub fn config(&self) -> &AnalyticsConfig {
        &self.cfg
    }

    /// Whether `ip` is internal (inside `home_net`).
    pub fn is_internal(&self, ip: IpAddr) -> bool {
        self.cfg.home_net.iter().any(|c| c.contains(ip))
    }

    /// Whether `ip` is external: not internal, and not a link-local,
    /// loopback, multicast, broadcast or unspecified address.
    pub fn is_external(&self, ip: IpAddr) -> bool {
        let special = match ip {
            IpAddr::V4(a) => {
                a.is_loopback() || a.is_link_local() || a.is_multicast() || a.is_broadcast() || a.is_unspecified()
            }
            IpAddr::V6(a) => {
                a.is_loopback() || a.is_multicast() || a.is_unspecified() || (a.segments()[0] & 0xffc0) == 0xfe80
            }
        };
        !special && !self.is_internal(ip)
    }

    fn allowed_ip(&self, ip: IpAddr) -> bool {
        self.cfg.allow.cidrs.iter().any(|c| c.contains(ip))
    }

    fn allowed_name(&self, name: &str) -> bool {
        self.cfg.allow.domains.iter().any(|d| d.matches(name))
    }

    /// Lowercase, no trailing dot, no port, cut to [`MAX_NAME_LEN`]; `None`
    /// for an empty name or an address literal.
    fn normalize(&mut self, raw: &str) -> Option<String> {
        let mut s = raw.trim().trim_end_matches('.');
        if s.starts_with('[') {
            return None; // bracketed IPv6 literal (HTTP Host)
        }
        if let Some((host, port)) = s.rsplit_once(':') {
            if !host.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) {
                s = host.trim_end_matches('.');
            }
        }
        if s.is_empty() || s.parse::<IpAddr>().is_ok() {
            return None;
        }
        let mut n = s.to_ascii_lowercase();
        if n.len() > MAX_NAME_LEN {
            self.c.names_truncated += 1;
            let mut cut = MAX_NAME_LEN;
            while !n.is_char_boundary(cut) {
                cut -= 1;
            }
            n.truncate(cut);
        }
        Some(n)
    }

    /// Accounts one finished flow; findings go to `out`.
    pub fn flow_ended(&mut self, f: &FlowSummary, out: &mut Vec<Finding>) {
        self.c.flows += 1;
        if !self.cfg.enabled {
            return;
        }
        let src = Host { vni: f.vni, ip: f.client.0 };
        let name = match f.server_name.as_deref().and_then(|n| self.normalize(n)) {
            Some(n) => Some(n),
            None => self.names.get(&Host { vni: f.vni, ip: f.server.0 }).map(|n| n.to_string()),
        };
        let allowed = self.allowed_ip(f.client.0)
            || self.allowed_ip(f.server.0)
            || self.cfg.allow.ports.iter().any(|p| p.matches(f.server.1, f.proto))
            || name.as_deref().is_some_and(|n| self.allowed_name(n));
        if allowed {
            self.c.flows_allowed += 1;
            return;
        }
        let internal_client = self.is_internal(f.client.0);
        let external_server = self.is_external(f.server.0);
        let beacon_scope = internal_client
            && (external_server || (self.cfg.beacon.internal_destinations && self.is_internal(f.server.0)));
        let exfil_scope = internal_client && external_server;
        if !beacon_scope && !exfil_scope {
            self.c.flows_out_of_scope += 1;
            return;
        }
        let dst = match &name {
            Some(n) => Dest::Name(fnv64(n.as_bytes())),
            None => Dest::Ip(f.server.0),
        };
        let first = out.len();
        if self.cfg.beacon.enabled && beacon_scope {
            self.c.beacon_evaluations += self.beacons.observe(src, dst, name.as_deref(), f, out);
        }
        if self.cfg.exfil.enabled && exfil_scope {
            self.exfil.observe(src, dst, name.as_deref(), f, out);
        }
        self.tally(first, out);
    }

    /// Accounts one DNS transaction; findings go to `out`.
    pub fn dns(&mut self, q: &DnsQuery, out: &mut Vec<Finding>) {
        self.c.dns_queries += 1;
        if !self.cfg.enabled {
            return;
        }
        let Some(name) = self.normalize(&q.qname) else {
            self.c.dns_bad_names += 1;
            return;
        };
        if self.cfg.beacon.enabled || self.cfg.exfil.enabled {
            for ip in q.answers.iter().take(MAX_ANSWERS_CACHED) {
                let host = Host { vni: q.vni, ip: *ip };
                self.names.upsert(
                    host,
                    || name.as_str().into(),
                    |v| {
                        if **v != *name {
                            *v = name.as_str().into();
                        }
                    },
                );
            }
        }
        if !self.cfg.dns.enabled {
            return;
        }
        if self.allowed_ip(q.client)
            || self.allowed_name(&name)
            || self.cfg.dns.allow_domains.iter().any(|d| d.matches(&name))
        {
            self.c.dns_allowed += 1;
            return;
        }
        let first = out.len();
        self.dns.observe(Host { vni: q.vni, ip: q.client }, &name, q, out);
        self.tally(first, out);
    }

    /// End of input at packet time `now`: scores every beacon key with beats
    /// not yet scored, appends the findings (sorted), then drops all state.
    pub fn finish(&mut self, now: Timestamp, out: &mut Vec<Finding>) {
        let first = out.len();
        if self.cfg.enabled && self.cfg.beacon.enabled {
            self.c.beacon_evaluations += self.beacons.finish(now.as_micros(), out);
        }
        out[first..].sort_by(|a, b| {
            (a.ts, a.sid, a.src, a.dst, a.proto, &a.metadata).cmp(&(b.ts, b.sid, b.src, b.dst, b.proto, &b.metadata))
        });
        self.tally(first, out);
        self.beacons.clear();
        self.exfil.clear();
        self.dns.clear();
        self.names.clear();
        self.account();
    }

    fn tally(&mut self, first: usize, out: &[Finding]) {
        for f in &out[first..] {
            if let Some(i) = f.sid.checked_sub(sid::BEACON).filter(|&i| i < 6) {
                self.c.findings[i as usize] += 1;
            }
        }
        self.account();
    }

    fn account(&mut self) {
        let b = self.beacons.bytes() + self.exfil.bytes() + self.dns.bytes() + self.names.bytes_now();
        self.c.bytes = b;
        self.c.peak_bytes = self.c.peak_bytes.max(b);
    }

    /// Counters and memory accounting.
    pub fn counters(&self) -> AnalyticsCounters {
        let mut c = self.c;
        c.beacon_table = self.beacons.counters();
        (c.exfil_pairs, c.exfil_sources) = self.exfil.counters();
        c.dns_domains = self.dns.counters();
        c.dns_names = self.names.counters();
        c
    }
}

/// Builds a finding with the fixed fields of its sid.
pub(crate) fn finding(
    sid: u32,
    ts: i64,
    src: (IpAddr, u16),
    dst: (IpAddr, u16),
    proto: u8,
    vni: Option<u32>,
    metadata: Vec<(String, String)>,
) -> Finding {
    let (msg, severity, category) = match sid {
        sid::BEACON => ("MIRADOR BEHAVIOUR periodic connections to one destination (possible C2 beaconing)", 2, BAD),
        sid::EXFIL_VOLUME => ("MIRADOR BEHAVIOUR outbound volume far above the source's baseline", 1, POLICY),
        sid::UPLOAD_RATIO => ("MIRADOR BEHAVIOUR long flow uploading far more than it downloads", 2, POLICY),
        sid::DNS_LONG_NAMES => {
            ("MIRADOR BEHAVIOUR DNS tunnelling: long high-entropy names under one domain", 1, POLICY)
        }
        sid::DNS_MANY_SUBDOMAINS => ("MIRADOR BEHAVIOUR DNS tunnelling: many unique subdomains of one domain", 2, BAD),
        _ => ("MIRADOR BEHAVIOUR DNS tunnelling: large TXT/NULL answers under one domain", 2, BAD),
    };
    Finding {
        ts: Timestamp { secs: ts.div_euclid(1_000_000), micros: ts.rem_euclid(1_000_000) as u32 },
        sid,
        rev: 1,
        msg: msg.to_string(),
        severity,
        category: category.to_string(),
        src,
        dst,
        proto,
        vni,
        metadata,
    }
}

/// classification.config description of `bad-unknown`.
const BAD: &str = "Potentially Bad Traffic";
/// classification.config description of `policy-violation`.
const POLICY: &str = "Potential Corporate Privacy Violation";

/// A metadata pair.
pub(crate) fn meta(k: &str, v: impl ToString) -> (String, String) {
    (k.to_string(), v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000;

    fn ts(us: i64) -> Timestamp {
        Timestamp { secs: us.div_euclid(S), micros: us.rem_euclid(S) as u32 }
    }

    fn flow(t: i64, client: &str, server: &str, port: u16, name: Option<&str>) -> FlowSummary {
        FlowSummary {
            start: ts(t),
            end: ts(t + S / 2),
            proto: 6,
            client: (client.parse().unwrap(), 40000),
            server: (server.parse().unwrap(), port),
            vni: Some(7),
            pkts_toserver: 5,
            pkts_toclient: 5,
            bytes_toserver: 500,
            bytes_toclient: 1500,
            app_proto: None,
            server_name: name.map(String::from),
        }
    }

    /// Feeds `n` flows every `period` seconds; returns the findings.
    fn periodic(a: &mut Analytics, n: i64, period: i64, f: impl Fn(i64) -> FlowSummary) -> Vec<Finding> {
        let mut out = Vec::new();
        for i in 0..n {
            a.flow_ended(&f(1_700_000_000 * S + i * period * S), &mut out);
        }
        a.finish(ts(1_700_000_000 * S + n * period * S), &mut out);
        out
    }

    #[test]
    fn beacon_finding_carries_period_and_name() {
        let mut a = Analytics::new(AnalyticsConfig::default());
        let out = periodic(&mut a, 20, 60, |t| flow(t, "10.0.0.5", "203.0.113.9", 443, Some("C2.Example.:443")));
        assert_eq!(out.len(), 1, "{out:?}");
        let f = &out[0];
        assert_eq!((f.sid, f.rev, f.severity, f.proto, f.vni), (sid::BEACON, 1, 2, 6, Some(7)));
        assert_eq!(f.src.0, "10.0.0.5".parse::<IpAddr>().unwrap());
        assert_eq!(f.dst, ("203.0.113.9".parse().unwrap(), 443));
        let md: std::collections::HashMap<_, _> = f.metadata.iter().cloned().collect();
        assert_eq!(md["period_s"], "60.0");
        assert_eq!(md["jitter"], "0.00");
        assert_eq!(md["count"], "16");
        assert_eq!(md["dest_name"], "c2.example");
        let c = a.counters();
        assert_eq!(c.findings[0], 1);
        assert_eq!(c.flows, 20);
        assert_eq!(c.bytes, 0, "finish dropped the state");
    }

    #[test]
    fn scope_and_allow_list() {
        let cfg = AnalyticsConfig::default();
        // Inbound, internal-only and external-only flows are out of scope.
        for (c, s) in [("203.0.113.1", "10.0.0.5"), ("10.0.0.5", "10.0.0.6"), ("198.51.100.1", "203.0.113.9")] {
            let mut a = Analytics::new(cfg.clone());
            assert!(periodic(&mut a, 40, 60, |t| flow(t, c, s, 443, None)).is_empty());
            assert_eq!(a.counters().flows_out_of_scope, 40);
        }
        // Internal destinations only when asked for.
        let mut internal = cfg.clone();
        internal.beacon.internal_destinations = true;
        let mut a = Analytics::new(internal);
        assert_eq!(periodic(&mut a, 40, 60, |t| flow(t, "10.0.0.5", "10.0.0.6", 443, None)).len(), 1);
        // Metadata service, allowed domains (wildcard) and NTP.
        let mut a = Analytics::new(cfg.clone());
        assert!(periodic(&mut a, 40, 60, |t| flow(t, "10.0.0.5", "169.254.169.254", 80, None)).is_empty());
        assert!(periodic(&mut a, 40, 60, |t| flow(
            t,
            "10.0.0.5",
            "203.0.113.9",
            443,
            Some("ssm.us-east-1.amazonaws.com")
        ))
        .is_empty());
        let ntp = |t| FlowSummary { proto: 17, ..flow(t, "10.0.0.5", "203.0.113.9", 123, None) };
        assert!(periodic(&mut a, 40, 64, ntp).is_empty());
        assert_eq!(a.counters().flows_allowed, 120);
        // Disabled: nothing.
        let mut off = cfg;
        off.enabled = false;
        let mut a = Analytics::new(off);
        assert!(periodic(&mut a, 40, 60, |t| flow(t, "10.0.0.5", "203.0.113.9", 443, None)).is_empty());
    }

    #[test]
    fn dns_answers_name_later_flows() {
        let mut a = Analytics::new(AnalyticsConfig::default());
        let mut out = Vec::new();
        let q = |name: &str| DnsQuery {
            ts: ts(1_700_000_000 * S),
            client: "10.0.0.5".parse().unwrap(),
            server: "10.0.0.2".parse().unwrap(),
            vni: Some(7),
            qname: name.into(),
            qtype: 1,
            answer_bytes: 4,
            answers: vec!["203.0.113.9".parse().unwrap()],
        };
        a.dns(&q("Beacon.Example."), &mut out);
        let found = periodic(&mut a, 20, 60, |t| flow(t, "10.0.0.5", "203.0.113.9", 443, None));
        assert_eq!(found.len(), 1);
        assert!(found[0].metadata.contains(&("dest_name".into(), "beacon.example".into())));
        // An allowed name learnt from DNS allows the flows to its address.
        a.dns(&q("security.ubuntu.com"), &mut out);
        assert!(periodic(&mut a, 20, 60, |t| flow(t, "10.0.0.5", "203.0.113.9", 443, None)).is_empty());
        assert!(out.is_empty());
    }

    #[test]
    fn names_are_normalized_and_cut() {
        let mut a = Analytics::new(AnalyticsConfig::default());
        assert_eq!(a.normalize(" WWW.Example.com.:8080 ").as_deref(), Some("www.example.com"));
        assert_eq!(a.normalize("[2001:db8::1]:80"), None);
        assert_eq!(a.normalize("192.0.2.1"), None);
        assert_eq!(a.normalize("2001:db8::1"), None);
        assert_eq!(a.normalize(""), None);
        let long = format!("{}.example", "é".repeat(200));
        assert!(a.normalize(&long).unwrap().len() <= MAX_NAME_LEN);
        assert_eq!(a.counters().names_truncated, 1);
    }

    #[test]
    fn analytics_is_send() {
        fn send<T: Send>() {}
        send::<Analytics>();
        send::<Finding>();
    }
}
