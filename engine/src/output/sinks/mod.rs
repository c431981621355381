//! EVE sinks: files, stdout, unix sockets, syslog and Redis, several at
//! once, none of which can block detection.
//!
//! # Specs
//!
//! [`open`] takes one spec (the `--eve-sink` flag is repeatable; a
//! [`Fanout`] writes to all of them):
//!
//! | spec | destination |
//! |---|---|
//! | `-`, `stdout` | standard output, one record per line |
//! | `file:PATH`, or a path starting with `/` or `.` | regular file, appended, one record per line; reopened on SIGHUP |
//! | `unix-stream:PATH` | unix stream socket, newline-delimited (Suricata's `unix_stream`) |
//! | `unix-dgram:PATH` | unix datagram socket, one record + newline per datagram (`unix_dgram`) |
//! | `syslog:unix:/dev/log` (or `syslog`) | RFC 5424 over a local socket |
//! | `syslog:udp:HOST:PORT` | RFC 5424 over UDP, one message per datagram |
//! | `syslog:tcp:HOST:PORT` | RFC 5424 over TCP, octet-counting framing |
//! | `redis://[[USER]:PASS@]HOST[:PORT]/list/KEY` | `RPUSH KEY record` (also `/rpush/`; `/lpush/` for `LPUSH`) |
//! | `redis://HOST[:PORT]/channel/NAME` | `PUBLISH NAME record` (also `/publish/`) |
//!
//! Options follow a `?`, separated by `&`:
//!
//! | option | sinks | meaning (default) |
//! |---|---|---|
//! | `rotate=SIZE` | file | start a new file before this size is exceeded (`100MB`, `512k`; off) |
//! | `keep=N` | file | rotated files kept, `PATH.1` newest (5) |
//! | `facility=NAME`, `level=NAME` | syslog | PRI (`local5`, `info`, as Suricata) |
//! | `appname=S`, `hostname=S` | syslog | APP-NAME (`mirador`), HOSTNAME (this host) |
//! | `db=N` | redis | `SELECT N` after connecting (none) |
//! | `queue=N`, `queue-bytes=SIZE` | all | queue bound (8192 records, 32 MiB) |
//! | `overflow=drop\|wait` | all | full queue: drop at once, or wait for a live writer (`wait` for file and stdout, `drop` otherwise) |
//! | `stall=DUR` | all | with `wait`, drop once the writer took nothing for this long (2s) |
//! | `drain=DUR` | all | how long flush and close wait for queued records (5s) |
//! | `timeout=DUR` | sockets | connect, write and reply timeout; a peer silent this long is reconnected (10s) |
//!
//! # Contract
//!
//! Every sink is a [`QueuedSink`]: `write_record` copies the record into a
//! bounded queue and returns, without I/O and without error. A writer
//! thread per sink writes batches to the destination. When the destination
//! fails, the writer reconnects with exponential backoff (100 ms to 5 s)
//! and retries; while it is down, the queue fills and further records are
//! dropped and counted. Each sink's [`SinkStats`] says how many records
//! were written, dropped and are queued, how often the sink reconnected and
//! how many errors it met; `written + dropped + queued` is every record it
//! was given.
//!
//! The writer keeps nothing in user space after a batch: it hands each batch
//! to the kernel (or Redis) at once, so a live capture need not flush
//! periodically. `flush` is for shutdown: it waits up to `drain` for what is
//! queued and returns `TimedOut` when a destination does not take it, so a
//! clean shutdown loses nothing unless a destination is down, and then says
//! so. Dropping a sink (or a [`Fanout`], whose sinks close in parallel)
//! waits up to `drain` again and counts what is left as dropped.
//!
//! Delivery is at most once for datagram sinks (UDP is lossy), at least
//! once for Redis (a command whose reply is lost is sent again), and
//! otherwise exactly once while the connection holds; when a stream breaks,
//! what the kernel accepted but the peer did not read is lost with it.
//!
//! # SIGHUP and logrotate
//!
//! File sinks reopen their path when their flag is set
//! ([`QueuedSink::reopen_flag`], [`Fanout::reopen_flags`]). The CLI
//! registers each flag for SIGHUP:
//!
//! ```no_run
//! # fn main() -> std::io::Result<()> {
//! use mirador_engine::output::sinks::Fanout;
//! let fan = Fanout::open(&["file:/var/log/mirador/eve.json", "syslog:udp:127.0.0.1:514"])?;
//! for flag in fan.reopen_flags() {
//!     // signal_hook::flag::register(signal_hook::consts::SIGHUP, flag)?;
//!     # let _ = flag;
//! }
//! # Ok(()) }
//! ```
//!
//! so that a logrotate entry with `postrotate kill -HUP $(cat
//! /run/mirador.pid)` (no `copytruncate`) works as with Suricata. Without
//! logrotate, `rotate=SIZE` rotates by size.

mod file;
mod queue;
mod redis;
mod spec;
mod syslog;
mod unix;

use std::io;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

pub use queue::{Overflow, QueueOptions, QueuedSink, StatsHandle};
pub use spec::{RedisMode, Spec, SpecError, SyslogAddr, Target};

use super::Sink;

/// Counters of one sink (or, summed, of a [`Fanout`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SinkStats {
    /// Records handed over: accepted by the kernel (files, sockets) or
    /// answered by the server (Redis).
    pub written: u64,
    /// Records lost: the queue was full, the destination refused the record
    /// alone (datagram too large, Redis error reply), or it was still queued
    /// when the sink closed after its drain deadline.
    pub dropped: u64,
    /// Records given to the sink and not yet written or dropped.
    pub queued: u64,
    /// Connections (or files) opened again after the first one.
    pub reconnects: u64,
    /// Failed connects, failed writes and refused records.
    pub errors: u64,
    /// Whether the destination is open now.
    pub connected: bool,
}

/// A sink that counts what happens to its records.
pub trait CountedSink: Sink {
    /// Current counters.
    fn stats(&self) -> SinkStats;
}

/// Opens one sink from its spec, as a plain [`Sink`].
///
/// # Errors
/// `InvalidInput` for a spec that does not parse; for a file, the error
/// opening it. Sockets, syslog and Redis are connected by the writer thread:
/// a destination that is down does not fail `open` (see [`SinkStats`]).
pub fn open(spec: &str) -> io::Result<Box<dyn Sink>> {
    Ok(Box::new(open_queued(spec)?))
}

/// Opens one sink from its spec, with access to its counters and reopen
/// flag.
///
/// # Errors
/// As [`open`].
pub fn open_queued(spec: &str) -> io::Result<QueuedSink> {
    open_spec(&Spec::parse(spec)?)
}

/// Opens one sink from a parsed [`Spec`] (from the config file, say).
///
/// # Errors
/// As [`open`].
pub fn open_spec(spec: &Spec) -> io::Result<QueuedSink> {
    let name = spec.name();
    let timeout = spec.timeout;
    let with_name = |e: io::Error| io::Error::new(e.kind(), format!("eve sink '{name}': {e}"));
    let (t, up, reopen): (Box<dyn queue::Transport>, bool, Option<Arc<AtomicBool>>) = match &spec.target {
        Target::Stdout => (Box::new(file::StdoutTransport::new()), true, None),
        Target::File { path, rotate, keep } => {
            let f = file::FileTransport::open(path, *rotate, *keep).map_err(with_name)?;
            let flag = f.reopen_flag();
            (Box::new(f), true, Some(flag))
        }
        Target::UnixStream(p) => (Box::new(unix::UnixStreamTransport::new(p, timeout)), false, None),
        Target::UnixDgram(p) => (Box::new(unix::UnixDgramTransport::new(p, timeout)), false, None),
        Target::Syslog { addr, facility, level, appname, hostname } => {
            let t =
                syslog::SyslogTransport::new(addr.clone(), *facility, *level, appname, hostname.as_deref(), timeout);
            (Box::new(t), false, None)
        }
        Target::Redis { host, port, mode, key, user, password, db } => {
            let t =
                redis::RedisTransport::new(host, *port, *mode, key, user.as_deref(), password.as_deref(), *db, timeout);
            (Box::new(t), false, None)
        }
    };
    QueuedSink::start(name.clone(), t, up, spec.queue, reopen).map_err(with_name)
}

struct Out {
    name: String,
    sink: Box<dyn Sink>,
    stats: Option<StatsHandle>,
    reopen: Option<Arc<AtomicBool>>,
}

/// Writes every record to several sinks.
///
/// A sink's error does not stop the others: each record goes to every sink,
/// and the first error is returned afterwards. Queued sinks never fail a
/// write, so in practice only `flush` reports (a destination that did not
/// take its records in time).
#[derive(Default)]
pub struct Fanout {
    outs: Vec<Out>,
}

impl Fanout {
    /// No sinks yet.
    pub fn new() -> Self {
        Fanout::default()
    }

    /// Opens every spec, in order.
    ///
    /// # Errors
    /// The first spec that fails to open (sinks opened before it are
    /// closed).
    pub fn open<S: AsRef<str>>(specs: &[S]) -> io::Result<Self> {
        let mut f = Fanout::new();
        for s in specs {
            f.add_spec(s.as_ref())?;
        }
        Ok(f)
    }

    /// Opens one more sink from its spec.
    ///
    /// # Errors
    /// As [`open`].
    pub fn add_spec(&mut self, spec: &str) -> io::Result<()> {
        self.push_queued(open_queued(spec)?);
        Ok(())
    }

    /// Adds an opened queued sink.
    pub fn push_queued(&mut self, sink: QueuedSink) {
        self.outs.push(Out {
            name: sink.name().to_string(),
            stats: Some(sink.stats_handle()),
            reopen: sink.reopen_flag(),
            sink: Box::new(sink),
        });
    }

    /// Adds any sink (it has no counters).
    pub fn push(&mut self, name: impl Into<String>, sink: Box<dyn Sink>) {
        self.outs.push(Out { name: name.into(), sink, stats: None, reopen: None });
    }

    /// Number of sinks.
    pub fn len(&self) -> usize {
        self.outs.len()
    }

    /// True without sinks.
    pub fn is_empty(&self) -> bool {
        self.outs.is_empty()
    }

    /// The reopen flags of the file sinks, to register for SIGHUP.
    pub fn reopen_flags(&self) -> Vec<Arc<AtomicBool>> {
        self.outs.iter().filter_map(|o| o.reopen.clone()).collect()
    }

    /// Handles on each counted sink's counters, in the order added.
    pub fn stats_handles(&self) -> Vec<StatsHandle> {
        self.outs.iter().filter_map(|o| o.stats.clone()).collect()
    }

    /// Each sink's name and counters (None for a sink without counters).
    pub fn per_sink_stats(&self) -> Vec<(&str, Option<SinkStats>)> {
        self.outs.iter().map(|o| (o.name.as_str(), o.stats.as_ref().map(StatsHandle::stats))).collect()
    }
}

impl Sink for Fanout {
    fn write_record(&mut self, json: &str) -> io::Result<()> {
        let mut first = Ok(());
        for o in &mut self.outs {
            if let Err(e) = o.sink.write_record(json) {
                if first.is_ok() {
                    first = Err(e);
                }
            }
        }
        first
    }

    /// Flushes every sink, waiting for all of them in parallel.
    fn flush(&mut self) -> io::Result<()> {
        let results: Vec<io::Result<()>> = std::thread::scope(|s| {
            let spawned: Vec<_> = self
                .outs
                .iter_mut()
                .map(|o| std::thread::Builder::new().spawn_scoped(s, move || o.sink.flush()))
                .collect();
            spawned
                .into_iter()
                .map(|h| match h {
                    Ok(h) => h.join().unwrap_or_else(|_| Err(io::Error::other("sink flush panicked"))),
                    Err(e) => Err(io::Error::new(e.kind(), format!("cannot start a flush thread: {e}"))),
                })
                .collect()
        });
        results.into_iter().find(Result::is_err).unwrap_or(Ok(()))
    }
}

impl Drop for Fanout {
    /// Closes every sink at once, then waits for each: shutting down takes
    /// at most the longest `drain`, not their sum.
    fn drop(&mut self) {
        for h in self.outs.iter().filter_map(|o| o.stats.as_ref()) {
            h.begin_close();
        }
    }
}

impl CountedSink for Fanout {
    /// Counters summed over the counted sinks; `connected` when all are.
    fn stats(&self) -> SinkStats {
        self.outs.iter().filter_map(|o| o.stats.as_ref()).map(StatsHandle::stats).fold(
            SinkStats { connected: true, ..SinkStats::default() },
            |a, s| SinkStats {
                written: a.written + s.written,
                dropped: a.dropped + s.dropped,
                queued: a.queued + s.queued,
                reconnects: a.reconnects + s.reconnects,
                errors: a.errors + s.errors,
                connected: a.connected && s.connected,
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::VecSink;
    use std::time::Duration;

    fn temp(tag: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("mirador-sinks-mod-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn fanout_writes_everywhere_and_sums() {
        let d = temp("fanout");
        let (a, b) = (d.join("a.json"), d.join("b.json"));
        let mut f = Fanout::open(&[format!("file:{}", a.display()), format!("{}?rotate=1MB", b.display())]).unwrap();
        f.push("vec", Box::new(VecSink::default()));
        assert_eq!(f.len(), 3);
        assert_eq!(f.reopen_flags().len(), 2);
        for i in 0..1000 {
            f.write_record(&format!("{{\"seq\":{i}}}")).unwrap();
        }
        f.flush().unwrap();
        for p in [&a, &b] {
            assert_eq!(std::fs::read_to_string(p).unwrap().lines().count(), 1000);
        }
        let st = f.stats();
        assert_eq!((st.written, st.dropped, st.queued, st.connected), (2000, 0, 0, true));
        let per = f.per_sink_stats();
        assert_eq!(per[0].0, format!("file:{}", a.display()));
        assert_eq!(per[2], ("vec", None));
        drop(f);
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn open_errors_name_the_sink() {
        let e = open("file:/nonexistent-mirador/eve.json").err().unwrap();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
        assert!(e.to_string().starts_with("eve sink 'file:/nonexistent-mirador/eve.json': "), "{e}");
        assert_eq!(open("bogus").err().unwrap().kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn socket_sink_to_nowhere_opens_and_counts() {
        let p = std::env::temp_dir().join(format!("mirador-nowhere-{}.sock", std::process::id()));
        let mut s = open_queued(&format!("unix-stream:{}?drain=200ms", p.display())).unwrap();
        for _ in 0..10 {
            s.write_record("{}").unwrap();
        }
        let e = s.flush().unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
        assert!(e.to_string().contains(": 10 records not written after 200ms ("), "{e}");
        std::thread::sleep(Duration::from_millis(50));
        let st = s.stats();
        assert_eq!((st.written, st.queued, st.connected), (0, 10, false));
        assert!(st.errors >= 1);
        assert!(s.stats_handle().last_error().is_some());
    }
}
