//! Buffer transforms: `url_decode`, `to_sha256`, `xor`, ... rewrite a sticky
//! buffer before the keywords that follow them inspect it.
//!
//! A rule writes them right after its sticky buffer
//! (`http.uri; url_decode; content:"'or 1=1";`); they run in rule order, each
//! on the output of the one before ([`Chain`]). The semantics are those of
//! Suricata 7:
//! - whitespace is what C's `isspace` accepts: space, `\t`, `\n`, `\v`,
//!   `\f` and `\r`;
//! - `compress_whitespace` keeps the first byte of each whitespace run as it
//!   is (a `\n` stays a `\n`);
//! - `dotprefix` leaves an empty buffer empty;
//! - `url_decode` leaves a `%` not followed by two hex digits as it is;
//! - `pcrexform` leaves the buffer unchanged when its regex does not match;
//! - the digests are raw bytes, not hex.
//!
//! No transform fails on data: the worst input gives a copy of itself.

use std::borrow::Cow;

use md5::{Digest, Md5};
use sha1::Sha1;
use sha2::Sha256;

use crate::rules::ast;

/// One compiled transform.
#[derive(Debug)]
pub enum Transform {
    /// Drop whitespace bytes.
    StripWhitespace,
    /// Keep the first byte of each whitespace run.
    CompressWhitespace,
    /// ASCII lowercase.
    ToLowercase,
    /// ASCII uppercase.
    ToUppercase,
    /// MD5 digest (16 bytes).
    ToMd5,
    /// SHA-1 digest (20 bytes).
    ToSha1,
    /// SHA-256 digest (32 bytes).
    ToSha256,
    /// `.` before a non-empty buffer.
    DotPrefix,
    /// `%XX` and `+` decoded.
    UrlDecode,
    /// Xor with the repeated key (never empty).
    Xor(Vec<u8>),
    /// The first capture group of the first match replaces the buffer.
    Pcrexform(Box<pcre2::bytes::Regex>),
    /// Bytes from each line start up to the first `:` lowercased.
    HeaderLowercase,
    /// Lines (ending with `\n`, or the last one) starting with `:` dropped.
    StripPseudoHeaders,
}

/// C's `isspace` in the "C" locale.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn hex_value(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

impl Transform {
    /// Compiles a parsed transform.
    ///
    /// # Errors
    /// The keyword and the reason when a `pcrexform` regex does not compile
    /// or has not exactly one capture group (Suricata 7 requires one), or an
    /// `xor` key is empty.
    pub fn compile(t: &ast::Transform) -> Result<Transform, (&'static str, String)> {
        Ok(match t {
            ast::Transform::StripWhitespace => Transform::StripWhitespace,
            ast::Transform::CompressWhitespace => Transform::CompressWhitespace,
            ast::Transform::ToLowercase => Transform::ToLowercase,
            ast::Transform::ToUppercase => Transform::ToUppercase,
            ast::Transform::ToMd5 => Transform::ToMd5,
            ast::Transform::ToSha1 => Transform::ToSha1,
            ast::Transform::ToSha256 => Transform::ToSha256,
            ast::Transform::DotPrefix => Transform::DotPrefix,
            ast::Transform::UrlDecode => Transform::UrlDecode,
            ast::Transform::HeaderLowercase => Transform::HeaderLowercase,
            ast::Transform::StripPseudoHeaders => Transform::StripPseudoHeaders,
            ast::Transform::Xor(key) => {
                if key.is_empty() {
                    return Err(("xor", "the key is empty".into()));
                }
                Transform::Xor(key.clone())
            }
            ast::Transform::Pcrexform(pattern) => {
                let re = pcre2::bytes::RegexBuilder::new()
                    .utf(false)
                    .ucp(false)
                    .jit_if_available(true)
                    .build(pattern)
                    .map_err(|e| ("pcrexform", e.to_string()))?;
                // captures_len counts the whole match as group 0.
                let groups = re.captures_len().saturating_sub(1);
                if groups != 1 {
                    return Err(("pcrexform", format!("needs exactly one capture group, found {groups}")));
                }
                Transform::Pcrexform(Box::new(re))
            }
        })
    }

    /// The transformed bytes; borrowed when the transform changes nothing.
    pub fn apply<'a>(&self, input: &'a [u8]) -> Cow<'a, [u8]> {
        match self {
            Transform::StripWhitespace => {
                if !input.iter().copied().any(is_space) {
                    return Cow::Borrowed(input);
                }
                Cow::Owned(input.iter().copied().filter(|&b| !is_space(b)).collect())
            }
            Transform::CompressWhitespace => {
                if !input.windows(2).any(|w| is_space(w[0]) && is_space(w[1])) {
                    return Cow::Borrowed(input);
                }
                let mut out = Vec::with_capacity(input.len());
                let mut prev_space = false;
                for &b in input {
                    let space = is_space(b);
                    if !(space && prev_space) {
                        out.push(b);
                    }
                    prev_space = space;
                }
                Cow::Owned(out)
            }
            Transform::ToLowercase => {
                if !input.iter().any(u8::is_ascii_uppercase) {
                    return Cow::Borrowed(input);
                }
                Cow::Owned(input.to_ascii_lowercase())
            }
            Transform::ToUppercase => {
                if !input.iter().any(u8::is_ascii_lowercase) {
                    return Cow::Borrowed(input);
                }
                Cow::Owned(input.to_ascii_uppercase())
            }
            Transform::ToMd5 => Cow::Owned(Md5::digest(input).to_vec()),
            Transform::ToSha1 => Cow::Owned(Sha1::digest(input).to_vec()),
            Transform::ToSha256 => Cow::Owned(Sha256::digest(input).to_vec()),
            Transform::DotPrefix => {
                if input.is_empty() {
                    return Cow::Borrowed(input);
                }
                let mut out = Vec::with_capacity(input.len() + 1);
                out.push(b'.');
                out.extend_from_slice(input);
                Cow::Owned(out)
            }
            Transform::UrlDecode => {
                if !input.iter().any(|&b| b == b'%' || b == b'+') {
                    return Cow::Borrowed(input);
                }
                let mut out = Vec::with_capacity(input.len());
                let mut i = 0;
                while i < input.len() {
                    let b = input[i];
                    let escaped = match (b, input.get(i + 1..i + 3)) {
                        (b'%', Some(&[h, l])) => hex_value(h).zip(hex_value(l)).map(|(h, l)| h << 4 | l),
                        _ => None,
                    };
                    match escaped {
                        Some(v) => {
                            out.push(v);
                            i += 3;
                        }
                        None => {
                            out.push(if b == b'+' { b' ' } else { b });
                            i += 1;
                        }
                    }
                }
                Cow::Owned(out)
            }
            Transform::Xor(key) => Cow::Owned(input.iter().zip(key.iter().cycle()).map(|(b, k)| b ^ k).collect()),
            Transform::Pcrexform(re) => match re.captures(input) {
                // A match limit error counts as no match, as in Suricata.
                Ok(Some(caps)) => match caps.get(1) {
                    Some(m) => Cow::Owned(m.as_bytes().to_vec()),
                    None => Cow::Borrowed(input),
                },
                _ => Cow::Borrowed(input),
            },
            Transform::HeaderLowercase => {
                if !input.iter().any(u8::is_ascii_uppercase) {
                    return Cow::Borrowed(input);
                }
                let mut out = Vec::with_capacity(input.len());
                let mut in_name = true;
                for &b in input {
                    if in_name {
                        in_name = b != b':';
                        out.push(b.to_ascii_lowercase());
                    } else {
                        in_name = b == b'\n';
                        out.push(b);
                    }
                }
                Cow::Owned(out)
            }
            Transform::StripPseudoHeaders => {
                let pseudo = |line: &[u8]| line.first() == Some(&b':');
                if !input.split_inclusive(|&b| b == b'\n').any(pseudo) {
                    return Cow::Borrowed(input);
                }
                let lines = input.split_inclusive(|&b| b == b'\n').filter(|l| !pseudo(l));
                Cow::Owned(lines.flatten().copied().collect())
            }
        }
    }

    /// False when no output of this transform can contain `pattern`, so a
    /// content looking for it is a rule error (Suricata rejects such rules:
    /// whitespace after `strip_whitespace`, a whitespace run after
    /// `compress_whitespace`, a letter of the wrong case after `to_lowercase`
    /// or `to_uppercase`).
    pub fn accepts(&self, pattern: &[u8]) -> bool {
        match self {
            Transform::StripWhitespace => !pattern.iter().copied().any(is_space),
            Transform::CompressWhitespace => !pattern.windows(2).any(|w| is_space(w[0]) && is_space(w[1])),
            Transform::ToLowercase => !pattern.iter().any(u8::is_ascii_uppercase),
            Transform::ToUppercase => !pattern.iter().any(u8::is_ascii_lowercase),
            _ => true,
        }
    }

    /// The keyword, for messages.
    pub fn name(&self) -> &'static str {
        match self {
            Transform::StripWhitespace => "strip_whitespace",
            Transform::CompressWhitespace => "compress_whitespace",
            Transform::ToLowercase => "to_lowercase",
            Transform::ToUppercase => "to_uppercase",
            Transform::ToMd5 => "to_md5",
            Transform::ToSha1 => "to_sha1",
            Transform::ToSha256 => "to_sha256",
            Transform::DotPrefix => "dotprefix",
            Transform::UrlDecode => "url_decode",
            Transform::Xor(_) => "xor",
            Transform::Pcrexform(_) => "pcrexform",
            Transform::HeaderLowercase => "header_lowercase",
            Transform::StripPseudoHeaders => "strip_pseudo_headers",
        }
    }
}

/// The transforms of one sticky buffer, applied in rule order.
#[derive(Debug)]
pub struct Chain(Vec<Transform>);

impl Chain {
    /// Compiles the transforms of a buffer.
    ///
    /// # Errors
    /// The first transform that does not compile (see [`Transform::compile`]).
    pub fn compile(ts: &[ast::Transform]) -> Result<Chain, (&'static str, String)> {
        ts.iter().map(Transform::compile).collect::<Result<_, _>>().map(Chain)
    }

    /// The buffer after every transform; borrowed when none changed it.
    pub fn apply<'a>(&self, input: &'a [u8]) -> Cow<'a, [u8]> {
        let mut out = Cow::Borrowed(input);
        for t in &self.0 {
            let changed = match t.apply(&out) {
                Cow::Owned(v) => Some(v),
                Cow::Borrowed(_) => None,
            };
            if let Some(v) = changed {
                out = Cow::Owned(v);
            }
        }
        out
    }

    /// Checks that a content can match the output of every transform.
    ///
    /// # Errors
    /// The name of the first transform whose output cannot contain `pattern`.
    pub fn check_content(&self, pattern: &[u8]) -> Result<(), &'static str> {
        match self.0.iter().find(|t| !t.accepts(pattern)) {
            Some(t) => Err(t.name()),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(spec: ast::Transform) -> Transform {
        Transform::compile(&spec).unwrap()
    }

    fn apply(spec: ast::Transform, input: &[u8]) -> Vec<u8> {
        t(spec).apply(input).into_owned()
    }

    #[test]
    fn strip_whitespace() {
        assert_eq!(apply(ast::Transform::StripWhitespace, b" a\tb\r\n c\x0bd\x0c "), b"abcd");
        assert!(matches!(t(ast::Transform::StripWhitespace).apply(b"abc"), Cow::Borrowed(_)));
        assert!(!t(ast::Transform::StripWhitespace).accepts(b"a b"));
        assert!(t(ast::Transform::StripWhitespace).accepts(b"ab"));
    }

    #[test]
    fn compress_whitespace() {
        // The first byte of a run is kept as it is.
        assert_eq!(apply(ast::Transform::CompressWhitespace, b"a  b\n\t c "), b"a b\nc ");
        assert_eq!(apply(ast::Transform::CompressWhitespace, b"   "), b" ");
        assert!(!t(ast::Transform::CompressWhitespace).accepts(b"a  b"));
        assert!(t(ast::Transform::CompressWhitespace).accepts(b"a b c"));
    }

    #[test]
    fn case_changes() {
        assert_eq!(apply(ast::Transform::ToLowercase, b"AbC\xc3\x89"), b"abc\xc3\x89");
        assert_eq!(apply(ast::Transform::ToUppercase, b"aBc1"), b"ABC1");
        assert!(!t(ast::Transform::ToLowercase).accepts(b"Abc"));
        assert!(!t(ast::Transform::ToUppercase).accepts(b"Abc"));
        assert!(t(ast::Transform::ToUppercase).accepts(b"ABC\r\n1"));
    }

    #[test]
    fn digests() {
        // RFC 1321, FIPS 180 test vectors for "abc".
        assert_eq!(apply(ast::Transform::ToMd5, b"abc"), hex("900150983cd24fb0d6963f7d28e17f72"));
        assert_eq!(apply(ast::Transform::ToSha1, b"abc"), hex("a9993e364706816aba3e25717850c26c9cd0d89d"));
        assert_eq!(
            apply(ast::Transform::ToSha256, b"abc"),
            hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        );
        assert_eq!(apply(ast::Transform::ToMd5, b""), hex("d41d8cd98f00b204e9800998ecf8427e"));
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    #[test]
    fn dotprefix() {
        assert_eq!(apply(ast::Transform::DotPrefix, b"windowsupdate.com"), b".windowsupdate.com");
        assert_eq!(apply(ast::Transform::DotPrefix, b""), b"");
    }

    #[test]
    fn url_decode() {
        assert_eq!(apply(ast::Transform::UrlDecode, b"/evil%27sqli+x%2f"), b"/evil'sqli x/");
        // Invalid or truncated escapes stay as they are.
        assert_eq!(apply(ast::Transform::UrlDecode, b"%zz%4"), b"%zz%4");
        assert_eq!(apply(ast::Transform::UrlDecode, b"%%41"), b"%A");
        assert_eq!(apply(ast::Transform::UrlDecode, b"%u0041"), b"%u0041");
        assert!(matches!(t(ast::Transform::UrlDecode).apply(b"/plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn xor() {
        let key = vec![0x0d, 0x0a, 0xc8, 0xff];
        let plain = b"password=hunter2";
        let enc = apply(ast::Transform::Xor(key.clone()), plain);
        assert_eq!(&enc[..4], &[b'p' ^ 0x0d, b'a' ^ 0x0a, b's' ^ 0xc8, b's' ^ 0xff]);
        assert_eq!(apply(ast::Transform::Xor(key), &enc), plain);
        assert!(Transform::compile(&ast::Transform::Xor(Vec::new())).is_err());
    }

    #[test]
    fn pcrexform() {
        let p = |re: &str| ast::Transform::Pcrexform(re.into());
        assert_eq!(apply(p(r"[a-zA-Z]+\s+(.*)\s+HTTP"), b"GET /z4d4kWk.jpg HTTP/1.1"), b"/z4d4kWk.jpg");
        // No match: the buffer is left as it is.
        assert_eq!(apply(p(r"^POST (.*)"), b"GET /"), b"GET /");
        // An optional group that did not take part: unchanged too.
        assert_eq!(apply(p(r"GET(x)?"), b"GET /"), b"GET /");
        assert!(Transform::compile(&p("no group")).is_err());
        assert!(Transform::compile(&p("(a)(b)")).is_err());
        assert!(Transform::compile(&p("(unclosed")).is_err());
        assert!(Transform::compile(&p("(?:a)(b)")).is_ok());
    }

    #[test]
    fn header_lowercase() {
        assert_eq!(
            apply(ast::Transform::HeaderLowercase, b"Accept-Ranges: Bytes\r\nX-A:B:C\r\nHOST: EX\r\n\r\n"),
            b"accept-ranges: Bytes\r\nx-a:B:C\r\nhost: EX\r\n\r\n"
        );
        assert_eq!(apply(ast::Transform::HeaderLowercase, b"NoColon"), b"nocolon");
    }

    #[test]
    fn strip_pseudo_headers() {
        let s = |b: &[u8]| apply(ast::Transform::StripPseudoHeaders, b);
        assert_eq!(s(b"\r\n:method\r\n:path\r\naccept-ranges\r\n\r\n"), b"\r\naccept-ranges\r\n\r\n");
        assert_eq!(s(b":status: 200\r\nServer: x\r\n"), b"Server: x\r\n");
        assert_eq!(s(b"a: 1\n:b: 2"), b"a: 1\n");
        assert_eq!(s(b":only"), b"");
    }

    #[test]
    fn chain_runs_in_order() {
        let chain = Chain::compile(&[
            ast::Transform::Pcrexform(r"data=(.*)".into()),
            ast::Transform::UrlDecode,
            ast::Transform::ToUppercase,
        ])
        .unwrap();
        assert_eq!(&*chain.apply(b"/get?data=a%20b+c"), b"A B C");
        assert_eq!(chain.check_content(b"abc"), Err("to_uppercase"));
        assert_eq!(chain.check_content(b"A B"), Ok(()));
        let none = Chain::compile(&[]).unwrap();
        assert!(matches!(none.apply(b"x"), Cow::Borrowed(_)));
    }
}
