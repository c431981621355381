//! The `tls` EVE object as Suricata 7 writes it, checked against Suricata
//! 7.0.10's output.
//!
//! Extended fields, in Suricata's order: `subject`, `issuerdn`,
//! `session_resumed` (only `true`, when a resumed session showed no
//! certificate), `serial`, `fingerprint`, `sni`, `version`, `notbefore`,
//! `notafter` (`2026-11-30T10:11:59`, UTC, no zone), `ja3`
//! `{hash,string}` and `ja3s` `{hash,string}` when JA3 is enabled, `ja4`
//! when the logger enables it, and `client` (the client certificate's
//! subject, issuerdn, fingerprint, serial, notbefore, notafter) in mutual
//! TLS. Absent data is left out; `version` is always there
//! (`UNDETERMINED` before a ServerHello).
//!
//! * [`record`]: body of an `event_type: "tls"` record; with
//!   `extended: no` only subject, issuerdn and session_resumed; with a
//!   `custom` list only its fields, in the order above, with `certificate`
//!   and `chain` (base64 DER) after `notafter`, and the client's
//!   `certificate` and `chain` inside `client`.
//! * [`alert_object`]: the `tls` object of an alert, always extended. Suricata
//!   7.0.10 adds `ja4` to an alert only when the alerting rule inspects
//!   `ja4.hash` (observed), hence the parameter.
//! * [`should_log`]: whether Suricata writes a `tls` record for the flow.
//!
//! Values are built in Suricata's field order; serde_json keeps that order
//! only with its `preserve_order` feature.

use serde_json::{json, Map, Value};

use super::parser::CertInfo;
use super::state::{SslStates, TlsState};

/// The `tls` logger settings (`outputs.eve-log.types.tls`) plus whether
/// JA3 is computed (`app-layer.protocols.tls.ja3-fingerprints`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TlsLogConfig {
    /// `extended: yes` (the stock suricata.yaml sets it).
    pub extended: bool,
    /// JA3/JA3S are enabled (`ja3-fingerprints: yes`, or `auto` with a rule
    /// using a ja3 keyword); Suricata logs `ja3`/`ja3s` only then.
    pub ja3: bool,
    /// `ja4: on` in the tls logger.
    pub ja4: bool,
    /// Log flows that look resumed even without a certificate (what
    /// Suricata 7.0.10 does by default).
    pub session_resumption: bool,
    /// `custom: [...]`: exactly these fields ([`fields`] bits), which
    /// replaces `extended`; None without a custom list.
    pub custom: Option<u32>,
}

impl Default for TlsLogConfig {
    fn default() -> Self {
        TlsLogConfig { extended: true, ja3: false, ja4: false, session_resumption: true, custom: None }
    }
}

/// The field names a tls logger's `custom` list takes, as bits.
pub mod fields {
    /// `subject`.
    pub const SUBJECT: u32 = 1 << 0;
    /// `issuer` (written as `issuerdn`).
    pub const ISSUER: u32 = 1 << 1;
    /// `session_resumed`.
    pub const SESSION_RESUMED: u32 = 1 << 2;
    /// `serial`.
    pub const SERIAL: u32 = 1 << 3;
    /// `fingerprint`.
    pub const FINGERPRINT: u32 = 1 << 4;
    /// `sni`.
    pub const SNI: u32 = 1 << 5;
    /// `version`.
    pub const VERSION: u32 = 1 << 6;
    /// `not_before` (written as `notbefore`).
    pub const NOT_BEFORE: u32 = 1 << 7;
    /// `not_after` (written as `notafter`).
    pub const NOT_AFTER: u32 = 1 << 8;
    /// `certificate`: the server's leaf certificate, base64 DER.
    pub const CERTIFICATE: u32 = 1 << 9;
    /// `chain`: the server's certificates as sent, base64 DER each.
    pub const CHAIN: u32 = 1 << 10;
    /// `ja3`.
    pub const JA3: u32 = 1 << 11;
    /// `ja3s`.
    pub const JA3S: u32 = 1 << 12;
    /// `ja4`: accepted, but Suricata 7.0.10 writes nothing for it in a
    /// custom list (observed, even with the logger's `ja4: on`), so
    /// neither does mirador.
    pub const JA4: u32 = 1 << 13;
    /// `client`: the client certificate's fields.
    pub const CLIENT: u32 = 1 << 14;
    /// `client_certificate`: with `client`, its certificate too.
    pub const CLIENT_CERTIFICATE: u32 = 1 << 15;
    /// `client_chain`: with `client`, its chain too.
    pub const CLIENT_CHAIN: u32 = 1 << 16;

    /// The bit of a `custom` name (None: not a tls field).
    pub fn by_name(name: &str) -> Option<u32> {
        Some(match name {
            "subject" => SUBJECT,
            "issuer" => ISSUER,
            "session_resumed" => SESSION_RESUMED,
            "serial" => SERIAL,
            "fingerprint" => FINGERPRINT,
            "sni" => SNI,
            "version" => VERSION,
            "not_before" => NOT_BEFORE,
            "not_after" => NOT_AFTER,
            "certificate" => CERTIFICATE,
            "chain" => CHAIN,
            "ja3" => JA3,
            "ja3s" => JA3S,
            "ja4" => JA4,
            "client" => CLIENT,
            "client_certificate" => CLIENT_CERTIFICATE,
            "client_chain" => CLIENT_CHAIN,
            _ => return None,
        })
    }
}

/// A certificate time as Suricata writes it (`%Y-%m-%dT%H:%M:%S`, UTC).
pub fn format_time(secs: i64) -> String {
    match jiff::Timestamp::from_second(secs) {
        Ok(t) => t.to_zoned(jiff::tz::TimeZone::UTC).strftime("%Y-%m-%dT%H:%M:%S").to_string(),
        Err(_) => String::new(),
    }
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn basic(o: &mut Map<String, Value>, s: &TlsState) {
    if let Some(c) = s.server_cert() {
        o.insert("subject".into(), json!(c.subject));
        o.insert("issuerdn".into(), json!(c.issuer));
    }
    session_resumed(o, s);
}

fn session_resumed(o: &mut Map<String, Value>, s: &TlsState) {
    if s.session_resumed()
        && s.server_cert().is_none()
        && s.states_seen().contains(SslStates::SERVER_HELLO)
        && !s.log_without_cert()
    {
        o.insert("session_resumed".into(), json!(true));
    }
}

/// Certificates in base64 (standard alphabet, padded), as Suricata writes
/// `certificate` and `chain`.
fn b64(der: &[u8]) -> Value {
    use base64::Engine as _;
    Value::String(base64::engine::general_purpose::STANDARD.encode(der))
}

/// The `custom` field list: only the listed fields, in Suricata's order
/// (the order of the list does not matter), each when its data exists.
fn custom(o: &mut Map<String, Value>, s: &TlsState, f: u32, ja3: bool) {
    use fields::*;
    let on = |bit: u32| f & bit != 0;
    let cert = s.server_cert();
    if let Some(c) = cert {
        if on(SUBJECT) {
            o.insert("subject".into(), json!(c.subject));
        }
        if on(ISSUER) {
            o.insert("issuerdn".into(), json!(c.issuer));
        }
    }
    if on(SESSION_RESUMED) {
        session_resumed(o, s);
    }
    if let Some(c) = cert {
        if on(SERIAL) {
            o.insert("serial".into(), json!(c.serial));
        }
        if on(FINGERPRINT) {
            o.insert("fingerprint".into(), json!(c.fingerprint));
        }
    }
    if let Some(sni) = s.sni().filter(|_| on(SNI)) {
        o.insert("sni".into(), json!(lossy(sni)));
    }
    if on(VERSION) {
        o.insert("version".into(), json!(s.version_name()));
    }
    if let Some(c) = cert {
        if on(NOT_BEFORE) {
            o.insert("notbefore".into(), json!(format_time(c.not_before)));
        }
        if on(NOT_AFTER) {
            o.insert("notafter".into(), json!(format_time(c.not_after)));
        }
    }
    let chain = s.server_chain();
    if let Some(leaf) = chain.first().filter(|_| on(CERTIFICATE)) {
        o.insert("certificate".into(), b64(leaf));
    }
    if on(CHAIN) && !chain.is_empty() {
        o.insert("chain".into(), Value::Array(chain.iter().map(|c| b64(c)).collect()));
    }
    if ja3 && on(JA3) {
        if let (Some(h), Some(st)) = (s.ja3_hash(), s.ja3_string()) {
            o.insert("ja3".into(), json!({"hash": h, "string": st}));
        }
    }
    if ja3 && on(JA3S) {
        if let (Some(h), Some(st)) = (s.ja3s_hash(), s.ja3s_string()) {
            o.insert("ja3s".into(), json!({"hash": h, "string": st}));
        }
    }
    if let Some(c) = s.client_cert().filter(|_| on(CLIENT)) {
        let mut cl = client_fields(c);
        let chain = s.client_chain();
        if let Some(leaf) = chain.first().filter(|_| on(CLIENT_CERTIFICATE)) {
            cl.insert("certificate".into(), b64(leaf));
        }
        if on(CLIENT_CHAIN) && !chain.is_empty() {
            cl.insert("chain".into(), Value::Array(chain.iter().map(|c| b64(c)).collect()));
        }
        o.insert("client".into(), Value::Object(cl));
    }
}

/// The client certificate's fields, as `extended` writes them.
fn client_fields(c: &CertInfo) -> Map<String, Value> {
    let mut cl = Map::new();
    cl.insert("subject".into(), json!(c.subject));
    cl.insert("issuerdn".into(), json!(c.issuer));
    cl.insert("fingerprint".into(), json!(c.fingerprint));
    cl.insert("serial".into(), json!(c.serial));
    cert_time(&mut cl, c);
    cl
}

fn cert_time(o: &mut Map<String, Value>, c: &CertInfo) {
    o.insert("notbefore".into(), json!(format_time(c.not_before)));
    o.insert("notafter".into(), json!(format_time(c.not_after)));
}

/// Extended fields; `ja4` goes before `client` as in Suricata's output.
fn extended(o: &mut Map<String, Value>, s: &TlsState, ja3: bool, ja4: bool) {
    basic(o, s);
    let cert = s.server_cert();
    if let Some(c) = cert {
        o.insert("serial".into(), json!(c.serial));
        o.insert("fingerprint".into(), json!(c.fingerprint));
    }
    if let Some(sni) = s.sni() {
        o.insert("sni".into(), json!(lossy(sni)));
    }
    o.insert("version".into(), json!(s.version_name()));
    if let Some(c) = cert {
        cert_time(o, c);
    }
    if ja3 {
        if let (Some(h), Some(st)) = (s.ja3_hash(), s.ja3_string()) {
            o.insert("ja3".into(), json!({"hash": h, "string": st}));
        }
        if let (Some(h), Some(st)) = (s.ja3s_hash(), s.ja3s_string()) {
            o.insert("ja3s".into(), json!({"hash": h, "string": st}));
        }
    }
    if ja4 {
        if let Some(j) = s.ja4() {
            o.insert("ja4".into(), json!(j));
        }
    }
    if let Some(c) = s.client_cert() {
        o.insert("client".into(), Value::Object(client_fields(c)));
    }
}

/// Body of the `event_type: "tls"` record of a flow.
pub fn record(s: &TlsState, cfg: &TlsLogConfig) -> Value {
    let mut o = Map::new();
    if let Some(f) = cfg.custom {
        custom(&mut o, s, f, cfg.ja3);
    } else if cfg.extended {
        extended(&mut o, s, cfg.ja3, cfg.ja4);
    } else {
        basic(&mut o, s);
        if let Some(j) = s.ja4().filter(|_| cfg.ja4) {
            o.insert("ja4".into(), json!(j));
        }
    }
    Value::Object(o)
}

/// The `tls` object of an alert on this flow. `rule_uses_ja4`: the
/// alerting rule inspects `ja4.hash`.
pub fn alert_object(s: &TlsState, cfg: &TlsLogConfig, rule_uses_ja4: bool) -> Value {
    let mut o = Map::new();
    extended(&mut o, s, cfg.ja3, rule_uses_ja4);
    Value::Object(o)
}

/// Whether Suricata 7 writes a `tls` record for this flow: it saw a server
/// certificate, or the session is TLS 1.3 (certificate encrypted), or it
/// looks resumed and resumption logging is on.
pub fn should_log(s: &TlsState, cfg: &TlsLogConfig) -> bool {
    s.server_cert().is_some() || s.log_without_cert() || (cfg.session_resumption && s.session_resumed())
}

#[cfg(test)]
mod tests {
    use super::*;

    // Handshake bytes: see testdata/README.md. Expected objects are
    // Suricata 7.0.10's eve.json for a pcap of the same bytes, with
    // `ja3-fingerprints: yes` and the tls logger's `ja4: on`.
    const TLS12_C: &[u8] = include_bytes!("testdata/tls12-client.bin");
    const TLS12_S: &[u8] = include_bytes!("testdata/tls12-server.bin");
    const TLS13_C: &[u8] = include_bytes!("testdata/tls13-client.bin");
    const TLS13_S: &[u8] = include_bytes!("testdata/tls13-server.bin");
    const CHROME: &[u8] = include_bytes!("testdata/chrome-hello.bin");

    const ALL: TlsLogConfig =
        TlsLogConfig { extended: true, ja3: true, ja4: true, session_resumption: true, custom: None };

    fn run(c: &[u8], s: &[u8]) -> TlsState {
        let mut st = TlsState::new();
        st.parse(true, c);
        st.parse(false, s);
        st
    }

    #[test]
    fn tls12_record_and_alert() {
        let s = run(TLS12_C, TLS12_S);
        let nb = format_time(s.server_cert().unwrap().not_before);
        let na = format_time(s.server_cert().unwrap().not_after);
        // The test certificate's validity is what openssl printed when it
        // was made (testdata/README.md).
        assert_eq!((nb.as_str(), na.as_str()), ("2026-11-30T10:11:59", "2036-11-27T10:11:59"));
        let mut expected = json!({
            "subject": "C=US, ST=Oregon, O=Mirador Test, CN=test.mirador.example",
            "issuerdn": "C=US, O=Mirador Test CA, CN=Mirador Test Root",
            "serial": "00:A1:B2:C3:D4:E5:F6:07:18",
            "fingerprint": "6f:86:f1:98:78:6d:57:71:66:52:cb:41:a5:fe:8e:c9:75:bd:5f:83",
            "sni": "test.mirador.example",
            "version": "TLS 1.2",
            "notbefore": nb,
            "notafter": na,
            "ja3": {"hash": "104774240db569f8f87b1a28206b25e5",
                    "string": "771,49196-49200-49195-49199-52393-52392-49188-49192-49187-49191-159-158-107-103-255,0-11-10-35-16-22-23-13,29-23-30-25-24,0-1-2"},
            "ja3s": {"hash": "e195432758194ce2d482396b82e0d48e", "string": "771,49196,65281-11-35-16-23"}
        });
        assert_eq!(alert_object(&s, &ALL, false), expected);
        expected["ja4"] = json!("t12d1508h2_d68b136fe8d9_e7e480e5a997");
        assert_eq!(alert_object(&s, &ALL, true), expected);
        assert_eq!(record(&s, &ALL), expected);
        assert!(should_log(&s, &ALL));
        let plain = record(&s, &TlsLogConfig::default());
        assert!(plain.get("ja3").is_none() && plain.get("ja4").is_none());
        let basic = record(&s, &TlsLogConfig { extended: false, ..TlsLogConfig::default() });
        assert_eq!(basic.as_object().unwrap().len(), 2);
    }

    #[test]
    fn tls13_record() {
        let s = run(TLS13_C, TLS13_S);
        assert_eq!(
            record(&s, &ALL),
            json!({
                "sni": "test.mirador.example",
                "version": "TLS 1.3",
                "ja3": {"hash": "304734bb1c086c3453b387400cf83f11",
                        "string": "771,4866-4867-4865-49196-49200-49195-49199-52393-52392-49188-49192-49187-49191-159-158-107-103-255,0-11-10-35-16-22-23-13-43-45-51-21,29-23-30-25-24-256-257-258-259-260,0-1-2"},
                "ja3s": {"hash": "15af977ce25de452b96affa2addb1036", "string": "771,4866,43-51"},
                "ja4": "t13d1812h2_85036bcba153_d41ae481755e"
            })
        );
    }

    #[test]
    fn client_hello_only() {
        let s = run(CHROME, &[]);
        assert_eq!(
            record(&s, &ALL),
            json!({
                "sni": "www.mirador.example",
                "version": "UNDETERMINED",
                "ja3": {"hash": "cd08e31494f9531f560d64c695473da9",
                        "string": "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,0-23-65281-10-11-35-16-5-13-18-51-45-43-27-17513-21,29-23-24,0"},
                "ja4": "t13d1516h2_8daaf6152771_e5627efa2ab1"
            })
        );
        assert!(should_log(&s, &ALL));
        assert!(!should_log(&TlsState::new(), &ALL));
    }

    /// A TLS 1.2 handshake record holding one message.
    fn handshake(msg_type: u8, body: &[u8]) -> Vec<u8> {
        let mut hs = vec![msg_type];
        hs.extend(&(body.len() as u32).to_be_bytes()[1..]);
        hs.extend(body);
        let mut rec = vec![0x16, 0x03, 0x03];
        rec.extend((hs.len() as u16).to_be_bytes());
        rec.extend(hs);
        rec
    }

    /// A Certificate message body: 24-bit list length, then each DER with
    /// its 24-bit length.
    fn cert_list(certs: &[&[u8]]) -> Vec<u8> {
        let mut list: Vec<u8> = Vec::new();
        for c in certs {
            list.extend(&(c.len() as u32).to_be_bytes()[1..]);
            list.extend(*c);
        }
        let mut body = (list.len() as u32).to_be_bytes()[1..].to_vec();
        body.extend(list);
        body
    }

    const LEAF: &[u8] = include_bytes!("testdata/leaf.der");
    const CA: &[u8] = include_bytes!("testdata/ca.der");

    #[test]
    fn custom_fields_with_client_certificate() {
        use base64::Engine as _;
        let b64 = |d: &[u8]| base64::engine::general_purpose::STANDARD.encode(d);
        let mut s = TlsState::new();
        // Server: Certificate (leaf, CA), then CertificateRequest (types
        // [rsa_sign], signature algorithms [rsa_pkcs1_sha256], no CA names).
        s.parse(false, &handshake(11, &cert_list(&[LEAF, CA])));
        assert!(s.record_ready());
        s.parse(false, &handshake(13, &[1, 1, 0, 2, 4, 1, 0, 0]));
        // The record waits for the client's certificate.
        assert!(!s.record_ready());
        s.parse(true, &handshake(11, &cert_list(&[LEAF])));
        assert!(s.record_ready());
        assert_eq!(s.client_chain().len(), 1);

        let f = ["subject", "certificate", "chain", "client", "client_certificate", "client_chain", "ja4"]
            .into_iter()
            .map(|n| fields::by_name(n).unwrap())
            .fold(0, |a, b| a | b);
        let cfg = TlsLogConfig { custom: Some(f), ..ALL };
        let rec = record(&s, &cfg);
        let keys: Vec<&str> = rec.as_object().unwrap().keys().map(String::as_str).collect();
        // Suricata's order; no ja4 (Suricata 7.0.10 writes none from a
        // custom list) and nothing that is not listed.
        assert_eq!(keys, ["subject", "certificate", "chain", "client"]);
        assert_eq!(rec["certificate"], b64(LEAF));
        assert_eq!(rec["chain"], json!([b64(LEAF), b64(CA)]));
        assert_eq!(rec["client"]["certificate"], b64(LEAF));
        assert_eq!(rec["client"]["chain"], json!([b64(LEAF)]));
        assert_eq!(rec["client"]["subject"], "C=US, ST=Oregon, O=Mirador Test, CN=test.mirador.example");

        // `client` alone: the client's fields without its DER.
        let cfg = TlsLogConfig { custom: fields::by_name("client"), ..ALL };
        let client = &record(&s, &cfg)["client"];
        assert!(client.get("certificate").is_none() && client.get("chain").is_none());
        assert!(client.get("serial").is_some());
        assert_eq!(fields::by_name("subjectaltname"), None);
    }

    #[test]
    fn times() {
        assert_eq!(format_time(0), "1970-01-01T00:00:00");
        assert_eq!(format_time(-86400), "1969-12-31T00:00:00");
    }
}
