//! Domain types shared by planning, the EC2 layer, the state file and the
//! Terraform writer: filter rules, targets, sources, and what was observed in
//! the account.
//!
//! Nothing here talks to AWS. Values are validated when they are built
//! (`Cidr::parse`, `PortRange::parse`, `TargetArg::parse`, ...), so the planner
//! can trust them.

use std::collections::BTreeMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};

/// Tag key whose value is exactly the `--name` of a setup. Every resource
/// mirador creates carries it; `status`, `down` and a second `up` find their
/// resources by reading it client-side (EC2 documents no tag filter for the
/// `DescribeTrafficMirror*` calls).
pub const TAG_NAME: &str = "mirador:name";
/// Tag key telling which part of a setup a resource is: `target`, `filter`,
/// `filter-rule` or `session`.
pub const TAG_ROLE: &str = "mirador:role";

/// Largest VXLAN network identifier (24 bits).
pub const MAX_VNI: u32 = (1 << 24) - 1;
/// Session numbers are 1..=32766 (CreateTrafficMirrorSession API reference).
pub const MAX_SESSION_NUMBER: u16 = 32766;
/// Rule numbers: the API text gives no range; the console offers 1..=32766.
pub const MAX_RULE_NUMBER: u16 = 32766;
/// Rules per filter, ingress and egress together (quota, not adjustable).
pub const MAX_RULES_PER_FILTER: usize = 10;
/// Sessions per source ENI (quota, not adjustable).
pub const MAX_SESSIONS_PER_ENI: usize = 3;
/// Largest packet length for load-balancer targets (NLB default and maximum;
/// the GWLB MTU is 8500 as well).
pub const MAX_PACKET_LENGTH_LB: u16 = 8500;

/// Which way a packet crosses the source ENI.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Traffic received by the source.
    Ingress,
    /// Traffic sent by the source.
    Egress,
}

impl Direction {
    /// The API spelling (`ingress` / `egress`).
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        }
    }

    /// Parses `ingress`/`in` or `egress`/`out` (case-insensitive).
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "ingress" | "in" | "inbound" => Ok(Direction::Ingress),
            "egress" | "out" | "outbound" => Ok(Direction::Egress),
            _ => Err(format!("unknown direction '{s}' (expected ingress or egress)")),
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a matching rule does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleAction {
    /// Mirror the packet.
    Accept,
    /// Do not mirror the packet.
    Reject,
}

impl RuleAction {
    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            RuleAction::Accept => "accept",
            RuleAction::Reject => "reject",
        }
    }

    /// Parses `accept` or `reject`.
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "accept" => Ok(RuleAction::Accept),
            "reject" => Ok(RuleAction::Reject),
            _ => Err(format!("unknown rule action '{s}' (expected accept or reject)")),
        }
    }
}

/// IANA protocol numbers that may carry port ranges.
pub const PROTO_TCP: u8 = 6;
/// UDP.
pub const PROTO_UDP: u8 = 17;

/// Parses a protocol: a name (`tcp`, `udp`, `icmp`, `icmpv6`, `all`) or an IANA
/// number. `all` (and `-1`) means no protocol restriction and yields `None`.
pub fn parse_protocol(s: &str) -> Result<Option<u8>, String> {
    match s.to_ascii_lowercase().as_str() {
        "all" | "any" | "-1" => Ok(None),
        "tcp" => Ok(Some(PROTO_TCP)),
        "udp" => Ok(Some(PROTO_UDP)),
        "icmp" => Ok(Some(1)),
        "icmpv6" | "ipv6-icmp" => Ok(Some(58)),
        other => match other.parse::<u8>() {
            Ok(n) => Ok(Some(n)),
            Err(_) => Err(format!("unknown protocol '{s}' (expected tcp, udp, icmp, icmpv6, all or 0..255)")),
        },
    }
}

/// Human name of a protocol number, for plans and status.
pub fn protocol_name(p: Option<u8>) -> String {
    match p {
        None => "all".into(),
        Some(6) => "tcp".into(),
        Some(17) => "udp".into(),
        Some(1) => "icmp".into(),
        Some(58) => "icmpv6".into(),
        Some(n) => n.to_string(),
    }
}

/// An inclusive port range (`from..=to`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PortRange {
    /// First port.
    pub from: u16,
    /// Last port (inclusive).
    pub to: u16,
}

impl PortRange {
    /// A single port.
    pub fn single(port: u16) -> Self {
        PortRange { from: port, to: port }
    }

    /// Parses `443` or `1024-65535`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let num = |x: &str| x.trim().parse::<u16>().map_err(|_| format!("bad port '{x}' in '{s}'"));
        let r = match s.split_once('-') {
            Some((a, b)) => PortRange { from: num(a)?, to: num(b)? },
            None => PortRange::single(num(s)?),
        };
        if r.from > r.to {
            return Err(format!("port range '{s}' runs backwards"));
        }
        Ok(r)
    }
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.from == self.to {
            write!(f, "{}", self.from)
        } else {
            write!(f, "{}-{}", self.from, self.to)
        }
    }
}

/// A CIDR block in canonical text form (`10.0.0.0/8`, `2001:db8::/32`).
///
/// Host bits must be zero: AWS stores the block as given, so accepting
/// `10.0.0.1/8` would make every later comparison with the stored value fail.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Cidr(String);

impl Cidr {
    /// Parses and canonicalises a CIDR block.
    pub fn parse(s: &str) -> Result<Self, String> {
        let (addr, len) = s.trim().split_once('/').ok_or_else(|| format!("'{s}' is not a CIDR block (a.b.c.d/n)"))?;
        let ip: IpAddr = addr.parse().map_err(|_| format!("'{s}': bad address '{addr}'"))?;
        let len: u8 = len.parse().map_err(|_| format!("'{s}': bad prefix length '{len}'"))?;
        let max = if ip.is_ipv4() { 32 } else { 128 };
        if len > max {
            return Err(format!("'{s}': prefix length {len} is larger than {max}"));
        }
        let masked = match ip {
            IpAddr::V4(v4) => {
                let bits = u32::from(v4);
                let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
                IpAddr::V4(Ipv4Addr::from(bits & mask))
            }
            IpAddr::V6(v6) => {
                let bits = u128::from(v6);
                let mask = if len == 0 { 0 } else { u128::MAX << (128 - len) };
                IpAddr::V6(Ipv6Addr::from(bits & mask))
            }
        };
        if masked != ip {
            return Err(format!("'{s}' has host bits set (did you mean {masked}/{len}?)"));
        }
        Ok(Cidr(format!("{masked}/{len}")))
    }

    /// Keeps text read back from AWS that does not parse as a canonical block,
    /// so that it compares unequal to every wanted block (and gets fixed).
    pub(crate) fn unchecked(s: &str) -> Self {
        Cidr(s.to_string())
    }

    /// `0.0.0.0/0`.
    pub fn any_v4() -> Self {
        Cidr("0.0.0.0/0".into())
    }

    /// `::/0`.
    pub fn any_v6() -> Self {
        Cidr("::/0".into())
    }

    /// A single host (`/32` or `/128`).
    pub fn host(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(_) => Cidr(format!("{ip}/32")),
            IpAddr::V6(_) => Cidr(format!("{ip}/128")),
        }
    }

    /// Whether this is an IPv6 block.
    pub fn is_v6(&self) -> bool {
        self.0.contains(':')
    }

    /// The canonical text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Cidr {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Cidr::parse(&s)
    }
}

impl From<Cidr> for String {
    fn from(c: Cidr) -> String {
        c.0
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One filter rule as mirador wants it (or as it was read back from AWS).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleSpec {
    /// Direction relative to the source ENI.
    pub direction: Direction,
    /// Evaluation order, unique per direction; the lowest matching number decides.
    pub number: u16,
    /// Accept (mirror) or reject.
    pub action: RuleAction,
    /// IANA protocol number; `None` matches every protocol.
    pub protocol: Option<u8>,
    /// Source CIDR block.
    pub source_cidr: Cidr,
    /// Destination CIDR block.
    pub destination_cidr: Cidr,
    /// Source ports (TCP/UDP only).
    pub source_ports: Option<PortRange>,
    /// Destination ports (TCP/UDP only).
    pub destination_ports: Option<PortRange>,
    /// Free text shown in the console.
    pub description: Option<String>,
}

impl RuleSpec {
    /// An accept-everything rule for one address family.
    pub fn accept_all(direction: Direction, number: u16, v6: bool) -> Self {
        let any = if v6 { Cidr::any_v6() } else { Cidr::any_v4() };
        RuleSpec {
            direction,
            number,
            action: RuleAction::Accept,
            protocol: None,
            source_cidr: any.clone(),
            destination_cidr: any,
            source_ports: None,
            destination_ports: None,
            description: None,
        }
    }

    /// Whether two rules match the same traffic the same way. Descriptions
    /// only count when `self` (the desired rule) has one, so a description
    /// edited in the console is not fought over.
    pub fn same_as(&self, observed: &RuleSpec) -> bool {
        self.direction == observed.direction
            && self.number == observed.number
            && self.action == observed.action
            && self.protocol == observed.protocol
            && self.source_cidr == observed.source_cidr
            && self.destination_cidr == observed.destination_cidr
            && self.source_ports == observed.source_ports
            && self.destination_ports == observed.destination_ports
            && (self.description.is_none() || self.description == observed.description)
    }

    /// One-line summary: `ingress 100 accept tcp 0.0.0.0/0 -> 0.0.0.0/0:443`.
    pub fn summary(&self) -> String {
        let ports = |p: &Option<PortRange>| p.map(|p| format!(":{p}")).unwrap_or_default();
        format!(
            "{} {} {} {} {}{} -> {}{}",
            self.direction,
            self.number,
            self.action.as_str(),
            protocol_name(self.protocol),
            self.source_cidr,
            ports(&self.source_ports),
            self.destination_cidr,
            ports(&self.destination_ports)
        )
    }
}

/// What the user passed as `--target`, before resolution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TargetArg {
    /// An instance: its primary ENI becomes the target.
    Instance(String),
    /// A network interface.
    Eni(String),
    /// A Network Load Balancer ARN (`arn:…:loadbalancer/net/…`).
    Nlb(String),
    /// A Gateway Load Balancer endpoint (`vpce-…`).
    Gwlbe(String),
}

impl TargetArg {
    /// Classifies a `--target` value.
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.starts_with("i-") {
            Ok(TargetArg::Instance(s.into()))
        } else if s.starts_with("eni-") {
            Ok(TargetArg::Eni(s.into()))
        } else if s.starts_with("vpce-") {
            Ok(TargetArg::Gwlbe(s.into()))
        } else if s.starts_with("arn:") && s.contains(":loadbalancer/net/") {
            Ok(TargetArg::Nlb(s.into()))
        } else if s.starts_with("arn:") && s.contains(":loadbalancer/gwy/") {
            Err(format!(
                "'{s}' is a Gateway Load Balancer: a mirror target must be a Gateway Load Balancer \
                 endpoint (vpce-…) in the sources' VPC; create one and pass its id"
            ))
        } else if s.starts_with("arn:") && s.contains(":loadbalancer/app/") {
            Err(format!("'{s}' is an Application Load Balancer: only Network Load Balancers can be mirror targets"))
        } else {
            Err(format!(
                "cannot use '{s}' as a target: expected i-…, eni-…, an NLB ARN (arn:…:loadbalancer/net/…) or vpce-…"
            ))
        }
    }
}

/// What the user passed as `--source`, before resolution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceArg {
    /// An instance: its primary ENI (or all, with `--all-enis`).
    Instance(String),
    /// A network interface.
    Eni(String),
}

impl SourceArg {
    /// Parses a comma-separated `--source` list.
    pub fn parse_list(s: &str) -> Result<Vec<Self>, String> {
        let mut out = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            if part.starts_with("i-") {
                out.push(SourceArg::Instance(part.into()));
            } else if part.starts_with("eni-") {
                out.push(SourceArg::Eni(part.into()));
            } else {
                return Err(format!("cannot use '{part}' as a source: expected i-… or eni-…"));
            }
        }
        if out.is_empty() {
            return Err("--source is empty".into());
        }
        Ok(out)
    }
}

/// The three kinds of traffic mirror target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TargetKind {
    /// An ENI (a sensor instance).
    NetworkInterface,
    /// A Network Load Balancer (UDP 4789 listener).
    NetworkLoadBalancer,
    /// A Gateway Load Balancer endpoint (the sensor receives GENEVE around VXLAN).
    GatewayLoadBalancerEndpoint,
}

impl TargetKind {
    /// The API's `Type` value.
    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::NetworkInterface => "network-interface",
            TargetKind::NetworkLoadBalancer => "network-load-balancer",
            TargetKind::GatewayLoadBalancerEndpoint => "gateway-load-balancer-endpoint",
        }
    }

    /// Whether the target is a load balancer (packet length capped at 8500).
    pub fn is_load_balancer(self) -> bool {
        !matches!(self, TargetKind::NetworkInterface)
    }
}

/// A resolved target: the kind and the one resource id the API takes.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TargetSpec {
    /// Target kind.
    pub kind: TargetKind,
    /// ENI id, NLB ARN or GWLB endpoint id.
    pub resource: String,
}

impl fmt::Display for TargetSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind.as_str(), self.resource)
    }
}

/// A resolved target with what discovery learnt about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetFacts {
    /// Kind and resource.
    pub spec: TargetSpec,
    /// Primary private IP of a target ENI (the outer destination of VXLAN).
    pub ip: Option<IpAddr>,
    /// Instance the target ENI is attached to.
    pub instance_id: Option<String>,
}

/// A resolved source ENI with what discovery learnt about it.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct SourceFacts {
    /// The ENI to mirror.
    pub eni: String,
    /// Instance the ENI is attached to, if any.
    pub instance_id: Option<String>,
    /// That instance's type (`m5.large`).
    pub instance_type: Option<String>,
    /// `InterfaceType` from DescribeNetworkInterfaces (`interface` is mirrorable).
    pub interface_type: Option<String>,
    /// Whether AWS manages the ENI on the user's behalf.
    pub requester_managed: bool,
    /// Primary private IP: the outer source address of mirrored packets.
    pub private_ip: Option<IpAddr>,
    /// `nitro` or `xen`, from DescribeInstanceTypes.
    pub hypervisor: Option<String>,
    /// Whether the instance type is bare metal.
    pub bare_metal: Option<bool>,
}

/// Tags of an observed resource.
pub type Tags = BTreeMap<String, String>;

/// Whether tags mark a resource as belonging to the setup `name`.
pub fn is_ours(tags: &Tags, name: &str) -> bool {
    tags.get(TAG_NAME).is_some_and(|v| v == name)
}

/// A traffic mirror target as read from the account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservedTarget {
    /// Target id.
    pub id: String,
    /// Kind and resource, when the API reported them.
    pub spec: Option<TargetSpec>,
    /// Tags.
    pub tags: Tags,
}

/// A filter rule as read from the account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservedRule {
    /// Rule id.
    pub id: String,
    /// The rule's fields.
    pub spec: RuleSpec,
}

/// A traffic mirror filter as read from the account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservedFilter {
    /// Filter id.
    pub id: String,
    /// Ingress and egress rules.
    pub rules: Vec<ObservedRule>,
    /// Whether the `amazon-dns` network service is mirrored.
    pub amazon_dns: bool,
    /// Tags.
    pub tags: Tags,
}

/// A traffic mirror session as read from the account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservedSession {
    /// Session id.
    pub id: String,
    /// Source ENI.
    pub eni: String,
    /// Target id.
    pub target_id: String,
    /// Filter id.
    pub filter_id: String,
    /// Session number.
    pub number: u16,
    /// VXLAN network identifier, when known.
    pub vni: Option<u32>,
    /// Packet length; `None` mirrors whole packets.
    pub packet_length: Option<u16>,
    /// Tags.
    pub tags: Tags,
}

/// Everything traffic-mirror related visible in the account and region.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Observed {
    /// All targets.
    pub targets: Vec<ObservedTarget>,
    /// All filters, with their rules.
    pub filters: Vec<ObservedFilter>,
    /// All sessions.
    pub sessions: Vec<ObservedSession>,
}

impl Observed {
    /// Targets tagged with `name`.
    pub fn our_targets<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a ObservedTarget> + 'a {
        self.targets.iter().filter(move |t| is_ours(&t.tags, name))
    }

    /// Filters tagged with `name`.
    pub fn our_filters<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a ObservedFilter> + 'a {
        self.filters.iter().filter(move |f| is_ours(&f.tags, name))
    }

    /// Sessions tagged with `name`.
    pub fn our_sessions<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a ObservedSession> + 'a {
        self.sessions.iter().filter(move |s| is_ours(&s.tags, name))
    }

    /// Whether anything tagged with `name` exists.
    pub fn has_any(&self, name: &str) -> bool {
        self.our_targets(name).next().is_some()
            || self.our_filters(name).next().is_some()
            || self.our_sessions(name).next().is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_canonical_and_host_bits() {
        assert_eq!(Cidr::parse("10.0.0.0/8").unwrap().as_str(), "10.0.0.0/8");
        assert_eq!(Cidr::parse("2001:0db8::/32").unwrap().as_str(), "2001:db8::/32");
        assert!(Cidr::parse("10.0.0.1/8").unwrap_err().contains("did you mean 10.0.0.0/8"));
        assert!(Cidr::parse("10.0.0.0/33").is_err());
        assert!(Cidr::parse("10.0.0.0").is_err());
        assert!(Cidr::parse("::/0").unwrap().is_v6());
        assert_eq!(Cidr::host("10.1.2.3".parse().unwrap()).as_str(), "10.1.2.3/32");
    }

    #[test]
    fn ports_and_protocols() {
        assert_eq!(PortRange::parse("443").unwrap(), PortRange::single(443));
        assert_eq!(PortRange::parse("1024-65535").unwrap(), PortRange { from: 1024, to: 65535 });
        assert!(PortRange::parse("90-80").is_err());
        assert!(PortRange::parse("70000").is_err());
        assert_eq!(parse_protocol("TCP").unwrap(), Some(6));
        assert_eq!(parse_protocol("all").unwrap(), None);
        assert_eq!(parse_protocol("47").unwrap(), Some(47));
        assert!(parse_protocol("foo").is_err());
    }

    #[test]
    fn target_args() {
        assert_eq!(TargetArg::parse("i-0abc").unwrap(), TargetArg::Instance("i-0abc".into()));
        assert_eq!(TargetArg::parse("eni-1").unwrap(), TargetArg::Eni("eni-1".into()));
        assert_eq!(TargetArg::parse("vpce-1").unwrap(), TargetArg::Gwlbe("vpce-1".into()));
        let nlb = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/sensors/50dc6c495c0c9188";
        assert_eq!(TargetArg::parse(nlb).unwrap(), TargetArg::Nlb(nlb.into()));
        let gwy = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/gwy/x/1";
        assert!(TargetArg::parse(gwy).unwrap_err().contains("endpoint"));
        assert!(TargetArg::parse("sg-1").is_err());
    }

    #[test]
    fn source_lists() {
        let s = SourceArg::parse_list("i-1, eni-2").unwrap();
        assert_eq!(s, vec![SourceArg::Instance("i-1".into()), SourceArg::Eni("eni-2".into())]);
        assert!(SourceArg::parse_list("vpc-1").is_err());
        assert!(SourceArg::parse_list(" , ").is_err());
    }
}
