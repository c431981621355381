//! The packet path: source -> decode -> flow -> detect -> threshold ->
//! output, with counters for everything that is skipped.
//!
//! [`Replay`] runs it over capture files in order on one thread; the output
//! order is the packet order, so a replay is deterministic.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::applayer::{self, Probe};
use crate::decode::{self, Packet, TunnelKind, L4};
use crate::detect::threshold::{Hit, Thresholds};
use crate::detect::{FlowView, Match, NoBuffers, Ruleset, Scratch};
use crate::flow::Flow;
use crate::flow::{FlowTable, Timeouts, DEFAULT_MAX_FLOWS};
use crate::output::{render_alert, AlertInput, Sink};
use crate::rules::ast::AppProto;
use crate::source::{FileSource, Record, SourceError};

/// Engine settings that are not rules.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// Flow table bound.
    pub max_flows: usize,
    /// Flow timeouts.
    pub timeouts: Timeouts,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            max_flows: DEFAULT_MAX_FLOWS,
            timeouts: Timeouts::default(),
        }
    }
}

/// Counters of a run.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// Packets read.
    pub packets: u64,
    /// Bytes read (captured).
    pub bytes: u64,
    /// Packets that decoded to an IP packet.
    pub ip_packets: u64,
    /// Packets decoded through a tunnel.
    pub tunnelled: u64,
    /// Packets captured shorter than their IP length (inspected anyway).
    pub truncated: u64,
    /// Decode errors by counter name.
    pub decode_errors: BTreeMap<String, u64>,
    /// Alerts written.
    pub alerts: u64,
    /// Alerts suppressed by threshold/detection_filter.
    pub thresholded: u64,
    /// Alerts by (gid, sid): count and message.
    pub by_sig: BTreeMap<(u32, u32), (u64, String)>,
    /// Capture files that ended with an error.
    pub source_errors: Vec<String>,
    /// Flows created.
    pub flows: u64,
    /// Flows evicted by the flow bound.
    pub flows_evicted: u64,
    /// Output write errors.
    pub output_errors: u64,
}

/// A single-threaded replay of capture files.
pub struct Replay<'r> {
    rules: &'r Ruleset,
    flows: FlowTable,
    thresholds: Thresholds,
    scratch: Scratch,
    matches: Vec<Match>,
    /// Counters.
    pub stats: Stats,
    pcap_cnt: u64,
}

impl<'r> Replay<'r> {
    /// A replay with these rules and settings.
    pub fn new(rules: &'r Ruleset, cfg: &EngineConfig) -> Self {
        Replay {
            rules,
            flows: FlowTable::new(cfg.max_flows, cfg.timeouts),
            thresholds: Thresholds::default(),
            scratch: Scratch::default(),
            matches: Vec::new(),
            stats: Stats::default(),
            pcap_cnt: 0,
        }
    }

    /// Reads one capture file to its end (or until `stop` is set). A file
    /// that cannot be opened or breaks off is recorded in
    /// [`Stats::source_errors`]; its packets read so far are processed.
    pub fn run_file(&mut self, path: &Path, sink: &mut dyn Sink, stop: &AtomicBool) {
        let mut src = match FileSource::open(path) {
            Ok(s) => s,
            Err(e) => {
                self.stats.source_errors.push(e.to_string());
                return;
            }
        };
        while !stop.load(Ordering::Relaxed) {
            match src.next_record() {
                None => break,
                Some(Ok(rec)) => self.packet(&rec, sink),
                Some(Err(e)) => {
                    let e: SourceError = e;
                    self.stats.source_errors.push(e.to_string());
                    break;
                }
            }
        }
        self.finish_flows();
    }

    /// Updates end-of-run counters.
    pub fn finish_flows(&mut self) {
        self.stats.flows = self.flows.counters.created;
        self.stats.flows_evicted = self.flows.counters.evicted;
    }

    /// Processes one captured frame.
    pub fn packet(&mut self, rec: &Record<'_>, sink: &mut dyn Sink) {
        self.pcap_cnt += 1;
        self.stats.packets += 1;
        self.stats.bytes += rec.data.len() as u64;
        let pkt = match decode::decode(rec.linktype, rec.data) {
            Ok(p) => p,
            Err(e) => {
                *self.stats.decode_errors.entry(e.counter()).or_default() += 1;
                return;
            }
        };
        let Some(ip) = pkt.ip.as_ref() else { return };
        self.stats.ip_packets += 1;
        if !pkt.tunnels.is_empty() {
            self.stats.tunnelled += 1;
        }
        if pkt.truncated {
            self.stats.truncated += 1;
        }
        // Suricata counts the whole frame, or the inner IP packet when the
        // frame came through a tunnel.
        // Tunnelled packets count from the inner frame: VXLAN from after the
        // inner Ethernet addresses (VLAN tags included), GENEVE from its
        // inner Ethernet header (as Suricata counts them).
        let bytes = match pkt.tunnel().map(|t| t.kind) {
            None => rec.data.len() as u64,
            Some(kind) => {
                let ip_len = ip.claimed_len.min(rec.data.len() - ip.header.start) as u64;
                let tags = 4 * pkt.vlan_count as u64;
                let eth = if kind == TunnelKind::Geneve { 14 } else { 0 };
                (ip_len + tags + eth).min(ip.header.start as u64 + ip_len)
            }
        };
        let Some(up) = self.flows.update(&pkt, rec.ts, bytes) else {
            return;
        };
        let flow = self.flows.get_mut(&up.key).expect("flow just updated");
        // UDP is detected on the packet itself; TCP data is parsed once the
        // other side acknowledges it, so (as in Suricata's IDS mode) the
        // packet carrying the first data does not see the result yet.
        let is_tcp = matches!(pkt.l4, L4::Tcp { .. });
        if !is_tcp {
            detect_app_proto(flow, &pkt, up.to_server);
        }
        let view = FlowView {
            to_server: up.to_server,
            established: flow.established(),
            app_proto: flow.app_proto,
        };
        self.matches.clear();
        self.rules.inspect(
            &pkt,
            view,
            &NoBuffers,
            &mut flow.detect,
            &mut self.scratch,
            &mut self.matches,
        );
        let app_before = flow.app_proto;
        if is_tcp {
            detect_app_proto(flow, &pkt, up.to_server);
        }
        if self.matches.is_empty() {
            return;
        }
        let flow = self.flows.get_mut(&up.key).map(|f| &*f);
        for m in &self.matches {
            let sig = self.rules.sig(m.sig);
            if !thresholds_allow(
                &mut self.thresholds,
                sig,
                &pkt,
                rec.ts.secs,
                flow.map_or(0, |f| f.id),
            ) {
                self.stats.thresholded += 1;
                continue;
            }
            let line = render_alert(&AlertInput {
                ts: rec.ts,
                pcap_cnt: self.pcap_cnt,
                pkt: &pkt,
                sig,
                flow,
                app_proto: app_before,
                to_server: up.to_server,
            });
            if sink.write_record(&line).is_err() {
                self.stats.output_errors += 1;
            }
            self.stats.alerts += 1;
            self.stats
                .by_sig
                .entry((sig.gid, sig.sid))
                .or_insert_with(|| (0, sig.msg.clone()))
                .0 += 1;
        }
    }
}

/// Names the flow's protocol from the payload of this packet, once.
fn detect_app_proto(flow: &mut Flow, pkt: &Packet<'_>, to_server: bool) {
    let transport = matches!(pkt.l4, L4::Tcp { .. } | L4::Udp { .. });
    if !transport || flow.app_proto.is_some() || pkt.payload.is_empty() {
        return;
    }
    let (sp, dp) = pkt.l4.ports();
    let tcp = matches!(pkt.l4, L4::Tcp { .. });
    match applayer::probe(pkt.payload(), tcp, sp, dp) {
        Probe::Found(p) => flow.app_proto = Some(p),
        Probe::NeedMore => {}
        Probe::Unknown => {
            flow.app_unknown |= if to_server { 1 } else { 2 };
            // UDP gives up on the first unknown payload; TCP once both
            // directions sent something unrecognisable.
            if !tcp || flow.app_unknown == 3 {
                flow.app_proto = Some(AppProto::Failed);
            }
        }
    }
}

fn thresholds_allow(
    t: &mut Thresholds,
    sig: &crate::detect::Signature,
    pkt: &Packet<'_>,
    secs: i64,
    flow: u64,
) -> bool {
    let Some(ip) = pkt.ip.as_ref() else {
        return true;
    };
    let hit = Hit {
        sig: sig.idx,
        ts_secs: secs,
        src: ip.src,
        dst: ip.dst,
        flow,
    };
    let mut ok = true;
    if let Some(th) = &sig.detection_filter {
        ok &= t.allow(&hit, 1, th);
    }
    if ok {
        if let Some(th) = &sig.threshold {
            ok &= t.allow(&hit, 0, th);
        }
    }
    ok
}
