//! Application layer: protocol detection by content (not only by port), and
//! the parsers that fill the buffers rules inspect.

mod detect;

pub use detect::{probe, Probe};
