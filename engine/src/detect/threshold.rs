//! `threshold` and `detection_filter`, in packet time.
//!
//! Applied where alerts are merged in packet order (not inside workers), so
//! the outcome does not depend on how flows are spread over threads.

use std::collections::HashMap;
use std::net::IpAddr;

use super::threshold_file::RateFilter;
use crate::rules::ast::{Action, Threshold, ThresholdKind, Track};

/// Tracked entries beyond this are not added (the alert is let through and
/// counted); hostile traffic with many sources cannot grow the table without
/// bound.
pub const MAX_ENTRIES: usize = 1 << 20;

#[derive(Clone, Copy)]
struct Entry {
    start: i64,
    count: u32,
}

/// One signature hit, as thresholds see it.
#[derive(Clone, Copy, Debug)]
pub struct Hit {
    /// Signature index.
    pub sig: u32,
    /// Packet time, seconds.
    pub ts_secs: i64,
    /// Packet source.
    pub src: IpAddr,
    /// Packet destination.
    pub dst: IpAddr,
    /// Flow id.
    pub flow: u64,
}

/// A rate filter's counter: signature and tracked addresses.
type RateKey = (u32, Option<IpAddr>, Option<IpAddr>);

/// Threshold state for all signatures.
#[derive(Default)]
pub struct Thresholds {
    map: HashMap<(u32, u8, Option<IpAddr>, Option<IpAddr>), Entry>,
    /// Rate filters: per tracked key, the window and, once the rate was
    /// exceeded, until when the new action holds.
    rates: HashMap<RateKey, (Entry, Option<i64>)>,
    /// Entries refused because the table was full.
    pub overflow: u64,
}

impl Thresholds {
    /// The action a rate filter imposes on this hit: None while the rate
    /// is within `count` per `seconds`; the filter's new action from the
    /// hit that exceeds it until `timeout` seconds later.
    pub fn rate_action(&mut self, hit: &Hit, rf: &RateFilter) -> Option<Action> {
        let (a, b) = track_key(hit, rf.track);
        let key = (hit.sig, a, b);
        if !self.rates.contains_key(&key) && self.rates.len() >= MAX_ENTRIES {
            self.overflow += 1;
            return None;
        }
        let ts = hit.ts_secs;
        let (e, until) = self.rates.entry(key).or_insert((Entry { start: ts, count: 0 }, None));
        if let Some(u) = *until {
            if ts < u {
                return Some(rf.new_action);
            }
            *until = None;
            *e = Entry { start: ts, count: 0 };
        }
        if ts - e.start >= i64::from(rf.seconds) {
            *e = Entry { start: ts, count: 0 };
        }
        e.count += 1;
        if e.count > rf.count {
            *until = Some(ts + i64::from(rf.timeout));
            return Some(rf.new_action);
        }
        None
    }

    /// Decides whether the hit of signature `sig` at `ts_secs` alerts.
    pub fn allow(&mut self, hit: &Hit, which: u8, t: &Threshold) -> bool {
        let Hit { sig, ts_secs, .. } = *hit;
        let (a, b) = track_key(hit, t.track);
        let key = (sig, which, a, b);
        let seconds = t.seconds as i64;
        let count = t.count;
        if !self.map.contains_key(&key) && self.map.len() >= MAX_ENTRIES {
            self.overflow += 1;
            return true;
        }
        let e = self.map.entry(key).or_insert(Entry { start: ts_secs, count: 0 });
        let expired = ts_secs - e.start >= seconds && e.count > 0;
        if expired || e.count == 0 {
            e.start = ts_secs;
            e.count = 1;
        } else {
            e.count += 1;
        }
        match t.kind {
            ThresholdKind::Limit => e.count <= count,
            ThresholdKind::Threshold => {
                if e.count >= count {
                    e.count = 0;
                    // The next hit starts a new window from its own time.
                    true
                } else {
                    false
                }
            }
            ThresholdKind::Both => e.count == count,
            ThresholdKind::DetectionFilter => e.count > count,
        }
    }
}

/// The addresses a tracking mode counts by.
fn track_key(hit: &Hit, track: Track) -> (Option<IpAddr>, Option<IpAddr>) {
    match track {
        Track::BySrc => (Some(hit.src), None),
        Track::ByDst => (Some(hit.dst), None),
        Track::ByBoth => (Some(hit.src), Some(hit.dst)),
        Track::ByRule => (None, None),
        Track::ByFlow => (Some(IpAddr::from((hit.flow as u128).to_be_bytes())), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_filter_switches_action_until_timeout() {
        let rf = RateFilter { track: Track::ByRule, count: 2, seconds: 10, new_action: Action::Pass, timeout: 30 };
        let mut s = Thresholds::default();
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let at = |s: &mut Thresholds, ts| s.rate_action(&Hit { sig: 0, ts_secs: ts, src: ip, dst: ip, flow: 0 }, &rf);
        // Two within the window are fine, the third switches for 30 s.
        assert_eq!(at(&mut s, 0), None);
        assert_eq!(at(&mut s, 1), None);
        assert_eq!(at(&mut s, 2), Some(Action::Pass));
        assert_eq!(at(&mut s, 31), Some(Action::Pass));
        // After the timeout counting starts again.
        assert_eq!(at(&mut s, 32), None);
    }

    fn t(kind: ThresholdKind, count: u32, seconds: u32) -> Threshold {
        Threshold { kind, track: Track::BySrc, count, seconds }
    }

    fn run(th: Threshold, times: &[i64]) -> Vec<bool> {
        let mut s = Thresholds::default();
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        times.iter().map(|&ts| s.allow(&Hit { sig: 0, ts_secs: ts, src: ip, dst: ip, flow: 0 }, 0, &th)).collect()
    }

    #[test]
    fn limit() {
        assert_eq!(run(t(ThresholdKind::Limit, 2, 60), &[0, 1, 2, 3, 61]), [true, true, false, false, true]);
    }

    #[test]
    fn threshold_every_nth() {
        assert_eq!(
            run(t(ThresholdKind::Threshold, 3, 60), &[0, 1, 2, 3, 4, 5]),
            [false, false, true, false, false, true]
        );
    }

    #[test]
    fn both_once_per_window() {
        assert_eq!(run(t(ThresholdKind::Both, 2, 60), &[0, 1, 2, 3, 70, 71]), [false, true, false, false, false, true]);
    }

    #[test]
    fn detection_filter() {
        assert_eq!(run(t(ThresholdKind::DetectionFilter, 2, 60), &[0, 1, 2, 3]), [false, false, true, true]);
    }
}
