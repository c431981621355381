//! Replays every input under fuzz/regressions/<target>/ (crashes the fuzz
//! targets found, see fuzz/README.md) through the same harness code the
//! fuzz targets run, so that a fixed crash stays fixed in the normal
//! `cargo test --workspace`.

#[path = "../../fuzz/src/harness.rs"]
#[allow(dead_code)]
mod harness;

use std::path::Path;

fn replay(target: &str, run: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/regressions").join(target);
    let mut files: Vec<_> = match std::fs::read_dir(&dir) {
        Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_file()).collect(),
        Err(_) => return,
    };
    files.sort();
    let mut failed = Vec::new();
    for f in &files {
        let data = std::fs::read(f).expect("read regression input");
        if std::panic::catch_unwind(|| run(&data)).is_err() {
            failed.push(f.display().to_string());
        }
    }
    assert!(failed.is_empty(), "{target}: inputs that still panic: {failed:?}");
}

#[test]
fn decode_regressions() {
    replay("decode", harness::decode);
}

#[test]
fn rules_regressions() {
    replay("rules", harness::rules);
}

#[test]
fn applayer_regressions() {
    replay("applayer", harness::applayer);
}

#[test]
fn pipeline_regressions() {
    replay("pipeline", harness::pipeline);
}

#[test]
fn pcap_regressions() {
    replay("pcap", harness::pcap);
}
