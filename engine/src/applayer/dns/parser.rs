//! DNS wire format: bytes in, owned structs out, no state.
//!
//! [`parse_message`] decodes one message (the payload of a UDP datagram, or
//! one length-prefixed TCP frame without its prefix). It is lenient the way
//! an IDS must be: a malformed answer or authority record ends its section
//! and raises [`DnsAnomaly::MalformedData`], but the header, the questions
//! and every record decoded before it are kept. Only a short header or an
//! undecodable question section makes the whole message fail.
//!
//! Names are decompressed into dotted text exactly as Suricata 7 keeps them:
//! the raw label bytes joined with `.`, case preserved, no trailing dot, the
//! root name as the empty string. Every quantity an attacker controls has a
//! named cap; hitting one raises an anomaly and truncates instead of failing.
//!
//! Nothing here panics on any input: every slice access is bounds-checked.

use std::net::{Ipv4Addr, Ipv6Addr};

use nom::bytes::complete::take;
use nom::number::complete::{be_u16, be_u32, be_u8};
use nom::IResult;

/// Length of the fixed DNS header.
pub const HEADER_LEN: usize = 12;

/// Longest name kept, in text bytes. RFC 1035 limits a name to 255 octets on
/// the wire, which is at most 253 text bytes; longer names can only be built
/// with crafted compression and are cut here ([`DnsAnomaly::NameTooLong`]).
pub const MAX_NAME_LEN: usize = 255;

/// Most labels kept per name. 127 one-byte labels fill a legal 255-octet
/// name; more can only come from crafted pointers
/// ([`DnsAnomaly::TooManyLabels`]).
pub const MAX_LABELS: usize = 127;

/// Most compression pointers followed while decoding one name. A real
/// encoder writes one pointer per name, whose target may itself end in a
/// pointer; chains deeper than a few never occur. 32 bounds the work a
/// crafted pointer loop can cause ([`DnsAnomaly::InfiniteLoop`]).
pub const MAX_POINTER_JUMPS: usize = 32;

/// Most questions decoded per message. Resolvers send exactly one; the cap
/// bounds the work of a crafted `qdcount` ([`DnsAnomaly::TooManyRecords`]).
pub const MAX_QUESTIONS: usize = 64;

/// Most records decoded per answer or authority section. A 65535-byte
/// message can carry about 5900 minimal records; 512 is far above any real
/// answer and bounds per-message work ([`DnsAnomaly::TooManyRecords`]).
pub const MAX_RECORDS_PER_SECTION: usize = 512;

/// Record types, as numbers (the wire values).
pub mod rrtype {
    /// IPv4 address.
    pub const A: u16 = 1;
    /// Authoritative name server.
    pub const NS: u16 = 2;
    /// Canonical name.
    pub const CNAME: u16 = 5;
    /// Start of authority.
    pub const SOA: u16 = 6;
    /// Null record (arbitrary data).
    pub const NULL: u16 = 10;
    /// Domain name pointer.
    pub const PTR: u16 = 12;
    /// Mail exchange.
    pub const MX: u16 = 15;
    /// Text strings.
    pub const TXT: u16 = 16;
    /// IPv6 address.
    pub const AAAA: u16 = 28;
    /// Service locator.
    pub const SRV: u16 = 33;
    /// SSH key fingerprint.
    pub const SSHFP: u16 = 44;
}

/// Something unexpected in DNS traffic. Raised instead of failing; the
/// names follow Suricata's DNS event names where Suricata has one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DnsAnomaly {
    /// A message or record could not be decoded (truncated, bad label
    /// type, record overrunning the message...).
    MalformedData,
    /// A response seen in the request direction (QR bit set); ignored.
    NotRequest,
    /// A request seen in the response direction (QR bit clear); ignored.
    NotResponse,
    /// The reserved Z bit is set in the header.
    ZFlagSet,
    /// An opcode beyond the assigned ones (>= 7).
    InvalidOpcode,
    /// A name longer than [`MAX_NAME_LEN`] text bytes was cut.
    NameTooLong,
    /// A name with more than [`MAX_LABELS`] labels was cut.
    TooManyLabels,
    /// More than [`MAX_POINTER_JUMPS`] compression pointers in one name (a
    /// pointer loop); the name was cut where the loop was detected.
    InfiniteLoop,
    /// A section counted more records than the caps allow
    /// ([`MAX_QUESTIONS`], [`MAX_RECORDS_PER_SECTION`]); the rest was skipped.
    TooManyRecords,
    /// A flow had more live transactions than
    /// [`super::state::MAX_TXS`]; the oldest were dropped.
    TooManyTransactions,
    /// A TCP frame shorter than a DNS header; the stream was resynchronized.
    InvalidTcpFrame,
    /// Data after a gap did not look like a DNS message start and was
    /// skipped.
    GapResync,
}

impl DnsAnomaly {
    /// The event name as written in EVE `anomaly.event` (Suricata's names
    /// where Suricata has the event).
    pub fn name(self) -> &'static str {
        match self {
            DnsAnomaly::MalformedData => "malformed_data",
            DnsAnomaly::NotRequest => "not_a_request",
            DnsAnomaly::NotResponse => "not_a_response",
            DnsAnomaly::ZFlagSet => "z_flag_set",
            DnsAnomaly::InvalidOpcode => "invalid_opcode",
            DnsAnomaly::NameTooLong => "name_too_long",
            DnsAnomaly::TooManyLabels => "too_many_labels",
            DnsAnomaly::InfiniteLoop => "infinite_loop",
            DnsAnomaly::TooManyRecords => "too_many_records",
            DnsAnomaly::TooManyTransactions => "too_many_transactions",
            DnsAnomaly::InvalidTcpFrame => "invalid_tcp_frame",
            DnsAnomaly::GapResync => "gap_resync",
        }
    }
}

/// The fixed 12-byte header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Message id (what requests and responses are matched by).
    pub id: u16,
    /// The 16 flag bits (QR, opcode, AA, TC, RD, RA, Z, AD, CD, rcode).
    pub flags: u16,
    /// Question count as announced.
    pub qdcount: u16,
    /// Answer count as announced.
    pub ancount: u16,
    /// Authority count as announced.
    pub nscount: u16,
    /// Additional count as announced.
    pub arcount: u16,
}

impl Header {
    /// QR bit: this is a response.
    pub fn is_response(&self) -> bool {
        self.flags & 0x8000 != 0
    }
    /// Opcode (0 query, 1 iquery, 2 status, 4 notify, 5 update).
    pub fn opcode(&self) -> u8 {
        ((self.flags >> 11) & 0x0f) as u8
    }
    /// Authoritative answer bit.
    pub fn aa(&self) -> bool {
        self.flags & 0x0400 != 0
    }
    /// Truncation bit.
    pub fn tc(&self) -> bool {
        self.flags & 0x0200 != 0
    }
    /// Recursion desired bit.
    pub fn rd(&self) -> bool {
        self.flags & 0x0100 != 0
    }
    /// Recursion available bit.
    pub fn ra(&self) -> bool {
        self.flags & 0x0080 != 0
    }
    /// Reserved Z bit (Suricata raises `z_flag_set` when it is set).
    pub fn z(&self) -> bool {
        self.flags & 0x0040 != 0
    }
    /// Response code (low 4 bits of the flags).
    pub fn rcode(&self) -> u8 {
        (self.flags & 0x000f) as u8
    }
}

/// One entry of the question section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    /// Query name as dotted text (raw label bytes, case preserved).
    pub name: Vec<u8>,
    /// Query type.
    pub rrtype: u16,
    /// Query class.
    pub rrclass: u16,
}

/// SOA record data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Soa {
    /// Primary name server.
    pub mname: Vec<u8>,
    /// Responsible mailbox.
    pub rname: Vec<u8>,
    /// Zone serial.
    pub serial: u32,
    /// Refresh interval.
    pub refresh: u32,
    /// Retry interval.
    pub retry: u32,
    /// Expire limit.
    pub expire: u32,
    /// Minimum (negative caching) TTL.
    pub minimum: u32,
}

/// SRV record data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Srv {
    /// Priority.
    pub priority: u16,
    /// Weight.
    pub weight: u16,
    /// Port.
    pub port: u16,
    /// Target host name.
    pub target: Vec<u8>,
}

/// SSHFP record data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sshfp {
    /// Key algorithm.
    pub algo: u8,
    /// Fingerprint type.
    pub fp_type: u8,
    /// Fingerprint bytes.
    pub fingerprint: Vec<u8>,
}

/// Decoded record data. Types mirador does not decode keep their raw bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RData {
    /// IPv4 address.
    A(Ipv4Addr),
    /// IPv6 address.
    Aaaa(Ipv6Addr),
    /// Canonical name.
    Cname(Vec<u8>),
    /// Name server.
    Ns(Vec<u8>),
    /// Pointer target.
    Ptr(Vec<u8>),
    /// Mail exchange.
    Mx {
        /// Preference.
        preference: u16,
        /// Exchange host name.
        exchange: Vec<u8>,
    },
    /// The character-strings of a TXT record, in order.
    Txt(Vec<Vec<u8>>),
    /// Start of authority.
    Soa(Soa),
    /// Service locator.
    Srv(Srv),
    /// SSH fingerprint.
    Sshfp(Sshfp),
    /// NULL record: arbitrary bytes.
    Null(Vec<u8>),
    /// A type mirador does not decode: the raw rdata.
    Other(Vec<u8>),
    /// A decodable type whose rdata did not decode (wrong address length,
    /// overrunning string, bad name...): the raw rdata.
    Malformed(Vec<u8>),
}

/// One resource record of the answer or authority section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// Owner name as dotted text.
    pub name: Vec<u8>,
    /// Record type.
    pub rrtype: u16,
    /// Record class.
    pub rrclass: u16,
    /// Time to live.
    pub ttl: u32,
    /// Record data.
    pub data: RData,
}

/// One decoded DNS message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// Header.
    pub header: Header,
    /// Question section (at most [`MAX_QUESTIONS`]).
    pub questions: Vec<Question>,
    /// Answer section (at most [`MAX_RECORDS_PER_SECTION`]).
    pub answers: Vec<Record>,
    /// Authority section (at most [`MAX_RECORDS_PER_SECTION`]).
    pub authorities: Vec<Record>,
    /// Anomalies met while decoding (deduplicated, in order of discovery).
    pub anomalies: Vec<DnsAnomaly>,
}

/// A name decoded from a message: the text, where the name ends in the
/// message (after its first pointer when compressed) and the caps it hit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodedName {
    /// Dotted text.
    pub name: Vec<u8>,
    /// Offset just after the name's encoding at its original position.
    pub end: usize,
    /// Anomalies met (cap hits), if any.
    pub anomalies: Vec<DnsAnomaly>,
}

fn push_anomaly(v: &mut Vec<DnsAnomaly>, a: DnsAnomaly) {
    if !v.contains(&a) {
        v.push(a);
    }
}

fn header(i: &[u8]) -> IResult<&[u8], Header> {
    let (i, id) = be_u16(i)?;
    let (i, flags) = be_u16(i)?;
    let (i, qdcount) = be_u16(i)?;
    let (i, ancount) = be_u16(i)?;
    let (i, nscount) = be_u16(i)?;
    let (i, arcount) = be_u16(i)?;
    Ok((i, Header { id, flags, qdcount, ancount, nscount, arcount }))
}

/// Decodes the 12-byte header; `None` when fewer than 12 bytes.
pub fn parse_header(msg: &[u8]) -> Option<Header> {
    header(msg).ok().map(|(_, h)| h)
}

/// Decodes the name that starts at `offset` in `msg`, following compression
/// pointers anywhere in `msg`.
///
/// Returns `None` when the encoding is broken: it runs past the end of the
/// message, uses a reserved label type (`0x40`/`0x80`), or a pointer points
/// outside the message. Cap hits are not failures: the name is cut and the
/// anomaly reported in [`DecodedName::anomalies`].
pub fn parse_name(msg: &[u8], offset: usize) -> Option<DecodedName> {
    let mut name: Vec<u8> = Vec::new();
    let mut anomalies = Vec::new();
    let mut pos = offset;
    let mut end: Option<usize> = None;
    let mut labels = 0usize;
    let mut jumps = 0usize;
    // Once a cap is hit we stop appending, but must still find where the
    // name ends at its original position (unless a pointer already fixed it).
    let mut truncated = false;
    loop {
        let b = *msg.get(pos)?;
        match b >> 6 {
            0 => {
                if b == 0 {
                    pos += 1;
                    break;
                }
                let len = usize::from(b);
                let label = msg.get(pos + 1..pos + 1 + len)?;
                pos += 1 + len;
                if truncated {
                    continue;
                }
                if labels >= MAX_LABELS {
                    push_anomaly(&mut anomalies, DnsAnomaly::TooManyLabels);
                    truncated = true;
                    continue;
                }
                let extra = len + usize::from(!name.is_empty());
                if name.len() + extra > MAX_NAME_LEN {
                    push_anomaly(&mut anomalies, DnsAnomaly::NameTooLong);
                    truncated = true;
                    continue;
                }
                if !name.is_empty() {
                    name.push(b'.');
                }
                name.extend_from_slice(label);
                labels += 1;
            }
            3 => {
                let lo = *msg.get(pos + 1)?;
                let target = (usize::from(b & 0x3f) << 8) | usize::from(lo);
                if target >= msg.len() {
                    return None;
                }
                if end.is_none() {
                    end = Some(pos + 2);
                }
                if truncated {
                    // The original position's end is known now; the rest
                    // of the (already cut) name does not matter.
                    break;
                }
                jumps += 1;
                if jumps > MAX_POINTER_JUMPS {
                    push_anomaly(&mut anomalies, DnsAnomaly::InfiniteLoop);
                    break;
                }
                pos = target;
            }
            _ => return None,
        }
    }
    Some(DecodedName { name, end: end.unwrap_or(pos), anomalies })
}

/// Decodes a name and appends its cap anomalies to `anomalies`.
fn name_at(msg: &[u8], offset: usize, anomalies: &mut Vec<DnsAnomaly>) -> Option<(Vec<u8>, usize)> {
    let d = parse_name(msg, offset)?;
    for a in d.anomalies {
        push_anomaly(anomalies, a);
    }
    Some((d.name, d.end))
}

fn question_fixed(i: &[u8]) -> IResult<&[u8], (u16, u16)> {
    let (i, t) = be_u16(i)?;
    let (i, c) = be_u16(i)?;
    Ok((i, (t, c)))
}

fn record_fixed(i: &[u8]) -> IResult<&[u8], (u16, u16, u32, &[u8])> {
    let (i, t) = be_u16(i)?;
    let (i, c) = be_u16(i)?;
    let (i, ttl) = be_u32(i)?;
    let (i, len) = be_u16(i)?;
    let (i, rdata) = take(len)(i)?;
    Ok((i, (t, c, ttl, rdata)))
}

/// A name inside rdata that must end inside the rdata.
fn rdata_name(msg: &[u8], start: usize, limit: usize, anomalies: &mut Vec<DnsAnomaly>) -> Option<(Vec<u8>, usize)> {
    let (n, end) = name_at(msg, start, anomalies)?;
    (end <= limit).then_some((n, end))
}

fn txt_strings(mut rdata: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    while !rdata.is_empty() {
        let (rest, len) = be_u8::<_, nom::error::Error<&[u8]>>(rdata).ok()?;
        let (rest, s) = take::<_, _, nom::error::Error<&[u8]>>(len)(rest).ok()?;
        out.push(s.to_vec());
        rdata = rest;
    }
    Some(out)
}

fn soa_numbers(i: &[u8]) -> IResult<&[u8], [u32; 5]> {
    let (i, a) = be_u32(i)?;
    let (i, b) = be_u32(i)?;
    let (i, c) = be_u32(i)?;
    let (i, d) = be_u32(i)?;
    let (i, e) = be_u32(i)?;
    Ok((i, [a, b, c, d, e]))
}

/// Decodes the rdata of one record. `start` is the rdata's offset in `msg`
/// (names inside rdata may point anywhere in the message).
pub fn parse_rdata(msg: &[u8], rrtype: u16, start: usize, len: usize, anomalies: &mut Vec<DnsAnomaly>) -> RData {
    let limit = start + len;
    let raw = msg.get(start..limit).unwrap_or_default();
    let decoded = match rrtype {
        rrtype::A => <[u8; 4]>::try_from(raw).ok().map(|a| RData::A(Ipv4Addr::from(a))),
        rrtype::AAAA => <[u8; 16]>::try_from(raw).ok().map(|a| RData::Aaaa(Ipv6Addr::from(a))),
        rrtype::CNAME => rdata_name(msg, start, limit, anomalies).map(|(n, _)| RData::Cname(n)),
        rrtype::NS => rdata_name(msg, start, limit, anomalies).map(|(n, _)| RData::Ns(n)),
        rrtype::PTR => rdata_name(msg, start, limit, anomalies).map(|(n, _)| RData::Ptr(n)),
        rrtype::MX => raw.get(..2).and_then(|p| {
            let preference = u16::from_be_bytes([p[0], p[1]]);
            rdata_name(msg, start + 2, limit, anomalies).map(|(exchange, _)| RData::Mx { preference, exchange })
        }),
        rrtype::TXT => txt_strings(raw).map(RData::Txt),
        rrtype::SOA => rdata_name(msg, start, limit, anomalies).and_then(|(mname, e1)| {
            let (rname, e2) = rdata_name(msg, e1, limit, anomalies)?;
            let (_, n) = soa_numbers(msg.get(e2..limit)?).ok()?;
            Some(RData::Soa(Soa {
                mname,
                rname,
                serial: n[0],
                refresh: n[1],
                retry: n[2],
                expire: n[3],
                minimum: n[4],
            }))
        }),
        rrtype::SRV => raw.get(..6).and_then(|p| {
            let (target, _) = rdata_name(msg, start + 6, limit, anomalies)?;
            Some(RData::Srv(Srv {
                priority: u16::from_be_bytes([p[0], p[1]]),
                weight: u16::from_be_bytes([p[2], p[3]]),
                port: u16::from_be_bytes([p[4], p[5]]),
                target,
            }))
        }),
        rrtype::SSHFP => {
            raw.get(..2).map(|p| RData::Sshfp(Sshfp { algo: p[0], fp_type: p[1], fingerprint: raw[2..].to_vec() }))
        }
        rrtype::NULL => Some(RData::Null(raw.to_vec())),
        _ => return RData::Other(raw.to_vec()),
    };
    decoded.unwrap_or_else(|| {
        push_anomaly(anomalies, DnsAnomaly::MalformedData);
        RData::Malformed(raw.to_vec())
    })
}

/// Decodes one resource record at `offset`; returns it and the offset after
/// it, or `None` when the record overruns the message.
fn parse_record(msg: &[u8], offset: usize, anomalies: &mut Vec<DnsAnomaly>) -> Option<(Record, usize)> {
    let (name, after_name) = name_at(msg, offset, anomalies)?;
    let rest = msg.get(after_name..)?;
    let (after, (rrtype, rrclass, ttl, rdata)) = record_fixed(rest).ok()?;
    let rdata_start = after_name + 10;
    let data = parse_rdata(msg, rrtype, rdata_start, rdata.len(), anomalies);
    let next = msg.len() - after.len();
    Some((Record { name, rrtype, rrclass, ttl, data }, next))
}

/// Decodes up to `count` records from `pos`; the flag is false when a record
/// did not decode (the section, and the message, end there).
fn parse_section(msg: &[u8], pos: &mut usize, count: u16, anomalies: &mut Vec<DnsAnomaly>) -> (Vec<Record>, bool) {
    let mut out = Vec::new();
    let n = usize::from(count);
    if n > MAX_RECORDS_PER_SECTION {
        push_anomaly(anomalies, DnsAnomaly::TooManyRecords);
    }
    for _ in 0..n.min(MAX_RECORDS_PER_SECTION) {
        match parse_record(msg, *pos, anomalies) {
            Some((r, next)) => {
                out.push(r);
                *pos = next;
            }
            None => {
                push_anomaly(anomalies, DnsAnomaly::MalformedData);
                return (out, false);
            }
        }
    }
    (out, n <= MAX_RECORDS_PER_SECTION)
}

/// Decodes one DNS message.
///
/// # Errors
/// Returns [`DnsAnomaly::MalformedData`] when the message is shorter than a
/// header or its question section does not decode. A broken answer or
/// authority record is not an error: decoding stops there and the message
/// carries the anomaly.
pub fn parse_message(msg: &[u8]) -> Result<Message, DnsAnomaly> {
    let (_, header) = header(msg).map_err(|_| DnsAnomaly::MalformedData)?;
    let mut anomalies = Vec::new();
    if header.z() {
        push_anomaly(&mut anomalies, DnsAnomaly::ZFlagSet);
    }
    if header.opcode() >= 7 {
        push_anomaly(&mut anomalies, DnsAnomaly::InvalidOpcode);
    }
    let mut pos = HEADER_LEN;
    let qd = usize::from(header.qdcount);
    if qd > MAX_QUESTIONS {
        push_anomaly(&mut anomalies, DnsAnomaly::TooManyRecords);
    }
    let mut questions = Vec::with_capacity(qd.min(MAX_QUESTIONS));
    for _ in 0..qd.min(MAX_QUESTIONS) {
        let (name, after) = name_at(msg, pos, &mut anomalies).ok_or(DnsAnomaly::MalformedData)?;
        let rest = msg.get(after..).ok_or(DnsAnomaly::MalformedData)?;
        let (_, (rrtype, rrclass)) = question_fixed(rest).map_err(|_| DnsAnomaly::MalformedData)?;
        pos = after + 4;
        questions.push(Question { name, rrtype, rrclass });
    }
    let (mut answers, mut authorities) = (Vec::new(), Vec::new());
    if qd <= MAX_QUESTIONS {
        let (an, complete) = parse_section(msg, &mut pos, header.ancount, &mut anomalies);
        answers = an;
        if complete {
            authorities = parse_section(msg, &mut pos, header.nscount, &mut anomalies).0;
        }
    }
    Ok(Message { header, questions, answers, authorities, anomalies })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(n: &str) -> Vec<u8> {
        let mut out = Vec::new();
        if !n.is_empty() {
            for l in n.split('.') {
                out.push(l.len() as u8);
                out.extend_from_slice(l.as_bytes());
            }
        }
        out.push(0);
        out
    }

    fn hdr(id: u16, flags: u16, qd: u16, an: u16, ns: u16) -> Vec<u8> {
        let mut v = Vec::new();
        for x in [id, flags, qd, an, ns, 0] {
            v.extend_from_slice(&x.to_be_bytes());
        }
        v
    }

    fn rr(owner: &[u8], t: u16, ttl: u32, rdata: &[u8]) -> Vec<u8> {
        let mut v = owner.to_vec();
        v.extend_from_slice(&t.to_be_bytes());
        v.extend_from_slice(&1u16.to_be_bytes());
        v.extend_from_slice(&ttl.to_be_bytes());
        v.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        v.extend_from_slice(rdata);
        v
    }

    // Response built like frame 2 of the lab capture dns.pcap (see
    // ../tls/testdata/README.md): www.Example.COM A, answered by a CNAME
    // whose target is compressed into the middle of the question name, then
    // two A records whose owner points at that CNAME target.
    fn cname_response() -> Vec<u8> {
        let mut m = hdr(0x1234, 0x8180, 1, 3, 0);
        m.extend(name("www.Example.COM"));
        m.extend_from_slice(&[0, 1, 0, 1]);
        m.extend(rr(&[0xc0, 0x0c], 5, 3600, b"\x07example\xc0\x18"));
        m.extend(rr(&[0xc0, 0x2d], 1, 300, &[93, 184, 216, 34]));
        m.extend(rr(&[0xc0, 0x2d], 1, 300, &[93, 184, 216, 35]));
        m
    }

    #[test]
    fn response_with_compression() {
        let m = parse_message(&cname_response()).unwrap();
        assert_eq!(m.header.id, 0x1234);
        assert!(m.header.is_response() && m.header.rd() && m.header.ra());
        assert_eq!(m.questions[0].name, b"www.Example.COM");
        assert_eq!(m.answers.len(), 3);
        assert_eq!(m.answers[0].name, b"www.Example.COM");
        assert_eq!(m.answers[0].data, RData::Cname(b"example.COM".to_vec()));
        assert_eq!(m.answers[1].name, b"example.COM");
        assert_eq!(m.answers[1].data, RData::A(Ipv4Addr::new(93, 184, 216, 34)));
        assert_eq!(m.answers[2].ttl, 300);
        assert!(m.anomalies.is_empty());
    }

    #[test]
    fn root_name_and_label_with_dot() {
        let mut m = hdr(1, 0x0100, 2, 0, 0);
        m.extend(name(""));
        m.extend_from_slice(&[0, 2, 0, 1]);
        m.extend_from_slice(b"\x03a.b\x02\xff\xfe\x07example\x00\x00\x01\x00\x01");
        let m = parse_message(&m).unwrap();
        assert_eq!(m.questions[0].name, b"");
        assert_eq!(m.questions[0].rrtype, 2);
        // Suricata 7 joins raw label bytes: a dot inside a label is not escaped.
        assert_eq!(m.questions[1].name, b"a.b.\xff\xfe.example");
    }

    #[test]
    fn pointer_loop_is_cut_not_failed() {
        // An answer whose owner name is a pointer to itself.
        let mut m = hdr(2, 0x8180, 1, 1, 0);
        m.extend(name("loop.example"));
        m.extend_from_slice(&[0, 1, 0, 1]);
        let off = m.len() as u8;
        m.extend(rr(&[0xc0, off], 1, 5, &[1, 2, 3, 4]));
        let m = parse_message(&m).unwrap();
        assert_eq!(m.answers.len(), 1);
        assert_eq!(m.answers[0].name, b"");
        assert_eq!(m.answers[0].data, RData::A(Ipv4Addr::new(1, 2, 3, 4)));
        assert!(m.anomalies.contains(&DnsAnomaly::InfiniteLoop));
    }

    #[test]
    fn two_pointer_loop_keeps_labels() {
        // label "a" then a pointer back to the label: a.a.a.a... until a cap.
        let mut msg = hdr(3, 0x0100, 1, 0, 0);
        msg.extend_from_slice(&[1, b'a', 0xc0, 12]);
        msg.extend_from_slice(&[0, 1, 0, 1]);
        let d = parse_name(&msg, 12).unwrap();
        assert_eq!(d.end, 16);
        assert!(d.name.starts_with(b"a.a.a"));
        assert!(!d.anomalies.is_empty());
        assert!(d.name.len() <= MAX_NAME_LEN);
        let m = parse_message(&msg).unwrap();
        assert_eq!(m.questions[0].rrtype, 1);
    }

    #[test]
    fn too_many_labels() {
        let mut msg = hdr(4, 0x0100, 1, 0, 0);
        for _ in 0..130 {
            msg.extend_from_slice(&[1, b'x']);
        }
        msg.push(0);
        msg.extend_from_slice(&[0, 1, 0, 1]);
        let m = parse_message(&msg).unwrap();
        let q = &m.questions[0];
        assert_eq!(q.name.iter().filter(|&&b| b == b'x').count(), MAX_LABELS);
        assert_eq!(q.rrtype, 1);
        assert!(m.anomalies.contains(&DnsAnomaly::TooManyLabels));
    }

    #[test]
    fn name_too_long() {
        let mut msg = hdr(5, 0x0100, 1, 0, 0);
        for _ in 0..5 {
            msg.push(63);
            msg.extend_from_slice(&[b'y'; 63]);
        }
        msg.push(0);
        msg.extend_from_slice(&[0, 28, 0, 1]);
        let m = parse_message(&msg).unwrap();
        assert!(m.questions[0].name.len() <= MAX_NAME_LEN);
        assert_eq!(m.questions[0].rrtype, 28);
        assert!(m.anomalies.contains(&DnsAnomaly::NameTooLong));
    }

    #[test]
    fn bad_label_type_and_bad_pointer_fail() {
        let mut msg = hdr(6, 0x0100, 1, 0, 0);
        msg.extend_from_slice(b"\x40aaaa\x00\x00\x01\x00\x01");
        assert_eq!(parse_message(&msg), Err(DnsAnomaly::MalformedData));
        let mut msg = hdr(6, 0x0100, 1, 0, 0);
        msg.extend_from_slice(&[0xc3, 0xff, 0, 1, 0, 1]);
        assert_eq!(parse_message(&msg), Err(DnsAnomaly::MalformedData));
        assert_eq!(parse_message(&[0; 11]), Err(DnsAnomaly::MalformedData));
    }

    #[test]
    fn txt_aaaa_mx_soa_srv_sshfp() {
        let mut m = hdr(7, 0x8580, 1, 6, 1);
        m.extend(name("example.org"));
        m.extend_from_slice(&[0, 16, 0, 1]);
        m.extend(rr(&[0xc0, 12], 16, 120, b"\x0bv=spf1 -all\x06second"));
        m.extend(rr(&[0xc0, 12], 28, 60, &[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]));
        m.extend(rr(&[0xc0, 12], 15, 300, b"\x00\x0a\x04mail\xc0\x0c"));
        m.extend(rr(&[0xc0, 12], 33, 60, b"\x00\x0a\x00\x3c\x13\xc4\x03sip\xc0\x0c"));
        m.extend(rr(&[0xc0, 12], 44, 60, b"\x01\x02\xde\xad"));
        m.extend(rr(&[0xc0, 12], 13, 60, b"\x03CPU\x02OS"));
        let mut soa = b"\x03ns1\xc0\x0c\x0ahostmaster\xc0\x0c".to_vec();
        for n in [1u32, 2, 3, 4, 5] {
            soa.extend_from_slice(&n.to_be_bytes());
        }
        m.extend(rr(&[0xc0, 12], 6, 900, &soa));
        let m = parse_message(&m).unwrap();
        assert!(m.anomalies.is_empty(), "{:?}", m.anomalies);
        assert_eq!(m.answers[0].data, RData::Txt(vec![b"v=spf1 -all".to_vec(), b"second".to_vec()]));
        assert_eq!(m.answers[1].data, RData::Aaaa("2001:db8::1".parse().unwrap()));
        assert_eq!(m.answers[2].data, RData::Mx { preference: 10, exchange: b"mail.example.org".to_vec() });
        match &m.answers[3].data {
            RData::Srv(s) => {
                assert_eq!((s.priority, s.weight, s.port), (10, 60, 5060));
                assert_eq!(s.target, b"sip.example.org");
            }
            d => panic!("{d:?}"),
        }
        assert_eq!(m.answers[4].data, RData::Sshfp(Sshfp { algo: 1, fp_type: 2, fingerprint: vec![0xde, 0xad] }));
        assert_eq!(m.answers[5].data, RData::Other(b"\x03CPU\x02OS".to_vec()));
        match &m.authorities[0].data {
            RData::Soa(s) => {
                assert_eq!(s.mname, b"ns1.example.org");
                assert_eq!(s.rname, b"hostmaster.example.org");
                assert_eq!((s.serial, s.minimum), (1, 5));
            }
            d => panic!("{d:?}"),
        }
    }

    #[test]
    fn truncated_answer_keeps_earlier_records() {
        let full = cname_response();
        let m = parse_message(&full[..full.len() - 2]).unwrap();
        assert_eq!(m.answers.len(), 2);
        assert!(m.anomalies.contains(&DnsAnomaly::MalformedData));
    }

    #[test]
    fn malformed_rdata_is_kept_raw() {
        let mut m = hdr(8, 0x8180, 1, 2, 0);
        m.extend(name("bad.example"));
        m.extend_from_slice(&[0, 1, 0, 1]);
        m.extend(rr(&[0xc0, 12], 1, 5, &[1, 2, 3]));
        m.extend(rr(&[0xc0, 12], 16, 5, b"\x09abc"));
        let m = parse_message(&m).unwrap();
        assert_eq!(m.answers[0].data, RData::Malformed(vec![1, 2, 3]));
        assert_eq!(m.answers[1].data, RData::Malformed(b"\x09abc".to_vec()));
        assert!(m.anomalies.contains(&DnsAnomaly::MalformedData));
    }

    #[test]
    fn header_flags() {
        let h = parse_header(&hdr(9, 0x8382 | 0x0040 | (2 << 11), 0, 0, 0)).unwrap();
        assert!(h.is_response() && h.tc() && h.rd() && h.ra() && h.z() && !h.aa());
        assert_eq!((h.opcode(), h.rcode()), (2, 2));
    }

    #[test]
    fn garbage_never_panics() {
        let mut seed = 0x1234_5678_u32;
        let base = cname_response();
        for round in 0..20_000 {
            let mut buf = base.clone();
            let n = 1 + (round % 8);
            for _ in 0..n {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                let idx = (seed >> 8) as usize % buf.len();
                buf[idx] = (seed >> 16) as u8;
            }
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let cut = (seed >> 8) as usize % (buf.len() + 1);
            let _ = parse_message(&buf[..cut]);
            let _ = parse_message(&buf);
        }
    }
}
