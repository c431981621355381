//! DNS flow state: transactions, TCP framing, gaps.
//!
//! Transactions follow Suricata 7: every DNS message that decodes becomes
//! its own transaction, a request or a response, numbered from 0 in arrival
//! order across both directions. That numbering is what EVE's `tx_id` shows
//! (a query, its response, the next query: 0, 1, 2). A response is also
//! *paired* with the latest unanswered request of the same DNS id
//! ([`DnsTx::paired_tx`]), so callers that want the request of an answer
//! find it without a search.
//!
//! Over UDP each [`DnsState::parse`] call is one message. Over TCP the data
//! is a stream of 2-byte length-prefixed messages cut anywhere; partial
//! frames are buffered (at most one frame, [`MAX_TCP_FRAME`] bytes) and
//! [`Progress::buffered`] says how much is held. After [`DnsState::gap`] the
//! next data is probed and skipped until it looks like a message start.
//!
//! A message in the wrong direction (a response sent to the server, a
//! request sent to the client) is ignored with an anomaly, as Suricata does:
//! protocol detection is expected to have oriented the flow.

use std::collections::VecDeque;

use super::parser::{self, DnsAnomaly, Message, HEADER_LEN};

/// Most live transactions per flow. Suricata's DNS parser keeps 256 by
/// default (`app-layer.protocols.dns.max-tx`); beyond that the oldest are
/// dropped and [`DnsAnomaly::TooManyTransactions`] is raised, so a flood of
/// unanswered queries cannot grow memory.
pub const MAX_TXS: usize = 256;

/// Largest TCP frame (the 2-byte length prefix cannot say more). At most
/// this plus the prefix is buffered per direction.
pub const MAX_TCP_FRAME: usize = 65535;

/// Most requests remembered for pairing with their responses (by DNS id),
/// independently of whether their transactions were already removed.
pub const MAX_PENDING_REQUESTS: usize = 256;

/// Flow-level anomalies kept until taken; beyond this they are counted only.
pub const MAX_STATE_ANOMALIES: usize = 64;

/// One DNS transaction: one request or one response message.
#[derive(Clone, Debug)]
pub struct DnsTx {
    /// Transaction id, from 0, in arrival order over both directions (EVE
    /// `tx_id`).
    pub id: u64,
    msg: Message,
    is_request: bool,
    paired: Option<u64>,
    tcp: bool,
    /// The message as sent (`frame:dns.pdu`), when kept.
    raw: Option<Box<[u8]>>,
}

impl DnsTx {
    /// The request message, when this transaction is a request.
    pub fn request(&self) -> Option<&Message> {
        self.is_request.then_some(&self.msg)
    }

    /// The response message, when this transaction is a response.
    pub fn response(&self) -> Option<&Message> {
        (!self.is_request).then_some(&self.msg)
    }

    /// The message this transaction holds (request or response).
    pub fn message(&self) -> &Message {
        &self.msg
    }

    /// The message as sent, when frames are kept.
    pub fn raw(&self) -> Option<&[u8]> {
        self.raw.as_deref()
    }

    /// True for a request (sent to the server).
    pub fn is_request(&self) -> bool {
        self.is_request
    }

    /// True when the message came over TCP.
    pub fn is_tcp(&self) -> bool {
        self.tcp
    }

    /// The DNS id of the message.
    pub fn dns_id(&self) -> u16 {
        self.message().header.id
    }

    /// For a response: the request transaction with the same DNS id that it
    /// answers; for a request: the response transaction that answered it.
    pub fn paired_tx(&self) -> Option<u64> {
        self.paired
    }

    /// Response code, for a response.
    pub fn rcode(&self) -> Option<u8> {
        self.response().map(|m| m.header.rcode())
    }

    /// Header opcode.
    pub fn opcode(&self) -> u8 {
        self.message().header.opcode()
    }

    /// Every query name of the request, in order (Suricata 7's `dns.query`
    /// is a multi-buffer over these: a rule matches if any name matches).
    /// Empty for a response: `dns.query` inspects requests only.
    pub fn queries(&self) -> impl Iterator<Item = &[u8]> {
        self.request().into_iter().flat_map(|m| m.questions.iter().map(|q| q.name.as_slice()))
    }

    /// Answer records of a response (empty for a request).
    pub fn answers(&self) -> &[parser::Record] {
        self.response().map_or(&[], |m| m.answers.as_slice())
    }

    /// Authority records of a response (empty for a request).
    pub fn authorities(&self) -> &[parser::Record] {
        self.response().map_or(&[], |m| m.authorities.as_slice())
    }

    /// Anomalies raised while decoding this message.
    pub fn anomalies(&self) -> &[DnsAnomaly] {
        &self.message().anomalies
    }

    /// Always true: a DNS transaction is complete when its message is
    /// decoded (Suricata 7 reports DNS progress as complete immediately).
    pub fn is_complete(&self) -> bool {
        true
    }
}

/// What one [`DnsState::parse`] call did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// Transactions created by this call.
    pub new_txs: usize,
    /// Bytes of an incomplete TCP frame now held by the state (0 for UDP).
    pub buffered: usize,
    /// Bytes skipped (resynchronizing after a gap or a bad frame).
    pub skipped: usize,
}

#[derive(Clone, Debug, Default)]
struct TcpDir {
    buf: Vec<u8>,
    gap: bool,
}

/// DNS state of one flow.
#[derive(Clone, Debug, Default)]
pub struct DnsState {
    txs: VecDeque<DnsTx>,
    next_id: u64,
    dirs: [TcpDir; 2],
    /// (DNS id, tx id) of requests not yet answered, oldest first.
    pending: VecDeque<(u16, u64)>,
    anomalies: Vec<DnsAnomaly>,
    dropped_anomalies: u64,
    keep_frames: bool,
}

fn dir_index(to_server: bool) -> usize {
    usize::from(!to_server)
}

/// True when `data` plausibly starts a length-prefixed DNS message in the
/// given direction (used to resynchronize after a gap).
pub fn probe_tcp(data: &[u8], to_server: bool) -> bool {
    if data.len() < 2 + HEADER_LEN {
        return false;
    }
    let len = usize::from(u16::from_be_bytes([data[0], data[1]]));
    match parser::parse_header(&data[2..]) {
        Some(h) => {
            len >= HEADER_LEN
                && h.is_response() != to_server
                && h.opcode() <= 6
                && (1..=parser::MAX_QUESTIONS as u16).contains(&h.qdcount)
        }
        None => false,
    }
}

impl DnsState {
    /// An empty state.
    pub fn new() -> Self {
        Self::default()
    }

    /// Keeps each message as sent, for `frame:dns.pdu`.
    pub fn keep_frames(&mut self, on: bool) {
        self.keep_frames = on;
    }

    /// Feeds data of one direction. `tcp` selects length-prefixed framing;
    /// otherwise `data` is one UDP payload holding one message.
    pub fn parse(&mut self, to_server: bool, data: &[u8], tcp: bool) -> Progress {
        let mut p = Progress::default();
        if !tcp {
            self.handle_message(to_server, data, false, &mut p);
            return p;
        }
        let d = dir_index(to_server);
        let mut data = data;
        if self.dirs[d].gap {
            if self.dirs[d].buf.is_empty() && !probe_tcp(data, to_server) {
                self.note(DnsAnomaly::GapResync);
                p.skipped += data.len();
                return p;
            }
            self.dirs[d].gap = false;
        }
        // Complete a buffered frame first (its prefix, then its body).
        while !self.dirs[d].buf.is_empty() {
            let need = self.frame_need(d);
            let have = self.dirs[d].buf.len();
            if have < need {
                if data.is_empty() {
                    p.buffered = have;
                    return p;
                }
                let take = (need - have).min(data.len());
                self.dirs[d].buf.extend_from_slice(&data[..take]);
                data = &data[take..];
                continue;
            }
            let buf = std::mem::take(&mut self.dirs[d].buf);
            if !self.handle_frame(to_server, &buf, &mut p) {
                p.skipped += data.len();
                return p;
            }
        }
        // Whole frames straight from the input, without copying.
        loop {
            if data.len() < 2 {
                break;
            }
            let len = usize::from(u16::from_be_bytes([data[0], data[1]]));
            if data.len() < 2 + len {
                break;
            }
            let (frame, rest) = data.split_at(2 + len);
            data = rest;
            if !self.handle_frame(to_server, frame, &mut p) {
                p.skipped += data.len();
                return p;
            }
        }
        if !data.is_empty() {
            self.dirs[d].buf.extend_from_slice(data);
        }
        p.buffered = self.dirs[d].buf.len();
        p
    }

    /// Bytes the buffered frame of direction `d` needs in total (prefix
    /// included); 2 while the prefix itself is incomplete.
    fn frame_need(&self, d: usize) -> usize {
        let b = &self.dirs[d].buf;
        if b.len() < 2 {
            2
        } else {
            2 + usize::from(u16::from_be_bytes([b[0], b[1]]))
        }
    }

    /// Handles one complete frame (prefix included). False when the stream
    /// must resynchronize.
    fn handle_frame(&mut self, to_server: bool, frame: &[u8], p: &mut Progress) -> bool {
        if frame.len() < 2 + HEADER_LEN {
            self.note(DnsAnomaly::InvalidTcpFrame);
            self.dirs[dir_index(to_server)].gap = true;
            p.skipped += frame.len();
            return false;
        }
        self.handle_message(to_server, &frame[2..], true, p);
        true
    }

    fn handle_message(&mut self, to_server: bool, msg: &[u8], tcp: bool, p: &mut Progress) {
        let m = match parser::parse_message(msg) {
            Ok(m) => m,
            Err(a) => {
                self.note(a);
                return;
            }
        };
        if m.header.is_response() == to_server {
            self.note(if to_server { DnsAnomaly::NotRequest } else { DnsAnomaly::NotResponse });
            return;
        }
        let id = self.next_id;
        self.next_id += 1;
        let dns_id = m.header.id;
        let raw = self.keep_frames.then(|| msg.into());
        let mut tx = DnsTx { id, msg: m, is_request: to_server, paired: None, tcp, raw };
        if to_server {
            if self.pending.len() >= MAX_PENDING_REQUESTS {
                self.pending.pop_front();
            }
            self.pending.push_back((dns_id, id));
        } else {
            if let Some(pos) = self.pending.iter().rposition(|&(d, _)| d == dns_id) {
                if let Some((_, req_id)) = self.pending.remove(pos) {
                    tx.paired = Some(req_id);
                    if let Some(req) = self.txs.iter_mut().find(|t| t.id == req_id) {
                        req.paired = Some(id);
                    }
                }
            }
        }
        if self.txs.len() >= MAX_TXS {
            self.txs.pop_front();
            self.note(DnsAnomaly::TooManyTransactions);
        }
        self.txs.push_back(tx);
        p.new_txs += 1;
    }

    fn note(&mut self, a: DnsAnomaly) {
        if self.anomalies.len() < MAX_STATE_ANOMALIES {
            self.anomalies.push(a);
        } else {
            self.dropped_anomalies += 1;
        }
    }

    /// Tells the state that bytes of a TCP direction were lost. The partial
    /// frame is dropped; later data is skipped until it looks like the start
    /// of a message ([`probe_tcp`]).
    pub fn gap(&mut self, to_server: bool) {
        let d = &mut self.dirs[dir_index(to_server)];
        d.buf.clear();
        d.gap = true;
    }

    /// Live transactions, oldest first.
    pub fn txs(&self) -> impl Iterator<Item = &DnsTx> {
        self.txs.iter()
    }

    /// The live transaction with this id.
    pub fn tx(&self, id: u64) -> Option<&DnsTx> {
        self.txs.iter().find(|t| t.id == id)
    }

    /// Number of live transactions.
    pub fn tx_count(&self) -> usize {
        self.txs.len()
    }

    /// Id the next transaction will get.
    pub fn next_tx_id(&self) -> u64 {
        self.next_id
    }

    /// Removes the complete transactions whose id is below `keep_after`
    /// (every DNS transaction is complete once decoded; pass
    /// [`DnsState::next_tx_id`] to remove them all). Call once they were
    /// inspected and logged. Returns how many were removed.
    pub fn remove_done(&mut self, keep_after: u64) -> usize {
        let before = self.txs.len();
        self.txs.retain(|t| !(t.id < keep_after && t.is_complete()));
        before - self.txs.len()
    }

    /// Flow-level anomalies not tied to a transaction (messages that did not
    /// decode or went the wrong way, TCP framing, transaction cap), oldest
    /// first; the list is emptied.
    pub fn take_anomalies(&mut self) -> Vec<DnsAnomaly> {
        std::mem::take(&mut self.anomalies)
    }

    /// Flow-level anomalies dropped because more than
    /// [`MAX_STATE_ANOMALIES`] were pending.
    pub fn dropped_anomalies(&self) -> u64 {
        self.dropped_anomalies
    }

    /// Bytes of incomplete TCP frames held, per direction (to server, to
    /// client).
    pub fn buffered(&self) -> (usize, usize) {
        (self.dirs[0].buf.len(), self.dirs[1].buf.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(n: &str) -> Vec<u8> {
        let mut out = Vec::new();
        for l in n.split('.') {
            out.push(l.len() as u8);
            out.extend_from_slice(l.as_bytes());
        }
        out.push(0);
        out
    }

    fn query(id: u16, qname: &str, t: u16) -> Vec<u8> {
        let mut m = Vec::new();
        for x in [id, 0x0100, 1, 0, 0, 0] {
            m.extend_from_slice(&x.to_be_bytes());
        }
        m.extend(name(qname));
        m.extend_from_slice(&t.to_be_bytes());
        m.extend_from_slice(&[0, 1]);
        m
    }

    fn answer_a(q: &[u8], addr: [u8; 4]) -> Vec<u8> {
        let mut m = q.to_vec();
        m[2] = 0x81;
        m[3] = 0x80;
        m[7] = 1;
        m.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4]);
        m.extend_from_slice(&addr);
        m
    }

    fn framed(m: &[u8]) -> Vec<u8> {
        let mut v = (m.len() as u16).to_be_bytes().to_vec();
        v.extend_from_slice(m);
        v
    }

    #[test]
    fn udp_query_then_response_are_two_paired_txs() {
        let q = query(0x4d52, "evil.example.net", 1);
        let mut s = DnsState::new();
        assert_eq!(s.parse(true, &q, false).new_txs, 1);
        assert_eq!(s.parse(false, &answer_a(&q, [203, 0, 113, 66]), false).new_txs, 1);
        let txs: Vec<_> = s.txs().collect();
        assert_eq!((txs[0].id, txs[1].id), (0, 1));
        assert!(txs[0].is_request() && !txs[1].is_request());
        assert_eq!(txs[0].paired_tx(), Some(1));
        assert_eq!(txs[1].paired_tx(), Some(0));
        assert_eq!(txs[0].queries().collect::<Vec<_>>(), vec![&b"evil.example.net"[..]]);
        assert_eq!(txs[1].queries().count(), 0);
        assert_eq!(txs[1].rcode(), Some(0));
        assert_eq!(txs[1].answers().len(), 1);
        assert_eq!(s.remove_done(1), 1);
        assert_eq!(s.txs().next().unwrap().id, 1);
        assert_eq!(s.remove_done(s.next_tx_id()), 1);
        assert_eq!(s.tx_count(), 0);
        // Ids keep counting after removal.
        s.parse(true, &q, false);
        assert_eq!(s.txs().next().unwrap().id, 2);
    }

    #[test]
    fn wrong_direction_is_ignored_with_anomaly() {
        let q = query(1, "a.example", 1);
        let mut s = DnsState::new();
        assert_eq!(s.parse(false, &q, false).new_txs, 0);
        assert_eq!(s.parse(true, &answer_a(&q, [1, 2, 3, 4]), false).new_txs, 0);
        assert_eq!(s.take_anomalies(), vec![DnsAnomaly::NotResponse, DnsAnomaly::NotRequest]);
        assert_eq!(s.parse(true, b"junk", false).new_txs, 0);
        assert_eq!(s.take_anomalies(), vec![DnsAnomaly::MalformedData]);
    }

    #[test]
    fn tcp_split_at_every_byte() {
        let q1 = query(0x1111, "one.example", 1);
        let q2 = query(0x2222, "two.example", 28);
        let mut stream = framed(&q1);
        stream.extend(framed(&q2));
        for cut in 0..=stream.len() {
            let mut s = DnsState::new();
            let a = s.parse(true, &stream[..cut], true);
            let b = s.parse(true, &stream[cut..], true);
            assert_eq!(a.new_txs + b.new_txs, 2, "cut {cut}");
            assert_eq!(b.buffered, 0);
            let names: Vec<Vec<u8>> = s.txs().flat_map(|t| t.queries().map(|q| q.to_vec())).collect();
            assert_eq!(names, vec![b"one.example".to_vec(), b"two.example".to_vec()]);
        }
        // Byte by byte.
        let mut s = DnsState::new();
        let mut total = 0;
        for b in &stream {
            let p = s.parse(true, std::slice::from_ref(b), true);
            total += p.new_txs;
            assert!(p.buffered <= 2 + MAX_TCP_FRAME);
        }
        assert_eq!(total, 2);
        assert_eq!(s.buffered(), (0, 0));
    }

    #[test]
    fn tcp_gap_resyncs_on_next_message() {
        let q1 = query(1, "one.example", 1);
        let q2 = query(2, "two.example", 1);
        let f1 = framed(&q1);
        let mut s = DnsState::new();
        s.parse(true, &f1[..7], true);
        s.gap(true);
        // The rest of the lost frame: does not look like a message start.
        let p = s.parse(true, &f1[9..], true);
        assert_eq!((p.new_txs, p.skipped), (0, f1.len() - 9));
        assert_eq!(s.parse(true, &framed(&q2), true).new_txs, 1);
        assert_eq!(s.txs().next().unwrap().dns_id(), 2);
        assert!(s.take_anomalies().contains(&DnsAnomaly::GapResync));
    }

    #[test]
    fn tcp_short_frame_resyncs() {
        let mut s = DnsState::new();
        let mut data = vec![0, 3, 1, 2, 3];
        data.extend(framed(&query(5, "x.example", 1)));
        let p = s.parse(true, &data, true);
        assert_eq!(p.new_txs, 0);
        assert!(s.take_anomalies().contains(&DnsAnomaly::InvalidTcpFrame));
        assert_eq!(s.parse(true, &framed(&query(6, "y.example", 1)), true).new_txs, 1);
    }

    #[test]
    fn tx_cap_drops_oldest() {
        let mut s = DnsState::new();
        for i in 0..(MAX_TXS + 10) {
            s.parse(true, &query(i as u16, "flood.example", 1), false);
        }
        assert_eq!(s.tx_count(), MAX_TXS);
        assert_eq!(s.txs().next().unwrap().id, 10);
        assert!(s.take_anomalies().contains(&DnsAnomaly::TooManyTransactions));
    }

    #[test]
    fn unsolicited_response_is_unpaired() {
        let q = query(7, "a.example", 1);
        let mut s = DnsState::new();
        s.parse(false, &answer_a(&q, [1, 1, 1, 1]), false);
        s.parse(false, &answer_a(&q, [1, 1, 1, 1]), false);
        assert!(s.txs().all(|t| t.paired_tx().is_none()));
        assert_eq!(s.tx_count(), 2);
    }

    #[test]
    fn tcp_garbage_never_panics() {
        let mut seed = 7u32;
        for _ in 0..2000 {
            let mut s = DnsState::new();
            for _ in 0..8 {
                let mut chunk = Vec::new();
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                let n = (seed >> 20) as usize % 64;
                for _ in 0..n {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    chunk.push((seed >> 16) as u8);
                }
                let dir = seed & 1 == 0;
                s.parse(dir, &chunk, true);
                if seed & 6 == 0 {
                    s.gap(dir);
                }
            }
        }
    }
}
