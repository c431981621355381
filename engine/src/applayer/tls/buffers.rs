//! Sticky buffers TLS rules inspect, read from the flow's one transaction.
//!
//! | buffer | content | direction |
//! |---|---|---|
//! | `tls.sni` | SNI host name | to server |
//! | `tls.cert_subject` | first server certificate's subject (`C=US, O=.., CN=..`) | to client |
//! | `tls.cert_issuer` | its issuer | to client |
//! | `tls.cert_serial` | its serial, `00:A1:B2` uppercase | to client |
//! | `tls.cert_fingerprint` | its SHA-1, `6f:86:..` lowercase | to client |
//! | `ja3.hash` / `ja3.string` | JA3 of the ClientHello | to server |
//! | `ja3s.hash` / `ja3s.string` | JA3S of the ServerHello | to client |
//! | `ja4.hash` | JA4 (Suricata 7 flavour) | to server |
//! | `tls.certs` | each server certificate, DER (multi-buffer) | to client |
//! | `tls.random`, `_time`, `_bytes` | the inspected side's hello random, its first 4 and last 28 bytes | both |

use super::state::TlsTx;
use crate::rules::ast::Buffer;

/// True for the buffers a TLS transaction can fill.
pub fn provides(b: Buffer) -> bool {
    direction(b).is_some() || is_random(b)
}

/// The hello-random buffers: each direction has its own value.
fn is_random(b: Buffer) -> bool {
    matches!(b, Buffer::TlsRandom | Buffer::TlsRandomTime | Buffer::TlsRandomBytes)
}

/// The direction a TLS buffer is inspected in: `Some(true)` to server.
pub fn direction(b: Buffer) -> Option<bool> {
    match b {
        Buffer::TlsSni | Buffer::Ja3Hash | Buffer::Ja3String | Buffer::Ja4Hash => Some(true),
        Buffer::TlsCertSubject
        | Buffer::TlsCertIssuer
        | Buffer::TlsCertSerial
        | Buffer::TlsCertFingerprint
        | Buffer::TlsCerts
        | Buffer::Ja3sHash
        | Buffer::Ja3sString => Some(false),
        _ => None,
    }
}

impl<'a> TlsTx<'a> {
    /// The content of buffer `b`, when this flow has it.
    pub fn buffer(&self, b: Buffer) -> Option<&'a [u8]> {
        let s = self.state;
        let cert = s.server_cert();
        match b {
            Buffer::TlsSni => s.sni(),
            Buffer::TlsCertSubject => cert.map(|c| c.subject.as_bytes()),
            Buffer::TlsCertIssuer => cert.map(|c| c.issuer.as_bytes()),
            Buffer::TlsCertSerial => cert.map(|c| c.serial.as_bytes()),
            Buffer::TlsCertFingerprint => cert.map(|c| c.fingerprint.as_bytes()),
            Buffer::Ja3Hash => s.ja3_hash().map(str::as_bytes),
            Buffer::Ja3String => s.ja3_string().map(str::as_bytes),
            Buffer::Ja3sHash => s.ja3s_hash().map(str::as_bytes),
            Buffer::Ja3sString => s.ja3s_string().map(str::as_bytes),
            Buffer::Ja4Hash => s.ja4().map(str::as_bytes),
            Buffer::TlsCerts => self.certs().next(),
            _ => None,
        }
    }

    /// [`TlsTx::buffer`] when `b` is inspected in the `to_server` direction
    /// (as Suricata registers it: SNI and JA3/JA4 to server, certificate
    /// fields and JA3S to client), else `None`.
    pub fn buffer_dir(&self, b: Buffer, to_server: bool) -> Option<&'a [u8]> {
        if is_random(b) {
            let r = self.random(to_server).filter(|r| r.len() == 32)?;
            return Some(match b {
                Buffer::TlsRandomTime => &r[..4],
                Buffer::TlsRandomBytes => &r[4..],
                _ => r,
            });
        }
        (direction(b) == Some(to_server)).then(|| self.buffer(b)).flatten()
    }

    /// The server's certificates as sent, DER (Suricata's `tls.certs`
    /// multi-buffer).
    pub fn certs(&self) -> impl Iterator<Item = &'a [u8]> {
        self.state.server_chain().iter().map(Vec::as_slice)
    }

    /// The hello random of one side (`tls.random`; `tls.random_time` is the
    /// first 4 bytes, `tls.random_bytes` the last 28).
    pub fn random(&self, to_server: bool) -> Option<&'a [u8]> {
        if to_server {
            self.state.client_hello().map(|c| c.random.as_slice())
        } else {
            self.state.server_hello().map(|s| s.random.as_slice())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::applayer::tls::TlsState;

    // Handshake bytes: see testdata/README.md.
    const TLS12_C: &[u8] = include_bytes!("testdata/tls12-client.bin");
    const TLS12_S: &[u8] = include_bytes!("testdata/tls12-server.bin");

    #[test]
    fn all_buffers() {
        let mut s = TlsState::new();
        let tx = s.tx();
        assert_eq!(tx.buffer(Buffer::TlsSni), None);
        s.parse(true, TLS12_C);
        s.parse(false, TLS12_S);
        let tx = s.tx();
        let get = |b| std::str::from_utf8(tx.buffer(b).unwrap()).unwrap().to_string();
        assert_eq!(get(Buffer::TlsSni), "test.mirador.example");
        assert_eq!(get(Buffer::TlsCertSubject), "C=US, ST=Oregon, O=Mirador Test, CN=test.mirador.example");
        assert_eq!(get(Buffer::TlsCertIssuer), "C=US, O=Mirador Test CA, CN=Mirador Test Root");
        assert_eq!(get(Buffer::TlsCertSerial), "00:A1:B2:C3:D4:E5:F6:07:18");
        assert_eq!(get(Buffer::TlsCertFingerprint), "6f:86:f1:98:78:6d:57:71:66:52:cb:41:a5:fe:8e:c9:75:bd:5f:83");
        assert_eq!(get(Buffer::Ja3Hash), "104774240db569f8f87b1a28206b25e5");
        assert!(get(Buffer::Ja3String).starts_with("771,49196-49200-"));
        assert_eq!(get(Buffer::Ja3sHash), "e195432758194ce2d482396b82e0d48e");
        assert_eq!(get(Buffer::Ja3sString), "771,49196,65281-11-35-16-23");
        assert_eq!(get(Buffer::Ja4Hash), "t12d1508h2_d68b136fe8d9_e7e480e5a997");
        assert_eq!(tx.buffer(Buffer::HttpUri), None);
        assert!(tx.buffer_dir(Buffer::TlsSni, true).is_some());
        assert!(tx.buffer_dir(Buffer::TlsSni, false).is_none());
        assert!(tx.buffer_dir(Buffer::TlsCertSerial, false).is_some());
        assert_eq!(tx.certs().count(), 2);
        assert_eq!(tx.random(true).map(<[u8]>::len), Some(32));
        assert_eq!(direction(Buffer::Ja3sHash), Some(false));
        assert!(provides(Buffer::Ja4Hash) && !provides(Buffer::DnsQuery));
    }

    #[test]
    fn random_is_the_inspected_sides_and_certs_go_to_client() {
        let mut s = TlsState::new();
        s.parse(true, TLS12_C);
        s.parse(false, TLS12_S);
        let tx = s.tx();
        let client = tx.random(true).unwrap();
        let server = tx.random(false).unwrap();
        assert_ne!(client, server);
        assert_eq!(tx.buffer_dir(Buffer::TlsRandom, true), Some(client));
        assert_eq!(tx.buffer_dir(Buffer::TlsRandom, false), Some(server));
        assert_eq!(tx.buffer_dir(Buffer::TlsRandomTime, false), Some(&server[..4]));
        assert_eq!(tx.buffer_dir(Buffer::TlsRandomBytes, true), Some(&client[4..]));
        assert!(provides(Buffer::TlsRandomBytes) && provides(Buffer::TlsCerts));
        // tls.certs: the leaf first, DER, to client only.
        let leaf = include_bytes!("testdata/leaf.der");
        assert_eq!(tx.buffer_dir(Buffer::TlsCerts, false), Some(&leaf[..]));
        assert_eq!(tx.buffer_dir(Buffer::TlsCerts, true), None);
    }
}
