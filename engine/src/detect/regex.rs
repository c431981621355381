//! pcre: the `regex` crate where it can express the pattern (linear time,
//! fast), PCRE2 (JIT) where it cannot (backreferences, lookaround, atomic
//! groups, ...). Both run in byte mode without Unicode, as Suricata's PCRE
//! does.

use std::sync::OnceLock;

use crate::rules::ast::Pcre;

/// Which engine compiled a pcre.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// The `regex` crate.
    Rust,
    /// PCRE2.
    Pcre2,
}

/// A pcre, validated at load and compiled on first use.
///
/// Most pcre keywords of a large ruleset never run (their rule's fast
/// pattern never matches), so compiling them up front would cost load time
/// and memory for nothing. Load only checks that the chosen engine accepts
/// the pattern; the first inspection compiles it once for all workers.
pub struct Regex {
    engine: Engine,
    source: String,
    pcre: Pcre,
    compiled: OnceLock<Compiled>,
}

enum Compiled {
    Rust(regex::bytes::Regex),
    Pcre2(Box<pcre2::bytes::Regex>),
    /// Validation passed but the real compile failed (a size limit): the
    /// keyword never matches.
    Failed,
}

impl std::fmt::Debug for Regex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}({})", self.engine, self.source)
    }
}

/// Bytes of input the regex engines keep for a compiled program before
/// falling back to PCRE2; large alternations of ET rules fit in this.
const RUST_SIZE_LIMIT: usize = 4 << 20;

fn rust_source(p: &Pcre) -> String {
    let mut flags = String::from("(?");
    if p.caseless {
        flags.push('i');
    }
    if p.dotall {
        flags.push('s');
    }
    if p.multiline {
        flags.push('m');
    }
    if p.extended {
        flags.push('x');
    }
    if p.ungreedy {
        flags.push('U');
    }
    flags.push_str("-u)");
    format!("{flags}{}", p.pattern)
}

fn pcre2_builder(p: &Pcre, jit: bool) -> (pcre2::bytes::RegexBuilder, String) {
    let mut b = pcre2::bytes::RegexBuilder::new();
    b.caseless(p.caseless).dotall(p.dotall).multi_line(p.multiline).extended(p.extended).utf(false).ucp(false);
    b.jit_if_available(jit);
    let mut pattern = p.pattern.clone();
    if p.ungreedy {
        pattern = format!("(?U){pattern}");
    }
    if p.dollar_endonly {
        pattern = format!("(*NO_START_OPT){pattern}");
    }
    (b, pattern)
}

impl Regex {
    /// Checks a pcre keyword and picks its engine.
    ///
    /// # Errors
    /// When neither engine accepts the pattern.
    pub fn compile(p: &Pcre) -> Result<Regex, String> {
        // The regex crate differs from PCRE on `$` before a final newline;
        // patterns using `$` without `m` go to PCRE2 to be exact.
        let dollar_sensitive = !p.multiline && !p.dollar_endonly && p.pattern.contains('$');
        if !dollar_sensitive {
            let src = rust_source(p);
            let ok = regex_syntax::ParserBuilder::new().unicode(false).utf8(false).build().parse(&src).is_ok();
            if ok {
                return Ok(Regex { engine: Engine::Rust, source: src, pcre: p.clone(), compiled: OnceLock::new() });
            }
        }
        let (b, pattern) = pcre2_builder(p, false);
        b.build(&pattern).map_err(|e| e.to_string())?;
        Ok(Regex { engine: Engine::Pcre2, source: pattern, pcre: p.clone(), compiled: OnceLock::new() })
    }

    /// Which engine runs this regex.
    pub fn engine(&self) -> Engine {
        self.engine
    }

    fn compiled(&self) -> &Compiled {
        self.compiled.get_or_init(|| {
            if self.engine == Engine::Rust {
                if let Ok(r) =
                    regex::bytes::RegexBuilder::new(&self.source).unicode(false).size_limit(RUST_SIZE_LIMIT).build()
                {
                    return Compiled::Rust(r);
                }
            }
            let (b, pattern) = pcre2_builder(&self.pcre, true);
            b.build(&pattern).map(|r| Compiled::Pcre2(Box::new(r))).unwrap_or(Compiled::Failed)
        })
    }

    /// First match at or after `from` in the subject `hay[start..]` (so `^`
    /// matches at `start`, as when Suricata inspects from a relative
    /// position); offsets are into `hay`.
    pub fn find_at(&self, hay: &[u8], start: usize, from: usize) -> Option<(usize, usize)> {
        let sub = hay.get(start..)?;
        let off = from.checked_sub(start)?;
        if off > sub.len() {
            return None;
        }
        let m = match self.compiled() {
            Compiled::Rust(r) => r.find_at(sub, off).map(|m| (m.start(), m.end())),
            // A PCRE2 error (match limit) counts as no match, as in Suricata.
            Compiled::Pcre2(r) => r.find_at(sub, off).ok().flatten().map(|m| (m.start(), m.end())),
            Compiled::Failed => None,
        };
        m.map(|(s, e)| (s + start, e + start))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pcre(pat: &str) -> Pcre {
        Pcre {
            pattern: pat.into(),
            negated: false,
            caseless: false,
            dotall: false,
            multiline: false,
            extended: false,
            anchored: false,
            dollar_endonly: false,
            ungreedy: false,
            relative: false,
            override_limits: false,
        }
    }

    #[test]
    fn picks_engine() {
        assert_eq!(Regex::compile(&pcre(r"a\d+b")).unwrap().engine(), Engine::Rust);
        assert_eq!(Regex::compile(&pcre(r"(a)\1")).unwrap().engine(), Engine::Pcre2);
        assert_eq!(Regex::compile(&pcre(r"foo(?!bar)")).unwrap().engine(), Engine::Pcre2);
        assert!(Regex::compile(&pcre(r"(unclosed")).is_err());
    }

    #[test]
    fn byte_semantics() {
        let r = Regex::compile(&pcre(r"\xff\x00.")).unwrap();
        assert!(r.find_at(b"a\xff\x00z", 0, 0).is_some());
        let mut p = pcre("^GET");
        p.caseless = true;
        assert_eq!(Regex::compile(&p).unwrap().find_at(b"get /", 0, 0), Some((0, 3)));
        // PCRE `$` also matches before a final newline.
        let r = Regex::compile(&pcre(r"abc$")).unwrap();
        assert!(r.find_at(b"xabc\n", 0, 0).is_some());
    }
}
