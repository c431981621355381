//! DNS over UDP and TCP, with Suricata 7 semantics.
//!
//! * [`parser`]: pure decoding of one message (name decompression with
//!   capped labels, length and pointer jumps; lenient sections).
//! * [`state`]: per-flow transactions (one per message, as Suricata 7),
//!   TCP length-prefix framing across arbitrary cuts, gaps.
//! * [`buffers`]: the `dns.query` sticky buffer (a multi-buffer).
//! * [`eve`]: the `dns` EVE object (format version 2) for `dns` records and
//!   alerts.
//!
//! ```
//! use mirador_engine::applayer::dns::DnsState;
//! use mirador_engine::rules::ast::Buffer;
//!
//! // A query for example.com, type A.
//! let q = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\
//!           \x07example\x03com\x00\x00\x01\x00\x01";
//! let mut dns = DnsState::new();
//! dns.parse(true, q, false);
//! let tx = dns.txs().next().unwrap();
//! assert_eq!(tx.buffer(Buffer::DnsQuery), Some(&b"example.com"[..]));
//! ```

pub mod buffers;
pub mod eve;
pub mod parser;
pub mod state;

pub use parser::DnsAnomaly;
pub use state::{DnsState, DnsTx, Progress};
