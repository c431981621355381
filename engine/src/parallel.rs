//! The flow-sharded parallel pipeline.
//!
//! One reader (the calling thread) reads capture files, decodes each frame
//! just enough to compute its symmetric flow key (after decapsulation) and
//! hands packets in batches to N workers; flow `k` always goes to worker
//! `hash(k) % N`, so each flow is processed by one thread in packet order and
//! flow state needs no lock. Every batch round also carries the reader's
//! position and packet time to every worker, so all workers time their flows
//! out at the same packet time and report how far they got.
//!
//! Workers are long-lived scoped threads rather than rayon tasks: each owns
//! mutable flow tables for the whole run, which a work-stealing pool of
//! short tasks does not fit (rayon still parallelises rule compilation).
//!
//! Output is merged in the reader: each record is tagged with the packet
//! number that produced it, and records are released in that order once
//! every worker has passed it. Thresholds and detection_filter, which count
//! across flows, are applied at that point, in packet order, so the set of
//! alerts does not depend on the thread count.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use crate::analytics::wire::render_finding;
use crate::analytics::{Analytics, AnalyticsConfig, DnsQuery, Finding, FlowSummary};
use crate::decode::defrag::Defrag;
use crate::decode::{self, Events, FrameCtx, LinkType, Rebuilt};
use crate::detect::threshold::{Hit, Thresholds};
use crate::detect::Ruleset;
use crate::flow::FlowKey;
use crate::output::Sink;
use crate::pipeline::{count_wire, defrag_packet, thresholds_allow, EngineConfig, Replay, Stats};
use crate::source::{FileSource, Record, Timestamp};

/// The worker of a flow hash. FNV's low bits are a poor split (the lowest
/// is the parity of the key bytes' lowest bits), so the hash is mixed first
/// (the MurmurHash3 finaliser).
fn shard(hash: u64, threads: usize) -> usize {
    let mut h = hash;
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^= h >> 33;
    (h % threads as u64) as usize
}

/// Packets per batch handed to one worker.
const BATCH: usize = 256;
/// Batches in flight per worker before the reader waits (bounds memory).
const QUEUE: usize = 8;

struct Owned {
    pcap_cnt: u64,
    ts: Timestamp,
    linktype: LinkType,
    orig_len: u32,
    data: Vec<u8>,
    /// What `data` is.
    kind: Kind,
    /// Decoder events the reader's defragmentation raised on a fragment.
    events: Events,
}

/// What a record handed to a worker holds.
#[derive(Clone)]
enum Kind {
    /// A captured frame.
    Wire,
    /// A captured IP fragment: packet rules only (the reader defragments).
    Fragment,
    /// A datagram the reader rebuilt from fragments (raw IP), with the
    /// frame its fragments came in (boxed: rare, and larger than the
    /// other variants by its tunnel stack).
    Rebuilt(Box<FrameCtx>),
}

enum Msg {
    /// Packets, then "the input reached packet `upto` at time `now`".
    Batch { recs: Vec<Owned>, upto: u64, now: Timestamp },
    /// End of input.
    Finish,
}

/// One output record, ordered by the packet that produced it.
struct Out {
    key: (u64, u32, u64),
    line: String,
    hit: Option<Hit>,
    event: Option<Event>,
}

/// Inputs of the behavioural stage, merged in packet order like records.
enum Event {
    Flow(FlowSummary),
    Dns(DnsQuery),
}

/// A sink that also runs the behavioural analytics stage: flow and DNS
/// summaries go through it, findings come out as EVE alerts.
pub struct Behaviour<'s> {
    inner: &'s mut dyn Sink,
    analytics: Option<Analytics>,
    findings: Vec<Finding>,
    last: Timestamp,
    /// Behavioural alerts written.
    pub alerts: u64,
}

impl<'s> Behaviour<'s> {
    /// Wraps `inner`; `cfg` None turns the stage off.
    pub fn new(inner: &'s mut dyn Sink, cfg: Option<AnalyticsConfig>) -> Self {
        Behaviour {
            inner,
            analytics: cfg.map(Analytics::new),
            findings: Vec::new(),
            last: Timestamp::default(),
            alerts: 0,
        }
    }

    fn emit(&mut self) {
        for f in self.findings.drain(..) {
            self.alerts += 1;
            let _ = self.inner.write_record(&render_finding(&f));
        }
    }

    /// Scores what is still pending at the end of input.
    pub fn finish(&mut self) {
        if let Some(a) = self.analytics.as_mut() {
            a.finish(self.last, &mut self.findings);
        }
        self.emit();
    }
}

impl Sink for Behaviour<'_> {
    fn write_record(&mut self, json: &str) -> io::Result<()> {
        self.inner.write_record(json)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }

    fn write_alert(&mut self, line: &str, hit: &Hit) -> io::Result<()> {
        self.inner.write_alert(line, hit)
    }

    fn flow_ended(&mut self, f: &FlowSummary) {
        self.last = self.last.max(f.end);
        if let Some(a) = self.analytics.as_mut() {
            a.flow_ended(f, &mut self.findings);
        }
        self.emit();
    }

    fn dns_answer(&mut self, q: &DnsQuery) {
        self.last = self.last.max(q.ts);
        if let Some(a) = self.analytics.as_mut() {
            a.dns(q, &mut self.findings);
        }
        self.emit();
    }
}

impl PartialEq for Out {
    fn eq(&self, o: &Self) -> bool {
        self.key == o.key
    }
}
impl Eq for Out {}
impl PartialOrd for Out {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Out {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        self.key.cmp(&o.key)
    }
}

enum Report {
    Outputs { worker: usize, upto: u64, outs: Vec<Out> },
    Done { worker: usize, outs: Vec<Out>, stats: Box<Stats> },
}

/// Collects a worker's records with their order key.
struct Tagger {
    worker: u32,
    at: u64,
    seq: u64,
    outs: Vec<Out>,
}

impl Sink for Tagger {
    fn write_record(&mut self, json: &str) -> io::Result<()> {
        self.seq += 1;
        self.outs.push(Out { key: (self.at, self.worker, self.seq), line: json.to_string(), hit: None, event: None });
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn flow_ended(&mut self, f: &FlowSummary) {
        self.seq += 1;
        let key = (self.at, self.worker, self.seq);
        self.outs.push(Out { key, line: String::new(), hit: None, event: Some(Event::Flow(f.clone())) });
    }

    fn dns_answer(&mut self, q: &DnsQuery) {
        self.seq += 1;
        let key = (self.at, self.worker, self.seq);
        self.outs.push(Out { key, line: String::new(), hit: None, event: Some(Event::Dns(q.clone())) });
    }

    fn write_alert(&mut self, line: &str, hit: &Hit) -> io::Result<()> {
        self.seq += 1;
        self.outs.push(Out {
            key: (self.at, self.worker, self.seq),
            line: line.to_string(),
            hit: Some(*hit),
            event: None,
        });
        Ok(())
    }
}

fn worker(id: usize, rules: &Ruleset, cfg: &EngineConfig, rx: mpsc::Receiver<Msg>, tx: mpsc::Sender<Report>) {
    let mut replay = Replay::new(rules, cfg);
    replay.defer_thresholds();
    let mut tag = Tagger { worker: id as u32, at: 0, seq: 0, outs: Vec::new() };
    while let Ok(msg) = rx.recv() {
        match msg {
            Msg::Batch { recs, upto, now } => {
                for r in recs {
                    tag.at = r.pcap_cnt;
                    let rec = Record { ts: r.ts, linktype: r.linktype, data: &r.data, orig_len: r.orig_len };
                    match r.kind {
                        Kind::Wire => replay.packet_numbered(&rec, r.pcap_cnt, &mut tag),
                        Kind::Fragment => replay.fragment_numbered(&rec, r.pcap_cnt, r.events, &mut tag),
                        Kind::Rebuilt(ctx) => {
                            let whole = Rebuilt { ip: r.data, linktype: r.linktype, ctx: *ctx };
                            replay.rebuilt_numbered(r.ts, &whole, r.pcap_cnt, &mut tag);
                        }
                    }
                }
                tag.at = upto;
                replay.advance(now, &mut tag);
                let outs = std::mem::take(&mut tag.outs);
                if tx.send(Report::Outputs { worker: id, upto, outs }).is_err() {
                    return;
                }
            }
            Msg::Finish => {
                tag.at = u64::MAX;
                replay.finish(&mut tag);
                let outs = std::mem::take(&mut tag.outs);
                let _ = tx.send(Report::Done { worker: id, outs, stats: Box::new(replay.stats.clone()) });
                return;
            }
        }
    }
}

/// Merges workers' output in packet order and applies thresholds.
struct Merger<'r> {
    rules: &'r Ruleset,
    heap: BinaryHeap<Reverse<Out>>,
    progress: Vec<u64>,
    thresholds: Thresholds,
    dropped: Vec<(u32, u32)>,
    output_errors: u64,
}

impl Merger<'_> {
    fn take(&mut self, r: Report, stats: &mut Vec<Stats>) {
        match r {
            Report::Outputs { worker, upto, outs } => {
                self.progress[worker] = self.progress[worker].max(upto);
                self.heap.extend(outs.into_iter().map(Reverse));
            }
            Report::Done { worker, outs, stats: s } => {
                self.progress[worker] = u64::MAX;
                self.heap.extend(outs.into_iter().map(Reverse));
                stats.push(*s);
            }
        }
    }

    /// Writes every record no worker can still precede.
    fn release(&mut self, sink: &mut dyn Sink) {
        let safe = self.progress.iter().copied().min().unwrap_or(0);
        while self.heap.peek().is_some_and(|o| o.0.key.0 <= safe) {
            let Reverse(o) = self.heap.pop().expect("peeked");
            match o.event {
                Some(Event::Flow(f)) => {
                    sink.flow_ended(&f);
                    continue;
                }
                Some(Event::Dns(q)) => {
                    sink.dns_answer(&q);
                    continue;
                }
                None => {}
            }
            if let Some(h) = &o.hit {
                let sig = self.rules.sig(h.sig);
                if !thresholds_allow(&mut self.thresholds, sig, h) {
                    self.dropped.push((sig.gid, sig.sid));
                    continue;
                }
            }
            if sink.write_record(&o.line).is_err() {
                self.output_errors += 1;
            }
        }
    }
}

/// Replays capture files over `threads` workers (1 runs the single-threaded
/// [`Replay`] directly). Returns the summed counters.
pub fn replay_files(
    rules: &Ruleset,
    cfg: &EngineConfig,
    threads: usize,
    files: &[PathBuf],
    sink: &mut dyn Sink,
    stop: &AtomicBool,
) -> Stats {
    let mut behaviour = Behaviour::new(sink, cfg.behaviour.clone());
    let mut stats = replay_inner(rules, cfg, threads, files, &mut behaviour, stop);
    behaviour.finish();
    stats.alerts += behaviour.alerts;
    stats
}

fn replay_inner(
    rules: &Ruleset,
    cfg: &EngineConfig,
    threads: usize,
    files: &[PathBuf],
    sink: &mut dyn Sink,
    stop: &AtomicBool,
) -> Stats {
    if threads <= 1 {
        let mut r = Replay::new(rules, cfg);
        for f in files {
            r.run_file(f, sink, stop);
        }
        r.finish(sink);
        return r.stats;
    }
    let mut source_errors = Vec::new();
    let mut worker_stats = Vec::new();
    let mut reader_stats = Stats::default();
    let mut merger = Merger {
        rules,
        heap: BinaryHeap::new(),
        progress: vec![0; threads],
        thresholds: Thresholds::default(),
        dropped: Vec::new(),
        output_errors: 0,
    };
    std::thread::scope(|scope| {
        let (rep_tx, rep_rx) = mpsc::channel::<Report>();
        let mut txs = Vec::with_capacity(threads);
        for id in 0..threads {
            let (tx, rx) = mpsc::sync_channel::<Msg>(QUEUE);
            let rep = rep_tx.clone();
            scope.spawn(move || worker(id, rules, cfg, rx, rep));
            txs.push(tx);
        }
        drop(rep_tx);
        let mut pending: Vec<Vec<Owned>> = (0..threads).map(|_| Vec::with_capacity(BATCH)).collect();
        let mut pcap_cnt = 0u64;
        let mut now = Timestamp::default();
        // Fragments are reassembled here, before sharding: the pieces of a
        // datagram carry no ports, the whole datagram goes to its flow's
        // worker. Fragments are counted here and not sent on.
        let mut defrag = Defrag::new(cfg.defrag);
        let reader = &mut reader_stats;
        let round = |pending: &mut Vec<Vec<Owned>>,
                     upto: u64,
                     now: Timestamp,
                     merger: &mut Merger<'_>,
                     sink: &mut dyn Sink,
                     ws: &mut Vec<Stats>| {
            for (tx, p) in txs.iter().zip(pending.iter_mut()) {
                let recs = std::mem::replace(p, Vec::with_capacity(BATCH));
                let _ = tx.send(Msg::Batch { recs, upto, now });
            }
            while let Ok(r) = rep_rx.try_recv() {
                merger.take(r, ws);
            }
            merger.release(sink);
        };
        'files: for f in files {
            let mut src = match FileSource::open(f) {
                Ok(s) => s,
                Err(e) => {
                    source_errors.push(e.to_string());
                    continue;
                }
            };
            loop {
                if stop.load(Ordering::Relaxed) {
                    break 'files;
                }
                let rec = match src.next_record() {
                    None => break,
                    Some(Ok(r)) => r,
                    Some(Err(e)) => {
                        source_errors.push(e.to_string());
                        break;
                    }
                };
                pcap_cnt += 1;
                now = now.max(rec.ts);
                let decoded = decode::decode(rec.linktype, rec.data).ok();
                let shard_of = |k: Option<FlowKey>| k.map_or(0, |k| shard(k.hash64(), threads));
                let shard = if let Some(p) = decoded.as_ref().filter(|p| p.fragment().is_some()) {
                    reader.packets += 1;
                    reader.bytes += rec.data.len() as u64;
                    count_wire(reader, p);
                    let (whole, events) = defrag_packet(&mut defrag, rec.ts, p, reader);
                    // The fragment and the datagram it completes go to the
                    // same worker, in that order, as in a single-threaded run.
                    let shard = match &whole {
                        Some(w) => shard_of(w.decode().ok().and_then(|w| FlowKey::of(&w))),
                        None => shard_of(FlowKey::of(p)),
                    };
                    pending[shard].push(Owned {
                        pcap_cnt,
                        ts: rec.ts,
                        linktype: rec.linktype,
                        orig_len: rec.orig_len,
                        data: rec.data.to_vec(),
                        kind: Kind::Fragment,
                        events,
                    });
                    if let Some(whole) = whole {
                        pending[shard].push(Owned {
                            pcap_cnt,
                            ts: rec.ts,
                            linktype: whole.linktype,
                            orig_len: whole.ip.len() as u32,
                            data: whole.ip,
                            kind: Kind::Rebuilt(Box::new(whole.ctx)),
                            events: Events::default(),
                        });
                    }
                    shard
                } else {
                    let shard = shard_of(decoded.as_ref().and_then(FlowKey::of));
                    pending[shard].push(Owned {
                        pcap_cnt,
                        ts: rec.ts,
                        linktype: rec.linktype,
                        orig_len: rec.orig_len,
                        data: rec.data.to_vec(),
                        kind: Kind::Wire,
                        events: Events::default(),
                    });
                    shard
                };
                if pending[shard].len() >= BATCH {
                    round(&mut pending, pcap_cnt, now, &mut merger, sink, &mut worker_stats);
                }
            }
        }
        round(&mut pending, pcap_cnt, now, &mut merger, sink, &mut worker_stats);
        for tx in &txs {
            let _ = tx.send(Msg::Finish);
        }
        drop(txs);
        for r in rep_rx.iter() {
            merger.take(r, &mut worker_stats);
        }
        merger.release(sink);
    });
    let mut total = Stats::default();
    worker_stats.push(reader_stats);
    for s in worker_stats {
        total.packets += s.packets;
        total.bytes += s.bytes;
        total.ip_packets += s.ip_packets;
        total.tunnelled += s.tunnelled;
        total.truncated += s.truncated;
        for (k, v) in s.decode_errors {
            *total.decode_errors.entry(k).or_default() += v;
        }
        total.alerts += s.alerts;
        total.thresholded += s.thresholded;
        for (k, (n, msg)) in s.by_sig {
            total.by_sig.entry(k).or_insert_with(|| (0, msg)).0 += n;
        }
        total.flows += s.flows;
        total.flows_evicted += s.flows_evicted;
        total.output_errors += s.output_errors;
        total.defrag.add(&s.defrag);
    }
    for k in merger.dropped {
        total.alerts -= 1;
        total.thresholded += 1;
        if let Some(e) = total.by_sig.get_mut(&k) {
            e.0 -= 1;
        }
    }
    total.by_sig.retain(|_, v| v.0 > 0);
    total.output_errors += merger.output_errors;
    total.source_errors = source_errors;
    total
}
