//! Datasets: named sets of buffer values shared by every rule that names
//! them (`dataset:isset,bad-ua`), optionally with a reputation per item
//! (`datarep:bad-ua, >, 200`).
//!
//! A set is declared by the first rule that gives its `type`; later rules
//! may name it alone. `load` files are read at start (relative to the rule
//! file's folder, as Suricata does); `state` files are read at start and
//! written at exit, `save` files only written, both relative to the data
//! dir. File formats follow Suricata's: strings base64, digests hex,
//! addresses in text, each optionally followed by `,reputation`.
//!
//! Sets are shared by all workers behind a mutex. A rule that adds or
//! removes items (`set`, `unset`) makes detection depend on the order in
//! which flows are inspected, so across threads its alerts are as
//! order-dependent as Suricata's own.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use base64::Engine as _;

use crate::rules::ast::{DatasetCmd, DatasetSpec, DatasetType};

/// Bytes charged per item against a set's memcap (key, map slot and
/// allocation overhead), whatever the key's length, as Suricata 7 does.
const ITEM_COST: u64 = 64;
/// Memcap of a set that names none.
const DEFAULT_MEMCAP: u64 = 64 << 20;

/// One named set.
pub struct Dataset {
    name: String,
    dtype: DatasetType,
    items: Mutex<HashMap<Vec<u8>, u16>>,
    max_items: usize,
    /// Where the set is written at exit (`state` or `save`).
    save: Option<PathBuf>,
    /// Adds refused because the set was full.
    pub refused: AtomicU64,
}

impl std::fmt::Debug for Dataset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Dataset({}, {:?}, {} items)", self.name, self.dtype, self.len())
    }
}

impl Dataset {
    /// The item `buf` stands for, or `None` when it cannot be one (an MD5
    /// set and a buffer that is not 16 bytes).
    fn key(&self, buf: &[u8]) -> Option<Vec<u8>> {
        match (self.dtype, buf.len()) {
            (DatasetType::String, _) | (DatasetType::Md5, 16) | (DatasetType::Sha256, 32) => Some(buf.to_vec()),
            (DatasetType::Ipv4, 4) | (DatasetType::Ip, 16) => Some(buf.to_vec()),
            (DatasetType::Ip, 4) => {
                let v4: [u8; 4] = buf.try_into().ok()?;
                Some(std::net::Ipv4Addr::from(v4).to_ipv6_mapped().octets().to_vec())
            }
            _ => None,
        }
    }

    /// Runs `cmd` on `buf`: true when the keyword matches.
    pub fn apply(&self, cmd: &DatasetCmd, buf: &[u8]) -> bool {
        let Some(key) = self.key(buf) else { return matches!(cmd, DatasetCmd::IsNotSet) };
        let mut items = self.items.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match cmd {
            DatasetCmd::IsSet => items.contains_key(&key),
            DatasetCmd::IsNotSet => !items.contains_key(&key),
            DatasetCmd::Unset => items.remove(&key).is_some(),
            DatasetCmd::Rep(m) => items.get(&key).is_some_and(|&r| m.matches(u64::from(r))),
            DatasetCmd::Set => {
                if items.contains_key(&key) {
                    false
                } else if items.len() >= self.max_items {
                    self.refused.fetch_add(1, Ordering::Relaxed);
                    false
                } else {
                    items.insert(key, 0);
                    true
                }
            }
        }
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.items.lock().map_or(0, |i| i.len())
    }

    /// True when the set is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn load(&self, path: &Path) -> Result<(), String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut items = self.items.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (item, rep) = match line.rsplit_once(',') {
                Some((i, r)) => (i.trim(), r.trim().parse::<u16>().map_err(|_| bad_line(path, n, "reputation"))?),
                None => (line, 0),
            };
            let key = parse_item(self.dtype, item).ok_or_else(|| bad_line(path, n, "item"))?;
            if items.len() >= self.max_items {
                return Err(format!("{}: more items than the memcap allows", path.display()));
            }
            items.insert(key, rep);
        }
        Ok(())
    }

    /// Writes the set where `state`/`save` said, one item per line in
    /// load format, sorted so that the file is reproducible.
    fn write(&self) -> Result<(), String> {
        let Some(path) = &self.save else { return Ok(()) };
        let items = self.items.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut lines: Vec<String> = items.keys().map(|k| format_item(self.dtype, k)).collect();
        lines.sort();
        let mut text = lines.join("\n");
        if !text.is_empty() {
            text.push('\n');
        }
        std::fs::write(path, text).map_err(|e| format!("dataset {}: writing {}: {e}", self.name, path.display()))
    }
}

fn bad_line(path: &Path, n: usize, what: &str) -> String {
    format!("{}:{}: invalid {what}", path.display(), n + 1)
}

/// An item of a set file, as the set stores it.
fn parse_item(t: DatasetType, s: &str) -> Option<Vec<u8>> {
    match t {
        DatasetType::String => base64::engine::general_purpose::STANDARD.decode(s).ok(),
        DatasetType::Md5 | DatasetType::Sha256 => {
            let want = if t == DatasetType::Md5 { 16 } else { 32 };
            let b = hex(s)?;
            (b.len() == want).then_some(b)
        }
        DatasetType::Ipv4 => s.parse::<std::net::Ipv4Addr>().ok().map(|a| a.octets().to_vec()),
        DatasetType::Ip => match s.parse::<IpAddr>().ok()? {
            IpAddr::V4(a) => Some(a.to_ipv6_mapped().octets().to_vec()),
            IpAddr::V6(a) => Some(a.octets().to_vec()),
        },
    }
}

fn format_item(t: DatasetType, k: &[u8]) -> String {
    match t {
        DatasetType::String => base64::engine::general_purpose::STANDARD.encode(k),
        DatasetType::Md5 | DatasetType::Sha256 => k.iter().map(|b| format!("{b:02x}")).collect(),
        DatasetType::Ipv4 => k.iter().map(u8::to_string).collect::<Vec<_>>().join("."),
        DatasetType::Ip => {
            let a = Ipv6Addr::from(<[u8; 16]>::try_from(k).unwrap_or_default());
            a.to_ipv4_mapped().map_or_else(|| a.to_string(), |v4| v4.to_string())
        }
    }
}

fn hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

/// Every set of a ruleset, by name.
pub struct Registry {
    data_dir: PathBuf,
    sets: Mutex<HashMap<String, Arc<Dataset>>>,
}

impl Registry {
    /// An empty registry; `state` and `save` files live in `data_dir`.
    pub fn new(data_dir: &Path) -> Self {
        Registry { data_dir: data_dir.to_path_buf(), sets: Mutex::new(HashMap::new()) }
    }

    /// The set `spec` names: declared (and its files read) on first sight
    /// with a type, found by name after that.
    ///
    /// # Errors
    /// An unknown set without a type, a type that differs from the
    /// declaration, or an unreadable or malformed file.
    pub fn resolve(&self, spec: &DatasetSpec, rule_dir: Option<&Path>) -> Result<Arc<Dataset>, String> {
        let mut sets = self.sets.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(ds) = sets.get(&spec.name) {
            if spec.dtype.is_some_and(|t| t != ds.dtype) {
                return Err(format!("dataset '{}' was declared with type {:?}", spec.name, ds.dtype));
            }
            return Ok(ds.clone());
        }
        let dtype = spec.dtype.ok_or_else(|| format!("dataset '{}' needs a type where it is first used", spec.name))?;
        let in_data_dir = |f: &String| self.data_dir.join(f);
        let ds = Dataset {
            name: spec.name.clone(),
            dtype,
            items: Mutex::new(HashMap::new()),
            max_items: usize::try_from(spec.memcap.unwrap_or(DEFAULT_MEMCAP) / ITEM_COST).unwrap_or(usize::MAX).max(1),
            save: spec.state.as_ref().or(spec.save.as_ref()).map(in_data_dir),
            refused: AtomicU64::new(0),
        };
        if let Some(f) = &spec.load {
            let p = Path::new(f);
            let p = if p.is_absolute() { p.to_path_buf() } else { rule_dir.unwrap_or(Path::new(".")).join(p) };
            ds.load(&p)?;
        }
        if let Some(p) = spec.state.as_ref().map(in_data_dir) {
            if p.exists() {
                ds.load(&p)?;
            }
        }
        let ds = Arc::new(ds);
        sets.insert(spec.name.clone(), ds.clone());
        Ok(ds)
    }

    /// Writes every set that has a `state` or `save` file.
    ///
    /// # Errors
    /// One message per file that could not be written.
    pub fn save(&self) -> Result<(), Vec<String>> {
        let sets = self.sets.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut names: Vec<&String> = sets.keys().collect();
        names.sort();
        let errors: Vec<String> = names.into_iter().filter_map(|n| sets[n].write().err()).collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::numeric::parse_num;

    fn spec(cmd: DatasetCmd, dtype: Option<DatasetType>) -> DatasetSpec {
        DatasetSpec { cmd, name: "s".into(), dtype, load: None, state: None, save: None, memcap: None }
    }

    #[test]
    fn set_matches_once_then_isset_and_unset() {
        let r = Registry::new(Path::new("."));
        let ds = r.resolve(&spec(DatasetCmd::Set, Some(DatasetType::String)), None).unwrap();
        assert!(ds.apply(&DatasetCmd::IsNotSet, b"ua1"));
        assert!(ds.apply(&DatasetCmd::Set, b"ua1"));
        assert!(!ds.apply(&DatasetCmd::Set, b"ua1"), "already there");
        assert!(ds.apply(&DatasetCmd::IsSet, b"ua1"));
        assert!(ds.apply(&DatasetCmd::Unset, b"ua1"));
        assert!(!ds.apply(&DatasetCmd::Unset, b"ua1"));
        // A later rule names the set without a type; another type is refused.
        assert!(Arc::ptr_eq(&ds, &r.resolve(&spec(DatasetCmd::IsSet, None), None).unwrap()));
        assert!(r.resolve(&spec(DatasetCmd::IsSet, Some(DatasetType::Md5)), None).is_err());
        let mut other = spec(DatasetCmd::IsSet, None);
        other.name = "unknown".into();
        assert!(r.resolve(&other, None).unwrap_err().contains("needs a type"));
    }

    #[test]
    fn files_load_and_save_in_suricatas_formats() {
        let dir = std::env::temp_dir().join(format!("mirador-dataset-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("ua.csv"), "Y3VybC83LjQzLjA=\n").unwrap();
        std::fs::write(dir.join("rep.csv"), "Z29vZ2xlLmNvbQ==,255\n").unwrap();
        std::fs::write(dir.join("ip.csv"), "82.165.177.154\n2001:db8::1\n").unwrap();
        let r = Registry::new(&dir);
        let mut s = spec(DatasetCmd::IsSet, Some(DatasetType::String));
        s.load = Some("ua.csv".into());
        s.save = Some("out.csv".into());
        let ua = r.resolve(&s, Some(&dir)).unwrap();
        assert!(ua.apply(&DatasetCmd::IsSet, b"curl/7.43.0"));
        assert!(ua.apply(&DatasetCmd::Set, b"ua2"));
        let mut rep = spec(DatasetCmd::Rep(parse_num(">200", 65535).unwrap()), Some(DatasetType::String));
        rep.name = "rep".into();
        rep.load = Some("rep.csv".into());
        let rs = r.resolve(&rep, Some(&dir)).unwrap();
        assert!(rs.apply(&rep.cmd, b"google.com"));
        assert!(!rs.apply(&DatasetCmd::Rep(parse_num("<200", 65535).unwrap()), b"google.com"));
        let mut ip = spec(DatasetCmd::IsSet, Some(DatasetType::Ip));
        ip.name = "ip".into();
        ip.load = Some("ip.csv".into());
        let ips = r.resolve(&ip, Some(&dir)).unwrap();
        // An IPv4 address matches its mapped form.
        assert!(ips.apply(&DatasetCmd::IsSet, &[82, 165, 177, 154]));
        assert!(!ips.apply(&DatasetCmd::IsSet, &[82, 165, 177, 155]));
        r.save().unwrap();
        assert_eq!(std::fs::read_to_string(dir.join("out.csv")).unwrap(), "Y3VybC83LjQzLjA=\ndWEy\n");
        std::fs::write(dir.join("bad.csv"), "not base64!\n").unwrap();
        let mut bad = spec(DatasetCmd::IsSet, Some(DatasetType::String));
        bad.name = "bad".into();
        bad.load = Some("bad.csv".into());
        assert!(r.resolve(&bad, Some(&dir)).unwrap_err().ends_with("bad.csv:1: invalid item"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn memcap_bounds_adds_and_counts_refusals() {
        let r = Registry::new(Path::new("."));
        let mut s = spec(DatasetCmd::Set, Some(DatasetType::String));
        s.memcap = Some(2 * ITEM_COST);
        let ds = r.resolve(&s, None).unwrap();
        assert!(ds.apply(&DatasetCmd::Set, b"a") && ds.apply(&DatasetCmd::Set, b"b"));
        assert!(!ds.apply(&DatasetCmd::Set, b"c"));
        assert_eq!((ds.len(), ds.refused.load(Ordering::Relaxed)), (2, 1));
    }
}
