//! IP defragmentation: IPv4 (MF flag and fragment offset) and IPv6
//! (Fragment extension header) fragments are kept until their datagram is
//! whole, then rebuilt as one IP packet.
//!
//! Pure and bounded: [`Defrag::insert`] takes the bytes of one IP packet (from
//! its header to the end of the datagram as captured) and the packet time, and
//! says whether the packet was not a fragment, was kept, was dropped, or
//! completed a datagram (returned as the bytes of a whole IP packet, header
//! rewritten: IPv4 total length, flags and checksum; IPv6 payload length and
//! the fragment header removed). Nothing here can panic on any input.
//!
//! As in Suricata, fragments belong together when they share source,
//! destination and identification (and, for IPv4, the protocol); mirador also
//! keys them by the frame they came in ([`Scope`]: tunnel VNI and depth, VLAN
//! tags), so two mirror sessions carrying overlapping private address space
//! never mix their fragments.
//!
//! Overlapping fragments are resolved by a target-based [`Policy`]
//! (Suricata's `defrag` policies, default BSD). Each policy is a rule applied
//! when a fragment arrives over bytes an earlier fragment already holds:
//!
//! | policy | the newer fragment's bytes win when |
//! |---|---|
//! | first | never |
//! | last | always |
//! | bsd | it starts before the older one |
//! | linux | it starts before or at the same offset as the older one |
//! | windows | it starts before and ends after the older one |
//! | solaris | it starts before and ends at or after the older one |
//!
//! Memory is bounded by a byte memcap (fragment bytes plus a fixed overhead
//! per fragment and per train, see [`Defrag::memuse`]) and a maximum number of
//! trains; when either is reached the least recently active train is evicted.
//! A train with no new fragment for the timeout (packet time) is dropped.

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// Suricata's default `defrag.timeout`, seconds.
pub const DEFAULT_TIMEOUT_SECS: u32 = 60;
/// Suricata's default `defrag.memcap` (32 MiB).
pub const DEFAULT_MEMCAP: usize = 32 * 1024 * 1024;
/// Suricata's default `defrag.trackers`.
pub const DEFAULT_MAX_TRAINS: usize = 65_535;
/// Fragments kept per train; more is counted as invalid and dropped (a
/// 65,535-byte datagram in 64-byte pieces needs about 1,000).
pub const MAX_FRAGMENTS_PER_TRAIN: usize = 1024;
/// Bytes charged per fragment on top of its data (bookkeeping).
pub const FRAGMENT_OVERHEAD: usize = 64;
/// Bytes charged per train on top of its fragments (map entries, key, the
/// train's own vectors). Measured: a flood of 65,535 one-fragment trains
/// raised peak RSS by 51 MiB, about 780 bytes a train, of which the
/// fragment itself is charged [`FRAGMENT_OVERHEAD`] plus its bytes.
pub const TRAIN_OVERHEAD: usize = 640;

/// Largest IP datagram (IPv4 total length; IPv6 payload length).
const MAX_DATAGRAM: usize = 65_535;
/// IPv6 extension headers walked before the fragment header.
const MAX_IPV6_EXT: usize = 8;

/// How overlapping fragments are resolved (which bytes win).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Policy {
    /// The first bytes received win.
    First,
    /// The last bytes received win.
    Last,
    /// Older bytes win unless the newer fragment starts before the older
    /// one (Suricata's default).
    #[default]
    Bsd,
    /// Older bytes win only when the older fragment starts strictly before
    /// the newer one.
    Linux,
    /// Older bytes win unless the newer fragment starts before and ends
    /// after the older one.
    Windows,
    /// Older bytes win unless the newer fragment starts before and ends at
    /// or after the older one.
    Solaris,
}

impl Policy {
    /// Every policy, in Suricata's order.
    pub const ALL: [Policy; 6] =
        [Policy::First, Policy::Last, Policy::Bsd, Policy::Linux, Policy::Windows, Policy::Solaris];

    /// Name as written in suricata.yaml (`first`, `bsd`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Policy::First => "first",
            Policy::Last => "last",
            Policy::Bsd => "bsd",
            Policy::Linux => "linux",
            Policy::Windows => "windows",
            Policy::Solaris => "solaris",
        }
    }

    /// True when a fragment covering `new` (start, end) that arrives after
    /// one covering `old` replaces the older bytes where they overlap.
    fn new_wins(self, old: (usize, usize), new: (usize, usize)) -> bool {
        match self {
            Policy::First => false,
            Policy::Last => true,
            Policy::Bsd => new.0 < old.0,
            Policy::Linux => new.0 <= old.0,
            Policy::Windows => new.0 < old.0 && new.1 > old.1,
            Policy::Solaris => new.0 < old.0 && new.1 >= old.1,
        }
    }
}

impl FromStr for Policy {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Policy::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("unknown defrag policy {s:?} (first, last, bsd, linux, windows, solaris)"))
    }
}

/// Defragmentation settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DefragConfig {
    /// Overlap policy.
    pub policy: Policy,
    /// A train with no new fragment for this long (packet time) is dropped.
    pub timeout_secs: u32,
    /// Bytes held at most (see [`Defrag::memuse`]).
    pub memcap: usize,
    /// Trains held at most.
    pub max_trains: usize,
}

impl Default for DefragConfig {
    fn default() -> Self {
        DefragConfig {
            policy: Policy::Bsd,
            timeout_secs: DEFAULT_TIMEOUT_SECS,
            memcap: DEFAULT_MEMCAP,
            max_trains: DEFAULT_MAX_TRAINS,
        }
    }
}

/// Counters of a defragmenter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DefragCounters {
    /// Fragments seen (kept or not).
    pub fragments: u64,
    /// Datagrams rebuilt.
    pub reassembled: u64,
    /// Trains dropped because no fragment came for the timeout.
    pub timeouts: u64,
    /// Trains evicted to stay within the memcap or the train limit.
    pub evictions: u64,
    /// Fragments that overlapped bytes of an earlier fragment.
    pub overlaps: u64,
    /// Fragments that would end past 65,535 bytes (dropped).
    pub too_large: u64,
    /// Fragments that cannot be used (truncated, inconsistent with their
    /// train's end, too many pieces, empty...; dropped).
    pub invalid: u64,
}

impl DefragCounters {
    /// Adds `o` to these counters.
    pub fn add(&mut self, o: &DefragCounters) {
        self.fragments += o.fragments;
        self.reassembled += o.reassembled;
        self.timeouts += o.timeouts;
        self.evictions += o.evictions;
        self.overlaps += o.overlaps;
        self.too_large += o.too_large;
        self.invalid += o.invalid;
    }
}

/// Where a fragment was seen, beyond its IP addresses: fragments of
/// different scopes never join (two mirror sessions, two VLANs).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Scope {
    /// Number of tunnel layers around the fragment.
    pub depth: u8,
    /// VNI (or GRE key / ERSPAN session) of the innermost tunnel, else 0.
    pub vni: u32,
    /// VLAN ids of the fragment's frame, zero-padded.
    pub vlans: [u16; 3],
}

/// What [`Defrag::insert`] did with a packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Not a fragment: process the packet as it is.
    NotFragment,
    /// A fragment kept until its datagram is whole.
    Held,
    /// A fragment that was not kept (see the counters for why).
    Dropped,
    /// The fragment completed its datagram: the whole IP packet.
    Complete(Vec<u8>),
}

/// Why a fragment is refused before it reaches its train.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reject {
    Invalid,
    TooLarge,
}

/// One parsed fragment.
#[derive(Debug)]
struct Piece<'a> {
    key: Key,
    /// Offset of `data` in the fragmentable part, bytes.
    offset: usize,
    /// More fragments follow.
    more: bool,
    /// IPv4 header, or the IPv6 unfragmentable part (fixed header and the
    /// extension headers before the fragment header, with the preceding
    /// next-header field pointing past the fragment header).
    header: &'a [u8],
    /// For IPv6: where in `header` the next-header byte to patch is, and
    /// its value.
    patch: Option<(usize, u8)>,
    /// The fragment's data.
    data: &'a [u8],
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Key {
    scope: Scope,
    src: IpAddr,
    dst: IpAddr,
    id: u32,
    /// IPv4 protocol; 0 for IPv6 (its key has no protocol).
    proto: u8,
}

fn be16(b: &[u8], at: usize) -> usize {
    match b.get(at..at + 2) {
        Some(&[x, y]) => usize::from(u16::from_be_bytes([x, y])),
        _ => 0,
    }
}

fn be32(b: &[u8], at: usize) -> u32 {
    match b.get(at..at + 4) {
        Some(&[a, c, d, e]) => u32::from_be_bytes([a, c, d, e]),
        _ => 0,
    }
}

fn addr4(b: &[u8], at: usize) -> IpAddr {
    let mut a = [0u8; 4];
    if let Some(s) = b.get(at..at + 4) {
        a.copy_from_slice(s);
    }
    IpAddr::V4(Ipv4Addr::from(a))
}

fn addr6(b: &[u8], at: usize) -> IpAddr {
    let mut a = [0u8; 16];
    if let Some(s) = b.get(at..at + 16) {
        a.copy_from_slice(s);
    }
    IpAddr::V6(Ipv6Addr::from(a))
}

/// Parses `ip` as a fragment. `Ok(None)`: a whole packet.
fn parse(scope: Scope, ip: &[u8]) -> Result<Option<Piece<'_>>, Reject> {
    match ip.first().map(|b| b >> 4) {
        Some(4) => parse4(scope, ip),
        Some(6) => parse6(scope, ip),
        _ => Err(Reject::Invalid),
    }
}

fn parse4(scope: Scope, ip: &[u8]) -> Result<Option<Piece<'_>>, Reject> {
    if ip.len() < 20 {
        return Err(Reject::Invalid);
    }
    let hlen = usize::from(ip[0] & 0x0f) * 4;
    let total = be16(ip, 2);
    let ff = be16(ip, 6);
    let offset = (ff & 0x1fff) * 8;
    let more = ff & 0x2000 != 0;
    if offset == 0 && !more {
        return Ok(None);
    }
    // A header shorter than 20 or cut, or a datagram captured shorter than
    // its total length: its bytes cannot be trusted to rebuild anything.
    if hlen < 20 || hlen > total || total > ip.len() {
        return Err(Reject::Invalid);
    }
    let data = &ip[hlen..total];
    // As Suricata: the rebuilt datagram (with a minimal header) must fit.
    if 20 + offset + data.len() > MAX_DATAGRAM {
        return Err(Reject::TooLarge);
    }
    let key = Key { scope, src: addr4(ip, 12), dst: addr4(ip, 16), id: be16(ip, 4) as u32, proto: ip[9] };
    Ok(Some(Piece { key, offset, more, header: &ip[..hlen], patch: None, data }))
}

fn parse6(scope: Scope, ip: &[u8]) -> Result<Option<Piece<'_>>, Reject> {
    if ip.len() < 40 {
        return Err(Reject::Invalid);
    }
    let plen = be16(ip, 4);
    let total = 40 + plen;
    let mut next = ip[6];
    let mut nh_at = 6;
    let mut off = 40;
    for _ in 0..MAX_IPV6_EXT {
        match next {
            // Hop-by-hop, routing, destination options, AH.
            0 | 43 | 60 | 51 => {
                let (Some(&nh), Some(&len)) = (ip.get(off), ip.get(off + 1)) else {
                    return Err(Reject::Invalid);
                };
                let len = if next == 51 { (usize::from(len) + 2) * 4 } else { (usize::from(len) + 1) * 8 };
                nh_at = off;
                next = nh;
                off += len;
            }
            44 => {
                let Some(fh) = ip.get(off..off + 8) else { return Err(Reject::Invalid) };
                let ob = be16(fh, 2);
                let offset = ob & 0xfff8;
                let more = ob & 1 != 0;
                if offset == 0 && !more {
                    // An atomic fragment (RFC 6946) is a whole packet.
                    return Ok(None);
                }
                // Jumbograms cannot be fragmented; a datagram captured
                // shorter than its length cannot be rebuilt.
                if plen == 0 || total > ip.len() || off + 8 > total {
                    return Err(Reject::Invalid);
                }
                let data = &ip[off + 8..total];
                if offset + data.len() > MAX_DATAGRAM {
                    return Err(Reject::TooLarge);
                }
                let key = Key { scope, src: addr6(ip, 8), dst: addr6(ip, 24), id: be32(fh, 4), proto: 0 };
                return Ok(Some(Piece { key, offset, more, header: &ip[..off], patch: Some((nh_at, fh[0])), data }));
            }
            _ => return Ok(None),
        }
    }
    Ok(None)
}

/// One kept fragment.
#[derive(Debug)]
struct Frag {
    start: usize,
    end: usize,
    data: Vec<u8>,
    /// Offset-0 fragments: the header to rebuild with.
    header: Option<Vec<u8>>,
}

impl Frag {
    fn cost(&self) -> usize {
        FRAGMENT_OVERHEAD + self.data.len() + self.header.as_ref().map_or(0, Vec::len)
    }
}

/// The fragments of one datagram.
#[derive(Debug)]
struct Train {
    /// In arrival order.
    frags: Vec<Frag>,
    /// End of the datagram, once the last fragment came.
    total: Option<usize>,
    /// Largest fragment end seen.
    max_end: usize,
    /// Position in the recency index.
    lru: (i64, u64),
    /// Bytes charged.
    mem: usize,
}

/// A bounded IP defragmenter (one per worker; not shared).
#[derive(Debug)]
pub struct Defrag {
    cfg: DefragConfig,
    trains: HashMap<Key, Train>,
    /// (last activity in µs, train number) -> key: oldest first.
    lru: BTreeMap<(i64, u64), Key>,
    mem: usize,
    next_id: u64,
    /// Counters.
    pub counters: DefragCounters,
}

impl Default for Defrag {
    fn default() -> Self {
        Defrag::new(DefragConfig::default())
    }
}

impl Defrag {
    /// An empty defragmenter.
    pub fn new(cfg: DefragConfig) -> Self {
        Defrag {
            cfg,
            trains: HashMap::new(),
            lru: BTreeMap::new(),
            mem: 0,
            next_id: 0,
            counters: DefragCounters::default(),
        }
    }

    /// The settings.
    pub fn config(&self) -> &DefragConfig {
        &self.cfg
    }

    /// Bytes held: every kept fragment's data and header plus
    /// [`FRAGMENT_OVERHEAD`] each, plus [`TRAIN_OVERHEAD`] per train. Never
    /// above the memcap.
    pub fn memuse(&self) -> usize {
        self.mem
    }

    /// Trains (incomplete datagrams) held.
    pub fn trains(&self) -> usize {
        self.trains.len()
    }

    /// Drops trains idle for the timeout at packet time `now_us`.
    pub fn expire(&mut self, now_us: i64) {
        let timeout = i64::from(self.cfg.timeout_secs) * 1_000_000;
        while let Some((&(last, _), _)) = self.lru.first_key_value() {
            if last.saturating_add(timeout) > now_us {
                break;
            }
            self.evict_oldest();
            self.counters.timeouts += 1;
        }
    }

    fn evict_oldest(&mut self) -> bool {
        let Some((_, key)) = self.lru.pop_first() else { return false };
        if let Some(t) = self.trains.remove(&key) {
            self.mem = self.mem.saturating_sub(t.mem);
        }
        true
    }

    fn remove(&mut self, key: &Key) -> Option<Train> {
        let t = self.trains.remove(key)?;
        self.lru.remove(&t.lru);
        self.mem = self.mem.saturating_sub(t.mem);
        Some(t)
    }

    /// Offers one IP packet seen at packet time `now_us` (µs) in `scope`.
    /// `ip` runs from the IP header to the end of the datagram as captured.
    pub fn insert(&mut self, now_us: i64, scope: Scope, ip: &[u8]) -> Outcome {
        self.expire(now_us);
        let p = match parse(scope, ip) {
            Ok(None) => return Outcome::NotFragment,
            Ok(Some(p)) => p,
            Err(r) => {
                self.counters.fragments += 1;
                match r {
                    Reject::Invalid => self.counters.invalid += 1,
                    Reject::TooLarge => self.counters.too_large += 1,
                }
                return Outcome::Dropped;
            }
        };
        self.counters.fragments += 1;
        let (start, end) = (p.offset, p.offset + p.data.len());
        // A fragment that adds nothing (empty and not the last one).
        if p.data.is_empty() && p.more {
            self.counters.invalid += 1;
            return Outcome::Dropped;
        }
        if let Some(t) = self.trains.get(&p.key) {
            let inconsistent = match t.total {
                // Nothing may lie past the end; a second last fragment must
                // end where the first one did.
                Some(total) => end > total || (!p.more && end != total),
                // A last fragment ending before data already seen.
                None => !p.more && end < t.max_end,
            };
            if inconsistent || t.frags.len() >= MAX_FRAGMENTS_PER_TRAIN {
                self.counters.invalid += 1;
                return Outcome::Dropped;
            }
            if t.frags.iter().any(|f| start < f.end && f.start < end) {
                self.counters.overlaps += 1;
            }
        }
        let header = (start == 0).then(|| {
            let mut h = p.header.to_vec();
            if let Some((at, nh)) = p.patch {
                if let Some(b) = h.get_mut(at) {
                    *b = nh;
                }
            }
            h
        });
        let frag = Frag { start, end, data: p.data.to_vec(), header };
        let cost = frag.cost();
        // Make room: the least recently active trains go first (possibly
        // this fragment's own train, which then starts afresh).
        loop {
            let new_train = !self.trains.contains_key(&p.key);
            let need = cost + if new_train { TRAIN_OVERHEAD } else { 0 };
            let full = self.mem + need > self.cfg.memcap || (new_train && self.trains.len() >= self.cfg.max_trains);
            if !full {
                break;
            }
            if !self.evict_oldest() {
                // Alone it exceeds the memcap.
                self.counters.evictions += 1;
                return Outcome::Dropped;
            }
            self.counters.evictions += 1;
        }
        let id = self.next_id;
        let t = self.trains.entry(p.key).or_insert_with(|| {
            self.mem += TRAIN_OVERHEAD;
            Train { frags: Vec::new(), total: None, max_end: 0, lru: (now_us, id), mem: TRAIN_OVERHEAD }
        });
        if t.lru.1 == id {
            self.next_id += 1;
        }
        self.lru.remove(&t.lru);
        t.lru = (now_us, t.lru.1);
        self.lru.insert(t.lru, p.key);
        t.mem += cost;
        self.mem += cost;
        t.max_end = t.max_end.max(end);
        if !p.more {
            t.total = Some(end);
        }
        t.frags.push(frag);
        if !complete(t) {
            return Outcome::Held;
        }
        let Some(t) = self.remove(&p.key) else { return Outcome::Held };
        match assemble(&t, self.cfg.policy) {
            Some(buf) => {
                self.counters.reassembled += 1;
                Outcome::Complete(buf)
            }
            None => {
                self.counters.too_large += 1;
                Outcome::Dropped
            }
        }
    }
}

/// True when the last fragment, the first one and every byte between came.
fn complete(t: &Train) -> bool {
    let Some(total) = t.total else { return false };
    if !t.frags.iter().any(|f| f.header.is_some()) {
        return false;
    }
    let mut ranges: Vec<(usize, usize)> = t.frags.iter().map(|f| (f.start, f.end)).collect();
    ranges.sort_unstable();
    let mut reach = 0;
    for (s, e) in ranges {
        if s > reach {
            return false;
        }
        reach = reach.max(e);
    }
    reach >= total
}

/// Rebuilds the datagram of a complete train. None when the result would
/// exceed the largest IP datagram.
fn assemble(t: &Train, policy: Policy) -> Option<Vec<u8>> {
    let total = t.total?;
    // Bytes in arrival order, each overlap settled by the policy.
    let mut data = vec![0u8; total];
    let mut owner = vec![usize::MAX; total];
    for (i, f) in t.frags.iter().enumerate() {
        for (k, &b) in f.data.iter().enumerate() {
            let at = f.start + k;
            let (Some(o), Some(d)) = (owner.get_mut(at), data.get_mut(at)) else { break };
            let wins = match t.frags.get(*o) {
                None => true,
                Some(old) => policy.new_wins((old.start, old.end), (f.start, f.end)),
            };
            if wins {
                *o = i;
                *d = b;
            }
        }
    }
    // The header of the offset-0 fragment the policy keeps.
    let mut first: Option<&Frag> = None;
    for f in t.frags.iter().filter(|f| f.header.is_some()) {
        first = match first {
            Some(old) if !policy.new_wins((old.start, old.end), (f.start, f.end)) => Some(old),
            _ => Some(f),
        };
    }
    let mut out = first?.header.clone()?;
    if out.first().map(|b| b >> 4) == Some(4) {
        let hlen = out.len();
        let len = hlen + total;
        if len > MAX_DATAGRAM || hlen < 20 {
            return None;
        }
        out[2..4].copy_from_slice(&(len as u16).to_be_bytes());
        out[6..8].copy_from_slice(&[0, 0]);
        out[10..12].copy_from_slice(&[0, 0]);
        let sum = checksum(&out);
        out[10..12].copy_from_slice(&sum.to_be_bytes());
    } else {
        let plen = out.len().checked_sub(40)? + total;
        if plen > MAX_DATAGRAM {
            return None;
        }
        out.get_mut(4..6)?.copy_from_slice(&(plen as u16).to_be_bytes());
    }
    out.extend_from_slice(&data);
    Some(out)
}

/// The Internet checksum of `b`.
fn checksum(b: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    for c in b.chunks(2) {
        let w = match c {
            [x, y] => u16::from_be_bytes([*x, *y]),
            [x] => u16::from_be_bytes([*x, 0]),
            _ => 0,
        };
        sum += u32::from(w);
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC4: [u8; 4] = [192, 0, 2, 1];
    const DST4: [u8; 4] = [198, 51, 100, 2];

    /// An IPv4 fragment: id, protocol, offset in bytes, MF, data.
    fn v4(id: u16, proto: u8, offset: usize, more: bool, data: &[u8]) -> Vec<u8> {
        let total = 20 + data.len();
        let ff = (offset / 8) as u16 | if more { 0x2000 } else { 0 };
        let mut h = vec![0x45, 0];
        h.extend_from_slice(&(total as u16).to_be_bytes());
        h.extend_from_slice(&id.to_be_bytes());
        h.extend_from_slice(&ff.to_be_bytes());
        h.extend_from_slice(&[64, proto, 0, 0]);
        h.extend_from_slice(&SRC4);
        h.extend_from_slice(&DST4);
        let c = checksum(&h);
        h[10..12].copy_from_slice(&c.to_be_bytes());
        h.extend_from_slice(data);
        h
    }

    /// An IPv6 fragment after a destination-options header (when `dopts`).
    fn v6(id: u32, offset: usize, more: bool, dopts: bool, data: &[u8]) -> Vec<u8> {
        let ext = if dopts { 8 } else { 0 };
        let plen = ext + 8 + data.len();
        let mut p = vec![0x60, 0, 0, 0];
        p.extend_from_slice(&(plen as u16).to_be_bytes());
        p.push(if dopts { 60 } else { 44 });
        p.push(64);
        p.extend_from_slice(&"2001:db8::1".parse::<Ipv6Addr>().unwrap().octets());
        p.extend_from_slice(&"2001:db8::2".parse::<Ipv6Addr>().unwrap().octets());
        if dopts {
            p.extend_from_slice(&[44, 0, 1, 4, 0, 0, 0, 0]);
        }
        p.push(17);
        p.push(0);
        p.extend_from_slice(&((offset as u16) | u16::from(more)).to_be_bytes());
        p.extend_from_slice(&id.to_be_bytes());
        p.extend_from_slice(data);
        p
    }

    fn whole(o: Outcome) -> Vec<u8> {
        match o {
            Outcome::Complete(b) => b,
            other => panic!("not complete: {other:?}"),
        }
    }

    fn cfg(policy: Policy) -> DefragConfig {
        DefragConfig { policy, ..DefragConfig::default() }
    }

    #[test]
    fn ipv4_out_of_order() {
        let mut d = Defrag::default();
        let s = Scope::default();
        assert_eq!(d.insert(0, s, &v4(7, 17, 16, true, b"IJKLMNOPQRSTUVWX")), Outcome::Held);
        assert_eq!(d.insert(1, s, &v4(7, 17, 32, false, b"yz")), Outcome::Held);
        let b = whole(d.insert(2, s, &v4(7, 17, 0, true, b"ABCDEFGH01234567")));
        assert_eq!(&b[20..], b"ABCDEFGH01234567IJKLMNOPQRSTUVWXyz");
        assert_eq!(be16(&b, 2), 20 + 34);
        assert_eq!(be16(&b, 6), 0);
        assert_eq!(checksum(&b[..20]), 0, "header checksum verifies");
        assert_eq!((d.counters.fragments, d.counters.reassembled, d.trains(), d.memuse()), (3, 1, 0, 0));
        // A whole packet is not a fragment.
        assert_eq!(d.insert(3, s, &v4(8, 17, 0, false, b"x")), Outcome::NotFragment);
    }

    #[test]
    fn ipv4_key_includes_proto_and_scope() {
        let mut d = Defrag::default();
        let a = Scope::default();
        let b = Scope { depth: 1, vni: 99, vlans: [0; 3] };
        assert_eq!(d.insert(0, a, &v4(1, 17, 0, true, b"AAAAAAAA")), Outcome::Held);
        // Same addresses and id, other protocol or other mirror session.
        assert_eq!(d.insert(0, a, &v4(1, 6, 8, false, b"BB")), Outcome::Held);
        assert_eq!(d.insert(0, b, &v4(1, 17, 8, false, b"CC")), Outcome::Held);
        assert_eq!(d.trains(), 3);
        let w = whole(d.insert(0, a, &v4(1, 17, 8, false, b"DD")));
        assert_eq!(&w[20..], b"AAAAAAAADD");
    }

    #[test]
    fn ipv6_with_unfragmentable_header() {
        let mut d = Defrag::default();
        let s = Scope::default();
        assert_eq!(d.insert(0, s, &v6(0xdead, 8, false, true, b"tail")), Outcome::Held);
        let w = whole(d.insert(0, s, &v6(0xdead, 0, true, true, b"01234567")));
        // Fixed header, destination options now pointing at UDP, then data.
        assert_eq!(w.len(), 40 + 8 + 12);
        assert_eq!(be16(&w, 4), 8 + 12);
        assert_eq!((w[6], w[40]), (60, 17));
        assert_eq!(&w[48..], b"01234567tail");
        // Without extension headers the fixed header's next header changes.
        let w = {
            d.insert(0, s, &v6(5, 8, false, false, b"b"));
            whole(d.insert(0, s, &v6(5, 0, true, false, b"aaaaaaaa")))
        };
        assert_eq!((w[6], be16(&w, 4), &w[40..]), (17, 9, &b"aaaaaaaab"[..]));
        // An atomic fragment is a whole packet.
        assert_eq!(d.insert(0, s, &v6(6, 0, false, false, b"x")), Outcome::NotFragment);
    }

    /// Original: A at 0..16 and C at 32..40 (last); then B covers 8..32
    /// (starts inside A, ends at C) and D at 16..24 ... one scenario per
    /// policy, pieces arriving in the order given.
    fn overlap(policy: Policy, pieces: &[(usize, bool, &[u8])]) -> Vec<u8> {
        let mut d = Defrag::new(cfg(policy));
        let mut last = Outcome::Held;
        for &(off, more, data) in pieces {
            last = d.insert(0, Scope::default(), &v4(9, 17, off, more, data));
        }
        whole(last)[20..].to_vec()
    }

    #[test]
    fn policies_on_a_later_fragment_starting_inside_an_earlier_one() {
        // Old 0..16 "AAAAAAAAAAAAAAAA"; new 8..24 "BBBBBBBBBBBBBBBB" (starts
        // later, ends later); last 24..32.
        let p: &[(usize, bool, &[u8])] =
            &[(0, true, b"AAAAAAAAAAAAAAAA"), (8, true, b"BBBBBBBBBBBBBBBB"), (24, false, b"CCCCCCCC")];
        let a_wins = b"AAAAAAAAAAAAAAAABBBBBBBBCCCCCCCC".to_vec();
        let b_wins = b"AAAAAAAABBBBBBBBBBBBBBBBCCCCCCCC".to_vec();
        for (pol, want) in [
            (Policy::First, &a_wins),
            (Policy::Last, &b_wins),
            (Policy::Bsd, &a_wins),
            (Policy::Linux, &a_wins),
            (Policy::Windows, &a_wins),
            (Policy::Solaris, &a_wins),
        ] {
            assert_eq!(&overlap(pol, p), want, "{}", pol.name());
        }
    }

    #[test]
    fn policies_on_a_later_fragment_starting_before_an_earlier_one() {
        // Old 8..16 "AAAAAAAA"; new 0..16 "BBBBBBBBBBBBBBBB" (starts before,
        // ends with it); last 16..24.
        let p: &[(usize, bool, &[u8])] =
            &[(8, true, b"AAAAAAAA"), (0, true, b"BBBBBBBBBBBBBBBB"), (16, false, b"CCCCCCCC")];
        let a_wins = b"BBBBBBBBAAAAAAAACCCCCCCC".to_vec();
        let b_wins = b"BBBBBBBBBBBBBBBBCCCCCCCC".to_vec();
        for (pol, want) in [
            (Policy::First, &a_wins),
            (Policy::Last, &b_wins),
            (Policy::Bsd, &b_wins),
            (Policy::Linux, &b_wins),
            (Policy::Windows, &a_wins), // does not end after the old one
            (Policy::Solaris, &b_wins), // ends at the old one's end
        ] {
            assert_eq!(&overlap(pol, p), want, "{}", pol.name());
        }
        // Starting before and ending after: Windows lets the new one win.
        let p: &[(usize, bool, &[u8])] =
            &[(8, true, b"AAAAAAAA"), (0, true, b"BBBBBBBBBBBBBBBBBBBBBBBB"), (24, false, b"CC")];
        assert_eq!(overlap(Policy::Windows, p), b"BBBBBBBBBBBBBBBBBBBBBBBBCC");
        assert_eq!(overlap(Policy::First, p), b"BBBBBBBBAAAAAAAABBBBBBBBCC");
    }

    #[test]
    fn policies_on_same_offset() {
        // Same start: Linux and Last take the new bytes, the others keep
        // the old ones.
        let p: &[(usize, bool, &[u8])] =
            &[(8, true, b"AAAAAAAA"), (8, true, b"BBBBBBBB"), (0, true, b"________"), (16, false, b"!")];
        for pol in Policy::ALL {
            let want: &[u8] =
                if matches!(pol, Policy::Linux | Policy::Last) { b"________BBBBBBBB!" } else { b"________AAAAAAAA!" };
            assert_eq!(overlap(pol, p), want, "{}", pol.name());
        }
    }

    #[test]
    fn overlapping_first_fragment_changes_the_header_by_policy() {
        let mut first = v4(3, 17, 0, true, b"AAAAAAAA");
        let mut second = v4(3, 17, 0, true, b"BBBBBBBB");
        first[8] = 11; // TTL distinguishes them
        second[8] = 22;
        let last = v4(3, 17, 8, false, b"z");
        for pol in Policy::ALL {
            let mut d = Defrag::new(cfg(pol));
            d.insert(0, Scope::default(), &first);
            d.insert(0, Scope::default(), &second);
            let w = whole(d.insert(0, Scope::default(), &last));
            let new = matches!(pol, Policy::Last | Policy::Linux);
            assert_eq!((w[8], &w[20..28]), if new { (22, &b"BBBBBBBB"[..]) } else { (11, &b"AAAAAAAA"[..]) });
            assert_eq!(d.counters.overlaps, 1);
        }
    }

    #[test]
    fn second_last_fragment_and_data_past_the_end_are_invalid() {
        let mut d = Defrag::default();
        let s = Scope::default();
        d.insert(0, s, &v4(4, 17, 8, false, b"12345678"));
        // A second "last" fragment ending elsewhere, data past the end, a
        // last fragment ending before seen data.
        assert_eq!(d.insert(0, s, &v4(4, 17, 8, false, b"1234")), Outcome::Dropped);
        assert_eq!(d.insert(0, s, &v4(4, 17, 16, true, b"xxxxxxxx")), Outcome::Dropped);
        assert_eq!(d.counters.invalid, 2);
        // The same last fragment again is a plain overlap.
        assert_eq!(d.insert(0, s, &v4(4, 17, 8, false, b"ZZZZZZZZ")), Outcome::Held);
        let w = whole(d.insert(0, s, &v4(4, 17, 0, true, b"ABCDEFGH")));
        assert_eq!(&w[20..], b"ABCDEFGH12345678");
        d.insert(0, s, &v4(5, 17, 0, true, b"ABCDEFGHIJKLMNOP"));
        assert_eq!(d.insert(0, s, &v4(5, 17, 8, false, b"12")), Outcome::Dropped);
        assert_eq!(d.counters.invalid, 3);
    }

    #[test]
    fn zero_length_and_too_large_fragments() {
        let mut d = Defrag::default();
        let s = Scope::default();
        // Empty with MF: nothing to keep.
        assert_eq!(d.insert(0, s, &v4(1, 17, 8, true, b"")), Outcome::Dropped);
        // Empty last fragment at 8 ends the datagram there.
        assert_eq!(d.insert(0, s, &v4(1, 17, 8, false, b"")), Outcome::Held);
        assert_eq!(&whole(d.insert(0, s, &v4(1, 17, 0, true, b"12345678")))[20..], b"12345678");
        // Offset 65528 + 8 bytes + header > 65535.
        assert_eq!(d.insert(0, s, &v4(2, 17, 65528, false, b"12345678")), Outcome::Dropped);
        assert_eq!(d.counters.too_large, 1);
        let mut big = v6(9, 65528, false, false, b"12345678");
        assert_eq!(d.insert(0, s, &big), Outcome::Dropped);
        assert_eq!(d.counters.too_large, 2);
        // Truncated: total length says more than captured.
        big.truncate(50);
        assert_eq!(d.insert(0, s, &big), Outcome::Dropped);
        assert_eq!(d.counters.invalid, 2);
    }

    #[test]
    fn timeout_uses_packet_time() {
        let mut d = Defrag::new(DefragConfig { timeout_secs: 60, ..DefragConfig::default() });
        let s = Scope::default();
        d.insert(0, s, &v4(1, 17, 0, true, b"AAAAAAAA"));
        d.insert(30_000_000, s, &v4(1, 17, 8, true, b"BBBBBBBB"));
        // 60 s after the last activity (not the first): still there at 89 s.
        d.expire(89_000_000);
        assert_eq!((d.trains(), d.counters.timeouts), (1, 0));
        assert_eq!(d.insert(90_000_000, s, &v4(1, 17, 16, false, b"C")), Outcome::Held);
        assert_eq!(d.counters.timeouts, 1, "the old train timed out first");
        assert_eq!(d.trains(), 1);
    }

    #[test]
    fn train_limit_evicts_the_least_recently_active() {
        let mut d = Defrag::new(DefragConfig { max_trains: 2, ..DefragConfig::default() });
        let s = Scope::default();
        d.insert(0, s, &v4(1, 17, 8, false, b"1"));
        d.insert(1, s, &v4(2, 17, 8, false, b"2"));
        d.insert(2, s, &v4(1, 17, 16, true, b"")); // dropped: empty; no activity
        d.insert(3, s, &v4(3, 17, 8, false, b"3")); // evicts id 1
        assert_eq!((d.trains(), d.counters.evictions), (2, 1));
        assert_eq!(d.insert(4, s, &v4(1, 17, 0, true, b"xxxxxxxx")), Outcome::Held, "id 1 starts over");
        let w = whole(d.insert(5, s, &v4(3, 17, 0, true, b"yyyyyyyy")));
        assert_eq!(&w[20..], b"yyyyyyyy3");
    }

    #[test]
    fn memcap_is_never_exceeded() {
        let memcap = 10_000;
        let mut d = Defrag::new(DefragConfig { memcap, ..DefragConfig::default() });
        for id in 0..1000u16 {
            d.insert(i64::from(id), Scope::default(), &v4(id, 17, 0, true, &[0u8; 256]));
            assert!(d.memuse() <= memcap);
        }
        assert!(d.counters.evictions > 900);
        // A fragment bigger than the memcap alone is dropped.
        let mut d = Defrag::new(DefragConfig { memcap: 100, ..DefragConfig::default() });
        assert_eq!(d.insert(0, Scope::default(), &v4(1, 17, 0, true, &[0u8; 64])), Outcome::Dropped);
        assert_eq!(d.memuse(), 0);
    }

    #[test]
    fn too_many_pieces() {
        let mut d = Defrag::default();
        for i in 0..=MAX_FRAGMENTS_PER_TRAIN {
            d.insert(0, Scope::default(), &v4(1, 17, 8 * (i % 4), true, b"12345678"));
        }
        assert_eq!(d.counters.invalid, 1);
    }

    #[test]
    fn policy_names() {
        for p in Policy::ALL {
            assert_eq!(p.name().parse::<Policy>(), Ok(p));
        }
        assert_eq!("BSD".parse::<Policy>(), Ok(Policy::Bsd));
        assert!("bsd-right".parse::<Policy>().is_err());
        assert_eq!(Policy::default(), Policy::Bsd);
    }

    /// Every prefix and single-byte corruption of fragments, in both orders.
    #[test]
    fn never_panics() {
        let frames = [
            v4(1, 17, 0, true, b"ABCDEFGH"),
            v4(1, 17, 8, false, b"IJ"),
            v6(1, 0, true, true, b"ABCDEFGH"),
            v6(1, 8, false, true, b"IJ"),
        ];
        for f in &frames {
            for n in 0..=f.len() {
                let mut d = Defrag::default();
                for g in &frames {
                    let _ = d.insert(0, Scope::default(), g);
                    let _ = d.insert(0, Scope::default(), &f[..n]);
                }
            }
            let mut b = f.clone();
            for i in 0..b.len() {
                let orig = b[i];
                for v in [0x00, 0xff, orig ^ 0x80, orig ^ 0x01] {
                    b[i] = v;
                    for pol in Policy::ALL {
                        let mut d = Defrag::new(cfg(pol));
                        for g in frames.iter().rev() {
                            let _ = d.insert(0, Scope::default(), &b);
                            let _ = d.insert(0, Scope::default(), g);
                        }
                    }
                }
                b[i] = orig;
            }
        }
    }
}
