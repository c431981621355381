//! SMB1 (CIFS) messages: the 32-byte header, then one block of words and
//! bytes per command, chained by AndX offsets.

use super::ntlmssp::{self, utf16le};
use super::{u16_at, u32_at, u64_at, MsgKey, SmbState, Tree, TxKind};

const HEADER: usize = 32;
/// FLAGS_REPLY: the message is a response.
const FLAG_REPLY: u8 = 0x80;
/// FLAGS2_UNICODE: strings are UTF-16LE.
const FLAGS2_UNICODE: u16 = 0x8000;

const NEGOTIATE: u8 = 0x72;
const SESSION_SETUP_ANDX: u8 = 0x73;
const TREE_CONNECT_ANDX: u8 = 0x75;
const NT_CREATE_ANDX: u8 = 0xa2;
const WRITE_ANDX: u8 = 0x2f;
const READ_ANDX: u8 = 0x2e;
const CLOSE: u8 = 0x04;
const ECHO: u8 = 0x2b;

/// Most commands followed in one AndX chain (a loop guard).
const MAX_ANDX: usize = 8;

/// Commands whose words start with the AndX command and offset.
fn is_andx(c: u8) -> bool {
    matches!(c, 0x24 | 0x2d | 0x2e | 0x2f | 0x73 | 0x74 | 0x75 | 0xa2)
}

/// The fields of the header the parser uses.
#[derive(Clone, Copy)]
struct Hdr {
    status: u32,
    reply: bool,
    unicode: bool,
    tid: u16,
    pid: u32,
    uid: u16,
    mid: u16,
}

/// One command's parameter block: its words, its bytes and where the
/// bytes start in the message (string alignment is relative to the
/// header).
struct Block<'a> {
    words: &'a [u8],
    bytes: &'a [u8],
    bytes_at: usize,
}

fn block(m: &[u8], at: usize) -> Option<Block<'_>> {
    let wc = usize::from(*m.get(at)?);
    let words = m.get(at + 1..at + 1 + 2 * wc)?;
    let bc_at = at + 1 + 2 * wc;
    let bc = usize::from(u16_at(m, bc_at)?);
    let bytes_at = bc_at + 2;
    let end = (bytes_at + bc).min(m.len());
    let bytes = m.get(bytes_at..end)?;
    Some(Block { words, bytes, bytes_at })
}

/// A NUL-terminated string at `at` of the message: UTF-16LE (aligned to
/// two bytes from the header) or ASCII.
fn string_at(m: &[u8], at: usize, end: usize, unicode: bool) -> Vec<u8> {
    let end = end.min(m.len());
    if unicode {
        let at = at + (at % 2);
        m.get(at..end).map(utf16le).unwrap_or_default()
    } else {
        let s = m.get(at..end).unwrap_or_default();
        s[..s.iter().position(|&c| c == 0).unwrap_or(s.len())].to_vec()
    }
}

fn ascii_until_nul(b: &[u8]) -> String {
    let s = &b[..b.iter().position(|&c| c == 0).unwrap_or(b.len())];
    String::from_utf8_lossy(s).into_owned()
}

impl SmbState {
    pub(super) fn smb1(&mut self, to_server: bool, m: &[u8]) {
        if m.len() < HEADER + 1 {
            self.malformed += 1;
            return;
        }
        let flags2 = u16_at(m, 10).unwrap_or(0);
        let h = Hdr {
            // An NTSTATUS, or a DOS error class and code, kept as sent.
            status: u32_at(m, 5).unwrap_or(0),
            reply: m[9] & FLAG_REPLY != 0,
            unicode: flags2 & FLAGS2_UNICODE != 0,
            tid: u16_at(m, 24).unwrap_or(0),
            pid: u32::from(u16_at(m, 12).unwrap_or(0)) << 16 | u32::from(u16_at(m, 26).unwrap_or(0)),
            uid: u16_at(m, 28).unwrap_or(0),
            mid: u16_at(m, 30).unwrap_or(0),
        };
        if h.reply == to_server {
            // A response sent to the server or a request to the client:
            // read it as its flag says, as Suricata does.
            self.malformed += 1;
        }
        let mut cmd = m[4];
        let mut at = HEADER;
        for _ in 0..MAX_ANDX {
            let Some(b) = block(m, at) else {
                self.malformed += 1;
                return;
            };
            if h.reply {
                self.smb1_response(cmd, &h, m, &b);
            } else {
                self.smb1_request(cmd, &h, m, &b);
            }
            if !is_andx(cmd) || b.words.len() < 4 {
                return;
            }
            let next = b.words[0];
            let off = usize::from(u16_at(b.words, 2).unwrap_or(0));
            if next == 0xff || off <= at || off >= m.len() {
                return;
            }
            cmd = next;
            at = off;
        }
    }

    fn smb1_request(&mut self, cmd: u8, h: &Hdr, m: &[u8], b: &Block<'_>) {
        let key = MsgKey::Smb1 { mid: h.mid, pid: h.pid, cmd };
        let w = b.words;
        let kind = match cmd {
            NEGOTIATE => {
                // Each dialect is 0x02 then a NUL-terminated name.
                let client_dialects = b
                    .bytes
                    .split(|&c| c == 0)
                    .filter_map(|d| d.strip_prefix(&[2u8]))
                    .map(|d| String::from_utf8_lossy(d).into_owned())
                    .collect();
                TxKind::Negotiate { client_dialects, client_guid: None, server_guid: None, max_sizes: None }
            }
            SESSION_SETUP_ANDX => {
                // Extended security (12 words): the security blob opens the
                // bytes.
                let ntlmssp = (w.len() == 24)
                    .then(|| {
                        let len = usize::from(u16_at(w, 14)?);
                        ntlmssp::authenticate(b.bytes.get(..len.min(b.bytes.len()))?)
                    })
                    .flatten();
                TxKind::SessionSetup { ntlmssp }
            }
            TREE_CONNECT_ANDX => {
                let pw = usize::from(u16_at(w, 6).unwrap_or(0));
                let path_at = b.bytes_at + pw;
                let end = b.bytes_at + b.bytes.len();
                let mut share = string_at(m, path_at, end, h.unicode);
                // Suricata 7 reads a Unicode path one character late when
                // it starts aligned (its `smb.share` is `\host\share`
                // with one leading backslash, and SMB2's has two): the
                // buffer follows it so that rules match the same bytes.
                if h.unicode && path_at.is_multiple_of(2) && share.starts_with(b"\\\\") {
                    share.remove(0);
                }
                // The service follows the path's terminator, in ASCII.
                let path_len = if h.unicode {
                    let a = path_at + path_at % 2;
                    m.get(a..end)
                        .and_then(|s| s.chunks_exact(2).position(|c| c == [0, 0]))
                        .map(|p| a - path_at + 2 * p + 2)
                } else {
                    m.get(path_at..end).and_then(|s| s.iter().position(|&c| c == 0)).map(|p| p + 1)
                };
                let service =
                    path_len.and_then(|l| m.get(path_at + l..end)).map(ascii_until_nul).filter(|s| !s.is_empty());
                TxKind::TreeConnect { share, is_pipe: false, service: (service, None), share_type: None }
            }
            NT_CREATE_ANDX => {
                let name_len = usize::from(u16_at(w, 5).unwrap_or(0));
                let disposition = u32_at(w, 35).unwrap_or(0);
                let at = b.bytes_at + usize::from(h.unicode && b.bytes_at % 2 == 1);
                let end = (at + name_len).min(b.bytes_at + b.bytes.len());
                let name = if h.unicode {
                    m.get(at..end).map(utf16le).unwrap_or_default()
                } else {
                    string_at(m, at, end, false)
                };
                TxKind::Create { name, disposition, fuid: None, size: None }
            }
            WRITE_ANDX => {
                let Some(fid) = w.get(4..6) else { return };
                let offset = u64::from(u32_at(w, 6).unwrap_or(0))
                    | if w.len() >= 28 { u64::from(u32_at(w, 24).unwrap_or(0)) << 32 } else { 0 };
                // DataLengthHigh holds the upper bits of large writes.
                let len = usize::from(u16_at(w, 20).unwrap_or(0)) | usize::from(u16_at(w, 18).unwrap_or(0)) << 16;
                let data_at = usize::from(u16_at(w, 22).unwrap_or(0));
                let data = m.get(data_at..(data_at + len).min(m.len())).unwrap_or_default();
                if self.is_pipe(fid) {
                    self.pipe_write(false, cmd.into(), key, (h.uid.into(), h.tid.into()), fid, data);
                } else {
                    self.file_data(fid, true, offset, data, false, cmd.into());
                }
                return;
            }
            READ_ANDX => {
                let Some(fid) = w.get(4..6) else { return };
                let offset = u64::from(u32_at(w, 6).unwrap_or(0))
                    | if w.len() >= 24 { u64::from(u32_at(w, 20).unwrap_or(0)) << 32 } else { 0 };
                self.remember_read(key, fid.to_vec(), offset);
                return;
            }
            CLOSE => {
                if let Some(fid) = w.get(0..2) {
                    self.close_file(fid);
                }
                TxKind::Generic
            }
            _ => TxKind::Generic,
        };
        let tx = self.new_tx(false, cmd.into(), Some(key), kind);
        tx.request_done = true;
        // Suricata leaves the ids of these out (0): they precede any
        // session or tree.
        if !matches!(cmd, NEGOTIATE | ECHO) {
            tx.session_id = h.uid.into();
            tx.tree_id = h.tid.into();
        }
    }

    fn smb1_response(&mut self, cmd: u8, h: &Hdr, m: &[u8], b: &Block<'_>) {
        let key = MsgKey::Smb1 { mid: h.mid, pid: h.pid, cmd };
        let w = b.words;
        if cmd == READ_ANDX {
            if let Some((fid, offset)) = self.reads.remove(&key) {
                let len = usize::from(u16_at(w, 10).unwrap_or(0)) | usize::from(u16_at(w, 14).unwrap_or(0)) << 16;
                let data_at = usize::from(u16_at(w, 12).unwrap_or(0));
                let data = m.get(data_at..(data_at + len).min(m.len())).unwrap_or_default();
                if self.is_pipe(&fid) {
                    self.pipe_read(false, cmd.into(), &fid, data);
                } else if h.status == 0 {
                    self.file_data(&fid, false, offset, data, false, cmd.into());
                }
            }
        }
        let success = h.status == 0;
        let dialect_index = u16_at(w, 0);
        let tree_key = (u64::from(h.uid), u32::from(h.tid));
        let mut new_tree = None;
        let mut new_file = None;
        let mut dialect = None;
        let tx = match self.tx_for_response(key) {
            Some(t) => t,
            // Responses to file data carry nothing a new transaction would.
            None if matches!(cmd, WRITE_ANDX | READ_ANDX) => return,
            None => self.new_tx(false, cmd.into(), None, TxKind::Generic),
        };
        tx.response_done = true;
        tx.status = Some(h.status);
        if !matches!(cmd, NEGOTIATE | ECHO) {
            tx.session_id = h.uid.into();
            tx.tree_id = h.tid.into();
        }
        match &mut tx.kind {
            TxKind::Negotiate { client_dialects, server_guid, .. } => {
                if let Some(d) = dialect_index.and_then(|i| client_dialects.get(usize::from(i))) {
                    dialect = Some(d.clone());
                }
                // Extended security: the server GUID opens the bytes.
                if w.len() == 34 && u32_at(w, 19).is_some_and(|caps| caps & 0x8000_0000 != 0) {
                    *server_guid = b.bytes.get(..16).and_then(|g| g.try_into().ok());
                }
            }
            TxKind::TreeConnect { share, is_pipe, service, .. } => {
                let svc = ascii_until_nul(b.bytes);
                *is_pipe = svc == "IPC";
                service.1 = (!svc.is_empty()).then_some(svc);
                if success {
                    new_tree = Some(Tree { share: share.clone(), is_pipe: *is_pipe });
                }
            }
            TxKind::Create { name, fuid, size, .. } if success => {
                if let Some(fid) = w.get(5..7) {
                    *fuid = Some(fid.to_vec());
                    *size = u64_at(w, 55);
                    new_file = Some((fid.to_vec(), name.clone()));
                }
            }
            _ => {}
        }
        self.learn(dialect, new_tree.map(|t| (tree_key, t)), new_file.map(|(fid, name)| (fid, tree_key, name)));
    }
}
