//! MQTT 3.1, 3.1.1 and 5 over TCP: control packets framed by their fixed
//! header, for `mqtt.type`, `mqtt.reason_code`, the parser events of
//! `app-layer-event:mqtt.*` and the `frame:mqtt.pdu|header|data` buffers.
//!
//! Every control packet is a transaction of its own, in arrival order, seen
//! in the direction it travelled. A packet longer than the configured
//! maximum (`app-layer.protocols.mqtt.max-msg-length`) is reported with
//! what fits and the rest of it is skipped, as Suricata does, so that a
//! huge PUBLISH cannot make the parser buffer without bound.
//!
//! ```
//! use mirador_engine::applayer::mqtt::MqttState;
//!
//! let mut m = MqttState::default();
//! // CONNECT (MQTT 3.1.1, client id "c") then its CONNACK, return code 5.
//! m.parse(true, b"\x10\x0d\x00\x04MQTT\x04\x02\x00\x3c\x00\x01c");
//! m.parse(false, b"\x20\x02\x00\x05");
//! let types: Vec<u8> = m.txs().map(|t| t.msg_type).collect();
//! assert_eq!(types, [1, 2]);
//! assert_eq!(m.txs().nth(1).unwrap().reason_code, Some(5));
//! ```

use std::collections::VecDeque;

use crate::rules::ast::{Buffer, MQTT_TYPES};

/// Largest control packet parsed whole unless configured otherwise
/// (Suricata's default `max-msg-length`: 1 MiB).
pub const DEFAULT_MAX_MSG_LEN: usize = 1 << 20;

/// Most live transactions per flow; the oldest are dropped beyond it.
pub const MAX_TXS: usize = 256;

const CONNECT: u8 = 1;
const CONNACK: u8 = 2;
const PUBLISH: u8 = 3;
const DISCONNECT: u8 = 14;
const AUTH: u8 = 15;

/// The parser events Suricata 7 names for MQTT (`app-layer-event:mqtt.*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MqttEvent {
    /// A CONNACK without a CONNECT before it.
    MissingConnect,
    /// A second CONNECT on the connection.
    DoubleConnect,
    /// A packet other than CONNECT before the connection was set up.
    UnintroducedMessage,
    /// QoS 3 in a PUBLISH.
    InvalidQosLevel,
    /// Type 0 (reserved).
    UnassignedMsgType,
    /// A packet whose contents contradict its own lengths.
    MalformedTraffic,
}

impl MqttEvent {
    /// Suricata's event name.
    pub fn name(self) -> &'static str {
        match self {
            MqttEvent::MissingConnect => "missing_connect",
            MqttEvent::DoubleConnect => "double_connect",
            MqttEvent::UnintroducedMessage => "unintroduced_message",
            MqttEvent::InvalidQosLevel => "invalid_qos_level",
            MqttEvent::UnassignedMsgType => "unassigned_msg_type",
            MqttEvent::MalformedTraffic => "malformed_traffic",
        }
    }
}

/// Suricata 7.0.10's MQTT event names.
pub const MQTT_EVENTS: &[&str] = &[
    "missing_connect",
    "missing_publish",
    "missing_subscribe",
    "missing_unsubscribe",
    "double_connect",
    "unintroduced_message",
    "invalid_qos_level",
    "missing_msg_id",
    "unassigned_msg_type",
    "too_many_transactions",
    "malformed_traffic",
];

/// Where a packet's bytes sit in its direction's stream, and its frame
/// ids (`pdu`, then `header` and `data` right after it).
#[derive(Clone, Debug)]
struct Frames {
    first_id: u64,
    offset: u64,
    header_len: usize,
    /// The packet as sent (up to the configured maximum).
    bytes: Vec<u8>,
    /// Its bytes were all seen.
    complete: bool,
}

/// One control packet.
#[derive(Clone, Debug)]
pub struct MqttTx {
    /// Transaction id (EVE `tx_id`).
    pub id: u64,
    /// Sent by the client.
    pub to_server: bool,
    /// The direction `mqtt.*` keywords and events see it in: Suricata
    /// files an acknowledgement (CONNACK, PUBACK..., SUBACK, UNSUBACK)
    /// under the transaction of the packet it answers, so it is inspected
    /// in that packet's direction.
    pub inspect_to_server: bool,
    /// Control packet type (1 CONNECT ... 15 AUTH).
    pub msg_type: u8,
    /// CONNACK return code, or an MQTT 5 reason code.
    pub reason_code: Option<u8>,
    /// Events raised on this packet.
    pub events: Vec<MqttEvent>,
    frames: Option<Frames>,
}

impl MqttTx {
    /// The `frame:mqtt.*` buffer `b` of this packet.
    pub fn buffer(&self, b: Buffer) -> Option<&[u8]> {
        let f = self.frames.as_ref()?;
        let data = f.bytes.get(f.header_len..).filter(|d| !d.is_empty());
        match b {
            Buffer::FrameMqttPdu => Some(&f.bytes),
            Buffer::FrameMqttHeader => f.bytes.get(..f.header_len),
            Buffer::FrameMqttData => data,
            _ => None,
        }
    }

    /// Buffer `b` when this packet travels in the `to_server` direction.
    pub fn buffer_dir(&self, b: Buffer, to_server: bool) -> Option<&[u8]> {
        (self.to_server == to_server).then(|| self.buffer(b)).flatten()
    }

    /// The alert's `frame` object for the frame buffer `b`: Suricata's
    /// fields (`type`, `id`, `direction`, `stream_offset`, `length`,
    /// `complete`, and the bytes).
    pub fn frame_eve(&self, b: Buffer) -> Option<serde_json::Value> {
        use base64::Engine as _;
        let f = self.frames.as_ref()?;
        let bytes = self.buffer(b)?;
        let (kind, id, offset) = match b {
            Buffer::FrameMqttPdu => ("pdu", f.first_id, f.offset),
            Buffer::FrameMqttHeader => ("header", f.first_id + 1, f.offset),
            Buffer::FrameMqttData => ("data", f.first_id + 2, f.offset + f.header_len as u64),
            _ => return None,
        };
        Some(serde_json::json!({
            "type": kind,
            "id": id,
            "direction": if self.to_server { "toserver" } else { "toclient" },
            "stream_offset": offset,
            "length": bytes.len(),
            "payload": base64::engine::general_purpose::STANDARD.encode(bytes),
            "payload_printable": crate::output::eve::printable(bytes),
            "complete": f.complete || b == Buffer::FrameMqttHeader,
        }))
    }

    /// The `mqtt` EVE object: the packet type under its lowercase name.
    pub fn eve(&self) -> serde_json::Value {
        let name = MQTT_TYPES[usize::from(self.msg_type & 0x0f)].to_ascii_lowercase();
        let mut o = serde_json::Map::new();
        if let Some(rc) = self.reason_code {
            let key = if self.msg_type == CONNACK { "return_code" } else { "reason_code" };
            o.insert(key.into(), rc.into());
        }
        serde_json::json!({ name: o })
    }
}

/// One direction's unparsed bytes.
#[derive(Debug, Default)]
struct Side {
    buf: Vec<u8>,
    /// Stream offset of `buf[0]`.
    offset: u64,
    /// Bytes of an oversized packet still to be skipped.
    skip: u64,
    /// Next frame id.
    next_frame: u64,
    /// A gap or a broken length: nothing more is parsed.
    lost: bool,
}

/// MQTT parser state of one connection.
#[derive(Debug)]
pub struct MqttState {
    sides: [Side; 2],
    txs: VecDeque<MqttTx>,
    next_id: u64,
    /// Protocol level of the CONNECT (4: 3.1.1, 5: MQTT 5).
    version: u8,
    connected: bool,
    keep_frames: bool,
    max_msg_len: usize,
}

impl Default for MqttState {
    fn default() -> Self {
        MqttState {
            sides: Default::default(),
            txs: VecDeque::new(),
            next_id: 0,
            version: 0,
            connected: false,
            keep_frames: false,
            max_msg_len: DEFAULT_MAX_MSG_LEN,
        }
    }
}

/// Reads an MQTT variable byte integer at `p`: (value, bytes used). None
/// when incomplete; Some((u64::MAX, _)) when longer than four bytes.
fn varint(p: &[u8]) -> Option<(u64, usize)> {
    let mut v = 0u64;
    for (i, &b) in p.iter().enumerate().take(4) {
        v |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some((v, i + 1));
        }
    }
    if p.len() >= 4 {
        Some((u64::MAX, 4))
    } else {
        None
    }
}

/// True when `p` starts with a well-formed MQTT fixed header: an assigned
/// packet type, a QoS below 3 and a complete remaining length (what
/// Suricata's port-bound MQTT probe checks).
pub fn fixed_header_ok(p: &[u8]) -> bool {
    let Some(&first) = p.first() else { return false };
    if first >> 4 == 0 || (first >> 1) & 3 == 3 {
        return false;
    }
    matches!(varint(&p[1..]), Some((len, _)) if len != u64::MAX)
}

/// True when `p` starts like a client's CONNECT: type 1 with no flags, a
/// valid remaining length, and the protocol name `MQTT` or `MQIsdp`.
pub fn looks_like_mqtt(p: &[u8]) -> bool {
    if p.first() != Some(&0x10) {
        return false;
    }
    let Some((len, n)) = varint(&p[1..]) else { return false };
    if len == u64::MAX {
        return false;
    }
    let var = &p[1 + n..];
    var.starts_with(b"\x00\x04MQTT") || var.starts_with(b"\x00\x06MQIsdp")
}

impl MqttState {
    /// Keep each packet as sent, for the `frame:mqtt.*` buffers.
    pub fn keep_frames(&mut self, keep: bool) {
        self.keep_frames = keep;
    }

    /// Largest packet parsed whole (`max-msg-length`).
    pub fn set_max_msg_len(&mut self, n: usize) {
        self.max_msg_len = n.max(2);
    }

    /// Feeds stream data of one direction.
    pub fn parse(&mut self, to_server: bool, mut data: &[u8]) {
        let d = usize::from(!to_server);
        let side = &mut self.sides[d];
        if side.lost {
            return;
        }
        if side.skip > 0 {
            let n = side.skip.min(data.len() as u64);
            side.skip -= n;
            side.offset += n;
            data = &data[n as usize..];
        }
        side.buf.extend_from_slice(data);
        while let Some(()) = self.next_packet(to_server) {}
    }

    /// Parses one packet from the front of a direction's buffer, if all of
    /// it (or, for an oversized one, the allowed part) is there.
    fn next_packet(&mut self, to_server: bool) -> Option<()> {
        let d = usize::from(!to_server);
        let side = &mut self.sides[d];
        let b0 = *side.buf.first()?;
        let (rem, n) = varint(&side.buf[1..])?;
        if rem == u64::MAX {
            side.lost = true;
            side.buf = Vec::new();
            self.push_tx(to_server, b0 >> 4, None, vec![MqttEvent::MalformedTraffic], None);
            return None;
        }
        let header_len = 1 + n;
        let total = header_len as u64 + rem;
        // An oversized packet is parsed on its first `max_msg_len` bytes.
        let (take, complete) =
            if total <= self.max_msg_len as u64 { (total as usize, true) } else { (self.max_msg_len, false) };
        if side.buf.len() < take {
            return None;
        }
        let bytes: Vec<u8> = side.buf.drain(..take).collect();
        let offset = side.offset;
        side.offset += take as u64;
        if !complete {
            side.skip = total - take as u64;
            let skipped = side.skip.min(side.buf.len() as u64);
            side.buf.drain(..skipped as usize);
            side.skip -= skipped;
            side.offset += skipped;
        }
        let first_id = side.next_frame + 1;
        side.next_frame += 3;
        let frames = self.keep_frames.then(|| Frames { first_id, offset, header_len, bytes: bytes.clone(), complete });
        self.packet(to_server, &bytes, header_len, complete, frames);
        Some(())
    }

    /// Interprets one packet and records it as a transaction.
    fn packet(&mut self, to_server: bool, bytes: &[u8], header_len: usize, complete: bool, frames: Option<Frames>) {
        let msg_type = bytes[0] >> 4;
        let body = &bytes[header_len..];
        let mut events = Vec::new();
        let mut reason = None;
        match msg_type {
            0 => events.push(MqttEvent::UnassignedMsgType),
            CONNECT => {
                if self.connected {
                    events.push(MqttEvent::DoubleConnect);
                }
                match connect_level(body, complete) {
                    Some(level) => self.version = level,
                    None => events.push(MqttEvent::MalformedTraffic),
                }
                self.connected = true;
            }
            CONNACK => {
                if !self.connected {
                    events.push(MqttEvent::MissingConnect);
                }
                reason = body.get(1).copied();
            }
            PUBLISH if (bytes[0] >> 1) & 3 == 3 => events.push(MqttEvent::InvalidQosLevel),
            // MQTT 5 leaves out a success reason code (0) when nothing
            // follows it.
            4..=7 if self.version == 5 => reason = Some(body.get(2).copied().unwrap_or(0)),
            DISCONNECT | AUTH if self.version == 5 => reason = Some(body.first().copied().unwrap_or(0)),
            _ => {}
        }
        if !self.connected && msg_type != CONNECT && msg_type != CONNACK && msg_type != 0 {
            events.push(MqttEvent::UnintroducedMessage);
        }
        let answers = match msg_type {
            CONNACK => Some(CONNECT),
            4..=7 => Some(PUBLISH),
            9 => Some(8),
            11 => Some(10),
            _ => None,
        };
        let joined = answers.is_some_and(|q| self.txs.iter().any(|t| t.msg_type == q && t.to_server != to_server));
        self.push_tx(to_server, msg_type, reason, events, frames);
        if joined {
            if let Some(t) = self.txs.back_mut() {
                t.inspect_to_server = !to_server;
            }
        }
    }

    fn push_tx(
        &mut self,
        to_server: bool,
        msg_type: u8,
        reason_code: Option<u8>,
        events: Vec<MqttEvent>,
        frames: Option<Frames>,
    ) {
        let id = self.next_id;
        self.next_id += 1;
        if self.txs.len() >= MAX_TXS {
            self.txs.pop_front();
        }
        let inspect_to_server = to_server;
        self.txs.push_back(MqttTx { id, to_server, inspect_to_server, msg_type, reason_code, events, frames });
    }

    /// A hole in one direction: packet boundaries are lost for good.
    pub fn gap(&mut self, to_server: bool) {
        let side = &mut self.sides[usize::from(!to_server)];
        side.lost = true;
        side.buf = Vec::new();
    }

    /// Live transactions, oldest first.
    pub fn txs(&self) -> impl Iterator<Item = &MqttTx> {
        self.txs.iter()
    }

    /// Transaction `id`, if still live.
    pub fn tx(&self, id: u64) -> Option<&MqttTx> {
        self.txs.iter().find(|t| t.id == id)
    }

    /// Id the next transaction gets.
    pub fn next_tx_id(&self) -> u64 {
        self.next_id
    }

    /// Frees transactions below `id`.
    pub fn remove_done(&mut self, id: u64) {
        while self.txs.front().is_some_and(|t| t.id < id) {
            self.txs.pop_front();
        }
    }
}

/// The protocol level of a CONNECT's variable header, None when the
/// header contradicts its own lengths (an MQTT 5 property length past the
/// packet's end, which Suricata reports as malformed). A truncated packet
/// is judged only on what was kept.
fn connect_level(body: &[u8], complete: bool) -> Option<u8> {
    let name_len = usize::from(u16::from_be_bytes([*body.first()?, *body.get(1)?]));
    let level = *body.get(2 + name_len)?;
    // Flags (1) and keep-alive (2) follow the level.
    let props = 2 + name_len + 4;
    if level == 5 && complete {
        let (len, n) = varint(body.get(props..)?)?;
        if len == u64::MAX || (props + n) as u64 + len > body.len() as u64 {
            return None;
        }
    }
    Some(level)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONNECT5: &[u8] = b"\x10\x12\x00\x04MQTT\x05\x02\x00\x3c\x00\x00\x05hello";

    #[test]
    fn frames_packets_split_anywhere_and_joined() {
        let mut m = MqttState::default();
        m.keep_frames(true);
        let mut all = CONNECT5.to_vec();
        all.extend_from_slice(b"\x30\x04\x00\x01tX\xe0\x00");
        // One byte at a time: the same packets come out.
        for b in &all {
            m.parse(true, std::slice::from_ref(b));
        }
        let types: Vec<u8> = m.txs().map(|t| t.msg_type).collect();
        assert_eq!(types, [CONNECT, PUBLISH, DISCONNECT]);
        let publish = m.tx(1).unwrap();
        assert_eq!(publish.buffer(Buffer::FrameMqttHeader), Some(&b"\x30\x04"[..]));
        assert_eq!(publish.buffer(Buffer::FrameMqttData), Some(&b"\x00\x01tX"[..]));
        // A packet without a body has no data frame.
        assert_eq!(m.tx(2).unwrap().buffer(Buffer::FrameMqttData), None);
        // Frame ids run per direction, three per packet; offsets follow the
        // stream.
        let f = publish.frame_eve(Buffer::FrameMqttData).unwrap();
        assert_eq!(f["id"], 6);
        assert_eq!(f["stream_offset"], CONNECT5.len() as u64 + 2);
        assert_eq!(f["length"], 4);
        // Frames are only for whom asks.
        assert_eq!(publish.buffer_dir(Buffer::FrameMqttPdu, false), None);
    }

    #[test]
    fn connack_reason_and_missing_connect() {
        let mut m = MqttState::default();
        m.parse(false, b"\x20\x03\x00\x86\x00");
        let tx = m.txs().next().unwrap();
        assert_eq!(tx.reason_code, Some(0x86));
        assert_eq!(tx.events, [MqttEvent::MissingConnect]);
        assert_eq!(tx.eve()["connack"]["return_code"], 134);
    }

    #[test]
    fn acknowledgements_are_inspected_with_what_they_answer() {
        let mut m = MqttState::default();
        m.parse(true, CONNECT5);
        m.parse(false, b"\x20\x03\x00\x00\x00");
        // A PINGRESP answers nothing Suricata pairs: its own direction.
        m.parse(false, b"\xd0\x00");
        let dirs: Vec<(bool, bool)> = m.txs().map(|t| (t.to_server, t.inspect_to_server)).collect();
        assert_eq!(dirs, [(true, true), (false, true), (false, false)]);
    }

    #[test]
    fn property_length_past_the_end_is_malformed() {
        let mut m = MqttState::default();
        // MQTT 5 CONNECT whose properties claim 4351 bytes.
        m.parse(true, b"\x10\x0f\x00\x04MQTT\x05\x02\x00\x3c\xff\x21\x00\x14\x00");
        assert_eq!(m.txs().next().unwrap().events, [MqttEvent::MalformedTraffic]);
        let mut ok = MqttState::default();
        ok.parse(true, CONNECT5);
        assert!(ok.txs().next().unwrap().events.is_empty());
    }

    #[test]
    fn oversized_packet_is_cut_and_skipped() {
        let mut m = MqttState::default();
        m.keep_frames(true);
        m.set_max_msg_len(CONNECT5.len());
        m.parse(true, CONNECT5);
        // PUBLISH of 2 + 20 bytes, then a PINGREQ that must still parse.
        let mut p = b"\x30\x14\x00\x01t".to_vec();
        p.extend_from_slice(&[b'x'; 17]);
        m.parse(true, &p[..10]);
        m.parse(true, &p[10..]);
        m.parse(true, b"\xc0\x00");
        let types: Vec<u8> = m.txs().map(|t| t.msg_type).collect();
        assert_eq!(types, [CONNECT, PUBLISH, 12]);
        let publish = m.tx(1).unwrap();
        assert_eq!(publish.buffer(Buffer::FrameMqttPdu).unwrap().len(), CONNECT5.len());
        assert_eq!(publish.frame_eve(Buffer::FrameMqttPdu).unwrap()["complete"], false);
    }

    #[test]
    fn probe() {
        assert!(looks_like_mqtt(CONNECT5));
        assert!(looks_like_mqtt(b"\x10\x10\x00\x06MQIsdp\x03"));
        assert!(!looks_like_mqtt(b"\x16\x03\x01\x00"));
        assert!(!looks_like_mqtt(b"\x10\x05\x00\x04MQTX"));
    }
}
