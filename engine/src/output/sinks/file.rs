//! Regular file and stdout transports: one record per line.
//!
//! The file is opened in append mode (created if missing), as Suricata's
//! eve-log does. Two ways to start a new file:
//!
//! - **Reopen on request** (logrotate): logrotate renames `eve.json` and
//!   sends SIGHUP. The CLI registers the sink's flag
//!   ([`super::QueuedSink::reopen_flag`]) with signal-hook; the writer sees
//!   it within one batch or 200 ms when idle, and reopens the path. Records
//!   written before that went to the renamed file, records after to the new
//!   one: none lost, none written twice.
//! - **Size-based rotation** (`rotate=SIZE`): before a record would take the
//!   file past SIZE, the writer renames `PATH.N-1` to `PATH.N` ... `PATH` to
//!   `PATH.1`, deleting the oldest beyond `keep`, and starts a new `PATH`. A
//!   single record larger than SIZE still goes into a file of its own.
//!
//! Records are written without a user-space buffer that could hide them:
//! each batch is framed into one buffer and written, so a record counts as
//! written once the kernel has it. After a write error (disk full), the
//! file is reopened with backoff and the first unwritten record is written
//! again whole; a record cut by the error leaves a partial line.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::queue::{write_framed, Progress, Transport};

fn line(r: &str, b: &mut Vec<u8>) {
    b.extend_from_slice(r.as_bytes());
    b.push(b'\n');
}

/// A regular file, appended to.
pub(crate) struct FileTransport {
    path: PathBuf,
    file: Option<File>,
    /// Bytes in the current file.
    size: u64,
    rotate: Option<u64>,
    keep: u32,
    reopen: Arc<AtomicBool>,
    buf: Vec<u8>,
}

impl FileTransport {
    /// Opens `path` for appending.
    ///
    /// # Errors
    /// When the file cannot be opened (missing directory, permissions).
    pub(crate) fn open(path: &Path, rotate: Option<u64>, keep: u32) -> io::Result<Self> {
        let mut t = FileTransport {
            path: path.to_path_buf(),
            file: None,
            size: 0,
            rotate,
            keep: keep.max(1),
            reopen: Arc::new(AtomicBool::new(false)),
            buf: Vec::new(),
        };
        t.open_file()?;
        Ok(t)
    }

    /// The flag that asks the writer to reopen the path.
    pub(crate) fn reopen_flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.reopen)
    }

    fn open_file(&mut self) -> io::Result<()> {
        self.file = None;
        // A request made before this open is served by it.
        self.reopen.store(false, Ordering::Relaxed);
        let f = OpenOptions::new().create(true).append(true).open(&self.path)?;
        self.size = f.metadata()?.len();
        self.file = Some(f);
        Ok(())
    }

    fn numbered(&self, n: u32) -> PathBuf {
        let mut p = self.path.clone().into_os_string();
        p.push(format!(".{n}"));
        PathBuf::from(p)
    }

    /// `PATH.keep` is deleted, `PATH.n` becomes `PATH.n+1`, `PATH` becomes
    /// `PATH.1`, and a new `PATH` is opened.
    fn rotate_now(&mut self) -> io::Result<()> {
        self.file = None;
        let ignore_missing = |r: io::Result<()>| match r {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        };
        ignore_missing(std::fs::remove_file(self.numbered(self.keep)))?;
        for n in (1..self.keep).rev() {
            ignore_missing(std::fs::rename(self.numbered(n), self.numbered(n + 1)))?;
        }
        ignore_missing(std::fs::rename(&self.path, self.numbered(1)))?;
        self.open_file()
    }
}

impl Transport for FileTransport {
    fn connect(&mut self) -> io::Result<()> {
        self.open_file()
    }

    fn send(&mut self, batch: &[String], progress: &mut Progress) -> io::Result<()> {
        let mut start = 0;
        while start < batch.len() {
            // Records that fit before the size limit (at least one).
            let mut end = start;
            let mut add = 0u64;
            while end < batch.len() {
                let n = batch[end].len() as u64 + 1;
                let full = self.rotate.is_some_and(|limit| self.size + add + n > limit);
                if full && self.size + add > 0 {
                    break;
                }
                add += n;
                end += 1;
            }
            if end > start {
                let f = self.file.as_mut().ok_or_else(|| io::Error::from(io::ErrorKind::NotConnected))?;
                write_framed(f, &batch[start..end], progress, &mut self.buf, line)?;
                self.size += add;
                start = end;
            }
            if start < batch.len() {
                self.rotate_now()?;
            }
        }
        Ok(())
    }

    fn poll(&mut self) -> io::Result<()> {
        if self.reopen.load(Ordering::Relaxed) {
            self.open_file()?;
        }
        Ok(())
    }

    fn close(&mut self) {
        self.file = None;
    }
}

/// Standard output.
pub(crate) struct StdoutTransport {
    buf: Vec<u8>,
}

impl StdoutTransport {
    pub(crate) fn new() -> Self {
        StdoutTransport { buf: Vec::new() }
    }
}

impl Transport for StdoutTransport {
    fn connect(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn send(&mut self, batch: &[String], progress: &mut Progress) -> io::Result<()> {
        write_framed(&mut io::stdout().lock(), batch, progress, &mut self.buf, line)
    }

    fn close(&mut self) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn temp_dir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("mirador-sinks-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn send_all(t: &mut FileTransport, recs: &[String]) {
        let mut p = Progress::default();
        t.send(recs, &mut p).unwrap();
        assert_eq!(p.done, recs.len());
    }

    fn lines(p: &Path) -> Vec<String> {
        std::fs::read_to_string(p).map(|s| s.lines().map(str::to_string).collect()).unwrap_or_default()
    }

    #[test]
    fn appends_and_reopens() {
        let d = temp_dir("file-reopen");
        let p = d.join("eve.json");
        std::fs::write(&p, "old\n").unwrap();
        let mut t = FileTransport::open(&p, None, 5).unwrap();
        send_all(&mut t, &["a".into(), "b".into()]);
        std::fs::rename(&p, d.join("eve.json.1")).unwrap();
        send_all(&mut t, &["c".into()]);
        t.reopen_flag().store(true, Ordering::Relaxed);
        t.poll().unwrap();
        assert!(!t.reopen_flag().load(Ordering::Relaxed));
        send_all(&mut t, &["d".into()]);
        assert_eq!(lines(&d.join("eve.json.1")), ["old", "a", "b", "c"]);
        assert_eq!(lines(&p), ["d"]);
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn rotates_by_size_and_keeps_n() {
        let d = temp_dir("file-rotate");
        let p = d.join("eve.json");
        // 8-byte lines, 20-byte limit: two lines per file.
        let mut t = FileTransport::open(&p, Some(20), 2).unwrap();
        let recs: Vec<String> = (0..7).map(|i| format!("record{i}")).collect();
        send_all(&mut t, &recs);
        assert_eq!(lines(&p), ["record6"]);
        assert_eq!(lines(&d.join("eve.json.1")), ["record4", "record5"]);
        assert_eq!(lines(&d.join("eve.json.2")), ["record2", "record3"]);
        assert!(!d.join("eve.json.3").exists(), "keep=2");
        // A record larger than the limit gets a file of its own.
        let big = "x".repeat(50);
        send_all(&mut t, std::slice::from_ref(&big));
        assert_eq!(lines(&p), [big]);
        assert_eq!(lines(&d.join("eve.json.1")), ["record6"]);
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn open_fails_on_missing_directory() {
        let e = FileTransport::open(Path::new("/nonexistent-mirador-dir/eve.json"), None, 1).err().unwrap();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
    }
}
