//! Filter definitions: presets, rule files (TOML or JSON), the compact rule
//! syntax of `mirror filter --add`, and local validation.
//!
//! Everything is validated here, before any API call: unique rule numbers per
//! direction, port ranges only for TCP/UDP, source and destination in the same
//! address family, at most [`MAX_RULES_PER_FILTER`] rules.

use std::net::IpAddr;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::model::{
    parse_protocol, Cidr, Direction, PortRange, RuleAction, RuleSpec, MAX_RULES_PER_FILTER, MAX_RULE_NUMBER, PROTO_TCP,
    PROTO_UDP,
};

/// The names `--filter` / `--preset` accept.
pub const PRESETS: &[&str] = &["all", "tcp", "web", "dns", "no-ssm"];

/// A complete filter: its rules and whether the `amazon-dns` network service
/// is mirrored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilterSpec {
    /// Where it came from: a preset name or a file path.
    pub label: String,
    /// Ingress and egress rules.
    pub rules: Vec<RuleSpec>,
    /// Mirror traffic to and from the Amazon-provided DNS resolver.
    pub amazon_dns: bool,
}

/// What presets may depend on.
#[derive(Clone, Debug, Default)]
pub struct PresetContext {
    /// Primary private IP of the mirror target (an ENI or instance target).
    pub target_ip: Option<IpAddr>,
}

fn described(mut r: RuleSpec, preset: &str) -> RuleSpec {
    r.description = Some(format!("mirador preset {preset}"));
    r
}

fn port_rule(direction: Direction, number: u16, proto: u8, sport: Option<u16>, dport: Option<u16>) -> RuleSpec {
    RuleSpec {
        protocol: Some(proto),
        source_ports: sport.map(PortRange::single),
        destination_ports: dport.map(PortRange::single),
        ..RuleSpec::accept_all(direction, number, false)
    }
}

/// Builds a preset filter.
///
/// - `all`: accept 0.0.0.0/0 and ::/0 in both directions, any protocol, no
///   reject rule before them (4 rules).
/// - `tcp`: the same, TCP only (4 rules).
/// - `web`: IPv4 TCP to the source's ports 80, 443 and 8080 (ingress, by
///   destination port) and the replies (egress, by source port) (6 rules).
///   IPv6 and client-side web traffic do not fit in the 10-rule quota
///   together; use a rules file for those.
/// - `dns`: IPv4 UDP and TCP port 53 in both roles and both directions
///   (8 rules), plus the `amazon-dns` network service, without which queries
///   to the VPC resolver are not mirrored.
/// - `no-ssm`: everything (as `all`) except traffic exchanged with the mirror
///   target's own address: the sensor's management sessions (SSM, SSH, log
///   shipping) with the source would otherwise be mirrored back to it. Needs
///   an instance or ENI target.
///
/// # Errors
/// Unknown preset, or `no-ssm` without a target address.
pub fn preset(name: &str, ctx: &PresetContext) -> Result<FilterSpec, String> {
    use Direction::{Egress, Ingress};
    let mut amazon_dns = false;
    let rules: Vec<RuleSpec> = match name {
        "all" => [Ingress, Egress]
            .into_iter()
            .flat_map(|d| [RuleSpec::accept_all(d, 100, false), RuleSpec::accept_all(d, 110, true)])
            .collect(),
        "tcp" => [Ingress, Egress]
            .into_iter()
            .flat_map(|d| [RuleSpec::accept_all(d, 100, false), RuleSpec::accept_all(d, 110, true)])
            .map(|r| RuleSpec { protocol: Some(PROTO_TCP), ..r })
            .collect(),
        "web" => {
            let mut v = Vec::new();
            for (i, port) in [80u16, 443, 8080].into_iter().enumerate() {
                let n = 100 + 10 * i as u16;
                v.push(port_rule(Ingress, n, PROTO_TCP, None, Some(port)));
                v.push(port_rule(Egress, n, PROTO_TCP, Some(port), None));
            }
            v
        }
        "dns" => {
            amazon_dns = true;
            let mut v = Vec::new();
            for d in [Ingress, Egress] {
                v.push(port_rule(d, 100, PROTO_UDP, None, Some(53)));
                v.push(port_rule(d, 110, PROTO_UDP, Some(53), None));
                v.push(port_rule(d, 120, PROTO_TCP, None, Some(53)));
                v.push(port_rule(d, 130, PROTO_TCP, Some(53), None));
            }
            v
        }
        "no-ssm" => {
            let ip = ctx.target_ip.ok_or_else(|| {
                "preset no-ssm excludes the target's own address, so it needs an instance or ENI target \
                 (load balancer targets have no single address); use a rules file instead"
                    .to_string()
            })?;
            let host = Cidr::host(ip);
            let any = if ip.is_ipv6() { Cidr::any_v6() } else { Cidr::any_v4() };
            let mut v = vec![
                RuleSpec {
                    action: RuleAction::Reject,
                    source_cidr: host.clone(),
                    destination_cidr: any.clone(),
                    ..RuleSpec::accept_all(Ingress, 10, ip.is_ipv6())
                },
                RuleSpec {
                    action: RuleAction::Reject,
                    source_cidr: any,
                    destination_cidr: host,
                    ..RuleSpec::accept_all(Egress, 10, ip.is_ipv6())
                },
            ];
            for d in [Ingress, Egress] {
                v.push(RuleSpec::accept_all(d, 100, false));
                v.push(RuleSpec::accept_all(d, 110, true));
            }
            v
        }
        other => return Err(format!("unknown filter preset '{other}' (presets: {})", PRESETS.join(", "))),
    };
    let rules = rules.into_iter().map(|r| described(r, name)).collect();
    let spec = FilterSpec { label: name.to_string(), rules, amazon_dns };
    validate(&spec.rules).map_err(|e| e.join("; "))?;
    Ok(spec)
}

/// A port range as written in a file: `443`, `"443"` or `"1024-65535"`.
#[derive(Deserialize)]
#[serde(untagged)]
enum RawPorts {
    Num(u16),
    Text(String),
}

/// A protocol as written in a file: `6` or `"tcp"`.
#[derive(Deserialize)]
#[serde(untagged)]
enum RawProto {
    Num(i32),
    Text(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    direction: String,
    number: u16,
    #[serde(default)]
    action: Option<String>,
    #[serde(default)]
    protocol: Option<RawProto>,
    #[serde(default)]
    source_cidr: Option<String>,
    #[serde(default)]
    destination_cidr: Option<String>,
    #[serde(default)]
    source_ports: Option<RawPorts>,
    #[serde(default)]
    destination_ports: Option<RawPorts>,
    #[serde(default)]
    description: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFilter {
    #[serde(default)]
    amazon_dns: bool,
    #[serde(default)]
    rules: Vec<RawRule>,
}

/// Fills in the defaults shared by files and `--add`: action accept, CIDRs
/// "any" of the family of whichever side is given (IPv4 if neither).
#[allow(clippy::too_many_arguments)]
fn build_rule(
    direction: Direction,
    number: u16,
    action: Option<RuleAction>,
    protocol: Option<u8>,
    src: Option<Cidr>,
    dst: Option<Cidr>,
    sport: Option<PortRange>,
    dport: Option<PortRange>,
    description: Option<String>,
) -> RuleSpec {
    let v6 = src.as_ref().or(dst.as_ref()).is_some_and(Cidr::is_v6);
    let any = || if v6 { Cidr::any_v6() } else { Cidr::any_v4() };
    RuleSpec {
        direction,
        number,
        action: action.unwrap_or(RuleAction::Accept),
        protocol,
        source_cidr: src.unwrap_or_else(any),
        destination_cidr: dst.unwrap_or_else(any),
        source_ports: sport,
        destination_ports: dport,
        description,
    }
}

fn raw_ports(p: Option<RawPorts>) -> Result<Option<PortRange>, String> {
    match p {
        None => Ok(None),
        Some(RawPorts::Num(n)) => Ok(Some(PortRange::single(n))),
        Some(RawPorts::Text(s)) => PortRange::parse(&s).map(Some),
    }
}

fn raw_proto(p: Option<RawProto>) -> Result<Option<u8>, String> {
    match p {
        None => Ok(None),
        Some(RawProto::Num(-1)) => Ok(None),
        Some(RawProto::Num(n)) => u8::try_from(n).map(Some).map_err(|_| format!("bad protocol number {n}")),
        Some(RawProto::Text(s)) => parse_protocol(&s),
    }
}

impl RawRule {
    fn into_spec(self) -> Result<RuleSpec, String> {
        let ctx = format!("rule {} {}", self.direction, self.number);
        let e = |m: String| format!("{ctx}: {m}");
        Ok(build_rule(
            Direction::parse(&self.direction).map_err(e)?,
            self.number,
            self.action.as_deref().map(RuleAction::parse).transpose().map_err(e)?,
            raw_proto(self.protocol).map_err(e)?,
            self.source_cidr.as_deref().map(Cidr::parse).transpose().map_err(e)?,
            self.destination_cidr.as_deref().map(Cidr::parse).transpose().map_err(e)?,
            raw_ports(self.source_ports).map_err(e)?,
            raw_ports(self.destination_ports).map_err(e)?,
            self.description,
        ))
    }
}

/// Parses a filter definition; `json` selects JSON, otherwise TOML.
///
/// # Errors
/// Syntax errors, unknown fields, bad values, or a rule set that fails
/// [`validate`].
pub fn parse_filter_text(text: &str, json: bool, label: &str) -> Result<FilterSpec, String> {
    let raw: RawFilter = if json {
        serde_json::from_str(text).map_err(|e| format!("{label}: {e}"))?
    } else {
        toml::from_str(text).map_err(|e| format!("{label}: {e}"))?
    };
    let rules = raw
        .rules
        .into_iter()
        .map(RawRule::into_spec)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{label}: {e}"))?;
    validate(&rules).map_err(|errs| format!("{label}: {}", errs.join("; ")))?;
    Ok(FilterSpec { label: label.to_string(), rules, amazon_dns: raw.amazon_dns })
}

/// Reads a rules file (`.json` is JSON, anything else TOML).
///
/// # Errors
/// I/O errors and everything [`parse_filter_text`] rejects.
pub fn load_filter_file(path: &Path) -> Result<FilterSpec, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let json = path.extension().is_some_and(|x| x.eq_ignore_ascii_case("json"));
    parse_filter_text(&text, json, &path.display().to_string())
}

/// Resolves a `--filter` / `--preset` argument: a preset name, else a file.
///
/// # Errors
/// Unknown preset that is not a readable file, or an invalid definition.
pub fn resolve_filter_arg(arg: &str, ctx: &PresetContext) -> Result<FilterSpec, String> {
    if PRESETS.contains(&arg) {
        return preset(arg, ctx);
    }
    let path = Path::new(arg);
    if !path.exists() {
        return Err(format!("'{arg}' is neither a filter preset ({}) nor an existing rules file", PRESETS.join(", ")));
    }
    load_filter_file(path)
}

/// Parses the compact rule syntax of `mirror filter --add`.
///
/// Tokens are separated by spaces or commas. Bare words set the direction
/// (`ingress`/`egress`), the action (`accept`/`reject`), the protocol (`tcp`,
/// `udp`, `icmp`, `icmpv6`, `all`) and the rule number (a bare integer);
/// `key=value` pairs set `dir`, `num`, `action`, `proto`, `src`, `dst`,
/// `sport`, `dport` and `desc`. Example: `ingress 50 reject tcp dport=22`.
///
/// # Errors
/// Missing direction or number, unknown words, bad values.
pub fn parse_rule(s: &str) -> Result<RuleSpec, String> {
    let mut dir = None;
    let mut num = None;
    let mut action = None;
    let mut proto: Option<Option<u8>> = None;
    let (mut src, mut dst, mut sport, mut dport, mut desc) = (None, None, None, None, None);
    for tok in s.split([' ', ',']).filter(|t| !t.is_empty()) {
        if let Some((k, v)) = tok.split_once('=') {
            match k.to_ascii_lowercase().as_str() {
                "dir" | "direction" => dir = Some(Direction::parse(v)?),
                "num" | "number" => num = Some(v.parse::<u16>().map_err(|_| format!("bad rule number '{v}'"))?),
                "action" => action = Some(RuleAction::parse(v)?),
                "proto" | "protocol" => proto = Some(parse_protocol(v)?),
                "src" | "source" | "source_cidr" => src = Some(Cidr::parse(v)?),
                "dst" | "destination" | "destination_cidr" => dst = Some(Cidr::parse(v)?),
                "sport" | "source_ports" => sport = Some(PortRange::parse(v)?),
                "dport" | "destination_ports" => dport = Some(PortRange::parse(v)?),
                "desc" | "description" => desc = Some(v.to_string()),
                other => return Err(format!("unknown rule field '{other}' in '{s}'")),
            }
        } else if let Ok(d) = Direction::parse(tok) {
            dir = Some(d);
        } else if let Ok(a) = RuleAction::parse(tok) {
            action = Some(a);
        } else if let Ok(n) = tok.parse::<u16>() {
            num = Some(n);
        } else if let Ok(p) = parse_protocol(tok) {
            proto = Some(p);
        } else {
            return Err(format!("cannot understand '{tok}' in rule '{s}'"));
        }
    }
    let dir = dir.ok_or_else(|| format!("rule '{s}' needs a direction (ingress or egress)"))?;
    let num = num.ok_or_else(|| format!("rule '{s}' needs a rule number"))?;
    let rule = build_rule(dir, num, action, proto.flatten(), src, dst, sport, dport, desc);
    validate(std::slice::from_ref(&rule)).map_err(|e| e.join("; "))?;
    Ok(rule)
}

/// Checks a rule set as AWS would, and a little more. Returns every problem.
///
/// # Errors
/// One message per problem found.
pub fn validate(rules: &[RuleSpec]) -> Result<(), Vec<String>> {
    let mut errs = Vec::new();
    if rules.len() > MAX_RULES_PER_FILTER {
        errs.push(format!(
            "{} rules: a traffic mirror filter holds at most {MAX_RULES_PER_FILTER} (ingress and egress together; \
             AWS quota, not adjustable)",
            rules.len()
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    for r in rules {
        let what = format!("rule {} {}", r.direction, r.number);
        if r.number == 0 || r.number > MAX_RULE_NUMBER {
            errs.push(format!("{what}: rule numbers run from 1 to {MAX_RULE_NUMBER}"));
        }
        if !seen.insert((r.direction, r.number)) {
            errs.push(format!("{what}: duplicate rule number (numbers must be unique per direction)"));
        }
        let has_ports = r.source_ports.is_some() || r.destination_ports.is_some();
        if has_ports && !matches!(r.protocol, Some(PROTO_TCP) | Some(PROTO_UDP)) {
            errs.push(format!("{what}: port ranges are only allowed with protocol tcp or udp"));
        }
        if r.source_cidr.is_v6() != r.destination_cidr.is_v6() {
            errs.push(format!(
                "{what}: source {} and destination {} are of different address families",
                r.source_cidr, r.destination_cidr
            ));
        }
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(errs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> PresetContext {
        PresetContext { target_ip: Some("10.0.1.5".parse().unwrap()) }
    }

    #[test]
    fn every_preset_is_valid() {
        for p in PRESETS {
            let f = preset(p, &ctx()).unwrap();
            assert!(!f.rules.is_empty(), "{p}");
            assert!(f.rules.len() <= MAX_RULES_PER_FILTER, "{p}");
            validate(&f.rules).unwrap();
        }
    }

    #[test]
    fn all_preset_accepts_everything_without_reject() {
        let f = preset("all", &ctx()).unwrap();
        assert_eq!(f.rules.len(), 4);
        for d in [Direction::Ingress, Direction::Egress] {
            let rules: Vec<_> = f.rules.iter().filter(|r| r.direction == d).collect();
            assert!(rules.iter().all(|r| r.action == RuleAction::Accept && r.protocol.is_none()));
            assert!(rules.iter().any(|r| r.source_cidr.as_str() == "0.0.0.0/0"));
            assert!(rules.iter().any(|r| r.destination_cidr.as_str() == "::/0"));
            assert!(rules.iter().all(|r| r.source_ports.is_none() && r.destination_ports.is_none()));
        }
    }

    #[test]
    fn web_and_dns_presets() {
        let web = preset("web", &ctx()).unwrap();
        let ports: Vec<u16> = web
            .rules
            .iter()
            .filter(|r| r.direction == Direction::Ingress)
            .map(|r| r.destination_ports.unwrap().from)
            .collect();
        assert_eq!(ports, [80, 443, 8080]);
        let dns = preset("dns", &ctx()).unwrap();
        assert!(dns.amazon_dns);
        assert_eq!(dns.rules.len(), 8);
    }

    #[test]
    fn no_ssm_rejects_target_first() {
        let f = preset("no-ssm", &ctx()).unwrap();
        let first_in = f.rules.iter().filter(|r| r.direction == Direction::Ingress).min_by_key(|r| r.number).unwrap();
        assert_eq!(first_in.action, RuleAction::Reject);
        assert_eq!(first_in.source_cidr.as_str(), "10.0.1.5/32");
        let first_out = f.rules.iter().filter(|r| r.direction == Direction::Egress).min_by_key(|r| r.number).unwrap();
        assert_eq!(first_out.destination_cidr.as_str(), "10.0.1.5/32");
        assert!(preset("no-ssm", &PresetContext::default()).unwrap_err().contains("ENI target"));
        assert!(preset("nope", &ctx()).is_err());
    }

    #[test]
    fn toml_and_json_files() {
        let toml = r#"
            amazon_dns = true
            [[rules]]
            direction = "ingress"
            number = 10
            action = "reject"
            protocol = "tcp"
            destination_ports = 22
            [[rules]]
            direction = "ingress"
            number = 20
            source_cidr = "::/0"
            [[rules]]
            direction = "egress"
            number = 20
            protocol = 17
            destination_ports = "1024-65535"
            description = "high udp"
        "#;
        let f = parse_filter_text(toml, false, "t.toml").unwrap();
        assert!(f.amazon_dns);
        assert_eq!(f.rules[0].action, RuleAction::Reject);
        assert_eq!(f.rules[0].destination_ports, Some(PortRange::single(22)));
        assert_eq!(f.rules[1].destination_cidr.as_str(), "::/0", "family follows the given side");
        assert_eq!(f.rules[2].destination_ports, Some(PortRange { from: 1024, to: 65535 }));
        let json = r#"{"rules":[{"direction":"egress","number":5,"protocol":"udp","destination_ports":"53"}]}"#;
        let j = parse_filter_text(json, true, "t.json").unwrap();
        assert_eq!(j.rules[0].protocol, Some(17));
        assert!(!j.amazon_dns);
    }

    /// Table of invalid definitions and the message each must produce.
    #[test]
    fn invalid_files_say_why() {
        let cases: &[(&str, &str)] = &[
            (
                r#"[[rules]]
                direction = "ingress"
                number = 1
                [[rules]]
                direction = "ingress"
                number = 1"#,
                "duplicate rule number",
            ),
            (
                r#"[[rules]]
                direction = "ingress"
                number = 1
                destination_ports = 80"#,
                "only allowed with protocol tcp or udp",
            ),
            (
                r#"[[rules]]
                direction = "ingress"
                number = 1
                source_cidr = "10.0.0.0/8"
                destination_cidr = "::/0""#,
                "different address families",
            ),
            (
                r#"[[rules]]
                direction = "sideways"
                number = 1"#,
                "unknown direction",
            ),
            (
                r#"[[rules]]
                direction = "ingress"
                number = 1
                colour = "red""#,
                "unknown field",
            ),
            (
                r#"[[rules]]
                direction = "ingress"
                number = 0"#,
                "rule numbers run from 1",
            ),
        ];
        for (text, want) in cases {
            let err = parse_filter_text(text, false, "f.toml").unwrap_err();
            assert!(err.contains(want), "{err:?} should contain {want:?}");
        }
        let eleven: String = (1..=11).map(|n| format!("[[rules]]\ndirection = \"ingress\"\nnumber = {n}\n")).collect();
        assert!(parse_filter_text(&eleven, false, "f").unwrap_err().contains("at most 10"));
    }

    #[test]
    fn compact_rule_syntax() {
        let r = parse_rule("ingress 50 reject tcp dport=22").unwrap();
        assert_eq!(
            (r.direction, r.number, r.action, r.protocol),
            (Direction::Ingress, 50, RuleAction::Reject, Some(6))
        );
        assert_eq!(r.destination_ports, Some(PortRange::single(22)));
        let r = parse_rule("dir=egress,num=7,proto=udp,dst=10.0.0.0/8,dport=53,desc=dns").unwrap();
        assert_eq!(r.destination_cidr.as_str(), "10.0.0.0/8");
        assert_eq!(r.source_cidr.as_str(), "0.0.0.0/0");
        assert_eq!(r.description.as_deref(), Some("dns"));
        assert!(parse_rule("50 accept").unwrap_err().contains("direction"));
        assert!(parse_rule("ingress accept").unwrap_err().contains("number"));
        assert!(parse_rule("ingress 5 dport=80").unwrap_err().contains("tcp or udp"));
        assert!(parse_rule("ingress 5 banana").is_err());
    }
}
