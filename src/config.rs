//! Reading a Suricata `suricata.yaml`: the settings mirador implements
//! (address and port groups, classification file, rule files) are taken;
//! the rest is named once on stderr and ignored.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde_yaml::{Mapping, Value};

/// Top-level keys mirador reads.
const USED_KEYS: &[&str] = &[
    "vars",
    "classification-file",
    "default-rule-path",
    "rule-files",
    "include",
    "%YAML",
    "stream",
    "packet-alert-max",
    "outputs",
    "behaviour",
    "mirror-state",
    "defrag",
    // `flow.memcap` (the flow table bound); other flow settings are not read.
    "flow",
    // The master switch; mirador applies it to `stream.midstream-policy`.
    "exception-policy",
    // The order of rule actions (which of pass and drop wins).
    "action-order",
    // `app-layer.protocols.tls.ja3-fingerprints` and libhtp's default
    // `request-body-limit`/`response-body-limit`; the rest is not read.
    "app-layer",
    // Suppressions, thresholds and rate filters (`threshold.config`).
    "threshold-file",
];
/// Nested includes beyond this are refused (a cycle).
const MAX_INCLUDE_DEPTH: usize = 8;

/// A loaded Suricata configuration.
#[derive(Debug, Clone)]
pub struct SuricataConfig {
    root: Value,
    base: PathBuf,
}

fn read_yaml(path: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    // libyaml accepts the `%YAML 1.1` directive Suricata files start with;
    // an empty document is an empty mapping.
    let v: Value = serde_yaml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    Ok(if v.is_null() { Value::Mapping(Mapping::new()) } else { v })
}

fn merge(into: &mut Value, from: Value) {
    match (into, from) {
        (Value::Mapping(a), Value::Mapping(b)) => {
            for (k, v) in b {
                match a.get_mut(&k) {
                    Some(existing) if existing.is_mapping() && v.is_mapping() => merge(existing, v),
                    _ => {
                        a.insert(k, v);
                    }
                }
            }
        }
        (slot, v) => *slot = v,
    }
}

fn load_with_includes(path: &Path, depth: usize) -> Result<Value> {
    if depth > MAX_INCLUDE_DEPTH {
        anyhow::bail!("{}: includes nest deeper than {MAX_INCLUDE_DEPTH}", path.display());
    }
    let v = read_yaml(path)?;
    let base = path.parent().unwrap_or(Path::new("."));
    let Value::Mapping(top) = v else { return Ok(v) };
    // As in Suricata, an `include` takes effect where it is written: keys
    // after it override the included file's, keys before it are
    // overridden by it.
    let mut out = Value::Mapping(Mapping::new());
    for (k, v) in top {
        if k.as_str() == Some("include") {
            let files: Vec<String> = match &v {
                Value::String(s) => vec![s.clone()],
                Value::Sequence(list) => list.iter().filter_map(|x| x.as_str().map(String::from)).collect(),
                _ => Vec::new(),
            };
            for inc in files {
                merge(&mut out, load_with_includes(&base.join(&inc), depth + 1)?);
            }
            if let Value::Mapping(m) = &mut out {
                m.insert(k, v);
            }
        } else {
            let mut one = Mapping::new();
            one.insert(k, v);
            merge(&mut out, Value::Mapping(one));
        }
    }
    Ok(out)
}

/// Sets a dotted key (`a.b.0.c`) to a scalar, creating maps on the way.
fn set_path(root: &mut Value, key: &str, value: &str) {
    let mut cur = root;
    for part in key.split('.') {
        let index = part.parse::<usize>().ok().filter(|_| cur.is_sequence());
        cur = match index {
            Some(i) => {
                let seq = cur.as_sequence_mut().expect("checked is_sequence");
                if i >= seq.len() {
                    seq.resize(i + 1, Value::Null);
                }
                &mut seq[i]
            }
            None => {
                if !cur.is_mapping() {
                    *cur = Value::Mapping(Mapping::new());
                }
                let m = cur.as_mapping_mut().expect("just made a mapping");
                m.entry(Value::String(part.to_string())).or_insert(Value::Null)
            }
        };
    }
    *cur = serde_yaml::from_str(value).unwrap_or_else(|_| Value::String(value.to_string()));
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

impl SuricataConfig {
    /// Loads a file, its includes, then applies `--set` overrides.
    pub fn load(path: &Path, sets: &[String]) -> Result<Self> {
        let root = load_with_includes(path, 0)?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut c = SuricataConfig { root, base };
        c.apply_sets(sets)?;
        Ok(c)
    }

    /// A configuration made of `--set` overrides only.
    pub fn from_sets(sets: &[String]) -> Result<Self> {
        let mut c = SuricataConfig { root: Value::Mapping(Mapping::new()), base: PathBuf::from(".") };
        c.apply_sets(sets)?;
        Ok(c)
    }

    fn apply_sets(&mut self, sets: &[String]) -> Result<()> {
        for s in sets {
            let (k, v) = s.split_once('=').with_context(|| format!("--set expects key=value, got '{s}'"))?;
            set_path(&mut self.root, k.trim(), v.trim());
        }
        Ok(())
    }

    /// Names the top-level settings mirador does not implement, once.
    pub fn report_ignored(&self) {
        let Some(m) = self.root.as_mapping() else {
            return;
        };
        let ignored: Vec<&str> = m.keys().filter_map(|k| k.as_str()).filter(|k| !USED_KEYS.contains(k)).collect();
        if !ignored.is_empty() {
            eprintln!("mirador: configuration settings not implemented, ignored: {}", ignored.join(", "));
        }
    }

    /// The `action-order` list, when the configuration gives one.
    pub fn action_order(&self) -> Option<Vec<String>> {
        let list = self.root.get("action-order")?.as_sequence()?;
        Some(list.iter().filter_map(scalar).collect())
    }

    /// Address and port groups: (is_port, name, value).
    pub fn vars(&self) -> Vec<(bool, String, String)> {
        let mut out = Vec::new();
        for (group, is_port) in [("address-groups", false), ("port-groups", true)] {
            if let Some(m) = self.root.get("vars").and_then(|v| v.get(group)).and_then(Value::as_mapping) {
                for (k, v) in m {
                    if let (Some(k), Some(v)) = (k.as_str(), scalar(v)) {
                        out.push((is_port, k.to_string(), v));
                    }
                }
            }
        }
        out
    }

    /// A raw section value.
    pub fn section_value(&self, path: &str) -> Option<&Value> {
        self.lookup(path)
    }

    fn lookup(&self, path: &str) -> Option<&Value> {
        let mut cur = &self.root;
        for part in path.split('.') {
            cur = cur.get(part)?;
        }
        Some(cur)
    }

    /// A whole section, deserialized (None when absent).
    ///
    /// # Errors
    /// When the section does not have the expected shape (the message names it).
    pub fn section<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<Option<T>> {
        match self.lookup(path) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => serde_yaml::from_value(v.clone()).map(Some).with_context(|| format!("configuration `{path}`")),
        }
    }

    /// A text setting.
    pub fn get_str(&self, path: &str) -> Option<String> {
        scalar(self.lookup(path)?)
    }

    /// A path setting, relative to the configuration file's folder.
    pub fn get_path(&self, path: &str) -> Option<PathBuf> {
        let v = scalar(self.lookup(path)?)?;
        Some(self.base.join(v.trim()))
    }

    /// A yes/no setting (`yes`, `true`, `1`, `on`).
    pub fn get_bool(&self, path: &str) -> Option<bool> {
        match self.lookup(path)? {
            Value::Bool(b) => Some(*b),
            Value::String(s) => Some(matches!(s.to_ascii_lowercase().as_str(), "yes" | "true" | "1" | "on")),
            Value::Number(n) => Some(n.as_u64() != Some(0)),
            _ => None,
        }
    }

    /// A size setting (`1mb`, `64kb`, `1gb`, plain bytes).
    pub fn get_size(&self, path: &str) -> Option<u64> {
        parse_size(&scalar(self.lookup(path)?)?)
    }

    /// The event types of the first enabled `eve-log` output, if any.
    pub fn eve_types(&self) -> Option<Vec<String>> {
        let outputs = self.root.get("outputs")?.as_sequence()?;
        for o in outputs {
            let Some(eve) = o.get("eve-log") else { continue };
            if eve.get("enabled").and_then(scalar).is_some_and(|e| matches!(e.as_str(), "no" | "false")) {
                continue;
            }
            let types = eve.get("types")?.as_sequence()?;
            return Some(types.iter().flat_map(type_names).collect());
        }
        None
    }

    /// True when a `file-store` output is enabled (`enabled: yes`): then
    /// `filestore` rules take effect.
    pub fn file_store_enabled(&self) -> bool {
        let Some(outputs) = self.root.get("outputs").and_then(Value::as_sequence) else { return false };
        outputs
            .iter()
            .filter_map(|o| o.get("file-store"))
            .any(|fs| fs.get("enabled").and_then(scalar).is_some_and(|e| matches!(e.as_str(), "yes" | "true" | "on")))
    }

    /// The `alert` options of the first enabled `eve-log` output
    /// (`payload`, `payload-printable`, `payload-buffer-size`, `packet`).
    pub fn alert_options(&self) -> mirador_engine::output::AlertOptions {
        let mut o = mirador_engine::output::AlertOptions::default();
        let Some(outputs) = self.root.get("outputs").and_then(Value::as_sequence) else { return o };
        let yes = |v: Option<&Value>| v.and_then(scalar).is_some_and(|s| matches!(s.as_str(), "yes" | "true" | "on"));
        for out in outputs {
            let Some(eve) = out.get("eve-log") else { continue };
            if eve.get("enabled").and_then(scalar).is_some_and(|e| matches!(e.as_str(), "no" | "false")) {
                continue;
            }
            o.community_id = community_id(eve);
            o.ethernet = yes(eve.get("ethernet"));
            let types = eve.get("types").and_then(Value::as_sequence).map(Vec::as_slice).unwrap_or_default();
            for alert in types.iter().filter_map(|t| t.get("alert")) {
                o.payload = yes(alert.get("payload"));
                o.payload_printable = yes(alert.get("payload-printable"));
                o.packet = yes(alert.get("packet"));
                o.verdict = yes(alert.get("verdict"));
                if let Some(n) = alert.get("payload-buffer-size").and_then(scalar).and_then(|v| parse_size(&v)) {
                    o.payload_buffer_size = n as usize;
                }
                o.xff = alert.get("xff").filter(|x| yes(x.get("enabled"))).map(|x| {
                    let get = |k: &str| x.get(k).and_then(scalar);
                    mirador_engine::output::Xff {
                        overwrite: get("mode").is_some_and(|m| m == "overwrite"),
                        forward: get("deployment").is_some_and(|d| d == "forward"),
                        header: get("header").unwrap_or_else(|| "X-Forwarded-For".into()),
                    }
                });
            }
            break;
        }
        o
    }

    /// The Community ID seed of the first enabled `eve-log` output, when it
    /// writes the Community ID (`community-id: yes`, `community-id-seed`).
    pub fn community_id(&self) -> Option<u16> {
        self.alert_options().community_id
    }

    /// The options of the event type `name` in the first enabled
    /// `eve-log`: `Some(Null)` when it is listed without options (`- http`),
    /// None when it is not listed (or there is no eve-log).
    pub fn eve_type_options(&self, name: &str) -> Option<Value> {
        let outputs = self.root.get("outputs")?.as_sequence()?;
        let eve = outputs
            .iter()
            .filter_map(|o| o.get("eve-log"))
            .find(|eve| !eve.get("enabled").and_then(scalar).is_some_and(|e| matches!(e.as_str(), "no" | "false")))?;
        eve.get("types")?.as_sequence()?.iter().find_map(|t| match t {
            Value::String(s) if s == name => Some(Value::Null),
            Value::Mapping(m) => m.get(name).cloned(),
            _ => None,
        })
    }

    /// The `http` logger's settings. Without the type in the eve-log (or
    /// without an eve-log) the defaults stand: the stock configuration's
    /// `extended: yes`.
    pub fn http_log(&self) -> mirador_engine::applayer::http::HttpLogConfig {
        let mut cfg = mirador_engine::applayer::http::HttpLogConfig::default();
        if let Some(o) = self.eve_type_options("http") {
            cfg.extended =
                o.get("extended").and_then(scalar).is_some_and(|v| matches!(v.as_str(), "yes" | "true" | "on"));
            if let Some(d) = o.get("dump-all-headers").and_then(scalar) {
                cfg.set_dump_all_headers(&d);
            }
        }
        cfg
    }

    /// Applies the `tls` logger's settings to `cfg`: `extended` (a listed
    /// `- tls` without it logs the basic fields only, as Suricata does) and
    /// `custom`. Unknown custom names are returned. Without the type in the
    /// eve-log `cfg` is left as it is.
    pub fn tls_log(&self, cfg: &mut mirador_engine::applayer::tls::eve::TlsLogConfig) -> Vec<String> {
        use mirador_engine::applayer::tls::eve::fields;
        let mut unknown = Vec::new();
        let Some(o) = self.eve_type_options("tls") else { return unknown };
        cfg.extended = o.get("extended").and_then(scalar).is_some_and(|v| matches!(v.as_str(), "yes" | "true" | "on"));
        if let Some(list) = o.get("custom").and_then(Value::as_sequence) {
            let mut bits = 0;
            for name in list.iter().filter_map(scalar) {
                match fields::by_name(&name) {
                    Some(b) => bits |= b,
                    None => unknown.push(name),
                }
            }
            cfg.custom = Some(bits);
        }
        unknown
    }

    /// `ethernet: yes` on the first enabled `eve-log`: MAC addresses in
    /// every record type.
    pub fn eve_ethernet(&self) -> bool {
        self.alert_options().ethernet
    }

    /// `classification-file`, resolved against the config's folder.
    pub fn classification_file(&self) -> Option<PathBuf> {
        let p = self.root.get("classification-file").and_then(Value::as_str)?;
        let p = self.base.join(p);
        p.exists().then_some(p)
    }

    /// `rule-files` under `default-rule-path`.
    pub fn rule_files(&self) -> Vec<PathBuf> {
        let dir = self
            .root
            .get("default-rule-path")
            .and_then(Value::as_str)
            .map(|d| self.base.join(d))
            .unwrap_or_else(|| self.base.clone());
        match self.root.get("rule-files") {
            Some(Value::Sequence(s)) => s.iter().filter_map(Value::as_str).map(|f| dir.join(f)).collect(),
            _ => Vec::new(),
        }
    }
}

/// The mirador type names (see `EveTypes::enable`) of one item of an
/// eve-log `types` list.
///
/// `anomaly` follows Suricata: enabled unless `enabled: no`, with app-layer
/// events on and decoder events off unless its `types` say otherwise (a
/// bare `- anomaly` is app-layer events only). Stream events are not
/// written by mirador, so `types: stream` has no name here.
fn type_names(item: &Value) -> Vec<String> {
    let flag = |v: Option<&Value>, default: bool| {
        v.and_then(scalar).map_or(default, |s| matches!(s.as_str(), "yes" | "true" | "on" | "1"))
    };
    match item {
        Value::String(s) if s == "anomaly" => vec!["anomaly.applayer".into()],
        Value::String(s) => vec![s.clone()],
        Value::Mapping(m) if m.get("anomaly").is_some() => {
            let a = m.get("anomaly").filter(|a| !a.is_null());
            if !flag(a.and_then(|a| a.get("enabled")), true) {
                return Vec::new();
            }
            let types = a.and_then(|a| a.get("types"));
            let mut names = Vec::new();
            if flag(types.and_then(|t| t.get("decode")), false) {
                names.push("anomaly.decode".into());
            }
            if flag(types.and_then(|t| t.get("applayer")), true) {
                names.push("anomaly.applayer".into());
            }
            names
        }
        Value::Mapping(m) => m.keys().next().and_then(|k| k.as_str()).map(String::from).into_iter().collect(),
        _ => Vec::new(),
    }
}

/// `community-id: yes` of an eve-log output: its seed (default 0).
fn community_id(eve: &Value) -> Option<u16> {
    let on = eve.get("community-id").and_then(scalar).is_some_and(|v| matches!(v.as_str(), "yes" | "true" | "on"));
    on.then(|| eve.get("community-id-seed").and_then(scalar).and_then(|v| v.trim().parse().ok()).unwrap_or(0))
}

/// A size as Suricata writes it: `4096`, `4kb`, `64mb`, `1gb`.
fn parse_size(v: &str) -> Option<u64> {
    let t = v.trim().to_ascii_lowercase();
    let (num, mult) = if let Some(n) = t.strip_suffix("gb") {
        (n, 1u64 << 30)
    } else if let Some(n) = t.strip_suffix("mb") {
        (n, 1 << 20)
    } else if let Some(n) = t.strip_suffix("kb") {
        (n, 1 << 10)
    } else {
        (t.as_str(), 1)
    };
    num.trim().parse::<u64>().ok().map(|n| n * mult)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alert_options_of_the_eve_log() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.yaml");
        std::fs::write(
            &p,
            "outputs:\n  - eve-log:\n      enabled: yes\n      types:\n        - alert:\n            payload: yes\n            payload-buffer-size: 2kb\n            packet: yes\n        - flow\n",
        )
        .unwrap();
        let o = SuricataConfig::load(&p, &[]).unwrap().alert_options();
        assert!(o.payload && o.packet && !o.payload_printable);
        assert_eq!(o.payload_buffer_size, 2048);
        assert_eq!(parse_size("64MB"), Some(64 << 20));
        assert_eq!(parse_size("x"), None);
    }

    /// `action-order` is read as the list of action names, in order.
    #[test]
    fn action_order_list() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.yaml");
        std::fs::write(&p, "action-order:\n  - drop\n  - pass\n  - reject\n  - alert\n").unwrap();
        let c = SuricataConfig::load(&p, &[]).unwrap();
        assert_eq!(c.action_order().unwrap(), ["drop", "pass", "reject", "alert"]);
        assert_eq!(SuricataConfig::from_sets(&[]).unwrap().action_order(), None);
    }

    #[test]
    fn http_and_tls_logger_settings() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.yaml");
        std::fs::write(
            &p,
            "outputs:\n  - eve-log:\n      enabled: yes\n      ethernet: yes\n      types:\n        - http:\n            dump-all-headers: response\n        - tls:\n            custom: [subject, chain, client, nonsense]\n",
        )
        .unwrap();
        let c = SuricataConfig::load(&p, &[]).unwrap();
        let h = c.http_log();
        assert!(!h.extended && !h.request_headers && h.response_headers);
        let mut t = mirador_engine::applayer::tls::eve::TlsLogConfig::default();
        assert_eq!(c.tls_log(&mut t), ["nonsense"]);
        use mirador_engine::applayer::tls::eve::fields;
        assert_eq!(t.custom, Some(fields::SUBJECT | fields::CHAIN | fields::CLIENT));
        assert!(!t.extended);
        assert!(c.eve_ethernet());

        // `- http` alone: basic fields; no http type: the default stands.
        std::fs::write(
            &p,
            "outputs:\n  - eve-log:\n      types:\n        - http\n        - tls:\n            extended: yes\n",
        )
        .unwrap();
        let c = SuricataConfig::load(&p, &[]).unwrap();
        assert!(!c.http_log().extended);
        let mut t = mirador_engine::applayer::tls::eve::TlsLogConfig::default();
        assert!(c.tls_log(&mut t).is_empty());
        assert!(t.extended && t.custom.is_none());
        assert!(!c.eve_ethernet());
        std::fs::write(&p, "outputs:\n  - eve-log:\n      types:\n        - flow\n").unwrap();
        assert!(SuricataConfig::load(&p, &[]).unwrap().http_log().extended);
    }

    #[test]
    fn reads_vars_includes_and_sets() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(
            d.path().join("main.yaml"),
            "%YAML 1.1\n---\nvars:\n  address-groups:\n    HOME_NET: \"[10.0.0.0/8]\"\n  port-groups:\n    HTTP_PORTS: 8080\ninclude: extra.yaml\noutputs:\n  - eve-log:\n      enabled: yes\n",
        )
        .unwrap();
        std::fs::write(d.path().join("extra.yaml"), "vars:\n  address-groups:\n    DNS_SERVERS: \"[1.1.1.1]\"\n")
            .unwrap();
        let c = SuricataConfig::load(&d.path().join("main.yaml"), &["vars.address-groups.EXTERNAL_NET=any".into()])
            .unwrap();
        let v = c.vars();
        assert!(v.contains(&(false, "HOME_NET".into(), "[10.0.0.0/8]".into())));
        assert!(v.contains(&(true, "HTTP_PORTS".into(), "8080".into())));
        assert!(v.contains(&(false, "DNS_SERVERS".into(), "[1.1.1.1]".into())));
        assert!(v.contains(&(false, "EXTERNAL_NET".into(), "any".into())));
    }

    /// An include takes effect where it is written: the keys after it win
    /// over the included file's, the included file wins over keys before.
    #[test]
    fn include_position_decides_what_overrides() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(
            d.path().join("main.yaml"),
            "stream:\n  midstream: true\ninclude: base.yaml\npacket-alert-max: 3\n\
             outputs:\n  - eve-log:\n      types:\n        - alert:\n            xff:\n              enabled: yes\n",
        )
        .unwrap();
        std::fs::write(
            d.path().join("base.yaml"),
            "stream:\n  midstream: false\n  inline: no\npacket-alert-max: 15\noutputs:\n  - eve-log:\n      types: [alert]\n",
        )
        .unwrap();
        let c = SuricataConfig::load(&d.path().join("main.yaml"), &[]).unwrap();
        assert_eq!(c.get_bool("stream.midstream"), Some(false), "the include comes after");
        assert_eq!(c.get_bool("stream.inline"), Some(false));
        assert_eq!(c.get_size("packet-alert-max"), Some(3), "the main file's key comes after the include");
        let xff = c.alert_options().xff.expect("the main file's outputs");
        assert!(!xff.overwrite && !xff.forward && xff.header == "X-Forwarded-For");
    }

    #[test]
    fn typed_settings() {
        let c = SuricataConfig::from_sets(&[
            "stream.midstream=true".into(),
            "stream.reassembly.depth=1mb".into(),
            "stream.async-oneside=no".into(),
        ])
        .unwrap();
        assert_eq!(c.get_bool("stream.midstream"), Some(true));
        assert_eq!(c.get_bool("stream.async-oneside"), Some(false));
        assert_eq!(c.get_size("stream.reassembly.depth"), Some(1 << 20));
        assert_eq!(c.get_size("stream.nothing"), None);
    }

    /// `anomaly` as Suricata reads it: app-layer events unless switched
    /// off, decoder events only when asked for.
    #[test]
    fn file_store_output() {
        let dir = std::env::temp_dir().join(format!("mirador-cfg-fs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("s.yaml");
        std::fs::write(
            &p,
            "outputs:\n  - eve-log:\n      types: [alert]\n  - file-store:\n      version: 2\n      enabled: yes\n",
        )
        .unwrap();
        assert!(SuricataConfig::load(&p, &[]).unwrap().file_store_enabled());
        std::fs::write(&p, "outputs:\n  - file-store:\n      enabled: no\n").unwrap();
        assert!(!SuricataConfig::load(&p, &[]).unwrap().file_store_enabled());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn anomaly_types_follow_suricata_defaults() {
        let types = |yaml: &str| -> Vec<String> {
            let v: Value = serde_yaml::from_str(yaml).unwrap();
            v.as_sequence().unwrap().iter().flat_map(type_names).collect()
        };
        assert_eq!(types("[flow, anomaly]"), ["flow", "anomaly.applayer"]);
        // The stock suricata.yaml: `types:` present but all commented out.
        assert_eq!(types("- anomaly:\n    enabled: yes\n    types:\n"), ["anomaly.applayer"]);
        assert_eq!(types("- anomaly:\n    types:\n      decode: yes\n      applayer: no\n"), ["anomaly.decode"]);
        assert_eq!(
            types("- anomaly:\n    types: {decode: yes, stream: yes}\n"),
            ["anomaly.decode", "anomaly.applayer"]
        );
        assert!(types("- anomaly:\n    enabled: no\n").is_empty());
    }

    #[test]
    fn set_creates_paths_and_indexes_lists() {
        let mut v: Value = serde_yaml::from_str("outputs:\n  - a: 1\n  - b: 2\n").unwrap();
        set_path(&mut v, "outputs.1.b", "3");
        set_path(&mut v, "stream.midstream", "true");
        assert_eq!(v["outputs"][1]["b"], Value::Number(3.into()));
        assert_eq!(v["stream"]["midstream"], Value::Bool(true));
    }
}
