//! Rule -> Signature: variables resolved, patterns and regexes compiled, ops
//! grouped per buffer, and the fast pattern chosen.

use super::payload::{ByteMathOp, ByteRead, ContentOp, Op, Operand, PcreOp, MAX_BYTE_VARS};
use super::regex::Regex;
use super::transform::Chain;
use crate::rules::ast::*;
use crate::rules::netset::{IpSet, PortSet};
use crate::rules::{Classifications, RuleError, Vars};

/// Which packets a signature's header admits, by protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProtoMatch {
    /// Any IP packet.
    Ip,
    /// IPv4 packets.
    Ipv4,
    /// IPv6 packets.
    Ipv6,
    /// TCP (packets and stream).
    Tcp,
    /// UDP.
    Udp,
    /// ICMPv4 and ICMPv6.
    Icmp,
    /// ICMPv4 only.
    Icmpv4,
    /// ICMPv6 only.
    Icmpv6,
    /// SCTP.
    Sctp,
    /// Flows whose detected app protocol is this one.
    App(AppProto),
}

/// The fast pattern used to prefilter a signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FastPat {
    /// Buffer it is searched in.
    pub buffer: Buffer,
    /// Bytes (lowercased when nocase).
    pub bytes: Vec<u8>,
    /// Case-insensitive.
    pub nocase: bool,
}

/// A compiled signature, shared read-only by all workers.
#[derive(Debug)]
pub struct Signature {
    /// Position in the ruleset (evaluation order).
    pub idx: u32,
    /// Action.
    pub action: Action,
    /// gid.
    pub gid: u32,
    /// sid.
    pub sid: u32,
    /// rev.
    pub rev: u32,
    /// msg.
    pub msg: String,
    /// Class description (EVE `category`), empty when no classtype.
    pub category: String,
    /// Severity (rule priority, else classtype priority, else 3).
    pub severity: u8,
    /// Metadata entries, in order.
    pub metadata: crate::rules::ast::Pairs,
    /// References (system, id).
    pub references: crate::rules::ast::Pairs,
    /// Protocol admitted.
    pub proto: ProtoMatch,
    /// Source addresses.
    pub src: IpSet,
    /// Source ports.
    pub sport: PortSet,
    /// Destination addresses.
    pub dst: IpSet,
    /// Destination ports.
    pub dport: PortSet,
    /// `<>`.
    pub bidirectional: bool,
    /// Header-level checks.
    pub checks: Vec<PacketCheck>,
    /// flow keyword.
    pub flow: FlowOpts,
    /// Ops per buffer in rule order of first use.
    pub buffers: Vec<(Buffer, Vec<Op>)>,
    /// Flowbit conditions and actions (names interned).
    pub flowbits: Vec<(FlowbitCmd, Vec<u32>, bool)>,
    /// flowint conditions and changes, in rule order (names interned).
    pub flowints: Vec<FlowintCheck>,
    /// Do not alert (flowbits:noalert).
    pub noalert: bool,
    /// A `pass` rule with the `alert` keyword: its match is logged too.
    pub pass_alert: bool,
    /// A pass or drop of this rule applies to the whole flow, not only to
    /// the packet: IP-only rules (matched once per direction, so a
    /// packet-only verdict would not hold for the rest of the flow),
    /// app-layer rules (a transaction spans packets). Payload rules act
    /// on the flow only when they matched the stream.
    pub acts_on_flow: bool,
    /// threshold.
    pub threshold: Option<Threshold>,
    /// detection_filter.
    pub detection_filter: Option<Threshold>,
    /// Prefilter pattern.
    pub fast: Option<FastPat>,
    /// `target` keyword.
    pub target: Option<String>,
    /// `suppress` lines of the threshold file that name this signature.
    pub suppress: Vec<super::threshold_file::Suppress>,
    /// Its `rate_filter` line of the threshold file.
    pub rate_filter: Option<super::threshold_file::RateFilter>,
    /// What the signature inspects.
    pub kind: InspectKind,
    /// Header-only rule: evaluated on the first packet of each flow
    /// direction only (Suricata's IP-only rules).
    pub ip_only: bool,
    /// For app-layer rules: the direction whose transactions it needs
    /// (`Some(true)` to server), from its buffers and `flow`.
    pub tx_dir: Option<bool>,
    /// A file rule (file keywords, `file.name`, `file.magic`): it matches
    /// per file of a transaction, once per file.
    pub file_rule: bool,
    /// `filemd5` / `filesha1` / `filesha256` lists, loaded.
    pub file_hashes: Vec<super::file::HashList>,
    /// `filestore`.
    pub filestore: bool,
    /// A transaction rule that may alert once in each direction of a
    /// transaction rather than once per transaction: Suricata registers the
    /// DCERPC keywords (`dcerpc.iface`, `dcerpc.opnum`, `dcerpc.stub_data`)
    /// for both directions with a detection state per direction, so a call
    /// alerts on its request and on its response.
    pub per_direction: bool,
}

/// A `flowint` operation with its variable names interned per ruleset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlowintCheck {
    /// Operation.
    pub op: FlowintOp,
    /// Variable id.
    pub var: u32,
    /// Operand (None for `isset` / `notset`).
    pub value: Option<FlowintValue>,
}

/// Operand of a `flowint` operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlowintValue {
    /// A number.
    Num(u32),
    /// Another flowint variable, by id.
    Var(u32),
}

/// What a signature inspects, as Suricata decides it for TCP.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InspectKind {
    /// App-layer transaction buffers.
    pub tx: bool,
    /// TCP packet payloads.
    pub packet: bool,
    /// Reassembled TCP stream data.
    pub stream: bool,
}

/// Decides packet/stream/transaction inspection. Suricata inspects a TCP
/// payload rule against the reassembled stream; it also inspects packets
/// when a content is anchored (offset/depth/startswith), and only packets
/// with `dsize` or `flow:no_stream` (observed with Suricata 7.0.10 on the
/// bundled fixtures).
fn inspect_kind(rule: &Rule) -> InspectKind {
    // urilen inspects the URI of a transaction, as a buffer would.
    let app = rule
        .ops
        .iter()
        .any(|o| !matches!(o.buffer, Buffer::Payload | Buffer::Base64Data) && !o.buffer.is_packet_header())
        || has_urilen(rule)
        || has_app_event(rule)
        || rule.checks.iter().any(PacketCheck::is_file)
        || has_dce_check(rule);
    if app {
        return InspectKind { tx: true, packet: false, stream: false };
    }
    // A packet-header buffer makes the whole rule a packet rule (Suricata's
    // "require packet"), its payload keywords included.
    if rule.ops.is_empty() || rule.ops.iter().any(|o| o.buffer.is_packet_header()) {
        return InspectKind { tx: false, packet: true, stream: false };
    }
    let flow = rule.flow.unwrap_or_default();
    let dsize = rule.checks.iter().any(|c| matches!(c, PacketCheck::Dsize(_)));
    if dsize || flow.no_stream || rule.header.proto == Proto::TcpPkt {
        return InspectKind { tx: false, packet: true, stream: false };
    }
    if flow.only_stream || rule.header.proto == Proto::TcpStream {
        return InspectKind { tx: false, packet: false, stream: true };
    }
    let anchored = rule
        .ops
        .iter()
        .any(|o| matches!(&o.op, PayloadOp::Content(c) if c.offset.is_some() || c.depth.is_some() || c.startswith));
    InspectKind { tx: false, packet: anchored, stream: true }
}

fn has_urilen(rule: &Rule) -> bool {
    rule.checks.iter().any(|c| matches!(c, PacketCheck::Urilen(..)))
}

/// `app-layer-event` and transaction numbers (`mqtt.type`) inspect
/// transactions, as a buffer would.
fn has_app_event(rule: &Rule) -> bool {
    rule.checks.iter().any(|c| matches!(c, PacketCheck::AppLayerEvent(_) | PacketCheck::TxField(..)))
}

/// `dcerpc.iface` and `dcerpc.opnum` look at a DCERPC call.
fn has_dce_check(rule: &Rule) -> bool {
    rule.checks.iter().any(|c| matches!(c, PacketCheck::DceIface(_) | PacketCheck::DceOpnum(_)))
}

/// Direction of the transactions an app-layer rule needs.
fn tx_direction(rule: &Rule) -> Option<bool> {
    let mut to_server = has_urilen(rule);
    let mut to_client = false;
    for o in &rule.ops {
        match o.buffer.direction() {
            Some(true) => to_server = true,
            Some(false) => to_client = true,
            None => {}
        }
    }
    let f = rule.flow.unwrap_or_default();
    if to_client || f.to_client {
        Some(false)
    } else if to_server || f.to_server {
        Some(true)
    } else {
        None
    }
}

fn is_ip_only(rule: &Rule) -> bool {
    rule.ops.is_empty()
        && rule.checks.is_empty()
        && rule.flow.is_none()
        && rule.flowbits.is_empty()
        && rule.flowints.is_empty()
        && !matches!(rule.header.proto, Proto::App(_) | Proto::TcpStream)
}

impl Signature {
    /// True when the signature reads flowbits or flowints, which other
    /// signatures may change between two inspections of the same data.
    pub fn reads_flow_vars(&self) -> bool {
        !self.flowints.is_empty()
            || self.flowbits.iter().any(|(cmd, ..)| matches!(cmd, FlowbitCmd::IsSet | FlowbitCmd::IsNotSet))
    }

    /// True when the signature reads a flowbit.
    pub fn reads_flowbits(&self) -> bool {
        self.flowbits.iter().any(|(c, _, _)| matches!(c, FlowbitCmd::IsSet | FlowbitCmd::IsNotSet))
    }

    /// True when the signature changes a flowbit.
    pub fn writes_flowbits(&self) -> bool {
        self.flowbits.iter().any(|(c, _, _)| !matches!(c, FlowbitCmd::IsSet | FlowbitCmd::IsNotSet))
    }

    /// True when the signature tests a flowint.
    pub fn reads_flowints(&self) -> bool {
        self.flowints.iter().any(|f| !f.op.modifies())
    }

    /// True when the signature changes a flowint.
    pub fn writes_flowints(&self) -> bool {
        self.flowints.iter().any(|f| f.op.modifies())
    }

    /// True when some of its ops look at an app-layer buffer.
    pub fn needs_app_buffer(&self) -> bool {
        self.buffers.iter().any(|(b, _)| *b != Buffer::Payload && !b.is_packet_header())
    }

    /// True when some of its ops look at the packet payload or stream.
    pub fn inspects_payload(&self) -> bool {
        self.buffers.iter().any(|(b, _)| *b == Buffer::Payload)
    }
}

/// Statistics of compilation, for `rules check`.
#[derive(Clone, Debug, Default)]
pub struct CompileStats {
    /// pcre keywords compiled by the regex crate.
    pub pcre_rust: usize,
    /// pcre keywords compiled by PCRE2.
    pub pcre_pcre2: usize,
}

pub(crate) struct Compiler<'a> {
    pub vars: &'a Vars,
    pub classes: &'a Classifications,
    pub datasets: &'a super::dataset::Registry,
}

/// Flowbit operations with names not yet interned.
pub(crate) type NamedFlowbits = Vec<(FlowbitCmd, Vec<String>, bool)>;

fn proto_match(p: Proto) -> ProtoMatch {
    match p {
        Proto::Ip => ProtoMatch::Ip,
        Proto::Ipv4 => ProtoMatch::Ipv4,
        Proto::Ipv6 => ProtoMatch::Ipv6,
        Proto::Tcp | Proto::TcpPkt | Proto::TcpStream => ProtoMatch::Tcp,
        Proto::Udp => ProtoMatch::Udp,
        Proto::Icmp => ProtoMatch::Icmp,
        Proto::Icmpv4 => ProtoMatch::Icmpv4,
        Proto::Icmpv6 => ProtoMatch::Icmpv6,
        Proto::Sctp => ProtoMatch::Sctp,
        Proto::App(a) => ProtoMatch::App(a),
    }
}

impl Compiler<'_> {
    /// Compiles one rule; `rule_dir` is the folder of its file (dataset
    /// `load` paths are relative to it).
    pub fn compile(
        &self,
        rule: &Rule,
        rule_dir: Option<&std::path::Path>,
    ) -> Result<(Signature, NamedFlowbits), RuleError> {
        let h = &rule.header;
        let vars_err = |e: String| RuleError::vars(e, 1);
        let src = self.vars.resolve_addr(&h.src).map_err(vars_err)?;
        let dst = self.vars.resolve_addr(&h.dst).map_err(vars_err)?;
        let sport = self.vars.resolve_port(&h.sport).map_err(vars_err)?;
        let dport = self.vars.resolve_port(&h.dport).map_err(vars_err)?;
        let mut buffers: Vec<(Buffer, Vec<Op>)> = Vec::new();
        // What each entry of `buffers` inspects: a buffer and its transforms
        // (`http.uri` and `http.uri; url_decode` are two inspections).
        // Each selection of a multi-buffer is an inspection of its own.
        let mut buffer_keys: Vec<(Buffer, &[Transform], u16)> = Vec::new();
        let mut var_slots: Vec<String> = Vec::new();
        let operand =
            |v: &Value, slots: &Vec<String>| -> Result<Operand, RuleError> {
                Ok(match v {
                    Value::Num(n) => Operand::Num(*n),
                    // The latest definition of a reused name wins.
                    Value::Var(name) => {
                        Operand::Var(slots.iter().rposition(|s| s == name).ok_or_else(|| {
                            RuleError::bad_value("byte_extract", format!("unknown variable {name}"), 1)
                        })? as u8)
                    }
                })
            };
        for bop in &rule.ops {
            let op = match &bop.op {
                PayloadOp::Content(c) => {
                    let (offset, depth) = if c.startswith {
                        (Some(Operand::Num(0)), Some(Operand::Num(c.pattern.len() as i64)))
                    } else {
                        (
                            c.offset.as_ref().map(|v| operand(v, &var_slots)).transpose()?,
                            c.depth.as_ref().map(|v| operand(v, &var_slots)).transpose()?,
                        )
                    };
                    Op::Content(Box::new(ContentOp::new(
                        &c.pattern,
                        c.nocase,
                        c.negated,
                        offset,
                        depth,
                        c.distance.as_ref().map(|v| operand(v, &var_slots)).transpose()?,
                        c.within.as_ref().map(|v| operand(v, &var_slots)).transpose()?,
                        false,
                        c.endswith,
                    )))
                }
                PayloadOp::Pcre(p) => {
                    let re = Regex::compile(p).map_err(|e| RuleError::bad_value("pcre", e, 1))?;
                    Op::Pcre(PcreOp { re, negated: p.negated, relative: p.relative, anchored: p.anchored })
                }
                PayloadOp::IsDataAt(d) => {
                    Op::IsDataAt { pos: operand(&d.pos, &var_slots)?, negated: d.negated, relative: d.relative }
                }
                PayloadOp::ByteTest(t) => Op::ByteTest {
                    read: ByteRead {
                        nbytes: t.nbytes,
                        offset: operand(&t.offset, &var_slots)?,
                        relative: t.relative,
                        endian: t.endian,
                        string: t.string,
                        bitmask: t.bitmask,
                    },
                    op: t.op,
                    negated: t.negated,
                    value: operand(&t.value, &var_slots)?,
                },
                PayloadOp::ByteJump(j) => Op::ByteJump {
                    read: ByteRead {
                        nbytes: j.nbytes,
                        offset: operand(&j.offset, &var_slots)?,
                        relative: j.relative,
                        endian: j.endian,
                        string: j.string,
                        bitmask: j.bitmask,
                    },
                    multiplier: j.multiplier,
                    align: j.align,
                    from_beginning: j.from_beginning,
                    from_end: j.from_end,
                    post_offset: j.post_offset,
                },
                PayloadOp::ByteExtract(e) => {
                    if var_slots.len() >= MAX_BYTE_VARS {
                        return Err(RuleError::bad_value("byte_extract", "too many variables", 1));
                    }
                    var_slots.push(e.name.clone());
                    Op::ByteExtract {
                        read: ByteRead {
                            nbytes: e.nbytes,
                            offset: Operand::Num(e.offset),
                            relative: e.relative,
                            endian: e.endian,
                            string: e.string,
                            bitmask: e.bitmask,
                        },
                        multiplier: e.multiplier,
                        align: e.align,
                        slot: (var_slots.len() - 1) as u8,
                    }
                }
                PayloadOp::ByteMath(m) => {
                    // Operands read the variables defined before this one.
                    let nbytes = operand(&m.nbytes, &var_slots)?;
                    let rvalue = operand(&m.rvalue, &var_slots)?;
                    if var_slots.len() >= MAX_BYTE_VARS {
                        return Err(RuleError::bad_value("byte_math", "too many variables", 1));
                    }
                    var_slots.push(m.result.clone());
                    Op::ByteMath(ByteMathOp {
                        read: ByteRead {
                            nbytes: 0,
                            offset: Operand::Num(m.offset),
                            relative: m.relative,
                            endian: m.endian,
                            string: m.string,
                            bitmask: None,
                        },
                        nbytes,
                        oper: m.oper,
                        rvalue,
                        bitmask: m.bitmask,
                        slot: (var_slots.len() - 1) as u8,
                    })
                }
                PayloadOp::Bsize(m) => Op::Bsize(*m),
                PayloadOp::Asn1(a) => Op::Asn1(*a),
                PayloadOp::Dataset(spec) => {
                    let kw = if matches!(spec.cmd, DatasetCmd::Rep(_)) { "datarep" } else { "dataset" };
                    let ds = self.datasets.resolve(spec, rule_dir).map_err(|e| RuleError::bad_value(kw, e, 1))?;
                    Op::Dataset(ds, spec.cmd.clone())
                }
                PayloadOp::Base64Decode { bytes, offset, relative } => {
                    Op::Base64Decode { bytes: *bytes, offset: *offset, relative: *relative, data: Vec::new() }
                }
            };
            // `base64_data` keywords inspect what the latest base64_decode
            // decoded: they nest under it rather than forming a buffer.
            if bop.buffer == Buffer::Base64Data {
                let decode = buffers.iter_mut().rev().find_map(|(_, ops)| match ops.last_mut() {
                    Some(Op::Base64Decode { data, .. }) => Some(data),
                    _ => None,
                });
                let Some(data) = decode else {
                    return Err(RuleError::bad_value("base64_data", "no base64_decode before it", 1));
                };
                data.push(op);
                continue;
            }
            let key = (bop.buffer, bop.transforms.as_slice(), bop.instance);
            let pos = match buffer_keys.iter().position(|k| *k == key) {
                Some(p) => p,
                None => {
                    let mut ops = Vec::new();
                    if !bop.transforms.is_empty() {
                        let chain =
                            Chain::compile(&bop.transforms).map_err(|(kw, e)| RuleError::bad_value(kw, e, 1))?;
                        ops.push(Op::Transform(Box::new(chain)));
                    }
                    buffer_keys.push(key);
                    buffers.push((bop.buffer, ops));
                    buffers.len() - 1
                }
            };
            let ops = &mut buffers[pos].1;
            if let (PayloadOp::Content(c), Some(Op::Transform(chain))) = (&bop.op, ops.first()) {
                chain.check_content(&c.pattern).map_err(|kw| {
                    RuleError::bad_value("content", format!("the pattern cannot match the output of {kw}"), 1)
                })?;
            }
            ops.push(op);
        }
        let fast = choose_fast_pattern(rule);
        let file_hashes = rule
            .checks
            .iter()
            .filter_map(|c| match c {
                PacketCheck::FileHash { kind, path, negated } => Some(
                    super::file::HashList::load(*kind, path, *negated, rule_dir)
                        .map_err(|e| RuleError::bad_value(kind.keyword(), e, 1)),
                ),
                _ => None,
            })
            .collect::<Result<Vec<_>, _>>()?;
        let flowbits: NamedFlowbits = rule.flowbits.iter().map(|f| (f.cmd, f.names.clone(), f.any)).collect();
        let class = rule.meta.classtype.as_deref().and_then(|c| self.classes.get(c));
        if let (Some(ct), None) = (&rule.meta.classtype, class) {
            if !self.classes.is_empty() {
                return Err(RuleError::bad_value("classtype", format!("unknown classtype '{ct}'"), 1));
            }
        }
        // Kept for the whole run by every worker: no growth capacity.
        let mut buffers = buffers;
        for (_, ops) in &mut buffers {
            ops.shrink_to_fit();
        }
        buffers.shrink_to_fit();
        Ok((
            Signature {
                idx: 0,
                action: h.action,
                gid: rule.meta.gid,
                sid: rule.meta.sid,
                rev: rule.meta.rev,
                msg: rule.meta.msg.clone(),
                category: class.map(|c| c.description.clone()).unwrap_or_default(),
                severity: rule.meta.priority.or(class.map(|c| c.priority)).unwrap_or(3),
                metadata: rule.meta.metadata.clone(),
                references: rule.meta.references.clone(),
                proto: proto_match(h.proto),
                src,
                sport,
                dst,
                dport,
                bidirectional: h.direction == Direction::Both,
                checks: rule.checks.clone(),
                flow: rule.flow.unwrap_or_default(),
                buffers,
                flowbits: Vec::new(),
                flowints: Vec::new(),
                noalert: rule.noalert,
                pass_alert: rule.alert,
                acts_on_flow: is_ip_only(rule) || inspect_kind(rule).tx || matches!(rule.header.proto, Proto::App(_)),
                threshold: rule.threshold,
                detection_filter: rule.detection_filter,
                fast,
                target: rule.meta.target.clone(),
                suppress: Vec::new(),
                rate_filter: None,
                kind: inspect_kind(rule),
                ip_only: is_ip_only(rule),
                tx_dir: tx_direction(rule),
                file_rule: rule.ops.iter().any(|o| o.buffer.is_file()) || rule.checks.iter().any(PacketCheck::is_file),
                file_hashes,
                filestore: rule.checks.contains(&PacketCheck::FileStore),
                per_direction: has_dce_check(rule) || rule.ops.iter().any(|o| o.buffer == Buffer::DceStubData),
            },
            flowbits,
        ))
    }
}

/// Picks the prefilter pattern as Suricata does: an explicit `fast_pattern`,
/// else the longest non-negated content of the buffer with the most
/// selective position (ties: the first). Negated contents never qualify,
/// nor do contents of transformed buffers (the prefilter scans the buffers
/// as parsed; such a rule is verified without prefilter instead).
fn choose_fast_pattern(rule: &Rule) -> Option<FastPat> {
    let contents = rule.ops.iter().filter_map(|b| match &b.op {
        // A file's name and type are not transaction buffers the
        // prefilter scans.
        PayloadOp::Content(c)
            if !c.negated && b.transforms.is_empty() && b.buffer != Buffer::Base64Data && !b.buffer.is_file() =>
        {
            Some((b.buffer, c))
        }
        _ => None,
    });
    let mut best: Option<(Buffer, &Content)> = None;
    for (buf, c) in contents {
        if c.fast_pattern.is_some() {
            best = Some((buf, c));
            break;
        }
        if best.is_none_or(|(_, b)| c.pattern.len() > b.pattern.len()) {
            best = Some((buf, c));
        }
    }
    let (buffer, c) = best?;
    let bytes = match c.fast_pattern {
        Some(FastPattern::Chop { offset, length }) => {
            c.pattern[offset as usize..offset as usize + length as usize].to_vec()
        }
        _ => c.pattern.clone(),
    };
    let bytes = if c.nocase { bytes.to_ascii_lowercase() } else { bytes };
    Some(FastPat { buffer, bytes, nocase: c.nocase })
}
