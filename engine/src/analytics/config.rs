//! Configuration of the behavioural stage: thresholds, windows, the memory
//! cap and the allow-list.
//!
//! [`AnalyticsConfig`] deserializes (serde) from the `behaviour:` section of
//! the configuration file. Keys are kebab-case like Suricata's; every number
//! also accepts a string (what `--set key=value` produces), byte sizes accept
//! Suricata's suffixes (`64kb`, `100mb`, `1gb`) and booleans accept
//! `yes`/`no`/`true`/`false`/`on`/`off`. A list given in the file replaces
//! its default (copy the defaults you want to keep; docs/behaviour.md lists
//! them). [`Default`] suits a typical VPC.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

/// One MiB, for the defaults below.
const MIB: u64 = 1 << 20;

/// Settings of the whole stage.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct AnalyticsConfig {
    /// Master switch: when false, every call returns at once.
    #[serde(deserialize_with = "de_bool")]
    pub enabled: bool,
    /// Internal networks (the `HOME_NET` of the sensor). A flow is *outbound*
    /// when its client is inside and its server is outside these networks
    /// and is not link-local, loopback, multicast or broadcast. Default: the
    /// RFC 1918 ranges and IPv6 ULA (`fc00::/7`).
    pub home_net: Vec<Cidr>,
    /// Memory cap of all tables together, in bytes (default 64 MiB). Each
    /// table gets a fixed share (see `analytics::SHARE_*`); a table that
    /// reaches its share drops its oldest generation, counted as evictions.
    #[serde(deserialize_with = "de_size")]
    pub memcap: u64,
    /// A key (beacon pair, exfiltration pair, client and domain) alerts at
    /// most once per this many seconds and signature (default one day).
    #[serde(deserialize_with = "de_num")]
    pub realert_s: u64,
    /// What is never analysed.
    pub allow: AllowList,
    /// Beaconing detection.
    pub beacon: BeaconConfig,
    /// Exfiltration by volume and upload ratio.
    pub exfil: ExfilConfig,
    /// DNS tunnelling.
    pub dns: DnsConfig,
}

impl Default for AnalyticsConfig {
    fn default() -> Self {
        let home = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"];
        AnalyticsConfig {
            enabled: true,
            home_net: home.iter().map(|c| c.parse().expect("valid default CIDR")).collect(),
            memcap: 64 * MIB,
            realert_s: 86_400,
            allow: AllowList::default(),
            beacon: BeaconConfig::default(),
            exfil: ExfilConfig::default(),
            dns: DnsConfig::default(),
        }
    }
}

/// Known periodic services and trusted endpoints: flows that match are not
/// analysed at all (counted as `flows_allowed`).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct AllowList {
    /// Flows to or from these addresses are ignored, and DNS queries *from*
    /// them. (A DNS query *to* an allowed resolver is still analysed: DNS
    /// tunnels go through the resolver.) Default: the EC2 instance metadata
    /// service and the Amazon-provided DNS resolver, IPv4 and IPv6, and the
    /// Amazon Time Sync Service. Add the VPC resolver (VPC base + 2) and any
    /// other resolver, monitoring or backup host here.
    pub cidrs: Vec<Cidr>,
    /// Flows whose server name (TLS SNI, HTTP Host, or the DNS name the
    /// client resolved for the server address) is one of these domains or
    /// below it are ignored, and DNS queries for them. A `*` label matches any
    /// one label (`ssm.*.amazonaws.com`). Default: OS update services and the
    /// AWS agents that poll on a timer (SSM, CloudWatch).
    pub domains: Vec<DomainPattern>,
    /// Flows to these server ports are ignored: `"123/udp"`, `"443/tcp"`, or
    /// `"8080"` for any protocol. Default: NTP (`123/udp`).
    pub ports: Vec<PortRule>,
}

impl Default for AllowList {
    fn default() -> Self {
        let cidrs = [
            "169.254.169.254/32", // instance metadata (IMDS)
            "169.254.169.253/32", // Amazon-provided DNS resolver
            "169.254.169.123/32", // Amazon Time Sync Service
            "fd00:ec2::254/128",  // IMDS over IPv6 (Nitro)
            "fd00:ec2::253/128",  // resolver over IPv6 (Nitro)
            "fd00:ec2::123/128",  // Time Sync over IPv6 (Nitro)
        ];
        let domains = [
            "ubuntu.com",
            "canonical.com",
            "snapcraft.io",
            "launchpad.net",
            "debian.org",
            "fedoraproject.org",
            "centos.org",
            "redhat.com",
            "rockylinux.org",
            "almalinux.org",
            "amazonlinux.com",
            "windowsupdate.com",
            "update.microsoft.com",
            "delivery.mp.microsoft.com",
            "ssm.*.amazonaws.com",
            "ssmmessages.*.amazonaws.com",
            "ec2messages.*.amazonaws.com",
            "monitoring.*.amazonaws.com",
            "logs.*.amazonaws.com",
        ];
        AllowList {
            cidrs: cidrs.iter().map(|c| c.parse().expect("valid default CIDR")).collect(),
            domains: domains.iter().map(|d| d.parse().expect("valid default domain")).collect(),
            ports: vec!["123/udp".parse().expect("valid default port")],
        }
    }
}

/// Beaconing: regular connection start times (and sizes) per (source,
/// destination, port, protocol).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct BeaconConfig {
    /// Switch for beaconing alone.
    #[serde(deserialize_with = "de_bool")]
    pub enabled: bool,
    /// Beats (connection starts, after merging bursts) needed before a key is
    /// scored (default 16). Below 32 beats the jitter limit is tightened by
    /// `sqrt(beats / 32)`: small samples must look more regular.
    #[serde(deserialize_with = "de_num")]
    pub min_count: u32,
    /// Beats kept per key, newest first (default 64; a named cap: the oldest
    /// beat is dropped beyond it).
    #[serde(deserialize_with = "de_num")]
    pub max_events: u32,
    /// Sliding window: beats older than this before the newest are dropped
    /// (default 24 h). The longest period found is about
    /// `window_s / (min_count - 1)`.
    #[serde(deserialize_with = "de_num")]
    pub window_s: u64,
    /// Connections that start within this many seconds of the previous start
    /// are one beat (default 2 s): bursts and retries, and busy keys that
    /// never pause, do not make beats.
    #[serde(deserialize_with = "de_num")]
    pub burst_s: f64,
    /// Jitter limit (default 0.3): the half-width of the spread of intervals
    /// around the period, as a fraction of it, estimated as the 80th
    /// percentile of the phase errors divided by 0.8. A key with this jitter
    /// and constant sizes scores 0.625.
    #[serde(deserialize_with = "de_num")]
    pub max_jitter: f64,
    /// Largest fraction of missed beats (default 0.5): intervals that are
    /// multiples of the period count as missed beats.
    #[serde(deserialize_with = "de_num")]
    pub max_missed: f64,
    /// Largest fraction of extra connections closer than half a period to
    /// the previous beat (default 0.1).
    #[serde(deserialize_with = "de_num")]
    pub max_extra: f64,
    /// Score threshold (default 0.6). Score = 0.75 * interval regularity +
    /// 0.25 * size regularity, each in 0..1.
    #[serde(deserialize_with = "de_num")]
    pub min_score: f64,
    /// Also score connections between internal hosts (default false: health
    /// checks, scrapers and service meshes are periodic by design).
    #[serde(deserialize_with = "de_bool")]
    pub internal_destinations: bool,
}

impl Default for BeaconConfig {
    fn default() -> Self {
        BeaconConfig {
            enabled: true,
            min_count: 16,
            max_events: 64,
            window_s: 86_400,
            burst_s: 2.0,
            max_jitter: 0.3,
            max_missed: 0.5,
            max_extra: 0.1,
            min_score: 0.6,
            internal_destinations: false,
        }
    }
}

/// Exfiltration: outbound volume per internal source and external
/// destination against the source's baseline, and upload ratio of long flows.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct ExfilConfig {
    /// Switch for exfiltration alone.
    #[serde(deserialize_with = "de_bool")]
    pub enabled: bool,
    /// Fast exfiltration floor: bytes to one destination over about the last
    /// hour (exponentially decayed sum, 1 h time constant) that alert
    /// whatever the baseline says (default 100 MiB).
    #[serde(deserialize_with = "de_size")]
    pub floor_fast: u64,
    /// Slow exfiltration floor: bytes to one destination over about the last
    /// day (decayed sum, 24 h time constant; default 256 MiB).
    #[serde(deserialize_with = "de_size")]
    pub floor_slow: u64,
    /// "Far above the baseline": the hourly volume must exceed this many times
    /// the source's baseline (and the daily volume this many times 24
    /// baselines; default 10).
    #[serde(deserialize_with = "de_num")]
    pub multiplier: f64,
    /// Active hours a source needs before its baseline is trusted (default 3;
    /// the baseline starts as the quietest of them); before that both floors
    /// are multiplied by `cold-factor`.
    #[serde(deserialize_with = "de_num")]
    pub min_history_hours: u32,
    /// Floor multiplier for sources without a baseline yet (default 10).
    #[serde(deserialize_with = "de_num")]
    pub cold_factor: f64,
    /// Memory of the baseline, in active hours (default 168, a week): each
    /// hour moves it by 1/168 of the difference, and an hour's value is first
    /// clamped to 4 baselines so that a sustained exfiltration cannot teach
    /// itself in.
    #[serde(deserialize_with = "de_num")]
    pub baseline_hours: f64,
    /// Upload ratio: flows at least this long (default 60 s) ...
    #[serde(deserialize_with = "de_num")]
    pub ratio_min_duration_s: f64,
    /// ... that sent at least this much (default 50 MiB) ...
    #[serde(deserialize_with = "de_size")]
    pub ratio_min_bytes: u64,
    /// ... and at least this many times what they received (default 10).
    #[serde(deserialize_with = "de_num")]
    pub ratio: f64,
}

impl Default for ExfilConfig {
    fn default() -> Self {
        ExfilConfig {
            enabled: true,
            floor_fast: 100 * MIB,
            floor_slow: 256 * MIB,
            multiplier: 10.0,
            min_history_hours: 3,
            cold_factor: 10.0,
            baseline_hours: 168.0,
            ratio_min_duration_s: 60.0,
            ratio_min_bytes: 50 * MIB,
            ratio: 10.0,
        }
    }
}

/// DNS tunnelling indicators per (client, registered domain).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct DnsConfig {
    /// Switch for DNS tunnelling alone.
    #[serde(deserialize_with = "de_bool")]
    pub enabled: bool,
    /// Counting window per (client, registered domain), seconds (default 1 h,
    /// tumbling from the first query).
    #[serde(deserialize_with = "de_num")]
    pub window_s: u64,
    /// A query name is "long and random" when the part left of the
    /// registered domain has at least this many characters, dots excluded
    /// (default 32) ...
    #[serde(deserialize_with = "de_num")]
    pub long_min_len: u32,
    /// ... its Shannon entropy is at least this fraction of what a random
    /// string of the same length and alphabet (hex, base32, alphanumeric, or
    /// any byte) has on average (default 0.85: random strings score about
    /// 1, descriptive names 0.75 to 0.95) ...
    #[serde(deserialize_with = "de_num")]
    pub long_min_randomness: f64,
    /// ... and vowels are at most this share of its letters and digits
    /// (default 0.3: words have 0.35 to 0.45, encodings about 0.15).
    #[serde(deserialize_with = "de_num")]
    pub long_max_vowels: f64,
    /// Distinct long, high-entropy names under one domain that alert
    /// (sid 9000004; default 10).
    #[serde(deserialize_with = "de_num")]
    pub long_min_count: u32,
    /// Distinct subdomains of one domain that alert (sid 9000005; default 100).
    #[serde(deserialize_with = "de_num")]
    pub unique_subdomains: u32,
    /// A TXT or NULL answer of at least this many rdata bytes is large
    /// (default 100) ...
    #[serde(deserialize_with = "de_num")]
    pub large_answer_bytes: u32,
    /// ... and this many distinct names with large answers under one domain
    /// alert (sid 9000006; default 10).
    #[serde(deserialize_with = "de_num")]
    pub large_answer_count: u32,
    /// Zones whose authoritative servers belong to the provider (no tunnel
    /// can sit below them) or that are many-named by design: queries for them
    /// are not analysed for tunnelling. Default: reverse zones, AWS service
    /// and internal zones, and Kubernetes' `cluster.local` (search-domain
    /// expansion makes many unique names there).
    pub allow_domains: Vec<DomainPattern>,
}

impl Default for DnsConfig {
    fn default() -> Self {
        let domains =
            ["in-addr.arpa", "ip6.arpa", "amazonaws.com", "ec2.internal", "compute.internal", "cluster.local"];
        DnsConfig {
            enabled: true,
            window_s: 3600,
            long_min_len: 32,
            long_min_randomness: 0.85,
            long_max_vowels: 0.3,
            long_min_count: 10,
            unique_subdomains: 100,
            large_answer_bytes: 100,
            large_answer_count: 10,
            allow_domains: domains.iter().map(|d| d.parse().expect("valid default domain")).collect(),
        }
    }
}

/// Why a CIDR, port rule or domain pattern does not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError(String);

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ParseError {}

/// An address block: `10.0.0.0/8`, `2001:db8::/32`, or one address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    net: IpAddr,
    len: u8,
}

impl Cidr {
    /// Whether `ip` is inside the block (an IPv4 block never holds an IPv6
    /// address and the reverse).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.net, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.len)).unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.len)).unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

impl FromStr for Cidr {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, ParseError> {
        let bad = || ParseError(format!("bad CIDR '{s}'"));
        let (addr, len) = match s.trim().split_once('/') {
            Some((a, l)) => (a, Some(l)),
            None => (s.trim(), None),
        };
        let net: IpAddr = addr.parse().map_err(|_| bad())?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        let len = match len {
            Some(l) => l.parse::<u8>().ok().filter(|&l| l <= max).ok_or_else(bad)?,
            None => max,
        };
        Ok(Cidr { net, len })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.net, self.len)
    }
}

/// A server port, optionally of one protocol: `123/udp`, `443/tcp`, `8080`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortRule {
    port: u16,
    /// IP protocol number; `None` for any.
    proto: Option<u8>,
}

impl PortRule {
    /// Whether a flow to `port` over `proto` matches.
    pub fn matches(&self, port: u16, proto: u8) -> bool {
        self.port == port && self.proto.is_none_or(|p| p == proto)
    }
}

impl FromStr for PortRule {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, ParseError> {
        let bad = || ParseError(format!("bad port '{s}' (expected 123, 123/udp or 123/tcp)"));
        let (port, proto) = match s.trim().split_once('/') {
            Some((p, "udp")) => (p, Some(17)),
            Some((p, "tcp")) => (p, Some(6)),
            Some(_) => return Err(bad()),
            None => (s.trim(), None),
        };
        Ok(PortRule { port: port.parse().map_err(|_| bad())?, proto })
    }
}

/// A domain and everything below it; a `*` label matches any one label.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DomainPattern {
    /// Labels, rightmost (TLD) first, lowercase.
    labels: Vec<String>,
}

impl DomainPattern {
    /// Whether `name` (lowercase, no trailing dot) is the domain or below it.
    pub fn matches(&self, name: &str) -> bool {
        let mut it = name.rsplit('.');
        self.labels.iter().all(|p| it.next().is_some_and(|l| p == "*" || p == l))
    }
}

impl FromStr for DomainPattern {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, ParseError> {
        let t = s.trim().trim_end_matches('.').to_ascii_lowercase();
        if t.is_empty() || t.split('.').any(str::is_empty) {
            return Err(ParseError(format!("bad domain '{s}'")));
        }
        Ok(DomainPattern { labels: t.rsplit('.').map(String::from).collect() })
    }
}

/// Deserializes any `FromStr` type from a string.
macro_rules! from_str_deserialize {
    ($t:ty, $what:literal) => {
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl Visitor<'_> for V {
                    type Value = $t;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($what)
                    }
                    fn visit_str<E: de::Error>(self, v: &str) -> Result<$t, E> {
                        v.parse().map_err(E::custom)
                    }
                    fn visit_u64<E: de::Error>(self, v: u64) -> Result<$t, E> {
                        v.to_string().parse().map_err(E::custom)
                    }
                    fn visit_i64<E: de::Error>(self, v: i64) -> Result<$t, E> {
                        v.to_string().parse().map_err(E::custom)
                    }
                }
                d.deserialize_any(V)
            }
        }
    };
}

from_str_deserialize!(Cidr, "an address or CIDR block");
from_str_deserialize!(PortRule, "a port, optionally with /udp or /tcp");
from_str_deserialize!(DomainPattern, "a domain name");

/// A scalar as text: numbers, booleans and strings all become a string.
struct Scalar(String);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number, boolean or string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar(v.trim().to_ascii_lowercase()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// A number written as a number or as a string.
fn de_num<'de, D: Deserializer<'de>, T: FromStr>(d: D) -> Result<T, D::Error> {
    let s = Scalar::deserialize(d)?.0;
    s.parse().map_err(|_| de::Error::custom(format!("'{s}' is not a valid number here")))
}

/// A byte size: plain bytes or with a `kb`, `mb` or `gb` suffix (binary).
fn de_size<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let s = Scalar::deserialize(d)?.0;
    let (num, mult) = [("gb", 1u64 << 30), ("mb", 1 << 20), ("kb", 1 << 10)]
        .iter()
        .find_map(|(suf, m)| s.strip_suffix(suf).map(|n| (n, *m)))
        .unwrap_or((s.as_str(), 1));
    num.trim()
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .ok_or_else(|| de::Error::custom(format!("'{s}' is not a size (e.g. 64mb)")))
}

/// A boolean: `yes`/`no`, `true`/`false`, `on`/`off`, `1`/`0`.
fn de_bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    let s = Scalar::deserialize(d)?.0;
    match s.as_str() {
        "yes" | "true" | "on" | "1" => Ok(true),
        "no" | "false" | "off" | "0" => Ok(false),
        _ => Err(de::Error::custom(format!("'{s}' is not yes or no"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_contains() {
        let c: Cidr = "10.0.0.0/8".parse().unwrap();
        assert!(c.contains("10.200.1.1".parse().unwrap()));
        assert!(!c.contains("11.0.0.1".parse().unwrap()));
        assert!(!c.contains("::1".parse().unwrap()));
        let all: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains("8.8.8.8".parse().unwrap()));
        let host: Cidr = "fd00:ec2::254".parse().unwrap();
        assert!(host.contains("fd00:ec2::254".parse().unwrap()));
        assert!(!host.contains("fd00:ec2::253".parse().unwrap()));
        assert!("10.0.0.0/33".parse::<Cidr>().is_err());
        assert!("example".parse::<Cidr>().is_err());
    }

    #[test]
    fn domain_patterns() {
        let d: DomainPattern = "Ubuntu.com.".parse().unwrap();
        assert!(d.matches("ubuntu.com"));
        assert!(d.matches("security.ubuntu.com"));
        assert!(!d.matches("notubuntu.com"));
        assert!(!d.matches("com"));
        let w: DomainPattern = "ssm.*.amazonaws.com".parse().unwrap();
        assert!(w.matches("ssm.eu-west-1.amazonaws.com"));
        assert!(!w.matches("ssm.amazonaws.com"));
        assert!(!w.matches("abc.execute-api.eu-west-1.amazonaws.com"));
        assert!("a..b".parse::<DomainPattern>().is_err());
    }

    #[test]
    fn ports() {
        let p: PortRule = "123/udp".parse().unwrap();
        assert!(p.matches(123, 17));
        assert!(!p.matches(123, 6));
        let any: PortRule = "8080".parse().unwrap();
        assert!(any.matches(8080, 6) && any.matches(8080, 17));
        assert!("123/sctp".parse::<PortRule>().is_err());
    }

    #[test]
    fn deserializes_with_suricata_scalars() {
        let json = r#"{"memcap": "32mb", "enabled": "yes", "realert-s": "3600",
            "allow": {"cidrs": ["10.1.0.0/16"], "ports": [123, "53/udp"]},
            "beacon": {"min-count": 20, "max-jitter": "0.25"},
            "exfil": {"floor-fast": "1gb"}, "dns": {"enabled": false}}"#;
        let c: AnalyticsConfig = serde_json::from_str(json).unwrap();
        assert_eq!(c.memcap, 32 << 20);
        assert_eq!(c.realert_s, 3600);
        assert_eq!(c.allow.cidrs.len(), 1);
        assert!(c.allow.ports[0].matches(123, 6));
        assert!(c.allow.domains.len() > 5, "unset list keeps its default");
        assert_eq!(c.beacon.min_count, 20);
        assert_eq!(c.beacon.max_jitter, 0.25);
        assert_eq!(c.beacon.max_events, 64);
        assert_eq!(c.exfil.floor_fast, 1 << 30);
        assert!(!c.dns.enabled);
        assert!(serde_json::from_str::<AnalyticsConfig>(r#"{"memcapp": 1}"#).is_err());
        assert!(serde_json::from_str::<AnalyticsConfig>(r#"{"memcap": "lots"}"#).is_err());
        assert_eq!(serde_json::from_str::<AnalyticsConfig>("{}").unwrap(), AnalyticsConfig::default());
    }
}
