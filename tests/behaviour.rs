//! Behavioural detection (issue 10) through the library API.
//!
//! A deterministic generator (SplitMix64, fixed seeds) builds a day of flow
//! summaries and DNS transactions for a small VPC: background browsing, the
//! planted behaviours (beacons at 10 s, 60 s, 5 min and 10 min with jitter 0
//! to 30% and missed beats; fast, slow and cold exfiltration and an upload
//! ratio; four DNS tunnels) and look-alikes that must not alert (NTP,
//! metadata polling, health checks, update checks, agents, a browser polling
//! an API irregularly, a busy API client, a keep-alive connection, a large
//! download, log shipping, an allowed backup, a mail server's DKIM/DMARC
//! lookups, reverse lookups, load balancer and CDN names, descriptive long
//! names). Each behaviour has its own source address, so every finding can
//! be attributed.
//!
//! The same scenarios, scaled down to a few packets per flow, are in
//! fixtures/behaviour/*.pcap (made by fixtures/behaviour/make_behaviour.py);
//! `pcap_corpus_through_library` reads them with the engine's reader and
//! decoder, a minimal flow tracker and the DNS/TLS parsers, until the
//! pipeline feeds the stage itself.
//!
//! Figures are printed (`cargo test --test behaviour -- --nocapture`).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use mirador_engine::analytics::{sid, wire, Analytics, AnalyticsConfig, DnsQuery, Finding, FlowSummary};
use mirador_engine::source::Timestamp;

const SEC: i64 = 1_000_000;
const MIN: i64 = 60 * SEC;
const HOUR: i64 = 3600 * SEC;
/// 2024-01-01T00:00:00Z, µs.
const T0: i64 = 1_704_067_200 * SEC;
const MB: u64 = 1_000_000;
const RESOLVER: &str = "10.0.0.2";

// ---------------------------------------------------------------- generator

/// SplitMix64: small, deterministic, good enough for traffic shapes.
struct Rng(u64);

impl Rng {
    fn u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    fn f64(&mut self) -> f64 {
        (self.u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn range(&mut self, a: f64, b: f64) -> f64 {
        a + (b - a) * self.f64()
    }
    fn below(&mut self, n: u64) -> u64 {
        self.u64() % n
    }
    fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }
    /// Exponential with this mean.
    fn exp(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.f64()).ln()
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.u64() as u8).collect()
    }
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn ts(us: i64) -> Timestamp {
    Timestamp { secs: us.div_euclid(SEC), micros: us.rem_euclid(SEC) as u32 }
}

fn base32(b: &[u8]) -> String {
    const A: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut out = String::new();
    let (mut acc, mut bits) = (0u32, 0);
    for &x in b {
        acc = (acc << 8) | u32::from(x);
        bits += 8;
        while bits >= 5 {
            out.push(A[((acc >> (bits - 5)) & 31) as usize] as char);
            bits -= 5;
        }
    }
    if bits > 0 {
        out.push(A[((acc << (5 - bits)) & 31) as usize] as char);
    }
    out
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// What the stage is fed.
enum Input {
    Flow(FlowSummary),
    Dns(DnsQuery),
}

/// What a source address stands for, and what it must raise.
#[derive(Clone, Debug)]
struct Planted {
    name: String,
    /// Signatures that must fire (empty: a look-alike, nothing may fire).
    expect: Vec<u32>,
    /// Beacons: nominal period (s) and jitter.
    period_s: Option<f64>,
    jitter: Option<f64>,
}

struct Corpus {
    items: Vec<(i64, u64, Input)>,
    seq: u64,
    port: u16,
    planted: BTreeMap<IpAddr, Planted>,
    rng: Rng,
}

impl Corpus {
    fn new(seed: u64) -> Self {
        Corpus { items: Vec::new(), seq: 0, port: 20_000, planted: BTreeMap::new(), rng: Rng(seed) }
    }

    fn plant(&mut self, src: &str, name: &str, expect: &[u32]) {
        let p = Planted { name: name.into(), expect: expect.to_vec(), period_s: None, jitter: None };
        assert!(self.planted.insert(ip(src), p).is_none(), "{src} planted twice");
    }

    /// A flow delivered at its end, as the flow table would.
    #[allow(clippy::too_many_arguments)]
    fn flow(
        &mut self,
        start: i64,
        dur: i64,
        proto: u8,
        client: IpAddr,
        server: (IpAddr, u16),
        up: u64,
        down: u64,
        name: Option<&str>,
    ) {
        self.port = if self.port >= 60_000 { 20_000 } else { self.port + 1 };
        let f = FlowSummary {
            start: ts(start),
            end: ts(start + dur),
            proto,
            client: (client, self.port),
            server,
            vni: None,
            pkts_toserver: up / 1400 + 4,
            pkts_toclient: down / 1400 + 3,
            bytes_toserver: up,
            bytes_toclient: down,
            app_proto: match server.1 {
                443 => Some("tls"),
                80 | 8080 => Some("http"),
                _ => None,
            },
            server_name: name.map(String::from),
        };
        self.seq += 1;
        self.items.push((start + dur, self.seq, Input::Flow(f)));
    }

    fn dns(&mut self, t: i64, client: IpAddr, qname: &str, qtype: u16, answer_bytes: usize, answers: Vec<IpAddr>) {
        let q = DnsQuery {
            ts: ts(t),
            client,
            server: ip(RESOLVER),
            vni: None,
            qname: qname.into(),
            qtype,
            answer_bytes,
            answers,
        };
        self.seq += 1;
        self.items.push((t, self.seq, Input::Dns(q)));
    }

    fn sorted(mut self) -> (Vec<Input>, BTreeMap<IpAddr, Planted>) {
        self.items.sort_by_key(|(t, s, _)| (*t, *s));
        (self.items.into_iter().map(|(_, _, i)| i).collect(), self.planted)
    }
}

const PERIODS: [f64; 4] = [10.0, 60.0, 300.0, 600.0];
const JITTERS: [f64; 4] = [0.0, 0.1, 0.2, 0.3];

/// The day of traffic: every scenario of issue 10 plus background.
fn corpus(seed: u64) -> (Vec<Input>, BTreeMap<IpAddr, Planted>) {
    let mut c = Corpus::new(seed);
    let span = 24 * HOUR;
    background(&mut c, span);
    beacons(&mut c, span);
    periodic_lookalikes(&mut c, span);
    exfiltration(&mut c, span);
    dns_tunnels(&mut c);
    dns_lookalikes(&mut c);
    c.sorted()
}

/// 40 hosts browsing: a lookup, then 1 to 6 connections to the answer, at
/// Poisson times (mean 2 min), to 200 sites with Zipf-like popularity; and
/// database connections inside the VPC.
fn background(c: &mut Corpus, span: i64) {
    for h in 0..40u32 {
        let host = ip(&format!("10.0.1.{}", 10 + h));
        let mut t = T0 + (c.rng.exp(60.0) * SEC as f64) as i64;
        while t < T0 + span {
            let rank = (200.0 * c.rng.f64().powi(3)) as u32; // popular sites first
            let sub = ["www", "static", "api", "img"][c.rng.below(4) as usize];
            let name = format!("{sub}.site{rank}.example");
            let server = ip(&format!("192.0.2.{}", rank % 250 + 1));
            c.dns(t, host, &name, 1, 4, vec![server]);
            for _ in 0..=c.rng.below(6) {
                let start = t + (c.rng.range(0.05, 20.0) * SEC as f64) as i64;
                let up = c.rng.range(600.0, 6000.0) as u64;
                let down = (c.rng.range(8.0, 14.0)).exp() as u64;
                let dur = (c.rng.range(0.2, 30.0) * SEC as f64) as i64;
                let with_sni = c.rng.chance(0.9);
                c.flow(start, dur, 6, host, (server, 443), up, down, with_sni.then_some(name.as_str()));
            }
            if c.rng.chance(0.3) {
                let start = t + (c.rng.range(0.0, 60.0) * SEC as f64) as i64;
                c.flow(start, 2 * SEC, 6, host, (ip("10.0.0.5"), 5432), 2000, 8000, None);
            }
            t += (c.rng.exp(120.0) * SEC as f64) as i64;
        }
    }
}

/// Sixteen beacons: periods 10 s .. 10 min x jitter 0 .. 30%, 10% missed
/// beats, 5% beats with a second connection 0.3 s later, 5% beats with
/// tasking (larger transfer). Destinations vary: TLS SNI, bare IPv4 or IPv6
/// address, HTTP Host with a port, and a UDP beacon named only by the DNS
/// answer that preceded it.
fn beacons(c: &mut Corpus, span: i64) {
    for (pi, &period) in PERIODS.iter().enumerate() {
        for (ji, &jitter) in JITTERS.iter().enumerate() {
            let i = pi * 4 + ji;
            let variant = i % 4;
            let v6 = variant == 1 && i >= 8;
            let src = if v6 { format!("fd00:10::{}", 20 + i) } else { format!("10.0.2.{}", 20 + i) };
            let server_ip = if v6 { format!("2001:db8:c2::{}", 10 + i) } else { format!("203.0.113.{}", 10 + i) };
            let (port, proto, name) = match variant {
                0 => (443, 6, Some(format!("cdn{i}.beacon-c2.example"))),
                1 => (8443, 6, None),
                2 => (8080, 6, Some(format!("update{i}.c2-http.example:8080"))),
                _ => (4444, 17, None),
            };
            let host = ip(&src);
            let server = (ip(&server_ip), port);
            c.plant(&src, &format!("beacon {period}s jitter {jitter}"), &[sid::BEACON]);
            let p = c.planted.get_mut(&host).unwrap();
            p.period_s = Some(period);
            p.jitter = Some(jitter);
            let resolved = format!("ping{i}.dns-named-c2.example");
            let mut t = T0 + (c.rng.range(0.0, period) * SEC as f64) as i64;
            let mut last_lookup = T0 - HOUR;
            while t < T0 + span {
                if !c.rng.chance(0.1) {
                    if variant == 3 && t - last_lookup > 5 * MIN {
                        c.dns(t - 20_000, host, &resolved, 1, 4, vec![server.0]);
                        last_lookup = t;
                    }
                    let tasking = c.rng.chance(0.05);
                    let up = if tasking { 2400 } else { (420.0 * c.rng.range(0.98, 1.02)) as u64 };
                    let down = if tasking { 50_000 } else { (1200.0 * c.rng.range(0.9, 1.1)) as u64 };
                    let dur = (c.rng.range(0.1, 0.6) * SEC as f64) as i64;
                    c.flow(t, dur, proto, host, server, up, down, name.as_deref());
                    if c.rng.chance(0.05) {
                        c.flow(t + 300_000, dur, proto, host, server, up, down, name.as_deref());
                    }
                }
                t += (period * (1.0 + jitter * c.rng.range(-1.0, 1.0)) * SEC as f64) as i64;
            }
        }
    }
}

/// Periodic or busy traffic that is benign and must not alert.
fn periodic_lookalikes(c: &mut Corpus, span: i64) {
    let every = |c: &mut Corpus, src: &str, server: (&str, u16), proto: u8, period: f64, name: Option<&str>| {
        let host = ip(src);
        let mut t = T0 + 1234 * SEC / 1000;
        while t < T0 + span {
            c.flow(t, 30_000, proto, host, (ip(server.0), server.1), 90, 90, name);
            t += (period * SEC as f64) as i64;
        }
    };
    c.plant("10.0.3.1", "NTP to a public pool every 64 s", &[]);
    every(c, "10.0.3.1", ("203.0.113.123", 123), 17, 64.0, None);
    c.plant("10.0.3.2", "instance metadata polled every 5 s, Time Sync every 64 s", &[]);
    every(c, "10.0.3.2", ("169.254.169.254", 80), 6, 5.0, None);
    every(c, "10.0.3.2", ("169.254.169.123", 123), 17, 64.0, None);
    c.plant("10.0.0.10", "load balancer health checks to an instance every 30 s", &[]);
    every(c, "10.0.0.10", ("10.0.3.3", 8080), 6, 30.0, None);
    c.plant("10.0.3.4", "health checks to an allow-listed monitoring host every 60 s", &[]);
    every(c, "10.0.3.4", ("198.51.100.10", 443), 6, 60.0, None);
    c.plant("10.0.3.5", "update checks (snapcraft every 5 min, ubuntu every hour)", &[]);
    every(c, "10.0.3.5", ("185.125.188.54", 443), 6, 300.0, Some("api.snapcraft.io"));
    every(c, "10.0.3.5", ("185.125.190.36", 80), 6, 3600.0, Some("security.ubuntu.com"));
    c.plant("10.0.3.6", "SSM agent polling every 20 s", &[]);
    every(c, "10.0.3.6", ("52.95.110.1", 443), 6, 20.0, Some("ssmmessages.eu-west-1.amazonaws.com"));

    // A browser polling an API at irregular times (log-uniform 5 s .. 2 min),
    // with constant request sizes.
    c.plant("10.0.3.7", "browser polling an API irregularly", &[]);
    let host = ip("10.0.3.7");
    let mut t = T0;
    while t < T0 + span {
        c.flow(t, 400_000, 6, host, (ip("198.18.0.7"), 443), 820, 3000, Some("api.shop.example"));
        t += (c.rng.range(5f64.ln(), 120f64.ln()).exp() * SEC as f64) as i64;
    }
    // One keep-alive connection open all day: one flow.
    c.plant("10.0.3.8", "keep-alive connection open all day", &[]);
    c.flow(
        T0 + MIN,
        span - 2 * MIN,
        6,
        ip("10.0.3.8"),
        (ip("198.18.0.8"), 443),
        1_440_000,
        1_440_000,
        Some("push.example"),
    );
    // A busy client: connections every 0.5 to 1.5 s all day are one burst.
    c.plant("10.0.3.15", "busy API client (a connection every second)", &[]);
    let host = ip("10.0.3.15");
    let mut t = T0;
    while t < T0 + 6 * HOUR {
        c.flow(t, 200_000, 6, host, (ip("198.18.0.15"), 443), 700, 2000, Some("api.busy.example"));
        t += (c.rng.range(0.5, 1.5) * SEC as f64) as i64;
    }
}

/// Small uploads to assorted destinations (a source's normal day).
fn history(c: &mut Corpus, src: IpAddr, from: i64, to: i64) {
    let mut t = from;
    while t < to {
        let server = ip(&format!("192.0.2.{}", 100 + c.rng.below(20)));
        let up = c.rng.range(20_000.0, 200_000.0) as u64;
        c.flow(t, 5 * SEC, 6, src, (server, 443), up, 30_000, None);
        t += (c.rng.exp(600.0) * SEC as f64) as i64;
    }
}

fn exfiltration(c: &mut Corpus, span: i64) {
    // Fast: 2.1 GB in ten minutes after eight hours of normal use.
    c.plant("10.0.4.1", "fast exfiltration after 8 h of history", &[sid::EXFIL_VOLUME, sid::UPLOAD_RATIO]);
    let h = ip("10.0.4.1");
    history(c, h, T0, T0 + span);
    for k in 0..3 {
        c.flow(
            T0 + 8 * HOUR + k * MIN,
            10 * MIN,
            6,
            h,
            (ip("203.0.113.200"), 443),
            700 * MB,
            2 * MB,
            Some("files.exfil-drop.example"),
        );
    }
    // Slow: 30 MB/h for 22 h in short flows at Poisson times.
    c.plant("10.0.4.2", "slow exfiltration, 30 MB/h", &[sid::EXFIL_VOLUME]);
    let h = ip("10.0.4.2");
    history(c, h, T0, T0 + span);
    let mut t = T0 + 2 * HOUR;
    while t < T0 + span {
        let dur = (c.rng.range(5.0, 40.0) * SEC as f64) as i64;
        c.flow(t, dur, 6, h, (ip("203.0.113.201"), 443), 2 * MB, 5_000, None);
        t += (c.rng.exp(240.0) * SEC as f64) as i64;
    }
    // Cold: a new host sends 2 GB in one flow.
    c.plant("10.0.4.3", "exfiltration from a host without history", &[sid::EXFIL_VOLUME, sid::UPLOAD_RATIO]);
    c.flow(T0 + 3 * HOUR, 15 * MIN, 6, ip("10.0.4.3"), (ip("203.0.113.202"), 443), 2000 * MB, 3 * MB, None);
    // Upload ratio only: a host that uploads 50 MB/h all day sends 80 MB in
    // one long, one-way flow.
    c.plant("10.0.4.4", "one-way upload by a host with a high baseline", &[sid::UPLOAD_RATIO]);
    let h = ip("10.0.4.4");
    let mut t = T0;
    while t < T0 + span {
        c.flow(t, 20 * SEC, 6, h, (ip("198.18.1.4"), 443), 5 * MB, 100_000, Some("backup.saas.example"));
        t += (c.rng.exp(360.0) * SEC as f64) as i64;
    }
    c.flow(T0 + 12 * HOUR, 30 * MIN, 6, h, (ip("203.0.113.203"), 443), 80 * MB, 200_000, None);

    // Look-alikes.
    c.plant("10.0.3.9", "large legitimate download (5 GB)", &[]);
    c.flow(
        T0 + 5 * HOUR,
        20 * MIN,
        6,
        ip("10.0.3.9"),
        (ip("198.18.0.9"), 443),
        3 * MB,
        5000 * MB,
        Some("download.vendor.example"),
    );
    c.plant("10.0.3.10", "log shipping, 60 MB/h all day", &[]);
    let h = ip("10.0.3.10");
    let mut t = T0;
    while t < T0 + span {
        c.flow(t, 10 * SEC, 6, h, (ip("198.18.0.10"), 443), 2 * MB, 20_000, Some("intake.logs-saas.example"));
        t += (c.rng.exp(120.0) * SEC as f64) as i64;
    }
    c.plant("10.0.3.16", "3 GB backup to an allow-listed host", &[]);
    c.flow(T0 + 2 * HOUR, 40 * MIN, 6, ip("10.0.3.16"), (ip("198.51.100.20"), 443), 3000 * MB, 5 * MB, None);
}

fn dns_tunnels(c: &mut Corpus) {
    // iodine-like: base32 labels, NULL answers.
    c.plant(
        "10.0.5.1",
        "DNS tunnel, base32 labels, NULL answers",
        &[sid::DNS_LONG_NAMES, sid::DNS_MANY_SUBDOMAINS, sid::DNS_LARGE_ANSWERS],
    );
    let h = ip("10.0.5.1");
    for k in 0..600 {
        let (a, b) = (c.rng.bytes(35), c.rng.bytes(12));
        let q = format!("{}.{}.t.tun-example.com", base32(&a), base32(&b));
        let n = 200 + c.rng.below(800) as usize;
        c.dns(T0 + HOUR + k * 2 * SEC, h, &q, 10, n, vec![]);
    }
    // dnscat2-like: hex labels, TXT answers, under a co.uk domain.
    c.plant(
        "10.0.5.2",
        "DNS tunnel, hex labels, TXT answers (co.uk)",
        &[sid::DNS_LONG_NAMES, sid::DNS_MANY_SUBDOMAINS, sid::DNS_LARGE_ANSWERS],
    );
    let h = ip("10.0.5.2");
    for k in 0..400 {
        let (a, b) = (c.rng.bytes(30), c.rng.bytes(15));
        let q = format!("{}.{}.dc.c2-example.co.uk", hex(&a), hex(&b));
        let n = 100 + c.rng.below(150) as usize;
        c.dns(T0 + 2 * HOUR + k * 3 * SEC, h, &q, 16, n, vec![]);
    }
    // Short unique labels only.
    c.plant("10.0.5.3", "DNS exfiltration in short unique labels", &[sid::DNS_MANY_SUBDOMAINS]);
    let h = ip("10.0.5.3");
    for k in 0..300 {
        let q = format!("{}.exfil-example.net", base32(&c.rng.bytes(5)));
        c.dns(T0 + 3 * HOUR + k * 10 * SEC, h, &q, 1, 0, vec![]);
    }
    // Commands in large TXT answers to few, short queries.
    c.plant("10.0.5.4", "DNS command channel, large TXT answers", &[sid::DNS_LARGE_ANSWERS]);
    let h = ip("10.0.5.4");
    for k in 0..40 {
        c.dns(T0 + 4 * HOUR + k * 45 * SEC, h, &format!("{k}.cfg.txt-example.org"), 16, 300, vec![]);
    }
}

fn dns_lookalikes(c: &mut Corpus) {
    // A mail server: DKIM keys and DMARC policies of 300 sender domains.
    c.plant("10.0.3.11", "mail server DKIM/DMARC TXT lookups", &[]);
    let h = ip("10.0.3.11");
    for k in 0..1500 {
        let d = c.rng.below(300);
        let t = T0 + k * 20 * SEC;
        c.dns(t, h, &format!("selector1._domainkey.sender{d}.example"), 16, 410, vec![]);
        c.dns(t + SEC, h, &format!("_dmarc.sender{d}.example"), 16, 120, vec![]);
        if d < 3 {
            let s = ["20230601", "20221208", "20210112"][k as usize % 3];
            c.dns(t + 2 * SEC, h, &format!("{s}._domainkey.gmail.example"), 16, 420, vec![]);
        }
    }
    c.plant("10.0.3.12", "reverse lookups of 500 addresses", &[]);
    let h = ip("10.0.3.12");
    for k in 0..500 {
        c.dns(T0 + HOUR + k * 3 * SEC, h, &format!("{}.{}.0.10.in-addr.arpa", k % 250, k / 250), 12, 30, vec![]);
    }
    c.plant("10.0.3.13", "40 load balancer names (elb.amazonaws.com)", &[]);
    let h = ip("10.0.3.13");
    for k in 0..40 {
        let id = hex(&c.rng.bytes(5));
        let q = format!("internal-svc{k}-{id}-1234567890.eu-west-1.elb.amazonaws.com");
        c.dns(T0 + HOUR + k * 30 * SEC, h, &q, 1, 4, vec![ip(&format!("10.0.8.{k}"))]);
    }
    c.plant("10.0.3.14", "CDN names with hex ids", &[]);
    let h = ip("10.0.3.14");
    let ids: Vec<String> = (0..6).map(|_| format!("d{}", &hex(&c.rng.bytes(7))[..13])).collect();
    for k in 0..300 {
        let q = format!("{}.cloudfront.example", ids[k % 6]);
        c.dns(T0 + k as i64 * 60 * SEC, h, &q, 1, 4, vec![]);
    }
    c.plant("10.0.3.17", "long descriptive service names", &[]);
    let h = ip("10.0.3.17");
    let words =
        ["payments", "orders", "inventory", "customer", "reporting", "analytics", "notification", "recommendation"];
    let envs = ["production", "staging", "development", "integration"];
    for k in 0..200 {
        let w = words[k % words.len()];
        let e = envs[(k / words.len()) % envs.len()];
        let q = format!("{w}-service-{e}-eu-west-1.internal-tools.example");
        c.dns(T0 + 5 * HOUR + k as i64 * 15 * SEC, h, &q, 1, 4, vec![]);
    }
}

// ---------------------------------------------------------------- running

fn test_config() -> AnalyticsConfig {
    let mut cfg = AnalyticsConfig::default();
    // The monitoring service and the backup target of this VPC.
    cfg.allow.cidrs.push("198.51.100.0/24".parse().unwrap());
    cfg
}

fn run(cfg: AnalyticsConfig, inputs: &[Input]) -> (Vec<Finding>, Analytics) {
    let mut a = Analytics::new(cfg);
    let mut out = Vec::new();
    let mut last = T0;
    for i in inputs {
        match i {
            Input::Flow(f) => {
                last = last.max(f.end.as_micros());
                a.flow_ended(f, &mut out);
            }
            Input::Dns(q) => {
                last = last.max(q.ts.as_micros());
                a.dns(q, &mut out);
            }
        }
    }
    a.finish(ts(last), &mut out);
    (out, a)
}

fn md<'a>(f: &'a Finding, k: &str) -> Option<&'a str> {
    f.metadata.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str())
}

/// Checks recall and precision on the generated corpus; returns the report.
fn check(findings: &[Finding], planted: &BTreeMap<IpAddr, Planted>) -> Vec<String> {
    let mut by_src: BTreeMap<IpAddr, Vec<&Finding>> = BTreeMap::new();
    for f in findings {
        by_src.entry(f.src.0).or_default().push(f);
    }
    let mut errors = Vec::new();
    for (src, fs) in &by_src {
        if !planted.contains_key(src) {
            errors.push(format!("background host {src} raised {:?}", fs.iter().map(|f| f.sid).collect::<Vec<_>>()));
        }
    }
    let mut report = Vec::new();
    for (src, p) in planted {
        let fs = by_src.get(src).map(Vec::as_slice).unwrap_or(&[]);
        let sids: BTreeSet<u32> = fs.iter().map(|f| f.sid).collect();
        let expect: BTreeSet<u32> = p.expect.iter().copied().collect();
        let soft = p.jitter.is_some_and(|j| j > 0.2);
        if let Some(period) = p.period_s {
            let b = fs.iter().find(|f| f.sid == sid::BEACON);
            let found = b.map(|f| {
                let got: f64 = md(f, "period_s").unwrap().parse().unwrap();
                (got, md(f, "jitter").unwrap().to_string(), md(f, "count").unwrap().to_string())
            });
            match (&found, soft) {
                (Some((got, _, _)), false) if (got - period).abs() > 0.1 * period => {
                    errors.push(format!("{}: period {got} s, planted {period} s", p.name))
                }
                (None, false) => errors.push(format!("{}: not found", p.name)),
                _ => {}
            }
            report.push(match found {
                Some((got, j, n)) => format!(
                    "{:<34} {src:<16} found  period {got:>6.1} s ({:+.1}%)  jitter {j}  beats {n}  at {}",
                    p.name,
                    100.0 * (got - period) / period,
                    (b.unwrap().ts.as_micros() - T0) / SEC
                ),
                None => format!("{:<34} {src:<16} NOT FOUND", p.name),
            });
        } else {
            let missing: Vec<_> = expect.difference(&sids).collect();
            if !missing.is_empty() {
                errors.push(format!("{}: missing sids {missing:?}", p.name));
            }
            report.push(format!(
                "{:<50} {src:<16} {}",
                p.name,
                if sids.is_empty() { "no alert".to_string() } else { format!("{sids:?}") }
            ));
        }
        let extra: Vec<_> = sids.difference(&expect).collect();
        if !extra.is_empty() && !soft {
            errors.push(format!(
                "{}: unexpected sids {extra:?}: {:?}",
                p.name,
                fs.iter().filter(|f| !expect.contains(&f.sid)).collect::<Vec<_>>()
            ));
        }
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    report
}

/// Acceptance 1 and 2: every beacon with jitter up to 20% found with its
/// period within 10%, the exfiltration and DNS cases found, and no
/// look-alike or background host alerts. Jitter 30% is reported.
#[test]
fn issue_10_generated_corpus() {
    let (inputs, planted) = corpus(10);
    let flows = inputs.iter().filter(|i| matches!(i, Input::Flow(_))).count();
    let (findings, a) = run(test_config(), &inputs);
    let report = check(&findings, &planted);
    println!("corpus: {flows} flows, {} DNS transactions, 24 h", inputs.len() - flows);
    for l in &report {
        println!("  {l}");
    }
    let c = a.counters();
    println!(
        "findings per sid {:?}; beacon scorings {}; peak {} KiB of {} KiB",
        c.findings,
        c.beacon_evaluations,
        c.peak_bytes >> 10,
        c.memcap >> 10
    );
    let found_30 = planted
        .iter()
        .filter(|(_, p)| p.jitter == Some(0.3))
        .filter(|(s, _)| findings.iter().any(|f| f.src.0 == **s && f.sid == sid::BEACON))
        .count();
    println!("jitter 30%: {found_30} of 4 beacons found");
}

/// Other seeds: the same guarantees must not depend on one lucky draw.
#[test]
fn issue_10_other_seeds() {
    let mut found_30 = 0;
    for seed in [11, 12, 13] {
        let (inputs, planted) = corpus(seed);
        let (findings, _) = run(test_config(), &inputs);
        check(&findings, &planted);
        found_30 += planted
            .iter()
            .filter(|(_, p)| p.jitter == Some(0.3))
            .filter(|(s, _)| findings.iter().any(|f| f.src.0 == **s && f.sid == sid::BEACON))
            .count();
    }
    println!("jitter 30% over seeds 11-13: {found_30} of 12 beacons found");
}

/// The allow-list is what keeps the periodic look-alikes quiet: without it
/// they are beacons.
#[test]
fn lookalikes_are_beacons_without_the_allow_list() {
    let (inputs, _) = corpus(10);
    let mut cfg = test_config();
    cfg.allow.cidrs.clear();
    cfg.allow.domains.clear();
    cfg.allow.ports.clear();
    let (findings, _) = run(cfg, &inputs);
    let beacons: BTreeSet<IpAddr> = findings.iter().filter(|f| f.sid == sid::BEACON).map(|f| f.src.0).collect();
    for src in ["10.0.3.1", "10.0.3.4", "10.0.3.5", "10.0.3.6"] {
        assert!(beacons.contains(&ip(src)), "{src} should beacon without the allow-list: {beacons:?}");
    }
    // Link-local (metadata, Time Sync) and internal (health checks) stay out
    // of scope.
    assert!(!beacons.contains(&ip("10.0.3.2")) && !beacons.contains(&ip("10.0.0.10")));
}

/// Replay is deterministic: same input, same findings in the same order.
#[test]
fn deterministic() {
    let (inputs, _) = corpus(10);
    let (a, _) = run(test_config(), &inputs);
    let (b, _) = run(test_config(), &inputs);
    assert_eq!(a, b);
}

// ---------------------------------------------------------------- memory

/// Flows between 1 million distinct (source, destination) pairs, made on the
/// fly (nothing is kept).
fn million_pairs(mut f: impl FnMut(&FlowSummary)) {
    let mut rng = Rng(4);
    for k in 0..1_000_000u64 {
        let t = T0 + k as i64 * 10_000; // 100 flows/s, 2.8 h
        let src = IpAddr::from([10, (k >> 16) as u8 & 0x0f, (k >> 8) as u8, k as u8]);
        let dst = IpAddr::from([
            100 + (rng.below(100) as u8),
            rng.below(256) as u8,
            rng.below(256) as u8,
            1 + rng.below(254) as u8,
        ]);
        let fs = FlowSummary {
            start: ts(t),
            end: ts(t + SEC),
            proto: 6,
            client: (src, 40_000),
            server: (dst, 443),
            vni: None,
            pkts_toserver: 5,
            pkts_toclient: 5,
            bytes_toserver: 800 + rng.below(4000),
            bytes_toclient: 3000,
            app_proto: Some("tls"),
            server_name: (k % 3 == 0).then(|| format!("host{k}.pair-{}.example", k % 977)),
        };
        f(&fs);
    }
}

fn vm_hwm_kib() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Child of `memory_one_million_pairs`: runs the load with or without the
/// stage (env `MIRADOR_RSS_PROBE`) and prints its peak RSS.
#[test]
#[ignore = "run by memory_one_million_pairs in a child process"]
fn rss_probe() {
    let Ok(mode) = std::env::var("MIRADOR_RSS_PROBE") else { return };
    let mut a = Analytics::new(AnalyticsConfig::default());
    let mut out = Vec::new();
    let mut sum = 0u64;
    let started = std::time::Instant::now();
    million_pairs(|f| {
        sum = sum.wrapping_add(f.bytes_toserver);
        if mode == "with" {
            a.flow_ended(f, &mut out);
        }
    });
    let c = a.counters();
    println!(
        "RSS_PROBE {mode} vmhwm_kib={} peak_bytes={} findings={} elapsed_ms={} sum={sum}",
        vm_hwm_kib(),
        c.peak_bytes,
        out.len(),
        started.elapsed().as_millis()
    );
}

/// Acceptance 4: a million distinct pairs stay under the configured cap (the
/// stage's own accounting), and the process's peak RSS with and without the
/// stage is reported (two child processes).
#[test]
fn memory_one_million_pairs() {
    let cfg = AnalyticsConfig::default();
    let memcap = cfg.memcap;
    let mut a = Analytics::new(cfg);
    let mut out = Vec::new();
    million_pairs(|f| a.flow_ended(f, &mut out));
    let c = a.counters();
    println!(
        "1M pairs: memcap {} KiB, peak accounted {} KiB, now {} KiB",
        memcap >> 10,
        c.peak_bytes >> 10,
        c.bytes >> 10
    );
    for (name, t) in [
        ("beacon", c.beacon_table),
        ("exfil pairs", c.exfil_pairs),
        ("exfil sources", c.exfil_sources),
        ("dns names", c.dns_names),
    ] {
        println!(
            "  {name:<13} entries {:>7} inserted {:>7} evicted {:>7} turns {:>3} peak {:>6} KiB of {:>6} KiB",
            t.entries,
            t.inserted,
            t.evicted,
            t.turns,
            t.peak_bytes >> 10,
            t.budget >> 10
        );
        assert!(t.peak_bytes <= t.budget, "{name} over its share: {t:?}");
    }
    assert!(c.peak_bytes <= memcap, "peak {} over memcap {memcap}", c.peak_bytes);
    assert!(c.beacon_table.evicted > 0 && c.exfil_pairs.evicted > 0, "the caps were reached");
    assert!(out.is_empty(), "one flow per pair cannot alert: {:?}", &out[..out.len().min(3)]);

    let exe = std::env::current_exe().unwrap();
    let mut rss = HashMap::new();
    for mode in ["without", "with"] {
        let o = std::process::Command::new(&exe)
            .args(["--exact", "rss_probe", "--ignored", "--nocapture", "--test-threads=1"])
            .env("MIRADOR_RSS_PROBE", mode)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&o.stdout);
        let line = text
            .lines()
            .find_map(|l| l.find("RSS_PROBE").map(|i| &l[i..]))
            .unwrap_or_else(|| panic!("no probe output: {text}"));
        let kib: u64 = line.split("vmhwm_kib=").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
        println!("  {line}");
        rss.insert(mode, kib);
    }
    let delta = rss["with"].saturating_sub(rss["without"]);
    println!(
        "peak RSS without {} KiB, with {} KiB: +{} KiB for a {} KiB cap",
        rss["without"],
        rss["with"],
        delta,
        memcap >> 10
    );
    // Allocator overhead and hash table growth transients come on top of the
    // accounting; a quarter more is the bound we hold to.
    assert!(delta <= memcap / 1024 * 5 / 4, "RSS grew {delta} KiB for a {} KiB cap", memcap >> 10);
}

// ---------------------------------------------------------------- pcaps

/// The fixture pcaps through the library: read, decode, track flows, parse
/// DNS and TLS, feed the stage with the fixture configuration, compare with
/// the manifest the generator wrote.
#[test]
fn pcap_corpus_through_library() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/behaviour");
    let cfg_text = std::fs::read_to_string(dir.join("behaviour.yaml")).expect("fixtures/behaviour/behaviour.yaml");
    let doc: serde_yaml::Value = serde_yaml::from_str(&cfg_text).unwrap();
    let cfg: AnalyticsConfig = serde_yaml::from_value(doc["behaviour"].clone()).unwrap();
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    for pcap in manifest["pcaps"].as_array().unwrap() {
        let file = pcap["file"].as_str().unwrap();
        let (findings, stats) = mini_pipeline::run(&dir.join(file), cfg.clone());
        println!("{file}: {stats}");
        let mut planted = BTreeMap::new();
        for s in pcap["scenarios"].as_array().unwrap() {
            let src = ip(s["src"].as_str().unwrap());
            let p = Planted {
                name: s["name"].as_str().unwrap().into(),
                expect: s["expect"].as_array().unwrap().iter().map(|x| x.as_u64().unwrap() as u32).collect(),
                period_s: s["period_s"].as_f64(),
                jitter: s["jitter"].as_f64(),
            };
            planted.insert(src, p);
        }
        for l in check(&findings, &planted) {
            println!("  {l}");
        }
    }
}

/// Acceptance 3 helper: the stage over a real capture (default
/// /work/shared/bench/base.pcap, or `MIRADOR_BEHAVIOUR_PCAP`), default
/// configuration; prints every finding.
#[test]
#[ignore = "reads a large capture outside the repository; run by hand"]
fn real_capture() {
    let path = std::env::var("MIRADOR_BEHAVIOUR_PCAP")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from("/work/shared/bench/base.pcap"));
    let (findings, stats) = mini_pipeline::run(&path, AnalyticsConfig::default());
    println!("{}: {stats}", path.display());
    for f in &findings {
        println!(
            "{} sid {} {}:{} -> {}:{} proto {} {:?}",
            f.ts.secs, f.sid, f.src.0, f.src.1, f.dst.0, f.dst.1, f.proto, f.metadata
        );
    }
}

/// Until the pipeline feeds the stage: the engine's reader and decoder, a
/// minimal flow tracker (TCP flows end 5 s after FIN from both sides or RST,
/// or after 1 hour idle; other flows after 2 minutes idle), DNS responses
/// through the engine's DNS parser, SNI through its TLS parser, HTTP Host by
/// hand.
mod mini_pipeline {
    use super::*;
    use mirador_engine::applayer::dns::parser::parse_message;
    use mirador_engine::applayer::tls::parser::{parse_client_hello, parse_handshake_header, parse_record_header};
    use mirador_engine::decode::{decode, tcp_flags, L4};
    use mirador_engine::source::FileSource;

    struct Flow {
        s: FlowSummary,
        fins: u8,
        named: bool,
    }

    type Key = (u8, (IpAddr, u16), (IpAddr, u16), Option<u32>);

    fn server_name(payload: &[u8]) -> Option<String> {
        if payload.first() == Some(&0x16) {
            let rh = parse_record_header(payload)?;
            let body = payload.get(5..5 + usize::from(rh.len))?;
            let hh = parse_handshake_header(body)?;
            if hh.msg_type.0 != 1 {
                return None;
            }
            let ch = parse_client_hello(body.get(4..4 + hh.len as usize)?).ok()?;
            return ch.sni.map(|s| String::from_utf8_lossy(&s).into_owned());
        }
        let text = std::str::from_utf8(payload.get(..payload.len().min(2048))?).ok()?;
        if !text.starts_with("GET ") && !text.starts_with("POST ") && !text.starts_with("PUT ") {
            return None;
        }
        text.split("\r\n").find_map(|l| l.strip_prefix("Host: ").or_else(|| l.strip_prefix("host: ")).map(String::from))
    }

    pub fn run(path: &Path, cfg: AnalyticsConfig) -> (Vec<Finding>, String) {
        let mut src = FileSource::open(path).unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
        let mut a = Analytics::new(cfg);
        let mut out = Vec::new();
        let mut flows: HashMap<Key, Flow> = HashMap::new();
        let (mut packets, mut dns, mut nflows, mut last_sweep, mut now) = (0u64, 0u64, 0u64, 0i64, 0i64);
        while let Some(rec) = src.next_record() {
            let Ok(rec) = rec else { break };
            packets += 1;
            now = rec.ts.as_micros();
            let Ok(pkt) = decode(rec.linktype, rec.data) else { continue };
            let Some(ipi) = pkt.ip.as_ref() else { continue };
            let vni = pkt.tunnel().map(|t| t.vni);
            let (sp, dp) = pkt.l4.ports();
            let a_end = (ipi.src, sp);
            let b_end = (ipi.dst, dp);
            let key: Key = if a_end <= b_end { (ipi.proto, a_end, b_end, vni) } else { (ipi.proto, b_end, a_end, vni) };
            let flags = if let L4::Tcp { flags, .. } = pkt.l4 { flags } else { 0 };
            let f = flows.entry(key).or_insert_with(|| {
                nflows += 1;
                let synack = flags & (tcp_flags::SYN | tcp_flags::ACK) == tcp_flags::SYN | tcp_flags::ACK;
                let (client, server) = if synack { (b_end, a_end) } else { (a_end, b_end) };
                Flow {
                    s: FlowSummary {
                        start: rec.ts,
                        end: rec.ts,
                        proto: ipi.proto,
                        client,
                        server,
                        vni,
                        pkts_toserver: 0,
                        pkts_toclient: 0,
                        bytes_toserver: 0,
                        bytes_toclient: 0,
                        app_proto: None,
                        server_name: None,
                    },
                    fins: 0,
                    named: false,
                }
            });
            f.s.end = rec.ts;
            let to_server = a_end == f.s.client;
            let bytes = rec.data.len() as u64;
            if to_server {
                f.s.pkts_toserver += 1;
                f.s.bytes_toserver += bytes;
            } else {
                f.s.pkts_toclient += 1;
                f.s.bytes_toclient += bytes;
            }
            let payload = pkt.payload();
            if to_server && !f.named && !payload.is_empty() && ipi.proto == 6 {
                f.named = true;
                f.s.server_name = server_name(payload);
            }
            if ipi.proto == 17 && (sp == 53 || dp == 53) {
                if let Ok(m) = parse_message(payload) {
                    if m.header.is_response() {
                        if let Some(q) = wire::from_message(rec.ts, &m, ipi.src, ipi.dst, vni) {
                            dns += 1;
                            a.dns(&q, &mut out);
                        }
                    }
                }
            }
            if flags & tcp_flags::FIN != 0 {
                f.fins |= if to_server { 1 } else { 2 };
            }
            if flags & tcp_flags::RST != 0 {
                f.fins = 3;
            }
            if now - last_sweep >= SEC {
                last_sweep = now;
                let timeout = |k: &Key, f: &Flow| match (k.0, f.fins) {
                    (6, 3) => 5 * SEC,
                    (6, _) => HOUR,
                    _ => 2 * MIN,
                };
                let mut idle: Vec<Key> =
                    flows.iter().filter(|(k, f)| now - f.s.end.as_micros() > timeout(k, f)).map(|(k, _)| *k).collect();
                idle.sort_by_key(|k| (flows[k].s.start, *k));
                for k in idle {
                    let f = flows.remove(&k).unwrap();
                    a.flow_ended(&f.s, &mut out);
                }
            }
        }
        let mut rest: Vec<Flow> = flows.into_values().collect();
        rest.sort_by_key(|f| (f.s.end, f.s.start, f.s.client, f.s.server));
        for f in rest {
            a.flow_ended(&f.s, &mut out);
        }
        a.finish(ts(now), &mut out);
        let c = a.counters();
        let stats = format!(
            "{packets} packets, {nflows} flows ({} allowed, {} out of scope), {dns} DNS responses ({} allowed), findings per sid {:?}",
            c.flows_allowed, c.flows_out_of_scope, c.dns_allowed, c.findings
        );
        (out, stats)
    }
}
