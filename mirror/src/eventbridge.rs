//! An EVE sink that puts alerts on an Amazon EventBridge event bus, for
//! automatic response (a rule on the bus starts a Lambda, a Step Functions
//! workflow, an SSM automation, an SQS queue...).
//!
//! Each selected EVE alert line becomes one PutEvents entry:
//!
//! | field | value |
//! |---|---|
//! | `Source` | [`SOURCE`] (`mirador`) |
//! | `DetailType` | [`DETAIL_TYPE`] (`mirador alert`) |
//! | `Detail` | the EVE JSON line, unchanged |
//! | `EventBusName` | the chosen bus, or none (the account's `default` bus) |
//!
//! `Time` is not set (EventBridge stamps the event when it receives it; the
//! alert's own time is `detail.timestamp`), nor are `Resources`.
//!
//! A rule matching `{"source": ["mirador"]}` receives every alert sent;
//! rules can narrow further on the EVE fields, e.g.
//! `{"source": ["mirador"], "detail": {"alert": {"signature_id": [2019728]}}}`.
//!
//! # Selection
//!
//! Only records with `"event_type": "alert"` whose `alert.severity` is at or
//! above the chosen severity are sent. Suricata's severity 1 is the most
//! severe, so "at or above severity N" means `severity <= N`. Other records
//! (flow, dns, stats, lines that are not JSON) are skipped and counted.
//!
//! # Batching
//!
//! [`Batcher`] is pure: it groups entries within PutEvents' limits, at most
//! [`MAX_ENTRIES`] (10) entries per call and a total entry size below
//! [`MAX_REQUEST_BYTES`] (256 KB), the size computed as AWS documents it
//! ([`entry_size`]). An entry that alone reaches the limit can never be
//! sent: it is dropped and counted.
//!
//! # Sending
//!
//! [`EventBridgeSink`] is synchronous: it owns a current-thread tokio runtime
//! and an EventBridge client, sends a batch as soon as it is full and the
//! rest on [`EventBridgeSink::flush`]. A throttled call is retried once by
//! the SDK's standard retry strategy (2 attempts; transient errors and
//! timeouts too); entries that the service refused one by one with
//! `ThrottlingException` or `InternalFailure` are sent once more. What still
//! fails is counted as failed and not kept (delivery is at most once); the
//! sink never panics. Do not call it from inside another tokio runtime: the
//! binary drives it from its own writer thread.

use std::io;
use std::time::Duration;

use aws_sdk_eventbridge::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use aws_sdk_eventbridge::Client;

use crate::AwsOpts;

/// `Source` of every entry.
pub const SOURCE: &str = "mirador";
/// `DetailType` of every entry.
pub const DETAIL_TYPE: &str = "mirador alert";
/// Most entries in one PutEvents call.
pub const MAX_ENTRIES: usize = 10;
/// PutEvents' limit on the total entry size of one call: "The total entry
/// size must be less than 256KB", so a batch stays strictly below it.
pub const MAX_REQUEST_BYTES: usize = 256 * 1024;
/// What a set `Time` adds to an entry's size.
pub const TIME_BYTES: usize = 14;
/// Attempts per PutEvents call (the first and one retry) for throttling,
/// transient errors and timeouts, by the SDK's standard retry strategy.
pub const CALL_ATTEMPTS: u32 = 2;
/// Severity selected when none is chosen: high (1) and medium (2), as
/// Suricata's classification.config ranks classtypes; low (3: policy,
/// informational, misc-activity) is usually too noisy to act on.
pub const DEFAULT_MIN_SEVERITY: u8 = 2;

/// Per-entry error codes worth one more try.
const RETRYABLE_ENTRY_CODES: [&str; 2] = ["ThrottlingException", "InternalFailure"];
/// Pause before sending refused entries again.
const ENTRY_RETRY_DELAY: Duration = Duration::from_millis(200);

/// Size of one PutEvents request entry, as AWS computes it
/// (<https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html>):
/// the UTF-8 bytes of `Source`, `DetailType`, `Detail` and each of
/// `Resources`, plus [`TIME_BYTES`] when `Time` is set. `EventBusName`
/// does not count.
pub fn entry_size(source: &str, detail_type: &str, detail: &str, resources: &[&str], has_time: bool) -> usize {
    // `str::len` is the number of UTF-8 bytes.
    let time = if has_time { TIME_BYTES } else { 0 };
    time + source.len() + detail_type.len() + detail.len() + resources.iter().map(|r| r.len()).sum::<usize>()
}

/// One selected alert, ready to become a PutEvents entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The EVE line (without its newline): the entry's `Detail`.
    pub detail: String,
    /// Its size by [`entry_size`] with [`SOURCE`] and [`DETAIL_TYPE`].
    pub size: usize,
}

impl Entry {
    /// An entry for `detail`.
    pub fn new(detail: &str) -> Self {
        Entry { detail: detail.to_string(), size: entry_size(SOURCE, DETAIL_TYPE, detail, &[], false) }
    }

    /// The SDK's request entry, on `bus` (none: the `default` bus).
    pub fn to_request_entry(&self, bus: Option<&str>) -> PutEventsRequestEntry {
        PutEventsRequestEntry::builder()
            .source(SOURCE)
            .detail_type(DETAIL_TYPE)
            .detail(&self.detail)
            .set_event_bus_name(bus.map(str::to_string))
            .build()
    }
}

/// Entries for one PutEvents call.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Batch {
    /// At most [`MAX_ENTRIES`].
    pub entries: Vec<Entry>,
    /// Sum of the entries' sizes: below [`MAX_REQUEST_BYTES`].
    pub bytes: usize,
}

impl Batch {
    /// The SDK's request entries, on `bus`.
    pub fn to_request_entries(&self, bus: Option<&str>) -> Vec<PutEventsRequestEntry> {
        self.entries.iter().map(|e| e.to_request_entry(bus)).collect()
    }
}

/// What [`Batcher::push`] did with a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Queued for the next call.
    Queued,
    /// Not an alert record (another `event_type`, or not a JSON object).
    NotAlert,
    /// An alert less severe than the chosen severity (or without one).
    BelowSeverity,
    /// An alert too large for any PutEvents call: dropped.
    TooLarge,
}

/// What a [`Batcher`] has seen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BatchCounters {
    /// Lines selected and queued.
    pub selected: u64,
    /// Lines that are not alerts, or alerts below the chosen severity.
    pub skipped: u64,
    /// Selected alerts too large to send ([`Verdict::TooLarge`]).
    pub too_large: u64,
}

/// Turns EVE lines into batches of PutEvents entries (pure: no I/O).
#[derive(Debug)]
pub struct Batcher {
    min_severity: u8,
    pending: Batch,
    counters: BatchCounters,
}

impl Batcher {
    /// Selects alerts of severity `min_severity` or more severe (`severity
    /// <= min_severity`; 1 is the most severe).
    pub fn new(min_severity: u8) -> Self {
        Batcher { min_severity, pending: Batch::default(), counters: BatchCounters::default() }
    }

    /// The chosen severity.
    pub fn min_severity(&self) -> u8 {
        self.min_severity
    }

    /// Whether `line` is an alert at or above the chosen severity.
    pub fn select(&self, line: &str) -> Verdict {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            return Verdict::NotAlert;
        };
        if v.get("event_type").and_then(|t| t.as_str()) != Some("alert") {
            return Verdict::NotAlert;
        }
        match v.pointer("/alert/severity").and_then(|s| s.as_u64()) {
            Some(s) if s >= 1 && s <= u64::from(self.min_severity) => Verdict::Queued,
            _ => Verdict::BelowSeverity,
        }
    }

    /// Takes one EVE line (a trailing newline is ignored). Returns a batch
    /// to send now when the batch is full: 10 entries, or this entry does
    /// not fit beside the pending ones (they go, it stays pending).
    pub fn push(&mut self, line: &str) -> (Verdict, Option<Batch>) {
        let line = line.trim_end_matches(['\n', '\r']);
        let verdict = self.select(line);
        if verdict != Verdict::Queued {
            self.counters.skipped += 1;
            return (verdict, None);
        }
        let entry = Entry::new(line);
        if entry.size >= MAX_REQUEST_BYTES {
            self.counters.too_large += 1;
            return (Verdict::TooLarge, None);
        }
        self.counters.selected += 1;
        let mut out = None;
        if self.pending.bytes + entry.size >= MAX_REQUEST_BYTES {
            out = self.take();
        }
        self.pending.bytes += entry.size;
        self.pending.entries.push(entry);
        if self.pending.entries.len() >= MAX_ENTRIES {
            debug_assert!(out.is_none());
            out = self.take();
        }
        (Verdict::Queued, out)
    }

    /// The pending entries, if any (on flush).
    pub fn take(&mut self) -> Option<Batch> {
        if self.pending.entries.is_empty() {
            None
        } else {
            Some(std::mem::take(&mut self.pending))
        }
    }

    /// Entries waiting for a call.
    pub fn pending(&self) -> usize {
        self.pending.entries.len()
    }

    /// Counters so far.
    pub fn counters(&self) -> BatchCounters {
        self.counters
    }
}

/// Where and how an [`EventBridgeSink`] sends.
#[derive(Clone, Debug)]
pub struct EventBridgeOptions {
    /// Event bus name or ARN; `None` is the account's `default` bus.
    pub bus: Option<String>,
    /// Alerts of this severity or more severe are sent (1 is the most severe).
    pub min_severity: u8,
    /// Region, profile and endpoint URL overrides of the standard chain.
    pub aws: AwsOpts,
    /// Deadline of one attempt of a PutEvents call.
    pub attempt_timeout: Duration,
}

impl Default for EventBridgeOptions {
    fn default() -> Self {
        EventBridgeOptions {
            bus: None,
            min_severity: DEFAULT_MIN_SEVERITY,
            aws: AwsOpts::default(),
            attempt_timeout: Duration::from_secs(10),
        }
    }
}

/// What an [`EventBridgeSink`] did with the lines it was given.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SinkCounters {
    /// Entries EventBridge accepted.
    pub sent: u64,
    /// Entries refused by EventBridge (after the retry), or lost with a call
    /// that failed.
    pub failed: u64,
    /// Alerts too large for PutEvents, never sent.
    pub dropped: u64,
    /// Lines not selected (not alerts, or below the chosen severity).
    pub skipped: u64,
    /// PutEvents calls made (each SDK call, retries inside it not counted).
    pub calls: u64,
    /// Entries sent a second time after a per-entry throttling refusal.
    pub retried: u64,
}

/// Sends EVE alerts to EventBridge; synchronous (see the module docs).
pub struct EventBridgeSink {
    rt: tokio::runtime::Runtime,
    client: Client,
    bus: Option<String>,
    batcher: Batcher,
    counters: SinkCounters,
    last_error: Option<String>,
}

impl std::fmt::Debug for EventBridgeSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventBridgeSink")
            .field("bus", &self.bus)
            .field("min_severity", &self.batcher.min_severity())
            .field("counters", &self.counters)
            .finish_non_exhaustive()
    }
}

impl EventBridgeSink {
    /// A sink with a client from the standard AWS chain (environment,
    /// profile, SSO, process, instance role; `AWS_ENDPOINT_URL`) and the
    /// overrides in `opts.aws`, retrying a call once ([`CALL_ATTEMPTS`]).
    ///
    /// # Errors
    /// No region could be determined; the runtime could not start.
    pub fn connect(opts: &EventBridgeOptions) -> anyhow::Result<Self> {
        let rt = runtime()?;
        let conf = rt.block_on(crate::sdk_config(&opts.aws, CALL_ATTEMPTS))?;
        let timeouts = aws_sdk_eventbridge::config::timeout::TimeoutConfig::builder()
            .operation_attempt_timeout(opts.attempt_timeout)
            .operation_timeout(opts.attempt_timeout * (CALL_ATTEMPTS + 1))
            .build();
        let conf = aws_sdk_eventbridge::config::Builder::from(&conf).timeout_config(timeouts).build();
        let client = Client::from_conf(conf);
        Ok(Self::build(rt, client, opts.bus.clone(), opts.min_severity))
    }

    /// A sink using `client` as it is configured (retries, timeouts).
    ///
    /// # Errors
    /// The runtime could not start.
    pub fn with_client(client: Client, bus: Option<String>, min_severity: u8) -> io::Result<Self> {
        Ok(Self::build(runtime()?, client, bus, min_severity))
    }

    fn build(rt: tokio::runtime::Runtime, client: Client, bus: Option<String>, min_severity: u8) -> Self {
        EventBridgeSink {
            rt,
            client,
            bus,
            batcher: Batcher::new(min_severity),
            counters: SinkCounters::default(),
            last_error: None,
        }
    }

    /// Takes one EVE line; sends a batch when one is full.
    ///
    /// # Errors
    /// The PutEvents call this line completed failed as a whole (its entries
    /// are counted as failed and not kept).
    pub fn push(&mut self, line: &str) -> io::Result<()> {
        let (verdict, batch) = self.batcher.push(line);
        match verdict {
            Verdict::Queued => {}
            Verdict::TooLarge => self.counters.dropped += 1,
            Verdict::NotAlert | Verdict::BelowSeverity => self.counters.skipped += 1,
        }
        match batch {
            Some(b) => self.send(b),
            None => Ok(()),
        }
    }

    /// Sends the pending entries.
    ///
    /// # Errors
    /// As [`Self::push`].
    pub fn flush(&mut self) -> io::Result<()> {
        match self.batcher.take() {
            Some(b) => self.send(b),
            None => Ok(()),
        }
    }

    /// Counters so far.
    pub fn counters(&self) -> SinkCounters {
        self.counters
    }

    /// Entries waiting for the next call.
    pub fn pending(&self) -> usize {
        self.batcher.pending()
    }

    /// The last error met (a failed call or a refused entry).
    pub fn last_error(&self) -> Option<&str> {
        self.last_error.as_deref()
    }

    /// One PutEvents call for `batch`, then once more for the entries
    /// refused with a retryable code.
    fn send(&mut self, batch: Batch) -> io::Result<()> {
        let mut entries = batch.to_request_entries(self.bus.as_deref());
        for round in 0..2 {
            self.counters.calls += 1;
            let call = self.client.put_events().set_entries(Some(entries.clone())).send();
            let out = match self.rt.block_on(call) {
                Ok(out) => out,
                Err(e) => {
                    self.counters.failed += entries.len() as u64;
                    let code = e.code().map(|c| format!(" ({c})")).unwrap_or_default();
                    let msg = format!(
                        "EventBridge PutEvents failed{code}, {} alert(s) lost: {}",
                        entries.len(),
                        DisplayErrorContext(&e)
                    );
                    self.last_error = Some(msg.clone());
                    return Err(io::Error::other(msg));
                }
            };
            let results = out.entries();
            let mut again = Vec::new();
            for (i, entry) in entries.into_iter().enumerate() {
                match results.get(i).map(|r| (r.error_code(), r.error_message())) {
                    Some((None, _)) => self.counters.sent += 1,
                    Some((Some(code), msg)) => {
                        if round == 0 && RETRYABLE_ENTRY_CODES.contains(&code) {
                            again.push(entry);
                        } else {
                            self.counters.failed += 1;
                            self.last_error =
                                Some(format!("EventBridge refused an alert: {code}: {}", msg.unwrap_or("")));
                        }
                    }
                    None => {
                        // Fewer results than entries: the service did not say.
                        self.counters.failed += 1;
                        self.last_error = Some("EventBridge returned fewer results than entries".into());
                    }
                }
            }
            if again.is_empty() {
                break;
            }
            self.counters.retried += again.len() as u64;
            entries = again;
            std::thread::sleep(ENTRY_RETRY_DELAY);
        }
        Ok(())
    }
}

fn runtime() -> io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread().enable_all().build()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(sev: u64, sid: u64) -> String {
        format!(
            r#"{{"timestamp":"2026-01-01T00:00:00.000000+0000","event_type":"alert","src_ip":"10.0.0.1","alert":{{"signature_id":{sid},"severity":{sev},"signature":"t"}}}}"#
        )
    }

    fn alert_sized(sev: u64, total: usize) -> String {
        let base = alert(sev, 1);
        // `"pad":"xxx",` inserted after `{`.
        let pad = total - base.len() - r#""pad":"","#.len();
        format!(r#"{{"pad":"{}",{}"#, "x".repeat(pad), &base[1..])
    }

    #[test]
    fn entry_size_follows_the_documented_formula() {
        assert_eq!(entry_size("mirador", "mirador alert", "{}", &[], false), 7 + 13 + 2);
        assert_eq!(entry_size("mirador", "mirador alert", "{}", &[], true), 7 + 13 + 2 + 14);
        assert_eq!(entry_size("s", "d", r#"{"é":"€"}"#, &["arn:a", "arn:bb"], false), 1 + 1 + 12 + 5 + 6);
        assert_eq!(Entry::new("{}").size, 22);
        let s = alert_sized(1, 5000);
        assert_eq!(s.len(), 5000);
        assert_eq!(Entry::new(&s).size, 5000 + SOURCE.len() + DETAIL_TYPE.len());
    }

    #[test]
    fn selects_alerts_at_or_above_the_severity() {
        let b = Batcher::new(2);
        assert_eq!(b.select(&alert(1, 1)), Verdict::Queued);
        assert_eq!(b.select(&alert(2, 1)), Verdict::Queued);
        assert_eq!(b.select(&alert(3, 1)), Verdict::BelowSeverity);
        assert_eq!(b.select(&alert(0, 1)), Verdict::BelowSeverity);
        assert_eq!(b.select(r#"{"event_type":"alert","alert":{}}"#), Verdict::BelowSeverity);
        assert_eq!(b.select(r#"{"event_type":"alert","alert":{"severity":"1"}}"#), Verdict::BelowSeverity);
        assert_eq!(b.select(r#"{"event_type":"flow","alert":{"severity":1}}"#), Verdict::NotAlert);
        assert_eq!(b.select(r#"{"event_type": "alert", "alert": {"severity": 1}}"#), Verdict::Queued);
        assert_eq!(b.select("not json"), Verdict::NotAlert);
        assert_eq!(b.select("[1]"), Verdict::NotAlert);
        assert_eq!(Batcher::new(1).select(&alert(2, 1)), Verdict::BelowSeverity);
        assert_eq!(Batcher::new(3).select(&alert(3, 1)), Verdict::Queued);
    }

    #[test]
    fn ten_entries_per_batch_in_order() {
        let mut b = Batcher::new(3);
        let mut batches = Vec::new();
        for i in 0..25 {
            let (v, out) = b.push(&format!("{}\n", alert(1, i)));
            assert_eq!(v, Verdict::Queued);
            batches.extend(out);
        }
        assert_eq!(b.pending(), 5);
        batches.extend(b.take());
        assert!(b.take().is_none());
        let sizes: Vec<usize> = batches.iter().map(|b| b.entries.len()).collect();
        assert_eq!(sizes, [10, 10, 5]);
        let sids: Vec<String> = batches.iter().flat_map(|b| &b.entries).map(|e| e.detail.clone()).collect();
        assert_eq!(sids, (0..25).map(|i| alert(1, i)).collect::<Vec<_>>(), "newline trimmed, order kept");
        for batch in &batches {
            assert_eq!(batch.bytes, batch.entries.iter().map(|e| e.size).sum::<usize>());
        }
        assert_eq!(b.counters(), BatchCounters { selected: 25, skipped: 0, too_large: 0 });
    }

    #[test]
    fn batches_stay_below_256_kb() {
        let mut b = Batcher::new(3);
        let mut batches = Vec::new();
        // 100 KB details: two fit (200 KB + overhead), a third does not.
        for _ in 0..7 {
            batches.extend(b.push(&alert_sized(1, 100_000)).1);
        }
        batches.extend(b.take());
        let sizes: Vec<usize> = batches.iter().map(|b| b.entries.len()).collect();
        assert_eq!(sizes, [2, 2, 2, 1]);
        assert!(batches.iter().all(|b| b.bytes < MAX_REQUEST_BYTES));

        // Exactly at the limit does not fit ("less than 256KB"); one byte under does.
        let overhead = SOURCE.len() + DETAIL_TYPE.len();
        let mut b = Batcher::new(3);
        let (v, out) = b.push(&alert_sized(1, MAX_REQUEST_BYTES - overhead));
        assert_eq!((v, out), (Verdict::TooLarge, None));
        let (v, out) = b.push(&alert_sized(1, MAX_REQUEST_BYTES - overhead - 1));
        assert_eq!((v, out), (Verdict::Queued, None));
        // The pending entry fills the call: the next one goes to a new batch.
        let (v, out) = b.push(&alert(1, 9));
        assert_eq!(v, Verdict::Queued);
        let out = out.expect("the big entry goes alone");
        assert_eq!(out.entries.len(), 1);
        assert_eq!(out.bytes, MAX_REQUEST_BYTES - 1);
        assert_eq!(b.pending(), 1);
        assert_eq!(b.counters(), BatchCounters { selected: 2, skipped: 0, too_large: 1 });
    }

    #[test]
    fn mixed_sizes_fill_exactly_to_the_limit() {
        let mut b = Batcher::new(3);
        let overhead = SOURCE.len() + DETAIL_TYPE.len();
        // Three entries summing to MAX - 1 stay together.
        let a = 100_000;
        let c = 60_000;
        let last = MAX_REQUEST_BYTES - 1 - (a + overhead) - (c + overhead) - overhead;
        assert!(b.push(&alert_sized(1, a)).1.is_none());
        assert!(b.push(&alert_sized(1, c)).1.is_none());
        assert!(b.push(&alert_sized(1, last)).1.is_none());
        let out = b.take().unwrap();
        assert_eq!((out.entries.len(), out.bytes), (3, MAX_REQUEST_BYTES - 1));
    }

    #[test]
    fn skipped_lines_are_counted_not_queued() {
        let mut b = Batcher::new(1);
        for line in [r#"{"event_type":"flow"}"#, "", "garbage", &alert(2, 1), &alert(3, 1)] {
            let (v, out) = b.push(line);
            assert_ne!(v, Verdict::Queued);
            assert!(out.is_none());
        }
        assert_eq!(b.pending(), 0);
        assert!(b.take().is_none());
        assert_eq!(b.counters(), BatchCounters { selected: 0, skipped: 5, too_large: 0 });
    }

    #[test]
    fn request_entries_carry_source_type_detail_and_bus() {
        let batch = Batch { entries: vec![Entry::new(&alert(1, 7))], bytes: 0 };
        let e = &batch.to_request_entries(Some("sec-bus"))[0];
        assert_eq!(e.source(), Some(SOURCE));
        assert_eq!(e.detail_type(), Some(DETAIL_TYPE));
        assert_eq!(e.detail(), Some(alert(1, 7).as_str()));
        assert_eq!(e.event_bus_name(), Some("sec-bus"));
        assert!(e.time().is_none() && e.resources().is_empty());
        assert_eq!(batch.to_request_entries(None)[0].event_bus_name(), None);
    }
}
