//! Live capture from network interfaces through libpcap (the `pcap` crate;
//! this module compiles with the `live` cargo feature, on by default).
//!
//! Two steps, so that a service can open its interfaces while it still holds
//! the capabilities to, and only then drop them:
//!
//! 1. [`LiveCapture::open`] opens and activates every interface (promiscuous,
//!    snaplen, kernel buffer, immediate mode, read timeout) and installs the
//!    BPF filter. Every error (no such device, no permission, bad filter) is
//!    reported here, before anything runs.
//! 2. [`LiveCapture::start`] starts one capture thread per interface. Each
//!    thread reads with `pcap_dispatch` and copies the packets into a
//!    [`Batch`] (buffers are recycled through a pool) that it sends to the
//!    engine thread over a bounded channel. When the engine falls behind the
//!    channel fills, the capture thread waits, the kernel ring fills and the
//!    kernel drops packets: those drops are counted by the kernel and reported
//!    in [`CaptureStats`], never hidden.
//!
//! Stopping ([`LiveSource::stop`]) is graceful: it sets a flag and interrupts
//! each thread's read (`pcap_breakloop`); each thread then reads what is still
//! queued in the kernel ring without blocking, sends it, records its final
//! statistics and ends. (libpcap on Linux waits on a quiet interface whatever
//! the read timeout, so [`LiveSource::next_batch`] also interrupts the reads
//! about once a second for the threads to refresh their counters.) The
//! engine keeps calling [`LiveSource::next_batch`] until it returns
//! [`Next::Ended`], so nothing already captured is lost.
//!
//! Nothing here panics on input: a capture error ends that interface's thread
//! and is reported by [`LiveSource::errors`].

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::{Record, Timestamp};
use crate::decode::LinkType;

/// Default snapshot length: whole frames, jumbo frames (AWS MTU 9001) and
/// mirrored packets included.
pub const DEFAULT_SNAPLEN: u32 = 65_535;

/// Default kernel buffer per interface, bytes. libpcap's own default (2 MiB)
/// holds a few milliseconds of a busy mirror. In immediate mode on Linux each
/// ring slot is as large as the snaplen when the interface has offloads on
/// (GRO, TSO...), 64 KiB: 256 MiB is then about 4,000 frames. Measured on a
/// veth at 60,000 packets/s: 64 MiB dropped 0.7 %, 256 MiB nothing.
pub const DEFAULT_BUFFER_SIZE: u32 = 256 << 20;

/// libpcap read timeout, milliseconds: how long packets may wait in the
/// kernel before a read returns them (immediate mode delivers them at once
/// where the platform supports it).
pub const READ_TIMEOUT_MS: i32 = 100;

/// Batches queued between the capture threads and the engine. With
/// [`BATCH_PACKETS`] this bounds user-space buffering; beyond it, the kernel
/// ring absorbs bursts.
pub const QUEUE_BATCHES: usize = 64;

/// Packets per batch at most (one `pcap_dispatch` call).
pub const BATCH_PACKETS: usize = 256;

/// Batches kept for reuse once the engine has handled them.
const POOL_BATCHES: usize = QUEUE_BATCHES + 8;

/// Buffer bytes a pooled batch keeps: 256 full-size 1500-byte frames.
const POOL_BATCH_BYTES: usize = BATCH_PACKETS * 1536;

/// Packets read after the stop flag, per interface, at most: the kernel
/// ring's content. A bound so that an interface still flooded at shutdown
/// cannot keep the process alive.
const DRAIN_PACKETS_MAX: u64 = 4_000_000;

/// How often a capture thread refreshes its statistics (`pcap_stats`
/// reads a socket option and, on Linux, a sysfs file).
const STATS_EVERY: Duration = Duration::from_secs(1);

/// What to capture and how.
#[derive(Clone, Debug)]
pub struct LiveConfig {
    /// Interface names (`eth1`, `ens5`...). At least one.
    pub interfaces: Vec<String>,
    /// BPF filter expression (tcpdump syntax), none by default. On a mirror
    /// target, `udp port 4789` keeps the mirror traffic only.
    pub bpf: Option<String>,
    /// Snapshot length, bytes.
    pub snaplen: u32,
    /// Kernel buffer size, bytes.
    pub buffer_size: u32,
    /// Promiscuous mode: mirrored frames are not addressed to the sensor's
    /// MAC on every platform, so it is on by default.
    pub promisc: bool,
    /// Immediate mode: packets are delivered as they arrive rather than when
    /// a kernel block fills.
    pub immediate: bool,
    /// Read timeout, milliseconds.
    pub timeout_ms: i32,
}

impl Default for LiveConfig {
    fn default() -> Self {
        LiveConfig {
            interfaces: Vec::new(),
            bpf: None,
            snaplen: DEFAULT_SNAPLEN,
            buffer_size: DEFAULT_BUFFER_SIZE,
            promisc: true,
            immediate: true,
            timeout_ms: READ_TIMEOUT_MS,
        }
    }
}

/// Why capture could not start.
#[derive(Debug)]
pub enum LiveError {
    /// No interface was given.
    NoInterface,
    /// An interface could not be opened or activated.
    Open {
        /// Interface name.
        iface: String,
        /// What libpcap said.
        reason: String,
    },
    /// The BPF filter did not compile or could not be installed.
    Filter {
        /// Interface name.
        iface: String,
        /// The expression.
        expr: String,
        /// What libpcap said.
        reason: String,
    },
    /// A capture thread could not be started.
    Spawn(std::io::Error),
}

impl std::fmt::Display for LiveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LiveError::NoInterface => write!(f, "no interface to capture on"),
            LiveError::Open { iface, reason } => {
                write!(f, "cannot capture on {iface}: {reason}")?;
                let r = reason.to_ascii_lowercase();
                if r.contains("permission") || r.contains("not permitted") {
                    write!(f, " (live capture needs root or the capabilities CAP_NET_RAW and CAP_NET_ADMIN)")?;
                }
                Ok(())
            }
            LiveError::Filter { iface, expr, reason } => write!(f, "bad BPF filter '{expr}' on {iface}: {reason}"),
            LiveError::Spawn(e) => write!(f, "cannot start a capture thread: {e}"),
        }
    }
}

impl std::error::Error for LiveError {}

/// Capture counters of one interface (or a sum), as libpcap reports them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CaptureStats {
    /// Packets that passed the filter, including those then dropped
    /// (libpcap's `ps_recv`).
    pub received: u64,
    /// Packets the kernel dropped because the capture buffer was full
    /// (`ps_drop`).
    pub kernel_drops: u64,
    /// Packets the interface or its driver dropped (`ps_ifdrop`).
    pub if_drops: u64,
    /// Packets handed to the engine.
    pub delivered: u64,
}

impl CaptureStats {
    /// Adds another interface's counters.
    pub fn add(&mut self, o: &CaptureStats) {
        self.received += o.received;
        self.kernel_drops += o.kernel_drops;
        self.if_drops += o.if_drops;
        self.delivered += o.delivered;
    }
}

/// Counters shared by a capture thread and the engine thread.
#[derive(Debug, Default)]
struct Shared {
    received: AtomicU64,
    kernel_drops: AtomicU64,
    if_drops: AtomicU64,
    delivered: AtomicU64,
    /// The error that ended the thread, if any.
    error: Mutex<Option<String>>,
    /// The thread has ended.
    ended: AtomicBool,
    /// The engine interrupted the thread's read (`pcap_breakloop`): the
    /// "error" that read returns is expected.
    woken: AtomicBool,
}

impl Shared {
    fn snapshot(&self) -> CaptureStats {
        CaptureStats {
            received: self.received.load(Ordering::Relaxed),
            kernel_drops: self.kernel_drops.load(Ordering::Relaxed),
            if_drops: self.if_drops.load(Ordering::Relaxed),
            delivered: self.delivered.load(Ordering::Relaxed),
        }
    }
}

/// libpcap's counters are 32-bit and wrap; this keeps 64-bit totals.
#[derive(Default)]
struct Wrapping {
    last: [u32; 3],
    total: [u64; 3],
}

impl Wrapping {
    fn update(&mut self, s: &pcap::Stat) -> [u64; 3] {
        for (i, v) in [s.received, s.dropped, s.if_dropped].into_iter().enumerate() {
            self.total[i] += u64::from(v.wrapping_sub(self.last[i]));
            self.last[i] = v;
        }
        self.total
    }
}

/// Per-packet index entry of a [`Batch`].
#[derive(Clone, Copy, Debug)]
struct Meta {
    ts: Timestamp,
    start: usize,
    len: usize,
    orig_len: u32,
}

/// Packets of one interface, copied out of the kernel ring in one read.
#[derive(Debug, Default)]
pub struct Batch {
    /// Index of the interface in [`LiveConfig::interfaces`].
    pub iface: usize,
    /// Link type of every packet in the batch.
    pub linktype: Option<LinkType>,
    data: Vec<u8>,
    meta: Vec<Meta>,
}

impl Batch {
    /// Number of packets.
    pub fn len(&self) -> usize {
        self.meta.len()
    }

    /// True when the batch holds no packet.
    pub fn is_empty(&self) -> bool {
        self.meta.is_empty()
    }

    /// The packets, in capture order.
    pub fn records(&self) -> impl Iterator<Item = Record<'_>> + '_ {
        let linktype = self.linktype.unwrap_or(LinkType::Ethernet);
        self.meta.iter().map(move |m| Record {
            ts: m.ts,
            linktype,
            data: self.data.get(m.start..m.start + m.len).unwrap_or_default(),
            orig_len: m.orig_len,
        })
    }

    fn push(&mut self, ts: Timestamp, data: &[u8], orig_len: u32) {
        let start = self.data.len();
        self.data.extend_from_slice(data);
        self.meta.push(Meta { ts, start, len: data.len(), orig_len });
    }

    fn clear(&mut self) {
        self.data.clear();
        self.meta.clear();
    }
}

/// Interfaces opened and filtered, not yet read: see the module docs.
pub struct LiveCapture {
    caps: Vec<(String, pcap::Capture<pcap::Active>, LinkType)>,
}

impl std::fmt::Debug for LiveCapture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveCapture").field("interfaces", &self.interfaces()).finish()
    }
}

impl LiveCapture {
    /// Opens every interface of `cfg` and installs the filter.
    ///
    /// # Errors
    /// [`LiveError::NoInterface`] when `cfg.interfaces` is empty;
    /// [`LiveError::Open`] when an interface does not exist, is down or the
    /// process lacks the permission to capture; [`LiveError::Filter`] when
    /// the BPF expression does not compile for the interface's link type.
    pub fn open(cfg: &LiveConfig) -> Result<LiveCapture, LiveError> {
        if cfg.interfaces.is_empty() {
            return Err(LiveError::NoInterface);
        }
        let mut caps = Vec::with_capacity(cfg.interfaces.len());
        for iface in &cfg.interfaces {
            let open_err = |e: pcap::Error| LiveError::Open { iface: iface.clone(), reason: e.to_string() };
            let inactive = pcap::Capture::from_device(iface.as_str()).map_err(open_err)?;
            let mut cap = inactive
                .promisc(cfg.promisc)
                .snaplen(i32::try_from(cfg.snaplen).unwrap_or(i32::MAX))
                .buffer_size(i32::try_from(cfg.buffer_size).unwrap_or(i32::MAX))
                .immediate_mode(cfg.immediate)
                .timeout(cfg.timeout_ms.max(1))
                .open()
                .map_err(open_err)?;
            if let Some(expr) = cfg.bpf.as_deref().filter(|e| !e.trim().is_empty()) {
                cap.filter(expr, true).map_err(|e| LiveError::Filter {
                    iface: iface.clone(),
                    expr: expr.to_string(),
                    reason: e.to_string(),
                })?;
            }
            let dlt = cap.get_datalink().0;
            let linktype = LinkType::from(u32::try_from(dlt).unwrap_or(u32::MAX));
            caps.push((iface.clone(), cap, linktype));
        }
        Ok(LiveCapture { caps })
    }

    /// The interfaces and their link types, in the order given.
    pub fn interfaces(&self) -> Vec<(String, LinkType)> {
        self.caps.iter().map(|(n, _, l)| (n.clone(), *l)).collect()
    }

    /// Starts one capture thread per interface.
    ///
    /// # Errors
    /// [`LiveError::Spawn`] when a thread cannot be created; the threads
    /// already started are stopped.
    pub fn start(self) -> Result<LiveSource, LiveError> {
        let (tx, rx) = mpsc::sync_channel::<Batch>(QUEUE_BATCHES);
        let stop = Arc::new(AtomicBool::new(false));
        let pool: Arc<Mutex<Vec<Batch>>> = Arc::new(Mutex::new(Vec::new()));
        let mut threads = Vec::new();
        let mut shared = Vec::new();
        let mut names = Vec::new();
        let mut breakers = Vec::new();
        for (idx, (name, mut cap, linktype)) in self.caps.into_iter().enumerate() {
            let sh = Arc::new(Shared::default());
            breakers.push(cap.breakloop_handle());
            let worker = Worker {
                idx,
                linktype,
                cap: Some(cap),
                tx: tx.clone(),
                stop: Arc::clone(&stop),
                pool: Arc::clone(&pool),
                shared: Arc::clone(&sh),
                wrap: Wrapping::default(),
            };
            let spawned = std::thread::Builder::new().name(format!("capture-{name}")).spawn(move || worker.run());
            match spawned {
                Ok(h) => threads.push(h),
                Err(e) => {
                    stop.store(true, Ordering::Relaxed);
                    drop(tx);
                    while rx.recv().is_ok() {}
                    for h in threads {
                        let _ = h.join();
                    }
                    return Err(LiveError::Spawn(e));
                }
            }
            shared.push(sh);
            names.push(name);
        }
        Ok(LiveSource { rx, stop, pool, threads, shared, names, breakers, last_wake: Instant::now() })
    }
}

/// What [`LiveSource::next_batch`] found.
#[derive(Debug)]
pub enum Next {
    /// Packets to process; hand the batch back with [`LiveSource::recycle`].
    Batch(Batch),
    /// Nothing arrived within the timeout.
    Idle,
    /// Every capture thread has ended (stopped, or failed: see
    /// [`LiveSource::errors`]) and everything they read was delivered.
    Ended,
}

/// Running capture threads and the queue they fill.
pub struct LiveSource {
    rx: Receiver<Batch>,
    stop: Arc<AtomicBool>,
    pool: Arc<Mutex<Vec<Batch>>>,
    threads: Vec<JoinHandle<()>>,
    shared: Vec<Arc<Shared>>,
    names: Vec<String>,
    /// `pcap_breakloop` handles, one per interface.
    breakers: Vec<pcap::BreakLoop>,
    last_wake: Instant,
}

impl std::fmt::Debug for LiveSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveSource").field("interfaces", &self.names).finish()
    }
}

impl LiveSource {
    /// Waits up to `timeout` for the next batch.
    pub fn next_batch(&mut self, timeout: Duration) -> Next {
        // libpcap on Linux keeps waiting on a quiet interface whatever the
        // read timeout: the threads are interrupted now and then so that
        // they refresh their counters.
        if self.last_wake.elapsed() >= STATS_EVERY {
            self.wake();
        }
        match self.rx.recv_timeout(timeout) {
            Ok(b) => Next::Batch(b),
            Err(RecvTimeoutError::Timeout) => Next::Idle,
            Err(RecvTimeoutError::Disconnected) => {
                for h in self.threads.drain(..) {
                    let _ = h.join();
                }
                Next::Ended
            }
        }
    }

    /// Returns a processed batch to the pool so that its buffers are reused.
    pub fn recycle(&self, b: Batch) {
        recycle_into(&self.pool, b);
    }

    /// Asks every capture thread to read what the kernel still holds and
    /// end. Keep calling [`LiveSource::next_batch`] until [`Next::Ended`].
    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.wake();
    }

    /// Interrupts every capture thread's read.
    fn wake(&mut self) {
        for (sh, b) in self.shared.iter().zip(&self.breakers) {
            sh.woken.store(true, Ordering::Relaxed);
            b.breakloop();
        }
        self.last_wake = Instant::now();
    }

    /// Interface names, in the order given.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Counters per interface (refreshed about once a second while running,
    /// final once the source has ended).
    pub fn stats(&self) -> Vec<CaptureStats> {
        self.shared.iter().map(|s| s.snapshot()).collect()
    }

    /// Counters summed over the interfaces.
    pub fn total(&self) -> CaptureStats {
        let mut t = CaptureStats::default();
        for s in self.stats() {
            t.add(&s);
        }
        t
    }

    /// Errors that ended capture threads, as `(interface, message)`.
    pub fn errors(&self) -> Vec<(String, String)> {
        self.shared
            .iter()
            .zip(&self.names)
            .filter_map(|(s, n)| s.error.lock().ok().and_then(|e| e.clone()).map(|e| (n.clone(), e)))
            .collect()
    }

    /// True when at least one capture thread has ended without being asked
    /// to (its interface went away, a read failed).
    pub fn failed(&self) -> bool {
        !self.stop.load(Ordering::Relaxed) && self.shared.iter().any(|s| s.ended.load(Ordering::Relaxed))
    }
}

impl Drop for LiveSource {
    fn drop(&mut self) {
        self.stop();
        // Unblock senders, then wait for the threads.
        while let Ok(b) = self.rx.try_recv() {
            drop(b);
        }
        for h in self.threads.drain(..) {
            while !h.is_finished() {
                while self.rx.try_recv().is_ok() {}
                std::thread::sleep(Duration::from_millis(5));
            }
            let _ = h.join();
        }
    }
}

/// Empties a batch and keeps it for reuse (its buffer shrunk when a burst
/// of large frames grew it beyond [`POOL_BATCH_BYTES`]).
fn recycle_into(pool: &Mutex<Vec<Batch>>, mut b: Batch) {
    b.clear();
    b.data.shrink_to(POOL_BATCH_BYTES);
    if let Ok(mut p) = pool.lock() {
        if p.len() < POOL_BATCHES {
            p.push(b);
        }
    }
}

/// Outcome of one read.
struct ReadOutcome {
    /// Packets read and sent.
    packets: usize,
    /// The read was cut short by `pcap_breakloop`.
    interrupted: bool,
    /// The engine side is gone.
    closed: bool,
}

/// One interface's capture thread.
struct Worker {
    idx: usize,
    linktype: LinkType,
    cap: Option<pcap::Capture<pcap::Active>>,
    tx: SyncSender<Batch>,
    stop: Arc<AtomicBool>,
    pool: Arc<Mutex<Vec<Batch>>>,
    shared: Arc<Shared>,
    wrap: Wrapping,
}

impl Worker {
    fn run(mut self) {
        let result = self.capture();
        self.refresh_stats();
        if let Err(e) = result {
            if let Ok(mut slot) = self.shared.error.lock() {
                *slot = Some(e);
            }
        }
        self.shared.ended.store(true, Ordering::Relaxed);
    }

    fn batch(&self) -> Batch {
        let mut b = self.pool.lock().ok().and_then(|mut p| p.pop()).unwrap_or_default();
        b.iface = self.idx;
        b.linktype = Some(self.linktype);
        b
    }

    /// Reads until stopped, then drains the ring. Errors end the thread.
    fn capture(&mut self) -> Result<(), String> {
        let mut last_stats = Instant::now();
        while !self.stop.load(Ordering::Relaxed) {
            if self.read_once()?.closed {
                return Ok(());
            }
            if last_stats.elapsed() >= STATS_EVERY {
                self.refresh_stats();
                last_stats = Instant::now();
            }
        }
        // Stopping: whatever the kernel still holds is read without waiting.
        let cap = self.cap.take().ok_or("capture handle lost")?;
        self.cap = Some(cap.setnonblock().map_err(|e| e.to_string())?);
        let mut drained = 0u64;
        while drained < DRAIN_PACKETS_MAX {
            let r = self.read_once()?;
            if r.closed || (r.packets == 0 && !r.interrupted) {
                break;
            }
            drained += r.packets as u64;
        }
        Ok(())
    }

    /// One `pcap_dispatch` into a batch, sent to the engine when not empty
    /// (also when the read was interrupted or failed after some packets).
    fn read_once(&mut self) -> Result<ReadOutcome, String> {
        let mut b = self.batch();
        let cap = self.cap.as_mut().ok_or("capture handle lost")?;
        let r = cap.dispatch(Some(BATCH_PACKETS), |p| {
            // time_t is 32 bits on some targets.
            #[allow(clippy::useless_conversion)]
            let secs = i64::from(p.header.ts.tv_sec);
            let micros = u32::try_from(p.header.ts.tv_usec.clamp(0, 999_999)).unwrap_or(0);
            b.push(Timestamp { secs, micros }, p.data, p.header.len);
        });
        let woken = self.shared.woken.swap(false, Ordering::Relaxed);
        let (interrupted, failure) = match r {
            Ok(_) | Err(pcap::Error::TimeoutExpired) | Err(pcap::Error::NoMorePackets) => (false, None),
            // pcap_breakloop makes the read return an error: expected when
            // the engine asked for it (or is stopping).
            Err(_) if woken || self.stop.load(Ordering::Relaxed) => (true, None),
            Err(e) => (false, Some(e.to_string())),
        };
        let packets = b.len();
        let mut closed = false;
        if packets == 0 {
            recycle_into(&self.pool, b);
        } else {
            self.shared.delivered.fetch_add(packets as u64, Ordering::Relaxed);
            closed = self.tx.send(b).is_err();
        }
        match failure {
            Some(e) => Err(e),
            None => Ok(ReadOutcome { packets, interrupted, closed }),
        }
    }

    fn refresh_stats(&mut self) {
        let Some(cap) = self.cap.as_mut() else { return };
        if let Ok(s) = cap.stats() {
            let [recv, drop, ifdrop] = self.wrap.update(&s);
            self.shared.received.store(recv, Ordering::Relaxed);
            self.shared.kernel_drops.store(drop, Ordering::Relaxed);
            self.shared.if_drops.store(ifdrop, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_index_their_packets() {
        let mut b = Batch { iface: 1, linktype: Some(LinkType::Raw), ..Batch::default() };
        assert!(b.is_empty());
        b.push(Timestamp { secs: 1, micros: 2 }, b"abc", 10);
        b.push(Timestamp { secs: 3, micros: 4 }, b"de", 2);
        let recs: Vec<_> = b.records().map(|r| (r.ts.secs, r.linktype, r.data.to_vec(), r.orig_len)).collect();
        assert_eq!(recs, vec![(1, LinkType::Raw, b"abc".to_vec(), 10), (3, LinkType::Raw, b"de".to_vec(), 2)]);
        b.clear();
        assert_eq!(b.len(), 0);
    }

    #[test]
    fn counters_survive_libpcap_wraparound() {
        let mut w = Wrapping::default();
        let st = |r, d, i| pcap::Stat { received: r, dropped: d, if_dropped: i };
        assert_eq!(w.update(&st(u32::MAX - 1, 5, 0)), [u64::from(u32::MAX - 1), 5, 0]);
        assert_eq!(w.update(&st(3, 5, 1)), [u64::from(u32::MAX) + 4, 5, 1]);
    }

    #[test]
    fn open_reports_missing_interfaces() {
        assert!(matches!(LiveCapture::open(&LiveConfig::default()), Err(LiveError::NoInterface)));
        let cfg = LiveConfig { interfaces: vec!["mirador-nonexistent0".into()], ..LiveConfig::default() };
        let err = LiveCapture::open(&cfg).unwrap_err();
        assert!(err.to_string().contains("mirador-nonexistent0"), "{err}");
    }

    #[test]
    fn errors_are_lowercase_and_hint_at_capabilities() {
        let e = LiveError::Open { iface: "eth1".into(), reason: "socket: Operation not permitted".into() };
        assert!(e.to_string().contains("CAP_NET_RAW"));
        let e = LiveError::Filter { iface: "eth1".into(), expr: "udp prot 4789".into(), reason: "syntax error".into() };
        assert_eq!(e.to_string(), "bad BPF filter 'udp prot 4789' on eth1: syntax error");
    }
}
