//! Header-level matching: protocol, addresses, ports, direction, `flow`, and
//! the packet checks (dsize, ttl, flags, itype, ...).

use super::signature::{ProtoMatch, Signature};
use super::{Buffers, FlowView};
use crate::decode::{IpInfo, Packet, L4};
use crate::rules::ast::{Buffer, ChecksumKind, PacketCheck};
use crate::rules::numeric::NumOp;
use std::net::IpAddr;

pub(super) fn matches(s: &Signature, pkt: &Packet<'_>, ip: &IpInfo, flow: &FlowView, bufs: &dyn Buffers) -> bool {
    let proto_ok = match s.proto {
        ProtoMatch::Ip => true,
        ProtoMatch::Ipv4 => ip.version == 4,
        ProtoMatch::Ipv6 => ip.version == 6,
        ProtoMatch::Tcp => ip.proto == 6,
        ProtoMatch::Udp => ip.proto == 17,
        ProtoMatch::Icmp => ip.proto == 1 || ip.proto == 58,
        ProtoMatch::Icmpv4 => ip.proto == 1,
        ProtoMatch::Icmpv6 => ip.proto == 58,
        ProtoMatch::Sctp => ip.proto == 132,
        ProtoMatch::App(a) => {
            let (tcp, udp) = a.transports();
            ((tcp && ip.proto == 6) || (udp && ip.proto == 17)) && flow.app_proto == Some(a)
        }
    };
    if !proto_ok {
        return false;
    }
    let (sp, dp) = pkt.l4.ports();
    let has_ports = matches!(pkt.l4, L4::Tcp { .. } | L4::Udp { .. } | L4::Sctp { .. });
    let fwd = s.src.contains(ip.src)
        && s.dst.contains(ip.dst)
        && (!has_ports || (s.sport.contains(sp) && s.dport.contains(dp)));
    let ok = fwd
        || (s.bidirectional
            && s.src.contains(ip.dst)
            && s.dst.contains(ip.src)
            && (!has_ports || (s.sport.contains(dp) && s.dport.contains(sp))));
    if !ok {
        return false;
    }
    let f = &s.flow;
    if (f.to_server || f.to_client) && flow.flowless {
        return false;
    }
    if (f.to_server && !flow.to_server) || (f.to_client && flow.to_server) {
        return false;
    }
    if (f.established && !flow.established) || (f.not_established && flow.established) {
        return false;
    }
    if (f.only_frag && !ip.is_fragment) || (f.no_frag && ip.is_fragment) {
        return false;
    }
    s.checks.iter().all(|c| check(c, pkt, ip, flow, bufs))
}

/// Suricata's `flags` prefilter only shows a rule the packets that have one
/// of the flags it names among SYN, RST, FIN (only SYN when SYN is named and
/// not negated), or among URG, ECE, CWR; observed on 7.0.10 (see
/// tests/keywords_vs_suricata.rs).
fn flags_gate(value: u8, set: u8, modifier: u8) -> bool {
    use crate::decode::tcp_flags::*;
    let gate = if set & SYN != 0 && modifier != b'!' {
        SYN
    } else if set & (SYN | RST | FIN) != 0 {
        SYN | RST | FIN
    } else if set & (URG | ECE | CWR) != 0 {
        URG | ECE | CWR
    } else {
        0
    };
    gate == 0 || value & gate != 0
}

fn flag_match(value: u8, set: u8, modifier: u8, ignore: u8) -> bool {
    let v = value & !ignore;
    match modifier {
        b'+' => v & set == set,
        b'*' => v & set != 0,
        b'!' => v & set == 0,
        _ => v == set,
    }
}

fn check(c: &PacketCheck, pkt: &Packet<'_>, ip: &IpInfo, flow: &FlowView, bufs: &dyn Buffers) -> bool {
    match c {
        // Suricata gives a `!=` dsize the payload requirement of `>`: an
        // empty packet never matches `dsize:!9` though 0 differs from 9.
        PacketCheck::Dsize(m) => {
            let n = pkt.payload.len() as u64;
            m.matches(n) && !(n == 0 && m.op == NumOp::Ne)
        }
        PacketCheck::Ttl(m) => m.matches(ip.ttl as u64),
        PacketCheck::Tos(m) => m.matches(ip.tos as u64),
        PacketCheck::IpId(m) => ip.version == 4 && m.matches(ip.id as u64),
        PacketCheck::IpProto(m) => m.matches(ip.proto as u64),
        PacketCheck::Itype(m) => {
            matches!(pkt.l4, L4::Icmp { itype, .. } if m.matches(itype as u64))
        }
        PacketCheck::Icode(m) => {
            matches!(pkt.l4, L4::Icmp { icode, .. } if m.matches(icode as u64))
        }
        PacketCheck::IcmpId(m) => matches!(pkt.l4, L4::Icmp { id, .. } if m.matches(id as u64)),
        PacketCheck::IcmpSeq(m) => matches!(pkt.l4, L4::Icmp { seq, .. } if m.matches(seq as u64)),
        PacketCheck::Seq(m) => matches!(pkt.l4, L4::Tcp { seq, .. } if m.matches(seq as u64)),
        PacketCheck::Ack(m) => matches!(pkt.l4, L4::Tcp { ack, .. } if m.matches(ack as u64)),
        PacketCheck::Window(m) => {
            matches!(pkt.l4, L4::Tcp { window, .. } if m.matches(window as u64))
        }
        PacketCheck::Flags(f) => {
            matches!(pkt.l4, L4::Tcp { flags, .. } if flags_gate(flags, f.set, f.modifier) && flag_match(flags, f.set, f.modifier, f.ignore))
        }
        PacketCheck::Fragbits(f) => {
            // Suricata's `+` for fragbits wants other bits besides these.
            let extra = f.modifier != b'+' || ip.frag_flags & !f.bits != 0;
            extra && flag_match(ip.frag_flags, f.bits, f.modifier, 0)
        }
        PacketCheck::SameIp => ip.src == ip.dst,
        // Transaction checks: see `tx_checks`.
        PacketCheck::Urilen(..)
        | PacketCheck::AppLayerEvent(_)
        | PacketCheck::TxField(..)
        | PacketCheck::FileHash { .. }
        | PacketCheck::FileSize(_)
        | PacketCheck::FileStore
        | PacketCheck::DceIface(_)
        | PacketCheck::DceOpnum(_) => true,
        // Sides as parsed: 0 server, 1 client, 2 both, 3 either.
        PacketCheck::StreamSize { side, cmp } => flow.stream_sizes.is_some_and(|[client, server]| match side {
            0 => cmp.matches(server),
            1 => cmp.matches(client),
            2 => cmp.matches(server) && cmp.matches(client),
            _ => cmp.matches(server) || cmp.matches(client),
        }),
        PacketCheck::AppLayerProto { proto, negated } => (flow.app_proto == Some(*proto)) != *negated,
        PacketCheck::SslVersion { mask, negated } => match bufs.ssl_versions() {
            Some(v) => (v & mask != 0) != *negated,
            None => false,
        },
        PacketCheck::SslState { any_of, none_of } => match bufs.ssl_states() {
            Some(st) => (*any_of == 0 || st & any_of != 0) && st & none_of == 0,
            None => false,
        },
        PacketCheck::SshVersion { buffer, prefix } => {
            // The whole version string must match (observed on 7.0.10).
            bufs.get(*buffer).is_some_and(|v| v == prefix.as_slice())
        }
        PacketCheck::FtpBounce => ftp_bounce(pkt.payload(), ip.src),
        PacketCheck::DecodeEvent(e) => pkt.events.has(*e),
        PacketCheck::Checksum { kind, valid } => checksum_ok(pkt, *kind) == Some(*valid),
        PacketCheck::Icmpv6Mtu(m) => match (pkt.l4, super::pktbuf::header(pkt, Buffer::Icmpv6Hdr)) {
            // Packet Too Big (type 2, code 0): the MTU follows type, code
            // and checksum.
            (L4::Icmp { itype: 2, icode: 0, v6: true, .. }, Some(h)) if h.len() >= 8 => {
                m.matches(u64::from(u32::from_be_bytes([h[4], h[5], h[6], h[7]])))
            }
            _ => false,
        },
    }
}

/// Whether the checksum `kind` names is correct: None when the packet has
/// no such header or not all of it was captured (a mirror's truncation is
/// not a bad checksum).
pub(crate) fn checksum_ok(pkt: &Packet<'_>, kind: ChecksumKind) -> Option<bool> {
    let ip = pkt.ip.as_ref()?;
    let v4 = ip.version == 4;
    if kind == ChecksumKind::Ipv4 {
        return v4.then(|| pkt.data.get(ip.header.clone()).map(|h| fold(sum(h, 0)) == 0xffff)).flatten();
    }
    let (want_v4, proto) = match kind {
        ChecksumKind::Tcpv4 => (true, 6u8),
        ChecksumKind::Tcpv6 => (false, 6),
        ChecksumKind::Udpv4 => (true, 17),
        ChecksumKind::Udpv6 => (false, 17),
        ChecksumKind::Icmpv4 => (true, 1),
        ChecksumKind::Icmpv6 => (false, 58),
        ChecksumKind::Ipv4 => unreachable!("handled above"),
    };
    let is_proto = match pkt.l4 {
        L4::Tcp { .. } => proto == 6,
        L4::Udp { .. } => proto == 17,
        L4::Icmp { v6, .. } => proto == if v6 { 58 } else { 1 },
        _ => false,
    };
    if v4 != want_v4 || !is_proto || ip.is_fragment || pkt.truncated {
        return None;
    }
    let end = ip.header.start.checked_add(ip.claimed_len)?;
    let seg = pkt.data.get(ip.header.end..end)?;
    if proto == 17 && v4 && seg.get(6..8) == Some(&[0, 0]) {
        // UDP over IPv4 without a checksum.
        return Some(true);
    }
    // The pseudo-header (ICMPv4 has none).
    let mut acc = 0u32;
    if proto != 1 {
        let addr = |a: IpAddr| match a {
            IpAddr::V4(a) => a.octets().to_vec(),
            IpAddr::V6(a) => a.octets().to_vec(),
        };
        acc = sum(&addr(ip.src), acc);
        acc = sum(&addr(ip.dst), acc);
        let len = u32::try_from(seg.len()).ok()?;
        acc += (len >> 16) + (len & 0xffff) + u32::from(proto);
    }
    Some(fold(sum(seg, acc)) == 0xffff)
}

/// One's-complement sum of 16-bit big-endian words (an odd last byte is
/// padded with zero), added to `acc`.
fn sum(data: &[u8], mut acc: u32) -> u32 {
    let mut chunks = data.chunks_exact(2);
    for c in &mut chunks {
        acc = acc.wrapping_add(u32::from(u16::from_be_bytes([c[0], c[1]])));
        acc = (acc & 0xffff) + (acc >> 16);
    }
    if let [last] = chunks.remainder() {
        acc = acc.wrapping_add(u32::from(*last) << 8);
    }
    acc
}

fn fold(mut acc: u32) -> u32 {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    acc
}

/// The checks of a signature that look at one transaction rather than the
/// packet: `urilen` (normalized `http.uri` length, or `http.uri.raw` with
/// `raw`; no URI, no match), `app-layer-event` (the transaction raised
/// the event), the numbers of a transaction (`mqtt.type`) and the DCERPC
/// call's `dcerpc.iface` / `dcerpc.opnum`.
pub(super) fn tx_checks(s: &Signature, tx: &dyn Buffers) -> bool {
    s.checks.iter().all(|c| match c {
        PacketCheck::Urilen(m, raw) => {
            let b = if *raw { Buffer::HttpUriRaw } else { Buffer::HttpUri };
            tx.get(b).is_some_and(|u| m.matches(u.len() as u64))
        }
        PacketCheck::AppLayerEvent(e) => tx.app_event(e),
        PacketCheck::TxField(f, m) => tx.tx_field(*f).is_some_and(|v| m.matches(v)),
        PacketCheck::DceIface(m) => tx.dce_iface(m),
        PacketCheck::DceOpnum(r) => tx.dce_opnum(r),
        _ => true,
    })
}

/// A `PORT h1,h2,h3,h4,p1,p2` command whose address is not the client's own
/// (an FTP bounce).
fn ftp_bounce(payload: &[u8], client: IpAddr) -> bool {
    let Some(pos) = payload.windows(5).position(|w| w.eq_ignore_ascii_case(b"PORT ")) else {
        return false;
    };
    let args = &payload[pos + 5..];
    let end = args.iter().position(|&c| c == b'\r' || c == b'\n').unwrap_or(args.len());
    let Ok(text) = std::str::from_utf8(&args[..end]) else {
        return false;
    };
    let nums: Vec<u8> = text.trim().split(',').filter_map(|n| n.trim().parse().ok()).collect();
    if nums.len() != 6 {
        return false;
    }
    let addr = IpAddr::from([nums[0], nums[1], nums[2], nums[3]]);
    addr != client
}
