//! The per-flow app-layer state: one parser per detected protocol, fed with
//! reassembled stream data (or UDP payloads), and the views detection and
//! output take of it.

use super::dcerpc::{DceTx, DcerpcState};
use super::dns::{DnsState, DnsTx};
use super::file::{File, FileConfig};
use super::http::{HttpState, HttpTx};
use super::mqtt::{MqttState, MqttTx};
use super::sip::{SipState, SipTx};
use super::smb::{SmbState, SmbTx};
use super::ssh::SshState;
use super::tls::TlsState;
use crate::detect::Buffers;
use crate::rules::ast::{self, AppProto, Buffer};

/// Finished transactions kept for inspection and alert metadata: the
/// packets after a transaction completes (in both directions) must still
/// see it.
const KEEP_DONE_TXS: u64 = 8;

/// What the rules, the outputs and the configuration need the parsers to
/// keep or compute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParserConfig {
    /// Keep messages as sent for the frame buffers (a rule inspects them).
    pub keep_frames: bool,
    /// What files compute (hashes, type description).
    pub files: FileConfig,
    /// HTTP request body bytes kept (`request-body-limit`).
    pub http_request_body_limit: usize,
    /// HTTP response body bytes kept (`response-body-limit`).
    pub http_response_body_limit: usize,
}

impl Default for ParserConfig {
    fn default() -> Self {
        ParserConfig {
            keep_frames: false,
            files: FileConfig::default(),
            http_request_body_limit: super::http::REQUEST_BODY_LIMIT,
            http_response_body_limit: super::http::RESPONSE_BODY_LIMIT,
        }
    }
}

/// Parser state of a flow whose protocol has a parser.
#[derive(Debug)]
pub enum AppState {
    /// HTTP/1.x.
    Http(Box<HttpState>),
    /// DNS over UDP or TCP.
    Dns(Box<DnsState>),
    /// TLS.
    Tls(Box<TlsState>),
    /// SSH banners.
    Ssh(Box<SshState>),
    /// SIP messages.
    Sip(Box<SipState>),
    /// MQTT control packets.
    Mqtt(Box<MqttState>),
    /// DCERPC over TCP.
    Dcerpc(Box<DcerpcState>),
    /// SMB1 and SMB2/3 over NBSS.
    Smb(Box<SmbState>),
}

/// A transaction seen from one direction (buffers that exist in both
/// directions resolve to that direction's side).
pub struct TxView<'a> {
    /// Transaction id.
    pub id: u64,
    inner: TxInner<'a>,
    to_server: bool,
}

#[derive(Clone, Copy)]
enum TxInner<'a> {
    Http(&'a HttpTx),
    /// A DNS transaction and which of its query names `dns.query` shows
    /// (a multi-buffer: each name is inspected on its own).
    Dns(&'a DnsTx, usize),
    Tls(&'a TlsState),
    Sip(&'a SipTx),
    Mqtt(&'a MqttTx),
    /// A DCERPC call, with its flow's state (the interface of its context
    /// lives there).
    Dcerpc(&'a DceTx, &'a DcerpcState),
    Smb(&'a SmbTx),
    /// The SSH session's one transaction: the banners.
    Ssh(&'a SshState),
}

impl<'a> TxView<'a> {
    /// The view of a DCERPC call (for tests that run rules on a parser's
    /// output without a flow).
    #[cfg(test)]
    pub(crate) fn dcerpc(tx: &'a DceTx, state: &'a DcerpcState, to_server: bool) -> Self {
        TxView { id: tx.id, inner: TxInner::Dcerpc(tx, state), to_server }
    }
}

impl Buffers for TxView<'_> {
    fn get(&self, b: Buffer) -> Option<&[u8]> {
        match self.inner {
            TxInner::Http(tx) => tx.buffer_dir(b, self.to_server),
            TxInner::Dns(tx, i) => {
                if b == Buffer::DnsQuery {
                    tx.buffers(b).nth(i)
                } else {
                    tx.buffer_dir(b, self.to_server)
                }
            }
            TxInner::Tls(s) => s.tx().buffer_dir(b, self.to_server),
            TxInner::Sip(tx) => tx.buffer_dir(b, self.to_server),
            TxInner::Mqtt(tx) => tx.buffer_dir(b, self.to_server),
            TxInner::Dcerpc(tx, _) if b == Buffer::DceStubData => tx.stub(self.to_server),
            TxInner::Dcerpc(..) => None,
            TxInner::Smb(tx) => tx.buffer_dir(b, self.to_server),
            TxInner::Ssh(st) => match b {
                Buffer::SshProto => st.side(self.to_server).proto.as_deref(),
                Buffer::SshSoftware => st.side(self.to_server).software.as_deref(),
                _ => None,
            },
        }
    }

    fn get_nth(&self, b: Buffer, i: usize) -> Option<&[u8]> {
        match self.inner {
            TxInner::Http(tx) if b.is_multi() => tx.header_instance(b, i),
            TxInner::Tls(s) if b == Buffer::TlsCerts => s.tx().certs().nth(i).filter(|_| !self.to_server),
            _ if i == 0 => self.get(b),
            _ => None,
        }
    }

    fn file(&self, i: usize) -> Option<&super::file::File> {
        match self.inner {
            TxInner::Http(tx) if i == 0 => tx.file(self.to_server),
            _ => None,
        }
    }

    fn app_event(&self, e: &ast::AppLayerEvent) -> bool {
        use super::events;
        let ast::AppLayerEvent::Parsed { proto, name } = e else { return false };
        match (self.inner, proto) {
            (TxInner::Http(tx), AppProto::Http) => tx.anomalies().iter().any(|&a| events::http_event(a) == Some(*name)),
            (TxInner::Dns(tx, _), AppProto::Dns) => tx.anomalies().iter().any(|&a| events::dns_event(a) == Some(*name)),
            (TxInner::Tls(s), AppProto::Tls) => s.anomalies_seen().iter().any(|&a| events::tls_event(a) == Some(*name)),
            (TxInner::Mqtt(tx), AppProto::Mqtt) => {
                tx.inspect_to_server == self.to_server && tx.events.iter().any(|e| e.name() == *name)
            }
            (TxInner::Smb(tx), AppProto::Smb) => tx.events.contains(name),
            _ => false,
        }
    }

    fn tx_field(&self, f: ast::TxField) -> Option<u64> {
        let TxInner::Mqtt(tx) = self.inner else { return None };
        if tx.inspect_to_server != self.to_server {
            return None;
        }
        match f {
            ast::TxField::MqttType => Some(u64::from(tx.msg_type)),
            ast::TxField::MqttReasonCode => tx.reason_code.map(u64::from),
        }
    }

    fn dce_iface(&self, m: &ast::DceIface) -> bool {
        matches!(self.inner, TxInner::Dcerpc(tx, s) if s.iface_matches(tx, m))
    }

    fn dce_opnum(&self, ranges: &[(u32, u32)]) -> bool {
        matches!(self.inner, TxInner::Dcerpc(tx, _) if tx.opnum_in(ranges))
    }

    fn dce_little_endian(&self) -> Option<bool> {
        match self.inner {
            TxInner::Dcerpc(tx, _) => tx.little_endian(self.to_server),
            _ => None,
        }
    }
}

/// A transaction's own EVE record body.
pub struct AppRecord {
    /// Event type and object key: `http`, `dns`, `tls`.
    pub kind: &'static str,
    /// Transaction id.
    pub tx_id: u64,
    /// The record describes a message from the client (DNS queries). The
    /// EVE envelope is in flow direction (client as `src_ip`) whatever this
    /// says, as Suricata writes DNS answers too.
    pub to_server: bool,
    /// The protocol object.
    pub body: serde_json::Value,
}

/// Flow-level facts seen from one direction (`ssl_version`, `ssl_state`,
/// SSH banners).
pub struct AppFacts<'a> {
    /// The flow's state, if any.
    pub state: Option<&'a AppState>,
    /// Direction of the packet.
    pub to_server: bool,
}

fn version_bit(v: u16) -> u8 {
    match v {
        0x0002 => ast::SSL_V2,
        0x0300 => ast::SSL_V3,
        0x0301 => ast::TLS_1_0,
        0x0302 => ast::TLS_1_1,
        0x0303 => ast::TLS_1_2,
        0x0304 => ast::TLS_1_3,
        _ => 0,
    }
}

impl Buffers for AppFacts<'_> {
    fn get(&self, b: Buffer) -> Option<&[u8]> {
        match (self.state?, b) {
            (AppState::Ssh(s), Buffer::SshSoftware) => s.side(self.to_server).software.as_deref(),
            (AppState::Ssh(s), Buffer::SshProto) => s.side(self.to_server).proto.as_deref(),
            _ => None,
        }
    }

    fn ssl_versions(&self) -> Option<u8> {
        let AppState::Tls(t) = self.state? else { return None };
        let dir = if self.to_server { t.client() } else { t.server() };
        Some(version_bit(dir.version()))
    }

    fn ssl_states(&self) -> Option<u8> {
        let AppState::Tls(t) = self.state? else { return None };
        Some(t.current_states().bits())
    }
}

impl AppState {
    /// A parser for `proto`, when mirador has one.
    pub fn for_proto(proto: AppProto, cfg: ParserConfig) -> Option<AppState> {
        let keep_frames = cfg.keep_frames;
        Some(match proto {
            AppProto::Http => {
                let mut h = HttpState::new();
                h.keep_frames(keep_frames);
                h.set_file_config(cfg.files);
                h.set_body_limits(cfg.http_request_body_limit, cfg.http_response_body_limit);
                AppState::Http(Box::new(h))
            }
            AppProto::Dns => {
                let mut d = DnsState::new();
                d.keep_frames(keep_frames);
                AppState::Dns(Box::new(d))
            }
            AppProto::Tls => AppState::Tls(Box::default()),
            AppProto::Ssh => AppState::Ssh(Box::default()),
            AppProto::Sip => AppState::Sip(Box::default()),
            AppProto::Mqtt => {
                let mut m = MqttState::default();
                m.keep_frames(keep_frames);
                AppState::Mqtt(Box::new(m))
            }
            AppProto::Dcerpc => AppState::Dcerpc(Box::default()),
            AppProto::Smb => AppState::Smb(Box::default()),
            _ => return None,
        })
    }

    /// Feeds data of one direction (`tcp`: stream framing).
    pub fn parse(&mut self, to_server: bool, data: &[u8], tcp: bool) {
        match self {
            AppState::Http(h) => h.parse(to_server, data),
            AppState::Dns(d) => {
                d.parse(to_server, data, tcp);
            }
            AppState::Tls(t) => {
                t.parse(to_server, data);
            }
            AppState::Ssh(s) => s.parse(to_server, data),
            AppState::Sip(s) => s.parse(to_server, data, tcp),
            AppState::Mqtt(m) => m.parse(to_server, data),
            // DCERPC is only detected on TCP.
            AppState::Dcerpc(d) => d.parse(to_server, data),
            AppState::Smb(s) => {
                if tcp {
                    s.parse(to_server, data);
                }
            }
        }
    }

    /// Signals a hole in one direction's stream.
    pub fn gap(&mut self, to_server: bool) {
        match self {
            AppState::Http(h) => h.gap(to_server),
            AppState::Dns(d) => d.gap(to_server),
            AppState::Tls(t) => t.gap(to_server),
            AppState::Sip(s) => s.gap(to_server),
            AppState::Mqtt(m) => m.gap(to_server),
            AppState::Dcerpc(d) => d.gap(to_server),
            AppState::Smb(s) => s.gap(to_server),
            AppState::Ssh(_) => {}
        }
    }

    /// The connection ended.
    pub fn close(&mut self) {
        if let AppState::Http(h) = self {
            h.close();
        }
    }

    /// Id of the first transaction that is not complete (the next id when
    /// all are): every transaction below it is complete in both directions.
    pub fn complete_prefix(&self) -> u64 {
        match self {
            AppState::Http(h) => match h.txs().find(|t| !t.is_complete()) {
                Some(t) => t.id,
                None => h.txs().last().map_or(0, |t| t.id + 1),
            },
            _ => u64::MAX,
        }
    }

    /// Live transactions, seen from `to_server`'s side.
    pub fn tx_views<'a>(&'a self, to_server: bool, out: &mut Vec<TxView<'a>>) {
        match self {
            AppState::Http(h) => {
                out.extend(h.txs().map(|tx| TxView { id: tx.id, inner: TxInner::Http(tx), to_server }))
            }
            AppState::Dns(d) => {
                for tx in d.txs() {
                    let n = tx.buffers(Buffer::DnsQuery).count().max(1);
                    out.extend((0..n).map(|i| TxView { id: tx.id, inner: TxInner::Dns(tx, i), to_server }));
                }
            }
            AppState::Tls(t) => out.push(TxView { id: 0, inner: TxInner::Tls(t), to_server }),
            AppState::Sip(s) => out.extend(s.txs().map(|tx| TxView { id: tx.id, inner: TxInner::Sip(tx), to_server })),
            AppState::Mqtt(m) => {
                out.extend(m.txs().map(|tx| TxView { id: tx.id, inner: TxInner::Mqtt(tx), to_server }))
            }
            AppState::Dcerpc(d) => {
                out.extend(d.txs().map(|tx| TxView { id: tx.id, inner: TxInner::Dcerpc(tx, d), to_server }))
            }
            AppState::Smb(s) => out.extend(s.txs().map(|tx| TxView { id: tx.id, inner: TxInner::Smb(tx), to_server })),
            // As in Suricata, the session is one transaction (id 0), which
            // the `ssh.proto` and `ssh.software` buffers read.
            AppState::Ssh(s) => out.push(TxView { id: 0, inner: TxInner::Ssh(s), to_server }),
        }
    }

    /// File `i` of transaction `tx` in one direction, to mark it stored.
    pub fn file_mut(&mut self, tx: u64, to_server: bool, i: u32) -> Option<&mut File> {
        match self {
            AppState::Http(h) if i == 0 => h.tx_mut(tx)?.file_mut(to_server),
            _ => None,
        }
    }

    /// The EVE `files` array of an alert on transaction `tx` from a packet
    /// going `to_server`: the files of that direction, as Suricata lists
    /// them; None when there are none.
    pub fn files_eve(&self, tx: u64, to_server: bool) -> Option<serde_json::Value> {
        let files: Vec<serde_json::Value> = match self {
            AppState::Http(h) => h.tx(tx)?.file(to_server).map(|f| f.eve(tx)).into_iter().collect(),
            AppState::Smb(s) => s.tx(tx)?.fileinfo().into_iter().collect(),
            _ => Vec::new(),
        };
        (!files.is_empty()).then_some(serde_json::Value::Array(files))
    }

    /// The EVE object (key, value) for an alert: the matched transaction,
    /// else the most recent one.
    pub fn eve_for(
        &self,
        tx: Option<u64>,
        tls: &super::tls::eve::TlsLogConfig,
    ) -> Option<(&'static str, serde_json::Value)> {
        match self {
            AppState::Http(h) => {
                let t = match tx {
                    Some(id) => h.tx(id),
                    None => h.txs().last(),
                }?;
                Some(("http", t.eve()))
            }
            AppState::Dns(d) => {
                let t = match tx {
                    Some(id) => d.tx(id),
                    None => d.txs().last(),
                }?;
                Some(("dns", super::dns::eve::alert_object(t)))
            }
            AppState::Tls(t) => Some(("tls", super::tls::eve::alert_object(t, tls, false))),
            AppState::Sip(s) => {
                let t = match tx {
                    Some(id) => s.tx(id),
                    None => s.txs().last(),
                }?;
                Some(("sip", t.eve()))
            }
            AppState::Mqtt(m) => {
                let t = match tx {
                    Some(id) => m.tx(id),
                    None => m.txs().last(),
                }?;
                Some(("mqtt", t.eve()))
            }
            AppState::Smb(s) => {
                let t = match tx {
                    Some(id) => s.tx(id),
                    None => s.txs().last(),
                }?;
                Some(("smb", t.eve(s.dialect())))
            }
            // Suricata 7.0.10 writes no `dcerpc` object in alerts.
            AppState::Ssh(_) | AppState::Dcerpc(_) => None,
        }
    }

    /// The `frame` object of an alert that matched frame buffer `b` of
    /// transaction `tx` (protocols whose frames mirador describes).
    pub fn frame_eve(&self, tx: u64, b: Buffer) -> Option<serde_json::Value> {
        match self {
            AppState::Mqtt(m) => m.tx(tx)?.frame_eve(b),
            _ => None,
        }
    }

    /// The client address an HTTP proxy header (`X-Forwarded-For`) names:
    /// in transaction `tx`, else in the most recent transaction that has
    /// the header; the first address of the list when `first`, else the
    /// last (the proxy nearest the server). None when it is not an address.
    pub fn forwarded_for(&self, tx: Option<u64>, header: &str, first: bool) -> Option<std::net::IpAddr> {
        let AppState::Http(h) = self else { return None };
        let value = match tx {
            Some(id) => h.tx(id)?.request_header(header.as_bytes()),
            None => h.txs().filter_map(|t| t.request_header(header.as_bytes())).last(),
        }?;
        let list = std::str::from_utf8(value).ok()?;
        let item = if first { list.split(',').next() } else { list.rsplit(',').next() }?;
        item.trim().parse().ok()
    }

    /// Transactions ready for their own EVE record (`http`, `dns`, `tls`),
    /// from id `from` on; returns the id to continue from next time. At the
    /// flow's end (`end`), unfinished ones are logged as they are, as
    /// Suricata does.
    pub fn loggable(
        &self,
        from: u64,
        end: bool,
        http: &super::http::HttpLogConfig,
        tls: &super::tls::eve::TlsLogConfig,
        out: &mut Vec<AppRecord>,
    ) -> u64 {
        let mut next = from;
        match self {
            AppState::Http(h) => {
                for tx in h.txs().filter(|t| t.id >= from) {
                    let started = tx.request_progress != super::http::Progress::None;
                    if !(tx.is_complete() || end && started) {
                        break;
                    }
                    out.push(AppRecord { kind: "http", tx_id: tx.id, to_server: true, body: tx.record(http) });
                    next = tx.id + 1;
                }
            }
            AppState::Dns(d) => {
                let cfg = super::dns::eve::DnsLogConfig::default();
                for tx in d.txs().filter(|t| t.id >= from) {
                    for body in super::dns::eve::records(tx, &cfg) {
                        out.push(AppRecord { kind: "dns", tx_id: tx.id, to_server: tx.is_request(), body });
                    }
                    next = tx.id + 1;
                }
            }
            AppState::Tls(t) => {
                let cfg = tls;
                if from == 0 && super::tls::eve::should_log(t, cfg) && (t.record_ready() || end) {
                    out.push(AppRecord {
                        kind: "tls",
                        tx_id: 0,
                        to_server: true,
                        body: super::tls::eve::record(t, cfg),
                    });
                    next = 1;
                }
            }
            AppState::Sip(s) => {
                for tx in s.txs().filter(|t| t.id >= from) {
                    out.push(AppRecord { kind: "sip", tx_id: tx.id, to_server: tx.is_request(), body: tx.eve() });
                    next = tx.id + 1;
                }
            }
            AppState::Mqtt(m) => {
                for tx in m.txs().filter(|t| t.id >= from) {
                    out.push(AppRecord { kind: "mqtt", tx_id: tx.id, to_server: tx.to_server, body: tx.eve() });
                    next = tx.id + 1;
                }
            }
            AppState::Dcerpc(d) => {
                // A call is logged once answered (at the flow's end, as it
                // is), in order.
                for tx in d.txs().filter(|t| t.id >= from) {
                    if !(tx.is_complete() || end) {
                        break;
                    }
                    out.push(AppRecord { kind: "dcerpc", tx_id: tx.id, to_server: true, body: tx.eve() });
                    next = tx.id + 1;
                }
            }
            AppState::Smb(s) => {
                // In id order, as Suricata's logger walks transactions: one
                // still waiting for its response holds back the later ones.
                // A transaction about to be freed (see `collect`) is logged
                // as it is, so that none is lost to one that never ends.
                for tx in s.txs().filter(|t| t.id >= from) {
                    if !(tx.is_loggable() || end || tx.id + KEEP_DONE_TXS < s.next_tx_id()) {
                        break;
                    }
                    out.push(AppRecord { kind: "smb", tx_id: tx.id, to_server: true, body: tx.eve(s.dialect()) });
                    next = tx.id + 1;
                }
            }
            AppState::Ssh(_) => {}
        }
        next
    }

    /// The Suricata events the parser raised, per live transaction in id
    /// order and, within one, in the order raised: `(tx id, event)` with
    /// the event's `app-layer-event` name (see [`super::events`]).
    /// Anomalies Suricata has no event for are left out.
    pub fn events(&self, out: &mut Vec<(u64, &'static str)>) {
        use super::events::{dns_event, http_event, tls_event};
        match self {
            AppState::Http(h) => {
                for tx in h.txs() {
                    out.extend(tx.anomalies().iter().filter_map(|&a| http_event(a)).map(|n| (tx.id, n)));
                }
            }
            AppState::Dns(d) => {
                for tx in d.txs() {
                    out.extend(tx.anomalies().iter().filter_map(|&a| dns_event(a)).map(|n| (tx.id, n)));
                }
            }
            AppState::Tls(t) => out.extend(t.anomalies_seen().iter().filter_map(|&a| tls_event(a)).map(|n| (0, n))),
            AppState::Mqtt(m) => {
                for tx in m.txs() {
                    out.extend(tx.events.iter().map(|e| (tx.id, e.name())));
                }
            }
            AppState::Smb(s) => {
                for tx in s.txs() {
                    out.extend(tx.events.iter().map(|&n| (tx.id, n)));
                }
            }
            AppState::Ssh(_) | AppState::Sip(_) | AppState::Dcerpc(_) => {}
        }
    }

    /// The server name the client asked for: TLS SNI, else the HTTP Host of
    /// the first transaction.
    pub fn server_name(&self) -> Option<String> {
        match self {
            AppState::Tls(t) => t.sni().map(|s| String::from_utf8_lossy(s).into_owned()),
            AppState::Http(h) => {
                h.txs().next().and_then(|t| t.buffer(Buffer::HttpHost)).map(|s| String::from_utf8_lossy(s).into_owned())
            }
            _ => None,
        }
    }

    /// Frees finished transactions; returns the lowest id still live (or
    /// the next id), so detection can forget older ones.
    ///
    /// `inspected`: transactions below this id were complete when detection
    /// last ran in each direction (see [`AppState::complete_prefix`]); HTTP
    /// transactions are never freed before that, as in Suricata, where a
    /// transaction lives until detection has seen it in both directions: a
    /// pipelining client's requests stay inspectable until its next packet
    /// even when the server's responses completed them meanwhile.
    pub fn collect(&mut self, inspected: u64) -> u64 {
        match self {
            AppState::Http(h) => {
                let next = h.txs().last().map_or(0, |t| t.id + 1);
                h.remove_done(next.saturating_sub(KEEP_DONE_TXS).min(inspected));
                h.txs().next().map_or(next, |t| t.id)
            }
            AppState::Dns(d) => {
                let next = d.next_tx_id();
                d.remove_done(next.saturating_sub(KEEP_DONE_TXS));
                d.txs().next().map_or(next, |t| t.id)
            }
            AppState::Sip(s) => {
                let next = s.next_tx_id();
                s.remove_done(next.saturating_sub(KEEP_DONE_TXS));
                s.txs().next().map_or(next, |t| t.id)
            }
            AppState::Mqtt(m) => {
                let next = m.next_tx_id();
                m.remove_done(next.saturating_sub(KEEP_DONE_TXS));
                m.txs().next().map_or(next, |t| t.id)
            }
            AppState::Dcerpc(d) => {
                let next = d.next_tx_id();
                d.remove_done(next.saturating_sub(KEEP_DONE_TXS));
                d.txs().next().map_or(next, |t| t.id)
            }
            AppState::Smb(s) => {
                let next = s.next_tx_id();
                s.remove_done(next.saturating_sub(KEEP_DONE_TXS));
                s.txs().next().map_or(next, |t| t.id)
            }
            AppState::Tls(_) | AppState::Ssh(_) => 0,
        }
    }
}
