//! Address index for signatures without a fast pattern.
//!
//! Reputation-style rules (`alert ip [1.2.3.4,5.6.7.0/24,...] any -> $HOME_NET
//! any`) have no content, so the prefilter cannot select them; checking each
//! of them against every packet costs more than all pattern matching. Like
//! Suricata's IP-only radix tree, this index maps an address to the
//! signatures whose (small) address set holds it: one binary search per
//! packet instead of one header check per rule.

use std::net::IpAddr;

use crate::rules::netset::IpSet;

/// A set is indexed when it covers at most this many IPv4 addresses
/// (a few /12s); larger sets (`$HOME_NET`, `$EXTERNAL_NET`) would put their
/// signature in nearly every segment.
const MAX_V4_SPAN: u64 = 1 << 20;
/// Same bound for IPv6 (a /64 is 2^64 addresses).
const MAX_V6_SPAN: u128 = 1 << 64;
/// Sets with more ranges than this are not indexed.
const MAX_RANGES: usize = 4096;

/// True when `set` is small enough to index.
pub fn indexable(set: &IpSet) -> bool {
    let r4 = set.v4_ranges();
    let r6 = set.v6_ranges();
    if set.is_empty() || r4.len() + r6.len() > MAX_RANGES {
        return false;
    }
    let span4: u64 = r4.iter().map(|&(a, b)| (b - a) as u64 + 1).sum();
    let span6: u128 = r6.iter().fold(0u128, |acc, &(a, b)| acc.saturating_add(b - a).saturating_add(1));
    span4 <= MAX_V4_SPAN && span6 <= MAX_V6_SPAN
}

struct Segments<T> {
    /// Segment i covers `starts[i] ..= starts[i+1]-1` (the last one to MAX).
    starts: Vec<T>,
    sigs: Vec<Vec<u32>>,
}

impl<T: Copy + Ord + std::fmt::Debug> Segments<T> {
    fn build(entries: &[(T, T, u32)], succ: impl Fn(T) -> Option<T>, min: T) -> Self {
        let mut starts: Vec<T> = vec![min];
        for &(lo, hi, _) in entries {
            starts.push(lo);
            if let Some(n) = succ(hi) {
                starts.push(n);
            }
        }
        starts.sort_unstable();
        starts.dedup();
        let mut sigs = vec![Vec::new(); starts.len()];
        for &(lo, hi, sig) in entries {
            let first = starts.partition_point(|&s| s < lo);
            for (i, s) in starts.iter().enumerate().skip(first) {
                if *s > hi {
                    break;
                }
                sigs[i].push(sig);
            }
        }
        for l in &mut sigs {
            l.sort_unstable();
            l.dedup();
        }
        Segments { starts, sigs }
    }

    fn get(&self, v: T) -> &[u32] {
        let i = self.starts.partition_point(|&s| s <= v);
        if i == 0 {
            return &[];
        }
        &self.sigs[i - 1]
    }
}

/// Maps an address to the signatures indexed under it.
pub struct IpIndex {
    v4: Segments<u32>,
    v6: Segments<u128>,
}

impl IpIndex {
    /// Builds the index from (set, signature) pairs.
    pub fn build(items: &[(&IpSet, u32)]) -> Self {
        let mut e4 = Vec::new();
        let mut e6 = Vec::new();
        for &(set, sig) in items {
            e4.extend(set.v4_ranges().iter().map(|&(a, b)| (a, b, sig)));
            e6.extend(set.v6_ranges().iter().map(|&(a, b)| (a, b, sig)));
        }
        IpIndex {
            v4: Segments::build(&e4, |v: u32| v.checked_add(1), 0),
            v6: Segments::build(&e6, |v: u128| v.checked_add(1), 0),
        }
    }

    /// Signatures indexed under `ip`.
    pub fn get(&self, ip: IpAddr) -> &[u32] {
        match ip {
            IpAddr::V4(a) => self.v4.get(u32::from(a)),
            IpAddr::V6(a) => self.v6.get(u128::from(a)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::netset::{addr_expr, Vars};

    fn set(s: &str) -> IpSet {
        Vars::default().resolve_addr(&addr_expr(s).unwrap().1).unwrap()
    }

    #[test]
    fn lookups() {
        let a = set("[1.1.1.1,2.2.2.0/24]");
        let b = set("[2.2.2.2,2001:db8::1]");
        let idx = IpIndex::build(&[(&a, 0), (&b, 1)]);
        assert_eq!(idx.get("1.1.1.1".parse().unwrap()), [0]);
        assert_eq!(idx.get("2.2.2.2".parse().unwrap()), [0, 1]);
        assert_eq!(idx.get("2.2.2.3".parse().unwrap()), [0]);
        assert!(idx.get("3.3.3.3".parse().unwrap()).is_empty());
        assert_eq!(idx.get("2001:db8::1".parse().unwrap()), [1]);
        assert!(indexable(&a));
        assert!(!indexable(&set("$HOME_NET")));
        assert!(!indexable(&set("any")));
    }
}
