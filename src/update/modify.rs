//! suricata-update's modification files: `enable.conf`, `disable.conf`,
//! `modify.conf`.
//!
//! One entry per line; blank lines and lines starting with `#` are skipped.
//! A matcher is one of (as suricata-update parses them, in this order):
//! - `*`: every rule;
//! - `2019401`, `1:2019401`, `1:2019401:3` (gid:sid:rev), comma lists:
//!   by id (a bare sid means gid 1);
//! - `re:REGEX`: the rule text matches REGEX, case-insensitively;
//! - `filename:GLOB`: the rule's file path in its source matches GLOB;
//! - `group:GLOB` or a bare `NAME.rules`: the file name, with or without
//!   `.rules`, matches GLOB;
//! - `metadata:KEY VALUE`: the rule has that metadata entry (any case).
//!
//! Disabling happens before enabling, so enable.conf wins (as in
//! suricata-update). modify.conf lines are `MATCHER "FROM" "TO"` (shell-like
//! quoting; the Oinkmaster form `modifysid MATCHER "FROM" | "TO"` too): in
//! each matching rule, every match of the regex FROM is replaced by TO,
//! where `\1` and `${1}` refer to groups. A rewrite that no longer reads as a
//! rule is skipped with a warning.

use std::path::Path;

use anyhow::{bail, Context, Result};
use regex::{Regex, RegexBuilder};

use super::rules::{classify_line, parse_entry, Entry, RuleSet};
use super::Log;

/// An fnmatch-style glob (`*`, `?`, `[...]`, `[!...]`), matched on the whole
/// name, case-sensitively.
#[derive(Debug, Clone)]
pub struct Glob(Regex);

impl Glob {
    pub fn new(glob: &str) -> Result<Self> {
        let mut re = String::from("^");
        let mut chars = glob.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '*' => re.push_str(".*"),
                '?' => re.push('.'),
                '[' => {
                    let mut class = String::new();
                    let mut closed = false;
                    if chars.peek() == Some(&'!') {
                        chars.next();
                        class.push('^');
                    }
                    let mut first = true;
                    for c in chars.by_ref() {
                        if c == ']' && !first {
                            closed = true;
                            break;
                        }
                        first = false;
                        if matches!(c, '\\' | '[' | '&' | '~') || (c == '^' && class.is_empty()) {
                            class.push('\\');
                        }
                        class.push(c);
                    }
                    if !closed {
                        bail!("unclosed '[' in glob '{glob}'");
                    }
                    re.push('[');
                    re.push_str(&class);
                    re.push(']');
                }
                c => re.push_str(&regex::escape(&c.to_string())),
            }
        }
        re.push('$');
        Ok(Glob(Regex::new(&re).with_context(|| format!("glob '{glob}'"))?))
    }

    pub fn matches(&self, s: &str) -> bool {
        self.0.is_match(s)
    }
}

/// Selects rules.
#[derive(Debug, Clone)]
pub enum Matcher {
    All,
    /// (gid, sid, rev).
    Ids(Vec<(u32, u32, Option<u32>)>),
    Re(Regex),
    Filename(Glob),
    Group(Glob),
    Metadata(String, String),
}

impl Matcher {
    /// Parses one matcher; None when the text is not one.
    pub fn parse(s: &str) -> Result<Option<Matcher>> {
        let s = s.trim();
        if s == "*" {
            return Ok(Some(Matcher::All));
        }
        if let Some(ids) = parse_ids(s) {
            return Ok(Some(Matcher::Ids(ids)));
        }
        if let Some(p) = s.strip_prefix("re:") {
            let re = RegexBuilder::new(p.trim())
                .case_insensitive(true)
                .build()
                .with_context(|| format!("invalid regex '{}'", p.trim()))?;
            return Ok(Some(Matcher::Re(re)));
        }
        if let Some(g) = s.strip_prefix("filename:") {
            return Ok(Some(Matcher::Filename(Glob::new(g.trim())?)));
        }
        if let Some(g) = s.strip_prefix("group:") {
            return Ok(Some(Matcher::Group(Glob::new(g.trim())?)));
        }
        if s.ends_with(".rules") {
            return Ok(Some(Matcher::Group(Glob::new(s)?)));
        }
        if let Some(m) = s.strip_prefix("metadata:") {
            if let Some((k, v)) = m.trim().split_once(' ') {
                return Ok(Some(Matcher::Metadata(k.trim().to_lowercase(), v.trim().to_lowercase())));
            }
        }
        Ok(None)
    }

    pub fn matches(&self, e: &Entry) -> bool {
        match self {
            Matcher::All => true,
            Matcher::Ids(ids) => e
                .sid
                .is_some_and(|sid| ids.iter().any(|&(g, s, r)| g == e.gid && s == sid && r.is_none_or(|r| r == e.rev))),
            Matcher::Re(re) => re.is_match(&e.text),
            Matcher::Filename(g) => g.matches(&e.file),
            Matcher::Group(g) => {
                let base = e.group();
                g.matches(base) || base.strip_suffix(".rules").is_some_and(|b| g.matches(b))
            }
            Matcher::Metadata(k, v) => e.metadata.iter().any(|m| {
                let mut parts = m.splitn(2, ' ');
                let mk = parts.next().unwrap_or("").trim().to_lowercase();
                let mv = parts.next().unwrap_or("").trim().to_lowercase();
                mk == *k && mv == *v
            }),
        }
    }
}

fn parse_ids(s: &str) -> Option<Vec<(u32, u32, Option<u32>)>> {
    let mut out = Vec::new();
    for part in s.split(',') {
        let nums: Vec<u32> = part.trim().split(':').map(|n| n.trim().parse().ok()).collect::<Option<_>>()?;
        out.push(match nums.as_slice() {
            [sid] => (1, *sid, None),
            [gid, sid] => (*gid, *sid, None),
            [gid, sid, rev] => (*gid, *sid, Some(*rev)),
            _ => return None,
        });
    }
    Some(out)
}

/// One modify.conf entry.
#[derive(Debug, Clone)]
pub struct Rewrite {
    pub matcher: Matcher,
    pub from: Regex,
    /// Replacement in the regex crate's syntax.
    pub to: String,
}

impl Rewrite {
    /// Parses a modify.conf line.
    pub fn parse(line: &str) -> Result<Rewrite> {
        let tokens = shlex_split(line)?;
        let (m, from, to) = match tokens.as_slice() {
            [m, a, b] => (m.clone(), a, b),
            [cmd, m, a, _, b, ..] if cmd == "modifysid" => (m.clone(), a, b),
            // `re:two words "from" "to"`: suricata-update wants the regex
            // quoted; taking the leading fields as the regex is unambiguous.
            [ms @ .., a, b] if ms.len() > 1 && ms[0].starts_with("re:") => (ms.join(" "), a, b),
            _ => bail!("expected MATCHER \"FROM\" \"TO\", got {} fields", tokens.len()),
        };
        let matcher = Matcher::parse(&m)?.with_context(|| format!("bad match string '{m}'"))?;
        let from = Regex::new(from).with_context(|| format!("invalid regex '{from}'"))?;
        Ok(Rewrite { matcher, from, to: python_repl_to_rust(to) })
    }
}

/// Converts a Python `re.sub` replacement (`\1`, `\g<1>`, `\g<name>`, and
/// Oinkmaster's `${1}`) to the regex crate's syntax (`${1}`, `$$` for `$`).
pub fn python_repl_to_rust(repl: &str) -> String {
    let mut out = String::with_capacity(repl.len() + 8);
    let chars: Vec<char> = repl.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' if i + 1 < chars.len() => {
                let n = chars[i + 1];
                if n.is_ascii_digit() {
                    let mut j = i + 1;
                    let mut num = String::new();
                    while j < chars.len() && chars[j].is_ascii_digit() && num.len() < 2 {
                        num.push(chars[j]);
                        j += 1;
                    }
                    out.push_str(&format!("${{{num}}}"));
                    i = j;
                    continue;
                }
                if n == 'g' && chars.get(i + 2) == Some(&'<') {
                    if let Some(end) = chars[i + 3..].iter().position(|&c| c == '>') {
                        let name: String = chars[i + 3..i + 3 + end].iter().collect();
                        out.push_str(&format!("${{{name}}}"));
                        i += 4 + end;
                        continue;
                    }
                }
                match n {
                    '\\' => out.push('\\'),
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    other => {
                        out.push('\\');
                        out.push(other);
                    }
                }
                i += 2;
            }
            '$' => {
                // ${N} (Oinkmaster) is a group reference; any other $ is literal.
                if chars.get(i + 1) == Some(&'{') {
                    if let Some(end) = chars[i + 2..].iter().position(|&c| c == '}') {
                        let inner: String = chars[i + 2..i + 2 + end].iter().collect();
                        if !inner.is_empty() && inner.chars().all(|c| c.is_ascii_digit()) {
                            out.push_str(&format!("${{{inner}}}"));
                            i += 3 + end;
                            continue;
                        }
                    }
                }
                out.push_str("$$");
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// POSIX shell-like splitting, as Python's `shlex.split`: whitespace
/// separates; '...' is literal; in "..." a backslash escapes only `\ " $ \``;
/// outside quotes a backslash escapes any character.
pub fn shlex_split(s: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_token = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_token {
                    out.push(std::mem::take(&mut cur));
                    in_token = false;
                }
            }
            '\'' => {
                in_token = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => cur.push(c),
                        None => bail!("unclosed single quote"),
                    }
                }
            }
            '"' => {
                in_token = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(e @ ('\\' | '"' | '$' | '`')) => cur.push(e),
                            Some(e) => {
                                cur.push('\\');
                                cur.push(e);
                            }
                            None => bail!("unclosed double quote"),
                        },
                        Some(c) => cur.push(c),
                        None => bail!("unclosed double quote"),
                    }
                }
            }
            '\\' => {
                in_token = true;
                if let Some(e) = chars.next() {
                    cur.push(e);
                }
            }
            c => {
                in_token = true;
                cur.push(c);
            }
        }
    }
    if in_token {
        out.push(cur);
    }
    Ok(out)
}

/// The three files, parsed.
#[derive(Debug, Default)]
pub struct Modifications {
    pub enable: Vec<Matcher>,
    pub disable: Vec<Matcher>,
    pub modify: Vec<Rewrite>,
}

/// What [`Modifications::apply`] changed, in rules.
#[derive(Debug, Default, Clone, Copy)]
pub struct Applied {
    pub disabled: usize,
    pub enabled: usize,
    pub modified: usize,
}

/// Meaningful lines of a conf file: (line number, text).
fn conf_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().enumerate().filter_map(|(n, l)| {
        let t = l.trim();
        (!t.is_empty() && !t.starts_with('#')).then_some((n + 1, t))
    })
}

/// Drops a trailing ` # comment` from a non-regex matcher line.
fn strip_trailing_comment(t: &str) -> &str {
    if t.starts_with("re:") {
        return t;
    }
    match t.find(" #").or_else(|| t.find("\t#")) {
        Some(i) => t[..i].trim_end(),
        None => t,
    }
}

fn load_matchers(path: &Path) -> Result<Vec<Matcher>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut out = Vec::new();
    for (n, t) in conf_lines(&text) {
        let t = strip_trailing_comment(t);
        match Matcher::parse(t).with_context(|| format!("{}:{n}", path.display()))? {
            Some(m) => out.push(m),
            None => bail!(
                "{}:{n}: not a rule matcher: '{t}' (expected a sid, gid:sid, re:, group:, filename:, metadata: or *)",
                path.display()
            ),
        }
    }
    Ok(out)
}

impl Modifications {
    /// Reads the files given.
    pub fn load(enable: Option<&Path>, disable: Option<&Path>, modify: Option<&Path>) -> Result<Self> {
        let mut m = Modifications::default();
        if let Some(p) = enable {
            m.enable = load_matchers(p)?;
        }
        if let Some(p) = disable {
            m.disable = load_matchers(p)?;
        }
        if let Some(p) = modify {
            let text = std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            for (n, t) in conf_lines(&text) {
                m.modify.push(Rewrite::parse(t).with_context(|| format!("{}:{n}", p.display()))?);
            }
        }
        Ok(m)
    }

    /// Disables, then enables, then rewrites.
    pub fn apply(&self, set: &mut RuleSet, log: &Log) -> Applied {
        let mut a = Applied::default();
        for e in &mut set.entries {
            if e.enabled && self.disable.iter().any(|m| m.matches(e)) {
                e.enabled = false;
                a.disabled += 1;
            }
            if !e.enabled && self.enable.iter().any(|m| m.matches(e)) {
                e.enabled = true;
                a.enabled += 1;
            }
            let mut changed = false;
            for rw in &self.modify {
                if !rw.matcher.matches(e) {
                    continue;
                }
                let formatted = e.format();
                let new = rw.from.replace_all(&formatted, rw.to.as_str());
                if new == formatted {
                    continue;
                }
                match classify_line(&new) {
                    Some((enabled, text)) => {
                        let (file, source) = (std::mem::take(&mut e.file), e.source);
                        *e = parse_entry(text, enabled, &file, source);
                        changed = true;
                    }
                    None => log.warn(format!(
                        "modify.conf: rewriting {} gives something that is not a rule; kept as it was: {new}",
                        e.id()
                    )),
                }
            }
            if changed {
                a.modified += 1;
            }
        }
        a
    }
}
