#!/usr/bin/env python3
"""Build the keyword fixtures and record Suricata's verdict on them.

Usage (from anywhere; Python 3 standard library and suricata 7.0.10):

    python3 tests/keywords/make.py            # writes fixtures/keywords/
    python3 tests/keywords/make.py --keep DIR # also keeps Suricata's output per case in DIR

For every case of tests/keywords/cases.py this writes one pcap,
fixtures/keywords/<case>.pcap; all the cases' rules go to
fixtures/keywords/keywords.rules and the parse-only rules to
fixtures/keywords/parse.rules. It then runs Suricata once per pcap with the
case's own rules loaded (its lines of keywords.rules) and keeps, per packet,
which sids alerted, and runs Suricata
once more in test mode (-T) on parse.rules to learn which of those rules it
accepts. Everything goes to fixtures/keywords/expected.json.

Captures are deterministic: same input, same bytes. Suricata's exact command
lines are in fixtures/keywords/README.md (written here too).
"""

import argparse
import concurrent.futures
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ next to the sources
import cases as C  # noqa: E402

OUT = os.path.join(ROOT, "fixtures", "keywords")
YAML = "fixtures/expected/suricata-ref.yaml"
SURICATA_VERSION = "7.0.10"
PARSE_SID_BASE = 100001

T0 = 1704067200  # 2024-01-01T00:00:00Z
STEP = 0.001     # default spacing between packets, seconds

CLIENT_MAC = bytes.fromhex("02420a000001")
SERVER_MAC = bytes.fromhex("02420a000002")


# ---------------------------------------------------------------------------
# packet encoding

def ip4(s):
    return bytes(int(x) for x in s.split("."))


def csum(data):
    if len(data) % 2:
        data += b"\x00"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return (~total) & 0xFFFF


def pseudo(src, dst, proto, length):
    return src + dst + struct.pack("!BBH", 0, proto, length)


def ipv4(src, dst, proto, payload, ident, ttl=64, tos=0, df=False, mf=False, rb=False, frag=0):
    flags = (0x8000 if rb else 0) | (0x4000 if df else 0) | (0x2000 if mf else 0) | (frag & 0x1FFF)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, tos, 20 + len(payload), ident, flags, ttl, proto,
                      0, src, dst)
    return hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:] + payload


def encode(p, index):
    """Ethernet frame bytes of packet description `p` (see cases.py)."""
    src, dst = ip4(p["src"]), ip4(p["dst"])
    ipopts = dict(p["ip"])
    ident = ipopts.pop("ident", 0x1000 + index)
    if p["l4"] == "udp":
        proto = 17
        length = 8 + len(p["payload"])
        d = struct.pack("!HHHH", p["sport"], p["dport"], length, 0) + p["payload"]
        c = csum(pseudo(src, dst, 17, length) + d) or 0xFFFF
        l4 = d[:6] + struct.pack("!H", c) + d[8:]
    elif p["l4"] == "tcp":
        proto = 6
        d = struct.pack("!HHIIBBHHH", p["sport"], p["dport"], p["seq"] & 0xFFFFFFFF,
                        p["ack"] & 0xFFFFFFFF, 5 << 4, p["flags"], p["window"], 0, 0)
        d += p["payload"]
        c = csum(pseudo(src, dst, 6, len(d)) + d)
        l4 = d[:16] + struct.pack("!H", c) + d[18:]
    elif p["l4"] == "icmp":
        proto = 1
        rest = p["rest"] if p["rest"] is not None else struct.pack("!HH", p["ident"], p["seq"])
        d = struct.pack("!BBH", p["itype"], p["code"], 0) + rest + p["payload"]
        l4 = d[:2] + struct.pack("!H", csum(d)) + d[4:]
    elif p["l4"] == "raw":
        proto = p["proto"]
        l4 = p["payload"]
    else:
        raise ValueError(p["l4"])
    l3 = ipv4(src, dst, proto, l4, ident, **ipopts)
    if p["src"] == C.SERVER:
        macs = CLIENT_MAC + SERVER_MAC
    else:
        macs = SERVER_MAC + CLIENT_MAC
    return macs + b"\x08\x00" + l3


def pcap_bytes(packets):
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    for i, p in enumerate(packets):
        frame = encode(p, i)
        t = p["t"] if p["t"] is not None else i * STEP
        us_total = round(t * 1_000_000)
        out += struct.pack("<IIII", T0 + us_total // 1_000_000, us_total % 1_000_000,
                           len(frame), len(frame))
        out += frame
    return out


def escape(b):
    out = []
    for x in b:
        if x == 0x5C:
            out.append("\\\\")
        elif 0x20 <= x < 0x7F:
            out.append(chr(x))
        else:
            out.append("\\x%02x" % x)
    return "".join(out)


def host(addr):
    return {C.CLIENT: "client", C.SERVER: "server"}.get(addr, addr)


def describe(p):
    """One short line naming the packet for reports: ports only when it goes
    from the client (10.0.0.1) to the server (10.0.0.2), else addresses too."""
    src, dst = host(p["src"]), host(p["dst"])
    if p["l4"] in ("udp", "tcp") and (src, dst) == ("client", "server"):
        where = "%s %d->%d" % (p["l4"], p["sport"], p["dport"])
    elif p["l4"] in ("udp", "tcp"):
        where = "%s %s:%d->%s:%d" % (p["l4"], src, p["sport"], dst, p["dport"])
    elif p["l4"] == "icmp":
        where = "icmp %s -> %s type %d code %d" % (src, dst, p["itype"], p["code"])
    else:
        where = "ip proto %d %s -> %s" % (p["proto"], src, dst)
    if p["l4"] == "tcp":
        names = [n for n, bit in (("FIN", C.FIN), ("SYN", C.SYN), ("RST", C.RST), ("PSH", C.PSH),
                                  ("ACK", C.ACK), ("URG", C.URG), ("ECE", C.ECE), ("CWR", C.CWR))
                 if p["flags"] & bit]
        where += " [%s]" % ",".join(names or ["none"])
    extra = ", ".join("%s=%s" % kv for kv in sorted(p["ip"].items()))
    if extra:
        where += " (%s)" % extra
    return where


# ---------------------------------------------------------------------------
# rules

def rule_text(header, opts, sid, name):
    o = opts.strip()
    if not o.endswith(";"):
        o += ";"
    parts = []
    if "msg:" not in o:
        parts.append('msg:"kw %s";' % name)
    parts.append(o)
    parts.append("sid:%d;" % sid)
    if not re.search(r"(^|[ ;])rev:", o):
        parts.append("rev:1;")
    return "%s (%s)" % (header, " ".join(parts))


def assign_rules():
    sid = 0
    for case in C.CASES:
        case["rule_list"] = []
        for header, opts in case["rules"]:
            sid += 1
            case["rule_list"].append(dict(sid=sid, text=rule_text(header, opts, sid, case["name"])))
    for i, p in enumerate(C.PARSE):
        p["sid"] = PARSE_SID_BASE + i
        p["text"] = rule_text(p["header"], p["options"], p["sid"], "parse " + p["name"])


# ---------------------------------------------------------------------------
# Suricata

def suricata_cmd(rules, logdir, pcap=None, test=False):
    cmd = ["suricata", "-c", YAML, "-k", "none", "--runmode", "single", "-S", rules, "-l", logdir,
           "--set", "classification-file=rules/classification.config",
           "--set", "reference-config-file=rules/reference.config"]
    if test:
        cmd.insert(1, "-T")
    else:
        cmd += ["-r", pcap]
    return cmd


def run_case(case, keep):
    """Suricata on the case's pcap with only the case's rules loaded: with all
    rules at once, Suricata's packet-alert-max (15) would drop alerts of
    unrelated cases' rules that match the same packet."""
    logdir = tempfile.mkdtemp(prefix="kw-")
    try:
        rules = os.path.join(logdir, "case.rules")
        with open(rules, "w") as f:
            for r in case["rule_list"]:
                f.write(r["text"] + "\n")
        cmd = suricata_cmd(rules, logdir, "fixtures/keywords/%s.pcap" % case["name"])
        res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True,
                             env=dict(os.environ, TZ="UTC"))
        console = res.stdout + res.stderr
        if res.returncode != 0 or "error parsing signature" in console:
            raise SystemExit("suricata failed on %s:\n%s" % (case["name"], console))
        alerts = []
        with open(os.path.join(logdir, "eve.json")) as f:
            for line in f:
                ev = json.loads(line)
                if ev.get("event_type") == "alert":
                    alerts.append(ev)
        if keep:
            dst = os.path.join(keep, case["name"])
            shutil.rmtree(dst, ignore_errors=True)
            shutil.copytree(logdir, dst)
            with open(os.path.join(dst, "console.txt"), "w") as f:
                f.write(console)
        return alerts, console
    finally:
        shutil.rmtree(logdir, ignore_errors=True)


def parse_verdicts():
    """Runs suricata -T on parse.rules; returns {line: [error messages]}."""
    logdir = tempfile.mkdtemp(prefix="kw-parse-")
    try:
        cmd = suricata_cmd("fixtures/keywords/parse.rules", logdir, test=True)
        res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        console = res.stdout + res.stderr
    finally:
        shutil.rmtree(logdir, ignore_errors=True)
    errors, pending = {}, []
    for line in console.splitlines():
        m = re.search(r'error parsing signature ".*" from file \S+ at line (\d+)$', line)
        if m:
            errors[int(m.group(1))] = pending
            pending = []
        elif line.startswith("E: "):
            pending.append(line[3:].strip())
    return errors, console


def suricata_version():
    out = subprocess.run(["suricata", "-V"], capture_output=True, text=True).stdout
    m = re.search(r"version (\S+)", out)
    return m.group(1) if m else out.strip()


# ---------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--keep", help="keep Suricata's output per case in this directory")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    args = ap.parse_args()
    version = suricata_version()
    if version != SURICATA_VERSION:
        raise SystemExit("need Suricata %s, found %s" % (SURICATA_VERSION, version))

    assign_rules()
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        if f.endswith(".pcap"):
            os.remove(os.path.join(OUT, f))
    with open(os.path.join(OUT, "keywords.rules"), "w") as f:
        f.write("# Generated by tests/keywords/make.py from tests/keywords/cases.py; "
                "do not edit.\n")
        for case in C.CASES:
            f.write("# %s\n" % case["name"])
            for r in case["rule_list"]:
                f.write(r["text"] + "\n")
    with open(os.path.join(OUT, "parse.rules"), "w") as f:
        for p in C.PARSE:
            f.write(p["text"] + "\n")
    total = 0
    for case in C.CASES:
        data = pcap_bytes(case["packets"])
        total += len(data)
        with open(os.path.join(OUT, case["name"] + ".pcap"), "wb") as f:
            f.write(data)

    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as ex:
        results = list(ex.map(lambda c: run_case(c, args.keep), C.CASES))

    out_cases = []
    for case, (alerts, _console) in zip(C.CASES, results):
        sids = {r["sid"] for r in case["rule_list"]}
        per_packet = {}
        objects = []
        for ev in alerts:
            sid = ev["alert"]["signature_id"]
            if sid not in sids:
                continue
            n = ev.get("pcap_cnt")
            per_packet.setdefault(n, []).append(sid)
            if case["group"] == "meta":
                objects.append(dict(pcap_cnt=n, alert=ev["alert"]))
        packets = []
        for i, p in enumerate(case["packets"]):
            packet = dict(what=describe(p), payload=escape(p["payload"]),
                          alerts=sorted(per_packet.pop(i + 1, [])))
            if p["label"]:
                packet["label"] = p["label"]
            packets.append(packet)
        # Alerts on pseudo packets at flow end have no pcap_cnt.
        other = sorted(s for n, v in per_packet.items() for s in v)
        entry = dict(name=case["name"], group=case["group"])
        if case["note"]:
            entry["note"] = case["note"]
        entry.update(pcap=case["name"] + ".pcap", sids=[r["sid"] for r in case["rule_list"]],
                     packets=packets)
        if other:
            entry["alerts_without_packet"] = other
        if objects:
            entry["alert_objects"] = objects
        out_cases.append(entry)

    errors, parse_console = parse_verdicts()
    out_parse = []
    for i, p in enumerate(C.PARSE):
        errs = errors.get(i + 1)
        out_parse.append(dict(name=p["name"], sid=p["sid"], rule=p["text"],
                              suricata_loads=errs is None, suricata_errors=errs or []))
    if "error parsing signature" in parse_console and not errors:
        raise SystemExit("could not attribute Suricata's parse errors:\n" + parse_console)

    doc = dict(
        generator="tests/keywords/make.py",
        suricata_version=version,
        command=" ".join(suricata_cmd("CASE.rules", "LOGDIR", "fixtures/keywords/CASE.pcap")),
        parse_command=" ".join(suricata_cmd("fixtures/keywords/parse.rules", "LOGDIR", test=True)),
        cases=out_cases,
        parse=out_parse,
    )
    shared = os.path.join(ROOT, "..", "shared", "rules", "KEYWORDS.md")
    if os.path.exists(shared):
        shutil.copyfile(shared, os.path.join(OUT, "KEYWORDS.md"))
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        f.write(dump(doc))
    write_readme(doc, total)

    fired = sum(1 for c in out_cases for p in c["packets"] if p["alerts"])
    npk = sum(len(c["packets"]) for c in out_cases)
    print("%d cases, %d packets (%d with alerts), %d parse cases (%d rejected); pcaps %d bytes"
          % (len(out_cases), npk, fired, len(out_parse),
             sum(1 for p in out_parse if not p["suricata_loads"]), total))


def dump(doc):
    """JSON with one line per case field, packet and parse case: small, and
    diffs stay readable."""
    def one(v):
        return json.dumps(v, separators=(",", ":"), ensure_ascii=True)

    out = ["{"]
    for k in ("generator", "suricata_version", "command", "parse_command"):
        out.append(" %s:%s," % (one(k), one(doc[k])))
    out.append(' "cases":[')
    for i, c in enumerate(doc["cases"]):
        out.append("  {")
        fields = [k for k in c if k != "packets"]
        for k in fields:
            out.append("   %s:%s," % (one(k), one(c[k])))
        out.append('   "packets":[')
        for j, p in enumerate(c["packets"]):
            out.append("    " + one(p) + ("," if j + 1 < len(c["packets"]) else ""))
        out.append("   ]")
        out.append("  }" + ("," if i + 1 < len(doc["cases"]) else ""))
    out.append(" ],")
    out.append(' "parse":[')
    for i, p in enumerate(doc["parse"]):
        out.append("  " + one(p) + ("," if i + 1 < len(doc["parse"]) else ""))
    out.append(" ]")
    out.append("}")
    return "\n".join(out) + "\n"


def write_readme(doc, total):
    groups = {}
    for c in doc["cases"]:
        groups.setdefault(c["group"], []).append(c["name"])
    lines = [
        "# Keyword fixtures: mirador against Suricata, keyword by keyword",
        "",
        "Generated; do not edit by hand. Source of truth: `tests/keywords/cases.py`",
        "(the table), built by `tests/keywords/make.py`, checked by",
        "`tests/keywords_vs_suricata.rs`. CI needs no Suricata: the pcaps and",
        "Suricata's verdicts are committed here.",
        "",
        "Regenerate (needs Suricata %s and Python 3; run from anywhere):" % doc["suricata_version"],
        "",
        "    python3 tests/keywords/make.py",
        "",
        "Files:",
        "",
        "- `<case>.pcap`: one capture per case (Ethernet, IPv4, client 10.0.0.1,",
        "  server 10.0.0.2; first packet at 2024-01-01T00:00:00Z, then 1 ms apart",
        "  unless the case times its packets; all checksums correct). %d files, %d bytes."
        % (len(doc["cases"]), total),
        "- `keywords.rules`: every case's rules (sids 1..%d)."
        % max(s for c in doc["cases"] for s in c["sids"]),
        "- `parse.rules`: rules that are only loaded, never matched (sids from %d)."
        % PARSE_SID_BASE,
        "- `expected.json`: Suricata's verdicts. Per case: its sids (rules in",
        "  `keywords.rules`) and, per packet in capture order (packet i is Suricata's",
        "  `pcap_cnt` i), the sids that alerted on it; `alerts_without_packet` holds",
        "  alerts on Suricata's end-of-flow pseudo packets, which have no `pcap_cnt`.",
        "  Per parse rule: whether `suricata -T` accepts it, and its error lines.",
        "- `KEYWORDS.md`: a copy of `../shared/rules/KEYWORDS.md` (the ET Open keyword",
        "  statistics); the coverage test reads the keyword table from it.",
        "",
        "Suricata %s, run once per case with only that case's rules loaded" % doc["suricata_version"],
        "(`CASE.rules`: the case's lines of `keywords.rules`; with every rule loaded,",
        "Suricata's `packet-alert-max` of 15 alerts per packet would drop alerts of",
        "rules that match many packets, such as `ip_proto:!6`):",
        "",
        "    TZ=UTC " + doc["command"],
        "",
        "and once for the parse rules:",
        "",
        "    " + doc["parse_command"],
        "",
        "`fixtures/expected/suricata-ref.yaml` is Suricata's stock configuration (it",
        "includes /etc/suricata/suricata.yaml) with EVE alerts only.",
        "",
        "Cases per group:",
        "",
        "| group | cases |",
        "|---|---|",
    ]
    for g, names in groups.items():
        lines.append("| %s | %s |" % (g, ", ".join(names)))
    lines.append("")
    with open(os.path.join(OUT, "README.md"), "w") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    main()
