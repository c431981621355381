//! NTLMSSP inside an SMB session setup's security blob: the user, domain
//! and host of the client's AUTHENTICATE message.
//!
//! The blob is SPNEGO (GSS-API DER) around the NTLMSSP token in most
//! sessions, and the raw token in some. Rather than decode the DER layers,
//! the token is found by its `NTLMSSP\0` signature: every field the
//! keywords need lives inside the token, with offsets relative to its
//! start, so the wrapping does not matter.

/// The fields of an AUTHENTICATE (type 3) message that rules and EVE use.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NtlmAuth {
    /// User name, UTF-8.
    pub user: Vec<u8>,
    /// Domain name, UTF-8.
    pub domain: Vec<u8>,
    /// Workstation name, UTF-8.
    pub host: Vec<u8>,
    /// OS version the client announced, as Suricata writes it
    /// (`6.1 build 7601 rev 15`).
    pub version: Option<String>,
}

const SIGNATURE: &[u8] = b"NTLMSSP\0";
/// NTLMSSP_NEGOTIATE_UNICODE: strings are UTF-16LE, else OEM (ASCII).
const FLAG_UNICODE: u32 = 0x0000_0001;
/// NTLMSSP_NEGOTIATE_VERSION: the Version field is present.
const FLAG_VERSION: u32 = 0x0200_0000;

/// Decodes UTF-16LE up to a NUL (unpaired surrogates become U+FFFD), as
/// UTF-8 bytes: SMB names are UTF-16 on the wire, rules match UTF-8.
pub fn utf16le(b: &[u8]) -> Vec<u8> {
    let units = b.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).take_while(|&u| u != 0);
    char::decode_utf16(units).map(|r| r.unwrap_or('\u{fffd}')).collect::<String>().into_bytes()
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// A security-buffer field (length, max length, offset) of the token.
fn field(tok: &[u8], at: usize) -> Option<&[u8]> {
    let len = usize::from(u16_at(tok, at)?);
    let off = u32_at(tok, at + 4)? as usize;
    tok.get(off..off.checked_add(len)?)
}

/// Finds the AUTHENTICATE message in a security blob; None when the blob
/// holds another NTLMSSP message (or none) or the token is cut short.
pub fn authenticate(blob: &[u8]) -> Option<NtlmAuth> {
    let start = blob.windows(SIGNATURE.len()).position(|w| w == SIGNATURE)?;
    let tok = &blob[start..];
    if u32_at(tok, 8)? != 3 {
        return None;
    }
    let flags = u32_at(tok, 60)?;
    let text = |b: &[u8]| if flags & FLAG_UNICODE != 0 { utf16le(b) } else { b.to_vec() };
    let domain = text(field(tok, 28)?);
    let user = text(field(tok, 36)?);
    let host = text(field(tok, 44)?);
    // The Version field sits right after the flags when negotiated; the
    // lowest payload offset tells whether the header reserves room for it.
    let version = (flags & FLAG_VERSION != 0)
        .then(|| {
            let v = tok.get(64..72)?;
            Some(format!("{}.{} build {} rev {}", v[0], v[1], u16::from_le_bytes([v[2], v[3]]), v[7]))
        })
        .flatten();
    Some(NtlmAuth { user, domain, host, version })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn utf16(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }

    /// An AUTHENTICATE token with Unicode strings and a version.
    pub(crate) fn auth_token(user: &str, domain: &str, host: &str) -> Vec<u8> {
        let (u, d, h) = (utf16(user), utf16(domain), utf16(host));
        let mut t = SIGNATURE.to_vec();
        t.extend_from_slice(&3u32.to_le_bytes());
        let payload = 88u32;
        let mut fields = Vec::new();
        let mut at = payload;
        // LM, NT responses (empty), domain, user, host, session key (empty).
        for part in [&[][..], &[][..], &d[..], &u[..], &h[..], &[][..]] {
            let len = part.len() as u16;
            fields.extend_from_slice(&len.to_le_bytes());
            fields.extend_from_slice(&len.to_le_bytes());
            fields.extend_from_slice(&at.to_le_bytes());
            at += u32::from(len);
        }
        t.extend_from_slice(&fields);
        t.extend_from_slice(&(FLAG_UNICODE | FLAG_VERSION).to_le_bytes());
        t.extend_from_slice(&[6, 1, 0xb1, 0x1d, 0, 0, 0, 15]);
        t.resize(payload as usize, 0);
        t.extend_from_slice(&d);
        t.extend_from_slice(&u);
        t.extend_from_slice(&h);
        t
    }

    #[test]
    fn finds_the_token_inside_spnego() {
        let mut blob = vec![0xa1, 0x82, 0x01, 0x00, 0x30, 0x81, 0xfa, 0xa2, 0x04, 0x04, 0x82];
        blob.extend_from_slice(&auth_token("Administrator", "CONTOSO", "SERVER01"));
        let a = authenticate(&blob).expect("authenticate");
        assert_eq!(a.user, b"Administrator");
        assert_eq!(a.domain, b"CONTOSO");
        assert_eq!(a.host, b"SERVER01");
        assert_eq!(a.version.as_deref(), Some("6.1 build 7601 rev 15"));
    }

    #[test]
    fn other_messages_and_cut_tokens_give_nothing() {
        let mut neg = SIGNATURE.to_vec();
        neg.extend_from_slice(&1u32.to_le_bytes());
        neg.resize(40, 0);
        assert_eq!(authenticate(&neg), None);
        let t = auth_token("u", "d", "h");
        assert_eq!(authenticate(&t[..70]), None);
        assert_eq!(utf16le(&utf16("é\0x")), "é".as_bytes());
    }
}
