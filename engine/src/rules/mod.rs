//! The Suricata 7 rule language: text -> [`Rule`] (nom), variables, and the
//! load report.
//!
//! Loading never stops at a bad rule: each rejection is recorded with its file,
//! line, column, sid and reason, and the other rules load.

pub mod ast;
mod classification;
mod error;
mod keywords;
pub mod netset;
pub mod numeric;
mod parse;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub use ast::Rule;
pub use classification::{ClassType, Classifications};
pub use error::RuleError;
pub use netset::Vars;
pub use parse::parse_rule;

/// A rule with where it came from.
#[derive(Clone, Debug)]
pub struct SourcedRule {
    /// Parsed rule.
    pub rule: Rule,
    /// File it came from (None for inline text).
    pub file: Option<PathBuf>,
    /// 1-based first line.
    pub line: usize,
}

/// What loading rule files produced.
#[derive(Debug, Default)]
pub struct LoadReport {
    /// Rules parsed.
    pub rules: Vec<SourcedRule>,
    /// Rules rejected, with reasons.
    pub errors: Vec<RuleError>,
    /// Files that could not be read.
    pub file_errors: Vec<(PathBuf, String)>,
    /// The order of actions the ruleset is sorted by (`action-order`).
    pub action_order: ast::ActionOrder,
}

impl LoadReport {
    /// Adds every rule of `text`, attributing them to `file`.
    pub fn add_text(&mut self, text: &str, file: Option<&Path>) {
        use rayon::prelude::*;
        let lines = logical_lines(text);
        let parsed: Vec<_> = lines.par_iter().map(|(_, t)| parse_rule(t)).collect();
        // The texts are dropped as soon as they are parsed: keeping 12 MB of
        // ET Open text next to its syntax trees only raised the load peak.
        for ((line, _), res) in lines.into_iter().zip(parsed) {
            match res {
                Ok(rule) => self.rules.push(SourcedRule { rule, file: file.map(Path::to_path_buf), line }),
                Err(mut e) => {
                    e.file = file.map(Path::to_path_buf);
                    e.line = line;
                    self.errors.push(e);
                }
            }
        }
    }

    /// Reads a rule file (invalid UTF-8 is replaced, not fatal) and adds its
    /// rules.
    pub fn add_file(&mut self, path: &Path) {
        match std::fs::read(path) {
            Ok(bytes) => {
                let text = String::from_utf8_lossy(&bytes);
                self.add_text(&text, Some(path));
            }
            Err(e) => self.file_errors.push((path.to_path_buf(), e.to_string())),
        }
    }

    /// Adds a file, or every `*.rules` file of a directory (sorted).
    pub fn add_path(&mut self, path: &Path) {
        if path.is_dir() {
            let mut files: Vec<PathBuf> = match std::fs::read_dir(path) {
                Ok(rd) => rd
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == "rules"))
                    .collect(),
                Err(e) => {
                    self.file_errors.push((path.to_path_buf(), e.to_string()));
                    return;
                }
            };
            files.sort();
            for f in files {
                self.add_file(&f);
            }
        } else {
            self.add_file(path);
        }
    }

    /// Moves rules whose gid:sid repeats an earlier one into `errors`
    /// (Suricata keeps the one with the higher rev; on a tie, the first).
    pub fn remove_duplicates(&mut self) {
        let mut best: HashMap<(u32, u32), usize> = HashMap::new();
        let mut drop = vec![false; self.rules.len()];
        for (i, r) in self.rules.iter().enumerate() {
            let key = (r.rule.meta.gid, r.rule.meta.sid);
            match best.get(&key) {
                Some(&j) => {
                    if r.rule.meta.rev > self.rules[j].rule.meta.rev {
                        drop[j] = true;
                        best.insert(key, i);
                    } else {
                        drop[i] = true;
                    }
                }
                None => {
                    best.insert(key, i);
                }
            }
        }
        let mut kept = Vec::with_capacity(self.rules.len());
        for (r, d) in std::mem::take(&mut self.rules).into_iter().zip(drop) {
            if d {
                let mut e = RuleError::duplicate(r.rule.meta.gid, r.rule.meta.sid);
                e.file = r.file.clone();
                e.line = r.line;
                e.sid = Some(r.rule.meta.sid);
                self.errors.push(e);
            } else {
                kept.push(r);
            }
        }
        self.rules = kept;
    }
}

/// Splits rule text into logical rules: `#` comments and blank lines are
/// skipped, a line ending in `\` continues on the next. Yields the 1-based
/// first line of each rule.
pub fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut start = 0;
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim_end_matches('\r');
        if cur.is_empty() {
            let t = line.trim_start();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            start = n + 1;
        }
        if let Some(body) = line.strip_suffix('\\') {
            cur.push_str(body);
            continue;
        }
        cur.push_str(line);
        out.push((start, std::mem::take(&mut cur).trim().to_string()));
    }
    if !cur.trim().is_empty() {
        out.push((start, cur.trim().to_string()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuation_and_comments() {
        let t = "# c\n\nalert tcp any any -> any any (msg:\"a\"; \\\n sid:1;)\n  # alert x\nalert udp any any -> any any (sid:2;)\n";
        let l = logical_lines(t);
        assert_eq!(l.len(), 2);
        assert_eq!(l[0].0, 3);
        assert!(l[0].1.contains("sid:1"));
        assert_eq!(l[1].0, 6);
    }

    #[test]
    fn dns_query_is_a_sticky_buffer_as_in_suricata_7() {
        let mut r = LoadReport::default();
        r.add_text("alert dns any any -> any any (content:\"|01 00|\"; dns_query; content:\"evil\"; sid:1;)\n", None);
        let ops = &r.rules[0].rule.ops;
        assert_eq!(ops.len(), 2);
        assert_eq!((ops[0].buffer, ops[1].buffer), (ast::Buffer::Payload, ast::Buffer::DnsQuery));
    }

    #[test]
    fn legacy_tls_keywords_are_contents_on_the_certificate_buffers() {
        let mut r = LoadReport::default();
        r.add_text(
            "alert tls any any -> any any (tls.subject:\"CN=a b\"; tls.issuerdn:!\"O=x\"; \
             tls.fingerprint:\"90:86:A4\"; sid:1;)\n",
            None,
        );
        let ops = &r.rules[0].rule.ops;
        let c = |i: usize| match &ops[i].op {
            ast::PayloadOp::Content(c) => (ops[i].buffer, c.pattern.clone(), c.negated, c.nocase, c.startswith),
            other => panic!("{other:?}"),
        };
        assert_eq!(c(0), (ast::Buffer::TlsCertSubject, b"CN=a b".to_vec(), false, false, false));
        assert_eq!(c(1), (ast::Buffer::TlsCertIssuer, b"O=x".to_vec(), true, false, false));
        // The fingerprint compares case-insensitively from its start.
        assert_eq!(c(2), (ast::Buffer::TlsCertFingerprint, b"90:86:A4".to_vec(), false, true, true));
    }

    #[test]
    fn bad_rules_do_not_stop_loading() {
        let mut r = LoadReport::default();
        r.add_text(
            "alert tcp any any -> any any (msg:\"ok\"; sid:1;)\nalert tcp any any -> any any (msg:\"x\"; foo:bar; sid:2;)\nalert tcp any any -> any any (sid:3;)\n",
            Some(Path::new("t.rules")),
        );
        assert_eq!(r.rules.len(), 2);
        assert_eq!(r.errors.len(), 1);
        let e = &r.errors[0];
        assert_eq!((e.line, e.column, e.sid), (2, 40, Some(2)));
        assert_eq!(e.to_string(), "t.rules:2:40: sid 2: unknown keyword 'foo'");
    }

    #[test]
    fn duplicates_keep_highest_rev() {
        let mut r = LoadReport::default();
        r.add_text(
            "alert tcp any any -> any any (sid:1; rev:1;)\nalert tcp any any -> any any (sid:1; rev:3;)\nalert tcp any any -> any any (sid:1; rev:2;)\n",
            None,
        );
        r.remove_duplicates();
        assert_eq!(r.rules.len(), 1);
        assert_eq!(r.rules[0].rule.meta.rev, 3);
        assert_eq!(r.errors.len(), 2);
        assert!(r.errors.iter().all(|e| e.is_duplicate()));
    }
}

/// Property test: arbitrary bytes and mutations of real rules never make the
/// parser panic, and every rejection carries a position inside the rule.
#[cfg(test)]
mod prop {
    use super::*;

    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            // xorshift64*
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    const SEEDS: &[&str] = &[
        r#"alert http $HOME_NET any -> $EXTERNAL_NET any (msg:"x"; flow:established,to_server; content:"GET"; http_method; content:"/a.php?id="; http_uri; fast_pattern; pcre:"/id=\d+$/U"; byte_test:2,>,10,0,relative; threshold:type limit, track by_src, count 1, seconds 60; classtype:trojan-activity; sid:1; rev:2;)"#,
        r#"alert tcp [10.0.0.0/8,!10.1.0.0/16] [80,8000:8100] <> any !443 (msg:"y\;z"; content:"|41 42|C"; offset:2; depth:10; content:!"evil"; distance:0; within:20; isdataat:!5,relative; byte_extract:1,0,n; byte_jump:1,n,relative,align; flowbits:set,a; sid:2;)"#,
        r#"alert dns any any -> any any (dns.query; content:"evil"; nocase; endswith; bsize:>4; asn1:oversize_length 10, absolute_offset 0; sid:3;)"#,
    ];

    fn check(text: &str) {
        let len = text.chars().count().max(1);
        if let Err(e) = parse_rule(text) {
            assert!(e.column >= 1 && e.column <= len + 1, "column {} outside rule of {len}: {text:?}", e.column);
            assert!(!e.reason().is_empty());
        }
    }

    #[test]
    fn hostile_rule_file_loses_only_its_bad_lines() {
        let path = std::env::temp_dir().join(format!("mirador-hostile-{}.rules", std::process::id()));
        let mut f: Vec<u8> = Vec::new();
        // 1: a 100,000-character line (a huge content), valid.
        f.extend(format!("alert tcp any any -> any any (content:\"{}\"; sid:1;)\n", "A".repeat(100_000)).bytes());
        // 2: address groups nested far beyond the cap.
        f.extend(format!("alert tcp {}1.2.3.4{} any -> any any (sid:2;)\n", "[".repeat(500), "]".repeat(500)).bytes());
        // 3: unterminated quotes (both refused by Suricata too).
        f.extend(b"alert tcp any any -> any any (content:\"open; sid:3;)\n");
        f.extend(b"alert tcp any any -> any any (msg:\"open; sid:3;)\n");
        // 5: invalid UTF-8 in the message: replaced, the rule loads.
        f.extend(b"alert tcp any any -> any any (msg:\"caf\xe9 \xff\"; sid:4;)\n");
        // 6: a good rule after all of them.
        f.extend(b"alert udp any any -> any 53 (msg:\"ok\"; sid:5;)\n");
        std::fs::write(&path, &f).unwrap();
        let mut r = LoadReport::default();
        r.add_file(&path);
        std::fs::remove_file(&path).unwrap();
        let sids: Vec<u32> = r.rules.iter().map(|s| s.rule.meta.sid).collect();
        assert_eq!(sids, [1, 4, 5]);
        let lines: Vec<usize> = r.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [2, 3, 4]);
        assert!(r.errors.iter().all(|e| e.column > 0 && e.file.as_deref() == Some(path.as_path())));
    }

    #[test]
    fn random_bytes_and_mutations_never_panic() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let alphabet: &[u8] =
            b"alert tcp any -> <> ( ) ; : \" \\ | , ! [ ] $ / 0 1 9 content sid msg pcre http_uri \xff\n";
        for _ in 0..20_000 {
            let n = rng.below(200);
            let bytes: Vec<u8> = (0..n).map(|_| alphabet[rng.below(alphabet.len())]).collect();
            check(&String::from_utf8_lossy(&bytes));
        }
        for _ in 0..20_000 {
            let seed = SEEDS[rng.below(SEEDS.len())];
            let mut b: Vec<u8> = seed.as_bytes().to_vec();
            for _ in 0..1 + rng.below(4) {
                let i = rng.below(b.len());
                match rng.below(3) {
                    0 => {
                        b.remove(i);
                    }
                    1 => b.insert(i, alphabet[rng.below(alphabet.len())]),
                    _ => b.truncate(i),
                }
                if b.is_empty() {
                    break;
                }
            }
            check(&String::from_utf8_lossy(&b));
        }
    }

    #[test]
    fn seeds_parse() {
        for s in SEEDS {
            parse_rule(s).unwrap_or_else(|e| panic!("{e}: {s}"));
        }
    }
}
