//! Crafted SMB sessions: NBSS framing, SMB1 and SMB2 commands, files.

use super::ntlmssp::tests::auth_token;
use super::*;

fn nbss(smb: &[u8]) -> Vec<u8> {
    let mut v = vec![0, 0, 0, 0];
    v[1..4].copy_from_slice(&(smb.len() as u32).to_be_bytes()[1..]);
    v.extend_from_slice(smb);
    v
}

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// An SMB1 message: header, words, bytes.
fn smb1(cmd: u8, reply: bool, unicode: bool, tid: u16, mid: u16, words: &[u8], bytes: &[u8]) -> Vec<u8> {
    let mut m = b"\xffSMB".to_vec();
    m.push(cmd);
    m.extend_from_slice(&[0; 4]);
    m.push(if reply { 0x98 } else { 0x18 });
    let flags2: u16 = if unicode { 0xc807 } else { 0x4807 };
    m.extend_from_slice(&flags2.to_le_bytes());
    m.extend_from_slice(&[0; 12]);
    m.extend_from_slice(&tid.to_le_bytes());
    m.extend_from_slice(&0x1234u16.to_le_bytes());
    m.extend_from_slice(&0x0800u16.to_le_bytes());
    m.extend_from_slice(&mid.to_le_bytes());
    assert_eq!(m.len(), 32);
    m.push((words.len() / 2) as u8);
    m.extend_from_slice(words);
    m.extend_from_slice(&(bytes.len() as u16).to_le_bytes());
    m.extend_from_slice(bytes);
    m
}

fn andx_none() -> Vec<u8> {
    vec![0xff, 0, 0, 0]
}

fn tree_connect_unicode(path: &str) -> Vec<u8> {
    let mut w = andx_none();
    w.extend_from_slice(&[0, 0, 1, 0]); // flags, password length 1
                                        // Bytes start at 32+1+8+2 = 43 (odd): the password byte makes the path
                                        // start at 44, already aligned.
    let mut b = vec![0];
    b.extend_from_slice(&utf16(path));
    b.extend_from_slice(&[0, 0]);
    b.extend_from_slice(b"?????\0");
    smb1(0x75, false, true, 0, 7, &w, &b)
}

fn tree_connect_reply(service: &str, tid: u16) -> Vec<u8> {
    let mut w = andx_none();
    w.extend_from_slice(&[1, 0]);
    let mut b = service.as_bytes().to_vec();
    b.push(0);
    smb1(0x75, true, true, tid, 7, &w, &b)
}

#[test]
fn smb1_unicode_tree_connect_names_a_pipe() {
    let mut s = SmbState::default();
    s.parse(true, &nbss(&tree_connect_unicode("\\\\192.168.1.3\\IPC$")));
    let tx = s.txs().next().expect("tree connect");
    assert_eq!(tx.buffer_dir(Buffer::SmbShare, true), Some(&b"\\192.168.1.3\\IPC$"[..]));
    assert_eq!(tx.buffer_dir(Buffer::SmbNamedPipe, true), None);
    s.parse(false, &nbss(&tree_connect_reply("IPC", 2052)));
    let tx = s.txs().next().expect("tree connect");
    assert_eq!(s.txs().count(), 1);
    assert!(tx.is_complete());
    assert_eq!(tx.buffer_dir(Buffer::SmbNamedPipe, true), Some(&b"\\192.168.1.3\\IPC$"[..]));
    assert_eq!(tx.buffer_dir(Buffer::SmbShare, true), None);
    let e = tx.eve(s.dialect());
    assert_eq!(e["named_pipe"], "\\192.168.1.3\\IPC$");
    assert_eq!(e["service"]["request"], "?????");
    assert_eq!(e["service"]["response"], "IPC");
    assert_eq!(e["tree_id"], 2052);
    assert_eq!(e["command"], "SMB1_COMMAND_TREE_CONNECT_ANDX");
}

fn nt_create(name: &str) -> Vec<u8> {
    let n = utf16(name);
    let mut w = andx_none();
    w.push(0);
    w.extend_from_slice(&(n.len() as u16).to_le_bytes());
    w.resize(35, 0);
    w.extend_from_slice(&5u32.to_le_bytes()); // FILE_OVERWRITE_IF
    w.resize(48, 0);
    // Bytes at 32+1+48+2 = 83 (odd): one pad byte.
    let mut b = vec![0];
    b.extend_from_slice(&n);
    smb1(0xa2, false, true, 2048, 9, &w, &b)
}

fn nt_create_reply(fid: u16) -> Vec<u8> {
    let mut w = andx_none();
    w.push(0);
    w.extend_from_slice(&fid.to_le_bytes());
    w.resize(68, 0);
    smb1(0xa2, true, true, 2048, 9, &w, &[])
}

fn write_andx(fid: u16, offset: u32, data: &[u8], mid: u16) -> Vec<u8> {
    let mut w = andx_none();
    w.extend_from_slice(&fid.to_le_bytes());
    w.extend_from_slice(&offset.to_le_bytes());
    w.resize(20, 0);
    w.extend_from_slice(&(data.len() as u16).to_le_bytes());
    // Data right after the byte count: 32 + 1 + 24 + 2.
    w.extend_from_slice(&59u16.to_le_bytes());
    w.resize(24, 0);
    smb1(0x2f, false, true, 2048, mid, &w, data)
}

#[test]
fn nbss_split_anywhere_feeds_the_same_file() {
    let mut client = Vec::new();
    client.extend(nbss(&nt_create("\\eicar")));
    let write = nbss(&write_andx(0x4000, 0, b"X5O!P%@AP", 10));
    let header_end = client.len() + 4 + 32;
    client.extend(&write);
    client.extend(nbss(&write_andx(0x4000, 9, b"[4\\PZX54", 11)));
    for cut in [1, 3, 4, 35, header_end, header_end + 1, client.len() - 1] {
        let mut s = SmbState::default();
        s.parse(true, &client[..cut]);
        s.parse(false, &nbss(&nt_create_reply(0x4000)));
        s.parse(true, &client[cut..]);
        // The reply came before the write here only when the cut is before
        // the first write; either way the data lands in one file.
        let files: Vec<_> = s.txs().filter_map(SmbTx::file).collect();
        assert_eq!(files.len(), 1, "cut {cut}");
        assert_eq!(files[0].data.data(), b"X5O!P%@AP[4\\PZX54", "cut {cut}");
    }
    // Both messages in one segment, plus a keep-alive between them.
    let mut s = SmbState::default();
    s.parse(true, &nbss(&nt_create("\\eicar")));
    s.parse(false, &nbss(&nt_create_reply(0x4000)));
    let mut seg = write.clone();
    seg.extend_from_slice(&[0x85, 0, 0, 0]);
    seg.extend(nbss(&write_andx(0x4000, 9, b"[4\\PZX54", 11)));
    s.parse(true, &seg);
    let tx = s.txs().find(|t| t.file().is_some()).expect("file tx");
    assert_eq!(tx.buffer_dir(Buffer::FileData, true), Some(&b"X5O!P%@AP[4\\PZX54"[..]));
    assert_eq!(tx.buffer_dir(Buffer::FileData, false), None);
    assert_eq!(tx.file().map(|f| f.name.as_slice()), Some(&b"\\eicar"[..]));
    assert_eq!(tx.eve(s.dialect())["fuid"], "4000");
}

#[test]
fn rewrite_is_an_overlap() {
    let mut s = SmbState::default();
    s.parse(true, &nbss(&nt_create("\\eicar")));
    s.parse(false, &nbss(&nt_create_reply(0x4000)));
    s.parse(true, &nbss(&write_andx(0x4000, 0, b"A", 10)));
    s.parse(true, &nbss(&write_andx(0x4000, 1, b"", 11)));
    let file = |s: &SmbState| s.txs().find(|t| t.file().is_some()).cloned().expect("file tx");
    assert!(file(&s).events.is_empty());
    s.parse(true, &nbss(&write_andx(0x4000, 0, b"AX5O!P", 12)));
    let tx = file(&s);
    assert_eq!(tx.events, vec!["file_overlap"]);
    assert_eq!(tx.file().map(|f| f.data.data().to_vec()), Some(b"A".to_vec()));
}

/// An SMB2 message: header and body.
fn smb2(cmd: u16, response: bool, msg_id: u64, tree_id: u32, body: &[u8]) -> Vec<u8> {
    let mut m = b"\xfeSMB".to_vec();
    m.extend_from_slice(&64u16.to_le_bytes());
    m.extend_from_slice(&[0; 6]);
    m.extend_from_slice(&cmd.to_le_bytes());
    m.extend_from_slice(&[1, 0]);
    m.extend_from_slice(&u32::from(response).to_le_bytes());
    m.extend_from_slice(&[0; 4]);
    m.extend_from_slice(&msg_id.to_le_bytes());
    m.extend_from_slice(&[0; 4]);
    m.extend_from_slice(&tree_id.to_le_bytes());
    m.extend_from_slice(&0x4000_0000_0005u64.to_le_bytes());
    m.extend_from_slice(&[0; 16]);
    assert_eq!(m.len(), 64);
    m.extend_from_slice(body);
    m
}

#[test]
fn smb2_ntlmssp_user_and_pipe_tree() {
    let mut s = SmbState::default();
    let mut blob = vec![0xa1, 0x82, 0x01, 0x00];
    blob.extend(auth_token("Administrator", "CONTOSO", "SERVER01"));
    let mut body = vec![25, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0];
    body.extend_from_slice(&88u16.to_le_bytes());
    body.extend_from_slice(&(blob.len() as u16).to_le_bytes());
    body.extend_from_slice(&[0; 8]);
    body.extend(&blob);
    s.parse(true, &nbss(&smb2(1, false, 2, 0, &body)));
    let tx = s.txs().next().expect("session setup");
    assert_eq!(tx.buffer_dir(Buffer::SmbNtlmsspUser, true), Some(&b"Administrator"[..]));
    assert_eq!(tx.buffer_dir(Buffer::SmbNtlmsspDomain, true), Some(&b"CONTOSO"[..]));
    assert_eq!(tx.eve(s.dialect())["ntlmssp"]["host"], "SERVER01");

    let path = utf16("\\\\10.0.0.12\\IPC$");
    let mut body = vec![9, 0, 0, 0];
    body.extend_from_slice(&72u16.to_le_bytes());
    body.extend_from_slice(&(path.len() as u16).to_le_bytes());
    body.extend(&path);
    s.parse(true, &nbss(&smb2(3, false, 3, 0, &body)));
    let reply = smb2(3, true, 3, 5, &[16, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    s.parse(false, &nbss(&reply));
    let tx = s.txs().find(|t| t.id == 1).expect("tree connect");
    assert_eq!(tx.buffer_dir(Buffer::SmbNamedPipe, true), Some(&b"\\\\10.0.0.12\\IPC$"[..]));
    assert_eq!(tx.eve(s.dialect())["share_type"], "PIPE");
    assert_eq!(tx.eve(s.dialect())["tree_id"], 5);
}

/// Truncated, corrupted and random messages must not panic the parser
/// (offsets and lengths come from the wire).
#[test]
fn hostile_input_does_not_panic() {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let good = [
        tree_connect_unicode("\\\\h\\IPC$"),
        tree_connect_reply("IPC", 3),
        nt_create("\\f"),
        nt_create_reply(7),
        write_andx(7, 0, b"data", 3),
        smb2(3, false, 1, 0, &[9, 0, 0, 0, 72, 0, 8, 0, 1, 0]),
        smb2(9, false, 2, 0, &[49, 0, 0x70, 0, 0xff, 0xff, 0, 0]),
    ];
    for round in 0..3000 {
        let mut s = SmbState::default();
        for m in &good {
            let mut m = m.clone();
            for _ in 0..(next() % 4) {
                let i = (next() as usize) % m.len();
                m[i] = next() as u8;
            }
            m.truncate(m.len() - (next() as usize) % m.len().min(8 + round % 40));
            s.parse(round % 2 == 0, &nbss(&m));
        }
        let junk: Vec<u8> = (0..(next() % 200)).map(|_| next() as u8).collect();
        s.parse(true, &junk);
        s.gap(false);
        s.parse(false, &junk);
        for t in s.txs() {
            let _ = t.eve(s.dialect());
        }
    }
}

#[test]
fn gap_resyncs_on_the_next_smb_message() {
    let mut s = SmbState::default();
    let m = nbss(&tree_connect_unicode("\\\\h\\C$"));
    s.parse(true, &m[..20]);
    s.gap(true);
    let mut after = b"junk after the hole".to_vec();
    after.extend(&m);
    s.parse(true, &after);
    assert_eq!(s.txs().count(), 1);
    assert_eq!(s.txs().next().and_then(|t| t.buffer_dir(Buffer::SmbShare, true)), Some(&b"\\h\\C$"[..]));
}
