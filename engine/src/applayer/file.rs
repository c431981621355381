//! Files carried by app-layer protocols (HTTP bodies today), as the file
//! keywords (`filename`, `fileext`, `filemagic`, `filemd5`, `filesize`,
//! `filestore`...) and EVE `files` see them.
//!
//! A file is fed the bytes of its content as they arrive; it keeps its
//! size, the hashes the configuration asks for, and only its first
//! [`MAGIC_HEAD`] bytes (for the type description), so a download costs
//! the same memory whatever its size.

use md5::{Digest, Md5};
use serde_json::{json, Map, Value};
use sha1::Sha1;
use sha2::Sha256;

use super::magic;

/// Bytes kept from the start of a file for its type description: enough
/// for every header [`magic::classify`] reads (a PE header is usually
/// within the first 512 bytes).
pub const MAGIC_HEAD: usize = 4096;

/// Suricata describes a file's type once it has this many bytes (or is
/// closed), so that a description does not depend on a first packet that
/// happens to be tiny.
pub const MAGIC_MIN: usize = 512;

/// What the loaded rules and the configuration need computed for each file.
/// Hashing costs CPU on every body byte, so each is off unless asked for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FileConfig {
    /// MD5 (`filemd5`).
    pub md5: bool,
    /// SHA-1 (`filesha1`).
    pub sha1: bool,
    /// SHA-256 (`filesha256`, or the file-store output, which names stored
    /// files by it).
    pub sha256: bool,
    /// The type description (`filemagic`).
    pub magic: bool,
}

/// Where a file is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileState {
    /// Data may still come.
    Open,
    /// Complete: its size is final and its hashes are known.
    Closed,
    /// Ended early (connection closed, data lost, or more than the parser
    /// could decode): size and hashes cover what was seen only, so hash
    /// keywords never match it.
    Truncated,
}

struct Hashers {
    md5: Option<Md5>,
    sha1: Option<Sha1>,
    sha256: Option<Sha256>,
}

/// One file.
pub struct File {
    /// Its name: for HTTP the `Content-Disposition` file name, else the URI
    /// path.
    pub name: Vec<u8>,
    /// Bytes seen.
    pub size: u64,
    /// State.
    pub state: FileState,
    /// Some of its data was lost.
    pub gaps: bool,
    head: Vec<u8>,
    magic: Option<String>,
    want_magic: bool,
    hashers: Option<Box<Hashers>>,
    /// MD5 of the complete file (closed files, when configured).
    pub md5: Option<[u8; 16]>,
    /// SHA-1 of the complete file.
    pub sha1: Option<[u8; 20]>,
    /// SHA-256 of the complete file.
    pub sha256: Option<[u8; 32]>,
    /// A `filestore` rule asked for it (and the file-store output is on).
    pub storing: bool,
    /// The sids of the `filestore` rules that matched it, in order.
    pub store_sids: Vec<u32>,
}

impl std::fmt::Debug for File {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("File")
            .field("name", &String::from_utf8_lossy(&self.name))
            .field("size", &self.size)
            .field("state", &self.state)
            .finish()
    }
}

impl File {
    /// An open, empty file.
    pub fn new(name: Vec<u8>, cfg: FileConfig) -> File {
        let hashers = (cfg.md5 || cfg.sha1 || cfg.sha256).then(|| {
            Box::new(Hashers {
                md5: cfg.md5.then(Md5::new),
                sha1: cfg.sha1.then(Sha1::new),
                sha256: cfg.sha256.then(Sha256::new),
            })
        });
        File {
            name,
            size: 0,
            state: FileState::Open,
            gaps: false,
            head: Vec::new(),
            magic: None,
            want_magic: cfg.magic,
            hashers,
            md5: None,
            sha1: None,
            sha256: None,
            storing: false,
            store_sids: Vec::new(),
        }
    }

    /// Appends content. Ignored once the file is no longer open.
    pub fn feed(&mut self, data: &[u8]) {
        if self.state != FileState::Open || data.is_empty() {
            return;
        }
        self.size += data.len() as u64;
        let room = MAGIC_HEAD.saturating_sub(self.head.len());
        self.head.extend_from_slice(&data[..data.len().min(room)]);
        if let Some(h) = self.hashers.as_deref_mut() {
            if let Some(m) = h.md5.as_mut() {
                m.update(data);
            }
            if let Some(s) = h.sha1.as_mut() {
                s.update(data);
            }
            if let Some(s) = h.sha256.as_mut() {
                s.update(data);
            }
        }
        if self.size >= MAGIC_MIN as u64 {
            self.describe();
        }
    }

    fn describe(&mut self) {
        if self.want_magic && self.magic.is_none() {
            self.magic = magic::classify(&self.head);
        }
    }

    /// Ends the file: [`FileState::Closed`] with its hashes, or
    /// [`FileState::Truncated`] when `complete` is false. Only the first
    /// call counts.
    pub fn close(&mut self, complete: bool) {
        if self.state != FileState::Open {
            return;
        }
        self.describe();
        let hashers = self.hashers.take();
        if !complete {
            self.state = FileState::Truncated;
            return;
        }
        self.state = FileState::Closed;
        if let Some(h) = hashers {
            self.md5 = h.md5.map(|m| m.finalize().into());
            self.sha1 = h.sha1.map(|s| s.finalize().into());
            self.sha256 = h.sha256.map(|s| s.finalize().into());
        }
    }

    /// The type description, once known (see [`MAGIC_MIN`]; only when
    /// [`FileConfig::magic`] asked for it).
    pub fn magic(&self) -> Option<&str> {
        self.magic.as_deref()
    }

    /// The EVE object of the file (alert `files[]`, `fileinfo`), with
    /// Suricata 7's fields in its order.
    pub fn eve(&self, tx_id: u64) -> Value {
        let mut m = Map::new();
        m.insert("filename".into(), Value::String(String::from_utf8_lossy(&self.name).into_owned()));
        if !self.store_sids.is_empty() {
            m.insert("sid".into(), json!(self.store_sids));
        }
        if let Some(magic) = &self.magic {
            m.insert("magic".into(), Value::String(magic.clone()));
        }
        m.insert("gaps".into(), Value::Bool(self.gaps));
        let state = match self.state {
            FileState::Open => "UNKNOWN",
            FileState::Closed => "CLOSED",
            FileState::Truncated => "TRUNCATED",
        };
        m.insert("state".into(), Value::String(state.into()));
        if let Some(h) = &self.md5 {
            m.insert("md5".into(), Value::String(hex(h)));
        }
        if let Some(h) = &self.sha1 {
            m.insert("sha1".into(), Value::String(hex(h)));
        }
        if let Some(h) = &self.sha256 {
            m.insert("sha256".into(), Value::String(hex(h)));
        }
        m.insert("stored".into(), Value::Bool(false));
        if self.storing {
            m.insert("storing".into(), Value::Bool(true));
        }
        m.insert("size".into(), json!(self.size));
        m.insert("tx_id".into(), json!(tx_id));
        Value::Object(m)
    }
}

/// Lowercase hex.
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: FileConfig = FileConfig { md5: true, sha1: true, sha256: true, magic: true };

    #[test]
    fn hashes_cover_every_chunk_and_only_closed_files() {
        let mut f = File::new(b"/test".to_vec(), ALL);
        f.feed(b"hello ");
        f.feed(b"world\n");
        assert_eq!(f.md5, None);
        f.close(true);
        assert_eq!(f.size, 12);
        // md5sum / sha1sum / sha256sum of "hello world\n".
        assert_eq!(hex(&f.md5.unwrap()), "6f5902ac237024bdd0c176cb93063dc4");
        assert_eq!(hex(&f.sha1.unwrap()), "22596363b3de40b06f981fb85d82312e8c0ed511");
        assert_eq!(hex(&f.sha256.unwrap()), "a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447");
        // Data after the end does not count.
        f.feed(b"more");
        assert_eq!(f.size, 12);

        let mut t = File::new(b"/t".to_vec(), ALL);
        t.feed(b"abc");
        t.close(false);
        assert_eq!((t.state, t.md5), (FileState::Truncated, None));
    }

    #[test]
    fn magic_waits_for_enough_data_or_the_end() {
        let mut f = File::new(b"/r.pdf".to_vec(), ALL);
        f.feed(b"%PDF-1.5\n");
        assert_eq!(f.magic(), None);
        f.feed(&[b' '; MAGIC_MIN]);
        assert_eq!(f.magic(), Some("PDF document, version 1.5"));
        let mut small = File::new(b"/a".to_vec(), ALL);
        small.feed(b"%PDF-1.4\n");
        small.close(true);
        assert_eq!(small.magic(), Some("PDF document, version 1.4"));
        let mut off = File::new(b"/a".to_vec(), FileConfig::default());
        off.feed(b"%PDF-1.4\n");
        off.close(true);
        assert_eq!(off.magic(), None);
    }

    #[test]
    fn eve_fields_in_suricata_order() {
        let mut f = File::new(b"/x.png".to_vec(), FileConfig { md5: true, ..FileConfig::default() });
        f.feed(b"abc");
        let open = f.eve(3).to_string();
        assert_eq!(open, r#"{"filename":"/x.png","gaps":false,"state":"UNKNOWN","stored":false,"size":3,"tx_id":3}"#);
        f.close(true);
        f.storing = true;
        f.store_sids.push(7);
        assert_eq!(
            f.eve(3).to_string(),
            r#"{"filename":"/x.png","sid":[7],"gaps":false,"state":"CLOSED","md5":"900150983cd24fb0d6963f7d28e17f72","stored":false,"storing":true,"size":3,"tx_id":3}"#
        );
    }
}
