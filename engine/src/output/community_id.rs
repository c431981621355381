//! The Community ID flow hash (version 1, as published by Corelight and
//! written by Suricata, Zeek and Arkime): one string per flow, the same in
//! every tool and both directions, so a SIEM can join mirador's records with
//! other sensors' without a 5-tuple match.
//!
//! `1:` + base64(SHA-1(seed, source address, destination address, protocol,
//! 0, source port, destination port)), with the endpoints ordered so that the
//! smaller (address, port) comes first. ICMP types stand in for ports: the
//! type and its answer's type for request/answer pairs (which are ordered
//! like ports), type and code otherwise (never reordered).

use std::net::IpAddr;

use base64::Engine as _;
use sha1::{Digest, Sha1};

/// ICMPv4 request/answer type pairs.
const ICMP4_PAIRS: [(u8, u8); 10] =
    [(8, 0), (0, 8), (13, 14), (14, 13), (15, 16), (16, 15), (10, 9), (9, 10), (17, 18), (18, 17)];
/// ICMPv6 request/answer type pairs.
const ICMP6_PAIRS: [(u8, u8); 10] = [
    (128, 129),
    (129, 128),
    (133, 134),
    (134, 133),
    (135, 136),
    (136, 135),
    (130, 131),
    (131, 130),
    (144, 145),
    (145, 144),
];

/// The Community ID of a flow seen as `src:sport -> dst:dport` over IP
/// protocol `proto`. For ICMP (1, 58), `sport` is the type and `dport` the
/// code of a packet of the flow.
pub fn community_id(seed: u16, src: IpAddr, sport: u16, dst: IpAddr, dport: u16, proto: u8) -> String {
    let (mut a, mut b) = ((src, sport), (dst, dport));
    let mut ordered = true;
    if matches!(proto, 1 | 58) {
        let pairs = if proto == 1 { &ICMP4_PAIRS } else { &ICMP6_PAIRS };
        let ty = sport as u8;
        match pairs.iter().find(|p| p.0 == ty) {
            Some(&(_, answer)) => b.1 = u16::from(answer),
            None => ordered = false,
        }
    }
    if ordered && (bytes(a.0), a.1) > (bytes(b.0), b.1) {
        std::mem::swap(&mut a, &mut b);
    }
    let mut h = Sha1::new();
    h.update(seed.to_be_bytes());
    h.update(bytes(a.0));
    h.update(bytes(b.0));
    h.update([proto, 0]);
    if matches!(proto, 1 | 6 | 17 | 58 | 132) {
        h.update(a.1.to_be_bytes());
        h.update(b.1.to_be_bytes());
    }
    format!("1:{}", base64::engine::general_purpose::STANDARD.encode(h.finalize()))
}

fn bytes(ip: IpAddr) -> Vec<u8> {
    match ip {
        IpAddr::V4(v) => v.octets().to_vec(),
        IpAddr::V6(v) => v.octets().to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::community_id;

    fn ip(s: &str) -> std::net::IpAddr {
        s.parse().unwrap()
    }

    // Values from the Community ID specification's baseline
    // (community-id-spec, baseline/baseline_deflt.json).
    #[test]
    fn specification_baseline() {
        assert_eq!(
            community_id(0, ip("128.232.110.120"), 34855, ip("66.35.250.204"), 80, 6),
            "1:LQU9qZlK+B5F3KDmev6m5PMibrg="
        );
        // Symmetric.
        assert_eq!(
            community_id(0, ip("66.35.250.204"), 80, ip("128.232.110.120"), 34855, 6),
            "1:LQU9qZlK+B5F3KDmev6m5PMibrg="
        );
        assert_eq!(community_id(0, ip("192.168.0.89"), 8, ip("192.168.0.1"), 0, 1), "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=");
        assert_eq!(community_id(0, ip("192.168.0.1"), 0, ip("192.168.0.89"), 0, 1), "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=");
    }
}
