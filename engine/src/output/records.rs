//! EVE records other than alerts: `flow` at a flow's end, and the protocol
//! records (`http`, `dns`, `tls`) of finished transactions, with Suricata
//! 7's envelope fields.

use serde_json::{Map, Value};

use super::community_id::community_id;
use super::eve::{format_ip, format_mac, format_ts, pkt_src_name, proto_name, EtherObj};
use crate::applayer::AppRecord;
use crate::flow::{Flow, FlowVerdict};
use crate::source::Timestamp;

/// Which EVE event types are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EveTypes {
    /// `alert`.
    pub alert: bool,
    /// `flow`.
    pub flow: bool,
    /// `http`.
    pub http: bool,
    /// `dns`.
    pub dns: bool,
    /// `tls`.
    pub tls: bool,
    /// `sip`.
    pub sip: bool,
    /// `dcerpc`.
    pub dcerpc: bool,
    /// `smb`.
    pub smb: bool,
    /// `anomaly` with decoder events (Suricata's `anomaly: types: decode`).
    pub anomaly_decode: bool,
    /// `anomaly` with app-layer parser events (Suricata's `anomaly: types:
    /// applayer`, on by default).
    pub anomaly_applayer: bool,
    /// `stats`: one record of the run's counters at its end (the caller
    /// writes it: see `pipeline::Stats::eve_record`).
    pub stats: bool,
    /// `community-id: yes`: the seed of the Community ID written in flow and
    /// protocol records (alerts: [`crate::output::AlertOptions`]).
    pub community_id: Option<u16>,
    /// `ethernet: yes`: MAC addresses in protocol records (`ether.src_mac`)
    /// and flow records (`ether.src_macs`); alerts: see
    /// [`crate::output::AlertOptions`].
    pub ethernet: bool,
}

impl Default for EveTypes {
    /// Alerts only: what a sensor feeding a SIEM needs first; the protocol
    /// and flow records are switched on with `--eve-types`.
    fn default() -> Self {
        EveTypes { alert: true, ..EveTypes::NONE }
    }
}

impl EveTypes {
    /// No record type.
    pub const NONE: EveTypes = EveTypes {
        alert: false,
        flow: false,
        http: false,
        dns: false,
        tls: false,
        sip: false,
        dcerpc: false,
        smb: false,
        anomaly_decode: false,
        anomaly_applayer: false,
        stats: false,
        community_id: None,
        ethernet: false,
    };

    /// Every type mirador writes (Suricata's default `eve-log` types that
    /// mirador implements, stats included). Of the anomalies only the
    /// app-layer ones are on, as in Suricata's default configuration:
    /// decoder anomalies are many on a busy link.
    pub fn all() -> Self {
        EveTypes {
            alert: true,
            flow: true,
            http: true,
            dns: true,
            tls: true,
            sip: true,
            dcerpc: true,
            smb: true,
            anomaly_applayer: true,
            stats: true,
            ..EveTypes::NONE
        }
    }

    /// Parses `alert,flow,http,dns,tls,anomaly,stats` (unknown names are
    /// returned). `anomaly` is every kind of anomaly record;
    /// `anomaly.decode` and `anomaly.applayer` name one.
    pub fn parse(list: &str) -> (Self, Vec<String>) {
        let mut t = EveTypes::NONE;
        let mut unknown = Vec::new();
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            if !t.enable(name) {
                unknown.push(name.to_string());
            }
        }
        (t, unknown)
    }

    /// Enables one type by name; false when mirador does not write it.
    pub fn enable(&mut self, name: &str) -> bool {
        match name {
            "alert" => self.alert = true,
            "flow" => self.flow = true,
            "http" => self.http = true,
            "dns" => self.dns = true,
            "tls" => self.tls = true,
            "sip" => self.sip = true,
            "dcerpc" => self.dcerpc = true,
            "smb" => self.smb = true,
            "anomaly" => {
                self.anomaly_decode = true;
                self.anomaly_applayer = true;
            }
            "anomaly.decode" => self.anomaly_decode = true,
            "anomaly.applayer" => self.anomaly_applayer = true,
            "stats" => self.stats = true,
            _ => return false,
        }
        true
    }

    /// True when a protocol record type is on.
    pub fn wants(&self, kind: &str) -> bool {
        match kind {
            "http" => self.http,
            "dns" => self.dns,
            "tls" => self.tls,
            "sip" => self.sip,
            "dcerpc" => self.dcerpc,
            "smb" => self.smb,
            "flow" => self.flow,
            "alert" => self.alert,
            _ => false,
        }
    }
}

/// The envelope Suricata 7 writes before the record's own objects:
/// `timestamp`, `flow_id`, `pcap_cnt`, `event_type`, `vlan`, the 5-tuple and,
/// for protocol records, `pkt_src`.
fn envelope(
    ts: Timestamp,
    flow: &Flow,
    pcap_cnt: Option<u64>,
    event_type: &str,
    pkt_src: Option<&'static str>,
) -> Map<String, Value> {
    envelope_dir(ts, flow, pcap_cnt, event_type, pkt_src, true)
}

/// [`envelope`] with the 5-tuple in the direction of a packet
/// (`to_server` false: server first).
fn envelope_dir(
    ts: Timestamp,
    flow: &Flow,
    pcap_cnt: Option<u64>,
    event_type: &str,
    pkt_src: Option<&'static str>,
    to_server: bool,
) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("timestamp".into(), format_ts(ts).into());
    m.insert("flow_id".into(), flow.id.into());
    if let Some(n) = pcap_cnt {
        m.insert("pcap_cnt".into(), n.into());
    }
    m.insert("event_type".into(), event_type.into());
    if !flow.vlans.is_empty() {
        m.insert("vlan".into(), flow.vlans.clone().into());
    }
    // Flow direction (client first) for every protocol record type, DNS
    // answers included, as Suricata writes them.
    let (a, b) = if to_server { (flow.client, flow.server) } else { (flow.server, flow.client) };
    let ports = matches!(flow.proto, 6 | 17 | 132);
    m.insert("src_ip".into(), format_ip(a.0).into());
    if ports {
        m.insert("src_port".into(), a.1.into());
    }
    m.insert("dest_ip".into(), format_ip(b.0).into());
    if ports {
        m.insert("dest_port".into(), b.1.into());
    }
    m.insert("proto".into(), proto_name(flow.proto).into());
    if let Some(src) = pkt_src {
        m.insert("pkt_src".into(), src.into());
    }
    m
}

/// An `anomaly` record for a decoder event on the packet `pkt`, as
/// Suricata writes it (`anomaly.type: decode`, `anomaly.event:
/// decoder.<name>`), with the packet's addresses (and ports when its
/// transport header was read).
pub fn render_decode_anomaly(
    ts: Timestamp,
    pkt: &crate::decode::Packet<'_>,
    pcap_cnt: u64,
    event: crate::decode::DecodeEvent,
) -> String {
    let mut m = Map::new();
    m.insert("timestamp".into(), format_ts(ts).into());
    m.insert("pcap_cnt".into(), pcap_cnt.into());
    m.insert("event_type".into(), "anomaly".into());
    if let Some(ip) = pkt.ip.as_ref() {
        let (sp, dp) = pkt.l4.ports();
        let ports = pkt.invalid.is_none() && matches!(ip.proto, 6 | 17);
        m.insert("src_ip".into(), format_ip(ip.src).into());
        if ports {
            m.insert("src_port".into(), sp.into());
        }
        m.insert("dest_ip".into(), format_ip(ip.dst).into());
        if ports {
            m.insert("dest_port".into(), dp.into());
        }
        m.insert("proto".into(), proto_name(ip.proto).into());
    }
    m.insert("pkt_src".into(), "wire/pcap".into());
    m.insert("anomaly".into(), serde_json::json!({ "type": "decode", "event": format!("decoder.{}", event.name()) }));
    Value::Object(m).to_string()
}

/// An `anomaly` record for an event an app-layer parser raised in
/// transaction `tx_id` (`anomaly.type: applayer`, `layer: proto_parser`).
///
/// Suricata writes it from the packet whose processing logs the event, so
/// the 5-tuple is in that packet's direction (`to_server`), not the flow's;
/// `pcap_cnt` and `pkt_src` are as in [`render_app`] (None: the flow-end
/// pseudo packet).
pub fn render_app_anomaly(
    ts: Timestamp,
    flow: &Flow,
    pcap_cnt: Option<u64>,
    to_server: bool,
    tx_id: u64,
    event: &str,
    community_id: Option<u16>,
) -> String {
    applayer_anomaly(ts, flow, pcap_cnt, to_server, Some(tx_id), event, "proto_parser", community_id)
}

/// An `anomaly` record for a protocol-detection event (`layer:
/// proto_detect`): raised on a packet rather than by a transaction, so
/// without `tx_id`. Arguments as for [`render_app_anomaly`].
pub fn render_proto_detect_anomaly(
    ts: Timestamp,
    flow: &Flow,
    pcap_cnt: Option<u64>,
    to_server: bool,
    event: &str,
    community_id: Option<u16>,
) -> String {
    applayer_anomaly(ts, flow, pcap_cnt, to_server, None, event, "proto_detect", community_id)
}

#[allow(clippy::too_many_arguments)]
fn applayer_anomaly(
    ts: Timestamp,
    flow: &Flow,
    pcap_cnt: Option<u64>,
    to_server: bool,
    tx_id: Option<u64>,
    event: &str,
    layer: &str,
    community_id: Option<u16>,
) -> String {
    let pkt_src = if pcap_cnt.is_none() { "stream (flow timeout)" } else { pkt_src_name(flow.encap) };
    let pcap_cnt = pcap_cnt.filter(|_| flow.encap.is_none());
    let mut m = envelope_dir(ts, flow, pcap_cnt, "anomaly", Some(pkt_src), to_server);
    add_community_id(&mut m, flow, community_id);
    add_tunnel(&mut m, flow);
    if let Some(tx_id) = tx_id {
        m.insert("tx_id".into(), tx_id.into());
    }
    let proto = flow.app_proto.map_or("unknown", |p| p.name());
    m.insert(
        "anomaly".into(),
        serde_json::json!({ "app_proto": proto, "type": "applayer", "event": event, "layer": layer }),
    );
    Value::Object(m).to_string()
}

/// The flow's Community ID (with `seed`), for records and alerts.
pub fn flow_community_id(flow: &Flow, seed: u16) -> String {
    let (c, s) = (flow.client, flow.server);
    match (flow.proto, flow.icmp[0]) {
        (1 | 58, Some((t, code))) => community_id(seed, c.0, u16::from(t), s.0, u16::from(code), flow.proto),
        _ => community_id(seed, c.0, c.1, s.0, s.1, flow.proto),
    }
}

/// Adds `community_id` after the envelope when a seed is given.
fn add_community_id(m: &mut Map<String, Value>, flow: &Flow, seed: Option<u16>) {
    if let Some(seed) = seed {
        m.insert("community_id".into(), flow_community_id(flow, seed).into());
    }
}

/// mirador addition: the mirror session's VNI, so that flow and protocol
/// records can be enriched like alerts (output::enrich). Suricata writes no
/// `tunnel` object outside alerts.
fn add_tunnel(m: &mut Map<String, Value>, flow: &Flow) {
    if let Some(vni) = flow.vni {
        m.insert("tunnel".into(), serde_json::json!({ "vni": vni }));
    }
}

/// A protocol record (`http`, `dns`, `tls`) for a transaction.
///
/// `pcap_cnt` is the packet that completed the transaction (None for the
/// flow-end pseudo packet). As in Suricata, a tunnelled packet's record has
/// no `pcap_cnt` (Suricata moves it into an alert's `tunnel` object and
/// leaves it out of protocol records), and `pkt_src` names where the packet
/// came from.
/// `community_id` is the seed when the Community ID is written.
///
/// `ether` is the logging packet's (source, destination) MACs when
/// `ethernet: yes`, already turned to the flow's direction: Suricata writes
/// a transaction's MACs client first, whichever packet completed it.
pub fn render_app(
    ts: Timestamp,
    flow: &Flow,
    pcap_cnt: Option<u64>,
    rec: &AppRecord,
    community_id: Option<u16>,
    ether: Option<([u8; 6], [u8; 6])>,
) -> String {
    let pkt_src = if pcap_cnt.is_none() { "stream (flow timeout)" } else { pkt_src_name(flow.encap) };
    let pcap_cnt = pcap_cnt.filter(|_| flow.encap.is_none());
    let mut m = envelope(ts, flow, pcap_cnt, rec.kind, Some(pkt_src));
    if let Some(e) = ether {
        m.insert("ether".into(), serde_json::to_value(EtherObj::new(e)).unwrap_or_default());
    }
    add_community_id(&mut m, flow, community_id);
    add_tunnel(&mut m, flow);
    // Suricata writes `tx_id` in `http` records only (`dns` has it inside
    // the `dns` object, `tls` not at all).
    if rec.kind == "http" {
        m.insert("tx_id".into(), rec.tx_id.into());
    }
    m.insert(rec.kind.into(), rec.body.clone());
    Value::Object(m).to_string()
}

/// Why a flow record is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlowEnd {
    /// Idle past its timeout.
    Timeout,
    /// Evicted to make room (flow table full).
    Forced,
    /// End of input.
    Shutdown,
}

fn flags_hex(f: u8) -> String {
    format!("{f:02x}")
}

/// The `flow` record of a finished flow (`community_id`: see
/// [`render_app`]). `ethernet` adds the MACs of each side
/// ([`Flow::macs`]).
pub fn render_flow(flow: &Flow, end: FlowEnd, community_id: Option<u16>, ethernet: bool) -> String {
    let mut m = envelope(flow.last, flow, None, "flow", None);
    add_community_id(&mut m, flow, community_id);
    if matches!(flow.proto, 1 | 58) {
        // Suricata: the first packet's type and code, and the reply's once
        // the other side answered.
        if let Some((t, c)) = flow.icmp[0] {
            m.insert("icmp_type".into(), t.into());
            m.insert("icmp_code".into(), c.into());
        }
        if let Some((t, c)) = flow.icmp[1].filter(|_| flow.pkts_toclient > 0) {
            m.insert("response_icmp_type".into(), t.into());
            m.insert("response_icmp_code".into(), c.into());
        }
    }
    add_tunnel(&mut m, flow);
    if let Some(p) = flow.app_proto {
        m.insert("app_proto".into(), p.name().into());
    }
    // One direction named another protocol than the flow's (Suricata's
    // `APPLAYER_MISMATCH_PROTOCOL_BOTH_DIRECTIONS`).
    if let Some((to_server, p)) = flow.app_proto_other {
        m.insert(if to_server { "app_proto_ts" } else { "app_proto_tc" }.into(), p.name().into());
    }
    let mut f = Map::new();
    f.insert("pkts_toserver".into(), flow.pkts_toserver.into());
    f.insert("pkts_toclient".into(), flow.pkts_toclient.into());
    f.insert("bytes_toserver".into(), flow.bytes_toserver.into());
    f.insert("bytes_toclient".into(), flow.bytes_toclient.into());
    let bypassed = flow.verdict == Some(FlowVerdict::Bypass);
    if bypassed {
        // Suricata's counters of packets a capture method bypassed before
        // the engine (in the kernel or the NIC). A bypass in the engine
        // ("local", all a capture file allows) leaves them at zero: its
        // packets are counted above.
        f.insert(
            "bypassed".into(),
            serde_json::json!({ "pkts_toserver": 0, "pkts_toclient": 0, "bytes_toserver": 0, "bytes_toclient": 0 }),
        );
    }
    f.insert("start".into(), format_ts(flow.start).into());
    f.insert("end".into(), format_ts(flow.last).into());
    f.insert("age".into(), (flow.last.secs - flow.start.secs).max(0).into());
    if bypassed {
        f.insert("bypass".into(), "local".into());
    }
    // Suricata's flow state follows the TCP session's (see TcpState);
    // other protocols are established once both sides spoke. A bypassed
    // flow says so instead.
    let state = match flow.proto {
        _ if bypassed => "bypassed",
        6 if flow.tcp.is_closed() => "closed",
        6 if flow.tcp.is_established() => "established",
        _ if flow.proto != 6 && flow.established() => "established",
        _ => "new",
    };
    f.insert("state".into(), state.into());
    let reason = match end {
        FlowEnd::Timeout => "timeout",
        FlowEnd::Forced => "forced",
        FlowEnd::Shutdown => "shutdown",
    };
    f.insert("reason".into(), reason.into());
    f.insert("alerted".into(), flow.alerted.into());
    // An exception policy's verdict, else a pass or drop rule's.
    let action = match flow.verdict {
        Some(FlowVerdict::Drop) => Some("drop"),
        Some(FlowVerdict::Pass | FlowVerdict::Bypass) => Some("pass"),
        None => flow.detect.action().map(|a| match a {
            crate::detect::FlowAction::Pass => "pass",
            crate::detect::FlowAction::Drop => "drop",
        }),
    };
    if let Some(action) = action {
        f.insert("action".into(), action.into());
    }
    m.insert("flow".into(), Value::Object(f));
    if ethernet && flow.macs.iter().any(|s| !s.is_empty()) {
        let list = |side: &[[u8; 6]]| Value::from(side.iter().map(format_mac).collect::<Vec<_>>());
        m.insert(
            "ether".into(),
            serde_json::json!({ "dest_macs": list(&flow.macs[1]), "src_macs": list(&flow.macs[0]) }),
        );
    }
    if flow.proto == 6 {
        // Without a session Suricata has no flags to write: zeros only.
        let all = flow.tcp_flags[0] | flow.tcp_flags[1];
        let mut t = Map::new();
        t.insert("tcp_flags".into(), flags_hex(all).into());
        t.insert("tcp_flags_ts".into(), flags_hex(flow.tcp_flags[0]).into());
        t.insert("tcp_flags_tc".into(), flags_hex(flow.tcp_flags[1]).into());
        for (bit, name) in [
            (0x02, "syn"),
            (0x01, "fin"),
            (0x04, "rst"),
            (0x08, "psh"),
            (0x10, "ack"),
            (0x20, "urg"),
            (0x40, "ecn"),
            (0x80, "cwr"),
        ] {
            if all & bit != 0 {
                t.insert(name.into(), true.into());
            }
        }
        if let Some(name) = flow.tcp.name() {
            t.insert("state".into(), name.into());
            // Suricata's count of the stream buffer's regions per
            // direction: mirador keeps each direction's data in one buffer,
            // the one region Suricata reports for all but sparse streams.
            t.insert("ts_max_regions".into(), 1.into());
            t.insert("tc_max_regions".into(), 1.into());
        }
        m.insert("tcp".into(), Value::Object(t));
    }
    Value::Object(m).to_string()
}

#[cfg(test)]
mod tests {
    use super::{render_app, render_flow, FlowEnd};
    use crate::applayer::AppRecord;
    use crate::decode::{decode, LinkType};
    use crate::flow::{FlowTable, Timeouts};
    use crate::source::Timestamp;

    /// Ethernet `src` -> `dst` around UDP 10.0.0.1:1024 <-> 10.0.0.2:53 (no
    /// payload; IPv4 checksum left 0), from the client when `to_server`.
    fn frame(src: u8, dst: u8, to_server: bool) -> Vec<u8> {
        let mut f = vec![2, 0, 0, 0, 0, dst, 2, 0, 0, 0, 0, src, 0x08, 0x00];
        f.extend([0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0]);
        let (a, b, sp, dp) = if to_server { (1, 2, 1024u16, 53u16) } else { (2, 1, 53, 1024) };
        f.extend([10, 0, 0, a, 10, 0, 0, b]);
        f.extend(sp.to_be_bytes());
        f.extend(dp.to_be_bytes());
        f.extend([0, 8, 0, 0]);
        f
    }

    #[test]
    fn ethernet_macs_by_side_in_flow_and_tx_records() {
        let mut table = FlowTable::new(16, Timeouts::default());
        table.track_macs = true;
        let ts = Timestamp { secs: 1_700_000_000, micros: 0 };
        // Client MACs :13 and :11 behind two routers, server side :14 and :12.
        for (src, dst, to_server) in [(0x13, 0x14, true), (0x12, 0x11, false), (0x11, 0x14, true), (0x13, 0x14, true)] {
            let f = frame(src, dst, to_server);
            let p = decode(LinkType::Ethernet, &f).unwrap();
            assert_eq!(p.macs().unwrap().0[5], src);
            table.update(&p, ts, f.len() as u64).unwrap();
        }
        let flow = table.drain_all().pop().unwrap();
        assert_eq!(flow.macs[0].iter().map(|m| m[5]).collect::<Vec<_>>(), [0x13, 0x11]);
        assert_eq!(flow.macs[1].iter().map(|m| m[5]).collect::<Vec<_>>(), [0x14, 0x12]);

        let rec: serde_json::Value = serde_json::from_str(&render_flow(&flow, FlowEnd::Shutdown, None, true)).unwrap();
        assert_eq!(rec["ether"]["src_macs"], serde_json::json!(["02:00:00:00:00:13", "02:00:00:00:00:11"]));
        assert_eq!(rec["ether"]["dest_macs"], serde_json::json!(["02:00:00:00:00:14", "02:00:00:00:00:12"]));
        let off: serde_json::Value = serde_json::from_str(&render_flow(&flow, FlowEnd::Shutdown, None, false)).unwrap();
        assert!(off.get("ether").is_none());

        let tx = AppRecord { kind: "dns", tx_id: 0, to_server: false, body: serde_json::json!({}) };
        let line = render_app(ts, &flow, Some(2), &tx, None, Some(([2, 0, 0, 0, 0, 0x13], [2, 0, 0, 0, 0, 0x14])));
        let rec: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(rec["ether"], serde_json::json!({"src_mac": "02:00:00:00:00:13", "dest_mac": "02:00:00:00:00:14"}));
    }

    #[test]
    fn macs_are_not_kept_unless_asked() {
        let mut table = FlowTable::new(16, Timeouts::default());
        let f = frame(1, 2, true);
        table.update(&decode(LinkType::Ethernet, &f).unwrap(), Timestamp { secs: 1, micros: 0 }, 42).unwrap();
        assert!(table.drain_all()[0].macs.iter().all(Vec::is_empty));
    }
}
