//! SMB1 and SMB2/3 over the NetBIOS session service (TCP 445 and 139):
//! session setup users, tree connects, file names and file data, for the
//! `smb.*` sticky buffers, `file_data`, `smb.file_overlap` and the `smb`
//! EVE object.
//!
//! Transactions follow Suricata 7: every request is one (matched with its
//! response by SMB1 multiplex/process id or SMB2 message id, with the
//! command), and the data of a file in one direction is one more, created
//! by the file's first write (to the server) or read (to the client) and
//! fed by later ones, so that `file_data` sees the whole file and a
//! rule alerts once per file. Writes to and reads from named pipes are
//! kept on the request's transaction instead ([`SmbTx::pipe_data`]), for
//! DCERPC over SMB.
//!
//! ```
//! use mirador_engine::applayer::smb::SmbState;
//!
//! let mut smb = SmbState::default();
//! // An NBSS keep-alive and nothing else: no transaction.
//! smb.parse(true, &[0x85, 0, 0, 0]);
//! assert_eq!(smb.txs().count(), 0);
//! ```

mod files;
pub mod ntlmssp;
mod smb1;
mod smb2;

use std::collections::{HashMap, VecDeque};

use crate::rules::ast::Buffer;
pub use files::{Added, FileData};
pub use ntlmssp::NtlmAuth;

/// Most live transactions per flow; the oldest are dropped beyond it.
pub const MAX_TXS: usize = 512;

/// Largest NBSS message buffered whole (SMB2 allows 8 MiB writes and a
/// little header around them); larger ones are skipped.
pub const MAX_NBSS_MESSAGE: usize = (8 << 20) + 4096;

/// Most entries in the per-flow maps (trees, files, pending reads): a
/// client opening files forever must not grow them without bound.
const MAX_MAP: usize = 4096;

/// A tree by (session or user id, tree id).
type TreeKey = (u64, u32);

/// NTSTATUS codes Suricata names in EVE (the common ones).
const STATUS_NAMES: &[(u32, &str)] = &[
    (0x0000_0000, "STATUS_SUCCESS"),
    (0x0000_0103, "STATUS_PENDING"),
    (0x0000_010b, "STATUS_NOTIFY_CLEANUP"),
    (0x0000_010c, "STATUS_NOTIFY_ENUM_DIR"),
    (0x8000_0005, "STATUS_BUFFER_OVERFLOW"),
    (0x8000_0006, "STATUS_NO_MORE_FILES"),
    (0xc000_0003, "STATUS_INVALID_INFO_CLASS"),
    (0xc000_000d, "STATUS_INVALID_PARAMETER"),
    (0xc000_000f, "STATUS_NO_SUCH_FILE"),
    (0xc000_0010, "STATUS_INVALID_DEVICE_REQUEST"),
    (0xc000_0011, "STATUS_END_OF_FILE"),
    (0xc000_0016, "STATUS_MORE_PROCESSING_REQUIRED"),
    (0xc000_0022, "STATUS_ACCESS_DENIED"),
    (0xc000_0023, "STATUS_BUFFER_TOO_SMALL"),
    (0xc000_0034, "STATUS_OBJECT_NAME_NOT_FOUND"),
    (0xc000_0035, "STATUS_OBJECT_NAME_COLLISION"),
    (0xc000_003a, "STATUS_OBJECT_PATH_NOT_FOUND"),
    (0xc000_0043, "STATUS_SHARING_VIOLATION"),
    (0xc000_006d, "STATUS_LOGON_FAILURE"),
    (0xc000_00bb, "STATUS_NOT_SUPPORTED"),
    (0xc000_00c9, "STATUS_NETWORK_NAME_DELETED"),
    (0xc000_00cc, "STATUS_BAD_NETWORK_NAME"),
    (0xc000_0120, "STATUS_CANCELLED"),
    (0xc000_0128, "STATUS_FILE_CLOSED"),
    (0xc000_019c, "STATUS_FS_DRIVER_REQUIRED"),
    (0xc000_0225, "STATUS_NOT_FOUND"),
];

/// The name of a status code, when it is one of [`STATUS_NAMES`].
fn status_name(code: u32) -> Option<&'static str> {
    STATUS_NAMES.iter().find(|(c, _)| *c == code).map(|(_, n)| *n)
}

/// What identifies a request's response.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum MsgKey {
    /// SMB1: multiplex id, process id (high and low parts), command.
    Smb1 { mid: u16, pid: u32, cmd: u8 },
    /// SMB2: message id and command.
    Smb2 { msg_id: u64, cmd: u16 },
}

/// One file being written or read, in one direction.
#[derive(Clone, Debug, Default)]
pub struct FileTx {
    /// The file id (SMB1 FID, 2 bytes; SMB2 file id, 16 bytes).
    pub fuid: Vec<u8>,
    /// Name given when it was opened, if the open was seen.
    pub name: Vec<u8>,
    /// Share path of its tree.
    pub share: Vec<u8>,
    /// Written (to the server) or read (to the client).
    pub to_server: bool,
    /// The data, in file order.
    pub data: FileData,
    /// A CLOSE was seen.
    pub closed: bool,
}

/// What a transaction is about, with what its messages said.
#[derive(Clone, Debug, Default)]
pub enum TxKind {
    /// A command mirador reads only the header of.
    #[default]
    Generic,
    /// NEGOTIATE.
    Negotiate {
        /// Dialects the client offered, as Suricata names them.
        client_dialects: Vec<String>,
        /// SMB2 client GUID.
        client_guid: Option<[u8; 16]>,
        /// Server GUID.
        server_guid: Option<[u8; 16]>,
        /// SMB2 maximum read and write sizes.
        max_sizes: Option<(u32, u32)>,
    },
    /// SESSION_SETUP(_ANDX).
    SessionSetup {
        /// The NTLMSSP AUTHENTICATE message, if the request carried one.
        ntlmssp: Option<NtlmAuth>,
    },
    /// TREE_CONNECT(_ANDX).
    TreeConnect {
        /// Share path, UTF-8.
        share: Vec<u8>,
        /// The response said the share is a named pipe (IPC).
        is_pipe: bool,
        /// SMB1 service type of the request and the response.
        service: (Option<String>, Option<String>),
        /// SMB2 share type from the response.
        share_type: Option<u8>,
    },
    /// NT_CREATE_ANDX / CREATE.
    Create {
        /// File name, UTF-8.
        name: Vec<u8>,
        /// Create disposition.
        disposition: u32,
        /// File id from the response.
        fuid: Option<Vec<u8>>,
        /// End of file from the response.
        size: Option<u64>,
    },
    /// A file's data in one direction.
    File(Box<FileTx>),
}

/// One transaction.
#[derive(Clone, Debug, Default)]
pub struct SmbTx {
    /// Transaction id (EVE `tx_id`; the `smb.id` field is one more).
    pub id: u64,
    key: Option<MsgKey>,
    /// SMB2 (else SMB1).
    pub smb2: bool,
    /// Command code.
    pub command: u16,
    /// Response status.
    pub status: Option<u32>,
    /// SMB1 user id or SMB2 session id.
    pub session_id: u64,
    /// Tree id.
    pub tree_id: u32,
    /// The request was seen.
    pub request_done: bool,
    /// The response was seen.
    pub response_done: bool,
    /// Command-specific content.
    pub kind: TxKind,
    /// Events raised, Suricata names.
    pub events: Vec<&'static str>,
    /// Named-pipe data written (index 0, to the server) and read (1, to
    /// the client) by this request: the payload DCERPC over SMB reads.
    pub pipe_data: [Vec<u8>; 2],
    /// The pipe those were written to: the reads of its answer that follow
    /// go to the same transaction (a DCERPC request and its response).
    pipe_fuid: Option<Vec<u8>>,
}

fn smb1_command_name(c: u8) -> String {
    let n = match c {
        0x00 => "CREATE_DIRECTORY",
        0x01 => "DELETE_DIRECTORY",
        0x02 => "OPEN",
        0x03 => "CREATE",
        0x04 => "CLOSE",
        0x05 => "FLUSH",
        0x06 => "DELETE",
        0x07 => "RENAME",
        0x08 => "QUERY_INFORMATION",
        0x09 => "SET_INFORMATION",
        0x0a => "READ",
        0x0b => "WRITE",
        0x24 => "LOCKING_ANDX",
        0x25 => "TRANS",
        0x2b => "ECHO",
        0x2d => "OPEN_ANDX",
        0x2e => "READ_ANDX",
        0x2f => "WRITE_ANDX",
        0x32 => "TRANS2",
        0x33 => "TRANS2_SECONDARY",
        0x34 => "FIND_CLOSE2",
        0x71 => "TREE_DISCONNECT",
        0x72 => "NEGOTIATE_PROTOCOL",
        0x73 => "SESSION_SETUP_ANDX",
        0x74 => "LOGOFF_ANDX",
        0x75 => "TREE_CONNECT_ANDX",
        0xa0 => "NT_TRANS",
        0xa2 => "NT_CREATE_ANDX",
        0xa4 => "NT_CANCEL",
        _ => return format!("SMB1_COMMAND_UNKNOWN_{c:02X}"),
    };
    format!("SMB1_COMMAND_{n}")
}

fn smb2_command_name(c: u16) -> String {
    let n = match c {
        0 => "NEGOTIATE_PROTOCOL",
        1 => "SESSION_SETUP",
        2 => "SESSION_LOGOFF",
        3 => "TREE_CONNECT",
        4 => "TREE_DISCONNECT",
        5 => "CREATE",
        6 => "CLOSE",
        7 => "FLUSH",
        8 => "READ",
        9 => "WRITE",
        10 => "LOCK",
        11 => "IOCTL",
        12 => "CANCEL",
        13 => "KEEPALIVE",
        14 => "FIND",
        15 => "CHANGE_NOTIFY",
        16 => "GET_INFO",
        17 => "SET_INFO",
        18 => "OPLOCK_BREAK",
        _ => return format!("SMB2_COMMAND_UNKNOWN_{c}"),
    };
    format!("SMB2_COMMAND_{n}")
}

/// A GUID as Suricata 7 prints SMB GUIDs and file ids: the 16 bytes read
/// as little-endian numbers of 4, 2, 2, 2, 2 and 4 bytes (not RFC 4122's
/// byte order for the last six; checked on its EVE output).
fn guid_text(g: &[u8]) -> String {
    if g.len() != 16 {
        return g.iter().map(|b| format!("{b:02x}")).collect();
    }
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:04x}{:08x}",
        u32::from_le_bytes([g[0], g[1], g[2], g[3]]),
        u16::from_le_bytes([g[4], g[5]]),
        u16::from_le_bytes([g[6], g[7]]),
        u16::from_le_bytes([g[8], g[9]]),
        u16::from_le_bytes([g[10], g[11]]),
        u32::from_le_bytes([g[12], g[13], g[14], g[15]]),
    )
}

/// A file id as EVE `fuid`: SMB1 FIDs as a 16-bit number in hex, SMB2
/// ids as GUIDs.
fn fuid_text(f: &[u8]) -> String {
    match f.len() {
        16 => guid_text(f),
        2 => format!("{:04x}", u16::from_le_bytes([f[0], f[1]])),
        _ => f.iter().map(|b| format!("{b:02x}")).collect(),
    }
}

fn disposition_name(d: u32) -> &'static str {
    match d {
        0 => "FILE_SUPERSEDE",
        1 => "FILE_OPEN",
        2 => "FILE_CREATE",
        3 => "FILE_OPEN_IF",
        4 => "FILE_OVERWRITE",
        5 => "FILE_OVERWRITE_IF",
        _ => "UNKNOWN",
    }
}

impl SmbTx {
    /// Buffer `b` of this transaction, inspected in direction `to_server`.
    pub fn buffer_dir(&self, b: Buffer, to_server: bool) -> Option<&[u8]> {
        match (&self.kind, b) {
            (TxKind::TreeConnect { share, is_pipe: false, .. }, Buffer::SmbShare) => Some(share),
            (TxKind::TreeConnect { share, is_pipe: true, .. }, Buffer::SmbNamedPipe) => Some(share),
            (TxKind::SessionSetup { ntlmssp: Some(n) }, Buffer::SmbNtlmsspUser) => Some(&n.user),
            (TxKind::SessionSetup { ntlmssp: Some(n) }, Buffer::SmbNtlmsspDomain) => Some(&n.domain),
            (TxKind::File(f), Buffer::FileData) if f.to_server == to_server => Some(f.data.data()),
            _ => None,
        }
    }

    /// True once nothing more will be added: the response is in (file
    /// transactions: the file was closed).
    pub fn is_complete(&self) -> bool {
        match &self.kind {
            TxKind::File(f) => f.closed,
            _ => self.request_done && self.response_done,
        }
    }

    /// True when the transaction may get its EVE record: complete, or a
    /// file transaction (logged when the file first shows up, as a file
    /// that stays open must not hold back the records after it).
    pub fn is_loggable(&self) -> bool {
        self.is_complete() || self.file().is_some()
    }

    /// The file this transaction carries, if it is a file transaction.
    pub fn file(&self) -> Option<&FileTx> {
        match &self.kind {
            TxKind::File(f) => Some(f),
            _ => None,
        }
    }

    /// The `smb` EVE object, with Suricata 7's field names; `dialect` is
    /// the flow's negotiated dialect.
    pub fn eve(&self, dialect: &str) -> serde_json::Value {
        use serde_json::{json, Value};
        let s = |v: &[u8]| Value::String(String::from_utf8_lossy(v).into_owned());
        let mut o = serde_json::Map::new();
        o.insert("id".into(), json!(self.id + 1));
        o.insert("dialect".into(), json!(dialect));
        let cmd = if self.smb2 { smb2_command_name(self.command) } else { smb1_command_name(self.command as u8) };
        o.insert("command".into(), json!(cmd));
        if let Some(st) = self.status {
            if let Some(n) = status_name(st) {
                o.insert("status".into(), json!(n));
            }
            o.insert("status_code".into(), json!(format!("{st:#x}")));
        }
        o.insert("session_id".into(), json!(self.session_id));
        o.insert("tree_id".into(), json!(self.tree_id));
        match &self.kind {
            TxKind::Generic => {}
            TxKind::Negotiate { client_dialects, client_guid, server_guid, max_sizes } => {
                if !client_dialects.is_empty() {
                    o.insert("client_dialects".into(), json!(client_dialects));
                }
                if let Some(g) = client_guid {
                    o.insert("client_guid".into(), json!(guid_text(g)));
                }
                if let Some(g) = server_guid {
                    o.insert("server_guid".into(), json!(guid_text(g)));
                }
                if let Some((r, w)) = max_sizes {
                    o.insert("max_read_size".into(), json!(r));
                    o.insert("max_write_size".into(), json!(w));
                }
            }
            TxKind::SessionSetup { ntlmssp } => {
                if let Some(n) = ntlmssp {
                    let mut m = serde_json::Map::new();
                    m.insert("domain".into(), s(&n.domain));
                    m.insert("user".into(), s(&n.user));
                    m.insert("host".into(), s(&n.host));
                    if let Some(v) = &n.version {
                        m.insert("version".into(), json!(v));
                    }
                    o.insert("ntlmssp".into(), Value::Object(m));
                }
            }
            TxKind::TreeConnect { share, is_pipe, service, share_type } => {
                o.insert((if *is_pipe { "named_pipe" } else { "share" }).into(), s(share));
                if !self.smb2 {
                    let mut m = serde_json::Map::new();
                    if let Some(r) = &service.0 {
                        m.insert("request".into(), json!(r));
                    }
                    if let Some(r) = &service.1 {
                        m.insert("response".into(), json!(r));
                    }
                    o.insert("service".into(), Value::Object(m));
                } else if self.response_done {
                    let t = match share_type {
                        Some(1) => "FILE",
                        Some(2) => "PIPE",
                        Some(3) => "PRINT",
                        _ => "UNKNOWN",
                    };
                    o.insert("share_type".into(), json!(t));
                }
            }
            TxKind::Create { name, disposition, fuid, size } => {
                let name = if name.is_empty() && self.smb2 { &b"<share_root>"[..] } else { name };
                o.insert("filename".into(), s(name));
                o.insert("disposition".into(), json!(disposition_name(*disposition)));
                // Once answered, a failed open has size 0 and an empty fuid.
                if self.response_done || size.is_some() {
                    o.insert("size".into(), json!(size.unwrap_or(0)));
                }
                if self.response_done || fuid.is_some() {
                    o.insert("fuid".into(), json!(fuid.as_deref().map(fuid_text).unwrap_or_default()));
                }
            }
            TxKind::File(f) => {
                o.insert("filename".into(), s(&f.name));
                o.insert("share".into(), s(&f.share));
                o.insert("fuid".into(), json!(fuid_text(&f.fuid)));
            }
        }
        Value::Object(o)
    }

    /// The EVE `fileinfo` object of a file transaction (the `files` array
    /// of an alert): name, size, state.
    pub fn fileinfo(&self) -> Option<serde_json::Value> {
        let f = self.file()?;
        Some(serde_json::json!({
            "filename": String::from_utf8_lossy(&f.name),
            "gaps": false,
            "state": if f.closed { "CLOSED" } else { "UNKNOWN" },
            "stored": false,
            "size": f.data.size(),
            "tx_id": self.id,
        }))
    }
}

/// What a tree connect established.
#[derive(Clone, Debug, Default)]
struct Tree {
    share: Vec<u8>,
    is_pipe: bool,
}

/// What an open established.
#[derive(Clone, Debug, Default)]
struct OpenFile {
    name: Vec<u8>,
    share: Vec<u8>,
    is_pipe: bool,
}

/// Per-flow SMB state.
#[derive(Debug, Default)]
pub struct SmbState {
    txs: VecDeque<SmbTx>,
    next_id: u64,
    /// Incomplete NBSS data per direction (to server, to client).
    pending: [Vec<u8>; 2],
    /// Bytes of an oversized NBSS message still to skip, per direction.
    skip: [usize; 2],
    /// A gap or garbage lost the message boundary: look for the next NBSS
    /// header followed by an SMB signature.
    lost: [bool; 2],
    /// The negotiated dialect, as EVE writes it.
    dialect: Option<String>,
    /// Trees by (session or user id, tree id).
    trees: HashMap<(u64, u32), Tree>,
    /// Open files by file id.
    files: HashMap<Vec<u8>, OpenFile>,
    /// Read requests waiting for their data: (file id, offset).
    reads: HashMap<MsgKey, (Vec<u8>, u64)>,
    /// SMB2 file writes waiting for their status: file id.
    writes: HashMap<MsgKey, Vec<u8>>,
    /// Messages that did not parse.
    malformed: u64,
}

impl SmbState {
    /// Feeds stream data of one direction.
    pub fn parse(&mut self, to_server: bool, data: &[u8]) {
        let d = usize::from(!to_server);
        let mut data = data;
        if self.skip[d] > 0 {
            let n = self.skip[d].min(data.len());
            self.skip[d] -= n;
            data = &data[n..];
        }
        let mut buf = std::mem::take(&mut self.pending[d]);
        buf.extend_from_slice(data);
        let mut at = 0;
        loop {
            if self.lost[d] {
                match resync(&buf[at..]) {
                    Some(p) => {
                        at += p;
                        self.lost[d] = false;
                    }
                    None => {
                        // Keep a possible header start for the next data.
                        at = buf.len().saturating_sub(7).max(at);
                        break;
                    }
                }
            }
            let rest = &buf[at..];
            if rest.len() < 4 {
                break;
            }
            let len = u32::from_be_bytes([0, rest[1], rest[2], rest[3]]) as usize;
            match rest[0] {
                0x00 => {}
                // Session request, positive/negative response, retarget,
                // keep-alive: nothing for the SMB layer.
                0x81..=0x85 if len <= 1024 => {}
                _ => {
                    self.malformed += 1;
                    self.lost[d] = true;
                    at += 1;
                    continue;
                }
            }
            if len > MAX_NBSS_MESSAGE {
                // Too big to hold: skip it, in this data or the next.
                if rest.len() >= 4 + len {
                    at += 4 + len;
                    continue;
                }
                self.skip[d] = 4 + len - rest.len();
                at = buf.len();
                break;
            }
            if rest.len() < 4 + len {
                break;
            }
            if rest[0] == 0 {
                self.message(to_server, &rest[4..4 + len]);
            }
            at += 4 + len;
        }
        buf.drain(..at);
        self.pending[d] = buf;
    }

    /// One SMB message (the NBSS payload).
    fn message(&mut self, to_server: bool, m: &[u8]) {
        match m.get(..4) {
            Some(b"\xffSMB") => self.smb1(to_server, m),
            Some(b"\xfeSMB") => self.smb2(to_server, m),
            // Transform (encrypted) and compressed SMB3: nothing to read.
            Some(b"\xfdSMB" | b"\xfcSMB") => {}
            _ => self.malformed += 1,
        }
    }

    /// A hole in one direction: its partial message is dropped and the
    /// next message boundary searched for.
    pub fn gap(&mut self, to_server: bool) {
        let d = usize::from(!to_server);
        self.pending[d].clear();
        self.skip[d] = 0;
        self.lost[d] = true;
    }

    fn new_tx(&mut self, smb2: bool, command: u16, key: Option<MsgKey>, kind: TxKind) -> &mut SmbTx {
        if self.txs.len() >= MAX_TXS {
            self.txs.pop_front();
        }
        self.txs.push_back(SmbTx { id: self.next_id, key, smb2, command, kind, ..SmbTx::default() });
        self.next_id += 1;
        self.txs.back_mut().expect("just pushed")
    }

    /// The open transaction waiting for the response with `key`.
    fn tx_for_response(&mut self, key: MsgKey) -> Option<&mut SmbTx> {
        self.txs.iter_mut().rev().find(|t| t.key == Some(key) && !t.response_done)
    }

    /// Adds file data at `offset` to the file transaction of `fuid` in one
    /// direction, creating it on the file's first data.
    fn file_data(&mut self, fuid: &[u8], to_server: bool, offset: u64, data: &[u8], smb2: bool, command: u16) {
        let pos = self.txs.iter().rposition(
            |t| matches!(&t.kind, TxKind::File(f) if f.fuid == fuid && f.to_server == to_server && !f.closed),
        );
        let tx = match pos {
            Some(p) => &mut self.txs[p],
            None => {
                let open = self.files.get(fuid).cloned().unwrap_or_default();
                let f =
                    FileTx { fuid: fuid.to_vec(), name: open.name, share: open.share, to_server, ..FileTx::default() };
                let tx = self.new_tx(smb2, command, None, TxKind::File(Box::new(f)));
                tx.request_done = true;
                tx
            }
        };
        let TxKind::File(f) = &mut tx.kind else { unreachable!("a file transaction") };
        if f.data.add(offset, data) == Added::Overlap && !tx.events.contains(&"file_overlap") {
            tx.events.push("file_overlap");
        }
    }

    /// A file (or pipe) was closed: its file transactions are complete.
    fn close_file(&mut self, fuid: &[u8]) {
        for t in self.txs.iter_mut() {
            if let TxKind::File(f) = &mut t.kind {
                if f.fuid == fuid {
                    f.closed = true;
                }
            }
        }
        self.files.remove(fuid);
    }

    /// Keeps what a response taught (both dialects): the negotiated
    /// dialect, a connected tree, an opened file (by the tree it was
    /// opened in).
    fn learn(
        &mut self,
        dialect: Option<String>,
        tree: Option<(TreeKey, Tree)>,
        file: Option<(Vec<u8>, TreeKey, Vec<u8>)>,
    ) {
        if let Some(d) = dialect {
            self.dialect = Some(d);
        }
        if let Some((key, t)) = tree {
            self.remember_tree(key, t);
        }
        if let Some((fuid, tree, name)) = file {
            self.remember_file(fuid, tree, name);
        }
    }

    fn remember_tree(&mut self, key: (u64, u32), tree: Tree) {
        if self.trees.len() >= MAX_MAP {
            self.trees.clear();
        }
        self.trees.insert(key, tree);
    }

    fn remember_file(&mut self, fuid: Vec<u8>, tree: (u64, u32), name: Vec<u8>) {
        if self.files.len() >= MAX_MAP {
            self.files.clear();
        }
        let t = self.trees.get(&tree).cloned().unwrap_or_default();
        self.files.insert(fuid, OpenFile { name, share: t.share, is_pipe: t.is_pipe });
    }

    fn remember_read(&mut self, key: MsgKey, fuid: Vec<u8>, offset: u64) {
        if self.reads.len() >= MAX_MAP {
            self.reads.clear();
        }
        self.reads.insert(key, (fuid, offset));
    }

    fn remember_write(&mut self, key: MsgKey, fuid: Vec<u8>) {
        if self.writes.len() >= MAX_MAP {
            self.writes.clear();
        }
        self.writes.insert(key, fuid);
    }

    fn is_pipe(&self, fuid: &[u8]) -> bool {
        self.files.get(fuid).is_some_and(|f| f.is_pipe)
    }

    /// Data written to a named pipe: a transaction of its own, keyed for
    /// the write's response.
    fn pipe_write(&mut self, smb2: bool, command: u16, key: MsgKey, ids: (u64, u32), fuid: &[u8], data: &[u8]) {
        let tx = self.new_tx(smb2, command, Some(key), TxKind::Generic);
        tx.request_done = true;
        (tx.session_id, tx.tree_id) = ids;
        tx.pipe_fuid = Some(fuid.to_vec());
        tx.pipe_data[0].extend_from_slice(data);
    }

    /// Data read from a named pipe: it answers the latest write to that
    /// pipe (a transaction of its own when there was none).
    fn pipe_read(&mut self, smb2: bool, command: u16, fuid: &[u8], data: &[u8]) {
        let found = self.txs.iter_mut().rev().find(|t| t.pipe_fuid.as_deref() == Some(fuid));
        let tx = match found {
            Some(t) => t,
            None => {
                let t = self.new_tx(smb2, command, None, TxKind::Generic);
                t.response_done = true;
                t.pipe_fuid = Some(fuid.to_vec());
                t
            }
        };
        tx.pipe_data[1].extend_from_slice(data);
    }

    /// Live transactions in id order.
    pub fn txs(&self) -> impl Iterator<Item = &SmbTx> {
        self.txs.iter()
    }

    /// Transaction `id`, if live.
    pub fn tx(&self, id: u64) -> Option<&SmbTx> {
        self.txs.iter().find(|t| t.id == id)
    }

    /// The id the next transaction will get.
    pub fn next_tx_id(&self) -> u64 {
        self.next_id
    }

    /// The negotiated dialect as EVE writes it (`NT LM 0.12`, `2.02`,
    /// `3.11`), `unknown` before a negotiation was seen.
    pub fn dialect(&self) -> &str {
        self.dialect.as_deref().unwrap_or("unknown")
    }

    /// Messages that were not SMB or were cut short.
    pub fn malformed(&self) -> u64 {
        self.malformed
    }

    /// Drops complete transactions below `keep_from`, and incomplete ones
    /// far behind (a request whose response never comes).
    pub fn remove_done(&mut self, keep_from: u64) {
        let far = keep_from.saturating_sub(MAX_TXS as u64 / 2);
        self.txs.retain(|t| t.id >= keep_from || (!t.is_complete() && t.id >= far));
    }
}

/// Offset of the next plausible NBSS session message carrying SMB.
fn resync(b: &[u8]) -> Option<usize> {
    b.windows(8).position(|w| w[0] == 0 && matches!(&w[4..8], b"\xffSMB" | b"\xfeSMB" | b"\xfdSMB"))
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

#[cfg(test)]
mod tests;
