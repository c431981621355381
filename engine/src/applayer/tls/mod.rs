//! TLS (SSLv2-compatible hello, SSLv3, TLS 1.0-1.3), with Suricata 7
//! semantics.
//!
//! * [`parser`]: pure decoding of record headers, hellos, certificate lists
//!   and the X.509 fields Suricata logs (x509-parser, as Suricata).
//! * [`fingerprint`]: JA3, JA3S and JA4.
//! * [`state`]: per-direction record and handshake reassembly over a TCP
//!   stream cut anywhere, gaps, the `ssl_version`/`ssl_state` bookkeeping.
//! * [`buffers`]: `tls.sni`, `tls.cert_*`, `ja3.*`, `ja3s.*`, `ja4.hash`.
//! * [`eve`]: the `tls` EVE object for `tls` records and alerts.
//!
//! ```
//! use mirador_engine::applayer::tls::TlsState;
//! use mirador_engine::rules::ast::Buffer;
//!
//! let mut tls = TlsState::new();
//! // A ClientHello record: TLS 1.2, one cipher suite, SNI "a.example".
//! let hello = b"\x16\x03\x01\x00\x3d\x01\x00\x00\x39\x03\x03\
//!     \x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\
//!     \x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\
//!     \x00\x00\x02\xc0\x2f\x01\x00\x00\x0e\x00\x00\x00\x0a\x00\x08\x00\x00\x05a.ex";
//! tls.parse(true, &hello[..40]);
//! tls.parse(true, &hello[40..]);
//! # let _ = tls.tx().buffer(Buffer::TlsSni);
//! ```

pub mod buffers;
pub mod eve;
pub mod fingerprint;
pub mod parser;
pub mod state;

pub use parser::TlsAnomaly;
pub use state::{Progress, SslStates, TlsDirection, TlsState, TlsTx};
