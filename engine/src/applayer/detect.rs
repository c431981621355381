//! Protocol detection: look at the first payload of each direction and name
//! the protocol by its content, as Suricata's pattern/probing-parser
//! detection does; the port is only a hint for protocols without a
//! distinctive first bytes (DNS).

use crate::rules::ast::AppProto;

/// Outcome of probing one payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Probe {
    /// The protocol is known.
    Found(AppProto),
    /// Not enough data to tell yet.
    NeedMore,
    /// This payload is not a protocol mirador recognises.
    Unknown,
}

const HTTP_METHODS: &[&[u8]] = &[
    b"GET ",
    b"POST ",
    b"HEAD ",
    b"PUT ",
    b"DELETE ",
    b"OPTIONS ",
    b"CONNECT ",
    b"TRACE ",
    b"PATCH ",
    b"PROPFIND ",
    b"PROPPATCH ",
    b"MKCOL ",
    b"COPY ",
    b"MOVE ",
    b"LOCK ",
    b"UNLOCK ",
    b"SEARCH ",
];

fn starts_with_ci(hay: &[u8], needle: &[u8]) -> bool {
    hay.len() >= needle.len() && hay[..needle.len()].eq_ignore_ascii_case(needle)
}

/// A DNS header whose record counts fit in `len` bytes, the message's
/// length (a TCP message's length prefix, the datagram for UDP). As in
/// Suricata's probe, each record takes at least 2 bytes, so a junk header
/// claiming hundreds of them is not DNS, while a bare FormErr answer with
/// no question is.
fn looks_like_dns(p: &[u8], len: usize) -> bool {
    if p.len() < 12 || len < 12 {
        return false;
    }
    // Any opcode: Suricata's probe does not look at it, and a message with
    // an unassigned one is DNS with an `invalid_opcode` event.
    let count = |i: usize| usize::from(u16::from_be_bytes([p[i], p[i + 1]]));
    let records = count(4) + count(6) + count(8) + count(10);
    2 * records <= len
}

/// Probes one payload. `tcp` selects TCP framing (DNS over TCP has a
/// length prefix); ports are the packet's.
pub fn probe(p: &[u8], tcp: bool, sport: u16, dport: u16) -> Probe {
    let port_of = |n: u16| sport == n || dport == n;
    if p.is_empty() {
        return Probe::NeedMore;
    }
    if HTTP_METHODS.iter().any(|m| starts_with_ci(p, m)) || p.starts_with(b"HTTP/1.") {
        return Probe::Found(AppProto::Http);
    }
    if p.starts_with(b"PRI * HTTP/2.0") {
        return Probe::Found(AppProto::Http2);
    }
    if super::sip::looks_like_sip(p) {
        return Probe::Found(AppProto::Sip);
    }
    if tcp && super::mqtt::looks_like_mqtt(p) {
        return Probe::Found(AppProto::Mqtt);
    }
    if tcp && port_of(1883) && super::mqtt::fixed_header_ok(p) {
        // Suricata's MQTT probe, bound to the MQTT port, accepts any
        // well-formed fixed header: a session whose CONNECT was lost is
        // still MQTT from its CONNACK.
        return Probe::Found(AppProto::Mqtt);
    }
    if p.starts_with(b"SSH-") {
        return Probe::Found(AppProto::Ssh);
    }
    if tcp && p.len() >= 3 && matches!(p[0], 0x14..=0x17) && p[1] == 3 && p[2] <= 4 {
        return Probe::Found(AppProto::Tls);
    }
    if tcp && p.len() >= 3 && p[0] == 0x80 && p[2] == 0x01 {
        // SSLv2-framed ClientHello.
        return Probe::Found(AppProto::Tls);
    }
    if tcp && p.len() >= 8 && (&p[4..8] == b"\xffSMB" || &p[4..8] == b"\xfeSMB" || &p[4..8] == b"\xfdSMB") {
        return Probe::Found(AppProto::Smb);
    }
    if tcp && p.len() >= 2 && p[0] == 5 && p[1] <= 1 && p.len() >= 16 && matches!(p[2], 0 | 2 | 3 | 11 | 12 | 14) {
        return Probe::Found(AppProto::Dcerpc);
    }
    let port = port_of;
    if tcp
        && (port(25) || port(587) || port(465))
        && (p.starts_with(b"220") || starts_with_ci(p, b"EHLO") || starts_with_ci(p, b"HELO"))
    {
        return Probe::Found(AppProto::Smtp);
    }
    if tcp && port(21) && (p.starts_with(b"220") || starts_with_ci(p, b"USER ")) {
        return Probe::Found(AppProto::Ftp);
    }
    if tcp && port(143) && (p.starts_with(b"* OK") || p.windows(6).take(20).any(|w| w.eq_ignore_ascii_case(b"LOGIN ")))
    {
        return Probe::Found(AppProto::Imap);
    }
    if tcp && port(110) && (p.starts_with(b"+OK") || starts_with_ci(p, b"USER ")) {
        return Probe::Found(AppProto::Pop3);
    }
    if port(53) {
        let (msg, len) = if tcp {
            (p.get(2..).unwrap_or(&[]), p.get(..2).map_or(0, |l| usize::from(u16::from_be_bytes([l[0], l[1]]))))
        } else {
            (p, p.len())
        };
        if looks_like_dns(msg, len) {
            return Probe::Found(AppProto::Dns);
        }
    }
    if tcp && p.len() < 4 {
        return Probe::NeedMore;
    }
    Probe::Unknown
}

/// Which side sends `p`, the first payload of a direction found to be
/// `proto`, when the protocol's detection patterns tell (Suricata registers
/// them per direction): `Some(true)` a client, `Some(false)` a server. Only
/// HTTP's and DNS's are told apart: a method opens an HTTP request,
/// `HTTP/1.` a response; a DNS message says which it is in its QR bit
/// (`tcp`: the message follows a 2-byte length).
pub fn sent_by_client(proto: AppProto, p: &[u8], tcp: bool) -> Option<bool> {
    match proto {
        AppProto::Http if HTTP_METHODS.iter().any(|m| starts_with_ci(p, m)) => Some(true),
        AppProto::Http if p.starts_with(b"HTTP/1.") => Some(false),
        AppProto::Dns => {
            let msg = if tcp { p.get(2..)? } else { p };
            msg.get(2).map(|flags| flags & 0x80 == 0)
        }
        _ => None,
    }
}

/// A server's greeting that Suricata 7 does not detect in the to-client
/// direction (it has SMTP patterns for clients only): probed as the second
/// direction of a flow whose protocol is already known, it names nothing,
/// so a TLS session answered by an SMTP banner is "detected in one
/// direction only" as there.
pub fn undetected_banner(proto: AppProto, p: &[u8]) -> bool {
    proto == AppProto::Smtp && p.starts_with(b"220")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_tells_its_sender() {
        assert_eq!(sent_by_client(AppProto::Http, b"GET / HTTP/1.1\r\n", true), Some(true));
        assert_eq!(sent_by_client(AppProto::Http, b"HTTP/1.1 200 OK\r\n", true), Some(false));
        assert_eq!(sent_by_client(AppProto::Tls, b"\x16\x03\x01", true), None);
    }

    #[test]
    fn dns_tells_its_sender_by_qr() {
        let query = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00";
        let answer = b"\x12\x34\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00";
        assert_eq!(sent_by_client(AppProto::Dns, query, false), Some(true));
        assert_eq!(sent_by_client(AppProto::Dns, answer, false), Some(false));
        let mut framed = vec![0, 12];
        framed.extend_from_slice(answer);
        assert_eq!(sent_by_client(AppProto::Dns, &framed, true), Some(false));
        assert_eq!(sent_by_client(AppProto::Dns, b"\x00", true), None);
    }

    #[test]
    fn mqtt_on_its_port_from_any_packet() {
        // A CONNACK (the CONNECT was lost) is MQTT on port 1883 only.
        assert_eq!(probe(b"\x20\x02\x00\x00", true, 1883, 60105), Probe::Found(AppProto::Mqtt));
        assert_eq!(probe(b"\x20\x02\x00\x00", true, 1884, 60105), Probe::Unknown);
        // QoS 3 is not a valid fixed header.
        assert_eq!(probe(b"\x36\x02\x00\x00", true, 1883, 60105), Probe::Unknown);
    }

    #[test]
    fn by_content() {
        assert_eq!(probe(b"GET / HTTP/1.1\r\n", true, 40000, 8080), Probe::Found(AppProto::Http));
        assert_eq!(probe(b"HTTP/1.1 200 OK\r\n", true, 8080, 40000), Probe::Found(AppProto::Http));
        assert_eq!(probe(b"\x16\x03\x01\x00\x10", true, 1, 2), Probe::Found(AppProto::Tls));
        assert_eq!(probe(b"SSH-2.0-OpenSSH", true, 1, 2), Probe::Found(AppProto::Ssh));
        assert_eq!(probe(b"220 mail ESMTP\r\n", true, 25, 40000), Probe::Found(AppProto::Smtp));
        assert_eq!(probe(b"hello world", true, 1, 2), Probe::Unknown);
        assert_eq!(probe(b"", true, 1, 2), Probe::NeedMore);
    }

    #[test]
    fn dns_by_port_and_shape() {
        let q = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x04evil\x00\x00\x01\x00\x01";
        assert_eq!(probe(q, false, 53000, 53), Probe::Found(AppProto::Dns));
        assert_eq!(probe(q, false, 53000, 5353), Probe::Unknown);
        // Opcode 9 (unassigned) is still DNS, as in Suricata.
        let q9 = b"\x12\x34\x49\x00\x00\x01\x00\x00\x00\x00\x00\x00\x04evil\x00\x00\x01\x00\x01";
        assert_eq!(probe(q9, false, 53000, 53), Probe::Found(AppProto::Dns));
        // A header claiming more records than the message could hold is
        // junk; a FormErr answer without a question is DNS.
        let junk = b"\x30\x40\x02\x01\x03\x30\x0f\x02\x03\x00\x91\xc8\x02\x02\x05\xdc";
        assert_eq!(probe(junk, false, 59075, 53), Probe::Unknown);
        let formerr = b"\x30\x40\x80\x81\x00\x00\x00\x00\x00\x00\x00\x00send_";
        assert_eq!(probe(formerr, false, 53, 59075), Probe::Found(AppProto::Dns));
    }
}
