//! Exfiltration: outbound volume against the source's own baseline, and the
//! upload ratio of long flows.
//!
//! Per (VNI, internal client, external destination) the stage keeps two
//! exponentially decayed sums of the bytes sent: `fast` with a 1 h time
//! constant (about the last hour's volume) and `slow` with 24 h (about the
//! last day's). A flow's bytes count at its end.
//!
//! Per internal client the *baseline* is the typical largest hourly volume to
//! one destination: at each new active hour, the previous hour's largest
//! `fast` value moves the baseline by `1 / baseline-hours` of the difference,
//! after being clamped to [`BASELINE_CLAMP`] baselines. The first
//! `min-history-hours` active hours set it to their quietest hour; until
//! then the baseline is unknown and the floors are multiplied by
//! `cold-factor`.
//!
//! sid 9000002 fires when `fast >= max(floor-fast, multiplier * baseline)` or
//! `slow >= max(floor-slow, multiplier * 24 * baseline)`; sid 9000003 when a
//! flow of at least `ratio-min-duration-s` sent at least `ratio-min-bytes` and
//! `ratio` times what it received. Each fires at most once per pair per
//! `realert-s`.

use super::config::ExfilConfig;
use super::table::{GenMap, HeapSize, TableCounters};
use super::{finding, meta, sid, Dest, Finding, FlowSummary, Host, NEVER};

/// Time constant of the fast volume: an hour.
const TAU_FAST_US: f64 = 3600e6;
/// Time constant of the slow volume: a day.
const TAU_SLOW_US: f64 = 86_400e6;
/// Hours per day, relating the hourly baseline to the daily volume.
const HOURS_PER_DAY: f64 = 24.0;
/// An hour's value is clamped to this many baselines before it moves the
/// baseline: legitimate growth is learnt within days, a sustained
/// exfiltration at 30 times the baseline is not learnt before it alerts.
const BASELINE_CLAMP: f64 = 4.0;
/// One hour in µs, the baseline's bucket.
const HOUR_US: i64 = 3_600_000_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct PairKey {
    src: Host,
    dst: Dest,
}

/// Volumes to one destination.
pub(crate) struct PairState {
    fast: f64,
    slow: f64,
    last: i64,
    alert_volume: i64,
    alert_ratio: i64,
}

impl HeapSize for PairState {
    fn heap_size(&self) -> usize {
        0
    }
}

/// Baseline of one source.
pub(crate) struct SourceState {
    /// Typical largest hourly volume to one destination, bytes.
    baseline: f64,
    /// Active hours folded into the baseline.
    hours: u32,
    /// Current hour (µs / 1 h), or `NEVER`.
    hour: i64,
    /// Largest `fast` volume to one destination this hour.
    hour_max: f64,
}

impl HeapSize for SourceState {
    fn heap_size(&self) -> usize {
        0
    }
}

/// The exfiltration detector.
pub(crate) struct Exfil {
    cfg: ExfilConfig,
    realert: i64,
    pairs: GenMap<PairKey, PairState>,
    sources: GenMap<Host, SourceState>,
}

impl Exfil {
    pub(crate) fn new(cfg: ExfilConfig, realert: i64, pair_budget: usize, source_budget: usize) -> Self {
        Exfil { cfg, realert, pairs: GenMap::new(pair_budget, 1.0), sources: GenMap::new(source_budget, 1.0) }
    }

    /// Accounts an outbound flow.
    pub(crate) fn observe(
        &mut self,
        src: Host,
        dst: Dest,
        name: Option<&str>,
        f: &FlowSummary,
        out: &mut Vec<Finding>,
    ) {
        let cfg = &self.cfg;
        let t = f.end.as_micros();
        let hour = t.div_euclid(HOUR_US);
        // Roll the source's hour and read its baseline (completed hours only).
        let (baseline, known) = self.sources.upsert(
            src,
            || SourceState { baseline: 0.0, hours: 0, hour: NEVER, hour_max: 0.0 },
            |s| {
                if s.hour != hour {
                    if s.hour != NEVER {
                        fold(cfg, s);
                    }
                    s.hour = hour;
                    s.hour_max = 0.0;
                }
                (s.baseline, s.hours >= cfg.min_history_hours)
            },
        );
        let realert = self.realert;
        let up = f.bytes_toserver as f64;
        let fast = self.pairs.upsert(
            PairKey { src, dst },
            || PairState { fast: 0.0, slow: 0.0, last: t, alert_volume: NEVER, alert_ratio: NEVER },
            |p| {
                let dt = (t - p.last).max(0) as f64;
                p.fast = p.fast * (-dt / TAU_FAST_US).exp() + up;
                p.slow = p.slow * (-dt / TAU_SLOW_US).exp() + up;
                p.last = p.last.max(t);
                let factor = if known { 1.0 } else { cfg.cold_factor };
                let base = if known { baseline } else { 0.0 };
                let thr_fast = (cfg.floor_fast as f64 * factor).max(cfg.multiplier * base);
                let thr_slow = (cfg.floor_slow as f64 * factor).max(cfg.multiplier * HOURS_PER_DAY * base);
                let window = if p.fast >= thr_fast {
                    Some(("1h", p.fast, thr_fast))
                } else if p.slow >= thr_slow {
                    Some(("24h", p.slow, thr_slow))
                } else {
                    None
                };
                if let Some((w, v, thr)) = window.filter(|_| ready(p.alert_volume, t, realert)) {
                    p.alert_volume = t;
                    let mut md = vec![
                        meta("window", w),
                        meta("bytes", v as u64),
                        meta("threshold", thr as u64),
                        meta(
                            "baseline_bytes_per_hour",
                            if known { (baseline as u64).to_string() } else { "none".into() },
                        ),
                    ];
                    if let Some(n) = name {
                        md.push(meta("dest_name", n));
                    }
                    out.push(finding(sid::EXFIL_VOLUME, t, f.client, f.server, f.proto, src.vni, md));
                }
                let duration = (f.end.as_micros() - f.start.as_micros()) as f64 / 1e6;
                let ratio = f.bytes_toserver as f64 / f.bytes_toclient.max(1) as f64;
                if duration >= cfg.ratio_min_duration_s
                    && f.bytes_toserver >= cfg.ratio_min_bytes
                    && ratio >= cfg.ratio
                    && ready(p.alert_ratio, t, realert)
                {
                    p.alert_ratio = t;
                    let mut md = vec![
                        meta("bytes_toserver", f.bytes_toserver),
                        meta("bytes_toclient", f.bytes_toclient),
                        meta("ratio", format!("{ratio:.1}")),
                        meta("duration_s", format!("{duration:.0}")),
                    ];
                    if let Some(n) = name {
                        md.push(meta("dest_name", n));
                    }
                    out.push(finding(sid::UPLOAD_RATIO, t, f.client, f.server, f.proto, src.vni, md));
                }
                p.fast
            },
        );
        self.sources.upsert(
            src,
            || SourceState { baseline: 0.0, hours: 0, hour, hour_max: 0.0 },
            |s| s.hour_max = s.hour_max.max(fast),
        );
    }

    pub(crate) fn clear(&mut self) {
        self.pairs.clear();
        self.sources.clear();
    }

    pub(crate) fn bytes(&self) -> u64 {
        self.pairs.bytes_now() + self.sources.bytes_now()
    }

    pub(crate) fn counters(&self) -> (TableCounters, TableCounters) {
        (self.pairs.counters(), self.sources.counters())
    }
}

/// Whether a key that last alerted at `last` may alert at `t`.
fn ready(last: i64, t: i64, realert: i64) -> bool {
    last == NEVER || t - last >= realert
}

/// Folds a completed hour into the baseline.
fn fold(cfg: &ExfilConfig, s: &mut SourceState) {
    let v = s.hour_max;
    if s.hours == 0 {
        s.baseline = v;
    } else if s.hours < cfg.min_history_hours {
        // Warm-up: the quietest hour, so that an exfiltration starting in
        // the second hour does not become the baseline.
        s.baseline = s.baseline.min(v);
    } else {
        let clamped = v.min(BASELINE_CLAMP * s.baseline.max(1.0));
        s.baseline += (clamped - s.baseline) / cfg.baseline_hours.max(1.0);
    }
    s.hours = s.hours.saturating_add(1);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn baseline_resists_sustained_growth() {
        let cfg = ExfilConfig::default();
        let mut s = SourceState { baseline: 0.0, hours: 0, hour: 0, hour_max: 0.0 };
        for _ in 0..24 {
            s.hour_max = 1e6;
            fold(&cfg, &mut s);
        }
        assert!((s.baseline - 1e6).abs() < 1.0);
        let mut warm = SourceState { baseline: 0.0, hours: 0, hour: 0, hour_max: 0.0 };
        for v in [1e5, 3e7, 3e7] {
            warm.hour_max = v;
            fold(&cfg, &mut warm);
        }
        assert_eq!(warm.baseline, 1e5, "warm-up keeps the quietest hour");
        for _ in 0..12 {
            s.hour_max = 30e6;
            fold(&cfg, &mut s);
        }
        assert!(s.baseline < 1.3e6, "{}", s.baseline);
    }
}
