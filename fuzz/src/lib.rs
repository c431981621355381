//! The fuzz targets' bodies. `harness.rs` is shared with the engine's
//! regression test (engine/tests/fuzz_regressions.rs), which replays every
//! input under fuzz/regressions/ through the same code.

mod harness;

pub use harness::{applayer, decode, pcap, pipeline, rules};
