//! The `http` object of EVE records, as Suricata 7 writes it in alerts
//! (`EveHttpAddMetadata`: the basic and the extended fields) and in `http`
//! events with `extended: yes`.
//!
//! Field order and types follow Suricata 7.0.10: `hostname`, `http_port`
//! (number), `url` (raw target), `http_user_agent`, `xff`,
//! `http_content_type` (up to the first `;`), `content_range`,
//! `http_refer`, `http_method`, `protocol`, `status` (number: C `strtoul` of
//! the status text), `redirect`, `length` (number: response body bytes on
//! the wire, always present). Byte strings that are not UTF-8 are written
//! as Suricata does: ASCII kept, other bytes as `\xNN`.

use serde_json::{Map, Value};

use super::parser;
use super::state::HttpTx;

/// Suricata's `string_from_bytes` (jsonbuilder): UTF-8 as is, otherwise
/// ASCII kept and each other byte written as `\xNN`.
pub(super) fn eve_string(b: &[u8]) -> String {
    match std::str::from_utf8(b) {
        Ok(s) => s.to_owned(),
        Err(_) => {
            let mut out = String::with_capacity(b.len() + 8);
            for &c in b {
                if c < 0x80 {
                    out.push(c as char);
                } else {
                    out.push_str(&format!("\\x{c:02x}"));
                }
            }
            out
        }
    }
}

/// The `http` logger settings (`outputs.eve-log.types.http`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HttpLogConfig {
    /// `extended: yes`: method, protocol, status, referer, redirect and
    /// length too. On by default, as in the stock suricata.yaml; a
    /// configuration that lists `- http` without it gets the basic fields
    /// only, as Suricata writes them.
    pub extended: bool,
    /// `dump-all-headers: request|both`: every request header, in order.
    pub request_headers: bool,
    /// `dump-all-headers: response|both`: every response header.
    pub response_headers: bool,
}

impl Default for HttpLogConfig {
    fn default() -> Self {
        HttpLogConfig { extended: true, request_headers: false, response_headers: false }
    }
}

impl HttpLogConfig {
    /// Applies a `dump-all-headers` value (`both`, `request`, `response`;
    /// anything else logs none, as Suricata ignores it).
    pub fn set_dump_all_headers(&mut self, v: &str) {
        self.request_headers = matches!(v, "both" | "request");
        self.response_headers = matches!(v, "both" | "response");
    }
}

impl HttpTx {
    /// The EVE `http` object of this transaction (what is known so far),
    /// extended, as alerts carry it.
    pub fn eve(&self) -> Value {
        let mut m = Map::new();
        self.basic(&mut m);
        self.extended(&mut m);
        Value::Object(m)
    }

    /// The `http` object of an `http` record with the logger's settings.
    /// Headers are written as libhtp keeps them (Suricata logs its table):
    /// wire order, original spelling, repeated names merged into the first.
    pub fn record(&self, cfg: &HttpLogConfig) -> Value {
        let mut m = Map::new();
        self.basic(&mut m);
        if cfg.extended {
            self.extended(&mut m);
        }
        for (on, key, head) in [
            (cfg.request_headers, "request_headers", &self.req.head),
            (cfg.response_headers, "response_headers", &self.res.head),
        ] {
            // An empty list is left out, as Suricata does.
            if on && !head.headers.is_empty() {
                let list: Vec<Value> = head
                    .headers
                    .iter()
                    .map(|h| serde_json::json!({ "name": header_text(&h.name, MAX_NAME), "value": header_text(&h.value, MAX_VALUE) }))
                    .collect();
                m.insert(key.into(), Value::Array(list));
            }
        }
        Value::Object(m)
    }

    /// The fields every `http` record has.
    fn basic(&self, m: &mut Map<String, Value>) {
        let (req, res) = (&self.req, &self.res);
        let s = |b: &[u8]| Value::String(eve_string(b));
        if let Some(h) = &req.hostname {
            m.insert("hostname".into(), s(h));
        }
        if req.port >= 0 {
            m.insert("http_port".into(), req.port.into());
        }
        if let Some(u) = &req.uri_raw {
            m.insert("url".into(), s(u));
        }
        if let Some(v) = req.head.get(b"user-agent") {
            m.insert("http_user_agent".into(), s(v));
        }
        if let Some(v) = req.head.get(b"x-forwarded-for") {
            m.insert("xff".into(), s(v));
        }
        if let Some(v) = res.head.get(b"content-type") {
            // BytesToStringBuffer (NUL as "\0"), cut at ';'; a value that is
            // then not UTF-8 is left out, as Suricata's jb_set_string does.
            let mut t = Vec::with_capacity(v.len());
            for &c in v {
                if c == 0 {
                    t.extend_from_slice(b"\\0");
                } else {
                    t.push(c);
                }
            }
            if let Some(semi) = t.iter().position(|&c| c == b';') {
                t.truncate(semi);
            }
            if let Ok(t) = String::from_utf8(t) {
                m.insert("http_content_type".into(), Value::String(t));
            }
        }
        if let Some(v) = res.head.get(b"content-range") {
            let mut cr = Map::new();
            cr.insert("raw".into(), s(v));
            if let Some((start, end, size)) = parser::parse_content_range(v) {
                for (k, n) in [("start", start), ("end", end), ("size", size)] {
                    if n >= 0 {
                        cr.insert(k.into(), n.into());
                    }
                }
            }
            m.insert("content_range".into(), Value::Object(cr));
        }
    }

    /// The `extended: yes` fields (alerts always have them).
    fn extended(&self, m: &mut Map<String, Value>) {
        let (req, res) = (&self.req, &self.res);
        let s = |b: &[u8]| Value::String(eve_string(b));
        if let Some(v) = req.head.get(b"referer") {
            m.insert("http_refer".into(), s(v));
        }
        if let Some(v) = &req.method {
            m.insert("http_method".into(), s(v));
        }
        if let Some(v) = &req.protocol {
            m.insert("protocol".into(), s(v));
        }
        if let Some(v) = &res.status {
            m.insert("status".into(), parser::status_strtoul(v).into());
        }
        if let Some(v) = res.head.get(b"location") {
            m.insert("redirect".into(), s(v));
        }
        let length = res.body.as_ref().map_or(0, |b| b.wire_len());
        m.insert("length".into(), length.into());
    }
}

/// Suricata copies a dumped header's name into a 256-byte C buffer and its
/// value into a 2048-byte one: longer ones are cut to 255 and 2047 bytes,
/// and a NUL ends them early.
const MAX_NAME: usize = 255;
/// See [`MAX_NAME`].
const MAX_VALUE: usize = 2047;

/// A dumped header name or value, cut as Suricata cuts it.
fn header_text(b: &[u8], max: usize) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len()).min(max);
    eve_string(&b[..end])
}

#[cfg(test)]
mod tests {
    use super::super::HttpState;
    use super::*;
    use serde_json::json;

    fn eve_of(req: &[u8], res: &[u8]) -> Value {
        let mut s = HttpState::new();
        s.parse(true, req);
        s.parse(false, res);
        s.close();
        s.tx(0).unwrap().eve()
    }

    #[test]
    fn fields_as_suricata() {
        // Expected values are Suricata 7.0.10's alert `http` objects for the
        // same bytes (generated pcap, `suricata -r`).
        let cases: &[(&[u8], &[u8], Value)] = &[
            (
                b"GET /a/./b/../c//d%2fe%41%7e%20%u0041\\f?x=%41+%2f%zz#frag HTTP/1.1\r\nHost: EXAMPLE.com.:8080\r\nUser-Agent: ua\r\nCookie: c=1\r\nX-Forwarded-For: 1.2.3.4\r\nReferer: http://r/\r\nAccept: */*\r\nX-Dup: a\r\nx-dup: b\r\n\r\n",
                b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf8\r\nContent-Length: 5\r\nLocation: /x\r\nSet-Cookie: s=1\r\n\r\nhello",
                json!({"hostname": "EXAMPLE.com.", "http_port": 8080, "url": "/a/./b/../c//d%2fe%41%7e%20%u0041\\f?x=%41+%2f%zz#frag", "http_user_agent": "ua", "xff": "1.2.3.4", "http_content_type": "text/html", "http_refer": "http://r/", "http_method": "GET", "protocol": "HTTP/1.1", "status": 200, "redirect": "/x", "length": 5}),
            ),
            (
                b"GET /close HTTP/1.0\r\n\r\n",
                b"HTTP/1.0 200 OK\r\nServer: x\r\n\r\nuntil close data",
                json!({"url": "/close", "http_method": "GET", "protocol": "HTTP/1.0", "status": 200, "length": 16}),
            ),
            (
                b"GET /ns HTTP/1.1\r\nHost: h\r\n\r\n",
                b"HTTP/1.1 abc OK\r\nContent-Length: 2\r\n\r\nhi",
                json!({"hostname": "h", "url": "/ns", "http_method": "GET", "protocol": "HTTP/1.1", "status": 0, "length": 2}),
            ),
            (
                b"GET /tab  HTTP/1.1  \r\nHost: h\r\n\r\n",
                b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
                json!({"hostname": "h", "url": "/tab", "http_method": "GET", "protocol": "HTTP/1.1  ", "status": 404, "length": 0}),
            ),
            (
                b"GET /nine\r\n",
                b"raw 0.9 body",
                json!({"http_port": 0, "url": "/nine", "http_method": "GET", "length": 12}),
            ),
        ];
        for (req, res, want) in cases {
            assert_eq!(&eve_of(req, res), want);
        }
    }

    #[test]
    fn record_with_logger_settings() {
        let mut s = HttpState::new();
        s.parse(true, b"GET /x HTTP/1.1\r\nHost: h\r\nX-Dup: a\r\nReferer: r\r\nx-dup: b\r\n\r\n");
        s.parse(false, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nServer: s\x00hidden\r\n\r\nhi");
        s.close();
        let tx = s.tx(0).unwrap();
        // Basic fields only: what Suricata writes for `- http`.
        let basic = HttpLogConfig { extended: false, ..HttpLogConfig::default() };
        assert_eq!(tx.record(&basic), json!({"hostname": "h", "url": "/x"}));
        // The default (the stock yaml's extended: yes) is the alert object.
        assert_eq!(tx.record(&HttpLogConfig::default()), tx.eve());

        let mut cfg = basic;
        cfg.set_dump_all_headers("both");
        let v = tx.record(&cfg);
        // Wire order and spelling, repeated names merged into the first.
        assert_eq!(
            v["request_headers"],
            json!([{"name": "Host", "value": "h"}, {"name": "X-Dup", "value": "a, b"}, {"name": "Referer", "value": "r"}])
        );
        // A NUL ends a value, as in Suricata's C copy.
        assert_eq!(
            v["response_headers"],
            json!([{"name": "Content-Length", "value": "2"}, {"name": "Server", "value": "s"}])
        );
        cfg.set_dump_all_headers("request");
        let v = tx.record(&cfg);
        assert!(v.get("request_headers").is_some() && v.get("response_headers").is_none());
        cfg.set_dump_all_headers("nonsense");
        assert_eq!(tx.record(&cfg), tx.record(&basic));
    }

    #[test]
    fn content_range_and_bytes() {
        let v = eve_of(
            b"GET /r HTTP/1.1\r\nHost: h\r\nUser-Agent: caf\xe9\r\n\r\n",
            b"HTTP/1.1 206 Partial\r\nContent-Range: bytes 0-1/10\r\nContent-Length: 2\r\n\r\nab",
        );
        assert_eq!(v["content_range"], json!({"raw": "bytes 0-1/10", "start": 0, "end": 1, "size": 10}));
        assert_eq!(v["http_user_agent"], "caf\\xe9");
        assert_eq!(v["status"], 206);
        assert!(v["status"].is_u64() && v["length"].is_u64());
    }
}
