#!/usr/bin/env python3
"""Regenerate the TLS test data and the lab captures used to check mirador's
DNS and TLS parsers against Suricata 7.

Usage (from the repository root):
    python3 engine/src/applayer/tls/testdata/make_testdata.py [--certs] [--bins] [PCAP_DIR]

  --certs    new CA + leaf certificate with the openssl CLI (new keys, dates
             and fingerprints: the expected values in the Rust tests change)
  --bins     new tls12-*/tls13-* handshakes (Python ssl = OpenSSL, in memory;
             new randoms and keys, same JA3/JA4 for the same OpenSSL build);
             needs --certs in the same run, private keys are deleted after
  PCAP_DIR   where to write lab captures (dns.pcap, tls.pcap, tls-edge-*.pcap)
             for `suricata -r`; not committed.

chrome-hello.bin is always rewritten (its bytes are fixed). The script prints
JA3/JA4 computed here, independently of mirador (hashlib), which is where the
expected values in fingerprint.rs/state.rs/eve.rs come from; Suricata 7.0.10
gave the same values for the lab captures (ja3-fingerprints: yes, ja4: on).
Python 3 standard library + the openssl CLI only.
"""
import hashlib
import os
import ssl
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "..", "..", "fixtures"))
import make_fixtures as mf  # noqa: E402  (pcap/TCP helpers)

GREASE = {0x0a0a + 0x1010 * i for i in range(16)}


# ---------------------------------------------------------------- encoding
def u8(n): return struct.pack("!B", n)
def u16(n): return struct.pack("!H", n)
def u24(n): return struct.pack("!I", n)[1:]
def v8(b): return u8(len(b)) + b
def v16(b): return u16(len(b)) + b
def ext(t, body): return u16(t) + v16(body)
def sni_ext(name): return ext(0, v16(u8(0) + v16(name.encode())))
def alpn_ext(protos): return ext(16, v16(b"".join(v8(p) for p in protos)))
def record(ctype, version, payload): return u8(ctype) + u16(version) + v16(payload)


def client_hello(version=0x0303, ciphers=(), exts=(), session_id=b""):
    body = (u16(version) + bytes(range(32)) + v8(session_id)
            + v16(b"".join(u16(c) for c in ciphers)) + v8(b"\x00") + v16(b"".join(exts)))
    return u8(1) + u24(len(body)) + body


def chrome():
    """Chrome-like hello (GREASE in ciphers, extensions, groups, key_share,
    supported_versions; padded to 512 bytes) that reproduces FoxIO's published
    Chrome JA4, t13d1516h2_8daaf6152771_e5627efa2ab1."""
    ciphers = [0x0a0a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8,
               0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035]
    exts = [
        ext(0x1a1a, b""), sni_ext("www.mirador.example"), ext(0x0017, b""), ext(0xff01, b"\x00"),
        ext(0x000a, v16(b"".join(u16(g) for g in (0x2a2a, 0x001d, 0x0017, 0x0018)))),
        ext(0x000b, v8(b"\x00")), ext(0x0023, b""), alpn_ext([b"h2", b"http/1.1"]),
        ext(0x0005, b"\x01\x00\x00\x00\x00"),
        ext(0x000d, v16(b"".join(u16(s) for s in (0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601)))),
        ext(0x0012, b""),
        ext(0x0033, v16(u16(0x3a3a) + v16(b"\x00") + u16(0x001d) + v16(bytes(range(0x40, 0x60))))),
        ext(0x002d, v8(b"\x01")), ext(0x002b, v8(b"".join(u16(v) for v in (0x4a4a, 0x0304, 0x0303)))),
        ext(0x001b, v8(u16(0x0002))), ext(0x4469, v16(v8(b"h2"))), ext(0x5a5a, b"\x00"),
    ]
    sid = bytes(range(0xa0, 0xc0))
    pad = 512 - len(client_hello(ciphers=ciphers, exts=exts, session_id=sid)) - 4
    exts.append(ext(0x0015, bytes(max(pad, 0))))
    return client_hello(ciphers=ciphers, exts=exts, session_id=sid)


SV13 = ext(0x2b, v8(u16(0x0304)))
# Edge cases where Suricata 7.0.10's JA4 and the FoxIO spec differ (fingerprint.rs).
EDGE = {
    "no-sni-alpn-sigalgs": client_hello(ciphers=[0xc02f, 0x009c, 0x002f],
                                        exts=[ext(11, v8(b"\x00\x01\x02")), ext(10, v16(u16(0x17)))]),
    "no-ciphers": client_hello(ciphers=[], exts=[SV13]),
    "sv-below-legacy": client_hello(ciphers=[0x002f], exts=[ext(0x2b, v8(u16(0x0302)))]),
    "sslv3-no-ext": client_hello(version=0x0300, ciphers=[0x002f]),
    "alpn-single-char": client_hello(ciphers=[0x1301], exts=[sni_ext("a.example"), alpn_ext([b"x"]), SV13]),
    "alpn-bang": client_hello(ciphers=[0x1301], exts=[alpn_ext([b"h!"])]),
    "alpn-grease": client_hello(ciphers=[0x1301], exts=[alpn_ext([b"\x0a\x0a", b"h2"])]),
    "sigalgs-grease": client_hello(ciphers=[0x1301], exts=[ext(13, v16(u16(0x0a0a) + u16(0x0403)))]),
}


# ------------------------------------------------- independent fingerprints
def parse_hello(hs):
    b = hs[4:]
    ver = struct.unpack("!H", b[:2])[0]
    p = 34 + 1 + b[34]
    cl = struct.unpack("!H", b[p:p + 2])[0]
    ciphers = [struct.unpack("!H", b[p + 2 + i:p + 4 + i])[0] for i in range(0, cl, 2)]
    p += 2 + cl
    p += 1 + b[p]
    exts = []
    if p < len(b):
        end = p + 2 + struct.unpack("!H", b[p:p + 2])[0]
        p += 2
        while p < end:
            t, n = struct.unpack("!HH", b[p:p + 4])
            exts.append((t, b[p + 4:p + 4 + n]))
            p += 4 + n
    return ver, ciphers, exts


def ja3(hs):
    ver, ciphers, exts = parse_hello(hs)
    curves, pf = [], []
    for t, d in exts:
        if t == 10:
            curves = [struct.unpack("!H", d[2 + i:4 + i])[0] for i in range(0, struct.unpack("!H", d[:2])[0], 2)]
        if t == 11:
            pf = list(d[1:1 + d[0]])
    f = lambda xs: "-".join(str(x) for x in xs if x not in GREASE)
    s = "%d,%s,%s,%s,%s" % (ver, f(ciphers), f([t for t, _ in exts]), f(curves), "-".join(map(str, pf)))
    return s, hashlib.md5(s.encode()).hexdigest()


def ja4(hs, suricata=True):
    """JA4; suricata=True reproduces Suricata 7.0.10, False the FoxIO spec."""
    ver, ciphers, exts = parse_hello(hs)
    names = {0x0304: "13", 0x0303: "12", 0x0302: "11", 0x0301: "10", 0x0300: "s3"}
    sv, sigs, alpn = [], [], None
    for t, d in exts:
        if t == 0x2b:
            sv = [x for x in (struct.unpack("!H", d[1 + i:3 + i])[0] for i in range(0, d[0], 2)) if x not in GREASE]
        if t == 13:
            sigs = [x for x in (struct.unpack("!H", d[2 + i:4 + i])[0]
                                for i in range(0, struct.unpack("!H", d[:2])[0], 2)) if x not in GREASE]
        if t == 16:
            alpn = d[3:3 + d[2]]
    v = max(sv + [ver]) if suricata else (max(sv) if sv else ver)
    c = [x for x in ciphers if x not in GREASE]
    e = [t for t, _ in exts if t not in GREASE]
    if not alpn or (len(alpn) == 2 and (alpn[0] << 8 | alpn[1]) in GREASE):
        al = "00"
    elif chr(alpn[0]).isalnum() and chr(alpn[-1]).isalnum() and alpn[0] < 128 and alpn[-1] < 128:
        al = chr(alpn[0]) + chr(alpn[-1])
    else:
        al = "%02x" % alpn[0] + "%02x" % alpn[-1]
        al = al[0] + al[-1]
    a = "t%s%s%02d%02d%s" % (names.get(v, "00"), "d" if 0 in e else "i", min(len(c), 99), min(len(e), 99), al)
    sha = lambda s: hashlib.sha256(s.encode()).hexdigest()[:12]
    cs = ",".join("%04x" % x for x in sorted(c))
    b = sha(cs) if c or suricata else "000000000000"
    es = ",".join("%04x" % x for x in sorted(x for x in e if x not in (0, 16)))
    ss = ",".join("%04x" % x for x in sigs)
    if suricata:
        cc = sha(es + "_" + ss)
    else:
        cc = "000000000000" if not es else sha(es + ("_" + ss if ss else ""))
    return "%s_%s_%s" % (a, b, cc)


# ------------------------------------------------------------ certificates
def make_certs():
    run = lambda *a: subprocess.run(a, cwd=HERE, check=True, capture_output=True)
    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    run("openssl", "req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "7300",
        "-subj", "/C=US/O=Mirador Test CA/CN=Mirador Test Root", "-set_serial", "0x01")
    run("openssl", "req", *ec, "-keyout", "leaf.key", "-out", "leaf.csr",
        "-subj", "/C=US/ST=Oregon/O=Mirador Test/CN=test.mirador.example")
    with open(os.path.join(HERE, "ext.cnf"), "w") as f:
        f.write("subjectAltName=DNS:test.mirador.example,DNS:www.mirador.example\n")
    run("openssl", "x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-set_serial", "0x00a1b2c3d4e5f60718", "-days", "3650", "-extfile", "ext.cnf", "-out", "leaf.pem")
    for n in ("leaf", "ca"):
        run("openssl", "x509", "-in", n + ".pem", "-outform", "DER", "-out", n + ".der")
    os.remove(os.path.join(HERE, "leaf.csr"))
    os.remove(os.path.join(HERE, "ext.cnf"))


def remove_keys():
    """Keys and PEM files are not committed: --bins needs --certs in the same run."""
    for n in ("ca.key", "leaf.key", "ca.pem", "leaf.pem"):
        if os.path.exists(os.path.join(HERE, n)):
            os.remove(os.path.join(HERE, n))


def handshake(maxver):
    """A full handshake plus one request/response, in memory; returns the
    flights as (from_client, bytes)."""
    sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    chain = os.path.join(HERE, "chain.pem")
    with open(chain, "w") as f:
        f.write(open(os.path.join(HERE, "leaf.pem")).read() + open(os.path.join(HERE, "ca.pem")).read())
    sctx.load_cert_chain(chain, os.path.join(HERE, "leaf.key"))
    os.remove(chain)
    cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    cctx.check_hostname, cctx.verify_mode = False, ssl.CERT_NONE
    for ctx in (sctx, cctx):
        ctx.maximum_version = maxver
        ctx.set_alpn_protocols(["h2", "http/1.1"])
    c_in, c_out, s_in, s_out = (ssl.MemoryBIO() for _ in range(4))
    c = cctx.wrap_bio(c_in, c_out, server_side=False, server_hostname="test.mirador.example")
    s = sctx.wrap_bio(s_in, s_out, server_side=True)
    flights, done = [], [False, False]
    for _ in range(20):
        for i, (end, out, peer) in enumerate(((c, c_out, s_in), (s, s_out, c_in))):
            if not done[i]:
                try:
                    end.do_handshake()
                    done[i] = True
                except ssl.SSLWantReadError:
                    pass
            d = out.read()
            if d:
                flights.append((i == 0, d))
                peer.write(d)
        if all(done) and not c_out.pending and not s_out.pending:
            break
    c.write(b"GET / HTTP/1.1\r\nHost: test.mirador.example\r\n\r\n")
    d = c_out.read(); flights.append((True, d)); s_in.write(d)
    try:
        s.read(1000)
    except ssl.SSLWantReadError:
        pass
    s.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    flights.append((False, s_out.read()))
    return flights


# -------------------------------------------------------------------- pcaps
CM, SM = mf.mac("02:00:00:00:00:01"), mf.mac("02:00:00:00:00:02")


def tcp_session(cip, sip, cport, sport, flights, mss=1448):
    client, server = mf.IPv4Host(cip), mf.IPv4Host(sip)

    def mk(fc, seg):
        if fc:
            return mf.Packet(client.packet(server.addr, mf.IPPROTO_TCP, seg), mf.ETH_IPV4, CM, SM)
        return mf.Packet(server.packet(client.addr, mf.IPPROTO_TCP, seg), mf.ETH_IPV4, SM, CM)
    c = mf.TcpConversation(mk, client.addr, server.addr, cport, sport, 1000, 5000)
    A = mf.TCP_ACK
    p = [c.c2s(mf.TCP_SYN, options=mf.MSS_OPTS), c.s2c(mf.TCP_SYN | A, options=mf.MSS_OPTS), c.c2s(A)]
    for fc, data in flights:
        for i in range(0, len(data), mss):
            p.append(c.c2s(mf.TCP_PSH | A, data[i:i + mss]) if fc else c.s2c(mf.TCP_PSH | A, data[i:i + mss]))
            p.append(c.s2c(A) if fc else c.c2s(A))
    return p + [c.c2s(mf.TCP_FIN | A), c.s2c(mf.TCP_FIN | A), c.c2s(A)]


def udp(src, dst, sport, dport, payload):
    s, d = mf.IPv4Host(src), mf.IPv4Host(dst)
    return mf.Packet(s.packet(d.addr, mf.IPPROTO_UDP, mf.udp_datagram(s.addr, d.addr, sport, dport, payload),
                              df=False), mf.ETH_IPV4, CM, SM)


def write_pcap(path, pkts):
    ts = [mf.T0 * 1000000 + i * 1000 for i in range(len(pkts))]
    with open(path, "wb") as f:
        f.write(mf.pcap_bytes(mf.LINKTYPE_ETHERNET, [(t, p.ethernet()) for t, p in zip(ts, pkts)]))


def dname(n):
    return (b"".join(bytes([len(x)]) + x.encode() for x in n.split(".")) if n else b"") + b"\x00"


def dns_messages():
    """The DNS messages the dns/ tests rebuild, as (query, response)."""
    hdr = lambda i, f, qd, an, ns=0: struct.pack("!HHHHHH", i, f, qd, an, ns, 0)
    q = lambda n, t: dname(n) + struct.pack("!HH", t, 1)
    rr = lambda o, t, ttl, rd: o + struct.pack("!HHIH", t, 1, ttl, len(rd)) + rd
    m = []
    qq = q("www.Example.COM", 1)
    m.append((hdr(0x1234, 0x0100, 1, 0) + qq, hdr(0x1234, 0x8180, 1, 3) + qq
              + rr(b"\xc0\x0c", 5, 3600, b"\x07example\xc0\x18") + rr(b"\xc0\x2d", 1, 300, bytes([93, 184, 216, 34]))
              + rr(b"\xc0\x2d", 1, 300, bytes([93, 184, 216, 35]))))
    qq = q("ipv6.example.net", 28)
    m.append((hdr(0x2222, 0x0100, 1, 0) + qq, hdr(0x2222, 0x8180, 1, 1) + qq
              + rr(b"\xc0\x0c", 28, 60, bytes.fromhex("20010db8000000000000000000000001"))))
    qq = q("txt.example.org", 16)
    m.append((hdr(0x3333, 0x0100, 1, 0) + qq,
              hdr(0x3333, 0x8580, 1, 1) + qq + rr(b"\xc0\x0c", 16, 120, b"\x0bv=spf1 -all\x06second")))
    qq = q("nope.example.org", 1)
    soa = b"\x03ns1\xc0\x11\x0ahostmaster\xc0\x11" + struct.pack("!IIIII", 2024010101, 7200, 3600, 1209600, 300)
    m.append((hdr(0x5555, 0x0100, 1, 0) + qq, hdr(0x5555, 0x8183, 1, 0, 1) + qq + rr(b"\xc0\x11", 6, 900, soa)))
    qq = q("example.org", 15)
    m.append((hdr(0x4444, 0x0100, 1, 0) + qq, hdr(0x4444, 0x8180, 1, 6) + qq
              + rr(b"\xc0\x0c", 15, 300, b"\x00\x0a\x04mail\xc0\x0c")
              + rr(b"\xc0\x0c", 33, 86400, b"\x00\x0a\x00\x3c\x13\xc4\x03sip\xc0\x0c")
              + rr(b"\xc0\x0c", 44, 5, b"\x01\x02\xde\xad\xbe\xef") + rr(b"\xc0\x0c", 10, 5, b"VACKD\x03\xc5\xe9\x01")
              + rr(b"\xc0\x0c", 13, 5, b"\x03CPU\x02OS") + rr(b"\xc0\x0c", 1, 5, b"\x01\x02\x03")))
    m.append((hdr(0x0205, 0x0140, 1, 0) + b"\x03a.b\x02\xff\xfe\x07example\x00\x00\x01\x00\x01", None))
    m.append((hdr(0x0106, 0x0100, 1, 0) + q("t64.example", 64), None))
    m.append((hdr(0x0200, 0x0100, 1, 0) + q("noq.example", 1),
              hdr(0x0200, 0x8180, 0, 1) + rr(dname("noq.example"), 1, 5, b"\x01\x02\x03\x04")))
    m.append((hdr(0xaaaa, 0x0100, 2, 0) + q("one.example", 1) + q("two.Example", 28), None))
    return m


def main(argv):
    flags = {a for a in argv if a.startswith("--")}
    args = [a for a in argv if not a.startswith("--")]
    if "--certs" in flags:
        make_certs()
    if "--bins" in flags and not os.path.exists(os.path.join(HERE, "leaf.key")):
        sys.exit("--bins needs --certs in the same run (private keys are not kept)")
    with open(os.path.join(HERE, "chrome-hello.bin"), "wb") as f:
        f.write(record(22, 0x0301, chrome()))
    sessions = {}
    for name, v in (("tls12", ssl.TLSVersion.TLSv1_2), ("tls13", ssl.TLSVersion.TLSv1_3)):
        if "--bins" in flags:
            fl = handshake(v)
            for side, fc in (("client", True), ("server", False)):
                with open(os.path.join(HERE, "%s-%s.bin" % (name, side)), "wb") as f:
                    f.write(b"".join(d for c, d in fl if c == fc))
        c = open(os.path.join(HERE, name + "-client.bin"), "rb").read()
        s = open(os.path.join(HERE, name + "-server.bin"), "rb").read()
        sessions[name] = [(True, c), (False, s)]
        hs = c[5:5 + struct.unpack("!H", c[3:5])[0]]
        print(name, ja3(hs), ja4(hs))
    remove_keys()
    print("chrome", ja3(chrome()), ja4(chrome()), ja4(chrome(), suricata=False))
    for n, hs in EDGE.items():
        print("edge", n, ja4(hs), "foxio", ja4(hs, suricata=False))
    if args:
        out = args[0]
        os.makedirs(out, exist_ok=True)
        pk = tcp_session("10.1.0.1", "10.1.0.2", 40001, 443, sessions["tls12"])
        pk += tcp_session("10.1.0.1", "10.1.0.2", 40002, 443, sessions["tls13"])
        pk += tcp_session("10.1.0.1", "10.1.0.3", 40010, 443, [(True, record(22, 0x0301, chrome()))])
        write_pcap(os.path.join(out, "tls.pcap"), pk)
        for i, (n, hs) in enumerate(EDGE.items()):
            write_pcap(os.path.join(out, "tls-edge-%s.pcap" % n),
                       tcp_session("10.1.0.1", "10.1.0.3", 41000 + i, 443, [(True, record(22, 0x0301, hs))]))
        pk = []
        for i, (qm, rm) in enumerate(dns_messages()):
            pk.append(udp("10.2.0.1", "10.2.0.53", 50000 + i, 53, qm))
            if rm:
                pk.append(udp("10.2.0.53", "10.2.0.1", 53, 50000 + i, rm))
        write_pcap(os.path.join(out, "dns.pcap"), pk)
        print("wrote lab captures to", out)


if __name__ == "__main__":
    main(sys.argv[1:])
