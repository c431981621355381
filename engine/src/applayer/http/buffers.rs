//! Sticky buffers: the bytes `http.uri`, `http.header`, `file.data`... look
//! at, with Suricata 7's contents (checked against Suricata 7.0.10 with
//! pcre captures of each buffer).
//!
//! | buffer | contents |
//! |---|---|
//! | `http.uri` | normalized target ([`normalize_uri`](super::parser)): path decoded and dot segments removed, query `%HH`-decoded, no scheme or host |
//! | `http.uri.raw` | target as sent |
//! | `http.method`, `http.request_line` | as sent (line without CRLF) |
//! | `http.protocol` | request or response protocol, by direction |
//! | `http.response_line`, `http.stat_code`, `http.stat_msg` | as sent |
//! | `http.header` | `Name: value\r\n` per header (repeats merged with `, `), without `Cookie` (request) / `Set-Cookie` (response), trailers included |
//! | `http.header.raw` | header lines as received, final blank line included |
//! | `http.header_names` | `\r\n` + `Name\r\n` per header + `\r\n` |
//! | `http.cookie` | `Cookie` (request) / `Set-Cookie` (response) value |
//! | `http.host` | host from the URI (normalized) or `Host`; lowercased only when `Host` has no port, as libhtp |
//! | `http.host.raw` | host from the URI, else the `Host` value as sent (with port) |
//! | `http.request_body`, `http.response_body`, `file.data` | dechunked, decompressed, capped body; `file.data` is the response body to the client and the request body to the server |
//! | `http.request_header`, `http.response_header` | multi-buffer: one `Name: value` instance per header (repeats merged with `, `, `Cookie`/`Set-Cookie` included, no CRLF), [`HttpTx::header_instance`] |
//! | `http.start` | start line, CRLF, `Name: value\r\n` per header as in the instances, then CRLF (request or response, by direction) |
//!
//! Single-header buffers (`http.user_agent`, `http.accept`, ...) hold the
//! value with surrounding blanks removed, repeats merged with `, `. A buffer
//! that does not exist (yet) is `None`; header buffers exist once the header
//! block is complete.

use super::state::{HttpTx, Progress};
use crate::rules::ast::Buffer;

/// Whether a buffer exists in both directions, so that
/// [`HttpTx::buffer_dir`] needs the direction: `http.header`,
/// `http.header.raw`, `http.header_names`, `http.protocol`, `http.cookie`,
/// `http.connection`, `http.content_type`, `http.content_len`, `http.start`,
/// `file.data`.
pub fn is_two_way(b: Buffer) -> bool {
    matches!(
        b,
        Buffer::HttpHeader
            | Buffer::HttpHeaderRaw
            | Buffer::HttpHeaderNames
            | Buffer::HttpProtocol
            | Buffer::HttpCookie
            | Buffer::HttpConnection
            | Buffer::HttpContentType
            | Buffer::HttpContentLen
            | Buffer::HttpStart
            | Buffer::FileData
    )
}

impl HttpTx {
    /// The buffer's bytes in its usual direction: the request side for
    /// two-way buffers ([`is_two_way`]) except `file.data`, which is the
    /// response body. One-way buffers (`http.uri`, `http.stat_code`...) are
    /// the same either way.
    pub fn buffer(&self, b: Buffer) -> Option<&[u8]> {
        self.buffer_dir(b, b != Buffer::FileData)
    }

    /// The buffer's bytes as a rule inspecting `to_server` (client to
    /// server) or to-client data sees them. The direction only matters for
    /// two-way buffers ([`is_two_way`]): a request buffer asked from the
    /// response side is still the request's, as when Suricata inspects a
    /// rule mixing `http.uri` and `http.stat_code`.
    pub fn buffer_dir(&self, b: Buffer, to_server: bool) -> Option<&[u8]> {
        let (req, res) = (&self.req, &self.res);
        let (head, done) = if to_server {
            (&req.head, self.request_progress >= Progress::Headers)
        } else {
            (&res.head, self.response_progress >= Progress::Headers)
        };
        let body = |request: bool| {
            let b = if request { &req.body } else { &res.body };
            b.as_ref().map(|b| b.data()).filter(|d| !d.is_empty())
        };
        match b {
            Buffer::HttpUri => req.uri_norm.as_deref(),
            Buffer::HttpUriRaw => req.uri_raw.as_deref(),
            Buffer::HttpMethod => req.method.as_deref(),
            Buffer::HttpRequestLine => req.line.as_deref(),
            Buffer::HttpProtocol => {
                if to_server {
                    req.protocol.as_deref()
                } else {
                    res.protocol.as_deref()
                }
            }
            Buffer::HttpResponseLine => res.line.as_deref(),
            // A frame is inspected once its message is complete.
            Buffer::FrameHttp1Request => {
                (self.request_progress == Progress::Complete && !req.frame.is_empty()).then_some(req.frame.as_slice())
            }
            Buffer::FrameHttp1Response => {
                (self.response_progress == Progress::Complete && !res.frame.is_empty()).then_some(res.frame.as_slice())
            }
            Buffer::HttpStatCode => res.status.as_deref(),
            Buffer::HttpStatMsg => res.message.as_deref(),
            Buffer::HttpHeader => (done && !head.headers.is_empty()).then_some(head.normalized.as_slice()),
            Buffer::HttpHeaderRaw => (done && !head.raw.is_empty()).then_some(head.raw.as_slice()),
            Buffer::HttpHeaderNames => (done && !head.headers.is_empty()).then_some(head.names.as_slice()),
            Buffer::HttpStart => (done && !head.start.is_empty()).then_some(head.start.as_slice()),
            Buffer::HttpRequestHeader | Buffer::HttpResponseHeader => self.header_instance(b, 0),
            Buffer::HttpCookie => head.get(if to_server { b"cookie" } else { b"set-cookie" }),
            Buffer::HttpUserAgent => req.head.get(b"user-agent"),
            Buffer::HttpHost => req.hostname.as_deref(),
            Buffer::HttpHostRaw => req.uri_hostname.as_deref().or_else(|| req.head.get(b"host")),
            Buffer::HttpAccept => req.head.get(b"accept"),
            Buffer::HttpAcceptEnc => req.head.get(b"accept-encoding"),
            Buffer::HttpAcceptLang => req.head.get(b"accept-language"),
            Buffer::HttpReferer => req.head.get(b"referer"),
            Buffer::HttpConnection => head.get(b"connection"),
            Buffer::HttpContentType => head.get(b"content-type"),
            Buffer::HttpContentLen => head.get(b"content-length"),
            Buffer::HttpServer => res.head.get(b"server"),
            Buffer::HttpLocation => res.head.get(b"location"),
            Buffer::HttpRequestBody => body(true),
            Buffer::HttpResponseBody => body(false),
            Buffer::FileData => body(to_server),
            _ => None,
        }
    }

    /// Instance `i` of the multi-buffers `http.request_header` and
    /// `http.response_header`: the `i`-th header of that message as
    /// `Name: value`, once its header block is complete. None past the last
    /// header, and for every other buffer.
    pub fn header_instance(&self, b: Buffer, i: usize) -> Option<&[u8]> {
        let (head, progress) = match b {
            Buffer::HttpRequestHeader => (&self.req.head, self.request_progress),
            Buffer::HttpResponseHeader => (&self.res.head, self.response_progress),
            _ => return None,
        };
        if progress < Progress::Headers {
            return None;
        }
        head.line(i)
    }
}

#[cfg(test)]
mod tests {
    use super::super::HttpState;
    use super::*;

    // Request and response checked on Suricata 7.0.10 (pcre capture of every
    // buffer, both directions).
    const REQ: &[u8] = b"GET /a/./b/../c//d%2fe%41%7e%20%u0041\\f?x=%41+%2f%zz#frag HTTP/1.1\r\nHost: EXAMPLE.com.:8080\r\nUser-Agent: ua\r\nCookie: c=1\r\nX-Dup: a\r\nx-dup: b\r\n\r\n";
    const RES: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf8\r\nContent-Length: 5\r\nSet-Cookie: s=1\r\n\r\nhello";

    #[test]
    fn every_buffer_as_suricata() {
        let mut s = HttpState::new();
        s.parse(true, REQ);
        s.parse(false, RES);
        let tx = s.tx(0).unwrap();
        let cases: &[(Buffer, bool, Option<&[u8]>)] = &[
            (Buffer::HttpUri, true, Some(b"/a/c/d/eA~ A/f?x=A+/%zz#frag")),
            (Buffer::HttpUriRaw, true, Some(b"/a/./b/../c//d%2fe%41%7e%20%u0041\\f?x=%41+%2f%zz#frag")),
            (Buffer::HttpHost, true, Some(b"EXAMPLE.com.")),
            (Buffer::HttpHostRaw, true, Some(b"EXAMPLE.com.:8080")),
            (Buffer::HttpHeader, true, Some(b"Host: EXAMPLE.com.:8080\r\nUser-Agent: ua\r\nX-Dup: a, b\r\n")),
            (
                Buffer::HttpHeaderRaw,
                true,
                Some(b"Host: EXAMPLE.com.:8080\r\nUser-Agent: ua\r\nCookie: c=1\r\nX-Dup: a\r\nx-dup: b\r\n\r\n"),
            ),
            (Buffer::HttpHeaderNames, true, Some(b"\r\nHost\r\nUser-Agent\r\nCookie\r\nX-Dup\r\n\r\n")),
            (Buffer::HttpMethod, true, Some(b"GET")),
            (Buffer::HttpProtocol, true, Some(b"HTTP/1.1")),
            (
                Buffer::HttpRequestLine,
                true,
                Some(b"GET /a/./b/../c//d%2fe%41%7e%20%u0041\\f?x=%41+%2f%zz#frag HTTP/1.1"),
            ),
            (Buffer::HttpCookie, true, Some(b"c=1")),
            (Buffer::HttpUserAgent, true, Some(b"ua")),
            (Buffer::HttpHeader, false, Some(b"Content-Type: text/html; charset=utf8\r\nContent-Length: 5\r\n")),
            (
                Buffer::HttpHeaderRaw,
                false,
                Some(b"Content-Type: text/html; charset=utf8\r\nContent-Length: 5\r\nSet-Cookie: s=1\r\n\r\n"),
            ),
            (Buffer::HttpHeaderNames, false, Some(b"\r\nContent-Type\r\nContent-Length\r\nSet-Cookie\r\n\r\n")),
            (Buffer::HttpProtocol, false, Some(b"HTTP/1.1")),
            (Buffer::HttpResponseLine, false, Some(b"HTTP/1.1 200 OK")),
            (Buffer::HttpStatCode, false, Some(b"200")),
            (Buffer::HttpStatMsg, false, Some(b"OK")),
            (Buffer::HttpCookie, false, Some(b"s=1")),
            (Buffer::HttpResponseBody, false, Some(b"hello")),
            (Buffer::FileData, false, Some(b"hello")),
            (Buffer::HttpContentLen, false, Some(b"5")),
            (Buffer::HttpContentType, false, Some(b"text/html; charset=utf8")),
            (Buffer::HttpContentType, true, None),
            (Buffer::HttpRequestBody, true, None),
            (Buffer::FileData, true, None),
            (Buffer::HttpServer, false, None),
            (Buffer::DnsQuery, true, None),
        ];
        for (b, dir, want) in cases {
            assert_eq!(tx.buffer_dir(*b, *dir), *want, "{b:?} to_server={dir}");
        }
        // One-way buffers ignore the direction; buffer() picks the usual one.
        assert_eq!(tx.buffer_dir(Buffer::HttpUri, false), tx.buffer(Buffer::HttpUri));
        assert_eq!(tx.buffer(Buffer::FileData), Some(&b"hello"[..]));
        assert_eq!(tx.buffer(Buffer::HttpHeaderNames), tx.buffer_dir(Buffer::HttpHeaderNames, true));
        assert!(is_two_way(Buffer::HttpCookie) && !is_two_way(Buffer::HttpUri));
    }

    // http.request_header / http.response_header / http.start as Suricata
    // 7.0.10 shows them (pcre captures and exact startswith/endswith
    // contents on a capture of the same kind of message: repeats merged,
    // Cookie kept, folded values joined).
    #[test]
    fn header_instances_and_start() {
        let mut s = HttpState::new();
        s.parse(true, REQ);
        s.parse(false, RES);
        let tx = s.tx(0).unwrap();
        let req: Vec<&[u8]> = (0..).map_while(|i| tx.header_instance(Buffer::HttpRequestHeader, i)).collect();
        assert_eq!(req, [&b"Host: EXAMPLE.com.:8080"[..], b"User-Agent: ua", b"Cookie: c=1", b"X-Dup: a, b"]);
        let res: Vec<&[u8]> = (0..).map_while(|i| tx.header_instance(Buffer::HttpResponseHeader, i)).collect();
        assert_eq!(res, [&b"Content-Type: text/html; charset=utf8"[..], b"Content-Length: 5", b"Set-Cookie: s=1"]);
        assert_eq!(tx.header_instance(Buffer::HttpUri, 0), None);
        assert_eq!(tx.buffer_dir(Buffer::HttpRequestHeader, true), Some(&b"Host: EXAMPLE.com.:8080"[..]));
        assert_eq!(
            tx.buffer_dir(Buffer::HttpStart, true),
            Some(
                &b"GET /a/./b/../c//d%2fe%41%7e%20%u0041\\f?x=%41+%2f%zz#frag HTTP/1.1\r\nHost: EXAMPLE.com.:8080\r\nUser-Agent: ua\r\nCookie: c=1\r\nX-Dup: a, b\r\n\r\n"[..]
            )
        );
        assert_eq!(
            tx.buffer_dir(Buffer::HttpStart, false),
            Some(
                &b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf8\r\nContent-Length: 5\r\nSet-Cookie: s=1\r\n\r\n"[..]
            )
        );
        assert!(is_two_way(Buffer::HttpStart) && !is_two_way(Buffer::HttpRequestHeader));
        // Folded values are joined as for http.header.
        let mut s = HttpState::new();
        s.parse(true, b"GET / HTTP/1.1\r\nHost: h\r\nFold: a\r\n  b\r\n\r\n");
        let tx = s.tx(0).unwrap();
        assert_eq!(tx.header_instance(Buffer::HttpRequestHeader, 1), Some(&b"Fold: a  b"[..]));
    }

    #[test]
    fn headers_wait_for_the_block() {
        let mut s = HttpState::new();
        s.parse(true, b"GET /x HTTP/1.1\r\nHost: h\r\n");
        let tx = s.tx(0).unwrap();
        assert_eq!(tx.request_progress, Progress::Line);
        assert_eq!(tx.buffer(Buffer::HttpUri), Some(&b"/x"[..]));
        assert_eq!(tx.buffer(Buffer::HttpHeader), None);
        assert_eq!(tx.buffer(Buffer::HttpHost), None);
        s.parse(true, b"\r\n");
        let tx = s.tx(0).unwrap();
        assert_eq!(tx.buffer(Buffer::HttpHeader), Some(&b"Host: h\r\n"[..]));
        assert_eq!(tx.buffer(Buffer::HttpHost), Some(&b"h"[..]));
    }
}
