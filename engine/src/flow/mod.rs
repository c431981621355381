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

use crate::decode::{tcp_flags, Packet, L4, MAX_VLAN_TAGS};
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
    /// Every VLAN id of the frame, outermost first (unused slots 0): as in
    /// Suricata, the same addresses under `[1, 10]` and `[1, 10, 100]` are
    /// different flows.
    vlans: [u16; MAX_VLAN_TAGS],
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
        let mut vlans = [0; MAX_VLAN_TAGS];
        for (d, s) in vlans.iter_mut().zip(pkt.vlans()) {
            *d = *s;
        }
        Some(FlowKey { lo, hi, proto: ip.proto, vni, vlans })
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
        // Inner tags only when present, so that untagged and single-tagged
        // flows keep the ids (and shards) they had before inner tags were
        // keyed.
        eat(&self.vlans[0].to_be_bytes());
        for v in self.vlans[1..].iter().filter(|v| **v != 0) {
            eat(&v.to_be_bytes());
        }
        h
    }
}

#[cfg(test)]
mod key_tests {
    use super::FlowKey;
    use crate::decode::{decode, LinkType};

    /// Ethernet with the given 802.1Q ids around IPv4 192.168.0.1 ->
    /// 192.168.0.2 + ICMP echo (id 1, seq 1, no data; IPv4 checksum left 0).
    fn tagged(vids: &[u16]) -> Vec<u8> {
        let mut f = vec![0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01];
        for v in vids {
            f.extend([0x81, 0x00]);
            f.extend(v.to_be_bytes());
        }
        f.extend([0x08, 0x00]);
        f.extend([0x45, 0x00, 0x00, 0x1c, 0x00, 0x00, 0x00, 0x00, 0x40, 0x01, 0x00, 0x00]);
        f.extend([192, 168, 0, 1, 192, 168, 0, 2]);
        f.extend([0x08, 0x00, 0xf7, 0xfd, 0x00, 0x01, 0x00, 0x01]);
        f
    }

    fn key(vids: &[u16]) -> FlowKey {
        let frame = tagged(vids);
        let p = decode(LinkType::Ethernet, &frame).unwrap();
        assert_eq!(p.vlans(), vids);
        FlowKey::of(&p).unwrap()
    }

    #[test]
    fn every_vlan_id_is_part_of_the_key() {
        let (one, two, three) = (key(&[1]), key(&[1, 10]), key(&[1, 10, 100]));
        assert_ne!(one, two);
        assert_ne!(two, three);
        assert_ne!(one, three);
        assert_ne!(two.hash64(), three.hash64());
        assert_eq!(three, key(&[1, 10, 100]));
        // The order of the tags matters: QinQ [10, 1] is another network.
        assert_ne!(two, key(&[10, 1]));
        assert_ne!(key(&[]), one);
    }
}

/// TCP session state, as Suricata's stream engine names it (EVE
/// `tcp.state`). Suricata keeps one state per session, named from the
/// client's side for a client-initiated close (`close_wait`, `last_ack`)
/// and from the server's side for a server-initiated one (`fin_wait1`,
/// `fin_wait2`, `closing`, `time_wait`); [`TcpState::None`] means no session
/// exists (no SYN seen and no midstream pickup), so nothing is reassembled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TcpState {
    /// No session: no handshake seen and no midstream pickup.
    None,
    /// SYN from the client.
    SynSent,
    /// SYN/ACK from the server (or a SYN/ACK picked up midstream).
    SynRecv,
    /// Handshake completed, or picked up midstream.
    Established,
    /// The server sent a FIN first.
    FinWait1,
    /// The client acknowledged the server's FIN.
    FinWait2,
    /// Both sent a FIN, the server's not yet acknowledged.
    Closing,
    /// The client sent a FIN first.
    CloseWait,
    /// The server's FIN followed the client's.
    LastAck,
    /// Both sides closed; the final ACK is outstanding.
    TimeWait,
    /// Closed by the final ACK or a RST.
    Closed,
}

impl TcpState {
    /// The name Suricata writes in EVE `tcp.state` (None for no session).
    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            TcpState::None => return None,
            TcpState::SynSent => "syn_sent",
            TcpState::SynRecv => "syn_recv",
            TcpState::Established => "established",
            TcpState::FinWait1 => "fin_wait1",
            TcpState::FinWait2 => "fin_wait2",
            TcpState::Closing => "closing",
            TcpState::CloseWait => "close_wait",
            TcpState::LastAck => "last_ack",
            TcpState::TimeWait => "time_wait",
            TcpState::Closed => "closed",
        })
    }

    /// The session counts as established: Suricata's flow state is
    /// `established` from the handshake until one side's FIN is answered
    /// by the other's (closing states included).
    pub fn is_established(self) -> bool {
        matches!(
            self,
            TcpState::Established | TcpState::FinWait1 | TcpState::FinWait2 | TcpState::Closing | TcpState::CloseWait
        )
    }

    /// Suricata's flow state is `closed` from here on (EVE `flow.state`,
    /// and the closed flow timeout applies).
    pub fn is_closed(self) -> bool {
        matches!(self, TcpState::LastAck | TcpState::TimeWait | TcpState::Closed)
    }
}

/// Suricata's exception policies: what the engine does when it meets a
/// condition it cannot handle as usual. mirador applies them where a TCP
/// flow is seen without its handshake (`stream.midstream-policy`, else the
/// `exception-policy` master switch). mirador being passive, the dropping
/// policies only stop inspection: nothing is dropped or reset.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ExceptionPolicy {
    /// `ignore`: as without a policy (the session is picked up if
    /// `stream.midstream` allows it).
    #[default]
    Ignore,
    /// `pass-packet`: no detection on the packet.
    PassPacket,
    /// `pass-flow`: no more detection on the flow; the app layer of a
    /// picked-up session still runs and logs.
    PassFlow,
    /// `bypass`: the flow is left alone (no session, app layer or
    /// detection); only its counters go on.
    Bypass,
    /// `drop-packet`: the packet is dropped (IPS), so not inspected.
    DropPacket,
    /// `drop-flow`: the flow is dropped (IPS): no detection, no app layer.
    DropFlow,
    /// `reject` in IDS mode: Suricata resets the connection but inspects
    /// the packet; no session is picked up. (In IPS mode `reject` drops
    /// the flow: the configuration maps it to [`ExceptionPolicy::DropFlow`].)
    Reject,
}

impl ExceptionPolicy {
    /// The policy of a configuration value; `auto` is not one (it stands
    /// for a policy that depends on the engine mode).
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "ignore" => Self::Ignore,
            "pass-packet" => Self::PassPacket,
            "pass-flow" => Self::PassFlow,
            "bypass" => Self::Bypass,
            "drop-packet" => Self::DropPacket,
            "drop-flow" => Self::DropFlow,
            "reject" => Self::Reject,
            _ => return None,
        })
    }

    /// The configuration value naming the policy.
    pub fn name(self) -> &'static str {
        match self {
            Self::Ignore => "ignore",
            Self::PassPacket => "pass-packet",
            Self::PassFlow => "pass-flow",
            Self::Bypass => "bypass",
            Self::DropPacket => "drop-packet",
            Self::DropFlow => "drop-flow",
            Self::Reject => "reject",
        }
    }

    /// Only the permissive policies let a session be picked up midstream:
    /// the others mean the flow is not to be followed.
    fn permits_pickup(self) -> bool {
        matches!(self, Self::Ignore | Self::PassPacket | Self::PassFlow)
    }

    /// The packet the policy is applied to is still inspected.
    fn inspects_packet(self) -> bool {
        matches!(self, Self::Ignore | Self::Reject)
    }

    /// What the policy decides for the whole flow.
    fn flow_verdict(self) -> Option<FlowVerdict> {
        match self {
            Self::PassFlow => Some(FlowVerdict::Pass),
            Self::Bypass => Some(FlowVerdict::Bypass),
            Self::DropFlow => Some(FlowVerdict::Drop),
            _ => None,
        }
    }
}

/// What an exception policy decided for a whole flow: Suricata's flow
/// action (`flow.action` of the flow record) and bypass state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlowVerdict {
    /// Passed: no more detection; a session's app layer still runs.
    Pass,
    /// Bypassed: only the flow's counters are kept up.
    Bypass,
    /// Dropped: no more detection and no app layer.
    Drop,
}

impl FlowVerdict {
    /// The flow is no longer processed beyond its counters: no session,
    /// reassembly, app layer or detection.
    pub fn only_counted(self) -> bool {
        matches!(self, FlowVerdict::Bypass | FlowVerdict::Drop)
    }
}

/// What the session makes of one TCP packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcpStep {
    /// The state after the packet.
    pub state: TcpState,
    /// The packet's data belongs to the session's streams. False when the
    /// session refuses it: in `syn_sent` only a SYN/ACK (or, with
    /// `stream.async-oneside`, the client's ACK) is taken, so a client
    /// sending data to a server that never answered is not reassembled, as
    /// in Suricata; and without a session nothing is.
    pub accepted: bool,
    /// The packet found no session and was no SYN: the handshake was
    /// missed, so Suricata applies the midstream exception policy to it
    /// (whether or not the session is picked up from it).
    pub midstream: bool,
}

/// Settings of session pickup.
#[derive(Clone, Copy, Debug, Default)]
pub struct TcpPickup {
    /// `stream.midstream`: a session starts on any ACK or SYN/ACK.
    pub midstream: bool,
    /// `stream.async-oneside`: a SYN/ACK without SYN, or the client's ACK
    /// after its SYN, is enough.
    pub async_oneside: bool,
    /// `stream.midstream-policy`: only the permissive policies let either
    /// setting pick a session up.
    pub policy: ExceptionPolicy,
}

/// Advances a TCP session by one packet of `flags` (`has_payload`: the
/// packet carries data). The transitions are those Suricata's stream engine
/// makes on in-order traffic; sequence numbers are not checked, so
/// retransmitted FINs are told apart by direction only (the side that
/// already closed sends them).
pub fn tcp_step(state: TcpState, flags: u8, has_payload: bool, to_server: bool, pickup: TcpPickup) -> TcpStep {
    use TcpState::*;
    let has = |f: u8| flags & f != 0;
    let (syn, ack, fin, rst) = (has(tcp_flags::SYN), has(tcp_flags::ACK), has(tcp_flags::FIN), has(tcp_flags::RST));
    let next = |state| TcpStep { state, accepted: true, midstream: false };
    if state == None {
        return session_start(flags, has_payload, to_server, pickup);
    }
    if rst {
        // A RST ends any session.
        return next(Closed);
    }
    match state {
        SynSent if syn && ack && !to_server => next(SynRecv),
        SynSent if syn => next(SynSent),
        SynSent if ack && to_server && pickup.async_oneside => next(Established),
        SynSent => TcpStep { state, accepted: false, midstream: false },
        SynRecv if fin => next(if to_server { CloseWait } else { FinWait1 }),
        SynRecv if ack && !syn && to_server => next(Established),
        // A session picked up from a SYN/ACK is established by the
        // server's next packet (the client may never be seen).
        SynRecv if ack && !syn && !to_server && (pickup.midstream || pickup.async_oneside) => next(Established),
        Established if fin => next(if to_server { CloseWait } else { FinWait1 }),
        FinWait1 if fin && to_server => next(if ack { TimeWait } else { Closing }),
        FinWait1 if ack && to_server => next(FinWait2),
        FinWait2 if fin && to_server => next(TimeWait),
        Closing if ack && !fin => next(TimeWait),
        CloseWait if fin && !to_server => next(LastAck),
        LastAck if ack && !fin && to_server => next(Closed),
        TimeWait if ack && !fin && !to_server => next(Closed),
        s => next(s),
    }
}

/// A packet of a flow without a session, read as Suricata's
/// StreamTcpPacketStateNone does, in its order: a RST starts nothing; a
/// client's SYN starts the handshake; anything else means the handshake was
/// missed ([`TcpStep::midstream`]), and the session is picked up only if
/// the setting for that packet allows it and the midstream policy is a
/// permissive one: a FIN with data under `stream.midstream` (the session
/// starts closing, `fin_wait1` whichever side sent it), a SYN/ACK under
/// `stream.midstream` or `stream.async-oneside` (one side of the handshake
/// is all there will be), a lone ACK under `stream.midstream`.
fn session_start(flags: u8, has_payload: bool, to_server: bool, pickup: TcpPickup) -> TcpStep {
    use tcp_flags::{ACK, FIN, RST, SYN};
    use TcpState::*;
    let nothing = TcpStep { state: None, accepted: false, midstream: false };
    let (state, allowed) = if flags & RST != 0 {
        return nothing;
    } else if flags & FIN != 0 {
        (FinWait1, pickup.midstream && has_payload)
    } else if flags & (SYN | ACK) == SYN | ACK {
        (SynRecv, pickup.midstream || pickup.async_oneside)
    } else if flags & SYN != 0 {
        return if to_server { TcpStep { state: SynSent, accepted: true, midstream: false } } else { nothing };
    } else if flags & ACK != 0 {
        (Established, pickup.midstream)
    } else {
        return nothing;
    };
    let picked_up = allowed && pickup.policy.permits_pickup();
    TcpStep { state: if picked_up { state } else { None }, accepted: picked_up, midstream: true }
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
    /// TCP session state.
    pub tcp: TcpState,
    /// The session was established by `stream.async-oneside` (the client's
    /// ACK after its SYN, no SYN/ACK seen).
    pub tcp_async: bool,
    /// Detected application protocol (`Failed` once detection gave up).
    pub app_proto: Option<AppProto>,
    /// Directions whose first payload was probed without result
    /// (bit 0 to server, bit 1 to client).
    pub app_unknown: u8,
    /// Directions whose first payload was probed (bit 0 to server, bit 1
    /// to client).
    pub app_probed: u8,
    /// The other direction's first payload named another protocol than
    /// `app_proto`: (that direction is to server, its protocol). The flow
    /// keeps the first protocol, as in Suricata.
    pub app_proto_other: Option<(bool, AppProto)>,
    /// Protocol-detection events not written yet: (the direction of the
    /// packet that must log them, `None` for the next packet whichever its
    /// direction; the event's EVE name). Suricata raises them on a packet,
    /// and its anomaly logger writes them with that packet.
    pub proto_events: Vec<(Option<bool>, &'static str)>,
    /// App-layer parser state, once the protocol is known and has a parser.
    pub app: Option<crate::applayer::AppState>,
    /// What an exception policy decided for the flow, if anything.
    pub verdict: Option<FlowVerdict>,
    /// TCP: the session was picked up midstream, the handshake missed, so
    /// which side is the client is a guess until protocol detection tells
    /// (see [`Flow::reverse`]).
    pub picked_up: bool,
    /// TCP reassembly, once the flow has a handshake (or midstream pickup).
    pub streams: Option<Box<TcpStreams>>,
    /// Directions that have seen a packet (bit 0 to server, bit 1 to client).
    pub seen_dirs: u8,
    /// The TCP session was established at some point (closing and closed
    /// states still count for `flow:established`, as in Suricata).
    pub was_established: bool,
    /// The last packet is the one that completed the handshake. Suricata
    /// tells a packet established from the session's state before the
    /// packet, so `flow:established` does not see the handshake's final
    /// ACK (`flow:not_established` does).
    pub completed_handshake: bool,
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
    /// TCP flags of the session's packets, [to server, to client] (zero
    /// while there is no session).
    pub tcp_flags: [u8; 2],
    /// Next app-layer transaction id to write an EVE record for.
    pub app_logged: u64,
    /// App-layer events already written as `anomaly` records: (transaction
    /// id, how many of its events), for live transactions.
    pub events_logged: Vec<(u64, usize)>,
    /// Per direction (to server, to client): transactions below this id
    /// were complete when detection last ran in that direction, so they
    /// may be freed once both say so.
    pub tx_inspected: [u64; 2],
    /// Per direction (to server, to client): the first transaction that
    /// was not yet complete, or did not exist, when detection last ran in
    /// that direction: the one a stream match is attributed to under
    /// `detect.guess-applayer-tx`.
    pub tx_guess: [u64; 2],
    /// VLAN ids of the flow's first packet (EVE `vlan` of its records).
    pub vlans: Vec<u16>,
    /// Encapsulation of the innermost tunnel the flow came through (EVE
    /// `pkt_src` of its protocol records).
    pub encap: Option<crate::decode::TunnelKind>,
    /// ICMP type and code of the first packet, [to server, to client]
    /// (EVE `icmp_type`/`icmp_code` and `response_icmp_*` of flow records).
    pub icmp: [Option<(u8, u8)>; 2],
    /// MAC addresses seen on each side, [client, server], first seen first
    /// (EVE `ether.src_macs`/`dest_macs` of the flow record); kept only
    /// when [`FlowTable::track_macs`] is on, at most [`MAX_FLOW_MACS`] a
    /// side.
    pub macs: [Vec<[u8; 6]>; 2],
}

/// MACs kept per side of a flow. A flow normally has one per side, a few
/// behind load-balanced routers; a bound keeps a flood of spoofed source
/// MACs on one flow from growing it without limit.
pub const MAX_FLOW_MACS: usize = 32;

impl Flow {
    /// Established for the rules inspecting the last packet: as
    /// [`Flow::established`], but not on the handshake's final ACK.
    pub fn established_for_packet(&self) -> bool {
        self.established() && !(self.proto == 6 && self.completed_handshake)
    }

    /// Established in Suricata's sense for this protocol.
    pub fn established(&self) -> bool {
        if self.proto == 6 {
            self.was_established
        } else {
            self.pkts_toserver > 0 && self.pkts_toclient > 0
        }
    }

    /// Swaps the flow's sides, and everything kept per direction with them.
    /// Suricata does so when protocol detection finds that a flow was first
    /// seen from its server (a UDP DNS answer, a TCP session picked up
    /// midstream); the TCP state keeps its name, as there.
    pub fn reverse(&mut self) {
        std::mem::swap(&mut self.client, &mut self.server);
        std::mem::swap(&mut self.pkts_toserver, &mut self.pkts_toclient);
        std::mem::swap(&mut self.bytes_toserver, &mut self.bytes_toclient);
        self.tcp_flags.swap(0, 1);
        self.tx_inspected.swap(0, 1);
        self.tx_guess.swap(0, 1);
        self.icmp.swap(0, 1);
        let swap_bits = |b: u8| (b & !3) | ((b & 1) << 1) | ((b >> 1) & 1);
        self.seen_dirs = swap_bits(self.seen_dirs);
        self.app_unknown = swap_bits(self.app_unknown);
        self.app_probed = swap_bits(self.app_probed);
        if let Some((to_server, _)) = self.app_proto_other.as_mut() {
            *to_server = !*to_server;
        }
        if let Some(st) = self.streams.as_deref_mut() {
            st.dir.swap(0, 1);
            st.pending.swap(0, 1);
        }
    }

    fn timeout(&self, t: &Timeouts) -> i64 {
        match (self.proto, self.tcp) {
            (6, s) if s.is_established() => t.tcp_established,
            (6, s) if s.is_closed() => t.tcp_closed,
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
    /// How TCP sessions are picked up without a (full) handshake.
    pub pickup: TcpPickup,
    /// Record each flow's MAC addresses ([`Flow::macs`]): EVE `ethernet:
    /// yes`. Off by default, as it costs a comparison per packet.
    pub track_macs: bool,
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
    /// TCP: the session takes the packet's data into its streams (see
    /// [`TcpStep::accepted`]); always false for other protocols.
    pub tcp_accepted: bool,
    /// Detection runs on the packet: false when an exception policy passed
    /// or dropped it, or the whole flow.
    pub inspect: bool,
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
            pickup: TcpPickup::default(),
            track_macs: false,
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
        let pickup = self.pickup;
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
            // The first packet's sender is the client, unless a session is
            // picked up from a SYN/ACK (the SYN was missed): Suricata then
            // reverses the flow, and the receiver is the client. (A SYN/ACK
            // is read alike whichever way it goes.)
            let client = match pkt.l4 {
                L4::Tcp { flags, .. }
                    if tcp_step(TcpState::None, flags, !pkt.payload().is_empty(), false, pickup).state
                        == TcpState::SynRecv =>
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
                    tcp_async: false,
                    app_proto: None,
                    app_unknown: 0,
                    app_probed: 0,
                    app_proto_other: None,
                    proto_events: Vec::new(),
                    app: None,
                    verdict: None,
                    picked_up: false,
                    streams: None,
                    seen_dirs: 0,
                    was_established: false,
                    completed_handshake: false,
                    detect: FlowState::default(),
                    proto: ip.proto,
                    alerted: false,
                    vni: pkt.tunnel().map(|t| t.vni),
                    analytics_dns: 0,
                    tcp_flags: [0; 2],
                    app_logged: 0,
                    events_logged: Vec::new(),
                    tx_inspected: [0; 2],
                    tx_guess: [0; 2],
                    vlans: pkt.vlans().to_vec(),
                    encap: pkt.tunnel().map(|t| t.kind),
                    icmp: [None; 2],
                    macs: [Vec::new(), Vec::new()],
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
        if self.track_macs {
            if let Some((src, dst)) = pkt.macs() {
                // Sides, not directions: a reply's destination is a client MAC.
                let (client, server) = if to_server { (src, dst) } else { (dst, src) };
                for (side, mac) in f.macs.iter_mut().zip([client, server]) {
                    if side.len() < MAX_FLOW_MACS && !side.contains(&mac) {
                        side.push(mac);
                    }
                }
            }
        }
        let mut tcp_accepted = false;
        let mut inspect = f.verdict.is_none();
        // A bypassed or dropped flow gets no session any more.
        let session_flags = match pkt.l4 {
            L4::Tcp { flags, .. } if !f.verdict.is_some_and(FlowVerdict::only_counted) => Some(flags),
            _ => None,
        };
        if let Some(flags) = session_flags {
            let mut step = tcp_step(f.tcp, flags, !pkt.payload().is_empty(), to_server, pickup);
            f.picked_up |= step.midstream && step.accepted;
            if step.midstream {
                // Applied to every packet that finds no session, whether or
                // not the session is picked up from it, as Suricata does.
                inspect &= pickup.policy.inspects_packet();
                if let Some(v) = pickup.policy.flow_verdict() {
                    f.verdict.get_or_insert(v);
                }
            }
            if f.tcp_async && f.pkts_toclient == 0 && step.state == TcpState::CloseWait {
                // Suricata checks a FIN against the window the other side
                // advertised; a one-sided session whose server never sent
                // a packet has none, so the client's FIN leaves it
                // established.
                step.state = f.tcp;
            }
            if f.tcp == TcpState::SynSent && step.state == TcpState::Established {
                f.tcp_async = true;
            }
            f.completed_handshake =
                matches!(f.tcp, TcpState::SynSent | TcpState::SynRecv) && step.state == TcpState::Established;
            f.tcp = step.state;
            tcp_accepted = step.accepted;
            // Suricata counts the flags of the session's packets only: those
            // seen before it started are not in EVE `tcp_flags`.
            if f.tcp != TcpState::None {
                f.tcp_flags[usize::from(!to_server)] |= flags;
            }
            if f.tcp.is_established() {
                f.was_established = true;
            }
        }
        let bit = if to_server { 1 } else { 2 };
        let first_in_dir = f.seen_dirs & bit == 0;
        f.seen_dirs |= bit;
        Some(Update { key, to_server, first_in_dir, tcp_accepted, inspect })
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

#[cfg(test)]
mod tests {
    use super::*;
    use tcp_flags::{ACK, FIN, PSH, RST, SYN};

    const IDS: TcpPickup = TcpPickup { midstream: false, async_oneside: false, policy: ExceptionPolicy::Ignore };
    const MIDSTREAM: TcpPickup = TcpPickup { midstream: true, ..IDS };

    /// One packet of `flags` through the session; a packet with PSH carries
    /// data.
    fn step(s: TcpState, flags: u8, to_server: bool, pickup: TcpPickup) -> TcpStep {
        tcp_step(s, flags, flags & PSH != 0, to_server, pickup)
    }

    /// Runs packets (flags, to_server) through a fresh session; returns the
    /// states after each.
    fn walk(pickup: TcpPickup, pkts: &[(u8, bool)]) -> Vec<&'static str> {
        let mut s = TcpState::None;
        pkts.iter()
            .map(|&(f, ts)| {
                s = step(s, f, ts, pickup).state;
                s.name().unwrap_or("none")
            })
            .collect()
    }

    #[test]
    fn handshake_and_client_close() {
        // The client closes first; the server's FIN, then the client's final
        // ACK (Suricata: close_wait, last_ack, closed).
        let states = walk(
            IDS,
            &[(SYN, true), (SYN | ACK, false), (ACK, true), (FIN | ACK, true), (FIN | ACK, false), (ACK, true)],
        );
        assert_eq!(states, ["syn_sent", "syn_recv", "established", "close_wait", "last_ack", "closed"]);
        // Retransmitted server FINs and server ACKs leave last_ack alone.
        let mut s = TcpState::LastAck;
        for (f, ts) in [(ACK, false), (FIN | PSH | ACK, false)] {
            s = step(s, f, ts, IDS).state;
        }
        assert_eq!(s, TcpState::LastAck);
    }

    #[test]
    fn server_closes_first() {
        let est = [(SYN, true), (SYN | ACK, false), (ACK, true)];
        let path = |tail: &[(u8, bool)]| {
            let mut pkts = est.to_vec();
            pkts.extend_from_slice(tail);
            walk(IDS, &pkts)[3..].to_vec()
        };
        assert_eq!(
            path(&[(FIN | ACK, false), (ACK, true), (FIN | ACK, true), (ACK, false)]),
            ["fin_wait1", "fin_wait2", "time_wait", "closed"]
        );
        assert_eq!(path(&[(FIN | ACK, false), (FIN | ACK, true), (ACK, false)]), ["fin_wait1", "time_wait", "closed"]);
        assert_eq!(path(&[(FIN | ACK, false), (FIN, true), (ACK, true)]), ["fin_wait1", "closing", "time_wait"]);
        // The server's own ACK after its FIN changes nothing.
        assert_eq!(path(&[(FIN | ACK, false), (ACK, false)]), ["fin_wait1", "fin_wait1"]);
    }

    #[test]
    fn reset_closes_and_closed_states_are_flow_closed() {
        assert_eq!(walk(IDS, &[(SYN, true), (RST | ACK, false)]), ["syn_sent", "closed"]);
        assert!(TcpState::LastAck.is_closed() && TcpState::TimeWait.is_closed());
        assert!(TcpState::CloseWait.is_established() && TcpState::Closing.is_established());
        assert!(!TcpState::SynRecv.is_established() && !TcpState::SynRecv.is_closed());
    }

    #[test]
    fn pickup_needs_midstream_or_async_oneside() {
        // No session without a SYN, unless midstream; never from a RST.
        assert_eq!(walk(IDS, &[(ACK, true), (SYN | ACK, false), (FIN | ACK, true)]), ["none", "none", "none"]);
        assert_eq!(walk(MIDSTREAM, &[(RST, true)]), ["none"]);
        assert_eq!(walk(MIDSTREAM, &[(FIN | PSH | ACK, true)]), ["fin_wait1"]);
        // A FIN picks a session up only with data.
        assert_eq!(walk(MIDSTREAM, &[(FIN | ACK, true)]), ["none"]);
        assert_eq!(walk(MIDSTREAM, &[(ACK, true), (FIN | ACK, true)]), ["established", "close_wait"]);
        // A SYN/ACK picked up midstream is established by the server's next
        // packet, with or without the client.
        assert_eq!(
            walk(MIDSTREAM, &[(SYN | ACK, false), (ACK, false), (FIN | PSH | ACK, false)]),
            ["syn_recv", "established", "fin_wait1"]
        );
        let async_only = TcpPickup { async_oneside: true, ..IDS };
        assert_eq!(walk(async_only, &[(SYN | ACK, false), (ACK, false)]), ["syn_recv", "established"]);
    }

    #[test]
    fn syn_sent_takes_client_data_only_with_async_oneside() {
        let data = step(TcpState::SynSent, PSH | ACK, true, MIDSTREAM);
        assert_eq!(data, TcpStep { state: TcpState::SynSent, accepted: false, midstream: false });
        let async_on = TcpPickup { async_oneside: true, ..MIDSTREAM };
        let data = step(TcpState::SynSent, PSH | ACK, true, async_on);
        assert_eq!(data, TcpStep { state: TcpState::Established, accepted: true, midstream: false });
        assert!(!step(TcpState::None, ACK, true, IDS).accepted);
    }

    #[test]
    fn missed_handshake_meets_the_midstream_policy() {
        // Every packet without a session but a SYN or RST meets the policy,
        // picked up or not.
        let missed = |flags, pickup| step(TcpState::None, flags, true, pickup).midstream;
        assert!(missed(ACK, IDS) && missed(SYN | ACK, IDS) && missed(FIN | ACK, MIDSTREAM));
        assert!(!missed(SYN, IDS) && !missed(RST | ACK, MIDSTREAM));
        // Only the permissive policies let the session be picked up.
        for (policy, picked_up) in [
            (ExceptionPolicy::Ignore, true),
            (ExceptionPolicy::PassFlow, true),
            (ExceptionPolicy::PassPacket, true),
            (ExceptionPolicy::Bypass, false),
            (ExceptionPolicy::DropFlow, false),
            (ExceptionPolicy::Reject, false),
        ] {
            let on = TcpPickup { async_oneside: true, policy, ..MIDSTREAM };
            assert_eq!(walk(on, &[(SYN | ACK, false)]) == ["syn_recv"], picked_up, "{policy:?}");
            assert_eq!(walk(on, &[(ACK, true)]) == ["established"], picked_up, "{policy:?}");
            // A SYN is no midstream packet: the policy does not apply.
            assert_eq!(walk(on, &[(SYN, true)]), ["syn_sent"], "{policy:?}");
        }
    }
}
