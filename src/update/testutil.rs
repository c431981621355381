//! Test helpers for `rules update`: a tiny HTTP/1.1 server on 127.0.0.1 and
//! archive builders. Only std, flate2, tar and md-5, so the integration
//! tests can include this file too (`#[path]`).
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// A fixed response.
#[derive(Clone, Debug)]
pub struct Route {
    pub status: u16,
    pub body: Vec<u8>,
    /// When set: sent as ETag, and a matching If-None-Match gets 304.
    pub etag: Option<String>,
}

/// A request the server saw.
#[derive(Clone, Debug)]
pub struct Seen {
    pub path: String,
    /// Lowercase names.
    pub headers: HashMap<String, String>,
}

#[derive(Default)]
struct State {
    routes: HashMap<String, Route>,
    seen: Vec<Seen>,
}

/// Serves fixed responses on 127.0.0.1 (a free port) until dropped. One
/// connection at a time, `Connection: close`; unknown paths get 404.
pub struct Server {
    pub base: String,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    addr: std::net::SocketAddr,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    pub fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        let state: Arc<Mutex<State>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (st, sp) = (Arc::clone(&state), Arc::clone(&stop));
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if sp.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(c) = conn {
                    let _ = serve(c, &st);
                }
            }
        });
        Server { base: format!("http://{addr}"), state, stop, addr, thread: Some(thread) }
    }

    /// URL of `path` (starting with '/').
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn set(&self, path: &str, status: u16, body: &[u8]) {
        self.set_route(path, Route { status, body: body.to_vec(), etag: None });
    }

    pub fn set_route(&self, path: &str, route: Route) {
        self.state.lock().unwrap().routes.insert(path.to_string(), route);
    }

    pub fn remove(&self, path: &str) {
        self.state.lock().unwrap().routes.remove(path);
    }

    /// Requests seen for `path`.
    pub fn seen(&self, path: &str) -> Vec<Seen> {
        self.state.lock().unwrap().seen.iter().filter(|s| s.path == path).cloned().collect()
    }

    /// All requests seen.
    pub fn total_requests(&self) -> usize {
        self.state.lock().unwrap().seen.len()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(c: TcpStream, state: &Mutex<State>) -> std::io::Result<()> {
    c.set_read_timeout(Some(Duration::from_secs(5)))?;
    c.set_write_timeout(Some(Duration::from_secs(5)))?;
    let mut r = BufReader::new(c.try_clone()?);
    let mut line = String::new();
    if r.read_line(&mut line)? == 0 {
        return Ok(());
    }
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        if r.read_line(&mut h)? == 0 || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let route = {
        let mut st = state.lock().unwrap();
        st.seen.push(Seen { path: path.clone(), headers: headers.clone() });
        st.routes.get(&path).cloned()
    };
    let (status, body, etag) = match route {
        Some(rt) => {
            if rt.etag.is_some() && headers.get("if-none-match") == rt.etag.as_ref() {
                (304, Vec::new(), rt.etag)
            } else {
                (rt.status, rt.body, rt.etag)
            }
        }
        None => (404, b"not found".to_vec(), None),
    };
    let mut w = c;
    let mut head = format!(
        "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n",
        if status == 304 { 0 } else { body.len() }
    );
    if let Some(e) = etag {
        head.push_str(&format!("ETag: {e}\r\n"));
    }
    head.push_str("\r\n");
    w.write_all(head.as_bytes())?;
    if status != 304 {
        w.write_all(&body)?;
    }
    w.flush()?;
    // Drain whatever else the client sent, briefly, then close.
    let _ = w.set_read_timeout(Some(Duration::from_millis(10)));
    let _ = r.read(&mut [0u8; 64]);
    Ok(())
}

/// A .tar.gz of (path, contents) regular files.
pub fn targz(files: &[(&str, &[u8])]) -> Vec<u8> {
    let entries: Vec<(&[u8], &[u8])> = files.iter().map(|(p, d)| (p.as_bytes(), *d)).collect();
    targz_raw(&entries)
}

/// A .tar.gz whose entry names are written as given, unchecked (for
/// traversal tests: the tar crate refuses `..` through its safe API).
pub fn targz_raw(files: &[(&[u8], &[u8])]) -> Vec<u8> {
    let enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut b = tar::Builder::new(enc);
    for (name, data) in files {
        let mut h = tar::Header::new_ustar();
        {
            let raw = h.as_old_mut();
            raw.name = [0; 100];
            raw.name[..name.len()].copy_from_slice(name);
        }
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        h.set_mtime(1_700_000_000);
        h.set_cksum();
        b.append(&h, *data).expect("tar append");
    }
    b.into_inner().expect("tar finish").finish().expect("gzip finish")
}

/// Lowercase hex MD5, as ET's .md5 files hold it.
pub fn md5_hex(data: &[u8]) -> String {
    use md5::{Digest, Md5};
    Md5::digest(data).iter().map(|b| format!("{b:02x}")).collect()
}

/// A rule the engine loads.
pub fn rule(sid: u32, rev: u32, msg: &str) -> String {
    format!(
        "alert tcp $EXTERNAL_NET any -> $HOME_NET 80 (msg:\"{msg}\"; flow:established,to_server; content:\"evil{sid}\"; classtype:attempted-dos; sid:{sid}; rev:{rev};)"
    )
}

/// A rule the engine rejects (unknown keyword).
pub fn bad_rule(sid: u32) -> String {
    format!("alert tcp any any -> any any (msg:\"bad {sid}\"; no_such_keyword:1; sid:{sid}; rev:1;)")
}

/// A small classification.config.
pub const CLASSIFICATION: &str = "config classification: attempted-dos,Attempted Denial of Service,2\nconfig classification: bad-unknown,Potentially Bad Traffic,2\n";
