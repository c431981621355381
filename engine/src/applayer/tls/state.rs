//! TLS flow state: record-layer and handshake reassembly per direction.
//!
//! [`TlsState::parse`] takes each direction's reassembled TCP stream cut
//! anywhere. Record headers split across calls are held (5 bytes at most);
//! handshake bytes of consecutive handshake records form one stream from
//! which messages are cut, so a ClientHello fragmented over several records
//! and several calls decodes like a whole one. Only handshake messages are
//! buffered (one at a time, at most [`MAX_HANDSHAKE_LEN`]); the bodies of
//! other records are counted and skipped without copying. After a
//! ChangeCipherSpec a direction's handshake records are encrypted and no
//! longer decoded.
//!
//! An invalid record header (or [`TlsState::gap`]) puts the direction in
//! resync mode: later data is skipped until a call's data starts with a
//! plausible record header ([`probe`]). An SSLv2-framed ClientHello (the
//! SSLv2-compatible hello of old clients) is decoded; it yields no JA3/JA4,
//! as in Suricata.
//!
//! TLS has one transaction per flow ([`TlsTx`], id 0). The version and
//! handshake-state bookkeeping follows Suricata 7's `app-layer-ssl.c`: each
//! direction's version starts at the first record's version, is replaced by
//! the hello's `legacy_version`, then by supported_versions (the server's
//! choice; the client's first non-GREASE entry). EVE `version` is the
//! server's.

use super::fingerprint::{self, Ja4Flavor};
use super::parser::{
    self, CertInfo, ClientHello, HandshakeHeader, ServerHello, Sslv2ClientHello, TlsAnomaly, TlsHandshakeType,
    TlsRecordType, MAX_HANDSHAKE_LEN, MAX_RECORD_LEN, RECORD_HEADER_LEN,
};

/// Distinct record-layer versions remembered per direction (for the
/// `ssl_version` keyword); a stream that keeps changing versions is odd and
/// needs no more.
pub const MAX_RECORD_VERSIONS: usize = 8;

/// Anomalies kept per flow until taken; beyond this they are counted.
pub const MAX_ANOMALIES: usize = 64;

/// Handshake states, as the `ssl_state` keyword names them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SslStates(u8);

impl SslStates {
    /// No state.
    pub const NONE: SslStates = SslStates(0);
    /// A ClientHello (TLS or SSLv2) was seen.
    pub const CLIENT_HELLO: SslStates = SslStates(1);
    /// A ServerHello was seen.
    pub const SERVER_HELLO: SslStates = SslStates(2);
    /// A ClientKeyExchange (SSLv2: ClientMasterKey) was seen.
    pub const CLIENT_KEYX: SslStates = SslStates(4);
    /// A ServerKeyExchange was seen.
    pub const SERVER_KEYX: SslStates = SslStates(8);
    /// A handshake message of an unknown type was seen.
    pub const UNKNOWN: SslStates = SslStates(16);

    /// True when every state of `other` is in `self`.
    pub fn contains(self, other: SslStates) -> bool {
        self.0 & other.0 == other.0
    }
    /// True when any state of `other` is in `self`.
    pub fn intersects(self, other: SslStates) -> bool {
        self.0 & other.0 != 0
    }
    /// Adds the states of `other`.
    pub fn insert(&mut self, other: SslStates) {
        self.0 |= other.0;
    }
    /// True when no state is set.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    /// The raw bits.
    pub fn bits(self) -> u8 {
        self.0
    }
}

impl std::ops::BitOr for SslStates {
    type Output = SslStates;
    fn bitor(self, rhs: SslStates) -> SslStates {
        SslStates(self.0 | rhs.0)
    }
}

/// What one [`TlsState::parse`] call did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// Records whose header was read in this call.
    pub records: usize,
    /// Handshake messages completed in this call.
    pub messages: usize,
    /// Bytes held for the next call in this direction (partial record
    /// header, partial handshake message or SSLv2 record).
    pub buffered: usize,
    /// Bytes skipped while resynchronizing.
    pub skipped: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RecKind {
    Handshake,
    Sslv2,
    Skip,
}

#[derive(Clone, Copy, Debug)]
struct Cur {
    kind: RecKind,
    remaining: usize,
}

/// One direction of a TLS flow.
#[derive(Clone, Debug, Default)]
pub struct TlsDirection {
    version: u16,
    record_versions: Vec<u16>,
    records: u64,
    tls_records: u64,
    change_cipher_spec: bool,
    application_data: bool,
    alert: bool,
    heartbeat: bool,
    // Reassembly.
    hdr: Vec<u8>,
    cur: Option<Cur>,
    hs: Vec<u8>,
    hs_skip: usize,
    sslv2: Vec<u8>,
    resync: bool,
}

impl TlsDirection {
    /// The direction's version as Suricata tracks it (`ssl_version`): the
    /// first record's version, then the hello's, then supported_versions.
    /// 0 until a record is seen.
    pub fn version(&self) -> u16 {
        self.version
    }
    /// Distinct record-layer versions seen, in order (at most
    /// [`MAX_RECORD_VERSIONS`]); SSLv2 records count as 0x0200.
    pub fn record_versions(&self) -> &[u16] {
        &self.record_versions
    }
    /// Records seen.
    pub fn records(&self) -> u64 {
        self.records
    }
    /// A ChangeCipherSpec record was seen.
    pub fn change_cipher_spec(&self) -> bool {
        self.change_cipher_spec
    }
    /// An application_data record was seen.
    pub fn application_data(&self) -> bool {
        self.application_data
    }
    /// An alert record was seen.
    pub fn alert(&self) -> bool {
        self.alert
    }
    /// A heartbeat record was seen.
    pub fn heartbeat(&self) -> bool {
        self.heartbeat
    }
    fn buffered(&self) -> usize {
        self.hdr.len() + self.hs.len() + self.sslv2.len()
    }
    fn note_version(&mut self, v: u16) {
        if self.version == 0 {
            self.version = v;
        }
        if !self.record_versions.contains(&v) && self.record_versions.len() < MAX_RECORD_VERSIONS {
            self.record_versions.push(v);
        }
    }
}

/// True when `data` starts with a plausible TLS record header (used to
/// resynchronize after a gap or an invalid record).
pub fn probe(data: &[u8]) -> bool {
    parser::parse_record_header(data)
        .is_some_and(|h| h.check().is_ok() && usize::from(h.len) <= MAX_RECORD_LEN && (h.version.0 & 0xff) <= 4)
}

/// TLS state of one flow.
#[derive(Clone, Debug, Default)]
pub struct TlsState {
    dirs: [TlsDirection; 2],
    client_hello: Option<ClientHello>,
    sslv2_client_hello: Option<Sslv2ClientHello>,
    server_hello: Option<ServerHello>,
    server_cert: Option<CertInfo>,
    server_chain: Vec<Vec<u8>>,
    client_cert: Option<CertInfo>,
    client_chain: Vec<Vec<u8>>,
    /// The server asked for a client certificate (CertificateRequest).
    client_cert_requested: bool,
    /// The client sent its Certificate message (possibly empty).
    client_cert_sent: bool,
    ja3: Option<(String, String)>,
    ja3s: Option<(String, String)>,
    ja4: Option<String>,
    states_seen: SslStates,
    current_states: SslStates,
    fresh_call: bool,
    log_without_cert: bool,
    session_resumed: bool,
    anomalies: Vec<TlsAnomaly>,
    dropped_anomalies: u64,
    /// Every kind of anomaly raised so far, each once (kept when
    /// `anomalies` is taken: `app-layer-event` matches on it).
    seen: Vec<TlsAnomaly>,
}

fn di(to_server: bool) -> usize {
    usize::from(!to_server)
}

/// Suricata's mapping of a hello `legacy_version`: TLS 1.3 drafts before 16
/// (0x7f01-0x7f0f, and 0x0304 used as a hello version) become one value.
fn hello_version(v: u16) -> u16 {
    if (0x7f01..0x7f10).contains(&v) || v == 0x0304 {
        0x7f01
    } else {
        v
    }
}

impl TlsState {
    /// An empty state.
    pub fn new() -> Self {
        Self::default()
    }

    fn note(&mut self, a: TlsAnomaly) {
        if !self.seen.contains(&a) {
            self.seen.push(a);
        }
        if self.anomalies.len() < MAX_ANOMALIES {
            self.anomalies.push(a);
        } else {
            self.dropped_anomalies += 1;
        }
    }

    fn set_state(&mut self, s: SslStates) {
        if self.fresh_call {
            self.current_states = SslStates::NONE;
            self.fresh_call = false;
        }
        self.current_states.insert(s);
        self.states_seen.insert(s);
    }

    /// Feeds the next bytes of one direction's stream.
    pub fn parse(&mut self, to_server: bool, data: &[u8]) -> Progress {
        let d = di(to_server);
        let mut p = Progress::default();
        self.fresh_call = true;
        let mut data = data;
        if self.dirs[d].resync {
            if !probe(data) {
                p.skipped = data.len();
                p.buffered = self.dirs[d].buffered();
                return p;
            }
            self.dirs[d].resync = false;
        }
        while !data.is_empty() {
            match self.dirs[d].cur {
                None => match self.read_header(d, data, &mut p) {
                    Some(used) => data = &data[used..],
                    None => {
                        p.skipped += data.len();
                        break;
                    }
                },
                Some(cur) => {
                    let n = cur.remaining.min(data.len());
                    let (chunk, rest) = data.split_at(n);
                    data = rest;
                    match cur.kind {
                        RecKind::Handshake => self.feed_handshake(d, to_server, chunk, &mut p),
                        RecKind::Sslv2 => self.dirs[d].sslv2.extend_from_slice(chunk),
                        RecKind::Skip => {}
                    }
                    let remaining = cur.remaining - n;
                    if remaining == 0 {
                        self.dirs[d].cur = None;
                        if cur.kind == RecKind::Sslv2 {
                            self.finish_sslv2(d, to_server, &mut p);
                        }
                    } else {
                        self.dirs[d].cur = Some(Cur { remaining, ..cur });
                    }
                }
            }
        }
        p.buffered = self.dirs[d].buffered();
        p
    }

    /// Reads (part of) a record header from `data`; returns the bytes used,
    /// or `None` when the header is invalid (the direction then resyncs).
    fn read_header(&mut self, d: usize, data: &[u8], p: &mut Progress) -> Option<usize> {
        let dir = &mut self.dirs[d];
        // SSLv2 framing: high bit set on the first byte, only before any
        // SSLv3/TLS record in this direction.
        let first = *dir.hdr.first().unwrap_or(&data[0]);
        let need = if first & 0x80 != 0 && dir.tls_records == 0 { 2 } else { RECORD_HEADER_LEN };
        let take = (need - dir.hdr.len()).min(data.len());
        dir.hdr.extend_from_slice(&data[..take]);
        if dir.hdr.len() < need {
            return Some(take);
        }
        let hdr = std::mem::take(&mut dir.hdr);
        dir.records += 1;
        p.records += 1;
        if need == 2 {
            let len = parser::parse_sslv2_header(&hdr).map_or(0, |h| h.len);
            dir.note_version(0x0200);
            if len == 0 {
                self.note(TlsAnomaly::InvalidSslv2Header);
                return Some(take);
            }
            dir.cur = Some(Cur { kind: RecKind::Sslv2, remaining: len });
            return Some(take);
        }
        let h = parser::parse_record_header(&hdr)?;
        if let Err(a) = h.check() {
            dir.resync = true;
            dir.hs.clear();
            dir.hs_skip = 0;
            self.note(a);
            self.note(TlsAnomaly::GapResync);
            return None;
        }
        dir.tls_records += 1;
        dir.note_version(h.version.0);
        let len = usize::from(h.len);
        let kind = match h.content_type {
            TlsRecordType::Handshake if !dir.change_cipher_spec => RecKind::Handshake,
            TlsRecordType::ChangeCipherSpec => {
                dir.change_cipher_spec = true;
                RecKind::Skip
            }
            TlsRecordType::ApplicationData => {
                dir.application_data = true;
                RecKind::Skip
            }
            TlsRecordType::Alert => {
                dir.alert = true;
                RecKind::Skip
            }
            TlsRecordType::Heartbeat => {
                dir.heartbeat = true;
                RecKind::Skip
            }
            _ => RecKind::Skip,
        };
        if len > MAX_RECORD_LEN {
            self.note(TlsAnomaly::RecordTooLarge);
        }
        if len > 0 {
            self.dirs[d].cur = Some(Cur { kind, remaining: len });
        }
        Some(take)
    }

    fn feed_handshake(&mut self, d: usize, to_server: bool, mut chunk: &[u8], p: &mut Progress) {
        while !chunk.is_empty() {
            let dir = &mut self.dirs[d];
            if dir.hs_skip > 0 {
                let k = dir.hs_skip.min(chunk.len());
                dir.hs_skip -= k;
                chunk = &chunk[k..];
                continue;
            }
            if dir.hs.is_empty() {
                if let Some(h) = parser::parse_handshake_header(chunk) {
                    let total = 4 + h.len as usize;
                    if h.len as usize > MAX_HANDSHAKE_LEN {
                        dir.hs_skip = total;
                        self.oversized_message(h.msg_type);
                        continue;
                    }
                    if chunk.len() >= total {
                        // Whole message in this record chunk: no copy.
                        self.message(to_server, h, &chunk[4..total], p);
                        chunk = &chunk[total..];
                        continue;
                    }
                }
            }
            // Buffer: the header first, then the body.
            if dir.hs.len() < 4 {
                let k = (4 - dir.hs.len()).min(chunk.len());
                dir.hs.extend_from_slice(&chunk[..k]);
                chunk = &chunk[k..];
                if dir.hs.len() < 4 {
                    continue;
                }
                let (t, len) = parser::parse_handshake_header(&dir.hs)
                    .map_or((TlsHandshakeType(0), 0), |h| (h.msg_type, h.len as usize));
                if len > MAX_HANDSHAKE_LEN {
                    dir.hs.clear();
                    dir.hs_skip = len;
                    self.oversized_message(t);
                    continue;
                }
            }
            let Some(h) = parser::parse_handshake_header(&dir.hs) else {
                continue;
            };
            let total = 4 + h.len as usize;
            let k = (total - dir.hs.len()).min(chunk.len());
            dir.hs.extend_from_slice(&chunk[..k]);
            chunk = &chunk[k..];
            if dir.hs.len() == total {
                let buf = std::mem::take(&mut dir.hs);
                self.message(to_server, h, &buf[4..], p);
                // Keep the allocation for the next message.
                let mut buf = buf;
                buf.clear();
                if buf.capacity() <= 4096 {
                    self.dirs[d].hs = buf;
                }
            }
        }
    }

    fn message(&mut self, to_server: bool, h: HandshakeHeader, body: &[u8], p: &mut Progress) {
        p.messages += 1;
        match h.msg_type {
            TlsHandshakeType::ClientHello => {
                self.set_state(SslStates::CLIENT_HELLO);
                if !to_server {
                    self.note(TlsAnomaly::WrongDirection);
                } else if self.client_hello.is_some() {
                    // After a HelloRetryRequest the client must say hello
                    // again; JA3/JA4 stay those of the first hello.
                    if !self.retry_requested() {
                        self.note(TlsAnomaly::DuplicateHello);
                        // Suricata parses the second hello into the same
                        // state: its SNI finds one already there
                        // (tls-duplicate-hello of its verification suite).
                        let first_sni = self.sni().is_some();
                        if first_sni && parser::parse_client_hello(body).is_ok_and(|ch| ch.sni.is_some()) {
                            self.note(TlsAnomaly::MultipleSniExtensions);
                        }
                    }
                } else {
                    match parser::parse_client_hello(body) {
                        Ok(ch) => self.on_client_hello(ch),
                        Err(a) => self.note(a),
                    }
                }
            }
            TlsHandshakeType::ServerHello => {
                self.set_state(SslStates::SERVER_HELLO);
                if to_server {
                    self.note(TlsAnomaly::WrongDirection);
                } else if self.server_hello.is_some() {
                    if self.retry_requested() {
                        // The real ServerHello after a HelloRetryRequest:
                        // JA3S stays the first's (as Suricata), the version
                        // follows the latest.
                        if let Ok(sh) = parser::parse_server_hello(body) {
                            if let Some(v) = sh.selected_version {
                                self.dirs[1].version = v.0;
                            }
                        }
                    } else {
                        self.note(TlsAnomaly::DuplicateHello);
                    }
                } else {
                    match parser::parse_server_hello(body) {
                        Ok(sh) => self.on_server_hello(sh),
                        Err(a) => self.note(a),
                    }
                }
            }
            TlsHandshakeType::CertificateRequest if !to_server => self.client_cert_requested = true,
            TlsHandshakeType::Certificate => {
                if to_server {
                    self.client_cert_sent = true;
                }
                let (certs, anomalies) = parser::parse_certificate_list(body);
                for a in anomalies {
                    self.note(a);
                }
                let slot_empty = if to_server {
                    self.client_cert.is_none() && self.client_chain.is_empty()
                } else {
                    self.server_cert.is_none() && self.server_chain.is_empty()
                };
                if slot_empty {
                    if let Some(first) = certs.first() {
                        match parser::parse_certificate(first) {
                            Ok(c) if to_server => self.client_cert = Some(c),
                            Ok(c) => self.server_cert = Some(c),
                            Err(a) => self.note(a),
                        }
                    }
                    let chain = certs.iter().map(|c| c.to_vec()).collect();
                    if to_server {
                        self.client_chain = chain;
                    } else {
                        self.server_chain = chain;
                    }
                }
            }
            TlsHandshakeType::ServerKeyExchange => self.set_state(SslStates::SERVER_KEYX),
            TlsHandshakeType::ClientKeyExchange => self.set_state(SslStates::CLIENT_KEYX),
            t if parser::known_handshake_type(t) => {}
            _ => {
                self.set_state(SslStates::UNKNOWN);
                self.note(TlsAnomaly::InvalidHandshakeMessage);
            }
        }
    }

    /// A handshake message too large to keep is skipped; its type is still
    /// checked, as Suricata checks it on the header (an unknown type with a
    /// huge length is an invalid message, Suricata's bug 1450 captures).
    fn oversized_message(&mut self, t: TlsHandshakeType) {
        self.note(TlsAnomaly::HandshakeTooLarge);
        if !parser::known_handshake_type(t) {
            self.set_state(SslStates::UNKNOWN);
            self.note(TlsAnomaly::InvalidHandshakeMessage);
        }
    }

    /// The first ServerHello was a TLS 1.3 HelloRetryRequest.
    fn retry_requested(&self) -> bool {
        self.server_hello.as_ref().is_some_and(ServerHello::is_hello_retry_request)
    }

    fn on_client_hello(&mut self, ch: ClientHello) {
        for &a in &ch.anomalies {
            self.note(a);
        }
        let dir = &mut self.dirs[0];
        dir.version = hello_version(ch.version.0);
        if let Some(v) = ch.supported_versions.iter().find(|v| !fingerprint::is_grease(v.0)) {
            dir.version = v.0;
        }
        if ch.session_ticket {
            self.session_resumed = true;
        }
        let s = fingerprint::ja3_string(&ch);
        let h = fingerprint::md5_hex(&s);
        self.ja3 = Some((s, h));
        self.ja4 = Some(fingerprint::ja4(&ch, Ja4Flavor::Suricata7));
        self.client_hello = Some(ch);
    }

    fn on_server_hello(&mut self, sh: ServerHello) {
        for &a in &sh.anomalies {
            self.note(a);
        }
        let legacy = sh.version.0;
        if legacy == 0x0304 || legacy >> 8 == 0x7f {
            self.log_without_cert = true;
        }
        let dir = &mut self.dirs[1];
        dir.version = hello_version(legacy);
        if let Some(v) = sh.selected_version {
            let client_sv = self.client_hello.as_ref().is_some_and(|c| !c.supported_versions.is_empty());
            if client_sv && v.0 > 0x0303 {
                self.log_without_cert = true;
            }
            dir.version = v.0;
        }
        if let Some(ch) = &self.client_hello {
            if !ch.session_id.is_empty() && ch.session_id == sh.session_id {
                self.session_resumed = true;
            }
        }
        let s = fingerprint::ja3s_string(&sh);
        let h = fingerprint::md5_hex(&s);
        self.ja3s = Some((s, h));
        self.server_hello = Some(sh);
    }

    fn finish_sslv2(&mut self, d: usize, to_server: bool, p: &mut Progress) {
        let body = std::mem::take(&mut self.dirs[d].sslv2);
        p.messages += 1;
        match body.first().copied() {
            Some(1) => {
                self.set_state(SslStates::CLIENT_HELLO);
                if to_server && self.sslv2_client_hello.is_none() && self.client_hello.is_none() {
                    match parser::parse_sslv2_client_hello(&body) {
                        Ok(h) => self.sslv2_client_hello = Some(h),
                        Err(a) => self.note(a),
                    }
                }
            }
            Some(2) => self.set_state(SslStates::CLIENT_KEYX),
            Some(4) => self.set_state(SslStates::SERVER_HELLO),
            Some(0 | 3 | 5..=8) => {}
            _ => self.set_state(SslStates::UNKNOWN),
        }
    }

    /// Tells the state that bytes of a direction were lost: partial records
    /// and messages are dropped and the direction resyncs on the next data
    /// that starts with a record header.
    pub fn gap(&mut self, to_server: bool) {
        let dir = &mut self.dirs[di(to_server)];
        dir.hdr.clear();
        dir.cur = None;
        dir.hs.clear();
        dir.hs_skip = 0;
        dir.sslv2.clear();
        dir.resync = true;
    }

    /// The client (to server) direction.
    pub fn client(&self) -> &TlsDirection {
        &self.dirs[0]
    }

    /// The server (to client) direction.
    pub fn server(&self) -> &TlsDirection {
        &self.dirs[1]
    }

    /// The first ClientHello.
    pub fn client_hello(&self) -> Option<&ClientHello> {
        self.client_hello.as_ref()
    }

    /// The SSLv2-framed ClientHello, when the client sent one.
    pub fn sslv2_client_hello(&self) -> Option<&Sslv2ClientHello> {
        self.sslv2_client_hello.as_ref()
    }

    /// The first ServerHello.
    pub fn server_hello(&self) -> Option<&ServerHello> {
        self.server_hello.as_ref()
    }

    /// Fields of the server's first certificate.
    pub fn server_cert(&self) -> Option<&CertInfo> {
        self.server_cert.as_ref()
    }

    /// The server's certificate chain as sent (DER, at most
    /// [`parser::MAX_CERTS`]).
    pub fn server_chain(&self) -> &[Vec<u8>] {
        &self.server_chain
    }

    /// Fields of the client's first certificate (mutual TLS).
    pub fn client_cert(&self) -> Option<&CertInfo> {
        self.client_cert.as_ref()
    }

    /// The client's certificate chain as sent (DER, mutual TLS; EVE
    /// `tls.client.chain`).
    pub fn client_chain(&self) -> &[Vec<u8>] {
        &self.client_chain
    }

    /// SNI host name of the ClientHello.
    pub fn sni(&self) -> Option<&[u8]> {
        self.client_hello.as_ref()?.sni.as_deref()
    }

    /// JA3 string of the ClientHello.
    pub fn ja3_string(&self) -> Option<&str> {
        self.ja3.as_ref().map(|j| j.0.as_str())
    }

    /// JA3 hash (MD5 hex) of the ClientHello.
    pub fn ja3_hash(&self) -> Option<&str> {
        self.ja3.as_ref().map(|j| j.1.as_str())
    }

    /// JA3S string of the ServerHello.
    pub fn ja3s_string(&self) -> Option<&str> {
        self.ja3s.as_ref().map(|j| j.0.as_str())
    }

    /// JA3S hash of the ServerHello.
    pub fn ja3s_hash(&self) -> Option<&str> {
        self.ja3s.as_ref().map(|j| j.1.as_str())
    }

    /// JA4 of the ClientHello, Suricata 7 flavour (see
    /// [`fingerprint::ja4`] for the FoxIO one).
    pub fn ja4(&self) -> Option<&str> {
        self.ja4.as_deref()
    }

    /// The negotiated version as EVE logs it: the server direction's
    /// version, 0 (`UNDETERMINED`) before a server record.
    pub fn version(&self) -> u16 {
        self.dirs[1].version
    }

    /// [`TlsState::version`] as Suricata names it (`TLS 1.2`...).
    pub fn version_name(&self) -> std::borrow::Cow<'static, str> {
        parser::version_name(self.version())
    }

    /// Every handshake state seen so far.
    pub fn states_seen(&self) -> SslStates {
        self.states_seen
    }

    /// The states of the handshake messages completed by the latest
    /// `parse` call that completed any (what `ssl_state` tests: Suricata
    /// matches the state of the messages just parsed).
    pub fn current_states(&self) -> SslStates {
        self.current_states
    }

    /// Both sides switched to encrypted traffic (ChangeCipherSpec from
    /// both, or application data from both).
    pub fn handshake_done(&self) -> bool {
        let (c, s) = (&self.dirs[0], &self.dirs[1]);
        (c.change_cipher_spec && s.change_cipher_spec) || (c.application_data && s.application_data)
    }

    /// The handshake went far enough for the flow's `tls` record: the
    /// server's certificate was parsed (and the client's answer to a
    /// certificate request), or encrypted records followed the
    /// ServerHello (TLS 1.3 encrypts the certificate; a resumed session
    /// sends none), or both sides switched to encrypted traffic. Suricata
    /// writes the record at that point, not at the end of the handshake.
    pub fn record_ready(&self) -> bool {
        let encrypted_after_hello =
            self.server_hello.is_some() && (self.dirs[0].application_data || self.dirs[1].application_data);
        // When the server asked for a client certificate, Suricata 7.0.10
        // waits for the client's answer, so that the record can hold it
        // (observed: the record comes with the client's flight).
        let cert_flights_done = self.server_cert.is_some() && (!self.client_cert_requested || self.client_cert_sent);
        cert_flights_done || encrypted_after_hello || self.handshake_done()
    }

    /// The session looks resumed: a session ticket was offered, or the
    /// server echoed the client's session id.
    pub fn session_resumed(&self) -> bool {
        self.session_resumed
    }

    /// True for TLS 1.3 (and draft) sessions, whose certificates are
    /// encrypted: Suricata logs them without a certificate.
    pub fn log_without_cert(&self) -> bool {
        self.log_without_cert
    }

    /// Whether Suricata 7 writes a `tls` record for this flow: a server
    /// certificate was seen, or the session is TLS 1.3, or it looks resumed.
    pub fn eve_loggable(&self) -> bool {
        self.server_cert.is_some() || self.log_without_cert || self.session_resumed
    }

    /// Anomalies raised so far, oldest first; the list is emptied.
    pub fn take_anomalies(&mut self) -> Vec<TlsAnomaly> {
        std::mem::take(&mut self.anomalies)
    }

    /// Every kind of anomaly the flow raised, each once, in the order first
    /// seen; not emptied by [`TlsState::take_anomalies`].
    pub fn anomalies_seen(&self) -> &[TlsAnomaly] {
        &self.seen
    }

    /// Anomalies not kept because more than [`MAX_ANOMALIES`] were pending.
    pub fn dropped_anomalies(&self) -> u64 {
        self.dropped_anomalies
    }

    /// The flow's one transaction.
    pub fn tx(&self) -> TlsTx<'_> {
        TlsTx { state: self }
    }
}

/// The view rules inspect: TLS has one transaction per flow (id 0).
#[derive(Clone, Copy, Debug)]
pub struct TlsTx<'a> {
    pub(super) state: &'a TlsState,
}

impl<'a> TlsTx<'a> {
    /// The transaction id (always 0).
    pub const ID: u64 = 0;

    /// The state this view reads.
    pub fn state(&self) -> &'a TlsState {
        self.state
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // A TLS 1.2 and a TLS 1.3 handshake between Python's ssl client and
    // server (OpenSSL 3.0), certificate chain testdata/leaf.der +
    // testdata/ca.der, SNI test.mirador.example, ALPN h2/http1.1: see
    // testdata/README.md. Expected values are Suricata 7.0.10's eve.json
    // for a pcap of the same bytes.
    const TLS12_C: &[u8] = include_bytes!("testdata/tls12-client.bin");
    const TLS12_S: &[u8] = include_bytes!("testdata/tls12-server.bin");
    const TLS13_C: &[u8] = include_bytes!("testdata/tls13-client.bin");
    const TLS13_S: &[u8] = include_bytes!("testdata/tls13-server.bin");
    const CHROME: &[u8] = include_bytes!("testdata/chrome-hello.bin");

    fn run(client: &[u8], server: &[u8]) -> TlsState {
        let mut s = TlsState::new();
        s.parse(true, client);
        s.parse(false, server);
        s
    }

    // The server flight of Suricata's bug 1450 captures
    // (tls_DER-incomplete-header.pcap), after its ServerHello: a
    // Certificate message whose one certificate is 9 bytes of DER cut
    // inside a header, then a handshake header of unknown type 132 and
    // length 0xffffff. Suricata 7.0.10 raises certificate_invalid_length
    // and invalid_handshake_message.
    #[test]
    fn bug_1450_events() {
        let mut hs = vec![0x0b, 0, 0, 15, 0, 0, 12, 0, 0, 9, 0x30, 0x05, 0x30, 0x84, 0xff, 0xff, 0xff, 0xfa, 0x00];
        hs.extend_from_slice(&[0x84, 0xff, 0xff, 0xff]);
        hs.extend_from_slice(&[0x41; 64]);
        let mut rec = vec![0x16, 0x03, 0x03];
        rec.extend_from_slice(&(hs.len() as u16).to_be_bytes());
        rec.extend_from_slice(&hs);
        let mut s = TlsState::new();
        s.parse(false, &rec);
        let seen = s.anomalies_seen().to_vec();
        assert!(seen.contains(&TlsAnomaly::CertificateInvalidLength), "{seen:?}");
        assert!(seen.contains(&TlsAnomaly::InvalidHandshakeMessage), "{seen:?}");
        // Taking the queued anomalies keeps what was seen.
        assert!(!s.take_anomalies().is_empty());
        assert_eq!(s.anomalies_seen(), seen.as_slice());
    }

    #[test]
    fn tls12_handshake() {
        let mut s = run(TLS12_C, TLS12_S);
        assert_eq!(s.sni(), Some(&b"test.mirador.example"[..]));
        assert_eq!(s.ja3_hash(), Some("104774240db569f8f87b1a28206b25e5"));
        assert_eq!(s.ja3s_string(), Some("771,49196,65281-11-35-16-23"));
        assert_eq!(s.ja3s_hash(), Some("e195432758194ce2d482396b82e0d48e"));
        assert_eq!(s.ja4(), Some("t12d1508h2_d68b136fe8d9_e7e480e5a997"));
        assert_eq!(s.version_name(), "TLS 1.2");
        let c = s.server_cert().unwrap();
        assert_eq!(c.subject, "C=US, ST=Oregon, O=Mirador Test, CN=test.mirador.example");
        assert_eq!(c.serial, "00:A1:B2:C3:D4:E5:F6:07:18");
        assert_eq!(s.server_chain().len(), 2);
        assert!(s.states_seen().contains(
            SslStates::CLIENT_HELLO | SslStates::SERVER_HELLO | SslStates::CLIENT_KEYX | SslStates::SERVER_KEYX
        ));
        assert!(!s.states_seen().intersects(SslStates::UNKNOWN));
        assert!(s.handshake_done() && s.eve_loggable() && !s.log_without_cert());
        assert_eq!(s.client().record_versions(), &[0x0301, 0x0303]);
        assert_eq!(s.server().record_versions(), &[0x0303]);
        assert_eq!((s.client().version(), s.server().version()), (0x0303, 0x0303));
        assert!(s.take_anomalies().is_empty());
    }

    #[test]
    fn tls13_handshake() {
        let s = run(TLS13_C, TLS13_S);
        assert_eq!(s.version_name(), "TLS 1.3");
        assert_eq!(s.ja3_hash(), Some("304734bb1c086c3453b387400cf83f11"));
        assert_eq!(s.ja3s_string(), Some("771,4866,43-51"));
        assert_eq!(s.ja4(), Some("t13d1812h2_85036bcba153_d41ae481755e"));
        assert!(s.server_cert().is_none() && s.log_without_cert() && s.eve_loggable());
        assert_eq!(s.client().version(), 0x0304);
    }

    #[test]
    fn split_at_every_byte_position() {
        let whole = run(TLS12_C, TLS12_S);
        for cut in 0..=TLS12_C.len() {
            let mut s = TlsState::new();
            s.parse(true, &TLS12_C[..cut]);
            s.parse(true, &TLS12_C[cut..]);
            s.parse(false, TLS12_S);
            assert_eq!(s.ja3_string(), whole.ja3_string(), "client cut {cut}");
            assert_eq!(s.sni(), whole.sni());
        }
        for cut in 0..=TLS12_S.len() {
            let mut s = TlsState::new();
            s.parse(true, TLS12_C);
            s.parse(false, &TLS12_S[..cut]);
            s.parse(false, &TLS12_S[cut..]);
            assert_eq!(s.server_cert(), whole.server_cert(), "server cut {cut}");
            assert_eq!(s.ja3s_string(), whole.ja3s_string());
            assert!(s.take_anomalies().is_empty());
        }
        // One byte per call.
        let mut s = TlsState::new();
        for b in TLS12_C {
            let p = s.parse(true, std::slice::from_ref(b));
            assert!(p.buffered <= 4 + MAX_HANDSHAKE_LEN);
        }
        for b in TLS12_S {
            s.parse(false, std::slice::from_ref(b));
        }
        assert_eq!(s.ja4(), whole.ja4());
        assert_eq!(s.server_cert(), whole.server_cert());
        assert!(s.handshake_done());
    }

    /// The hello of `rec` (one handshake record) re-framed as several
    /// records cut at `cuts` within the handshake bytes.
    fn fragment(rec: &[u8], cuts: &[usize]) -> Vec<u8> {
        let hs = &rec[5..];
        let mut bounds = vec![0];
        bounds.extend_from_slice(cuts);
        bounds.push(hs.len());
        let mut out = Vec::new();
        for w in bounds.windows(2) {
            let part = &hs[w[0]..w[1]];
            out.extend_from_slice(&[22, 3, 1]);
            out.extend_from_slice(&(part.len() as u16).to_be_bytes());
            out.extend_from_slice(part);
        }
        out
    }

    #[test]
    fn client_hello_fragmented_over_records() {
        let whole = run(CHROME, &[]);
        assert_eq!(whole.ja4(), Some("t13d1516h2_8daaf6152771_e5627efa2ab1"));
        for cuts in [&[1usize][..], &[3], &[4], &[100, 101], &[2, 3, 300, 511], &[256]] {
            let frag = fragment(CHROME, cuts);
            // Also split the stream itself at every byte.
            for cut in 0..=frag.len() {
                let mut s = TlsState::new();
                s.parse(true, &frag[..cut]);
                s.parse(true, &frag[cut..]);
                assert_eq!(s.ja3_hash(), whole.ja3_hash(), "cuts {cuts:?} at {cut}");
                assert_eq!(s.ja4(), whole.ja4());
                assert_eq!(s.sni(), Some(&b"www.mirador.example"[..]));
            }
        }
        // Every byte of the hello in its own record.
        let all: Vec<usize> = (1..CHROME.len() - 5).collect();
        let s = run(&fragment(CHROME, &all), &[]);
        assert_eq!(s.ja4(), whole.ja4());
        assert_eq!(s.client().records(), (CHROME.len() - 5) as u64);
    }

    #[test]
    fn only_client_hello_is_undetermined() {
        let s = run(CHROME, &[]);
        assert_eq!(s.version_name(), "UNDETERMINED");
        assert_eq!(s.current_states(), SslStates::CLIENT_HELLO);
        // Session ticket offered: Suricata logs such flows.
        assert!(s.eve_loggable() && !s.handshake_done());
    }

    #[test]
    fn current_states_follow_the_last_call() {
        let mut s = TlsState::new();
        s.parse(true, TLS12_C);
        assert!(s.current_states().contains(SslStates::CLIENT_HELLO));
        s.parse(false, TLS12_S);
        let cur = s.current_states();
        assert!(cur.contains(SslStates::SERVER_HELLO | SslStates::SERVER_KEYX));
        assert!(!cur.contains(SslStates::CLIENT_HELLO));
    }

    #[test]
    fn gap_and_invalid_record_resync() {
        let mut s = TlsState::new();
        s.parse(true, &TLS12_C[..50]);
        s.gap(true);
        // Rest of the lost hello: not a record start, skipped.
        let p = s.parse(true, &TLS12_C[60..200]);
        assert_eq!(p.skipped, 140);
        assert!(s.client_hello().is_none());
        // The server side is unaffected.
        s.parse(false, TLS12_S);
        assert!(s.server_cert().is_some());
        // Plain text on a TLS flow.
        let mut s = TlsState::new();
        s.parse(true, b"GET / HTTP/1.1\r\n\r\n");
        assert!(s.take_anomalies().contains(&TlsAnomaly::InvalidRecordType));
        // The next call that starts with a record header resumes.
        s.parse(true, CHROME);
        assert!(s.ja3_hash().is_some());
    }

    #[test]
    fn sslv2_client_hello_then_tls_server() {
        // SSLv2-compatible ClientHello offering TLS 1.0 (as old clients
        // sent), then the TLS 1.2 test server flight.
        let mut body = vec![1, 3, 1, 0, 6, 0, 0, 0, 16, 0, 0, 0x2f, 0x01, 0x00, 0x80];
        body.extend(0..16u8);
        let mut rec = vec![0x80 | (body.len() >> 8) as u8, body.len() as u8];
        rec.extend(&body);
        let mut s = TlsState::new();
        s.parse(true, &rec);
        let h = s.sslv2_client_hello().unwrap();
        assert_eq!(h.version.0, 0x0301);
        assert!(s.states_seen().contains(SslStates::CLIENT_HELLO));
        assert_eq!(s.client().record_versions(), &[0x0200]);
        assert_eq!(s.client().version(), 0x0200);
        assert!(s.ja3_hash().is_none());
        s.parse(false, TLS12_S);
        assert_eq!(s.version_name(), "TLS 1.2");
    }

    fn server_hello_record(random: [u8; 32]) -> Vec<u8> {
        let mut body = vec![3, 3];
        body.extend(random);
        body.extend([0, 0x13, 0x01, 0, 0, 6, 0, 43, 0, 2, 3, 4]);
        let mut hs = vec![2, 0, 0, body.len() as u8];
        hs.extend(body);
        let mut rec = vec![22, 3, 3, 0, hs.len() as u8];
        rec.extend(hs);
        rec
    }

    #[test]
    fn hello_retry_request_is_not_a_duplicate() {
        let mut s = TlsState::new();
        s.parse(true, CHROME);
        s.parse(false, &server_hello_record(parser::HELLO_RETRY_RANDOM));
        let first_ja3s = s.ja3s_hash().map(str::to_owned);
        // The second ClientHello (no middlebox-compatibility CCS: after a
        // CCS the direction's handshake records are not decoded anyway),
        // then the real ServerHello.
        s.parse(true, CHROME);
        s.parse(false, &server_hello_record([7; 32]));
        assert!(s.take_anomalies().is_empty());
        assert_eq!(s.ja3s_hash().map(str::to_owned), first_ja3s);
        assert_eq!(s.version_name(), "TLS 1.3");
        // Without a retry request a second hello is an anomaly, and its SNI
        // a second one (Suricata 7.0.10: multiple_sni_extensions).
        let mut s = TlsState::new();
        s.parse(true, CHROME);
        s.parse(true, CHROME);
        assert_eq!(s.take_anomalies(), vec![TlsAnomaly::DuplicateHello, TlsAnomaly::MultipleSniExtensions]);
    }

    #[test]
    fn oversized_handshake_is_skipped() {
        let mut s = TlsState::new();
        let len = MAX_HANDSHAKE_LEN + 10;
        let mut hs = vec![11, (len >> 16) as u8, (len >> 8) as u8, len as u8];
        hs.resize(4 + len, 0);
        for part in hs.chunks(16384) {
            let mut rec = vec![22, 3, 3];
            rec.extend_from_slice(&(part.len() as u16).to_be_bytes());
            rec.extend_from_slice(part);
            let p = s.parse(false, &rec);
            assert!(p.buffered < 16);
        }
        assert!(s.take_anomalies().contains(&TlsAnomaly::HandshakeTooLarge));
        // The stream continues normally afterwards.
        s.parse(true, CHROME);
        assert!(s.ja4().is_some());
    }

    #[test]
    fn garbage_never_panics() {
        let mut seed = 42u32;
        let mut rnd = || {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            seed >> 8
        };
        for round in 0..3000 {
            let mut s = TlsState::new();
            let base = if round % 2 == 0 { TLS12_S } else { TLS12_C };
            let mut buf = base.to_vec();
            for _ in 0..(1 + rnd() % 6) {
                let i = rnd() as usize % buf.len();
                buf[i] = rnd() as u8;
            }
            let mut pos = 0;
            while pos < buf.len() {
                let n = 1 + rnd() as usize % 300;
                let end = (pos + n).min(buf.len());
                s.parse(round % 3 == 0, &buf[pos..end]);
                if rnd() % 50 == 0 {
                    s.gap(round % 3 == 0);
                }
                pos = end;
            }
            let _ = s.tx();
        }
    }
}
