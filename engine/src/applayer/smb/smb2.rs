//! SMB2/3 messages: the 64-byte header, then the command's fixed body,
//! with variable parts at offsets from the header; compounded messages
//! follow each other by the header's NextCommand offset.

use super::ntlmssp::{self, utf16le};
use super::{u16_at, u32_at, u64_at, MsgKey, SmbState, Tree, TxKind};

const HEADER: usize = 64;
/// SMB2_FLAGS_SERVER_TO_REDIR: the message is a response.
const FLAG_RESPONSE: u32 = 0x1;
/// SMB2_FLAGS_ASYNC_COMMAND: the header carries an async id, no tree id.
const FLAG_ASYNC: u32 = 0x2;
/// STATUS_PENDING: an interim response; the final one follows.
const STATUS_PENDING: u32 = 0x103;

const NEGOTIATE: u16 = 0;
const SESSION_SETUP: u16 = 1;
const TREE_CONNECT: u16 = 3;
const CREATE: u16 = 5;
const CLOSE: u16 = 6;
const READ: u16 = 8;
const WRITE: u16 = 9;
const GET_INFO: u16 = 16;
const SET_INFO: u16 = 17;

/// Most messages followed in one compound (a loop guard).
const MAX_COMPOUND: usize = 32;

#[derive(Clone, Copy)]
struct Hdr {
    status: u32,
    cmd: u16,
    response: bool,
    msg_id: u64,
    tree_id: u32,
    session_id: u64,
}

/// An SMB2 dialect revision as EVE writes it (`2.02`, `3.11`, `2.??`).
pub(super) fn dialect_text(d: u16) -> String {
    if d == 0x02ff {
        "2.??".to_string()
    } else {
        format!("{:x}.{:02x}", d >> 8, d & 0xff)
    }
}

fn file_id(body: &[u8], at: usize) -> Option<Vec<u8>> {
    body.get(at..at + 16).map(<[u8]>::to_vec)
}

impl SmbState {
    pub(super) fn smb2(&mut self, to_server: bool, m: &[u8]) {
        let mut at = 0;
        for _ in 0..MAX_COMPOUND {
            let Some(msg) = m.get(at..).filter(|r| r.len() >= HEADER && r.starts_with(b"\xfeSMB")) else {
                self.malformed += 1;
                return;
            };
            let next = u32_at(msg, 20).unwrap_or(0) as usize;
            let one = if next >= HEADER && next <= msg.len() { &msg[..next] } else { msg };
            let flags = u32_at(one, 16).unwrap_or(0);
            let h = Hdr {
                status: u32_at(one, 8).unwrap_or(0),
                cmd: u16_at(one, 12).unwrap_or(0),
                response: flags & FLAG_RESPONSE != 0,
                msg_id: u64_at(one, 24).unwrap_or(0),
                tree_id: if flags & FLAG_ASYNC != 0 { 0 } else { u32_at(one, 36).unwrap_or(0) },
                session_id: u64_at(one, 40).unwrap_or(0),
            };
            if h.response == to_server {
                self.malformed += 1;
            }
            if h.response {
                self.smb2_response(&h, one);
            } else {
                self.smb2_request(&h, one);
            }
            if next < HEADER || next >= msg.len() {
                return;
            }
            at += next;
        }
    }

    fn smb2_request(&mut self, h: &Hdr, m: &[u8]) {
        let key = MsgKey::Smb2 { msg_id: h.msg_id, cmd: h.cmd };
        let body = &m[HEADER..];
        let kind = match h.cmd {
            NEGOTIATE => {
                let n = usize::from(u16_at(body, 2).unwrap_or(0));
                let client_dialects = (0..n).filter_map(|i| u16_at(body, 36 + 2 * i)).map(dialect_text).collect();
                let client_guid = body.get(12..28).and_then(|g| g.try_into().ok());
                TxKind::Negotiate { client_dialects, client_guid, server_guid: None, max_sizes: None }
            }
            SESSION_SETUP => {
                let off = usize::from(u16_at(body, 12).unwrap_or(0));
                let len = usize::from(u16_at(body, 14).unwrap_or(0));
                let blob = m.get(off..(off + len).min(m.len())).unwrap_or_default();
                TxKind::SessionSetup { ntlmssp: ntlmssp::authenticate(blob) }
            }
            TREE_CONNECT => {
                let off = usize::from(u16_at(body, 4).unwrap_or(0));
                let len = usize::from(u16_at(body, 6).unwrap_or(0));
                let share = m.get(off..(off + len).min(m.len())).map(utf16le).unwrap_or_default();
                TxKind::TreeConnect { share, is_pipe: false, service: (None, None), share_type: None }
            }
            CREATE => {
                let disposition = u32_at(body, 36).unwrap_or(0);
                let off = usize::from(u16_at(body, 44).unwrap_or(0));
                let len = usize::from(u16_at(body, 46).unwrap_or(0));
                let name = m.get(off..(off + len).min(m.len())).map(utf16le).unwrap_or_default();
                TxKind::Create { name, disposition, fuid: None, size: None }
            }
            WRITE => {
                let off = usize::from(u16_at(body, 2).unwrap_or(0));
                let len = u32_at(body, 4).unwrap_or(0) as usize;
                let offset = u64_at(body, 8).unwrap_or(0);
                let Some(fid) = file_id(body, 16) else { return };
                let data = m.get(off..off.saturating_add(len).min(m.len())).unwrap_or_default();
                if self.is_pipe(&fid) {
                    self.pipe_write(true, h.cmd, key, (h.session_id, h.tree_id), &fid, data);
                } else {
                    self.file_data(&fid, true, offset, data, true, h.cmd);
                    self.remember_write(key, fid);
                }
                return;
            }
            READ => {
                let offset = u64_at(body, 8).unwrap_or(0);
                let Some(fid) = file_id(body, 16) else { return };
                self.remember_read(key, fid, offset);
                return;
            }
            CLOSE => {
                if let Some(fid) = file_id(body, 8) {
                    self.close_file(&fid);
                }
                TxKind::Generic
            }
            // Suricata makes no transaction of these (except renames and
            // deletes, which mirador does not read).
            GET_INFO | SET_INFO => return,
            _ => TxKind::Generic,
        };
        let tx = self.new_tx(true, h.cmd, Some(key), kind);
        tx.request_done = true;
        tx.session_id = h.session_id;
        tx.tree_id = h.tree_id;
    }

    fn smb2_response(&mut self, h: &Hdr, m: &[u8]) {
        if h.status == STATUS_PENDING {
            return;
        }
        let key = MsgKey::Smb2 { msg_id: h.msg_id, cmd: h.cmd };
        let body = &m[HEADER..];
        let success = h.status == 0;
        if h.cmd == READ {
            if let Some((fid, offset)) = self.reads.remove(&key) {
                let off = usize::from(body.get(2).copied().unwrap_or(0));
                let len = u32_at(body, 4).unwrap_or(0) as usize;
                let data = m.get(off..off.saturating_add(len).min(m.len())).unwrap_or_default();
                if self.is_pipe(&fid) {
                    self.pipe_read(true, h.cmd, &fid, data);
                } else if success {
                    self.file_data(&fid, false, offset, data, true, h.cmd);
                }
            }
        }
        if h.cmd == WRITE {
            // The status of a file write goes to the file's transaction.
            if let Some(fid) = self.writes.remove(&key) {
                let tx = self.txs.iter_mut().rev().find(|t| t.file().is_some_and(|f| f.fuid == fid && f.to_server));
                if let Some(tx) = tx {
                    tx.status = Some(h.status);
                    tx.response_done = true;
                    tx.session_id = h.session_id;
                    tx.tree_id = h.tree_id;
                }
            }
        }
        let tree_key = (h.session_id, h.tree_id);
        let mut new_tree = None;
        let mut new_file = None;
        let mut dialect = None;
        let found = match self.tx_for_response(key) {
            Some(_) => true,
            // A client that negotiates with an SMB1 NEGOTIATE offering
            // "SMB 2.???" gets an SMB2 answer to it.
            None if h.cmd == NEGOTIATE => self
                .txs
                .iter()
                .rposition(|t| !t.smb2 && !t.response_done && matches!(t.kind, TxKind::Negotiate { .. }))
                .map(|p| {
                    let k = self.txs[p].key;
                    self.txs[p].key = Some(key);
                    k
                })
                .is_some(),
            None => false,
        };
        let tx = if found {
            self.tx_for_response(key).expect("found above")
        } else if matches!(h.cmd, WRITE | READ | GET_INFO | SET_INFO) {
            return;
        } else {
            self.new_tx(true, h.cmd, None, TxKind::Generic)
        };
        tx.response_done = true;
        tx.status = Some(h.status);
        tx.session_id = h.session_id;
        if h.tree_id != 0 || tx.tree_id == 0 {
            tx.tree_id = h.tree_id;
        }
        let create_tree = (tx.session_id, tx.tree_id);
        match &mut tx.kind {
            TxKind::Negotiate { server_guid, max_sizes, .. } => {
                if let Some(d) = u16_at(body, 4) {
                    dialect = Some(dialect_text(d));
                }
                *server_guid = body.get(8..24).and_then(|g| g.try_into().ok());
                *max_sizes = u32_at(body, 32).zip(u32_at(body, 36));
            }
            TxKind::TreeConnect { share, is_pipe, share_type, .. } if success => {
                *share_type = body.get(2).copied();
                *is_pipe = *share_type == Some(2);
                new_tree = Some(Tree { share: share.clone(), is_pipe: *is_pipe });
            }
            TxKind::Create { name, fuid, size, .. } if success => {
                if let Some(fid) = file_id(body, 64) {
                    *fuid = Some(fid.clone());
                    *size = u64_at(body, 48);
                    new_file = Some((fid, name.clone()));
                }
            }
            _ => {}
        }
        self.learn(dialect, new_tree.map(|t| (tree_key, t)), new_file.map(|(fid, name)| (fid, create_tree, name)));
    }
}
