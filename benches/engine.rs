//! Criterion benches of the hot parts: rule load+compile (all of ET Open
//! 2020 when ../shared/rules is present, else the bundled rules), decode,
//! prefilter+verification per packet, and the whole replay path on the
//! bundled fixtures.
//!
//! Run: `cargo bench --bench engine`. The side-by-side comparison with
//! Suricata is `benches/side-by-side.sh`.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use mirador_engine::decode::{decode, LinkType};
use mirador_engine::detect::{FlowState, FlowView, Input, NoBuffers, Ruleset, Scratch};
use mirador_engine::output::VecSink;
use mirador_engine::pipeline::{EngineConfig, Replay};
use mirador_engine::rules::{Classifications, Vars};
use mirador_engine::source::FileSource;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn etopen() -> Vec<PathBuf> {
    let dir = root().join("../shared/rules/etopen-2020");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "rules"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    if files.is_empty() {
        files.push(root().join("rules/mirador.rules"));
    }
    files
}

fn classes() -> Classifications {
    Classifications::parse(&std::fs::read_to_string(root().join("rules/classification.config")).unwrap()).0
}

fn load(files: &[PathBuf]) -> Ruleset {
    let paths: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    Ruleset::load(&paths, &Vars::default(), &classes()).ruleset
}

fn frames(pcap: &str) -> Vec<(LinkType, Vec<u8>)> {
    let mut src = FileSource::open(&root().join("fixtures").join(pcap)).unwrap();
    let mut out = Vec::new();
    while let Some(Ok(r)) = src.next_record() {
        out.push((r.linktype, r.data.to_vec()));
    }
    out
}

fn bench(c: &mut Criterion) {
    let files = etopen();
    let mut g = c.benchmark_group("load");
    g.sample_size(10);
    g.bench_function("etopen_load_compile", |b| b.iter(|| load(&files)));
    g.finish();

    let vx = frames("geneve-vxlan.pcap");
    let bytes: usize = vx.iter().map(|(_, d)| d.len()).sum();
    let mut g = c.benchmark_group("decode");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("geneve_vxlan_fixture", |b| b.iter(|| vx.iter().filter(|(l, d)| decode(*l, d).is_ok()).count()));
    g.finish();

    let rules = load(&files);
    let plain = frames("basic.pcap");
    let pkts: Vec<_> = plain.iter().filter_map(|(l, d)| decode(*l, d).ok()).collect();
    let mut g = c.benchmark_group("detect");
    g.throughput(Throughput::Elements(pkts.len() as u64));
    g.bench_function("inspect_fixture_packets_etopen", |b| {
        let mut scratch = Scratch::default();
        let mut out = Vec::new();
        let view = FlowView {
            to_server: true,
            established: true,
            app_proto: None,
            first_in_dir: false,
            pseudo: false,
            flowless: false,
            stream_sizes: None,
        };
        b.iter(|| {
            out.clear();
            for p in &pkts {
                let input = Input { pkt: p, flow: view, stream: None, txs: &[], app: &NoBuffers };
                rules.inspect(&input, &mut FlowState::default(), &mut scratch, &mut out);
            }
            out.len()
        })
    });
    g.finish();

    let mut g = c.benchmark_group("replay");
    g.bench_function("replay_vxlan_fixture_etopen", |b| {
        b.iter(|| {
            let mut r = Replay::new(&rules, &EngineConfig::default());
            let mut sink = VecSink::default();
            r.run_file(&root().join("fixtures/vxlan.pcap"), &mut sink, &AtomicBool::new(false));
            r.finish(&mut sink);
            sink.0.len()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
