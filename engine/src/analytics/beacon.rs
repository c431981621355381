//! Beaconing: connection start times to one destination that keep a period.
//!
//! Per key (VNI, client address, destination, server port, protocol) the
//! stage keeps the last `max-events` *beats* within `window-s`: a beat is a
//! connection start, and starts closer than `burst-s` to the previous start
//! join its beat (bursts, retries, and busy keys that never pause). Each beat
//! keeps the bytes its connections sent, for size regularity.
//!
//! Scoring ([`fit`]) is robust to jitter, missed beats and stray connections:
//!
//! 1. the period `P` starts as the median interval (and, in case most beats
//!    were missed, half of it; the candidate with the lower jitter wins);
//! 2. beats closer than `P/2` to the previous kept beat are *extras* and set
//!    aside; each remaining interval `d` spans `k = max(1, round(d/P))`
//!    periods (`k - 1` missed beats), and `P` is refitted as `sum d / sum k`
//!    (three rounds);
//! 3. the phase error of an interval is `|d - k P| / P`; the jitter is the 80th
//!    percentile of the phase errors divided by 0.8, which estimates `j` for
//!    intervals spread uniformly over `P (1 ± j)` and ignores the worst fifth;
//! 4. size regularity is `1 - q80(|b - median b|) / median b` over the bytes
//!    each beat sent (clamped to 0..1);
//! 5. the jitter limit is `max-jitter * sqrt(min(1, beats / 32))`: fewer than
//!    32 beats must look more regular, which keeps chance alignments of
//!    irregular traffic out; interval regularity is `1 - jitter / (2 limit)`,
//!    and the score `0.75 * interval + 0.25 * size`.
//!
//! A key alerts when it has `min-count` beats, a score of at least
//! `min-score`, at most `max-missed` missed beats and `max-extra` extras. It
//! is scored when it reaches `min-count` beats, then again after every
//! `n/2` new beats (at most every `max-events/4`), and at
//! [`Analytics::finish`](super::Analytics::finish); a key that alerted is
//! not scored again for `realert-s`.

use std::mem::size_of;
use std::net::IpAddr;

use super::config::BeaconConfig;
use super::table::{GenMap, HeapSize, TableCounters};
use super::{finding, meta, sid, Dest, Finding, FlowSummary, Host, NEVER};

/// Beats at which the jitter limit reaches its configured value; fewer beats
/// get `sqrt(beats / 32)` of it (simulated: with 16 beats this keeps the
/// chance of an irregular key passing under 0.5%).
const FULL_CONFIDENCE_BEATS: f64 = 32.0;

/// Weight of interval regularity in the score (size regularity gets the rest):
/// intervals are the stronger signal; sizes vary with tasking.
const INTERVAL_WEIGHT: f64 = 0.75;

/// Refitting rounds of the period: three converge for every case tried.
const FIT_ROUNDS: usize = 3;

/// Beacon key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct BeaconKey {
    src: Host,
    dst: Dest,
    port: u16,
    proto: u8,
}

/// One beat: first and last connection start (µs) and bytes sent.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Beat {
    pub(crate) t: i64,
    pub(crate) last: i64,
    pub(crate) up: u64,
}

/// State of one key.
pub(crate) struct BeaconState {
    beats: Vec<Beat>,
    /// Destination name, when the key is a name (at most `MAX_NAME_LEN`).
    name: Option<Box<str>>,
    /// Server address and client port of the last flow, for the finding.
    server: (IpAddr, u16),
    client_port: u16,
    last_alert: i64,
    /// Beats at the last scoring (0: never scored).
    scored_at: u32,
    /// New beats since the last scoring.
    pending: u32,
}

impl HeapSize for BeaconState {
    fn heap_size(&self) -> usize {
        self.beats.capacity() * size_of::<Beat>() + self.name.as_ref().map_or(0, |n| n.len())
    }
}

impl BeaconState {
    /// Adds a connection start; true when it made a new beat.
    fn add(&mut self, t: i64, up: u64, burst: i64, window: i64, max: usize) -> bool {
        let i = self.beats.partition_point(|b| b.t <= t);
        if i > 0 {
            let p = &mut self.beats[i - 1];
            if t - p.last <= burst {
                p.last = p.last.max(t);
                p.up = p.up.saturating_add(up);
                return false;
            }
        }
        if let Some(n) = self.beats.get_mut(i) {
            if n.t - t <= burst {
                n.t = t;
                n.up = n.up.saturating_add(up);
                return false;
            }
        }
        let newest = self.beats.last().map_or(t, |b| b.t.max(t));
        if t < newest.saturating_sub(window) {
            return false;
        }
        let mut i = i;
        if self.beats.len() >= max {
            if i == 0 {
                return false; // older than every kept beat
            }
            self.beats.remove(0);
            i -= 1;
        }
        self.beats.insert(i, Beat { t, last: t, up });
        let cut = self.beats.partition_point(|b| b.t < newest.saturating_sub(window));
        self.beats.drain(..cut);
        true
    }
}

/// Result of scoring one key.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Fit {
    /// Period, µs.
    pub(crate) period: f64,
    /// Jitter estimate (fraction of the period).
    pub(crate) jitter: f64,
    /// Missed beats / expected beats.
    pub(crate) missed: f64,
    /// Extra connections / intervals.
    pub(crate) extra: f64,
    /// Size regularity, 0..1.
    pub(crate) size: f64,
    /// Score, 0..1.
    pub(crate) score: f64,
    /// Beats scored.
    pub(crate) beats: usize,
    /// Median bytes per beat.
    pub(crate) median_up: u64,
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        0.0
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// 80th percentile (the smallest value with 80% of values at or below it).
fn q80(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        return 0.0;
    }
    v[((n * 4).div_ceil(5)).clamp(1, n) - 1]
}

/// Phase fit for a starting period: (period, jitter, missed, extras).
fn fit_period(t: &[f64], p0: f64) -> Option<(f64, f64, f64, usize)> {
    let mut p = p0;
    let mut d = Vec::with_capacity(t.len());
    let mut extras = 0;
    for round in 0..=FIT_ROUNDS {
        if !(p.is_finite() && p > 0.0) {
            return None;
        }
        d.clear();
        extras = 0;
        let mut last = t[0];
        for &x in &t[1..] {
            if x - last < p / 2.0 {
                extras += 1;
            } else {
                d.push(x - last);
                last = x;
            }
        }
        if d.is_empty() {
            return None;
        }
        if round < FIT_ROUNDS {
            let k: f64 = d.iter().map(|&x| (x / p).round().max(1.0)).sum();
            p = d.iter().sum::<f64>() / k;
        }
    }
    let mut ks = 0.0;
    let mut e: Vec<f64> = d
        .iter()
        .map(|&x| {
            let k = (x / p).round().max(1.0);
            ks += k;
            (x - k * p).abs() / p
        })
        .collect();
    let missed = (ks - d.len() as f64) / ks;
    Some((p, q80(&mut e) / 0.8, missed, extras))
}

/// Scores beats (sorted by start); `None` with fewer than 3 beats.
pub(crate) fn fit(beats: &[Beat], max_jitter: f64) -> Option<Fit> {
    if beats.len() < 3 {
        return None;
    }
    let t: Vec<f64> = beats.iter().map(|b| b.t as f64).collect();
    let mut d: Vec<f64> = t.windows(2).map(|w| w[1] - w[0]).collect();
    let m = median(&mut d);
    let (period, jitter, missed, extras) =
        [m, m / 2.0].into_iter().filter_map(|p0| fit_period(&t, p0)).min_by(|a, b| a.1.total_cmp(&b.1))?;
    let mut up: Vec<f64> = beats.iter().map(|b| b.up as f64).collect();
    let med = median(&mut up);
    let size = if med > 0.0 {
        let mut dev: Vec<f64> = up.iter().map(|&b| (b - med).abs() / med).collect();
        (1.0 - q80(&mut dev)).clamp(0.0, 1.0)
    } else {
        1.0
    };
    let n = beats.len();
    let limit = max_jitter * (n as f64 / FULL_CONFIDENCE_BEATS).min(1.0).sqrt();
    let interval = if limit > 0.0 { (1.0 - jitter / (2.0 * limit)).clamp(0.0, 1.0) } else { 0.0 };
    Some(Fit {
        period,
        jitter,
        missed,
        extra: extras as f64 / (n - 1) as f64,
        size,
        score: INTERVAL_WEIGHT * interval + (1.0 - INTERVAL_WEIGHT) * size,
        beats: n,
        median_up: med as u64,
    })
}

/// The beacon detector.
pub(crate) struct Beacons {
    cfg: BeaconConfig,
    realert: i64,
    table: GenMap<BeaconKey, BeaconState>,
}

impl Beacons {
    pub(crate) fn new(cfg: BeaconConfig, realert: i64, budget: usize) -> Self {
        // Half the budget for slots, half for beats and names.
        Beacons { cfg, realert, table: GenMap::new(budget, 0.5) }
    }

    /// Accounts a flow; returns the number of scorings done.
    pub(crate) fn observe(
        &mut self,
        src: Host,
        dst: Dest,
        name: Option<&str>,
        f: &FlowSummary,
        out: &mut Vec<Finding>,
    ) -> u64 {
        let key = BeaconKey { src, dst, port: f.server.1, proto: f.proto };
        let cfg = &self.cfg;
        let realert = self.realert;
        let t = f.start.as_micros();
        let burst = (cfg.burst_s * 1e6) as i64;
        let window = cfg.window_s.saturating_mul(1_000_000).min(i64::MAX as u64) as i64;
        let make = || BeaconState {
            beats: Vec::with_capacity(1),
            name: name.map(Into::into),
            server: f.server,
            client_port: f.client.1,
            last_alert: NEVER,
            scored_at: 0,
            pending: 0,
        };
        self.table.upsert(key, make, |st| {
            st.server = f.server;
            st.client_port = f.client.1;
            if st.add(t, f.bytes_toserver, burst, window, cfg.max_events as usize) {
                st.pending += 1;
            }
            let n = st.beats.len() as u32;
            let step = if st.scored_at == 0 { 0 } else { (st.scored_at / 2).clamp(1, (cfg.max_events / 4).max(1)) };
            let due = n >= cfg.min_count && st.pending > 0 && st.pending >= step;
            if !due || (st.last_alert != NEVER && f.end.as_micros() - st.last_alert < realert) {
                return 0;
            }
            score(cfg, key, st, f.end.as_micros(), out);
            1
        })
    }

    /// Scores every key with unscored beats (window ending at `now`).
    pub(crate) fn finish(&mut self, now: i64, out: &mut Vec<Finding>) -> u64 {
        let cfg = &self.cfg;
        let realert = self.realert;
        let window = cfg.window_s.saturating_mul(1_000_000).min(i64::MAX as u64) as i64;
        let mut n = 0;
        self.table.for_each_mut(|key, st| {
            let cut = st.beats.partition_point(|b| b.t < now.saturating_sub(window));
            st.beats.drain(..cut);
            let recent_alert = st.last_alert != NEVER && now - st.last_alert < realert;
            if st.pending > 0 && st.beats.len() as u32 >= cfg.min_count && !recent_alert {
                score(cfg, *key, st, now, out);
                n += 1;
            }
        });
        n
    }

    pub(crate) fn clear(&mut self) {
        self.table.clear();
    }

    pub(crate) fn bytes(&self) -> u64 {
        self.table.bytes_now()
    }

    pub(crate) fn counters(&self) -> TableCounters {
        self.table.counters()
    }
}

/// Scores a key and appends a finding if it passes.
fn score(cfg: &BeaconConfig, key: BeaconKey, st: &mut BeaconState, now: i64, out: &mut Vec<Finding>) {
    st.pending = 0;
    st.scored_at = st.beats.len() as u32;
    let Some(fit) = fit(&st.beats, cfg.max_jitter) else {
        return;
    };
    if fit.score < cfg.min_score || fit.missed > cfg.max_missed || fit.extra > cfg.max_extra {
        return;
    }
    st.last_alert = now;
    let span = (st.beats[st.beats.len() - 1].t - st.beats[0].t) as f64 / 1e6;
    let mut md = vec![
        meta("period_s", format!("{:.1}", fit.period / 1e6)),
        meta("jitter", format!("{:.2}", fit.jitter)),
        meta("count", fit.beats),
        meta("missed", format!("{:.2}", fit.missed)),
        meta("score", format!("{:.2}", fit.score)),
        meta("size_regularity", format!("{:.2}", fit.size)),
        meta("bytes_per_beat", fit.median_up),
        meta("span_s", format!("{span:.0}")),
    ];
    if let Some(n) = &st.name {
        md.push(meta("dest_name", n));
    }
    out.push(finding(sid::BEACON, now, (key.src.ip, st.client_port), st.server, key.proto, key.src.vni, md));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic uniform numbers in [0, 1) (SplitMix64).
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> f64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    fn beats(times_s: &[f64]) -> Vec<Beat> {
        times_s.iter().map(|&s| Beat { t: (s * 1e6) as i64, last: (s * 1e6) as i64, up: 500 }).collect()
    }

    #[test]
    fn exact_period_with_missed_beats() {
        let t: Vec<f64> = (0..40).filter(|i| i % 7 != 3).map(|i| i as f64 * 60.0).collect();
        let f = fit(&beats(&t), 0.3).unwrap();
        assert!((f.period / 1e6 - 60.0).abs() < 0.01, "{f:?}");
        assert!(f.jitter < 1e-9);
        assert!(f.missed > 0.1 && f.missed < 0.2, "{f:?}");
        assert_eq!(f.score, 1.0);
    }

    #[test]
    fn jittered_beacon_scores_and_irregular_does_not() {
        let mut r = Rng(7);
        let mut t = 0.0;
        let mut jittered = Vec::new();
        for _ in 0..40 {
            t += 300.0 * (1.0 + 0.4 * (r.next() - 0.5));
            jittered.push(t);
        }
        let f = fit(&beats(&jittered), 0.3).unwrap();
        assert!((f.period / 1e6 - 300.0).abs() < 15.0, "{f:?}");
        assert!(f.score >= 0.6, "{f:?}");
        let mut t = 0.0;
        let mut irregular = Vec::new();
        for _ in 0..40 {
            t += (5f64.ln() + r.next() * (120f64 / 5.0).ln()).exp();
            irregular.push(t);
        }
        let f = fit(&beats(&irregular), 0.3).unwrap();
        assert!(f.score < 0.6, "{f:?}");
    }

    #[test]
    fn beats_merge_bursts_and_keep_order() {
        let mut st = BeaconState {
            beats: Vec::new(),
            name: None,
            server: ("192.0.2.1".parse().unwrap(), 443),
            client_port: 1,
            last_alert: NEVER,
            scored_at: 0,
            pending: 0,
        };
        let s = 1_000_000;
        assert!(st.add(100 * s, 10, 2 * s, 3600 * s, 4));
        assert!(!st.add(101 * s, 10, 2 * s, 3600 * s, 4), "burst joins the beat");
        assert!(st.add(200 * s, 10, 2 * s, 3600 * s, 4));
        assert!(st.add(150 * s, 10, 2 * s, 3600 * s, 4), "out of order start");
        assert_eq!(st.beats.iter().map(|b| b.t / s).collect::<Vec<_>>(), [100, 150, 200]);
        assert_eq!(st.beats[0].up, 20);
        assert!(st.add(300 * s, 10, 2 * s, 3600 * s, 4));
        assert!(st.add(400 * s, 10, 2 * s, 3600 * s, 4));
        assert_eq!(st.beats.len(), 4, "capped");
        assert!(!st.add(50 * s, 10, 2 * s, 3600 * s, 4), "older than every kept beat");
        assert!(st.add(5000 * s, 10, 2 * s, 3600 * s, 4));
        assert_eq!(st.beats.len(), 1, "window slid past the old beats");
    }
}
