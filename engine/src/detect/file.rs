//! File rules: the checks decided on one file of a transaction
//! (`filemd5`, `filesize`...), and the view that shows a rule's `file.name`
//! / `file.magic` inspections that file.
//!
//! Suricata inspects a file rule once per file and alerts at most once per
//! file, on the first packet where everything it asks is known and holds:
//! a name is known when the file opens, a type description once 512 bytes
//! arrived, a size or hash when the file closes.

use std::collections::HashSet;
use std::path::Path;

use super::signature::Signature;
use super::Buffers;
use crate::applayer::file::{File, FileState};
use crate::rules::ast::{AppLayerEvent, Buffer, FileHashKind, PacketCheck};
use crate::rules::numeric::NumOp;

/// A `filemd5` / `filesha1` / `filesha256` list, loaded at rule load.
#[derive(Debug)]
pub struct HashList {
    kind: FileHashKind,
    negated: bool,
    hashes: HashSet<Vec<u8>>,
}

impl HashList {
    /// Reads the list at `path`: relative to the rule file's folder first
    /// (where Suricata looks), else to the working directory. One hex
    /// digest a line; what follows it on the line (`md5sum` prints the
    /// file name) and blank or `#` lines are skipped.
    pub fn load(kind: FileHashKind, path: &str, negated: bool, rule_dir: Option<&Path>) -> Result<HashList, String> {
        let p = Path::new(path);
        let candidates = [rule_dir.filter(|_| p.is_relative()).map(|d| d.join(p)), Some(p.to_path_buf())];
        let text = candidates
            .iter()
            .flatten()
            .find_map(|c| std::fs::read_to_string(c).ok())
            .ok_or_else(|| format!("cannot read hash list '{path}'"))?;
        let mut hashes = HashSet::new();
        for (n, line) in text.lines().enumerate() {
            let Some(word) = line.split_whitespace().next().filter(|w| !w.starts_with('#')) else { continue };
            let digest = decode_hex(word)
                .filter(|d| d.len() == kind.digest_len())
                .ok_or_else(|| format!("{path}:{}: not a {} digest", n + 1, kind.keyword()))?;
            hashes.insert(digest);
        }
        Ok(HashList { kind, negated, hashes })
    }

    /// Which hash the list holds.
    pub fn kind(&self) -> FileHashKind {
        self.kind
    }

    /// The file's digest is (or, negated, is not) listed; None while the
    /// digest is unknown (the file is open, or truncated).
    fn check(&self, f: &File) -> Option<bool> {
        let digest: &[u8] = match self.kind {
            FileHashKind::Md5 => f.md5.as_ref()?,
            FileHashKind::Sha1 => f.sha1.as_ref()?,
            FileHashKind::Sha256 => f.sha256.as_ref()?,
        };
        Some(self.hashes.contains(digest) != self.negated)
    }
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

/// The non-buffer file checks of `s` hold for `f`. Checks that cannot be
/// decided yet (a size or hash of an open file) do not hold, so the rule
/// is tried again on later packets.
pub(super) fn checks_hold(s: &Signature, f: &File) -> bool {
    let sizes = s.checks.iter().all(|c| match c {
        PacketCheck::FileSize(m) => match f.state {
            FileState::Closed => m.matches(f.size),
            // What a truncated file has is a lower bound of its size.
            FileState::Truncated => matches!(m.op, NumOp::Gt | NumOp::Ge) && m.matches(f.size),
            FileState::Open => false,
        },
        _ => true,
    });
    sizes && s.file_hashes.iter().all(|h| h.check(f) == Some(true))
}

/// A transaction seen through one of its files: `file.name` and
/// `file.magic` are that file's, every other buffer the transaction's.
pub(super) struct FileScope<'a> {
    pub tx: &'a dyn Buffers,
    pub file: &'a File,
}

impl Buffers for FileScope<'_> {
    fn get(&self, b: Buffer) -> Option<&[u8]> {
        match b {
            Buffer::FileName => Some(&self.file.name),
            Buffer::FileMagic => self.file.magic().map(str::as_bytes),
            _ => self.tx.get(b),
        }
    }

    fn get_nth(&self, b: Buffer, i: usize) -> Option<&[u8]> {
        self.tx.get_nth(b, i)
    }

    fn app_event(&self, e: &AppLayerEvent) -> bool {
        self.tx.app_event(e)
    }

    fn file(&self, i: usize) -> Option<&File> {
        self.tx.file(i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::applayer::file::FileConfig;

    fn write_list(name: &str, text: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("mirador-hashlist-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("list.md5"), text).unwrap();
        dir
    }

    #[test]
    fn hash_lists_relative_to_the_rule_folder() {
        // md5 of "abc".
        let dir = write_list("rel", "# known bad\n900150983cd24fb0d6963f7d28e17f72  abc.txt\n\n");
        let list = HashList::load(FileHashKind::Md5, "list.md5", false, Some(&dir)).unwrap();
        let neg = HashList::load(FileHashKind::Md5, "list.md5", true, Some(&dir)).unwrap();
        let mut f = File::new(b"/abc".to_vec(), FileConfig { md5: true, ..FileConfig::default() });
        f.feed(b"abc");
        assert_eq!((list.check(&f), neg.check(&f)), (None, None), "open: undecided");
        f.close(true);
        assert_eq!((list.check(&f), neg.check(&f)), (Some(true), Some(false)));
        assert!(HashList::load(FileHashKind::Md5, "missing.md5", false, Some(&dir)).is_err());
        assert!(HashList::load(FileHashKind::Sha1, "list.md5", false, Some(&dir)).is_err(), "wrong length");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
