//! Unpacking a source: a `.tar.gz`/`.tgz` (or `.tar`) archive, a gzipped
//! rules file, or a plain rules file.
//!
//! Only `*.rules`, `classification.config` and `reference.config` are kept,
//! in memory; nothing is written where the archive says. An entry whose path
//! is absolute or climbs out with `..` rejects the whole source, since a
//! source that tries it is not to be trusted with the rest either. Sizes are
//! capped by the constants below, named in the errors.

use std::io::Read;

use anyhow::{bail, Context, Result};

/// Largest download (compressed) accepted for one source.
pub const MAX_DOWNLOAD_BYTES: u64 = 256 << 20;
/// Largest single file kept from an archive.
pub const MAX_FILE_BYTES: u64 = 64 << 20;
/// Largest decompressed stream read from one archive (all entries).
pub const MAX_UNPACKED_BYTES: u64 = 1 << 30;
/// Most entries read from one archive.
pub const MAX_ARCHIVE_ENTRIES: usize = 100_000;

/// A kept file.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path inside the archive (or the URL's file name for a plain file).
    pub name: String,
    pub text: String,
}

/// What a source holds.
#[derive(Debug, Default)]
pub struct Unpacked {
    /// `*.rules` files, in archive order.
    pub rules: Vec<SourceFile>,
    pub classification: Option<String>,
    pub reference: Option<String>,
}

/// Unpacks `bytes` fetched from `url`.
pub fn unpack(url: &str, bytes: &[u8]) -> Result<Unpacked> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut gz = flate2::read::GzDecoder::new(bytes);
        // Peek at the decompressed start to tell tar from a gzipped file.
        let mut head = Vec::new();
        (&mut gz).take(512).read_to_end(&mut head).context("gzip data is corrupt")?;
        let stream = Capped::new(std::io::Cursor::new(head.clone()).chain(gz), MAX_UNPACKED_BYTES);
        if is_tar(&head) {
            return unpack_tar(stream);
        }
        let name = url_file_name(url);
        let name = name.strip_suffix(".gz").unwrap_or(&name).to_string();
        let mut data = Vec::new();
        stream.take(MAX_FILE_BYTES + 1).read_to_end(&mut data).context("gzip data is corrupt")?;
        if data.len() as u64 > MAX_FILE_BYTES {
            bail!("{name} unpacks to more than MAX_FILE_BYTES ({MAX_FILE_BYTES} bytes)");
        }
        return Ok(single(name, &data));
    }
    if is_tar(bytes) {
        return unpack_tar(Capped::new(bytes, MAX_UNPACKED_BYTES));
    }
    if bytes.len() as u64 > MAX_FILE_BYTES {
        bail!("{} is {} bytes, over MAX_FILE_BYTES ({MAX_FILE_BYTES} bytes)", url_file_name(url), bytes.len());
    }
    Ok(single(url_file_name(url), bytes))
}

/// A plain file: rules, unless it is named like one of the config files.
fn single(name: String, data: &[u8]) -> Unpacked {
    let text = String::from_utf8_lossy(data).into_owned();
    let mut u = Unpacked::default();
    match name.as_str() {
        "classification.config" => u.classification = Some(text),
        "reference.config" => u.reference = Some(text),
        _ => u.rules.push(SourceFile { name, text }),
    }
    u
}

fn is_tar(head: &[u8]) -> bool {
    head.len() >= 262 && &head[257..262] == b"ustar"
}

fn unpack_tar<R: Read>(stream: R) -> Result<Unpacked> {
    let mut ar = tar::Archive::new(stream);
    let mut out = Unpacked::default();
    let mut count = 0usize;
    for entry in ar.entries().context("reading the archive")? {
        let entry = entry.context("reading the archive")?;
        count += 1;
        if count > MAX_ARCHIVE_ENTRIES {
            bail!("archive has more than MAX_ARCHIVE_ENTRIES ({MAX_ARCHIVE_ENTRIES}) entries");
        }
        let path = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        check_path(&path)?;
        let kind = entry.header().entry_type();
        let base = path.trim_end_matches('/').rsplit('/').next().unwrap_or("").to_string();
        let wanted = base.ends_with(".rules") || base == "classification.config" || base == "reference.config";
        if !wanted || !(kind.is_file() || kind == tar::EntryType::Continuous) {
            // Directories, links, devices and other files are not used.
            continue;
        }
        let size = entry.header().size().unwrap_or(u64::MAX);
        if size > MAX_FILE_BYTES {
            bail!("archive entry '{path}' is {size} bytes, over MAX_FILE_BYTES ({MAX_FILE_BYTES} bytes)");
        }
        let mut data = Vec::with_capacity(size as usize);
        entry
            .take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut data)
            .with_context(|| format!("reading archive entry '{path}'"))?;
        if data.len() as u64 > MAX_FILE_BYTES {
            bail!("archive entry '{path}' is over MAX_FILE_BYTES ({MAX_FILE_BYTES} bytes)");
        }
        let text = String::from_utf8_lossy(&data).into_owned();
        match base.as_str() {
            "classification.config" => {
                if out.classification.is_none() {
                    out.classification = Some(text);
                }
            }
            "reference.config" => {
                if out.reference.is_none() {
                    out.reference = Some(text);
                }
            }
            _ => out.rules.push(SourceFile { name: path, text }),
        }
    }
    Ok(out)
}

/// Rejects absolute paths and `..` components (with either separator).
pub fn check_path(path: &str) -> Result<()> {
    let absolute = path.starts_with('/') || path.starts_with('\\') || (path.len() >= 2 && path.as_bytes()[1] == b':');
    if absolute || path.split(['/', '\\']).any(|c| c == "..") {
        bail!("archive entry '{path}' points outside the archive (path traversal); the source is rejected");
    }
    Ok(())
}

/// The last path segment of a URL or path, without query or fragment.
pub fn url_file_name(url: &str) -> String {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let name = path.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    if name.is_empty() {
        "source.rules".to_string()
    } else {
        name.to_string()
    }
}

/// A reader that fails once more than `cap` bytes have been read: a gzip
/// bomb stops at MAX_UNPACKED_BYTES.
pub(crate) struct Capped<R> {
    inner: R,
    left: u64,
    cap: u64,
}

impl<R> Capped<R> {
    pub(crate) fn new(inner: R, cap: u64) -> Self {
        Capped { inner, left: cap, cap }
    }
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            // One more byte available means the cap is exceeded.
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(std::io::Error::other(format!(
                    "archive unpacks to more than MAX_UNPACKED_BYTES ({} bytes)",
                    self.cap
                ))),
            };
        }
        let n = buf.len().min(self.left.min(usize::MAX as u64) as usize);
        let got = self.inner.read(&mut buf[..n])?;
        self.left -= got as u64;
        Ok(got)
    }
}
