//! DCERPC (DCE 1.1 connection-oriented RPC, as Microsoft RPC uses it) over
//! TCP: PDU framing in both directions, BIND / ALTER_CONTEXT negotiation,
//! REQUEST and RESPONSE stub data, for `dcerpc.stub_data`, `dcerpc.iface`,
//! `dcerpc.opnum`, the `dce` byte order of the byte keywords and the
//! `dcerpc` EVE record.
//!
//! Transactions follow calls, as in Suricata 7: a REQUEST (all its
//! fragments) and the RESPONSE with the same `call_id` are one transaction;
//! a BIND (or ALTER_CONTEXT) and its acknowledgement are another. A call id
//! is reused freely by clients (a BIND and the first REQUEST often share
//! it), so a PDU joins the newest transaction of its kind with that call id
//! whose side is still open, else starts a new one.
//!
//! Interfaces: BIND and ALTER_CONTEXT offer presentation contexts (a context
//! id naming an interface UUID and version); the server's acknowledgement
//! accepts or rejects each, in order. A REQUEST names its interface only by
//! context id, so `dcerpc.iface` looks the id up among the accepted
//! contexts.
//!
//! Stub data is what Suricata 7.0.10 inspects as `dcerpc.stub_data`
//! (checked on crafted captures): a REQUEST's body after its 8 fixed bytes,
//! the object UUID (flag 0x80) and any authentication trailer included;
//! a RESPONSE's body after the common header, its own 8 fixed bytes
//! (allocation hint, context id, cancel count) included. Rules written for
//! Suricata count offsets in that buffer, so it is kept as is.
//!
//! ```
//! use mirador_engine::applayer::dcerpc::DcerpcState;
//! use mirador_engine::rules::ast::Buffer;
//!
//! // A little-endian REQUEST, call 1, opnum 4, stub "abcd".
//! let pdu = [
//!     5, 0, 0, 3, 0x10, 0, 0, 0, 28, 0, 0, 0, 1, 0, 0, 0, // header
//!     4, 0, 0, 0, 0, 0, 4, 0, // alloc hint, context 0, opnum 4
//!     b'a', b'b', b'c', b'd',
//! ];
//! let mut s = DcerpcState::default();
//! s.parse(true, &pdu);
//! let tx = s.txs().next().unwrap();
//! assert_eq!(tx.opnum(), Some(4));
//! assert_eq!(tx.stub(true), Some(&b"abcd"[..]));
//! ```

use std::collections::VecDeque;

use crate::rules::ast::{DceIface, DceVersionOp};

/// Most live transactions per flow; the oldest are dropped beyond it.
pub const MAX_TXS: usize = 256;

/// Most stub bytes kept per side of a call; the size is still counted past
/// it (a fragmented call may announce gigabytes).
pub const MAX_STUB: usize = 1 << 20;

/// Most presentation contexts remembered per flow (a BIND carries at most
/// 255; ALTER_CONTEXT adds to them).
const MAX_CONTEXTS: usize = 1024;

/// The common header every connection-oriented PDU starts with.
const HEADER_LEN: usize = 16;

/// PDU types (`ptype`) this parser reads or names.
pub mod ptype {
    /// REQUEST: a call from the client.
    pub const REQUEST: u8 = 0;
    /// RESPONSE: the result of a call.
    pub const RESPONSE: u8 = 2;
    /// FAULT: a call failed.
    pub const FAULT: u8 = 3;
    /// BIND: the client offers presentation contexts.
    pub const BIND: u8 = 11;
    /// BIND_ACK: the server accepts or rejects each context.
    pub const BIND_ACK: u8 = 12;
    /// BIND_NAK: the server refuses the association.
    pub const BIND_NAK: u8 = 13;
    /// ALTER_CONTEXT: more contexts on an existing association.
    pub const ALTER_CONTEXT: u8 = 14;
    /// ALTER_CONTEXT_RESP: their results.
    pub const ALTER_CONTEXT_RESP: u8 = 15;
}

/// `pfc_flags`: first fragment of a call's PDUs.
const PFC_FIRST_FRAG: u8 = 0x01;
/// `pfc_flags`: last fragment.
const PFC_LAST_FRAG: u8 = 0x02;
/// `pfc_flags`: a REQUEST carries an object UUID before its stub.
const PFC_OBJECT_UUID: u8 = 0x80;

/// The common header, integers already in host order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Header {
    version: u8,
    minor: u8,
    ptype: u8,
    flags: u8,
    /// Integers of the PDU are little-endian (`drep[0]` bit 4).
    little: bool,
    frag_len: u16,
    call_id: u32,
}

/// A reader of NDR integers in the PDU's byte order.
struct Rd<'a> {
    p: &'a [u8],
    little: bool,
}

impl Rd<'_> {
    fn u16(&self, at: usize) -> Option<u16> {
        let b: [u8; 2] = self.p.get(at..at + 2)?.try_into().ok()?;
        Some(if self.little { u16::from_le_bytes(b) } else { u16::from_be_bytes(b) })
    }

    fn u32(&self, at: usize) -> Option<u32> {
        let b: [u8; 4] = self.p.get(at..at + 4)?.try_into().ok()?;
        Some(if self.little { u32::from_le_bytes(b) } else { u32::from_be_bytes(b) })
    }

    /// A UUID as sent (its first three fields in the PDU's byte order),
    /// returned in the canonical (big-endian, as printed) byte order.
    fn uuid(&self, at: usize) -> Option<[u8; 16]> {
        let raw: [u8; 16] = self.p.get(at..at + 16)?.try_into().ok()?;
        let mut u = raw;
        if self.little {
            u[0..4].reverse();
            u[4..6].reverse();
            u[6..8].reverse();
        }
        Some(u)
    }
}

fn parse_header(p: &[u8]) -> Option<Header> {
    if p.len() < HEADER_LEN {
        return None;
    }
    let little = p[4] & 0x10 != 0;
    let rd = Rd { p, little };
    Some(Header {
        version: p[0],
        minor: p[1],
        ptype: p[2],
        flags: p[3],
        little,
        frag_len: rd.u16(8)?,
        call_id: rd.u32(12)?,
    })
}

/// A header the framing can trust: version 5.0 or 5.1 and a fragment at
/// least as long as the header.
fn plausible(h: &Header) -> bool {
    h.version == 5 && h.minor <= 1 && usize::from(h.frag_len) >= HEADER_LEN
}

/// Formats a canonical UUID as `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
pub fn uuid_string(u: &[u8; 16]) -> String {
    let mut s = String::with_capacity(36);
    for (i, b) in u.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            s.push('-');
        }
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// The name Suricata's `dcerpc` record gives a PDU type.
fn ptype_name(t: u8) -> &'static str {
    match t {
        0 => "REQUEST",
        1 => "PING",
        2 => "RESPONSE",
        3 => "FAULT",
        4 => "WORKING",
        5 => "NOCALL",
        6 => "REJECT",
        7 => "ACK",
        8 => "CL_CANCEL",
        9 => "FACK",
        10 => "CANCEL_ACK",
        11 => "BIND",
        12 => "BINDACK",
        13 => "BINDNAK",
        14 => "ALTER_CONTEXT",
        15 => "ALTER_CONTEXT_RESP",
        16 => "AUTH3",
        17 => "SHUTDOWN",
        18 => "CO_CANCEL",
        19 => "ORPHANED",
        20 => "RTS",
        _ => "UNKNOWN",
    }
}

/// One presentation context a BIND or ALTER_CONTEXT offered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Context {
    /// Context id, which REQUESTs name.
    pub ctx_id: u16,
    /// Abstract syntax (the interface), canonical byte order.
    pub uuid: [u8; 16],
    /// Interface major version.
    pub major: u16,
    /// Interface minor version.
    pub minor: u16,
    /// The server's result once acknowledged: 0 acceptance, 1 user
    /// rejection, 2 provider rejection, 3 negotiate ack.
    pub ack_result: Option<u16>,
}

/// One direction of a call.
#[derive(Clone, Debug, Default)]
pub struct Side {
    /// Type of the first PDU seen on this side.
    pub ptype: Option<u8>,
    /// Stub data of the fragments so far (at most [`MAX_STUB`] bytes).
    pub stub: Vec<u8>,
    /// Stub bytes seen, kept or not.
    pub stub_size: u64,
    /// PDUs (fragments) seen.
    pub frag_cnt: u32,
    /// The last fragment was seen.
    pub done: bool,
    /// The PDUs are little-endian (the drep of the latest one).
    pub little: bool,
}

impl Side {
    fn add_stub(&mut self, stub: &[u8]) {
        self.stub_size += stub.len() as u64;
        let room = MAX_STUB.saturating_sub(self.stub.len());
        self.stub.extend_from_slice(&stub[..stub.len().min(room)]);
    }
}

/// One call (or one context negotiation).
#[derive(Clone, Debug)]
pub struct DceTx {
    /// Transaction id (EVE `tx_id`).
    pub id: u64,
    /// Call id the PDUs carry.
    pub call_id: u32,
    /// Protocol version of the first PDU (`5.0`).
    pub rpc_version: (u8, u8),
    /// The client's side (REQUEST, BIND...).
    pub req: Side,
    /// The server's side (RESPONSE, BIND_ACK...).
    pub res: Side,
    /// A REQUEST's context id.
    pub ctx_id: u16,
    opnum: Option<u16>,
    /// A REQUEST's object UUID (canonical order), when it has one (it is
    /// also the start of the stub data).
    pub object: Option<[u8; 16]>,
    /// The latest REQUEST fragment had the first-fragment flag (what
    /// `dcerpc.iface` without `any_frag` requires).
    first_frag: bool,
    /// A BIND's or ALTER_CONTEXT's contexts, with their results.
    pub contexts: Vec<Context>,
}

impl DceTx {
    fn new(id: u64, h: &Header) -> Self {
        DceTx {
            id,
            call_id: h.call_id,
            rpc_version: (h.version, h.minor),
            req: Side::default(),
            res: Side::default(),
            ctx_id: 0,
            opnum: None,
            object: None,
            first_frag: false,
            contexts: Vec::new(),
        }
    }

    /// The operation number of a call (None for context negotiations and
    /// calls whose REQUEST was not seen).
    pub fn opnum(&self) -> Option<u16> {
        self.opnum
    }

    /// True for a call (REQUEST / RESPONSE) rather than a negotiation.
    fn is_call(&self) -> bool {
        matches!(self.req.ptype, None | Some(ptype::REQUEST))
            && matches!(self.res.ptype, None | Some(ptype::RESPONSE | ptype::FAULT))
    }

    fn is_negotiation(&self) -> bool {
        matches!(self.req.ptype, Some(ptype::BIND | ptype::ALTER_CONTEXT))
    }

    /// Both sides are finished.
    pub fn is_complete(&self) -> bool {
        self.req.done && self.res.done
    }

    /// The stub data of the `to_server` side: a REQUEST's to the server, a
    /// RESPONSE's to the client. None when that side has none.
    pub fn stub(&self, to_server: bool) -> Option<&[u8]> {
        let (side, want) = if to_server { (&self.req, ptype::REQUEST) } else { (&self.res, ptype::RESPONSE) };
        (side.ptype == Some(want) && !side.stub.is_empty()).then_some(side.stub.as_slice())
    }

    /// Byte order of the `to_server` side's PDUs, for the `dce` option of
    /// the byte keywords (None before that side spoke).
    pub fn little_endian(&self, to_server: bool) -> Option<bool> {
        let side = if to_server { &self.req } else { &self.res };
        side.ptype.map(|_| side.little)
    }

    /// `dcerpc.opnum`: the call's operation number is in one of `ranges`.
    pub fn opnum_in(&self, ranges: &[(u32, u32)]) -> bool {
        self.opnum.is_some_and(|op| ranges.iter().any(|&(lo, hi)| (lo..=hi).contains(&u32::from(op))))
    }

    /// The `dcerpc` EVE object, with Suricata 7's field names.
    pub fn eve(&self) -> serde_json::Value {
        let mut o = serde_json::Map::new();
        let req_name = self.req.ptype.map_or("REQUEST_LOST", ptype_name);
        o.insert("request".into(), req_name.into());
        if self.is_negotiation() {
            let list: Vec<serde_json::Value> = self
                .contexts
                .iter()
                .map(|c| {
                    let mut i = serde_json::Map::new();
                    i.insert("uuid".into(), uuid_string(&c.uuid).into());
                    i.insert("version".into(), format!("{}.{}", c.major, c.minor).into());
                    if let Some(r) = c.ack_result {
                        i.insert("ack_result".into(), r.into());
                    }
                    serde_json::Value::Object(i)
                })
                .collect();
            o.insert("interfaces".into(), list.into());
        } else if self.req.ptype == Some(ptype::REQUEST) {
            o.insert(
                "req".into(),
                serde_json::json!({
                    "opnum": self.opnum.unwrap_or(0),
                    "frag_cnt": self.req.frag_cnt,
                    "stub_data_size": self.req.stub_size,
                }),
            );
        }
        o.insert("response".into(), self.res.ptype.map_or("UNREPLIED", ptype_name).into());
        if self.res.ptype == Some(ptype::RESPONSE) {
            o.insert(
                "res".into(),
                serde_json::json!({ "frag_cnt": self.res.frag_cnt, "stub_data_size": self.res.stub_size }),
            );
        }
        o.insert("call_id".into(), self.call_id.into());
        o.insert("rpc_version".into(), format!("{}.{}", self.rpc_version.0, self.rpc_version.1).into());
        serde_json::Value::Object(o)
    }
}

/// Per-flow DCERPC state.
#[derive(Debug, Default)]
pub struct DcerpcState {
    txs: VecDeque<DceTx>,
    next_id: u64,
    /// Bytes of an incomplete PDU per direction (to server, to client); at
    /// most one fragment (`frag_len` is 16 bits).
    pending: [Vec<u8>; 2],
    /// The association's presentation contexts, newest negotiation last.
    contexts: Vec<Context>,
    /// PDUs that could not be framed or read.
    invalid: u64,
}

impl DcerpcState {
    /// Feeds stream data of one direction.
    pub fn parse(&mut self, to_server: bool, data: &[u8]) {
        let side = usize::from(!to_server);
        let mut buf = std::mem::take(&mut self.pending[side]);
        let owned = !buf.is_empty();
        if owned {
            buf.extend_from_slice(data);
        }
        let input: &[u8] = if owned { &buf } else { data };
        let mut at = 0;
        while let Some(h) = parse_header(&input[at..]) {
            if !plausible(&h) {
                // Lost framing: nothing later in this data can be trusted
                // to start a PDU.
                self.invalid += 1;
                at = input.len();
                break;
            }
            let len = usize::from(h.frag_len);
            if input.len() - at < len {
                break;
            }
            self.pdu(to_server, &h, &input[at..at + len]);
            at += len;
        }
        let rest = input[at..].to_vec();
        self.pending[side] = rest;
    }

    /// A hole in one direction: its partial PDU is dropped.
    pub fn gap(&mut self, to_server: bool) {
        self.pending[usize::from(!to_server)].clear();
    }

    fn pdu(&mut self, to_server: bool, h: &Header, pdu: &[u8]) {
        let ok = match (to_server, h.ptype) {
            (true, ptype::REQUEST) => self.request(h, pdu),
            (true, ptype::BIND | ptype::ALTER_CONTEXT) => self.bind(h, pdu),
            (false, ptype::RESPONSE | ptype::FAULT) => self.response(h, pdu),
            (false, ptype::BIND_ACK | ptype::ALTER_CONTEXT_RESP) => self.bind_ack(h, pdu),
            (false, ptype::BIND_NAK) => {
                if let Some(tx) = self.find(h.call_id, false, DceTx::is_negotiation) {
                    tx.res.ptype = Some(h.ptype);
                    tx.res.done = true;
                }
                true
            }
            // AUTH3, SHUTDOWN, CO_CANCEL, ORPHANED: no call data.
            _ => true,
        };
        if !ok {
            self.invalid += 1;
        }
    }

    fn request(&mut self, h: &Header, pdu: &[u8]) -> bool {
        let rd = Rd { p: pdu, little: h.little };
        let (Some(ctx_id), Some(opnum)) = (rd.u16(20), rd.u16(22)) else { return false };
        let object = if h.flags & PFC_OBJECT_UUID != 0 { rd.uuid(24) } else { None };
        let tx = self.find_or_new(h, true, DceTx::is_call);
        tx.req.ptype = Some(ptype::REQUEST);
        tx.req.little = h.little;
        tx.req.frag_cnt += 1;
        // Object UUID and authentication trailer stay in, as in Suricata.
        tx.req.add_stub(&pdu[24..]);
        tx.req.done |= h.flags & PFC_LAST_FRAG != 0;
        tx.first_frag = h.flags & PFC_FIRST_FRAG != 0;
        tx.ctx_id = ctx_id;
        tx.opnum = Some(opnum);
        if object.is_some() {
            tx.object = object;
        }
        true
    }

    fn response(&mut self, h: &Header, pdu: &[u8]) -> bool {
        if h.ptype == ptype::RESPONSE && pdu.len() < 24 {
            return false;
        }
        let tx = self.find_or_new(h, false, DceTx::is_call);
        tx.res.ptype = Some(h.ptype);
        tx.res.little = h.little;
        tx.res.frag_cnt += 1;
        if h.ptype == ptype::RESPONSE {
            // The response's fixed fields are part of the stub, as in
            // Suricata.
            tx.res.add_stub(&pdu[HEADER_LEN..]);
            tx.res.done |= h.flags & PFC_LAST_FRAG != 0;
        } else {
            // A FAULT ends the call.
            tx.res.done = true;
        }
        // The server answering means the request is over, seen whole or not.
        if tx.res.done {
            tx.req.done = true;
        }
        true
    }

    fn bind(&mut self, h: &Header, pdu: &[u8]) -> bool {
        let rd = Rd { p: pdu, little: h.little };
        let Some(&n) = pdu.get(24) else { return false };
        let mut at = 28;
        let mut offered = Vec::with_capacity(usize::from(n));
        for _ in 0..n {
            // p_cont_elem_t: context id, transfer syntax count, the
            // abstract syntax (UUID + version) and 20 bytes per transfer
            // syntax.
            let (Some(ctx_id), Some(&n_ts), Some(uuid), Some(major), Some(minor)) =
                (rd.u16(at), pdu.get(at + 2), rd.uuid(at + 4), rd.u16(at + 20), rd.u16(at + 22))
            else {
                break;
            };
            offered.push(Context { ctx_id, uuid, major, minor, ack_result: None });
            at += 24 + 20 * usize::from(n_ts);
        }
        let complete = offered.len() == usize::from(n);
        if h.ptype == ptype::BIND {
            // A BIND starts a new association.
            self.contexts.clear();
        }
        for c in &offered {
            if self.contexts.len() >= MAX_CONTEXTS {
                break;
            }
            self.contexts.push(c.clone());
        }
        let tx = self.new_tx(h);
        tx.req.ptype = Some(h.ptype);
        tx.req.little = h.little;
        tx.req.frag_cnt = 1;
        tx.req.done = true;
        tx.contexts = offered;
        complete
    }

    fn bind_ack(&mut self, h: &Header, pdu: &[u8]) -> bool {
        let rd = Rd { p: pdu, little: h.little };
        // The secondary address (a counted string) sits between the fixed
        // fields and the result list, which starts 4-aligned.
        let Some(addr_len) = rd.u16(24) else { return false };
        let mut at = 26 + usize::from(addr_len);
        at = at.next_multiple_of(4);
        let Some(&n) = pdu.get(at) else { return false };
        at += 4;
        let results: Vec<u16> = (0..usize::from(n)).map_while(|i| rd.u16(at + 24 * i)).collect();
        let complete = results.len() == usize::from(n);
        let Some(tx) = self.find(h.call_id, false, DceTx::is_negotiation) else { return complete };
        tx.res.ptype = Some(h.ptype);
        tx.res.little = h.little;
        tx.res.frag_cnt = 1;
        tx.res.done = true;
        let mut accepted = Vec::new();
        for (c, &r) in tx.contexts.iter_mut().zip(&results) {
            c.ack_result = Some(r);
            accepted.push((c.ctx_id, r));
        }
        // The association's table: the newest offer of each id gets the
        // result.
        for (ctx_id, r) in accepted {
            if let Some(c) = self.contexts.iter_mut().rev().find(|c| c.ctx_id == ctx_id && c.ack_result.is_none()) {
                c.ack_result = Some(r);
            }
        }
        complete
    }

    /// The newest transaction with `call_id`, of the kind `kind` accepts,
    /// whose side (`to_server`: the client's) is still open.
    fn find(&mut self, call_id: u32, to_server: bool, kind: fn(&DceTx) -> bool) -> Option<&mut DceTx> {
        self.txs.iter_mut().rev().find(|t| {
            let side = if to_server { &t.req } else { &t.res };
            t.call_id == call_id && !side.done && kind(t)
        })
    }

    fn find_or_new(&mut self, h: &Header, to_server: bool, kind: fn(&DceTx) -> bool) -> &mut DceTx {
        let found = self.txs.iter().rposition(|t| {
            let side = if to_server { &t.req } else { &t.res };
            t.call_id == h.call_id && !side.done && kind(t)
        });
        match found {
            Some(i) => &mut self.txs[i],
            None => self.new_tx(h),
        }
    }

    fn new_tx(&mut self, h: &Header) -> &mut DceTx {
        if self.txs.len() >= MAX_TXS {
            self.txs.pop_front();
        }
        self.txs.push_back(DceTx::new(self.next_id, h));
        self.next_id += 1;
        self.txs.back_mut().expect("just pushed")
    }

    /// `dcerpc.iface` on transaction `tx`: the call's context was accepted
    /// for interface `m.uuid`, with a major version `m.version` allows.
    /// Without `any_frag` only a call whose latest REQUEST fragment is its
    /// first matches (Suricata's default: the interface is checked on the
    /// first fragment).
    pub fn iface_matches(&self, tx: &DceTx, m: &DceIface) -> bool {
        if tx.req.ptype != Some(ptype::REQUEST) || (!m.any_frag && !tx.first_frag) {
            return false;
        }
        self.contexts.iter().any(|c| {
            c.ctx_id == tx.ctx_id
                && c.ack_result == Some(0)
                && c.uuid == m.uuid
                && m.version.is_none_or(|(op, v)| match op {
                    DceVersionOp::Lt => c.major < v,
                    DceVersionOp::Gt => c.major > v,
                    DceVersionOp::Eq => c.major == v,
                    DceVersionOp::Ne => c.major != v,
                })
        })
    }

    /// Live transactions in id order.
    pub fn txs(&self) -> impl Iterator<Item = &DceTx> {
        self.txs.iter()
    }

    /// Transaction `id`, if live.
    pub fn tx(&self, id: u64) -> Option<&DceTx> {
        self.txs.iter().find(|t| t.id == id)
    }

    /// The id the next transaction will get.
    pub fn next_tx_id(&self) -> u64 {
        self.next_id
    }

    /// PDUs that could not be framed or read.
    pub fn invalid(&self) -> u64 {
        self.invalid
    }

    /// Drops complete transactions with ids below `keep_from` (and any
    /// below it once the table is full).
    pub fn remove_done(&mut self, keep_from: u64) {
        while self.txs.front().is_some_and(|t| t.id < keep_from && t.is_complete()) {
            self.txs.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PDU: header with `drep` little or big endian, then `body`.
    fn pdu(ptype: u8, flags: u8, little: bool, call_id: u32, body: &[u8]) -> Vec<u8> {
        let len = (HEADER_LEN + body.len()) as u16;
        let mut p = vec![5, 0, ptype, flags, if little { 0x10 } else { 0 }, 0, 0, 0];
        let put16 = |p: &mut Vec<u8>, v: u16| p.extend(if little { v.to_le_bytes() } else { v.to_be_bytes() });
        put16(&mut p, len);
        put16(&mut p, 0);
        p.extend(if little { call_id.to_le_bytes() } else { call_id.to_be_bytes() });
        p.extend_from_slice(body);
        p
    }

    fn request_body(little: bool, ctx: u16, opnum: u16, stub: &[u8]) -> Vec<u8> {
        let mut b = Vec::new();
        let e16 = |v: u16| if little { v.to_le_bytes() } else { v.to_be_bytes() };
        b.extend(if little { (stub.len() as u32).to_le_bytes() } else { (stub.len() as u32).to_be_bytes() });
        b.extend(e16(ctx));
        b.extend(e16(opnum));
        b.extend_from_slice(stub);
        b
    }

    const IFACE: [u8; 16] =
        [0x12, 0x34, 0x56, 0x78, 0x12, 0x34, 0xab, 0xcd, 0xef, 0x00, 0x01, 0x23, 0x45, 0x67, 0xcf, 0xfb];

    /// A little-endian BIND offering IFACE v1.0 as contexts 0 and 1.
    fn bind() -> Vec<u8> {
        let mut b = vec![0xd0, 0x16, 0xd0, 0x16, 0, 0, 0, 0, 2, 0, 0, 0];
        for ctx in 0u16..2 {
            b.extend(ctx.to_le_bytes());
            b.extend([1, 0]);
            let mut u = IFACE;
            u[0..4].reverse();
            u[4..6].reverse();
            u[6..8].reverse();
            b.extend(u);
            b.extend([1, 0, 0, 0]);
            b.extend([0u8; 20]);
        }
        pdu(ptype::BIND, 3, true, 2, &b)
    }

    /// Its BIND_ACK: context 0 rejected (2), context 1 accepted.
    fn bind_ack() -> Vec<u8> {
        let mut b = vec![0xd0, 0x16, 0xd0, 0x16, 0x34, 0x0f, 0, 0];
        b.extend([6, 0]);
        b.extend(b"49672\0");
        // 16 + 8 + 2 + 6 = 32: already aligned.
        b.extend([2, 0, 0, 0]);
        for r in [2u16, 0] {
            b.extend(r.to_le_bytes());
            b.extend([0u8; 22]);
        }
        pdu(ptype::BIND_ACK, 3, true, 2, &b)
    }

    #[test]
    fn pdu_split_across_segments_and_fragments() {
        let mut s = DcerpcState::default();
        let first = pdu(ptype::REQUEST, PFC_FIRST_FRAG, true, 7, &request_body(true, 0, 9, b"hello "));
        let last = pdu(ptype::REQUEST, PFC_LAST_FRAG, true, 7, &request_body(true, 0, 9, b"world"));
        let mut stream = first.clone();
        stream.extend_from_slice(&last);
        // One byte at a time, across the header and the body.
        for b in stream.chunks(1) {
            s.parse(true, b);
        }
        let txs: Vec<_> = s.txs().collect();
        assert_eq!(txs.len(), 1);
        assert_eq!(txs[0].stub(true), Some(&b"hello world"[..]));
        assert_eq!(txs[0].req.frag_cnt, 2);
        assert!(txs[0].req.done && !txs[0].res.done);
        assert_eq!(txs[0].opnum(), Some(9));
        // The response joins the call; its stub is the to-client buffer.
        let mut res = vec![5, 0, 0, 0, 0, 0, 0, 0];
        res.extend_from_slice(b"ok");
        let res = pdu(ptype::RESPONSE, 3, true, 7, &res);
        let (a, b) = res.split_at(20);
        s.parse(false, a);
        assert!(!s.txs().next().unwrap().is_complete());
        s.parse(false, b);
        let tx = s.txs().next().unwrap();
        assert!(tx.is_complete());
        assert_eq!(tx.stub(false), Some(&b"\x05\0\0\0\0\0\0\0ok"[..]));
        assert_eq!(tx.stub(true), Some(&b"hello world"[..]));
        let eve = tx.eve();
        assert_eq!(eve["request"], "REQUEST");
        assert_eq!(eve["req"]["stub_data_size"], 11);
        assert_eq!(eve["res"]["frag_cnt"], 1);
        assert_eq!(eve["res"]["stub_data_size"], 10);
        assert_eq!(eve["rpc_version"], "5.0");
        assert_eq!(s.invalid(), 0);
    }

    #[test]
    fn bind_then_request_maps_the_interface() {
        let mut s = DcerpcState::default();
        s.parse(true, &bind());
        let any = DceIface { uuid: IFACE, version: None, any_frag: false };
        s.parse(false, &bind_ack());
        let neg = s.tx(0).unwrap();
        assert!(neg.is_complete());
        assert_eq!(neg.eve()["interfaces"][0]["uuid"], "12345678-1234-abcd-ef00-01234567cffb");
        assert_eq!(neg.eve()["interfaces"][0]["ack_result"], 2);
        assert_eq!(neg.eve()["response"], "BINDACK");
        // Same call id as the BIND: a new transaction all the same.
        s.parse(true, &pdu(ptype::REQUEST, 3, true, 2, &request_body(true, 1, 15, b"x")));
        let call = s.tx(1).unwrap();
        assert!(!s.iface_matches(s.tx(0).unwrap(), &any), "a negotiation is not a call");
        assert!(s.iface_matches(call, &any));
        assert!(s.iface_matches(call, &DceIface { version: Some((DceVersionOp::Eq, 1)), ..any.clone() }));
        assert!(!s.iface_matches(call, &DceIface { version: Some((DceVersionOp::Gt, 1)), ..any.clone() }));
        assert!(s.iface_matches(call, &DceIface { version: Some((DceVersionOp::Lt, 2)), ..any.clone() }));
        assert!(call.opnum_in(&[(10, 20)]) && !call.opnum_in(&[(1, 1), (16, 30)]));
        // Context 0 was rejected: a call on it has no interface.
        s.parse(true, &pdu(ptype::REQUEST, 3, true, 3, &request_body(true, 0, 15, b"x")));
        assert!(!s.iface_matches(s.tx(2).unwrap(), &any));
        // A middle fragment matches only with any_frag.
        s.parse(true, &pdu(ptype::REQUEST, 0, true, 4, &request_body(true, 1, 15, b"x")));
        let mid = s.tx(3).unwrap();
        assert!(!s.iface_matches(mid, &any));
        assert!(s.iface_matches(mid, &DceIface { any_frag: true, ..any }));
    }

    /// Sids of `rules` that match the flow's transactions in one direction,
    /// run through detection as the pipeline does.
    fn detect(s: &DcerpcState, rules: &str, to_server: bool) -> Vec<u32> {
        use crate::detect::{FlowState, FlowView, Input, NoBuffers, Ruleset, Scratch, TxRef};
        let rs = Ruleset::from_text(rules).unwrap_or_else(|e| panic!("{e:?}"));
        let txs: Vec<_> = s.txs().map(|tx| super::super::state::TxView::dcerpc(tx, s, to_server)).collect::<Vec<_>>();
        let refs: Vec<TxRef<'_>> = txs.iter().map(|v| TxRef { id: v.id, bufs: v }).collect();
        let pkt = crate::detect::tests::packet(b"", 6, 49152, 135);
        let flow = FlowView {
            to_server,
            established: true,
            app_proto: Some(crate::rules::ast::AppProto::Dcerpc),
            ..FlowView::default()
        };
        let mut out = Vec::new();
        let input = Input { pkt: &pkt, flow, stream: None, txs: &refs, app: &NoBuffers };
        rs.inspect(&input, &mut FlowState::default(), &mut Scratch::default(), &mut out);
        out.iter().map(|m| rs.sig(m.sig).sid).collect()
    }

    /// `dce` reads in the byte order of the PDU's drep: big-endian here,
    /// little-endian in the same call sent little-endian.
    #[test]
    fn dce_byte_order_follows_drep() {
        let rules = r#"
alert tcp any any -> any any (dce_stub_data; content:"AB"; byte_test:2,=,0x0102,0,relative,dce; sid:1;)
alert tcp any any -> any any (dce_stub_data; content:"AB"; byte_test:2,=,0x0201,0,relative,dce; sid:2;)
alert tcp any any -> any any (dcerpc.stub_data; content:"AB"; byte_jump:2,0,relative,dce; content:"Z"; within:1; sid:3;)
"#;
        // After "AB": 01 02, then (jumping 0x0102 = 258 or 0x0201 = 513
        // bytes) a "Z".
        let stub_for = |jump: usize| {
            let mut st = b"AB".to_vec();
            st.resize(4 + jump, b'.');
            st.push(b'Z');
            st
        };
        let mut big = DcerpcState::default();
        big.parse(true, &pdu(ptype::REQUEST, 3, false, 1, &request_body(false, 0, 1, &stub_for(0x0102))));
        assert_eq!(detect(&big, rules, true), vec![1, 3]);
        let mut little = DcerpcState::default();
        little.parse(true, &pdu(ptype::REQUEST, 3, true, 1, &request_body(true, 0, 1, &stub_for(0x0201))));
        assert_eq!(detect(&little, rules, true), vec![2, 3]);
        // The request's stub is not a to-client buffer.
        assert!(detect(&big, rules, false).is_empty());
    }

    #[test]
    fn iface_and_opnum_rules_alert_in_both_directions() {
        let mut s = DcerpcState::default();
        s.parse(true, &bind());
        s.parse(false, &bind_ack());
        s.parse(true, &pdu(ptype::REQUEST, 3, true, 2, &request_body(true, 1, 15, b"x")));
        let rules = r#"
alert dcerpc any any -> any any (dcerpc.iface:12345678-1234-abcd-ef00-01234567cffb; sid:1;)
alert tcp any any -> any any (dce_iface:12345678-1234-abcd-ef00-01234567cffb,>1; sid:2;)
alert tcp any any -> any any (dce_opnum:1,10-20; sid:3;)
alert tcp any any -> any any (dcerpc.opnum:16-20; sid:4;)
"#;
        assert_eq!(detect(&s, rules, true), vec![1, 3]);
        assert_eq!(detect(&s, rules, false), vec![1, 3]);
    }

    /// Arbitrary bytes in arbitrary chunks, with gaps: no panic, and the
    /// state stays bounded.
    #[test]
    fn arbitrary_input_is_survived() {
        let mut x: u32 = 0x1234_5678;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x
        };
        for round in 0..200 {
            let mut s = DcerpcState::default();
            // Valid-looking headers now and then, so that bodies are read.
            for _ in 0..50 {
                let n = (next() % 300) as usize;
                let mut chunk: Vec<u8> = (0..n).map(|_| next() as u8).collect();
                if next() % 3 == 0 && chunk.len() >= 16 {
                    chunk[0] = 5;
                    chunk[1] = 0;
                    chunk[2] = [0, 2, 3, 11, 12, 13, 14, 15][(next() % 8) as usize];
                    chunk[8] = chunk.len() as u8;
                    chunk[9] = 0;
                    chunk[4] = 0x10;
                }
                let to_server = next() % 2 == 0;
                if round % 7 == 0 && next() % 11 == 0 {
                    s.gap(to_server);
                }
                s.parse(to_server, &chunk);
                for tx in s.txs() {
                    let _ = (tx.eve(), tx.stub(true), tx.stub(false));
                }
            }
            assert!(s.txs().count() <= MAX_TXS);
            assert!(s.pending.iter().all(|p| p.len() <= usize::from(u16::MAX)));
        }
    }

    #[test]
    fn big_endian_pdu() {
        let mut s = DcerpcState::default();
        s.parse(true, &pdu(ptype::REQUEST, 3, false, 0x01020304, &request_body(false, 0, 0x0102, b"\x00\x2e")));
        let tx = s.txs().next().unwrap();
        assert_eq!(tx.call_id, 0x01020304);
        assert_eq!(tx.opnum(), Some(0x0102));
        assert_eq!(tx.little_endian(true), Some(false));
        assert_eq!(tx.little_endian(false), None);
    }

    /// The object UUID and the authentication trailer are stub data for
    /// Suricata: kept.
    #[test]
    fn junk_object_uuid_and_auth_trailer() {
        let mut s = DcerpcState::default();
        s.parse(false, b"HTTP/1.1 200 OK\r\n\r\n");
        assert_eq!(s.invalid(), 1);
        assert_eq!(s.txs().count(), 0);
        // A request with an 8-byte trailer header and a 4-byte token.
        let mut object = IFACE;
        object[0..4].reverse();
        object[4..6].reverse();
        object[6..8].reverse();
        let mut stub = object.to_vec();
        stub.extend(b"stub");
        stub.extend([0u8; 8]);
        stub.extend(b"SIGN");
        let mut p = pdu(ptype::REQUEST, 3 | PFC_OBJECT_UUID, true, 1, &request_body(true, 0, 1, &stub));
        p[10] = 4;
        s.parse(true, &p);
        let tx = s.txs().next().unwrap();
        assert_eq!(tx.object, Some(IFACE));
        assert_eq!(tx.stub(true), Some(&stub[..]));
        assert_eq!(tx.eve()["req"]["stub_data_size"], 32);
    }
}
