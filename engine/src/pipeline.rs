//! The packet path: source -> decode -> flow -> detect -> threshold ->
//! output, with counters for everything that is skipped.
//!
//! [`Replay`] runs it over capture files in order on one thread; the output
//! order is the packet order, so a replay is deterministic.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::applayer::{self, AppFacts, AppState, Probe};
use crate::decode::defrag::{Defrag, DefragConfig, DefragCounters, Outcome};
use crate::decode::tcp_flags;
use crate::decode::{self, DecodeEvent, Events, Packet, Rebuilt, TunnelKind, L4};
use crate::detect::threshold::{Hit, Thresholds};
use crate::detect::{FlowView, Input, Match, Ruleset, Scratch, TxRef};
use crate::flow::stream::{HostOsPolicy, MemBudget, Stream, StreamConfig};
use crate::flow::{ExceptionPolicy, Flow, FlowTable, FlowVerdict, TcpPickup, TcpStreams, Timeouts, DEFAULT_MAX_FLOWS};
use crate::output::records::{self, EveTypes, FlowEnd};
use crate::output::{render_alert, AlertInput, AlertOptions, Sink};
use crate::rules::ast::{self, AppProto};
use crate::source::{FileSource, Record, SourceError};

/// Engine settings that are not rules.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// Flow table bound.
    pub max_flows: usize,
    /// Flow timeouts.
    pub timeouts: Timeouts,
    /// Reassembly settings.
    pub stream: StreamConfig,
    /// Pick up TCP sessions without a handshake (`stream.midstream`).
    pub midstream: bool,
    /// `stream.async-oneside`.
    pub async_oneside: bool,
    /// What to do with TCP flows seen without their handshake
    /// (`stream.midstream-policy`, resolved against the `exception-policy`
    /// master switch and the engine mode).
    pub midstream_policy: ExceptionPolicy,
    /// `host-os-policy`: overlap policies by receiving host.
    pub host_os: HostOsPolicy,
    /// Reassembly memory cap per worker, bytes.
    pub stream_memcap: u64,
    /// Alerts kept per packet (`packet-alert-max`).
    pub packet_alert_max: usize,
    /// `detect.guess-applayer-tx`: a stream match's alert names the
    /// transaction the stream data most likely belongs to.
    pub guess_applayer_tx: bool,
    /// EVE event types written.
    pub eve_types: EveTypes,
    /// Optional fields of alert records (payload, packet).
    pub alert: AlertOptions,
    /// Behavioural analytics (None: off).
    pub behaviour: Option<crate::analytics::AnalyticsConfig>,
    /// IP defragmentation (outer and inner IP layers).
    pub defrag: DefragConfig,
    /// What `tls` records and alert objects hold (JA3, JA4, extended).
    pub tls_log: crate::applayer::tls::eve::TlsLogConfig,
    /// The file-store output is enabled: `filestore` rules mark the files
    /// they match as stored (EVE `storing`, `files[].sid`), and files get a
    /// SHA-256. Files are not written to disk.
    pub file_store: bool,
    /// The `http` logger's settings.
    pub http_log: crate::applayer::http::HttpLogConfig,
    /// App-layer parser settings from the configuration (HTTP body
    /// limits); frames and file hashes are decided from the rules.
    pub parsers: crate::applayer::ParserConfig,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            max_flows: DEFAULT_MAX_FLOWS,
            timeouts: Timeouts::default(),
            stream: StreamConfig::default(),
            midstream: false,
            async_oneside: false,
            midstream_policy: ExceptionPolicy::Ignore,
            host_os: HostOsPolicy::default(),
            stream_memcap: crate::flow::stream::DEFAULT_MEMCAP,
            packet_alert_max: crate::detect::PACKET_ALERT_MAX,
            guess_applayer_tx: false,
            eve_types: EveTypes::default(),
            alert: AlertOptions::default(),
            behaviour: None,
            defrag: DefragConfig::default(),
            tls_log: crate::applayer::tls::eve::TlsLogConfig::default(),
            file_store: false,
            http_log: crate::applayer::http::HttpLogConfig::default(),
            parsers: crate::applayer::ParserConfig::default(),
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
    /// IP defragmentation counters.
    pub defrag: DefragCounters,
}

impl Stats {
    /// The `stats` EVE record of a run, in Suricata's layout where a
    /// counter has a Suricata name (`decoder.pkts`, `detect.alert`,
    /// `flow.total`, ...); mirador's own counters sit beside them
    /// (`decoder.tunnelled`, `decoder.truncated`, `decoder.errors`).
    /// `uptime` is the run's duration in seconds.
    pub fn eve_record(&self, uptime: u64) -> String {
        let now = jiff::Timestamp::now();
        let ts = crate::source::Timestamp { secs: now.as_second(), micros: now.subsec_microsecond().max(0) as u32 };
        let d = &self.defrag;
        let rec = serde_json::json!({
            "timestamp": crate::output::eve::format_ts(ts),
            "event_type": "stats",
            "stats": {
                "uptime": uptime,
                "decoder": {
                    "pkts": self.packets,
                    "bytes": self.bytes,
                    "invalid": self.decode_errors.values().sum::<u64>(),
                    "ip": self.ip_packets,
                    "tunnelled": self.tunnelled,
                    "truncated": self.truncated,
                    "errors": self.decode_errors,
                },
                "defrag": {
                    "fragments": d.fragments,
                    "reassembled": d.reassembled,
                    "timeouts": d.timeouts,
                    "max_trackers_reached": d.evictions,
                    "overlaps": d.overlaps,
                    "too_large": d.too_large,
                    "invalid": d.invalid,
                },
                "flow": { "total": self.flows, "evicted": self.flows_evicted },
                "detect": { "alert": self.alerts, "alerts_suppressed": self.thresholded },
                "output": { "errors": self.output_errors },
            }
        });
        rec.to_string()
    }
}

/// A single-threaded replay of capture files.
pub struct Replay<'r> {
    flows: FlowTable,
    defrag: Defrag,
    det: Detector<'r>,
    stream_cfg: StreamConfig,
    host_os: HostOsPolicy,
    /// Counters.
    pub stats: Stats,
    pcap_cnt: u64,
}

/// Detection and alert output for one packet (real or a flow-end pseudo
/// packet), with the state that outlives packets: thresholds and scratch.
struct Detector<'r> {
    /// Thresholds are applied by the caller (parallel merge), not here.
    defer_thresholds: bool,
    rules: &'r Ruleset,
    types: EveTypes,
    alert_opts: AlertOptions,
    tls_log: crate::applayer::tls::eve::TlsLogConfig,
    http_log: crate::applayer::http::HttpLogConfig,
    thresholds: Thresholds,
    scratch: Scratch,
    matches: Vec<Match>,
    /// Scratch list of a flow's app-layer events.
    events: Vec<(u64, &'static str)>,
    alert_max: usize,
    /// `detect.guess-applayer-tx` (see [`EngineConfig::guess_applayer_tx`]).
    guess_tx: bool,
    /// What parsers keep (frames) and compute (file hashes, types).
    parsers: applayer::ParserConfig,
    /// The file-store output is on: `filestore` rules mark files stored.
    file_store: bool,
}

/// The packet's place in its flow.
#[derive(Clone, Copy)]
struct PacketDir {
    /// Client to server.
    to_server: bool,
    /// First packet of the flow in this direction.
    first: bool,
    /// TCP: the session took the packet into its streams (stream rules see
    /// the reassembled data, not the packet's own payload). True for other
    /// protocols.
    in_stream: bool,
    /// Rules run on the packet (see [`crate::flow::Update::inspect`]).
    inspect: bool,
}

/// Where the packet being inspected comes from, for EVE.
#[derive(Clone, Copy)]
enum Origin {
    /// A captured packet with its number.
    Wire(u64),
    /// The end of a flow (timeout or end of input): Suricata's
    /// "stream (flow timeout)" pseudo packet.
    FlowEnd,
}

impl<'r> Replay<'r> {
    /// A replay with these rules and settings.
    pub fn new(rules: &'r Ruleset, cfg: &EngineConfig) -> Self {
        let mut flows = FlowTable::new(cfg.max_flows, cfg.timeouts);
        flows.pickup =
            TcpPickup { midstream: cfg.midstream, async_oneside: cfg.async_oneside, policy: cfg.midstream_policy };
        flows.track_macs = cfg.eve_types.ethernet;
        flows.budget = MemBudget::new(cfg.stream_memcap);
        Replay {
            flows,
            defrag: Defrag::new(cfg.defrag),
            det: Detector {
                defer_thresholds: false,
                rules,
                types: cfg.eve_types,
                alert_opts: cfg.alert.clone(),
                tls_log: cfg.tls_log,
                http_log: cfg.http_log,
                thresholds: Thresholds::default(),
                scratch: Scratch::default(),
                matches: Vec::new(),
                events: Vec::new(),
                alert_max: cfg.packet_alert_max,
                guess_tx: cfg.guess_applayer_tx,
                parsers: applayer::ParserConfig {
                    keep_frames: ast::Buffer::APP_LAYER.iter().any(|&b| b.is_frame() && rules.uses_buffer(b)),
                    files: {
                        let mut f = rules.file_config();
                        // file-store v2 names stored files by SHA-256.
                        f.sha256 |= cfg.file_store;
                        f
                    },
                    ..cfg.parsers
                },
                file_store: cfg.file_store,
            },
            stream_cfg: cfg.stream,
            host_os: cfg.host_os.clone(),
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
        let n = self.pcap_cnt + 1;
        self.packet_numbered(rec, n, sink);
    }

    /// Processes one frame whose position in the input is `pcap_cnt`
    /// (the parallel pipeline numbers packets in its reader).
    pub fn packet_numbered(&mut self, rec: &Record<'_>, pcap_cnt: u64, sink: &mut dyn Sink) {
        self.pcap_cnt = pcap_cnt;
        self.stats.packets += 1;
        self.stats.bytes += rec.data.len() as u64;
        let pkt = match decode::decode(rec.linktype, rec.data) {
            Ok(p) => p,
            Err(e) => {
                *self.stats.decode_errors.entry(e.counter()).or_default() += 1;
                return;
            }
        };
        count_wire(&mut self.stats, &pkt);
        self.det.decode_anomalies(&pkt, rec.ts, pcap_cnt, &mut self.stats, sink);
        if let Some(e) = pkt.invalid {
            // Suricata's invalid packet: packet rules without a flow.
            *self.stats.decode_errors.entry(e.counter()).or_default() += 1;
            self.det.run_flowless(&pkt, rec.ts, pcap_cnt, &mut self.stats, sink);
            return;
        }
        if pkt.fragment().is_some() {
            // A fragment gets packet rules only, with the events its
            // defragmentation raised; the datagram it completes (if any) is
            // inspected in full.
            let (whole, events) = defrag_packet(&mut self.defrag, rec.ts, &pkt, &mut self.stats);
            let mut pkt = pkt;
            pkt.events.merge(events);
            self.det.decode_anomalies(&Packet { events, ..pkt.clone() }, rec.ts, pcap_cnt, &mut self.stats, sink);
            self.det.run_flowless(&pkt, rec.ts, pcap_cnt, &mut self.stats, sink);
            if let Some(whole) = whole {
                self.rebuilt(rec.ts, &whole, sink);
            }
            return;
        }
        self.inspect(&pkt, rec.ts, sink);
    }

    /// Runs packet rules on a captured fragment whose defragmentation the
    /// caller does (the parallel reader), with the decoder `events` that
    /// defragmentation raised: not counted as a captured packet.
    pub fn fragment_numbered(&mut self, rec: &Record<'_>, pcap_cnt: u64, events: Events, sink: &mut dyn Sink) {
        self.pcap_cnt = pcap_cnt;
        if let Ok(mut pkt) = decode::decode(rec.linktype, rec.data) {
            self.det.decode_anomalies(&pkt, rec.ts, pcap_cnt, &mut self.stats, sink);
            self.det.decode_anomalies(&Packet { events, ..pkt.clone() }, rec.ts, pcap_cnt, &mut self.stats, sink);
            pkt.events.merge(events);
            self.det.run_flowless(&pkt, rec.ts, pcap_cnt, &mut self.stats, sink);
        }
    }

    /// Processes a datagram rebuilt from fragments (by this replay's
    /// defragmenter, or by the parallel reader's) as the packet at
    /// `pcap_cnt`: it is not counted as a captured packet.
    pub fn rebuilt_numbered(
        &mut self,
        ts: crate::source::Timestamp,
        whole: &Rebuilt,
        pcap_cnt: u64,
        sink: &mut dyn Sink,
    ) {
        self.pcap_cnt = pcap_cnt;
        self.rebuilt(ts, whole, sink);
    }

    fn rebuilt(&mut self, ts: crate::source::Timestamp, whole: &Rebuilt, sink: &mut dyn Sink) {
        match whole.decode() {
            Ok(p) => self.inspect(&p, ts, sink),
            Err(e) => *self.stats.decode_errors.entry(e.counter()).or_default() += 1,
        }
    }

    /// Flow, app layer and detection for one decoded (whole) packet.
    fn inspect(&mut self, pkt: &Packet<'_>, ts: crate::source::Timestamp, sink: &mut dyn Sink) {
        let Some(ip) = pkt.ip.as_ref() else { return };
        // Tunnelled packets count from the inner frame: VXLAN from after the
        // inner Ethernet addresses (VLAN tags included), GENEVE from its
        // inner Ethernet header, GRE and ERSPAN from the GRE payload (the
        // ERSPAN header included), as Suricata counts them.
        let bytes = match pkt.tunnel().map(|t| (t.kind, t.payload_len)) {
            None => pkt.data.len() as u64,
            Some((TunnelKind::Gre | TunnelKind::Erspan, len)) if len > 0 => u64::from(len),
            Some((kind, _)) => {
                let ip_len = ip.claimed_len.min(pkt.data.len().saturating_sub(ip.header.start)) as u64;
                let tags = 4 * pkt.vlan_count as u64;
                let eth = if kind == TunnelKind::Geneve { 14 } else { 0 };
                (ip_len + tags + eth).min(ip.header.start as u64 + ip_len)
            }
        };
        let Some(up) = self.flows.update(pkt, ts, bytes) else {
            return;
        };
        let (flow, budget) = self.flows.get_with_budget(&up.key).expect("flow just updated");
        if flow.verdict.is_some_and(FlowVerdict::only_counted) {
            self.flush_expired(sink);
            return;
        }
        let is_tcp = matches!(pkt.l4, L4::Tcp { .. });
        let mut reversed = false;
        if is_tcp {
            let delivered = if up.tcp_accepted {
                reassemble(flow, budget, pkt, up.to_server, &self.stream_cfg, &self.host_os)
            } else {
                Vec::new()
            };
            for d in delivered {
                // Directions were told before protocol detection reversed
                // the flow, if it did.
                let mut to_server = d.to_server != reversed;
                if !d.data.is_empty() && detect_app_proto(flow, &d.data, pkt, to_server, self.det.parsers) {
                    reversed = true;
                    to_server = !to_server;
                }
                if let Some(app) = flow.app.as_mut() {
                    if d.gap {
                        app.gap(to_server);
                    }
                    if !d.data.is_empty() {
                        app.parse(to_server, &d.data, true);
                    }
                }
            }
        } else {
            // UDP is detected and parsed on the packet itself.
            reversed = detect_app_proto(flow, pkt.payload(), pkt, up.to_server, self.det.parsers);
            if let Some(app) = flow.app.as_mut() {
                app.parse(up.to_server != reversed, pkt.payload(), false);
            }
        }
        let pkt_dir = PacketDir {
            to_server: up.to_server != reversed,
            first: up.first_in_dir,
            in_stream: !is_tcp || up.tcp_accepted,
            inspect: up.inspect,
        };
        self.det.run(flow, pkt, ts, Origin::Wire(self.pcap_cnt), pkt_dir, &mut self.stats, sink);
        self.flush_expired(sink);
    }

    /// Advances packet time without a packet (a worker that sees no
    /// traffic for a while still times its flows out).
    pub fn advance(&mut self, now: crate::source::Timestamp, sink: &mut dyn Sink) {
        self.flows.advance(now);
        self.flush_expired(sink);
    }

    /// Leaves threshold and detection_filter decisions to the caller, who
    /// receives hits through [`Sink::write_alert`].
    pub fn defer_thresholds(&mut self) {
        self.det.defer_thresholds = true;
    }

    /// Inspects what flows that ended (timeout, eviction) still hold.
    fn flush_expired(&mut self, sink: &mut dyn Sink) {
        for (mut f, forced) in self.flows.take_expired() {
            self.det.flow_end(&mut f, &mut self.stats, sink);
            let end = if forced { FlowEnd::Forced } else { FlowEnd::Timeout };
            self.det.flow_record(&f, end, &mut self.stats, sink);
        }
    }

    /// Ends the input: every live flow is flushed and inspected one last
    /// time, as Suricata does at the end of a capture.
    pub fn finish(&mut self, sink: &mut dyn Sink) {
        self.flush_expired(sink);
        for mut f in self.flows.drain_all() {
            self.det.flow_end(&mut f, &mut self.stats, sink);
            self.det.flow_record(&f, FlowEnd::Shutdown, &mut self.stats, sink);
        }
        self.finish_flows();
    }
}

impl Detector<'_> {
    /// Runs detection on one packet of `flow` and writes its alerts, and
    /// the protocol records that became loggable. Without `dir.inspect` (an
    /// exception policy passed the packet or the flow) no rule is run, but
    /// the records are still written.
    #[allow(clippy::too_many_arguments)]
    fn run(
        &mut self,
        flow: &mut Flow,
        pkt: &Packet<'_>,
        ts: crate::source::Timestamp,
        origin: Origin,
        dir: PacketDir,
        stats: &mut Stats,
        sink: &mut dyn Sink,
    ) {
        let PacketDir { to_server, first: first_in_dir, in_stream, inspect } = dir;
        let pseudo = matches!(origin, Origin::FlowEnd);
        let view = FlowView {
            to_server,
            established: if pseudo { flow.established() } else { flow.established_for_packet() },
            app_proto: flow.app_proto,
            first_in_dir,
            pseudo,
            flowless: false,
            stream_sizes: flow.streams.as_ref().and_then(|st| Some([st.dir[0].size()?, st.dir[1].size()?])),
        };
        let dir = usize::from(!to_server);
        let stream = match flow.streams.as_ref() {
            Some(st) if in_stream || pseudo => Some(st.pending[dir].as_slice()).filter(|p| !p.is_empty()),
            // A TCP packet the session did not take (no session: no
            // handshake seen and midstream off; or refused, as data in
            // syn_sent) is not reassembled: Suricata inspects its payload
            // with the stream rules too.
            _ if flow.proto == 6 && !pseudo => Some(pkt.payload()).filter(|p| !p.is_empty()),
            _ => None,
        };
        self.matches.clear();
        let mut views = Vec::new();
        let guess = flow.tx_guess[dir];
        if let Some(app) = flow.app.as_ref() {
            app.tx_views(to_server, &mut views);
            // Everything complete now is inspected complete in this direction.
            flow.tx_inspected[dir] = app.complete_prefix();
            if let Some(next) = views.iter().map(|v| v.id + 1).max() {
                flow.tx_guess[dir] = next.min(flow.tx_inspected[dir]);
            }
        }
        // Suricata attributes a stream match to the first transaction this
        // direction had not finished inspecting, if it still exists.
        let guess = (self.guess_tx && views.iter().any(|v| v.id == guess)).then_some(guess);
        let txs: Vec<TxRef<'_>> = views.iter().map(|v| TxRef { id: v.id, bufs: v }).collect();
        let facts = AppFacts { state: flow.app.as_ref(), to_server };
        let input = Input { pkt, flow: view, stream, txs: &txs, app: &facts };
        if inspect {
            self.rules.inspect(&input, &mut flow.detect, &mut self.scratch, &mut self.matches);
        }
        drop(txs);
        drop(views);
        self.store_files(flow, to_server);
        // Suricata sorts a packet's alerts by signature order and, within a
        // signature, newest transaction first, then keeps the first
        // packet-alert-max of them.
        self.matches.sort_by(|a, b| a.sig.cmp(&b.sig).then(b.tx.cmp(&a.tx)));
        self.matches.truncate(self.alert_max);
        if let Some(g) = guess {
            for m in self.matches.iter_mut().filter(|m| m.stream && m.tx.is_none()) {
                m.tx = Some(g);
                m.guessed = true;
            }
        }
        self.proto_detect_events(flow, ts, origin, to_server, stats, sink);
        self.app_events(flow, ts, origin, to_server, stats, sink);
        // Transaction records carry the packet's MACs in the flow's
        // direction (client first), as Suricata writes them.
        let ether = pkt
            .macs()
            .filter(|_| self.types.ethernet)
            .map(|(src, dst)| if to_server { (src, dst) } else { (dst, src) });
        self.app_records(flow, ts, origin, false, ether, stats, sink);
        // Alerts on the stream log the data inspected: cleared after.
        self.emit(Some(&mut *flow), pkt, ts, origin, to_server, stats, sink);
        if let Some(st) = flow.streams.as_mut() {
            st.pending[dir].clear();
        }
        if let Some(app) = flow.app.as_mut() {
            let live_from = app.collect(flow.tx_inspected[0].min(flow.tx_inspected[1]));
            flow.events_logged.retain(|e| e.0 >= live_from);
            flow.detect.forget_txs_before(live_from);
        }
    }

    /// Marks the files that `filestore` rules matched as stored, before
    /// their alerts are written (Suricata's alert already says `storing`).
    /// Without the file-store output the keyword does nothing, as in
    /// Suricata.
    fn store_files(&self, flow: &mut Flow, to_server: bool) {
        if !self.file_store {
            return;
        }
        let Some(app) = flow.app.as_mut() else { return };
        for m in &self.matches {
            let sig = self.rules.sig(m.sig);
            if let (true, Some(tx), Some(i)) = (sig.filestore, m.tx, m.file) {
                if let Some(f) = app.file_mut(tx, to_server, i) {
                    f.storing = true;
                    if !f.store_sids.contains(&sig.sid) {
                        f.store_sids.push(sig.sid);
                    }
                }
            }
        }
    }

    /// Writes the alerts of `self.matches` (thresholds applied unless the
    /// caller defers them).
    #[allow(clippy::too_many_arguments)]
    fn emit(
        &mut self,
        mut flow: Option<&mut Flow>,
        pkt: &Packet<'_>,
        ts: crate::source::Timestamp,
        origin: Origin,
        to_server: bool,
        stats: &mut Stats,
        sink: &mut dyn Sink,
    ) {
        for m in &self.matches {
            let sig = self.rules.sig(m.sig);
            let hit = pkt.ip.as_ref().map(|ip| Hit {
                sig: sig.idx,
                ts_secs: ts.secs,
                src: ip.src,
                dst: ip.dst,
                flow: flow.as_ref().map_or(0, |f| f.id),
            });
            if !self.defer_thresholds {
                if let Some(h) = &hit {
                    if !thresholds_allow(&mut self.thresholds, sig, h) {
                        stats.thresholded += 1;
                        continue;
                    }
                }
            }
            // Suricata adds the protocol object to alerts from transactions
            // and from the stream, not to packet-only matches.
            let app_obj = match &flow {
                Some(f) if m.tx.is_some() || m.stream => f.app.as_ref().and_then(|a| a.eve_for(m.tx, &self.tls_log)),
                _ => None,
            };
            // A frame rule's alert describes the frame it matched in.
            let frame_obj = match (&flow, m.tx, sig.buffers.iter().find(|(b, _)| b.is_frame())) {
                (Some(f), Some(tx), Some((b, _))) => f.app.as_ref().and_then(|a| a.frame_eve(tx, *b)),
                _ => None,
            };
            // The stream data a stream or transaction match saw, holes
            // marked, when the alert logs its payload (Suricata logs a TCP
            // transaction's match with the stream too).
            let stream_payload = match &flow {
                Some(f)
                    if (m.stream || m.tx.is_some())
                        && (self.alert_opts.payload || self.alert_opts.payload_printable) =>
                {
                    f.streams
                        .as_ref()
                        .map(|st| &st.pending[usize::from(!to_server)])
                        .filter(|p| m.stream || !p.is_empty())
                        .map(|p| p.with_gaps_marked())
                }
                _ => None,
            };
            // Suricata lists the files of the transaction's side the
            // packet belongs to, on transaction alerts only.
            let files = match (&flow, m.tx) {
                (Some(f), Some(tx)) => f.app.as_ref().and_then(|a| a.files_eve(tx, to_server)),
                _ => None,
            };
            let line = render_alert(&AlertInput {
                files,
                ts,
                pcap_cnt: match origin {
                    Origin::Wire(n) => Some(n),
                    Origin::FlowEnd => None,
                },
                pkt,
                sig,
                flow: flow.as_deref(),
                app_proto: flow.as_ref().and_then(|f| f.app_proto),
                app_obj,
                frame_obj,
                to_server,
                tx_id: m.tx,
                tx_guessed: m.guessed,
                stream: stream_payload.as_deref(),
                opts: &self.alert_opts,
                xff: match (&self.alert_opts.xff, &flow) {
                    (Some(x), Some(f)) => f.app.as_ref().and_then(|a| a.forwarded_for(m.tx, &x.header, x.forward)),
                    _ => None,
                },
                // Matches come from the last inspection, whose verdict this is.
                verdict: self.scratch.verdict(),
            });
            let written = match (&hit, self.defer_thresholds) {
                (Some(h), true) => sink.write_alert(&line, h),
                _ => sink.write_record(&line),
            };
            if written.is_err() {
                stats.output_errors += 1;
            }
            stats.alerts += 1;
            if let Some(f) = flow.as_mut() {
                f.alerted = true;
            }
            stats.by_sig.entry((sig.gid, sig.sid)).or_insert_with(|| (0, sig.msg.clone())).0 += 1;
        }
    }

    /// Runs packet rules on an IP fragment or an invalid packet, which (as
    /// in Suricata) have no flow and no transport layer: `alert ip` rules
    /// with `fragbits`, addresses, TTL, `decode-event` and the like see
    /// them; flow-bound rules do not.
    fn run_flowless(
        &mut self,
        pkt: &Packet<'_>,
        ts: crate::source::Timestamp,
        pcap_cnt: u64,
        stats: &mut Stats,
        sink: &mut dyn Sink,
    ) {
        // Suricata decodes no transport header in a fragment: ports are 0
        // (a rule's port list must contain 0) and there is no payload.
        let mut bare = pkt.clone();
        bare.payload = 0..0;
        bare.l4 = match pkt.ip.as_ref().map(|ip| ip.proto) {
            Some(6) => L4::Tcp { sport: 0, dport: 0, seq: 0, ack: 0, flags: 0, window: 0, urgent: 0 },
            Some(17) => L4::Udp { sport: 0, dport: 0 },
            _ => L4::Other,
        };
        let view = FlowView {
            to_server: true,
            established: false,
            app_proto: None,
            first_in_dir: true,
            pseudo: false,
            flowless: true,
            stream_sizes: None,
        };
        let facts = AppFacts { state: None, to_server: true };
        let input = Input { pkt: &bare, flow: view, stream: None, txs: &[], app: &facts };
        let mut state = crate::detect::FlowState::default();
        self.matches.clear();
        self.rules.inspect(&input, &mut state, &mut self.scratch, &mut self.matches);
        self.matches.sort_by_key(|m| m.sig);
        self.matches.truncate(self.alert_max);
        self.emit(None, &bare, ts, Origin::Wire(pcap_cnt), true, stats, sink);
    }

    /// Writes an `anomaly` record per decoder event of `pkt`, when enabled.
    fn decode_anomalies(
        &mut self,
        pkt: &Packet<'_>,
        ts: crate::source::Timestamp,
        pcap_cnt: u64,
        stats: &mut Stats,
        sink: &mut dyn Sink,
    ) {
        if !self.types.anomaly_decode {
            return;
        }
        for e in pkt.events.iter() {
            if sink.write_record(&records::render_decode_anomaly(ts, pkt, pcap_cnt, e)).is_err() {
                stats.output_errors += 1;
            }
        }
    }

    /// Writes the protocol-detection events waiting for a packet of this
    /// direction (see [`Flow::proto_events`]) as `anomaly` records, when
    /// enabled; they are dropped otherwise.
    fn proto_detect_events(
        &mut self,
        flow: &mut Flow,
        ts: crate::source::Timestamp,
        origin: Origin,
        to_server: bool,
        stats: &mut Stats,
        sink: &mut dyn Sink,
    ) {
        if flow.proto_events.is_empty() {
            return;
        }
        let pcap_cnt = match origin {
            Origin::Wire(n) => Some(n),
            Origin::FlowEnd => None,
        };
        let mut events = std::mem::take(&mut flow.proto_events);
        events.retain(|&(dir, event)| {
            if dir.is_some_and(|d| d != to_server) {
                return true;
            }
            if self.types.anomaly_applayer {
                let line =
                    records::render_proto_detect_anomaly(ts, flow, pcap_cnt, to_server, event, self.types.community_id);
                if sink.write_record(&line).is_err() {
                    stats.output_errors += 1;
                }
            }
            false
        });
        flow.proto_events = events;
    }

    /// Writes an `anomaly` record per app-layer event raised since the
    /// last call, when enabled. `to_server` is the direction of the packet
    /// that logs them (Suricata's anomaly logger runs on every packet and
    /// writes the events it has not written yet).
    fn app_events(
        &mut self,
        flow: &mut Flow,
        ts: crate::source::Timestamp,
        origin: Origin,
        to_server: bool,
        stats: &mut Stats,
        sink: &mut dyn Sink,
    ) {
        if !self.types.anomaly_applayer {
            return;
        }
        let (Some(app), Some(proto)) = (flow.app.as_ref(), flow.app_proto) else { return };
        self.events.clear();
        app.events(&mut self.events);
        let pcap_cnt = match origin {
            Origin::Wire(n) => Some(n),
            Origin::FlowEnd => None,
        };
        // Events come grouped by transaction: write each group's new tail.
        let mut rest = self.events.as_slice();
        while let Some(&(tx, _)) = rest.first() {
            let n = rest.iter().take_while(|e| e.0 == tx).count();
            let (group, tail) = rest.split_at(n);
            rest = tail;
            let done = flow.events_logged.iter().find(|e| e.0 == tx).map_or(0, |e| e.1);
            if done >= n {
                continue;
            }
            for &(_, name) in &group[done..] {
                let event = crate::applayer::events::eve_name(proto, name);
                let line =
                    records::render_app_anomaly(ts, flow, pcap_cnt, to_server, tx, &event, self.types.community_id);
                if sink.write_record(&line).is_err() {
                    stats.output_errors += 1;
                }
            }
            match flow.events_logged.iter_mut().find(|e| e.0 == tx) {
                Some(e) => e.1 = n,
                None => flow.events_logged.push((tx, n)),
            }
        }
    }

    /// Writes the protocol records of transactions that became loggable
    /// (`ether`: see [`records::render_app`]).
    #[allow(clippy::too_many_arguments)]
    fn app_records(
        &mut self,
        flow: &mut Flow,
        ts: crate::source::Timestamp,
        origin: Origin,
        end: bool,
        ether: Option<([u8; 6], [u8; 6])>,
        stats: &mut Stats,
        sink: &mut dyn Sink,
    ) {
        let Some(app) = flow.app.as_ref() else { return };
        if let crate::applayer::AppState::Dns(d) = app {
            let from = flow.analytics_dns;
            let mut next = from;
            for tx in d.txs().filter(|t| t.id >= from) {
                if let Some(q) = crate::analytics::wire::dns_query(ts, tx, flow.server.0, flow.client.0, flow.vni) {
                    sink.dns_answer(&q);
                }
                next = tx.id + 1;
            }
            flow.analytics_dns = next;
        }
        if !(self.types.http || self.types.dns || self.types.tls || self.types.sip || self.types.dcerpc) {
            return;
        }
        let mut recs = Vec::new();
        flow.app_logged = app.loggable(flow.app_logged, end, &self.http_log, &self.tls_log, &mut recs);
        let pcap_cnt = match origin {
            Origin::Wire(n) => Some(n),
            Origin::FlowEnd => None,
        };
        for r in recs.iter().filter(|r| self.types.wants(r.kind)) {
            if sink.write_record(&records::render_app(ts, flow, pcap_cnt, r, self.types.community_id, ether)).is_err() {
                stats.output_errors += 1;
            }
        }
    }

    /// Writes the `flow` record of a finished flow, and hands its summary
    /// to behavioural analytics.
    fn flow_record(&mut self, flow: &Flow, end: FlowEnd, stats: &mut Stats, sink: &mut dyn Sink) {
        let name = flow.app.as_ref().and_then(|a| a.server_name());
        sink.flow_ended(&crate::analytics::wire::flow_summary(flow, name));
        let line = records::render_flow(flow, end, self.types.community_id, self.types.ethernet);
        if self.types.flow && sink.write_record(&line).is_err() {
            stats.output_errors += 1;
        }
    }

    /// A flow ends: its streams are flushed (acknowledged or not), the app
    /// layer sees the end, and one pseudo packet per direction inspects
    /// what became available (Suricata's flow-timeout pseudo packets).
    fn flow_end(&mut self, flow: &mut Flow, stats: &mut Stats, sink: &mut dyn Sink) {
        let Some(st) = flow.streams.as_mut() else { return };
        let mut budget = MemBudget::new(u64::MAX);
        let mut delivered = Vec::new();
        for side in 0..2 {
            st.dir[side].close();
            loop {
                let mut chunk = Vec::new();
                let r = st.dir[side].drain(&mut chunk, &mut budget);
                if r.is_empty() {
                    break;
                }
                st.pending[side].push(&chunk, r.gap_before);
                delivered.push((side == 0, chunk, r.gap_before.is_some()));
            }
        }
        let any_pending = st.pending.iter().any(|p| !p.is_empty());
        let mut reversed = false;
        for (to_server, data, gap) in delivered {
            let mut to_server = to_server != reversed;
            // Data never ACKed is seen first here: name the protocol from it
            // as a packet would have (Suricata parses it on its flow-end
            // pseudo packets).
            if !data.is_empty() && flow.app_proto.is_none() {
                let (src, dst) = if to_server { (flow.client, flow.server) } else { (flow.server, flow.client) };
                if detect_app_proto(flow, &data, &pseudo_packet(src, dst), to_server, self.parsers) {
                    reversed = true;
                    to_server = !to_server;
                }
            }
            if let Some(app) = flow.app.as_mut() {
                if gap {
                    app.gap(to_server);
                }
                if !data.is_empty() {
                    app.parse(to_server, &data, true);
                }
            }
            // The pseudo packet of this direction parsed the data: its
            // events are logged in its direction.
            let last = flow.last;
            self.app_events(flow, last, Origin::FlowEnd, to_server, stats, sink);
        }
        if let Some(app) = flow.app.as_mut() {
            app.close();
        }
        let last = flow.last;
        self.app_records(flow, last, Origin::FlowEnd, true, None, stats, sink);
        // A TCP direction whose first data named no protocol while the
        // other did is reported when the flow ends, on that direction's
        // pseudo packet (Suricata's detection gives up on it at the end of
        // the stream).
        if flow.proto == 6 && flow.app_proto.is_some_and(|p| p != AppProto::Failed) {
            for (to_server, bit) in [(true, 1), (false, 2)] {
                let named_other = flow.app_proto_other.is_some_and(|(d, _)| d == to_server);
                if flow.app_unknown & bit != 0 && !named_other {
                    flow.proto_events.push((Some(to_server), "APPLAYER_DETECT_PROTOCOL_ONLY_ONE_DIRECTION"));
                }
            }
        }
        if !any_pending && flow.app.is_none() {
            return;
        }
        let (client, server) = (flow.client, flow.server);
        for to_server in [true, false] {
            let (src, dst) = if to_server { (client, server) } else { (server, client) };
            let pkt = pseudo_packet(src, dst);
            let ts = flow.last;
            let dir = PacketDir { to_server, first: false, in_stream: true, inspect: flow.verdict.is_none() };
            self.run(flow, &pkt, ts, Origin::FlowEnd, dir, stats, sink);
        }
    }
}

/// Counts a decoded captured frame in `stats`.
pub(crate) fn count_wire(stats: &mut Stats, pkt: &Packet<'_>) {
    if pkt.ip.is_none() {
        return;
    }
    stats.ip_packets += 1;
    if !pkt.tunnels.is_empty() {
        stats.tunnelled += 1;
    }
    if pkt.truncated {
        stats.truncated += 1;
    }
}

/// Feeds the fragment `pkt` carries to `defrag`. Returns the datagram it
/// completes, after reassembling every further fragmented layer inside it
/// (an outer VXLAN datagram around an inner fragment), and the decoder
/// events the fragment raised (overlap, datagram too large). Decode errors
/// of rebuilt datagrams and the defragmenter's counters go to `stats`.
pub(crate) fn defrag_packet(
    defrag: &mut Defrag,
    ts: crate::source::Timestamp,
    pkt: &Packet<'_>,
    stats: &mut Stats,
) -> (Option<Rebuilt>, Events) {
    let now = ts.as_micros();
    let mut events = Events::default();
    let Some((ctx, bytes)) = pkt.fragment() else {
        return (None, events);
    };
    let before = defrag.counters;
    let mut cur = match defrag.insert(now, ctx.scope(), bytes) {
        Outcome::Complete(ip) => Some(Rebuilt::new(ip, pkt)),
        _ => None,
    };
    let v6 = pkt.ip.as_ref().is_some_and(|ip| ip.version == 6);
    if defrag.counters.overlaps > before.overlaps {
        events.set(if v6 { DecodeEvent::Ipv6FragOverlap } else { DecodeEvent::Ipv4FragOverlap });
    }
    if defrag.counters.too_large > before.too_large {
        events.set(if v6 { DecodeEvent::Ipv6FragPktTooLarge } else { DecodeEvent::Ipv4FragPktTooLarge });
    }
    // Each turn peels one fragmented layer; tunnels bound the depth.
    for _ in 0..=decode::MAX_TUNNEL_DEPTH {
        let Some(whole) = cur.take() else { break };
        let next = match whole.decode() {
            Err(e) => {
                *stats.decode_errors.entry(e.counter()).or_default() += 1;
                None
            }
            Ok(p) => match p.fragment() {
                None => {
                    stats.defrag = defrag.counters;
                    return (Some(whole), events);
                }
                Some((ctx, bytes)) => match defrag.insert(now, ctx.scope(), bytes) {
                    Outcome::Complete(ip) => Some(Rebuilt::new(ip, &p)),
                    _ => None,
                },
            },
        };
        cur = next;
    }
    stats.defrag = defrag.counters;
    (None, events)
}

/// An empty TCP packet between two endpoints, for flow-end inspection.
fn pseudo_packet(src: (std::net::IpAddr, u16), dst: (std::net::IpAddr, u16)) -> Packet<'static> {
    Packet {
        data: &[],
        linktype: crate::decode::LinkType::Raw,
        tunnels: Default::default(),
        vlans: [0; crate::decode::MAX_VLAN_TAGS],
        vlan_count: 0,
        ether: None,
        ip: Some(crate::decode::IpInfo {
            version: if src.0.is_ipv4() { 4 } else { 6 },
            src: src.0,
            dst: dst.0,
            proto: 6,
            ttl: 0,
            tos: 0,
            id: 0,
            frag_flags: 0,
            frag_offset: 0,
            is_fragment: false,
            header: 0..0,
            claimed_len: 0,
        }),
        l4: L4::Tcp { sport: src.1, dport: dst.1, seq: 0, ack: 0, flags: tcp_flags::ACK, window: 0, urgent: 0 },
        payload: 0..0,
        truncated: false,
        events: Default::default(),
        invalid: None,
    }
}

/// Feeds a TCP segment the session accepted to its flow's reassembly
/// (creating the streams on the session's first packet) and moves data that became
/// available (acknowledged by the other side, or flushed by FIN/RST) to the
/// app layer and to the raw-inspection buffer of its direction.
fn reassemble(
    flow: &mut Flow,
    budget: &mut MemBudget,
    pkt: &Packet<'_>,
    to_server: bool,
    cfg: &StreamConfig,
    host_os: &HostOsPolicy,
) -> Vec<Delivered> {
    let L4::Tcp { seq, ack, flags, urgent, .. } = pkt.l4 else {
        return Vec::new();
    };
    let syn = flags & tcp_flags::SYN != 0;
    if flow.streams.is_none() {
        // Each direction's data is reassembled with the policy of its
        // receiver (Suricata's StreamTcpSetOSPolicy).
        let for_host =
            |ip: std::net::IpAddr| StreamConfig { policy: host_os.policy_for(ip).unwrap_or(cfg.policy), ..*cfg };
        let (srv, cli) = (for_host(flow.server.0), for_host(flow.client.0));
        flow.streams =
            Some(Box::new(TcpStreams { dir: [Stream::new(&srv), Stream::new(&cli)], pending: Default::default() }));
    }
    let st = flow.streams.as_mut().expect("just created");
    let (d, o) = if to_server { (0, 1) } else { (1, 0) };
    if syn {
        st.dir[d].syn(seq);
    } else if !st.dir[d].is_started() {
        // The session took this packet without a SYN from its sender (a
        // midstream or one-sided pickup): the stream starts here.
        st.dir[d].start_at(seq);
    }
    let payload = pkt.payload();
    // Suricata 7 does not add a RST's payload to the stream (bug 6244).
    if !payload.is_empty() && flags & tcp_flags::RST == 0 {
        let ip = pkt.ip.as_ref().expect("TCP packets have IP");
        let claimed = ip.claimed_len.saturating_sub(pkt.payload.start - ip.header.start).max(payload.len());
        let data_seq = if syn { seq.wrapping_add(1) } else { seq };
        st.dir[d].segment(data_seq, payload, claimed, budget);
        if flags & tcp_flags::URG != 0 {
            st.dir[d].urgent(data_seq, urgent);
        }
    }
    if flags & tcp_flags::ACK != 0 {
        st.dir[o].ack(ack);
    }
    if flags & tcp_flags::RST != 0 {
        st.dir[0].close();
        st.dir[1].close();
    } else if flags & tcp_flags::FIN != 0 {
        st.dir[d].close();
    }
    let mut out = Vec::new();
    for side in [o, d] {
        loop {
            let mut chunk = Vec::new();
            let r = st.dir[side].drain(&mut chunk, budget);
            if r.is_empty() {
                break;
            }
            if !chunk.is_empty() {
                st.pending[side].push(&chunk, r.gap_before);
            }
            out.push(Delivered { to_server: side == 0, data: chunk, gap: r.gap_before.is_some() });
        }
    }
    out
}

/// Stream data that became available for the app layer.
struct Delivered {
    to_server: bool,
    data: Vec<u8>,
    /// A hole precedes `data`.
    gap: bool,
}

/// Names the flow's protocol from the first payload of a direction, once.
/// Returns true when that reversed the flow: the first packet may have
/// come from the server (a UDP flow whose first datagram is a DNS answer,
/// a TCP session picked up midstream), and Suricata swaps the sides when
/// the payload in the "to server" direction is what a server sends (or the
/// other way round), as long as the other direction has not been detected.
///
/// Each direction is detected on its own first payload:
/// - once the flow has a protocol, the other direction's first payload
///   naming a different one (a DCERPC request answered by HTTP) keeps the
///   first and records the other for the flow record's `app_proto_tc` /
///   `app_proto_ts`, with an `APPLAYER_MISMATCH_PROTOCOL_BOTH_DIRECTIONS`
///   event; naming nothing leaves that direction undetected, which the
///   flow's end reports (`APPLAYER_DETECT_PROTOCOL_ONLY_ONE_DIRECTION`);
/// - UDP fails a flow whose first datagram is unrecognisable, but the
///   other direction still gets its chance: a junk request answered by DNS
///   makes a DNS flow with `app_proto_ts: failed`, and the client's next
///   queries are parsed as DNS. TCP gives up once both directions sent
///   something unrecognisable.
fn detect_app_proto(
    flow: &mut Flow,
    data: &[u8],
    pkt: &Packet<'_>,
    to_server: bool,
    parsers: applayer::ParserConfig,
) -> bool {
    let transport = matches!(pkt.l4, L4::Tcp { .. } | L4::Udp { .. });
    if !transport || data.is_empty() {
        return false;
    }
    let (sp, dp) = pkt.l4.ports();
    let tcp = matches!(pkt.l4, L4::Tcp { .. });
    let bit = if to_server { 1 } else { 2 };
    let other_bit = 3 ^ bit;
    // A UDP flow failed by one direction is still detected in the other.
    let udp_retry = !tcp && flow.app_proto == Some(AppProto::Failed) && flow.app_probed & bit == 0;
    if let Some(known) = flow.app_proto.filter(|_| !udp_retry) {
        if tcp && known != AppProto::Failed && flow.app_probed & bit == 0 {
            flow.app_probed |= bit;
            match applayer::probe(data, tcp, sp, dp) {
                Probe::Found(p) if applayer::undetected_banner(p, data) => flow.app_unknown |= bit,
                Probe::Found(p) if p != known => {
                    flow.app_proto_other = Some((to_server, p));
                    flow.proto_events.push((None, "APPLAYER_MISMATCH_PROTOCOL_BOTH_DIRECTIONS"));
                }
                Probe::Unknown => flow.app_unknown |= bit,
                _ => {}
            }
        }
        return false;
    }
    match applayer::probe(data, tcp, sp, dp) {
        Probe::Found(p) => {
            flow.app_probed |= bit;
            flow.app_proto = Some(p);
            flow.app = AppState::for_proto(p, parsers);
            if udp_retry {
                // The direction that failed shows as such in the flow record.
                flow.app_proto_other = Some((!to_server, AppProto::Failed));
            }
            let may_reverse = if tcp { flow.picked_up } else { flow.app_probed & other_bit == 0 };
            if may_reverse && applayer::sent_by_client(p, data, tcp) == Some(!to_server) {
                flow.reverse();
                return true;
            }
        }
        Probe::NeedMore => {}
        Probe::Unknown => {
            flow.app_probed |= bit;
            flow.app_unknown |= bit;
            // UDP gives up on the first unknown payload (until the other
            // direction says otherwise); TCP once both directions sent
            // something unrecognisable.
            if !tcp || flow.app_unknown == 3 {
                flow.app_proto = Some(AppProto::Failed);
            }
        }
    }
    false
}

/// Applies a signature's suppressions, detection_filter, threshold and rate
/// filter (the last three in Suricata's order) to a hit.
pub(crate) fn thresholds_allow(t: &mut Thresholds, sig: &crate::detect::Signature, hit: &Hit) -> bool {
    if sig.suppress.iter().any(|s| s.suppresses(hit.src, hit.dst)) {
        return false;
    }
    let mut ok = true;
    if let Some(th) = &sig.detection_filter {
        ok &= t.allow(hit, 1, th);
    }
    if ok {
        if let Some(th) = &sig.threshold {
            ok &= t.allow(hit, 0, th);
        }
    }
    if ok {
        if let Some(rf) = &sig.rate_filter {
            // A passive sensor only acts on `pass`: the alert is not written.
            ok &= t.rate_action(hit, rf).is_none_or(|a| a != crate::rules::ast::Action::Pass);
        }
    }
    ok
}
