//! Detection: rules are compiled once into an immutable [`Ruleset`] that
//! workers share; each packet is prefiltered per buffer by one aho-corasick
//! automaton over the signatures' fast patterns, and only the candidates are
//! verified fully.
//!
//! Detection knows nothing of JSON: it reports matches as [`Match`] values
//! (signature index) and leaves formatting to [`crate::output`].

mod asn1;
pub mod dataset;
pub mod file;
mod flowint;
mod header;
mod ipindex;
pub mod payload;
pub mod pktbuf;
pub mod regex;
mod signature;
pub mod threshold;
pub mod threshold_file;
pub mod transform;

use std::collections::HashMap;
use std::path::Path;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use rayon::prelude::*;

pub use signature::{CompileStats, FastPat, FlowintCheck, FlowintValue, ProtoMatch, Signature};

use crate::decode::Packet;
use crate::rules::ast::{AppProto, Buffer, FlowbitCmd, PayloadOp};
use crate::rules::netset::IpSet;
use crate::rules::{Classifications, LoadReport, RuleError, SourcedRule, Vars};
use payload::{Inspection, MAX_BYTE_VARS};

/// Prefilter groups with at most this many patterns are built as a DFA;
/// larger ones as a contiguous NFA, except the payload/stream group, which
/// every packet scans and which is always a DFA. Measured on base.pcap with
/// all of ET Open: DFAs everywhere take 25% less CPU than NFAs (4.0 s
/// against 5.4 s user time) but make loading 5x slower (1.4 s against
/// 0.3 s) and add 80 MB; the payload group gives most of the gain.
pub const DFA_MAX_PATTERNS: usize = 500;

/// Bytes of each fast pattern the prefilter automata look for: the least
/// common window of that length (see [`payload::rarest_window`]).
/// Verification checks the whole content, so a shorter key only admits a
/// few more candidates, while the automata, the DFA of packet payloads
/// above all, shrink to a third (ET Open: 41 MB to 15 MB, half of the
/// load's peak memory).
pub const PREFILTER_WINDOW: usize = 8;

/// Number of protocol slots of the no-fast-pattern lists.
const PROTO_SLOTS: usize = 4;

/// Slot of an IP protocol: TCP, UDP, ICMP (v4 and v6), other.
fn proto_slot(p: u8) -> usize {
    match p {
        6 => 0,
        17 => 1,
        1 | 58 => 2,
        _ => 3,
    }
}

fn sig_in_slot(s: &Signature, slot: usize) -> bool {
    match s.proto {
        ProtoMatch::Ip | ProtoMatch::Ipv4 | ProtoMatch::Ipv6 => true,
        ProtoMatch::Tcp => slot == 0,
        ProtoMatch::Udp => slot == 1,
        ProtoMatch::Icmp | ProtoMatch::Icmpv4 | ProtoMatch::Icmpv6 => slot == 2,
        ProtoMatch::Sctp => slot == 3,
        ProtoMatch::App(a) => {
            let (tcp, udp) = a.transports();
            (tcp && slot == 0) || (udp && slot == 1)
        }
    }
}

/// What the flow knows about the packet, as detection needs it.
#[derive(Clone, Copy, Debug, Default)]
pub struct FlowView {
    /// The packet goes from client to server.
    pub to_server: bool,
    /// TCP handshake completed / UDP seen both ways.
    pub established: bool,
    /// Detected application protocol.
    pub app_proto: Option<AppProto>,
    /// First packet of the flow in this direction (IP-only rules run then).
    pub first_in_dir: bool,
    /// A flow-end pseudo packet: only stream and transaction rules run.
    pub pseudo: bool,
    /// The packet has no flow (an IP fragment): `flow:` directions and
    /// `established` never hold.
    pub flowless: bool,
    /// TCP sequence space used per side, [client, server] (`stream_size`);
    /// None outside TCP flows.
    pub stream_sizes: Option<[u64; 2]>,
}

/// Buffers other than the packet payload, filled by app-layer parsers, and
/// the app-layer facts some keywords test.
pub trait Buffers {
    /// The buffer's bytes for this packet/transaction, if it exists.
    fn get(&self, b: Buffer) -> Option<&[u8]>;

    /// TLS record versions seen on the flow (`ssl_version` bits), None when
    /// the flow is not TLS.
    fn ssl_versions(&self) -> Option<u8> {
        None
    }

    /// TLS handshake messages seen on the flow (`ssl_state` bits).
    fn ssl_states(&self) -> Option<u8> {
        None
    }

    /// Instance `i` (from 0) of a multi-buffer ([`Buffer::is_multi`]);
    /// None past the last. For other buffers, the buffer is instance 0.
    fn get_nth(&self, b: Buffer, i: usize) -> Option<&[u8]> {
        if i == 0 {
            self.get(b)
        } else {
            None
        }
    }

    /// True when the transaction (or, for protocols whose events belong
    /// to the flow, its parser state) raised the `app-layer-event` event.
    fn app_event(&self, _e: &crate::rules::ast::AppLayerEvent) -> bool {
        false
    }

    /// A number the transaction carries (`mqtt.type`...), if it has it.
    fn tx_field(&self, _f: crate::rules::ast::TxField) -> Option<u64> {
        None
    }

    /// `dcerpc.iface` on a DCERPC call (false elsewhere).
    fn dce_iface(&self, _m: &crate::rules::ast::DceIface) -> bool {
        false
    }

    /// `dcerpc.opnum` ranges on a DCERPC call (false elsewhere).
    fn dce_opnum(&self, _ranges: &[(u32, u32)]) -> bool {
        false
    }

    /// The byte order of a DCERPC transaction's PDUs in this direction
    /// (Some(true) little-endian), which the `dce` option of the byte
    /// keywords follows; None outside DCERPC.
    fn dce_little_endian(&self) -> Option<bool> {
        None
    }

    /// File `i` (from 0) of the transaction in the view's direction; None
    /// past the last.
    fn file(&self, _i: usize) -> Option<&crate::applayer::file::File> {
        None
    }
}

/// No app-layer buffers.
pub struct NoBuffers;

impl Buffers for NoBuffers {
    fn get(&self, _: Buffer) -> Option<&[u8]> {
        None
    }
}

/// Transactions remembered per flow for "alert once per transaction";
/// older entries are forgotten first (a flow with more live transactions
/// than this is itself an anomaly the parsers cap).
const MAX_TX_MATCHES: usize = 1024;

/// Per-flow detection state: flowbits (a small sorted set of interned ids)
/// and which (transaction, signature) pairs already matched.
#[derive(Clone, Debug, Default)]
pub struct FlowState {
    bits: Vec<u32>,
    /// (transaction, signature, side): a signature alerts once per
    /// transaction, or once per transaction and direction (see [`TxSide`]).
    tx_matches: std::collections::VecDeque<(u64, u32, TxSide)>,
    /// flowint variables set on the flow: (interned id, value), by id.
    ints: Vec<(u32, u32)>,
    /// What the prefilter found so far in each growing body buffer.
    body_scans: Vec<BodyScan>,
    /// What a pass or drop rule decided for the whole flow (the first
    /// decision stands): the flow is not inspected any more.
    action: Option<FlowAction>,
    /// Files file rules matched: (transaction, to server, file, signature).
    file_matches: std::collections::VecDeque<(u64, bool, u32, u32)>,
}

/// The prefilter's progress on one body buffer of one transaction. Bodies
/// only grow, so each packet scans only what arrived since the last one
/// (plus a pattern's length of overlap) instead of the whole body again,
/// which made a download's inspection quadratic in its size.
#[derive(Clone, Debug)]
struct BodyScan {
    tx: u64,
    buffer: Buffer,
    to_server: bool,
    /// Bytes scanned.
    len: usize,
    /// Hash of the first bytes, to notice a body that was replaced.
    head: u64,
    /// Pattern ids found in those bytes, sorted.
    pids: Vec<u32>,
}

/// Which inspection of a transaction a match used up. Suricata keeps a
/// detection state per transaction and direction: a rule bound to neither
/// direction can alert once in each. mirador does so for SMB, whose
/// transactions carry events and file data seen from both sides
/// (Suricata 7 alerts `smb.file_overlap` on the request and on the
/// response), for SSH, whose one transaction holds both banners (a rule on
/// `ssh.proto` alerts on each side's), and for the DCERPC keywords
/// ([`Signature::per_direction`]).
/// Other protocols keep one alert per transaction until each is checked
/// against Suricata on this point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TxSide {
    /// The transaction as a whole.
    Any,
    /// Its inspection in one direction (true: to the server).
    Dir(bool),
}

fn tx_side(s: &Signature, flow: &FlowView) -> TxSide {
    if s.per_direction || s.tx_dir.is_none() && matches!(flow.app_proto, Some(AppProto::Smb | AppProto::Ssh)) {
        TxSide::Dir(flow.to_server)
    } else {
        TxSide::Any
    }
}

/// Below this size a body is scanned whole: bookkeeping would cost more.
const INCREMENTAL_MIN: usize = 4096;

fn head_hash(b: &[u8]) -> u64 {
    b[..b.len().min(64)]
        .iter()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, &x| (h ^ u64::from(x)).wrapping_mul(0x0100_0000_01b3))
}

impl FlowState {
    fn tx_matched(&self, tx: u64, sig: u32, side: TxSide) -> bool {
        self.tx_matches.contains(&(tx, sig, side))
    }

    fn set_tx_matched(&mut self, tx: u64, sig: u32, side: TxSide) {
        if self.tx_matches.len() >= MAX_TX_MATCHES {
            self.tx_matches.pop_front();
        }
        self.tx_matches.push_back((tx, sig, side));
    }

    /// True once a `pass` rule matched the flow: Suricata's `flow.action`
    /// `pass`, no further detection on it.
    pub fn passed(&self) -> bool {
        self.action == Some(FlowAction::Pass)
    }

    /// The flow's action decided by a rule (Suricata's `flow.action`).
    pub fn action(&self) -> Option<FlowAction> {
        self.action
    }

    fn file_matched(&self, key: (u64, bool, u32, u32)) -> bool {
        self.file_matches.contains(&key)
    }

    fn set_file_matched(&mut self, key: (u64, bool, u32, u32)) {
        if self.file_matches.len() >= MAX_TX_MATCHES {
            self.file_matches.pop_front();
        }
        self.file_matches.push_back(key);
    }

    /// Forgets transactions below `id` (the app layer freed them).
    pub fn forget_txs_before(&mut self, id: u64) {
        self.tx_matches.retain(|&(t, ..)| t >= id);
        self.file_matches.retain(|&(t, ..)| t >= id);
        self.body_scans.retain(|e| e.tx >= id);
    }

    fn is_set(&self, id: u32) -> bool {
        self.bits.binary_search(&id).is_ok()
    }

    fn set(&mut self, id: u32) {
        if let Err(p) = self.bits.binary_search(&id) {
            self.bits.insert(p, id);
        }
    }

    fn unset(&mut self, id: u32) {
        if let Ok(p) = self.bits.binary_search(&id) {
            self.bits.remove(p);
        }
    }
}

/// What a rule decided for a whole flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlowAction {
    /// A pass rule: the rest of the flow is let through uninspected.
    Pass,
    /// A drop or reject rule: an inline engine drops the rest of the flow,
    /// uninspected. mirador drops nothing but reports it so.
    Drop,
}

/// What the rules decided for one packet, for the alerts' `verdict` and
/// `action`: what an inline Suricata would have done with it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PacketAction {
    /// A drop or reject rule matched the packet, or its flow is dropped.
    pub drop: bool,
    /// A reject rule matched (Suricata also answers with a reset or an
    /// ICMP error).
    pub reject: bool,
    /// A pass rule matched: rules ranked after it were not counted.
    pub pass: bool,
}

/// Applies a matching signature's action: a pass stops the packet's
/// matches (returns true) unless it was silenced with `noalert`, which
/// Suricata treats as a suppressed match that stops nothing; a drop marks
/// the packet. Either applies to the flow when the rule
/// [acts on it](Signature::acts_on_flow) or matched a session's
/// reassembled stream (`session_stream`), unless the flow already has an
/// action. The match is logged unless `noalert`, a pass only with the
/// `alert` keyword.
fn take_action(
    s: &Signature,
    m: Match,
    session_stream: bool,
    state: &mut FlowState,
    verdict: &mut PacketAction,
    out: &mut Vec<Match>,
) -> bool {
    use crate::rules::ast::Action;
    let on_flow = s.acts_on_flow || (m.stream && session_stream);
    match s.action {
        Action::Pass => {
            if on_flow && state.action.is_none() {
                state.action = Some(FlowAction::Pass);
            }
            if s.noalert {
                return false;
            }
            verdict.pass = true;
            if s.pass_alert {
                out.push(m);
            }
            return true;
        }
        Action::Drop | Action::Reject | Action::RejectBoth => {
            verdict.drop = true;
            verdict.reject |= s.action != Action::Drop;
            if on_flow && state.action.is_none() {
                state.action = Some(FlowAction::Drop);
            }
        }
        Action::Alert | Action::Config => {}
    }
    if !s.noalert {
        out.push(m);
    }
    false
}

/// A signature that matched a packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Match {
    /// Index of the signature in the ruleset.
    pub sig: u32,
    /// The transaction it matched in, for app-layer rules.
    pub tx: Option<u64>,
    /// It matched the reassembled stream (not the packet alone).
    pub stream: bool,
    /// For file rules: the file (its index in the transaction's files of
    /// the packet's direction).
    pub file: Option<u32>,
    /// `tx` was guessed for a stream match (`detect.guess-applayer-tx`),
    /// not matched in.
    pub guessed: bool,
}

struct Prefilter {
    buffer: Buffer,
    ac: AhoCorasick,
    /// Length of the longest pattern.
    max_len: usize,
    /// Pattern id -> signatures.
    sigs_of: Vec<Vec<u32>>,
}

/// The compiled, immutable ruleset. `Send + Sync`: workers share it by `&`.
pub struct Ruleset {
    sigs: Vec<Signature>,
    prefilters: Vec<Prefilter>,
    /// Signatures with no fast pattern: always candidates, split by the IP
    /// protocol they can match ([`proto_slot`]) so a packet only walks its own.
    always: [Vec<u32>; PROTO_SLOTS],
    /// No-fast-pattern signatures with a small address set, by the packet's
    /// source and destination address.
    by_src: ipindex::IpIndex,
    by_dst: ipindex::IpIndex,
    flowbit_names: Vec<String>,
    /// The datasets the rules name.
    datasets: dataset::Registry,
    /// Compile statistics.
    pub stats: CompileStats,
}

impl std::fmt::Debug for Ruleset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Ruleset({} signatures)", self.sigs.len())
    }
}

/// Outcome of building a ruleset: the rules that compiled and those that did
/// not.
pub struct Built {
    /// The ruleset.
    pub ruleset: Ruleset,
    /// Rejections (parse and compile).
    pub errors: Vec<RuleError>,
    /// Rules parsed (before compile rejections).
    pub parsed: usize,
    /// Rule files that could not be read.
    pub file_errors: Vec<(std::path::PathBuf, String)>,
}

/// Order in which Suricata evaluates signatures for one packet: rules that
/// only set flowbits before rules that read them, so a bit set by one rule is
/// seen by another on the same packet.
fn flowbit_rank(s: &Signature) -> u8 {
    // (also see `eval_order`)
    match (s.writes_flowbits(), s.reads_flowbits()) {
        (true, false) => 0,
        (true, true) => 1,
        (false, true) => 2,
        (false, false) => 3,
    }
}

/// Suricata's signature order: by action (`action-order`, by default pass,
/// drop, reject, alert), then
/// flowbits (setters before readers), then flowints (likewise), then
/// priority (1 first); load order
/// otherwise. It decides evaluation order and which alerts a packet keeps
/// when it has more than [`PACKET_ALERT_MAX`].
fn eval_order(s: &Signature, actions: &crate::rules::ast::ActionOrder) -> (u8, u8, u8, u8) {
    (actions.rank(s.action), flowbit_rank(s), flowint::rank(s), s.severity)
}

/// Alerts kept per packet, Suricata's default `packet-alert-max`; the
/// first ones in signature order are kept.
pub const PACKET_ALERT_MAX: usize = 15;

impl Ruleset {
    /// Loads rule files/directories and compiles them.
    pub fn load(paths: &[&Path], vars: &Vars, classes: &Classifications) -> Built {
        let mut report = LoadReport::default();
        for p in paths {
            report.add_path(p);
        }
        Self::from_report(report, vars, classes)
    }

    /// Compiles rules given as text, with Suricata's default variables and
    /// no classification file: for tests and tools that embed their rules.
    ///
    /// # Errors
    /// Every rejected rule, rendered with its line and reason.
    pub fn from_text(rules: &str) -> Result<Ruleset, Vec<String>> {
        let mut report = LoadReport::default();
        report.add_text(rules, None);
        let b = Self::from_report(report, &Vars::default(), &Classifications::default());
        if b.errors.is_empty() {
            Ok(b.ruleset)
        } else {
            Err(b.errors.iter().map(ToString::to_string).collect())
        }
    }

    /// Compiles parsed rules; rejections are added to the report's errors.
    /// Dataset `state` and `save` files are in the current directory.
    pub fn from_report(report: LoadReport, vars: &Vars, classes: &Classifications) -> Built {
        Self::from_report_in(report, vars, classes, Path::new("."))
    }

    /// [`Ruleset::from_report`] with dataset `state` and `save` files in
    /// `data_dir` (Suricata's `--data-dir`).
    pub fn from_report_in(mut report: LoadReport, vars: &Vars, classes: &Classifications, data_dir: &Path) -> Built {
        report.remove_duplicates();
        let parsed = report.rules.len() + report.errors.iter().filter(|e| e.is_duplicate()).count();
        let datasets = dataset::Registry::new(data_dir);
        // Sets are declared in rule order by the rules that give a type, so
        // a rule naming a set declared further down still resolves (errors
        // surface when the declaring rule compiles).
        for r in &report.rules {
            for op in &r.rule.ops {
                if let PayloadOp::Dataset(spec) = &op.op {
                    if spec.dtype.is_some() {
                        let _ = datasets.resolve(spec, r.file.as_deref().and_then(Path::parent));
                    }
                }
            }
        }
        let c = signature::Compiler { vars, classes, datasets: &datasets };
        // Parallel compile (regexes and patterns dominate); interning of
        // flowbit names and ordering stay sequential and deterministic.
        // Each syntax tree is dropped as soon as its rule is compiled, so
        // the signatures reuse its memory instead of adding to the peak.
        let rules = std::mem::take(&mut report.rules);
        let results: Vec<_> = rules
            .into_par_iter()
            .map(|SourcedRule { mut rule, file, line }| {
                let res = c.compile(&rule, file.as_deref().and_then(Path::parent));
                (res, std::mem::take(&mut rule.flowints), file, line, rule.meta.sid)
            })
            .collect();
        let mut errors = report.errors;
        let mut flowbit_ids: HashMap<String, u32> = HashMap::new();
        let mut flowint_ids: HashMap<String, u32> = HashMap::new();
        // Collected in place: the signatures take over the results' buffer
        // instead of a second one of the same size.
        let mut sigs: Vec<Signature> = results
            .into_iter()
            .filter_map(|(res, flowints, file, line, sid)| match res {
                Ok((mut s, named)) => {
                    s.flowints = flowint::intern(&flowints, &mut flowint_ids);
                    s.flowbits = named
                        .into_iter()
                        .map(|(cmd, names, any)| {
                            let ids = names
                                .into_iter()
                                .map(|n| {
                                    let next = flowbit_ids.len() as u32;
                                    *flowbit_ids.entry(n).or_insert(next)
                                })
                                .collect();
                            (cmd, ids, any)
                        })
                        .collect();
                    Some(s)
                }
                Err(mut e) => {
                    e.file = file;
                    e.line = line;
                    e.sid = Some(sid);
                    errors.push(e);
                    None
                }
            })
            .collect();
        let actions = report.action_order;
        sigs.sort_by_key(|s| eval_order(s, &actions));
        let mut stats = CompileStats::default();
        for (i, s) in sigs.iter_mut().enumerate() {
            s.idx = i as u32;
            for (_, ops) in &s.buffers {
                for op in ops {
                    if let payload::Op::Pcre(p) = op {
                        match p.re.engine() {
                            regex::Engine::Rust => stats.pcre_rust += 1,
                            regex::Engine::Pcre2 => stats.pcre_pcre2 += 1,
                        }
                    }
                }
            }
        }
        let mut names = vec![String::new(); flowbit_ids.len()];
        for (n, id) in flowbit_ids {
            names[id as usize] = n;
        }
        let ruleset = Self::index(sigs, names, datasets, stats);
        Built { ruleset, errors, parsed, file_errors: report.file_errors }
    }

    fn index(
        sigs: Vec<Signature>,
        flowbit_names: Vec<String>,
        datasets: dataset::Registry,
        stats: CompileStats,
    ) -> Ruleset {
        let mut always: [Vec<u32>; PROTO_SLOTS] = Default::default();
        let mut by_src: Vec<(&IpSet, u32)> = Vec::new();
        let mut by_dst: Vec<(&IpSet, u32)> = Vec::new();
        /// Per buffer: patterns, their ids, and the signatures of each.
        type Group = (Buffer, Vec<Vec<u8>>, HashMap<Vec<u8>, usize>, Vec<Vec<u32>>);
        let mut by_buf: Vec<Group> = Vec::new();
        for s in &sigs {
            let Some(fp) = &s.fast else {
                let (src_small, dst_small) = (ipindex::indexable(&s.src), ipindex::indexable(&s.dst));
                if src_small || dst_small {
                    let set = if src_small { &s.src } else { &s.dst };
                    if src_small || s.bidirectional {
                        by_src.push((set, s.idx));
                    }
                    if dst_small && !src_small || s.bidirectional {
                        by_dst.push((set, s.idx));
                    }
                    continue;
                }
                for (slot, list) in always.iter_mut().enumerate() {
                    if sig_in_slot(s, slot) {
                        list.push(s.idx);
                    }
                }
                continue;
            };
            let pos = match by_buf.iter().position(|(b, ..)| *b == fp.buffer) {
                Some(p) => p,
                None => {
                    by_buf.push((fp.buffer, Vec::new(), HashMap::new(), Vec::new()));
                    by_buf.len() - 1
                }
            };
            let (_, pats, ids, sigs_of) = &mut by_buf[pos];
            let key = payload::rarest_window(&fp.bytes, PREFILTER_WINDOW).to_ascii_lowercase();
            let id = *ids.entry(key.clone()).or_insert_with(|| {
                pats.push(key);
                sigs_of.push(Vec::new());
                pats.len() - 1
            });
            sigs_of[id].push(s.idx);
        }
        let by_src = ipindex::IpIndex::build(&by_src);
        let by_dst = ipindex::IpIndex::build(&by_dst);
        let prefilters = by_buf
            .into_par_iter()
            .map(|(buffer, pats, _, sigs_of)| {
                // Case-insensitive automaton: a superset prefilter; the exact
                // case is checked by verification.
                // A DFA scans fastest but grows with the pattern count; big
                // groups (thousands of URI patterns) use the contiguous NFA,
                // a fraction of the memory at a modest scan cost.
                let kind = if buffer == Buffer::Payload || pats.len() <= DFA_MAX_PATTERNS {
                    Some(AhoCorasickKind::DFA)
                } else {
                    Some(AhoCorasickKind::ContiguousNFA)
                };
                let ac = AhoCorasickBuilder::new()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::Standard)
                    .kind(kind)
                    .build(&pats)
                    .or_else(|_| {
                        AhoCorasickBuilder::new()
                            .ascii_case_insensitive(true)
                            .match_kind(MatchKind::Standard)
                            .build(&pats)
                    })
                    .expect("patterns are plain byte strings");
                let max_len = pats.iter().map(Vec::len).max().unwrap_or(0);
                Prefilter { buffer, ac, max_len, sigs_of }
            })
            .collect();
        Ruleset { sigs, prefilters, always, by_src, by_dst, flowbit_names, datasets, stats }
    }

    /// True when some rule inspects buffer `b` (JA3 is computed only when a
    /// rule needs it, unless the configuration says otherwise).
    pub fn uses_buffer(&self, b: Buffer) -> bool {
        self.sigs.iter().any(|s| s.buffers.iter().any(|(x, _)| *x == b))
    }

    /// What files must compute for these rules: the hashes of their
    /// `filemd5` / `filesha1` / `filesha256` and, with `filemagic`, the
    /// type description.
    pub fn file_config(&self) -> crate::applayer::file::FileConfig {
        use crate::rules::ast::FileHashKind;
        let hashes = |k: FileHashKind| self.sigs.iter().any(|s| s.file_hashes.iter().any(|h| h.kind() == k));
        crate::applayer::file::FileConfig {
            md5: hashes(FileHashKind::Md5),
            sha1: hashes(FileHashKind::Sha1),
            sha256: hashes(FileHashKind::Sha256),
            magic: self.uses_buffer(Buffer::FileMagic),
        }
    }

    /// True when a rule adds to or removes from a dataset (`dataset:set`,
    /// `unset`): alerts then depend on the order flows are inspected in.
    pub fn writes_datasets(&self) -> bool {
        self.sigs.iter().flat_map(|s| s.buffers.iter().flat_map(|(_, ops)| ops)).any(|op| {
            matches!(
                op,
                payload::Op::Dataset(_, crate::rules::ast::DatasetCmd::Set | crate::rules::ast::DatasetCmd::Unset)
            )
        })
    }

    /// Writes the datasets that have a `state` or `save` file: at the end
    /// of a run, as Suricata does at shutdown.
    ///
    /// # Errors
    /// One message per file that could not be written.
    pub fn save_datasets(&self) -> Result<(), Vec<String>> {
        self.datasets.save()
    }

    /// Prefilter automata: (buffer name, patterns, heap bytes), for
    /// `rules check` and memory work.
    pub fn prefilter_sizes(&self) -> Vec<(String, usize, usize)> {
        self.prefilters.iter().map(|p| (format!("{:?}", p.buffer), p.sigs_of.len(), p.ac.memory_usage())).collect()
    }

    /// Number of signatures.
    pub fn len(&self) -> usize {
        self.sigs.len()
    }

    /// True when no signature loaded.
    pub fn is_empty(&self) -> bool {
        self.sigs.is_empty()
    }

    /// Signature by index.
    pub fn sig(&self, idx: u32) -> &Signature {
        &self.sigs[idx as usize]
    }

    /// Attaches the lines of a `threshold.config` to the signatures they
    /// name. A `threshold`/`event_filter` line for one signature replaces
    /// the rule's own `threshold`; one for every signature (`sig_id 0`)
    /// only fills in where the rule has none.
    pub fn apply_threshold_file(&mut self, lines: &[(threshold_file::Entry, threshold_file::Line)]) {
        use threshold_file::Line;
        for s in &mut self.sigs {
            for (entry, line) in lines.iter().filter(|(e, _)| e.names(s.gid, s.sid)) {
                match line {
                    Line::Suppress(x) => s.suppress.push(x.clone()),
                    Line::Threshold(t) if entry.sid != 0 || s.threshold.is_none() => s.threshold = Some(*t),
                    Line::Threshold(_) => {}
                    Line::RateFilter(r) => s.rate_filter = Some(*r),
                }
            }
        }
    }

    /// All signatures in evaluation order.
    pub fn sigs(&self) -> &[Signature] {
        &self.sigs
    }

    /// Name of an interned flowbit.
    pub fn flowbit_name(&self, id: u32) -> &str {
        &self.flowbit_names[id as usize]
    }

    /// Runs every signature on one packet: its payload, the stream data of
    /// its direction that became available, and the app-layer transactions
    /// of its flow. Matches are appended to `out` in evaluation order.
    /// `scratch` is reused between calls (no allocation on the hot path once
    /// warmed up).
    pub fn inspect(&self, input: &Input<'_>, state: &mut FlowState, scratch: &mut Scratch, out: &mut Vec<Match>) {
        let pkt = input.pkt;
        let Some(ip) = pkt.ip.as_ref() else { return };
        let is_tcp = ip.proto == 6;
        scratch.candidates.clear();
        scratch.verdict = PacketAction::default();
        match state.action {
            Some(FlowAction::Pass) => return,
            // Suricata drops every later packet of a dropped flow without
            // inspecting it.
            Some(FlowAction::Drop) => {
                scratch.verdict.drop = true;
                return;
            }
            None => {}
        }
        if !state.body_scans.is_empty() {
            // Transactions this direction no longer inspects.
            state.body_scans.retain(|e| e.to_server != input.flow.to_server || input.txs.iter().any(|t| t.id == e.tx));
        }
        let payload = pkt.payload();
        // A TCP packet outside a session is offered as its own stream: a
        // match on it is a packet match, which does not act on the flow.
        // Nor does data before the handshake completed (a SYN's payload),
        // which Suricata inspects as the packet's.
        let session_stream =
            input.flow.established && input.stream.is_some_and(|st| !std::ptr::eq(st.as_ptr(), payload.as_ptr()));
        for pf in &self.prefilters {
            if pf.buffer.is_packet_header() {
                if let Some(hay) = pktbuf::header(pkt, pf.buffer) {
                    Self::scan(pf, hay, scratch);
                }
            } else if pf.buffer == Buffer::Payload {
                Self::scan(pf, payload, scratch);
                if let Some(st) = input.stream {
                    Self::scan(pf, st, scratch);
                }
            } else {
                for tx in input.txs {
                    if pf.buffer.is_multi() {
                        for hay in (0..).map_while(|i| tx.bufs.get_nth(pf.buffer, i)) {
                            Self::scan(pf, hay, scratch);
                        }
                    } else if let Some(hay) = tx.bufs.get(pf.buffer) {
                        if pf.buffer.is_body() && hay.len() >= INCREMENTAL_MIN {
                            self.scan_body(pf, hay, tx.id, input.flow.to_server, state, scratch);
                        } else {
                            Self::scan(pf, hay, scratch);
                        }
                    }
                }
            }
        }
        scratch.candidates.extend_from_slice(&self.always[proto_slot(ip.proto)]);
        scratch.candidates.extend_from_slice(self.by_src.get(ip.src));
        scratch.candidates.extend_from_slice(self.by_dst.get(ip.dst));
        scratch.candidates.sort_unstable();
        scratch.candidates.dedup();
        let flow = &input.flow;
        for &idx in &scratch.candidates {
            let s = &self.sigs[idx as usize];
            if s.ip_only && !flow.first_in_dir {
                continue;
            }
            if flow.pseudo && !s.kind.tx && !s.kind.stream {
                continue;
            }
            if !header::matches(s, pkt, ip, flow, input.app) {
                continue;
            }
            let mut via_stream = false;
            if s.kind.tx {
                if s.tx_dir.is_some_and(|d| d != flow.to_server) || !flowbits_hold(s, state) {
                    continue;
                }
                if s.file_rule {
                    // Every file it matches alerts, once per file.
                    for tx in input.txs {
                        for (i, f) in (0u32..).zip((0..).map_while(|i| tx.bufs.file(i))) {
                            let key = (tx.id, flow.to_server, i, idx);
                            if state.file_matched(key) || !file::checks_hold(s, f) {
                                continue;
                            }
                            let scope = file::FileScope { tx: tx.bufs, file: f };
                            if !header::tx_checks(s, &scope) || !payload_matches(s, pkt, payload, &scope) {
                                continue;
                            }
                            state.set_file_matched(key);
                            apply_flowbits(s, state);
                            let m = Match { sig: idx, tx: Some(tx.id), stream: false, file: Some(i), guessed: false };
                            if take_action(s, m, session_stream, state, &mut scratch.verdict, out) {
                                return;
                            }
                        }
                    }
                    continue;
                }
                // Every transaction it matches alerts, once per transaction
                // (and direction, see [`TxSide`]).
                let side = tx_side(s, flow);
                let mut last = None;
                for tx in input.txs {
                    if last == Some(tx.id) || state.tx_matched(tx.id, idx, side) {
                        continue;
                    }
                    if header::tx_checks(s, tx.bufs) && payload_matches(s, pkt, payload, tx.bufs) {
                        last = Some(tx.id);
                        state.set_tx_matched(tx.id, idx, side);
                        apply_flowbits(s, state);
                        // Signatures run in signature order: a pass stops
                        // the rest of this packet's matches.
                        let m = Match { sig: idx, tx: Some(tx.id), stream: false, file: None, guessed: false };
                        if take_action(s, m, session_stream, state, &mut scratch.verdict, out) {
                            return;
                        }
                    }
                }
                continue;
            }
            let on_payload = s.inspects_payload();
            let hit = if !is_tcp || !on_payload {
                // Payload rules are not run on packets without payload;
                // packet-header buffers are read from every packet.
                (!on_payload || !payload.is_empty()) && payload_matches(s, pkt, payload, input.app)
            } else {
                let on_packet = s.kind.packet && !payload.is_empty() && payload_matches(s, pkt, payload, input.app);
                via_stream = !on_packet
                    && s.kind.stream
                    && input.stream.is_some_and(|st| payload_matches(s, pkt, st, input.app));
                on_packet || via_stream
            };
            if !hit || !flowbits_hold(s, state) {
                continue;
            }
            apply_flowbits(s, state);
            let m = Match { sig: idx, tx: None, stream: via_stream, file: None, guessed: false };
            if take_action(s, m, session_stream, state, &mut scratch.verdict, out) {
                return;
            }
        }
    }

    /// [`Ruleset::scan`] of a growing body: only the part not scanned
    /// before (and the last `max_pattern_len - 1` bytes before it, where a
    /// match may start), then the patterns found earlier are added back.
    fn scan_body(
        &self,
        pf: &Prefilter,
        hay: &[u8],
        tx: u64,
        to_server: bool,
        state: &mut FlowState,
        scratch: &mut Scratch,
    ) {
        let head = head_hash(hay);
        let pos = state.body_scans.iter().position(|e| e.tx == tx && e.buffer == pf.buffer && e.to_server == to_server);
        let entry = match pos {
            Some(i) if state.body_scans[i].head == head && state.body_scans[i].len <= hay.len() => {
                &mut state.body_scans[i]
            }
            _ => {
                if let Some(i) = pos {
                    state.body_scans.swap_remove(i);
                }
                state.body_scans.push(BodyScan { tx, buffer: pf.buffer, to_server, len: 0, head, pids: Vec::new() });
                state.body_scans.last_mut().expect("just pushed")
            }
        };
        if entry.len == hay.len() {
            // Nothing new in the body (a download past the body limit, an
            // ACK): its candidates were already verified on these very
            // bytes. Only those that read flowbits or flowints, which any
            // packet may change, can have another verdict.
            for &pid in &entry.pids {
                let sigs = pf.sigs_of[pid as usize].iter().filter(|&&i| self.sigs[i as usize].reads_flow_vars());
                scratch.candidates.extend(sigs);
            }
            return;
        }
        let from = entry.len.saturating_sub(pf.max_len.saturating_sub(1));
        Self::scan(pf, &hay[from..], scratch);
        for &pid in &entry.pids {
            scratch.candidates.extend_from_slice(&pf.sigs_of[pid as usize]);
        }
        entry.pids.extend_from_slice(&scratch.touched);
        entry.pids.sort_unstable();
        entry.pids.dedup();
        entry.len = hay.len();
    }

    fn scan(pf: &Prefilter, hay: &[u8], scratch: &mut Scratch) {
        if hay.is_empty() {
            return;
        }
        if scratch.seen_pats.len() < pf.sigs_of.len() {
            scratch.seen_pats.resize(pf.sigs_of.len(), false);
        }
        scratch.touched.clear();
        for m in pf.ac.find_overlapping_iter(hay) {
            let pid = m.pattern().as_usize();
            if !scratch.seen_pats[pid] {
                scratch.seen_pats[pid] = true;
                scratch.touched.push(pid as u32);
                scratch.candidates.extend_from_slice(&pf.sigs_of[pid]);
            }
        }
        for &pid in &scratch.touched {
            scratch.seen_pats[pid as usize] = false;
        }
    }
}

/// Everything one packet offers to detection.
pub struct Input<'a> {
    /// The decoded packet.
    pub pkt: &'a Packet<'a>,
    /// What the flow knows.
    pub flow: FlowView,
    /// Stream data of the packet's direction that became available since
    /// the last inspection (TCP with reassembly), inspected by stream rules.
    pub stream: Option<&'a [u8]>,
    /// App-layer transactions of the flow, seen from the packet's direction.
    pub txs: &'a [TxRef<'a>],
    /// Flow-level app-layer facts (ssl_version, ssh banner...).
    pub app: &'a dyn Buffers,
}

/// One transaction offered to detection.
#[derive(Clone, Copy)]
pub struct TxRef<'a> {
    /// Transaction id (unique within the flow).
    pub id: u64,
    /// Its buffers.
    pub bufs: &'a dyn Buffers,
}

/// Runs the signature's payload keywords: `payload` (the packet's or the
/// stream's) for the payload buffer, the packet itself for its header
/// buffers, `bufs` for the others.
fn payload_matches(s: &Signature, pkt: &Packet<'_>, payload: &[u8], bufs: &dyn Buffers) -> bool {
    let mut vars = [0i64; MAX_BYTE_VARS];
    let dce_little = bufs.dce_little_endian().unwrap_or(true);
    for (b, ops) in &s.buffers {
        let buf = if *b == Buffer::Payload {
            Some(payload)
        } else if b.is_packet_header() {
            pktbuf::header(pkt, *b)
        } else if b.is_multi() {
            // A multi-buffer: the ops match when they all match one
            // instance (the first that does gives the byte variables).
            match (0..).map_while(|i| bufs.get_nth(*b, i)).find_map(|inst| run_ops(inst, ops, vars, dce_little)) {
                Some(v) => {
                    vars = v;
                    continue;
                }
                None => return false,
            }
        } else {
            bufs.get(*b)
        };
        let Some(buf) = buf else { return false };
        match run_ops(buf, ops, vars, dce_little) {
            Some(v) => vars = v,
            None => return false,
        }
    }
    true
}

/// Runs the ops of one buffer (its transform chain first) with the byte
/// variables so far; the variables after them when every op matched.
fn run_ops(
    buf: &[u8],
    ops: &[payload::Op],
    vars: [i64; MAX_BYTE_VARS],
    dce_little: bool,
) -> Option<[i64; MAX_BYTE_VARS]> {
    let (buf, ops) = match ops.split_first() {
        Some((payload::Op::Transform(chain), rest)) => (chain.apply(buf), rest),
        _ => (std::borrow::Cow::Borrowed(buf), ops),
    };
    let mut insp = Inspection::new(&buf, vars).with_dce_order(dce_little);
    insp.run(ops).then_some(insp.vars)
}

/// The flow-variable conditions of the signature hold: flowbits, then
/// flowint conditions.
fn flowbits_hold(s: &Signature, st: &FlowState) -> bool {
    if !flowint::hold(s, st) {
        return false;
    }
    s.flowbits.iter().all(|(cmd, ids, any)| match cmd {
        FlowbitCmd::IsSet => {
            if *any {
                ids.iter().any(|&i| st.is_set(i))
            } else {
                ids.iter().all(|&i| st.is_set(i))
            }
        }
        FlowbitCmd::IsNotSet => {
            if *any {
                ids.iter().any(|&i| !st.is_set(i))
            } else {
                ids.iter().all(|&i| !st.is_set(i))
            }
        }
        _ => true,
    })
}

/// Applies the signature's flow-variable changes when it matches: flowbits
/// and flowint changes.
fn apply_flowbits(s: &Signature, st: &mut FlowState) {
    flowint::apply(s, st);
    for (cmd, ids, _) in &s.flowbits {
        for &i in ids {
            match cmd {
                FlowbitCmd::Set => st.set(i),
                FlowbitCmd::Unset => st.unset(i),
                FlowbitCmd::Toggle => {
                    if st.is_set(i) {
                        st.unset(i)
                    } else {
                        st.set(i)
                    }
                }
                _ => {}
            }
        }
    }
}

/// Reusable per-worker buffers for [`Ruleset::inspect`].
#[derive(Default)]
pub struct Scratch {
    candidates: Vec<u32>,
    seen_pats: Vec<bool>,
    /// Pattern ids set in `seen_pats`, to reset only those.
    touched: Vec<u32>,
    /// What the rules decided for the last packet inspected.
    verdict: PacketAction,
}

impl Scratch {
    /// What the rules decided for the packet [`Ruleset::inspect`] saw last.
    pub fn verdict(&self) -> PacketAction {
        self.verdict
    }
}

#[cfg(test)]
pub(crate) mod tests;
