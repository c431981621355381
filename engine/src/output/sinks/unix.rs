//! Unix socket transports, as Suricata's `unix_stream` and `unix_dgram`
//! eve-log types: each record followed by a newline, on a stream socket or
//! one datagram per record.
//!
//! Writes time out after the spec's `timeout`: a listener that accepts but
//! does not read for that long is treated as failed, the socket is closed
//! and connected again with backoff. Meanwhile the queue absorbs records and
//! then drops them, counted. A datagram too large for the socket is dropped
//! on its own and counted; the socket stays up.

use std::io;
use std::os::unix::net::{UnixDatagram, UnixStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::queue::{is_msg_too_big, write_framed, Progress, Transport};

/// A unix stream socket, newline-delimited records.
pub(crate) struct UnixStreamTransport {
    path: PathBuf,
    timeout: Duration,
    sock: Option<UnixStream>,
    buf: Vec<u8>,
}

impl UnixStreamTransport {
    pub(crate) fn new(path: &Path, timeout: Duration) -> Self {
        UnixStreamTransport { path: path.to_path_buf(), timeout, sock: None, buf: Vec::new() }
    }
}

impl Transport for UnixStreamTransport {
    fn connect(&mut self) -> io::Result<()> {
        let s = UnixStream::connect(&self.path)?;
        s.set_write_timeout(Some(self.timeout))?;
        self.sock = Some(s);
        Ok(())
    }

    fn send(&mut self, batch: &[String], progress: &mut Progress) -> io::Result<()> {
        let s = self.sock.as_mut().ok_or_else(|| io::Error::from(io::ErrorKind::NotConnected))?;
        write_framed(s, batch, progress, &mut self.buf, |r, b| {
            b.extend_from_slice(r.as_bytes());
            b.push(b'\n');
        })
    }

    fn close(&mut self) {
        self.sock = None;
    }
}

/// A unix datagram socket, one record (with its newline) per datagram.
pub(crate) struct UnixDgramTransport {
    path: PathBuf,
    timeout: Duration,
    sock: Option<UnixDatagram>,
    buf: Vec<u8>,
}

impl UnixDgramTransport {
    pub(crate) fn new(path: &Path, timeout: Duration) -> Self {
        UnixDgramTransport { path: path.to_path_buf(), timeout, sock: None, buf: Vec::new() }
    }
}

/// Sends each record as one datagram framed by `frame`; a record too large
/// is refused alone. Shared with syslog over a unix datagram socket or UDP.
pub(crate) fn send_datagrams(
    mut send: impl FnMut(&[u8]) -> io::Result<usize>,
    batch: &[String],
    progress: &mut Progress,
    buf: &mut Vec<u8>,
    mut frame: impl FnMut(&str, &mut Vec<u8>),
) -> io::Result<()> {
    for r in batch {
        buf.clear();
        frame(r, buf);
        loop {
            match send(buf) {
                Ok(_) => {
                    progress.done += 1;
                    break;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if is_msg_too_big(&e) => {
                    progress.reject(format!("record of {} bytes refused: {e}", buf.len()));
                    break;
                }
                Err(e) => return Err(e),
            }
        }
    }
    Ok(())
}

impl Transport for UnixDgramTransport {
    fn connect(&mut self) -> io::Result<()> {
        let s = UnixDatagram::unbound()?;
        s.connect(&self.path)?;
        s.set_write_timeout(Some(self.timeout))?;
        self.sock = Some(s);
        Ok(())
    }

    fn send(&mut self, batch: &[String], progress: &mut Progress) -> io::Result<()> {
        let s = self.sock.as_ref().ok_or_else(|| io::Error::from(io::ErrorKind::NotConnected))?;
        send_datagrams(
            |b| s.send(b),
            batch,
            progress,
            &mut self.buf,
            |r, b| {
                b.extend_from_slice(r.as_bytes());
                b.push(b'\n');
            },
        )
    }

    fn close(&mut self) {
        self.sock = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader};
    use std::os::unix::net::UnixListener;

    fn sock_path(tag: &str) -> PathBuf {
        let p = std::env::temp_dir().join(format!("mirador-{tag}-{}.sock", std::process::id()));
        let _ = std::fs::remove_file(&p);
        p
    }

    #[test]
    fn stream_lines() {
        let p = sock_path("ut-stream");
        let l = UnixListener::bind(&p).unwrap();
        let mut t = UnixStreamTransport::new(&p, Duration::from_secs(5));
        t.connect().unwrap();
        let (c, _) = l.accept().unwrap();
        let mut prog = Progress::default();
        t.send(&["{\"a\":1}".into(), "{\"b\":2}".into()], &mut prog).unwrap();
        assert_eq!(prog.done, 2);
        t.close();
        let got: Vec<String> = BufReader::new(c).lines().map(Result::unwrap).collect();
        assert_eq!(got, ["{\"a\":1}", "{\"b\":2}"]);
        let _ = std::fs::remove_file(&p);
    }

    #[test]
    fn dgram_refuses_oversized_alone() {
        let p = sock_path("ut-dgram");
        let l = UnixDatagram::bind(&p).unwrap();
        let mut t = UnixDgramTransport::new(&p, Duration::from_secs(5));
        t.connect().unwrap();
        let huge = "x".repeat(8 << 20);
        let mut prog = Progress::default();
        t.send(&["{\"a\":1}".into(), huge, "{\"b\":2}".into()], &mut prog).unwrap();
        assert_eq!((prog.done, prog.rejected), (3, 1));
        let mut buf = [0u8; 64];
        let n = l.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"{\"a\":1}\n");
        let n = l.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"{\"b\":2}\n");
        let _ = std::fs::remove_file(&p);
    }

    #[test]
    fn connect_fails_without_listener() {
        let p = sock_path("ut-none");
        assert!(UnixStreamTransport::new(&p, Duration::from_secs(1)).connect().is_err());
        assert!(UnixDgramTransport::new(&p, Duration::from_secs(1)).connect().is_err());
    }
}
