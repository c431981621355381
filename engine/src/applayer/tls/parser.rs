//! TLS wire format: bytes in, owned structs out, no state.
//!
//! Record headers (TLS and SSLv2), handshake headers, ClientHello,
//! ServerHello, SSLv2 ClientHello, the Certificate message and the X.509
//! fields Suricata logs. The hello parsers accept what Suricata 7 accepts
//! (session ids up to 255 bytes, TLS 1.3 draft ServerHellos without session
//! id and compression) and decode extensions one by one: a malformed
//! extension ends the list with an anomaly, keeping the ones before it, as
//! Suricata's JA3 does.
//!
//! Wire codes use tls-parser's open newtypes ([`TlsVersion`],
//! [`TlsCipherSuiteID`], [`TlsExtensionType`]...): unknown values are kept.
//! Nothing here panics on any input.

use std::borrow::Cow;

use nom::bytes::complete::take;
use nom::multi::length_data;
use nom::number::complete::{be_u16, be_u24, be_u8};
use nom::{IResult, Parser};
use sha1::{Digest, Sha1};
pub use tls_parser::{NamedGroup, TlsCipherSuiteID, TlsExtensionType, TlsHandshakeType, TlsRecordType, TlsVersion};

/// Length of a TLS record header.
pub const RECORD_HEADER_LEN: usize = 5;

/// Largest record body accepted without an anomaly: TLSCiphertext may carry
/// 2^14 bytes plus 2048 of expansion (RFC 5246 section 6.2.3). Larger
/// records are still skipped by their length ([`TlsAnomaly::RecordTooLarge`]).
pub const MAX_RECORD_LEN: usize = 16384 + 2048;

/// Largest handshake message reassembled. Real certificate chains are 2 to
/// 20 KiB; 64 KiB leaves room for unusual chains while bounding per-flow
/// memory. Larger messages are skipped ([`TlsAnomaly::HandshakeTooLarge`]).
pub const MAX_HANDSHAKE_LEN: usize = 64 * 1024;

/// Certificates of a chain kept (raw DER). Chains are 2 to 4 long; only the
/// first is decoded, the rest are kept for chain-length checks
/// ([`TlsAnomaly::TooManyCertificates`]).
pub const MAX_CERTS: usize = 16;

/// Extensions decoded per hello. Browsers send about 20; more is counted as
/// an anomaly and the rest is ignored ([`TlsAnomaly::TooManyExtensions`]).
pub const MAX_EXTENSIONS: usize = 128;

/// SNI host names longer than this are refused, as Suricata does: a host
/// name is a DNS name (RFC 6066 section 3).
pub const MAX_SNI_LEN: usize = 255;

/// ALPN protocol names kept per ClientHello (JA4 uses only the first).
pub const MAX_ALPN: usize = 32;

/// The ServerHello random that marks a HelloRetryRequest (RFC 8446 4.1.3).
pub const HELLO_RETRY_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11,
    0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// Something unexpected in TLS traffic, raised instead of failing. Names
/// follow Suricata's TLS event names where it has one ([`TlsAnomaly::name`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TlsAnomaly {
    /// A record header whose content type is not 20-24 (nor SSLv2 framing);
    /// the direction resynchronizes.
    InvalidRecordType,
    /// A record header whose major version is not 3; the direction
    /// resynchronizes.
    InvalidRecordVersion,
    /// A record longer than [`MAX_RECORD_LEN`].
    RecordTooLarge,
    /// An SSLv2 record that does not decode.
    InvalidSslv2Header,
    /// A handshake message type TLS does not define.
    InvalidHandshakeMessage,
    /// A length inside a handshake message overruns it.
    HandshakeInvalidLength,
    /// A handshake message longer than [`MAX_HANDSHAKE_LEN`]; skipped.
    HandshakeTooLarge,
    /// An SNI name type other than host_name.
    InvalidSniType,
    /// An SNI host name of length 0 or over [`MAX_SNI_LEN`].
    InvalidSniLength,
    /// More than one SNI extension; the first is kept.
    MultipleSniExtensions,
    /// More than [`MAX_EXTENSIONS`] extensions.
    TooManyExtensions,
    /// A certificate that X.509 decoding refused (for a reason other than
    /// those below).
    InvalidCertificate,
    /// A certificate list whose lengths overrun the message, or a
    /// certificate whose DER ends inside a header.
    CertificateInvalidLength,
    /// A certificate with an invalid version.
    CertificateInvalidVersion,
    /// A certificate with an invalid serial number.
    CertificateInvalidSerial,
    /// A certificate with an invalid algorithm identifier.
    CertificateInvalidAlgorithmIdentifier,
    /// A certificate with an invalid subject or issuer name.
    CertificateInvalidX509Name,
    /// A certificate with an invalid validity date.
    CertificateInvalidDate,
    /// A certificate with invalid extensions.
    CertificateInvalidExtensions,
    /// A certificate whose DER structure is invalid.
    CertificateInvalidDer,
    /// More than [`MAX_CERTS`] certificates; the rest are not kept.
    TooManyCertificates,
    /// A hello in the wrong direction (ClientHello from the server...).
    WrongDirection,
    /// A second ClientHello or ServerHello (the first is kept).
    DuplicateHello,
    /// Data skipped after a gap or invalid record until a record header
    /// was found again.
    GapResync,
}

impl TlsAnomaly {
    /// The event name as written in EVE `anomaly.event` (Suricata's where
    /// Suricata has the event).
    pub fn name(self) -> &'static str {
        match self {
            TlsAnomaly::InvalidRecordType => "INVALID_RECORD_TYPE",
            TlsAnomaly::InvalidRecordVersion => "INVALID_RECORD_VERSION",
            TlsAnomaly::RecordTooLarge => "RECORD_LENGTH_TOO_LARGE",
            TlsAnomaly::InvalidSslv2Header => "INVALID_SSLV2_HEADER",
            TlsAnomaly::InvalidHandshakeMessage => "INVALID_HANDSHAKE_MESSAGE",
            TlsAnomaly::HandshakeInvalidLength => "HANDSHAKE_INVALID_LENGTH",
            TlsAnomaly::HandshakeTooLarge => "HANDSHAKE_MESSAGE_TOO_LARGE",
            TlsAnomaly::InvalidSniType => "INVALID_SNI_TYPE",
            TlsAnomaly::InvalidSniLength => "INVALID_SNI_LENGTH",
            TlsAnomaly::MultipleSniExtensions => "MULTIPLE_SNI_EXTENSIONS",
            TlsAnomaly::TooManyExtensions => "TOO_MANY_EXTENSIONS",
            TlsAnomaly::InvalidCertificate => "INVALID_CERTIFICATE",
            TlsAnomaly::CertificateInvalidLength => "CERTIFICATE_INVALID_LENGTH",
            TlsAnomaly::CertificateInvalidVersion => "CERTIFICATE_INVALID_VERSION",
            TlsAnomaly::CertificateInvalidSerial => "CERTIFICATE_INVALID_SERIAL",
            TlsAnomaly::CertificateInvalidAlgorithmIdentifier => "CERTIFICATE_INVALID_ALGORITHMIDENTIFIER",
            TlsAnomaly::CertificateInvalidX509Name => "CERTIFICATE_INVALID_X509NAME",
            TlsAnomaly::CertificateInvalidDate => "CERTIFICATE_INVALID_DATE",
            TlsAnomaly::CertificateInvalidExtensions => "CERTIFICATE_INVALID_EXTENSIONS",
            TlsAnomaly::CertificateInvalidDer => "CERTIFICATE_INVALID_DER",
            TlsAnomaly::TooManyCertificates => "TOO_MANY_CERTIFICATES",
            TlsAnomaly::WrongDirection => "MESSAGE_WRONG_DIRECTION",
            TlsAnomaly::DuplicateHello => "DUPLICATE_HELLO",
            TlsAnomaly::GapResync => "GAP_RESYNC",
        }
    }
}

fn push_anomaly(v: &mut Vec<TlsAnomaly>, a: TlsAnomaly) {
    if !v.contains(&a) {
        v.push(a);
    }
}

/// A TLS record header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordHeader {
    /// Content type.
    pub content_type: TlsRecordType,
    /// Record-layer version.
    pub version: TlsVersion,
    /// Body length.
    pub len: u16,
}

/// Decodes a TLS record header from the first 5 bytes; `None` when shorter.
/// Validity (type 20-24, major version 3) is checked by [`RecordHeader::check`].
pub fn parse_record_header(b: &[u8]) -> Option<RecordHeader> {
    let h = b.get(..RECORD_HEADER_LEN)?;
    Some(RecordHeader {
        content_type: TlsRecordType(h[0]),
        version: TlsVersion(u16::from_be_bytes([h[1], h[2]])),
        len: u16::from_be_bytes([h[3], h[4]]),
    })
}

impl RecordHeader {
    /// Checks the header the way Suricata does before trusting its length.
    ///
    /// # Errors
    /// [`TlsAnomaly::InvalidRecordType`] for a content type outside 20-24,
    /// [`TlsAnomaly::InvalidRecordVersion`] when the major version is not 3.
    pub fn check(&self) -> Result<(), TlsAnomaly> {
        if !(20..=24).contains(&self.content_type.0) {
            return Err(TlsAnomaly::InvalidRecordType);
        }
        if self.version.0 >> 8 != 3 {
            return Err(TlsAnomaly::InvalidRecordVersion);
        }
        Ok(())
    }
}

/// An SSLv2 record header (2-byte form, high bit set; the 3-byte form with
/// padding when the high bit is clear).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sslv2Header {
    /// Header length (2 or 3).
    pub header_len: usize,
    /// Body length (message type included, padding excluded).
    pub len: usize,
    /// SSLv2 message type (first body byte), when present.
    pub msg_type: Option<u8>,
}

/// Decodes an SSLv2 record header at the start of `b`. Only the 2-byte form
/// (first byte with the high bit set) is recognised: SSLv2-compatible
/// ClientHellos always use it.
pub fn parse_sslv2_header(b: &[u8]) -> Option<Sslv2Header> {
    let (&b0, &b1) = (b.first()?, b.get(1)?);
    if b0 & 0x80 == 0 {
        return None;
    }
    Some(Sslv2Header {
        header_len: 2,
        len: (usize::from(b0 & 0x7f) << 8) | usize::from(b1),
        msg_type: b.get(2).copied(),
    })
}

/// A handshake message header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HandshakeHeader {
    /// Message type.
    pub msg_type: TlsHandshakeType,
    /// Body length.
    pub len: u32,
}

/// Decodes a handshake header from the first 4 bytes; `None` when shorter.
pub fn parse_handshake_header(b: &[u8]) -> Option<HandshakeHeader> {
    let h = b.get(..4)?;
    Some(HandshakeHeader { msg_type: TlsHandshakeType(h[0]), len: u32::from_be_bytes([0, h[1], h[2], h[3]]) })
}

/// True for the handshake message types Suricata accepts.
pub fn known_handshake_type(t: TlsHandshakeType) -> bool {
    matches!(t.0, 0 | 1 | 2 | 4 | 5 | 6 | 8 | 11 | 12 | 13 | 14 | 15 | 16 | 20 | 21 | 22 | 23 | 24 | 67 | 254)
}

/// A decoded ClientHello.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientHello {
    /// `legacy_version` of the hello.
    pub version: TlsVersion,
    /// Client random.
    pub random: Vec<u8>,
    /// Session id (0 to 255 bytes).
    pub session_id: Vec<u8>,
    /// Cipher suites in order, GREASE included.
    pub ciphers: Vec<TlsCipherSuiteID>,
    /// Compression methods.
    pub compressions: Vec<u8>,
    /// Extension types in order, GREASE included, up to the first malformed
    /// one.
    pub extensions: Vec<TlsExtensionType>,
    /// SNI host name (first host_name of the first SNI extension).
    pub sni: Option<Vec<u8>>,
    /// supported_groups (formerly elliptic_curves), GREASE included.
    pub groups: Vec<NamedGroup>,
    /// ec_point_formats.
    pub point_formats: Vec<u8>,
    /// ALPN protocol names in order (at most [`MAX_ALPN`]).
    pub alpn: Vec<Vec<u8>>,
    /// signature_algorithms in order, GREASE included.
    pub signature_algorithms: Vec<u16>,
    /// supported_versions in order, GREASE included.
    pub supported_versions: Vec<TlsVersion>,
    /// A session_ticket extension was present.
    pub session_ticket: bool,
    /// An early_data extension was present (0-RTT).
    pub early_data: bool,
    /// Anomalies met while decoding.
    pub anomalies: Vec<TlsAnomaly>,
}

/// A decoded ServerHello.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerHello {
    /// `legacy_version` of the hello.
    pub version: TlsVersion,
    /// Server random.
    pub random: Vec<u8>,
    /// Session id (absent in TLS 1.3 drafts before 22).
    pub session_id: Vec<u8>,
    /// Chosen cipher suite.
    pub cipher: TlsCipherSuiteID,
    /// Chosen compression method.
    pub compression: u8,
    /// Extension types in order, up to the first malformed one.
    pub extensions: Vec<TlsExtensionType>,
    /// The version selected by a supported_versions extension.
    pub selected_version: Option<TlsVersion>,
    /// Anomalies met while decoding.
    pub anomalies: Vec<TlsAnomaly>,
}

impl ServerHello {
    /// True when this ServerHello is a TLS 1.3 HelloRetryRequest.
    pub fn is_hello_retry_request(&self) -> bool {
        self.random == HELLO_RETRY_RANDOM
    }
}

/// A decoded SSLv2 ClientHello (possibly SSLv3/TLS-compatible: `version`
/// says what the client really supports).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sslv2ClientHello {
    /// Highest version the client supports (0x0002 for SSLv2 itself).
    pub version: TlsVersion,
    /// 3-byte cipher specs.
    pub cipher_specs: Vec<u32>,
    /// Session id.
    pub session_id: Vec<u8>,
    /// Challenge (the client random).
    pub challenge: Vec<u8>,
}

fn len8(i: &[u8]) -> IResult<&[u8], &[u8]> {
    length_data(be_u8).parse(i)
}

fn len16(i: &[u8]) -> IResult<&[u8], &[u8]> {
    length_data(be_u16).parse(i)
}

fn len24(i: &[u8]) -> IResult<&[u8], &[u8]> {
    length_data(be_u24).parse(i)
}

fn u16_list(b: &[u8]) -> Option<Vec<u16>> {
    b.len().is_multiple_of(2).then(|| b.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect())
}

/// The part every hello starts with.
struct HelloStart<'a> {
    version: u16,
    random: &'a [u8],
    session_id: &'a [u8],
}

fn hello_start(i: &[u8], sid: bool) -> IResult<&[u8], HelloStart<'_>> {
    let (i, version) = be_u16(i)?;
    let (i, random) = take(32usize)(i)?;
    let (i, session_id) = if sid { len8(i)? } else { (i, &i[..0]) };
    Ok((i, HelloStart { version, random, session_id }))
}

fn extension(i: &[u8]) -> IResult<&[u8], (u16, &[u8])> {
    let (i, t) = be_u16(i)?;
    let (i, d) = length_data(be_u16).parse(i)?;
    Ok((i, (t, d)))
}

/// Splits an extensions block (with its 2-byte length) into (type, data)
/// pairs. Stops at the first extension that overruns, with
/// [`TlsAnomaly::HandshakeInvalidLength`]. An absent block gives no
/// extensions and no anomaly.
fn split_extensions<'a>(rest: &'a [u8], anomalies: &mut Vec<TlsAnomaly>) -> Vec<(u16, &'a [u8])> {
    let mut out = Vec::new();
    if rest.len() < 2 {
        return out;
    }
    let Ok((_, mut block)) = len16(rest) else {
        push_anomaly(anomalies, TlsAnomaly::HandshakeInvalidLength);
        return out;
    };
    while !block.is_empty() {
        if out.len() >= MAX_EXTENSIONS {
            push_anomaly(anomalies, TlsAnomaly::TooManyExtensions);
            break;
        }
        match extension(block) {
            Ok((rest, e)) => {
                out.push(e);
                block = rest;
            }
            Err(_) => {
                push_anomaly(anomalies, TlsAnomaly::HandshakeInvalidLength);
                break;
            }
        }
    }
    out
}

/// Decodes an SNI extension body: the first host_name. `Ok(None)` for an
/// empty extension (servers echo one).
fn sni(d: &[u8]) -> Result<Option<Vec<u8>>, TlsAnomaly> {
    if d.is_empty() {
        return Ok(None);
    }
    let inner = || -> IResult<&[u8], (u8, &[u8])> {
        let (i, _list_len) = be_u16(d)?;
        let (i, kind) = be_u8(i)?;
        let (i, len) = be_u16(i)?;
        let (i, name) = take(len)(i)?;
        Ok((i, (kind, name)))
    };
    match inner() {
        Ok((_, (0, name))) if name.is_empty() || name.len() > MAX_SNI_LEN => Err(TlsAnomaly::InvalidSniLength),
        Ok((_, (0, name))) => Ok(Some(name.to_vec())),
        Ok(_) => Err(TlsAnomaly::InvalidSniType),
        Err(_) => Err(TlsAnomaly::HandshakeInvalidLength),
    }
}

fn vec16(d: &[u8]) -> Option<Vec<u16>> {
    let (_, l) = len16(d).ok()?;
    u16_list(l)
}

fn alpn(d: &[u8]) -> Option<Vec<Vec<u8>>> {
    let (_, mut l) = len16(d).ok()?;
    let mut out = Vec::new();
    while !l.is_empty() {
        let (rest, p) = len8(l).ok()?;
        if out.len() < MAX_ALPN {
            out.push(p.to_vec());
        }
        l = rest;
    }
    Some(out)
}

/// Decodes a ClientHello body (after the 4-byte handshake header).
///
/// # Errors
/// [`TlsAnomaly::HandshakeInvalidLength`] when the fixed part (version,
/// random, session id, cipher suites, compression methods) overruns the
/// body or the cipher list has an odd length. Extension problems are not
/// errors: they end the extension list and are listed in `anomalies`.
pub fn parse_client_hello(body: &[u8]) -> Result<ClientHello, TlsAnomaly> {
    let fixed = |i| -> IResult<&[u8], (HelloStart<'_>, [&[u8]; 2])> {
        let (i, start) = hello_start(i, true)?;
        let (i, ciphers) = len16(i)?;
        let (i, comp) = len8(i)?;
        Ok((i, (start, [ciphers, comp])))
    };
    let (rest, (start, [ciphers, comp])) = fixed(body).map_err(|_| TlsAnomaly::HandshakeInvalidLength)?;
    let ciphers = u16_list(ciphers).ok_or(TlsAnomaly::HandshakeInvalidLength)?;
    let mut ch = ClientHello {
        version: TlsVersion(start.version),
        random: start.random.to_vec(),
        session_id: start.session_id.to_vec(),
        ciphers: ciphers.into_iter().map(TlsCipherSuiteID).collect(),
        compressions: comp.to_vec(),
        extensions: Vec::new(),
        sni: None,
        groups: Vec::new(),
        point_formats: Vec::new(),
        alpn: Vec::new(),
        signature_algorithms: Vec::new(),
        supported_versions: Vec::new(),
        session_ticket: false,
        early_data: false,
        anomalies: Vec::new(),
    };
    let exts = split_extensions(rest, &mut ch.anomalies);
    for (t, d) in exts {
        let ok = match t {
            0 => match sni(d) {
                Ok(Some(name)) => {
                    if ch.sni.is_some() {
                        push_anomaly(&mut ch.anomalies, TlsAnomaly::MultipleSniExtensions);
                    } else {
                        ch.sni = Some(name);
                    }
                    true
                }
                Ok(None) => true,
                Err(a) => {
                    push_anomaly(&mut ch.anomalies, a);
                    false
                }
            },
            10 => d.is_empty() || vec16(d).map(|g| ch.groups = g.into_iter().map(NamedGroup).collect()).is_some(),
            11 => d.is_empty() || len8(d).map(|(_, pf)| ch.point_formats = pf.to_vec()).is_ok(),
            13 => d.is_empty() || vec16(d).map(|s| ch.signature_algorithms = s).is_some(),
            16 => d.is_empty() || alpn(d).map(|a| ch.alpn = a).is_some(),
            35 => {
                ch.session_ticket = true;
                true
            }
            42 => {
                ch.early_data = true;
                true
            }
            43 => {
                d.is_empty()
                    || len8(d)
                        .ok()
                        .and_then(|(_, l)| u16_list(l))
                        .filter(|l| !l.is_empty())
                        .map(|l| ch.supported_versions = l.into_iter().map(TlsVersion).collect())
                        .is_some()
            }
            _ => true,
        };
        if !ok {
            if !ch.anomalies.iter().any(|a| matches!(a, TlsAnomaly::InvalidSniType | TlsAnomaly::InvalidSniLength)) {
                push_anomaly(&mut ch.anomalies, TlsAnomaly::HandshakeInvalidLength);
            }
            break;
        }
        ch.extensions.push(TlsExtensionType(t));
    }
    Ok(ch)
}

/// Decodes a ServerHello body (after the 4-byte handshake header).
///
/// TLS 1.3 drafts sent `legacy_version` 0x7fNN (and the earliest 0x0304)
/// without session id and compression method; those are read as Suricata
/// reads them.
///
/// # Errors
/// [`TlsAnomaly::HandshakeInvalidLength`] when the fixed part overruns.
pub fn parse_server_hello(body: &[u8]) -> Result<ServerHello, TlsAnomaly> {
    let version = body.get(..2).map(|v| u16::from_be_bytes([v[0], v[1]])).ok_or(TlsAnomaly::HandshakeInvalidLength)?;
    let draft = version == 0x0304 || version >> 8 == 0x7f;
    let fixed = |i| -> IResult<&[u8], (HelloStart<'_>, u16, u8)> {
        let (i, start) = hello_start(i, !draft)?;
        let (i, cipher) = be_u16(i)?;
        let (i, comp) = if draft { (i, 0) } else { be_u8(i)? };
        Ok((i, (start, cipher, comp)))
    };
    let (rest, (start, cipher, compression)) = fixed(body).map_err(|_| TlsAnomaly::HandshakeInvalidLength)?;
    let mut sh = ServerHello {
        version: TlsVersion(start.version),
        random: start.random.to_vec(),
        session_id: start.session_id.to_vec(),
        cipher: TlsCipherSuiteID(cipher),
        compression,
        extensions: Vec::new(),
        selected_version: None,
        anomalies: Vec::new(),
    };
    for (t, d) in split_extensions(rest, &mut sh.anomalies) {
        if t == 43 && !d.is_empty() {
            match d.get(..2) {
                Some(v) => sh.selected_version = Some(TlsVersion(u16::from_be_bytes([v[0], v[1]]))),
                None => {
                    push_anomaly(&mut sh.anomalies, TlsAnomaly::HandshakeInvalidLength);
                    break;
                }
            }
        }
        sh.extensions.push(TlsExtensionType(t));
    }
    Ok(sh)
}

/// Decodes an SSLv2 ClientHello body (starting at the message type byte).
///
/// # Errors
/// [`TlsAnomaly::InvalidSslv2Header`] when it is not a ClientHello or its
/// lengths overrun.
pub fn parse_sslv2_client_hello(body: &[u8]) -> Result<Sslv2ClientHello, TlsAnomaly> {
    let p = |i| -> IResult<&[u8], Sslv2ClientHello> {
        let (i, _msg_type) = nom::bytes::complete::tag(&[1u8][..])(i)?;
        let (i, version) = be_u16(i)?;
        let (i, cs_len) = be_u16(i)?;
        let (i, sid_len) = be_u16(i)?;
        let (i, ch_len) = be_u16(i)?;
        let (i, cs) = take(cs_len)(i)?;
        let (i, sid) = take(sid_len)(i)?;
        let (i, challenge) = take(ch_len)(i)?;
        let cipher_specs = cs.chunks_exact(3).map(|c| u32::from_be_bytes([0, c[0], c[1], c[2]])).collect();
        Ok((
            i,
            Sslv2ClientHello {
                version: TlsVersion(version),
                cipher_specs,
                session_id: sid.to_vec(),
                challenge: challenge.to_vec(),
            },
        ))
    };
    p(body).map(|(_, h)| h).map_err(|_| TlsAnomaly::InvalidSslv2Header)
}

/// Splits a Certificate message body into its DER certificates (at most
/// [`MAX_CERTS`]). Anomalies: [`TlsAnomaly::CertificateInvalidLength`] when
/// lengths overrun (the certificates before are kept),
/// [`TlsAnomaly::TooManyCertificates`].
pub fn parse_certificate_list(body: &[u8]) -> (Vec<&[u8]>, Vec<TlsAnomaly>) {
    let mut anomalies = Vec::new();
    let mut certs = Vec::new();
    let Ok((_, mut list)) = len24(body) else {
        push_anomaly(&mut anomalies, TlsAnomaly::CertificateInvalidLength);
        return (certs, anomalies);
    };
    while !list.is_empty() {
        match len24(list) {
            Ok((rest, der)) => {
                if certs.len() < MAX_CERTS {
                    certs.push(der);
                } else {
                    push_anomaly(&mut anomalies, TlsAnomaly::TooManyCertificates);
                }
                list = rest;
            }
            Err(_) => {
                push_anomaly(&mut anomalies, TlsAnomaly::CertificateInvalidLength);
                break;
            }
        }
    }
    (certs, anomalies)
}

/// The certificate fields Suricata logs and matches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertInfo {
    /// Subject as Suricata prints it: `C=US, O=Let's Encrypt, CN=R3`.
    pub subject: String,
    /// Issuer, same format.
    pub issuer: String,
    /// Serial: the raw DER integer bytes as uppercase hex joined with `:`
    /// (a leading 00 kept: `00:A1:B2`).
    pub serial: String,
    /// SHA-1 of the DER certificate, lowercase hex joined with `:`.
    pub fingerprint: String,
    /// notBefore, seconds since the Unix epoch (may be negative).
    pub not_before: i64,
    /// notAfter, seconds since the Unix epoch.
    pub not_after: i64,
}

fn hex_join(bytes: &[u8], upper: bool) -> String {
    let parts: Vec<String> =
        bytes.iter().map(|b| if upper { format!("{b:02X}") } else { format!("{b:02x}") }).collect();
    parts.join(":")
}

/// SHA-1 fingerprint of a DER certificate as Suricata writes it.
pub fn cert_fingerprint(der: &[u8]) -> String {
    hex_join(&Sha1::digest(der), false)
}

/// Decodes the fields of one DER certificate (x509-parser, as Suricata).
///
/// # Errors
/// When X.509 decoding fails, the anomaly Suricata 7 raises for the
/// decoder's error: [`TlsAnomaly::CertificateInvalidLength`] when the DER
/// ends before a header does (`tls_DER-incomplete-header.pcap` of
/// Suricata's bug 1450), the specific `CertificateInvalid*` for a field
/// the decoder names, [`TlsAnomaly::CertificateInvalidDer`] for a DER
/// error, [`TlsAnomaly::InvalidCertificate`] otherwise (a content cut
/// short, `tls_DER-incomplete-content.pcap`).
pub fn parse_certificate(der: &[u8]) -> Result<CertInfo, TlsAnomaly> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).map_err(|e| certificate_error(&e))?;
    let tbs = &cert.tbs_certificate;
    Ok(CertInfo {
        subject: tbs.subject().to_string(),
        issuer: tbs.issuer().to_string(),
        serial: hex_join(tbs.raw_serial(), true),
        fingerprint: cert_fingerprint(der),
        not_before: tbs.validity().not_before.timestamp(),
        not_after: tbs.validity().not_after.timestamp(),
    })
}

fn certificate_error(e: &x509_parser::nom::Err<x509_parser::error::X509Error>) -> TlsAnomaly {
    use x509_parser::error::X509Error as E;
    match e {
        x509_parser::nom::Err::Incomplete(_) => TlsAnomaly::CertificateInvalidLength,
        x509_parser::nom::Err::Error(e) | x509_parser::nom::Err::Failure(e) => match e {
            E::InvalidVersion => TlsAnomaly::CertificateInvalidVersion,
            E::InvalidSerial => TlsAnomaly::CertificateInvalidSerial,
            E::InvalidAlgorithmIdentifier => TlsAnomaly::CertificateInvalidAlgorithmIdentifier,
            E::InvalidX509Name => TlsAnomaly::CertificateInvalidX509Name,
            E::InvalidDate => TlsAnomaly::CertificateInvalidDate,
            E::InvalidExtensions => TlsAnomaly::CertificateInvalidExtensions,
            E::Der(_) => TlsAnomaly::CertificateInvalidDer,
            _ => TlsAnomaly::InvalidCertificate,
        },
    }
}

/// A TLS version as Suricata names it (`TLS 1.2`, `TLSv1`, `SSLv3`,
/// `TLS 1.3 draft-19`, `UNDETERMINED` for 0, else `0xNNNN`).
pub fn version_name(v: u16) -> Cow<'static, str> {
    let s = match v {
        0 => "UNDETERMINED",
        0x0200 => "SSLv2",
        0x0300 => "SSLv3",
        0x0301 => "TLSv1",
        0x0302 => "TLS 1.1",
        0x0303 => "TLS 1.2",
        0x0304 => "TLS 1.3",
        0x7f01 => "TLS 1.3 draft-<16",
        0xfb14 => "TLS 1.3 draft-20-fb",
        0xfb15 => "TLS 1.3 draft-21-fb",
        0xfb16 => "TLS 1.3 draft-22-fb",
        0xfb17 => "TLS 1.3 draft-23-fb",
        0xfb1a => "TLS 1.3 draft-26-fb",
        0x7f10..=0x7f1c => return Cow::Owned(format!("TLS 1.3 draft-{}", v & 0xff)),
        _ => return Cow::Owned(format!("0x{v:04x}")),
    };
    Cow::Borrowed(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    // ServerHello + Certificate + ServerKeyExchange + ServerHelloDone flight
    // and the certificates: see testdata/README.md.
    const LEAF_DER: &[u8] = include_bytes!("testdata/leaf.der");

    #[test]
    fn record_headers() {
        let h = parse_record_header(&[22, 3, 1, 0x02, 0x00]).unwrap();
        assert_eq!(h.content_type, TlsRecordType::Handshake);
        assert_eq!(h.version, TlsVersion::Tls10);
        assert_eq!(h.len, 512);
        assert_eq!(h.check(), Ok(()));
        assert_eq!(
            parse_record_header(&[0x47, 0x45, 0x54, 0x20, 0x2f]).unwrap().check(),
            Err(TlsAnomaly::InvalidRecordType)
        );
        assert_eq!(parse_record_header(&[23, 2, 0, 0, 1]).unwrap().check(), Err(TlsAnomaly::InvalidRecordVersion));
        assert_eq!(parse_record_header(&[22, 3]), None);
        let v2 = parse_sslv2_header(&[0x80, 0x2e, 0x01]).unwrap();
        assert_eq!((v2.header_len, v2.len, v2.msg_type), (2, 0x2e, Some(1)));
    }

    #[test]
    fn sslv2_client_hello() {
        // SSLv2-compatible hello offering TLS 1.0: 2 cipher specs, no
        // session id, 16-byte challenge.
        let mut b = vec![1, 3, 1, 0, 6, 0, 0, 0, 16, 0, 0, 0x04, 0x01, 0x00, 0x80];
        b.extend(0..16u8);
        let h = parse_sslv2_client_hello(&b).unwrap();
        assert_eq!(h.version, TlsVersion::Tls10);
        assert_eq!(h.cipher_specs, vec![0x000004, 0x010080]);
        assert_eq!(h.challenge.len(), 16);
        assert_eq!(parse_sslv2_client_hello(&b[..10]), Err(TlsAnomaly::InvalidSslv2Header));
    }

    #[test]
    fn certificate_fields_match_openssl() {
        // Values printed by `openssl x509 -noout -subject -issuer -serial
        // -fingerprint -sha1 -dates` for testdata/leaf.der, and by Suricata
        // 7.0.10 for the same certificate.
        let c = parse_certificate(LEAF_DER).unwrap();
        assert_eq!(c.subject, "C=US, ST=Oregon, O=Mirador Test, CN=test.mirador.example");
        assert_eq!(c.issuer, "C=US, O=Mirador Test CA, CN=Mirador Test Root");
        assert_eq!(c.serial, "00:A1:B2:C3:D4:E5:F6:07:18");
        assert_eq!(c.fingerprint, "6f:86:f1:98:78:6d:57:71:66:52:cb:41:a5:fe:8e:c9:75:bd:5f:83");
        assert!(c.not_after > c.not_before);
        // The DER of Suricata's bug 1450 captures: a header cut short is an
        // invalid length, a content cut short an invalid certificate.
        assert_eq!(
            parse_certificate(&[0x30, 0x05, 0x30, 0x84, 0xff, 0xff, 0xff, 0xfa, 0x00]),
            Err(TlsAnomaly::CertificateInvalidLength)
        );
        assert_eq!(
            parse_certificate(&[0x30, 0x06, 0x30, 0x84, 0xff, 0xff, 0xff, 0xfa, 0x00]),
            Err(TlsAnomaly::InvalidCertificate)
        );
        assert!(parse_certificate(&LEAF_DER[..100]).is_err());
    }

    #[test]
    fn certificate_list() {
        let mut body = Vec::new();
        let inner: Vec<u8> = [&b"abc"[..], &b"de"[..]]
            .iter()
            .flat_map(|c| {
                let mut v = (c.len() as u32).to_be_bytes()[1..].to_vec();
                v.extend_from_slice(c);
                v
            })
            .collect();
        body.extend_from_slice(&(inner.len() as u32).to_be_bytes()[1..]);
        body.extend(&inner);
        let (certs, an) = parse_certificate_list(&body);
        assert_eq!(certs, vec![&b"abc"[..], &b"de"[..]]);
        assert!(an.is_empty());
        let (certs, an) = parse_certificate_list(&body[..body.len() - 1]);
        assert!(certs.is_empty());
        assert_eq!(an, vec![TlsAnomaly::CertificateInvalidLength]);
    }

    #[test]
    fn version_names() {
        assert_eq!(version_name(0), "UNDETERMINED");
        assert_eq!(version_name(0x0301), "TLSv1");
        assert_eq!(version_name(0x0303), "TLS 1.2");
        assert_eq!(version_name(0x7f13), "TLS 1.3 draft-19");
        assert_eq!(version_name(0xfb17), "TLS 1.3 draft-23-fb");
        assert_eq!(version_name(0x1234), "0x1234");
    }

    #[test]
    fn client_hello_extension_errors_end_the_list() {
        // version, random, empty sid, one cipher, null compression, then
        // extensions: ec_point_formats ok, SNI with name type 1 (invalid),
        // supported_groups (never reached).
        let mut b = vec![3, 3];
        b.extend([0u8; 32]);
        b.extend([0, 0, 2, 0x13, 0x01, 1, 0]);
        let exts: Vec<u8> = [
            &[0u8, 11, 0, 2, 1, 0][..],
            &[0, 0, 0, 8, 0, 6, 1, 0, 3, b'a', b'b', b'c'][..],
            &[0, 10, 0, 4, 0, 2, 0, 23][..],
        ]
        .concat();
        b.extend((exts.len() as u16).to_be_bytes());
        b.extend(&exts);
        let ch = parse_client_hello(&b).unwrap();
        assert_eq!(ch.extensions, vec![TlsExtensionType(11)]);
        assert_eq!(ch.point_formats, vec![0]);
        assert!(ch.groups.is_empty() && ch.sni.is_none());
        assert_eq!(ch.anomalies, vec![TlsAnomaly::InvalidSniType]);
        assert_eq!(parse_client_hello(&b[..30]), Err(TlsAnomaly::HandshakeInvalidLength));
    }

    #[test]
    fn server_hello_draft_and_final() {
        // TLS 1.3 draft-19 ServerHello: no session id, no compression.
        let mut d = vec![0x7f, 0x13];
        d.extend([7u8; 32]);
        d.extend([0x13, 0x02, 0, 0]);
        let sh = parse_server_hello(&d).unwrap();
        assert_eq!((sh.version.0, sh.cipher.0), (0x7f13, 0x1302));
        assert!(sh.session_id.is_empty() && sh.extensions.is_empty());
        // TLS 1.3 final: legacy 1.2 + supported_versions.
        let mut f = vec![3, 3];
        f.extend(HELLO_RETRY_RANDOM);
        f.extend([32]);
        f.extend([9u8; 32]);
        f.extend([0x13, 0x01, 0, 0, 6, 0, 43, 0, 2, 3, 4]);
        let sh = parse_server_hello(&f).unwrap();
        assert_eq!(sh.selected_version, Some(TlsVersion::Tls13));
        assert_eq!(sh.extensions, vec![TlsExtensionType(43)]);
        assert!(sh.is_hello_retry_request());
    }

    #[test]
    fn garbage_never_panics() {
        let mut seed = 99u32;
        for _ in 0..20_000 {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let n = (seed >> 16) as usize % 200;
            let mut b = vec![3u8, 3];
            for _ in 0..n {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                b.push((seed >> 16) as u8);
            }
            let _ = parse_client_hello(&b);
            let _ = parse_server_hello(&b);
            let _ = parse_sslv2_client_hello(&b);
            let _ = parse_certificate_list(&b);
            let _ = parse_certificate(&b);
        }
    }
}
