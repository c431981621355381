//! Rule text -> [`Rule`]: the header with nom, then the options.
//!
//! Option splitting follows Suricata: an option ends at the first `;` that is
//! not preceded by a backslash, whether or not it is inside quotes (ET sid
//! 2019728 relies on this). Every error carries the column of the option (or
//! header field) it concerns.

use nom::branch::alt;
use nom::bytes::complete::{tag, take_while1};
use nom::character::complete::{space0, space1};
use nom::combinator::map;
use nom::{IResult, Parser};

use super::ast::*;
use super::error::RuleError;
use super::keywords;
use super::netset::{addr_expr, port_expr};

/// One option as split from the rule: keyword, raw value, column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RawOption<'a> {
    pub name: &'a str,
    pub value: Option<&'a str>,
    /// 1-based column of the option's first character in the rule text.
    pub column: usize,
}

fn action(i: &str) -> IResult<&str, Action> {
    alt((
        map(tag("alert"), |_| Action::Alert),
        map(tag("drop"), |_| Action::Drop),
        map(alt((tag("rejectboth"), tag("rejectsrc"), tag("rejectdst"))), |_| Action::RejectBoth),
        map(tag("reject"), |_| Action::Reject),
        map(tag("pass"), |_| Action::Pass),
        map(tag("config"), |_| Action::Config),
    ))
    .parse(i)
}

fn word(i: &str) -> IResult<&str, &str> {
    take_while1(|c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_')(i)
}

fn proto_from(s: &str) -> Option<Proto> {
    Some(match s {
        "ip" | "pkthdr" => Proto::Ip,
        "ipv4" | "ip4" => Proto::Ipv4,
        "ipv6" | "ip6" => Proto::Ipv6,
        "tcp" => Proto::Tcp,
        "tcp-pkt" => Proto::TcpPkt,
        "tcp-stream" => Proto::TcpStream,
        "udp" => Proto::Udp,
        "icmp" => Proto::Icmp,
        "icmpv4" => Proto::Icmpv4,
        "icmpv6" => Proto::Icmpv6,
        "sctp" => Proto::Sctp,
        other => Proto::App(AppProto::from_name(other)?),
    })
}

fn column_of(rule: &str, rest: &str) -> usize {
    rule[..rule.len() - rest.len()].chars().count() + 1
}

/// Parses the header; returns it and the remaining text (from the `(`).
pub(crate) fn parse_header(rule: &str) -> Result<(Header, &str), RuleError> {
    let err = |msg: &str, rest: &str| RuleError::syntax(msg, column_of(rule, rest));
    let i = rule.trim_start();
    let (i, action) = action(i).map_err(|_| err("expected an action (alert, drop, pass, ...)", i))?;
    let (i, _) = space1::<&str, nom::error::Error<&str>>(i).map_err(|_| err("expected a space after the action", i))?;
    let (i2, p) = word(i).map_err(|_| err("expected a protocol", i))?;
    let proto = proto_from(p).ok_or_else(|| err(&format!("unknown protocol '{p}'"), i))?;
    let i = i2;
    let (i, _) =
        space1::<&str, nom::error::Error<&str>>(i).map_err(|_| err("expected a space after the protocol", i))?;
    let (i, src) = addr_expr(i).map_err(|_| err("invalid source address", i))?;
    let (i, sport) = port_expr(i).map_err(|_| err("invalid source port", i))?;
    let (i, dir) = alt((tag("->"), tag("<>"), tag("<-")))
        .parse(i)
        .map_err(|_: nom::Err<nom::error::Error<&str>>| err("expected '->' or '<>'", i))?;
    if dir == "<-" {
        return Err(err("'<-' is not a valid direction", i));
    }
    let direction = if dir == "<>" { Direction::Both } else { Direction::ToDst };
    let (i, dst) = addr_expr(i).map_err(|_| err("invalid destination address", i))?;
    let (i, dport) = port_expr(i).map_err(|_| err("invalid destination port", i))?;
    let (i, _) = space0::<&str, nom::error::Error<&str>>(i).unwrap_or((i, ""));
    if !i.starts_with('(') {
        return Err(err("expected '(' to open the options", i));
    }
    Ok((Header { action, proto, src, sport, direction, dst, dport }, i))
}

/// Splits the option block `( ... )` into raw options.
pub(crate) fn split_options<'a>(rule: &'a str, block: &'a str) -> Result<Vec<RawOption<'a>>, RuleError> {
    let base = rule.len() - block.len();
    let trimmed = block.trim_end();
    if !trimmed.ends_with(')') {
        return Err(RuleError::syntax("options must end with ')'", rule.chars().count()));
    }
    let inner = &trimmed[1..trimmed.len() - 1];
    let inner_start = base + 1;
    let bytes = inner.as_bytes();
    let mut out = Vec::new();
    let mut start = 0usize;
    let mut i = 0usize;
    while i <= bytes.len() {
        let at_end = i == bytes.len();
        if at_end || (bytes[i] == b';' && (i == 0 || bytes[i - 1] != b'\\')) {
            let piece = &inner[start..i];
            let lead = piece.len() - piece.trim_start().len();
            let opt = piece.trim();
            if !opt.is_empty() {
                let col = rule[..inner_start + start + lead].chars().count() + 1;
                let (name, value) = match opt.find(':') {
                    Some(p) => (opt[..p].trim(), Some(opt[p + 1..].trim())),
                    None => (opt, None),
                };
                if name.is_empty() || name.contains(char::is_whitespace) {
                    return Err(RuleError::syntax(format!("malformed option '{}'", truncate(opt)), col));
                }
                out.push(RawOption { name, value, column: col });
            } else if !at_end {
                // Empty option ";;" is tolerated by Suricata.
            }
            if at_end {
                if !opt.is_empty() && !inner.trim_end().is_empty() {
                    // Last option without its ';': Suricata requires it.
                    let col = rule[..inner_start + start + lead].chars().count() + 1;
                    return Err(RuleError::syntax("last option is not terminated by ';'", col));
                }
                break;
            }
            start = i + 1;
        }
        i += 1;
    }
    Ok(out)
}

fn truncate(s: &str) -> String {
    if s.chars().count() > 60 {
        let t: String = s.chars().take(57).collect();
        format!("{t}...")
    } else {
        s.to_string()
    }
}

/// Parses one rule (already joined from continuation lines, without the
/// trailing newline).
///
/// # Errors
/// The first problem found, with its column and, when known, the sid.
pub fn parse_rule(rule: &str) -> Result<Rule, RuleError> {
    let (header, block) = parse_header(rule)?;
    let opts = split_options(rule, block)?;
    let sid = opts.iter().find(|o| o.name == "sid").and_then(|o| o.value).and_then(|v| v.trim().parse::<u32>().ok());
    keywords::build(header, &opts).map_err(|mut e| {
        e.sid = e.sid.or(sid);
        e
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_suricata() {
        // The escaped semicolon stays inside; a quoted unescaped one ends the
        // option, as Suricata does (ET sid 2019728 depends on it).
        let r = r#"alert tcp any any -> any any (msg:"a\;b"; content:"x;y"; sid:1;)"#;
        let (_, block) = parse_header(r).unwrap();
        let o = split_options(r, block).unwrap();
        assert_eq!(o[0].name, "msg");
        assert_eq!(o[0].value, Some(r#""a\;b""#));
        assert_eq!(o[1].value, Some(r#""x"#));
        assert_eq!(o[2].name, "y\"");
        assert_eq!(o[0].column, 31);
    }

    #[test]
    fn header_errors_have_columns() {
        let e = parse_header("alert foo any any -> any any (sid:1;)").unwrap_err();
        assert_eq!(e.column, 7);
        assert!(e.reason().contains("unknown protocol"));
        let e = parse_header("alert tcp any any => any any (sid:1;)").unwrap_err();
        assert_eq!(e.column, 19);
        let e = parse_header("alert tcp 1.2.3.400 any -> any any (sid:1;)").unwrap_err();
        assert!(e.reason().contains("source address"), "{e}");
    }

    #[test]
    fn header_forms() {
        let (h, _) =
            parse_header("alert http $HOME_NET any <> [10.0.0.0/8,!10.1.0.0/16] [80,8080:8090] (sid:1;)").unwrap();
        assert_eq!(h.proto, Proto::App(AppProto::Http));
        assert_eq!(h.direction, Direction::Both);
        let (h, _) = parse_header("drop tcp-pkt any any -> any 1024: (sid:1;)").unwrap();
        assert_eq!(h.action, Action::Drop);
        assert_eq!(h.proto, Proto::TcpPkt);
    }

    #[test]
    fn unterminated_options() {
        assert!(parse_rule("alert tcp any any -> any any (sid:1").is_err());
        let e = parse_rule("alert tcp any any -> any any (msg:\"x\"; sid:1)").unwrap_err();
        assert!(e.reason().contains("terminated"), "{e}");
    }
}
