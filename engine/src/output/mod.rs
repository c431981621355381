//! Output: EVE records and the sinks they go to.
//!
//! Detection produces matches; this module turns them into EVE JSON lines
//! ([`eve`]) and writes them to a [`Sink`]. Sinks are flushed on exit so no
//! record is lost on a clean shutdown.

pub mod community_id;
pub mod enrich;
pub mod eve;
pub mod fastlog;
pub mod pcap_out;
pub mod records;
pub mod sinks;

use std::io::{self, BufWriter, Write};
use std::path::Path;

use crate::decode::{LinkType, Packet, TunnelKind, L4};
use crate::detect::Signature;
use crate::flow::Flow;
use crate::source::Timestamp;
use eve::{format_ip, format_ts, proto_name, AlertBody, Endpoint, EveAlert, FlowObj, Metadata, TunnelObj};

/// Where EVE lines go.
pub trait Sink: Send {
    /// Writes one record (a JSON object without the newline).
    ///
    /// # Errors
    /// I/O errors of the underlying writer.
    fn write_record(&mut self, json: &str) -> io::Result<()>;

    /// Flushes buffered records.
    ///
    /// # Errors
    /// I/O errors of the underlying writer.
    fn flush(&mut self) -> io::Result<()>;

    /// Writes an alert whose threshold/detection_filter check was deferred
    /// to the caller (the parallel pipeline applies thresholds when it
    /// merges workers' output in packet order). Plain sinks just write it.
    ///
    /// # Errors
    /// I/O errors of the underlying writer.
    fn write_alert(&mut self, line: &str, hit: &crate::detect::threshold::Hit) -> io::Result<()> {
        let _ = hit;
        self.write_record(line)
    }

    /// A flow ended (input for behavioural analytics; ignored by plain sinks).
    fn flow_ended(&mut self, f: &crate::analytics::FlowSummary) {
        let _ = f;
    }

    /// A DNS response was seen (input for behavioural analytics).
    fn dns_answer(&mut self, q: &crate::analytics::DnsQuery) {
        let _ = q;
    }
}

/// A buffered writer sink: file (append) or stdout.
pub struct WriterSink {
    out: BufWriter<Box<dyn Write + Send>>,
}

impl WriterSink {
    /// Appends to `path` (created if missing), as Suricata's eve-log does.
    ///
    /// # Errors
    /// When the file cannot be opened.
    pub fn append(path: &Path) -> io::Result<Self> {
        let f = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
        Ok(WriterSink { out: BufWriter::with_capacity(1 << 16, Box::new(f)) })
    }

    /// Writes to standard output.
    pub fn stdout() -> Self {
        WriterSink { out: BufWriter::with_capacity(1 << 16, Box::new(io::stdout())) }
    }
}

impl Sink for WriterSink {
    fn write_record(&mut self, json: &str) -> io::Result<()> {
        self.out.write_all(json.as_bytes())?;
        self.out.write_all(b"\n")
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Collects records in memory (tests, embedding).
#[derive(Default)]
pub struct VecSink(pub Vec<String>);

impl Sink for VecSink {
    fn write_record(&mut self, json: &str) -> io::Result<()> {
        self.0.push(json.to_string());
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Everything an alert record is made of.
pub struct AlertInput<'a> {
    /// Packet time.
    pub ts: Timestamp,
    /// Packet number in the capture (1-based); None for the pseudo packet
    /// that inspects a flow at its end.
    pub pcap_cnt: Option<u64>,
    /// Decoded packet.
    pub pkt: &'a Packet<'a>,
    /// The signature.
    pub sig: &'a Signature,
    /// The packet's flow.
    pub flow: Option<&'a Flow>,
    /// The flow's application protocol as this packet saw it.
    pub app_proto: Option<crate::rules::ast::AppProto>,
    /// The app-layer object for the alert (`("http", {...})`).
    pub app_obj: Option<(&'static str, serde_json::Value)>,
    /// The `frame` object, for a match in a frame buffer.
    pub frame_obj: Option<serde_json::Value>,
    /// The EVE `files` array (files of the alert's transaction), placed
    /// after the app-layer object.
    pub files: Option<serde_json::Value>,
    /// Packet direction relative to the flow.
    pub to_server: bool,
    /// The transaction it matched in, for app-layer matches.
    pub tx_id: Option<u64>,
    /// `tx_id` was guessed for a stream match.
    pub tx_guessed: bool,
    /// The data the signature inspected when it matched on the stream
    /// (None: the packet's payload).
    pub stream: Option<&'a [u8]>,
    /// Optional alert fields.
    pub opts: &'a AlertOptions,
    /// The client address an HTTP proxy header names ([`AlertOptions::xff`]).
    pub xff: Option<std::net::IpAddr>,
    /// What the rules decided for the packet, for `verdict`.
    pub verdict: crate::detect::PacketAction,
}

/// Optional fields of alert records, as Suricata's `eve-log` `alert`
/// options name them. All off by default, as in Suricata.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlertOptions {
    /// `payload`: the inspected data, base64, and `stream`.
    pub payload: bool,
    /// `payload-printable`.
    pub payload_printable: bool,
    /// `payload-buffer-size`: at most this many bytes of stream data.
    pub payload_buffer_size: usize,
    /// `packet`: the captured packet, base64, with `packet_info`.
    pub packet: bool,
    /// `community-id: yes` on the eve-log: its seed.
    pub community_id: Option<u16>,
    /// `xff`: the client address behind an HTTP proxy, from a header.
    pub xff: Option<Xff>,
    /// `verdict`: the packet's final action in each alert.
    pub verdict: bool,
    /// `ethernet: yes` on the eve-log: the packet's MAC addresses.
    pub ethernet: bool,
    /// Suricata runs inline (`--simulate-ips`): a drop rule's alert says
    /// `blocked` and a dropped packet's verdict is `drop`, where an IDS
    /// only alerts.
    pub ips: bool,
}

/// The eve-log alert `xff` options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Xff {
    /// `mode: overwrite`: the address also replaces the client's in
    /// `src_ip` or `dest_ip` (both modes add `alert.xff`).
    pub overwrite: bool,
    /// `deployment: forward`: the first address of the list is the
    /// client's; else (`reverse`) the last one.
    pub forward: bool,
    /// `header` (default `X-Forwarded-For`).
    pub header: String,
}

impl Default for AlertOptions {
    fn default() -> Self {
        AlertOptions {
            payload: false,
            payload_printable: false,
            payload_buffer_size: 4096,
            packet: false,
            community_id: None,
            xff: None,
            verdict: false,
            ethernet: false,
            ips: false,
        }
    }
}

/// The `verdict` object of an alert: what happened to the packet as a
/// whole (every alert of a packet has the same). A reject also names the
/// answer an inline engine sends. Without inline mode drops are only
/// alerts; a pass that cut the packet's matches short says `pass`.
fn verdict_json(v: crate::detect::PacketAction, ips: bool, pkt: &Packet<'_>) -> serde_json::Value {
    if v.reject {
        let answer = match pkt.l4 {
            L4::Tcp { .. } => Some("tcp-reset"),
            L4::Udp { .. } | L4::Icmp { .. } => Some("icmp-prohib"),
            _ => None,
        };
        return serde_json::json!({
            "action": if ips { "drop" } else { "alert" },
            "reject-target": "to_client",
            "reject": answer.into_iter().collect::<Vec<_>>(),
        });
    }
    let act = if v.drop && ips {
        "drop"
    } else if v.pass {
        "pass"
    } else {
        "alert"
    };
    serde_json::json!({ "action": act })
}

/// The `alert.action` of a signature's alert: a reject is always
/// `blocked` (the reset goes out even from an IDS), a drop only inline.
fn alert_action(action: crate::rules::ast::Action, ips: bool) -> &'static str {
    use crate::rules::ast::Action;
    match action {
        Action::Reject | Action::RejectBoth => "blocked",
        Action::Drop if ips => "blocked",
        // A pass rule's alert (the `alert` keyword) lets the packet through.
        Action::Pass => "allowed",
        a => a.eve_name(),
    }
}

/// Renders an alert as one EVE JSON line.
pub fn render_alert(a: &AlertInput<'_>) -> String {
    let pkt = a.pkt;
    let ip = pkt.ip.as_ref().expect("alerts are raised on IP packets");
    let has_ports = matches!(pkt.l4, L4::Tcp { .. } | L4::Udp { .. } | L4::Sctp { .. });
    let (sp, dp) = pkt.l4.ports();
    let (icmp_type, icmp_code) = match pkt.l4 {
        L4::Icmp { itype, icode, .. } => (Some(itype), Some(icode)),
        _ => (None, None),
    };
    let tunnel = pkt.tunnels.as_slice();
    let tunnel_obj = tunnel.first().map(|outer| TunnelObj {
        src_ip: format_ip(outer.src),
        src_port: outer.sport,
        dest_ip: format_ip(outer.dst),
        dest_port: outer.dport,
        proto: if matches!(outer.kind, TunnelKind::Gre | TunnelKind::Erspan) { "GRE" } else { "UDP" },
        depth: tunnel.len(),
        pcap_cnt: a.pcap_cnt.unwrap_or(0),
        pkt_src: "wire/pcap",
        vni: tunnel.last().map_or(0, |t| t.vni),
        kind: tunnel.last().map_or("VXLAN", |t| t.kind.name()),
    });
    let pkt_src =
        if a.pcap_cnt.is_none() { "stream (flow timeout)" } else { eve::pkt_src_name(tunnel.last().map(|t| t.kind)) };
    let s = a.sig;
    let flow = a.flow.map(|f| {
        let server_is_dst = a.to_server;
        let (cli, srv, cp, spt) = if server_is_dst { (ip.src, ip.dst, sp, dp) } else { (ip.dst, ip.src, dp, sp) };
        FlowObj {
            pkts_toserver: f.pkts_toserver,
            pkts_toclient: f.pkts_toclient,
            bytes_toserver: f.bytes_toserver,
            bytes_toclient: f.bytes_toclient,
            start: format_ts(f.start),
            src_ip: format_ip(cli),
            dest_ip: format_ip(srv),
            src_port: has_ports.then_some(cp),
            dest_port: has_ports.then_some(spt),
        }
    });
    let rec = EveAlert {
        timestamp: format_ts(a.ts),
        flow_id: a.flow.map_or(0, |f| f.id),
        pcap_cnt: if tunnel_obj.is_none() { a.pcap_cnt } else { None },
        event_type: "alert",
        vlan: (pkt.vlan_count > 0).then(|| pkt.vlans().to_vec()),
        src_ip: format_ip(ip.src),
        src_port: has_ports.then_some(sp),
        dest_ip: format_ip(ip.dst),
        dest_port: has_ports.then_some(dp),
        proto: proto_name(ip.proto),
        icmp_type,
        icmp_code,
        pkt_src,
        ether: if a.opts.ethernet { pkt.macs().map(eve::EtherObj::new) } else { None },
        community_id: None,
        tx_id: a.tx_id,
        tx_guessed: a.tx_guessed.then_some(true),
        alert: AlertBody {
            action: alert_action(s.action, a.opts.ips),
            gid: s.gid,
            signature_id: s.sid,
            rev: s.rev,
            signature: &s.msg,
            category: &s.category,
            severity: s.severity,
            source: s.target.as_deref().map(|t| {
                if t == "dest_ip" {
                    Endpoint { ip: format_ip(ip.src), port: sp }
                } else {
                    Endpoint { ip: format_ip(ip.dst), port: dp }
                }
            }),
            target: s.target.as_deref().map(|t| {
                if t == "dest_ip" {
                    Endpoint { ip: format_ip(ip.dst), port: dp }
                } else {
                    Endpoint { ip: format_ip(ip.src), port: sp }
                }
            }),
            metadata: (!s.metadata.is_empty()).then_some(Metadata(&s.metadata)),
            xff: None,
        },
        tunnel: tunnel_obj,
        app_proto: a.app_proto.map(|p| p.name()),
        direction: if a.to_server { "to_server" } else { "to_client" },
        flow,
        payload: None,
        payload_printable: None,
        stream: None,
        packet: None,
        packet_info: None,
        verdict: None,
        frame: a.frame_obj.clone(),
    };
    let mut rec = rec;
    let o = a.opts;
    if let (Some(x), Some(addr)) = (&o.xff, a.xff) {
        // Suricata writes `alert.xff` in both modes; overwrite also puts
        // the proxied address on the client's side of the packet.
        rec.alert.xff = Some(addr.to_string());
        if x.overwrite {
            if a.to_server {
                rec.src_ip = format_ip(addr);
            } else {
                rec.dest_ip = format_ip(addr);
            }
        }
    }
    rec.community_id = o.community_id.map(|seed| match a.flow {
        Some(f) => records::flow_community_id(f, seed),
        None => community_id::community_id(
            seed,
            ip.src,
            icmp_type.map_or(sp, u16::from),
            ip.dst,
            icmp_code.map_or(dp, u16::from),
            ip.proto,
        ),
    });
    if o.payload || o.payload_printable {
        let data = match a.stream {
            Some(st) => &st[..st.len().min(o.payload_buffer_size)],
            None => pkt.payload(),
        };
        use base64::Engine as _;
        rec.payload = o.payload.then(|| base64::engine::general_purpose::STANDARD.encode(data));
        rec.payload_printable = o.payload_printable.then(|| eve::printable(data));
        rec.stream = Some(u8::from(a.stream.is_some()));
    }
    if o.verdict {
        rec.verdict = Some(verdict_json(a.verdict, o.ips, pkt));
    }
    // The pseudo packet of a flow's end has no bytes of its own.
    if o.packet && !pkt.data.is_empty() {
        use base64::Engine as _;
        rec.packet = Some(base64::engine::general_purpose::STANDARD.encode(pkt.data));
        // Raw IP is libpcap's DLT_RAW (12) in Suricata's records.
        let linktype = if pkt.linktype == LinkType::Raw { 12 } else { u32::from(pkt.linktype) };
        rec.packet_info = Some(eve::PacketInfo { linktype });
    }
    if a.app_obj.is_none() && a.files.is_none() {
        return serde_json::to_string(&rec).expect("EVE records serialize");
    }
    // The protocol object, then `files`, go before `app_proto`, as
    // Suricata writes them.
    let mut extra: Vec<(String, &serde_json::Value)> = Vec::with_capacity(2);
    if let Some((key, obj)) = &a.app_obj {
        extra.push(((*key).to_string(), obj));
    }
    if let Some(files) = &a.files {
        extra.push(("files".to_string(), files));
    }
    let v = serde_json::to_value(&rec).expect("EVE records serialize");
    let serde_json::Value::Object(m) = v else { unreachable!("an alert is an object") };
    let mut out = serde_json::Map::with_capacity(m.len() + extra.len());
    let mut placed = false;
    for (k, x) in m {
        if !placed && (k == "app_proto" || k == "direction") {
            out.extend(extra.iter().map(|(k, v)| (k.clone(), (*v).clone())));
            placed = true;
        }
        out.insert(k, x);
    }
    if !placed {
        out.extend(extra.iter().map(|(k, v)| (k.clone(), (*v).clone())));
    }
    serde_json::to_string(&out).expect("EVE records serialize")
}

#[cfg(test)]
mod action_tests {
    use super::*;
    use crate::detect::PacketAction;
    use crate::rules::ast::Action;

    /// Inline, a drop rule's alert is `blocked`; an IDS only alerts. A
    /// reject is `blocked` either way and a pass rule's alert `allowed`.
    #[test]
    fn alert_actions() {
        assert_eq!(alert_action(Action::Drop, true), "blocked");
        assert_eq!(alert_action(Action::Drop, false), "allowed");
        assert_eq!(alert_action(Action::Reject, false), "blocked");
        assert_eq!(alert_action(Action::Pass, true), "allowed");
        assert_eq!(alert_action(Action::Alert, true), "allowed");
    }

    /// The packet's verdict: drop only inline, then pass, else alert; a
    /// reject names the reset it sends.
    #[test]
    fn verdicts() {
        let pkt = crate::detect::tests::packet(b"x", 6, 1, 2);
        let v = |drop, reject, pass, ips| verdict_json(PacketAction { drop, reject, pass }, ips, &pkt);
        assert_eq!(v(true, false, true, true), serde_json::json!({"action": "drop"}));
        assert_eq!(v(true, false, true, false), serde_json::json!({"action": "pass"}));
        assert_eq!(v(false, false, false, true), serde_json::json!({"action": "alert"}));
        assert_eq!(
            v(true, true, false, true),
            serde_json::json!({"action": "drop", "reject-target": "to_client", "reject": ["tcp-reset"]})
        );
    }
}
