//! Suricata's `threshold.config` (`threshold-file`): `suppress`,
//! `threshold` / `event_filter` and `rate_filter` lines that tune alerts
//! without editing the rules, the way SOC teams silence a noisy signature
//! for one scanner or cap another.
//!
//! Each line names a signature by `gen_id` and `sig_id` (0 for every
//! signature of the generator, `gen_id 0` for every generator). What it
//! says is attached to the matching signatures when the ruleset is built
//! ([`crate::detect::Ruleset::apply_threshold_file`]) and applied where
//! thresholds are, in packet order:
//! - `suppress`: no alert, or none when the tracked address is in `ip`;
//! - `threshold` / `event_filter`: replaces the rule's own `threshold`
//!   (a line for one signature), or applies to signatures without one (a
//!   line for all of them);
//! - `rate_filter`: after `count` matches in `seconds`, the rule acts as
//!   `new_action` for `timeout` seconds. A passive sensor cannot drop, so
//!   only `pass` changes what is written: the alert is not.
//!
//! ```
//! use mirador_engine::detect::threshold_file::{parse, Line};
//! let (lines, errors) = parse("suppress gen_id 1, sig_id 2003, track by_src, ip 10.0.0.0/8\n");
//! assert!(errors.is_empty());
//! assert!(matches!(lines[0].1, Line::Suppress(_)));
//! ```

use crate::rules::ast::{Action, Threshold, ThresholdKind, Track};
use crate::rules::netset::{IpSet, Vars};

/// Which address of an alert a `suppress` line's `ip` list is checked
/// against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SuppressTrack {
    /// The packet's source.
    BySrc,
    /// The packet's destination.
    ByDst,
    /// Either of them.
    ByEither,
}

/// A `suppress` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suppress {
    /// None: every alert of the signature is suppressed.
    pub track: Option<(SuppressTrack, IpSet)>,
}

/// A `rate_filter` line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateFilter {
    /// What is counted together.
    pub track: Track,
    /// Matches allowed in the window.
    pub count: u32,
    /// The window.
    pub seconds: u32,
    /// The action once the rate is exceeded.
    pub new_action: Action,
    /// How long the new action lasts, seconds.
    pub timeout: u32,
}

/// One line of the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Line {
    /// `suppress`.
    Suppress(Suppress),
    /// `threshold` or `event_filter`.
    Threshold(Threshold),
    /// `rate_filter`.
    RateFilter(RateFilter),
}

/// A parsed line: the signatures it names and what it says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// gen_id (0: any).
    pub gid: u32,
    /// sig_id (0: any).
    pub sid: u32,
}

impl Entry {
    /// True when the line applies to signature `gid:sid`.
    pub fn names(&self, gid: u32, sid: u32) -> bool {
        (self.gid == 0 || self.gid == gid) && (self.sid == 0 || self.sid == sid)
    }
}

/// Parses a threshold file: the lines that make sense, and one message
/// per line that does not (`line N: reason`), which is skipped.
pub fn parse(text: &str) -> (Vec<(Entry, Line)>, Vec<String>) {
    parse_with(text, &Vars::default())
}

/// [`parse`], resolving `$VARS` in `suppress` address lists.
pub fn parse_with(text: &str, vars: &Vars) -> (Vec<(Entry, Line)>, Vec<String>) {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match parse_line(line, vars) {
            Ok(e) => out.push(e),
            Err(e) => errors.push(format!("line {}: {e}", n + 1)),
        }
    }
    (out, errors)
}

fn parse_line(line: &str, vars: &Vars) -> Result<(Entry, Line), String> {
    let (kind, rest) = line.split_once(char::is_whitespace).ok_or("expected a keyword and its options")?;
    let mut gid = None;
    let mut sid = None;
    let mut opts: Vec<(&str, &str)> = Vec::new();
    // `ip` takes a list that may itself contain commas inside brackets.
    let mut rest = rest.trim();
    while !rest.is_empty() {
        let (key, after) = rest.split_once(char::is_whitespace).ok_or_else(|| format!("'{rest}' has no value"))?;
        let after = after.trim_start();
        let end = if after.starts_with('[') {
            after.find(']').map_or(after.len(), |i| i + 1)
        } else {
            after.find(',').unwrap_or(after.len())
        };
        let value = after[..end].trim();
        match key {
            "gen_id" => gid = Some(value.parse::<u32>().map_err(|_| format!("bad gen_id '{value}'"))?),
            "sig_id" => sid = Some(value.parse::<u32>().map_err(|_| format!("bad sig_id '{value}'"))?),
            _ => opts.push((key, value)),
        }
        rest = after[end..].trim_start().trim_start_matches(',').trim_start();
    }
    let entry = Entry { gid: gid.ok_or("gen_id is missing")?, sid: sid.ok_or("sig_id is missing")? };
    let get = |k: &str| opts.iter().find(|(key, _)| *key == k).map(|(_, v)| *v);
    let num = |k: &str| -> Result<u32, String> {
        let v = get(k).ok_or_else(|| format!("{k} is missing"))?;
        v.parse::<u32>().map_err(|_| format!("bad {k} '{v}'"))
    };
    let track = |v: Option<&str>| -> Result<Track, String> {
        Ok(match v.ok_or("track is missing")? {
            "by_src" => Track::BySrc,
            "by_dst" => Track::ByDst,
            "by_rule" => Track::ByRule,
            "by_both" => Track::ByBoth,
            "by_flow" => Track::ByFlow,
            other => return Err(format!("unknown track '{other}'")),
        })
    };
    let body = match kind {
        "suppress" => {
            let track = match (get("track"), get("ip")) {
                (None, None) => None,
                (Some(t), Some(ip)) => {
                    let t = match t {
                        "by_src" => SuppressTrack::BySrc,
                        "by_dst" => SuppressTrack::ByDst,
                        "by_either" => SuppressTrack::ByEither,
                        other => return Err(format!("unknown suppress track '{other}'")),
                    };
                    let (_, expr) = crate::rules::netset::addr_expr(ip).map_err(|_| format!("bad ip '{ip}'"))?;
                    Some((t, vars.resolve_addr(&expr)?))
                }
                _ => return Err("suppress needs both track and ip, or neither".into()),
            };
            Line::Suppress(Suppress { track })
        }
        "threshold" | "event_filter" => {
            let kind = match get("type").ok_or("type is missing")? {
                "limit" => ThresholdKind::Limit,
                "threshold" => ThresholdKind::Threshold,
                "both" => ThresholdKind::Both,
                other => return Err(format!("unknown type '{other}'")),
            };
            Line::Threshold(Threshold {
                kind,
                track: track(get("track"))?,
                count: num("count")?,
                seconds: num("seconds")?,
            })
        }
        "rate_filter" => {
            let new_action = match get("new_action").ok_or("new_action is missing")? {
                "alert" => Action::Alert,
                "drop" => Action::Drop,
                "pass" => Action::Pass,
                "reject" => Action::Reject,
                other => return Err(format!("unknown new_action '{other}'")),
            };
            Line::RateFilter(RateFilter {
                track: track(get("track"))?,
                count: num("count")?,
                seconds: num("seconds")?,
                new_action,
                timeout: num("timeout")?,
            })
        }
        other => {
            return Err(format!(
                "unknown keyword '{other}' (expected suppress, threshold, event_filter or rate_filter)"
            ))
        }
    };
    Ok((entry, body))
}

impl Suppress {
    /// True when the alert from `src` to `dst` is suppressed.
    pub fn suppresses(&self, src: std::net::IpAddr, dst: std::net::IpAddr) -> bool {
        match &self.track {
            None => true,
            Some((SuppressTrack::BySrc, set)) => set.contains(src),
            Some((SuppressTrack::ByDst, set)) => set.contains(dst),
            Some((SuppressTrack::ByEither, set)) => set.contains(src) || set.contains(dst),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_kind_and_reports_bad_lines() {
        let text = "# comment\n\
            suppress gen_id 1, sig_id 2002087, track by_src, ip [10.0.0.0/8, 192.168.1.1]\n\
            suppress gen_id 1, sig_id 7\n\
            threshold gen_id 1, sig_id 10, type limit, track by_dst, count 2, seconds 60\n\
            event_filter gen_id 0, sig_id 0, type both, track by_src, count 1, seconds 5\n\
            rate_filter gen_id 1, sig_id 1000001, track by_rule, count 1, seconds 60, new_action pass, timeout 1000\n\
            rate_filter gen_id 1, sig_id 3, track by_rule, count 1\n\
            bogus gen_id 1, sig_id 3\n";
        let (lines, errors) = parse(text);
        assert_eq!(lines.len(), 5);
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0].starts_with("line 7:") && errors[0].contains("missing"), "{errors:?}");
        assert!(errors[1].starts_with("line 8:"));
        let Line::Suppress(s) = &lines[0].1 else { panic!() };
        let ip = |s: &str| s.parse().unwrap();
        assert!(s.suppresses(ip("10.1.2.3"), ip("8.8.8.8")));
        assert!(s.suppresses(ip("192.168.1.1"), ip("8.8.8.8")));
        assert!(!s.suppresses(ip("8.8.8.8"), ip("10.1.2.3")));
        assert!(matches!(&lines[1].1, Line::Suppress(Suppress { track: None })));
        assert_eq!(
            lines[2].1,
            Line::Threshold(Threshold { kind: ThresholdKind::Limit, track: Track::ByDst, count: 2, seconds: 60 })
        );
        assert!(lines[3].0.names(3, 12345));
        let Line::RateFilter(r) = lines[4].1 else { panic!() };
        assert_eq!((r.count, r.seconds, r.new_action, r.timeout), (1, 60, Action::Pass, 1000));
    }
}
