//! The merged rule list: rules read from the sources' files (enabled, or
//! disabled when commented out), merged by gid:sid, rendered to one file,
//! and compared with the installed one.
//!
//! This is a light reading, like suricata-update's: the header shape and the
//! few options that identify a rule (gid, sid, rev, msg, metadata,
//! flowbits). Whether a rule is valid is the engine's call, at the load
//! check. An uncommented line that does not look like a rule is kept as it
//! is, so that the load check reports it; a commented one is a comment and
//! is dropped.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use regex::Regex;

/// One rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The rule text, without the `#` of a disabled rule.
    pub text: String,
    pub enabled: bool,
    pub gid: u32,
    pub sid: Option<u32>,
    pub rev: u32,
    pub msg: String,
    /// `metadata` entries (`key value`), in order.
    pub metadata: Vec<String>,
    /// `flowbits` options: (operation, names).
    pub flowbits: Vec<(String, Vec<String>)>,
    /// Path of the file inside its source (for `filename:` matchers).
    pub file: String,
    /// Index of the source.
    pub source: usize,
}

impl Entry {
    /// The rule as written: `# ` before a disabled rule.
    pub fn format(&self) -> String {
        if self.enabled {
            self.text.clone()
        } else {
            format!("# {}", self.text)
        }
    }

    /// File name without directories: the group of `group:` matchers.
    pub fn group(&self) -> &str {
        basename(&self.file)
    }

    /// `[gid:sid]`.
    pub fn id(&self) -> String {
        match self.sid {
            Some(s) => format!("[{}:{}]", self.gid, s),
            None => "[no sid]".to_string(),
        }
    }
}

/// The last component of a `/`-separated path.
pub fn basename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn rule_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"^(?:alert|drop|pass|reject|rejectsrc|rejectdst|rejectboth|log|sdrop|config)\s+\S+(?:\s+\S+\s+\S+\s+(?:->|<>|<-)\s+\S+\s+\S+)?\s*\(.*\)\s*$",
        )
        .expect("static regex")
    })
}

/// Reads one logical line: `Some((enabled, text))` for a rule (or for any
/// uncommented line), `None` for comments and blank lines.
pub fn classify_line(line: &str) -> Option<(bool, String)> {
    let t = line.trim();
    if t.is_empty() {
        return None;
    }
    if t.starts_with('#') {
        let body = t.trim_start_matches(|c: char| c == '#' || c.is_whitespace());
        return rule_re().is_match(body).then(|| (false, body.to_string()));
    }
    Some((true, t.to_string()))
}

/// Builds an entry from a rule's text.
pub fn parse_entry(text: String, enabled: bool, file: &str, source: usize) -> Entry {
    let mut e = Entry {
        text,
        enabled,
        gid: 1,
        sid: None,
        rev: 0,
        msg: String::new(),
        metadata: Vec::new(),
        flowbits: Vec::new(),
        file: file.to_string(),
        source,
    };
    for (name, value) in options(&e.text) {
        let v = value.unwrap_or_default();
        match name.as_str() {
            "sid" => e.sid = v.trim_matches('"').parse().ok(),
            "gid" => e.gid = v.trim_matches('"').parse().unwrap_or(1),
            "rev" => e.rev = v.trim_matches('"').parse().unwrap_or(0),
            "msg" => e.msg = v.trim_matches('"').to_string(),
            "metadata" => e.metadata.extend(v.split(',').map(|m| m.trim().to_string()).filter(|m| !m.is_empty())),
            "flowbits" => {
                let mut it = v.splitn(2, ',');
                let op = it.next().unwrap_or("").trim().to_string();
                let names = it
                    .next()
                    .map(|n| n.split(['|', '&']).map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect())
                    .unwrap_or_default();
                e.flowbits.push((op, names));
            }
            _ => {}
        }
    }
    e
}

/// The options of a rule: between the first `(` and the last `)`, split at
/// each `;` not preceded by a backslash (Suricata's rule, quotes or not).
pub fn options(text: &str) -> Vec<(String, Option<String>)> {
    let (Some(open), Some(close)) = (text.find('('), text.rfind(')')) else {
        return Vec::new();
    };
    if close <= open {
        return Vec::new();
    }
    let body = &text[open + 1..close];
    let mut out = Vec::new();
    let mut start = 0;
    let bytes = body.as_bytes();
    for i in 0..bytes.len() {
        if bytes[i] == b';' && (i == 0 || bytes[i - 1] != b'\\') {
            push_option(&body[start..i], &mut out);
            start = i + 1;
        }
    }
    push_option(&body[start..], &mut out);
    out
}

fn push_option(opt: &str, out: &mut Vec<(String, Option<String>)>) {
    let opt = opt.trim();
    if opt.is_empty() {
        return;
    }
    match opt.split_once(':') {
        Some((n, v)) => out.push((n.trim().to_string(), Some(v.trim().to_string()))),
        None => out.push((opt.to_string(), None)),
    }
}

/// Splits rule-file text into logical lines (a trailing `\` continues the
/// line, joined as the engine joins it), with each one's first line number.
pub fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut start = 0;
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim_end_matches('\r');
        if cur.is_empty() {
            start = n + 1;
        }
        if let Some(body) = line.trim_end().strip_suffix('\\') {
            // A comment line never continues.
            if cur.is_empty() && line.trim_start().starts_with('#') {
                out.push((start, line.to_string()));
                continue;
            }
            cur.push_str(body);
            continue;
        }
        cur.push_str(line);
        out.push((start, std::mem::take(&mut cur)));
    }
    if !cur.is_empty() {
        out.push((start, cur));
    }
    out
}

/// The merged rules, in source order.
#[derive(Debug, Default)]
pub struct RuleSet {
    pub entries: Vec<Entry>,
}

impl RuleSet {
    /// Adds the rules of one file; returns how many.
    pub fn add_file(&mut self, text: &str, file: &str, source: usize) -> usize {
        let before = self.entries.len();
        for (_, line) in logical_lines(text) {
            if let Some((enabled, t)) = classify_line(&line) {
                self.entries.push(parse_entry(t, enabled, file, source));
            }
        }
        self.entries.len() - before
    }

    /// Keeps one rule per gid:sid: the highest rev, the first on a tie
    /// (suricata-update's choice). Returns how many were dropped.
    pub fn remove_duplicates(&mut self) -> usize {
        let mut best: HashMap<(u32, u32), usize> = HashMap::new();
        let mut drop = vec![false; self.entries.len()];
        for (i, e) in self.entries.iter().enumerate() {
            let Some(sid) = e.sid else { continue };
            match best.get(&(e.gid, sid)) {
                Some(&j) if e.rev > self.entries[j].rev => {
                    drop[j] = true;
                    best.insert((e.gid, sid), i);
                }
                Some(_) => drop[i] = true,
                None => {
                    best.insert((e.gid, sid), i);
                }
            }
        }
        let n = drop.iter().filter(|d| **d).count();
        let mut it = drop.into_iter();
        self.entries.retain(|_| !it.next().unwrap_or(false));
        n
    }

    /// Enables disabled rules that set a flowbit an enabled rule checks,
    /// until nothing changes (suricata-update's flowbit resolution).
    /// Returns how many were enabled.
    pub fn resolve_flowbits(&mut self) -> usize {
        const SETTERS: &[&str] = &["set", "setx", "unset", "toggle"];
        const GETTERS: &[&str] = &["isset", "isnotset"];
        let mut total = 0;
        loop {
            let required: HashSet<&str> = self
                .entries
                .iter()
                .filter(|e| e.enabled)
                .flat_map(|e| e.flowbits.iter())
                .filter(|(op, _)| GETTERS.contains(&op.as_str()))
                .flat_map(|(_, names)| names.iter().map(String::as_str))
                .collect();
            let enable: Vec<usize> = self
                .entries
                .iter()
                .enumerate()
                .filter(|(_, e)| {
                    !e.enabled
                        && e.flowbits.iter().any(|(op, names)| {
                            SETTERS.contains(&op.as_str()) && names.iter().any(|n| required.contains(n.as_str()))
                        })
                })
                .map(|(i, _)| i)
                .collect();
            if enable.is_empty() {
                return total;
            }
            total += enable.len();
            for i in enable {
                self.entries[i].enabled = true;
            }
        }
    }

    /// (enabled, disabled).
    pub fn counts(&self) -> (usize, usize) {
        let en = self.entries.iter().filter(|e| e.enabled).count();
        (en, self.entries.len() - en)
    }

    /// The merged file: `header`, then one rule per line.
    pub fn render(&self, header: &str) -> String {
        let mut s =
            String::with_capacity(self.entries.iter().map(|e| e.text.len() + 3).sum::<usize>() + header.len() + 1);
        s.push_str(header);
        s.push('\n');
        for e in &self.entries {
            if !e.enabled {
                s.push_str("# ");
            }
            s.push_str(&e.text);
            s.push('\n');
        }
        s
    }
}

/// Change between the installed rules and the new ones, by gid:sid.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diff {
    /// Whether rules were installed before.
    pub previous: bool,
    /// New gid:sid.
    pub added: usize,
    /// gid:sid no longer present.
    pub removed: usize,
    /// Same gid:sid, different text or enabled state.
    pub modified: usize,
    pub unchanged: usize,
}

/// Compares the installed `mirador.rules` text (None: nothing installed)
/// with the new set.
pub fn diff(installed: Option<&str>, new: &RuleSet) -> Diff {
    let Some(old_text) = installed else {
        return Diff { added: new.entries.iter().filter(|e| e.sid.is_some()).count(), ..Diff::default() };
    };
    let mut old = RuleSet::default();
    old.add_file(old_text, "", 0);
    let key = |e: &Entry| e.sid.map(|s| (e.gid, s));
    let old_map: HashMap<(u32, u32), (bool, &str)> =
        old.entries.iter().filter_map(|e| Some((key(e)?, (e.enabled, e.text.as_str())))).collect();
    let mut d = Diff { previous: true, ..Diff::default() };
    let mut seen = HashSet::new();
    for e in &new.entries {
        let Some(k) = key(e) else { continue };
        if !seen.insert(k) {
            continue;
        }
        match old_map.get(&k) {
            None => d.added += 1,
            Some(&(en, t)) if en == e.enabled && t == e.text => d.unchanged += 1,
            Some(_) => d.modified += 1,
        }
    }
    d.removed = old_map.keys().filter(|k| !seen.contains(k)).count();
    d
}
