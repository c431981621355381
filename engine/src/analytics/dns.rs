//! DNS tunnelling: what a tunnel must do to carry data through the resolver.
//!
//! Per (VNI, client address, registered domain) and tumbling window
//! (`dns.window-s` from the first query), three sets of 32-bit name hashes:
//!
//! - *long random names*: distinct names whose subdomain part (left of the
//!   registered domain, dots excluded) has at least `long-min-len`
//!   characters, a Shannon entropy of at least `long-min-randomness` times
//!   the mean entropy of random strings of that length and alphabet class
//!   ([`random_entropy`]), and at most `long-max-vowels` vowels among its
//!   letters and digits (encodings are uniform over alphabets with few
//!   vowels; words are not); `long-min-count` of them alert (sid 9000004);
//! - *subdomains*: distinct subdomain parts; `unique-subdomains` alert
//!   (sid 9000005);
//! - *large answers*: distinct names answered with at least
//!   `large-answer-bytes` of TXT or NULL rdata; `large-answer-count` alert
//!   (sid 9000006).
//!
//! Counting distinct names (not queries) keeps a resolver-less client asking
//! one long name again and again, or a mail server fetching one DKIM key per
//! message, out. Each set stops growing at its threshold (capped by
//! [`MAX_DISTINCT_TRACKED`](super::MAX_DISTINCT_TRACKED)), so a key's state is
//! bounded whatever the traffic.
//!
//! The registered domain is approximated as the last two labels, or three
//! when the last two are a known second-level suffix ([`SECOND_LEVEL`], e.g.
//! `co.uk`); there is no public-suffix list in the sensor.

use std::mem::size_of;

use super::config::DnsConfig;
use super::table::{GenMap, HeapSize, TableCounters};
use super::{finding, fnv64, meta, sid, DnsQuery, Finding, Host, NEVER};

/// Second-level suffixes under which registrations happen one label deeper
/// (the common ones of the public suffix list; a missing one only merges a
/// country's domains into one key).
pub(crate) const SECOND_LEVEL: &[&str] = &[
    "co.uk", "org.uk", "ac.uk", "gov.uk", "me.uk", "ltd.uk", "plc.uk", "net.uk", "com.au", "net.au", "org.au",
    "edu.au", "gov.au", "co.nz", "org.nz", "co.jp", "ne.jp", "or.jp", "ac.jp", "co.kr", "com.br", "com.cn", "net.cn",
    "org.cn", "com.tw", "com.hk", "co.in", "co.za", "com.mx", "com.ar", "com.tr", "co.il", "com.sg", "com.my", "co.id",
    "com.ua",
];

/// DNS types whose answers carry arbitrary data.
const TXT: u16 = 16;
/// NULL record type.
const NULL: u16 = 10;

/// Splits a lowercase name into (subdomain part, registered domain).
pub(crate) fn split_registered(name: &str) -> (&str, &str) {
    let dots: Vec<usize> = name.match_indices('.').map(|(i, _)| i).collect();
    let labels = dots.len() + 1;
    let take = if labels >= 3 && SECOND_LEVEL.contains(&&name[dots[dots.len() - 2] + 1..]) { 3 } else { 2 };
    if labels <= take {
        return ("", name);
    }
    let cut = dots[labels - take - 1];
    (&name[..cut], &name[cut + 1..])
}

/// What a name's subdomain part looks like, dots excluded.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Shape {
    /// Characters counted.
    pub(crate) len: usize,
    /// Shannon entropy, bits per character.
    pub(crate) entropy: f64,
    /// Entropy over the mean entropy of a random string of the same length
    /// over the same alphabet class.
    pub(crate) randomness: f64,
    /// Vowels among letters and digits.
    pub(crate) vowels: f64,
}

/// Size of the alphabet class `s` fits: hex, base32 (`a-z2-7`), DNS
/// alphanumerics with `-` and `_`, or anything (counted as 64: base64-like).
fn alphabet(s: &str) -> u32 {
    let bytes = || s.bytes().filter(|&b| b != b'.');
    if bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        16
    } else if bytes().all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b)) {
        32
    } else if bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_') {
        38
    } else {
        64
    }
}

/// Mean Shannon entropy (bits) of `n` characters drawn uniformly from `a`
/// symbols: `-a * sum_c P(c) (c/n) log2(c/n)` with `c` binomial(n, 1/a).
pub(crate) fn random_entropy(n: usize, a: u32) -> f64 {
    if n == 0 || a < 2 {
        return 0.0;
    }
    let p = 1.0 / f64::from(a);
    let nf = n as f64;
    let mut pmf = (1.0 - p).powi(n as i32);
    let mut sum = 0.0;
    for c in 0..=n {
        if c > 0 {
            let f = c as f64 / nf;
            sum += pmf * f * f.log2();
        }
        pmf *= (nf - c as f64) / (c as f64 + 1.0) * p / (1.0 - p);
    }
    -f64::from(a) * sum
}

/// Measures a subdomain part.
pub(crate) fn shape(s: &str) -> Shape {
    let mut counts = [0u16; 256];
    let (mut n, mut alnum, mut vowels) = (0usize, 0usize, 0usize);
    for b in s.bytes().filter(|&b| b != b'.') {
        counts[usize::from(b)] += 1;
        n += 1;
        if b.is_ascii_alphanumeric() {
            alnum += 1;
            vowels += usize::from(matches!(b, b'a' | b'e' | b'i' | b'o' | b'u'));
        }
    }
    if n == 0 {
        return Shape { len: 0, entropy: 0.0, randomness: 0.0, vowels: 0.0 };
    }
    let nf = n as f64;
    let entropy: f64 = counts.iter().filter(|&&c| c > 0).map(|&c| f64::from(c) / nf).map(|p| -p * p.log2()).sum();
    let expected = random_entropy(n, alphabet(s));
    Shape {
        len: n,
        entropy,
        randomness: if expected > 0.0 { entropy / expected } else { 0.0 },
        vowels: if alnum > 0 { vowels as f64 / alnum as f64 } else { 0.0 },
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct DomKey {
    client: Host,
    domain: u64,
}

/// State of one (client, registered domain).
pub(crate) struct DomState {
    window_start: i64,
    domain: Box<str>,
    /// First long, high-entropy name of the window.
    example: Option<Box<str>>,
    long: Vec<u32>,
    subdomains: Vec<u32>,
    large: Vec<u32>,
    large_bytes: u64,
    /// Last alert per indicator: long names, subdomains, large answers.
    alerts: [i64; 3],
}

impl HeapSize for DomState {
    fn heap_size(&self) -> usize {
        self.domain.len()
            + self.example.as_ref().map_or(0, |e| e.len())
            + (self.long.capacity() + self.subdomains.capacity() + self.large.capacity()) * size_of::<u32>()
    }
}

/// Inserts `h` if absent and the set is below `cap`; true when the insertion
/// made the set reach `cap`.
fn insert_reaches(set: &mut Vec<u32>, h: u32, cap: u32) -> bool {
    if set.len() as u32 >= cap || set.contains(&h) {
        return false;
    }
    set.push(h);
    set.len() as u32 == cap
}

/// The DNS tunnelling detector.
pub(crate) struct DnsTunnels {
    cfg: DnsConfig,
    realert: i64,
    table: GenMap<DomKey, DomState>,
}

impl DnsTunnels {
    pub(crate) fn new(cfg: DnsConfig, realert: i64, budget: usize) -> Self {
        DnsTunnels { cfg, realert, table: GenMap::new(budget, 0.5) }
    }

    /// Accounts a query for `name` (normalized).
    pub(crate) fn observe(&mut self, client: Host, name: &str, q: &DnsQuery, out: &mut Vec<Finding>) {
        let cfg = &self.cfg;
        let realert = self.realert;
        let t = q.ts.as_micros();
        let window = cfg.window_s.saturating_mul(1_000_000).min(i64::MAX as u64) as i64;
        let (sub, domain) = split_registered(name);
        let sh = if sub.len() >= cfg.long_min_len as usize { Some(shape(sub)) } else { None };
        let is_long = sh.is_some_and(|sh| {
            sh.len >= cfg.long_min_len as usize
                && sh.randomness >= cfg.long_min_randomness
                && sh.vowels <= cfg.long_max_vowels
        });
        let is_large = matches!(q.qtype, TXT | NULL) && q.answer_bytes >= cfg.large_answer_bytes as usize;
        let name_hash = fnv64(name.as_bytes()) as u32;
        let key = DomKey { client, domain: fnv64(domain.as_bytes()) };
        let make = || DomState {
            window_start: t,
            domain: domain.into(),
            example: None,
            long: Vec::new(),
            subdomains: Vec::new(),
            large: Vec::new(),
            large_bytes: 0,
            alerts: [NEVER; 3],
        };
        let mut fired: [Option<u32>; 3] = [None; 3];
        self.table.upsert(key, make, |st| {
            if t - st.window_start >= window {
                st.window_start = t;
                st.example = None;
                st.long = Vec::new();
                st.subdomains = Vec::new();
                st.large = Vec::new();
                st.large_bytes = 0;
            }
            if is_long {
                if st.example.is_none() {
                    st.example = Some(name.into());
                }
                if insert_reaches(&mut st.long, name_hash, cfg.long_min_count) {
                    fired[0] = Some(sid::DNS_LONG_NAMES);
                }
            }
            if !sub.is_empty()
                && insert_reaches(&mut st.subdomains, fnv64(sub.as_bytes()) as u32, cfg.unique_subdomains)
            {
                fired[1] = Some(sid::DNS_MANY_SUBDOMAINS);
            }
            if is_large {
                st.large_bytes = st.large_bytes.saturating_add(q.answer_bytes as u64);
                if insert_reaches(&mut st.large, name_hash, cfg.large_answer_count) {
                    fired[2] = Some(sid::DNS_LARGE_ANSWERS);
                }
            }
            for (i, s) in fired.iter().enumerate() {
                let Some(s) = *s else { continue };
                if st.alerts[i] != NEVER && t - st.alerts[i] < realert {
                    continue;
                }
                st.alerts[i] = t;
                let span = format!("{:.0}", (t - st.window_start) as f64 / 1e6);
                let mut md = vec![meta("domain", &st.domain), meta("span_s", span)];
                match i {
                    0 => {
                        md.push(meta("count", st.long.len()));
                        if let Some(sh) = sh {
                            md.push(meta("entropy", format!("{:.2}", sh.entropy)));
                            md.push(meta("randomness", format!("{:.2}", sh.randomness)));
                        }
                        if let Some(e) = &st.example {
                            md.push(meta("example", e));
                        }
                    }
                    1 => md.push(meta("count", st.subdomains.len())),
                    _ => {
                        md.push(meta("count", st.large.len()));
                        md.push(meta("answer_bytes", st.large_bytes));
                        md.push(meta("qtype", q.qtype));
                    }
                }
                out.push(finding(s, t, (client.ip, 0), (q.server, 53), 17, client.vni, md));
            }
        });
    }

    pub(crate) fn clear(&mut self) {
        self.table.clear();
    }

    pub(crate) fn bytes(&self) -> u64 {
        self.table.bytes_now()
    }

    pub(crate) fn counters(&self) -> TableCounters {
        self.table.counters()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_domains() {
        assert_eq!(split_registered("a.b.example.com"), ("a.b", "example.com"));
        assert_eq!(split_registered("example.com"), ("", "example.com"));
        assert_eq!(split_registered("com"), ("", "com"));
        assert_eq!(split_registered("x.y.bbc.co.uk"), ("x.y", "bbc.co.uk"));
        assert_eq!(split_registered("bbc.co.uk"), ("", "bbc.co.uk"));
        assert_eq!(split_registered("co.uk"), ("", "co.uk"));
    }

    #[test]
    fn shapes() {
        let s = shape("aaaa.aaaa");
        assert_eq!((s.len, s.entropy), (8, 0.0));
        assert!((random_entropy(16, 16) - 3.0).abs() < 0.5);
        // A long random string scores about 1.
        assert!((random_entropy(4096, 16) - 4.0).abs() < 0.01);
        let hex = shape("3f9a0c1e7b2d4a6f8e0c9b1d3a5f7e2c.4b6d8f0a2c4e6a8c");
        assert!(hex.randomness > 0.9 && hex.vowels < 0.2, "{hex:?}");
        let b32 = shape("mzxw6ytboi2dqnrrgq3tmnzshe4dkmbtgi2tin3b.gezdgnbvgy3tqojq");
        assert!(b32.randomness > 0.85 && b32.vowels < 0.3, "{b32:?}");
        let words = shape("very-long-descriptive-service-name-production.internal-tools");
        assert!(words.vowels > 0.3, "{words:?}");
        assert_eq!(shape("").len, 0);
    }
}
