//! One numeric comparator for every keyword that compares a number: dsize,
//! ttl, tos, id, itype, icode, icmp_id, icmp_seq, urilen, bsize, stream_size,
//! seq, ack, window.
//!
//! Accepted forms (Suricata 7's `DetectUintData`): `N`, `=N`, `!N`, `<N`,
//! `<=N`, `>N`, `>=N`, `N<>M` (exclusive range), `N-M` (exclusive range, as
//! in Suricata).

use nom::branch::alt;
use nom::bytes::complete::tag;
use nom::character::complete::{digit1, space0};
use nom::combinator::{all_consuming, map, map_res, opt};
use nom::sequence::{delimited, preceded};
use nom::{IResult, Parser};

/// Comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NumOp {
    /// `== a`
    Eq,
    /// `!= a`
    Ne,
    /// `< a`
    Lt,
    /// `<= a`
    Le,
    /// `> a`
    Gt,
    /// `>= a`
    Ge,
    /// `a < v < b`
    Range,
    /// `!(a < v < b)`
    NotRange,
}

/// A parsed numeric comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NumMatch<T> {
    /// Operator.
    pub op: NumOp,
    /// First operand.
    pub a: T,
    /// Second operand (ranges only).
    pub b: T,
}

impl<T: Copy + PartialOrd> NumMatch<T> {
    /// True when `v` satisfies the comparison.
    pub fn matches(&self, v: T) -> bool {
        match self.op {
            NumOp::Eq => v == self.a,
            NumOp::Ne => v != self.a,
            NumOp::Lt => v < self.a,
            NumOp::Le => v <= self.a,
            NumOp::Gt => v > self.a,
            NumOp::Ge => v >= self.a,
            NumOp::Range => v > self.a && v < self.b,
            NumOp::NotRange => !(v > self.a && v < self.b),
        }
    }
}

fn number(i: &str) -> IResult<&str, u64> {
    alt((
        map_res(preceded(alt((tag("0x"), tag("0X"))), nom::character::complete::hex_digit1), |h| {
            u64::from_str_radix(h, 16)
        }),
        map_res(digit1, str::parse::<u64>),
    ))
    .parse(i)
}

fn ws_number(i: &str) -> IResult<&str, u64> {
    delimited(space0, number, space0).parse(i)
}

fn comparison(i: &str) -> IResult<&str, NumMatch<u64>> {
    let range =
        map((ws_number, alt((tag("<>"), tag("-"))), ws_number), |(a, _, b)| NumMatch { op: NumOp::Range, a, b });
    let not_range = map((tag("!"), ws_number, alt((tag("<>"), tag("-"))), ws_number), |(_, a, _, b)| NumMatch {
        op: NumOp::NotRange,
        a,
        b,
    });
    let unary = map(
        (opt(alt((tag("<="), tag(">="), tag("<"), tag(">"), tag("!="), tag("!"), tag("="), tag("==")))), ws_number),
        |(op, a)| {
            let op = match op {
                Some("<") => NumOp::Lt,
                Some("<=") => NumOp::Le,
                Some(">") => NumOp::Gt,
                Some(">=") => NumOp::Ge,
                Some("!") | Some("!=") => NumOp::Ne,
                _ => NumOp::Eq,
            };
            NumMatch { op, a, b: a }
        },
    );
    delimited(space0, alt((range, not_range, unary)), space0).parse(i)
}

/// Parses a comparison, checking every operand fits in `max`.
///
/// # Errors
/// A message naming what is wrong, for the rule report.
pub fn parse_num(s: &str, max: u64) -> Result<NumMatch<u64>, String> {
    let (_, m) = all_consuming(comparison).parse(s).map_err(|_| format!("invalid numeric comparison '{s}'"))?;
    if m.a > max || m.b > max {
        return Err(format!("value out of range in '{s}' (max {max})"));
    }
    if matches!(m.op, NumOp::Range | NumOp::NotRange) && m.a >= m.b {
        return Err(format!("empty range in '{s}'"));
    }
    Ok(m)
}

/// Parses `100MB`, `64k`, `1GiB`, `4096` (bytes). Units are powers of 1024,
/// as in suricata.yaml.
pub fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let digits = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let n: u64 = s[..digits].parse().ok()?;
    let mult: u64 = match s[digits..].trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return None,
    };
    n.checked_mul(mult)
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! case {
        ($text:expr, $hit:expr, $miss:expr) => {{
            let m = parse_num($text, u64::MAX).unwrap();
            for v in $hit {
                assert!(m.matches(v), "{} should match {}", $text, v);
            }
            for v in $miss {
                assert!(!m.matches(v), "{} should not match {}", $text, v);
            }
        }};
    }

    #[test]
    fn forms() {
        case!("5", [5], [4, 6]);
        case!("=5", [5], [4]);
        case!("!5", [4, 6], [5]);
        case!("<5", [0, 4], [5, 6]);
        case!("<=5", [5], [6]);
        case!(">5", [6], [5]);
        case!(">=5", [5, 6], [4]);
        case!("5<>10", [6, 9], [5, 10, 11]);
        case!("5-10", [6, 9], [5, 10]);
        case!(" > 300 ", [301], [300]);
        case!("0x10", [16], [10]);
    }

    #[test]
    fn errors() {
        assert!(parse_num("abc", 255).is_err());
        assert!(parse_num("256", 255).is_err());
        assert!(parse_num("10<>5", 255).is_err());
        assert!(parse_num("", 255).is_err());
        assert!(parse_num("5 6", 255).is_err());
    }
}
