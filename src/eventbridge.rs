//! `--eve-sink eventbridge:[BUS][?OPTIONS]`: EVE alerts to an Amazon
//! EventBridge event bus, for automatic response (built with `--features
//! aws`). The sending is `mirador_mirror::eventbridge::EventBridgeSink`;
//! this adapter puts a bounded queue and a writer thread in front of it, so
//! detection never waits for AWS.
//!
//! | spec | meaning |
//! |---|---|
//! | `eventbridge` or `eventbridge:` | the account's `default` bus |
//! | `eventbridge:BUS` | the bus named (or with the ARN) BUS |
//!
//! | option | meaning (default) |
//! |---|---|
//! | `min-severity=N` | send alerts of severity N or more severe, 1 being the most severe (2: high and medium; 3 sends every usual alert, 1 only high) |
//! | `region=R` | AWS region (AWS_REGION, else the profile's) |
//! | `profile=P` | named profile (AWS_PROFILE, else `default`) |
//! | `endpoint-url=URL` | EventBridge endpoint (AWS_ENDPOINT_URL, else AWS's) |
//! | `queue=N` | alerts queued for the writer; more are dropped and counted (4096) |
//!
//! e.g. `eventbridge:security?min-severity=1&region=eu-west-1`. Credentials
//! come from the standard AWS chain (environment, profile, SSO, process,
//! instance role). Each alert becomes one event with source `mirador`,
//! detail-type `mirador alert` and the EVE record as detail; other records
//! are not sent. Entries go out in PutEvents calls of up to 10, as soon as
//! 10 are ready or [`LINGER`] after the first one waits, and on flush.
//! Errors are reported on stderr (at most every [`REPORT_EVERY`]) and
//! counted; a summary is printed when the sink closes.

use std::io;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use mirador_engine::output::Sink;
use mirador_mirror::eventbridge::{EventBridgeOptions, EventBridgeSink, SinkCounters, DEFAULT_MIN_SEVERITY};
use mirador_mirror::AwsOpts;

/// Longest time a selected alert waits for nine more before it is sent.
pub const LINGER: Duration = Duration::from_secs(1);
/// Least time between two error reports on stderr.
pub const REPORT_EVERY: Duration = Duration::from_secs(30);
/// Default queue bound (alerts).
const DEFAULT_QUEUE: usize = 4096;
/// How long `flush` waits for the writer.
const FLUSH_WAIT: Duration = Duration::from_secs(30);

/// A parsed `eventbridge:` spec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventBridgeSpec {
    /// Bus name or ARN; `None` for `default`.
    pub bus: Option<String>,
    /// Alerts of this severity or more severe are sent.
    pub min_severity: u8,
    /// `region=`.
    pub region: Option<String>,
    /// `profile=`.
    pub profile: Option<String>,
    /// `endpoint-url=`.
    pub endpoint_url: Option<String>,
    /// `queue=`.
    pub queue: usize,
}

/// Parses `eventbridge:[BUS][?min-severity=N&region=R&profile=P&endpoint-url=URL&queue=N]`.
///
/// # Errors
/// Not an eventbridge spec, an unknown option or a bad value.
pub fn parse(spec: &str) -> Result<EventBridgeSpec> {
    let rest = match spec.strip_prefix("eventbridge") {
        Some("") => "",
        Some(r) if r.starts_with(':') => &r[1..],
        _ => bail!("eve sink '{spec}': not an eventbridge:[BUS][?OPTIONS] spec"),
    };
    let (bus, query) = rest.split_once('?').unwrap_or((rest, ""));
    let mut out = EventBridgeSpec {
        bus: match bus {
            "" | "default" => None,
            b => Some(b.to_string()),
        },
        min_severity: DEFAULT_MIN_SEVERITY,
        region: None,
        profile: None,
        endpoint_url: None,
        queue: DEFAULT_QUEUE,
    };
    for opt in query.split('&').filter(|o| !o.is_empty()) {
        let (k, v) = opt.split_once('=').unwrap_or((opt, ""));
        let nonempty = || -> Result<String> {
            if v.is_empty() {
                bail!("eve sink '{spec}': {k}= needs a value");
            }
            Ok(v.to_string())
        };
        match k {
            "min-severity" => {
                out.min_severity = match v.parse::<u8>() {
                    Ok(n) if n >= 1 => n,
                    _ => bail!("eve sink '{spec}': min-severity takes 1 (most severe) to 255, not '{v}'"),
                }
            }
            "region" => out.region = Some(nonempty()?),
            "profile" => out.profile = Some(nonempty()?),
            "endpoint-url" => out.endpoint_url = Some(nonempty()?),
            "queue" => {
                out.queue = match v.parse::<usize>() {
                    Ok(n) if n >= 1 => n,
                    _ => bail!("eve sink '{spec}': queue takes a positive number, not '{v}'"),
                }
            }
            _ => bail!(
                "eve sink '{spec}': unknown option '{k}' (known: min-severity, region, profile, endpoint-url, queue)"
            ),
        }
    }
    Ok(out)
}

/// Opens an EventBridge sink from its spec: resolves region and credentials
/// source now (so a missing region fails at start), sends from a writer
/// thread.
///
/// # Errors
/// A bad spec, no AWS region, or the writer thread could not start.
pub fn open(spec: &str) -> Result<Box<dyn Sink>> {
    let p = parse(spec)?;
    let opts = EventBridgeOptions {
        bus: p.bus.clone(),
        min_severity: p.min_severity,
        aws: AwsOpts { region: p.region.clone(), profile: p.profile.clone(), endpoint_url: p.endpoint_url.clone() },
        ..EventBridgeOptions::default()
    };
    let name = format!("eventbridge:{}", p.bus.as_deref().unwrap_or("default"));
    let sink = EventBridgeSink::connect(&opts).with_context(|| format!("eve sink '{name}'"))?;
    Ok(Box::new(QueuedEventBridge::start(name, sink, p.queue)?))
}

enum Msg {
    Line(String),
    Flush(SyncSender<io::Result<()>>),
}

/// The writer's counters, shared with the sink for the summary.
#[derive(Default)]
struct Shared {
    queue_full: AtomicU64,
    counters: Mutex<SinkCounters>,
}

/// A bounded queue in front of an [`EventBridgeSink`] driven by one thread.
struct QueuedEventBridge {
    name: String,
    tx: Option<SyncSender<Msg>>,
    writer: Option<JoinHandle<()>>,
    shared: Arc<Shared>,
}

impl QueuedEventBridge {
    fn start(name: String, sink: EventBridgeSink, queue: usize) -> Result<Self> {
        let (tx, rx) = sync_channel(queue);
        let shared = Arc::new(Shared::default());
        let sh = Arc::clone(&shared);
        let n = name.clone();
        let writer = std::thread::Builder::new()
            .name("eve-eventbridge".into())
            .spawn(move || writer(&n, sink, &rx, &sh))
            .context("starting the EventBridge writer thread")?;
        Ok(QueuedEventBridge { name, tx: Some(tx), writer: Some(writer), shared })
    }
}

fn writer(name: &str, mut sink: EventBridgeSink, rx: &Receiver<Msg>, shared: &Shared) {
    let mut first_pending: Option<Instant> = None;
    let mut last_report: Option<Instant> = None;
    let mut report = |r: &io::Result<()>, sink: &EventBridgeSink| {
        if let Err(e) = r {
            if last_report.is_none_or(|t| t.elapsed() >= REPORT_EVERY) {
                let c = sink.counters();
                eprintln!("mirador: eve sink '{name}': {e} ({} alerts failed so far)", c.failed);
                last_report = Some(Instant::now());
            }
        }
    };
    loop {
        let msg = match first_pending {
            None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
            Some(t) => rx.recv_timeout(LINGER.saturating_sub(t.elapsed())),
        };
        match msg {
            Ok(Msg::Line(l)) => {
                let r = sink.push(&l);
                report(&r, &sink);
            }
            Ok(Msg::Flush(reply)) => {
                let r = sink.flush();
                report(&r, &sink);
                let _ = reply.send(r);
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => {
                let r = sink.flush();
                report(&r, &sink);
                *shared.counters.lock().unwrap_or_else(|e| e.into_inner()) = sink.counters();
                return;
            }
        }
        if sink.pending() == 0 {
            first_pending = None;
        } else {
            let t = *first_pending.get_or_insert_with(Instant::now);
            if t.elapsed() >= LINGER {
                let r = sink.flush();
                report(&r, &sink);
                first_pending = None;
            }
        }
        *shared.counters.lock().unwrap_or_else(|e| e.into_inner()) = sink.counters();
    }
}

impl Sink for QueuedEventBridge {
    fn write_record(&mut self, json: &str) -> io::Result<()> {
        // Cheap pre-filter on the detection thread: every alert record has
        // an "alert" key. The writer checks event_type and severity.
        if !json.contains("\"alert\"") {
            return Ok(());
        }
        let Some(tx) = &self.tx else { return Ok(()) };
        match tx.try_send(Msg::Line(json.to_string())) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                if self.shared.queue_full.fetch_add(1, Relaxed) == 0 {
                    eprintln!("mirador: eve sink '{}': queue full, dropping alerts (counted)", self.name);
                }
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        let Some(tx) = &self.tx else { return Ok(()) };
        let (reply, answer) = sync_channel(1);
        let deadline = Instant::now() + FLUSH_WAIT;
        let mut msg = Msg::Flush(reply);
        loop {
            match tx.try_send(msg) {
                Ok(()) => break,
                Err(TrySendError::Full(m)) if Instant::now() < deadline => {
                    msg = m;
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(_) => {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!("eve sink '{}': the writer did not take the flush", self.name),
                    ))
                }
            }
        }
        match answer.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(r) => r,
            Err(_) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("eve sink '{}': flush did not finish in {}s", self.name, FLUSH_WAIT.as_secs()),
            )),
        }
    }
}

impl Drop for QueuedEventBridge {
    fn drop(&mut self) {
        drop(self.tx.take());
        if let Some(w) = self.writer.take() {
            let _ = w.join();
        }
        let c = *self.shared.counters.lock().unwrap_or_else(|e| e.into_inner());
        let full = self.shared.queue_full.load(Relaxed);
        if c.sent + c.failed + c.dropped + full > 0 {
            eprintln!(
                "mirador: eve sink '{}': {} alerts sent, {} failed, {} too large, {} dropped (queue full)",
                self.name, c.sent, c.failed, c.dropped, full
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_specs() {
        let d = parse("eventbridge").unwrap();
        assert_eq!(
            d,
            EventBridgeSpec {
                bus: None,
                min_severity: 2,
                region: None,
                profile: None,
                endpoint_url: None,
                queue: DEFAULT_QUEUE
            }
        );
        assert_eq!(parse("eventbridge:").unwrap(), d);
        assert_eq!(parse("eventbridge:default").unwrap(), d);
        assert_eq!(parse("eventbridge:?").unwrap(), d);
        let p = parse(
            "eventbridge:sec?min-severity=1&region=eu-west-1&endpoint-url=http://127.0.0.1:5000&profile=ir&queue=10",
        )
        .unwrap();
        assert_eq!(p.bus.as_deref(), Some("sec"));
        assert_eq!(p.min_severity, 1);
        assert_eq!(p.region.as_deref(), Some("eu-west-1"));
        assert_eq!(p.endpoint_url.as_deref(), Some("http://127.0.0.1:5000"));
        assert_eq!(p.profile.as_deref(), Some("ir"));
        assert_eq!(p.queue, 10);
        let arn = parse("eventbridge:arn:aws:events:us-east-1:123456789012:event-bus/sec?min-severity=3").unwrap();
        assert_eq!(arn.bus.as_deref(), Some("arn:aws:events:us-east-1:123456789012:event-bus/sec"));
        assert_eq!(arn.min_severity, 3);
    }

    #[test]
    fn rejects_bad_specs() {
        for (spec, want) in [
            ("eventbridgex", "not an eventbridge"),
            ("eventbridge:?min-severity=0", "min-severity"),
            ("eventbridge:?min-severity=high", "min-severity"),
            ("eventbridge:?region=", "needs a value"),
            ("eventbridge:?queue=0", "queue"),
            ("eventbridge:?bus=x", "unknown option 'bus'"),
        ] {
            let e = parse(spec).unwrap_err().to_string();
            assert!(e.contains(want), "{spec}: {e}");
        }
    }
}
