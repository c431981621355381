#!/usr/bin/env python3
"""Writes seed corpora for the fuzz targets under fuzz/corpus/<target>/
(git-ignored) from the repository's fixtures and rules.

    python3 fuzz/make_seeds.py            # from the repository root or fuzz/

Input formats are described in fuzz/src/harness.rs:
- decode:   one captured frame per file (first frames of every fixture pcap);
- rules:    a few rules per file (rules/mirador.rules, the defrag fixtures'
            rules and a few hundred ET Open 2020 rules from ../shared);
- applayer: [parser][ctrl len16 data]... built from the TCP/UDP payloads of
            the fixtures on ports 80, 53, 443 and 22;
- pipeline: [flags][step len16 frame]... from the first packets of every
            fixture;
- pcap:     small capture files (fixtures up to 16 KiB, the others cut to
            their first packets).
"""

import hashlib
import os
import struct
import sys
from pathlib import Path

FUZZ = Path(__file__).resolve().parent
ROOT = FUZZ.parent
SHARED = ROOT.parent / "shared"
CORPUS = FUZZ / "corpus"

# Link types in the order fuzz/src/harness.rs LINKTYPES lists them.
LINKTYPES = [1, 101, 0, 108, 113, 228, 229, 276]
MAX_PACKETS = 24
MAX_SEED = 16 * 1024


def write(target, data):
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    (d / name).write_bytes(data)


def read_pcap(data):
    """(linktype, [(ts_us, frame)]) of a classic pcap, or None."""
    if len(data) < 24:
        return None
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        return None
    nanos = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    linktype = struct.unpack(e + "I", data[20:24])[0] & 0x0FFFFFFF
    out, at = [], 24
    while at + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack(e + "IIII", data[at:at + 16])
        frame = data[at + 16:at + 16 + incl]
        out.append((sec * 1_000_000 + (frac // 1000 if nanos else frac), frame, data[at:at + 16 + incl]))
        at += 16 + incl
    return linktype, out


def transport(linktype, frame):
    """(proto, sport, dport, payload) of a plain IPv4/IPv6 TCP/UDP frame."""
    at = {1: 14, 101: 0, 113: 16, 276: 20, 0: 4}.get(linktype)
    if at is None or len(frame) < at + 20:
        return None
    if linktype == 1:
        etype = struct.unpack(">H", frame[12:14])[0]
        while etype == 0x8100 and len(frame) >= at + 4:
            etype = struct.unpack(">H", frame[at + 2:at + 4])[0]
            at += 4
    v = frame[at] >> 4
    if v == 4:
        ihl = (frame[at] & 15) * 4
        total = struct.unpack(">H", frame[at + 2:at + 4])[0]
        proto = frame[at + 9]
        if struct.unpack(">H", frame[at + 6:at + 8])[0] & 0x3FFF:
            return None  # fragment
        l4, end = at + ihl, min(len(frame), at + total)
    elif v == 6 and len(frame) >= at + 40:
        proto = frame[at + 6]
        l4 = at + 40
        end = min(len(frame), l4 + struct.unpack(">H", frame[at + 4:at + 6])[0])
    else:
        return None
    if proto == 6 and end >= l4 + 20:
        sport, dport = struct.unpack(">HH", frame[l4:l4 + 4])
        off = (frame[l4 + 12] >> 4) * 4
        return "tcp", sport, dport, frame[l4 + off:end]
    if proto == 17 and end >= l4 + 8:
        sport, dport = struct.unpack(">HH", frame[l4:l4 + 4])
        return "udp", sport, dport, frame[l4 + 8:end]
    return None


def pcaps():
    dirs = [ROOT / "fixtures", ROOT / "fixtures" / "keywords", ROOT / "fixtures" / "defrag"]
    for d in dirs:
        for p in sorted(d.glob("*.pcap*")):
            yield p


def rule_seeds():
    texts = []
    for p in [ROOT / "rules" / "mirador.rules", ROOT / "fixtures" / "defrag" / "defrag.rules"]:
        texts += [l for l in p.read_text().splitlines() if l.strip() and not l.startswith("#")]
    et = SHARED / "rules" / "etopen-2020"
    if et.is_dir():
        # A few hundred rules: every 8th rule of a dozen files, for variety.
        for name in ["emerging-web_server.rules", "emerging-dns.rules", "emerging-trojan.rules",
                     "emerging-exploit.rules", "emerging-policy.rules", "emerging-current_events.rules",
                     "emerging-info.rules", "emerging-malware.rules", "emerging-scan.rules",
                     "emerging-web_client.rules", "emerging-user_agents.rules", "emerging-icmp.rules"]:
            p = et / name
            if not p.exists():
                continue
            lines = [l for l in p.read_text(errors="replace").splitlines() if l.startswith(("alert", "#alert"))]
            texts += [l.lstrip("#") for l in lines[::8][:40]]
    for i in range(0, len(texts), 2):
        write("rules", "\n".join(texts[i:i + 2]).encode())


def main():
    os.chdir(ROOT)
    rule_seeds()
    # (server port, transport, parser selector of the applayer target)
    parsers = [(80, "tcp", 0), (53, "udp", 1), (53, "tcp", 2), (443, "tcp", 3), (22, "tcp", 4)]
    for p in pcaps():
        data = p.read_bytes()
        if data[:4] == b"\x0a\x0d\x0d\x0a":
            write("pcap", data[:MAX_SEED])  # pcapng: cut (a truncated file is a seed too)
            continue
        parsed = read_pcap(data)
        if parsed is None:
            continue
        linktype, pkts = parsed
        # pcap: the file's header and first packets.
        keep, size = data[:24], 24
        for _, _, raw in pkts[:MAX_PACKETS]:
            if size + len(raw) > MAX_SEED:
                break
            keep += raw
            size += len(raw)
        write("pcap", keep)
        # decode: a few frames, prefixed for the selected-link-type pass.
        sel = bytes([LINKTYPES.index(linktype)]) if linktype in LINKTYPES else b"\x00"
        for _, frame, _ in pkts[:4]:
            write("decode", frame)
            write("decode", sel + frame)
        # pipeline: flags (link type) then the first packets.
        if linktype in LINKTYPES:
            seed = bytearray([LINKTYPES.index(linktype)])
            prev = pkts[0][0] if pkts else 0
            for ts, frame, _ in pkts[:MAX_PACKETS]:
                step = max(0, min(255, (ts - prev) // 100_000))
                prev = ts
                seed += bytes([step]) + struct.pack(">H", len(frame)) + frame
            write("pipeline", bytes(seed[:MAX_SEED]))
        # applayer: payloads of known ports, per parser.
        streams = {}
        for _, frame, _ in pkts:
            t = transport(linktype, frame)
            if t is None or not t[3]:
                continue
            proto, sport, dport, payload = t
            for port, want, sel_parser in parsers:
                if proto == want and port in (sport, dport):
                    ctrl = 0 if dport == port else 1
                    streams.setdefault(sel_parser, bytearray([sel_parser]))
                    s = streams[sel_parser]
                    if len(s) + 3 + len(payload) <= MAX_SEED:
                        s += bytes([ctrl]) + struct.pack(">H", len(payload)) + payload
        for sel_parser, s in streams.items():
            write("applayer", bytes(s))
    for t in ["decode", "rules", "applayer", "pipeline", "pcap"]:
        n = len(list((CORPUS / t).glob("*"))) if (CORPUS / t).is_dir() else 0
        print(f"{t}: {n} seeds", file=sys.stderr)


if __name__ == "__main__":
    main()
