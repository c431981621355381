//! Redis transport, as Suricata's redis eve-log output: each record is
//! pushed to a list (`RPUSH`, or `LPUSH`) or published on a channel
//! (`PUBLISH`). mirador speaks RESP itself over a `TcpStream`.
//!
//! Commands are pipelined, [`PIPELINE`] at a time, and every reply is read:
//! a record counts as written when Redis has answered it. An error reply
//! (`-WRONGTYPE` ...) drops that record alone, counted; an error that says
//! "try again" (`-LOADING`, `-BUSY`, `-TRYAGAIN`, `-MASTERDOWN`, `-NOAUTH`,
//! `-READONLY`, `-OOM`) or a broken connection makes the writer reconnect and
//! send again from the first record without a reply. A record Redis
//! executed whose reply was lost is thus sent twice (at least once).
//!
//! On connect, `AUTH [user] password` and `SELECT db` are sent when the spec
//! asks for them.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use super::queue::{Progress, Transport};
use super::spec::RedisMode;

/// Commands sent before reading their replies: enough to amortise the round
/// trip, few enough that the replies never fill a socket buffer.
const PIPELINE: usize = 256;
/// Longest reply line accepted (replies to our commands are a few bytes).
const MAX_LINE: usize = 64 << 10;
/// Deepest nesting of reply arrays accepted.
const MAX_DEPTH: usize = 4;
/// Error reply prefixes that mean "the server cannot take it now".
const RETRY_ERRORS: [&str; 7] = ["LOADING", "BUSY", "TRYAGAIN", "MASTERDOWN", "NOAUTH", "READONLY", "OOM"];

/// One RESP reply, as much of it as a producer needs.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Reply {
    /// `+OK`
    Simple(String),
    /// `-ERR ...`
    Error(String),
    /// `:n`
    Int(i64),
    /// `$n` bulk string (None: null).
    Bulk(Option<Vec<u8>>),
    /// `*n` array (None: null).
    Array(Option<Vec<Reply>>),
}

fn bad(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

fn read_line<R: BufRead>(r: &mut R, line: &mut Vec<u8>) -> io::Result<()> {
    line.clear();
    io::Read::take(&mut *r, MAX_LINE as u64).read_until(b'\n', line)?;
    if line.is_empty() {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    if !line.ends_with(b"\r\n") {
        return Err(bad("redis: reply line too long or not CRLF-terminated"));
    }
    line.truncate(line.len() - 2);
    Ok(())
}

/// Reads one reply.
pub(crate) fn read_reply<R: BufRead>(r: &mut R) -> io::Result<Reply> {
    read_nested(r, 0)
}

fn read_nested<R: BufRead>(r: &mut R, depth: usize) -> io::Result<Reply> {
    let mut line = Vec::new();
    read_line(r, &mut line)?;
    let (kind, rest) = line.split_first().ok_or_else(|| bad("redis: empty reply line"))?;
    let text = String::from_utf8_lossy(rest).into_owned();
    let int = || text.parse::<i64>().map_err(|_| bad(format!("redis: bad number '{text}'")));
    Ok(match kind {
        b'+' => Reply::Simple(text),
        b'-' => Reply::Error(text),
        b':' => Reply::Int(int()?),
        b'$' => {
            let n = int()?;
            if n < 0 {
                return Ok(Reply::Bulk(None));
            }
            let n =
                usize::try_from(n).ok().filter(|&n| n <= MAX_LINE).ok_or_else(|| bad("redis: bulk reply too long"))?;
            let mut b = vec![0; n + 2];
            r.read_exact(&mut b)?;
            if !b.ends_with(b"\r\n") {
                return Err(bad("redis: bulk reply not CRLF-terminated"));
            }
            b.truncate(n);
            Reply::Bulk(Some(b))
        }
        b'*' => {
            let n = int()?;
            if n < 0 {
                return Ok(Reply::Array(None));
            }
            if depth >= MAX_DEPTH || n > 1024 {
                return Err(bad("redis: reply array too deep or too long"));
            }
            let mut v = Vec::new();
            for _ in 0..n {
                v.push(read_nested(r, depth + 1)?);
            }
            Reply::Array(Some(v))
        }
        _ => return Err(bad(format!("redis: unexpected reply type {:?}", char::from(*kind)))),
    })
}

/// Appends one command as a RESP array of bulk strings.
pub(crate) fn encode(args: &[&[u8]], out: &mut Vec<u8>) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

struct Conn {
    w: TcpStream,
    r: BufReader<TcpStream>,
}

impl Conn {
    fn call(&mut self, args: &[&[u8]]) -> io::Result<Reply> {
        let mut b = Vec::new();
        encode(args, &mut b);
        self.w.write_all(&b)?;
        read_reply(&mut self.r)
    }
}

/// A Redis client that pushes or publishes records.
pub(crate) struct RedisTransport {
    host: String,
    port: u16,
    mode: RedisMode,
    key: String,
    user: Option<String>,
    password: Option<String>,
    db: Option<u32>,
    timeout: Duration,
    conn: Option<Conn>,
    buf: Vec<u8>,
}

impl RedisTransport {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        host: &str,
        port: u16,
        mode: RedisMode,
        key: &str,
        user: Option<&str>,
        password: Option<&str>,
        db: Option<u32>,
        timeout: Duration,
    ) -> Self {
        RedisTransport {
            host: host.to_string(),
            port,
            mode,
            key: key.to_string(),
            user: user.map(str::to_string),
            password: password.map(str::to_string),
            db,
            timeout,
            conn: None,
            buf: Vec::new(),
        }
    }

    fn open(&self) -> io::Result<Conn> {
        let mut last = io::Error::new(io::ErrorKind::NotFound, format!("{}: no address", self.host));
        for a in (self.host.as_str(), self.port).to_socket_addrs()? {
            match TcpStream::connect_timeout(&a, self.timeout) {
                Ok(s) => {
                    s.set_nodelay(true)?;
                    s.set_write_timeout(Some(self.timeout))?;
                    s.set_read_timeout(Some(self.timeout))?;
                    return Ok(Conn { r: BufReader::new(s.try_clone()?), w: s });
                }
                Err(e) => last = e,
            }
        }
        Err(last)
    }
}

fn expect_ok(what: &str, r: Reply) -> io::Result<()> {
    match r {
        Reply::Simple(s) if s == "OK" => Ok(()),
        Reply::Error(e) => Err(io::Error::new(io::ErrorKind::PermissionDenied, format!("redis {what}: {e}"))),
        other => Err(bad(format!("redis {what}: unexpected reply {other:?}"))),
    }
}

impl Transport for RedisTransport {
    fn connect(&mut self) -> io::Result<()> {
        let mut c = self.open()?;
        if let Some(pw) = &self.password {
            let r = match &self.user {
                Some(u) => c.call(&[b"AUTH", u.as_bytes(), pw.as_bytes()])?,
                None => c.call(&[b"AUTH", pw.as_bytes()])?,
            };
            expect_ok("AUTH", r)?;
        }
        if let Some(db) = self.db {
            expect_ok("SELECT", c.call(&[b"SELECT", db.to_string().as_bytes()])?)?;
        }
        self.conn = Some(c);
        Ok(())
    }

    fn send(&mut self, batch: &[String], progress: &mut Progress) -> io::Result<()> {
        let c = self.conn.as_mut().ok_or_else(|| io::Error::from(io::ErrorKind::NotConnected))?;
        let cmd = self.mode.command().as_bytes();
        for chunk in batch.chunks(PIPELINE) {
            self.buf.clear();
            for r in chunk {
                encode(&[cmd, self.key.as_bytes(), r.as_bytes()], &mut self.buf);
            }
            c.w.write_all(&self.buf)?;
            for _ in chunk {
                match read_reply(&mut c.r)? {
                    Reply::Error(e) if RETRY_ERRORS.iter().any(|p| e.starts_with(p)) => {
                        return Err(io::Error::other(format!("redis: {e}")));
                    }
                    Reply::Error(e) => progress.reject(format!("redis {}: {e}", self.mode.command())),
                    _ => progress.done += 1,
                }
            }
        }
        Ok(())
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
    fn encodes_commands() {
        let mut b = Vec::new();
        encode(&[b"RPUSH", b"suricata", b"{\"a\":1}"], &mut b);
        assert_eq!(b, b"*3\r\n$5\r\nRPUSH\r\n$8\r\nsuricata\r\n$7\r\n{\"a\":1}\r\n");
    }

    #[test]
    fn parses_replies() {
        let mut r: &[u8] = b"+OK\r\n-ERR no\r\n:42\r\n$3\r\na\r\n\r\n$-1\r\n*2\r\n$7\r\nmessage\r\n:1\r\n*-1\r\n";
        assert_eq!(read_reply(&mut r).unwrap(), Reply::Simple("OK".into()));
        assert_eq!(read_reply(&mut r).unwrap(), Reply::Error("ERR no".into()));
        assert_eq!(read_reply(&mut r).unwrap(), Reply::Int(42));
        assert_eq!(read_reply(&mut r).unwrap(), Reply::Bulk(Some(b"a\r\n".to_vec())));
        assert_eq!(read_reply(&mut r).unwrap(), Reply::Bulk(None));
        assert_eq!(
            read_reply(&mut r).unwrap(),
            Reply::Array(Some(vec![Reply::Bulk(Some(b"message".to_vec())), Reply::Int(1)]))
        );
        assert_eq!(read_reply(&mut r).unwrap(), Reply::Array(None));
        assert_eq!(read_reply(&mut r).unwrap_err().kind(), io::ErrorKind::UnexpectedEof);
        let mut r: &[u8] = b"?what\r\n";
        assert_eq!(read_reply(&mut r).unwrap_err().kind(), io::ErrorKind::InvalidData);
        let mut r: &[u8] = b":1\n";
        assert_eq!(read_reply(&mut r).unwrap_err().kind(), io::ErrorKind::InvalidData);
    }

    /// A one-connection fake server: answers AUTH, SELECT, and the pushes
    /// with the given replies in turn.
    fn fake_server(replies: Vec<&'static [u8]>) -> (u16, std::thread::JoinHandle<Vec<u8>>) {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let h = std::thread::spawn(move || {
            let (mut c, _) = l.accept().unwrap();
            let mut all = Vec::new();
            let mut buf = [0u8; 4096];
            let mut replies = replies.into_iter();
            loop {
                let n = c.read(&mut buf).unwrap_or(0);
                if n == 0 {
                    break;
                }
                all.extend_from_slice(&buf[..n]);
                // One reply per command start seen in this read.
                for _ in 0..buf[..n].iter().filter(|&&b| b == b'*').count() {
                    if let Some(r) = replies.next() {
                        c.write_all(r).unwrap();
                    }
                }
            }
            all
        });
        (port, h)
    }

    #[test]
    fn auth_select_and_error_replies() {
        let (port, h) = fake_server(vec![b"+OK\r\n", b"+OK\r\n", b":1\r\n", b"-WRONGTYPE not a list\r\n", b":2\r\n"]);
        let mut t = RedisTransport::new(
            "127.0.0.1",
            port,
            RedisMode::Rpush,
            "k",
            Some("u"),
            Some("pw"),
            Some(3),
            Duration::from_secs(5),
        );
        t.connect().unwrap();
        let mut p = Progress::default();
        // One command per write keeps the fake server's counting simple.
        for r in ["a", "b", "c"] {
            t.send(&[r.to_string()], &mut p).unwrap();
        }
        assert_eq!((p.done, p.rejected), (3, 1));
        assert!(p.reject_reason.unwrap().contains("WRONGTYPE"));
        t.close();
        let sent = String::from_utf8(h.join().unwrap()).unwrap();
        assert!(
            sent.starts_with("*3\r\n$4\r\nAUTH\r\n$1\r\nu\r\n$2\r\npw\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n"),
            "{sent}"
        );
        assert!(sent.ends_with("*3\r\n$5\r\nRPUSH\r\n$1\r\nk\r\n$1\r\nc\r\n"));
    }

    #[test]
    fn retryable_errors_and_failed_auth() {
        let (port, _h) = fake_server(vec![b"-LOADING Redis is loading the dataset in memory\r\n"]);
        let mut t =
            RedisTransport::new("127.0.0.1", port, RedisMode::Publish, "k", None, None, None, Duration::from_secs(5));
        t.connect().unwrap();
        let mut p = Progress::default();
        let e = t.send(&["a".to_string()], &mut p).unwrap_err();
        assert!(e.to_string().contains("LOADING"));
        assert_eq!(p.done, 0, "retried, not dropped");

        let (port, _h) = fake_server(vec![b"-WRONGPASS invalid username-password pair\r\n"]);
        let mut t = RedisTransport::new(
            "127.0.0.1",
            port,
            RedisMode::Rpush,
            "k",
            None,
            Some("x"),
            None,
            Duration::from_secs(5),
        );
        assert_eq!(t.connect().unwrap_err().kind(), io::ErrorKind::PermissionDenied);
    }
}
