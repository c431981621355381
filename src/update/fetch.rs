//! Fetching a source: HTTP(S) through a cache, checksum files, offline mode.
//!
//! Cache layout: `CACHE/sources/KEY/{data,meta.json}`, KEY derived from the
//! URL. `data` is the body as downloaded; `meta.json` holds the validators
//! (ETag, Last-Modified), the time of the last successful check, the
//! published checksum and the SHA-256 of `data` (a torn or edited cache entry
//! is not used). Both are written to a temporary file and renamed.
//!
//! Order of decisions for one source (suricata-update's, plus conditional
//! GET):
//! 1. `--offline`: the cached copy or an error naming the source.
//! 2. A cached copy younger than `--fresh-for`: reused without a request.
//! 3. The checksum file (`URL.md5`, else `URL.sha256`) is fetched; when it
//!    matches the cached copy, the copy is reused.
//! 4. GET with If-None-Match / If-Modified-Since; 304 reuses the copy.
//! 5. A 200 body is verified against the checksum (a mismatch is an error
//!    naming the source, and the cache keeps the previous copy) and cached.
//!
//! When the server cannot be reached (or answers an error) and a cached copy
//! exists, the copy is used with a warning, as suricata-update does. A
//! checksum mismatch never falls back.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use md5::Md5;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::archive::MAX_DOWNLOAD_BYTES;
use super::{Log, UpdateOptions};

/// Largest checksum file accepted.
pub const MAX_CHECKSUM_FILE_BYTES: u64 = 4096;

/// Where a source's bytes came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Downloaded now.
    Downloaded,
    /// The server answered 304 Not Modified: the cached copy.
    NotModified,
    /// The published checksum matches the cached copy: not downloaded again.
    ChecksumUnchanged,
    /// The cached copy is younger than --fresh-for: no request made.
    Fresh,
    /// --offline: the cached copy.
    Offline,
    /// The server could not be used; the cached copy (with a warning).
    StaleCache,
    /// A local file (file:// URL or path): read directly, not cached.
    Local,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Origin::Downloaded => "downloaded",
            Origin::NotModified => "not modified, cached copy",
            Origin::ChecksumUnchanged => "checksum unchanged, cached copy",
            Origin::Fresh => "recently fetched, cached copy",
            Origin::Offline => "offline, cached copy",
            Origin::StaleCache => "server unavailable, cached copy",
            Origin::Local => "local file",
        })
    }
}

/// Checksum algorithms of published checksum files.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Algo {
    Md5,
    Sha256,
}

impl Algo {
    /// File suffix of the checksum file.
    pub fn suffix(self) -> &'static str {
        match self {
            Algo::Md5 => ".md5",
            Algo::Sha256 => ".sha256",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Algo::Md5 => "md5",
            Algo::Sha256 => "sha256",
        }
    }

    fn hex_len(self) -> usize {
        match self {
            Algo::Md5 => 32,
            Algo::Sha256 => 64,
        }
    }

    /// Lowercase hex digest of `data`.
    pub fn digest(self, data: &[u8]) -> String {
        match self {
            Algo::Md5 => hex(&Md5::digest(data)),
            Algo::Sha256 => hex(&Sha256::digest(data)),
        }
    }
}

/// A published checksum.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checksum {
    pub algo: Algo,
    /// Lowercase hex.
    pub hex: String,
}

impl fmt::Display for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.algo.name(), self.hex)
    }
}

impl Checksum {
    /// Parses a checksum file: the first token of the first non-empty line
    /// (`HEX` or `HEX  FILENAME`, as md5sum/sha256sum write).
    pub fn parse(algo: Algo, text: &str) -> Option<Checksum> {
        let tok = text.split_whitespace().next()?;
        let tok = tok.strip_prefix('\\').unwrap_or(tok);
        (tok.len() == algo.hex_len() && tok.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| Checksum { algo, hex: tok.to_ascii_lowercase() })
    }

    /// True if `data` has this checksum.
    pub fn matches(&self, data: &[u8]) -> bool {
        self.algo.digest(data) == self.hex
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// A fetched source.
pub struct Fetched {
    pub bytes: Vec<u8>,
    pub origin: Origin,
    /// The checksum the bytes were verified against.
    pub checksum: Option<Checksum>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Meta {
    url: String,
    etag: Option<String>,
    last_modified: Option<String>,
    /// Unix seconds of the last successful download or revalidation.
    checked_at: u64,
    checksum: Option<Checksum>,
    /// SHA-256 of `data`: integrity of the cache entry itself.
    data_sha256: String,
    size: u64,
}

struct Cached {
    meta: Meta,
    bytes: Vec<u8>,
}

/// One HTTP response, body read.
struct HttpResponse {
    status: u16,
    etag: Option<String>,
    last_modified: Option<String>,
    body: Vec<u8>,
}

/// Fetches sources for one update run.
pub struct Fetcher<'a> {
    opts: &'a UpdateOptions,
    log: &'a Log,
}

impl<'a> Fetcher<'a> {
    pub(crate) fn new(opts: &'a UpdateOptions, log: &'a Log) -> Self {
        Fetcher { opts, log }
    }

    /// Fetches one source (see the module documentation).
    pub fn fetch(&self, url: &str) -> Result<Fetched> {
        if let Some(path) = local_path(url) {
            return self.fetch_local(url, &path);
        }
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            bail!("source {url}: only http://, https://, file:// URLs and local paths are supported");
        }
        let dir = self.entry_dir(url);
        let cached = read_cache(&dir, url);
        if self.opts.offline {
            let Some(c) = cached else {
                bail!("source {url}: no cached copy in {} (run once without --offline)", self.opts.cache_dir.display());
            };
            return Ok(Fetched { checksum: c.meta.checksum.clone(), bytes: c.bytes, origin: Origin::Offline });
        }
        if let (Some(c), false) = (&cached, self.opts.force) {
            let age = now_secs().saturating_sub(c.meta.checked_at);
            if Duration::from_secs(age) < self.opts.fresh_for {
                let c = cached.expect("checked above");
                return Ok(Fetched { checksum: c.meta.checksum.clone(), bytes: c.bytes, origin: Origin::Fresh });
            }
        }
        match self.fetch_remote(url, &dir, cached.as_ref()) {
            Ok(f) => Ok(f),
            Err(e) if e.downcast_ref::<ChecksumMismatch>().is_some() => Err(e),
            Err(e) => match cached {
                Some(c) => {
                    self.log.warn(format!(
                        "{e:#}; using the cached copy of {url} from {}",
                        describe_age(c.meta.checked_at)
                    ));
                    Ok(Fetched { checksum: c.meta.checksum.clone(), bytes: c.bytes, origin: Origin::StaleCache })
                }
                None => Err(e),
            },
        }
    }

    fn fetch_remote(&self, url: &str, dir: &Path, cached: Option<&Cached>) -> Result<Fetched> {
        let checksum = if self.opts.checksums { self.fetch_checksum(url)? } else { None };
        let revalidate = cached.filter(|_| !self.opts.force);
        if let (Some(c), Some(sum)) = (revalidate, &checksum) {
            if sum.matches(&c.bytes) {
                let mut meta = c.meta.clone();
                meta.checked_at = now_secs();
                meta.checksum = Some(sum.clone());
                self.store_meta(dir, &meta);
                return Ok(Fetched { bytes: c.bytes.clone(), origin: Origin::ChecksumUnchanged, checksum });
            }
        }
        let mut headers: Vec<(&str, &str)> = Vec::new();
        if let Some(c) = revalidate {
            // With a checksum that does not match the copy, the copy is stale
            // whatever the validators say: ask for the body.
            if checksum.is_none() {
                if let Some(e) = &c.meta.etag {
                    headers.push(("If-None-Match", e));
                }
                if let Some(m) = &c.meta.last_modified {
                    headers.push(("If-Modified-Since", m));
                }
            }
        }
        self.log.info(format!("fetching {url}"));
        let resp = self.get(url, &headers, MAX_DOWNLOAD_BYTES)?;
        match resp.status {
            304 => {
                let c = revalidate.context("server answered 304 to an unconditional request")?;
                let mut meta = c.meta.clone();
                meta.checked_at = now_secs();
                if resp.etag.is_some() {
                    meta.etag = resp.etag;
                }
                if resp.last_modified.is_some() {
                    meta.last_modified = resp.last_modified;
                }
                self.store_meta(dir, &meta);
                Ok(Fetched { bytes: c.bytes.clone(), origin: Origin::NotModified, checksum: meta.checksum })
            }
            200..=299 => {
                if let Some(sum) = &checksum {
                    verify(url, sum, &resp.body)?;
                }
                let meta = Meta {
                    url: url.to_string(),
                    etag: resp.etag,
                    last_modified: resp.last_modified,
                    checked_at: now_secs(),
                    checksum: checksum.clone(),
                    data_sha256: Algo::Sha256.digest(&resp.body),
                    size: resp.body.len() as u64,
                };
                if let Err(e) = write_cache(dir, &resp.body, &meta) {
                    self.log.warn(format!("cannot cache {url} in {}: {e:#}", dir.display()));
                }
                Ok(Fetched { bytes: resp.body, origin: Origin::Downloaded, checksum })
            }
            s => bail!("source {url}: HTTP {s}"),
        }
    }

    /// `URL.md5`, else `URL.sha256`; None when the server has neither
    /// (404, 403 or 410).
    fn fetch_checksum(&self, url: &str) -> Result<Option<Checksum>> {
        for algo in [Algo::Md5, Algo::Sha256] {
            let curl = checksum_url(url, algo);
            let resp = self
                .get(&curl, &[], MAX_CHECKSUM_FILE_BYTES)
                .with_context(|| format!("source {url}: fetching its checksum"))?;
            match resp.status {
                200 => {
                    let text = String::from_utf8_lossy(&resp.body);
                    return match Checksum::parse(algo, &text) {
                        Some(c) => Ok(Some(c)),
                        None => bail!("source {url}: {curl} is not a {} checksum file", algo.name()),
                    };
                }
                403 | 404 | 410 => continue,
                s => bail!("source {url}: checksum file {curl}: HTTP {s}"),
            }
        }
        Ok(None)
    }

    fn fetch_local(&self, url: &str, path: &Path) -> Result<Fetched> {
        let bytes = read_capped(path, MAX_DOWNLOAD_BYTES)
            .with_context(|| format!("source {url}: reading {}", path.display()))?;
        let mut checksum = None;
        if self.opts.checksums {
            for algo in [Algo::Md5, Algo::Sha256] {
                let mut p = path.as_os_str().to_owned();
                p.push(algo.suffix());
                let p = PathBuf::from(p);
                if p.exists() {
                    let text = std::fs::read_to_string(&p).with_context(|| format!("reading {}", p.display()))?;
                    let Some(sum) = Checksum::parse(algo, &text) else {
                        bail!("source {url}: {} is not a {} checksum file", p.display(), algo.name());
                    };
                    verify(url, &sum, &bytes)?;
                    checksum = Some(sum);
                    break;
                }
            }
        }
        Ok(Fetched { bytes, origin: Origin::Local, checksum })
    }

    fn entry_dir(&self, url: &str) -> PathBuf {
        self.opts.cache_dir.join("sources").join(cache_key(url))
    }

    fn store_meta(&self, dir: &Path, meta: &Meta) {
        if let Err(e) = write_atomic(&dir.join("meta.json"), &serde_json::to_vec_pretty(meta).unwrap_or_default()) {
            self.log.warn(format!("cannot update the cache in {}: {e:#}", dir.display()));
        }
    }

    fn get(&self, url: &str, headers: &[(&str, &str)], limit: u64) -> Result<HttpResponse> {
        let env = |k: &str| std::env::var(k).ok();
        let via = proxy_setting(url, &env).map(|p| format!(" (through proxy {})", redact(&p))).unwrap_or_default();
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(self.opts.timeout))
            .timeout_connect(Some(self.opts.timeout.min(Duration::from_secs(30))))
            .user_agent(format!("mirador/{} (rules update)", env!("CARGO_PKG_VERSION")))
            .proxy(proxy_for(url, &env)?)
            .build();
        let agent = ureq::Agent::new_with_config(config);
        let mut req = agent.get(url);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let mut resp = req.call().with_context(|| format!("fetching {url}{via}"))?;
        let status = resp.status().as_u16();
        let header = |name: &str| resp.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
        let etag = header("etag");
        let last_modified = header("last-modified");
        let body = if (200..300).contains(&status) {
            match resp.body_mut().with_config().limit(limit).read_to_vec() {
                Ok(b) => b,
                Err(ureq::Error::BodyExceedsLimit(_)) => {
                    bail!("{url}: response larger than {limit} bytes (MAX_DOWNLOAD_BYTES / MAX_CHECKSUM_FILE_BYTES)")
                }
                Err(e) => return Err(e).with_context(|| format!("reading {url}")),
            }
        } else {
            Vec::new()
        };
        Ok(HttpResponse { status, etag, last_modified, body })
    }
}

/// A downloaded source does not have its published checksum.
#[derive(Debug)]
pub struct ChecksumMismatch {
    pub url: String,
    pub expected: Checksum,
    pub actual: String,
}

impl fmt::Display for ChecksumMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "checksum mismatch for source {}: {} published {}, the download has {}",
            self.url,
            checksum_url(&self.url, self.expected.algo),
            self.expected.hex,
            self.actual
        )
    }
}

impl std::error::Error for ChecksumMismatch {}

fn verify(url: &str, sum: &Checksum, data: &[u8]) -> Result<()> {
    let actual = sum.algo.digest(data);
    if actual != sum.hex {
        return Err(ChecksumMismatch { url: url.to_string(), expected: sum.clone(), actual }.into());
    }
    Ok(())
}

/// The checksum file's URL: the suffix goes on the path, before any query.
pub fn checksum_url(url: &str, algo: Algo) -> String {
    match url.split_once('?') {
        Some((base, q)) => format!("{base}{}?{q}", algo.suffix()),
        None => format!("{url}{}", algo.suffix()),
    }
}

/// `file://` URLs and anything that is not a URL are local paths.
fn local_path(url: &str) -> Option<PathBuf> {
    if let Some(p) = url.strip_prefix("file://") {
        return Some(PathBuf::from(p));
    }
    (!url.contains("://")).then(|| PathBuf::from(url))
}

/// Cache directory name: a hash of the URL (no query secrets on disk in
/// clear) plus the file name for people looking.
fn cache_key(url: &str) -> String {
    let h = Algo::Sha256.digest(url.as_bytes());
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let name: String = path
        .rsplit('/')
        .next()
        .unwrap_or("")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_' { c } else { '_' })
        .take(64)
        .collect();
    if name.is_empty() {
        h[..16].to_string()
    } else {
        format!("{}-{name}", &h[..16])
    }
}

fn read_cache(dir: &Path, url: &str) -> Option<Cached> {
    let meta: Meta = serde_json::from_slice(&std::fs::read(dir.join("meta.json")).ok()?).ok()?;
    if meta.url != url {
        return None;
    }
    let bytes = read_capped(&dir.join("data"), MAX_DOWNLOAD_BYTES).ok()?;
    (Algo::Sha256.digest(&bytes) == meta.data_sha256).then_some(Cached { meta, bytes })
}

fn write_cache(dir: &Path, data: &[u8], meta: &Meta) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    write_atomic(&dir.join("data"), data)?;
    write_atomic(&dir.join("meta.json"), &serde_json::to_vec_pretty(meta)?)
}

/// Writes `path` through a temporary sibling and a rename.
fn write_atomic(path: &Path, data: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".tmp-{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let mut f = std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    f.write_all(data).and_then(|_| f.sync_all()).with_context(|| format!("writing {}", tmp.display()))?;
    drop(f);
    std::fs::rename(&tmp, path).with_context(|| format!("renaming into {}", path.display()))
}

fn read_capped(path: &Path, cap: u64) -> Result<Vec<u8>> {
    let f = std::fs::File::open(path)?;
    let mut buf = Vec::new();
    f.take(cap + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > cap {
        bail!("{} is larger than MAX_DOWNLOAD_BYTES ({cap} bytes)", path.display());
    }
    Ok(buf)
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

fn describe_age(at: u64) -> String {
    let age = now_secs().saturating_sub(at);
    match age {
        0..=119 => format!("{age} s ago"),
        120..=7199 => format!("{} min ago", age / 60),
        7200..=172_799 => format!("{} h ago", age / 3600),
        _ => format!("{} days ago", age / 86400),
    }
}

/// The proxy for `url`, from the environment as curl and suricata-update
/// (Python requests) read it: `https_proxy`/`HTTPS_PROXY` for https URLs,
/// `http_proxy`/`HTTP_PROXY` for http, then `all_proxy`/`ALL_PROXY`;
/// `no_proxy`/`NO_PROXY` (comma list of host suffixes, `*` for all) and
/// loopback hosts go direct.
pub fn proxy_for(url: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Option<ureq::Proxy>> {
    let Some(p) = proxy_setting(url, env) else {
        return Ok(None);
    };
    let proxy = ureq::Proxy::new(&p).with_context(|| format!("invalid proxy setting '{p}'"))?;
    Ok(Some(proxy))
}

/// The proxy URL [`proxy_for`] uses, if any.
pub fn proxy_setting(url: &str, env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let get = |names: &[&str]| names.iter().find_map(|n| env(n).filter(|v| !v.trim().is_empty()));
    let https = url.starts_with("https://");
    let p = if https { get(&["https_proxy", "HTTPS_PROXY"]) } else { get(&["http_proxy", "HTTP_PROXY"]) }
        .or_else(|| get(&["all_proxy", "ALL_PROXY"]))?;
    let host = url_host(url)?;
    if is_loopback(&host) {
        return None;
    }
    if let Some(np) = get(&["no_proxy", "NO_PROXY"]) {
        for entry in np.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            if entry == "*" {
                return None;
            }
            let entry = entry.trim_start_matches("*.").trim_start_matches('.');
            let entry = entry.split(':').next().unwrap_or(entry).to_ascii_lowercase();
            if host == entry || host.ends_with(&format!(".{entry}")) {
                return None;
            }
        }
    }
    Some(p.trim().to_string())
}

/// A proxy URL without its password, for messages.
fn redact(proxy: &str) -> String {
    match proxy.split_once("://") {
        Some((scheme, rest)) => match rest.split_once('@') {
            Some((_, host)) => format!("{scheme}://***@{host}"),
            None => proxy.to_string(),
        },
        None => match proxy.split_once('@') {
            Some((_, host)) => format!("***@{host}"),
            None => proxy.to_string(),
        },
    }
}

fn url_host(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let hostport = authority.rsplit_once('@').map(|(_, h)| h).unwrap_or(authority);
    let host =
        if let Some(v6) = hostport.strip_prefix('[') { v6.split(']').next()? } else { hostport.split(':').next()? };
    Some(host.to_ascii_lowercase())
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host.ends_with(".localhost")
        || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}
