//! mirador-engine: packets in, events out.
//!
//! Data flows one way: [`source`] -> [`decode`] -> [`flow`] -> [`detect`] ->
//! [`output`]. No module reaches back up that chain. The engine knows nothing
//! of the CLI or AWS.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod analytics;
pub mod applayer;
pub mod decode;
pub mod detect;
pub mod flow;
pub mod output;
pub mod parallel;
pub mod pipeline;
pub mod rules;
pub mod source;
