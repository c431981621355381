#!/usr/bin/env python3
"""Writes the flood captures of the memory-bound runs (issue: streams and
hardening), deterministically, Python 3 standard library only.

usage: scripts/make_floods.py OUTDIR [--syns N] [--trains N]

- OUTDIR/syn-flood.pcap: N SYNs (default 1,000,000) from 10.8.x.y to
  10.9.0.1, each to a distinct (source, port) pair: every one is a new flow.
- OUTDIR/frag-flood.pcap: N first fragments (default 100,000) of UDP
  datagrams that never complete (MF set, distinct IP ids and sources): every
  one is a new defragmentation train.

Packets are 1 µs apart. scripts/flood-rss.sh replays them with memcaps set
and reports peak RSS and the eviction counters.
"""
import argparse
import os
import struct

T0 = 1704067200


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4(src, dst, proto, payload, ident, flags_off=0):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident & 0xFFFF, flags_off, 64, proto, 0, src, dst)
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload


def eth(ip):
    return b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00" + ip


def write(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            us = i
            f.write(struct.pack("<IIII", T0 + us // 1_000_000, us % 1_000_000, len(fr), len(fr)))
            f.write(fr)


def syns(n):
    dst = bytes([10, 9, 0, 1])
    for i in range(n):
        src = bytes([10, 8, (i >> 16) & 0xFF, (i >> 8) & 0xFF])
        sport = 1024 + (i & 0xFF) * 200 + (i >> 24)
        tcp = struct.pack("!HHIIBBHHH", sport, 80, i, 0, 5 << 4, 0x02, 64240, 0, 0)
        yield eth(ipv4(src, dst, 6, tcp, i))


def trains(n):
    dst = bytes([10, 9, 0, 2])
    body = struct.pack("!HHHH", 40000, 7000, 8 + 64, 0) + b"F" * 64
    for i in range(n):
        src = bytes([10, 7, (i >> 8) & 0xFF, i & 0xFF])
        # First fragment of a 72-byte datagram: 24 bytes, MF set.
        yield eth(ipv4(src, dst, 17, body[:24], i, 0x2000))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("outdir")
    p.add_argument("--syns", type=int, default=1_000_000)
    p.add_argument("--trains", type=int, default=100_000)
    a = p.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    write(os.path.join(a.outdir, "syn-flood.pcap"), syns(a.syns))
    write(os.path.join(a.outdir, "frag-flood.pcap"), trains(a.trains))


if __name__ == "__main__":
    main()
