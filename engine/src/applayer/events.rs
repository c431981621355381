//! `app-layer-event`: Suricata 7's event names per protocol, and which
//! parser anomaly raises which event.
//!
//! The name tables are those Suricata 7.0.10 accepts (checked with
//! `suricata -T` on every name of its `http-events.rules`,
//! `dns-events.rules` and `tls-events.rules`). A rule naming an event of
//! `http`, `dns` or `tls` that is not in the table is rejected with the
//! reason (Suricata skips it with a warning; either way it never loads).
//! Protocols mirador has no parser (or no events) for load and never match,
//! whatever the event name, as do Suricata's protocol-detection events
//! (`applayer_mismatch_protocol_both_directions`...), which mirador does
//! not raise.
//!
//! Matching is per transaction ([`crate::detect::Buffers::app_event`]):
//! HTTP and DNS events belong to a transaction, TLS events to the flow's
//! one transaction. A rule alerts once per transaction, on the first packet
//! inspected after the event was raised (in the rule's direction, if it
//! has one). Which anomaly raises which event ([`http_event`],
//! [`dns_event`], [`tls_event`]) was checked against Suricata 7.0.10 with
//! its event rules on crafted sessions and on the verification suite's
//! captures; anomalies Suricata has no event for, or does not raise in the
//! same situation, raise none.

use super::dns::DnsAnomaly;
use super::http::HttpAnomaly;
use super::tls::TlsAnomaly;
use crate::rules::ast::{AppLayerEvent, AppProto};

/// Suricata 7.0.10's HTTP event names (libhtp warnings and Suricata's own).
pub const HTTP_EVENTS: &[&str] = &[
    "unknown_error",
    "gzip_decompression_failed",
    "request_field_missing_colon",
    "response_field_missing_colon",
    "invalid_request_chunk_len",
    "invalid_response_chunk_len",
    "invalid_transfer_encoding_value_in_request",
    "invalid_transfer_encoding_value_in_response",
    "invalid_content_length_field_in_request",
    "invalid_content_length_field_in_response",
    "100_continue_already_seen",
    "unable_to_match_response_to_request",
    "invalid_server_port_in_request",
    "invalid_authority_port",
    "request_header_invalid",
    "response_header_invalid",
    "missing_host_header",
    "host_header_ambiguous",
    "invalid_request_field_folding",
    "invalid_response_field_folding",
    "request_field_too_long",
    "response_field_too_long",
    "multipart_generic_error",
    "multipart_no_filedata",
    "multipart_invalid_header",
    "request_server_port_tcp_port_mismatch",
    "request_uri_host_invalid",
    "request_header_host_invalid",
    "uri_delim_non_compliant",
    "method_delim_non_compliant",
    "request_line_leading_whitespace",
    "too_many_encoding_layers",
    "abnormal_ce_header",
    "request_auth_unrecognized",
    "request_header_repetition",
    "response_header_repetition",
    "response_multipart_byteranges",
    "response_abnormal_transfer_encoding",
    "response_chunked_old_proto",
    "response_invalid_protocol",
    "response_invalid_status",
    "request_line_incomplete",
    "double_encoded_uri",
    "request_line_invalid",
    "request_body_unexpected",
    "lzma_memlimit_reached",
    "duplicate_content_length_field_in_request",
    "duplicate_content_length_field_in_response",
    "compression_bomb",
    "too_many_warnings",
    "range_invalid",
    "file_name_too_long",
    "failed_protocol_change",
    "request_chunk_extension",
    "request_too_many_headers",
    "response_too_many_headers",
];

/// Suricata 7.0.10's DNS event names.
pub const DNS_EVENTS: &[&str] = &[
    "malformed_data",
    "not_request",
    "not_response",
    "z_flag_set",
    "invalid_opcode",
    "name_too_long",
    "infinite_loop",
    "too_many_labels",
];

/// Suricata 7.0.10's TLS event names.
pub const TLS_EVENTS: &[&str] = &[
    "invalid_sslv2_header",
    "invalid_tls_header",
    "invalid_record_version",
    "invalid_record_type",
    "invalid_record_length",
    "invalid_handshake_message",
    "invalid_certificate",
    "certificate_invalid_length",
    "error_message_encountered",
    "invalid_ssl_record",
    "heartbeat_message",
    "overflow_heartbeat_message",
    "invalid_heartbeat_message",
    "dataleak_heartbeat_mismatch",
    "multiple_sni_extensions",
    "invalid_sni_type",
    "invalid_sni_length",
    "handshake_invalid_length",
    "too_many_records_in_packet",
    "certificate_invalid_version",
    "certificate_invalid_serial",
    "certificate_invalid_algorithmidentifier",
    "certificate_invalid_x509name",
    "certificate_invalid_date",
    "certificate_invalid_extensions",
    "certificate_invalid_der",
    "certificate_invalid_subject",
    "certificate_invalid_issuer",
    "certificate_invalid_validity",
];

/// Suricata 7.0.10's SMB event names (its `smb-events.rules` and the
/// parser's event enum).
pub const SMB_EVENTS: &[&str] = &[
    "internal_error",
    "malformed_data",
    "record_overflow",
    "malformed_ntlmssp_request",
    "malformed_ntlmssp_response",
    "duplicate_negotiate",
    "negotiate_malformed_dialects",
    "file_overlap",
    "request_to_client",
    "response_to_server",
    "negotiate_max_read_size_too_large",
    "negotiate_max_write_size_too_large",
    "write_request_too_large",
    "read_response_too_large",
    "read_request_too_large",
    "read_queue_size_exceeded",
    "read_queue_cnt_exceeded",
    "write_queue_size_exceeded",
    "write_queue_cnt_exceeded",
    "too_many_transactions",
];

/// TLS events of older Suricata versions that 7 no longer has (it skips
/// their rules with a warning; older ET `tls-events.rules` still name them).
pub const TLS_RETIRED_EVENTS: &[&str] =
    &["certificate_missing_element", "certificate_unknown_element", "certificate_invalid_string"];

/// Suricata's protocol-detection events, written without a protocol.
pub const DETECTION_EVENTS: &[&str] = &[
    "applayer_mismatch_protocol_both_directions",
    "applayer_wrong_direction_first_data",
    "applayer_detect_protocol_only_one_direction",
    "applayer_proto_detection_skipped",
    "applayer_no_tls_after_starttls",
    "applayer_unexpected_protocol",
];

/// The event table of a protocol whose parser raises events.
fn table(p: AppProto) -> Option<&'static [&'static str]> {
    match p {
        AppProto::Http => Some(HTTP_EVENTS),
        AppProto::Dns => Some(DNS_EVENTS),
        AppProto::Tls => Some(TLS_EVENTS),
        AppProto::Mqtt => Some(super::mqtt::MQTT_EVENTS),
        AppProto::Smb => Some(SMB_EVENTS),
        _ => None,
    }
}

fn find(table: &[&'static str], name: &str) -> Option<&'static str> {
    table.iter().copied().find(|n| n.eq_ignore_ascii_case(name))
}

/// Parses the value of `app-layer-event`: `<proto>.<event>` (the protocol
/// as in a rule header, lowercase; the event in any case), or a
/// protocol-detection event alone.
///
/// # Errors
/// A lowercase reason: an unknown protocol, an event the protocol does not
/// have (or no longer has), a missing event name.
pub fn parse(v: &str) -> Result<AppLayerEvent, String> {
    let v = v.trim();
    let Some((proto, event)) = v.split_once('.') else {
        return match find(DETECTION_EVENTS, v) {
            Some(n) => Ok(AppLayerEvent::NeverRaised(n.to_string())),
            None => Err(format!("unknown event '{v}': expected <protocol>.<event>")),
        };
    };
    let p = AppProto::from_name(proto)
        .filter(|p| *p != AppProto::Failed)
        .ok_or_else(|| format!("unknown protocol '{proto}'"))?;
    if event.is_empty() || !event.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(format!("invalid event name '{event}'"));
    }
    let Some(t) = table(p) else {
        return Ok(AppLayerEvent::NeverRaised(v.to_ascii_lowercase()));
    };
    if let Some(name) = find(t, event) {
        return Ok(AppLayerEvent::Parsed { proto: p, name });
    }
    if p == AppProto::Tls && find(TLS_RETIRED_EVENTS, event).is_some() {
        return Err(format!("event '{proto}.{event}' is no longer supported (Suricata 7 removed it)"));
    }
    Err(format!("protocol '{proto}' has no event '{event}'"))
}

/// The Suricata event an HTTP anomaly raises, if any.
pub fn http_event(a: HttpAnomaly) -> Option<&'static str> {
    let upper = a.suricata_event()?;
    find(HTTP_EVENTS, upper)
}

/// The Suricata event a DNS transaction's anomaly raises, if any.
///
/// Observed on Suricata 7.0.10 with its dns-events.rules over UDP: a
/// message it cannot decode makes no transaction, and `malformed_data`,
/// `not_request` and `not_response` go to the flow's latest transaction,
/// which was already inspected: they never alert. A message mirador
/// decodes only in part ([`DnsAnomaly::MalformedData`]) or whose name
/// compression loops ([`DnsAnomaly::InfiniteLoop`]) is one Suricata does
/// not decode, so these raise nothing either. `name_too_long` and
/// `too_many_labels` follow mirador's limits (255 bytes, 127 labels), where
/// Suricata's are higher (1025 bytes): names in between alert in mirador
/// only.
pub fn dns_event(a: DnsAnomaly) -> Option<&'static str> {
    Some(match a {
        DnsAnomaly::ZFlagSet => "z_flag_set",
        DnsAnomaly::InvalidOpcode => "invalid_opcode",
        DnsAnomaly::NameTooLong => "name_too_long",
        DnsAnomaly::TooManyLabels => "too_many_labels",
        DnsAnomaly::MalformedData
        | DnsAnomaly::NotRequest
        | DnsAnomaly::NotResponse
        | DnsAnomaly::InfiniteLoop
        | DnsAnomaly::TooManyRecords
        | DnsAnomaly::TooManyTransactions
        | DnsAnomaly::InvalidTcpFrame
        | DnsAnomaly::GapResync => return None,
    })
}

/// The Suricata event a TLS anomaly raises, if any.
pub fn tls_event(a: TlsAnomaly) -> Option<&'static str> {
    Some(match a {
        TlsAnomaly::InvalidRecordType => "invalid_record_type",
        TlsAnomaly::InvalidRecordVersion => "invalid_record_version",
        TlsAnomaly::RecordTooLarge => "invalid_record_length",
        TlsAnomaly::InvalidSslv2Header => "invalid_sslv2_header",
        TlsAnomaly::InvalidHandshakeMessage => "invalid_handshake_message",
        TlsAnomaly::HandshakeInvalidLength => "handshake_invalid_length",
        TlsAnomaly::InvalidSniType => "invalid_sni_type",
        TlsAnomaly::InvalidSniLength => "invalid_sni_length",
        TlsAnomaly::MultipleSniExtensions => "multiple_sni_extensions",
        TlsAnomaly::InvalidCertificate => "invalid_certificate",
        TlsAnomaly::CertificateInvalidLength => "certificate_invalid_length",
        TlsAnomaly::CertificateInvalidVersion => "certificate_invalid_version",
        TlsAnomaly::CertificateInvalidSerial => "certificate_invalid_serial",
        TlsAnomaly::CertificateInvalidAlgorithmIdentifier => "certificate_invalid_algorithmidentifier",
        TlsAnomaly::CertificateInvalidX509Name => "certificate_invalid_x509name",
        TlsAnomaly::CertificateInvalidDate => "certificate_invalid_date",
        TlsAnomaly::CertificateInvalidExtensions => "certificate_invalid_extensions",
        TlsAnomaly::CertificateInvalidDer => "certificate_invalid_der",
        TlsAnomaly::HandshakeTooLarge
        | TlsAnomaly::TooManyExtensions
        | TlsAnomaly::TooManyCertificates
        | TlsAnomaly::WrongDirection
        | TlsAnomaly::DuplicateHello
        | TlsAnomaly::GapResync => return None,
    })
}

/// An event's name in an EVE `anomaly` record: Suricata's C parsers (HTTP,
/// TLS) name their events in upper case there, its Rust ones (DNS) in
/// lower case, as `app-layer-event` tables list them.
pub fn eve_name(proto: AppProto, name: &str) -> String {
    match proto {
        AppProto::Http | AppProto::Tls => name.to_ascii_uppercase(),
        _ => name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eve_names_follow_suricata_case() {
        assert_eq!(
            eve_name(AppProto::Http, "unable_to_match_response_to_request"),
            "UNABLE_TO_MATCH_RESPONSE_TO_REQUEST"
        );
        assert_eq!(eve_name(AppProto::Tls, "multiple_sni_extensions"), "MULTIPLE_SNI_EXTENSIONS");
        assert_eq!(eve_name(AppProto::Dns, "z_flag_set"), "z_flag_set");
    }

    #[test]
    fn parses_suricata_names() {
        assert_eq!(
            parse("http.request_auth_unrecognized"),
            Ok(AppLayerEvent::Parsed { proto: AppProto::Http, name: "request_auth_unrecognized" })
        );
        // Event names are case-insensitive; protocols are not.
        assert_eq!(parse("dns.Z_FLAG_SET"), Ok(AppLayerEvent::Parsed { proto: AppProto::Dns, name: "z_flag_set" }));
        assert!(parse("DNS.z_flag_set").is_err());
        assert_eq!(
            parse("tls.invalid_record_length"),
            Ok(AppLayerEvent::Parsed { proto: AppProto::Tls, name: "invalid_record_length" })
        );
        assert_eq!(parse("smtp.invalid_reply"), Ok(AppLayerEvent::NeverRaised("smtp.invalid_reply".into())));
        assert_eq!(
            parse("applayer_mismatch_protocol_both_directions"),
            Ok(AppLayerEvent::NeverRaised("applayer_mismatch_protocol_both_directions".into()))
        );
    }

    #[test]
    fn rejects_unknown_names() {
        for (v, why) in [
            ("http.bogus", "has no event"),
            ("dns.not_a_request", "has no event"),
            ("http.request_line_missing_protocol", "has no event"),
            ("tls.certificate_missing_element", "no longer supported"),
            ("foo.bar", "unknown protocol"),
            ("!http.missing_host_header", "unknown protocol"),
            ("http.", "invalid event"),
            ("bogus", "unknown event"),
        ] {
            let e = parse(v).unwrap_err();
            assert!(e.contains(why), "{v}: {e}");
        }
    }

    #[test]
    fn every_raised_event_is_in_its_table() {
        use HttpAnomaly as H;
        let http = [
            H::RequestFieldTooLong,
            H::RequestHeaderInvalid,
            H::DuplicateRequestContentLength,
            H::InvalidHostHeader,
            H::RequestAuthUnrecognized,
            H::TooManyEncodingLayers,
            H::AbnormalContentEncoding,
        ];
        for a in http {
            assert!(http_event(a).is_some(), "{a:?}");
        }
        assert_eq!(http_event(H::RequestAuthUnrecognized), Some("request_auth_unrecognized"));
        for a in [DnsAnomaly::ZFlagSet, DnsAnomaly::InvalidOpcode, DnsAnomaly::NameTooLong, DnsAnomaly::TooManyLabels] {
            assert!(dns_event(a).is_some_and(|n| DNS_EVENTS.contains(&n)), "{a:?}");
        }
        assert_eq!(dns_event(DnsAnomaly::MalformedData), None);
        for a in [TlsAnomaly::InvalidHandshakeMessage, TlsAnomaly::CertificateInvalidLength, TlsAnomaly::RecordTooLarge]
        {
            assert!(tls_event(a).is_some_and(|n| TLS_EVENTS.contains(&n)), "{a:?}");
        }
    }
}
