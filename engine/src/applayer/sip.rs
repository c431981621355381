//! SIP (RFC 3261) over UDP and TCP: the start line of each message, for the
//! `sip.*` sticky buffers and the `sip` EVE object.
//!
//! As in Suricata 7, every message is a transaction of its own: a request
//! (inspected to server) or a response (to client), numbered in arrival
//! order. Over UDP a datagram is one message; over TCP messages are framed
//! by their header block and `Content-Length`, and at most
//! [`MAX_TCP_MESSAGE`] bytes are buffered per direction.
//!
//! ```
//! use mirador_engine::applayer::sip::SipState;
//! use mirador_engine::rules::ast::Buffer;
//!
//! let mut sip = SipState::default();
//! sip.parse(true, b"INVITE sip:bob@example.com SIP/2.0\r\nCSeq: 1 INVITE\r\n\r\n", false);
//! let tx = sip.txs().next().unwrap();
//! assert_eq!(tx.buffer_dir(Buffer::SipMethod, true), Some(&b"INVITE"[..]));
//! ```

use std::collections::VecDeque;

use crate::rules::ast::Buffer;

/// Most live transactions per flow; the oldest are dropped beyond it.
pub const MAX_TXS: usize = 256;

/// Most bytes of an incomplete TCP message held per direction.
pub const MAX_TCP_MESSAGE: usize = 65536;

/// Request methods that start a SIP message (RFC 3261 and its extensions).
const METHODS: &[&[u8]] = &[
    b"INVITE",
    b"ACK",
    b"BYE",
    b"CANCEL",
    b"REGISTER",
    b"OPTIONS",
    b"SUBSCRIBE",
    b"NOTIFY",
    b"MESSAGE",
    b"INFO",
    b"PRACK",
    b"UPDATE",
    b"REFER",
    b"PUBLISH",
];

/// The start line of one message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StartLine {
    /// `METHOD URI SIP/2.0`.
    Request {
        /// Method.
        method: Vec<u8>,
        /// Request URI.
        uri: Vec<u8>,
        /// Protocol version (`SIP/2.0`).
        version: Vec<u8>,
    },
    /// `SIP/2.0 CODE REASON`.
    Response {
        /// Protocol version.
        version: Vec<u8>,
        /// Status code, three digits.
        code: Vec<u8>,
        /// Reason phrase, as sent (it may be empty or end in spaces).
        reason: Vec<u8>,
    },
}

/// One transaction: one message.
#[derive(Clone, Debug)]
pub struct SipTx {
    /// Transaction id (EVE `tx_id`).
    pub id: u64,
    /// The start line, parsed.
    pub start: StartLine,
    /// The start line as sent, without its CRLF.
    pub line: Vec<u8>,
}

impl SipTx {
    /// True for a request.
    pub fn is_request(&self) -> bool {
        matches!(self.start, StartLine::Request { .. })
    }

    /// Buffer `b` of this message, whatever the direction.
    pub fn buffer(&self, b: Buffer) -> Option<&[u8]> {
        match (&self.start, b) {
            (StartLine::Request { method, .. }, Buffer::SipMethod) => Some(method),
            (StartLine::Request { uri, .. }, Buffer::SipUri) => Some(uri),
            (StartLine::Request { .. }, Buffer::SipRequestLine) => Some(&self.line),
            (StartLine::Request { version, .. } | StartLine::Response { version, .. }, Buffer::SipProtocol) => {
                Some(version)
            }
            (StartLine::Response { code, .. }, Buffer::SipStatCode) => Some(code),
            (StartLine::Response { reason, .. }, Buffer::SipStatMsg) => Some(reason),
            (StartLine::Response { .. }, Buffer::SipResponseLine) => Some(&self.line),
            _ => None,
        }
    }

    /// Buffer `b` when this message travels in the `to_server` direction:
    /// requests to the server, responses to the client.
    pub fn buffer_dir(&self, b: Buffer, to_server: bool) -> Option<&[u8]> {
        (self.is_request() == to_server).then(|| self.buffer(b)).flatten()
    }

    /// The `sip` EVE object, with Suricata 7's field names.
    pub fn eve(&self) -> serde_json::Value {
        let s = |v: &[u8]| serde_json::Value::String(String::from_utf8_lossy(v).into_owned());
        let mut o = serde_json::Map::new();
        match &self.start {
            StartLine::Request { method, uri, version } => {
                o.insert("method".into(), s(method));
                o.insert("uri".into(), s(uri));
                o.insert("version".into(), s(version));
                o.insert("request_line".into(), s(&self.line));
            }
            StartLine::Response { version, code, reason } => {
                o.insert("version".into(), s(version));
                o.insert("code".into(), s(code));
                o.insert("reason".into(), s(reason));
                o.insert("response_line".into(), s(&self.line));
            }
        }
        serde_json::Value::Object(o)
    }
}

/// True when `p` starts like a SIP message: a known method followed by a
/// space, or the `SIP/2.0 ` status line prefix.
pub fn looks_like_sip(p: &[u8]) -> bool {
    if p.starts_with(b"SIP/2.0 ") {
        return true;
    }
    METHODS.iter().any(|m| p.starts_with(m) && p.get(m.len()) == Some(&b' '))
        && first_line(p).is_some_and(|l| l.ends_with(b" SIP/2.0"))
}

fn first_line(p: &[u8]) -> Option<&[u8]> {
    let end = p.windows(2).position(|w| w == b"\r\n")?;
    Some(&p[..end])
}

/// Parses a start line; None when it is not SIP.
fn parse_start(line: &[u8]) -> Option<StartLine> {
    let mut parts = line.splitn(3, |&c| c == b' ');
    let (a, b, c) = (parts.next()?, parts.next()?, parts.next()?);
    if a.starts_with(b"SIP/") {
        if b.len() != 3 || !b.iter().all(u8::is_ascii_digit) {
            return None;
        }
        return Some(StartLine::Response { version: a.to_vec(), code: b.to_vec(), reason: c.to_vec() });
    }
    let token =
        |t: &[u8]| !t.is_empty() && t.iter().all(|&ch| ch.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&ch));
    if !token(a) || b.is_empty() || !c.starts_with(b"SIP/") {
        return None;
    }
    Some(StartLine::Request { method: a.to_vec(), uri: b.to_vec(), version: c.to_vec() })
}

/// Length of the whole message at the start of `p` (headers, blank line,
/// `Content-Length` bytes of body), or None while it is incomplete.
fn message_len(p: &[u8]) -> Option<usize> {
    let head = p.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let body = p[..head]
        .split(|&c| c == b'\n')
        .filter_map(|l| {
            let (name, value) = l.split_at(l.iter().position(|&c| c == b':')?);
            let name = name.trim_ascii();
            (name.eq_ignore_ascii_case(b"content-length") || name.eq_ignore_ascii_case(b"l"))
                .then(|| std::str::from_utf8(value[1..].trim_ascii()).ok()?.parse::<usize>().ok())
                .flatten()
        })
        .next()
        .unwrap_or(0);
    let total = head.checked_add(body)?;
    (p.len() >= total).then_some(total)
}

/// Per-flow SIP state.
#[derive(Debug, Default)]
pub struct SipState {
    txs: VecDeque<SipTx>,
    next_id: u64,
    /// Incomplete TCP data per direction (to server, to client).
    pending: [Vec<u8>; 2],
    /// Messages that did not parse.
    invalid: u64,
}

impl SipState {
    /// Feeds one datagram (`tcp` false) or stream data of one direction.
    pub fn parse(&mut self, to_server: bool, data: &[u8], tcp: bool) {
        if !tcp {
            self.message(data);
            return;
        }
        let side = usize::from(!to_server);
        let mut buf = std::mem::take(&mut self.pending[side]);
        buf.extend_from_slice(data);
        let mut at = 0;
        while let Some(len) = message_len(&buf[at..]) {
            self.message(&buf[at..at + len]);
            at += len;
        }
        buf.drain(..at);
        if buf.len() > MAX_TCP_MESSAGE {
            self.invalid += 1;
            buf.clear();
        }
        self.pending[side] = buf;
    }

    fn message(&mut self, data: &[u8]) {
        let Some(line) = first_line(data) else {
            self.invalid += 1;
            return;
        };
        let Some(start) = parse_start(line) else {
            self.invalid += 1;
            return;
        };
        if self.txs.len() >= MAX_TXS {
            self.txs.pop_front();
        }
        self.txs.push_back(SipTx { id: self.next_id, start, line: line.to_vec() });
        self.next_id += 1;
    }

    /// A hole in one direction: its partial message is dropped.
    pub fn gap(&mut self, to_server: bool) {
        self.pending[usize::from(!to_server)].clear();
    }

    /// Live transactions in id order.
    pub fn txs(&self) -> impl Iterator<Item = &SipTx> {
        self.txs.iter()
    }

    /// Transaction `id`, if live.
    pub fn tx(&self, id: u64) -> Option<&SipTx> {
        self.txs.iter().find(|t| t.id == id)
    }

    /// The id the next transaction will get.
    pub fn next_tx_id(&self) -> u64 {
        self.next_id
    }

    /// Messages that were not SIP.
    pub fn invalid(&self) -> u64 {
        self.invalid
    }

    /// Drops transactions with ids below `keep_from`.
    pub fn remove_done(&mut self, keep_from: u64) {
        while self.txs.front().is_some_and(|t| t.id < keep_from) {
            self.txs.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REGISTER: &[u8] =
        b"REGISTER sip:sip.example.dk SIP/2.0\r\nVia: SIP/2.0/UDP 192.168.1.2\r\nContent-Length: 0\r\n\r\n";
    const TRYING: &[u8] = b"SIP/2.0 100 trying \r\nContent-Length: 0\r\n\r\n";

    #[test]
    fn request_and_response_buffers() {
        let mut s = SipState::default();
        s.parse(true, REGISTER, false);
        s.parse(false, TRYING, false);
        let v: Vec<_> = s.txs().collect();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].buffer_dir(Buffer::SipMethod, true), Some(&b"REGISTER"[..]));
        assert_eq!(v[0].buffer_dir(Buffer::SipUri, true), Some(&b"sip:sip.example.dk"[..]));
        assert_eq!(v[0].buffer_dir(Buffer::SipRequestLine, true), Some(&b"REGISTER sip:sip.example.dk SIP/2.0"[..]));
        assert_eq!(v[0].buffer_dir(Buffer::SipProtocol, false), None);
        assert_eq!(v[1].buffer_dir(Buffer::SipStatCode, false), Some(&b"100"[..]));
        assert_eq!(v[1].buffer_dir(Buffer::SipStatMsg, false), Some(&b"trying "[..]));
        assert_eq!(v[1].buffer_dir(Buffer::SipProtocol, false), Some(&b"SIP/2.0"[..]));
        assert_eq!(v[1].eve()["code"], "100");
        assert_eq!(v[0].eve()["method"], "REGISTER");
    }

    #[test]
    fn tcp_framing_and_junk() {
        let mut s = SipState::default();
        let mut two = REGISTER.to_vec();
        two.extend_from_slice(b"OPTIONS sip:x SIP/2.0\r\nContent-Length: 3\r\n\r\nabc");
        let (a, b) = two.split_at(50);
        s.parse(true, a, true);
        assert_eq!(s.txs().count(), 0);
        s.parse(true, b, true);
        assert_eq!(s.txs().map(|t| t.id).collect::<Vec<_>>(), vec![0, 1]);
        s.parse(true, b"hello\r\n", false);
        assert_eq!(s.invalid(), 1);
        assert!(looks_like_sip(REGISTER) && looks_like_sip(TRYING) && !looks_like_sip(b"GET / HTTP/1.1\r\n"));
    }
}
