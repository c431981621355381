//! HTTP/1.x connection state: transactions, the per-direction streaming
//! parsers, gaps and limits.
//!
//! Data arrives as reassembled in-order chunks of any size, cut anywhere.
//! Each direction keeps at most one partial line or header block (bounded by
//! [`MAX_START_LINE`] and [`MAX_HEADER_BYTES`]); everything else is parsed as
//! it comes, so the result never depends on where the chunks were cut (the
//! one exception: where a body stops decompressing cleanly, the raw bytes
//! kept from then on start at that chunk, as in libhtp).
//!
//! Requests create transactions in order; responses are matched to them in
//! order (pipelining). A response without a request gets a transaction of
//! its own, as libhtp does (`url` `/libhtp::request_uri_not_seen`).
//!
//! Nothing here panics on any input.

use std::collections::VecDeque;

use super::body::{Body, Coding};
use super::parser::{self, ChunkLen, Header};
use crate::applayer::file::{File, FileConfig};

/// Longest start line (request line, status line) and chunk-size line kept:
/// libhtp's hard field limit (`HTP_CONFIG_DEFAULT_FIELD_LIMIT_HARD`), which
/// Suricata 7 keeps. Longer lines are cut there and raise
/// [`HttpAnomaly::RequestLineTooLong`] / [`HttpAnomaly::ResponseLineTooLong`].
pub const MAX_START_LINE: usize = 18_000;

/// Largest header (or trailer) block kept, terminating blank line included.
/// Twice what nginx accepts by default (4 buffers of 8 KiB) and four times
/// IIS's 16 KiB; the complete lines before the limit are parsed, the rest of
/// the block is skipped and [`HttpAnomaly::RequestHeaderTooLong`] /
/// [`HttpAnomaly::ResponseHeaderTooLong`] raised.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;

/// Most distinct headers kept per message: Suricata 7's libhtp
/// `headers-limit` default. More raise [`HttpAnomaly::RequestTooManyHeaders`]
/// / [`HttpAnomaly::ResponseTooManyHeaders`].
pub const MAX_HEADERS: usize = 1024;

/// Most repetitions of headers merged into an earlier one per message
/// (libhtp `HTP_MAX_HEADERS_REPETITIONS`); further repeats are dropped.
pub const MAX_HEADER_REPETITIONS: usize = 64;

/// Request body bytes kept for inspection by default: Suricata's default
/// `request-body-limit` (100 KiB; see [`HttpState::set_body_limits`]). The rest is counted, not kept, and raises
/// [`HttpAnomaly::RequestBodyLimit`].
pub const REQUEST_BODY_LIMIT: usize = 100 * 1024;

/// Response body bytes kept for inspection by default, after
/// decompression: Suricata's default `response-body-limit` (100 KiB). Decompression stops there too,
/// so a compressed body never inflates beyond this
/// ([`HttpAnomaly::ResponseBodyLimit`]).
pub const RESPONSE_BODY_LIMIT: usize = 100 * 1024;

/// Largest body limit a configuration can set. Suricata takes 0 as
/// "unlimited"; mirador keeps every body in memory for inspection, so a
/// configured limit (0 included) is capped here.
pub const MAX_BODY_LIMIT: usize = 64 << 20;

/// Live transactions per connection: Suricata 7's libhtp `max-tx` default.
/// A new transaction beyond this drops the oldest one that neither
/// direction is parsing and raises
/// [`HttpAnomaly::TooManyTransactions`] on the state. With the limits above,
/// one transaction holds well under 1 MiB; callers free finished ones with
/// [`HttpState::remove_done`].
pub const MAX_LIVE_TXS: usize = 512;

/// Request bytes held while a `CONNECT` waits for its response (after
/// which they are either tunnel data, dropped, or parsed as HTTP): one
/// header block's worth.
pub const MAX_CONNECT_STASH: usize = MAX_HEADER_BYTES;

/// Response content codings libhtp reads from `Content-Encoding`:
/// Suricata's `response-body-decompress-layer-limit` default. A longer
/// list raises [`HttpAnomaly::TooManyEncodingLayers`].
pub const MAX_ENCODING_LAYERS: usize = 2;

/// How far a message of a transaction has been parsed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Progress {
    /// Nothing yet.
    #[default]
    None,
    /// The start line is parsed; the header block is not complete.
    Line,
    /// Headers are complete; no body byte has been seen yet.
    Headers,
    /// Body in progress.
    Body,
    /// Chunked trailers in progress.
    Trailers,
    /// Message complete (or abandoned after a gap or at close).
    Complete,
}

/// Protocol anomalies, per transaction ([`HttpTx::anomalies`]) or per
/// connection ([`HttpState::anomalies`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HttpAnomaly {
    /// Request line longer than [`MAX_START_LINE`]; it was cut there.
    RequestLineTooLong,
    /// Status line longer than [`MAX_START_LINE`].
    ResponseLineTooLong,
    /// Request header block larger than [`MAX_HEADER_BYTES`].
    RequestHeaderTooLong,
    /// Response header block larger than [`MAX_HEADER_BYTES`].
    ResponseHeaderTooLong,
    /// More than [`MAX_HEADERS`] request headers.
    RequestTooManyHeaders,
    /// More than [`MAX_HEADERS`] response headers.
    ResponseTooManyHeaders,
    /// A request header name was repeated (values are merged with `, `).
    RequestHeaderRepetition,
    /// A response header name was repeated.
    ResponseHeaderRepetition,
    /// A request header line without a colon, or with an invalid name.
    RequestHeaderInvalid,
    /// A response header line without a colon, or with an invalid name.
    ResponseHeaderInvalid,
    /// Request chunk-size line that is not a hex size.
    InvalidRequestChunkLen,
    /// Response chunk-size line that is not a hex size.
    InvalidResponseChunkLen,
    /// Request `Content-Length` that is not a number.
    InvalidRequestContentLength,
    /// Response `Content-Length` that is not a number.
    InvalidResponseContentLength,
    /// Request `Content-Length` repeated with another value.
    DuplicateRequestContentLength,
    /// Response `Content-Length` repeated with another value.
    DuplicateResponseContentLength,
    /// Request `Transfer-Encoding` other than chunked.
    InvalidRequestTransferEncoding,
    /// Response `Transfer-Encoding` other than chunked.
    InvalidResponseTransferEncoding,
    /// Request with both `Content-Length` and chunked encoding (chunked
    /// wins, as in libhtp): a request smuggling sign.
    RequestContentLengthAndChunked,
    /// A second `100 Continue` for one request.
    Continue100AlreadySeen,
    /// A response arrived with no request to match.
    UnmatchedResponse,
    /// HTTP/1.1 request without `Host`.
    MissingHost,
    /// `Host` header that does not parse as host[:port].
    InvalidHostHeader,
    /// A status line that does not start with `HTTP`: the response is read
    /// as a body up to the end of the connection, as browsers do.
    InvalidResponseLine,
    /// A status code that is not a number in 100..=999.
    InvalidResponseStatus,
    /// The body did not decompress as its `Content-Encoding` says; kept raw.
    DecompressionFailed,
    /// Request body over [`REQUEST_BODY_LIMIT`]: the rest was not kept.
    RequestBodyLimit,
    /// Response body over [`RESPONSE_BODY_LIMIT`]: the rest was not kept.
    ResponseBodyLimit,
    /// Data was lost in the request direction during this message.
    RequestGap,
    /// Data was lost in the response direction during this message.
    ResponseGap,
    /// The connection closed in the middle of the request.
    RequestTruncated,
    /// The connection closed in the middle of the response (a body of
    /// known length, or headers).
    ResponseTruncated,
    /// More than [`MAX_LIVE_TXS`] live transactions: the oldest was dropped.
    TooManyTransactions,
    /// An `Authorization` header whose scheme is not Basic, Digest or
    /// Bearer.
    RequestAuthUnrecognized,
    /// A response `Content-Encoding` listing more than
    /// [`MAX_ENCODING_LAYERS`] codings.
    TooManyEncodingLayers,
    /// A response `Content-Encoding` coding other than gzip, deflate (and
    /// their `x-` forms) or lzma, `identity` included.
    AbnormalContentEncoding,
    /// A request header line without a colon.
    RequestFieldMissingColon,
    /// A response header line without a colon.
    ResponseFieldMissingColon,
    /// A request line or header line over [`MAX_START_LINE`] that was still
    /// incomplete at the end of the data received so far: libhtp checks its
    /// field limit on what it has to buffer, so a long line arriving whole
    /// in one chunk raises nothing in Suricata.
    RequestFieldTooLong,
    /// The same for a status line or response header line.
    ResponseFieldTooLong,
    /// An absolute request URI and a `Host` header naming different hosts.
    HostHeaderAmbiguous,
    /// An absolute request URI with an invalid host name or port.
    RequestUriHostInvalid,
    /// A status line whose protocol is not `HTTP/0.9`, `HTTP/1.0` or
    /// `HTTP/1.1`.
    InvalidResponseProtocol,
    /// A response `Transfer-Encoding` that names chunked but is not
    /// exactly `chunked` (`gzip, chunked`).
    ResponseAbnormalTransferEncoding,
}

impl HttpAnomaly {
    /// Suricata 7's name for the event (`app-layer-event:http.<name>`,
    /// lowercased), when it has one.
    pub fn suricata_event(self) -> Option<&'static str> {
        use HttpAnomaly::*;
        // Only what Suricata 7.0.10 raises in the same situation (checked
        // with its http-events.rules on crafted sessions): it has no event
        // for header repetitions, a header block over mirador's cap, or a
        // status line read as body.
        Some(match self {
            RequestFieldTooLong => "REQUEST_FIELD_TOO_LONG",
            ResponseFieldTooLong => "RESPONSE_FIELD_TOO_LONG",
            RequestTooManyHeaders => "REQUEST_TOO_MANY_HEADERS",
            ResponseTooManyHeaders => "RESPONSE_TOO_MANY_HEADERS",
            RequestFieldMissingColon => "REQUEST_FIELD_MISSING_COLON",
            ResponseFieldMissingColon => "RESPONSE_FIELD_MISSING_COLON",
            HostHeaderAmbiguous => "HOST_HEADER_AMBIGUOUS",
            RequestUriHostInvalid => "REQUEST_URI_HOST_INVALID",
            InvalidResponseProtocol => "RESPONSE_INVALID_PROTOCOL",
            ResponseAbnormalTransferEncoding => "RESPONSE_ABNORMAL_TRANSFER_ENCODING",
            RequestHeaderInvalid => "REQUEST_HEADER_INVALID",
            ResponseHeaderInvalid => "RESPONSE_HEADER_INVALID",
            InvalidRequestChunkLen => "INVALID_REQUEST_CHUNK_LEN",
            InvalidResponseChunkLen => "INVALID_RESPONSE_CHUNK_LEN",
            InvalidRequestContentLength => "INVALID_CONTENT_LENGTH_FIELD_IN_REQUEST",
            InvalidResponseContentLength => "INVALID_CONTENT_LENGTH_FIELD_IN_RESPONSE",
            DuplicateRequestContentLength => "DUPLICATE_CONTENT_LENGTH_FIELD_IN_REQUEST",
            DuplicateResponseContentLength => "DUPLICATE_CONTENT_LENGTH_FIELD_IN_RESPONSE",
            InvalidRequestTransferEncoding => "INVALID_TRANSFER_ENCODING_VALUE_IN_REQUEST",
            InvalidResponseTransferEncoding => "INVALID_TRANSFER_ENCODING_VALUE_IN_RESPONSE",
            Continue100AlreadySeen => "100_CONTINUE_ALREADY_SEEN",
            UnmatchedResponse => "UNABLE_TO_MATCH_RESPONSE_TO_REQUEST",
            MissingHost => "MISSING_HOST_HEADER",
            InvalidHostHeader => "REQUEST_HEADER_HOST_INVALID",
            InvalidResponseStatus => "RESPONSE_INVALID_STATUS",
            DecompressionFailed => "GZIP_DECOMPRESSION_FAILED",
            RequestAuthUnrecognized => "REQUEST_AUTH_UNRECOGNIZED",
            TooManyEncodingLayers => "TOO_MANY_ENCODING_LAYERS",
            AbnormalContentEncoding => "ABNORMAL_CE_HEADER",
            RequestContentLengthAndChunked
            | RequestLineTooLong
            | ResponseLineTooLong
            | RequestHeaderTooLong
            | ResponseHeaderTooLong
            | RequestHeaderRepetition
            | ResponseHeaderRepetition
            | InvalidResponseLine
            | RequestBodyLimit
            | ResponseBodyLimit
            | RequestGap
            | ResponseGap
            | RequestTruncated
            | ResponseTruncated
            | TooManyTransactions => return None,
        })
    }
}

/// The parsed header block of one message.
#[derive(Clone, Debug, Default)]
pub(super) struct Head {
    /// Header (and trailer) lines as received, blank line included
    /// (`http.header.raw`).
    pub raw: Vec<u8>,
    /// Headers with repeated names merged, first spelling and position kept.
    pub headers: Vec<Header>,
    /// `http.header`: `Name: value\r\n` per header, without `Cookie`
    /// (requests) or `Set-Cookie` (responses).
    pub normalized: Vec<u8>,
    /// `http.header_names`: `\r\n`, each name and `\r\n`, then `\r\n`.
    pub names: Vec<u8>,
    /// `http.request_header` / `http.response_header` instances: every
    /// header as `Name: value`, back to back; instance `i` ends at
    /// `line_ends[i]`.
    pub lines: Vec<u8>,
    /// End offset in `lines` of each instance.
    pub line_ends: Vec<usize>,
    /// `http.start`: start line, CRLF, `Name: value\r\n` per header, CRLF.
    pub start: Vec<u8>,
    repetitions: usize,
}

impl Head {
    /// The value of a header, by name in any case.
    pub(super) fn get(&self, name: &[u8]) -> Option<&[u8]> {
        self.headers.iter().find(|h| h.name.eq_ignore_ascii_case(name)).map(|h| h.value.as_slice())
    }

    /// Instance `i` of `http.request_header` / `http.response_header`.
    pub(super) fn line(&self, i: usize) -> Option<&[u8]> {
        let end = *self.line_ends.get(i)?;
        let start = if i == 0 { 0 } else { self.line_ends[i - 1] };
        self.lines.get(start..end)
    }

    /// Rebuilds the derived buffers after headers were added; `start_line`
    /// is the message's start line (`http.start` begins with it).
    fn rebuild(&mut self, request: bool, start_line: Option<&[u8]>) {
        let cookie: &[u8] = if request { b"cookie" } else { b"set-cookie" };
        self.normalized.clear();
        self.names.clear();
        self.lines.clear();
        self.line_ends.clear();
        self.names.extend_from_slice(b"\r\n");
        for h in &self.headers {
            if !h.name.eq_ignore_ascii_case(cookie) {
                self.normalized.extend_from_slice(&h.name);
                self.normalized.extend_from_slice(b": ");
                self.normalized.extend_from_slice(&h.value);
                self.normalized.extend_from_slice(b"\r\n");
            }
            self.names.extend_from_slice(&h.name);
            self.names.extend_from_slice(b"\r\n");
            self.lines.extend_from_slice(&h.name);
            self.lines.extend_from_slice(b": ");
            self.lines.extend_from_slice(&h.value);
            self.line_ends.push(self.lines.len());
        }
        self.names.extend_from_slice(b"\r\n");
        self.start.clear();
        if let Some(line) = start_line {
            self.start.extend_from_slice(line);
            self.start.extend_from_slice(b"\r\n");
            for i in 0..self.line_ends.len() {
                let start = if i == 0 { 0 } else { self.line_ends[i - 1] };
                self.start.extend_from_slice(&self.lines[start..self.line_ends[i]]);
                self.start.extend_from_slice(b"\r\n");
            }
            self.start.extend_from_slice(b"\r\n");
        }
    }
}

/// What happened when a header was added to a block.
enum Added {
    New,
    Repeated,
    RepeatedContentLength { same: bool },
    Dropped,
    DroppedRepeat,
}

fn add_header(head: &mut Head, h: Header) -> Added {
    match head.headers.iter_mut().find(|e| e.name.eq_ignore_ascii_case(&h.name)) {
        None => {
            if head.headers.len() >= MAX_HEADERS {
                return Added::Dropped;
            }
            head.headers.push(h);
            Added::New
        }
        Some(e) => {
            if head.repetitions >= MAX_HEADER_REPETITIONS {
                return Added::DroppedRepeat;
            }
            head.repetitions += 1;
            if e.name.eq_ignore_ascii_case(b"content-length") {
                // libhtp keeps the first C-L and flags a different one.
                let a = parser::parse_content_length(&e.value);
                let b = parser::parse_content_length(&h.value);
                return Added::RepeatedContentLength { same: a.is_some() && a == b };
            }
            e.value.extend_from_slice(b", ");
            e.value.extend_from_slice(&h.value);
            Added::Repeated
        }
    }
}

/// The request half of a transaction.
#[derive(Debug, Default)]
pub(super) struct Request {
    /// Request line without its line ending.
    pub line: Option<Vec<u8>>,
    pub method: Option<Vec<u8>>,
    /// Request target as sent (`http.uri.raw`, EVE `url`).
    pub uri_raw: Option<Vec<u8>>,
    /// `http.uri`.
    pub uri_norm: Option<Vec<u8>>,
    pub protocol: Option<Vec<u8>>,
    /// HTTP/0.9: no protocol, no headers, the response is all body.
    pub is_09: bool,
    /// Host of an absolute URI, normalized.
    pub uri_hostname: Option<Vec<u8>>,
    uri_port: i32,
    /// Host the request is for (`http.host`, EVE `hostname`).
    pub hostname: Option<Vec<u8>>,
    /// EVE `http_port`: -1 for none. libhtp leaves 0 until the headers are
    /// processed, which EVE shows for HTTP/0.9 and unmatched responses.
    pub port: i32,
    pub head: Head,
    pub body: Option<Body>,
    /// The request as sent (`frame:http1.request`), kept only when rules
    /// inspect it; at most [`MAX_FRAME`] bytes.
    pub frame: Vec<u8>,
}

/// The response half of a transaction.
#[derive(Debug, Default)]
pub(super) struct Response {
    /// Status line without its line ending.
    pub line: Option<Vec<u8>>,
    pub protocol: Option<Vec<u8>>,
    pub status: Option<Vec<u8>>,
    pub message: Option<Vec<u8>>,
    pub status_number: Option<u16>,
    seen_100: bool,
    pub head: Head,
    pub body: Option<Body>,
    /// The response as sent (`frame:http1.response`), when kept.
    pub frame: Vec<u8>,
}

/// One request and its response.
#[derive(Debug)]
pub struct HttpTx {
    /// 0, 1, 2... per connection, in request order.
    pub id: u64,
    /// How far the request has been parsed.
    pub request_progress: Progress,
    /// How far the response has been parsed.
    pub response_progress: Progress,
    pub(super) anomalies: Vec<HttpAnomaly>,
    pub(super) req: Request,
    pub(super) res: Response,
}

impl HttpTx {
    fn new(id: u64) -> HttpTx {
        HttpTx {
            id,
            request_progress: Progress::None,
            response_progress: Progress::None,
            anomalies: Vec::new(),
            req: Request::default(),
            res: Response::default(),
        }
    }

    /// Anomalies seen in this transaction, each once, in the order seen.
    pub fn anomalies(&self) -> &[HttpAnomaly] {
        &self.anomalies
    }

    /// A request header's value, by name in any case.
    pub fn request_header(&self, name: &[u8]) -> Option<&[u8]> {
        self.req.head.get(name)
    }

    /// Both the request and the response are complete.
    pub fn is_complete(&self) -> bool {
        self.request_progress == Progress::Complete && self.response_progress == Progress::Complete
    }

    /// The name of the file a body of this direction is, None when the
    /// body is not a file. As in Suricata 7: every response body is one,
    /// named by the `Content-Disposition` file name, else the URI path;
    /// a request body is one for POST and PUT, named by the URI path.
    /// (Suricata splits `multipart/form-data` requests into a file per
    /// part; those are not files here.)
    fn file_name(&self, request: bool) -> Option<Vec<u8>> {
        let uri_path = || {
            let uri = self.req.uri_norm.as_deref().or(self.req.uri_raw.as_deref()).unwrap_or_default();
            uri[..uri.iter().position(|&c| c == b'?').unwrap_or(uri.len())].to_vec()
        };
        if request {
            let method = self.req.method.as_deref()?;
            let multipart = self
                .req
                .head
                .get(b"content-type")
                .is_some_and(|v| v.trim_ascii_start().to_ascii_lowercase().starts_with(b"multipart/form-data"));
            return (matches!(method, b"POST" | b"PUT") && !multipart).then(uri_path);
        }
        let disposition = self.res.head.get(b"content-disposition").and_then(parser::disposition_filename);
        Some(disposition.unwrap_or_else(uri_path))
    }

    /// The file of one direction's body (`to_server`: the request's),
    /// once its first byte arrived.
    pub fn file(&self, to_server: bool) -> Option<&File> {
        let body = if to_server { &self.req.body } else { &self.res.body };
        body.as_ref()?.file.as_ref()
    }

    /// The same, to mark it stored.
    pub fn file_mut(&mut self, to_server: bool) -> Option<&mut File> {
        self.body_mut(to_server).as_mut()?.file.as_mut()
    }

    fn flag(&mut self, a: HttpAnomaly) {
        if !self.anomalies.contains(&a) {
            self.anomalies.push(a);
        }
    }

    fn progress_mut(&mut self, request: bool) -> &mut Progress {
        if request {
            &mut self.request_progress
        } else {
            &mut self.response_progress
        }
    }

    fn head_mut(&mut self, request: bool) -> &mut Head {
        if request {
            &mut self.req.head
        } else {
            &mut self.res.head
        }
    }

    fn body_mut(&mut self, request: bool) -> &mut Option<Body> {
        if request {
            &mut self.req.body
        } else {
            &mut self.res.body
        }
    }
}

/// Where a direction's parser is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Waiting for a start line; blank lines are skipped. With `resync`,
    /// every line that does not look like a start line is skipped too.
    Line { resync: bool },
    /// Skipping the rest of an over-long line, then `next`.
    LineSkip { next: AfterSkip },
    /// Collecting a header (or trailer) block.
    Headers { trailer: bool },
    /// Skipping the rest of an over-long header block.
    HeadersSkip { trailer: bool, at_bol: bool, cr: bool },
    /// Body with this many bytes left.
    Body { left: u64 },
    /// Response body up to the end of the connection.
    UntilClose,
    /// Collecting a chunk-size line.
    ChunkLen,
    /// Chunk data with this many bytes left.
    ChunkData { left: u64 },
    /// Up to the LF after chunk data.
    ChunkEnd,
    /// Request side after `CONNECT`: data is held until the response says
    /// whether it is a tunnel.
    ConnectWait,
    /// No longer HTTP (successful `CONNECT`, `101 Switching Protocols`).
    Tunnel,
    /// The direction was closed.
    Closed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AfterSkip {
    Headers,
    Resync,
}

#[derive(Debug)]
struct DirParser {
    phase: Phase,
    /// Partial line or header block.
    buf: Vec<u8>,
    /// Where the last, possibly partial, line of `buf` starts.
    line_start: usize,
    /// Transaction this direction is parsing.
    tx: Option<u64>,
}

impl DirParser {
    fn new() -> DirParser {
        DirParser { phase: Phase::Line { resync: false }, buf: Vec::new(), line_start: 0, tx: None }
    }

    fn reset_buf(&mut self) {
        self.buf.clear();
        self.line_start = 0;
        if self.buf.capacity() > 4096 {
            self.buf.shrink_to(4096);
        }
    }
}

/// What [`collect_line`] found.
#[derive(PartialEq, Eq)]
enum Collect {
    Partial,
    Line,
    Overflow,
}

/// Appends bytes up to and including the next LF to `buf`, keeping `buf` at
/// most `limit` bytes. Returns the bytes consumed and whether a line was
/// completed, is still partial, or went over the limit (then `buf` holds
/// exactly `limit` bytes).
fn collect_line(buf: &mut Vec<u8>, data: &[u8], limit: usize) -> (usize, Collect) {
    let room = limit.saturating_sub(buf.len());
    match memchr::memchr(b'\n', data) {
        Some(i) if i < room => {
            buf.extend_from_slice(&data[..=i]);
            (i + 1, Collect::Line)
        }
        None if data.len() <= room => {
            buf.extend_from_slice(data);
            (data.len(), Collect::Partial)
        }
        _ => {
            buf.extend_from_slice(&data[..room]);
            (room, Collect::Overflow)
        }
    }
}

/// HTTP/1.x parser state of one connection.
#[derive(Debug)]
pub struct HttpState {
    txs: VecDeque<HttpTx>,
    next_id: u64,
    /// Id of the next transaction to get a response.
    res_next: u64,
    req: DirParser,
    res: DirParser,
    anomalies: Vec<HttpAnomaly>,
    dropped_txs: u64,
    connect_tx: Option<u64>,
    connect_stash: Vec<u8>,
    release_stash: bool,
    /// Keep each message as sent for the frame buffers.
    keep_frames: bool,
    /// What files compute (hashes, type description).
    file_cfg: FileConfig,
    /// Body bytes kept per message: request, response
    /// ([`HttpState::set_body_limits`]).
    body_limits: [usize; 2],
    /// Bytes of a message not yet tied to its transaction (a start line
    /// still being read), per direction: request, response.
    frame_pending: [Vec<u8>; 2],
}

/// Most bytes of one message kept for its frame buffer (Suricata's default
/// stream reassembly depth, which bounds its frames).
pub const MAX_FRAME: usize = 1 << 20;

fn append_capped(v: &mut Vec<u8>, data: &[u8]) {
    let room = MAX_FRAME.saturating_sub(v.len());
    v.extend_from_slice(&data[..data.len().min(room)]);
}

impl Default for HttpState {
    fn default() -> Self {
        Self::new()
    }
}

impl HttpState {
    /// A connection with nothing seen yet.
    pub fn new() -> Self {
        HttpState {
            txs: VecDeque::new(),
            next_id: 0,
            res_next: 0,
            req: DirParser::new(),
            res: DirParser::new(),
            anomalies: Vec::new(),
            dropped_txs: 0,
            connect_tx: None,
            connect_stash: Vec::new(),
            release_stash: false,
            keep_frames: false,
            file_cfg: FileConfig::default(),
            body_limits: [REQUEST_BODY_LIMIT, RESPONSE_BODY_LIMIT],
            frame_pending: [Vec::new(), Vec::new()],
        }
    }

    /// Sets what the files of later bodies compute.
    pub fn set_file_config(&mut self, cfg: FileConfig) {
        self.file_cfg = cfg;
    }

    /// Keeps every message as sent, for `frame:http1.request` and
    /// `frame:http1.response` (off by default: it copies the stream).
    pub fn keep_frames(&mut self, on: bool) {
        self.keep_frames = on;
    }

    /// Sets how many body bytes of each request and response are kept
    /// (libhtp's `request-body-limit` and `response-body-limit`; 0 or more
    /// than [`MAX_BODY_LIMIT`] gives [`MAX_BODY_LIMIT`]).
    pub fn set_body_limits(&mut self, request: usize, response: usize) {
        let cap = |l: usize| if l == 0 { MAX_BODY_LIMIT } else { l.min(MAX_BODY_LIMIT) };
        self.body_limits = [cap(request), cap(response)];
    }

    /// Ties bytes a parser step consumed to their message's frame: the
    /// transaction the direction was parsing before the step, else the one
    /// the step started (with the bytes held while its start line was read).
    fn frame_bytes(&mut self, request: bool, before: Option<u64>, data: &[u8]) {
        let side = usize::from(!request);
        let Some(id) = before.or(self.dir(request).tx) else {
            append_capped(&mut self.frame_pending[side], data);
            return;
        };
        let pending = if before.is_none() { std::mem::take(&mut self.frame_pending[side]) } else { Vec::new() };
        if let Some(tx) = self.get(Some(id)) {
            let frame = if request { &mut tx.req.frame } else { &mut tx.res.frame };
            append_capped(frame, &pending);
            append_capped(frame, data);
        }
    }

    /// Live transactions, oldest first.
    pub fn txs(&self) -> impl Iterator<Item = &HttpTx> {
        self.txs.iter()
    }

    /// A live transaction by id.
    pub fn tx(&self, id: u64) -> Option<&HttpTx> {
        self.idx(id).map(|i| &self.txs[i])
    }

    /// A live transaction by id, to change its progress or anomalies' fate.
    pub fn tx_mut(&mut self, id: u64) -> Option<&mut HttpTx> {
        self.idx(id).map(move |i| &mut self.txs[i])
    }

    /// Connection-level anomalies ([`HttpAnomaly::TooManyTransactions`]).
    pub fn anomalies(&self) -> &[HttpAnomaly] {
        &self.anomalies
    }

    /// Transactions dropped because of [`MAX_LIVE_TXS`].
    pub fn dropped_txs(&self) -> u64 {
        self.dropped_txs
    }

    /// Frees every transaction that is complete in both directions and
    /// whose id is lower than `keep_after`. Others stay, whatever their age.
    pub fn remove_done(&mut self, keep_after: u64) {
        self.txs.retain(|t| !(t.id < keep_after && t.is_complete()));
    }

    /// Parses the next bytes of one direction (`to_server`: client to
    /// server). Any chunk size, cut anywhere.
    pub fn parse(&mut self, to_server: bool, data: &[u8]) {
        let mut pos = 0;
        let mut idle = 0;
        while pos < data.len() {
            let before = self.dir(to_server).tx;
            let n = self.step(to_server, &data[pos..]);
            if self.keep_frames {
                self.frame_bytes(to_server, before, &data[pos..pos + n]);
            }
            pos += n;
            // A step may change phase without consuming; two in a row
            // without progress would be a bug: stop rather than spin.
            idle = if n == 0 { idle + 1 } else { 0 };
            if idle > 2 {
                debug_assert!(false, "http parser made no progress");
                break;
            }
            if self.release_stash {
                self.release_stash = false;
                let stash = std::mem::take(&mut self.connect_stash);
                self.parse(true, &stash);
            }
        }
    }

    /// Data was lost in one direction. The message being parsed there is
    /// abandoned (its transaction side marked complete, with
    /// [`HttpAnomaly::RequestGap`] / [`HttpAnomaly::ResponseGap`]) and the
    /// parser waits for a line that looks like a request line (or status
    /// line) to start again.
    pub fn gap(&mut self, to_server: bool) {
        let p = self.dir(to_server);
        let (phase, tx, empty) = (p.phase, p.tx, p.buf.is_empty());
        match phase {
            Phase::Tunnel | Phase::Closed | Phase::ConnectWait => return,
            Phase::Line { .. } if empty => {}
            _ => {
                if let Some(id) = tx {
                    let a = if to_server { HttpAnomaly::RequestGap } else { HttpAnomaly::ResponseGap };
                    self.flag(id, a);
                    self.complete(to_server, id);
                }
            }
        }
        let p = self.dir(to_server);
        p.reset_buf();
        p.tx = None;
        p.phase = Phase::Line { resync: true };
    }

    /// The connection ended (both directions): a response delimited by the
    /// close is complete, messages cut short are marked complete with
    /// [`HttpAnomaly::RequestTruncated`] / [`HttpAnomaly::ResponseTruncated`].
    pub fn close(&mut self) {
        self.close_dir(true);
        self.close_dir(false);
    }

    /// One direction ended (a FIN from that side); see [`HttpState::close`].
    pub fn close_dir(&mut self, to_server: bool) {
        // libhtp processes what it buffered when the stream closes: a
        // header block cut by the close, a start line without its LF.
        let p = self.dir(to_server);
        match p.phase {
            Phase::Headers { trailer } if !p.buf.is_empty() => {
                let block = std::mem::take(&mut p.buf);
                p.reset_buf();
                self.store_headers(to_server, &block, trailer, false);
            }
            Phase::Line { resync: false } if !p.buf.is_empty() && !to_server => {
                let line = std::mem::take(&mut p.buf);
                p.reset_buf();
                self.start_line(false, &line, false, false);
            }
            _ => {}
        }
        let p = self.dir(to_server);
        let (phase, tx) = (p.phase, p.tx);
        match phase {
            Phase::UntilClose => {
                if let Some(id) = tx {
                    self.complete(to_server, id);
                }
            }
            Phase::Line { .. } | Phase::Tunnel | Phase::Closed | Phase::ConnectWait => {}
            _ => {
                if let Some(id) = tx {
                    let a = if to_server { HttpAnomaly::RequestTruncated } else { HttpAnomaly::ResponseTruncated };
                    self.flag(id, a);
                    self.complete(to_server, id);
                }
            }
        }
        let p = self.dir(to_server);
        p.reset_buf();
        p.tx = None;
        p.phase = Phase::Closed;
    }

    // ---- helpers -------------------------------------------------------

    fn idx(&self, id: u64) -> Option<usize> {
        self.txs.binary_search_by_key(&id, |t| t.id).ok()
    }

    fn get(&mut self, id: Option<u64>) -> Option<&mut HttpTx> {
        let i = self.idx(id?)?;
        Some(&mut self.txs[i])
    }

    fn dir(&mut self, to_server: bool) -> &mut DirParser {
        if to_server {
            &mut self.req
        } else {
            &mut self.res
        }
    }

    fn flag(&mut self, id: u64, a: HttpAnomaly) {
        if let Some(tx) = self.get(Some(id)) {
            tx.flag(a);
        }
    }

    fn raise(&mut self, request: bool, id: u64, p: Progress) {
        if let Some(tx) = self.get(Some(id)) {
            let cur = tx.progress_mut(request);
            if *cur < p {
                *cur = p;
            }
        }
    }

    fn new_tx(&mut self) -> u64 {
        if self.txs.len() >= MAX_LIVE_TXS {
            // The oldest transaction that neither direction is parsing.
            let busy = [self.req.tx, self.res.tx];
            let victim = self.txs.iter().position(|t| !busy.contains(&Some(t.id))).unwrap_or(0);
            self.txs.remove(victim);
            self.dropped_txs += 1;
            if !self.anomalies.contains(&HttpAnomaly::TooManyTransactions) {
                self.anomalies.push(HttpAnomaly::TooManyTransactions);
            }
        }
        let id = self.next_id;
        self.next_id += 1;
        self.txs.push_back(HttpTx::new(id));
        id
    }

    /// The transaction the next response belongs to, creating one when no
    /// request is waiting (as libhtp does).
    fn response_tx(&mut self) -> u64 {
        while self.res_next < self.next_id && self.idx(self.res_next).is_none() {
            self.res_next += 1;
        }
        if self.res_next < self.next_id {
            return self.res_next;
        }
        let id = self.new_tx();
        if let Some(tx) = self.get(Some(id)) {
            tx.request_progress = Progress::Complete;
            tx.req.uri_raw = Some(b"/libhtp::request_uri_not_seen".to_vec());
            tx.flag(HttpAnomaly::UnmatchedResponse);
        }
        self.res_next = id;
        id
    }

    /// Marks one side of a transaction complete and frees the direction for
    /// the next message.
    fn complete(&mut self, request: bool, id: u64) {
        if let Some(tx) = self.get(Some(id)) {
            // A message completes early only after one of these (flagged
            // just before): its file is then truncated.
            let (gap, cut) = if request {
                (HttpAnomaly::RequestGap, HttpAnomaly::RequestTruncated)
            } else {
                (HttpAnomaly::ResponseGap, HttpAnomaly::ResponseTruncated)
            };
            let gapped = tx.anomalies.contains(&gap);
            let whole = !gapped && !tx.anomalies.contains(&cut);
            if let Some(body) = tx.body_mut(request) {
                body.finish();
                body.end_file(whole, gapped);
            }
            sync_body_flags(tx, request);
            *tx.progress_mut(request) = Progress::Complete;
        }
        if !request && self.res_next <= id {
            self.res_next = id + 1;
        }
        let p = self.dir(request);
        if p.tx == Some(id) {
            p.tx = None;
        }
        p.reset_buf();
        p.phase = Phase::Line { resync: false };
    }

    fn feed_body(&mut self, request: bool, data: &[u8]) {
        let id = self.dir(request).tx;
        if let Some(tx) = self.get(id) {
            let p = tx.progress_mut(request);
            if *p < Progress::Body {
                *p = Progress::Body;
            }
            if let Some(body) = tx.body_mut(request) {
                body.feed(data);
            }
            sync_body_flags(tx, request);
        }
    }

    fn add_framing(&mut self, request: bool, n: usize) {
        let id = self.dir(request).tx;
        if let Some(tx) = self.get(id) {
            let p = tx.progress_mut(request);
            if *p < Progress::Body {
                *p = Progress::Body;
            }
            if let Some(body) = tx.body_mut(request) {
                body.add_framing(n);
            }
        }
    }

    // ---- the state machine ----------------------------------------------

    fn step(&mut self, request: bool, data: &[u8]) -> usize {
        let phase = self.dir(request).phase;
        match phase {
            Phase::Line { resync } => self.step_line(request, data, resync),
            Phase::LineSkip { next } => match memchr::memchr(b'\n', data) {
                None => data.len(),
                Some(i) => {
                    let p = self.dir(request);
                    p.reset_buf();
                    p.phase = match next {
                        AfterSkip::Headers => Phase::Headers { trailer: false },
                        AfterSkip::Resync => Phase::Line { resync: true },
                    };
                    i + 1
                }
            },
            Phase::Headers { trailer } => self.step_headers(request, data, trailer),
            Phase::HeadersSkip { trailer, at_bol, cr } => self.step_headers_skip(request, data, trailer, at_bol, cr),
            Phase::Body { left } => {
                let n = data.len().min(usize::try_from(left).unwrap_or(usize::MAX));
                self.feed_body(request, &data[..n]);
                let left = left - n as u64;
                if left == 0 {
                    if let Some(id) = self.dir(request).tx {
                        self.complete(request, id);
                    } else {
                        self.dir(request).phase = Phase::Line { resync: false };
                    }
                } else {
                    self.dir(request).phase = Phase::Body { left };
                }
                n
            }
            Phase::UntilClose => {
                self.feed_body(request, data);
                data.len()
            }
            Phase::ChunkLen => self.step_chunk_len(request, data),
            Phase::ChunkData { left } => {
                let n = data.len().min(usize::try_from(left).unwrap_or(usize::MAX));
                self.feed_body(request, &data[..n]);
                let left = left - n as u64;
                self.dir(request).phase = if left == 0 { Phase::ChunkEnd } else { Phase::ChunkData { left } };
                n
            }
            Phase::ChunkEnd => {
                let (n, done) = match memchr::memchr(b'\n', data) {
                    Some(i) => (i + 1, true),
                    None => (data.len(), false),
                };
                self.add_framing(request, n);
                if done {
                    self.dir(request).phase = Phase::ChunkLen;
                }
                n
            }
            Phase::ConnectWait => {
                let room = MAX_CONNECT_STASH.saturating_sub(self.connect_stash.len());
                self.connect_stash.extend_from_slice(&data[..data.len().min(room)]);
                data.len()
            }
            Phase::Tunnel | Phase::Closed => data.len(),
        }
    }

    fn step_line(&mut self, request: bool, data: &[u8], resync: bool) -> usize {
        if self.dir(request).buf.is_empty() {
            let blank = data.iter().take_while(|&&c| c == b'\r' || c == b'\n').count();
            if blank > 0 {
                return blank;
            }
            if !request && !resync && self.res.tx.is_none() {
                // First byte of a response: find its request. The answer to
                // an HTTP/0.9 request has no status line: it is all body.
                let id = self.response_tx();
                self.res.tx = Some(id);
                if self.get(Some(id)).is_some_and(|t| t.req.is_09) {
                    self.start_body(false, id, Coding::Identity);
                    self.res.phase = Phase::UntilClose;
                    return 0;
                }
            }
        }
        let p = self.dir(request);
        let (n, st) = collect_line(&mut p.buf, data, MAX_START_LINE);
        match st {
            Collect::Partial => n,
            Collect::Line => {
                let line = std::mem::take(&mut p.buf);
                p.reset_buf();
                let ok = !resync
                    || if request {
                        parser::looks_like_request_line(&line)
                    } else {
                        parser::looks_like_status_line(&line)
                    };
                if ok {
                    self.start_line(request, &line, false, false);
                }
                n
            }
            Collect::Overflow => {
                if resync {
                    p.reset_buf();
                    p.phase = Phase::LineSkip { next: AfterSkip::Resync };
                } else {
                    let line = std::mem::take(&mut p.buf);
                    p.reset_buf();
                    // libhtp's field limit applies to what it buffers: the
                    // line is "too long" when it is still incomplete at the
                    // end of the data received so far.
                    let long = memchr::memchr(b'\n', &data[n..]).is_none();
                    self.start_line(request, &line, true, long);
                }
                n
            }
        }
    }

    /// A complete start line (or its first [`MAX_START_LINE`] bytes when
    /// `cut`).
    /// `long`: the line is over the limit and incomplete at the end of the
    /// data received so far ([`HttpAnomaly::RequestLineTooLong`]).
    fn start_line(&mut self, request: bool, raw: &[u8], cut: bool, long: bool) {
        let line = if cut { raw } else { parser::chomp(raw) };
        if request {
            self.request_line(line, cut, long);
        } else {
            self.status_line(raw, line, cut, long);
        }
    }

    fn request_line(&mut self, line: &[u8], cut: bool, long: bool) {
        let rl = parser::parse_request_line(line);
        let id = self.new_tx();
        // A cut line may have lost its protocol: expect headers anyway.
        let is_09 = rl.protocol.is_none() && !cut;
        if let Some(tx) = self.get(Some(id)) {
            tx.request_progress = Progress::Line;
            if cut {
                tx.flag(HttpAnomaly::RequestLineTooLong);
            }
            if long {
                tx.flag(HttpAnomaly::RequestFieldTooLong);
            }
            if let Some(uri) = &rl.uri {
                let n = parser::normalize_uri(uri);
                if n.host_invalid {
                    tx.flag(HttpAnomaly::RequestUriHostInvalid);
                }
                tx.req.uri_norm = Some(n.uri);
                tx.req.uri_hostname = n.hostname;
                tx.req.uri_port = n.port;
            }
            tx.req.line = Some(line.to_vec());
            tx.req.method = Some(rl.method);
            tx.req.uri_raw = rl.uri;
            tx.req.protocol = rl.protocol;
            tx.req.is_09 = is_09;
            if is_09 {
                // No headers: only a host from an absolute URI.
                tx.req.hostname = tx.req.uri_hostname.clone();
            }
        }
        self.req.tx = Some(id);
        if is_09 {
            self.complete(true, id);
        } else {
            self.req.phase =
                if cut { Phase::LineSkip { next: AfterSkip::Headers } } else { Phase::Headers { trailer: false } };
        }
    }

    fn status_line(&mut self, raw: &[u8], line: &[u8], cut: bool, long: bool) {
        let id = match self.res.tx {
            Some(id) => id,
            None => {
                let id = self.response_tx();
                self.res.tx = Some(id);
                id
            }
        };
        if parser::treat_response_line_as_body(line) {
            // Not a status line: browsers (and libhtp) read it, and all
            // that follows, as the body.
            self.flag(id, HttpAnomaly::InvalidResponseLine);
            self.start_body(false, id, Coding::Identity);
            self.feed_body(false, raw);
            self.res.phase = Phase::UntilClose;
            return;
        }
        let sl = parser::parse_status_line(line);
        if let Some(tx) = self.get(Some(id)) {
            tx.response_progress = Progress::Line;
            if cut {
                tx.flag(HttpAnomaly::ResponseLineTooLong);
            }
            if long {
                tx.flag(HttpAnomaly::ResponseFieldTooLong);
            }
            tx.res.status_number = sl.status.as_deref().and_then(parser::status_number);
            if sl.status.is_some() && tx.res.status_number.is_none() {
                tx.flag(HttpAnomaly::InvalidResponseStatus);
            }
            if sl.protocol.as_deref().is_some_and(|p| !parser::known_protocol(p)) {
                tx.flag(HttpAnomaly::InvalidResponseProtocol);
            }
            tx.res.line = Some(line.to_vec());
            tx.res.protocol = sl.protocol;
            tx.res.status = sl.status;
            tx.res.message = sl.message;
        }
        self.res.phase =
            if cut { Phase::LineSkip { next: AfterSkip::Headers } } else { Phase::Headers { trailer: false } };
    }

    fn step_headers(&mut self, request: bool, data: &[u8], trailer: bool) -> usize {
        let p = self.dir(request);
        let (n, st) = collect_line(&mut p.buf, data, MAX_HEADER_BYTES);
        match st {
            Collect::Partial => {
                // libhtp checks its field limit on what it buffers: a
                // header line still incomplete at the end of the data
                // received so far.
                if p.buf.len() - p.line_start > MAX_START_LINE {
                    self.flag_long_field(request);
                }
                n
            }
            Collect::Line => {
                if parser::is_blank_line(&p.buf[p.line_start..]) {
                    let block = std::mem::take(&mut p.buf);
                    p.reset_buf();
                    self.store_headers(request, &block, trailer, false);
                    self.headers_done(request, trailer);
                } else {
                    p.line_start = p.buf.len();
                }
                n
            }
            Collect::Overflow => {
                if p.buf.len() - p.line_start > MAX_START_LINE && memchr::memchr(b'\n', &data[n..]).is_none() {
                    self.flag_long_field(request);
                }
                let p = self.dir(request);
                let partial = &p.buf[p.line_start..];
                let (at_bol, cr) = (partial.is_empty() || partial == b"\r", partial == b"\r");
                let block = std::mem::take(&mut p.buf);
                p.reset_buf();
                p.phase = Phase::HeadersSkip { trailer, at_bol, cr };
                self.store_headers(request, &block, trailer, true);
                n
            }
        }
    }

    /// A header line over [`MAX_START_LINE`] incomplete at the end of the
    /// data so far ([`HttpAnomaly::RequestFieldTooLong`]).
    fn flag_long_field(&mut self, request: bool) {
        if let Some(id) = self.dir(request).tx {
            let a = if request { HttpAnomaly::RequestFieldTooLong } else { HttpAnomaly::ResponseFieldTooLong };
            self.flag(id, a);
        }
    }

    fn step_headers_skip(
        &mut self,
        request: bool,
        data: &[u8],
        trailer: bool,
        mut at_bol: bool,
        mut cr: bool,
    ) -> usize {
        for (i, &c) in data.iter().enumerate() {
            if c == b'\n' {
                if at_bol {
                    self.headers_done(request, trailer);
                    return i + 1;
                }
                at_bol = true;
                cr = false;
            } else if c == b'\r' && at_bol && !cr {
                cr = true;
            } else {
                at_bol = false;
                cr = false;
            }
        }
        self.dir(request).phase = Phase::HeadersSkip { trailer, at_bol, cr };
        data.len()
    }

    /// Parses a header (or trailer) block into the current transaction.
    fn store_headers(&mut self, request: bool, block: &[u8], trailer: bool, over: bool) {
        let id = self.dir(request).tx;
        let Some(tx) = self.get(id) else {
            return;
        };
        let parsed = parser::parse_headers(block);
        use HttpAnomaly as A;
        let (too_long, too_many, repeated, invalid, dup_cl, no_colon) = if request {
            (
                A::RequestHeaderTooLong,
                A::RequestTooManyHeaders,
                A::RequestHeaderRepetition,
                A::RequestHeaderInvalid,
                A::DuplicateRequestContentLength,
                A::RequestFieldMissingColon,
            )
        } else {
            (
                A::ResponseHeaderTooLong,
                A::ResponseTooManyHeaders,
                A::ResponseHeaderRepetition,
                A::ResponseHeaderInvalid,
                A::DuplicateResponseContentLength,
                A::ResponseFieldMissingColon,
            )
        };
        if over {
            tx.flag(too_long);
        }
        if parsed.invalid {
            tx.flag(invalid);
        }
        if parsed.missing_colon {
            tx.flag(no_colon);
        }
        if !trailer || !parsed.headers.is_empty() {
            tx.head_mut(request).raw.extend_from_slice(block);
        }
        for h in parsed.headers {
            match add_header(tx.head_mut(request), h) {
                Added::New => {}
                Added::Repeated => tx.flag(repeated),
                Added::RepeatedContentLength { same } => {
                    tx.flag(repeated);
                    if !same {
                        tx.flag(dup_cl);
                    }
                }
                Added::Dropped => tx.flag(too_many),
                // libhtp drops further repeats without an event.
                Added::DroppedRepeat => {}
            }
        }
        if request {
            tx.req.head.rebuild(true, tx.req.line.as_deref());
        } else {
            tx.res.head.rebuild(false, tx.res.line.as_deref());
        }
    }

    fn start_body(&mut self, request: bool, id: u64, coding: Coding) {
        let limit = self.body_limits[usize::from(!request)];
        let cfg = self.file_cfg;
        if let Some(tx) = self.get(Some(id)) {
            let body = Body::new(limit, coding);
            *tx.body_mut(request) = Some(match tx.file_name(request) {
                Some(name) => body.with_file(name, cfg),
                None => body,
            });
        }
    }

    /// The header (or trailer) block is over: decide how the body is
    /// delimited.
    fn headers_done(&mut self, request: bool, trailer: bool) {
        let Some(id) = self.dir(request).tx else {
            // The transaction was dropped (too many live ones): skip the
            // message as if it had no body.
            self.dir(request).phase = Phase::Line { resync: false };
            return;
        };
        if trailer {
            self.complete(request, id);
            return;
        }
        self.raise(request, id, Progress::Headers);
        if request {
            self.request_headers_done(id);
        } else {
            self.response_headers_done(id);
        }
    }

    fn request_headers_done(&mut self, id: u64) {
        let Some(tx) = self.get(Some(id)) else {
            return;
        };
        // Host and port: the URI's host wins over the Host header.
        let r = &mut tx.req;
        r.port = r.uri_port;
        let mut anomalies = Vec::new();
        if let Some(h) = r.uri_hostname.clone() {
            if let Some(v) = r.head.get(b"host") {
                let hp = parser::parse_hostport(v);
                let norm = |h: &[u8]| {
                    let mut h = h.to_ascii_lowercase();
                    while h.last() == Some(&b'.') {
                        h.pop();
                    }
                    h
                };
                let host_differs = hp.host.as_deref().is_some_and(|hh| norm(hh) != norm(&h));
                let port_differs = hp.port > 0 && r.uri_port > 0 && hp.port != r.uri_port;
                if host_differs || port_differs {
                    anomalies.push(HttpAnomaly::HostHeaderAmbiguous);
                }
            }
            r.hostname = Some(h);
        } else if let Some(v) = r.head.get(b"host") {
            let hp = parser::parse_hostport(v);
            if hp.invalid {
                anomalies.push(HttpAnomaly::InvalidHostHeader);
            }
            if hp.host.is_some() {
                r.hostname = hp.host;
                r.port = hp.port;
            }
        } else if r.protocol.as_deref().is_some_and(|p| p.trim_ascii().eq_ignore_ascii_case(b"HTTP/1.1")) {
            anomalies.push(HttpAnomaly::MissingHost);
        }
        if r.head.get(b"authorization").is_some_and(|v| !parser::auth_scheme_known(v)) {
            anomalies.push(HttpAnomaly::RequestAuthUnrecognized);
        }
        for a in anomalies {
            tx.flag(a);
        }
        let connect = tx.req.method.as_deref() == Some(b"CONNECT");
        let delim = body_delimiter(&tx.req.head, true);
        let coding = Coding::from_header(tx.req.head.get(b"content-encoding"));
        if connect {
            self.complete(true, id);
            self.connect_tx = Some(id);
            self.req.phase = Phase::ConnectWait;
            return;
        }
        self.apply_delimiter(true, id, delim, coding);
    }

    fn response_headers_done(&mut self, id: u64) {
        let connect = self.connect_tx == Some(id);
        let Some(tx) = self.get(Some(id)) else {
            return;
        };
        let status = tx.res.status_number;
        let has_te = tx.res.head.get(b"transfer-encoding").is_some();
        let has_cl = tx.res.head.get(b"content-length").is_some();
        if status == Some(100) && !has_te && !has_cl {
            if !tx.res.seen_100 {
                // Interim response: forget its headers and read the real
                // one into the same transaction. As libhtp, its status
                // line stays (`http.stat_code` is "100") until the next one.
                let interim = std::mem::take(&mut tx.res);
                tx.res = Response {
                    seen_100: true,
                    line: interim.line,
                    protocol: interim.protocol,
                    status: interim.status,
                    message: interim.message,
                    status_number: interim.status_number,
                    ..Response::default()
                };
                tx.response_progress = Progress::Line;
                self.res.phase = Phase::Line { resync: false };
                return;
            }
            tx.flag(HttpAnomaly::Continue100AlreadySeen);
        }
        if let Some(ce) = tx.res.head.get(b"content-encoding") {
            let c = parser::check_content_encoding(ce, MAX_ENCODING_LAYERS);
            if c.too_many {
                tx.flag(HttpAnomaly::TooManyEncodingLayers);
            }
            if c.abnormal {
                tx.flag(HttpAnomaly::AbnormalContentEncoding);
            }
        }
        let head_req = tx.req.method.as_deref() == Some(b"HEAD");
        let delim = body_delimiter(&tx.res.head, false);
        let coding = Coding::from_header(tx.res.head.get(b"content-encoding"));
        if connect {
            self.connect_tx = None;
            if status.is_some_and(|s| (200..300).contains(&s)) {
                self.connect_stash.clear();
                self.complete(false, id);
                self.req.phase = Phase::Tunnel;
                self.res.phase = Phase::Tunnel;
                return;
            }
            if self.req.phase == Phase::ConnectWait {
                self.req.phase = Phase::Line { resync: false };
                self.release_stash = !self.connect_stash.is_empty();
            }
        }
        if status == Some(101) {
            self.complete(false, id);
            self.req.phase = Phase::Tunnel;
            self.res.phase = Phase::Tunnel;
            return;
        }
        let no_body_status = status.is_some_and(|s| (100..200).contains(&s) || s == 204 || s == 304);
        if head_req || (no_body_status && !has_te && !has_cl) {
            self.complete(false, id);
            return;
        }
        match delim {
            Delimiter::None => {
                // No length at all: the body runs to the end of the
                // connection.
                self.start_body(false, id, coding);
                self.res.phase = Phase::UntilClose;
            }
            Delimiter::InvalidLength => {
                // libhtp stops parsing the connection here; reading to the
                // close keeps the data inspectable.
                self.flag(id, HttpAnomaly::InvalidResponseContentLength);
                self.start_body(false, id, coding);
                self.res.phase = Phase::UntilClose;
            }
            other => self.apply_delimiter(false, id, other, coding),
        }
    }

    fn apply_delimiter(&mut self, request: bool, id: u64, delim: Delimiter, coding: Coding) {
        use HttpAnomaly as A;
        match delim {
            Delimiter::Chunked { with_length, other_coding } => {
                if request && with_length {
                    self.flag(id, A::RequestContentLengthAndChunked);
                }
                if other_coding {
                    self.flag(
                        id,
                        if request { A::InvalidRequestTransferEncoding } else { A::ResponseAbnormalTransferEncoding },
                    );
                }
                self.start_body(request, id, coding);
                self.dir(request).phase = Phase::ChunkLen;
            }
            Delimiter::Length(0) | Delimiter::None => self.complete(request, id),
            Delimiter::Length(n) => {
                self.start_body(request, id, coding);
                self.dir(request).phase = Phase::Body { left: n };
            }
            Delimiter::InvalidLength => {
                // libhtp stops parsing here; we take the request as bodiless
                // and carry on with the next one.
                self.flag(id, if request { A::InvalidRequestContentLength } else { A::InvalidResponseContentLength });
                self.complete(request, id);
            }
            Delimiter::UnknownCoding => {
                self.flag(
                    id,
                    if request { A::InvalidRequestTransferEncoding } else { A::InvalidResponseTransferEncoding },
                );
                self.complete(request, id);
            }
        }
    }

    fn step_chunk_len(&mut self, request: bool, data: &[u8]) -> usize {
        let p = self.dir(request);
        let (n, st) = collect_line(&mut p.buf, data, MAX_START_LINE);
        let len = match st {
            Collect::Partial => return n,
            Collect::Line => parser::parse_chunk_len(parser::chomp(&p.buf)),
            Collect::Overflow => ChunkLen::Invalid,
        };
        let line = std::mem::take(&mut p.buf);
        p.reset_buf();
        match len {
            ChunkLen::Empty => self.add_framing(request, line.len()),
            ChunkLen::Len(0) => {
                self.add_framing(request, line.len());
                if let Some(id) = self.dir(request).tx {
                    self.raise(request, id, Progress::Trailers);
                }
                self.dir(request).phase = Phase::Headers { trailer: true };
            }
            ChunkLen::Len(k) => {
                self.add_framing(request, line.len());
                self.dir(request).phase = Phase::ChunkData { left: k };
            }
            ChunkLen::Invalid => {
                let id = self.dir(request).tx;
                if request {
                    // libhtp gives up on the connection; we end the request
                    // and look for the next request line.
                    if let Some(id) = id {
                        self.flag(id, HttpAnomaly::InvalidRequestChunkLen);
                        self.complete(true, id);
                    }
                    self.req.phase = Phase::Line { resync: true };
                } else {
                    // libhtp reads the rest of the connection as plain body.
                    if let Some(id) = id {
                        self.flag(id, HttpAnomaly::InvalidResponseChunkLen);
                    }
                    self.feed_body(false, &line);
                    self.res.phase = Phase::UntilClose;
                }
            }
        }
        n
    }
}

/// How a message body is delimited, from its headers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Delimiter {
    None,
    Chunked { with_length: bool, other_coding: bool },
    Length(u64),
    InvalidLength,
    UnknownCoding,
}

fn body_delimiter(head: &Head, request: bool) -> Delimiter {
    let te = head.get(b"transfer-encoding");
    let cl = head.get(b"content-length");
    if let Some(te) = te {
        let chunked = te.windows(7).any(|w| w.eq_ignore_ascii_case(b"chunked"));
        if chunked {
            // Request: no `chunked` coding in the list (`chunkedx`);
            // response: anything but exactly `chunked` (`gzip, chunked`).
            let other_coding = if request {
                !parser::has_chunked_token(te)
            } else {
                !te.trim_ascii().eq_ignore_ascii_case(b"chunked")
            };
            return Delimiter::Chunked { with_length: cl.is_some(), other_coding };
        }
        if cl.is_none() {
            return if request { Delimiter::UnknownCoding } else { Delimiter::None };
        }
    }
    match cl {
        None => Delimiter::None,
        Some(v) => match parser::parse_content_length(v) {
            Some(n) => Delimiter::Length(n),
            None => Delimiter::InvalidLength,
        },
    }
}

fn sync_body_flags(tx: &mut HttpTx, request: bool) {
    let (truncated, failed) = match tx.body_mut(request) {
        Some(b) => (b.truncated, b.decode_failed),
        None => return,
    };
    if truncated {
        tx.flag(if request { HttpAnomaly::RequestBodyLimit } else { HttpAnomaly::ResponseBodyLimit });
    }
    if failed {
        tx.flag(HttpAnomaly::DecompressionFailed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::ast::Buffer;
    use std::io::Write;

    /// Feeds whole streams: all the request bytes, then all the response
    /// bytes, each in pieces of `step` bytes, then closes.
    fn run_steps(req: &[u8], res: &[u8], step: usize) -> HttpState {
        let mut s = HttpState::new();
        for c in req.chunks(step.max(1)) {
            s.parse(true, c);
        }
        for c in res.chunks(step.max(1)) {
            s.parse(false, c);
        }
        s.close();
        s
    }

    fn run(req: &[u8], res: &[u8]) -> HttpState {
        run_steps(req, res, usize::MAX)
    }

    /// Everything observable about the transactions, as text.
    fn snapshot(s: &HttpState) -> String {
        let mut out = String::new();
        for tx in s.txs() {
            out += &format!("tx {} {:?} {:?} {:?}\n", tx.id, tx.request_progress, tx.response_progress, tx.anomalies());
            for b in Buffer::APP_LAYER {
                for dir in [true, false] {
                    if let Some(v) = tx.buffer_dir(*b, dir) {
                        out += &format!("  {b:?} {dir} {:?}\n", String::from_utf8_lossy(v));
                    }
                }
            }
            out += &format!("  eve {}\n", tx.eve());
        }
        out += &format!("state {:?} {}\n", s.anomalies(), s.dropped_txs());
        out
    }

    fn buf(s: &HttpState, id: u64, b: Buffer, to_server: bool) -> Option<&[u8]> {
        s.tx(id).and_then(|t| t.buffer_dir(b, to_server))
    }

    fn text(s: &HttpState, id: u64, b: Buffer, to_server: bool) -> Option<String> {
        buf(s, id, b, to_server).map(|v| String::from_utf8_lossy(v).into_owned())
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    // Request and response of fixtures/basic.pcap, flow (a).
    const BASIC_REQ: &[u8] = b"GET /index.html?user=admin HTTP/1.1\r\nHost: example.com\r\nUser-Agent: mirador-test/1.0\r\nAccept: */*\r\n\r\n";
    const BASIC_RES: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 43\r\n\r\n<html><body>uid=0(root) gid=0</body></html>";

    #[test]
    fn basic_request_response() {
        let s = run(BASIC_REQ, BASIC_RES);
        assert_eq!(s.txs().count(), 1);
        let tx = s.tx(0).unwrap();
        assert!(tx.is_complete());
        assert!(tx.anomalies().is_empty(), "{:?}", tx.anomalies());
        let cases: &[(Buffer, bool, &str)] = &[
            (Buffer::HttpUri, true, "/index.html?user=admin"),
            (Buffer::HttpUriRaw, true, "/index.html?user=admin"),
            (Buffer::HttpMethod, true, "GET"),
            (Buffer::HttpProtocol, true, "HTTP/1.1"),
            (Buffer::HttpProtocol, false, "HTTP/1.1"),
            (Buffer::HttpRequestLine, true, "GET /index.html?user=admin HTTP/1.1"),
            (Buffer::HttpResponseLine, false, "HTTP/1.1 200 OK"),
            (Buffer::HttpStatCode, false, "200"),
            (Buffer::HttpStatMsg, false, "OK"),
            (Buffer::HttpHost, true, "example.com"),
            (Buffer::HttpHostRaw, true, "example.com"),
            (Buffer::HttpUserAgent, true, "mirador-test/1.0"),
            (Buffer::HttpAccept, true, "*/*"),
            (Buffer::HttpHeader, true, "Host: example.com\r\nUser-Agent: mirador-test/1.0\r\nAccept: */*\r\n"),
            (Buffer::HttpHeaderRaw, true, "Host: example.com\r\nUser-Agent: mirador-test/1.0\r\nAccept: */*\r\n\r\n"),
            (Buffer::HttpHeaderNames, true, "\r\nHost\r\nUser-Agent\r\nAccept\r\n\r\n"),
            (Buffer::HttpHeader, false, "Content-Type: text/html\r\nContent-Length: 43\r\n"),
            (Buffer::HttpContentType, false, "text/html"),
            (Buffer::HttpContentLen, false, "43"),
            (Buffer::HttpResponseBody, false, "<html><body>uid=0(root) gid=0</body></html>"),
            (Buffer::FileData, false, "<html><body>uid=0(root) gid=0</body></html>"),
        ];
        for (b, dir, want) in cases {
            assert_eq!(text(&s, 0, *b, *dir).as_deref(), Some(*want), "{b:?} {dir}");
        }
        assert_eq!(buf(&s, 0, Buffer::HttpRequestBody, true), None);
        assert_eq!(buf(&s, 0, Buffer::HttpCookie, true), None);
    }

    /// Request/response pairs used by the split test; each must give the
    /// same transactions however it is cut.
    fn split_corpus() -> Vec<(Vec<u8>, Vec<u8>)> {
        let gz = gzip(b"compressed body compressed body");
        let mut gz_res =
            format!("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: {}\r\n\r\n", gz.len()).into_bytes();
        gz_res.extend_from_slice(&gz);
        vec![
            (BASIC_REQ.to_vec(), BASIC_RES.to_vec()),
            (
                b"GET /a HTTP/1.1\r\nHost: h\r\n\r\nPOST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nxyzHEAD /c HTTP/1.1\r\nHost: h\r\n\r\n".to_vec(),
                b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n 6 \r\n world\r\n0\r\nX-Trailer: t\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n".to_vec(),
            ),
            (b"GET /g HTTP/1.1\nHost: H\nCookie: a=1\n\n".to_vec(), gz_res),
            (
                b"POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n".to_vec(),
                b"HTTP/1.0 200 OK\r\nServer: x\r\n\r\nuntil close data".to_vec(),
            ),
            (b"GET /nine\r\n".to_vec(), b"raw 0.9 body".to_vec()),
        ]
    }

    #[test]
    fn split_anywhere_gives_same_result() {
        for (req, res) in split_corpus() {
            let whole = snapshot(&run(&req, &res));
            // Every single cut point in each direction.
            for i in 0..=req.len() {
                let mut s = HttpState::new();
                s.parse(true, &req[..i]);
                s.parse(true, &req[i..]);
                s.parse(false, &res);
                s.close();
                assert_eq!(snapshot(&s), whole, "request cut at {i}");
            }
            for j in 0..=res.len() {
                let mut s = HttpState::new();
                s.parse(true, &req);
                s.parse(false, &res[..j]);
                s.parse(false, &res[j..]);
                s.close();
                assert_eq!(snapshot(&s), whole, "response cut at {j}");
            }
            // Byte by byte, and a few odd steps.
            for step in [1, 2, 3, 7, 13] {
                assert_eq!(snapshot(&run_steps(&req, &res, step)), whole, "step {step}");
            }
        }
    }

    #[test]
    fn pipelining() {
        let req = b"GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n\r\nGET /3 HTTP/1.1\r\nHost: h\r\n\r\n";
        let res = b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naHTTP/1.1 404 Not Found\r\nContent-Length: 1\r\n\r\nb\r\nHTTP/1.1 500 Oops\r\nContent-Length: 1\r\n\r\nc";
        let s = run(req, res);
        let got: Vec<_> = s
            .txs()
            .map(|t| {
                (
                    t.id,
                    text(&s, t.id, Buffer::HttpUri, true).unwrap(),
                    text(&s, t.id, Buffer::HttpStatCode, false).unwrap(),
                    text(&s, t.id, Buffer::HttpResponseBody, false).unwrap(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (0, "/1".into(), "200".into(), "a".into()),
                (1, "/2".into(), "404".into(), "b".into()),
                (2, "/3".into(), "500".into(), "c".into()),
            ]
        );
    }

    #[test]
    fn chunked_with_extensions_and_trailers() {
        // Checked on Suricata 7.0.10: body "hello world", EVE length 32
        // (chunk-size lines, data and CRLFs, not the trailer), and the
        // trailer shows in http.header.
        let s = run(
            b"GET /c HTTP/1.1\r\nHost: h\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n 6 \r\n world\r\n0\r\nX-Trailer: t\r\n\r\n",
        );
        let tx = s.tx(0).unwrap();
        assert_eq!(tx.response_progress, Progress::Complete);
        assert_eq!(text(&s, 0, Buffer::HttpResponseBody, false).as_deref(), Some("hello world"));
        assert_eq!(
            text(&s, 0, Buffer::HttpHeader, false).as_deref(),
            Some("Transfer-Encoding: chunked\r\nX-Trailer: t\r\n")
        );
        assert_eq!(tx.eve()["length"], 32);
        // Chunked request body, file_data to the server. The blank line
        // between two chunks is skipped here; Suricata 7.0.10's libhtp stops
        // parsing the connection there instead (checked), which would lose
        // the second request.
        let s = run(
            b"POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n\r\n2\r\nde\r\n0\r\n\r\nGET /next HTTP/1.1\r\nHost: h\r\n\r\n",
            b"",
        );
        assert_eq!(text(&s, 0, Buffer::HttpRequestBody, true).as_deref(), Some("abcde"));
        assert_eq!(text(&s, 0, Buffer::FileData, true).as_deref(), Some("abcde"));
        assert_eq!(text(&s, 1, Buffer::HttpUri, true).as_deref(), Some("/next"));
    }

    #[test]
    fn gzip_and_deflate_bodies() {
        let text_body = b"compressed body ".repeat(10);
        let gz = gzip(&text_body);
        let mut res =
            format!("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: {}\r\n\r\n", gz.len()).into_bytes();
        res.extend_from_slice(&gz);
        let s = run(b"GET /g HTTP/1.1\r\nHost: h\r\n\r\n", &res);
        assert_eq!(buf(&s, 0, Buffer::HttpResponseBody, false), Some(&text_body[..]));
        // EVE length is the compressed size, as libhtp's response_message_len.
        assert_eq!(s.tx(0).unwrap().eve()["length"], gz.len());
        // Suricata 7 decompresses request bodies too.
        let mut req =
            format!("POST /gz HTTP/1.1\r\nHost: h\r\nContent-Encoding: gzip\r\nContent-Length: {}\r\n\r\n", gz.len())
                .into_bytes();
        req.extend_from_slice(&gz);
        let s = run(&req, b"");
        assert_eq!(buf(&s, 0, Buffer::HttpRequestBody, true), Some(&text_body[..]));
    }

    #[test]
    fn head_304_204_and_continue() {
        // Checked on Suricata 7.0.10: HEAD and 304 have no body whatever
        // their Content-Length; 100 Continue is skipped.
        let s = run(
            b"HEAD /h HTTP/1.1\r\nHost: h\r\n\r\nGET /n HTTP/1.1\r\nHost: h\r\n\r\nGET /e HTTP/1.1\r\nHost: h\r\n\r\nPOST /p HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\nabcd",
            b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nHTTP/1.1 304 Not Modified\r\nETag: x\r\n\r\nHTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok",
        );
        let statuses: Vec<_> = s.txs().map(|t| (t.eve()["status"].clone(), t.eve()["length"].clone())).collect();
        assert_eq!(
            statuses,
            vec![(200.into(), 0.into()), (304.into(), 0.into()), (204.into(), 0.into()), (201.into(), 2.into())]
        );
        assert_eq!(text(&s, 3, Buffer::HttpRequestBody, true).as_deref(), Some("abcd"));
        assert_eq!(text(&s, 3, Buffer::HttpResponseBody, false).as_deref(), Some("ok"));
        assert!(s.txs().all(HttpTx::is_complete));
    }

    #[test]
    fn interim_100_status_until_the_final_one() {
        // Suricata 7.0.10 matches `http.stat_code; content:"100";` between
        // the interim response and the final one (keyword case
        // http_stat_code_100_continue).
        let mut s = HttpState::new();
        s.parse(true, b"POST /p HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
        s.parse(false, b"HTTP/1.1 100 Continue\r\nX-I: 1\r\n\r\n");
        let tx = s.tx(0).unwrap();
        assert_eq!(tx.response_progress, Progress::Line);
        assert_eq!(tx.buffer(Buffer::HttpStatCode), Some(&b"100"[..]));
        assert_eq!(tx.buffer_dir(Buffer::HttpHeader, false), None);
        s.parse(true, b"abcd");
        s.parse(false, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        let tx = s.tx(0).unwrap();
        assert_eq!(tx.buffer(Buffer::HttpStatCode), Some(&b"200"[..]));
        assert_eq!(tx.buffer(Buffer::HttpStatMsg), Some(&b"OK"[..]));
        assert!(tx.is_complete());
    }

    #[test]
    fn uri_raw_and_normalized() {
        // (request target, http.uri.raw, http.uri); checked on Suricata 7.0.10.
        let cases: &[(&str, &str)] = &[
            ("/a/./b/../c//d?x=%41", "/a/c/d?x=A"),
            ("/a/./b/../c//d%2fe%41%7e%20%u0041\\f?x=%41+%2f%zz#frag", "/a/c/d/eA~ A/f?x=A+/%zz#frag"),
            ("http://User:Pw@Host.COM.:81/p/%41?q=%42", "/p/A?q=B"),
            ("/%2e%2e/x/%2E./y", "/y"),
        ];
        for (raw, norm) in cases {
            let req = format!("GET {raw} HTTP/1.1\r\nHost: h\r\n\r\n");
            let s = run(req.as_bytes(), b"");
            assert_eq!(text(&s, 0, Buffer::HttpUriRaw, true).as_deref(), Some(*raw));
            assert_eq!(text(&s, 0, Buffer::HttpUri, true).as_deref(), Some(*norm), "{raw}");
        }
    }

    #[test]
    fn hosts() {
        // (Host header or absolute URI, http.host, http.host.raw, EVE
        // http_port); checked on Suricata 7.0.10.
        let cases: &[(&[u8], &str, &str, Option<i64>)] = &[
            (b"GET / HTTP/1.1\r\nHost: EXAMPLE.Com.\r\n\r\n", "example.com.", "EXAMPLE.Com.", None),
            (b"GET / HTTP/1.1\r\nHost: EXAMPLE.com.:8080\r\n\r\n", "EXAMPLE.com.", "EXAMPLE.com.:8080", Some(8080)),
            (
                b"GET http://User:Pw@Host.COM.:81/p HTTP/1.1\r\nHost: other.com:82\r\n\r\n",
                "host.com",
                "host.com",
                Some(81),
            ),
        ];
        for (req, host, raw, port) in cases {
            let s = run(req, b"");
            assert_eq!(text(&s, 0, Buffer::HttpHost, true).as_deref(), Some(*host));
            assert_eq!(text(&s, 0, Buffer::HttpHostRaw, true).as_deref(), Some(*raw));
            assert_eq!(s.tx(0).unwrap().eve().get("http_port").and_then(|v| v.as_i64()), *port);
        }
        let s = run(b"GET / HTTP/1.1\r\n\r\n", b"");
        assert_eq!(s.tx(0).unwrap().anomalies(), &[HttpAnomaly::MissingHost]);
    }

    #[test]
    fn headers_merged_and_cookies() {
        // Checked on Suricata 7.0.10: repeated names merge with ", ", Cookie
        // and Set-Cookie are not in http.header but are in the names.
        let s = run(
            b"GET / HTTP/1.1\r\nHost: h\r\nCookie: c=1\r\nX-Dup: a\r\nx-dup: b\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nSet-Cookie: s=1\r\nContent-Length: 0\r\n\r\n",
        );
        assert_eq!(text(&s, 0, Buffer::HttpHeader, true).as_deref(), Some("Host: h\r\nX-Dup: a, b\r\n"));
        assert_eq!(text(&s, 0, Buffer::HttpHeaderNames, true).as_deref(), Some("\r\nHost\r\nCookie\r\nX-Dup\r\n\r\n"));
        assert_eq!(text(&s, 0, Buffer::HttpCookie, true).as_deref(), Some("c=1"));
        assert_eq!(text(&s, 0, Buffer::HttpCookie, false).as_deref(), Some("s=1"));
        assert_eq!(text(&s, 0, Buffer::HttpHeader, false).as_deref(), Some("Content-Length: 0\r\n"));
        assert!(s.tx(0).unwrap().anomalies().contains(&HttpAnomaly::RequestHeaderRepetition));
    }

    #[test]
    fn gap_then_new_request() {
        let mut s = HttpState::new();
        s.parse(true, b"POST /first HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\npartial bo");
        s.gap(true);
        // The rest of the lost body, then a new request.
        s.parse(true, b"dy junk\r\nmore junk GET / HTTP/1.1\r\nGET /second HTTP/1.1\r\nHost: h\r\n\r\n");
        s.parse(false, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        let t0 = s.tx(0).unwrap();
        assert_eq!(t0.request_progress, Progress::Complete);
        assert!(t0.anomalies().contains(&HttpAnomaly::RequestGap));
        assert_eq!(text(&s, 0, Buffer::HttpRequestBody, true).as_deref(), Some("partial bo"));
        assert_eq!(text(&s, 1, Buffer::HttpUri, true).as_deref(), Some("/second"));
        assert_eq!(s.txs().count(), 2);
        assert!(s.txs().all(HttpTx::is_complete));
        // A gap in a response body: resynchronise on the next status line.
        let mut s = HttpState::new();
        s.parse(true, b"GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n");
        s.parse(false, b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nabc");
        s.gap(false);
        s.parse(false, b"xyz\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
        assert!(s.tx(0).unwrap().anomalies().contains(&HttpAnomaly::ResponseGap));
        assert_eq!(text(&s, 1, Buffer::HttpStatCode, false).as_deref(), Some("404"));
    }

    #[test]
    fn limits_raise_anomalies_and_stay_bounded() {
        // Over-long request line.
        let mut req = b"GET /".to_vec();
        req.extend(std::iter::repeat_n(b'a', MAX_START_LINE * 2));
        req.extend_from_slice(b" HTTP/1.1\r\nHost: h\r\n\r\nGET /ok HTTP/1.1\r\nHost: h\r\n\r\n");
        let s = run(&req, b"");
        let t0 = s.tx(0).unwrap();
        assert!(t0.anomalies().contains(&HttpAnomaly::RequestLineTooLong));
        assert_eq!(buf(&s, 0, Buffer::HttpRequestLine, true).map(<[u8]>::len), Some(MAX_START_LINE));
        assert_eq!(text(&s, 1, Buffer::HttpUri, true).as_deref(), Some("/ok"));
        // Over-long header block: kept up to the limit, the rest skipped.
        let mut req = b"GET /big HTTP/1.1\r\nHost: h\r\n".to_vec();
        for i in 0..20_000 {
            req.extend_from_slice(format!("X-{i}: v\r\n").as_bytes());
        }
        req.extend_from_slice(b"\r\nGET /after HTTP/1.1\r\nHost: h\r\n\r\n");
        for step in [usize::MAX, 1000, 7] {
            let s = run_steps(&req, b"", step);
            let t0 = s.tx(0).unwrap();
            assert!(t0.anomalies().contains(&HttpAnomaly::RequestHeaderTooLong));
            assert!(t0.anomalies().contains(&HttpAnomaly::RequestTooManyHeaders));
            assert!(buf(&s, 0, Buffer::HttpHeaderRaw, true).unwrap().len() <= MAX_HEADER_BYTES);
            assert_eq!(t0.req.head.headers.len(), MAX_HEADERS);
            assert_eq!(text(&s, 1, Buffer::HttpUri, true).as_deref(), Some("/after"));
        }
        // Body over the limit.
        let body = vec![b'x'; REQUEST_BODY_LIMIT + 10];
        let mut req = format!("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: {}\r\n\r\n", body.len()).into_bytes();
        req.extend_from_slice(&body);
        let s = run(&req, b"");
        assert_eq!(buf(&s, 0, Buffer::HttpRequestBody, true).map(<[u8]>::len), Some(REQUEST_BODY_LIMIT));
        assert!(s.tx(0).unwrap().anomalies().contains(&HttpAnomaly::RequestBodyLimit));
        // A configured limit keeps more (and 0, Suricata's "unlimited", is
        // capped), in each direction on its own.
        let mut s = HttpState::new();
        s.set_body_limits(REQUEST_BODY_LIMIT + 5, 0);
        assert_eq!(s.body_limits, [REQUEST_BODY_LIMIT + 5, MAX_BODY_LIMIT]);
        s.parse(true, &req);
        assert_eq!(buf(&s, 0, Buffer::HttpRequestBody, true).map(<[u8]>::len), Some(REQUEST_BODY_LIMIT + 5));
        let mut s = HttpState::new();
        s.set_body_limits(usize::MAX, 16);
        assert_eq!(s.body_limits, [MAX_BODY_LIMIT, 16]);
        s.parse(true, &req);
        assert_eq!(buf(&s, 0, Buffer::HttpRequestBody, true).map(<[u8]>::len), Some(body.len()));
        s.parse(false, b"HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n0123456789abcdefghij");
        assert_eq!(buf(&s, 0, Buffer::HttpResponseBody, false), Some(&b"0123456789abcdef"[..]));
        // Gzip bomb: 20 MiB of zeros, inflated only up to the limit.
        let gz = gzip(&vec![0u8; 20 << 20]);
        let mut res =
            format!("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: {}\r\n\r\n", gz.len()).into_bytes();
        res.extend_from_slice(&gz);
        let s = run_steps(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n", &res, 1460);
        assert_eq!(buf(&s, 0, Buffer::HttpResponseBody, false).map(<[u8]>::len), Some(RESPONSE_BODY_LIMIT));
        assert!(s.tx(0).unwrap().anomalies().contains(&HttpAnomaly::ResponseBodyLimit));
        // Too many live transactions: the oldest go.
        let mut req = Vec::new();
        for i in 0..MAX_LIVE_TXS + 10 {
            req.extend_from_slice(format!("GET /{i} HTTP/1.1\r\nHost: h\r\n\r\n").as_bytes());
        }
        let s = run(&req, b"");
        assert_eq!(s.txs().count(), MAX_LIVE_TXS);
        assert_eq!(s.dropped_txs(), 10);
        assert_eq!(s.anomalies(), &[HttpAnomaly::TooManyTransactions]);
        assert_eq!(s.txs().next().unwrap().id, 10);
        // The transaction whose response is being read is never the one
        // dropped.
        let mut s = HttpState::new();
        s.parse(true, b"GET /0 HTTP/1.1\r\nHost: h\r\n\r\n");
        s.parse(false, b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab");
        for i in 1..MAX_LIVE_TXS + 5 {
            s.parse(true, format!("GET /{i} HTTP/1.1\r\nHost: h\r\n\r\n").as_bytes());
        }
        s.parse(false, b"cdHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
        assert_eq!(text(&s, 0, Buffer::HttpResponseBody, false).as_deref(), Some("abcd"));
        assert_eq!(s.txs().count(), MAX_LIVE_TXS);
        assert!(s.tx(1).is_none());
        // Transactions 1..=5 were dropped: the next response goes to 6.
        assert_eq!(text(&s, 6, Buffer::HttpStatCode, false).as_deref(), Some("404"));
    }

    #[test]
    fn bad_chunks_and_lengths() {
        // Response: an invalid chunk size turns the rest into plain body.
        let s = run(
            b"GET /ic HTTP/1.1\r\nHost: h\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nzz\r\nrest of data",
        );
        assert_eq!(text(&s, 0, Buffer::HttpResponseBody, false).as_deref(), Some("abczz\r\nrest of data"));
        assert!(s.tx(0).unwrap().anomalies().contains(&HttpAnomaly::InvalidResponseChunkLen));
        // Request: the request ends, the next request line is found.
        let s = run(
            b"POST /icr HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nzz\r\nmore\r\nGET /after HTTP/1.1\r\nHost: h\r\n\r\n",
            b"",
        );
        assert!(s.tx(0).unwrap().anomalies().contains(&HttpAnomaly::InvalidRequestChunkLen));
        assert_eq!(text(&s, 1, Buffer::HttpUri, true).as_deref(), Some("/after"));
        // Invalid Content-Length in a response: read to the close.
        let s = run(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n", b"HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\nbody data");
        assert!(s.tx(0).unwrap().anomalies().contains(&HttpAnomaly::InvalidResponseContentLength));
        assert_eq!(text(&s, 0, Buffer::HttpResponseBody, false).as_deref(), Some("body data"));
        // CL and chunked: chunked wins.
        let s = run(
            b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nxy\r\n0\r\n\r\n",
            b"",
        );
        assert_eq!(text(&s, 0, Buffer::HttpRequestBody, true).as_deref(), Some("xy"));
        assert!(s.tx(0).unwrap().anomalies().contains(&HttpAnomaly::RequestContentLengthAndChunked));
    }

    #[test]
    fn unmatched_response_and_http09() {
        // Checked on Suricata 7.0.10: url "/libhtp::request_uri_not_seen",
        // http_port 0.
        let s = run(b"", b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");
        let tx = s.tx(0).unwrap();
        assert_eq!(tx.eve()["url"], "/libhtp::request_uri_not_seen");
        assert_eq!(tx.eve()["http_port"], 0);
        assert_eq!(buf(&s, 0, Buffer::HttpUri, true), None);
        assert!(tx.anomalies().contains(&HttpAnomaly::UnmatchedResponse));
        let s = run(b"GET /nine\r\n", b"raw 0.9 body");
        assert_eq!(text(&s, 0, Buffer::HttpResponseBody, false).as_deref(), Some("raw 0.9 body"));
        assert_eq!(s.tx(0).unwrap().eve()["length"], 12);
    }

    #[test]
    fn connect_and_upgrade() {
        let s = run(
            b"CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n\x16\x03\x01 tls bytes",
            b"HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x03 more tls",
        );
        assert_eq!(s.txs().count(), 1);
        assert!(s.tx(0).unwrap().is_complete());
        // A refused CONNECT: what the client sent next is parsed as HTTP.
        let mut s = HttpState::new();
        s.parse(true, b"CONNECT h:443 HTTP/1.1\r\nHost: h\r\n\r\nGET /x HTTP/1.1\r\nHost: h\r\n\r\n");
        s.parse(false, b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
        assert_eq!(text(&s, 1, Buffer::HttpUri, true).as_deref(), Some("/x"));
        let s = run(
            b"GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n\x81\x05hello",
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello",
        );
        assert_eq!(s.txs().count(), 1);
    }

    #[test]
    fn junk_does_not_panic() {
        let inputs: &[&[u8]] = &[
            b"\x00\xff\r\r\n\n\n:::\r\n\r\n",
            b"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n",
            b"GET / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n",
            b"HTTP/1.1 200 OK\r\n\r\nHTTP/1.1 200 OK\r\n",
            b" \t \r\n GET\r\n",
        ];
        for a in inputs {
            for b in inputs {
                for step in [1, 5, usize::MAX] {
                    let mut s = HttpState::new();
                    for c in a.chunks(step) {
                        s.parse(true, c);
                        s.gap(false);
                    }
                    for c in b.chunks(step) {
                        s.parse(false, c);
                        s.gap(true);
                    }
                    s.close();
                    s.parse(true, a);
                    let _ = snapshot(&s);
                    s.remove_done(u64::MAX);
                }
            }
        }
    }

    #[test]
    fn remove_done_frees_finished() {
        let mut s = run_steps(
            b"GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
            usize::MAX,
        );
        // close() completed nothing for tx 1's response: it never started.
        assert_eq!(s.txs().count(), 2);
        s.remove_done(u64::MAX);
        assert_eq!(s.txs().map(|t| t.id).collect::<Vec<_>>(), vec![1]);
        assert!(s.tx_mut(1).is_some());
    }

    /// The Suricata event each of these raises, from Suricata 7.0.10 with
    /// its http-events.rules on one session per case (None: no event).
    #[test]
    fn anomalies_raise_suricata_events() {
        use HttpAnomaly as A;
        const OK: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
        let get = |headers: &str| format!("GET / HTTP/1.1\r\n{headers}\r\n").into_bytes();
        let cases: Vec<(Vec<u8>, Vec<u8>, Option<A>)> = vec![
            (get("Host: a\r\nAuthorization: Turbo x\r\n"), OK.to_vec(), Some(A::RequestAuthUnrecognized)),
            (get("Host: a\r\nAuthorization: Basicx y\r\n"), OK.to_vec(), None),
            (get("Host: a, b\r\n"), OK.to_vec(), Some(A::InvalidHostHeader)),
            (get("Host: a..b\r\n"), OK.to_vec(), Some(A::InvalidHostHeader)),
            (get("Host: a_b.\r\n"), OK.to_vec(), None),
            (get("Host: a\r\nNoColon\r\n"), OK.to_vec(), Some(A::RequestFieldMissingColon)),
            (get("Host: a\r\nX: 1\r\nX: 2\r\n"), OK.to_vec(), None),
            (b"GET http://b/ HTTP/1.1\r\nHost: a\r\n\r\n".to_vec(), OK.to_vec(), Some(A::HostHeaderAmbiguous)),
            (b"GET http://x:99999/ HTTP/1.1\r\n\r\n".to_vec(), OK.to_vec(), Some(A::RequestUriHostInvalid)),
            (
                b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunkedx\r\n\r\n0\r\n\r\n".to_vec(),
                OK.to_vec(),
                Some(A::InvalidRequestTransferEncoding),
            ),
            (
                b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n".to_vec(),
                OK.to_vec(),
                None,
            ),
            (
                get("Host: a\r\n"),
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n".to_vec(),
                Some(A::ResponseAbnormalTransferEncoding),
            ),
            (
                get("Host: a\r\n"),
                b"HTTP/1.10 200 OK\r\nContent-Length: 0\r\n\r\n".to_vec(),
                Some(A::InvalidResponseProtocol),
            ),
            (get("Host: a\r\n"), b"XTTP/1.1 200 OK\r\n\r\n".to_vec(), None),
            (
                get("Host: a\r\n"),
                b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip, gzip, gzip\r\nContent-Length: 0\r\n\r\n".to_vec(),
                Some(A::TooManyEncodingLayers),
            ),
            (
                get("Host: a\r\n"),
                b"HTTP/1.1 200 OK\r\nContent-Encoding: identity\r\nContent-Length: 0\r\n\r\n".to_vec(),
                Some(A::AbnormalContentEncoding),
            ),
        ];
        for (req, res, want) in cases {
            let s = run(&req, &res);
            let tx = s.tx(0).unwrap();
            let events: Vec<&str> = tx.anomalies().iter().filter_map(|a| a.suricata_event()).collect();
            let want: Vec<&str> = want.and_then(A::suricata_event).into_iter().collect();
            assert_eq!(events, want, "{} / {}", String::from_utf8_lossy(&req), String::from_utf8_lossy(&res));
        }
    }

    /// libhtp checks its field limit on what it buffers: a long line raises
    /// request_field_too_long only when it is still incomplete at the end of
    /// a chunk (Suricata 7.0.10: a 20000-byte header line in one segment
    /// raises nothing, the same line over 1400-byte segments does).
    #[test]
    fn field_too_long_only_when_buffered() {
        let req = format!("GET / HTTP/1.1\r\nHost: a\r\nX: {}\r\n\r\n", "b".repeat(20_000)).into_bytes();
        for (step, want) in [(usize::MAX, false), (1400, true)] {
            let s = run_steps(&req, b"", step);
            let long = s.tx(0).unwrap().anomalies().contains(&HttpAnomaly::RequestFieldTooLong);
            assert_eq!(long, want, "step {step}");
        }
        let req = format!("GET /{} HTTP/1.1\r\nHost: a\r\n\r\n", "a".repeat(20_000)).into_bytes();
        for (step, want) in [(usize::MAX, false), (1400, true)] {
            let s = run_steps(&req, b"", step);
            let t = s.tx(0).unwrap();
            assert!(t.anomalies().contains(&HttpAnomaly::RequestLineTooLong));
            assert_eq!(t.anomalies().contains(&HttpAnomaly::RequestFieldTooLong), want, "step {step}");
        }
    }

    /// Bodies as files, named as Suricata 7 names them: the response by
    /// its Content-Disposition file name else the URI path (query cut),
    /// a POST/PUT request body by the URI path; a GET body and a multipart
    /// upload are not files here.
    #[test]
    fn bodies_are_files() {
        use crate::applayer::file::{FileConfig, FileState};
        let mut s = HttpState::new();
        s.set_file_config(FileConfig { md5: true, ..FileConfig::default() });
        s.parse(true, b"POST /up/load.cgi?x=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc");
        s.parse(false, b"HTTP/1.1 200 OK\r\nContent-Disposition: attachment; filename=\"r.pdf\"\r\n");
        s.parse(false, b"Content-Length: 10\r\n\r\n0123");
        let tx = s.tx(0).unwrap();
        let req = tx.file(true).unwrap();
        assert_eq!((req.name.as_slice(), req.size, req.state), (&b"/up/load.cgi"[..], 3, FileState::Closed));
        // md5sum of "abc".
        assert_eq!(crate::applayer::file::hex(&req.md5.unwrap()), "900150983cd24fb0d6963f7d28e17f72");
        let res = tx.file(false).unwrap();
        assert_eq!((res.name.as_slice(), res.size, res.state), (&b"r.pdf"[..], 4, FileState::Open));
        // The connection closes before the body's end: truncated, no hash.
        s.close();
        let res = s.tx(0).unwrap().file(false).unwrap();
        assert_eq!((res.state, res.md5), (FileState::Truncated, None));

        let s = run(
            b"GET /a/b.exe?q HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi",
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nMZ",
        );
        let tx = s.tx(0).unwrap();
        assert!(tx.file(true).is_none(), "a GET body is not a file");
        assert_eq!(tx.file(false).unwrap().name, b"/a/b.exe");
        let s = run(
            b"POST /u HTTP/1.1\r\nHost: h\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: 2\r\n\r\nhi",
            b"HTTP/1.1 204 No Content\r\n\r\n",
        );
        assert!(s.tx(0).unwrap().file(true).is_none());
        assert!(s.tx(0).unwrap().file(false).is_none(), "no body, no file");
    }
}
