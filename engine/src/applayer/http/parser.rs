//! Pure HTTP/1.x parsing: start lines, header blocks, chunk sizes, the
//! `Host` header and request URIs. Bytes in, owned values out; no state.
//!
//! The semantics are libhtp 0.5's as Suricata 7 configures it by default
//! (personality `IDS`, `double-decode-*: no`, `query-plusspace-decode: no`):
//! lenient start lines split on whitespace, header values trimmed of SP/HT,
//! a header line without a colon kept as a header with an empty name, folded
//! lines appended to the previous one. Where this file departs from libhtp,
//! the function says so.
//!
//! Nothing here panics on any input: every index is checked against the
//! length first.

use std::ops::Range;

/// SP or HT (libhtp `htp_is_lws`).
fn is_lws(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

/// C `isspace` in the C locale (libhtp `htp_is_space`).
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// Strips one trailing LF and a CR before it (libhtp `htp_chomp` on a line
/// holding a single LF).
pub(super) fn chomp(line: &[u8]) -> &[u8] {
    let mut l = line;
    if let [rest @ .., b'\n'] = l {
        l = rest;
        if let [rest @ .., b'\r'] = l {
            l = rest;
        }
    }
    l
}

/// True for a line that only ends a header block or is skipped between
/// messages: `\n` or `\r\n` (libhtp `htp_is_line_empty`).
pub(super) fn is_blank_line(raw: &[u8]) -> bool {
    raw == b"\n" || raw == b"\r\n"
}

/// A parsed request line. `protocol: None` is an HTTP/0.9 request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct RequestLine {
    /// Method, possibly empty.
    pub method: Vec<u8>,
    /// Request target as sent; `None` when the line holds a method only.
    pub uri: Option<Vec<u8>>,
    /// Protocol string up to the end of the line, trailing blanks kept.
    pub protocol: Option<Vec<u8>>,
}

/// Splits a request line (without its line ending) the way libhtp's generic
/// parser does: leading whitespace skipped (IDS personality), the method
/// ends at whitespace, the URI at the first SP (or at other whitespace when
/// there is no SP at all), the protocol runs to the end of the line.
pub(super) fn parse_request_line(line: &[u8]) -> RequestLine {
    let len = line.len();
    let mut pos = 0;
    while pos < len && is_space(line[pos]) {
        pos += 1;
    }
    let mstart = pos;
    while pos < len && !is_space(line[pos]) {
        pos += 1;
    }
    let method = line[mstart..pos].to_vec();
    while pos < len && is_space(line[pos]) {
        pos += 1;
    }
    if pos == len {
        return RequestLine { method, uri: None, protocol: None };
    }
    let start = pos;
    let mut bad_delim = false;
    while pos < len && line[pos] != b' ' {
        bad_delim |= is_space(line[pos]);
        pos += 1;
    }
    if bad_delim && pos == len {
        // No SP at all: any whitespace delimits, as Apache does.
        pos = start;
        while pos < len && !is_space(line[pos]) {
            pos += 1;
        }
    }
    let uri = Some(line[start..pos].to_vec());
    while pos < len && is_space(line[pos]) {
        pos += 1;
    }
    let protocol = (pos < len).then(|| line[pos..].to_vec());
    RequestLine { method, uri, protocol }
}

/// A parsed status line; absent parts are `None`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct StatusLine {
    /// `HTTP/1.1`.
    pub protocol: Option<Vec<u8>>,
    /// Status code text (`200`), whatever it holds.
    pub status: Option<Vec<u8>>,
    /// Reason phrase to the end of the line, trailing blanks kept.
    pub message: Option<Vec<u8>>,
}

/// Splits a status line (without its line ending) as libhtp's generic
/// parser does: protocol, status token, then the rest as the message. A
/// missing reason phrase is fine.
pub(super) fn parse_status_line(line: &[u8]) -> StatusLine {
    let len = line.len();
    let mut out = StatusLine::default();
    let mut pos = 0;
    while pos < len && is_space(line[pos]) {
        pos += 1;
    }
    let start = pos;
    while pos < len && !is_space(line[pos]) {
        pos += 1;
    }
    if pos == start {
        return out;
    }
    out.protocol = Some(line[start..pos].to_vec());
    while pos < len && is_space(line[pos]) {
        pos += 1;
    }
    let start = pos;
    while pos < len && !is_space(line[pos]) {
        pos += 1;
    }
    if pos == start {
        return out;
    }
    out.status = Some(line[start..pos].to_vec());
    while pos < len && is_space(line[pos]) {
        pos += 1;
    }
    if pos < len {
        out.message = Some(line[pos..].to_vec());
    }
    out
}

/// The status as a number when it is a valid code, 100..=999, blanks
/// around allowed (libhtp `htp_parse_status`).
pub(super) fn status_number(status: &[u8]) -> Option<u16> {
    match parse_positive_lws(status, 10) {
        Some(n @ 100..=999) => Some(n as u16),
        _ => None,
    }
}

/// The status as Suricata 7's EVE writes it: C `strtoul` of the status text
/// truncated to 32 bits (`"abc"` gives 0, `"200x"` gives 200).
pub(super) fn status_strtoul(status: &[u8]) -> u32 {
    let mut pos = 0;
    while pos < status.len() && is_space(status[pos]) {
        pos += 1;
    }
    let mut neg = false;
    if let Some(&c) = status.get(pos) {
        if c == b'+' || c == b'-' {
            neg = c == b'-';
            pos += 1;
        }
    }
    let mut v: u64 = 0;
    for &c in &status[pos.min(status.len())..] {
        if !c.is_ascii_digit() {
            break;
        }
        v = v.saturating_mul(10).saturating_add(u64::from(c - b'0'));
    }
    if neg {
        v = v.wrapping_neg();
    }
    v as u32
}

/// True unless the line starts (after blanks and NULs) with `http`, any
/// case: browsers, and libhtp, take such a "status line" as body data.
pub(super) fn treat_response_line_as_body(line: &[u8]) -> bool {
    let mut pos = 0;
    while pos < line.len() && (is_space(line[pos]) || line[pos] == 0) {
        pos += 1;
    }
    match line.get(pos..pos + 4) {
        Some(p) => !p.eq_ignore_ascii_case(b"http"),
        None => true,
    }
}

/// Whether a line (with or without its line ending) looks like the start of
/// a request: `METHOD SP target SP HTTP/d.d`. Used to resynchronise after a
/// gap, where any other line is skipped.
pub(super) fn looks_like_request_line(raw: &[u8]) -> bool {
    let line = chomp(raw);
    let Some(sp) = line.iter().position(|&c| c == b' ') else {
        return false;
    };
    let method = &line[..sp];
    if method.is_empty()
        || method.len() > 32
        || !method.iter().all(|&c| c.is_ascii_uppercase() || c == b'-' || c == b'_')
    {
        return false;
    }
    let rest = &line[sp + 1..];
    let Some(last_sp) = rest.iter().rposition(|&c| c == b' ') else {
        return false;
    };
    if last_sp == 0 {
        return false;
    }
    is_http_version(&rest[last_sp + 1..])
}

/// Whether a line looks like a status line: `HTTP/d.d SP ddd`.
pub(super) fn looks_like_status_line(raw: &[u8]) -> bool {
    let line = chomp(raw);
    line.len() >= 12 && is_http_version(&line[..8]) && line[8] == b' ' && line[9..12].iter().all(u8::is_ascii_digit)
}

fn is_http_version(p: &[u8]) -> bool {
    p.len() == 8 && p.starts_with(b"HTTP/") && p[5].is_ascii_digit() && p[6] == b'.' && p[7].is_ascii_digit()
}

/// libhtp `htp_parse_positive_integer_whitespace`: SP/HT, digits in `base`,
/// SP/HT, nothing else. `None` for no digits, junk or overflow.
pub(super) fn parse_positive_lws(data: &[u8], base: u32) -> Option<u64> {
    let mut pos = 0;
    while pos < data.len() && is_lws(data[pos]) {
        pos += 1;
    }
    let start = pos;
    let mut v: u64 = 0;
    while pos < data.len() {
        let Some(d) = (data[pos] as char).to_digit(base) else {
            break;
        };
        v = v.checked_mul(u64::from(base))?.checked_add(u64::from(d))?;
        pos += 1;
    }
    if pos == start {
        return None;
    }
    data[pos..].iter().all(|&c| is_lws(c)).then_some(v)
}

/// `Content-Length` value (libhtp `htp_parse_content_length`).
pub(super) fn parse_content_length(v: &[u8]) -> Option<u64> {
    parse_positive_lws(v, 10)
}

/// What a response `Content-Encoding` value says about its layers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct CodingCheck {
    /// More codings than `limit`: libhtp stops reading the list there.
    pub too_many: bool,
    /// A coding within the limit that is not exactly `gzip`, `x-gzip`,
    /// `deflate`, `x-deflate` or `lzma` (any case): `identity` and `br`
    /// included, as libhtp reports them.
    pub abnormal: bool,
}

/// Walks a response `Content-Encoding` value as libhtp 0.5 does (observed
/// on Suricata 7.0.10, whose limit is 2): tokens are separated by `,` or
/// space, and after each token the walk resumes one byte past the token's
/// end counted from where the search for it began, not from the token.
/// Separators skipped before a token are thus read again, so `gzip,  gzip`
/// and `gzip , gzip` count three codings (`gzip`, `gzip`, `p`), and
/// `gzip, gzip` or `gzip,,gzip,` two. The walk stops at the first coding
/// over `limit`.
pub(super) fn check_content_encoding(v: &[u8], limit: usize) -> CodingCheck {
    let is_sep = |c: &u8| *c == b',' || *c == b' ';
    let mut out = CodingCheck::default();
    let mut rest = v;
    let mut layers = 0;
    while let Some(start) = rest.iter().position(|c| !is_sep(c)) {
        let len = rest[start..].iter().position(is_sep).unwrap_or(rest.len() - start);
        let token = &rest[start..start + len];
        layers += 1;
        if layers > limit {
            out.too_many = true;
            break;
        }
        let known = [&b"gzip"[..], b"x-gzip", b"deflate", b"x-deflate", b"lzma"];
        if !known.iter().any(|k| token.eq_ignore_ascii_case(k)) {
            out.abnormal = true;
        }
        rest = &rest[(len + 1).min(rest.len())..];
    }
    out
}

/// The `filename` parameter of a `Content-Disposition` value
/// (`attachment; filename="r.pdf"`), quotes removed, as Suricata names a
/// downloaded file by it. Parameters are `;`-separated `name=value` pairs;
/// the name is matched in any case, and `filename*` (RFC 5987) is not
/// read.
pub(super) fn disposition_filename(v: &[u8]) -> Option<Vec<u8>> {
    v.split(|&c| c == b';').find_map(|param| {
        let param = param.trim_ascii();
        let eq = param.iter().position(|&c| c == b'=')?;
        if !param[..eq].trim_ascii().eq_ignore_ascii_case(b"filename") {
            return None;
        }
        let value = param[eq + 1..].trim_ascii();
        let value = match value.strip_prefix(b"\"") {
            Some(rest) => rest.strip_suffix(b"\"").unwrap_or(rest),
            None => value,
        };
        (!value.is_empty()).then(|| value.to_vec())
    })
}

/// True when an `Authorization` value names a scheme libhtp knows:
/// `Basic`, `Digest` or `Bearer`, compared on the first bytes in any case
/// after leading blanks (Suricata 7.0.10 takes `Basicx` as Basic and an
/// empty value as unrecognized).
pub(super) fn auth_scheme_known(v: &[u8]) -> bool {
    let v = trim_lws(v);
    [&b"basic"[..], b"digest", b"bearer"].iter().any(|s| v.len() >= s.len() && v[..s.len()].eq_ignore_ascii_case(s))
}

/// What a chunk-size line holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ChunkLen {
    /// Size of the next chunk; 0 is the last chunk.
    Len(u64),
    /// A line of blanks only: libhtp skips it.
    Empty,
    /// Not a hex size, or larger than `i32::MAX` as libhtp allows.
    Invalid,
}

/// Parses a chunk-size line (without its line ending) as libhtp 0.5.4x:
/// leading CR/LF/blanks skipped, the longest run of hex digits is the size
/// and whatever follows (`;ext=1`, junk) is ignored.
pub(super) fn parse_chunk_len(line: &[u8]) -> ChunkLen {
    let mut pos = 0;
    while pos < line.len() && matches!(line[pos], b'\r' | b'\n' | b' ' | b'\t' | 0x0b | 0x0c) {
        pos += 1;
    }
    if pos == line.len() {
        return ChunkLen::Empty;
    }
    let digits = line[pos..].iter().take_while(|c| c.is_ascii_hexdigit()).count();
    match parse_positive_lws(&line[pos..pos + digits], 16) {
        Some(n) if n <= i32::MAX as u64 => ChunkLen::Len(n),
        _ => ChunkLen::Invalid,
    }
}

/// One header as found on the wire, value trimmed of SP/HT.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Header {
    /// Name as sent (empty for a line without a colon).
    pub name: Vec<u8>,
    /// Value with surrounding SP/HT removed.
    pub value: Vec<u8>,
}

/// The headers of a block and what was odd about them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct HeaderLines {
    /// Headers in wire order, before duplicates are merged.
    pub headers: Vec<Header>,
    /// A line had an empty name, or a name that is not a token.
    pub invalid: bool,
    /// A line had no colon at all (libhtp's "missing colon", an event of
    /// its own).
    pub missing_colon: bool,
    /// A continuation line (starting with SP/HT) was folded into the
    /// previous one.
    pub folded: bool,
}

/// How many headers the httparse fast path takes before falling back to
/// the lenient splitter (which has no such limit of its own).
const FAST_PATH_HEADERS: usize = 64;

/// Parses a header block: header lines, normally followed by the blank
/// line that ends them. httparse handles well-formed blocks; anything it
/// rejects (folding, a line without a colon, a blank before the colon, a
/// bare CR, more than [`FAST_PATH_HEADERS`] headers, a truncated block) goes
/// through [`parse_headers_lenient`], which follows libhtp. Both give the
/// same result on what httparse accepts.
pub(super) fn parse_headers(block: &[u8]) -> HeaderLines {
    let mut slots = [httparse::EMPTY_HEADER; FAST_PATH_HEADERS];
    match httparse::parse_headers(block, &mut slots) {
        Ok(httparse::Status::Complete((_, hs))) => HeaderLines {
            headers: hs
                .iter()
                .map(|h| Header { name: h.name.as_bytes().to_vec(), value: trim_lws(h.value).to_vec() })
                .collect(),
            invalid: false,
            missing_colon: false,
            folded: false,
        },
        _ => parse_headers_lenient(block),
    }
}

/// The libhtp way of reading header lines; see [`parse_headers`]. Stops
/// at the first blank line; a last line without LF is ignored.
pub(super) fn parse_headers_lenient(block: &[u8]) -> HeaderLines {
    let mut out = HeaderLines::default();
    let mut pending: Option<Vec<u8>> = None;
    for raw in block.split_inclusive(|&c| c == b'\n') {
        if raw.last() != Some(&b'\n') {
            break;
        }
        if is_blank_line(raw) {
            break;
        }
        let line = chomp(raw);
        match (line.first(), pending.as_mut()) {
            (Some(&c), Some(prev)) if is_lws(c) => {
                prev.extend_from_slice(line);
                out.folded = true;
            }
            _ => {
                if let Some(prev) = pending.take() {
                    push_header_line(&mut out, &prev);
                }
                pending = Some(line.to_vec());
            }
        }
    }
    if let Some(prev) = pending {
        push_header_line(&mut out, &prev);
    }
    out
}

fn push_header_line(out: &mut HeaderLines, line: &[u8]) {
    let (name, value, invalid) = split_header_line(line);
    if line.contains(&b':') {
        out.invalid |= invalid;
    } else {
        out.missing_colon = true;
    }
    out.headers.push(Header { name: name.to_vec(), value: value.to_vec() });
}

/// libhtp `htp_parse_request_header_generic`: name before the first colon
/// with trailing blanks removed, value after it trimmed. Without a colon
/// the name is empty and the whole line is the value.
fn split_header_line(line: &[u8]) -> (&[u8], &[u8], bool) {
    match line.iter().position(|&c| c == b':') {
        None => (&[], trim_lws(line), true),
        Some(colon) => {
            let raw_name = &line[..colon];
            let name = trim_end_lws(raw_name);
            let invalid = name.is_empty() || name.len() != raw_name.len() || !name.iter().all(|&c| is_token(c));
            (name, trim_lws(&line[colon + 1..]), invalid)
        }
    }
}

fn is_token(c: u8) -> bool {
    (33..=126).contains(&c) && !b"()<>@,;:\\\"/[]?={} \t".contains(&c)
}

fn trim_end_lws(mut s: &[u8]) -> &[u8] {
    while let [rest @ .., c] = s {
        if !is_lws(*c) {
            break;
        }
        s = rest;
    }
    s
}

fn trim_lws(mut s: &[u8]) -> &[u8] {
    while let [c, rest @ ..] = s {
        if !is_lws(*c) {
            break;
        }
        s = rest;
    }
    trim_end_lws(s)
}

fn trim_space(mut s: &[u8]) -> &[u8] {
    while let [c, rest @ ..] = s {
        if !is_space(*c) {
            break;
        }
        s = rest;
    }
    while let [rest @ .., c] = s {
        if !is_space(*c) {
            break;
        }
        s = rest;
    }
    s
}

/// Host and port from a `Host` header value (libhtp `htp_parse_hostport`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct HostPort {
    /// Host; lowercased only when no port follows, as libhtp does.
    pub host: Option<Vec<u8>>,
    /// Port 1..=65535, or -1 when absent or invalid.
    pub port: i32,
    /// Empty value, unterminated IPv6 literal or bad port.
    pub invalid: bool,
}

/// Parses `host[:port]` or `[v6]:port`. As in libhtp 0.5, the host is
/// lowercased only when there is no port (`EXAMPLE.com:80` keeps its case,
/// which Suricata 7's `http.host` then shows), and trailing dots stay.
pub(super) fn parse_hostport(value: &[u8]) -> HostPort {
    let data = trim_space(value);
    let mut out = HostPort { host: None, port: -1, invalid: false };
    if data.is_empty() {
        out.invalid = true;
        return out;
    }
    if data[0] == b'[' {
        let Some(end) = data.iter().position(|&c| c == b']') else {
            out.invalid = true;
            return out;
        };
        out.host = Some(data[..=end].to_vec());
        match data.get(end + 1) {
            None => {}
            Some(b':') => (out.port, out.invalid) = parse_port(&data[end + 2..]),
            Some(_) => out.invalid = true,
        }
        return out;
    }
    match data.iter().position(|&c| c == b':') {
        None => {
            out.invalid = !valid_hostname(data);
            out.host = Some(data.to_ascii_lowercase());
        }
        Some(colon) => {
            let mut host = &data[..colon];
            while let [rest @ .., c] = host {
                if !is_space(*c) {
                    break;
                }
                host = rest;
            }
            out.host = Some(host.to_vec());
            (out.port, out.invalid) = parse_port(&data[colon + 1..]);
            out.invalid |= !valid_hostname(host);
        }
    }
    out
}

/// A host name as libhtp accepts it (observed on Suricata 7.0.10, whose
/// `request_header_host_invalid` fires otherwise): at most 255 bytes of
/// letters, digits, `-` and `_` in dot-separated labels of 1 to 63 bytes;
/// a single trailing dot is allowed (`a.`), an empty label elsewhere is not
/// (`a..b`, `.a`).
pub(super) fn valid_hostname(h: &[u8]) -> bool {
    if h.is_empty() || h.len() > 255 {
        return false;
    }
    let h = h.strip_suffix(b".").unwrap_or(h);
    h.split(|&c| c == b'.').all(|label| {
        (1..=63).contains(&label.len()) && label.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
    })
}

/// True when a request `Transfer-Encoding` names `chunked` as one of its
/// comma- or blank-separated codings (any case). Suricata 7.0.10 raises
/// `invalid_transfer_encoding_value_in_request` otherwise (`gzip`,
/// `chunkedx`), not for `gzip, chunked` or `chunked, chunked`.
pub(super) fn has_chunked_token(te: &[u8]) -> bool {
    te.split(|&c| c == b',' || is_space(c)).any(|t| t.eq_ignore_ascii_case(b"chunked"))
}

/// True when a protocol string is one libhtp recognizes: `HTTP/0.9`,
/// `HTTP/1.0` or `HTTP/1.1`, exactly. A response with another one
/// (`HTTP/1.10`, `http/1.1`, `HTTP`) raises `response_invalid_protocol` on
/// Suricata 7.0.10.
pub(super) fn known_protocol(p: &[u8]) -> bool {
    matches!(p, b"HTTP/0.9" | b"HTTP/1.0" | b"HTTP/1.1")
}

/// Port number and whether it was invalid.
fn parse_port(p: &[u8]) -> (i32, bool) {
    match parse_positive_lws(p, 10) {
        Some(n @ 1..=65535) => (n as i32, false),
        _ => (-1, true),
    }
}

/// The parts of a request target, as slices of it (libhtp `htp_parse_uri`,
/// which makes no attempt to validate).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct UriParts {
    /// Scheme, when the target does not start with `/` and has a colon.
    pub scheme: Option<Range<usize>>,
    /// User name from `user[:pass]@`.
    pub username: Option<Range<usize>>,
    /// Password.
    pub password: Option<Range<usize>>,
    /// Host of an absolute URI.
    pub hostname: Option<Range<usize>>,
    /// Port text of an absolute URI.
    pub port: Option<Range<usize>>,
    /// Path (always present for a non-empty target, possibly empty).
    pub path: Option<Range<usize>>,
    /// Query after `?`.
    pub query: Option<Range<usize>>,
    /// Fragment after `#`.
    pub fragment: Option<Range<usize>>,
}

/// Splits a request target like libhtp: a scheme when it does not start
/// with `/`, an authority after the scheme's `//`, then path, `?query` and
/// `#fragment`.
pub(super) fn parse_uri(data: &[u8]) -> UriParts {
    let mut u = UriParts::default();
    let len = data.len();
    if len == 0 {
        return u;
    }
    let mut pos = 0;
    if data[0] != b'/' {
        if let Some(colon) = data.iter().position(|&c| c == b':') {
            u.scheme = Some(0..colon);
            pos = colon + 1;
        }
    }
    if u.scheme.is_some() && pos + 2 < len && data[pos] == b'/' && data[pos + 1] == b'/' && data[pos + 2] != b'/' {
        let start = pos + 2;
        pos = start;
        while pos < len && !matches!(data[pos], b'?' | b'/' | b'#') {
            pos += 1;
        }
        let mut host_start = start;
        if let Some(at) = data[start..pos].iter().position(|&c| c == b'@') {
            let cred = start..start + at;
            host_start = start + at + 1;
            match data[cred.clone()].iter().position(|&c| c == b':') {
                Some(c) => {
                    u.username = Some(cred.start..cred.start + c);
                    u.password = Some(cred.start + c + 1..cred.end);
                }
                None => u.username = Some(cred),
            }
        }
        let host = host_start..pos;
        if !host.is_empty() && data[host.start] == b'[' {
            match data[host.clone()].iter().position(|&c| c == b']') {
                None => u.hostname = Some(host),
                Some(close) => {
                    let after = host.start + close + 1;
                    u.hostname = Some(host.start..after);
                    if let Some(c) = data[after..host.end].iter().position(|&c| c == b':') {
                        u.port = Some(after + c + 1..host.end);
                    }
                }
            }
        } else {
            match data[host.clone()].iter().position(|&c| c == b':') {
                Some(c) => {
                    u.hostname = Some(host.start..host.start + c);
                    u.port = Some(host.start + c + 1..host.end);
                }
                None => u.hostname = Some(host),
            }
        }
    }
    let start = pos;
    while pos < len && data[pos] != b'?' && data[pos] != b'#' {
        pos += 1;
    }
    u.path = Some(start..pos);
    if pos < len && data[pos] == b'?' {
        let start = pos + 1;
        while pos < len && data[pos] != b'#' {
            pos += 1;
        }
        u.query = Some(start..pos);
    }
    if pos < len && data[pos] == b'#' {
        u.fragment = Some(pos + 1..len);
    }
    u
}

/// The normalized form of a request target and what it says of the host.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct NormalizedUri {
    /// `http.uri`: normalized path, `?` and decoded query, `#` and fragment.
    pub uri: Vec<u8>,
    /// Host of an absolute URI: URL-decoded, lowercased, trailing dots
    /// removed.
    pub hostname: Option<Vec<u8>>,
    /// Port of an absolute URI; -1 when absent or invalid.
    pub port: i32,
    /// An absolute URI whose host name or port is invalid
    /// ([`valid_hostname`], a port outside 1-65535): Suricata's
    /// `request_uri_host_invalid`.
    pub host_invalid: bool,
}

/// Normalizes a request target the way Suricata 7 builds `http.uri`
/// (`SCHTPGenerateNormalizedUri` over libhtp's `htp_normalize_parsed_uri`,
/// `uri-include-all: no`):
///
/// * path: `%HH` and `%uHHHH` decoded (encoded `/` too), `\` turned into `/`,
///   runs of `/` collapsed, UTF-8 turned into single bytes by best fit
///   ([`bestfit`]), then dot segments removed (RFC 3986 5.2.4 as libhtp
///   implements it: `/a/b/.` gives `/a/b`); case is kept;
/// * query: every valid `%HH` decoded, `+` kept, `%uHHHH` and invalid
///   escapes kept as they are;
/// * fragment: URL-decoded;
/// * scheme, credentials, host and port of an absolute URI are left out.
///
/// Checked against Suricata 7.0.10 on: `/a/./b/../c//d%2fe%41%7e%20%u0041\f?x=%41+%2f%zz#frag`
/// gives `/a/c/d/eA~ A/f?x=A+/%zz#frag`, and the cases in this file's tests.
pub(super) fn normalize_uri(raw: &[u8]) -> NormalizedUri {
    let parts = parse_uri(raw);
    let get = |r: &Option<Range<usize>>| r.clone().map(|r| &raw[r]);
    let mut uri = Vec::with_capacity(raw.len());
    if let Some(path) = get(&parts.path) {
        let decoded = utf8_bestfit(&decode_path(path));
        uri.extend_from_slice(&remove_dot_segments(decoded));
    }
    if let Some(q) = get(&parts.query) {
        uri.push(b'?');
        uri.extend_from_slice(&url_decode(q, false));
    }
    if let Some(f) = get(&parts.fragment) {
        uri.push(b'#');
        uri.extend_from_slice(&url_decode(f, true));
    }
    let hostname = get(&parts.hostname).map(|h| {
        let mut h = url_decode(h, true);
        h.make_ascii_lowercase();
        while h.last() == Some(&b'.') {
            h.pop();
        }
        h
    });
    let (port, port_invalid) = match get(&parts.port) {
        Some(p) => parse_port(p),
        None => (-1, false),
    };
    let host_invalid = port_invalid || hostname.as_deref().is_some_and(|h| !h.starts_with(b"[") && !valid_hostname(h));
    NormalizedUri { uri, hostname, port, host_invalid }
}

/// libhtp `x2c`: two hex digits (already checked) to a byte.
fn x2c(h: u8, l: u8) -> u8 {
    let v = |c: u8| (c as char).to_digit(16).unwrap_or(0) as u8;
    (v(h) << 4) | v(l)
}

fn all_hex(s: &[u8]) -> bool {
    s.iter().all(u8::is_ascii_hexdigit)
}

/// Decodes `%HH`/`%uHHHH`, converts `\` to `/` and collapses runs of `/`
/// (libhtp `htp_decode_path_inplace` with the IDS personality; invalid
/// escapes keep their `%`).
fn decode_path(p: &[u8]) -> Vec<u8> {
    let len = p.len();
    let mut out = Vec::with_capacity(len);
    let mut r = 0;
    let mut prev_sep = false;
    while r < len {
        let mut c = p[r];
        if c == b'%' {
            if r + 2 < len {
                if p[r + 1] == b'u' || p[r + 1] == b'U' {
                    if r + 5 < len && all_hex(&p[r + 2..r + 6]) {
                        c = decode_u(&p[r + 2..r + 6]);
                        r += 6;
                    } else {
                        r += 1;
                    }
                } else if all_hex(&p[r + 1..r + 3]) {
                    c = x2c(p[r + 1], p[r + 2]);
                    r += 3;
                } else {
                    r += 1;
                }
            } else {
                r += 1;
            }
        } else {
            r += 1;
        }
        if c == b'\\' {
            c = b'/';
        }
        if c == b'/' {
            if !prev_sep {
                out.push(c);
            }
            prev_sep = true;
        } else {
            out.push(c);
            prev_sep = false;
        }
    }
    out
}

/// `%uHHHH` (the four digits) to one byte: `%u00HH` is `HH`, anything else
/// goes through [`bestfit`].
fn decode_u(d: &[u8]) -> u8 {
    let c1 = x2c(d[0], d[1]);
    let c2 = x2c(d[2], d[3]);
    if c1 == 0 {
        c2
    } else {
        bestfit((u32::from(c1) << 8) | u32::from(c2))
    }
}

/// URL-decodes a query (`u_escapes: false`) or a fragment or host
/// (`u_escapes: true`, which also decodes `%uHHHH`), libhtp
/// `htp_urldecode_inplace_ex`: invalid escapes keep their `%`, `+` stays.
fn url_decode(s: &[u8], u_escapes: bool) -> Vec<u8> {
    let len = s.len();
    let mut out = Vec::with_capacity(len);
    let mut r = 0;
    while r < len {
        let mut c = s[r];
        if c == b'%' {
            if r + 2 < len {
                if u_escapes && (s[r + 1] == b'u' || s[r + 1] == b'U') {
                    if r + 5 < len && all_hex(&s[r + 2..r + 6]) {
                        c = decode_u(&s[r + 2..r + 6]);
                        r += 6;
                    } else {
                        r += 1;
                    }
                } else if all_hex(&s[r + 1..r + 3]) {
                    c = x2c(s[r + 1], s[r + 2]);
                    r += 3;
                } else {
                    r += 1;
                }
            } else {
                r += 1;
            }
        } else {
            r += 1;
        }
        out.push(c);
    }
    out
}

/// Best-fit mapping of a code point to one byte, as libhtp's default
/// table (Windows best fit for code page 1252) does for the path. Code
/// points below 0x100 map to themselves, unknown ones to `?`.
///
/// Only part of libhtp's table is here: the full-width ASCII forms
/// (U+FF01..=U+FF5E, e.g. `%uFF0E` is `.`) and the entries below, each
/// checked against Suricata 7.0.10. libhtp maps more code points (most of
/// Latin Extended-A to base letters, for example); here those give `?`.
pub(super) fn bestfit(cp: u32) -> u8 {
    if cp < 0x100 {
        return cp as u8;
    }
    if (0xff01..=0xff5e).contains(&cp) {
        return (cp - 0xff01 + 0x21) as u8;
    }
    const TABLE: &[(u32, u8)] = &[
        (0x0100, b'A'),
        (0x0131, b'i'),
        (0x0141, b'L'),
        (0x01c3, b'!'),
        (0x02b9, b'\''),
        (0x02ba, b'"'),
        (0x02bc, b'\''),
        (0x02c4, b'^'),
        (0x02c8, b'\''),
        (0x02cb, b'`'),
        (0x02cd, b'_'),
        (0x0300, b'`'),
        (0x0302, b'^'),
        (0x0303, b'~'),
        (0x030e, b'"'),
        (0x0589, b':'),
        (0x2000, b' '),
        (0x2010, b'-'),
        (0x2011, b'-'),
        (0x2017, b'='),
        (0x2032, b'\''),
        (0x2035, b'`'),
        (0x2044, b'/'),
        (0x2080, b'0'),
        (0x2212, b'-'),
        (0x2215, b'/'),
        (0x2216, b'/'),
        (0x221e, b'8'),
        (0x2223, b'|'),
        (0x2236, b':'),
        (0x2264, b'='),
        (0x2329, b'<'),
        (0x3000, b' '),
        (0x3008, b'<'),
    ];
    match TABLE.binary_search_by_key(&cp, |&(k, _)| k) {
        Ok(i) => TABLE[i].1,
        Err(_) => b'?',
    }
}

/// Turns UTF-8 sequences (overlong forms accepted) into single bytes by
/// [`bestfit`]; an invalid byte becomes `?`, an unfinished sequence at the
/// end is dropped (libhtp `htp_utf8_decode_path_inplace`). ASCII-only
/// input comes back unchanged.
fn utf8_bestfit(p: &[u8]) -> Vec<u8> {
    if p.is_ascii() {
        return p.to_vec();
    }
    let mut out = Vec::with_capacity(p.len());
    let mut r = 0;
    let mut need = 0u8;
    let mut cp = 0u32;
    let mut counter = 0u32;
    while r < p.len() {
        let b = p[r];
        counter += 1;
        let reject = if need == 0 {
            match b {
                0x00..=0x7f => {
                    out.push(b);
                    r += 1;
                    counter = 0;
                    continue;
                }
                0xc0..=0xdf => (need, cp) = (1, u32::from(b & 0x1f)),
                0xe0..=0xef => (need, cp) = (2, u32::from(b & 0x0f)),
                0xf0..=0xf7 => (need, cp) = (3, u32::from(b & 0x07)),
                _ => {}
            }
            need == 0
        } else if (0x80..=0xbf).contains(&b) {
            cp = (cp << 6) | u32::from(b & 0x3f);
            need -= 1;
            if need == 0 {
                out.push(bestfit(cp));
                r += 1;
                counter = 0;
                continue;
            }
            false
        } else {
            true
        };
        if reject {
            out.push(b'?');
            if counter == 1 {
                r += 1;
            }
            need = 0;
            cp = 0;
            counter = 0;
        } else {
            r += 1;
        }
    }
    out
}

/// Removes `.` and `..` segments, a byte-exact port of libhtp's
/// `htp_normalize_uri_path_inplace` (RFC 3986 5.2.4 with libhtp's quirks:
/// a trailing `/.` or `/..` leaves no trailing slash, `../x` gives `x`).
fn remove_dot_segments(mut d: Vec<u8>) -> Vec<u8> {
    let len = d.len();
    let (mut r, mut w) = (0usize, 0usize);
    let mut c: Option<u8> = None;
    while r < len && w < len {
        let cur = match c {
            Some(x) => x,
            None => {
                r += 1;
                d[r - 1]
            }
        };
        c = Some(cur);
        if cur == b'.' {
            if r + 1 < len && d[r] == b'.' && d[r + 1] == b'/' {
                c = None;
                r += 2;
                continue;
            } else if r < len && d[r] == b'/' {
                c = None;
                r += 1;
                continue;
            }
        }
        if cur == b'/' {
            if r + 1 < len && d[r] == b'.' && d[r + 1] == b'/' {
                r += 2;
                continue;
            } else if r + 1 == len && d[r] == b'.' {
                r += 1;
                continue;
            }
            let dotdot_slash = r + 2 < len && d[r] == b'.' && d[r + 1] == b'.' && d[r + 2] == b'/';
            let dotdot_end = r + 2 == len && d[r] == b'.' && d[r + 1] == b'.';
            if dotdot_slash || dotdot_end {
                r += if dotdot_slash { 3 } else { 2 };
                while w > 0 && d[w - 1] != b'/' {
                    w -= 1;
                }
                w = w.saturating_sub(1);
                continue;
            }
        }
        if cur == b'.' && r == len {
            r += 1;
            continue;
        }
        if cur == b'.' && r + 1 == len && d[r] == b'.' {
            r += 2;
            continue;
        }
        d[w] = cur;
        w += 1;
        while r < len && d[r] != b'/' && w < len {
            d[w] = d[r];
            w += 1;
            r += 1;
        }
        c = None;
    }
    d.truncate(w);
    d
}

/// `Content-Range` split as Suricata's `http2_parse_content_range` does:
/// blanks, a unit token, blanks, then `*/size` or `start-end/size|*`.
/// Absent numbers (`*`) are -1.
pub(super) fn parse_content_range(v: &[u8]) -> Option<(i64, i64, i64)> {
    let mut i = 0;
    while i < v.len() && v[i] == b' ' {
        i += 1;
    }
    while i < v.len() && v[i] != b' ' {
        i += 1;
    }
    while i < v.len() && v[i] == b' ' {
        i += 1;
    }
    let rest = &v[i..];
    let num = |s: &[u8]| -> Option<(i64, usize)> {
        let n = s.iter().take_while(|c| c.is_ascii_digit()).count();
        let v = std::str::from_utf8(&s[..n]).ok()?.parse::<i64>().ok()?;
        Some((v, n))
    };
    if let Some(after) = rest.strip_prefix(b"*/") {
        let (size, _) = num(after)?;
        return Some((-1, -1, size));
    }
    let (start, n) = num(rest)?;
    let rest = rest[n..].strip_prefix(b"-")?;
    let (end, n) = num(rest)?;
    let rest = rest[n..].strip_prefix(b"/")?;
    let size = if rest.first() == Some(&b'*') { -1 } else { num(rest)?.0 };
    Some((start, end, size))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(b: &[u8]) -> String {
        String::from_utf8_lossy(b).into_owned()
    }

    /// A line and the three parts expected from it.
    type LineCase<'a, T> = (&'a [u8], T, Option<&'a str>, Option<&'a str>);

    #[test]
    fn request_lines() {
        // (line, method, uri, protocol); the odd ones checked on Suricata 7.0.10.
        let cases: &[LineCase<&str>] = &[
            (b"GET / HTTP/1.1", "GET", Some("/"), Some("HTTP/1.1")),
            (b"GET\t/tab  HTTP/1.1  ", "GET", Some("/tab"), Some("HTTP/1.1  ")),
            (b"GET /a b HTTP/1.1", "GET", Some("/a"), Some("b HTTP/1.1")),
            (b"GET /nine", "GET", Some("/nine"), None),
            (b"GET", "GET", None, None),
            (b"  POST /x HTTP/1.0", "POST", Some("/x"), Some("HTTP/1.0")),
            (b"GET /a\tb", "GET", Some("/a"), Some("b")),
            (b"", "", None, None),
        ];
        for (line, m, u, p) in cases {
            let r = parse_request_line(line);
            assert_eq!(s(&r.method), *m, "{}", s(line));
            assert_eq!(r.uri.as_deref().map(s), u.map(String::from), "{}", s(line));
            assert_eq!(r.protocol.as_deref().map(s), p.map(String::from), "{}", s(line));
        }
    }

    #[test]
    fn status_lines() {
        let cases: &[LineCase<Option<&str>>] = &[
            (b"HTTP/1.1 200 OK", Some("HTTP/1.1"), Some("200"), Some("OK")),
            (b"HTTP/1.1 200", Some("HTTP/1.1"), Some("200"), None),
            (b"HTTP/1.1   404   Not   Found  ", Some("HTTP/1.1"), Some("404"), Some("Not   Found  ")),
            (b"", None, None, None),
            (b"HTTP/1.0", Some("HTTP/1.0"), None, None),
        ];
        for (line, p, st, m) in cases {
            let r = parse_status_line(line);
            assert_eq!(r.protocol.as_deref().map(s), p.map(String::from));
            assert_eq!(r.status.as_deref().map(s), st.map(String::from));
            assert_eq!(r.message.as_deref().map(s), m.map(String::from));
        }
        assert_eq!(status_number(b"200"), Some(200));
        assert_eq!(status_number(b" 404 "), Some(404));
        assert_eq!(status_number(b"99"), None);
        assert_eq!(status_number(b"abc"), None);
        assert_eq!(status_strtoul(b"abc"), 0);
        assert_eq!(status_strtoul(b"200x"), 200);
        assert!(treat_response_line_as_body(b"hello"));
        assert!(!treat_response_line_as_body(b"  http/1.1 200"));
    }

    #[test]
    fn start_line_probes() {
        assert!(looks_like_request_line(b"GET /x HTTP/1.1\r\n"));
        assert!(looks_like_request_line(b"M-SEARCH * HTTP/1.1"));
        assert!(!looks_like_request_line(b"GET /x\r\n"));
        assert!(!looks_like_request_line(b"get /x HTTP/1.1"));
        assert!(!looks_like_request_line(b"abc HTTP/1.1"));
        assert!(!looks_like_request_line(b"ody data GET / HTTP/1.1"));
        assert!(looks_like_status_line(b"HTTP/1.1 200 OK\r\n"));
        assert!(looks_like_status_line(b"HTTP/1.0 404\n"));
        assert!(!looks_like_status_line(b"HTTP/1.1 OK"));
    }

    #[test]
    fn chunk_lengths() {
        let cases: &[(&[u8], ChunkLen)] = &[
            (b"5", ChunkLen::Len(5)),
            (b"5;ext=1", ChunkLen::Len(5)),
            (b" 6 ", ChunkLen::Len(6)),
            (b"1aF", ChunkLen::Len(0x1af)),
            (b"0", ChunkLen::Len(0)),
            (b"", ChunkLen::Empty),
            (b"  ", ChunkLen::Empty),
            (b"zz", ChunkLen::Invalid),
            (b"80000000", ChunkLen::Invalid),
            (b"ffffffffffffffffffffff", ChunkLen::Invalid),
        ];
        for (line, want) in cases {
            assert_eq!(parse_chunk_len(line), *want, "{}", s(line));
        }
        assert_eq!(parse_content_length(b" 12 "), Some(12));
        assert_eq!(parse_content_length(b"-1"), None);
        assert_eq!(parse_content_length(b"1 2"), None);
        assert_eq!(parse_content_length(b"abc"), None);
    }

    fn hdrs(v: &HeaderLines) -> Vec<(String, String)> {
        v.headers.iter().map(|h| (s(&h.name), s(&h.value))).collect()
    }

    #[test]
    fn header_blocks_fast_and_lenient_agree() {
        // Well-formed blocks: httparse takes them; the lenient splitter must
        // give the same answer.
        let blocks: &[&[u8]] = &[
            b"Host: h\r\nUser-Agent: ua \r\n\r\n",
            b"Host: h\nX: y\n\n",
            b"A:\r\nB:   spaced value\t\r\n\r\n",
            b"\r\n",
            b"X-Obs: caf\xc3\xa9\r\n\r\n",
        ];
        for b in blocks {
            let fast = parse_headers(b);
            let slow = parse_headers_lenient(b);
            assert_eq!(fast, slow, "{}", s(b));
        }
    }

    #[test]
    fn header_blocks_odd() {
        // Checked on Suricata 7.0.10: http.header of this request is
        // "Host: h\r\n: NoColon line, novalue\r\nSp: v\r\nFold: a  b\tc\r\nEmpty: \r\n".
        let b = b"Host:   h  \r\nNoColon line\r\nSp : v\r\nFold: a\r\n  b\r\n\tc\r\nEmpty:\r\n:novalue\r\n\r\n";
        let h = parse_headers(b);
        assert!(h.invalid && h.folded && h.missing_colon);
        assert_eq!(
            hdrs(&h),
            vec![
                ("Host".into(), "h".into()),
                ("".into(), "NoColon line".into()),
                ("Sp".into(), "v".into()),
                ("Fold".into(), "a  b\tc".into()),
                ("Empty".into(), "".into()),
                ("".into(), "novalue".into()),
            ]
        );
        // Truncated block: the partial last line is ignored.
        let h = parse_headers(b"A: 1\r\nB: 2");
        assert_eq!(hdrs(&h), vec![("A".into(), "1".into())]);
    }

    #[test]
    fn host_ports() {
        let cases: &[(&[u8], Option<&str>, i32, bool)] = &[
            (b"EXAMPLE.Com.", Some("example.com."), -1, false),
            (b"EXAMPLE.com.:8080", Some("EXAMPLE.com."), 8080, false),
            (b"  h  ", Some("h"), -1, false),
            (b"h:0", Some("h"), -1, true),
            (b"h:x", Some("h"), -1, true),
            (b"[::1]:81", Some("[::1]"), 81, false),
            (b"[::1", None, -1, true),
            (b"", None, -1, true),
        ];
        for (v, host, port, invalid) in cases {
            let hp = parse_hostport(v);
            assert_eq!(hp.host.as_deref().map(s), host.map(String::from), "{}", s(v));
            assert_eq!((hp.port, hp.invalid), (*port, *invalid), "{}", s(v));
        }
    }

    #[test]
    fn uri_normalization() {
        // (raw, normalized). Every row was checked on Suricata 7.0.10 with a
        // pcre capture of http.uri (suricata -r on a generated pcap).
        let cases: &[(&[u8], &[u8])] = &[
            (b"/a/./b/../c//d%2fe%41%7e%20%u0041\\f?x=%41+%2f%zz#frag", b"/a/c/d/eA~ A/f?x=A+/%zz#frag"),
            (b"/%uFF0E%uff0e/x?q=%u0041%00", b"/x?q=%u0041\x00"),
            (b"/caf%C3%A9/%E9/%C0%AF/x", b"/caf\xe9/?///x"),
            (b"/a/..%2f..%2fb", b"/b"),
            (b"/%2e%2e/x/%2E./y", b"/y"),
            (b"/x%", b"/x%"),
            (b"/x%4", b"/x%4"),
            (b"/x%zz%u00", b"/x%zz%u00"),
            (b"/a/b/..", b"/a"),
            (b"/a/b/.", b"/a/b"),
            (b"a/../b", b"/b"),
            (b"../x", b"x"),
            (b"/a/%u2215b", b"/a/b"),
            (b"/%u0000x", b"/\x00x"),
            (b"/.%2e/x", b"/x"),
            (b"/\xe2\x80\x8bz", b"/?z"),
            (b"/z%u00c0", b"/z"),
            (b"/z%uff3c", b"/z/"),
            (b"http://User:Pw@Host.COM.:81/p/%41?q=%42", b"/p/A?q=B"),
            (b"/", b"/"),
            (b"/index.html?user=admin", b"/index.html?user=admin"),
        ];
        for (raw, want) in cases {
            assert_eq!(s(&normalize_uri(raw).uri), s(want), "{}", s(raw));
        }
        let n = normalize_uri(b"http://User:Pw@Host.COM.:81/p");
        assert_eq!(n.hostname.as_deref(), Some(&b"host.com"[..]));
        assert_eq!(n.port, 81);
        assert_eq!(normalize_uri(b"/p").hostname, None);
    }

    #[test]
    fn uri_parts() {
        let raw = b"http://u:p@[::1]:8/x?y#z";
        let p = parse_uri(raw);
        let g = |r: Option<Range<usize>>| r.map(|r| s(&raw[r]));
        assert_eq!(g(p.scheme), Some("http".into()));
        assert_eq!(g(p.username), Some("u".into()));
        assert_eq!(g(p.password), Some("p".into()));
        assert_eq!(g(p.hostname), Some("[::1]".into()));
        assert_eq!(g(p.port), Some("8".into()));
        assert_eq!(g(p.path), Some("/x".into()));
        assert_eq!(g(p.query), Some("y".into()));
        assert_eq!(g(p.fragment), Some("z".into()));
        // Scheme without authority: the rest is the path.
        let p = parse_uri(b"foo:bar");
        assert_eq!(p.path, Some(4..7));
    }

    #[test]
    fn content_ranges() {
        assert_eq!(parse_content_range(b"bytes 0-99/1000"), Some((0, 99, 1000)));
        assert_eq!(parse_content_range(b"bytes */1000"), Some((-1, -1, 1000)));
        assert_eq!(parse_content_range(b"bytes 5-9/*"), Some((5, 9, -1)));
        assert_eq!(parse_content_range(b"bytes x"), None);
    }

    #[test]
    fn no_panic_on_junk() {
        // Every prefix of some hostile inputs goes through every function.
        let junk: &[&[u8]] = &[b"%u%%uZZZZ%\xff\xc0/../..\\\\%2", b"[]:\x00:@@//?#", b"\xf0\x9f\x98"];
        for j in junk {
            for i in 0..=j.len() {
                let p = &j[..i];
                let _ = normalize_uri(p);
                let _ = parse_request_line(p);
                let _ = parse_status_line(p);
                let _ = parse_headers(p);
                let _ = parse_hostport(p);
                let _ = parse_chunk_len(p);
                let _ = parse_content_range(p);
                let _ = looks_like_request_line(p);
                let _ = looks_like_status_line(p);
                let _ = status_strtoul(p);
                let _ = check_content_encoding(p, 2);
                let _ = auth_scheme_known(p);
            }
        }
    }

    #[test]
    fn content_encoding_layers_as_suricata() {
        // (value, too_many_encoding_layers, abnormal_ce_header): Suricata
        // 7.0.10's events for each value (one response each, limit 2).
        let cases: &[(&str, bool, bool)] = &[
            ("gzip", false, false),
            ("Gzip", false, false),
            ("gzip, gzip", false, false),
            ("gzip,gzip", false, false),
            ("gzip ,gzip", false, false),
            ("gzip,,gzip,", false, false),
            ("gzip, deflate", false, false),
            ("x-deflate", false, false),
            ("lzma", false, false),
            ("gzip, gzip, gzip", true, false),
            ("gzip gzip gzip", true, false),
            ("gzip,  gzip", true, false),
            ("gzip , gzip", true, false),
            ("gzip, , gzip", true, false),
            ("gzip,,,gzip", true, false),
            ("gzip, gzip, foo", true, false),
            ("identity", false, true),
            ("identity, identity", false, true),
            ("a b", false, true),
            ("gzip, foo", false, true),
            ("xgzip", false, true),
            ("gzip;q=1", false, true),
            ("identity, identity, identity", true, true),
            ("identity, identity, gzip, identity, gzip, gzip", true, true),
            (", , ,", false, false),
        ];
        for &(v, many, abnormal) in cases {
            let c = check_content_encoding(v.as_bytes(), 2);
            assert_eq!((c.too_many, c.abnormal), (many, abnormal), "{v:?}");
        }
    }

    #[test]
    fn auth_schemes_as_suricata() {
        // request_auth_unrecognized on Suricata 7.0.10: raised for the
        // unknown ones only.
        for v in ["Basic dXNlcjpwYXNz", "basic x", "BASIC x", " Basic x", "Basicx abc", "Basic", "Digest", "Bearer abc"]
        {
            assert!(auth_scheme_known(v.as_bytes()), "{v:?}");
        }
        for v in ["Turbo customAuthDataHere", "Negotiate abc", "NTLM abc", ""] {
            assert!(!auth_scheme_known(v.as_bytes()), "{v:?}");
        }
    }

    #[test]
    fn content_disposition_file_names() {
        let f = |v: &str| disposition_filename(v.as_bytes()).map(|n| String::from_utf8(n).unwrap());
        assert_eq!(f("attachment; filename=\"r.pdf\"").as_deref(), Some("r.pdf"));
        assert_eq!(f("attachment;FileName=a b.exe ").as_deref(), Some("a b.exe"));
        assert_eq!(f("inline; name=x; filename=y.doc").as_deref(), Some("y.doc"));
        assert_eq!(f("attachment; filename*=UTF-8''x.pdf"), None);
        assert_eq!(f("attachment; filename=\"\""), None);
        assert_eq!(f("inline"), None);
    }
}
