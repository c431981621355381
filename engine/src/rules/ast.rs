//! The parsed form of a rule: what the text says, with variables still named.
//! [`crate::detect`] compiles it into a signature.

use super::netset::{AddrExpr, PortExpr};
use super::numeric::NumMatch;

/// What to do when the rule matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Raise an alert.
    Alert,
    /// IPS: alert and stop passing the packet (an IDS alerts).
    Drop,
    /// IPS: drop and reset (an IDS alerts).
    Reject,
    /// IPS reject variants (`rejectsrc`, `rejectdst`, `rejectboth`).
    RejectBoth,
    /// Stop inspecting the packet/flow for other rules.
    Pass,
    /// Log-only action of Suricata (`config` in 7 is accepted too).
    Config,
}

/// The rank of each action in signature order, Suricata's `action-order`
/// setting. The order decides which matches of a packet count: a `pass`
/// stops the matches ranked after it, and a drop ranked before a pass still
/// drops. Lower ranks come first; the default is pass, drop, reject, alert.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ActionOrder {
    /// Rank of pass, drop, reject (all variants) and alert, in that order.
    ranks: [u8; 4],
}

impl Default for ActionOrder {
    fn default() -> Self {
        ActionOrder { ranks: [0, 1, 2, 3] }
    }
}

impl ActionOrder {
    /// Reads the names of `action-order` (`pass`, `drop`, `reject`,
    /// `alert`), first ranked first. Actions the list leaves out keep their
    /// default order after those it names.
    ///
    /// # Errors
    /// An unknown or repeated name.
    pub fn parse<S: AsRef<str>>(names: &[S]) -> Result<Self, String> {
        let mut ranks = [u8::MAX; 4];
        for (rank, name) in names.iter().enumerate() {
            let slot = match name.as_ref().trim() {
                "pass" => 0,
                "drop" => 1,
                "reject" => 2,
                "alert" => 3,
                other => return Err(format!("unknown action '{other}'")),
            };
            if ranks[slot] != u8::MAX {
                return Err(format!("action '{}' listed twice", name.as_ref().trim()));
            }
            ranks[slot] = rank as u8;
        }
        let mut next = names.len() as u8;
        for r in &mut ranks {
            if *r == u8::MAX {
                *r = next;
                next += 1;
            }
        }
        Ok(ActionOrder { ranks })
    }

    /// The rank of `action`; `config` rules go with alerts.
    pub fn rank(&self, action: Action) -> u8 {
        match action {
            Action::Pass => self.ranks[0],
            Action::Drop => self.ranks[1],
            Action::Reject | Action::RejectBoth => self.ranks[2],
            Action::Alert | Action::Config => self.ranks[3],
        }
    }
}

impl Action {
    /// The name EVE writes in `alert.action` (an IDS reports `allowed`
    /// for alerts; Suricata writes `allowed` unless it is inline).
    pub fn eve_name(self) -> &'static str {
        match self {
            Action::Pass => "pass",
            _ => "allowed",
        }
    }
}

/// Application-layer protocols known to the rule header and
/// `app-layer-protocol`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AppProto {
    /// HTTP/1.x (and `http1`).
    Http,
    /// HTTP/2.
    Http2,
    /// DNS over UDP or TCP.
    Dns,
    /// TLS.
    Tls,
    /// FTP control channel.
    Ftp,
    /// FTP data.
    FtpData,
    /// SMTP.
    Smtp,
    /// SSH.
    Ssh,
    /// SMB.
    Smb,
    /// DCERPC.
    Dcerpc,
    /// IMAP.
    Imap,
    /// POP3 (no parser in Suricata 7 either; detected only).
    Pop3,
    /// Kerberos 5.
    Krb5,
    /// NTP.
    Ntp,
    /// DHCP.
    Dhcp,
    /// SNMP.
    Snmp,
    /// SIP.
    Sip,
    /// NFS.
    Nfs,
    /// TFTP.
    Tftp,
    /// Modbus.
    Modbus,
    /// DNP3.
    Dnp3,
    /// ENIP/CIP.
    Enip,
    /// IKE.
    Ike,
    /// RDP.
    Rdp,
    /// MQTT.
    Mqtt,
    /// RFB (VNC).
    Rfb,
    /// QUIC.
    Quic,
    /// IRC (detection only).
    Irc,
    /// Telnet.
    Telnet,
    /// Any other name Suricata accepts; kept for reporting.
    Failed,
}

impl AppProto {
    /// Parses a protocol name as Suricata spells it in headers and
    /// `app-layer-protocol`.
    pub fn from_name(s: &str) -> Option<AppProto> {
        Some(match s {
            "http" | "http1" => AppProto::Http,
            "http2" => AppProto::Http2,
            "dns" => AppProto::Dns,
            "tls" | "ssl" => AppProto::Tls,
            "ftp" => AppProto::Ftp,
            "ftp-data" => AppProto::FtpData,
            "smtp" => AppProto::Smtp,
            "ssh" => AppProto::Ssh,
            "smb" => AppProto::Smb,
            "dcerpc" => AppProto::Dcerpc,
            "imap" => AppProto::Imap,
            "pop3" => AppProto::Pop3,
            "krb5" => AppProto::Krb5,
            "ntp" => AppProto::Ntp,
            "dhcp" => AppProto::Dhcp,
            "snmp" => AppProto::Snmp,
            "sip" => AppProto::Sip,
            "nfs" => AppProto::Nfs,
            "tftp" => AppProto::Tftp,
            "modbus" => AppProto::Modbus,
            "dnp3" => AppProto::Dnp3,
            "enip" => AppProto::Enip,
            "ike" => AppProto::Ike,
            "rdp" => AppProto::Rdp,
            "mqtt" => AppProto::Mqtt,
            "rfb" => AppProto::Rfb,
            "quic" => AppProto::Quic,
            "irc" => AppProto::Irc,
            "telnet" => AppProto::Telnet,
            "failed" => AppProto::Failed,
            _ => return None,
        })
    }

    /// The name EVE writes in `app_proto`.
    pub fn name(self) -> &'static str {
        match self {
            AppProto::Http => "http",
            AppProto::Http2 => "http2",
            AppProto::Dns => "dns",
            AppProto::Tls => "tls",
            AppProto::Ftp => "ftp",
            AppProto::FtpData => "ftp-data",
            AppProto::Smtp => "smtp",
            AppProto::Ssh => "ssh",
            AppProto::Smb => "smb",
            AppProto::Dcerpc => "dcerpc",
            AppProto::Imap => "imap",
            AppProto::Pop3 => "pop3",
            AppProto::Krb5 => "krb5",
            AppProto::Ntp => "ntp",
            AppProto::Dhcp => "dhcp",
            AppProto::Snmp => "snmp",
            AppProto::Sip => "sip",
            AppProto::Nfs => "nfs",
            AppProto::Tftp => "tftp",
            AppProto::Modbus => "modbus",
            AppProto::Dnp3 => "dnp3",
            AppProto::Enip => "enip",
            AppProto::Ike => "ike",
            AppProto::Rdp => "rdp",
            AppProto::Mqtt => "mqtt",
            AppProto::Rfb => "rfb",
            AppProto::Quic => "quic",
            AppProto::Irc => "irc",
            AppProto::Telnet => "telnet",
            AppProto::Failed => "failed",
        }
    }

    /// Transport the protocol runs over when named in a rule header
    /// (`alert dns` covers both UDP and TCP).
    pub fn transports(self) -> (bool, bool) {
        match self {
            AppProto::Dns | AppProto::Sip | AppProto::Krb5 | AppProto::Nfs => (true, true),
            AppProto::Ntp | AppProto::Dhcp | AppProto::Snmp | AppProto::Tftp | AppProto::Ike | AppProto::Quic => {
                (false, true)
            }
            _ => (true, false),
        }
    }
}

/// The protocol field of the rule header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proto {
    /// `ip` (or `pkthdr`): any IP packet.
    Ip,
    /// `ipv4`: IPv4 packets.
    Ipv4,
    /// `ipv6`: IPv6 packets.
    Ipv6,
    /// `tcp`: packets and stream.
    Tcp,
    /// `tcp-pkt`: TCP packets only.
    TcpPkt,
    /// `tcp-stream`: reassembled stream only.
    TcpStream,
    /// `udp`.
    Udp,
    /// `icmp` (v4 and v6).
    Icmp,
    /// `icmpv4`.
    Icmpv4,
    /// `icmpv6`.
    Icmpv6,
    /// `sctp`.
    Sctp,
    /// An application-layer protocol (`http`, `dns`, `tls`, ...).
    App(AppProto),
}

/// Direction operator of the header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// `->`
    ToDst,
    /// `<>`: either way.
    Both,
}

/// The rule header as written.
#[derive(Clone, Debug, PartialEq)]
pub struct Header {
    /// Action.
    pub action: Action,
    /// Protocol.
    pub proto: Proto,
    /// Source addresses.
    pub src: AddrExpr,
    /// Source ports.
    pub sport: PortExpr,
    /// Direction.
    pub direction: Direction,
    /// Destination addresses.
    pub dst: AddrExpr,
    /// Destination ports.
    pub dport: PortExpr,
}

/// An inspection buffer: what a content, pcre or other payload keyword looks
/// at. Legacy modifiers (`http_uri`) and sticky buffers (`http.uri`) map to
/// the same value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Buffer {
    /// Packet payload or reassembled stream (no buffer selected, `pkt_data`).
    Payload,
    /// Normalized request URI.
    HttpUri,
    /// Raw request URI.
    HttpUriRaw,
    /// Normalized headers (without the request/status line).
    HttpHeader,
    /// Raw headers.
    HttpHeaderRaw,
    /// Request method.
    HttpMethod,
    /// Cookie header value(s).
    HttpCookie,
    /// User-Agent header value.
    HttpUserAgent,
    /// Host header value, lowercased.
    HttpHost,
    /// Host header value as sent.
    HttpHostRaw,
    /// Status code as text (`200`).
    HttpStatCode,
    /// Status message (`OK`).
    HttpStatMsg,
    /// Request body.
    HttpRequestBody,
    /// Response body (dechunked, decompressed).
    HttpResponseBody,
    /// Whole request line.
    HttpRequestLine,
    /// Whole response line.
    HttpResponseLine,
    /// HTTP protocol string (`HTTP/1.1`).
    HttpProtocol,
    /// Header names only.
    HttpHeaderNames,
    /// Accept header.
    HttpAccept,
    /// Accept-Encoding header.
    HttpAcceptEnc,
    /// Accept-Language header.
    HttpAcceptLang,
    /// Connection header.
    HttpConnection,
    /// Content-Type header.
    HttpContentType,
    /// Content-Length header.
    HttpContentLen,
    /// Referer header.
    HttpReferer,
    /// Server header.
    HttpServer,
    /// Location header.
    HttpLocation,
    /// `http.request_header`: one request header as `Name: value`
    /// (repeats merged with `, `), one instance per header (a multi-buffer,
    /// see [`Buffer::is_multi`]).
    HttpRequestHeader,
    /// `http.response_header`: one response header as `Name: value`, one
    /// instance per header.
    HttpResponseHeader,
    /// `http.start`: the start line, CRLF, then `Name: value\r\n` per header
    /// and the blank line (request or response, by direction).
    HttpStart,
    /// Start of a file's data (HTTP bodies, SMTP attachments...).
    FileData,
    /// File name (`file.name`, and the `filename` / `fileext` keywords):
    /// inspected per file, not per transaction.
    FileName,
    /// File type description (`file.magic`, `filemagic`), per file.
    FileMagic,
    /// DNS query name (`dns.query`, `dns_query`).
    DnsQuery,
    /// TLS SNI.
    TlsSni,
    /// TLS certificate subject.
    TlsCertSubject,
    /// TLS certificate issuer.
    TlsCertIssuer,
    /// TLS certificate serial.
    TlsCertSerial,
    /// TLS certificate SHA1 fingerprint.
    TlsCertFingerprint,
    /// `tls.certs`: the server's certificates, DER, one instance per
    /// certificate in the order sent (a multi-buffer).
    TlsCerts,
    /// `tls.random`: the 32-byte hello random of the inspected direction's
    /// side (ClientHello to server, ServerHello to client).
    TlsRandom,
    /// `tls.random_time`: its first 4 bytes.
    TlsRandomTime,
    /// `tls.random_bytes`: its last 28 bytes.
    TlsRandomBytes,
    /// JA3 hash (md5 hex).
    Ja3Hash,
    /// JA3 string.
    Ja3String,
    /// JA3S hash.
    Ja3sHash,
    /// JA3S string.
    Ja3sString,
    /// JA4 fingerprint.
    Ja4Hash,
    /// SSH protocol version string.
    SshProto,
    /// SSH software version string.
    SshSoftware,
    /// `sip.method`: a request's method.
    SipMethod,
    /// `sip.uri`: a request's URI.
    SipUri,
    /// `sip.request_line`: a request's start line.
    SipRequestLine,
    /// `sip.protocol`: the version of a request or response (`SIP/2.0`).
    SipProtocol,
    /// `sip.stat_code`: a response's status code.
    SipStatCode,
    /// `sip.stat_msg`: a response's reason phrase.
    SipStatMsg,
    /// `sip.response_line`: a response's start line.
    SipResponseLine,
    /// `dcerpc.stub_data` / `dce_stub_data`: a DCERPC REQUEST's stub data
    /// (to server) or a RESPONSE's (to client), fragments reassembled.
    DceStubData,
    /// `smb.share`: the share path of a tree connect that is not a named
    /// pipe (as far as the parser knows yet).
    SmbShare,
    /// `smb.named_pipe`: the share path of a tree connect the server marked
    /// as a named pipe (IPC).
    SmbNamedPipe,
    /// `smb.ntlmssp_user`: the user name of an NTLMSSP AUTHENTICATE message.
    SmbNtlmsspUser,
    /// `smb.ntlmssp_domain`: its domain name.
    SmbNtlmsspDomain,
    /// `frame:http1.request`: a request as sent (start line, headers and
    /// body, chunk framing included).
    FrameHttp1Request,
    /// `frame:http1.response`: a response as sent.
    FrameHttp1Response,
    /// `frame:dns.pdu`: one DNS message (without the TCP length prefix).
    FrameDnsPdu,
    /// `frame:mqtt.pdu`: one MQTT control packet, fixed header included.
    FrameMqttPdu,
    /// `frame:mqtt.header`: an MQTT packet's fixed header (type byte and
    /// remaining length).
    FrameMqttHeader,
    /// `frame:mqtt.data`: an MQTT packet after its fixed header.
    FrameMqttData,
    /// Decoded base64 data from `base64_decode`.
    Base64Data,
    /// `ipv4.hdr`: the IPv4 header of the packet, options included.
    Ipv4Hdr,
    /// `ipv6.hdr`: the IPv6 header and its extension headers, up to the
    /// transport header.
    Ipv6Hdr,
    /// `tcp.hdr`: the TCP header, options included (data offset * 4).
    TcpHdr,
    /// `udp.hdr`: the 8-byte UDP header.
    UdpHdr,
    /// `icmpv4.hdr`: the ICMPv4 header (8 bytes; more for timestamp and
    /// router advertisement messages).
    Icmpv4Hdr,
    /// `icmpv6.hdr`: the 8-byte ICMPv6 header.
    Icmpv6Hdr,
    /// `ip.src`: the packet's source address, 4 or 16 bytes.
    IpSrc,
    /// `ip.dst`: its destination address.
    IpDst,
}

impl Buffer {
    /// Every buffer an app-layer parser fills (all but the payload and
    /// `base64_data`): for code that reads a transaction's every buffer.
    pub const APP_LAYER: &'static [Buffer] = &[
        Buffer::HttpUri,
        Buffer::HttpUriRaw,
        Buffer::HttpHeader,
        Buffer::HttpHeaderRaw,
        Buffer::HttpMethod,
        Buffer::HttpCookie,
        Buffer::HttpUserAgent,
        Buffer::HttpHost,
        Buffer::HttpHostRaw,
        Buffer::HttpStatCode,
        Buffer::HttpStatMsg,
        Buffer::HttpRequestBody,
        Buffer::HttpResponseBody,
        Buffer::HttpRequestLine,
        Buffer::HttpResponseLine,
        Buffer::HttpProtocol,
        Buffer::HttpHeaderNames,
        Buffer::HttpAccept,
        Buffer::HttpAcceptEnc,
        Buffer::HttpAcceptLang,
        Buffer::HttpConnection,
        Buffer::HttpContentType,
        Buffer::HttpContentLen,
        Buffer::HttpReferer,
        Buffer::HttpServer,
        Buffer::HttpLocation,
        Buffer::HttpRequestHeader,
        Buffer::HttpResponseHeader,
        Buffer::HttpStart,
        Buffer::FileData,
        Buffer::FileName,
        Buffer::FileMagic,
        Buffer::DnsQuery,
        Buffer::TlsSni,
        Buffer::TlsCertSubject,
        Buffer::TlsCertIssuer,
        Buffer::TlsCertSerial,
        Buffer::TlsCertFingerprint,
        Buffer::TlsCerts,
        Buffer::TlsRandom,
        Buffer::TlsRandomTime,
        Buffer::TlsRandomBytes,
        Buffer::Ja3Hash,
        Buffer::Ja3String,
        Buffer::Ja3sHash,
        Buffer::Ja3sString,
        Buffer::Ja4Hash,
        Buffer::SshProto,
        Buffer::SshSoftware,
        Buffer::SipMethod,
        Buffer::SipUri,
        Buffer::SipRequestLine,
        Buffer::SipProtocol,
        Buffer::SipStatCode,
        Buffer::SipStatMsg,
        Buffer::SipResponseLine,
        Buffer::DceStubData,
        Buffer::SmbShare,
        Buffer::SmbNamedPipe,
        Buffer::SmbNtlmsspUser,
        Buffer::SmbNtlmsspDomain,
        Buffer::FrameHttp1Request,
        Buffer::FrameHttp1Response,
        Buffer::FrameDnsPdu,
        Buffer::FrameMqttPdu,
        Buffer::FrameMqttHeader,
        Buffer::FrameMqttData,
    ];

    /// The packet-header buffers (`ipv4.hdr` ... `icmpv6.hdr`): read from
    /// the packet being inspected, never from a stream or a transaction.
    pub const PACKET_HEADERS: &'static [Buffer] = &[
        Buffer::Ipv4Hdr,
        Buffer::Ipv6Hdr,
        Buffer::TcpHdr,
        Buffer::UdpHdr,
        Buffer::Icmpv4Hdr,
        Buffer::Icmpv6Hdr,
        Buffer::IpSrc,
        Buffer::IpDst,
    ];

    /// True for the buffers of one file rather than of a transaction
    /// (`file.name`, `file.magic`): a rule inspecting them matches per
    /// file.
    pub fn is_file(self) -> bool {
        matches!(self, Buffer::FileName | Buffer::FileMagic)
    }

    /// True for the packet-header buffers ([`Buffer::PACKET_HEADERS`]).
    pub fn is_packet_header(self) -> bool {
        Buffer::PACKET_HEADERS.contains(&self)
    }
}

impl Buffer {
    /// Maps a `frame` keyword's value to its buffer: `proto.name`, or the
    /// bare frame name when the rule header names the protocol (`alert
    /// http1 ... frame:request`). mirador has the HTTP/1 request and
    /// response frames, the DNS message frame and MQTT's packet, header and
    /// data frames.
    pub fn from_frame(value: &str, proto: Proto) -> Option<Buffer> {
        let (p, name) = match value.split_once('.') {
            Some((p, n)) => (Some(p), n),
            None => (None, value),
        };
        let app = match (p, proto) {
            (Some("http1" | "http"), _) => AppProto::Http,
            (Some(p), _) => AppProto::from_name(p)?,
            (None, Proto::App(a)) => a,
            _ => return None,
        };
        Some(match (app, name) {
            (AppProto::Http, "request") => Buffer::FrameHttp1Request,
            (AppProto::Http, "response") => Buffer::FrameHttp1Response,
            (AppProto::Dns, "pdu") => Buffer::FrameDnsPdu,
            (AppProto::Mqtt, "pdu") => Buffer::FrameMqttPdu,
            (AppProto::Mqtt, "header") => Buffer::FrameMqttHeader,
            (AppProto::Mqtt, "data") => Buffer::FrameMqttData,
            _ => return None,
        })
    }

    /// True for the `frame:` buffers.
    pub fn is_frame(self) -> bool {
        use Buffer::*;
        matches!(
            self,
            FrameHttp1Request | FrameHttp1Response | FrameDnsPdu | FrameMqttPdu | FrameMqttHeader | FrameMqttData
        )
    }

    /// Maps a sticky-buffer keyword (`http.uri`) or its legacy sticky form
    /// (`file_data`) to its buffer.
    pub fn from_sticky(kw: &str) -> Option<Buffer> {
        Some(match kw {
            "pkt_data" => Buffer::Payload,
            "http.uri" | "http_uri" => Buffer::HttpUri,
            "http.uri.raw" | "http_raw_uri" => Buffer::HttpUriRaw,
            "http.header" | "http_header" => Buffer::HttpHeader,
            "http.header.raw" | "http_raw_header" => Buffer::HttpHeaderRaw,
            "http.method" | "http_method" => Buffer::HttpMethod,
            "http.cookie" | "http_cookie" => Buffer::HttpCookie,
            "http.user_agent" | "http_user_agent" => Buffer::HttpUserAgent,
            "http.host" | "http_host" => Buffer::HttpHost,
            "http.host.raw" | "http_raw_host" => Buffer::HttpHostRaw,
            "http.stat_code" | "http_stat_code" => Buffer::HttpStatCode,
            "http.stat_msg" | "http_stat_msg" => Buffer::HttpStatMsg,
            "http.request_body" | "http_client_body" => Buffer::HttpRequestBody,
            "http.response_body" | "http_server_body" => Buffer::HttpResponseBody,
            "http.request_line" | "http_request_line" => Buffer::HttpRequestLine,
            "http.response_line" | "http_response_line" => Buffer::HttpResponseLine,
            "http.protocol" | "http_protocol" => Buffer::HttpProtocol,
            "http.header_names" | "http_header_names" => Buffer::HttpHeaderNames,
            "http.accept" | "http_accept" => Buffer::HttpAccept,
            "http.accept_enc" | "http_accept_enc" => Buffer::HttpAcceptEnc,
            "http.accept_lang" | "http_accept_lang" => Buffer::HttpAcceptLang,
            "http.connection" | "http_connection" => Buffer::HttpConnection,
            "http.content_type" | "http_content_type" => Buffer::HttpContentType,
            "http.content_len" | "http_content_len" => Buffer::HttpContentLen,
            "http.referer" | "http_referer" => Buffer::HttpReferer,
            "http.server" => Buffer::HttpServer,
            "http.location" => Buffer::HttpLocation,
            "http.request_header" => Buffer::HttpRequestHeader,
            "http.response_header" => Buffer::HttpResponseHeader,
            "http.start" | "http_start" => Buffer::HttpStart,
            "file.data" | "file_data" => Buffer::FileData,
            "file.name" => Buffer::FileName,
            "file.magic" => Buffer::FileMagic,
            "dns.query" | "dns_query" => Buffer::DnsQuery,
            "tls.sni" | "tls_sni" => Buffer::TlsSni,
            "tls.cert_subject" | "tls_cert_subject" => Buffer::TlsCertSubject,
            "tls.cert_issuer" | "tls_cert_issuer" => Buffer::TlsCertIssuer,
            "tls.cert_serial" | "tls_cert_serial" => Buffer::TlsCertSerial,
            "tls.cert_fingerprint" | "tls_cert_fingerprint" => Buffer::TlsCertFingerprint,
            "tls.certs" => Buffer::TlsCerts,
            "tls.random" => Buffer::TlsRandom,
            "tls.random_time" => Buffer::TlsRandomTime,
            "tls.random_bytes" => Buffer::TlsRandomBytes,
            "ja3.hash" | "ja3_hash" => Buffer::Ja3Hash,
            "ja3.string" | "ja3_string" => Buffer::Ja3String,
            "ja3s.hash" => Buffer::Ja3sHash,
            "ja3s.string" => Buffer::Ja3sString,
            "ja4.hash" => Buffer::Ja4Hash,
            "ssh.proto" | "ssh_proto" => Buffer::SshProto,
            "ssh.software" | "ssh_software" => Buffer::SshSoftware,
            "sip.method" => Buffer::SipMethod,
            "sip.uri" => Buffer::SipUri,
            "sip.request_line" => Buffer::SipRequestLine,
            "sip.protocol" => Buffer::SipProtocol,
            "sip.stat_code" => Buffer::SipStatCode,
            "sip.stat_msg" => Buffer::SipStatMsg,
            "sip.response_line" => Buffer::SipResponseLine,
            "dcerpc.stub_data" | "dce_stub_data" => Buffer::DceStubData,
            "smb.share" | "smb_share" => Buffer::SmbShare,
            "smb.named_pipe" | "smb_named_pipe" => Buffer::SmbNamedPipe,
            "smb.ntlmssp_user" => Buffer::SmbNtlmsspUser,
            "smb.ntlmssp_domain" => Buffer::SmbNtlmsspDomain,
            "base64_data" => Buffer::Base64Data,
            "ipv4.hdr" => Buffer::Ipv4Hdr,
            "ipv6.hdr" => Buffer::Ipv6Hdr,
            "tcp.hdr" => Buffer::TcpHdr,
            "udp.hdr" => Buffer::UdpHdr,
            "icmpv4.hdr" => Buffer::Icmpv4Hdr,
            "icmpv6.hdr" => Buffer::Icmpv6Hdr,
            "ip.src" => Buffer::IpSrc,
            "ip.dst" => Buffer::IpDst,
            _ => return None,
        })
    }

    /// Maps a legacy sticky spelling without a dot (`http_start`,
    /// `http_protocol`, `http_request_line`...) to its buffer. These are
    /// sticky buffers in Suricata 7, not content modifiers: `content:"x";
    /// http_protocol;` is rejected there.
    pub fn from_legacy_sticky(kw: &str) -> Option<Buffer> {
        match kw {
            "http_start"
            | "http_protocol"
            | "http_request_line"
            | "http_response_line"
            | "http_header_names"
            | "http_accept"
            | "http_accept_enc"
            | "http_accept_lang"
            | "http_connection"
            | "http_content_len"
            | "http_content_type"
            | "http_referer"
            | "tls_sni"
            | "tls_cert_subject"
            | "tls_cert_issuer"
            | "tls_cert_serial"
            | "tls_cert_fingerprint"
            | "ja3_hash"
            | "ja3_string"
            | "ssh_proto"
            | "ssh_software"
            | "dce_stub_data"
            | "smb_share"
            | "smb_named_pipe" => Buffer::from_sticky(kw),
            _ => None,
        }
    }

    /// True for message bodies, which only grow while a transaction lives
    /// (detection scans only their new part).
    pub fn is_body(self) -> bool {
        matches!(self, Buffer::HttpRequestBody | Buffer::HttpResponseBody | Buffer::FileData)
    }

    /// True for multi-buffers: a transaction has several instances of the
    /// buffer (one per header for `http.request_header`), each inspected on
    /// its own; the keywords of one sticky selection match when they all
    /// match one instance, and each selection of the buffer in a rule may
    /// match another instance (Suricata 7's multi-buffer matching).
    pub fn is_multi(self) -> bool {
        matches!(self, Buffer::HttpRequestHeader | Buffer::HttpResponseHeader | Buffer::TlsCerts)
    }

    /// Maps a legacy content modifier (`http_uri` after a content) to its
    /// buffer. `rawbytes` is handled by the caller (it keeps the payload).
    pub fn from_modifier(kw: &str) -> Option<Buffer> {
        match kw {
            "http_uri" | "http_raw_uri" | "http_header" | "http_raw_header" | "http_method" | "http_cookie"
            | "http_user_agent" | "http_host" | "http_raw_host" | "http_stat_code" | "http_stat_msg"
            | "http_client_body" | "http_server_body" => Buffer::from_sticky(kw),
            _ => None,
        }
    }

    /// The direction that carries this buffer: `Some(true)` requests
    /// (to server), `Some(false)` responses, `None` either.
    pub fn direction(self) -> Option<bool> {
        use Buffer::*;
        match self {
            HttpUri | HttpUriRaw | HttpMethod | HttpUserAgent | HttpHost | HttpHostRaw | HttpRequestBody
            | HttpRequestLine | HttpAccept | HttpAcceptEnc | HttpAcceptLang | HttpReferer | DnsQuery | TlsSni
            | Ja3Hash | Ja3String | Ja4Hash | HttpRequestHeader | SipMethod | SipUri | SipRequestLine
            | FrameHttp1Request | SmbShare | SmbNamedPipe | SmbNtlmsspUser | SmbNtlmsspDomain => Some(true),
            HttpStatCode | HttpStatMsg | HttpResponseBody | HttpResponseLine | HttpServer | HttpLocation
            | HttpResponseHeader | TlsCertSubject | TlsCertIssuer | TlsCertSerial | TlsCertFingerprint | TlsCerts
            | Ja3sHash | Ja3sString | SipStatCode | SipStatMsg | SipResponseLine | FrameHttp1Response => Some(false),
            _ => None,
        }
    }

    /// The app-layer protocol whose parser fills this buffer (None for the
    /// payload, which every flow has).
    pub fn app_proto(self) -> Option<AppProto> {
        use Buffer::*;
        match self {
            Payload | Base64Data | FileData | FileName | FileMagic | Ipv4Hdr | Ipv6Hdr | TcpHdr | UdpHdr
            | Icmpv4Hdr | Icmpv6Hdr | IpSrc | IpDst => None,
            DnsQuery | FrameDnsPdu => Some(AppProto::Dns),
            TlsSni | TlsCertSubject | TlsCertIssuer | TlsCertSerial | TlsCertFingerprint | TlsCerts | TlsRandom
            | TlsRandomTime | TlsRandomBytes | Ja3Hash | Ja3String | Ja3sHash | Ja3sString | Ja4Hash => {
                Some(AppProto::Tls)
            }
            SshProto | SshSoftware => Some(AppProto::Ssh),
            SipMethod | SipUri | SipRequestLine | SipProtocol | SipStatCode | SipStatMsg | SipResponseLine => {
                Some(AppProto::Sip)
            }
            FrameMqttPdu | FrameMqttHeader | FrameMqttData => Some(AppProto::Mqtt),
            DceStubData => Some(AppProto::Dcerpc),
            SmbShare | SmbNamedPipe | SmbNtlmsspUser | SmbNtlmsspDomain => Some(AppProto::Smb),
            _ => Some(AppProto::Http),
        }
    }

    /// Canonical sticky-buffer name, for reports.
    pub fn name(self) -> &'static str {
        use Buffer::*;
        match self {
            Payload => "pkt_data",
            HttpUri => "http.uri",
            HttpUriRaw => "http.uri.raw",
            HttpHeader => "http.header",
            HttpHeaderRaw => "http.header.raw",
            HttpMethod => "http.method",
            HttpCookie => "http.cookie",
            HttpUserAgent => "http.user_agent",
            HttpHost => "http.host",
            HttpHostRaw => "http.host.raw",
            HttpStatCode => "http.stat_code",
            HttpStatMsg => "http.stat_msg",
            HttpRequestBody => "http.request_body",
            HttpResponseBody => "http.response_body",
            HttpRequestLine => "http.request_line",
            HttpResponseLine => "http.response_line",
            HttpProtocol => "http.protocol",
            HttpHeaderNames => "http.header_names",
            HttpAccept => "http.accept",
            HttpAcceptEnc => "http.accept_enc",
            HttpAcceptLang => "http.accept_lang",
            HttpConnection => "http.connection",
            HttpContentType => "http.content_type",
            HttpContentLen => "http.content_len",
            HttpReferer => "http.referer",
            HttpServer => "http.server",
            HttpLocation => "http.location",
            HttpRequestHeader => "http.request_header",
            HttpResponseHeader => "http.response_header",
            HttpStart => "http.start",
            FileData => "file.data",
            FileName => "file.name",
            FileMagic => "file.magic",
            DnsQuery => "dns.query",
            TlsSni => "tls.sni",
            TlsCertSubject => "tls.cert_subject",
            TlsCertIssuer => "tls.cert_issuer",
            TlsCertSerial => "tls.cert_serial",
            TlsCertFingerprint => "tls.cert_fingerprint",
            TlsCerts => "tls.certs",
            TlsRandom => "tls.random",
            TlsRandomTime => "tls.random_time",
            TlsRandomBytes => "tls.random_bytes",
            Ja3Hash => "ja3.hash",
            Ja3String => "ja3.string",
            Ja3sHash => "ja3s.hash",
            Ja3sString => "ja3s.string",
            Ja4Hash => "ja4.hash",
            SshProto => "ssh.proto",
            SshSoftware => "ssh.software",
            SipMethod => "sip.method",
            SipUri => "sip.uri",
            SipRequestLine => "sip.request_line",
            SipProtocol => "sip.protocol",
            SipStatCode => "sip.stat_code",
            SipStatMsg => "sip.stat_msg",
            SipResponseLine => "sip.response_line",
            DceStubData => "dcerpc.stub_data",
            SmbShare => "smb.share",
            SmbNamedPipe => "smb.named_pipe",
            SmbNtlmsspUser => "smb.ntlmssp_user",
            SmbNtlmsspDomain => "smb.ntlmssp_domain",
            FrameHttp1Request => "frame:http1.request",
            FrameHttp1Response => "frame:http1.response",
            FrameDnsPdu => "frame:dns.pdu",
            FrameMqttPdu => "frame:mqtt.pdu",
            FrameMqttHeader => "frame:mqtt.header",
            FrameMqttData => "frame:mqtt.data",
            Base64Data => "base64_data",
            Ipv4Hdr => "ipv4.hdr",
            Ipv6Hdr => "ipv6.hdr",
            TcpHdr => "tcp.hdr",
            UdpHdr => "udp.hdr",
            Icmpv4Hdr => "icmpv4.hdr",
            Icmpv6Hdr => "icmpv6.hdr",
            IpSrc => "ip.src",
            IpDst => "ip.dst",
        }
    }
}

/// A number or the name of a `byte_extract`/`byte_math` variable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// Literal.
    Num(i64),
    /// Variable defined earlier in the rule.
    Var(String),
}

/// `fast_pattern` as written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FastPattern {
    /// Use this content for the prefilter.
    Yes,
    /// The content is only a prefilter pattern: no verification needed.
    Only,
    /// Use `length` bytes from `offset` of the pattern.
    Chop {
        /// Start within the pattern.
        offset: u16,
        /// Length.
        length: u16,
    },
}

/// A `content` keyword and its modifiers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Content {
    /// Bytes to find.
    pub pattern: Vec<u8>,
    /// `content:!"..."`.
    pub negated: bool,
    /// Case-insensitive match.
    pub nocase: bool,
    /// Absolute start.
    pub offset: Option<Value>,
    /// Absolute search window from offset.
    pub depth: Option<Value>,
    /// Relative start after the previous match.
    pub distance: Option<Value>,
    /// Relative window after the previous match.
    pub within: Option<Value>,
    /// `startswith`: depth = len, offset 0.
    pub startswith: bool,
    /// `endswith`: match must end at the buffer end.
    pub endswith: bool,
    /// `fast_pattern` request.
    pub fast_pattern: Option<FastPattern>,
    /// `rawbytes` (accepted; payload is always raw).
    pub rawbytes: bool,
}

impl Content {
    /// True when the position of this content depends on the previous match.
    pub fn is_relative(&self) -> bool {
        self.distance.is_some() || self.within.is_some()
    }
}

/// A `pcre` keyword.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pcre {
    /// The regular expression between the slashes.
    pub pattern: String,
    /// `!` before the quotes.
    pub negated: bool,
    /// `i`
    pub caseless: bool,
    /// `s`
    pub dotall: bool,
    /// `m`
    pub multiline: bool,
    /// `x`
    pub extended: bool,
    /// `A`: anchored at the start of the buffer (or of the relative point).
    pub anchored: bool,
    /// `E`: `$` matches only at the very end.
    pub dollar_endonly: bool,
    /// `G`: ungreedy.
    pub ungreedy: bool,
    /// `R`: relative to the previous match.
    pub relative: bool,
    /// `O`: ignore the match limits (accepted).
    pub override_limits: bool,
}

/// Endianness of byte keywords.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endian {
    /// Big endian (default).
    Big,
    /// Little endian.
    Little,
    /// DCE/RPC: the byte order the DCERPC PDU's `drep` announces (little
    /// outside DCERPC transactions).
    Dce,
}

/// How bytes are read by byte_test/jump/extract.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NumString {
    /// Binary integer.
    Binary,
    /// ASCII hex digits.
    Hex,
    /// ASCII decimal digits.
    Dec,
    /// ASCII octal digits.
    Oct,
}

/// Operator of byte_test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ByteOp {
    /// `<`
    Lt,
    /// `>`
    Gt,
    /// `=`
    Eq,
    /// `<=`
    Le,
    /// `>=`
    Ge,
    /// `&` (bitwise and is non-zero)
    And,
    /// `^` (bitwise xor is non-zero)
    Xor,
}

/// `byte_test`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ByteTest {
    /// Bytes to read (1..=10 for strings, 1/2/3/4/8 binary).
    pub nbytes: u8,
    /// `!` before the operator.
    pub negated: bool,
    /// Comparison.
    pub op: ByteOp,
    /// Value compared with.
    pub value: Value,
    /// Offset to read at.
    pub offset: Value,
    /// Relative to the previous match.
    pub relative: bool,
    /// Byte order.
    pub endian: Endian,
    /// String form.
    pub string: NumString,
    /// Bitmask applied before comparing.
    pub bitmask: Option<u64>,
}

/// `byte_jump`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ByteJump {
    /// Bytes to read.
    pub nbytes: u8,
    /// Offset to read at.
    pub offset: Value,
    /// Relative to the previous match.
    pub relative: bool,
    /// Multiply the value.
    pub multiplier: u32,
    /// Round up to a multiple of 4.
    pub align: bool,
    /// Jump from the buffer start instead of after the bytes read.
    pub from_beginning: bool,
    /// Jump from the buffer end.
    pub from_end: bool,
    /// Added after the jump.
    pub post_offset: i64,
    /// Byte order.
    pub endian: Endian,
    /// String form.
    pub string: NumString,
    /// Bitmask.
    pub bitmask: Option<u64>,
}

/// `byte_extract`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ByteExtract {
    /// Bytes to read.
    pub nbytes: u8,
    /// Offset.
    pub offset: i64,
    /// Variable name.
    pub name: String,
    /// Relative to the previous match.
    pub relative: bool,
    /// Multiply.
    pub multiplier: u32,
    /// Round up to 2 or 4.
    pub align: u8,
    /// Byte order.
    pub endian: Endian,
    /// String form.
    pub string: NumString,
    /// Bitmask.
    pub bitmask: Option<u64>,
}

/// Operator of `byte_math`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MathOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/` (a zero divisor never matches)
    Div,
    /// `<<`
    Shl,
    /// `>>`
    Shr,
}

/// `byte_math`: reads a number, applies `oper rvalue`, and stores the
/// result in a variable usable like a `byte_extract` one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ByteMath {
    /// Bytes to read: 1..=10, or a variable holding the count.
    pub nbytes: Value,
    /// Offset to read at (-65535..=65535).
    pub offset: i64,
    /// Operator.
    pub oper: MathOp,
    /// Right operand: 0..=u32::MAX, or a variable.
    pub rvalue: Value,
    /// Variable receiving the result.
    pub result: String,
    /// Offset relative to the previous match.
    pub relative: bool,
    /// Byte order of a binary read.
    pub endian: Endian,
    /// String form.
    pub string: NumString,
    /// Mask applied to the result (then shifted right by its trailing
    /// zeros).
    pub bitmask: Option<u64>,
}

/// `isdataat`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IsDataAt {
    /// Position.
    pub pos: Value,
    /// `!`
    pub negated: bool,
    /// Relative to the previous match.
    pub relative: bool,
    /// `rawbytes` (accepted).
    pub rawbytes: bool,
}

/// One payload-inspecting keyword, in rule order, bound to its buffer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PayloadOp {
    /// content.
    Content(Content),
    /// pcre.
    Pcre(Pcre),
    /// isdataat.
    IsDataAt(IsDataAt),
    /// byte_test.
    ByteTest(ByteTest),
    /// byte_jump.
    ByteJump(ByteJump),
    /// byte_extract.
    ByteExtract(ByteExtract),
    /// byte_math.
    ByteMath(ByteMath),
    /// bsize: size of the buffer.
    Bsize(NumMatch<u64>),
    /// asn1.
    Asn1(Asn1Opts),
    /// `dataset` or `datarep`: the whole buffer looked up in a named set.
    Dataset(DatasetSpec),
    /// base64_decode (bytes, offset, relative).
    Base64Decode {
        /// Bytes to decode (0 = all).
        bytes: u32,
        /// Offset.
        offset: u32,
        /// Relative.
        relative: bool,
    },
}

/// The header a checksum keyword checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChecksumKind {
    /// `ipv4-csum`.
    Ipv4,
    /// `tcpv4-csum`.
    Tcpv4,
    /// `tcpv6-csum`.
    Tcpv6,
    /// `udpv4-csum`.
    Udpv4,
    /// `udpv6-csum`.
    Udpv6,
    /// `icmpv4-csum`.
    Icmpv4,
    /// `icmpv6-csum`.
    Icmpv6,
}

/// What a `dataset`/`datarep` keyword does with the buffer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatasetCmd {
    /// Add it; matches when it was not there yet.
    Set,
    /// Matches when it is in the set.
    IsSet,
    /// Matches when it is not.
    IsNotSet,
    /// Remove it; matches when it was there.
    Unset,
    /// `datarep`: matches when it is in the set with a reputation
    /// satisfying the comparison.
    Rep(NumMatch<u64>),
}

/// The type of a dataset's items.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DatasetType {
    /// Any bytes (base64 in files).
    String,
    /// A 16-byte MD5 digest (hex in files).
    Md5,
    /// A 32-byte SHA-256 digest (hex in files).
    Sha256,
    /// A 4-byte IPv4 address (dotted quad in files).
    Ipv4,
    /// An IPv6 address, IPv4 ones mapped to `::ffff:a.b.c.d`.
    Ip,
}

/// `dataset:<cmd>,<name>[, type T, load F, state F, save F, memcap N,
/// hashsize N]` or `datarep:<name>,<op>,<value>[, ...]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatasetSpec {
    /// The operation.
    pub cmd: DatasetCmd,
    /// Set name, shared by every rule that names it.
    pub name: String,
    /// Item type: required where the set is first declared.
    pub dtype: Option<DatasetType>,
    /// File read at start (relative to the rule file's folder).
    pub load: Option<String>,
    /// File read at start and written at exit (relative to the data dir).
    pub state: Option<String>,
    /// File written at exit (relative to the data dir).
    pub save: Option<String>,
    /// Memory cap in bytes.
    pub memcap: Option<u64>,
}

/// A buffer transform as written after a sticky buffer (`url_decode`,
/// `xor:"0d0a"`...). [`crate::detect`] compiles and applies it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Transform {
    /// `strip_whitespace`: drop every whitespace byte.
    StripWhitespace,
    /// `compress_whitespace`: keep only the first byte of each whitespace run.
    CompressWhitespace,
    /// `to_lowercase` (ASCII).
    ToLowercase,
    /// `to_uppercase` (ASCII).
    ToUppercase,
    /// `to_md5`: the 16-byte MD5 digest of the buffer.
    ToMd5,
    /// `to_sha1`: the 20-byte SHA-1 digest.
    ToSha1,
    /// `to_sha256`: the 32-byte SHA-256 digest.
    ToSha256,
    /// `dotprefix`: a `.` before a non-empty buffer.
    DotPrefix,
    /// `url_decode`: `%XX` escapes and `+` decoded.
    UrlDecode,
    /// `xor:"<hex>"`: the buffer xored with the repeated key.
    Xor(Vec<u8>),
    /// `pcrexform:"<regex>"`: the regex's capture group replaces the buffer.
    Pcrexform(String),
    /// `header_lowercase`: header names (up to `:` on each line) lowercased.
    HeaderLowercase,
    /// `strip_pseudo_headers`: lines starting with `:` removed.
    StripPseudoHeaders,
}

/// A payload keyword and the buffer it inspects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BufferOp {
    /// Buffer.
    pub buffer: Buffer,
    /// Transforms applied, in order, to the buffer before the keyword
    /// inspects it (empty: the buffer as the parser filled it).
    pub transforms: Vec<Transform>,
    /// Keyword.
    pub op: PayloadOp,
    /// For a multi-buffer ([`Buffer::is_multi`]): which selection of the
    /// sticky buffer in the rule the keyword belongs to (0, 1, ...); each
    /// selection matches an instance of its own. 0 for other buffers.
    pub instance: u16,
}

/// `flow` keyword.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FlowOpts {
    /// `to_server` / `from_client`.
    pub to_server: bool,
    /// `to_client` / `from_server`.
    pub to_client: bool,
    /// `established`.
    pub established: bool,
    /// `not_established`.
    pub not_established: bool,
    /// `stateless`.
    pub stateless: bool,
    /// `only_stream`.
    pub only_stream: bool,
    /// `no_stream`.
    pub no_stream: bool,
    /// `only_frag`.
    pub only_frag: bool,
    /// `no_frag`.
    pub no_frag: bool,
}

/// Flowbits operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlowbitCmd {
    /// Set.
    Set,
    /// Unset.
    Unset,
    /// Toggle.
    Toggle,
    /// Condition: set.
    IsSet,
    /// Condition: not set.
    IsNotSet,
}

/// `flowbits`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flowbit {
    /// Operation.
    pub cmd: FlowbitCmd,
    /// Names (`a|b` for isset = any of; `a&b` for all of).
    pub names: Vec<String>,
    /// True for `|` (any), false for `&`/single (all).
    pub any: bool,
}

/// How a threshold tracks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Track {
    /// by_src
    BySrc,
    /// by_dst
    ByDst,
    /// by_both
    ByBoth,
    /// by_rule
    ByRule,
    /// by_flow
    ByFlow,
}

/// Threshold type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThresholdKind {
    /// Alert on the first `count` in each period.
    Limit,
    /// Alert every `count`-th.
    Threshold,
    /// Alert once per period after `count`.
    Both,
    /// `detection_filter`: alert on every hit after `count` in period.
    DetectionFilter,
}

/// threshold / detection_filter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Threshold {
    /// Type.
    pub kind: ThresholdKind,
    /// Tracking key.
    pub track: Track,
    /// Count.
    pub count: u32,
    /// Seconds.
    pub seconds: u32,
}

/// Header-level test on the packet (not its payload).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PacketCheck {
    /// dsize.
    Dsize(NumMatch<u64>),
    /// ttl.
    Ttl(NumMatch<u64>),
    /// tos.
    Tos(NumMatch<u64>),
    /// id (IP id).
    IpId(NumMatch<u64>),
    /// ip_proto.
    IpProto(NumMatch<u64>),
    /// itype.
    Itype(NumMatch<u64>),
    /// icode.
    Icode(NumMatch<u64>),
    /// icmp_id.
    IcmpId(NumMatch<u64>),
    /// icmp_seq.
    IcmpSeq(NumMatch<u64>),
    /// seq.
    Seq(NumMatch<u64>),
    /// ack.
    Ack(NumMatch<u64>),
    /// window.
    Window(NumMatch<u64>),
    /// flags.
    Flags(TcpFlagsMatch),
    /// fragbits.
    Fragbits(FragbitsMatch),
    /// sameip.
    SameIp,
    /// urilen (HTTP; checked where the URI is known).
    Urilen(NumMatch<u64>, bool),
    /// stream_size.
    StreamSize {
        /// server / client / both / either.
        side: u8,
        /// Comparison.
        cmp: NumMatch<u64>,
    },
    /// ssl_version: any of the versions in `mask` (see [`SSL_V2`]...).
    SslVersion {
        /// Versions.
        mask: u8,
        /// `!` given: none of them.
        negated: bool,
    },
    /// ssl_state: handshake states seen ([`SSL_CLIENT_HELLO`]...).
    SslState {
        /// At least one of these.
        any_of: u8,
        /// None of these.
        none_of: u8,
    },
    /// ssh.softwareversion / ssh.protoversion: the banner field starts with
    /// `prefix`.
    SshVersion {
        /// Buffer (SshSoftware or SshProto).
        buffer: Buffer,
        /// Expected start.
        prefix: Vec<u8>,
    },
    /// ftpbounce: a PORT command naming another host than the client.
    FtpBounce,
    /// decode-event: the decoder raised this anomaly on the packet.
    DecodeEvent(crate::decode::DecodeEvent),
    /// `icmpv6.mtu`: the MTU an ICMPv6 Packet Too Big message announces.
    Icmpv6Mtu(NumMatch<u64>),
    /// `ipv4-csum`, `tcpv4-csum`, `udpv6-csum`...: the checksum of that
    /// header is (`valid: true`) or is not correct.
    Checksum {
        /// Which checksum.
        kind: ChecksumKind,
        /// `valid` or `invalid`.
        valid: bool,
    },
    /// app-layer-protocol.
    AppLayerProto {
        /// Protocol.
        proto: AppProto,
        /// `!`
        negated: bool,
    },
    /// app-layer-event: a transaction (or its flow's parser state) has the
    /// event.
    AppLayerEvent(AppLayerEvent),
    /// A number a transaction carries (`mqtt.type`, `mqtt.reason_code`),
    /// compared with the generic comparator; no such number, no match.
    TxField(TxField, NumMatch<u64>),
    /// `dcerpc.iface` / `dce_iface`: the DCERPC call's context was
    /// accepted for this interface.
    DceIface(DceIface),
    /// `dcerpc.opnum` / `dce_opnum`: the call's operation number is in one
    /// of these inclusive ranges (32-bit, as Suricata parses them; an
    /// operation number is 16 bits on the wire).
    DceOpnum(Vec<(u32, u32)>),
    /// `filemd5` / `filesha1` / `filesha256`: the file's hash is (or with
    /// `!`, is not) in the list file at `path` (relative to the rule
    /// file's folder). Decided on closed files only.
    FileHash {
        /// Which hash.
        kind: FileHashKind,
        /// The list file as written in the rule.
        path: String,
        /// `!` given.
        negated: bool,
    },
    /// `filesize`: the file's final size (closed files; truncated ones
    /// only for `>` and `>=`).
    FileSize(NumMatch<u64>),
    /// `filestore`: the files the rule matches are stored (always true).
    FileStore,
}

/// The hash a `filemd5` / `filesha1` / `filesha256` list holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileHashKind {
    /// MD5 (16 bytes).
    Md5,
    /// SHA-1 (20 bytes).
    Sha1,
    /// SHA-256 (32 bytes).
    Sha256,
}

impl FileHashKind {
    /// The rule keyword.
    pub fn keyword(self) -> &'static str {
        match self {
            FileHashKind::Md5 => "filemd5",
            FileHashKind::Sha1 => "filesha1",
            FileHashKind::Sha256 => "filesha256",
        }
    }

    /// Digest length in bytes.
    pub fn digest_len(self) -> usize {
        match self {
            FileHashKind::Md5 => 16,
            FileHashKind::Sha1 => 20,
            FileHashKind::Sha256 => 32,
        }
    }
}

impl PacketCheck {
    /// True for the checks decided on a file (a rule with one of them, or
    /// with a `file.name` / `file.magic` inspection, matches per file).
    pub fn is_file(&self) -> bool {
        matches!(self, PacketCheck::FileHash { .. } | PacketCheck::FileSize(_) | PacketCheck::FileStore)
    }
}

/// `dcerpc.iface:<uuid>[,<op><version>][,any_frag]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DceIface {
    /// Interface UUID in canonical (printed) byte order.
    pub uuid: [u8; 16],
    /// Comparison with the interface's major version.
    pub version: Option<(DceVersionOp, u16)>,
    /// Match on any fragment of a call, not only the first.
    pub any_frag: bool,
}

/// Version comparison of `dcerpc.iface`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DceVersionOp {
    /// `<`
    Lt,
    /// `>`
    Gt,
    /// `=`
    Eq,
    /// `!`
    Ne,
}

/// A number of a transaction that a keyword compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxField {
    /// `mqtt.type`: the control packet type (1 CONNECT ... 15 AUTH).
    MqttType,
    /// `mqtt.reason_code`: a CONNACK's return code, or the reason code of
    /// an MQTT 5 PUBACK/PUBREC/PUBREL/PUBCOMP, DISCONNECT or AUTH.
    MqttReasonCode,
}

/// MQTT control packet type names, by number (index 0 is reserved).
pub const MQTT_TYPES: [&str; 16] = [
    "UNASSIGNED",
    "CONNECT",
    "CONNACK",
    "PUBLISH",
    "PUBACK",
    "PUBREC",
    "PUBREL",
    "PUBCOMP",
    "SUBSCRIBE",
    "SUBACK",
    "UNSUBSCRIBE",
    "UNSUBACK",
    "PINGREQ",
    "PINGRESP",
    "DISCONNECT",
    "AUTH",
];

/// `app-layer-event:<proto>.<event>` as parsed
/// ([`crate::applayer::events::parse`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AppLayerEvent {
    /// An event of a protocol mirador parses (`http`, `dns`, `tls`):
    /// Suricata's lowercase event name, from that protocol's table.
    Parsed {
        /// Protocol.
        proto: AppProto,
        /// Event name, lowercase.
        name: &'static str,
    },
    /// An event mirador never raises: one of a protocol without a parser
    /// (`smtp.invalid_reply`), or a protocol-detection event
    /// (`applayer_mismatch_protocol_both_directions`). The rule loads, as in
    /// Suricata, and never matches.
    NeverRaised(String),
}

/// `flowint` operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlowintOp {
    /// `=`: set (on match).
    Set,
    /// `+`: add (on match); an unset variable starts at the value.
    Add,
    /// `-`: subtract (on match); an unset variable starts at the value, as
    /// in Suricata.
    Sub,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `isset`
    IsSet,
    /// `notset` / `isnotset`
    NotSet,
}

impl FlowintOp {
    /// True for the operations that change the variable (`=`, `+`, `-`);
    /// the others are conditions.
    pub fn modifies(self) -> bool {
        matches!(self, FlowintOp::Set | FlowintOp::Add | FlowintOp::Sub)
    }
}

/// `flowint:<name>,<op>[,<value>]`: a per-flow integer variable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flowint {
    /// Variable name.
    pub name: String,
    /// Operation.
    pub op: FlowintOp,
    /// Operand: a number (0..=u32::MAX) or another flowint's name; None
    /// for `isset` / `notset`.
    pub value: Option<Value>,
}

/// `ssl_version` bits.
pub const SSL_V2: u8 = 1;
/// SSLv3.
pub const SSL_V3: u8 = 2;
/// TLS 1.0.
pub const TLS_1_0: u8 = 4;
/// TLS 1.1.
pub const TLS_1_1: u8 = 8;
/// TLS 1.2.
pub const TLS_1_2: u8 = 16;
/// TLS 1.3.
pub const TLS_1_3: u8 = 32;

/// `ssl_state` bits.
pub const SSL_CLIENT_HELLO: u8 = 1;
/// Server hello seen.
pub const SSL_SERVER_HELLO: u8 = 2;
/// Client key exchange seen.
pub const SSL_CLIENT_KEYX: u8 = 4;
/// Server key exchange seen.
pub const SSL_SERVER_KEYX: u8 = 8;
/// Another handshake message seen.
pub const SSL_UNKNOWN: u8 = 16;

/// `asn1` options.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Asn1Opts {
    /// BIT STRING whose unused-bits count is impossible.
    pub bitstring_overflow: bool,
    /// REAL encoded as a decimal string longer than a double's buffer.
    pub double_overflow: bool,
    /// Any element longer than this.
    pub oversize_length: Option<u64>,
    /// Decode from this offset of the buffer.
    pub absolute_offset: Option<i64>,
    /// Decode from this offset after the previous match.
    pub relative_offset: Option<i64>,
}

/// `flags` keyword.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcpFlagsMatch {
    /// Flags that must be set.
    pub set: u8,
    /// Modifier: `None` exact, `+` all plus others, `*` any, `!` not.
    pub modifier: u8,
    /// Flags ignored (after the comma).
    pub ignore: u8,
}

/// `fragbits`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FragbitsMatch {
    /// Bits (RB 4, DF 2, MF 1).
    pub bits: u8,
    /// Modifier as in flags.
    pub modifier: u8,
}

/// An ordered list of (key, value) strings kept in one buffer.
///
/// ET Open rules carry about eight metadata entries each; as pairs of
/// `String`s they cost sixteen allocations per rule and were the largest
/// single item of a loaded ruleset after the prefilter automata.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pairs {
    text: String,
    /// Per entry: end of the key and end of the value in `text`.
    ends: Vec<(u32, u32)>,
}

impl Pairs {
    /// Appends an entry.
    pub fn push(&mut self, key: &str, value: &str) {
        self.text.push_str(key);
        let k = self.text.len() as u32;
        self.text.push_str(value);
        self.ends.push((k, self.text.len() as u32));
    }

    /// Entries in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        let mut start = 0;
        self.ends.iter().map(move |&(k, v)| {
            let (k, v) = (k as usize, v as usize);
            let pair = (&self.text[start..k], &self.text[k..v]);
            start = v;
            pair
        })
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True when there are no entries.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Releases spare capacity once the list is complete.
    pub fn shrink_to_fit(&mut self) {
        self.text.shrink_to_fit();
        self.ends.shrink_to_fit();
    }
}

impl<K: AsRef<str>, V: AsRef<str>> FromIterator<(K, V)> for Pairs {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut p = Pairs::default();
        for (k, v) in iter {
            p.push(k.as_ref(), v.as_ref());
        }
        p
    }
}

/// Rule metadata that does not influence matching.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Meta {
    /// msg.
    pub msg: String,
    /// sid.
    pub sid: u32,
    /// gid (default 1).
    pub gid: u32,
    /// rev.
    pub rev: u32,
    /// classtype.
    pub classtype: Option<String>,
    /// priority.
    pub priority: Option<u8>,
    /// reference: (system, id).
    pub references: Pairs,
    /// metadata: `key value` entries.
    pub metadata: Pairs,
    /// target: src_ip / dest_ip.
    pub target: Option<String>,
    /// tag (accepted).
    pub tag: Option<String>,
}

/// A parsed rule.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    /// Header.
    pub header: Header,
    /// Metadata.
    pub meta: Meta,
    /// Payload keywords in rule order.
    pub ops: Vec<BufferOp>,
    /// Packet header checks.
    pub checks: Vec<PacketCheck>,
    /// flow.
    pub flow: Option<FlowOpts>,
    /// flowbits.
    pub flowbits: Vec<Flowbit>,
    /// flowbits:noalert or noalert.
    pub noalert: bool,
    /// The `alert` keyword: a `pass` rule that also writes an alert, so
    /// what an allow-list lets through stays visible.
    pub alert: bool,
    /// threshold / detection_filter.
    pub threshold: Option<Threshold>,
    /// detection_filter (separate from threshold: both may be given).
    pub detection_filter: Option<Threshold>,
    /// Keywords accepted but without effect on matching, for the report.
    pub ignored: Vec<String>,
    /// flowint operations, in rule order.
    pub flowints: Vec<Flowint>,
}
