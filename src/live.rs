//! `mirador live`: the sensor on a mirror target. Captures from one or more
//! interfaces (libpcap), runs the same detection path as `replay`, writes
//! EVE, and behaves as a service manager expects:
//!
//! - one line containing `ready` on stderr once the rules are loaded and
//!   every interface is open (`mirador: ready, capturing on eth1`);
//! - SIGINT/SIGTERM stop capture; what the kernel still holds is read, flows
//!   are flushed and inspected one last time, outputs are flushed, the final
//!   capture statistics are printed, and the exit status is 0 (a second
//!   signal exits at once);
//! - SIGHUP reopens the EVE file (logrotate);
//! - a `stats` EVE record every `--stats-interval` seconds and at exit;
//! - optional: drop to an unprivileged user after opening the interfaces
//!   (`--user`), a health endpoint (`--health-port`), the inspected frames
//!   to a pcap file (`--pcap-out`).
//!
//! Settings come from `-c mirador.yaml` (see docs/live.md), overridden by
//! the command line.

use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use clap::Args;
use mirador_engine::analytics::AnalyticsConfig;
use mirador_engine::output::enrich::Enriched;
use mirador_engine::output::eve::format_ts;
use mirador_engine::output::pcap_out::{PcapOut, PcapOutStats};
use mirador_engine::output::records::EveTypes;
use mirador_engine::output::Sink as _;
use mirador_engine::parallel::Behaviour;
use mirador_engine::pipeline::{EngineConfig, Replay, Stats};
use mirador_engine::source::live::{self, CaptureStats, LiveCapture, LiveConfig, Next};
use mirador_engine::source::{FileSource, Timestamp};
use serde::Deserialize;

use crate::RuleOpts;

/// Default seconds between two `stats` records.
const DEFAULT_STATS_INTERVAL: u64 = 60;

/// How often buffered EVE lines and pcap-out frames are flushed while
/// capturing, so that a SIEM shipper sees alerts within a second.
const FLUSH_EVERY: Duration = Duration::from_secs(1);

/// Longest wait for packets before the loop looks at signals and timers.
const POLL: Duration = Duration::from_millis(200);

/// `mirador live` options. Every option may also come from `-c mirador.yaml`;
/// the command line wins.
#[derive(Args, Debug, Default)]
pub struct LiveArgs {
    /// Interface to capture on (repeatable). On a mirror target: the ENI
    /// that receives the mirrored traffic; it needs no IP address.
    #[arg(short = 'i', long = "interface", value_name = "IFACE")]
    pub interfaces: Vec<String>,
    /// BPF capture filter (tcpdump syntax). Default: none. On a mirror
    /// target `udp port 4789` keeps only the mirrored traffic (`udp port
    /// 6081` behind a Gateway Load Balancer).
    #[arg(long, value_name = "EXPR")]
    pub bpf: Option<String>,
    #[command(flatten)]
    pub rules: RuleOpts,
    /// Checksum validation: none (default) or all.
    #[arg(short = 'k', value_name = "none|all")]
    pub checksums: Option<String>,
    /// Write DIR/eve.json (as Suricata's -l).
    #[arg(short = 'l', long = "log-dir", value_name = "DIR")]
    pub log_dir: Option<PathBuf>,
    /// Write EVE to PATH, or to stdout with '-' (the default without -l).
    #[arg(long, value_name = "PATH|-")]
    pub eve: Option<String>,
    /// Worker threads (accepted; live inspection runs on one thread for now).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Kernel capture buffer per interface, e.g. 256MiB (default), 1GiB.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub buffer_size: Option<u64>,
    /// Snapshot length in bytes (default 65535: whole frames, jumbo frames
    /// included).
    #[arg(long, value_name = "BYTES")]
    pub snaplen: Option<u32>,
    /// Seconds between two `stats` EVE records (default 60; 0: none).
    #[arg(long, value_name = "SECONDS")]
    pub stats_interval: Option<u64>,
    /// Write the inspected (decapsulated) frames to this pcap file.
    #[arg(long, value_name = "FILE")]
    pub pcap_out: Option<PathBuf>,
    /// Start a new --pcap-out file when the current one reaches SIZE (e.g. 1GiB).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub pcap_out_limit: Option<u64>,
    /// mirador configuration file (interfaces, rules, vars, outputs...).
    #[arg(short = 'c', long = "config", value_name = "mirador.yaml")]
    pub config: Option<PathBuf>,
    /// Switch to this user (and its groups) once the interfaces and outputs
    /// are open.
    #[arg(long, value_name = "USER")]
    pub user: Option<String>,
    /// Answer HTTP health checks on this port (all addresses) or ADDR:PORT:
    /// 200 while capturing, 503 when an interface failed.
    #[arg(long, value_name = "[ADDR:]PORT")]
    pub health_port: Option<String>,
    /// Also write EVE to this sink (repeatable; as `replay --eve-sink`).
    #[arg(long = "eve-sink", value_name = "SPEC")]
    pub eve_sinks: Vec<String>,
    /// EVE event types to write, comma-separated: alert,flow,http,dns,tls,anomaly,stats (default: alert);
    /// anomaly.decode or anomaly.applayer name one kind of anomaly.
    #[arg(long = "eve-types", value_name = "LIST")]
    pub eve_types: Option<String>,
    /// Turn off behavioural detection (beaconing, exfiltration, DNS tunnelling; gid 9000).
    #[arg(long = "no-behaviour")]
    pub no_behaviour: bool,
    /// Mirror state file from `mirador mirror up`: alerts from a known VNI
    /// carry `mirror.source_instance`.
    #[arg(long = "mirror-state", value_name = "FILE")]
    pub mirror_state: Option<PathBuf>,
}

/// A size as written in the configuration: a number of bytes or a string
/// with a unit.
#[derive(Deserialize, Debug, Clone)]
#[serde(untagged)]
enum SizeValue {
    Bytes(u64),
    Text(String),
}

impl SizeValue {
    fn bytes(&self) -> Result<u64> {
        match self {
            SizeValue::Bytes(n) => Ok(*n),
            SizeValue::Text(s) => parse_size(s).map_err(anyhow::Error::msg),
        }
    }
}

/// A port (`8080`) or an address (`127.0.0.1:8080`).
#[derive(Deserialize, Debug, Clone)]
#[serde(untagged)]
enum PortValue {
    Port(u16),
    Text(String),
}

/// `mirador.yaml`, as written (first stage; see [`Settings`]).
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct FileConfig {
    #[serde(default)]
    interfaces: Vec<String>,
    bpf: Option<String>,
    #[serde(default)]
    rules: Vec<PathBuf>,
    classification: Option<PathBuf>,
    #[serde(default)]
    vars: BTreeMap<String, String>,
    log_dir: Option<PathBuf>,
    eve: Option<String>,
    checksums: Option<String>,
    threads: Option<usize>,
    buffer_size: Option<SizeValue>,
    snaplen: Option<u32>,
    stats_interval: Option<u64>,
    pcap_out: Option<PathBuf>,
    pcap_out_limit: Option<SizeValue>,
    user: Option<String>,
    health_port: Option<PortValue>,
    #[serde(default)]
    eve_sinks: Vec<String>,
    eve_types: Option<String>,
    /// Behavioural detection settings (docs/behaviour.md); `enabled: no`
    /// turns it off.
    behaviour: Option<AnalyticsConfig>,
    mirror_state: Option<PathBuf>,
}

impl FileConfig {
    fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        if text.trim().is_empty() {
            return Ok(FileConfig::default());
        }
        serde_yaml::from_str(&text).with_context(|| format!("parsing {}", path.display()))
    }
}

/// Everything `live` runs with, validated (second stage).
#[derive(Debug)]
struct Settings {
    capture: LiveConfig,
    rules: RuleOpts,
    log_dir: Option<PathBuf>,
    eve: Option<String>,
    stats_interval: Option<Duration>,
    pcap_out: Option<PathBuf>,
    pcap_out_limit: Option<u64>,
    user: Option<String>,
    health: Option<SocketAddr>,
    threads: Option<usize>,
    eve_sinks: Vec<String>,
    eve_types: EveTypes,
    behaviour: Option<AnalyticsConfig>,
    mirror_state: Option<PathBuf>,
}

/// Joins a relative path from the configuration to the configuration's folder.
fn rel(base: &Path, p: PathBuf) -> PathBuf {
    if p.is_absolute() || p.as_os_str() == "-" {
        p
    } else {
        base.join(p)
    }
}

fn health_addr(v: &str) -> Result<SocketAddr> {
    if let Ok(port) = v.trim().parse::<u16>() {
        return Ok(SocketAddr::from(([0, 0, 0, 0], port)));
    }
    v.trim().parse::<SocketAddr>().with_context(|| format!("--health-port expects PORT or ADDR:PORT, got '{v}'"))
}

impl Settings {
    fn resolve(a: LiveArgs) -> Result<Settings> {
        let file = match &a.config {
            Some(p) => FileConfig::load(p)?,
            None => FileConfig::default(),
        };
        let base = a.config.as_deref().and_then(Path::parent).map(Path::to_path_buf).unwrap_or_default();
        let interfaces = if a.interfaces.is_empty() { file.interfaces } else { a.interfaces };
        if interfaces.is_empty() {
            bail!("no interface: give -i IFACE (repeatable) or `interfaces:` in the configuration");
        }
        let checksums = a.checksums.or(file.checksums).unwrap_or_else(|| "none".into());
        if !matches!(checksums.as_str(), "none" | "all" | "auto") {
            bail!("-k takes none or all, not '{checksums}'");
        }
        let mut rules = a.rules;
        if rules.rules.is_empty() {
            rules.rules = file.rules.into_iter().map(|p| rel(&base, p)).collect();
        }
        if rules.classification.is_none() {
            rules.classification = file.classification.map(|p| rel(&base, p));
        }
        // Configuration variables first: a --var of the same name wins.
        let mut vars: Vec<String> = file.vars.iter().map(|(k, v)| format!("{k}={v}")).collect();
        vars.append(&mut rules.vars);
        rules.vars = vars;
        let buffer_size = match (a.buffer_size, &file.buffer_size) {
            (Some(n), _) => n,
            (None, Some(v)) => v.bytes().context("buffer-size")?,
            (None, None) => u64::from(live::DEFAULT_BUFFER_SIZE),
        };
        let buffer_size =
            u32::try_from(buffer_size).map_err(|_| anyhow::anyhow!("--buffer-size must be below 4GiB"))?;
        let snaplen = a.snaplen.or(file.snaplen).unwrap_or(live::DEFAULT_SNAPLEN);
        if !(64..=262_144).contains(&snaplen) {
            bail!("--snaplen must be between 64 and 262144 bytes");
        }
        let pcap_out_limit = match (a.pcap_out_limit, &file.pcap_out_limit) {
            (Some(n), _) => Some(n),
            (None, Some(v)) => Some(v.bytes().context("pcap-out-limit")?),
            (None, None) => None,
        };
        let health = match (a.health_port, file.health_port) {
            (Some(s), _) | (None, Some(PortValue::Text(s))) => Some(health_addr(&s)?),
            (None, Some(PortValue::Port(p))) => Some(SocketAddr::from(([0, 0, 0, 0], p))),
            (None, None) => None,
        };
        let interval = a.stats_interval.or(file.stats_interval).unwrap_or(DEFAULT_STATS_INTERVAL);
        let (log_dir, eve) = match (a.log_dir, a.eve) {
            (None, None) => {
                (file.log_dir.map(|p| rel(&base, p)), file.eve.map(|e| rel(&base, e.into()).display().to_string()))
            }
            cli => cli,
        };
        let eve_types = match a.eve_types.or(file.eve_types) {
            Some(list) => crate::run::parse_eve_types(&list)?,
            None => EveTypes::default(),
        };
        let behaviour = match (a.no_behaviour, file.behaviour) {
            (true, _) => None,
            (false, Some(c)) => c.enabled.then_some(c),
            (false, None) => Some(AnalyticsConfig::default()),
        };
        let mut eve_sinks = file.eve_sinks;
        eve_sinks.extend(a.eve_sinks);
        Ok(Settings {
            eve_sinks,
            eve_types,
            behaviour,
            mirror_state: a.mirror_state.or_else(|| file.mirror_state.map(|p| rel(&base, p))),
            capture: LiveConfig { interfaces, bpf: a.bpf.or(file.bpf), snaplen, buffer_size, ..LiveConfig::default() },
            rules,
            log_dir,
            eve,
            stats_interval: (interval > 0).then(|| Duration::from_secs(interval)),
            pcap_out: a.pcap_out.or_else(|| file.pcap_out.map(|p| rel(&base, p))),
            pcap_out_limit,
            user: a.user.or(file.user),
            health,
            threads: a.threads.or(file.threads),
        })
    }
}

/// Parses a size: bytes, or a number with k/K/KB/KiB, M/MB/MiB, G/GB/GiB
/// (all powers of 1024, as Suricata reads them).
///
/// # Errors
/// A message naming the value when it is not a size.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num.parse().map_err(|_| format!("'{s}' is not a size (e.g. 65536, 64KiB, 100MB, 1GiB)"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(format!("'{s}' has an unknown unit (use KiB, MiB or GiB)")),
    };
    n.checked_mul(mult).ok_or_else(|| format!("'{s}' is too large"))
}

/// Counters the health endpoint reports, updated by the capture loop.
#[derive(Default)]
struct Health {
    packets: AtomicU64,
    alerts: AtomicU64,
    kernel_drops: AtomicU64,
    failed: AtomicBool,
}

/// Serves `GET` (any request) with a one-line JSON body: 200 while capture
/// runs, 503 once an interface failed. One connection at a time, each
/// bounded by a one-second read timeout.
fn serve_health(listener: TcpListener, health: Arc<Health>, started: Instant) {
    for conn in listener.incoming() {
        let Ok(mut c) = conn else { continue };
        let _ = c.set_read_timeout(Some(Duration::from_secs(1)));
        let _ = c.set_write_timeout(Some(Duration::from_secs(1)));
        let mut buf = [0u8; 1024];
        let _ = c.read(&mut buf);
        let failed = health.failed.load(Ordering::Relaxed);
        let body = serde_json::json!({
            "status": if failed { "capture failed" } else { "ok" },
            "uptime": started.elapsed().as_secs(),
            "packets": health.packets.load(Ordering::Relaxed),
            "kernel_drops": health.kernel_drops.load(Ordering::Relaxed),
            "alerts": health.alerts.load(Ordering::Relaxed),
        })
        .to_string();
        let status = if failed { "503 Service Unavailable" } else { "200 OK" };
        let _ = write!(
            c,
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
    }
}

/// Switches the process to `user` (its uid, primary gid and supplementary
/// groups). A process already running as that user keeps going.
fn drop_privileges(user: &str) -> Result<()> {
    let name = std::ffi::CString::new(user).context("--user: name contains a NUL byte")?;
    let mut buf = vec![0 as libc::c_char; 1 << 16];
    // SAFETY: passwd is plain data that getpwnam_r fills in; zeroed is a
    // valid (if meaningless) value for it.
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut found: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: every pointer is valid for the call; `buf` outlives the use of
    // the strings it holds (none are read).
    let rc = unsafe { libc::getpwnam_r(name.as_ptr(), &mut pwd, buf.as_mut_ptr(), buf.len(), &mut found) };
    if rc != 0 || found.is_null() {
        bail!("--user: no such user '{user}'");
    }
    let (uid, gid) = (pwd.pw_uid, pwd.pw_gid);
    // SAFETY: plain system calls without pointers.
    let current = unsafe { libc::geteuid() };
    if current == uid {
        return Ok(());
    }
    if current != 0 {
        bail!("--user {user}: only root can switch users (running as uid {current})");
    }
    // SAFETY: `name` is a valid C string; the rest take plain integers.
    unsafe {
        if libc::initgroups(name.as_ptr(), gid) != 0 {
            bail!("--user {user}: initgroups: {}", std::io::Error::last_os_error());
        }
        if libc::setgid(gid) != 0 {
            bail!("--user {user}: setgid({gid}): {}", std::io::Error::last_os_error());
        }
        if libc::setuid(uid) != 0 {
            bail!("--user {user}: setuid({uid}): {}", std::io::Error::last_os_error());
        }
        if uid != 0 && libc::setuid(0) == 0 {
            bail!("--user {user}: root privileges could be regained; refusing to run");
        }
    }
    Ok(())
}

/// True when the process (its real uid, after `--user`) may create files
/// in `dir`.
fn writable(dir: &Path) -> bool {
    let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
    let Ok(c) = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes()) else { return false };
    // SAFETY: `c` is a valid C string for the duration of the call.
    unsafe { libc::access(c.as_ptr(), libc::W_OK) == 0 }
}

/// Wall-clock time as EVE writes it.
fn now() -> Timestamp {
    let d = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    Timestamp { secs: i64::try_from(d.as_secs()).unwrap_or(i64::MAX), micros: d.subsec_micros() }
}

/// A `stats` EVE record: Suricata's field names where the counter means
/// the same (`capture.kernel_packets`, `decoder.pkts`, `detect.alert`...),
/// the rest under `mirador`.
fn stats_record(
    ts: Timestamp,
    uptime: u64,
    s: &Stats,
    names: &[String],
    per_iface: &[CaptureStats],
    pcap_out: Option<&PcapOutStats>,
) -> String {
    let mut total = CaptureStats::default();
    for c in per_iface {
        total.add(c);
    }
    let interfaces: Vec<_> = names
        .iter()
        .zip(per_iface)
        .map(|(n, c)| {
            serde_json::json!({
                "name": n,
                "kernel_packets": c.received,
                "kernel_drops": c.kernel_drops,
                "kernel_ifdrops": c.if_drops,
                "delivered": c.delivered,
            })
        })
        .collect();
    let mut mirador = serde_json::json!({
        "interfaces": interfaces,
        "ip_packets": s.ip_packets,
        "tunnelled": s.tunnelled,
        "truncated": s.truncated,
        "flows_evicted": s.flows_evicted,
        "output_errors": s.output_errors,
    });
    if let Some(p) = pcap_out {
        mirador["pcap_out"] = serde_json::json!({"frames": p.frames, "bytes": p.bytes, "files": p.files});
    }
    serde_json::json!({
        "timestamp": format_ts(ts),
        "event_type": "stats",
        "stats": {
            "uptime": uptime,
            "capture": {
                "kernel_packets": total.received,
                "kernel_drops": total.kernel_drops,
                "kernel_ifdrops": total.if_drops,
            },
            "decoder": {
                "pkts": s.packets,
                "bytes": s.bytes,
                "invalid": s.decode_errors.values().sum::<u64>(),
            },
            "flow": { "total": s.flows },
            "detect": { "alert": s.alerts, "alerts_suppressed": s.thresholded },
            "mirador": mirador,
        }
    })
    .to_string()
}

/// Writes one frame to `--pcap-out`; the first write error is reported and
/// ends the pcap output, never the inspection.
fn tee(out: &mut Option<PcapOut>, rec: &mirador_engine::source::Record<'_>) {
    if let Some(o) = out.as_mut() {
        if let Err(e) = o.write(rec) {
            eprintln!("mirador: --pcap-out {}: {e}; no more frames are written", o.current_path().display());
            *out = None;
        }
    }
}

/// Opens `--pcap-out` when asked.
///
/// # Errors
/// When the file cannot be created or the limit is too small.
fn open_pcap_out(path: Option<&Path>, limit: Option<u64>) -> Result<Option<PcapOut>> {
    let Some(p) = path else { return Ok(None) };
    PcapOut::create(p, limit).map(Some).with_context(|| format!("--pcap-out {}", p.display()))
}

/// Closes `--pcap-out`, reporting what was written.
fn close_pcap_out(out: Option<PcapOut>, summary: bool) -> Result<()> {
    let Some(mut o) = out else { return Ok(()) };
    o.finish().with_context(|| format!("flushing --pcap-out {}", o.current_path().display()))?;
    if summary {
        eprintln!(
            "mirador: --pcap-out: {} frames in {} file(s), last {}",
            o.stats.frames,
            o.stats.files,
            o.current_path().display()
        );
    }
    Ok(())
}

/// `replay --pcap-out`: writes the inspected frame of every frame of the
/// capture files, in order, to `path` (a pass of its own over the files,
/// next to the inspection, which may run on several threads). Unreadable
/// files are skipped here: the inspection reports them.
///
/// # Errors
/// When the output cannot be created or written.
pub(crate) fn pcap_out_files(
    pcaps: &[PathBuf],
    path: &Path,
    limit: Option<u64>,
    stop: &AtomicBool,
    summary: bool,
) -> Result<()> {
    let mut out = open_pcap_out(Some(path), limit)?;
    for p in pcaps {
        let Ok(mut src) = FileSource::open(p) else { continue };
        while !stop.load(Ordering::Relaxed) {
            match src.next_record() {
                Some(Ok(rec)) => tee(&mut out, &rec),
                Some(Err(_)) | None => break,
            }
        }
        if out.is_none() {
            bail!("--pcap-out {}: writing failed", path.display());
        }
    }
    close_pcap_out(out, summary)
}

/// `mirador live`.
///
/// # Errors
/// Configuration, rules, outputs or interfaces that cannot be used; capture
/// that fails on every interface.
pub fn run(args: LiveArgs) -> Result<ExitCode> {
    let st = Settings::resolve(args)?;
    let built = crate::run::load_rules(&st.rules, None)?;
    if let Some((p, e)) = built.file_errors.first() {
        bail!("cannot read rules {}: {e}", p.display());
    }
    crate::run::print_rejections(&built.errors, 20);
    let ruleset = built.ruleset;
    eprintln!("mirador: {} rules loaded, {} rejected", ruleset.len(), built.errors.len());
    if let Some(n) = st.threads.filter(|n| *n > 1) {
        eprintln!("mirador: --threads {n} accepted; live inspection runs on one thread for now");
    }
    let mut fan = crate::run::open_sinks(st.eve.as_deref(), st.log_dir.as_deref(), &st.eve_sinks)?;
    let mirror = crate::run::mirror_map(st.mirror_state.as_deref(), None)?;
    let mut enriched = Enriched::new(&mut fan, mirror);
    let mut sink = Behaviour::new(&mut enriched, st.behaviour.clone());
    let mut pcap_out = open_pcap_out(st.pcap_out.as_deref(), st.pcap_out_limit)?;
    let capture = LiveCapture::open(&st.capture)?;
    let health = Arc::new(Health::default());
    let started = Instant::now();
    let listener = match st.health {
        Some(addr) => Some(TcpListener::bind(addr).with_context(|| format!("--health-port {addr}"))?),
        None => None,
    };
    if let Some(u) = &st.user {
        drop_privileges(u)?;
        let eve_dir = match (&st.eve, &st.log_dir) {
            (Some(e), _) if e != "-" => Path::new(e).parent().map(Path::to_path_buf),
            (None, Some(d)) => Some(d.clone()),
            _ => None,
        };
        let pcap_dir = st.pcap_out.as_deref().and_then(Path::parent).map(Path::to_path_buf);
        for (dir, what) in [(eve_dir, "SIGHUP cannot reopen EVE (logrotate)"), (pcap_dir, "--pcap-out cannot rotate")] {
            if let Some(d) = dir.filter(|d| !writable(d)) {
                eprintln!("mirador: warning: {} is not writable by {u}: {what}", d.display());
            }
        }
    }
    if let Some(l) = listener {
        let h = Arc::clone(&health);
        std::thread::Builder::new()
            .name("health".into())
            .spawn(move || serve_health(l, h, started))
            .context("starting the health endpoint")?;
    }
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        // A second signal while stopping exits at once (status 1).
        signal_hook::flag::register_conditional_shutdown(sig, 1, Arc::clone(&stop))
            .context("installing signal handlers")?;
        signal_hook::flag::register(sig, Arc::clone(&stop)).context("installing signal handlers")?;
    }

    let mut source = capture.start()?;
    let names = source.names().to_vec();
    eprintln!("mirador: ready, capturing on {}", names.join(", "));

    let engine_cfg =
        EngineConfig { eve_types: st.eve_types, behaviour: st.behaviour.clone(), ..EngineConfig::default() };
    let mut engine = Replay::new(&ruleset, &engine_cfg);
    let mut next_stats = st.stats_interval.map(|i| started + i);
    let mut last_flush = Instant::now();
    let mut stopping = false;
    let mut reported_failure = false;
    loop {
        if !stopping && stop.load(Ordering::Relaxed) {
            source.stop();
            stopping = true;
        }
        let wait = next_stats.map_or(POLL, |t| t.saturating_duration_since(Instant::now()).min(POLL));
        match source.next_batch(wait) {
            Next::Batch(b) => {
                for rec in b.records() {
                    tee(&mut pcap_out, &rec);
                    engine.packet(&rec, &mut sink);
                }
                source.recycle(b);
            }
            Next::Idle => {}
            Next::Ended => break,
        }
        if !reported_failure && source.failed() {
            reported_failure = true;
            health.failed.store(true, Ordering::Relaxed);
            for (iface, e) in source.errors() {
                eprintln!("mirador: capture on {iface} failed: {e}");
            }
        }
        health.packets.store(engine.stats.packets, Ordering::Relaxed);
        health.alerts.store(engine.stats.alerts, Ordering::Relaxed);
        if let Some(t) = next_stats.filter(|t| Instant::now() >= *t) {
            engine.finish_flows();
            let per = source.stats();
            health.kernel_drops.store(per.iter().map(|c| c.kernel_drops).sum(), Ordering::Relaxed);
            let rec = stats_record(
                now(),
                started.elapsed().as_secs(),
                &engine.stats,
                &names,
                &per,
                pcap_out.as_ref().map(|p| &p.stats),
            );
            if sink.write_record(&rec).is_err() {
                engine.stats.output_errors += 1;
            }
            next_stats = st.stats_interval.map(|i| t + i);
        }
        if last_flush.elapsed() >= FLUSH_EVERY {
            if sink.flush().is_err() {
                engine.stats.output_errors += 1;
            }
            if let Some(o) = pcap_out.as_mut() {
                let _ = o.flush();
            }
            last_flush = Instant::now();
        }
    }
    // Every capture thread has ended and its packets are processed: the
    // flows still open are inspected one last time.
    engine.finish(&mut sink);
    sink.finish();
    if let Err(errors) = ruleset.save_datasets() {
        for e in errors {
            eprintln!("mirador: {e}");
        }
    }
    engine.stats.alerts += sink.alerts;
    let per = source.stats();
    let total = source.total();
    if st.stats_interval.is_some() {
        let rec = stats_record(
            now(),
            started.elapsed().as_secs(),
            &engine.stats,
            &names,
            &per,
            pcap_out.as_ref().map(|p| &p.stats),
        );
        if sink.write_record(&rec).is_err() {
            engine.stats.output_errors += 1;
        }
    }
    sink.flush().context("flushing EVE output")?;
    close_pcap_out(pcap_out, true)?;
    let s = &engine.stats;
    eprintln!(
        "mirador: capture stopped: {} received, {} dropped by kernel, {} dropped by interface; \
         {} packets inspected ({} tunnelled, {} truncated), {} flows, {} alerts",
        total.received, total.kernel_drops, total.if_drops, s.packets, s.tunnelled, s.truncated, s.flows, s.alerts
    );
    if names.len() > 1 {
        for (n, c) in names.iter().zip(&per) {
            eprintln!(
                "mirador:   {n}: {} received, {} dropped by kernel, {} dropped by interface",
                c.received, c.kernel_drops, c.if_drops
            );
        }
    }
    if s.output_errors > 0 {
        eprintln!("mirador: {} EVE records could not be written", s.output_errors);
    }
    let errors = source.errors();
    if !stopping && !errors.is_empty() {
        if !reported_failure {
            for (iface, e) in &errors {
                eprintln!("mirador: capture on {iface} failed: {e}");
            }
        }
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("65536"), Ok(65536));
        assert_eq!(parse_size("64KiB"), Ok(64 << 10));
        assert_eq!(parse_size("100MB"), Ok(100 << 20));
        assert_eq!(parse_size("1g"), Ok(1 << 30));
        assert!(parse_size("1.5G").is_err());
        assert!(parse_size("10 parsecs").is_err());
        assert!(parse_size("").is_err());
    }

    #[test]
    fn config_file_then_command_line() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("mirador.yaml");
        std::fs::write(
            &cfg,
            "interfaces: [eth1, eth2]\nbpf: udp port 4789\nrules: [local.rules]\nvars:\n  HOME_NET: \"[10.0.0.0/8]\"\n\
             log-dir: logs\nbuffer-size: 128MiB\nstats-interval: 10\npcap-out-limit: 1GiB\nhealth-port: 8080\nuser: mirador\n",
        )
        .unwrap();
        let a = LiveArgs {
            config: Some(cfg.clone()),
            interfaces: vec!["ens6".into()],
            rules: RuleOpts { vars: vec!["HOME_NET=[172.16.0.0/12]".into()], ..RuleOpts::default() },
            ..LiveArgs::default()
        };
        let s = Settings::resolve(a).unwrap();
        assert_eq!(s.capture.interfaces, ["ens6"]);
        assert_eq!(s.capture.bpf.as_deref(), Some("udp port 4789"));
        assert_eq!(s.capture.buffer_size, 128 << 20);
        assert_eq!(s.rules.rules, [dir.path().join("local.rules")]);
        assert_eq!(s.rules.vars, ["HOME_NET=[10.0.0.0/8]", "HOME_NET=[172.16.0.0/12]"]);
        assert_eq!(s.log_dir, Some(dir.path().join("logs")));
        assert_eq!(s.stats_interval, Some(Duration::from_secs(10)));
        assert_eq!(s.pcap_out_limit, Some(1 << 30));
        assert_eq!(s.health, Some("0.0.0.0:8080".parse().unwrap()));
        assert_eq!(s.user.as_deref(), Some("mirador"));
        assert!(s.capture.promisc && s.capture.immediate);
        assert_eq!(s.capture.snaplen, 65535);

        std::fs::write(&cfg, "interface: [eth1]\n").unwrap();
        let err = Settings::resolve(LiveArgs { config: Some(cfg), ..LiveArgs::default() }).unwrap_err();
        assert!(format!("{err:#}").contains("unknown field `interface`"), "{err:#}");
        let err = Settings::resolve(LiveArgs::default()).unwrap_err();
        assert!(err.to_string().contains("no interface"));
    }

    #[test]
    fn stats_record_uses_suricata_names() {
        let s = Stats { packets: 10, bytes: 1000, alerts: 2, ..Stats::default() };
        let c = CaptureStats { received: 12, kernel_drops: 2, if_drops: 0, delivered: 10 };
        let line = stats_record(Timestamp { secs: 1_704_067_200, micros: 0 }, 5, &s, &["eth1".into()], &[c], None);
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["event_type"], "stats");
        assert_eq!(v["timestamp"], "2024-01-01T00:00:00.000000+0000");
        assert_eq!(v["stats"]["capture"]["kernel_packets"], 12);
        assert_eq!(v["stats"]["capture"]["kernel_drops"], 2);
        assert_eq!(v["stats"]["decoder"]["pkts"], 10);
        assert_eq!(v["stats"]["detect"]["alert"], 2);
        assert_eq!(v["stats"]["mirador"]["interfaces"][0]["name"], "eth1");
    }
}
