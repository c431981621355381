//! Fuzz harnesses: one function per target, each taking the raw input.
//!
//! Shared by the cargo-fuzz targets (`fuzz/fuzz_targets/*.rs`) and by the
//! engine's regression test, which includes this file with `#[path]`; it
//! uses only `mirador_engine`, `serde_json` and std.
//!
//! Input formats:
//! - `decode`: a frame, decoded as Ethernet, as raw IP, and (from its second
//!   byte) with the link type its first byte selects.
//! - `rules`: UTF-8 rule text; every logical line goes through the parser,
//!   the rules that parse through the compiler.
//! - `applayer`: byte 0 selects the parser (HTTP, DNS/UDP, DNS/TCP, TLS,
//!   SSH); then chunks `[ctrl u8][len u16 BE][len bytes]` (ctrl bit 0: to
//!   client, bit 1: a gap before the chunk, bit 2: free finished
//!   transactions after it).
//! - `pipeline`: byte 0 selects the link type (bits 0-2), midstream pickup
//!   (bit 3), a small reassembly depth (bit 4) and the overlap policies
//!   (bits 5-7); then packets `[time step u8, 1/10 s][len u16 BE][len bytes]`.
//! - `pcap`: a pcap or pcapng file.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::OnceLock;

use mirador_engine::applayer::{self, AppRecord, AppState, TxView};
use mirador_engine::decode::defrag::{Defrag, DefragConfig, Outcome, Policy};
use mirador_engine::decode::{self, LinkType, Packet, Rebuilt};
use mirador_engine::detect::{Buffers, Ruleset};
use mirador_engine::flow::stream::OverlapPolicy;
use mirador_engine::flow::Timeouts;
use mirador_engine::output::VecSink;
use mirador_engine::pipeline::{EngineConfig, Replay};

/// Every optional TLS field on, so that the fuzzer reaches their code.
const TLS_LOG: applayer::tls::eve::TlsLogConfig =
    applayer::tls::eve::TlsLogConfig { extended: true, ja3: true, ja4: true, session_resumption: true, custom: None };
/// Every field of a `custom` list, for the final records.
const TLS_CUSTOM: applayer::tls::eve::TlsLogConfig =
    applayer::tls::eve::TlsLogConfig { custom: Some(u32::MAX), ..TLS_LOG };
/// Extended HTTP records with every header dumped.
const HTTP_LOG: applayer::http::HttpLogConfig =
    applayer::http::HttpLogConfig { extended: true, request_headers: true, response_headers: true };
use mirador_engine::rules::ast::{AppProto, Buffer};
use mirador_engine::rules::{self, Classifications, LoadReport, RuleError, SourcedRule, Vars};
use mirador_engine::source::{FileSource, Record, Timestamp};

/// Link types the first byte of an input selects from.
const LINKTYPES: [u32; 8] = [1, 101, 0, 108, 113, 228, 229, 276];

/// Packets (pipeline) and chunks (applayer) read from one input at most.
const MAX_UNITS: usize = 64;

/// Rules of the `pipeline` and `pcap` targets: the bundled ruleset, the
/// defragmentation fixtures' rules and a few that reach app-layer buffers,
/// flowbits, thresholds and byte keywords.
const EXTRA_RULES: &str = r#"
alert http any any -> any any (msg:"fuzz uri"; flow:established,to_server; http.uri; content:"/a"; sid:9900001; rev:1;)
alert http any any -> any any (msg:"fuzz ua pcre"; http.user_agent; pcre:"/^[a-z]+\/\d/i"; sid:9900002; rev:1;)
alert http any any -> any any (msg:"fuzz body"; file.data; content:"x"; sid:9900003; rev:1;)
alert http any any -> any any (msg:"fuzz stat"; http.stat_code; content:"200"; http.response_body; content:"a"; sid:9900004; rev:1;)
alert dns any any -> any any (msg:"fuzz dns"; dns.query; content:"a"; nocase; sid:9900005; rev:1;)
alert tls any any -> any any (msg:"fuzz sni"; tls.sni; content:"a"; sid:9900006; rev:1;)
alert tls any any -> any any (msg:"fuzz ja3"; ja3.hash; content:"a"; sid:9900007; rev:1;)
alert tcp any any -> any any (msg:"fuzz set"; flow:to_server; content:"A"; flowbits:set,fz; flowbits:noalert; sid:9900008; rev:1;)
alert tcp any any -> any any (msg:"fuzz isset"; flow:to_client; flowbits:isset,fz; content:"B"; sid:9900009; rev:1;)
alert ip any any -> any any (msg:"fuzz threshold"; threshold:type both,track by_src,count 2,seconds 10; sid:9900010; rev:1;)
alert udp any any -> any any (msg:"fuzz bytes"; byte_extract:1,0,len; byte_test:1,>,len,1; byte_jump:1,0,relative; isdataat:1,relative; sid:9900011; rev:1;)
alert tcp any any -> any any (msg:"fuzz stream"; stream_size:both,>,10; dsize:>0; sid:9900012; rev:1;)
alert icmp any any -> any any (msg:"fuzz icmp"; itype:8; sid:9900013; rev:1;)
alert ssh any any -> any any (msg:"fuzz ssh"; ssh.software; content:"Open"; sid:9900014; rev:1;)
alert ip any any -> any any (msg:"fuzz frag"; fragbits:M; sid:9900015; rev:1;)
"#;

fn classifications() -> &'static Classifications {
    static C: OnceLock<Classifications> = OnceLock::new();
    C.get_or_init(|| Classifications::parse(include_str!("../../rules/classification.config")).0)
}

fn vars() -> &'static Vars {
    static V: OnceLock<Vars> = OnceLock::new();
    V.get_or_init(Vars::default)
}

fn ruleset() -> &'static Ruleset {
    static R: OnceLock<Ruleset> = OnceLock::new();
    R.get_or_init(|| {
        let mut report = LoadReport::default();
        report.add_text(include_str!("../../rules/mirador.rules"), None);
        report.add_text(include_str!("../../fixtures/defrag/defrag.rules"), None);
        report.add_text(EXTRA_RULES, None);
        let built = Ruleset::from_report(report, vars(), classifications());
        assert!(built.errors.is_empty(), "fuzz ruleset rejected: {:?}", built.errors);
        built.ruleset
    })
}

// ---------------------------------------------------------------- decode

/// `decode` target.
pub fn decode(data: &[u8]) {
    decode_as(LinkType::Ethernet, data);
    decode_as(LinkType::Raw, data);
    if let Some((&b, rest)) = data.split_first() {
        decode_as(LinkType::from(LINKTYPES[usize::from(b) % LINKTYPES.len()]), rest);
    }
}

fn decode_as(linktype: LinkType, data: &[u8]) {
    let Ok(p) = decode::decode(linktype, data) else { return };
    touch_packet(&p);
    // A fragment goes through a defragmenter of its own; one fragment can
    // complete a datagram (offset 0, no more fragments is not a fragment,
    // but a lone duplicate can).
    if let Some((ctx, ip)) = p.fragment() {
        let mut d = Defrag::new(DefragConfig::default());
        if let Outcome::Complete(whole) = d.insert(0, ctx.scope(), ip) {
            if let Ok(p) = Rebuilt::new(whole, &p).decode() {
                touch_packet(&p);
            }
        }
    }
}

fn touch_packet(p: &Packet<'_>) {
    let _ = p.payload();
    let _ = p.l4.ports();
    let _ = p.vlans();
    let _ = p.tunnel();
    let _ = p.frame_ctx().scope();
    if let Some(ip) = &p.ip {
        assert!(ip.header.start <= ip.header.end && ip.header.end <= p.data.len(), "IP header outside the frame");
    }
}

// ----------------------------------------------------------------- rules

/// `rules` target.
pub fn rules(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    // The whole input as one rule (newlines and comments included)...
    if let Err(e) = rules::parse_rule(text) {
        check_position(&e, text);
    }
    // ...and as a rules file.
    let mut report = LoadReport::default();
    for (line, t) in rules::logical_lines(text).into_iter().take(16) {
        match rules::parse_rule(&t) {
            Ok(rule) => report.rules.push(SourcedRule { rule, file: None, line }),
            Err(e) => check_position(&e, &t),
        }
    }
    if report.rules.is_empty() {
        return;
    }
    let built = Ruleset::from_report(report, vars(), classifications());
    for e in &built.errors {
        let _ = e.to_string();
        assert!(e.is_duplicate() || e.column >= 1, "compile error without a position: {e}");
    }
}

/// A parse error points into its rule: a 1-based column, at most one past
/// the last character.
fn check_position(e: &RuleError, rule: &str) {
    let n = rule.chars().count();
    assert!(e.column >= 1 && e.column <= n + 1, "parse error at column {} of a {n}-character rule: {e}", e.column);
    let _ = e.to_string();
}

// -------------------------------------------------------------- applayer

/// Splits `[head u8][len u16 BE][len bytes]` units off `rest`.
fn next_unit<'a>(rest: &mut &'a [u8]) -> Option<(u8, &'a [u8])> {
    let &[head, hi, lo, ref tail @ ..] = *rest else { return None };
    let len = usize::from(u16::from_be_bytes([hi, lo])).min(tail.len());
    let (unit, tail) = tail.split_at(len);
    *rest = tail;
    Some((head, unit))
}

/// `applayer` target.
pub fn applayer(data: &[u8]) {
    let Some((&sel, mut rest)) = data.split_first() else { return };
    let (proto, tcp, port) = match sel % 8 {
        0 => (AppProto::Http, true, 80),
        1 => (AppProto::Dns, false, 53),
        2 => (AppProto::Dns, true, 53),
        3 => (AppProto::Tls, true, 443),
        4 => (AppProto::Sip, false, 5060),
        5 => (AppProto::Mqtt, true, 1883),
        6 => (AppProto::Dcerpc, true, 135),
        _ => (AppProto::Ssh, true, 22),
    };
    // Files compute everything, so the hashing and type code is fuzzed too.
    let files = mirador_engine::applayer::file::FileConfig { md5: true, sha1: true, sha256: true, magic: true };
    // Frames are kept too, so their bookkeeping is covered.
    let cfg = mirador_engine::applayer::ParserConfig { keep_frames: true, files, ..Default::default() };
    let mut st = AppState::for_proto(proto, cfg).expect("a parser");
    let mut out: Vec<AppRecord> = Vec::new();
    let mut next = 0;
    for _ in 0..MAX_UNITS {
        let Some((ctrl, chunk)) = next_unit(&mut rest) else { break };
        let to_server = ctrl & 1 == 0;
        let (sport, dport) = if to_server { (40000, port) } else { (port, 40000) };
        let _ = applayer::probe(chunk, tcp, sport, dport);
        if ctrl & 2 != 0 {
            st.gap(to_server);
        }
        st.parse(to_server, chunk, tcp);
        for dir in [true, false] {
            let mut views: Vec<TxView<'_>> = Vec::new();
            st.tx_views(dir, &mut views);
            for v in &views {
                for &b in Buffer::APP_LAYER {
                    let _ = v.get(b);
                }
            }
        }
        if let Some((_, v)) = st.eve_for(None, &TLS_LOG) {
            let _ = v.to_string();
        }
        out.clear();
        next = st.loggable(next, false, &HTTP_LOG, &TLS_LOG, &mut out);
        let _ = st.server_name();
        if ctrl & 4 != 0 {
            st.collect(next);
        }
    }
    st.close();
    out.clear();
    st.loggable(next, true, &HTTP_LOG, &TLS_CUSTOM, &mut out);
    for r in &out {
        let _ = r.body.to_string();
    }
}

// -------------------------------------------------------------- pipeline

fn engine_config(flags: u8) -> EngineConfig {
    let mut cfg = EngineConfig {
        max_flows: 8,
        timeouts: Timeouts { new: 3, tcp_established: 20, tcp_closed: 2, other_established: 10 },
        midstream: flags & 0x08 != 0,
        ..EngineConfig::default()
    };
    if flags & 0x10 != 0 {
        cfg.stream.depth = 64;
    }
    let pick = usize::from(flags >> 5);
    cfg.defrag.policy = Policy::ALL[pick % Policy::ALL.len()];
    cfg.defrag.timeout_secs = 5;
    cfg.defrag.max_trains = 4;
    cfg.stream.policy = [
        OverlapPolicy::First,
        OverlapPolicy::Last,
        OverlapPolicy::Bsd,
        OverlapPolicy::Windows,
        OverlapPolicy::Linux,
        OverlapPolicy::OldLinux,
    ][pick % 6];
    cfg
}

/// Every EVE record is one JSON object.
fn check_eve(sink: &VecSink) {
    for line in &sink.0 {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("EVE record is not JSON ({e}): {line}"));
        assert!(v.is_object(), "EVE record is not an object: {line}");
    }
}

/// `pipeline` target.
pub fn pipeline(data: &[u8]) {
    let Some((&flags, mut rest)) = data.split_first() else { return };
    let cfg = engine_config(flags);
    let linktype = LinkType::from(LINKTYPES[usize::from(flags & 7)]);
    let mut replay = Replay::new(ruleset(), &cfg);
    let mut sink = VecSink::default();
    let mut t = 1_600_000_000_000_000i64;
    for _ in 0..MAX_UNITS {
        let Some((step, frame)) = next_unit(&mut rest) else { break };
        t += i64::from(step) * 100_000;
        let ts = Timestamp { secs: t / 1_000_000, micros: (t % 1_000_000) as u32 };
        let rec = Record { ts, linktype, data: frame, orig_len: frame.len() as u32 };
        replay.packet(&rec, &mut sink);
    }
    replay.finish(&mut sink);
    check_eve(&sink);
}

// ------------------------------------------------------------------ pcap

/// `pcap` target: the file is written to the temporary directory (set
/// TMPDIR=/dev/shm to keep it in memory), read record by record, then
/// replayed.
pub fn pcap(data: &[u8]) {
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("mirador-fuzz-{}-{n}.pcap", std::process::id()));
    std::fs::write(&path, data).expect("write the capture");
    read_capture(&path);
    let mut replay = Replay::new(ruleset(), &engine_config(0));
    let mut sink = VecSink::default();
    replay.run_file(&path, &mut sink, &AtomicBool::new(false));
    replay.finish(&mut sink);
    let _ = std::fs::remove_file(&path);
    check_eve(&sink);
}

fn read_capture(path: &std::path::Path) {
    let mut src = match FileSource::open(path) {
        Ok(s) => s,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    while let Some(r) = src.next_record() {
        match r {
            Ok(rec) => {
                let _ = rec.ts.as_micros();
                if let Ok(p) = decode::decode(rec.linktype, rec.data) {
                    touch_packet(&p);
                }
            }
            Err(e) => {
                let _ = e.to_string();
            }
        }
    }
    assert!(src.next_record().is_none(), "a finished source yields nothing more");
}
