//! Packet sources: offline capture files (pcap and pcapng, via pcap-file).
//! Live capture comes with its own module.
//!
//! A source yields [`Record`]s: a timestamp, the link type and the captured
//! bytes. A malformed file never panics: a bad record header ends the file
//! with a [`SourceError`] that the caller reports and counts; records already
//! read stay processed.

mod file;
#[cfg(feature = "live")]
pub mod live;

pub use file::FileSource;

use crate::decode::LinkType;

/// Packet time with microsecond precision, as EVE writes it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    /// Seconds since the Unix epoch.
    pub secs: i64,
    /// Microseconds within the second (0..1_000_000).
    pub micros: u32,
}

impl Timestamp {
    /// Microseconds since the epoch (saturating: the fields are public and
    /// may hold any value).
    pub fn as_micros(self) -> i64 {
        self.secs.saturating_mul(1_000_000).saturating_add(self.micros as i64)
    }
}

/// One captured frame.
#[derive(Clone, Copy, Debug)]
pub struct Record<'a> {
    /// Capture time.
    pub ts: Timestamp,
    /// Link type of `data`.
    pub linktype: LinkType,
    /// Captured bytes (may be shorter than `orig_len`).
    pub data: &'a [u8],
    /// Length of the frame on the wire.
    pub orig_len: u32,
}

/// Why a capture file could not be read (further).
#[derive(Debug)]
pub enum SourceError {
    /// The file could not be opened or read.
    Io(std::path::PathBuf, std::io::Error),
    /// Not a pcap or pcapng file (magic number unknown).
    BadMagic(std::path::PathBuf),
    /// The file is malformed from this record on (truncated record, absurd
    /// length...). `records` were read before it.
    Malformed {
        /// File name.
        path: std::path::PathBuf,
        /// Records read successfully before the error.
        records: u64,
        /// What pcap-file reported.
        reason: String,
    },
}

impl std::fmt::Display for SourceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SourceError::Io(p, e) => write!(f, "{}: {e}", p.display()),
            SourceError::BadMagic(p) => write!(f, "{}: not a pcap or pcapng file", p.display()),
            SourceError::Malformed { path, records, reason } => {
                write!(f, "{}: malformed after {records} records: {reason}", path.display())
            }
        }
    }
}

impl std::error::Error for SourceError {}
