//! Option keywords: each raw `name:value` becomes part of a [`Rule`].
//!
//! State while walking the options: the sticky buffer in force, and the last
//! content (the target of modifiers such as `nocase` or `http_uri`).

use nom::bytes::complete::take_while1;
use nom::Parser;

use super::ast::*;
use super::error::RuleError;
use super::numeric::parse_num;
use super::parse::RawOption;

struct Builder {
    rule: Rule,
    sticky: Option<Buffer>,
    /// Transforms given after the sticky buffer in force, in order.
    transforms: Vec<Transform>,
    /// Index in `rule.ops` of the last content (modifier target).
    last_content: Option<usize>,
    /// Index in `rule.ops` of the last payload op (for `relative`).
    last_op: Option<usize>,
    seen_sid: bool,
    byte_vars: Vec<String>,
    /// Number of ops when the current sticky buffer was selected.
    ops_at_sticky: usize,
    seen_fast_pattern: bool,
    /// Sticky-buffer selections so far: the instance number of the
    /// keywords of a multi-buffer selection ([`BufferOp::instance`]).
    selections: u16,
}

pub(crate) fn build(header: Header, opts: &[RawOption<'_>]) -> Result<Rule, RuleError> {
    let mut b = Builder {
        rule: Rule {
            header,
            meta: Meta { gid: 1, ..Meta::default() },
            ops: Vec::new(),
            checks: Vec::new(),
            flow: None,
            flowbits: Vec::new(),
            noalert: false,
            alert: false,
            threshold: None,
            detection_filter: None,
            ignored: Vec::new(),
            flowints: Vec::new(),
        },
        sticky: None,
        transforms: Vec::new(),
        last_content: None,
        last_op: None,
        seen_sid: false,
        byte_vars: Vec::new(),
        ops_at_sticky: 0,
        seen_fast_pattern: false,
        selections: 0,
    };
    for o in opts {
        b.option(o)?;
    }
    if !b.seen_sid {
        return Err(RuleError::syntax("rule has no sid", 1));
    }
    b.finish()?;
    // A large ruleset holds every syntax tree until it is compiled; vectors
    // left at their growth capacity made up a good part of the load peak.
    let r = &mut b.rule;
    r.ops.shrink_to_fit();
    r.checks.shrink_to_fit();
    r.flowbits.shrink_to_fit();
    r.flowints.shrink_to_fit();
    r.meta.metadata.shrink_to_fit();
    r.meta.references.shrink_to_fit();
    Ok(b.rule)
}

/// Removes surrounding double quotes, if present.
fn unquote(v: &str) -> &str {
    let v = v.trim();
    if v.len() >= 2 && v.starts_with('"') && v.ends_with('"') {
        &v[1..v.len() - 1]
    } else {
        v
    }
}

/// Undoes `\;`, `\"`, `\\` and `\:` escapes in free text (msg).
fn unescape_text(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let mut chars = v.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some(n) => out.push(n),
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Parses a content string: text with `|hex|` sections and `\` escapes of
/// `"`, `;`, `:`, `\`.
pub(crate) fn parse_content_bytes(s: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(s.len());
    let mut in_hex = false;
    let mut hex_digit: Option<u8> = None;
    let mut bytes = s.bytes().peekable();
    while let Some(c) = bytes.next() {
        if in_hex {
            match c {
                b'|' => {
                    if hex_digit.is_some() {
                        return Err("odd number of hex digits".into());
                    }
                    in_hex = false;
                }
                b' ' | b'\t' => {
                    if hex_digit.is_some() {
                        return Err("space inside a hex byte".into());
                    }
                }
                _ => {
                    let d =
                        (c as char).to_digit(16).ok_or_else(|| format!("invalid hex character '{}'", c as char))? as u8;
                    match hex_digit.take() {
                        Some(h) => out.push(h << 4 | d),
                        None => hex_digit = Some(d),
                    }
                }
            }
        } else {
            match c {
                b'|' => in_hex = true,
                b'\\' => match bytes.next() {
                    Some(e @ (b'"' | b';' | b':' | b'\\')) => out.push(e),
                    Some(e) => return Err(format!("'\\{}' is not a valid escape", e as char)),
                    None => return Err("trailing backslash".into()),
                },
                b'"' => return Err("unescaped '\"' inside content".into()),
                b';' => return Err("unescaped ';' inside content".into()),
                _ => out.push(c),
            }
        }
    }
    if in_hex {
        return Err("unterminated hex section".into());
    }
    Ok(out)
}

fn parse_value(v: &str) -> Result<Value, String> {
    let v = v.trim();
    if let Ok(n) = v.parse::<i64>() {
        return Ok(Value::Num(n));
    }
    if !v.is_empty() && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Ok(Value::Var(v.to_string()));
    }
    Err(format!("'{v}' is neither a number nor a variable"))
}

fn parse_u64(v: &str) -> Result<u64, String> {
    let v = v.trim();
    if let Some(h) = v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
        u64::from_str_radix(h, 16).map_err(|_| format!("invalid number '{v}'"))
    } else {
        v.parse::<u64>().map_err(|_| format!("invalid number '{v}'"))
    }
}

fn parse_i64(v: &str) -> Result<i64, String> {
    let v = v.trim();
    if let Some(h) = v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
        i64::from_str_radix(h, 16).map_err(|_| format!("invalid number '{v}'"))
    } else {
        v.parse::<i64>().map_err(|_| format!("invalid number '{v}'"))
    }
}

/// Keywords that only change metadata or whose effect is outside matching;
/// accepted and recorded.
const IGNORED_KEYWORDS: &[&str] = &["tag", "requires", "xbits_noop", "prefilter", "replace"];

/// Transforms one sticky buffer may carry (Suricata's limit).
const MAX_TRANSFORMS: usize = 16;

/// Parses a transform keyword, or returns `Ok(None)` when `name` is not one.
fn parse_transform(name: &str, value: Option<&str>) -> Result<Option<Transform>, String> {
    let no_value = |t: Transform| match value.map(str::trim) {
        None | Some("") => Ok(Some(t)),
        Some(v) => Err(format!("takes no value, got '{v}'")),
    };
    let quoted = || -> Result<&str, String> {
        let v = value.map(str::trim).unwrap_or("");
        match v.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
            Some(inner) if !inner.is_empty() => Ok(inner),
            _ => Err("a quoted value is required".into()),
        }
    };
    match name {
        "strip_whitespace" => no_value(Transform::StripWhitespace),
        "compress_whitespace" => no_value(Transform::CompressWhitespace),
        "to_lowercase" => no_value(Transform::ToLowercase),
        "to_uppercase" => no_value(Transform::ToUppercase),
        "to_md5" => no_value(Transform::ToMd5),
        "to_sha1" => no_value(Transform::ToSha1),
        "to_sha256" => no_value(Transform::ToSha256),
        "dotprefix" => no_value(Transform::DotPrefix),
        "url_decode" => no_value(Transform::UrlDecode),
        "header_lowercase" => no_value(Transform::HeaderLowercase),
        "strip_pseudo_headers" => no_value(Transform::StripPseudoHeaders),
        "xor" => {
            let hex = quoted()?;
            if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(format!("'{hex}' is not a hex key"));
            }
            if !hex.len().is_multiple_of(2) {
                return Err("the key needs an even number of hex digits".into());
            }
            if hex.len() / 2 > 255 {
                return Err("the key is longer than 255 bytes".into());
            }
            let digit = |b: u8| (b as char).to_digit(16).unwrap_or(0) as u8;
            let key = hex.as_bytes().chunks_exact(2).map(|p| digit(p[0]) << 4 | digit(p[1])).collect();
            Ok(Some(Transform::Xor(key)))
        }
        "pcrexform" => {
            // The rule-level escapes are undone as for pcre; the rest is regex.
            let re = quoted()?.replace("\\;", ";").replace("\\\"", "\"");
            Ok(Some(Transform::Pcrexform(re)))
        }
        _ => Ok(None),
    }
}

impl Builder {
    fn content_mut(&mut self, kw: &str, col: usize) -> Result<&mut Content, RuleError> {
        let idx = self.last_content.ok_or_else(|| RuleError::bad_value(kw, "no preceding content", col))?;
        match &mut self.rule.ops[idx].op {
            PayloadOp::Content(c) => Ok(c),
            _ => Err(RuleError::bad_value(kw, "no preceding content", col)),
        }
    }

    /// Selects a sticky buffer. Like Suricata, a sticky buffer followed by
    /// another one without any keyword inspecting it is an error.
    fn set_sticky(&mut self, b: Option<Buffer>, col: usize) -> Result<(), RuleError> {
        if self.sticky.is_some() && self.rule.ops.len() == self.ops_at_sticky {
            return Err(RuleError::syntax("previous sticky buffer has no matches", col));
        }
        self.sticky = b;
        self.selections = self.selections.saturating_add(1);
        self.transforms.clear();
        self.ops_at_sticky = self.rule.ops.len();
        self.last_content = None;
        Ok(())
    }

    fn current_buffer(&self) -> Buffer {
        self.sticky.unwrap_or(Buffer::Payload)
    }

    fn push_op(&mut self, buffer: Buffer, op: PayloadOp) {
        // Transforms apply to the keywords inspecting their sticky buffer.
        let transforms = if self.sticky == Some(buffer) { self.transforms.clone() } else { Vec::new() };
        let instance = if buffer.is_multi() { self.selections } else { 0 };
        self.rule.ops.push(BufferOp { buffer, transforms, op, instance });
        self.last_op = Some(self.rule.ops.len() - 1);
    }

    fn need_value<'a>(o: &RawOption<'a>) -> Result<&'a str, RuleError> {
        o.value.filter(|v| !v.is_empty()).ok_or_else(|| RuleError::bad_value(o.name, "a value is required", o.column))
    }

    fn no_value(o: &RawOption<'_>) -> Result<(), RuleError> {
        match o.value {
            Some(v) if !v.trim().is_empty() => {
                Err(RuleError::bad_value(o.name, format!("takes no value, got '{v}'"), o.column))
            }
            _ => Ok(()),
        }
    }

    fn check_var(&self, v: &Value, kw: &str, col: usize) -> Result<(), RuleError> {
        if let Value::Var(name) = v {
            if !self.byte_vars.iter().any(|x| x == name) {
                return Err(RuleError::bad_value(kw, format!("unknown variable '{name}'"), col));
            }
        }
        Ok(())
    }

    fn option(&mut self, o: &RawOption<'_>) -> Result<(), RuleError> {
        let col = o.column;
        let bad = |reason: String| RuleError::bad_value(o.name, reason, col);
        let name = o.name;
        match name {
            "msg" => {
                let v = Self::need_value(o)?.trim();
                // Suricata refuses a message whose opening quote is not
                // closed (`msg:"open; sid:1;`).
                if v.starts_with('"') && (v.len() < 2 || !v.ends_with('"')) {
                    return Err(bad("unterminated quote".into()));
                }
                self.rule.meta.msg = unescape_text(unquote(v));
            }
            "sid" => {
                let v = Self::need_value(o)?;
                let sid = v.trim().parse::<u32>().map_err(|_| bad(format!("'{v}' is not a valid sid")))?;
                if sid == 0 {
                    return Err(bad("sid must be greater than 0".into()));
                }
                self.rule.meta.sid = sid;
                self.seen_sid = true;
            }
            "rev" => self.rule.meta.rev = Self::need_value(o)?.trim().parse().map_err(|_| bad("invalid rev".into()))?,
            "gid" => self.rule.meta.gid = Self::need_value(o)?.trim().parse().map_err(|_| bad("invalid gid".into()))?,
            "classtype" => {
                let v = Self::need_value(o)?.trim();
                if !v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
                    return Err(bad(format!("invalid classtype '{v}'")));
                }
                self.rule.meta.classtype = Some(v.to_string());
            }
            "priority" => {
                let p: u8 = Self::need_value(o)?.trim().parse().map_err(|_| bad("invalid priority".into()))?;
                if p == 0 {
                    return Err(bad("priority must be 1-255".into()));
                }
                self.rule.meta.priority = Some(p);
            }
            "reference" => {
                let v = Self::need_value(o)?;
                let (sys, id) = v.split_once(',').ok_or_else(|| bad("expected 'system,id'".into()))?;
                self.rule.meta.references.push(sys.trim(), id.trim());
            }
            "metadata" => {
                for item in Self::need_value(o)?.split(',') {
                    let item = item.trim();
                    if item.is_empty() {
                        continue;
                    }
                    let (k, v) = item.split_once(' ').unwrap_or((item, ""));
                    self.rule.meta.metadata.push(k.trim(), v.trim());
                }
            }
            "target" => {
                let v = Self::need_value(o)?.trim();
                if v != "src_ip" && v != "dest_ip" {
                    return Err(bad("expected src_ip or dest_ip".into()));
                }
                self.rule.meta.target = Some(v.to_string());
            }
            "noalert" => {
                Self::no_value(o)?;
                self.rule.noalert = true;
            }
            "alert" => {
                Self::no_value(o)?;
                self.rule.alert = true;
            }
            "content" | "uricontent" => {
                let raw = Self::need_value(o)?;
                let (negated, rest) = match raw.trim().strip_prefix('!') {
                    Some(r) => (true, r.trim()),
                    None => (false, raw.trim()),
                };
                if !(rest.len() >= 2 && rest.starts_with('"') && rest.ends_with('"')) {
                    return Err(bad("content must be quoted".into()));
                }
                let pattern = parse_content_bytes(&rest[1..rest.len() - 1]).map_err(bad)?;
                if pattern.is_empty() {
                    return Err(bad("empty content".into()));
                }
                let buffer = if name == "uricontent" { Buffer::HttpUri } else { self.current_buffer() };
                self.push_op(
                    buffer,
                    PayloadOp::Content(Content {
                        pattern,
                        negated,
                        nocase: false,
                        offset: None,
                        depth: None,
                        distance: None,
                        within: None,
                        startswith: false,
                        endswith: false,
                        fast_pattern: None,
                        rawbytes: false,
                    }),
                );
                self.last_content = self.last_op;
            }
            "nocase" => {
                Self::no_value(o)?;
                let c = self.content_mut(name, col)?;
                if c.nocase {
                    return Err(bad("nocase given twice for one content".into()));
                }
                c.nocase = true;
            }
            "rawbytes" => {
                Self::no_value(o)?;
                self.content_mut(name, col)?.rawbytes = true;
            }
            "offset" | "depth" | "distance" | "within" => {
                let v = parse_value(Self::need_value(o)?).map_err(bad)?;
                self.check_var(&v, name, col)?;
                let c = self.content_mut(name, col)?;
                let plen = c.pattern.len() as i64;
                match (&v, name) {
                    (Value::Num(n), "depth") if *n < plen => {
                        return Err(bad(format!("depth {n} is smaller than the content length {plen}")))
                    }
                    (Value::Num(n), "within") if *n < plen => {
                        return Err(bad(format!("within {n} is smaller than the content length {plen}")))
                    }
                    (Value::Num(n), "offset" | "depth") if *n < 0 => {
                        return Err(bad(format!("{name} cannot be negative")))
                    }
                    _ => {}
                }
                if c.startswith && (name == "offset" || name == "depth") {
                    return Err(bad("cannot be combined with startswith".into()));
                }
                let slot = match name {
                    "offset" => &mut c.offset,
                    "depth" => &mut c.depth,
                    "distance" => &mut c.distance,
                    _ => &mut c.within,
                };
                if slot.is_some() {
                    return Err(bad(format!("{name} given twice for one content")));
                }
                *slot = Some(v);
                if (c.offset.is_some() || c.depth.is_some()) && (c.distance.is_some() || c.within.is_some()) {
                    return Err(bad(
                        "cannot mix absolute (offset/depth) and relative (distance/within) modifiers".into()
                    ));
                }
            }
            "startswith" => {
                Self::no_value(o)?;
                let c = self.content_mut(name, col)?;
                if c.offset.is_some() || c.depth.is_some() || c.distance.is_some() || c.within.is_some() {
                    return Err(bad("cannot be combined with offset/depth/distance/within".into()));
                }
                c.startswith = true;
            }
            "endswith" => {
                Self::no_value(o)?;
                self.content_mut(name, col)?.endswith = true;
            }
            "fast_pattern" => {
                let fp = match o.value.map(str::trim) {
                    None | Some("") => FastPattern::Yes,
                    Some("only") => FastPattern::Only,
                    Some(v) => {
                        let (a, b) = v.split_once(',').ok_or_else(|| bad(format!("invalid value '{v}'")))?;
                        let offset = a.trim().parse().map_err(|_| bad(format!("invalid offset '{a}'")))?;
                        let length: u16 = b.trim().parse().map_err(|_| bad(format!("invalid length '{b}'")))?;
                        FastPattern::Chop { offset, length }
                    }
                };
                let c = self.content_mut(name, col)?;
                if let FastPattern::Chop { offset, length } = fp {
                    if offset as usize + length as usize > c.pattern.len() || length == 0 {
                        return Err(bad("offset+length exceeds the content".into()));
                    }
                }
                if c.negated && fp == FastPattern::Only {
                    return Err(bad("fast_pattern:only cannot be used on a negated content".into()));
                }
                c.fast_pattern = Some(fp);
                if self.seen_fast_pattern {
                    return Err(bad("fast_pattern given twice in one rule".into()));
                }
                self.seen_fast_pattern = true;
            }
            "pcre" => {
                let p = keywords_pcre(Self::need_value(o)?).map_err(bad)?;
                let (pcre, buf) = p;
                let buffer = match buf {
                    Some(b) => b,
                    None => self.current_buffer(),
                };
                if pcre.relative
                    && !self.rule.ops.iter().any(|o| matches!(o.op, PayloadOp::Content(_) | PayloadOp::Pcre(_)))
                {
                    // Any buffer counts: ET sid 2021249 follows http_header
                    // contents with file_data and a /R pcre, and Suricata
                    // loads it.
                    return Err(bad("/R needs a previous content or pcre".into()));
                }
                self.push_op(buffer, PayloadOp::Pcre(pcre));
            }
            "isdataat" => {
                let v = Self::need_value(o)?;
                let mut parts = v.split(',').map(str::trim);
                let first = parts.next().unwrap_or("");
                let (negated, pos) = match first.strip_prefix('!') {
                    Some(p) => (true, p.trim()),
                    None => (false, first),
                };
                let pos = parse_value(pos).map_err(bad)?;
                if matches!(pos, Value::Num(n) if n < 0) {
                    return Err(bad("position cannot be negative".into()));
                }
                self.check_var(&pos, name, col)?;
                let mut relative = false;
                let mut rawbytes = false;
                for p in parts {
                    match p {
                        "relative" => relative = true,
                        "rawbytes" => rawbytes = true,
                        other => return Err(bad(format!("unknown option '{other}'"))),
                    }
                }
                let buffer = self.current_buffer_for_relative(relative);
                self.push_op(buffer, PayloadOp::IsDataAt(IsDataAt { pos, negated, relative, rawbytes }));
            }
            "byte_test" => {
                let bt = parse_byte_test(Self::need_value(o)?).map_err(bad)?;
                self.check_var(&bt.value, name, col)?;
                self.check_var(&bt.offset, name, col)?;
                let buffer = self.current_buffer_for_relative(bt.relative);
                self.push_op(buffer, PayloadOp::ByteTest(bt));
            }
            "byte_jump" => {
                let bj = parse_byte_jump(Self::need_value(o)?).map_err(bad)?;
                self.check_var(&bj.offset, name, col)?;
                let buffer = self.current_buffer_for_relative(bj.relative);
                self.push_op(buffer, PayloadOp::ByteJump(bj));
            }
            "byte_extract" => {
                let be = parse_byte_extract(Self::need_value(o)?).map_err(bad)?;
                self.byte_vars.push(be.name.clone());
                let buffer = self.current_buffer_for_relative(be.relative);
                self.push_op(buffer, PayloadOp::ByteExtract(be));
            }
            "byte_math" => {
                let bm = parse_byte_math(Self::need_value(o)?).map_err(bad)?;
                self.check_var(&bm.nbytes, name, col)?;
                self.check_var(&bm.rvalue, name, col)?;
                self.byte_vars.push(bm.result.clone());
                let buffer = self.current_buffer_for_relative(bm.relative);
                self.push_op(buffer, PayloadOp::ByteMath(bm));
            }
            "bsize" => {
                let m = parse_num(Self::need_value(o)?, u64::MAX).map_err(bad)?;
                let buffer = self.current_buffer();
                self.push_op(buffer, PayloadOp::Bsize(m));
            }
            "base64_decode" => {
                let mut bytes = 0;
                let mut offset = 0;
                let mut relative = false;
                for p in o.value.unwrap_or("").split(',').map(str::trim).filter(|p| !p.is_empty()) {
                    if p == "relative" {
                        relative = true;
                    } else if let Some(v) = p.strip_prefix("bytes") {
                        bytes = v.trim().parse().map_err(|_| bad(format!("invalid '{p}'")))?;
                    } else if let Some(v) = p.strip_prefix("offset") {
                        offset = v.trim().parse().map_err(|_| bad(format!("invalid '{p}'")))?;
                    } else {
                        return Err(bad(format!("unknown option '{p}'")));
                    }
                }
                // Without a sticky buffer it decodes the buffer of the
                // previous content or pcre (Suricata does the same).
                let buffer = self.current_buffer_for_relative(true);
                self.push_op(buffer, PayloadOp::Base64Decode { bytes, offset, relative });
            }
            "frame" => {
                let v = Self::need_value(o)?.trim();
                let b = Buffer::from_frame(v, self.rule.header.proto)
                    .ok_or_else(|| RuleError::unsupported(format!("frame '{v}'"), col))?;
                self.set_sticky(Some(b), col)?;
            }
            "base64_data" => {
                Self::no_value(o)?;
                self.set_sticky(Some(Buffer::Base64Data), col)?;
            }
            "flow" => {
                let mut f = self.rule.flow.unwrap_or_default();
                for p in Self::need_value(o)?.split(',').map(str::trim) {
                    match p {
                        "to_server" | "from_client" => f.to_server = true,
                        "to_client" | "from_server" => f.to_client = true,
                        "established" => f.established = true,
                        "not_established" => f.not_established = true,
                        "stateless" => f.stateless = true,
                        "only_stream" => f.only_stream = true,
                        "no_stream" => f.no_stream = true,
                        "only_frag" => f.only_frag = true,
                        "no_frag" => f.no_frag = true,
                        other => return Err(bad(format!("unknown flow option '{other}'"))),
                    }
                }
                if f.to_server && f.to_client {
                    return Err(bad("to_server and to_client are exclusive".into()));
                }
                if f.established && (f.not_established || f.stateless) {
                    return Err(bad("established conflicts with not_established/stateless".into()));
                }
                if f.only_stream && f.no_stream {
                    return Err(bad("only_stream and no_stream are exclusive".into()));
                }
                self.rule.flow = Some(f);
            }
            "flowbits" => {
                let v = Self::need_value(o)?;
                let (cmd, names) = match v.split_once(',') {
                    Some((c, n)) => (c.trim(), Some(n.trim())),
                    None => (v.trim(), None),
                };
                if cmd == "noalert" {
                    if names.is_some() {
                        return Err(bad("noalert takes no name".into()));
                    }
                    self.rule.noalert = true;
                    return Ok(());
                }
                let cmd = match cmd {
                    "set" | "setx" => FlowbitCmd::Set,
                    "unset" => FlowbitCmd::Unset,
                    "toggle" => FlowbitCmd::Toggle,
                    "isset" => FlowbitCmd::IsSet,
                    "isnotset" => FlowbitCmd::IsNotSet,
                    other => return Err(bad(format!("unknown flowbits command '{other}'"))),
                };
                let names = names.ok_or_else(|| bad("a flowbit name is required".into()))?;
                // setx carries an expiry after a comma: keep the name only.
                let names = names.split(',').next().unwrap_or(names);
                let any = names.contains('|');
                if any && names.contains('&') {
                    return Err(bad("cannot mix '|' and '&'".into()));
                }
                let list: Vec<String> =
                    names.split(['|', '&']).map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
                if list.is_empty() || list.iter().any(|n| n.contains(char::is_whitespace)) {
                    return Err(bad(format!("invalid flowbit name '{names}'")));
                }
                // `set a|b` and `set a&b` both act on every name (Suricata 7
                // loads both forms).
                self.rule.flowbits.push(Flowbit { cmd, names: list, any });
            }
            "threshold" | "detection_filter" => {
                let t = parse_threshold(name, Self::need_value(o)?).map_err(bad)?;
                let slot = if name == "threshold" { &mut self.rule.threshold } else { &mut self.rule.detection_filter };
                if slot.is_some() {
                    return Err(bad("given twice".into()));
                }
                *slot = Some(t);
            }
            "dsize" => {
                if self.rule.checks.iter().any(|c| matches!(c, PacketCheck::Dsize(_))) {
                    return Err(bad("dsize given twice".into()));
                }
                self.check(o, PacketCheck::Dsize, 65535)?
            }
            "ttl" => self.check(o, PacketCheck::Ttl, 255)?,
            "tos" => {
                let v = Self::need_value(o)?.trim();
                let (neg, v) = match v.strip_prefix('!') {
                    Some(r) => (true, r),
                    None => (false, v),
                };
                // Decimal only, as Suricata 7 parses tos.
                let n: u64 = v.parse().map_err(|_| bad(format!("'{v}' is not a decimal number")))?;
                if n > 255 {
                    return Err(bad("tos is 0-255".into()));
                }
                let op = if neg { super::numeric::NumOp::Ne } else { super::numeric::NumOp::Eq };
                self.rule.checks.push(PacketCheck::Tos(super::numeric::NumMatch { op, a: n, b: n }));
            }
            "id" => self.check(o, PacketCheck::IpId, 65535)?,
            "itype" => self.check(o, PacketCheck::Itype, 255)?,
            "icode" => self.check(o, PacketCheck::Icode, 255)?,
            "icmp_id" | "icmp_seq" => {
                // Suricata takes an exact number here, no comparison.
                let v = Self::need_value(o)?.trim();
                let n: u64 = v.parse().map_err(|_| bad(format!("'{v}' is not a number")))?;
                if n > 65535 {
                    return Err(bad("value is 0-65535".into()));
                }
                let m = super::numeric::NumMatch { op: super::numeric::NumOp::Eq, a: n, b: n };
                self.rule.checks.push(if name == "icmp_id" { PacketCheck::IcmpId(m) } else { PacketCheck::IcmpSeq(m) });
            }
            "seq" => self.check(o, PacketCheck::Seq, u32::MAX as u64)?,
            "ack" => self.check(o, PacketCheck::Ack, u32::MAX as u64)?,
            "window" => {
                let v = Self::need_value(o)?.trim();
                let (neg, v) = match v.strip_prefix('!') {
                    Some(r) => (true, r),
                    None => (false, v),
                };
                let n = parse_u64(v).map_err(bad)?;
                if n > 65535 {
                    return Err(bad("window is 0-65535".into()));
                }
                let op = if neg { super::numeric::NumOp::Ne } else { super::numeric::NumOp::Eq };
                self.rule.checks.push(PacketCheck::Window(super::numeric::NumMatch { op, a: n, b: n }));
            }
            "ip_proto" => {
                let v = Self::need_value(o)?.trim();
                let m = match ip_proto_by_name(v.trim_start_matches(['!', '<', '>'])) {
                    Some(n) => {
                        let prefix = &v[..v.len() - v.trim_start_matches(['!', '<', '>']).len()];
                        parse_num(&format!("{prefix}{n}"), 255).map_err(bad)?
                    }
                    None => parse_num(v, 255).map_err(bad)?,
                };
                self.rule.checks.push(PacketCheck::IpProto(m));
            }
            "urilen" => {
                let v = Self::need_value(o)?;
                // Suricata reads `raw` or `norm` after the comma and ignores
                // anything else there (`urilen:5,bogus` loads as `urilen:5`).
                let (num, raw) = match v.split_once(',') {
                    Some((n, r)) => (n, r.trim_start().starts_with("raw")),
                    None => (v, false),
                };
                let m = parse_num(num, 65535).map_err(bad)?;
                self.rule.checks.push(PacketCheck::Urilen(m, raw));
            }
            "stream_size" => {
                let v = Self::need_value(o)?;
                let parts: Vec<&str> = v.split(',').map(str::trim).collect();
                if parts.len() != 3 {
                    return Err(bad("expected side,operator,value".into()));
                }
                let side = match parts[0] {
                    "server" => 0,
                    "client" => 1,
                    "both" => 2,
                    "either" => 3,
                    other => return Err(bad(format!("unknown side '{other}'"))),
                };
                let op = match parts[1] {
                    "=" | "==" => "",
                    "!=" => "!",
                    o @ ("<" | ">" | "<=" | ">=") => o,
                    other => return Err(bad(format!("unknown operator '{other}'"))),
                };
                let cmp = parse_num(&format!("{op}{}", parts[2]), u32::MAX as u64).map_err(bad)?;
                self.rule.checks.push(PacketCheck::StreamSize { side, cmp });
            }
            // `tcp.flags` is the keyword's newer spelling (Suricata 7.0.x).
            "flags" | "tcp.flags" => {
                let f = parse_flags(Self::need_value(o)?).map_err(bad)?;
                self.rule.checks.push(PacketCheck::Flags(f));
            }
            "fragbits" => {
                let f = parse_fragbits(Self::need_value(o)?).map_err(bad)?;
                self.rule.checks.push(PacketCheck::Fragbits(f));
            }
            "sameip" => {
                Self::no_value(o)?;
                self.rule.checks.push(PacketCheck::SameIp);
            }
            "app-layer-event" => {
                let e = crate::applayer::events::parse(Self::need_value(o)?).map_err(bad)?;
                self.rule.checks.push(PacketCheck::AppLayerEvent(e));
            }
            "flowint" => {
                let f = parse_flowint(Self::need_value(o)?).map_err(bad)?;
                self.rule.flowints.push(f);
            }
            "dcerpc.iface" | "dce_iface" => {
                let m = parse_dce_iface(Self::need_value(o)?).map_err(bad)?;
                self.rule.checks.push(PacketCheck::DceIface(m));
            }
            "dcerpc.opnum" | "dce_opnum" => {
                let ranges = parse_dce_opnum(Self::need_value(o)?).map_err(bad)?;
                self.rule.checks.push(PacketCheck::DceOpnum(ranges));
            }
            "app-layer-protocol" => {
                let v = Self::need_value(o)?.trim();
                let (negated, p) = match v.strip_prefix('!') {
                    Some(r) => (true, r.trim()),
                    None => (false, v),
                };
                let p = p.split(',').next().unwrap_or(p).trim();
                let proto = AppProto::from_name(p).ok_or_else(|| bad(format!("unknown protocol '{p}'")))?;
                self.rule.checks.push(PacketCheck::AppLayerProto { proto, negated });
            }
            "filename" | "fileext" | "filemagic" => {
                // Suricata 7 turns each into a content on the file's name or
                // type description, case-insensitive (a `nocase` after them
                // is refused there); `fileext:"pdf"` is the name ending in
                // ".pdf". `!` negates.
                let raw = Self::need_value(o)?.trim();
                let (negated, rest) = match raw.strip_prefix('!') {
                    Some(r) => (true, r.trim()),
                    None => (false, raw),
                };
                let mut pattern = parse_content_bytes(unquote(rest)).map_err(bad)?;
                if pattern.is_empty() {
                    return Err(bad("empty value".into()));
                }
                let ext = name == "fileext";
                if ext {
                    pattern.insert(0, b'.');
                }
                let buffer = if name == "filemagic" { Buffer::FileMagic } else { Buffer::FileName };
                self.push_op(
                    buffer,
                    PayloadOp::Content(Content {
                        pattern,
                        negated,
                        nocase: true,
                        offset: None,
                        depth: None,
                        distance: None,
                        within: None,
                        startswith: false,
                        endswith: ext,
                        fast_pattern: None,
                        rawbytes: false,
                    }),
                );
            }
            "filemd5" | "filesha1" | "filesha256" => {
                let raw = Self::need_value(o)?.trim();
                let (negated, path) = match raw.strip_prefix('!') {
                    Some(r) => (true, unquote(r)),
                    None => (false, unquote(raw)),
                };
                if path.is_empty() {
                    return Err(bad("a list file is required".into()));
                }
                let kind = match name {
                    "filemd5" => FileHashKind::Md5,
                    "filesha1" => FileHashKind::Sha1,
                    _ => FileHashKind::Sha256,
                };
                self.rule.checks.push(PacketCheck::FileHash { kind, path: path.to_string(), negated });
            }
            "filesize" => self.check(o, PacketCheck::FileSize, u64::MAX)?,
            "filestore" => {
                // `filestore[:direction[,scope]]`: the options are checked,
                // the matched file is what is stored.
                if let Some(v) = o.value.map(str::trim).filter(|v| !v.is_empty()) {
                    let mut parts = v.split(',').map(str::trim);
                    let dir = parts.next().unwrap_or_default();
                    let scope = parts.next().unwrap_or("file");
                    if !matches!(dir, "request" | "response" | "both" | "to_server" | "to_client")
                        || !matches!(scope, "file" | "tx" | "ssn" | "flow")
                        || parts.next().is_some()
                    {
                        return Err(bad(format!("invalid options '{v}'")));
                    }
                }
                if !self.rule.checks.contains(&PacketCheck::FileStore) {
                    self.rule.checks.push(PacketCheck::FileStore);
                }
            }
            "file_data" | "file.data" | "pkt_data" | "base64_data_sticky" => {
                Self::no_value(o)?;
                self.set_sticky(Buffer::from_sticky(name), col)?;
            }
            _ if name.contains('.') && Buffer::from_sticky(name).is_some() => {
                Self::no_value(o)?;
                let buf = Buffer::from_sticky(name).expect("checked");
                if !header_fits_proto(buf, self.rule.header.proto) {
                    return Err(bad("the rule's protocol has no such header".into()));
                }
                self.set_sticky(Some(buf), col)?;
            }
            _ if Buffer::from_modifier(name).is_some() => {
                Self::no_value(o)?;
                let buf = Buffer::from_modifier(name).expect("checked");
                if self.sticky.is_some_and(|s| s != Buffer::Payload) {
                    return Err(bad(format!("cannot follow the sticky buffer {}", self.current_buffer().name())));
                }
                let idx = self.last_content.ok_or_else(|| bad("no preceding content".into()))?;
                if self.rule.ops[idx].buffer != Buffer::Payload {
                    return Err(bad(format!("content already bound to {}", self.rule.ops[idx].buffer.name())));
                }
                self.rule.ops[idx].buffer = buf;
            }
            _ if Buffer::from_legacy_sticky(name).is_some() => {
                Self::no_value(o)?;
                self.set_sticky(Buffer::from_legacy_sticky(name), col)?;
            }
            "dns_query" => {
                Self::no_value(o)?;
                // Suricata 7 reads the legacy name as the sticky buffer: a
                // content before it stays on the payload (verification
                // suite, bug-2158).
                self.set_sticky(Some(Buffer::DnsQuery), col)?;
            }
            "ssl_version" => {
                let mut mask = 0u8;
                let mut negated = false;
                for p in Self::need_value(o)?.split(',').map(str::trim) {
                    let (neg, p) = match p.strip_prefix('!') {
                        Some(r) => (true, r),
                        None => (false, p),
                    };
                    negated |= neg;
                    mask |= match p {
                        "sslv2" => SSL_V2,
                        "sslv3" => SSL_V3,
                        "tls1.0" => TLS_1_0,
                        "tls1.1" => TLS_1_1,
                        "tls1.2" => TLS_1_2,
                        "tls1.3" => TLS_1_3,
                        other => return Err(bad(format!("unknown version '{other}'"))),
                    };
                }
                self.rule.checks.push(PacketCheck::SslVersion { mask, negated });
            }
            "ssl_state" => {
                let mut any_of = 0u8;
                let mut none_of = 0u8;
                for p in Self::need_value(o)?.split([',', '|']).map(str::trim) {
                    let (neg, p) = match p.strip_prefix('!') {
                        Some(r) => (true, r),
                        None => (false, p),
                    };
                    let bit = match p {
                        "client_hello" => SSL_CLIENT_HELLO,
                        "server_hello" => SSL_SERVER_HELLO,
                        "client_keyx" => SSL_CLIENT_KEYX,
                        "server_keyx" => SSL_SERVER_KEYX,
                        "unknown" => SSL_UNKNOWN,
                        other => return Err(bad(format!("unknown state '{other}'"))),
                    };
                    if neg {
                        none_of |= bit;
                    } else {
                        any_of |= bit;
                    }
                }
                self.rule.checks.push(PacketCheck::SslState { any_of, none_of });
            }
            "ssh.softwareversion" | "ssh.protoversion" => {
                let v = unquote(Self::need_value(o)?).to_string();
                if v.is_empty() {
                    return Err(bad("a version string is required".into()));
                }
                let buffer = if name == "ssh.softwareversion" { Buffer::SshSoftware } else { Buffer::SshProto };
                self.rule.checks.push(PacketCheck::SshVersion { buffer, prefix: v.into_bytes() });
            }
            "ftpbounce" => {
                Self::no_value(o)?;
                self.rule.checks.push(PacketCheck::FtpBounce);
            }
            "decode-event" => {
                let v = Self::need_value(o)?.trim();
                // Suricata also accepts the EVE spelling `decoder.ipv4.trunc_pkt`.
                let name = v.strip_prefix("decoder.").unwrap_or(v);
                let e = crate::decode::DecodeEvent::from_name(name)
                    .ok_or_else(|| bad(format!("unknown decoder event '{v}'")))?;
                self.rule.checks.push(PacketCheck::DecodeEvent(e));
            }
            "asn1" => {
                let a = parse_asn1(Self::need_value(o)?).map_err(bad)?;
                let buffer = self.current_buffer_for_relative(a.relative_offset.is_some());
                self.push_op(buffer, PayloadOp::Asn1(a));
            }
            "icmpv6.mtu" => self.check(o, PacketCheck::Icmpv6Mtu, u32::MAX.into())?,
            "mqtt.type" => {
                // A type name, any case: Suricata 7 takes no number and no `!`.
                let name = Self::need_value(o)?.trim();
                let n = super::ast::MQTT_TYPES
                    .iter()
                    .position(|t| t.eq_ignore_ascii_case(name))
                    .ok_or_else(|| bad(format!("unknown MQTT message type '{name}'")))?;
                let m = super::numeric::NumMatch { op: super::numeric::NumOp::Eq, a: n as u64, b: 0 };
                self.rule.checks.push(PacketCheck::TxField(super::ast::TxField::MqttType, m));
            }
            "mqtt.reason_code" | "mqtt.connack.return_code" => {
                let m = parse_num(Self::need_value(o)?, 255).map_err(|e| RuleError::bad_value(o.name, e, o.column))?;
                self.rule.checks.push(PacketCheck::TxField(super::ast::TxField::MqttReasonCode, m));
            }
            "ipv4-csum" | "tcpv4-csum" | "tcpv6-csum" | "udpv4-csum" | "udpv6-csum" | "icmpv4-csum" | "icmpv6-csum" => {
                let valid = match Self::need_value(o)?.trim() {
                    "valid" => true,
                    "invalid" => false,
                    other => return Err(bad(format!("expected valid or invalid, got '{other}'"))),
                };
                let kind = match name {
                    "ipv4-csum" => ChecksumKind::Ipv4,
                    "tcpv4-csum" => ChecksumKind::Tcpv4,
                    "tcpv6-csum" => ChecksumKind::Tcpv6,
                    "udpv4-csum" => ChecksumKind::Udpv4,
                    "udpv6-csum" => ChecksumKind::Udpv6,
                    "icmpv4-csum" => ChecksumKind::Icmpv4,
                    _ => ChecksumKind::Icmpv6,
                };
                self.rule.checks.push(PacketCheck::Checksum { kind, valid });
            }
            "dataset" | "datarep" => {
                let spec = parse_dataset(name == "datarep", Self::need_value(o)?).map_err(bad)?;
                if matches!(self.sticky, None | Some(Buffer::Payload)) {
                    return Err(bad("must follow a sticky buffer".into()));
                }
                let buffer = self.current_buffer();
                self.push_op(buffer, PayloadOp::Dataset(spec));
            }
            "tls.subject" | "tls.issuerdn" | "tls.fingerprint" => {
                // Suricata's legacy TLS keywords: the subject or issuer
                // contains the string (case-sensitive), the fingerprint
                // starts with it (case-insensitive); `!` negates.
                let raw = Self::need_value(o)?.trim();
                let (negated, rest) = match raw.strip_prefix('!') {
                    Some(r) => (true, r.trim()),
                    None => (false, raw),
                };
                let text = rest.strip_prefix('"').and_then(|r| r.strip_suffix('"')).unwrap_or(rest);
                if text.is_empty() {
                    return Err(bad("empty value".into()));
                }
                let (buffer, prefix) = match name {
                    "tls.subject" => (Buffer::TlsCertSubject, false),
                    "tls.issuerdn" => (Buffer::TlsCertIssuer, false),
                    _ => (Buffer::TlsCertFingerprint, true),
                };
                self.push_op(
                    buffer,
                    PayloadOp::Content(Content {
                        pattern: text.as_bytes().to_vec(),
                        negated,
                        nocase: prefix,
                        offset: None,
                        depth: None,
                        distance: None,
                        within: None,
                        startswith: prefix,
                        endswith: false,
                        fast_pattern: None,
                        rawbytes: false,
                    }),
                );
            }
            "tls.version" | "tls.store" | "tls_cert_notbefore" | "tls_cert_notafter" | "tls_cert_expired"
            | "tls_cert_valid" | "xbits" | "hostbits" | "iprep" | "geoip" | "lua" | "luajit" | "stream-event"
            | "engine-event" | "ipopts" | "tcp.mss" | "transform" | "dns.opcode" | "rpc" | "ssh.hassh"
            | "ssh.hassh.string" | "ssh.hassh.server" | "kerberos" | "config" | "flow.age" | "flow.pkts"
            | "flow.bytes" | "bypass" => {
                // Known Suricata keywords whose evaluation is not built yet:
                // the rule is rejected with the keyword's position rather
                // than loaded with the keyword ignored.
                return Err(RuleError::unsupported(format!("keyword '{name}'"), col));
            }
            "strip_whitespace"
            | "compress_whitespace"
            | "to_lowercase"
            | "to_uppercase"
            | "to_md5"
            | "to_sha1"
            | "to_sha256"
            | "dotprefix"
            | "url_decode"
            | "header_lowercase"
            | "strip_pseudo_headers"
            | "xor"
            | "pcrexform" => {
                let t = parse_transform(name, o.value).map_err(bad)?.expect("a transform keyword");
                // Suricata transforms only the app-layer sticky buffers.
                if matches!(self.sticky, None | Some(Buffer::Payload | Buffer::Base64Data)) {
                    return Err(bad("transforms must follow a sticky buffer".into()));
                }
                if self.transforms.len() >= MAX_TRANSFORMS {
                    return Err(bad(format!("more than {MAX_TRANSFORMS} transforms on one buffer")));
                }
                self.transforms.push(t);
            }
            _ if IGNORED_KEYWORDS.contains(&name) => {
                if name == "tag" {
                    self.rule.meta.tag = o.value.map(|v| v.trim().to_string());
                }
                self.rule.ignored.push(name.to_string());
            }
            _ => return Err(RuleError::unknown_keyword(name, col)),
        }
        Ok(())
    }

    /// The buffer a relative payload keyword (isdataat, byte_*) works on: the
    /// sticky buffer, else the buffer of the last content/pcre when relative.
    fn current_buffer_for_relative(&self, relative: bool) -> Buffer {
        if let Some(s) = self.sticky {
            return s;
        }
        if relative {
            if let Some(i) = self.last_op {
                return self.rule.ops[i].buffer;
            }
        }
        Buffer::Payload
    }

    fn check(
        &mut self,
        o: &RawOption<'_>,
        ctor: fn(super::numeric::NumMatch<u64>) -> PacketCheck,
        max: u64,
    ) -> Result<(), RuleError> {
        let m = parse_num(Self::need_value(o)?, max).map_err(|e| RuleError::bad_value(o.name, e, o.column))?;
        self.rule.checks.push(ctor(m));
        Ok(())
    }

    fn finish(&mut self) -> Result<(), RuleError> {
        // As between two sticky buffers: the last one must be inspected
        // (`content:"a"; http_protocol;` is rejected by Suricata).
        if self.sticky.is_some_and(|b| b != Buffer::Payload) && self.rule.ops.len() == self.ops_at_sticky {
            return Err(RuleError::syntax("last sticky buffer has no matches", 1));
        }
        if self.rule.threshold.is_some() && self.rule.detection_filter.is_some() {
            return Err(RuleError::bad_value("detection_filter", "cannot be combined with threshold", 1));
        }
        for o in &self.rule.ops {
            if let PayloadOp::Content(c) = &o.op {
                if c.fast_pattern == Some(FastPattern::Only)
                    && (c.is_relative() || c.offset.is_some() || c.depth.is_some())
                {
                    return Err(RuleError::bad_value(
                        "fast_pattern",
                        "fast_pattern:only cannot be used with a positional modifier",
                        1,
                    ));
                }
            }
        }
        // Suricata rejects a rule with buffers of a request and of a response
        // ("mixes keywords with conflicting directions", 7.0.10).
        let dirs = self.rule.ops.iter().filter_map(|o| o.buffer.direction());
        if dirs.clone().any(|d| d) && dirs.clone().any(|d| !d) {
            return Err(RuleError::bad_value("content", "mixes keywords with conflicting directions", 1));
        }
        // Header buffers are read from the packet: Suricata rejects them in
        // rules inspecting only the stream, or transactions.
        if let Some(h) = self.rule.ops.iter().find(|o| o.buffer.is_packet_header()) {
            let kw = h.buffer.name();
            if self.rule.flow.is_some_and(|f| f.only_stream) || self.rule.header.proto == Proto::TcpStream {
                return Err(RuleError::bad_value(kw, "a packet buffer cannot be inspected on the stream only", 1));
            }
            if let Some(a) = self.rule.ops.iter().find(|o| Buffer::APP_LAYER.contains(&o.buffer)) {
                return Err(RuleError::bad_value(
                    kw,
                    format!("a packet buffer cannot be combined with the app-layer buffer {}", a.buffer.name()),
                    1,
                ));
            }
        }
        // http.host is lowercased: Suricata rejects nocase or an uppercase
        // pattern on it.
        for o in self.rule.ops.iter().filter(|o| o.buffer == Buffer::HttpHost && o.transforms.is_empty()) {
            if let PayloadOp::Content(c) = &o.op {
                if c.nocase {
                    return Err(RuleError::bad_value("http.host", "nocase on the lowercased host buffer", 1));
                }
                if c.pattern.iter().any(u8::is_ascii_uppercase) {
                    return Err(RuleError::bad_value(
                        "http.host",
                        "uppercase pattern on the lowercased host buffer",
                        1,
                    ));
                }
            }
        }
        // A relative keyword must have something to be relative to, in the
        // same buffer; Suricata rejects it otherwise only for pcre /R and
        // byte_* without a prior match in a sticky buffer, so keep this loose.
        Ok(())
    }
}

/// Whether a rule of protocol `proto` can carry the header `buf` reads
/// (always true for other buffers). Suricata rejects `tcp.hdr` in a UDP
/// rule, `icmpv4.hdr` in an `icmpv6` one...; the IP headers go with any
/// protocol.
fn header_fits_proto(buf: Buffer, proto: Proto) -> bool {
    // (tcp, udp, icmpv4, icmpv6) the protocol admits.
    let (tcp, udp, icmp4, icmp6) = match proto {
        Proto::Ip | Proto::Ipv4 | Proto::Ipv6 => (true, true, true, true),
        Proto::Tcp | Proto::TcpPkt | Proto::TcpStream => (true, false, false, false),
        Proto::Udp => (false, true, false, false),
        Proto::Icmp => (false, false, true, true),
        Proto::Icmpv4 => (false, false, true, false),
        Proto::Icmpv6 => (false, false, false, true),
        Proto::Sctp => (false, false, false, false),
        Proto::App(a) => {
            let (t, u) = a.transports();
            (t, u, false, false)
        }
    };
    match buf {
        Buffer::TcpHdr => tcp,
        Buffer::UdpHdr => udp,
        Buffer::Icmpv4Hdr => icmp4,
        Buffer::Icmpv6Hdr => icmp6,
        _ => true,
    }
}

/// Bytes `byte_math` reads at most (string forms; binary reads of more
/// than 4 bytes parse but never match, as in Suricata 7).
const BYTE_MATH_MAX_BYTES: u8 = 10;

/// Largest `byte_math` offset either way.
const BYTE_MATH_MAX_OFFSET: i64 = 65535;

/// True for a variable name as byte_extract/byte_math define them.
fn is_var_name(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Parses `byte_math`: comma-separated `key value` options in any order;
/// `bytes`, `offset`, `oper`, `rvalue` and `result` are required, each
/// option at most once (Suricata 7).
fn parse_byte_math(v: &str) -> Result<ByteMath, String> {
    let mut nbytes = None;
    let mut offset = None;
    let mut oper = None;
    let mut rvalue = None;
    let mut result = None;
    let mut relative = false;
    let mut endian = None;
    let mut string = None;
    let mut bitmask = None;
    for p in v.split(',').map(str::trim) {
        let (k, val) = match p.split_once(char::is_whitespace) {
            Some((k, val)) => (k, val.trim()),
            None => (p, ""),
        };
        let twice = || format!("'{k}' given twice");
        let need = |what: &str| if val.is_empty() { Err(format!("'{k}' needs {what}")) } else { Ok(val) };
        match k {
            "bytes" => {
                let val = need("a byte count or a variable")?;
                let n = match val.parse::<u8>() {
                    Ok(n) if (1..=BYTE_MATH_MAX_BYTES).contains(&n) => Value::Num(n.into()),
                    Ok(_) => return Err(format!("bytes {val} is out of range 1-{BYTE_MATH_MAX_BYTES}")),
                    Err(_) if is_var_name(val) && !val.starts_with(|c: char| c.is_ascii_digit()) => {
                        Value::Var(val.to_string())
                    }
                    Err(_) => return Err(format!("invalid bytes '{val}'")),
                };
                if nbytes.replace(n).is_some() {
                    return Err(twice());
                }
            }
            "offset" => {
                let val = need("a number")?;
                let n = val.parse::<i64>().map_err(|_| format!("invalid offset '{val}'"))?;
                if n.abs() > BYTE_MATH_MAX_OFFSET {
                    return Err(format!("offset {n} is out of range"));
                }
                if offset.replace(n).is_some() {
                    return Err(twice());
                }
            }
            "oper" => {
                let op = match need("an operator")? {
                    "+" => MathOp::Add,
                    "-" => MathOp::Sub,
                    "*" => MathOp::Mul,
                    "/" => MathOp::Div,
                    "<<" => MathOp::Shl,
                    ">>" => MathOp::Shr,
                    other => return Err(format!("unknown operator '{other}'")),
                };
                if oper.replace(op).is_some() {
                    return Err(twice());
                }
            }
            "rvalue" => {
                let val = need("a number or a variable")?;
                let r = if val.starts_with(|c: char| c.is_ascii_alphabetic()) && is_var_name(val) {
                    Value::Var(val.to_string())
                } else {
                    // Decimal only, 0..=u32::MAX.
                    Value::Num(val.parse::<u32>().map_err(|_| format!("invalid rvalue '{val}'"))?.into())
                };
                if rvalue.replace(r).is_some() {
                    return Err(twice());
                }
            }
            "result" => {
                let val = need("a variable name")?;
                if !is_var_name(val) {
                    return Err(format!("invalid variable name '{val}'"));
                }
                if result.replace(val.to_string()).is_some() {
                    return Err(twice());
                }
            }
            "relative" if val.is_empty() => {
                if std::mem::replace(&mut relative, true) {
                    return Err(twice());
                }
            }
            "endian" => {
                let e = match need("big or little")? {
                    "big" => Endian::Big,
                    "little" => Endian::Little,
                    // Suricata 7 loads no byte_math rule with dce.
                    other => return Err(format!("unsupported endian '{other}'")),
                };
                if endian.replace(e).is_some() {
                    return Err(twice());
                }
            }
            "string" => {
                let s = match need("hex, dec or oct")? {
                    "hex" => NumString::Hex,
                    "dec" => NumString::Dec,
                    "oct" => NumString::Oct,
                    other => return Err(format!("unknown string type '{other}'")),
                };
                if string.replace(s).is_some() {
                    return Err(twice());
                }
            }
            "bitmask" => {
                let val = need("a hex value")?;
                let hex = val.strip_prefix("0x").or_else(|| val.strip_prefix("0X")).unwrap_or(val);
                let m = u32::from_str_radix(hex, 16).map_err(|_| format!("invalid bitmask '{val}'"))?;
                if bitmask.replace(u64::from(m)).is_some() {
                    return Err(twice());
                }
            }
            "dce" => return Err("dce is not supported".into()),
            _ => return Err(format!("unknown option '{p}'")),
        }
    }
    let bm = ByteMath {
        nbytes: nbytes.ok_or("bytes is required")?,
        offset: offset.ok_or("offset is required")?,
        oper: oper.ok_or("oper is required")?,
        rvalue: rvalue.ok_or("rvalue is required")?,
        result: result.ok_or("result is required")?,
        relative,
        endian: endian.unwrap_or(Endian::Big),
        string: string.unwrap_or(NumString::Binary),
        bitmask,
    };
    if matches!(bm.oper, MathOp::Shl | MathOp::Shr) && matches!(bm.nbytes, Value::Num(n) if n > 4) {
        return Err("shifts take at most 4 bytes".into());
    }
    Ok(bm)
}

/// Parses `<uuid>[,<op><version>][,any_frag]` (`op` one of `<`, `>`, `=`,
/// `!`; the version a 16-bit major version). As in Suricata, a comparison
/// that no version satisfies (`<0`, `>65535`) is refused.
fn parse_dce_iface(v: &str) -> Result<DceIface, String> {
    let mut parts = v.trim().split(',');
    // Suricata refuses a space between the UUID and its comma.
    let text = parts.next().unwrap_or("");
    let groups: Vec<&str> = text.split('-').collect();
    let hex_ok = |g: &str, n: usize| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit());
    if groups.len() != 5 || !groups.iter().zip([8, 4, 4, 4, 12]).all(|(g, n)| hex_ok(g, n)) {
        return Err(format!("'{text}' is not a UUID"));
    }
    let hex: String = groups.concat();
    let mut uuid = [0u8; 16];
    for (i, b) in uuid.iter_mut().enumerate() {
        *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|e| e.to_string())?;
    }
    let mut m = DceIface { uuid, version: None, any_frag: false };
    for p in parts.map(str::trim) {
        if p == "any_frag" {
            if std::mem::replace(&mut m.any_frag, true) {
                return Err("any_frag given twice".into());
            }
            continue;
        }
        if m.version.is_some() || m.any_frag {
            return Err(format!("unexpected '{p}'"));
        }
        let (op, num) = match p.chars().next() {
            Some('<') => (DceVersionOp::Lt, &p[1..]),
            Some('>') => (DceVersionOp::Gt, &p[1..]),
            Some('=') => (DceVersionOp::Eq, &p[1..]),
            Some('!') => (DceVersionOp::Ne, &p[1..]),
            _ => return Err(format!("'{p}' is neither a version comparison nor any_frag")),
        };
        let ver: u16 = num.trim().parse().map_err(|_| format!("invalid version '{num}'"))?;
        if (op == DceVersionOp::Lt && ver == 0) || (op == DceVersionOp::Gt && ver == u16::MAX) {
            return Err(format!("no version is {p}"));
        }
        m.version = Some((op, ver));
    }
    Ok(m)
}

/// Parses `N`, `N-M` or a comma-separated list of them, without spaces
/// inside the list, as Suricata 7.0.10 accepts them: 32-bit numbers (an
/// opnum above 65535 loads and never matches), a range's bounds not
/// decreasing.
fn parse_dce_opnum(v: &str) -> Result<Vec<(u32, u32)>, String> {
    let num = |t: &str| t.parse::<u32>().map_err(|_| format!("invalid opnum '{t}'"));
    v.trim()
        .split(',')
        .map(|item| match item.split_once('-') {
            Some((a, b)) => {
                let (lo, hi) = (num(a)?, num(b)?);
                if lo > hi {
                    return Err(format!("range '{item}' is decreasing"));
                }
                Ok((lo, hi))
            }
            None => num(item).map(|n| (n, n)),
        })
        .collect()
}

fn parse_asn1(v: &str) -> Result<Asn1Opts, String> {
    let mut a = Asn1Opts::default();
    for p in v.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (k, val) = match p.split_once(char::is_whitespace) {
            Some((k, v)) => (k, Some(v.trim())),
            None => (p, None),
        };
        let num = |val: Option<&str>| -> Result<i64, String> {
            val.ok_or(format!("'{k}' needs a number"))?.parse::<i64>().map_err(|_| format!("invalid number in '{p}'"))
        };
        match k {
            "bitstring_overflow" => a.bitstring_overflow = true,
            "double_overflow" => a.double_overflow = true,
            "oversize_length" => a.oversize_length = Some(num(val)?.max(0) as u64),
            "absolute_offset" => a.absolute_offset = Some(num(val)?),
            "relative_offset" => a.relative_offset = Some(num(val)?),
            other => return Err(format!("unknown asn1 option '{other}'")),
        }
    }
    if a.absolute_offset.is_some() && a.relative_offset.is_some() {
        return Err("absolute_offset and relative_offset are exclusive".into());
    }
    Ok(a)
}

/// Parses `flowint:<name>,<op>[,<value>]` as Suricata 7.0.10 accepts it:
/// names start with a letter and have at least two characters (letters,
/// digits, `_`, `.`); `=`, `+`, `-` and the comparisons take a decimal
/// number (0..=u32::MAX) or another variable's name; `isset`, `notset` and
/// `isnotset` take no value (one given is ignored).
fn parse_flowint(v: &str) -> Result<Flowint, String> {
    let parts: Vec<&str> = v.split(',').map(str::trim).collect();
    let valid_name = |n: &str| {
        n.len() >= 2
            && n.starts_with(|c: char| c.is_ascii_alphabetic())
            && n.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.'))
    };
    let name = parts[0];
    if !valid_name(name) {
        return Err(format!("invalid variable name '{name}'"));
    }
    let op = match parts.get(1).copied() {
        Some("=") => FlowintOp::Set,
        Some("+") => FlowintOp::Add,
        Some("-") => FlowintOp::Sub,
        Some("==") => FlowintOp::Eq,
        Some("!=") => FlowintOp::Ne,
        Some("<") => FlowintOp::Lt,
        Some("<=") => FlowintOp::Le,
        Some(">") => FlowintOp::Gt,
        Some(">=") => FlowintOp::Ge,
        Some("isset") => FlowintOp::IsSet,
        Some("notset" | "isnotset") => FlowintOp::NotSet,
        Some(other) => return Err(format!("unknown operator '{other}'")),
        None => return Err("expected name,operator[,value]".into()),
    };
    let value = match (op, parts.get(2).copied()) {
        (FlowintOp::IsSet | FlowintOp::NotSet, _) => None,
        (_, None | Some("")) => return Err("a value is required".into()),
        (_, Some(x)) if x.starts_with(|c: char| c.is_ascii_digit() || c == '-') => {
            if !x.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("'{x}' is not a decimal number"));
            }
            let n: u32 = x.parse().map_err(|_| format!("'{x}' is not a number in 0-{}", u32::MAX))?;
            Some(Value::Num(i64::from(n)))
        }
        (_, Some(x)) if valid_name(x) => Some(Value::Var(x.to_string())),
        (_, Some(x)) => return Err(format!("invalid value '{x}'")),
    };
    if parts.len() > 3 {
        return Err("too many arguments".into());
    }
    Ok(Flowint { name: name.to_string(), op, value })
}

fn ip_proto_by_name(s: &str) -> Option<u8> {
    Some(match s {
        "icmp" => 1,
        "igmp" => 2,
        "tcp" => 6,
        "udp" => 17,
        "ipv6" => 41,
        "gre" => 47,
        "esp" => 50,
        "ah" => 51,
        "ipv6-icmp" | "icmpv6" => 58,
        "sctp" => 132,
        _ => return None,
    })
}

/// Parses `"/re/flags"` (optionally `!` before the quotes). Returns the pcre
/// and the buffer its flags select, if any.
fn keywords_pcre(v: &str) -> Result<(Pcre, Option<Buffer>), String> {
    let v = v.trim();
    let (negated, v) = match v.strip_prefix('!') {
        Some(r) => (true, r.trim()),
        None => (false, v),
    };
    let v = v.strip_prefix('"').and_then(|r| r.strip_suffix('"')).ok_or("pcre must be quoted")?;
    let v = v.strip_prefix('/').ok_or("pcre must start with '/'")?;
    let end = v.rfind('/').ok_or("pcre must end with '/' and its flags")?;
    let (re, flags) = (&v[..end], &v[end + 1..]);
    // Inside the quotes only `\"` and `\;` are rule-level escapes; the rest
    // belongs to the regex.
    let pattern = re.replace("\\;", ";").replace("\\\"", "\"");
    let mut p = Pcre {
        pattern,
        negated,
        caseless: false,
        dotall: false,
        multiline: false,
        extended: false,
        anchored: false,
        dollar_endonly: false,
        ungreedy: false,
        relative: false,
        override_limits: false,
    };
    let mut buffer = None;
    let mut set_buf = |b: Buffer| -> Result<(), String> {
        if buffer.is_some_and(|x| x != b) {
            return Err("pcre selects two buffers".to_string());
        }
        buffer = Some(b);
        Ok(())
    };
    for f in flags.chars() {
        match f {
            'i' => p.caseless = true,
            's' => p.dotall = true,
            'm' => p.multiline = true,
            'x' => p.extended = true,
            'A' => p.anchored = true,
            'E' => p.dollar_endonly = true,
            'G' => p.ungreedy = true,
            'R' => p.relative = true,
            'O' => p.override_limits = true,
            'B' => {}
            'U' => set_buf(Buffer::HttpUri)?,
            'I' => set_buf(Buffer::HttpUriRaw)?,
            'H' => set_buf(Buffer::HttpHeader)?,
            'D' => set_buf(Buffer::HttpHeaderRaw)?,
            'P' => set_buf(Buffer::HttpRequestBody)?,
            'Q' => set_buf(Buffer::HttpResponseBody)?,
            'M' => set_buf(Buffer::HttpMethod)?,
            'C' => set_buf(Buffer::HttpCookie)?,
            'S' => set_buf(Buffer::HttpStatCode)?,
            'Y' => set_buf(Buffer::HttpStatMsg)?,
            'V' => set_buf(Buffer::HttpUserAgent)?,
            'W' => set_buf(Buffer::HttpHost)?,
            'Z' => set_buf(Buffer::HttpHostRaw)?,
            other => return Err(format!("unknown pcre flag '{other}'")),
        }
    }
    Ok((p, buffer))
}

fn parse_endian_string(
    p: &str,
    endian: &mut Endian,
    string: &mut NumString,
    bitmask: &mut Option<u64>,
) -> Result<bool, String> {
    match p {
        "big" => *endian = Endian::Big,
        "little" => *endian = Endian::Little,
        "dce" => *endian = Endian::Dce,
        "string" => *string = NumString::Dec,
        "hex" => *string = NumString::Hex,
        "dec" => *string = NumString::Dec,
        "oct" => *string = NumString::Oct,
        _ if p.starts_with("bitmask") => {
            *bitmask = Some(parse_u64(p["bitmask".len()..].trim())?);
        }
        _ => return Ok(false),
    }
    Ok(true)
}

fn check_nbytes(n: u8, string: NumString) -> Result<(), String> {
    match string {
        NumString::Binary if !matches!(n, 1..=4 | 8) => Err(format!("{n} bytes cannot be read as a binary number")),
        _ if n == 0 || n > 10 => Err(format!("{n} bytes is out of range 1-10")),
        _ => Ok(()),
    }
}

fn parse_byte_test(v: &str) -> Result<ByteTest, String> {
    let parts: Vec<&str> = v.split(',').map(str::trim).collect();
    if parts.len() < 4 {
        return Err("expected bytes,operator,value,offset[,options]".into());
    }
    let nbytes: u8 = parts[0].parse().map_err(|_| format!("invalid byte count '{}'", parts[0]))?;
    let (negated, op) = match parts[1].strip_prefix('!') {
        Some(r) => (true, r.trim()),
        None => (false, parts[1]),
    };
    let op = match op {
        "<" => ByteOp::Lt,
        ">" => ByteOp::Gt,
        "=" | "" => ByteOp::Eq,
        "<=" => ByteOp::Le,
        ">=" => ByteOp::Ge,
        "&" => ByteOp::And,
        "^" => ByteOp::Xor,
        other => return Err(format!("unknown operator '{other}'")),
    };
    let value = match parse_u64(parts[2]) {
        Ok(n) => Value::Num(n as i64),
        Err(_) => parse_value(parts[2])?,
    };
    let offset = parse_value(parts[3])?;
    let mut bt = ByteTest {
        nbytes,
        negated,
        op,
        value,
        offset,
        relative: false,
        endian: Endian::Big,
        string: NumString::Binary,
        bitmask: None,
    };
    let mut string_seen = false;
    for p in &parts[4..] {
        match *p {
            "relative" => bt.relative = true,
            "string" => string_seen = true,
            _ => {
                if !parse_endian_string(p, &mut bt.endian, &mut bt.string, &mut bt.bitmask)? {
                    return Err(format!("unknown option '{p}'"));
                }
            }
        }
    }
    if string_seen && bt.string == NumString::Binary {
        bt.string = NumString::Dec;
    }
    check_nbytes(bt.nbytes, bt.string)?;
    Ok(bt)
}

fn parse_byte_jump(v: &str) -> Result<ByteJump, String> {
    let parts: Vec<&str> = v.split(',').map(str::trim).collect();
    if parts.len() < 2 {
        return Err("expected bytes,offset[,options]".into());
    }
    let nbytes: u8 = parts[0].parse().map_err(|_| format!("invalid byte count '{}'", parts[0]))?;
    let mut bj = ByteJump {
        nbytes,
        offset: parse_value(parts[1])?,
        relative: false,
        multiplier: 1,
        align: false,
        from_beginning: false,
        from_end: false,
        post_offset: 0,
        endian: Endian::Big,
        string: NumString::Binary,
        bitmask: None,
    };
    let mut string_seen = false;
    for p in &parts[2..] {
        match *p {
            "relative" => bj.relative = true,
            "align" => bj.align = true,
            "from_beginning" => bj.from_beginning = true,
            "from_end" => bj.from_end = true,
            "string" => string_seen = true,
            _ if p.starts_with("multiplier") => {
                bj.multiplier = p["multiplier".len()..].trim().parse().map_err(|_| format!("invalid '{p}'"))?;
            }
            _ if p.starts_with("post_offset") => {
                bj.post_offset = parse_i64(&p["post_offset".len()..])?;
            }
            _ => {
                if p.starts_with("bitmask") {
                    // Suricata 7.0 rejects bitmask on byte_jump.
                    return Err("byte_jump does not take a bitmask".into());
                }
                if !parse_endian_string(p, &mut bj.endian, &mut bj.string, &mut bj.bitmask)? {
                    return Err(format!("unknown option '{p}'"));
                }
            }
        }
    }
    if string_seen && bj.string == NumString::Binary {
        bj.string = NumString::Dec;
    }
    if bj.from_beginning && bj.from_end {
        return Err("from_beginning and from_end are exclusive".into());
    }
    // Suricata 7 loads `byte_jump:0,...`: nothing is read, the value is 0.
    if !(bj.nbytes == 0 && bj.string == NumString::Binary) {
        check_nbytes(bj.nbytes, bj.string)?;
    }
    Ok(bj)
}

fn parse_byte_extract(v: &str) -> Result<ByteExtract, String> {
    let parts: Vec<&str> = v.split(',').map(str::trim).collect();
    if parts.len() < 3 {
        return Err("expected bytes,offset,name[,options]".into());
    }
    let nbytes: u8 = parts[0].parse().map_err(|_| format!("invalid byte count '{}'", parts[0]))?;
    let offset = parse_i64(parts[1])?;
    let name = parts[2];
    let ok_name = take_while1::<_, _, nom::error::Error<&str>>(|c: char| c.is_ascii_alphanumeric() || c == '_')
        .parse(name)
        .map(|(rest, _)| rest.is_empty())
        .unwrap_or(false);
    if !ok_name || name.chars().next().is_some_and(|c| c.is_ascii_digit()) {
        return Err(format!("invalid variable name '{name}'"));
    }
    let mut be = ByteExtract {
        nbytes,
        offset,
        name: name.to_string(),
        relative: false,
        multiplier: 1,
        align: 0,
        endian: Endian::Big,
        string: NumString::Binary,
        bitmask: None,
    };
    let mut string_seen = false;
    for p in &parts[3..] {
        match *p {
            "relative" => be.relative = true,
            "string" => string_seen = true,
            _ if p.starts_with("multiplier") => {
                be.multiplier = p["multiplier".len()..].trim().parse().map_err(|_| format!("invalid '{p}'"))?;
            }
            _ if p.starts_with("align") => {
                be.align = p["align".len()..].trim().parse().map_err(|_| format!("invalid '{p}'"))?;
                if be.align != 2 && be.align != 4 {
                    return Err("align must be 2 or 4".into());
                }
            }
            _ => {
                if !parse_endian_string(p, &mut be.endian, &mut be.string, &mut be.bitmask)? {
                    return Err(format!("unknown option '{p}'"));
                }
            }
        }
    }
    if string_seen && be.string == NumString::Binary {
        be.string = NumString::Dec;
    }
    check_nbytes(be.nbytes, be.string)?;
    Ok(be)
}

fn parse_threshold(kw: &str, v: &str) -> Result<Threshold, String> {
    let mut kind = if kw == "detection_filter" { Some(ThresholdKind::DetectionFilter) } else { None };
    let mut track = None;
    let mut count = None;
    let mut seconds = None;
    for p in v.split(',').map(str::trim) {
        let (k, val) = p.split_once(char::is_whitespace).ok_or_else(|| format!("invalid part '{p}'"))?;
        let val = val.trim();
        match k {
            "type" if kw == "threshold" => {
                kind = Some(match val {
                    "limit" => ThresholdKind::Limit,
                    "threshold" => ThresholdKind::Threshold,
                    "both" => ThresholdKind::Both,
                    other => return Err(format!("unknown type '{other}'")),
                })
            }
            "track" => {
                track = Some(match val {
                    "by_src" => Track::BySrc,
                    "by_dst" => Track::ByDst,
                    "by_both" => Track::ByBoth,
                    "by_rule" => Track::ByRule,
                    "by_flow" => Track::ByFlow,
                    other => return Err(format!("unknown track '{other}'")),
                })
            }
            "count" => count = Some(val.parse::<u32>().map_err(|_| format!("invalid count '{val}'"))?),
            "seconds" => seconds = Some(val.parse::<u32>().map_err(|_| format!("invalid seconds '{val}'"))?),
            other => return Err(format!("unknown part '{other}'")),
        }
    }
    Ok(Threshold {
        kind: kind.ok_or("type is required")?,
        track: track.ok_or("track is required")?,
        count: count.ok_or("count is required")?,
        seconds: seconds.ok_or("seconds is required")?,
    })
}

fn parse_flags(v: &str) -> Result<TcpFlagsMatch, String> {
    let (main, ignore) = match v.split_once(',') {
        Some((m, i)) => (m.trim(), Some(i.trim())),
        None => (v.trim(), None),
    };
    let mut f = TcpFlagsMatch { set: 0, modifier: 0, ignore: 0 };
    let bit = |c: char| -> Result<u8, String> {
        Ok(match c.to_ascii_uppercase() {
            'F' => 0x01,
            'S' => 0x02,
            'R' => 0x04,
            'P' => 0x08,
            'A' => 0x10,
            'U' => 0x20,
            'E' | '2' => 0x40,
            'C' | '1' => 0x80,
            '0' => 0,
            other => return Err(format!("unknown flag '{other}'")),
        })
    };
    for c in main.chars() {
        match c {
            '+' | '*' | '!' => {
                if f.modifier != 0 {
                    return Err("more than one modifier".into());
                }
                f.modifier = c as u8;
            }
            _ => f.set |= bit(c)?,
        }
    }
    if let Some(ig) = ignore {
        for c in ig.chars() {
            f.ignore |= bit(c)?;
        }
    }
    Ok(f)
}

fn parse_fragbits(v: &str) -> Result<FragbitsMatch, String> {
    let mut f = FragbitsMatch { bits: 0, modifier: 0 };
    for c in v.trim().chars() {
        match c {
            'M' | 'm' => f.bits |= 1,
            'D' | 'd' => f.bits |= 2,
            'R' | 'r' => f.bits |= 4,
            '+' | '*' | '!' => f.modifier = c as u8,
            ' ' => {}
            other => return Err(format!("unknown fragbit '{other}'")),
        }
    }
    Ok(f)
}

/// Parses the value of `dataset` (`set,name, type string, load f`) or of
/// `datarep` (`name, >, 200, load f, type string`).
fn parse_dataset(rep: bool, v: &str) -> Result<DatasetSpec, String> {
    let mut parts = v.split(',').map(str::trim);
    let mut next = |what: &str| parts.next().filter(|p| !p.is_empty()).ok_or_else(|| format!("missing {what}"));
    let (cmd, name) = if rep {
        let name = next("set name")?.to_string();
        let op = next("operator")?;
        let value = next("value")?;
        if !matches!(op, ">" | "<" | ">=" | "<=" | "==") {
            return Err(format!("unknown operator '{op}'"));
        }
        let op = if op == "==" { "" } else { op };
        (DatasetCmd::Rep(parse_num(&format!("{op}{value}"), u16::MAX.into())?), name)
    } else {
        let cmd = match next("command")? {
            "set" => DatasetCmd::Set,
            "isset" => DatasetCmd::IsSet,
            "isnotset" => DatasetCmd::IsNotSet,
            "unset" => DatasetCmd::Unset,
            other => return Err(format!("unknown command '{other}'")),
        };
        (cmd, next("set name")?.to_string())
    };
    if name.len() > 63 || !name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
        return Err(format!("invalid set name '{name}'"));
    }
    let mut spec = DatasetSpec { cmd, name, dtype: None, load: None, state: None, save: None, memcap: None };
    for opt in parts {
        let (k, val) = opt.split_once(char::is_whitespace).map_or((opt, ""), |(k, v)| (k, v.trim()));
        if val.is_empty() {
            return Err(format!("option '{k}' needs a value"));
        }
        match k {
            "type" => {
                spec.dtype = Some(match val {
                    "string" => DatasetType::String,
                    "md5" => DatasetType::Md5,
                    "sha256" => DatasetType::Sha256,
                    "ipv4" => DatasetType::Ipv4,
                    "ip" | "ipv6" => DatasetType::Ip,
                    other => return Err(format!("unknown type '{other}'")),
                });
            }
            "load" => spec.load = Some(val.to_string()),
            "state" => spec.state = Some(val.to_string()),
            "save" => spec.save = Some(val.to_string()),
            "memcap" => {
                spec.memcap = Some(super::numeric::parse_size(val).ok_or_else(|| format!("invalid size '{val}'"))?);
            }
            "hashsize" => {
                val.parse::<u32>().map_err(|_| format!("invalid hashsize '{val}'"))?;
            }
            other => return Err(format!("unknown option '{other}'")),
        }
    }
    if spec.state.is_some() && (spec.load.is_some() || spec.save.is_some()) {
        return Err("'state' cannot be combined with 'load' or 'save'".into());
    }
    Ok(spec)
}
