//! Client and server fingerprints: JA3, JA3S (Salesforce) and JA4 (FoxIO).
//!
//! JA3 is `version,ciphers,extensions,groups,point_formats` in decimal,
//! values joined with `-`, GREASE values (RFC 8701) removed, then MD5; JA3S
//! is `version,cipher,extensions`. Both use the hellos' `legacy_version`.
//! This is what Suricata 7 computes.
//!
//! JA4 (`t13d1516h2_8daaf6152771_e5627efa2ab1`) comes in two flavours that
//! agree on every ordinary ClientHello and differ on edge cases:
//!
//! | case | [`Ja4Flavor::Suricata7`] (Suricata 7.0.10) | [`Ja4Flavor::FoxIo`] (spec) |
//! |---|---|---|
//! | version | highest of legacy_version and supported_versions | highest supported_versions, else legacy_version |
//! | no cipher suites | SHA-256 of `""` (`e3b0c44298fc`) | `000000000000` |
//! | no signature algorithms | hash of `exts_` (trailing `_`) | hash of `exts` |
//! | no extensions left | hash of `_sigalgs` | `000000000000` |
//!
//! Both remove GREASE everywhere, count SNI and ALPN but leave them out of
//! the hashed extension list, take ALPN from the first protocol (a GREASE
//! first protocol gives `00`; a non-alphanumeric first or last character
//! gives the first hex digit of the first byte and the last hex digit of the
//! last byte; one character is used twice). The Suricata 7 flavour is what
//! `ja4.hash` matches and EVE logs; values were checked against Suricata
//! 7.0.10 (see testdata/README.md).

use md5::Md5;
use sha2::{Digest, Sha256};

use super::parser::{ClientHello, ServerHello};

/// True for a GREASE value (RFC 8701): `0x?a?a` with equal bytes.
pub fn is_grease(v: u16) -> bool {
    v & 0x0f0f == 0x0a0a && (v >> 8) == (v & 0xff)
}

fn join_dec<I: IntoIterator<Item = u16>>(it: I) -> String {
    let v: Vec<String> = it.into_iter().filter(|&x| !is_grease(x)).map(|x| x.to_string()).collect();
    v.join("-")
}

/// Lowercase hex MD5 of a string (the JA3 hash).
pub fn md5_hex(s: &str) -> String {
    hex(&Md5::digest(s.as_bytes()))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The JA3 string of a ClientHello.
pub fn ja3_string(ch: &ClientHello) -> String {
    let pf: Vec<String> = ch.point_formats.iter().map(|x| x.to_string()).collect();
    format!(
        "{},{},{},{},{}",
        ch.version.0,
        join_dec(ch.ciphers.iter().map(|c| c.0)),
        join_dec(ch.extensions.iter().map(|e| e.0)),
        join_dec(ch.groups.iter().map(|g| g.0)),
        pf.join("-")
    )
}

/// The JA3S string of a ServerHello.
pub fn ja3s_string(sh: &ServerHello) -> String {
    format!("{},{},{}", sh.version.0, sh.cipher.0, join_dec(sh.extensions.iter().map(|e| e.0)))
}

/// Which JA4 definition to follow where they differ (see the module docs).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Ja4Flavor {
    /// What Suricata 7.0.10 computes (EVE `ja4`, `ja4.hash`).
    #[default]
    Suricata7,
    /// The FoxIO specification.
    FoxIo,
}

fn version_code(v: u16) -> &'static str {
    match v {
        0x0304 => "13",
        0x0303 => "12",
        0x0302 => "11",
        0x0301 => "10",
        0x0300 => "s3",
        0x0200 => "s2",
        0x0100 => "s1",
        _ => "00",
    }
}

fn alpn_code(alpn: Option<&Vec<u8>>) -> String {
    let Some(p) = alpn.filter(|p| !p.is_empty()) else {
        return "00".into();
    };
    if p.len() == 2 && is_grease(u16::from_be_bytes([p[0], p[1]])) {
        return "00".into();
    }
    let (first, last) = (p[0], p[p.len() - 1]);
    if first.is_ascii_alphanumeric() && last.is_ascii_alphanumeric() {
        format!("{}{}", char::from(first), char::from(last))
    } else {
        let f = format!("{first:02x}");
        let l = format!("{last:02x}");
        format!("{}{}", &f[..1], &l[1..])
    }
}

fn sha12(s: &str) -> String {
    let mut h = hex(&Sha256::digest(s.as_bytes()));
    h.truncate(12);
    h
}

/// The JA4 fingerprint of a ClientHello over TCP.
pub fn ja4(ch: &ClientHello, flavor: Ja4Flavor) -> String {
    let supported = ch.supported_versions.iter().map(|v| v.0).filter(|&v| !is_grease(v));
    let version = match flavor {
        Ja4Flavor::Suricata7 => supported.chain([ch.version.0]).filter(|&v| !is_grease(v)).max(),
        Ja4Flavor::FoxIo => supported.max().or(Some(ch.version.0)),
    }
    .unwrap_or(0);
    let mut ciphers: Vec<u16> = ch.ciphers.iter().map(|c| c.0).filter(|&c| !is_grease(c)).collect();
    let exts: Vec<u16> = ch.extensions.iter().map(|e| e.0).filter(|&e| !is_grease(e)).collect();
    let sni = if exts.contains(&0) { 'd' } else { 'i' };
    let a = format!(
        "t{}{}{:02}{:02}{}",
        version_code(version),
        sni,
        ciphers.len().min(99),
        exts.len().min(99),
        alpn_code(ch.alpn.first())
    );
    ciphers.sort_unstable();
    let cipher_list: Vec<String> = ciphers.iter().map(|c| format!("{c:04x}")).collect();
    let b = if ciphers.is_empty() && flavor == Ja4Flavor::FoxIo {
        "000000000000".to_string()
    } else {
        sha12(&cipher_list.join(","))
    };
    let mut hashed: Vec<u16> = exts.into_iter().filter(|&e| e != 0 && e != 16).collect();
    hashed.sort_unstable();
    let ext_list: Vec<String> = hashed.iter().map(|e| format!("{e:04x}")).collect();
    let sigs: Vec<String> =
        ch.signature_algorithms.iter().filter(|&&s| !is_grease(s)).map(|s| format!("{s:04x}")).collect();
    let c = match flavor {
        Ja4Flavor::Suricata7 => sha12(&format!("{}_{}", ext_list.join(","), sigs.join(","))),
        Ja4Flavor::FoxIo if ext_list.is_empty() => "000000000000".to_string(),
        Ja4Flavor::FoxIo if sigs.is_empty() => sha12(&ext_list.join(",")),
        Ja4Flavor::FoxIo => sha12(&format!("{}_{}", ext_list.join(","), sigs.join(","))),
    };
    format!("{a}_{b}_{c}")
}

#[cfg(test)]
mod tests {
    use super::super::parser::{parse_client_hello, TlsCipherSuiteID, TlsExtensionType, TlsVersion};
    use super::*;

    // A Chrome-like ClientHello with GREASE in ciphers, extensions, groups,
    // key shares and supported_versions, built by testdata/make_testdata.py
    // to reproduce FoxIO's published Chrome example
    // (t13d1516h2_8daaf6152771_e5627efa2ab1). Expected JA3/JA4 values were
    // computed independently by that script (Python hashlib) and match
    // Suricata 7.0.10's eve.json for a pcap carrying the same bytes.
    const CHROME: &[u8] = include_bytes!("testdata/chrome-hello.bin");

    fn chrome() -> ClientHello {
        parse_client_hello(&CHROME[9..]).unwrap()
    }

    #[test]
    fn grease() {
        assert!(is_grease(0x0a0a) && is_grease(0xfafa) && is_grease(0x5a5a));
        assert!(!is_grease(0x0a1a) && !is_grease(0x1301) && !is_grease(0));
    }

    #[test]
    fn chrome_ja3() {
        let s = ja3_string(&chrome());
        assert_eq!(
            s,
            "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,\
             0-23-65281-10-11-35-16-5-13-18-51-45-43-27-17513-21,29-23-24,0"
        );
        assert_eq!(md5_hex(&s), "cd08e31494f9531f560d64c695473da9");
    }

    #[test]
    fn chrome_ja4_both_flavors() {
        let ch = chrome();
        assert_eq!(ja4(&ch, Ja4Flavor::Suricata7), "t13d1516h2_8daaf6152771_e5627efa2ab1");
        assert_eq!(ja4(&ch, Ja4Flavor::FoxIo), "t13d1516h2_8daaf6152771_e5627efa2ab1");
    }

    fn hello(version: u16, ciphers: &[u16], exts: &[u16]) -> ClientHello {
        let mut ch = chrome();
        ch.version = TlsVersion(version);
        ch.ciphers = ciphers.iter().map(|&c| TlsCipherSuiteID(c)).collect();
        ch.extensions = exts.iter().map(|&e| TlsExtensionType(e)).collect();
        ch.alpn.clear();
        ch.signature_algorithms.clear();
        ch.supported_versions.clear();
        ch.groups.clear();
        ch.point_formats.clear();
        ch
    }

    // Each expected value is Suricata 7.0.10's `ja4` for the same hello
    // (testdata/README.md, "edge cases"); FoxIO values from the Python
    // implementation in make_testdata.py.
    #[test]
    fn ja4_edge_cases() {
        // No SNI, no ALPN, no signature algorithms.
        let mut ch = hello(0x0303, &[0xc02f, 0x009c, 0x002f], &[11, 10]);
        assert_eq!(ja4(&ch, Ja4Flavor::Suricata7), "t12i030200_f81807f6db74_c2f961105e84");
        assert_eq!(ja4(&ch, Ja4Flavor::FoxIo), "t12i030200_f81807f6db74_33a13ba74d1c");
        // No cipher suites, only supported_versions.
        ch = hello(0x0303, &[], &[43]);
        ch.supported_versions = vec![TlsVersion(0x0304)];
        assert_eq!(ja4(&ch, Ja4Flavor::Suricata7), "t13i000100_e3b0c44298fc_9b00d4eb1ff0");
        assert_eq!(ja4(&ch, Ja4Flavor::FoxIo), "t13i000100_000000000000_b9a491fefe05");
        // supported_versions lower than legacy_version.
        ch = hello(0x0303, &[0x002f], &[43]);
        ch.supported_versions = vec![TlsVersion(0x0302)];
        assert_eq!(ja4(&ch, Ja4Flavor::Suricata7), "t12i010100_ba72b8082249_9b00d4eb1ff0");
        assert_eq!(ja4(&ch, Ja4Flavor::FoxIo), "t11i010100_ba72b8082249_b9a491fefe05");
        // No extensions at all; SSLv3 and TLS 1.0 hellos.
        ch = hello(0x0300, &[0x002f], &[]);
        assert_eq!(ja4(&ch, Ja4Flavor::Suricata7), "ts3i010000_ba72b8082249_d2e2adf7177b");
        ch.version = TlsVersion(0x0301);
        assert_eq!(ja4(&ch, Ja4Flavor::Suricata7), "t10i010000_ba72b8082249_d2e2adf7177b");
        // GREASE inside supported_versions and signature_algorithms.
        ch = hello(0x0303, &[0x1301], &[43]);
        ch.supported_versions = vec![TlsVersion(0x7a7a), TlsVersion(0x0304), TlsVersion(0x0303)];
        assert_eq!(ja4(&ch, Ja4Flavor::Suricata7), "t13i010100_0f2cb44170f4_9b00d4eb1ff0");
        ch = hello(0x0303, &[0x1301], &[13]);
        ch.signature_algorithms = vec![0x0a0a, 0x0403];
        assert_eq!(ja4(&ch, Ja4Flavor::Suricata7), "t12i010100_0f2cb44170f4_79c50902419d");
    }

    #[test]
    fn ja4_alpn_codes() {
        let mut ch = hello(0x0303, &[0x1301], &[16]);
        for (proto, code) in [
            (&b"h2"[..], "h2"),
            (b"http/1.1", "h1"),
            (b"x", "xx"),
            (b"h!", "61"),
            (b"\xffab\x01", "f1"),
            (b"\x0a\x0a", "00"),
            (b"", "00"),
        ] {
            ch.alpn = vec![proto.to_vec()];
            let j = ja4(&ch, Ja4Flavor::Suricata7);
            assert_eq!(&j[8..10], code, "{proto:?}");
        }
    }

    #[test]
    fn counts_cap_at_99() {
        let ciphers: Vec<u16> = (1..200).collect();
        let exts: Vec<u16> = (1..200).collect();
        let ch = hello(0x0303, &ciphers, &exts);
        assert!(ja4(&ch, Ja4Flavor::Suricata7).starts_with("t12i9999"));
    }
}
