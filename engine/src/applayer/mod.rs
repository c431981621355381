//! Application layer: protocol detection by content (not only by port), and
//! the parsers that fill the buffers rules inspect.
//!
//! Each protocol folder has the same files: `parser.rs` (pure nom/httparse,
//! bytes in, structs out), `state.rs` (transactions, direction, gaps),
//! `buffers.rs` (sticky-buffer getters) and `eve.rs` (its EVE object).

pub mod dcerpc;
mod detect;
pub mod dns;
pub mod events;
pub mod file;
pub mod http;
pub mod magic;
pub mod mqtt;
pub mod sip;
pub mod smb;
pub mod ssh;
mod state;
pub mod tls;

pub use detect::{probe, sent_by_client, undetected_banner, Probe};
pub use state::{AppFacts, AppRecord, AppState, ParserConfig, TxView};
