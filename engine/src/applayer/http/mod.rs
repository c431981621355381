//! HTTP/1.x: the parser, its transactions, the sticky buffers rules inspect
//! and the EVE `http` object, with Suricata 7 (libhtp 0.5) semantics.
//!
//! [`HttpState`] takes each direction's reassembled stream in chunks of any
//! size ([`HttpState::parse`]), holes in it ([`HttpState::gap`]) and its end
//! ([`HttpState::close`]). It keeps a queue of [`HttpTx`], one per request
//! (responses are matched in order); each gives its buffers
//! ([`HttpTx::buffer`], [`HttpTx::buffer_dir`]), its [`Progress`] per
//! direction, its [`HttpAnomaly`]s and its EVE object ([`HttpTx::eve`]).
//!
//! Every attacker-controlled quantity is capped by a named limit
//! ([`MAX_START_LINE`], [`MAX_HEADER_BYTES`], [`MAX_HEADERS`],
//! [`REQUEST_BODY_LIMIT`], [`RESPONSE_BODY_LIMIT`], [`MAX_LIVE_TXS`]...);
//! going over one raises an anomaly, never a panic.
//!
//! ```
//! use mirador_engine::applayer::http::HttpState;
//! use mirador_engine::rules::ast::Buffer;
//!
//! let mut http = HttpState::new();
//! http.parse(true, b"GET /a/./b/../c?x=%41 HTTP/1.1\r\nHo");
//! http.parse(true, b"st: example.com\r\n\r\n");
//! http.parse(false, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");
//! let tx = http.txs().next().unwrap();
//! assert_eq!(tx.buffer(Buffer::HttpUri), Some(&b"/a/c?x=A"[..]));
//! assert_eq!(tx.buffer(Buffer::HttpHost), Some(&b"example.com"[..]));
//! assert_eq!(tx.eve()["status"], 200);
//! assert!(tx.is_complete());
//! ```
//!
//! Files: `parser.rs` (pure parsing: lines, headers, chunk sizes, URIs),
//! `state.rs` (transactions, streaming, gaps, limits), `body.rs` (bodies and
//! decompression), `buffers.rs` (sticky buffers), `eve.rs` (EVE object).

mod body;
mod buffers;
mod eve;
mod parser;
mod state;

pub use buffers::is_two_way;
pub use eve::HttpLogConfig;
pub use state::{
    HttpAnomaly, HttpState, HttpTx, Progress, MAX_BODY_LIMIT, MAX_CONNECT_STASH, MAX_ENCODING_LAYERS, MAX_HEADERS,
    MAX_HEADER_BYTES, MAX_HEADER_REPETITIONS, MAX_LIVE_TXS, MAX_START_LINE, REQUEST_BODY_LIMIT, RESPONSE_BODY_LIMIT,
};
