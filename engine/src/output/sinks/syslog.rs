//! Syslog transport: each record is the MSG of an RFC 5424 message.
//!
//! ```text
//! <174>1 2024-05-01T12:00:00.123456Z sensor-1 mirador 4242 alert - {"timestamp":...}
//! ```
//!
//! PRI is `facility * 8 + level` (default `local5.info`, as Suricata's
//! syslog output); TIMESTAMP is the sending time in UTC with microseconds;
//! HOSTNAME is the `hostname=` option or the machine's name; APP-NAME is
//! `mirador` (or `appname=`); PROCID is the process id; MSGID is the
//! record's `event_type` when it is a valid MSGID, else `-`; there is no
//! structured data.
//!
//! Framing by transport:
//! - UDP and a unix datagram socket (`/dev/log`): one message per datagram
//!   (RFC 5426); a message too large is dropped alone and counted.
//! - TCP: octet counting, `LEN SP MSG` (RFC 6587 section 3.4.1, as RFC 5425
//!   frames TLS), so records may contain any byte.
//! - A unix stream socket (when `/dev/log` is one): each message ends with
//!   a NUL byte, as glibc's `syslog(3)` writes it.

use std::io;
use std::net::{TcpStream, ToSocketAddrs, UdpSocket};
use std::os::unix::net::{UnixDatagram, UnixStream};
use std::time::Duration;

use super::queue::{write_framed, Progress, Transport};
use super::spec::SyslogAddr;
use super::unix::send_datagrams;

/// Longest MSGID RFC 5424 allows.
const MAX_MSGID: usize = 32;

enum Conn {
    UnixDgram(UnixDatagram),
    UnixStream(UnixStream),
    Udp(UdpSocket),
    Tcp(TcpStream),
}

/// An RFC 5424 syslog client.
pub(crate) struct SyslogTransport {
    addr: SyslogAddr,
    timeout: Duration,
    /// `<PRI>1 ` (the timestamp follows).
    pri: String,
    /// ` HOSTNAME APP-NAME PROCID ` (the MSGID follows).
    ids: String,
    conn: Option<Conn>,
    buf: Vec<u8>,
    head: Vec<u8>,
}

/// The machine's host name, or `-` (RFC 5424's nil value).
fn local_hostname() -> String {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .unwrap_or_default();
    let name = name.trim();
    if !name.is_empty() && name.len() <= 255 && name.bytes().all(|b| (33..=126).contains(&b)) {
        name.to_string()
    } else {
        "-".to_string()
    }
}

/// The record's `event_type`, when it is a valid MSGID. EVE writes it as a
/// plain string near the start of the record.
fn msgid(rec: &str) -> &str {
    const KEY: &str = "\"event_type\":\"";
    let Some(i) = rec.find(KEY) else { return "-" };
    let v = &rec[i + KEY.len()..];
    match v.find('"') {
        Some(end) if end > 0 && end <= MAX_MSGID && v[..end].bytes().all(|b| (33..=126).contains(&b)) => &v[..end],
        _ => "-",
    }
}

/// Sending time as an RFC 5424 TIMESTAMP: UTC with microseconds.
fn now_rfc5424() -> String {
    jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).strftime("%Y-%m-%dT%H:%M:%S.%6fZ").to_string()
}

impl SyslogTransport {
    pub(crate) fn new(
        addr: SyslogAddr,
        facility: u8,
        level: u8,
        appname: &str,
        hostname: Option<&str>,
        timeout: Duration,
    ) -> Self {
        let host = hostname.map_or_else(local_hostname, str::to_string);
        SyslogTransport {
            addr,
            timeout,
            pri: format!("<{}>1 ", u16::from(facility) * 8 + u16::from(level)),
            ids: format!(" {host} {appname} {} ", std::process::id()),
            conn: None,
            buf: Vec::new(),
            head: Vec::new(),
        }
    }

    /// `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID ` for this batch.
    fn header(&mut self) {
        self.head.clear();
        self.head.extend_from_slice(self.pri.as_bytes());
        self.head.extend_from_slice(now_rfc5424().as_bytes());
        self.head.extend_from_slice(self.ids.as_bytes());
    }

    fn connect_tcp(&self, hp: &str) -> io::Result<TcpStream> {
        let mut last = io::Error::new(io::ErrorKind::NotFound, format!("{hp}: no address"));
        for a in hp.to_socket_addrs()? {
            match TcpStream::connect_timeout(&a, self.timeout) {
                Ok(s) => return Ok(s),
                Err(e) => last = e,
            }
        }
        Err(last)
    }
}

/// Appends one message: header, MSGID, nil structured data, the record.
fn message(head: &[u8], rec: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(head);
    out.extend_from_slice(msgid(rec).as_bytes());
    out.extend_from_slice(b" - ");
    out.extend_from_slice(rec.as_bytes());
}

impl Transport for SyslogTransport {
    fn connect(&mut self) -> io::Result<()> {
        let conn = match &self.addr {
            SyslogAddr::Unix(p) => {
                let d = UnixDatagram::unbound()?;
                match d.connect(p) {
                    Ok(()) => {
                        d.set_write_timeout(Some(self.timeout))?;
                        Conn::UnixDgram(d)
                    }
                    // Not a datagram socket (EPROTOTYPE): try a stream.
                    Err(e) => match UnixStream::connect(p) {
                        Ok(s) => {
                            s.set_write_timeout(Some(self.timeout))?;
                            Conn::UnixStream(s)
                        }
                        Err(_) => return Err(e),
                    },
                }
            }
            SyslogAddr::Udp(hp) => {
                let to = hp
                    .to_socket_addrs()?
                    .next()
                    .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("{hp}: no address")))?;
                let local = if to.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" };
                let u = UdpSocket::bind(local)?;
                u.connect(to)?;
                u.set_write_timeout(Some(self.timeout))?;
                Conn::Udp(u)
            }
            SyslogAddr::Tcp(hp) => {
                let s = self.connect_tcp(hp)?;
                s.set_write_timeout(Some(self.timeout))?;
                s.set_nodelay(true)?;
                Conn::Tcp(s)
            }
        };
        self.conn = Some(conn);
        Ok(())
    }

    fn send(&mut self, batch: &[String], progress: &mut Progress) -> io::Result<()> {
        self.header();
        let head = &self.head;
        let buf = &mut self.buf;
        match self.conn.as_mut().ok_or_else(|| io::Error::from(io::ErrorKind::NotConnected))? {
            Conn::UnixDgram(d) => send_datagrams(|b| d.send(b), batch, progress, buf, |r, b| message(head, r, b)),
            Conn::Udp(u) => send_datagrams(|b| u.send(b), batch, progress, buf, |r, b| message(head, r, b)),
            Conn::UnixStream(s) => write_framed(s, batch, progress, buf, |r, b| {
                message(head, r, b);
                b.push(0);
            }),
            Conn::Tcp(s) => write_framed(s, batch, progress, buf, |r, b| {
                let len = head.len() + msgid(r).len() + 3 + r.len();
                b.extend_from_slice(len.to_string().as_bytes());
                b.push(b' ');
                message(head, r, b);
            }),
        }
    }

    fn close(&mut self) {
        self.conn = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::net::TcpListener;

    #[test]
    fn message_fields() {
        assert_eq!(msgid(r#"{"timestamp":"x","event_type":"alert","src_ip":"1.2.3.4"}"#), "alert");
        assert_eq!(msgid(r#"{"event_type":""}"#), "-");
        assert_eq!(msgid(r#"{"a":1}"#), "-");
        assert_eq!(msgid(r#"{"event_type":"has space"}"#), "-");
        let ts = now_rfc5424();
        assert_eq!(ts.len(), "2024-05-01T12:00:00.123456Z".len(), "{ts}");
        assert!(ts.ends_with('Z') && ts.as_bytes()[10] == b'T');
        let t =
            SyslogTransport::new(SyslogAddr::Udp("x:1".into()), 21, 6, "mirador", Some("h"), Duration::from_secs(1));
        assert_eq!(t.pri, "<174>1 ");
        assert_eq!(t.ids, format!(" h mirador {} ", std::process::id()));
    }

    #[test]
    fn tcp_octet_counting() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap().to_string();
        let mut t = SyslogTransport::new(SyslogAddr::Tcp(addr), 16, 3, "ids", Some("sensor"), Duration::from_secs(5));
        t.connect().unwrap();
        let (mut c, _) = l.accept().unwrap();
        let mut p = Progress::default();
        t.send(&[r#"{"event_type":"alert"}"#.into(), "{}".into()], &mut p).unwrap();
        assert_eq!(p.done, 2);
        t.close();
        let mut got = String::new();
        c.read_to_string(&mut got).unwrap();
        // Two frames: LEN SP MSG, each MSG exactly LEN bytes.
        let mut rest = got.as_str();
        let mut msgs = Vec::new();
        while !rest.is_empty() {
            let (len, after) = rest.split_once(' ').unwrap();
            let len: usize = len.parse().unwrap();
            msgs.push(&after[..len]);
            rest = &after[len..];
        }
        assert_eq!(msgs.len(), 2);
        assert!(msgs[0].starts_with("<131>1 "), "{}", msgs[0]);
        assert!(msgs[0].ends_with(&format!(" sensor ids {} alert - {{\"event_type\":\"alert\"}}", std::process::id())));
        assert!(msgs[1].ends_with(" - - {}"));
    }
}
