//! Sticky buffers DNS rules inspect.
//!
//! Suricata 7 has one DNS sticky buffer, `dns.query` (legacy `dns_query`):
//! the query names of a request, as dotted text with case preserved and no
//! trailing dot. It is a multi-buffer: a rule matches when any of the
//! request's names matches ([`DnsTx::buffers`]); [`DnsTx::buffer`] gives
//! the first one. Responses have no `dns.query` buffer.

use super::state::DnsTx;
use crate::rules::ast::Buffer;

/// True for the buffers a DNS transaction can fill.
pub fn provides(b: Buffer) -> bool {
    matches!(b, Buffer::DnsQuery | Buffer::FrameDnsPdu)
}

/// The direction a DNS buffer is inspected in: `Some(true)` to server.
pub fn direction(b: Buffer) -> Option<bool> {
    match b {
        Buffer::DnsQuery => Some(true),
        _ => None,
    }
}

impl DnsTx {
    /// The first instance of buffer `b` in this transaction, if any:
    /// `dns.query` gives the request's first query name.
    pub fn buffer(&self, b: Buffer) -> Option<&[u8]> {
        self.buffers(b).next()
    }

    /// [`DnsTx::buffer`] when `b` is inspected in the `to_server`
    /// direction (as Suricata registers it), else `None`.
    pub fn buffer_dir(&self, b: Buffer, to_server: bool) -> Option<&[u8]> {
        if b == Buffer::FrameDnsPdu {
            return self.raw().filter(|_| self.is_request() == to_server);
        }
        (direction(b) == Some(to_server)).then(|| self.buffer(b)).flatten()
    }

    /// Every instance of buffer `b` (multi-buffer inspection): for
    /// `dns.query`, every query name of the request, in order.
    pub fn buffers(&self, b: Buffer) -> impl Iterator<Item = &[u8]> {
        let on = b == Buffer::DnsQuery;
        self.queries().filter(move |_| on)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::applayer::dns::DnsState;

    #[test]
    fn dns_query_multi_buffer() {
        // One request with two questions (one.example A, two.Example
        // AAAA), as in the lab capture dns.pcap (../tls/testdata/README.md).
        let mut m = vec![0xaa, 0xaa, 0x01, 0x00, 0, 2, 0, 0, 0, 0, 0, 0];
        m.extend_from_slice(b"\x03one\x07example\x00\x00\x01\x00\x01");
        m.extend_from_slice(b"\x03two\x07Example\x00\x00\x1c\x00\x01");
        let mut s = DnsState::new();
        s.parse(true, &m, false);
        let tx = s.txs().next().unwrap();
        assert_eq!(tx.buffer(Buffer::DnsQuery), Some(&b"one.example"[..]));
        let all: Vec<&[u8]> = tx.buffers(Buffer::DnsQuery).collect();
        assert_eq!(all, vec![&b"one.example"[..], &b"two.Example"[..]]);
        assert_eq!(tx.buffer(Buffer::TlsSni), None);
        assert_eq!(tx.buffer_dir(Buffer::DnsQuery, true), Some(&b"one.example"[..]));
        assert_eq!(tx.buffer_dir(Buffer::DnsQuery, false), None);
        assert!(provides(Buffer::DnsQuery) && !provides(Buffer::HttpUri));
        assert_eq!(direction(Buffer::DnsQuery), Some(true));
    }
}
