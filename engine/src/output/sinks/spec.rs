//! Sink specs: the strings given to `--eve-sink` (and the config file),
//! parsed into a [`Spec`] before anything is opened.
//!
//! Grammar (options after `?`, separated by `&`; see the table in
//! [`super`] for what each option means):
//!
//! ```text
//! spec    = ( "-" | "stdout"
//!           | "file:" PATH | PATH            ; PATH starting with '/' or '.'
//!           | "unix-stream:" PATH | "unix-dgram:" PATH
//!           | "syslog" [ ":unix:" PATH | ":udp:" HOST:PORT | ":tcp:" HOST:PORT ]
//!           | "redis://" [ [USER] ":" PASSWORD "@" ] HOST [ ":" PORT ] [ "/" MODE "/" KEY ]
//!           ) [ "?" NAME "=" VALUE *( "&" NAME "=" VALUE ) ]
//! MODE    = "list" | "rpush" | "lpush" | "channel" | "publish"
//! ```
//!
//! A `?` always starts the options, so a path cannot contain one. Unknown
//! option names and options that do not apply to the sink are errors, not
//! silently ignored.

use crate::rules::numeric::parse_size;
use std::fmt;
use std::io;
use std::path::PathBuf;
use std::time::Duration;

use super::queue::{Overflow, QueueOptions};

/// Default port of a syslog receiver over UDP or TCP.
const SYSLOG_PORT: u16 = 514;
/// Default Redis port.
const REDIS_PORT: u16 = 6379;
/// Default Redis key, as Suricata's redis output.
const REDIS_KEY: &str = "suricata";
/// Default syslog facility: `local5`, as Suricata's syslog output.
const SYSLOG_FACILITY: u8 = 21;
/// Default syslog severity: `info`, as Suricata's syslog output.
const SYSLOG_LEVEL: u8 = 6;
/// Default APP-NAME of syslog messages.
const SYSLOG_APPNAME: &str = "mirador";
/// Longest APP-NAME RFC 5424 allows.
const MAX_APPNAME: usize = 48;
/// Longest HOSTNAME RFC 5424 allows.
const MAX_HOSTNAME: usize = 255;
/// Default number of rotated files kept by size-based rotation.
const DEFAULT_KEEP: u32 = 5;
/// Default connect, write and reply timeout of socket sinks: a peer that
/// accepts nothing for this long is treated as failed and reconnected.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// A parsed sink spec: where records go and how they are queued.
#[derive(Clone, Debug, PartialEq)]
pub struct Spec {
    /// The destination.
    pub target: Target,
    /// Queue size, overflow policy and deadlines.
    pub queue: QueueOptions,
    /// Connect, write and reply timeout of socket sinks (`timeout=`).
    pub timeout: Duration,
}

/// Where a sink writes.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    /// Standard output, one record per line.
    Stdout,
    /// A regular file, appended to, one record per line.
    File {
        /// File path.
        path: PathBuf,
        /// Rotate when the file would grow beyond this many bytes.
        rotate: Option<u64>,
        /// Rotated files kept (`PATH.1` newest ... `PATH.keep` oldest).
        keep: u32,
    },
    /// A unix stream socket, one record per line.
    UnixStream(PathBuf),
    /// A unix datagram socket, one record (with its newline) per datagram.
    UnixDgram(PathBuf),
    /// An RFC 5424 syslog receiver.
    Syslog {
        /// How to reach it.
        addr: SyslogAddr,
        /// Facility code (0..=23).
        facility: u8,
        /// Severity code (0..=7).
        level: u8,
        /// APP-NAME field.
        appname: String,
        /// HOSTNAME field; None: the machine's host name.
        hostname: Option<String>,
    },
    /// A Redis server.
    Redis {
        /// Host name or address.
        host: String,
        /// TCP port.
        port: u16,
        /// List push or channel publish.
        mode: RedisMode,
        /// List key or channel name.
        key: String,
        /// ACL user name for `AUTH`.
        user: Option<String>,
        /// Password for `AUTH`.
        password: Option<String>,
        /// Database to `SELECT` (list mode).
        db: Option<u32>,
    },
}

/// How a syslog sink reaches its receiver.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SyslogAddr {
    /// A local socket such as `/dev/log`: datagram, or stream when the
    /// socket is a stream socket.
    Unix(PathBuf),
    /// `host:port` over UDP, one message per datagram (RFC 5426).
    Udp(String),
    /// `host:port` over TCP with octet-counting framing (RFC 6587).
    Tcp(String),
}

/// What a Redis sink does with each record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RedisMode {
    /// `RPUSH key record` (`list`, `rpush`).
    Rpush,
    /// `LPUSH key record` (`lpush`).
    Lpush,
    /// `PUBLISH channel record` (`channel`, `publish`).
    Publish,
}

impl RedisMode {
    /// The Redis command name.
    pub fn command(self) -> &'static str {
        match self {
            RedisMode::Rpush => "RPUSH",
            RedisMode::Lpush => "LPUSH",
            RedisMode::Publish => "PUBLISH",
        }
    }

    fn path_name(self) -> &'static str {
        match self {
            RedisMode::Rpush => "list",
            RedisMode::Lpush => "lpush",
            RedisMode::Publish => "channel",
        }
    }
}

/// A spec that cannot be parsed. Converts into an [`io::Error`] of kind
/// `InvalidInput`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    spec: String,
    msg: String,
}

impl SpecError {
    fn new(spec: &str, msg: impl Into<String>) -> Self {
        SpecError { spec: redact(spec), msg: msg.into() }
    }
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "eve sink '{}': {}", self.spec, self.msg)
    }
}

impl std::error::Error for SpecError {}

impl From<SpecError> for io::Error {
    fn from(e: SpecError) -> Self {
        io::Error::new(io::ErrorKind::InvalidInput, e)
    }
}

/// Hides a Redis password in a spec that is printed.
fn redact(spec: &str) -> String {
    if let Some(rest) = spec.strip_prefix("redis://") {
        let auth_end = rest.find('/').unwrap_or(rest.len());
        if let Some(at) = rest[..auth_end].rfind('@') {
            return format!("redis://***@{}", &rest[at + 1..]);
        }
    }
    spec.to_string()
}

/// Options as written, consumed one by one so that leftovers are reported.
struct Opts<'a> {
    spec: &'a str,
    list: Vec<(&'a str, &'a str)>,
}

impl<'a> Opts<'a> {
    fn parse(spec: &'a str, query: Option<&'a str>) -> Result<Self, SpecError> {
        let mut list = Vec::new();
        for kv in query.unwrap_or("").split('&').filter(|s| !s.is_empty()) {
            let (k, v) =
                kv.split_once('=').ok_or_else(|| SpecError::new(spec, format!("option '{kv}' is not NAME=VALUE")))?;
            if list.iter().any(|(n, _)| *n == k) {
                return Err(SpecError::new(spec, format!("option '{k}' given twice")));
            }
            list.push((k, v));
        }
        Ok(Opts { spec, list })
    }

    fn take(&mut self, name: &str) -> Option<&'a str> {
        let i = self.list.iter().position(|(k, _)| *k == name)?;
        Some(self.list.remove(i).1)
    }

    fn err(&self, msg: impl Into<String>) -> SpecError {
        SpecError::new(self.spec, msg)
    }

    fn size(&mut self, name: &str) -> Result<Option<u64>, SpecError> {
        match self.take(name) {
            None => Ok(None),
            Some(v) => parse_size(v).map(Some).ok_or_else(|| self.err(format!("{name}: '{v}' is not a size"))),
        }
    }

    fn duration(&mut self, name: &str) -> Result<Option<Duration>, SpecError> {
        match self.take(name) {
            None => Ok(None),
            Some(v) => parse_duration(v).map(Some).ok_or_else(|| self.err(format!("{name}: '{v}' is not a duration"))),
        }
    }

    fn finish(self) -> Result<(), SpecError> {
        match self.list.first() {
            None => Ok(()),
            Some((k, _)) => Err(self.err(format!("unknown option '{k}' for this sink"))),
        }
    }
}

/// Parses `500ms`, `10s`, `2m`, or a bare number of seconds.
pub(crate) fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let digits = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let n: u64 = s[..digits].parse().ok()?;
    match &s[digits..] {
        "ms" => Some(Duration::from_millis(n)),
        "" | "s" => Some(Duration::from_secs(n)),
        "m" | "min" => n.checked_mul(60).map(Duration::from_secs),
        _ => None,
    }
}

fn facility_code(name: &str) -> Option<u8> {
    const NAMES: [&str; 16] = [
        "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp", "ntp",
        "security", "console", "clock",
    ];
    let name = name.to_ascii_lowercase();
    if let Some(i) = NAMES.iter().position(|n| *n == name) {
        return u8::try_from(i).ok();
    }
    let n: u8 = name.strip_prefix("local")?.parse().ok()?;
    (n <= 7).then_some(16 + n)
}

fn level_code(name: &str) -> Option<u8> {
    Some(match name.to_ascii_lowercase().as_str() {
        "emerg" | "emergency" => 0,
        "alert" => 1,
        "crit" | "critical" => 2,
        "err" | "error" => 3,
        "warning" | "warn" => 4,
        "notice" => 5,
        "info" => 6,
        "debug" => 7,
        _ => return None,
    })
}

/// A syslog header field: printable US-ASCII, no spaces, bounded length.
fn header_field(s: &str, max: usize) -> bool {
    !s.is_empty() && s.len() <= max && s.bytes().all(|b| (33..=126).contains(&b))
}

fn host_port<'a>(spec: &str, s: &'a str, default_port: u16) -> Result<(&'a str, u16), SpecError> {
    // `[v6]:port`, `host:port` or `host`.
    let (host, port) = if let Some(rest) = s.strip_prefix('[') {
        let (h, after) = rest.split_once(']').ok_or_else(|| SpecError::new(spec, "unclosed '[' in address"))?;
        (h, after.strip_prefix(':'))
    } else {
        match s.rsplit_once(':') {
            Some((h, p)) if !h.contains(':') => (h, Some(p)),
            _ => (s, None),
        }
    };
    if host.is_empty() {
        return Err(SpecError::new(spec, "missing host"));
    }
    let port = match port {
        None => default_port,
        Some(p) => p.parse().ok().filter(|&p| p != 0).ok_or_else(|| SpecError::new(spec, format!("bad port '{p}'")))?,
    };
    Ok((host, port))
}

impl Spec {
    /// A file sink with the defaults of `file:PATH` (no rotation; the queue
    /// waits for a live writer), for paths that are not written as specs
    /// (`-l DIR`, `--eve PATH`): a `?` in them stays part of the path.
    pub fn file(path: impl Into<PathBuf>) -> Spec {
        let queue = QueueOptions { overflow: Overflow::Wait, ..QueueOptions::default() };
        Spec {
            target: Target::File { path: path.into(), rotate: None, keep: DEFAULT_KEEP },
            queue,
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// The sink of `-`: standard output.
    pub fn stdout() -> Spec {
        let queue = QueueOptions { overflow: Overflow::Wait, ..QueueOptions::default() };
        Spec { target: Target::Stdout, queue, timeout: DEFAULT_TIMEOUT }
    }

    /// Parses a spec such as `file:/var/log/mirador/eve.json?rotate=100MB`.
    ///
    /// # Errors
    /// A [`SpecError`] naming the spec (password hidden) and what is wrong.
    pub fn parse(spec: &str) -> Result<Spec, SpecError> {
        let (body, query) = match spec.split_once('?') {
            Some((b, q)) => (b, Some(q)),
            None => (spec, None),
        };
        let mut o = Opts::parse(spec, query)?;
        let (target, is_file) = Self::target(spec, body, &mut o)?;
        let mut queue = QueueOptions::default();
        if is_file {
            // A file or a terminal keeps up unless something is wrong:
            // wait for it rather than lose records (see `Overflow`).
            queue.overflow = Overflow::Wait;
        }
        if let Some(v) = o.take("queue") {
            queue.capacity = v
                .parse()
                .ok()
                .filter(|&n: &usize| n > 0)
                .ok_or_else(|| o.err(format!("queue: '{v}' is not a positive number of records")))?;
        }
        if let Some(b) = o.size("queue-bytes")? {
            queue.max_bytes = usize::try_from(b).unwrap_or(usize::MAX);
        }
        if let Some(v) = o.take("overflow") {
            queue.overflow = match v {
                "drop" => Overflow::Drop,
                "wait" => Overflow::Wait,
                _ => return Err(o.err(format!("overflow: '{v}' is neither drop nor wait"))),
            };
        }
        if let Some(d) = o.duration("stall")? {
            queue.stall = d;
        }
        if let Some(d) = o.duration("drain")? {
            queue.drain = d;
        }
        let timeout = o.duration("timeout")?.unwrap_or(DEFAULT_TIMEOUT);
        if timeout.is_zero() {
            return Err(o.err("timeout must be positive"));
        }
        o.finish()?;
        Ok(Spec { target, queue, timeout })
    }

    fn target(spec: &str, body: &str, o: &mut Opts<'_>) -> Result<(Target, bool), SpecError> {
        let path = |p: &str| -> Result<PathBuf, SpecError> {
            if p.is_empty() {
                Err(SpecError::new(spec, "missing path"))
            } else {
                Ok(PathBuf::from(p))
            }
        };
        if body == "-" || body == "stdout" {
            return Ok((Target::Stdout, true));
        }
        if let Some(p) = body.strip_prefix("file:").or_else(|| body.starts_with(['/', '.']).then_some(body)) {
            let rotate = o.size("rotate")?;
            if rotate == Some(0) {
                return Err(o.err("rotate must be positive"));
            }
            let keep = match o.take("keep") {
                None => DEFAULT_KEEP,
                Some(v) => v
                    .parse()
                    .ok()
                    .filter(|&k: &u32| k > 0)
                    .ok_or_else(|| o.err(format!("keep: '{v}' is not a positive number")))?,
            };
            return Ok((Target::File { path: path(p)?, rotate, keep }, true));
        }
        if let Some(p) = body.strip_prefix("unix-stream:") {
            return Ok((Target::UnixStream(path(p)?), false));
        }
        if let Some(p) = body.strip_prefix("unix-dgram:") {
            return Ok((Target::UnixDgram(path(p)?), false));
        }
        if body == "syslog" || body.starts_with("syslog:") {
            return Ok((Self::syslog(spec, body, o)?, false));
        }
        if let Some(rest) = body.strip_prefix("redis://") {
            return Ok((Self::redis(spec, rest, o)?, false));
        }
        Err(SpecError::new(
            spec,
            "unknown sink (expected -, stdout, file:PATH, unix-stream:PATH, unix-dgram:PATH, syslog:..., redis://...)",
        ))
    }

    fn syslog(spec: &str, body: &str, o: &mut Opts<'_>) -> Result<Target, SpecError> {
        let rest = body.strip_prefix("syslog").unwrap_or(body).strip_prefix(':').unwrap_or("");
        let addr = if rest.is_empty() {
            SyslogAddr::Unix(PathBuf::from("/dev/log"))
        } else if let Some(p) = rest.strip_prefix("unix:") {
            if p.is_empty() {
                return Err(SpecError::new(spec, "missing path"));
            }
            SyslogAddr::Unix(PathBuf::from(p))
        } else if let Some(hp) = rest.strip_prefix("udp:") {
            let (h, p) = host_port(spec, hp, SYSLOG_PORT)?;
            SyslogAddr::Udp(join_host_port(h, p))
        } else if let Some(hp) = rest.strip_prefix("tcp:") {
            let (h, p) = host_port(spec, hp, SYSLOG_PORT)?;
            SyslogAddr::Tcp(join_host_port(h, p))
        } else {
            return Err(SpecError::new(spec, "syslog takes unix:PATH, udp:HOST:PORT or tcp:HOST:PORT"));
        };
        let facility = match o.take("facility") {
            None => SYSLOG_FACILITY,
            Some(v) => facility_code(v).ok_or_else(|| o.err(format!("facility: unknown '{v}'")))?,
        };
        let level = match o.take("level") {
            None => SYSLOG_LEVEL,
            Some(v) => level_code(v).ok_or_else(|| o.err(format!("level: unknown '{v}'")))?,
        };
        let appname = match o.take("appname") {
            None => SYSLOG_APPNAME.to_string(),
            Some(v) if header_field(v, MAX_APPNAME) => v.to_string(),
            Some(v) => return Err(o.err(format!("appname: '{v}' is not 1-48 printable ASCII characters"))),
        };
        let hostname = match o.take("hostname") {
            None => None,
            Some(v) if header_field(v, MAX_HOSTNAME) => Some(v.to_string()),
            Some(v) => return Err(o.err(format!("hostname: '{v}' is not 1-255 printable ASCII characters"))),
        };
        Ok(Target::Syslog { addr, facility, level, appname, hostname })
    }

    fn redis(spec: &str, rest: &str, o: &mut Opts<'_>) -> Result<Target, SpecError> {
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, ""),
        };
        let (auth, hostport) = match authority.rfind('@') {
            Some(i) => (Some(&authority[..i]), &authority[i + 1..]),
            None => (None, authority),
        };
        let (user, password) = match auth {
            None => (None, None),
            Some(a) => match a.split_once(':') {
                Some((u, p)) => ((!u.is_empty()).then(|| u.to_string()), Some(p.to_string())),
                None => (None, Some(a.to_string())),
            },
        };
        let (host, port) = host_port(spec, hostport, REDIS_PORT)?;
        let (mode, key) = if path.is_empty() {
            (RedisMode::Rpush, REDIS_KEY)
        } else {
            let (m, k) = path
                .split_once('/')
                .ok_or_else(|| SpecError::new(spec, "redis path is /MODE/KEY, e.g. /list/suricata"))?;
            let mode = match m {
                "list" | "rpush" => RedisMode::Rpush,
                "lpush" => RedisMode::Lpush,
                "channel" | "publish" => RedisMode::Publish,
                _ => {
                    return Err(SpecError::new(spec, format!("redis mode '{m}' is not list, rpush, lpush or channel")))
                }
            };
            if k.is_empty() {
                return Err(SpecError::new(spec, "missing redis key"));
            }
            (mode, k)
        };
        let db = match o.take("db") {
            None => None,
            Some(v) => Some(v.parse().map_err(|_| o.err(format!("db: '{v}' is not a database number")))?),
        };
        Ok(Target::Redis { host: host.to_string(), port, mode, key: key.to_string(), user, password, db })
    }

    /// A printable name for the sink: the spec without options, and with
    /// any Redis password hidden.
    pub fn name(&self) -> String {
        match &self.target {
            Target::Stdout => "stdout".into(),
            Target::File { path, .. } => format!("file:{}", path.display()),
            Target::UnixStream(p) => format!("unix-stream:{}", p.display()),
            Target::UnixDgram(p) => format!("unix-dgram:{}", p.display()),
            Target::Syslog { addr: SyslogAddr::Unix(p), .. } => format!("syslog:unix:{}", p.display()),
            Target::Syslog { addr: SyslogAddr::Udp(a), .. } => format!("syslog:udp:{a}"),
            Target::Syslog { addr: SyslogAddr::Tcp(a), .. } => format!("syslog:tcp:{a}"),
            Target::Redis { host, port, mode, key, password, .. } => {
                let auth = if password.is_some() { "***@" } else { "" };
                format!("redis://{auth}{}/{}/{key}", join_host_port(host, *port), mode.path_name())
            }
        }
    }
}

/// `host:port`, with brackets around an IPv6 address.
pub(crate) fn join_host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Spec {
        Spec::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn err(s: &str) -> String {
        Spec::parse(s).expect_err(s).to_string()
    }

    #[test]
    fn stdout_and_files() {
        assert_eq!(p("-").target, Target::Stdout);
        assert_eq!(p("stdout").target, Target::Stdout);
        assert_eq!(p("-").queue.overflow, Overflow::Wait);
        let s = p("file:/var/log/mirador/eve.json?rotate=100MB");
        assert_eq!(
            s.target,
            Target::File { path: "/var/log/mirador/eve.json".into(), rotate: Some(100 << 20), keep: DEFAULT_KEEP }
        );
        assert_eq!(s.queue.overflow, Overflow::Wait);
        assert_eq!(p("./eve.json").target, Target::File { path: "./eve.json".into(), rotate: None, keep: 5 });
        let s = p("/tmp/e.json?rotate=64k&keep=2&queue=10&overflow=drop&drain=250ms&stall=3s&queue-bytes=1M");
        assert_eq!(s.target, Target::File { path: "/tmp/e.json".into(), rotate: Some(65536), keep: 2 });
        assert_eq!(s.queue.capacity, 10);
        assert_eq!(s.queue.max_bytes, 1 << 20);
        assert_eq!(s.queue.overflow, Overflow::Drop);
        assert_eq!(s.queue.drain, Duration::from_millis(250));
        assert_eq!(s.queue.stall, Duration::from_secs(3));
        assert_eq!(s.name(), "file:/tmp/e.json");
        assert_eq!(Spec::file("/tmp/e.json"), p("file:/tmp/e.json"));
        assert_eq!(Spec::file("/odd?dir/eve.json").name(), "file:/odd?dir/eve.json");
        assert_eq!(Spec::stdout(), p("-"));
    }

    #[test]
    fn sockets() {
        let s = p("unix-stream:/run/eve.sock?timeout=2s");
        assert_eq!(s.target, Target::UnixStream("/run/eve.sock".into()));
        assert_eq!(s.timeout, Duration::from_secs(2));
        assert_eq!(s.queue.overflow, Overflow::Drop);
        assert_eq!(p("unix-dgram:/run/eve.sock").target, Target::UnixDgram("/run/eve.sock".into()));
    }

    #[test]
    fn syslog() {
        let s = p("syslog:unix:/dev/log");
        let Target::Syslog { addr, facility, level, appname, hostname } = s.target else { panic!() };
        assert_eq!(addr, SyslogAddr::Unix("/dev/log".into()));
        assert_eq!((facility, level, appname.as_str(), hostname), (21, 6, "mirador", None));
        assert!(matches!(p("syslog").target, Target::Syslog { addr: SyslogAddr::Unix(_), .. }));
        let s = p("syslog:udp:127.0.0.1:514?facility=local0&level=warning&appname=ids&hostname=sensor-1");
        assert_eq!(
            s.target,
            Target::Syslog {
                addr: SyslogAddr::Udp("127.0.0.1:514".into()),
                facility: 16,
                level: 4,
                appname: "ids".into(),
                hostname: Some("sensor-1".into())
            }
        );
        assert!(
            matches!(p("syslog:tcp:[::1]:6514").target, Target::Syslog { addr: SyslogAddr::Tcp(a), .. } if a == "[::1]:6514")
        );
        assert!(
            matches!(p("syslog:tcp:loghost").target, Target::Syslog { addr: SyslogAddr::Tcp(a), .. } if a == "loghost:514")
        );
        assert_eq!(p("syslog:udp:h:1").name(), "syslog:udp:h:1");
    }

    #[test]
    fn redis() {
        let s = p("redis://127.0.0.1:6379/list/suricata");
        assert_eq!(
            s.target,
            Target::Redis {
                host: "127.0.0.1".into(),
                port: 6379,
                mode: RedisMode::Rpush,
                key: "suricata".into(),
                user: None,
                password: None,
                db: None
            }
        );
        let s = p("redis://alice:s3cret@cache:7000/channel/eve/alerts?db=2");
        assert_eq!(
            s.target,
            Target::Redis {
                host: "cache".into(),
                port: 7000,
                mode: RedisMode::Publish,
                key: "eve/alerts".into(),
                user: Some("alice".into()),
                password: Some("s3cret".into()),
                db: Some(2)
            }
        );
        assert_eq!(s.name(), "redis://***@cache:7000/channel/eve/alerts");
        assert!(matches!(p("redis://h").target, Target::Redis { port: 6379, mode: RedisMode::Rpush, .. }));
        assert!(matches!(p("redis://:pw@h/lpush/k").target, Target::Redis { mode: RedisMode::Lpush, user: None, .. }));
    }

    #[test]
    fn errors() {
        assert_eq!(err("ftp://x"), "eve sink 'ftp://x': unknown sink (expected -, stdout, file:PATH, unix-stream:PATH, unix-dgram:PATH, syslog:..., redis://...)");
        assert_eq!(err("file:/x?rotate=big"), "eve sink 'file:/x?rotate=big': rotate: 'big' is not a size");
        assert_eq!(
            err("unix-stream:/x?rotate=1M"),
            "eve sink 'unix-stream:/x?rotate=1M': unknown option 'rotate' for this sink"
        );
        assert_eq!(err("file:"), "eve sink 'file:': missing path");
        assert_eq!(err("-?queue=0"), "eve sink '-?queue=0': queue: '0' is not a positive number of records");
        assert_eq!(err("-?overflow=block"), "eve sink '-?overflow=block': overflow: 'block' is neither drop nor wait");
        assert_eq!(err("-?queue=1&queue=2"), "eve sink '-?queue=1&queue=2': option 'queue' given twice");
        assert_eq!(err("syslog:udp:h:99999"), "eve sink 'syslog:udp:h:99999': bad port '99999'");
        assert_eq!(
            err("redis://u:pw@h/stream/k"),
            "eve sink 'redis://***@h/stream/k': redis mode 'stream' is not list, rpush, lpush or channel"
        );
        assert!(err("syslog:udp:h?facility=local9").contains("facility: unknown 'local9'"));
        let io: io::Error = Spec::parse("nope").unwrap_err().into();
        assert_eq!(io.kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn sizes_and_durations() {
        assert_eq!(parse_size("4096"), Some(4096));
        assert_eq!(parse_size("100MB"), Some(100 << 20));
        assert_eq!(parse_size("1GiB"), Some(1 << 30));
        assert_eq!(parse_size("64 k"), Some(64 << 10));
        assert_eq!(parse_size("MB"), None);
        assert_eq!(parse_size("1TB"), None);
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("7"), Some(Duration::from_secs(7)));
        assert_eq!(parse_duration("2m"), Some(Duration::from_secs(120)));
        assert_eq!(parse_duration("1h"), None);
    }
}
