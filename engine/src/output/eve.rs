//! EVE JSON record types: serialize-only, borrowed, in the field order and
//! with the field names and types Suricata 7 writes. This module is the one
//! place to diff against Suricata's EVE schema.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use crate::source::Timestamp;

/// Formats packet time as Suricata does: `2024-01-01T00:00:00.003000+0000`
/// (UTC).
pub fn format_ts(ts: Timestamp) -> String {
    let t = jiff::Timestamp::from_microsecond(ts.as_micros()).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    t.to_zoned(jiff::tz::TimeZone::UTC).strftime("%Y-%m-%dT%H:%M:%S.%6f+0000").to_string()
}

/// Formats an address as Suricata does: IPv4 dotted, IPv6 fully expanded
/// with leading zeros (`2001:0db8:0000:...`).
pub fn format_ip(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(a) => a.to_string(),
        IpAddr::V6(a) => {
            let s = a.segments();
            format!(
                "{:04x}:{:04x}:{:04x}:{:04x}:{:04x}:{:04x}:{:04x}:{:04x}",
                s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]
            )
        }
    }
}

/// Name of an IP protocol as EVE's `proto` writes it: Suricata takes the
/// alias column of the IANA protocol list (`/etc/protocols`), e.g.
/// `IPv6-Frag` for 44; a number without a name is written as digits.
pub fn proto_name(p: u8) -> String {
    let name = match p {
        1 => "ICMP",
        2 => "IGMP",
        3 => "GGP",
        4 => "IP-ENCAP",
        5 => "ST",
        6 => "TCP",
        8 => "EGP",
        9 => "IGP",
        12 => "PUP",
        17 => "UDP",
        20 => "HMP",
        22 => "XNS-IDP",
        27 => "RDP",
        29 => "ISO-TP4",
        33 => "DCCP",
        36 => "XTP",
        37 => "DDP",
        38 => "IDPR-CMTP",
        41 => "IPv6",
        43 => "IPv6-Route",
        44 => "IPv6-Frag",
        45 => "IDRP",
        46 => "RSVP",
        47 => "GRE",
        50 => "IPSEC-ESP",
        51 => "IPSEC-AH",
        57 => "SKIP",
        58 => "IPv6-ICMP",
        59 => "IPv6-NoNxt",
        60 => "IPv6-Opts",
        73 => "RSPF",
        81 => "VMTP",
        88 => "EIGRP",
        89 => "OSPFIGP",
        93 => "AX.25",
        94 => "IPIP",
        97 => "ETHERIP",
        98 => "ENCAP",
        103 => "PIM",
        108 => "IPCOMP",
        112 => "VRRP",
        115 => "L2TP",
        124 => "ISIS",
        132 => "SCTP",
        133 => "FC",
        135 => "Mobility-Header",
        136 => "UDPLite",
        137 => "MPLS-in-IP",
        138 => "#",
        139 => "HIP",
        140 => "Shim6",
        141 => "WESP",
        142 => "ROHC",
        143 => "Ethernet",
        _ => return p.to_string(),
    };
    name.to_string()
}

/// EVE `pkt_src` of a packet decoded from the wire: `wire/pcap`, or the
/// innermost decapsulation that produced it, as Suricata names it.
pub fn pkt_src_name(encap: Option<crate::decode::TunnelKind>) -> &'static str {
    use crate::decode::TunnelKind;
    match encap {
        None => "wire/pcap",
        Some(TunnelKind::Vxlan) => "vxlan encapsulation",
        Some(TunnelKind::Geneve) => "geneve encapsulation",
        Some(TunnelKind::Gre | TunnelKind::Erspan) => "gre tunnel",
    }
}

/// Rule metadata as EVE writes it: `{key: [values...]}`.
pub struct Metadata<'a>(pub &'a crate::rules::ast::Pairs);

impl Serialize for Metadata<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (k, v) in self.0.iter() {
            m.entry(k).or_default().push(v);
        }
        let mut map = s.serialize_map(Some(m.len()))?;
        for (k, v) in m {
            map.serialize_entry(k, &v)?;
        }
        map.end()
    }
}

/// `alert` object.
#[derive(Serialize)]
pub struct AlertBody<'a> {
    /// "allowed" (IDS) or "blocked".
    pub action: &'a str,
    /// gid.
    pub gid: u32,
    /// sid.
    pub signature_id: u32,
    /// rev.
    pub rev: u32,
    /// msg.
    pub signature: &'a str,
    /// Class description.
    pub category: &'a str,
    /// Priority.
    pub severity: u8,
    /// Attacker side, for rules with `target`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Endpoint>,
    /// Attacked side, for rules with `target`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<Endpoint>,
    /// Rule metadata.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata<'a>>,
    /// The client address behind an HTTP proxy (`xff` in extra-data mode).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub xff: Option<String>,
}

/// `alert.source` / `alert.target`.
#[derive(Serialize)]
pub struct Endpoint {
    /// Address.
    pub ip: String,
    /// Port (0 for portless protocols).
    pub port: u16,
}

/// A MAC address as Suricata writes it: lowercase, colon-separated.
pub fn format_mac(m: &[u8; 6]) -> String {
    format!("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", m[0], m[1], m[2], m[3], m[4], m[5])
}

/// `ether` object of alerts and protocol records (`ethernet: yes`).
#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
pub struct EtherObj {
    /// Source MAC.
    pub src_mac: String,
    /// Destination MAC.
    pub dest_mac: String,
}

impl EtherObj {
    /// From a (source, destination) pair.
    pub fn new((src, dst): ([u8; 6], [u8; 6])) -> Self {
        EtherObj { src_mac: format_mac(&src), dest_mac: format_mac(&dst) }
    }
}

/// `tunnel` object: the outermost tunnel's outer packet.
#[derive(Serialize)]
pub struct TunnelObj {
    /// Outer source.
    pub src_ip: String,
    /// Outer source port.
    pub src_port: u16,
    /// Outer destination.
    pub dest_ip: String,
    /// Outer destination port.
    pub dest_port: u16,
    /// Outer transport ("UDP").
    pub proto: &'static str,
    /// Number of tunnel layers.
    pub depth: usize,
    /// Packet number in the capture.
    pub pcap_cnt: u64,
    /// Where the outer packet came from.
    pub pkt_src: &'static str,
    /// VNI of the innermost tunnel (mirador addition: the mirror session).
    pub vni: u32,
    /// Encapsulation of the innermost tunnel ("VXLAN" / "GENEVE").
    #[serde(rename = "type")]
    pub kind: &'static str,
}

/// `flow` object inside an alert.
#[derive(Serialize)]
pub struct FlowObj {
    /// Packets client -> server.
    pub pkts_toserver: u64,
    /// Packets server -> client.
    pub pkts_toclient: u64,
    /// Bytes client -> server.
    pub bytes_toserver: u64,
    /// Bytes server -> client.
    pub bytes_toclient: u64,
    /// First packet time.
    pub start: String,
    /// Client address.
    pub src_ip: String,
    /// Server address.
    pub dest_ip: String,
    /// Client port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub src_port: Option<u16>,
    /// Server port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dest_port: Option<u16>,
}

/// An `event_type: "alert"` record.
#[derive(Serialize)]
pub struct EveAlert<'a> {
    /// Packet time.
    pub timestamp: String,
    /// Flow id.
    pub flow_id: u64,
    /// Packet number (absent for tunnelled packets: it moves into `tunnel`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pcap_cnt: Option<u64>,
    /// "alert".
    pub event_type: &'static str,
    /// VLAN ids.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vlan: Option<Vec<u16>>,
    /// Packet source address.
    pub src_ip: String,
    /// Packet source port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub src_port: Option<u16>,
    /// Packet destination address.
    pub dest_ip: String,
    /// Packet destination port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dest_port: Option<u16>,
    /// Transport protocol name.
    pub proto: String,
    /// ICMP type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub icmp_type: Option<u8>,
    /// ICMP code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub icmp_code: Option<u8>,
    /// "wire/pcap", or the encapsulation for tunnelled packets.
    pub pkt_src: &'static str,
    /// The packet's MAC addresses (`ethernet: yes`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ether: Option<EtherObj>,
    /// The flow's Community ID (`community-id: yes`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub community_id: Option<String>,
    /// The transaction the alert matched in (app-layer matches only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tx_id: Option<u64>,
    /// `tx_id` was guessed (a stream match, `detect.guess-applayer-tx`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tx_guessed: Option<bool>,
    /// Alert.
    pub alert: AlertBody<'a>,
    /// Tunnel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tunnel: Option<TunnelObj>,
    /// Application protocol.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_proto: Option<&'static str>,
    /// "to_server" / "to_client".
    pub direction: &'static str,
    /// Flow.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flow: Option<FlowObj>,
    /// Inspected data (packet payload or stream), base64 (`payload: yes`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
    /// The same, printable (`payload-printable: yes`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload_printable: Option<String>,
    /// 1 when the match was on the reassembled stream (with payload logging).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream: Option<u8>,
    /// The whole packet as captured, base64 (`packet: yes`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub packet: Option<String>,
    /// The packet's link type (with `packet`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub packet_info: Option<PacketInfo>,
    /// `verdict: yes`: the packet's final action.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<serde_json::Value>,
    /// The frame a frame rule matched in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frame: Option<serde_json::Value>,
}

/// `packet_info` of an alert.
#[derive(Serialize)]
pub struct PacketInfo {
    /// pcap link type of `packet`.
    pub linktype: u32,
}

/// Suricata's printable rendering of payload bytes: printable ASCII, CR and
/// LF as they are, every other byte as `.`.
pub fn printable(b: &[u8]) -> String {
    b.iter().map(|&c| if c.is_ascii_graphic() || matches!(c, b' ' | b'\r' | b'\n') { c as char } else { '.' }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_keeps_text_and_line_ends() {
        assert_eq!(printable(b"GET /\r\n\x00\tx\xff"), "GET /\r\n..x.");
    }

    #[test]
    fn formats_like_suricata() {
        assert_eq!(format_ts(Timestamp { secs: 1_704_067_200, micros: 3000 }), "2024-01-01T00:00:00.003000+0000");
        assert_eq!(format_ip("2001:db8::5".parse().unwrap()), "2001:0db8:0000:0000:0000:0000:0000:0005");
        assert_eq!(format_ip("10.0.0.5".parse().unwrap()), "10.0.0.5");
        let md: crate::rules::ast::Pairs =
            [("created_at", "2024_01_01"), ("tag", "a"), ("tag", "b")].into_iter().collect();
        assert_eq!(serde_json::to_string(&Metadata(&md)).unwrap(), r#"{"created_at":["2024_01_01"],"tag":["a","b"]}"#);
    }
}
