//! A file's data as the writes (or reads) of one direction deliver it:
//! chunks arrive at explicit offsets, possibly out of order, and are laid
//! out from offset 0 so that `file_data` sees the file as stored.

use std::collections::BTreeMap;

/// Most bytes of a file kept for inspection; later bytes only count in
/// the size. Rules look at the start of files, and a copy of a big file
/// must not hold its whole content in memory.
pub const MAX_FILE_DATA: usize = 4 << 20;

/// Most bytes held in chunks that arrived ahead of a hole.
const MAX_AHEAD: usize = 1 << 20;

/// What adding a chunk did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Added {
    /// New bytes.
    Ok,
    /// The chunk covers bytes already seen: it is dropped whole, as a
    /// rewrite cannot be shown in a linear buffer. Suricata 7 does the same
    /// whatever the content (its smb-eicar-overlap capture rewrites the
    /// same first byte, then the whole file: the event is raised and the
    /// file stays one byte long), so an evasion by rewriting cannot slip
    /// new content past `file_data`.
    Overlap,
}

/// The in-order data of one file in one direction.
#[derive(Clone, Debug, Default)]
pub struct FileData {
    /// Bytes from offset 0 without holes (up to [`MAX_FILE_DATA`]).
    data: Vec<u8>,
    /// Contiguous length seen, kept past the cap.
    len: u64,
    /// Chunks beyond a hole, by offset.
    ahead: BTreeMap<u64, Vec<u8>>,
    ahead_bytes: usize,
}

impl FileData {
    /// The data from offset 0 up to the first hole.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// Size of the file as seen so far (contiguous part).
    pub fn size(&self) -> u64 {
        self.len
    }

    /// Adds `chunk` written or read at `offset`.
    pub fn add(&mut self, offset: u64, chunk: &[u8]) -> Added {
        if chunk.is_empty() {
            return Added::Ok;
        }
        let end = offset.saturating_add(chunk.len() as u64);
        let overlaps_ahead =
            self.ahead.range(..end).next_back().is_some_and(|(&o, c)| o.saturating_add(c.len() as u64) > offset);
        if offset < self.len || overlaps_ahead {
            return Added::Overlap;
        }
        if offset == self.len {
            self.append(chunk);
        } else {
            if self.ahead_bytes + chunk.len() <= MAX_AHEAD {
                self.ahead_bytes += chunk.len();
                self.ahead.insert(offset, chunk.to_vec());
            }
            return Added::Ok;
        }
        // Chunks the new bytes reach can follow now.
        while let Some((&off, _)) = self.ahead.first_key_value() {
            if off > self.len {
                break;
            }
            let c = self.ahead.remove(&off).expect("first key");
            self.ahead_bytes -= c.len();
            let skip = (self.len - off) as usize;
            if skip < c.len() {
                self.append(&c[skip..]);
            }
        }
        Added::Ok
    }

    fn append(&mut self, b: &[u8]) {
        let room = MAX_FILE_DATA.saturating_sub(self.data.len());
        self.data.extend_from_slice(&b[..b.len().min(room)]);
        self.len += b.len() as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_order_and_overlaps() {
        let mut f = FileData::default();
        assert_eq!(f.add(4, b"EFGH"), Added::Ok);
        assert_eq!(f.data(), b"");
        assert_eq!(f.add(0, b"ABCD"), Added::Ok);
        assert_eq!(f.data(), b"ABCDEFGH");
        // Rewriting bytes already there is an overlap, even with the same
        // content, and the chunk is dropped whole.
        assert_eq!(f.add(6, b"GHIJ"), Added::Overlap);
        assert_eq!(f.data(), b"ABCDEFGH");
        assert_eq!(f.add(8, b"IJ"), Added::Ok);
        assert_eq!(f.add(20, b"UV"), Added::Ok);
        assert_eq!(f.add(21, b"V"), Added::Overlap);
        assert_eq!(f.data(), b"ABCDEFGHIJ");
        assert_eq!(f.size(), 10);
    }
}
