//! Flows: a symmetric key over the innermost IP layer plus the tunnel's VNI,
//! per-direction counters, TCP handshake state, timeouts in packet time, and
//! a bound on the number of flows.
//!
//! Both directions of a connection map to one [`Flow`]; the side that opened
//! it (SYN sender, else first packet's sender) is the client, so `to_server`
//! means what Suricata's `flow:to_server` means.

pub mod stream;

use std::collections::HashMap;
use std::net::IpAddr;

use crate::decode::{tcp_flags, Packet, L4};
use crate::detect::FlowState;
use crate::rules::ast::AppProto;
use crate::source::Timestamp;
use stream::{MemBudget, Stream};

/// A full table evicts this fraction (1/N) of its flows at once.
const EVICT_FRACTION: usize = 16;

/// A sweep runs after at least (live flows / this) packets.
const SWEEP_COST_RATIO: usize = 8;

/// Default bound on live flows; the oldest idle flow is evicted beyond it
/// (Suricata's default memcap of 32 MiB holds roughly this many).
pub const DEFAULT_MAX_FLOWS: usize = 65_536;

/// Memory one live TCP flow costs, measured with SYN floods (every packet a
/// new flow, reassembly state allocated): 1.7 KiB per flow in one 65,536-flow
/// table, 2.5 KiB in two 9,362-flow tables (the tables' spare capacity
/// weighs more when they are small). `flow.memcap` divided by this bounds
/// the flow tables.
pub const FLOW_COST_BYTES: u64 = 2560;

/// Timeouts in seconds, by state, as Suricata's defaults
/// (`flow-timeouts.default`): new 30, established 300, closed 0; TCP
/// established 3600, closed 120; UDP established 300.
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    /// Any protocol before it is established.
    pub new: i64,
    /// TCP established.
    pub tcp_established: i64,
    /// TCP after FIN/RST.
    pub tcp_closed: i64,
    /// UDP and others once seen both ways.
    pub other_established: i64,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts { new: 30, tcp_established: 3600, tcp_closed: 120, other_established: 300 }
    }
}

/// Symmetric flow key: the lower (address, port) first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FlowKey {
    lo: (IpAddr, u16),
    hi: (IpAddr, u16),
    proto: u8,
    vni: u32,
    vlan: u16,
}

impl FlowKey {
    /// Key of a decoded packet (None when it has no IP layer).
    pub fn of(pkt: &Packet<'_>) -> Option<FlowKey> {
        let ip = pkt.ip.as_ref()?;
        let (sp, dp) = match pkt.l4 {
            L4::Icmp { .. } => (0, 0),
            l4 => l4.ports(),
        };
        let a = (ip.src, sp);
        let b = (ip.dst, dp);
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        let vni = pkt.tunnel().map_or(0, |t| t.vni);
        let vlan = pkt.vlans().first().copied().unwrap_or(0);
        Some(FlowKey { lo, hi, proto: ip.proto, vni, vlan })
    }

    /// A stable hash of the key (for sharding and flow ids); the same for
    /// both directions, whatever the process or thread count.
    pub fn hash64(&self) -> u64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut eat = |bytes: &[u8]| {
            for &b in bytes {
                h ^= b as u64;
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
        };
        for (ip, port) in [self.lo, self.hi] {
            match ip {
                IpAddr::V4(a) => eat(&a.octets()),
                IpAddr::V6(a) => eat(&a.octets()),
            }
            eat(&port.to_be_bytes());
        }
        eat(&[self.proto]);
        eat(&self.vni.to_be_bytes());
        eat(&self.vlan.to_be_bytes());
        h
    }
}

/// TCP connection tracking, enough for `flow:established`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TcpState {
    /// Nothing or only data seen without a handshake.
    None,
    /// SYN from the client.
    SynSent,
    /// SYN/ACK from the server.
    SynRecv,
    /// Handshake completed.
    Established,
    /// FIN or RST seen.
    Closed,
}

/// One flow.
#[derive(Debug)]
pub struct Flow {
    /// Flow id written in EVE (stable for the flow's life).
    pub id: u64,
    /// Client address and port.
    pub client: (IpAddr, u16),
    /// Server address and port.
    pub server: (IpAddr, u16),
    /// First packet time.
    pub start: Timestamp,
    /// Last packet time.
    pub last: Timestamp,
    /// Packets client -> server.
    pub pkts_toserver: u64,
    /// Packets server -> client.
    pub pkts_toclient: u64,
    /// Bytes client -> server.
    pub bytes_toserver: u64,
    /// Bytes server -> client.
    pub bytes_toclient: u64,
    /// TCP state.
    pub tcp: TcpState,
    /// Detected application protocol (`Failed` once detection gave up).
    pub app_proto: Option<AppProto>,
    /// Directions whose first payload was probed without result
    /// (bit 0 to server, bit 1 to client).
    pub app_unknown: u8,
    /// App-layer parser state, once the protocol is known and has a parser.
    pub app: Option<crate::applayer::AppState>,
    /// TCP reassembly, once the flow has a handshake (or midstream pickup).
    pub streams: Option<Box<TcpStreams>>,
    /// Directions that have seen a packet (bit 0 to server, bit 1 to client).
    pub seen_dirs: u8,
    /// The TCP handshake completed at some point (closing states still count
    /// as established, as in Suricata).
    pub was_established: bool,
    /// Detection state (flowbits).
    pub detect: FlowState,
    /// IP protocol.
    pub proto: u8,
    /// An alert was raised on the flow.
    pub alerted: bool,
    /// VNI of the innermost tunnel the flow came through.
    pub vni: Option<u32>,
    /// Next DNS transaction id to offer to behavioural analytics.
    pub analytics_dns: u64,
    /// TCP flags seen, [to server, to client].
    pub tcp_flags: [u8; 2],
    /// Next app-layer transaction id to write an EVE record for.
    pub app_logged: u64,
    /// Per direction (to server, to client): transactions below this id
    /// were complete when detection last ran in that direction, so they
    /// may be freed once both say so.
    pub tx_inspected: [u64; 2],
    /// VLAN ids of the flow's first packet (EVE `vlan` of its records).
    pub vlans: Vec<u16>,
    /// Encapsulation of the innermost tunnel the flow came through (EVE
    /// `pkt_src` of its protocol records).
    pub encap: Option<crate::decode::TunnelKind>,
    /// ICMP type and code of the first packet, [to server, to client]
    /// (EVE `icmp_type`/`icmp_code` and `response_icmp_*` of flow records).
    pub icmp: [Option<(u8, u8)>; 2],
}

impl Flow {
    /// Established in Suricata's sense for this protocol.
    pub fn established(&self) -> bool {
        if self.proto == 6 {
            self.was_established
        } else {
            self.pkts_toserver > 0 && self.pkts_toclient > 0
        }
    }

    fn timeout(&self, t: &Timeouts) -> i64 {
        match (self.proto, self.tcp) {
            (6, TcpState::Established) => t.tcp_established,
            (6, TcpState::Closed) => t.tcp_closed,
            (6, _) => t.new,
            _ if self.established() => t.other_established,
            _ => t.new,
        }
    }
}

/// A flow leaves the table: its reassembly memory is no longer charged to
/// the table's budget, but its buffered bytes stay for the flow-end flush
/// (they are freed with the flow).
fn release(f: &mut Flow, budget: &mut MemBudget) {
    if let Some(st) = f.streams.as_mut() {
        for d in &mut st.dir {
            d.detach(budget);
        }
    }
}

/// Counters of the flow table.
#[derive(Clone, Copy, Debug, Default)]
pub struct FlowCounters {
    /// Flows created.
    pub created: u64,
    /// Flows removed by timeout.
    pub timed_out: u64,
    /// Flows evicted because the table was full.
    pub evicted: u64,
}

/// The flow table of one worker.
pub struct FlowTable {
    flows: HashMap<FlowKey, Flow>,
    max_flows: usize,
    timeouts: Timeouts,
    last_sweep: i64,
    packets_since_sweep: u64,
    /// Counters.
    pub counters: FlowCounters,
    /// Reassembly memory shared by the table's streams.
    pub budget: MemBudget,
    /// Pick up TCP sessions without a handshake (`stream.midstream`).
    pub midstream: bool,
    /// `stream.async-oneside`: an ACK after the SYN from the same side
    /// establishes the session.
    pub async_oneside: bool,
    /// Flows removed by timeout or eviction, waiting for their final
    /// inspection ([`FlowTable::take_expired`]).
    expired: Vec<(Flow, bool)>,
}

/// Both directions of a TCP connection: reassembly and the stream data that
/// became available and awaits inspection by a packet of its direction.
#[derive(Debug)]
pub struct TcpStreams {
    /// [to server, to client].
    pub dir: [Stream; 2],
    /// Reassembled data per direction not yet inspected by stream rules.
    pub pending: [Pending; 2],
}

/// Stream data kept for raw inspection per direction at most; older bytes
/// are dropped first when a direction sends this much without a packet of
/// its own to inspect it on.
pub const MAX_PENDING_RAW: usize = 256 * 1024;

/// Reassembled data of one direction awaiting raw stream inspection, with
/// where the stream had holes (for the alert's `payload`, which marks them
/// as Suricata does).
#[derive(Debug, Default)]
pub struct Pending {
    data: Vec<u8>,
    /// (offset in `data`, bytes missing before it).
    gaps: Vec<(usize, u64)>,
}

impl Pending {
    /// Appends delivered bytes, `gap` bytes after a hole when given; keeps
    /// at most [`MAX_PENDING_RAW`] bytes, dropping the oldest.
    pub fn push(&mut self, chunk: &[u8], gap: Option<u64>) {
        if let Some(g) = gap {
            self.gaps.push((self.data.len(), g));
        }
        self.data.extend_from_slice(chunk);
        if self.data.len() > MAX_PENDING_RAW {
            let cut = self.data.len() - MAX_PENDING_RAW;
            self.data.drain(..cut);
            self.gaps.retain(|g| g.0 >= cut);
            self.gaps.iter_mut().for_each(|g| g.0 -= cut);
        }
    }

    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.data
    }

    /// Nothing pending.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Forgets what was inspected.
    pub fn clear(&mut self) {
        self.data.clear();
        self.gaps.clear();
    }

    /// The bytes with `[N bytes missing]` where the stream had holes, as
    /// Suricata logs stream payloads.
    pub fn with_gaps_marked(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.data.len() + 24 * self.gaps.len());
        let mut at = 0;
        for &(off, n) in &self.gaps {
            out.extend_from_slice(&self.data[at..off]);
            out.extend_from_slice(format!("[{n} bytes missing]").as_bytes());
            at = off;
        }
        out.extend_from_slice(&self.data[at..]);
        out
    }
}

/// What the table tells about the packet just added.
#[derive(Clone, Copy, Debug)]
pub struct Update {
    /// Key of the flow.
    pub key: FlowKey,
    /// The packet goes client -> server.
    pub to_server: bool,
    /// First packet of the flow in this direction.
    pub first_in_dir: bool,
}

impl FlowTable {
    /// A table holding at most `max_flows` flows.
    pub fn new(max_flows: usize, timeouts: Timeouts) -> Self {
        FlowTable {
            flows: HashMap::new(),
            max_flows: max_flows.max(1),
            timeouts,
            last_sweep: i64::MIN,
            packets_since_sweep: 0,
            counters: FlowCounters::default(),
            budget: MemBudget::default(),
            midstream: false,
            async_oneside: false,
            expired: Vec::new(),
        }
    }

    /// The flow of a key together with the reassembly budget.
    pub fn get_with_budget(&mut self, key: &FlowKey) -> Option<(&mut Flow, &mut MemBudget)> {
        let f = self.flows.get_mut(key)?;
        Some((f, &mut self.budget))
    }

    /// Flows that timed out or were evicted (`true`) since the last call,
    /// oldest first.
    pub fn take_expired(&mut self) -> Vec<(Flow, bool)> {
        std::mem::take(&mut self.expired)
    }

    /// Removes and returns every flow (end of input), releasing their
    /// reassembly memory.
    pub fn drain_all(&mut self) -> Vec<Flow> {
        let mut all: Vec<Flow> = self.flows.drain().map(|(_, f)| f).collect();
        all.sort_by_key(|f| (f.start, f.id));
        for f in &mut all {
            release(f, &mut self.budget);
        }
        all
    }

    /// Number of live flows.
    pub fn len(&self) -> usize {
        self.flows.len()
    }

    /// True when no flow is live.
    pub fn is_empty(&self) -> bool {
        self.flows.is_empty()
    }

    /// The flow of a key.
    pub fn get_mut(&mut self, key: &FlowKey) -> Option<&mut Flow> {
        self.flows.get_mut(key)
    }

    /// Accounts the packet to its flow (creating it) and advances TCP state.
    /// `bytes` is what Suricata counts for the packet (frame length, or the
    /// inner IP length when tunnelled).
    pub fn update(&mut self, pkt: &Packet<'_>, ts: Timestamp, bytes: u64) -> Option<Update> {
        let midstream = self.midstream;
        let async_oneside = self.async_oneside;
        let key = FlowKey::of(pkt)?;
        let ip = pkt.ip.as_ref()?;
        self.packets_since_sweep += 1;
        self.sweep(ts);
        // A flow idle past its timeout is over even if no sweep removed it
        // yet: the packet starts a new flow (exact whatever the sweep
        // cadence, hence whatever the thread count).
        let stale = self.flows.get(&key).is_some_and(|f| ts.secs - f.last.secs > f.timeout(&self.timeouts));
        if stale {
            if let Some(mut f) = self.flows.remove(&key) {
                release(&mut f, &mut self.budget);
                self.expired.push((f, false));
                self.counters.timed_out += 1;
            }
        }
        if !self.flows.contains_key(&key) {
            if self.flows.len() >= self.max_flows {
                self.evict_oldest();
            }
            let (sp, dp) = match pkt.l4 {
                L4::Icmp { .. } => (0, 0),
                l4 => l4.ports(),
            };
            // A SYN/ACK first means we missed the SYN: the receiver is the
            // client.
            let client = match pkt.l4 {
                L4::Tcp { flags, .. }
                    if flags & (tcp_flags::SYN | tcp_flags::ACK) == tcp_flags::SYN | tcp_flags::ACK =>
                {
                    (ip.dst, dp)
                }
                _ => (ip.src, sp),
            };
            let server = if client == (ip.src, sp) { (ip.dst, dp) } else { (ip.src, sp) };
            let id = (key.hash64() ^ (ts.as_micros() as u64).rotate_left(17)) & ((1 << 51) - 1);
            self.flows.insert(
                key,
                Flow {
                    id,
                    client,
                    server,
                    start: ts,
                    last: ts,
                    pkts_toserver: 0,
                    pkts_toclient: 0,
                    bytes_toserver: 0,
                    bytes_toclient: 0,
                    tcp: TcpState::None,
                    app_proto: None,
                    app_unknown: 0,
                    app: None,
                    streams: None,
                    seen_dirs: 0,
                    was_established: false,
                    detect: FlowState::default(),
                    proto: ip.proto,
                    alerted: false,
                    vni: pkt.tunnel().map(|t| t.vni),
                    analytics_dns: 0,
                    tcp_flags: [0; 2],
                    app_logged: 0,
                    tx_inspected: [0; 2],
                    vlans: pkt.vlans().to_vec(),
                    encap: pkt.tunnel().map(|t| t.kind),
                    icmp: [None; 2],
                },
            );
            self.counters.created += 1;
        }
        let f = self.flows.get_mut(&key)?;
        let sport = match pkt.l4 {
            L4::Icmp { .. } => 0,
            l4 => l4.ports().0,
        };
        let to_server = (ip.src, sport) == f.client;
        // Flow time never goes back: a packet stamped earlier than the one
        // before it (a capture with a clock jump) must not age the flow
        // into a timeout at the next packet. Suricata keeps such a flow.
        f.last = f.last.max(ts);
        if to_server {
            f.pkts_toserver += 1;
            f.bytes_toserver += bytes;
        } else {
            f.pkts_toclient += 1;
            f.bytes_toclient += bytes;
        }
        if let L4::Icmp { itype, icode, .. } = pkt.l4 {
            f.icmp[usize::from(!to_server)].get_or_insert((itype, icode));
        }
        if let L4::Tcp { flags, .. } = pkt.l4 {
            f.tcp_flags[usize::from(!to_server)] |= flags;
            let syn = flags & tcp_flags::SYN != 0;
            let ack = flags & tcp_flags::ACK != 0;
            f.tcp = match f.tcp {
                _ if flags & (tcp_flags::RST | tcp_flags::FIN) != 0 && f.tcp != TcpState::None => TcpState::Closed,
                TcpState::None if syn && !ack && to_server => TcpState::SynSent,
                TcpState::SynSent if syn && ack && !to_server => TcpState::SynRecv,
                TcpState::SynSent if async_oneside && ack && !syn && to_server => TcpState::Established,
                TcpState::SynRecv if ack && !syn && to_server => TcpState::Established,
                TcpState::None if midstream && ack && !syn => TcpState::Established,
                s => s,
            };
            if f.tcp == TcpState::Established {
                f.was_established = true;
            }
        }
        let bit = if to_server { 1 } else { 2 };
        let first_in_dir = f.seen_dirs & bit == 0;
        f.seen_dirs |= bit;
        Some(Update { key, to_server, first_in_dir })
    }

    /// The table is full: evicts the least recently seen sixteenth of it
    /// at once, so a flood of new flows costs O(log n) per flow, not a scan
    /// of the table per flow.
    fn evict_oldest(&mut self) {
        let n = (self.flows.len() / EVICT_FRACTION).max(1);
        let mut by_age: Vec<(Timestamp, u64, FlowKey)> = self.flows.iter().map(|(k, f)| (f.last, f.id, *k)).collect();
        by_age.select_nth_unstable_by_key(n - 1, |e| (e.0, e.1));
        by_age.truncate(n);
        by_age.sort_unstable_by_key(|e| (e.0, e.1));
        for (_, _, k) in by_age {
            if let Some(mut f) = self.flows.remove(&k) {
                release(&mut f, &mut self.budget);
                self.expired.push((f, true));
                self.counters.evicted += 1;
            }
        }
    }

    /// Times flows out as of `now` (packet time), as a packet would.
    pub fn advance(&mut self, now: Timestamp) {
        self.sweep(now);
    }

    /// Removes flows idle past their timeout; runs at most once per second
    /// of packet time.
    fn sweep(&mut self, now: Timestamp) {
        // At most once per second of packet time, and only after enough
        // packets that walking the table costs O(1) per packet: a capture
        // spanning days must not walk the table once per second it spans.
        if now.secs <= self.last_sweep || self.packets_since_sweep < (self.flows.len() / SWEEP_COST_RATIO) as u64 {
            return;
        }
        self.last_sweep = now.secs;
        self.packets_since_sweep = 0;
        let t = self.timeouts;
        let before = self.flows.len();
        let budget = &mut self.budget;
        let mut gone: Vec<FlowKey> = Vec::new();
        for (k, f) in self.flows.iter_mut() {
            if now.secs - f.last.secs > f.timeout(&t) {
                release(f, budget);
                gone.push(*k);
            }
        }
        let mut removed: Vec<Flow> = gone.iter().filter_map(|k| self.flows.remove(k)).collect();
        removed.sort_by_key(|f| (f.start, f.id));
        self.expired.extend(removed.into_iter().map(|f| (f, false)));
        self.counters.timed_out += (before - self.flows.len()) as u64;
    }
}
