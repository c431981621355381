//! Address and port expressions of the rule header, and the sets they
//! resolve to.
//!
//! An expression is parsed as written (`[$HOME_NET,!10.1.0.0/16]`), then
//! resolved against the variables into an [`IpSet`] / [`PortSet`]: sorted,
//! merged ranges, so that matching is a binary search and negation, groups and
//! nested variables have exact set semantics (a group is the union of its
//! positive members minus its negated ones; a group of only negations starts
//! from everything).

use std::collections::HashMap;
use std::net::IpAddr;

use nom::branch::alt;
use nom::bytes::complete::{tag, take_while1};
use nom::character::complete::{char, digit1, space0};
use nom::combinator::{map, map_res, opt};
use nom::multi::separated_list1;
use nom::sequence::{delimited, preceded};
use nom::{IResult, Parser};

/// Nesting of `[...]` groups and variables deeper than this is rejected; real
/// rulesets nest two or three levels, and the cap keeps hostile input from
/// exhausting the stack.
pub const MAX_NESTING: usize = 32;

/// An address expression as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AddrExpr {
    /// `any`
    Any,
    /// A CIDR block or single address: network address and prefix length.
    Net(IpAddr, u8),
    /// A range `a-b` (Suricata accepts it inside groups).
    Range(IpAddr, IpAddr),
    /// `$NAME`
    Var(String),
    /// `!expr`
    Not(Box<AddrExpr>),
    /// `[a,b,...]`
    Group(Vec<AddrExpr>),
}

/// A port expression as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PortExpr {
    /// `any`
    Any,
    /// `lo:hi` inclusive (single port: lo == hi).
    Range(u16, u16),
    /// `$NAME`
    Var(String),
    /// `!expr`
    Not(Box<PortExpr>),
    /// `[a,b,...]`
    Group(Vec<PortExpr>),
}

fn var_name(i: &str) -> IResult<&str, &str> {
    preceded(char('$'), take_while1(|c: char| c.is_ascii_alphanumeric() || c == '_')).parse(i)
}

fn addr_token(i: &str) -> IResult<&str, &str> {
    take_while1(|c: char| c.is_ascii_hexdigit() || matches!(c, '.' | ':' | '/' | '-'))(i)
}

fn addr_literal(tok: &str) -> Option<AddrExpr> {
    if let Some((a, b)) = tok.split_once('/') {
        let ip: IpAddr = a.parse().ok()?;
        let max = if ip.is_ipv4() { 32 } else { 128 };
        let plen: u8 = if let Ok(p) = b.parse::<u8>() {
            p
        } else if let (IpAddr::V4(_), Ok(IpAddr::V4(mask))) = (ip, b.parse::<IpAddr>()) {
            // dotted netmask form 255.255.0.0
            let m = u32::from(mask);
            if m.leading_ones() + m.trailing_zeros() != 32 {
                return None;
            }
            m.leading_ones() as u8
        } else {
            return None;
        };
        if plen > max {
            return None;
        }
        return Some(AddrExpr::Net(ip, plen));
    }
    if let Ok(ip) = tok.parse::<IpAddr>() {
        let plen = if ip.is_ipv4() { 32 } else { 128 };
        return Some(AddrExpr::Net(ip, plen));
    }
    // IPv4 range a-b (IPv6 addresses contain no '-').
    let (a, b) = tok.split_once('-')?;
    let (a, b): (IpAddr, IpAddr) = (a.parse().ok()?, b.parse().ok()?);
    (a.is_ipv4() == b.is_ipv4()).then_some(AddrExpr::Range(a, b))
}

fn addr_expr_depth(depth: usize) -> impl Fn(&str) -> IResult<&str, AddrExpr> {
    move |i: &str| {
        if depth > MAX_NESTING {
            return Err(nom::Err::Failure(nom::error::Error::new(i, nom::error::ErrorKind::TooLarge)));
        }
        let (i, _) = space0(i)?;
        let (i, neg) = opt(char('!')).parse(i)?;
        let (i, _) = space0(i)?;
        let (i, e) = alt((
            map(tag("any"), |_| AddrExpr::Any),
            map(var_name, |v| AddrExpr::Var(v.to_string())),
            map(
                delimited(
                    char('['),
                    separated_list1(char(','), addr_expr_depth(depth + 1)),
                    preceded(space0, char(']')),
                ),
                AddrExpr::Group,
            ),
            nom::combinator::map_opt(addr_token, addr_literal),
        ))
        .parse(i)?;
        let (i, _) = space0(i)?;
        Ok((i, if neg.is_some() { AddrExpr::Not(Box::new(e)) } else { e }))
    }
}

/// Parses an address expression (header field or variable value).
pub fn addr_expr(i: &str) -> IResult<&str, AddrExpr> {
    addr_expr_depth(0)(i)
}

fn port_num(i: &str) -> IResult<&str, u16> {
    map_res(digit1, str::parse::<u16>).parse(i)
}

fn port_range(i: &str) -> IResult<&str, PortExpr> {
    let (i, lo) = opt(port_num).parse(i)?;
    let (i, colon) = opt(char(':')).parse(i)?;
    match (lo, colon) {
        (Some(lo), None) => Ok((i, PortExpr::Range(lo, lo))),
        (lo, Some(_)) => {
            let (i, hi) = opt(port_num).parse(i)?;
            if lo.is_none() && hi.is_none() {
                return Err(nom::Err::Error(nom::error::Error::new(i, nom::error::ErrorKind::Digit)));
            }
            Ok((i, PortExpr::Range(lo.unwrap_or(0), hi.unwrap_or(u16::MAX))))
        }
        (None, None) => Err(nom::Err::Error(nom::error::Error::new(i, nom::error::ErrorKind::Digit))),
    }
}

fn port_expr_depth(depth: usize) -> impl Fn(&str) -> IResult<&str, PortExpr> {
    move |i: &str| {
        if depth > MAX_NESTING {
            return Err(nom::Err::Failure(nom::error::Error::new(i, nom::error::ErrorKind::TooLarge)));
        }
        let (i, _) = space0(i)?;
        let (i, neg) = opt(char('!')).parse(i)?;
        let (i, _) = space0(i)?;
        let (i, e) = alt((
            map(tag("any"), |_| PortExpr::Any),
            map(var_name, |v| PortExpr::Var(v.to_string())),
            map(
                delimited(
                    char('['),
                    separated_list1(char(','), port_expr_depth(depth + 1)),
                    preceded(space0, char(']')),
                ),
                PortExpr::Group,
            ),
            port_range,
        ))
        .parse(i)?;
        let (i, _) = space0(i)?;
        Ok((i, if neg.is_some() { PortExpr::Not(Box::new(e)) } else { e }))
    }
}

/// Parses a port expression.
pub fn port_expr(i: &str) -> IResult<&str, PortExpr> {
    port_expr_depth(0)(i)
}

/// Sorted, non-overlapping inclusive ranges over an integer domain.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RangeSet<T> {
    ranges: Vec<(T, T)>,
}

/// Integer domains a [`RangeSet`] covers.
pub trait Domain: Copy + Ord {
    /// Smallest value.
    const MIN: Self;
    /// Largest value.
    const MAX: Self;
    /// v + 1 (None at MAX).
    fn succ(self) -> Option<Self>;
    /// v - 1 (None at MIN).
    fn pred(self) -> Option<Self>;
}

macro_rules! domain {
    ($t:ty) => {
        impl Domain for $t {
            const MIN: Self = <$t>::MIN;
            const MAX: Self = <$t>::MAX;
            fn succ(self) -> Option<Self> {
                self.checked_add(1)
            }
            fn pred(self) -> Option<Self> {
                self.checked_sub(1)
            }
        }
    };
}
domain!(u16);
domain!(u32);
domain!(u128);

impl<T: Domain> RangeSet<T> {
    /// The empty set.
    pub fn empty() -> Self {
        RangeSet { ranges: Vec::new() }
    }

    /// The whole domain.
    pub fn full() -> Self {
        RangeSet { ranges: vec![(T::MIN, T::MAX)] }
    }

    /// A single range.
    pub fn range(lo: T, hi: T) -> Self {
        if lo > hi {
            return Self::empty();
        }
        RangeSet { ranges: vec![(lo, hi)] }
    }

    /// True when nothing is in the set.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// True when everything is in the set.
    pub fn is_full(&self) -> bool {
        self.ranges == [(T::MIN, T::MAX)]
    }

    /// Membership (binary search).
    pub fn contains(&self, v: T) -> bool {
        let idx = self.ranges.partition_point(|&(lo, _)| lo <= v);
        idx > 0 && self.ranges[idx - 1].1 >= v
    }

    /// Union.
    pub fn union(&self, other: &Self) -> Self {
        let mut all: Vec<(T, T)> = self.ranges.iter().chain(other.ranges.iter()).copied().collect();
        all.sort();
        let mut out: Vec<(T, T)> = Vec::with_capacity(all.len());
        for (lo, hi) in all {
            if let Some(last) = out.last_mut() {
                if last.1.succ().is_none_or(|n| lo <= n) {
                    if hi > last.1 {
                        last.1 = hi;
                    }
                    continue;
                }
            }
            out.push((lo, hi));
        }
        RangeSet { ranges: out }
    }

    /// Complement within the domain.
    pub fn complement(&self) -> Self {
        let mut out = Vec::new();
        let mut next = Some(T::MIN);
        for &(lo, hi) in &self.ranges {
            if let Some(n) = next {
                if n < lo {
                    out.push((n, lo.pred().expect("lo > MIN")));
                }
            }
            next = hi.succ();
        }
        if let Some(n) = next {
            out.push((n, T::MAX));
        }
        RangeSet { ranges: out }
    }

    /// Set difference `self \ other`.
    pub fn minus(&self, other: &Self) -> Self {
        self.intersect(&other.complement())
    }

    /// Intersection.
    pub fn intersect(&self, other: &Self) -> Self {
        self.complement().union(&other.complement()).complement()
    }
}

/// A resolved set of addresses, IPv4 and IPv6 kept apart.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IpSet {
    v4: RangeSet<u32>,
    v6: RangeSet<u128>,
}

impl IpSet {
    /// Every address.
    pub fn any() -> Self {
        IpSet { v4: RangeSet::full(), v6: RangeSet::full() }
    }

    /// True for `any`.
    pub fn is_any(&self) -> bool {
        self.v4.is_full() && self.v6.is_full()
    }

    /// True when no address matches.
    pub fn is_empty(&self) -> bool {
        self.v4.is_empty() && self.v6.is_empty()
    }

    /// IPv4 ranges, sorted and disjoint.
    pub fn v4_ranges(&self) -> &[(u32, u32)] {
        &self.v4.ranges
    }

    /// IPv6 ranges, sorted and disjoint.
    pub fn v6_ranges(&self) -> &[(u128, u128)] {
        &self.v6.ranges
    }

    /// Membership.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match ip {
            IpAddr::V4(a) => self.v4.contains(u32::from(a)),
            IpAddr::V6(a) => self.v6.contains(u128::from(a)),
        }
    }

    fn net(ip: IpAddr, plen: u8) -> Self {
        match ip {
            IpAddr::V4(a) => {
                let mask = if plen == 0 { 0 } else { u32::MAX << (32 - plen as u32) };
                let lo = u32::from(a) & mask;
                IpSet { v4: RangeSet::range(lo, lo | !mask), v6: RangeSet::empty() }
            }
            IpAddr::V6(a) => {
                let mask = if plen == 0 { 0 } else { u128::MAX << (128 - plen as u32) };
                let lo = u128::from(a) & mask;
                IpSet { v4: RangeSet::empty(), v6: RangeSet::range(lo, lo | !mask) }
            }
        }
    }

    fn union(&self, o: &Self) -> Self {
        IpSet { v4: self.v4.union(&o.v4), v6: self.v6.union(&o.v6) }
    }

    fn complement(&self) -> Self {
        IpSet { v4: self.v4.complement(), v6: self.v6.complement() }
    }

    fn minus(&self, o: &Self) -> Self {
        IpSet { v4: self.v4.minus(&o.v4), v6: self.v6.minus(&o.v6) }
    }
}

/// A resolved set of ports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortSet(RangeSet<u16>);

impl PortSet {
    /// Every port.
    pub fn any() -> Self {
        PortSet(RangeSet::full())
    }

    /// True for `any`.
    pub fn is_any(&self) -> bool {
        self.0.is_full()
    }

    /// True when no port matches.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Membership.
    pub fn contains(&self, p: u16) -> bool {
        self.0.contains(p)
    }
}

/// Address and port variables (`vars.address-groups`, `vars.port-groups`).
#[derive(Clone, Debug)]
pub struct Vars {
    addrs: HashMap<String, String>,
    ports: HashMap<String, String>,
}

impl Default for Vars {
    /// The address and port groups of Suricata 7's default `suricata.yaml`.
    fn default() -> Self {
        let home = "$HOME_NET";
        let addrs = [
            ("HOME_NET", "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]"),
            ("EXTERNAL_NET", "!$HOME_NET"),
            ("HTTP_SERVERS", home),
            ("SMTP_SERVERS", home),
            ("SQL_SERVERS", home),
            ("DNS_SERVERS", home),
            ("TELNET_SERVERS", home),
            ("AIM_SERVERS", "$EXTERNAL_NET"),
            ("DC_SERVERS", home),
            ("DNP3_SERVER", home),
            ("DNP3_CLIENT", home),
            ("MODBUS_CLIENT", home),
            ("MODBUS_SERVER", home),
            ("ENIP_CLIENT", home),
            ("ENIP_SERVER", home),
        ];
        let ports = [
            ("HTTP_PORTS", "80"),
            ("SHELLCODE_PORTS", "!80"),
            ("ORACLE_PORTS", "1521"),
            ("SSH_PORTS", "22"),
            ("DNP3_PORTS", "20000"),
            ("MODBUS_PORTS", "502"),
            ("FILE_DATA_PORTS", "[$HTTP_PORTS,110,143]"),
            ("FTP_PORTS", "21"),
            ("GENEVE_PORTS", "6081"),
            ("VXLAN_PORTS", "4789"),
            ("TEREDO_PORTS", "3544"),
        ];
        Vars {
            addrs: addrs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            ports: ports.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        }
    }
}

impl Vars {
    /// No variables at all.
    pub fn empty() -> Self {
        Vars { addrs: HashMap::new(), ports: HashMap::new() }
    }

    /// Sets an address group (`HOME_NET` without the `$`).
    pub fn set_addr(&mut self, name: &str, value: &str) {
        self.addrs.insert(name.trim_start_matches('$').to_string(), value.to_string());
    }

    /// Sets a port group.
    pub fn set_port(&mut self, name: &str, value: &str) {
        self.ports.insert(name.trim_start_matches('$').to_string(), value.to_string());
    }

    /// Sets a variable, guessing its kind: a name ending in `_PORTS` or an
    /// existing port group is a port group, else an address group.
    pub fn set(&mut self, name: &str, value: &str) {
        let n = name.trim_start_matches('$');
        if n.ends_with("_PORTS") || self.ports.contains_key(n) {
            self.set_port(n, value);
        } else {
            self.set_addr(n, value);
        }
    }

    /// Resolves an address expression.
    ///
    /// # Errors
    /// Unknown variable, unparsable variable value, or nesting too deep.
    pub fn resolve_addr(&self, e: &AddrExpr) -> Result<IpSet, String> {
        self.addr_set(e, 0)
    }

    fn addr_set(&self, e: &AddrExpr, depth: usize) -> Result<IpSet, String> {
        if depth > MAX_NESTING {
            return Err("address variables nest too deep (a cycle?)".into());
        }
        Ok(match e {
            AddrExpr::Any => IpSet::any(),
            AddrExpr::Net(ip, p) => IpSet::net(*ip, *p),
            AddrExpr::Range(a, b) => match (a, b) {
                (IpAddr::V4(a), IpAddr::V4(b)) => {
                    IpSet { v4: RangeSet::range(u32::from(*a), u32::from(*b)), v6: RangeSet::empty() }
                }
                (IpAddr::V6(a), IpAddr::V6(b)) => {
                    IpSet { v4: RangeSet::empty(), v6: RangeSet::range(u128::from(*a), u128::from(*b)) }
                }
                _ => return Err("address range mixes IPv4 and IPv6".into()),
            },
            AddrExpr::Var(name) => {
                let v = self.addrs.get(name).ok_or_else(|| format!("unknown address variable ${name}"))?;
                let parsed = parse_full(v, addr_expr).ok_or_else(|| format!("bad value of ${name}: '{v}'"))?;
                self.addr_set(&parsed, depth + 1)?
            }
            AddrExpr::Not(inner) => self.addr_set(inner, depth + 1)?.complement(),
            AddrExpr::Group(items) => {
                let mut pos = IpSet::default();
                let mut neg = IpSet::default();
                let mut any_pos = false;
                for it in items {
                    if let AddrExpr::Not(inner) = it {
                        neg = neg.union(&self.addr_set(inner, depth + 1)?);
                    } else {
                        any_pos = true;
                        pos = pos.union(&self.addr_set(it, depth + 1)?);
                    }
                }
                if !any_pos {
                    pos = IpSet::any();
                }
                pos.minus(&neg)
            }
        })
    }

    /// Resolves a port expression.
    ///
    /// # Errors
    /// As [`Vars::resolve_addr`].
    pub fn resolve_port(&self, e: &PortExpr) -> Result<PortSet, String> {
        self.port_set(e, 0).map(PortSet)
    }

    fn port_set(&self, e: &PortExpr, depth: usize) -> Result<RangeSet<u16>, String> {
        if depth > MAX_NESTING {
            return Err("port variables nest too deep (a cycle?)".into());
        }
        Ok(match e {
            PortExpr::Any => RangeSet::full(),
            PortExpr::Range(lo, hi) => {
                if lo > hi {
                    return Err(format!("empty port range {lo}:{hi}"));
                }
                RangeSet::range(*lo, *hi)
            }
            PortExpr::Var(name) => {
                let v = self.ports.get(name).ok_or_else(|| format!("unknown port variable ${name}"))?;
                let parsed = parse_full(v, port_expr).ok_or_else(|| format!("bad value of ${name}: '{v}'"))?;
                self.port_set(&parsed, depth + 1)?
            }
            PortExpr::Not(inner) => self.port_set(inner, depth + 1)?.complement(),
            PortExpr::Group(items) => {
                let mut pos = RangeSet::empty();
                let mut neg = RangeSet::empty();
                let mut any_pos = false;
                for it in items {
                    if let PortExpr::Not(inner) = it {
                        neg = neg.union(&self.port_set(inner, depth + 1)?);
                    } else {
                        any_pos = true;
                        pos = pos.union(&self.port_set(it, depth + 1)?);
                    }
                }
                if !any_pos {
                    pos = RangeSet::full();
                }
                pos.minus(&neg)
            }
        })
    }
}

fn parse_full<T>(s: &str, p: fn(&str) -> IResult<&str, T>) -> Option<T> {
    match p(s.trim()) {
        Ok((rest, v)) if rest.trim().is_empty() => Some(v),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> IpSet {
        Vars::default().resolve_addr(&parse_full(s, addr_expr).expect(s)).unwrap()
    }

    fn port(s: &str) -> PortSet {
        Vars::default().resolve_port(&parse_full(s, port_expr).expect(s)).unwrap()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn addresses() {
        assert!(addr("any").is_any());
        let h = addr("$HOME_NET");
        assert!(h.contains(ip("10.1.2.3")) && h.contains(ip("192.168.1.1")) && !h.contains(ip("8.8.8.8")));
        let e = addr("$EXTERNAL_NET");
        assert!(!e.contains(ip("10.1.2.3")) && e.contains(ip("8.8.8.8")) && e.contains(ip("2001:db8::1")));
        let g = addr("[10.0.0.0/8,!10.1.0.0/16]");
        assert!(g.contains(ip("10.2.0.1")) && !g.contains(ip("10.1.0.1")) && !g.contains(ip("11.0.0.1")));
        let n = addr("![1.1.1.1,2.2.2.2]");
        assert!(!n.contains(ip("1.1.1.1")) && !n.contains(ip("2.2.2.2")) && n.contains(ip("3.3.3.3")));
        let only_neg = addr("[!1.1.1.1]");
        assert!(only_neg.contains(ip("3.3.3.3")) && !only_neg.contains(ip("1.1.1.1")));
        let v6 = addr("2001:db8::/32");
        assert!(v6.contains(ip("2001:db8::80")) && !v6.contains(ip("2001:db9::1")));
        let mask = addr("10.0.0.0/255.0.0.0");
        assert!(mask.contains(ip("10.9.9.9")));
        let r = addr("[1.1.1.1-1.1.1.5]");
        assert!(r.contains(ip("1.1.1.3")) && !r.contains(ip("1.1.1.6")));
    }

    #[test]
    fn ports() {
        assert!(port("any").is_any());
        let p = port("[80,443,8000:8100,!8080]");
        assert!(p.contains(80) && p.contains(8001) && !p.contains(8080) && !p.contains(81));
        assert!(port("1024:").contains(65535) && !port("1024:").contains(1023));
        assert!(port(":1024").contains(0) && !port(":1024").contains(1025));
        assert!(!port("$SHELLCODE_PORTS").contains(80));
        let f = port("$FILE_DATA_PORTS");
        assert!(f.contains(80) && f.contains(110) && f.contains(143) && !f.contains(25));
        assert!(port("!$HTTP_PORTS").contains(81));
    }

    #[test]
    fn errors() {
        let v = Vars::default();
        assert!(v.resolve_addr(&AddrExpr::Var("NOPE".into())).is_err());
        let mut v = Vars::empty();
        v.set_addr("A", "$B");
        v.set_addr("B", "$A");
        assert!(v.resolve_addr(&AddrExpr::Var("A".into())).is_err());
        assert!(parse_full("10.0.0.0/33", addr_expr).is_none());
        assert!(parse_full("[80,", port_expr).is_none());
        assert!(parse_full("70000", port_expr).is_none());
        let deep = format!("{}80{}", "[".repeat(100), "]".repeat(100));
        assert!(parse_full(&deep, port_expr).is_none());
    }

    #[test]
    fn range_set_algebra() {
        let a = RangeSet::<u16>::range(10, 20).union(&RangeSet::range(21, 30));
        assert_eq!(a, RangeSet::range(10, 30));
        assert!(RangeSet::<u16>::full().complement().is_empty());
        let d = RangeSet::<u16>::range(0, 100).minus(&RangeSet::range(50, 60));
        assert!(d.contains(49) && !d.contains(55) && d.contains(61));
    }
}
