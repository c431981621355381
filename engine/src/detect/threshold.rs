//! `threshold` and `detection_filter`, in packet time.
//!
//! Applied where alerts are merged in packet order (not inside workers), so
//! the outcome does not depend on how flows are spread over threads.

use std::collections::HashMap;
use std::net::IpAddr;

use crate::rules::ast::{Threshold, ThresholdKind, Track};

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

/// Threshold state for all signatures.
#[derive(Default)]
pub struct Thresholds {
    map: HashMap<(u32, u8, Option<IpAddr>, Option<IpAddr>), Entry>,
    /// Entries refused because the table was full.
    pub overflow: u64,
}

impl Thresholds {
    /// Decides whether the hit of signature `sig` at `ts_secs` alerts.
    pub fn allow(&mut self, hit: &Hit, which: u8, t: &Threshold) -> bool {
        let Hit { sig, ts_secs, src, dst, flow } = *hit;
        let (a, b) = match t.track {
            Track::BySrc => (Some(src), None),
            Track::ByDst => (Some(dst), None),
            Track::ByBoth => (Some(src), Some(dst)),
            Track::ByRule => (None, None),
            Track::ByFlow => (Some(IpAddr::from((flow as u128).to_be_bytes())), None),
        };
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

#[cfg(test)]
mod tests {
    use super::*;

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
