//! TCP reassembly of one direction of a connection, as Suricata 7 does it in
//! IDS mode (`stream.inline: no`).
//!
//! A [`Stream`] holds the bytes one host sends. The flow table owns two of
//! them per TCP flow and drives them:
//!
//! 1. [`Stream::syn`] when the sender's SYN is seen (data begins at ISN+1), or
//!    [`Stream::start_at`] for a midstream pickup (data begins at that
//!    sequence number). A stream that gets [`Stream::segment`] before either
//!    starts at that segment's sequence number.
//! 2. [`Stream::segment`] for every packet of this direction that carries
//!    payload, with the captured payload and the length the IP header claims
//!    (they differ when the capture or the mirror truncated the packet).
//! 3. [`Stream::ack`] with the ACK number of every packet going the *other*
//!    way. Only acknowledged bytes become deliverable, as in Suricata's IDS
//!    mode (`AdjustToAcked` in `src/stream-tcp-reassemble.c`).
//! 4. [`Stream::close`] on FIN/RST and [`Stream::flush`] at end of capture or
//!    flow timeout: from then on buffered contiguous bytes are deliverable
//!    without ACK (Suricata's `PKT_PSEUDO_STREAM_END` handling).
//! 5. [`Stream::drain`] in a loop until it returns an empty [`Drained`]. Each
//!    call appends one contiguous run of bytes to the caller's buffer and says
//!    whether a gap precedes it; a gap can also come alone (`bytes == 0`).
//! 6. [`Stream::release`] when the flow is removed, so that its buffered
//!    bytes are given back to the [`MemBudget`]. Dropping a `Stream` without
//!    it leaks the budget's accounting (never memory).
//!
//! # What happens to a segment
//!
//! Sequence numbers are [`TcpSeq`] (wrapping comparisons); inside, every byte
//! has a 64-bit offset from the start of the stream, so streams longer than
//! 4 GiB are fine. A segment is converted relative to the reassembly point
//! (or the highest ACK, whichever is further); one more than [`MAX_AHEAD`]
//! bytes past anything the stream knows is ignored and counted as out of
//! window.
//!
//! * Bytes before the reassembly point were delivered already: they are a
//!   retransmission and ignored (Suricata prunes delivered segments too, so
//!   it cannot compare them either).
//! * Bytes at or beyond the reassembly depth are neither buffered nor
//!   delivered, and once a segment crossed the depth no further segment is
//!   accepted (`STREAMTCP_STREAM_FLAG_DEPTH_REACHED` in
//!   `StreamTcpReassembleCheckDepth`), even one that would fill a hole below.
//! * Bytes that overlap buffered bytes are compared. Identical bytes are a
//!   retransmission. Different bytes are resolved by the [`OverlapPolicy`]
//!   and counted once per segment (`stream.reassembly_overlap_different_data`).
//! * New bytes are charged to the [`MemBudget`] first; if they do not fit the
//!   whole segment is dropped and counted (Suricata's
//!   `tcp.segment_memcap_drop`). Nothing here panics or grows without bound.
//!
//! # Gaps
//!
//! When there is no data at the reassembly point but the receiver has
//! acknowledged past it, the sensor missed those bytes (capture loss, or a
//! mirror that truncated the packet) and they will never come: the stream
//! skips them and reports a gap, as Suricata's `GetAppBuffer` + `CheckGap`
//! do. The gap runs to the next buffered byte or to the ACK, whichever is
//! first, and is only declared when some data follows it (Suricata declares
//! none without a block after the hole). A truncated segment leaves its
//! missing tail as such a hole; because the stream knows from the claimed
//! length that those bytes were lost, after [`Stream::close`] it also skips
//! that hole without an ACK, where an ordinary hole stops delivery.
//! The parser must treat a gap as lost data and probe to resync.
//!
//! # Where it differs from Suricata
//!
//! * Suricata looks for overlaps by walking its segment tree backwards and
//!   stops at the first segment that ends before the new one starts, so a
//!   long segment further back that also overlaps escapes the policy (the
//!   new bytes then win). Here every overlapping segment is considered.
//! * With `stream.reassembly.check-overlap-different-data`, Suricata keeps a
//!   window of already-inspected bytes to compare late retransmissions
//!   against; here delivered bytes are freed at once.
//!
//! Window tracking, SYN/FIN/RST state and event raising belong to the flow
//! table; this module only counts ([`StreamCounters`]).
//!
//! # Example
//!
//! ```
//! use mirador_engine::flow::stream::{MemBudget, Stream, StreamConfig};
//!
//! let mut budget = MemBudget::default();
//! let mut client = Stream::new(&StreamConfig::default());
//! client.syn(1000);
//! client.segment(1006, b"world", 5, &mut budget); // out of order
//! client.segment(1001, b"hello", 5, &mut budget);
//! let mut out = Vec::new();
//! assert!(client.drain(&mut out, &mut budget).is_empty()); // not ACKed yet
//! client.ack(1011); // the server's ACK
//! loop {
//!     let d = client.drain(&mut out, &mut budget);
//!     if d.is_empty() {
//!         break;
//!     }
//!     assert_eq!(d.gap_before, None);
//! }
//! assert_eq!(out, b"helloworld");
//! client.release(&mut budget);
//! assert_eq!(budget.used(), 0);
//! ```

use std::collections::{BTreeMap, BTreeSet};

/// Default reassembly depth: Suricata's `stream.reassembly.depth` (1 MiB).
pub const DEFAULT_DEPTH: u64 = 1 << 20;

/// Default reassembly memory cap: Suricata's
/// `STREAMTCP_DEFAULT_REASSEMBLY_MEMCAP` (256 MiB). Suricata's cap is global;
/// a [`MemBudget`] bounds one worker.
pub const DEFAULT_MEMCAP: u64 = 256 << 20;

/// How far beyond what the stream knows (reassembly point, ACK, highest byte
/// seen) a segment or an ACK may point and still be believed: the largest
/// TCP window (65535 << 14, RFC 7323), rounded up. Further than that, a
/// sequence number is garbage or from another connection, and taking it
/// would move the 32-bit to 64-bit conversion off the real stream.
pub const MAX_AHEAD: u64 = 1 << 30;

/// Bytes charged to the budget for each buffered segment extent and each
/// known-lost range, on top of its payload: B-tree entries and chunk headers,
/// roughly. Without it, a flood of 1-byte segments would be charged 1 byte
/// each while costing ~100.
pub const SEGMENT_OVERHEAD: u64 = 64;

/// A TCP sequence number: compare with [`TcpSeq::before`] and
/// [`TcpSeq::after`] (RFC 793 modular arithmetic), never as raw `u32`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TcpSeq(pub u32);

/// `seq + n` wraps around 2^32.
impl std::ops::Add<u32> for TcpSeq {
    type Output = TcpSeq;

    fn add(self, n: u32) -> TcpSeq {
        TcpSeq(self.0.wrapping_add(n))
    }
}

impl TcpSeq {
    /// Signed distance `self - other`, correct while the two are less than
    /// 2^31 apart.
    pub fn diff(self, other: TcpSeq) -> i32 {
        self.0.wrapping_sub(other.0) as i32
    }

    /// `self` comes strictly before `other`.
    pub fn before(self, other: TcpSeq) -> bool {
        self.diff(other) < 0
    }

    /// `self` comes strictly after `other`.
    pub fn after(self, other: TcpSeq) -> bool {
        self.diff(other) > 0
    }
}

/// Which bytes win when a segment overlaps buffered bytes with different
/// content: the receiving host's TCP stack decides what the application
/// really got, so the sensor imitates it (target-based reassembly, Novak and
/// Sturges 2007).
///
/// The rules are Suricata 7's IDS-mode `DoHandleDataOverlap`
/// (`src/stream-tcp-list.c`). They compare the new segment `N` with each
/// buffered segment `O` it overlaps, by their extents `[start, end)`; a byte
/// takes `N`'s value only if `N` wins against every buffered segment that
/// covers the byte. Otherwise the byte already buffered stays.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OverlapPolicy {
    /// The data buffered first always wins (`OS_POLICY_FIRST`; Suricata's
    /// `vista` behaves so too, as no overlap case names it).
    First,
    /// The last data received always wins (`OS_POLICY_LAST`).
    Last,
    /// `N` wins only where it starts before `O` (`N.start < O.start`).
    /// Suricata's default for hosts not in `host-os-policy`
    /// (`OS_POLICY_DEFAULT = OS_POLICY_BSD`, `src/stream-tcp.c`).
    #[default]
    Bsd,
    /// Same rule as [`OverlapPolicy::Bsd`]: Suricata 7 handles
    /// `OS_POLICY_WINDOWS` in the same case. The stock `suricata.yaml` maps
    /// `0.0.0.0/0` to `windows`, so both defaults behave alike.
    Windows,
    /// `N` wins where it starts before `O`, or starts with `O` and ends after
    /// it (`OS_POLICY_LINUX`).
    Linux,
    /// `N` wins where it starts before `O`, or starts with `O` and ends at or
    /// after its end (`OS_POLICY_OLD_LINUX`).
    OldLinux,
    /// `N` wins where it ends at or after `O`'s end and starts at or before
    /// `O`'s start, or where it starts after `O` and ends after it
    /// (`OS_POLICY_SOLARIS`, `OS_POLICY_HPUX11`).
    Solaris,
}

impl OverlapPolicy {
    /// The policy of a Suricata `host-os-policy` name (`-` or `_`), mapped
    /// onto the rule Suricata 7 applies to it: `bsd-right` is turned into
    /// `bsd` and `old-solaris` into `solaris` by `StreamTcpSetOSPolicy`;
    /// `hpux10`, `irix`, `macos` and `windows2k3` share the bsd rule, `hpux11`
    /// the solaris rule, and `vista` matches no case and so keeps the first
    /// data. `first` and `last` are accepted too.
    pub fn from_name(name: &str) -> Option<OverlapPolicy> {
        Some(match name {
            "first" | "vista" => OverlapPolicy::First,
            "last" => OverlapPolicy::Last,
            "bsd" | "bsd-right" | "bsd_right" | "hpux10" | "irix" | "macos" | "windows2k3" => OverlapPolicy::Bsd,
            "windows" => OverlapPolicy::Windows,
            "linux" => OverlapPolicy::Linux,
            "old-linux" | "old_linux" => OverlapPolicy::OldLinux,
            "solaris" | "old-solaris" | "old_solaris" | "hpux11" => OverlapPolicy::Solaris,
            _ => return None,
        })
    }

    /// Does the new segment's data replace the old segment's where they
    /// overlap? Extents are `[start, end)` stream offsets.
    fn new_wins(self, new: (u64, u64), old: (u64, u64)) -> bool {
        let (ns, ne) = new;
        let (os, oe) = old;
        match self {
            OverlapPolicy::First => false,
            OverlapPolicy::Last => true,
            OverlapPolicy::Bsd | OverlapPolicy::Windows => ns < os,
            OverlapPolicy::Linux => ns < os || (ns == os && ne > oe),
            OverlapPolicy::OldLinux => ns < os || (ns == os && ne >= oe),
            OverlapPolicy::Solaris => (ns <= os && ne >= oe) || (ns > os && ne > oe),
        }
    }
}

/// Settings of a stream. `Default` is Suricata's defaults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamConfig {
    /// Bytes from the start of the stream that are reassembled; 0 means no
    /// limit (`stream.reassembly.depth`).
    pub depth: u64,
    /// Overlap policy of the receiving host.
    pub policy: OverlapPolicy,
    /// Inline (IPS) reassembly, Suricata's `stream.inline` or
    /// `--simulate-ips`: in-order data is delivered as it arrives, without
    /// waiting for the receiver's ACK.
    pub inline: bool,
    /// `stream.reassembly.urgent.policy: oob`: the byte a TCP urgent
    /// pointer designates is out of band and left out of the stream (the
    /// default, `inline`, keeps it).
    pub urgent_oob: bool,
}

impl Default for StreamConfig {
    fn default() -> Self {
        StreamConfig { depth: DEFAULT_DEPTH, policy: OverlapPolicy::default(), inline: false, urgent_oob: false }
    }
}

/// Suricata's `host-os-policy`: the overlap policy of the hosts in some
/// networks. Each direction of a connection is reassembled with the policy
/// of its receiver, the most specific network that holds it deciding.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostOsPolicy {
    /// (network address, prefix length, policy).
    nets: Vec<(std::net::IpAddr, u8, OverlapPolicy)>,
}

impl HostOsPolicy {
    /// Adds the hosts of `net` (`10.0.0.0/8`, an address alone, IPv6 too);
    /// false when it is not a network.
    pub fn add(&mut self, net: &str, policy: OverlapPolicy) -> bool {
        let (addr, len) = match net.split_once('/') {
            Some((a, l)) => (a, l.trim().parse::<u8>().ok()),
            None => (net, None),
        };
        let Ok(ip) = addr.trim().parse::<std::net::IpAddr>() else { return false };
        let max = if ip.is_ipv4() { 32 } else { 128 };
        match len.unwrap_or(max) {
            l if l <= max => self.nets.push((ip, l, policy)),
            _ => return false,
        }
        true
    }

    /// The policy of host `ip`, if a network holds it.
    pub fn policy_for(&self, ip: std::net::IpAddr) -> Option<OverlapPolicy> {
        use std::net::IpAddr::{V4, V6};
        let prefix = |v: u128, bits: u32, len: u8| if len == 0 { 0 } else { v >> (bits - u32::from(len)) };
        self.nets
            .iter()
            .filter(|(net, len, _)| match (net, ip) {
                (V4(n), V4(a)) => prefix(u32::from(*n).into(), 32, *len) == prefix(u32::from(a).into(), 32, *len),
                (V6(n), V6(a)) => prefix(u128::from(*n), 128, *len) == prefix(u128::from(a), 128, *len),
                _ => false,
            })
            .max_by_key(|(_, len, _)| *len)
            .map(|(_, _, p)| *p)
    }
}

/// Most urgent bytes remembered per stream for removal; beyond it they stay
/// in the stream (a flood of urgent pointers cannot grow memory).
const MAX_OOB: usize = 64;

/// Memory shared by every stream of one worker: buffered bytes plus
/// [`SEGMENT_OVERHEAD`] per segment are charged against `cap`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemBudget {
    cap: u64,
    used: u64,
    dropped: u64,
}

impl MemBudget {
    /// A budget of `cap` bytes (`u64::MAX` for no limit).
    pub fn new(cap: u64) -> Self {
        MemBudget { cap, used: 0, dropped: 0 }
    }

    /// The cap in bytes.
    pub fn cap(&self) -> u64 {
        self.cap
    }

    /// Bytes charged now.
    pub fn used(&self) -> u64 {
        self.used
    }

    /// Segments dropped because the budget was exhausted.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    fn fits(&self, n: u64) -> bool {
        self.used.saturating_add(n) <= self.cap
    }
}

impl Default for MemBudget {
    /// [`DEFAULT_MEMCAP`].
    fn default() -> Self {
        MemBudget::new(DEFAULT_MEMCAP)
    }
}

/// What [`Stream::segment`] did with a segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SegmentOutcome {
    /// Some bytes not seen before were buffered (the rest, if any, was
    /// identical to what was buffered).
    New,
    /// Nothing new: every byte was already buffered with the same content, or
    /// already delivered.
    Retransmission,
    /// Overlapped buffered bytes with different content; the overlap policy
    /// decided and the conflict was counted. New bytes may also have been
    /// buffered.
    OverlapDifferent,
    /// Nothing buffered: at or beyond the reassembly depth.
    BeyondDepth,
    /// Nothing buffered: the memory budget is exhausted.
    Dropped,
    /// Nothing buffered: no payload captured, or the sequence number is out
    /// of window (see [`MAX_AHEAD`]).
    Ignored,
}

/// One call of [`Stream::drain`]: a contiguous run of bytes, possibly
/// preceded by a gap.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Drained {
    /// Bytes appended to the caller's buffer.
    pub bytes: usize,
    /// Length of the gap (bytes never seen) skipped just before these bytes.
    pub gap_before: Option<u64>,
    /// Stream offset of the first byte appended (after the gap).
    pub stream_offset: u64,
}

impl Drained {
    /// Nothing happened: no bytes and no gap. Stop draining.
    pub fn is_empty(&self) -> bool {
        self.bytes == 0 && self.gap_before.is_none()
    }
}

/// Counters of one stream. Names follow Suricata's stats where one exists.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StreamCounters {
    /// Segments with payload given to [`Stream::segment`].
    pub segments: u64,
    /// Segments that brought nothing new (identical or already delivered).
    pub retransmissions: u64,
    /// Segments that overlapped buffered segments (`tcp.overlap`).
    pub overlaps: u64,
    /// Segments that overlapped buffered bytes with different content
    /// (`tcp.overlap_diff_data`, event
    /// `stream.reassembly_overlap_different_data`).
    pub overlaps_different: u64,
    /// Gaps skipped (`tcp.reassembly_gap`).
    pub gaps: u64,
    /// Bytes skipped by gaps.
    pub gap_bytes: u64,
    /// Segment bytes not buffered because of the depth (retransmissions are
    /// counted again).
    pub depth_dropped_bytes: u64,
    /// Segments dropped because the memory budget was exhausted
    /// (`tcp.segment_memcap_drop`).
    pub memcap_drops: u64,
    /// Segments captured shorter than their IP length claims.
    pub truncated: u64,
    /// Bytes missing from truncated segments.
    pub truncated_bytes: u64,
    /// Segments and ACKs ignored as out of window.
    pub out_of_window: u64,
}

/// One direction of a TCP connection being reassembled.
#[derive(Debug)]
pub struct Stream {
    depth: u64,
    policy: OverlapPolicy,
    /// See [`StreamConfig::inline`].
    inline: bool,
    /// Started by a SYN (later SYNs are ignored).
    from_syn: bool,
    started: bool,
    /// Sequence number of stream offset 0.
    base: TcpSeq,
    /// Reassembly point: offset of the next byte to deliver.
    next: u64,
    /// Highest acknowledged offset (bytes below it are acknowledged).
    ack: u64,
    /// Highest end offset of a segment accepted.
    seen_end: u64,
    closed: bool,
    depth_reached: bool,
    /// Current content, as non-overlapping chunks keyed by start offset; all
    /// at or after `next`.
    data: BTreeMap<u64, Vec<u8>>,
    /// Extents `[start, end)` of the segments buffered, as Suricata's segment
    /// tree keeps them: the overlap policy looks at these. Pruned once
    /// delivered. Every byte in `[next, ..)` inside an extent has data.
    extents: BTreeSet<(u64, u64)>,
    /// Ranges known lost (truncated tails): start -> end.
    lost: BTreeMap<u64, u64>,
    /// Longest extent ever buffered, to bound overlap searches.
    max_extent: u64,
    /// Payload bytes in `data`.
    buffered: u64,
    /// What this stream has charged to the budget.
    charged: u64,
    delivered: u64,
    urgent_oob: bool,
    /// Stream offsets of urgent bytes still to be left out, ascending.
    oob: Vec<u64>,
    /// Counters.
    pub counters: StreamCounters,
}

impl Stream {
    /// A stream not started yet.
    pub fn new(cfg: &StreamConfig) -> Self {
        Stream {
            depth: cfg.depth,
            policy: cfg.policy,
            inline: cfg.inline,
            from_syn: false,
            started: false,
            base: TcpSeq(0),
            next: 0,
            ack: 0,
            seen_end: 0,
            closed: false,
            depth_reached: false,
            data: BTreeMap::new(),
            extents: BTreeSet::new(),
            lost: BTreeMap::new(),
            max_extent: 0,
            buffered: 0,
            charged: 0,
            delivered: 0,
            urgent_oob: cfg.urgent_oob,
            oob: Vec::new(),
            counters: StreamCounters::default(),
        }
    }

    /// A segment starting at `seq` carries urgent pointer `urp`: with the
    /// `oob` urgent policy the byte before the pointer (BSD semantics, as
    /// Suricata) is out of band and will be left out when drained.
    pub fn urgent(&mut self, seq: u32, urp: u16) {
        if !self.urgent_oob || urp == 0 || !self.started {
            return;
        }
        let off = self.offset_of(TcpSeq(seq) + u32::from(urp - 1));
        if off < self.next as i64 || self.oob.len() >= MAX_OOB {
            return;
        }
        if let Err(i) = self.oob.binary_search(&(off as u64)) {
            self.oob.insert(i, off as u64);
        }
    }

    /// Bytes of sequence space this side used so far, SYN included, as
    /// `stream_size` counts them (Suricata: next sequence number minus the
    /// initial one); None before the side started.
    pub fn size(&self) -> Option<u64> {
        self.started.then_some(self.seen_end + 1)
    }

    /// The sender's SYN with initial sequence number `seq`: data begins at
    /// `seq + 1`. The first SYN wins: a later one (a retransmission, or a
    /// SYN flood's forged SYNs on the same ports before the real one) does
    /// not move the stream, as Suricata keeps the first SYN's sequence
    /// number in SYN_SENT (a handshake that then answers another SYN never
    /// completes, and its data is not reassembled).
    pub fn syn(&mut self, seq: u32) {
        if self.from_syn {
            return;
        }
        self.from_syn = true;
        self.begin(TcpSeq(seq) + 1);
    }

    /// Midstream pickup: data begins at `seq`. Ignored once data was seen.
    pub fn start_at(&mut self, seq: u32) {
        self.begin(TcpSeq(seq));
    }

    fn begin(&mut self, base: TcpSeq) {
        if self.started && (self.seen_end > 0 || self.next > 0 || !self.data.is_empty()) {
            return;
        }
        self.started = true;
        self.base = base;
        self.ack = 0;
    }

    /// A segment of this direction: `data` is the captured payload,
    /// `claimed_len` the payload length the IP header claims (the same unless
    /// the packet was truncated; a smaller value is taken as `data.len()`).
    pub fn segment(&mut self, seq: u32, data: &[u8], claimed_len: usize, budget: &mut MemBudget) -> SegmentOutcome {
        let captured = data.len() as u64;
        let claimed = (claimed_len as u64).max(captured);
        if claimed == 0 {
            return SegmentOutcome::Ignored;
        }
        if !self.started {
            self.start_at(seq);
        }
        self.counters.segments += 1;
        let s = self.offset_of(TcpSeq(seq));
        if s > (self.horizon() + MAX_AHEAD) as i64 {
            self.counters.out_of_window += 1;
            return SegmentOutcome::Ignored;
        }
        let cap_end = s + captured as i64;
        if claimed > captured {
            self.counters.truncated += 1;
            self.counters.truncated_bytes += claimed - captured;
            self.note_lost(cap_end, s + claimed as i64, budget);
        }
        if captured == 0 {
            return SegmentOutcome::Ignored;
        }
        if cap_end <= self.next as i64 {
            self.counters.retransmissions += 1;
            return SegmentOutcome::Retransmission;
        }
        if self.depth_reached {
            self.counters.depth_dropped_bytes += captured;
            return SegmentOutcome::BeyondDepth;
        }
        let start = s.max(0) as u64;
        let mut end = cap_end as u64;
        if self.depth > 0 {
            if start >= self.depth {
                self.depth_reached = true;
                self.counters.depth_dropped_bytes += end - start;
                return SegmentOutcome::BeyondDepth;
            }
            if end > self.depth {
                self.depth_reached = true;
                self.counters.depth_dropped_bytes += end - self.depth;
                end = self.depth;
            }
        }
        let from = start.max(self.next);
        if from >= end {
            // Only possible when the depth cut it: what is left below the
            // depth was delivered already.
            return SegmentOutcome::BeyondDepth;
        }
        let payload = &data[(from as i64 - s) as usize..(end as i64 - s) as usize];
        self.seen_end = self.seen_end.max(end);
        self.insert((start, end), from, payload, budget)
    }

    /// Buffers `payload`, which covers `[from, extent.1)`, for a segment of
    /// extent `extent`.
    fn insert(&mut self, extent: (u64, u64), from: u64, payload: &[u8], budget: &mut MemBudget) -> SegmentOutcome {
        let end = extent.1;
        let first_key = match self.data.range(..from).next_back() {
            Some((&k, v)) if k + v.len() as u64 > from => k,
            _ => from,
        };
        if self.data.range(first_key..end).next().is_none() {
            // Fast path: nothing buffered there, hence no extent overlaps
            // (extents past `next` are covered by data).
            let new_extent = !self.extents.contains(&extent);
            let need = (end - from) + if new_extent { SEGMENT_OVERHEAD } else { 0 };
            if !budget.fits(need) {
                self.counters.memcap_drops += 1;
                budget.dropped += 1;
                return SegmentOutcome::Dropped;
            }
            self.data.insert(from, payload.to_vec());
            self.buffered += end - from;
            if new_extent {
                self.extents.insert(extent);
                self.max_extent = self.max_extent.max(extent.1 - extent.0);
            }
            self.settle(budget);
            return SegmentOutcome::New;
        }
        // Ranges of [from, end) not buffered yet.
        let mut holes: Vec<(u64, u64)> = Vec::new();
        let mut cursor = from;
        for (&k, chunk) in self.data.range(first_key..end) {
            if k > cursor {
                holes.push((cursor, k));
            }
            cursor = cursor.max(k + chunk.len() as u64);
        }
        if cursor < end {
            holes.push((cursor, end));
        }
        let new_bytes: u64 = holes.iter().map(|(a, b)| b - a).sum();
        let new_extent = !self.extents.contains(&extent);
        let need = new_bytes + if new_extent { SEGMENT_OVERHEAD } else { 0 };
        if need > 0 && !budget.fits(need) {
            self.counters.memcap_drops += 1;
            budget.dropped += 1;
            return SegmentOutcome::Dropped;
        }

        let lo = (from.saturating_sub(self.max_extent), 0);
        let overlapped = self.extents.range(lo..(end, 0)).any(|&(_, oe)| oe > from);
        let mut different = false;
        if new_bytes < end - from {
            // Ranges where some buffered segment beats the new one.
            let policy = self.policy;
            let protected: Vec<(u64, u64)> = self
                .extents
                .range(lo..(end, 0))
                .filter(|&&(os, oe)| oe > from && !policy.new_wins(extent, (os, oe)))
                .map(|&(os, oe)| (os.max(from), oe.min(end)))
                .collect();
            for (&k, chunk) in self.data.range_mut(first_key..end) {
                let x = k.max(from);
                let y = (k + chunk.len() as u64).min(end);
                if x >= y {
                    continue;
                }
                let old = &mut chunk[(x - k) as usize..(y - k) as usize];
                let new = &payload[(x - from) as usize..(y - from) as usize];
                if old == new {
                    continue;
                }
                different = true;
                for (i, (o, n)) in old.iter_mut().zip(new).enumerate() {
                    let p = x + i as u64;
                    if o != n && !protected.iter().any(|&(a, b)| a <= p && p < b) {
                        *o = *n;
                    }
                }
            }
        }
        for (a, b) in holes {
            let piece = payload[(a - from) as usize..(b - from) as usize].to_vec();
            self.data.insert(a, piece);
        }
        self.buffered += new_bytes;
        if new_extent {
            self.extents.insert(extent);
            self.max_extent = self.max_extent.max(extent.1 - extent.0);
        }
        self.settle(budget);
        if overlapped {
            self.counters.overlaps += 1;
        }
        if different {
            self.counters.overlaps_different += 1;
            SegmentOutcome::OverlapDifferent
        } else if new_bytes > 0 {
            SegmentOutcome::New
        } else {
            self.counters.retransmissions += 1;
            SegmentOutcome::Retransmission
        }
    }

    /// Records `[a, b)` (offsets, possibly negative) as known lost.
    fn note_lost(&mut self, a: i64, b: i64, budget: &mut MemBudget) {
        let a = a.max(self.next as i64) as u64;
        let mut b = b.max(0) as u64;
        if self.depth > 0 {
            b = b.min(self.depth);
        }
        if b <= a {
            return;
        }
        if let Some(e) = self.lost.get_mut(&a) {
            *e = (*e).max(b);
            return;
        }
        if budget.fits(SEGMENT_OVERHEAD) {
            self.lost.insert(a, b);
            self.settle(budget);
        }
    }

    /// The other side acknowledged every byte before sequence number `ack`.
    /// ACKs that go backwards are ignored, as are ACKs before the stream
    /// started.
    pub fn ack(&mut self, ack: u32) {
        if !self.started {
            return;
        }
        let off = self.offset_of(TcpSeq(ack));
        if off <= self.ack as i64 {
            return;
        }
        if off > (self.horizon() + MAX_AHEAD) as i64 {
            self.counters.out_of_window += 1;
            return;
        }
        self.ack = off as u64;
    }

    /// FIN or RST: buffered contiguous bytes are deliverable without ACK.
    /// Holes still need an ACK past them (or to be known lost) to be skipped.
    pub fn close(&mut self) {
        self.closed = true;
    }

    /// End of capture or flow timeout: the same delivery rule as
    /// [`Stream::close`], which is what Suricata applies to its pseudo
    /// stream-end packets.
    pub fn flush(&mut self) {
        self.closed = true;
    }

    /// Appends the next contiguous run of deliverable bytes to `out` and
    /// releases their memory. Call in a loop until the result
    /// [`is_empty`](Drained::is_empty): a gap ends a run.
    pub fn drain(&mut self, out: &mut Vec<u8>, budget: &mut MemBudget) -> Drained {
        let mut d = Drained { bytes: 0, gap_before: None, stream_offset: self.next };
        let Some((&first, _)) = self.data.first_key_value() else {
            return d;
        };
        let limit = if self.closed || self.inline { u64::MAX } else { self.ack };
        if first > self.next {
            let gap_end = if first < limit && self.lost_covers(self.next, first) {
                first
            } else if self.ack > self.next {
                first.min(self.ack)
            } else {
                return d;
            };
            let gap = gap_end - self.next;
            self.next = gap_end;
            self.counters.gaps += 1;
            self.counters.gap_bytes += gap;
            d.gap_before = Some(gap);
            d.stream_offset = gap_end;
            if gap_end < first {
                self.prune(budget);
                return d;
            }
        }
        while self.next < limit {
            let Some(mut entry) = self.data.first_entry() else {
                break;
            };
            if *entry.key() != self.next {
                break;
            }
            let len = entry.get().len() as u64;
            let take = len.min(limit - self.next);
            if take == len {
                out.extend_from_slice(&entry.remove());
            } else {
                let chunk = entry.get_mut();
                out.extend_from_slice(&chunk[..take as usize]);
                chunk.drain(..take as usize);
                let rest = entry.remove();
                self.data.insert(self.next + take, rest);
            }
            self.next += take;
            self.buffered -= take;
            d.bytes += take as usize;
        }
        if !self.oob.is_empty() {
            // Out-of-band urgent bytes inside what was just drained go.
            let (from, to) = (d.stream_offset, d.stream_offset + d.bytes as u64);
            let start = out.len() - d.bytes;
            for &o in self.oob.iter().rev().filter(|&&o| o >= from && o < to) {
                out.remove(start + (o - from) as usize);
                d.bytes -= 1;
            }
            self.oob.retain(|&o| o >= to);
        }
        self.delivered += d.bytes as u64;
        self.prune(budget);
        d
    }

    /// Frees everything buffered and gives it back to the budget. Call when
    /// the flow is removed.
    pub fn release(&mut self, budget: &mut MemBudget) {
        self.data.clear();
        self.extents.clear();
        self.lost.clear();
        self.buffered = 0;
        self.settle(budget);
    }

    /// Gives the stream's memory charge back to `budget` but keeps its
    /// bytes: for a stream leaving its flow table whose last bytes (also
    /// those never ACKed) are still to be flushed and inspected, as
    /// Suricata's flow-timeout and shutdown pseudo packets do. Later calls
    /// charge a budget from zero.
    pub fn detach(&mut self, budget: &mut MemBudget) {
        budget.used = budget.used.saturating_sub(self.charged);
        self.charged = 0;
    }

    /// Bytes delivered so far (gaps not included).
    pub fn delivered(&self) -> u64 {
        self.delivered
    }

    /// Stream offset of the next byte to deliver (gaps included).
    pub fn next_offset(&self) -> u64 {
        self.next
    }

    /// Payload bytes buffered, waiting for ACK or for a hole to fill.
    pub fn buffered(&self) -> u64 {
        self.buffered
    }

    /// A segment reached the depth: nothing more is accepted.
    pub fn depth_reached(&self) -> bool {
        self.depth_reached
    }

    /// [`Stream::syn`], [`Stream::start_at`] or a first segment was seen.
    pub fn is_started(&self) -> bool {
        self.started
    }

    /// [`Stream::close`] or [`Stream::flush`] was called.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// The furthest offset the stream knows of.
    fn horizon(&self) -> u64 {
        self.next.max(self.ack).max(self.seen_end)
    }

    /// Stream offset of `seq`, converted around the reassembly point or the
    /// ACK (whichever is further); negative before the stream start.
    fn offset_of(&self, seq: TcpSeq) -> i64 {
        let anchor = self.next.max(self.ack);
        // Truncating to the low 32 bits is the modular arithmetic wanted.
        let anchor_seq = self.base + anchor as u32;
        anchor as i64 + seq.diff(anchor_seq) as i64
    }

    /// `[a, b)` is entirely covered by known-lost ranges.
    fn lost_covers(&self, a: u64, b: u64) -> bool {
        let mut cover = a;
        for (&ls, &le) in self.lost.range(..b) {
            if ls > cover {
                return false;
            }
            cover = cover.max(le);
            if cover >= b {
                return true;
            }
        }
        false
    }

    /// Forgets extents and lost ranges behind the reassembly point.
    fn prune(&mut self, budget: &mut MemBudget) {
        // Entries starting before `next` are the dead ones plus the few that
        // straddle `next`, so these scans stay short.
        let next = self.next;
        while let Some(&e) = self.extents.range(..(next, 0)).find(|e| e.1 <= next) {
            self.extents.remove(&e);
        }
        while let Some((&s, _)) = self.lost.range(..next).find(|(_, &e)| e <= next) {
            self.lost.remove(&s);
        }
        self.settle(budget);
    }

    /// Brings the budget in line with what this stream holds.
    fn settle(&mut self, budget: &mut MemBudget) {
        let cost = self.buffered + SEGMENT_OVERHEAD * (self.extents.len() + self.lost.len()) as u64;
        if cost >= self.charged {
            budget.used = budget.used.saturating_add(cost - self.charged);
        } else {
            budget.used = budget.used.saturating_sub(self.charged - cost);
        }
        self.charged = cost;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Drains everything deliverable; gaps are rendered as `_`.
    fn render(s: &mut Stream, b: &mut MemBudget) -> String {
        let mut out = Vec::new();
        let mut text = String::new();
        loop {
            let before = out.len();
            let d = s.drain(&mut out, b);
            if d.is_empty() {
                break;
            }
            if let Some(g) = d.gap_before {
                text.extend(std::iter::repeat_n('_', g as usize));
            }
            assert_eq!(out.len() - before, d.bytes);
            text.push_str(&String::from_utf8_lossy(&out[before..]));
        }
        text
    }

    #[test]
    fn the_first_syn_wins() {
        let mut b = MemBudget::new(u64::MAX);
        let mut s = Stream::new(&StreamConfig::default());
        s.syn(99);
        // A forged SYN with another number does not move the stream.
        s.syn(4_000_000_000);
        s.segment(100, b"GET ", 4, &mut b);
        s.segment(4_000_000_001, b"LATE", 4, &mut b);
        s.ack(104);
        assert_eq!(render(&mut s, &mut b), "GET ");
    }

    #[test]
    fn inline_delivers_in_order_data_without_ack() {
        let mut b = MemBudget::new(u64::MAX);
        let mut ids = Stream::new(&StreamConfig::default());
        let mut ips = Stream::new(&StreamConfig { inline: true, ..StreamConfig::default() });
        for s in [&mut ids, &mut ips] {
            s.syn(99);
            s.segment(100, b"GET ", 4, &mut b);
            s.segment(108, b"HTTP", 4, &mut b);
        }
        // IDS waits for the receiver's ACK; inline delivers what is in order
        // and still waits at the hole.
        assert_eq!(render(&mut ids, &mut b), "");
        assert_eq!(render(&mut ips, &mut b), "GET ");
        ips.segment(104, b"/ x ", 4, &mut b);
        assert_eq!(render(&mut ips, &mut b), "/ x HTTP");
    }

    #[test]
    fn urgent_byte_is_left_out_with_the_oob_policy() {
        // As in the suite's tcp-urgp captures: "GET /malic", then one
        // urgent byte (pointer 1), then "ious".
        let mut b = MemBudget::new(u64::MAX);
        let mut inline = Stream::new(&StreamConfig::default());
        let mut oob = Stream::new(&StreamConfig { urgent_oob: true, ..StreamConfig::default() });
        for s in [&mut inline, &mut oob] {
            s.syn(0);
            s.segment(1, b"GET /malic", 10, &mut b);
            s.segment(11, b"?", 1, &mut b);
            s.urgent(11, 1);
            s.segment(12, b"ious", 4, &mut b);
            s.ack(16);
        }
        assert_eq!(render(&mut inline, &mut b), "GET /malic?ious");
        assert_eq!(render(&mut oob, &mut b), "GET /malicious");
        assert!(oob.oob.is_empty());
    }

    #[test]
    fn host_os_policy_picks_the_most_specific_network() {
        let mut h = HostOsPolicy::default();
        assert!(h.add("10.0.0.0/8", OverlapPolicy::Windows));
        assert!(h.add("10.1.0.0/16", OverlapPolicy::OldLinux));
        assert!(h.add("2001:db8::/32", OverlapPolicy::Bsd));
        assert!(!h.add("10.0.0.0/33", OverlapPolicy::Bsd) && !h.add("nope", OverlapPolicy::Bsd));
        assert_eq!(h.policy_for("10.1.2.3".parse().unwrap()), Some(OverlapPolicy::OldLinux));
        assert_eq!(h.policy_for("10.2.2.3".parse().unwrap()), Some(OverlapPolicy::Windows));
        assert_eq!(h.policy_for("2001:db8::1".parse().unwrap()), Some(OverlapPolicy::Bsd));
        assert_eq!(h.policy_for("192.168.0.1".parse().unwrap()), None);
    }

    /// The internal invariants the module relies on.
    fn check_invariants(s: &Stream) {
        let mut at = s.next;
        let mut total = 0;
        for (&k, v) in &s.data {
            assert!(k >= at, "chunks sorted, disjoint, at or after next");
            assert!(!v.is_empty());
            at = k + v.len() as u64;
            total += v.len() as u64;
        }
        assert_eq!(total, s.buffered);
        for &(a, e) in &s.extents {
            assert!(e > s.next, "delivered extents are pruned");
            // Every byte of an extent past `next` has data.
            let mut p = a.max(s.next);
            while p < e {
                let (&k, v) = s.data.range(..=p).next_back().expect("covered");
                assert!(k + v.len() as u64 > p, "extent byte {p} has data");
                p = k + v.len() as u64;
            }
        }
        let cost = s.buffered + SEGMENT_OVERHEAD * (s.extents.len() + s.lost.len()) as u64;
        assert_eq!(cost, s.charged);
    }

    #[derive(Clone, Copy)]
    enum Start {
        Syn,
        /// start_at(ISN + 1 + n)
        Mid(u32),
        /// No start call: the first segment starts the stream.
        Auto,
    }

    /// Operations; sequence numbers are relative to ISN + 1.
    #[derive(Clone, Copy)]
    enum Op {
        Seg(u32, &'static str),
        /// Captured bytes, claimed length.
        Trunc(u32, &'static str, usize),
        Ack(u32),
        Close,
        /// Drains and expects this rendering (`_` = gap byte).
        Drain(&'static str),
    }
    use Op::*;

    struct Case {
        name: &'static str,
        start: Start,
        depth: u64,
        ops: &'static [Op],
        /// (retransmissions, overlaps_different, gaps) at the end.
        counts: (u64, u64, u64),
    }

    const CASES: &[Case] = &[
        Case {
            name: "in_order_waits_for_ack",
            start: Start::Syn,
            depth: 0,
            ops: &[Seg(0, "hello "), Seg(6, "world"), Drain(""), Ack(11), Drain("hello world"), Drain("")],
            counts: (0, 0, 0),
        },
        Case {
            name: "partial_ack_delivers_prefix",
            start: Start::Syn,
            depth: 0,
            ops: &[
                Seg(0, "hello world"),
                Ack(5),
                Drain("hello"),
                Ack(3), // backwards: ignored
                Drain(""),
                Ack(11),
                Drain(" world"),
            ],
            counts: (0, 0, 0),
        },
        Case {
            name: "out_of_order_then_filled",
            start: Start::Syn,
            depth: 0,
            ops: &[
                Seg(6, "world"),
                Seg(11, "!"),
                Drain(""),
                Seg(0, "hello "),
                Drain(""),
                Ack(12),
                Drain("hello world!"),
            ],
            counts: (0, 0, 0),
        },
        Case {
            name: "retransmission_identical",
            start: Start::Syn,
            depth: 0,
            ops: &[
                Seg(0, "hello"),
                Seg(0, "hello"),
                Seg(2, "llo"),
                Ack(5),
                Drain("hello"),
                Seg(0, "hel"), // already delivered
                Drain(""),
            ],
            counts: (3, 0, 0),
        },
        Case {
            name: "ack_past_hole_is_gap",
            start: Start::Syn,
            depth: 0,
            ops: &[Seg(0, "abc"), Seg(6, "ghi"), Ack(9), Drain("abc___ghi")],
            counts: (0, 0, 1),
        },
        Case {
            name: "ack_inside_hole_partial_gap",
            start: Start::Syn,
            depth: 0,
            ops: &[Seg(0, "abc"), Seg(6, "ghi"), Ack(5), Drain("abc__"), Ack(9), Drain("_ghi")],
            counts: (0, 0, 2),
        },
        Case {
            name: "ack_past_end_without_data_after_is_no_gap",
            start: Start::Syn,
            depth: 0,
            ops: &[
                Seg(0, "abc"),
                Ack(9),
                Drain("abc"),
                Seg(6, "ghi"),
                Drain("___ghi"),
                Seg(3, "def"), // the lost bytes, too late
                Drain(""),
            ],
            counts: (1, 0, 1),
        },
        Case {
            name: "hole_not_acked_blocks_even_after_close",
            start: Start::Syn,
            depth: 0,
            ops: &[Seg(0, "abc"), Seg(6, "ghi"), Close, Drain("abc")],
            counts: (0, 0, 0),
        },
        Case {
            name: "close_delivers_unacked_contiguous",
            start: Start::Syn,
            depth: 0,
            ops: &[Seg(0, "hello"), Ack(2), Close, Drain("hello")],
            counts: (0, 0, 0),
        },
        Case {
            name: "truncated_segment_leaves_gap_on_ack",
            start: Start::Syn,
            depth: 0,
            ops: &[Trunc(0, "abc", 6), Seg(6, "ghi"), Ack(9), Drain("abc___ghi")],
            counts: (0, 0, 1),
        },
        Case {
            name: "truncated_tail_skipped_on_close",
            start: Start::Syn,
            depth: 0,
            ops: &[Trunc(0, "abc", 6), Seg(6, "ghi"), Drain(""), Close, Drain("abc___ghi")],
            counts: (0, 0, 1),
        },
        Case {
            name: "truncated_tail_filled_by_retransmission",
            start: Start::Syn,
            depth: 0,
            ops: &[Trunc(0, "abc", 6), Seg(3, "def"), Seg(6, "ghi"), Ack(9), Drain("abcdefghi")],
            counts: (0, 0, 0),
        },
        Case {
            name: "depth_cuts_and_stops",
            start: Start::Syn,
            depth: 8,
            ops: &[
                Seg(0, "abcdef"),
                Seg(6, "ghijkl"), // only "gh" fits
                Seg(8, "mn"),
                Ack(14),
                Drain("abcdefgh"),
            ],
            counts: (0, 0, 0),
        },
        Case {
            name: "depth_straddled_after_all_delivered",
            start: Start::Syn,
            depth: 8,
            ops: &[
                Seg(0, "abcdefgh"),
                Ack(8),
                Drain("abcdefgh"),
                Seg(6, "ghij"),
                Seg(7, "h"), // delivered already
                Ack(10),
                Drain(""),
            ],
            counts: (1, 0, 0),
        },
        Case {
            // Suricata's DEPTH_REACHED flag refuses later segments, even
            // ones below the depth.
            name: "depth_reached_refuses_hole_filler",
            start: Start::Syn,
            depth: 8,
            ops: &[Seg(6, "ghijkl"), Seg(0, "abcdef"), Ack(12), Drain("______gh")],
            counts: (0, 0, 1),
        },
        Case {
            name: "midstream_start_at",
            start: Start::Mid(100),
            depth: 0,
            ops: &[
                Seg(95, "01234"), // before the start: old
                Seg(100, "xyz"),
                Ack(103),
                Drain("xyz"),
            ],
            counts: (1, 0, 0),
        },
        Case {
            name: "midstream_auto_start_first_segment",
            start: Start::Auto,
            depth: 0,
            // "abc" lies before the start; its "x" repeats offset 0.
            ops: &[Seg(50, "xyz"), Seg(47, "abcx"), Ack(53), Drain("xyz")],
            counts: (1, 0, 0),
        },
        Case {
            name: "overlap_different_counted_bsd",
            start: Start::Syn,
            depth: 0,
            ops: &[Seg(4, "AAAA"), Seg(2, "bbbb"), Seg(0, "xx"), Ack(8), Drain("xxbbbbAA")],
            counts: (0, 1, 0),
        },
    ];

    /// ISNs every case runs with: ordinary, and so that the data crosses
    /// 2^32.
    const ISNS: &[u32] = &[1000, 0xffff_fff8, 0xffff_ffff];

    #[test]
    fn cases() {
        for &isn in ISNS {
            for c in CASES {
                let cfg = StreamConfig { depth: c.depth, ..StreamConfig::default() };
                let mut s = Stream::new(&cfg);
                let mut b = MemBudget::default();
                let data0 = isn.wrapping_add(1);
                match c.start {
                    Start::Syn => s.syn(isn),
                    Start::Mid(n) => s.start_at(data0.wrapping_add(n)),
                    Start::Auto => {}
                }
                for (i, op) in c.ops.iter().enumerate() {
                    match *op {
                        Seg(rel, d) => {
                            s.segment(data0.wrapping_add(rel), d.as_bytes(), d.len(), &mut b);
                        }
                        Trunc(rel, d, claimed) => {
                            s.segment(data0.wrapping_add(rel), d.as_bytes(), claimed, &mut b);
                        }
                        Ack(rel) => s.ack(data0.wrapping_add(rel)),
                        Close => s.close(),
                        Drain(want) => {
                            let got = render(&mut s, &mut b);
                            assert_eq!(got, want, "{} (isn {isn:#x}) op {i}", c.name);
                        }
                    }
                    check_invariants(&s);
                }
                let k = &s.counters;
                assert_eq!(
                    (k.retransmissions, k.overlaps_different, k.gaps),
                    c.counts,
                    "{} (isn {isn:#x}) counters {k:?}",
                    c.name
                );
                s.release(&mut b);
                assert_eq!(b.used(), 0, "{}", c.name);
            }
        }
    }

    #[test]
    fn seq_wrapping_comparisons() {
        let a = TcpSeq(0xffff_fff0);
        let b = a + 0x20;
        assert_eq!(b, TcpSeq(0x10));
        assert!(a.before(b) && b.after(a));
        assert!(!a.after(b) && !b.before(a));
        assert_eq!(b.diff(a), 0x20);
        assert_eq!(a.diff(b), -0x20);
        assert!(!a.before(a) && !a.after(a));
    }

    /// Which bytes win, per policy, following Suricata 7's IDS-mode
    /// `DoHandleDataOverlap` (OISF/suricata `src/stream-tcp-list.c`): an old
    /// segment `O` is buffered, then a new one `N` with other bytes arrives.
    /// Offsets 0..2 stay a hole, rendered `_` (skipped as a gap on ACK).
    #[test]
    fn overlap_policies() {
        use OverlapPolicy::*;
        // (what, O start, O bytes, N start, N bytes, if N wins, if O wins)
        let scenarios: [(&str, u32, &str, u32, &str, &str, &str); 6] = [
            // N starts before O, ends inside it.
            ("before_inside", 4, "AAAA", 2, "bbbb", "__bbbbAA", "__bbAAAA"),
            // Same start, N ends after O.
            ("same_start_longer", 4, "AAAA", 4, "bbbbbb", "____bbbbbb", "____AAAAbb"),
            // Same extent.
            ("same_extent", 4, "AAAA", 4, "bbbb", "____bbbb", "____AAAA"),
            // N starts inside O and ends after it.
            ("inside_after", 4, "AAAA", 6, "bbbb", "____AAbbbb", "____AAAAbb"),
            // N entirely inside O.
            ("inside", 4, "AAAAAA", 5, "bb", "____AbbAAA", "____AAAAAA"),
            // N covers O and more on both sides.
            ("covers", 4, "AAAA", 2, "bbbbbbbb", "__bbbbbbbb", "__bbAAAAbb"),
        ];
        // Does N win, per scenario in the order above.
        let table: [(OverlapPolicy, [bool; 6]); 7] = [
            (First, [false, false, false, false, false, false]),
            (Last, [true, true, true, true, true, true]),
            // bsd/windows: new wins only when it starts before the old one.
            (Bsd, [true, false, false, false, false, true]),
            (Windows, [true, false, false, false, false, true]),
            // linux: also when same start and it ends beyond.
            (Linux, [true, true, false, false, false, true]),
            // old-linux: also when same start and it ends at or beyond.
            (OldLinux, [true, true, true, false, false, true]),
            // solaris/hpux11: when it starts at or before the old one and
            // ends at or beyond it, or starts inside and ends beyond.
            (Solaris, [false, true, true, true, false, true]),
        ];
        for (policy, wins) in table {
            for (i, &(what, os, ob, ns, nb, new_wins, old_wins)) in scenarios.iter().enumerate() {
                let mut s = Stream::new(&StreamConfig { depth: 0, policy, inline: false, urgent_oob: false });
                let mut b = MemBudget::default();
                s.syn(0xffff_fffd);
                let d0 = 0xffff_fffeu32;
                assert_eq!(s.segment(d0.wrapping_add(os), ob.as_bytes(), ob.len(), &mut b), SegmentOutcome::New);
                assert_eq!(
                    s.segment(d0.wrapping_add(ns), nb.as_bytes(), nb.len(), &mut b),
                    SegmentOutcome::OverlapDifferent,
                    "{policy:?} {what}"
                );
                s.ack(d0.wrapping_add(20));
                let want = if wins[i] { new_wins } else { old_wins };
                assert_eq!(render(&mut s, &mut b), want, "{policy:?} {what}");
                assert_eq!(s.counters.overlaps_different, 1);
                assert_eq!(s.counters.overlaps, 1);
                assert_eq!(b.used(), 0, "{policy:?} {what}: all delivered, all freed");
            }
        }
    }

    #[test]
    fn policy_names() {
        use OverlapPolicy::*;
        for (name, p) in [
            ("bsd", Bsd),
            ("bsd-right", Bsd),
            ("windows", Windows),
            ("windows2k3", Bsd),
            ("vista", First),
            ("linux", Linux),
            ("old-linux", OldLinux),
            ("old_linux", OldLinux),
            ("solaris", Solaris),
            ("old-solaris", Solaris),
            ("hpux11", Solaris),
            ("hpux10", Bsd),
            ("first", First),
            ("last", Last),
        ] {
            assert_eq!(OverlapPolicy::from_name(name), Some(p), "{name}");
        }
        assert_eq!(OverlapPolicy::from_name("plan9"), None);
        assert_eq!(OverlapPolicy::default(), Bsd);
        assert_eq!(StreamConfig::default().depth, 1 << 20);
    }

    #[test]
    fn memory_budget_exhaustion_drops_and_counts() {
        // Room for two 10-byte out-of-order segments, not three.
        let cap = 2 * (10 + SEGMENT_OVERHEAD) + 5;
        let mut b = MemBudget::new(cap);
        let mut s = Stream::new(&StreamConfig::default());
        let mut t = Stream::new(&StreamConfig::default());
        s.syn(0);
        t.syn(500);
        assert_eq!(s.segment(11, &[b'a'; 10], 10, &mut b), SegmentOutcome::New);
        assert_eq!(t.segment(511, &[b'b'; 10], 10, &mut b), SegmentOutcome::New);
        assert_eq!(b.used(), 2 * (10 + SEGMENT_OVERHEAD));
        // The budget is shared: neither stream gets more.
        assert_eq!(s.segment(1, &[b'c'; 10], 10, &mut b), SegmentOutcome::Dropped);
        assert_eq!(t.segment(501, &[b'd'; 10], 10, &mut b), SegmentOutcome::Dropped);
        // An overlapping segment with new bytes takes the slow path: dropped
        // as a whole, the buffered bytes untouched.
        assert_eq!(s.segment(16, &[b'z'; 10], 10, &mut b), SegmentOutcome::Dropped);
        assert_eq!(b.dropped(), 3);
        assert_eq!(s.counters.memcap_drops, 2);
        assert_eq!(s.counters.overlaps_different, 0);
        check_invariants(&s);
        assert!(b.used() <= b.cap());
        // Delivering frees memory: the dropped data is then a gap.
        s.ack(21);
        assert_eq!(render(&mut s, &mut b), "__________aaaaaaaaaa");
        assert_eq!(b.used(), 10 + SEGMENT_OVERHEAD);
        assert_eq!(s.segment(21, &[b'e'; 10], 10, &mut b), SegmentOutcome::New);
        t.release(&mut b);
        s.release(&mut b);
        assert_eq!(b.used(), 0);
        // A zero budget buffers nothing and does not panic.
        let mut zero = MemBudget::new(0);
        let mut z = Stream::new(&StreamConfig::default());
        z.syn(7);
        assert_eq!(z.segment(8, b"x", 1, &mut zero), SegmentOutcome::Dropped);
        assert_eq!(zero.used(), 0);
    }

    #[test]
    fn out_of_window_segment_and_ack_are_ignored() {
        let mut b = MemBudget::default();
        let mut s = Stream::new(&StreamConfig::default());
        s.syn(0);
        let far = 1 + (MAX_AHEAD as u32) + 100;
        assert_eq!(s.segment(far, b"junk", 4, &mut b), SegmentOutcome::Ignored);
        s.ack(far);
        assert_eq!(s.counters.out_of_window, 2);
        assert_eq!(s.segment(1, b"ok", 2, &mut b), SegmentOutcome::New);
        s.ack(3);
        assert_eq!(render(&mut s, &mut b), "ok");
    }

    /// Offsets are 64-bit: a stream that passes 2^32 bytes (here mostly as
    /// gaps, with depth unlimited) keeps converting sequence numbers right.
    #[test]
    fn stream_longer_than_4gib() {
        let mut b = MemBudget::default();
        let mut s = Stream::new(&StreamConfig { depth: 0, ..StreamConfig::default() });
        let isn = 0xfff0_0000u32;
        s.syn(isn);
        let step: u64 = 0x3000_0000; // < MAX_AHEAD
        let mut off: u64 = 0;
        for i in 0..8u8 {
            let seq = isn.wrapping_add(1).wrapping_add(off as u32);
            assert_eq!(s.segment(seq, &[b'0' + i; 4], 4, &mut b), SegmentOutcome::New);
            s.ack(seq.wrapping_add(4));
            let mut out = Vec::new();
            let d = s.drain(&mut out, &mut b);
            assert_eq!(d.stream_offset, off, "step {i}");
            assert_eq!(d.bytes, 4);
            assert_eq!(out, [b'0' + i; 4]);
            off += step;
        }
        assert!(s.next_offset() > 1 << 32);
        assert_eq!(s.delivered(), 32);
        assert_eq!(b.used(), 0);
    }

    /// A small deterministic PRNG (xorshift64*), to avoid a dependency.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    /// Random segmentations of a random byte string, with identical
    /// retransmissions and re-cut overlaps, fed in random order with ACKs
    /// that a real receiver would send (its contiguous prefix): what is
    /// delivered is the original, with no gap and no conflict.
    #[test]
    fn random_permutations_deliver_original() {
        let policies = [
            OverlapPolicy::First,
            OverlapPolicy::Last,
            OverlapPolicy::Bsd,
            OverlapPolicy::Linux,
            OverlapPolicy::Solaris,
        ];
        for seed in 1..=300u64 {
            let mut r = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
            let len = 1 + r.below(3000) as usize;
            let original: Vec<u8> = (0..len).map(|_| r.next() as u8).collect();
            // Segments: one full cover cut at random points, then some
            // extra pieces anywhere (identical content).
            let mut segs: Vec<(usize, usize)> = Vec::new();
            let mut at = 0;
            while at < len {
                let n = (1 + r.below(200) as usize).min(len - at);
                segs.push((at, at + n));
                at += n;
            }
            for _ in 0..r.below(20) {
                let a = r.below(len as u64) as usize;
                let b = (a + 1 + r.below(300) as usize).min(len);
                segs.push((a, b));
            }
            for i in (1..segs.len()).rev() {
                let j = r.below(i as u64 + 1) as usize;
                segs.swap(i, j);
            }
            let isn = if seed % 3 == 0 { u32::MAX - r.below(2000) as u32 } else { r.next() as u32 };
            let cfg = StreamConfig {
                depth: 0,
                policy: policies[seed as usize % policies.len()],
                inline: false,
                urgent_oob: false,
            };
            let mut s = Stream::new(&cfg);
            let mut budget = MemBudget::default();
            s.syn(isn);
            let data0 = isn.wrapping_add(1);
            let mut received = vec![false; len];
            let mut out = Vec::new();
            for &(a, b) in &segs {
                s.segment(data0.wrapping_add(a as u32), &original[a..b], b - a, &mut budget);
                received[a..b].iter_mut().for_each(|x| *x = true);
                check_invariants(&s);
                if r.below(3) == 0 {
                    let prefix = received.iter().take_while(|&&x| x).count();
                    s.ack(data0.wrapping_add(prefix as u32));
                    loop {
                        let d = s.drain(&mut out, &mut budget);
                        assert_eq!(d.gap_before, None, "seed {seed}");
                        if d.is_empty() {
                            break;
                        }
                    }
                }
            }
            s.ack(data0.wrapping_add(len as u32));
            while !s.drain(&mut out, &mut budget).is_empty() {}
            assert!(out == original, "seed {seed}: len {len}");
            assert_eq!(s.delivered(), len as u64);
            assert_eq!(s.counters.overlaps_different, 0, "seed {seed}");
            assert_eq!(s.counters.gaps, 0, "seed {seed}");
            assert_eq!(budget.used(), 0, "seed {seed}: everything freed");
        }
    }

    /// Random overlapping segments with conflicting bytes, checked against
    /// a per-byte model of the same rule: a byte takes the new value only if
    /// the new segment beats every buffered segment that covers it.
    #[test]
    fn random_conflicts_match_per_byte_model() {
        use OverlapPolicy::*;
        for seed in 1..=400u64 {
            let mut r = Rng(seed.wrapping_mul(0xd1b5_4a32_d192_ed03) | 1);
            let policy = [First, Last, Bsd, Windows, Linux, OldLinux, Solaris][seed as usize % 7];
            let n = 120usize;
            let mut model: Vec<Option<u8>> = vec![None; n];
            let mut extents: Vec<(u64, u64)> = Vec::new();
            let mut s = Stream::new(&StreamConfig { depth: 0, policy, inline: false, urgent_oob: false });
            let mut budget = MemBudget::default();
            let isn = r.next() as u32;
            s.syn(isn);
            for _ in 0..1 + r.below(40) {
                let a = r.below(n as u64 - 1) as usize;
                let b = (a + 1 + r.below(30) as usize).min(n);
                // A small alphabet, so that equal bytes happen too.
                let bytes: Vec<u8> = (a..b).map(|_| b'a' + r.below(3) as u8).collect();
                let ext = (a as u64, b as u64);
                for (p, &nb) in (a..b).zip(&bytes) {
                    let covering = extents.iter().filter(|e| e.0 <= p as u64 && (p as u64) < e.1);
                    match model[p] {
                        None => model[p] = Some(nb),
                        Some(ob) if ob != nb => {
                            if covering.clone().all(|&o| policy.new_wins(ext, o)) {
                                model[p] = Some(nb);
                            }
                        }
                        Some(_) => {}
                    }
                }
                if !extents.contains(&ext) {
                    extents.push(ext);
                }
                s.segment(isn.wrapping_add(1 + a as u32), &bytes, bytes.len(), &mut budget);
                check_invariants(&s);
            }
            s.ack(isn.wrapping_add(1 + n as u32));
            let got = render(&mut s, &mut budget);
            let mut want: String = model.iter().map(|b| b.map_or('_', char::from)).collect();
            // No gap is declared without data after it.
            while want.ends_with('_') {
                want.pop();
            }
            assert_eq!(got, want, "seed {seed} {policy:?}");
            assert_eq!(budget.used(), 0, "seed {seed}");
        }
    }
}
