"""The keyword cases: a table of rules and the packets they are tried on.

Python 3 standard library only. `tests/keywords/make.py` turns each case into
one small pcap (fixtures/keywords/<name>.pcap), writes all rules into
fixtures/keywords/keywords.rules, runs Suricata 7.0.10 on every pcap and
records which of the case's sids fired on which packet in
fixtures/keywords/expected.json. `tests/keywords_vs_suricata.rs` replays the
same pcaps through mirador and compares. Nothing here states an expected
result: Suricata is the oracle for every case, subtle or not.

A case is a name, a group, one or more rules (each given as its options; the
msg, sid and rev are added unless given) and the packets. Packets are
descriptions (dicts) built by the helpers below; make.py encodes them.

Layout of every capture: client 10.0.0.1, server 10.0.0.2, Ethernet, IPv4.
UDP cases go to port 7777 (no app-layer parser claims it), one flow per
payload (source port 40001, 40002, ...) unless the case is about a flow
(flowbits, flow, threshold). TCP payload cases use a full handshake and
`dsize:>0;`, which makes Suricata inspect the packet rather than the
reassembled stream (pure payload semantics are tested on UDP).

HTTP cases (http_uri, http_method, http_header, http_client_body,
http_user_agent, http_stat_code, http_host, http_cookie, http_raw_uri,
http_server_body, http_raw_header, http_stat_msg, file_data, urilen,
uricontent, in their legacy content-modifier and sticky-buffer spellings) run
on full TCP sessions to port 80 built by http_sessions(): one session per
exchange list, each request and response one segment ACKed by the peer.
"""

import struct

CLIENT = "10.0.0.1"
SERVER = "10.0.0.2"
UDP_PORT = 7777
FIRST_SPORT = 40001

# TCP flag bits
FIN, SYN, RST, PSH, ACK, URG, ECE, CWR = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80

UDP_ANY = "alert udp any any -> any any"
TCP_ANY = "alert tcp any any -> any any"
IP_ANY = "alert ip any any -> any any"
ICMP_ANY = "alert icmp any any -> any any"


# ---------------------------------------------------------------------------
# packet helpers (descriptions; make.py encodes them)

def udp(payload, sport=FIRST_SPORT, dport=UDP_PORT, src=CLIENT, dst=SERVER, label=None,
        t=None, **ip):
    """One UDP datagram. `ip` may set ttl, tos, ident, df, mf, rb, frag."""
    return dict(l4="udp", src=src, dst=dst, sport=sport, dport=dport, payload=payload,
                ip=ip, label=label, t=t)


def each(*payloads):
    """One UDP datagram per payload, each on a flow of its own."""
    return [udp(p, sport=FIRST_SPORT + i) for i, p in enumerate(payloads)]


def flow(*steps, sport=FIRST_SPORT, dport=UDP_PORT):
    """One UDP flow: steps are ("c", payload) client->server or ("s", payload)."""
    out = []
    for who, payload in steps:
        if who == "c":
            out.append(udp(payload, sport=sport, dport=dport))
        else:
            out.append(udp(payload, sport=dport, dport=sport, src=SERVER, dst=CLIENT))
    return out


def timed(*steps, src=CLIENT):
    """One UDP flow client->server, steps are (seconds since start, payload)."""
    return [udp(p, t=t, src=src) for t, p in steps]


def tcp(flags, sport=FIRST_SPORT, dport=8888, seq=1000, ack=0, window=64240, payload=b"",
        src=CLIENT, dst=SERVER, label=None, **ip):
    """One TCP segment, no session around it."""
    return dict(l4="tcp", src=src, dst=dst, sport=sport, dport=dport, flags=flags, seq=seq,
                ack=ack, window=window, payload=payload, ip=ip, label=label, t=None)


def tcp_session(*steps, dport=8888, sport=FIRST_SPORT, handshake=True, acks=True):
    """A TCP session: SYN, SYN/ACK, ACK, then per step ("c"|"s", data) one
    PSH/ACK segment and (acks=True) the peer's ACK of it. A step
    ("c"|"s", data, FIN) also sets FIN."""
    c_isn, s_isn = 1000000, 5000000
    cseq, sseq = c_isn, s_isn
    out = []

    def seg(who, flags, data=b"", label=None):
        if who == "c":
            return tcp(flags, sport=sport, dport=dport, seq=cseq, ack=sseq if flags & ACK else 0,
                       payload=data, label=label)
        return tcp(flags, sport=dport, dport=sport, seq=sseq, ack=cseq, payload=data,
                   src=SERVER, dst=CLIENT, window=65160, label=label)

    if handshake:
        out.append(seg("c", SYN, label="SYN"))
        cseq += 1
        out.append(seg("s", SYN | ACK, label="SYN/ACK"))
        sseq += 1
        out.append(seg("c", ACK, label="ACK"))
    for who, data, *fin in steps:
        fin = fin[0] if fin else 0
        out.append(seg(who, PSH | ACK | fin, data, label="FIN" if fin else None))
        if who == "c":
            cseq += len(data) + (1 if fin else 0)
        else:
            sseq += len(data) + (1 if fin else 0)
        if acks:
            out.append(seg("s" if who == "c" else "c", ACK, label="ACK of data"))
    return out


def raw_ip(proto, payload=b"", label=None, **ip):
    """An IPv4 packet with an arbitrary protocol number and payload bytes."""
    return dict(l4="raw", proto=proto, src=CLIENT, dst=SERVER, payload=payload, ip=ip,
                label=label, t=None)


def icmp(itype, code=0, ident=0, seq=0, payload=b"", rest=None, label=None):
    """ICMPv4; `rest` overrides the 4 bytes after the checksum (id/seq)."""
    return dict(l4="icmp", src=CLIENT, dst=SERVER, itype=itype, code=code, ident=ident,
                seq=seq, rest=rest, payload=payload, ip={}, label=label, t=None)


def icmp_unreach(code=3):
    """Destination unreachable quoting a UDP datagram 10.0.0.2:7777 -> 10.0.0.1:40001."""
    inner_ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28 + 4, 0x2222, 0, 64, 17, 0,
                           bytes([10, 0, 0, 2]), bytes([10, 0, 0, 1]))
    inner_udp = struct.pack("!HHHH", 7777, 40001, 12, 0)
    return icmp(3, code, rest=b"\x00\x00\x00\x00", payload=inner_ip + inner_udp,
                label="unreachable code %d" % code)


# --- app-layer payloads ----------------------------------------------------

def dns_query(name, ident=0x1234):
    q = b"".join(bytes([len(x)]) + x.encode() for x in name.split(".")) + b"\x00"
    return struct.pack("!HHHHHH", ident, 0x0100, 1, 0, 0, 0) + q + struct.pack("!HH", 1, 1)


def tls_client_hello(version=0x0303, record_version=0x0301):
    body = struct.pack("!H", version) + bytes(range(32)) + b"\x00"  # random, no session id
    body += struct.pack("!HH", 2, 0x002F) + b"\x01\x00"            # one suite, null compression
    body += struct.pack("!H", 0)                                     # no extensions
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16" + struct.pack("!HH", record_version, len(hs)) + hs


def tls_server_hello(version=0x0303):
    body = struct.pack("!H", version) + bytes(range(32, 64)) + b"\x00"
    body += struct.pack("!H", 0x002F) + b"\x00" + struct.pack("!H", 0)
    hs = b"\x02" + struct.pack("!I", len(body))[1:] + body
    return b"\x16" + struct.pack("!HH", version, len(hs)) + hs


def http_req(target, *headers, method="GET", body=b"", host="example.com", chunks=None,
             proto="HTTP/1.1"):
    """An HTTP/1.x request: start line, Host (unless None), `headers` (str
    lines), then the body: `chunks` chunked, else `body` with a
    Content-Length (added when there is a body and no such header)."""
    lines = ["%s %s %s" % (method, target, proto)]
    if host is not None:
        lines.append("Host: " + host)
    lines += headers
    body = _http_body(lines, headers, body, chunks)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def http_res(status="200 OK", *headers, body=b"", chunks=None, proto="HTTP/1.1"):
    """An HTTP/1.x response; Content-Length is added unless `chunks` (chunked
    body) or a Content-Length header is given."""
    lines = ["%s %s" % (proto, status)] + list(headers)
    body = _http_body(lines, headers, body, chunks, always_length=True)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def _http_body(lines, headers, body, chunks, always_length=False):
    given = [h.split(":")[0].strip().lower() for h in headers]
    if chunks is not None:
        if "transfer-encoding" not in given:
            lines.append("Transfer-Encoding: chunked")
        return b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks) + b"0\r\n\r\n"
    if (body or always_length) and "content-length" not in given:
        lines.append("Content-Length: %d" % len(body))
    return body


def gzipped(data):
    """Deterministic gzip (no name, mtime 0)."""
    import gzip
    import io
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0, filename="") as f:
        f.write(data)
    return out.getvalue()


def http_sessions(*sessions, dport=80):
    """One TCP session per argument (source ports 40001, 40002, ...); each is
    a list of steps: ("c", request bytes) or ("s", response bytes), or a
    request alone, or a (request, response) tuple."""
    out = []
    for i, sess in enumerate(sessions):
        if isinstance(sess, bytes):
            sess = [("c", sess)]
        elif isinstance(sess, tuple):
            sess = [("c", sess[0]), ("s", sess[1])]
        out += tcp_session(*sess, dport=dport, sport=FIRST_SPORT + i)
    return out


# ---------------------------------------------------------------------------
# the table

CASES = []


def case(name, group, rules, packets, note=""):
    """Adds a case. `rules` is one options string or a list of them; an
    options string may start with a header ("alert tcp ... (") left out, in
    which case `UDP_ANY` is used: pass (header, options) tuples to choose."""
    if isinstance(rules, str):
        rules = [rules]
    norm = []
    for r in rules:
        norm.append(r if isinstance(r, tuple) else (UDP_ANY, r))
    assert all(c["name"] != name for c in CASES), name
    CASES.append(dict(name=name, group=group, rules=norm, packets=packets, note=note))


def on(header, *rules):
    """Rules with a header other than the default UDP one."""
    return [(header, r) for r in rules]


# --- content: plain, hex, escapes, nocase ----------------------------------

case("content_plain", "content", 'content:"abc";',
     each(b"xxabcxx", b"xxabxcx", b"ABC", b"abc"))
case("content_hex", "content", 'content:"|41 42|C|00|";',
     each(b"zzABC\x00", b"ABC", b"zzABC\x01"))
case("content_hex_mixed_spacing", "content", 'content:"|4142 43|d|0d0a|";',
     each(b"ABCd\r\n", b"ABC d\r\n"))
case("content_escapes", "content", r'content:"a\;b\"c\\d";',
     each(b'a;b"c\\d', b'a;b"cd'),
     note="\\; \\\" and \\\\ in a content string")
case("content_case_sensitive", "content", 'content:"AbC";',
     each(b"AbC", b"abc", b"ABC"))
case("content_nocase", "nocase", 'content:"AbC"; nocase;',
     each(b"xabcx", b"ABC", b"aBc", b"AB"))
case("content_nocase_hex", "nocase", 'content:"|41|bc"; nocase;',
     each(b"ABC", b"abc", b"xbc"))
case("content_two_absolute", "content", 'content:"cd"; content:"ab";',
     each(b"abcd", b"cdab", b"abxx"),
     note="two unrelated contents match in any order")
case("content_repeated_needle", "content", 'content:"aaa";',
     each(b"aa", b"aaaa", b"aabaa"))
case("content_single_byte", "content", 'content:"|00|";',
     each(b"\x00", b"a", b""))
case("content_long", "content", 'content:"' + "0123456789" * 6 + '";',
     each(("0123456789" * 6).encode(), ("0123456789" * 6)[:-1].encode() + b"X"))

# --- offset / depth --------------------------------------------------------

case("offset", "offset", 'content:"abc"; offset:3;',
     each(b"xxxabc", b"xxabcx", b"abcxxxabc"))
case("depth", "depth", 'content:"abc"; depth:5;',
     each(b"xxabc", b"xxxabc", b"abc"))
case("depth_exact_length", "depth", 'content:"abc"; depth:3;',
     each(b"abc", b"xabc", b"abcabc"))
case("offset_depth", "offset", 'content:"abc"; offset:2; depth:3;',
     each(b"xxabc", b"xabcx", b"xxxabc", b"abcabcabc"),
     note="depth counts from offset: the window is [2,5)")
case("offset_second_occurrence", "offset", 'content:"abc"; offset:1;',
     each(b"abcabc", b"abcxx", b"xabc"))
case("offset_past_end", "offset", 'content:"ab"; offset:10;',
     each(b"ab", b"xxxxxxxxxxab", b"xxxxxxxxxab"))
case("depth_and_relative_next", "depth",
     'content:"ab"; depth:2; content:"cd"; distance:0;',
     each(b"abcd", b"xabcd", b"abxxcd"))

# --- distance / within -----------------------------------------------------

case("distance", "distance", 'content:"ab"; content:"cd"; distance:2;',
     each(b"abxxcd", b"abxcd", b"abcd", b"abxxxxcd"))
case("distance_zero", "distance", 'content:"ab"; content:"cd"; distance:0;',
     each(b"cdab", b"abcd", b"cdabcd", b"cdxab"))
case("within", "within", 'content:"ab"; content:"cd"; within:4;',
     each(b"abxxcd", b"abxxxcd", b"abcd", b"cdab"))
case("within_equals_length", "within", 'content:"ab"; content:"cd"; within:2;',
     each(b"abcd", b"abxcd"))
case("distance_within", "within", 'content:"ab"; content:"cd"; distance:1; within:3;',
     each(b"abcd", b"abxcd", b"abxxcd", b"abxxxcd"),
     note="within counts from the end of the previous match plus the distance")
case("within_smaller_than_distance", "within",
     'content:"ab"; content:"cd"; distance:3; within:2;',
     each(b"abxcd", b"abxxcd", b"abxxxcd", b"abxxxxcd", b"abxxxxxcd"),
     note="subtle: window starts after the distance; within:2 < distance:3")
case("negative_distance", "distance",
     'content:"cd"; content:"ab"; distance:-4; within:4;',
     each(b"abcd", b"abxxcd", b"xabcd", b"cdab"),
     note="subtle: relative match that lies before the previous one")
case("negative_distance_overlap", "distance",
     'content:"abcd"; content:"bc"; distance:-3; within:2;',
     each(b"abcd", b"abce", b"xabcdx"),
     note="subtle: the second content overlaps the first")
case("negative_distance_before_start", "distance",
     'content:"ab"; content:"zab"; distance:-5;',
     each(b"ab", b"zab", b"xzab"),
     note="subtle: distance points before the buffer start")
case("distance_no_previous", "distance", 'content:"ab"; distance:2;',
     each(b"ab", b"xxab", b"xab"),
     note="subtle: relative modifier on the first content is relative to the buffer start")
case("within_no_previous", "within", 'content:"ab"; within:3;',
     each(b"ab", b"xab", b"xxab"),
     note="subtle: within on the first content acts as a depth")
case("chain3_backtrack", "distance",
     'content:"a"; content:"b"; within:2; content:"c"; within:2;',
     each(b"abxxabc", b"abxxaxbc", b"abxcxxabxxc", b"axxbc"),
     note="subtle: the third content fails on the first (a,b) pair; Suricata retries")
case("chain3_middle_backtrack", "distance",
     'content:"AB"; content:"CD"; distance:0; content:"EF"; within:2;',
     each(b"AB CD xx CDEF", b"AB CD xx CD EF", b"CD EF AB", b"ABCDEF"),
     note="subtle: only the middle content must move to its second occurrence")
case("chain4_distance_within", "within",
     'content:"1"; content:"2"; distance:1; within:2; content:"3"; distance:0; within:3; '
     'content:"4"; within:1;',
     each(b"1x2xx34", b"1x2xx3x4", b"12x34", b"1x2 1x2xx34", b"1xx2x34", b"1x2x1x23x4"),
     note="subtle: four relative contents, several candidate positions")
case("chain3_no_backtrack_needed_miss", "distance",
     'content:"a"; content:"b"; distance:0; content:"a"; distance:0;',
     each(b"aba", b"ab", b"ba", b"baba"))
case("relative_after_absolute_depth", "within",
     'content:"GET"; depth:3; content:"/x"; within:3;',
     each(b"GET /x", b"GET  /x", b" GET /x"))
case("within_var_overlapping_patterns", "within",
     'content:"aa"; content:"ab"; within:3;',
     each(b"aaab", b"aaxab", b"aab", b"aaaab"),
     note="subtle: overlapping candidate first matches")

# --- negated content -------------------------------------------------------

case("negated_only", "negated_content", 'content:!"evil";',
     each(b"good", b"evil", b"xxevilxx", b""),
     note="subtle: a rule with only a negated content, also on an empty payload")
case("negated_with_positive", "negated_content", 'content:"user"; content:!"root";',
     each(b"user bob", b"user root", b"root user"))
case("negated_absolute_depth", "negated_content", 'content:"GET"; content:!"admin"; depth:8;',
     each(b"GET /admin", b"GET /x/admin", b"GET admin", b"GETadmin"),
     note="the negated content's depth counts from the buffer start")
case("negated_offset", "negated_content", 'content:"x"; content:!"abc"; offset:2;',
     each(b"abcxx", b"xxabc", b"xabc"))
case("negated_relative_within", "negated_content",
     'content:"user="; content:!"root"; within:6;',
     each(b"user=root", b"user=bobroot", b"user= root", b"user=bob"),
     note="negation applies only inside the relative window")
case("negated_relative_distance", "negated_content",
     'content:"a"; content:!"b"; distance:0;',
     each(b"ab", b"ac", b"acb", b"abxa", b"ba"),
     note="subtle: 'abxa' - does a failed negation move the anchor to the next 'a'?")
case("negated_relative_then_positive", "negated_content",
     'content:"A"; content:!"B"; within:1; content:"C"; distance:0;',
     each(b"AxC", b"ABC", b"ABxAxC", b"AC"),
     note="subtle: a negated content in the middle of a relative chain")
case("negated_nocase", "negated_content", 'content:"x"; content:!"EVIL"; nocase;',
     each(b"x evil", b"x good", b"x EvIl"))
case("negated_hex", "negated_content", 'content:"P"; content:!"|00 00|";',
     each(b"P\x00\x01", b"P\x00\x00", b"P"))

# --- fast_pattern ----------------------------------------------------------

case("fast_pattern_plain", "fast_pattern", 'content:"abc"; content:"defgh"; fast_pattern;',
     each(b"abc defgh", b"defgh", b"abc defg"))
case("fast_pattern_only", "fast_pattern", 'content:"needle"; fast_pattern:only;',
     each(b"haystack needle", b"needl"))
case("fast_pattern_chop", "fast_pattern", 'content:"abcdef"; fast_pattern:2,3;',
     each(b"abcdef", b"xcdex", b"abcdeX"),
     note="the chopped part is only a prefilter; the whole pattern must match")
case("fast_pattern_nocase", "fast_pattern", 'content:"MiXeD"; nocase; fast_pattern;',
     each(b"mixed", b"MIXED", b"mixe"))
case("fast_pattern_relative", "fast_pattern",
     'content:"ab"; content:"longer-one"; distance:1; fast_pattern;',
     each(b"ab longer-one", b"ablonger-one", b"longer-one ab"))
case("fast_pattern_negated_companion", "fast_pattern",
     'content:"zz"; content:"pattern"; fast_pattern; content:!"bad";',
     each(b"zz pattern", b"zz pattern bad", b"pattern"))
case("fast_pattern_short_chosen_over_long", "fast_pattern",
     'content:"q"; fast_pattern; content:"much-longer";',
     each(b"q much-longer", b"much-longer", b"q"))

# --- startswith / endswith (Suricata 7 forms of depth / isdataat) ------------

case("startswith", "content", 'content:"GET"; startswith;',
     each(b"GET /", b" GET /"))
case("endswith", "content", 'content:"|0d 0a|"; endswith;',
     each(b"x\r\n", b"x\r\ny", b"\r\n"))

# --- isdataat --------------------------------------------------------------

case("isdataat_absolute", "isdataat", 'isdataat:5;',
     each(b"12345", b"123456", b"1234567"),
     note="subtle: absolute isdataat:5 needs a byte at offset 5")
case("isdataat_absolute_negated", "isdataat", 'content:"1"; isdataat:!5;',
     each(b"12345", b"123456"))
case("isdataat_relative_boundary", "isdataat", 'content:"ab"; isdataat:2,relative;',
     each(b"ab", b"abx", b"abxx", b"abxxx"),
     note="subtle: relative form at the exact end of the payload")
case("isdataat_relative_negated", "isdataat", 'content:"ab"; isdataat:!2,relative;',
     each(b"ab", b"abx", b"abxx", b"abxxx"),
     note="subtle: negated relative form at the exact boundary")
case("isdataat_relative_one", "isdataat", 'content:"ab"; isdataat:1,relative;',
     each(b"ab", b"abx", b"xab"))
case("isdataat_relative_backtrack", "isdataat", 'content:"ab"; isdataat:!1,relative;',
     each(b"abxab", b"abx", b"ab ab "),
     note="subtle: does a failing isdataat make the content move to its next occurrence?")
case("isdataat_relative_after_pcre", "isdataat", 'pcre:"/a+/"; isdataat:3,relative;',
     each(b"aaxxx", b"aaxx", b"xaaxxx"))
case("isdataat_relative_then_absolute", "isdataat",
     'content:"z"; isdataat:4,relative; content:"q"; offset:0;',
     each(b"zqxxx", b"zqxx", b"qz1234"))
case("isdataat_relative_no_previous", "isdataat", 'isdataat:3,relative;',
     each(b"abc", b"abcd"),
     note="subtle: a relative isdataat with nothing before it")
case("isdataat_with_content_chain", "isdataat",
     'content:"len"; isdataat:3,relative; content:"end"; distance:3;',
     each(b"len123end", b"len12end", b"lenend"))

# --- dsize -----------------------------------------------------------------

case("dsize_eq", "dsize", 'dsize:5;', each(b"1234", b"12345", b"123456"))
case("dsize_gt", "dsize", 'dsize:>5;', each(b"12345", b"123456"))
case("dsize_lt", "dsize", 'dsize:<5;', each(b"", b"1234", b"12345"))
case("dsize_range", "dsize", 'dsize:3<>6;',
     each(b"123", b"1234", b"12345", b"123456"),
     note="subtle: the range bounds are exclusive")
case("dsize_not", "dsize", 'dsize:!5;', each(b"12345", b"1234"))
case("dsize_ge", "dsize", 'dsize:>=4;', each(b"123", b"1234", b"12345"))
case("dsize_le", "dsize", 'dsize:<=5;', each(b"1234", b"12345", b"123456"))
case("dsize_zero", "dsize", 'dsize:0;', each(b"", b"x"))
case("dsize_with_content", "dsize", 'dsize:<10; content:"hi";', each(b"hi", b"hi 34567890"))

# --- byte_test -------------------------------------------------------------

case("byte_test_eq", "byte_test", 'byte_test:1,=,65,0;', each(b"A", b"B", b""))
case("byte_test_gt_2bytes", "byte_test", 'byte_test:2,>,0x1000,0;',
     each(b"\x10\x01", b"\x10\x00", b"\x0f\xff"))
case("byte_test_lt_offset", "byte_test", 'byte_test:2,<,256,1;',
     each(b"x\x00\xff", b"x\x01\x00", b"x\x00"))
case("byte_test_ge_le", "byte_test", 'byte_test:1,>=,10,0; byte_test:1,<=,12,0;',
     each(b"\x09", b"\x0a", b"\x0c", b"\x0d"))
case("byte_test_and", "byte_test", 'byte_test:1,&,0x80,0;',
     each(b"\x80", b"\xff", b"\x7f"),
     note="& is true when value & operand is non-zero")
case("byte_test_xor", "byte_test", 'byte_test:1,^,0x0f,0;',
     each(b"\x0f", b"\x0e", b"\xf0"))
case("byte_test_ne", "byte_test", 'byte_test:1,!=,5,0;', each(b"\x05", b"\x06"))
case("byte_test_negated_lt", "byte_test", 'byte_test:1,!<,5,0;',
     each(b"\x04", b"\x05", b"\x06"))
case("byte_test_negated_and", "byte_test", 'byte_test:1,!&,0x80,0;',
     each(b"\x80", b"\x7f"))
case("byte_test_3_bytes", "byte_test", 'byte_test:3,=,0x010203,0;',
     each(b"\x01\x02\x03", b"\x01\x02\x04", b"\x01\x02"))
case("byte_test_4_bytes_big", "byte_test", 'byte_test:4,=,16909060,0;',
     each(b"\x01\x02\x03\x04", b"\x04\x03\x02\x01"))
case("byte_test_8_bytes", "byte_test", 'byte_test:8,>,0xfffffffffffffff0,0;',
     each(b"\xff" * 8, b"\xff" * 7 + b"\x00"))
case("byte_test_little", "byte_test", 'byte_test:2,=,0x0102,0,little;',
     each(b"\x02\x01", b"\x01\x02"))
case("byte_test_little_4", "byte_test", 'byte_test:4,=,1,1,little;',
     each(b"x\x01\x00\x00\x00", b"x\x00\x00\x00\x01"))
case("byte_test_string_dec", "byte_test", 'byte_test:3,=,123,0,string,dec;',
     each(b"123", b"124", b"12a", b"0123", b" 12"),
     note="subtle: partial and padded decimal strings")
case("byte_test_string_dec_partial", "byte_test", 'byte_test:3,=,12,0,string,dec;',
     each(b"12a", b" 12", b"012", b"12 ", b"+12"),
     note="subtle: which partial decimal strings convert")
case("byte_test_string_dec_gt", "byte_test", 'byte_test:4,>,1000,0,string,dec;',
     each(b"1001", b"0999", b"9", b"99999"))
case("byte_test_string_hex", "byte_test", 'byte_test:2,=,255,0,string,hex;',
     each(b"ff", b"FF", b"fe", b"fg"))
case("byte_test_string_oct", "byte_test", 'byte_test:3,=,8,0,string,oct;',
     each(b"010", b"008", b"10x"))
case("byte_test_string_default_dec", "byte_test", 'byte_test:2,=,42,0,string;',
     each(b"42", b"24"),
     note="string without a base means dec")
case("byte_test_relative", "byte_test",
     'content:"len="; byte_test:2,>,10,0,relative,string,dec;',
     each(b"len=11", b"len=09", b"len=", b"len=x9 len=12"),
     note="subtle: 'len=x9 len=12' - does byte_test failure move the content?")
case("byte_test_relative_negative_offset", "byte_test",
     'content:"bc"; byte_test:1,=,97,-3,relative;',
     each(b"abc", b"xbc", b"bc"),
     note="subtle: negative offset relative to the end of the match")
case("byte_test_bitmask_shift", "byte_test", 'byte_test:2,=,0x0f,0,bitmask 0x0ff0;',
     each(b"\x00\xf0", b"\x0f\x00", b"\x00\x0f"),
     note="subtle: Suricata shifts the masked value right by the mask's trailing zeros")
case("byte_test_bitmask_unshifted", "byte_test", 'byte_test:2,=,0xf0,0,bitmask 0x0ff0;',
     each(b"\x00\xf0", b"\x0f\x00"),
     note="subtle: the counterpart of byte_test_bitmask_shift")
case("byte_test_past_end", "byte_test", 'byte_test:4,=,0,2;',
     each(b"\x00\x00\x00\x00", b"\x00\x00\x00\x00\x00\x00"),
     note="reading past the end never matches")
case("byte_test_past_end_negated", "byte_test", 'byte_test:4,!=,1,2;',
     each(b"\x00\x00\x00\x00", b"\x00\x00\x00\x00\x00\x00"),
     note="subtle: a negated byte_test that cannot read its bytes")
case("byte_test_string_past_end", "byte_test", 'byte_test:5,=,1,0,string,dec;',
     each(b"1", b"00001"))
case("byte_test_relative_past_end", "byte_test", 'content:"ab"; byte_test:1,=,0,0,relative;',
     each(b"ab", b"ab\x00", b"xab"))

# --- byte_jump -------------------------------------------------------------

case("byte_jump_basic", "byte_jump", 'byte_jump:1,0; content:"X"; within:1;',
     each(b"\x02abX", b"\x02aXb", b"\x01X"),
     note="jump lands at offset + nbytes + value")
case("byte_jump_relative", "byte_jump",
     'content:"ab"; byte_jump:1,0,relative; content:"Z"; within:1;',
     each(b"ab\x01xZ", b"ab\x01Zx", b"ab\x00Z"))
case("byte_jump_from_beginning", "byte_jump",
     'byte_jump:1,2,from_beginning; content:"Z"; within:1;',
     each(b"xx\x03Zzz", b"xx\x03zzzZ", b"xx\x05xxZ"),
     note="subtle: from_beginning jumps to value, not offset+nbytes+value")
case("byte_jump_from_beginning_relative", "byte_jump",
     'content:"K"; byte_jump:1,0,relative,from_beginning; content:"Z"; within:1;',
     each(b"K\x04xxZ", b"K\x04xZ", b"xK\x05xxZ"),
     note="subtle: relative read, jump from the buffer start")
case("byte_jump_post_offset", "byte_jump",
     'byte_jump:1,0,post_offset 2; content:"Z"; within:1;',
     each(b"\x01aBCZ", b"\x01aBZ", b"\x01aZ"))
case("byte_jump_post_offset_negative", "byte_jump",
     'byte_jump:1,0,post_offset -2; content:"Z"; within:1;',
     each(b"\x04abZde", b"\x04aZcde", b"\x04abcZe"),
     note="subtle: negative post_offset moves back")
case("byte_jump_post_offset_before_start", "byte_jump",
     'byte_jump:1,0,post_offset -5; content:"Z"; within:1;',
     each(b"\x01Zxxx", b"Z\x01xx"),
     note="subtle: post_offset that lands before the buffer")
case("byte_jump_multiplier", "byte_jump",
     'byte_jump:1,0,multiplier 2; content:"Z"; within:1;',
     each(b"\x02abcdZ", b"\x02aZ", b"\x02abZ"))
case("byte_jump_align", "byte_jump",
     'byte_jump:1,0,align; content:"Z"; within:1;',
     each(b"\x01xxxZ", b"\x01xxxxZ", b"\x03xxxZ", b"\x04xxxxZ", b"\x02xxZ"),
     note="subtle: align rounds the value read (not the target) up to a multiple of 4")
case("byte_jump_string_dec", "byte_jump",
     'byte_jump:2,0,string,dec; content:"Z"; within:1;',
     each(b"05abcdeZ", b"05abcZ", b"0xabcZ"))
case("byte_jump_string_hex", "byte_jump",
     'byte_jump:2,0,string,hex; content:"Z"; within:1;',
     each(b"0a" + b"x" * 10 + b"Z", b"0a" + b"x" * 8 + b"Z"))
case("byte_jump_little", "byte_jump",
     'byte_jump:2,0,little; content:"Z"; within:1;',
     each(b"\x03\x00xxxZ", b"\x00\x03xxxZ"))
case("byte_jump_to_end", "byte_jump", 'byte_jump:1,0; isdataat:!1,relative;',
     each(b"\x03abc", b"\x02abc", b"\x04abc"),
     note="subtle: a jump exactly to the end of the payload, and one past it")
case("byte_jump_past_end", "byte_jump", 'byte_jump:1,0;',
     each(b"\x03abc", b"\x04abc", b"\xffabc"),
     note="subtle: jumping past the end fails")
case("byte_jump_then_distance", "byte_jump",
     'byte_jump:1,0; content:"Z"; distance:1;',
     each(b"\x01aZZ", b"\x01aZ", b"\x01abZ"))
case("byte_jump_chain", "byte_jump",
     'byte_jump:1,0; byte_jump:1,0,relative; content:"E"; within:1;',
     each(b"\x01x\x02yyE", b"\x01x\x02yE"))
case("byte_jump_relative_backtrack", "byte_jump",
     'content:"L"; byte_jump:1,0,relative; content:"!"; within:1;',
     each(b"L\x05xL\x01a!", b"L\x01a!", b"L\x01!"),
     note="subtle: the first 'L' jumps wrong; does Suricata retry the next 'L'?")
case("byte_jump_from_end", "byte_jump",
     'byte_jump:1,0,from_end,post_offset -2; content:"Z"; within:1;',
     each(b"\x00abcZx", b"\x00abZcx"),
     note="subtle: from_end jumps to the end of the buffer, then post_offset")

# --- byte_extract ----------------------------------------------------------

case("byte_extract_offset", "byte_extract",
     'byte_extract:1,0,off; content:"Z"; offset:off; depth:1;',
     each(b"\x03abZ", b"\x02abZ", b"\x03aZb"))
case("byte_extract_depth", "byte_extract",
     'byte_extract:1,0,d; content:"Z"; depth:d;',
     each(b"\x03Zxx", b"\x03xZx", b"\x03xxZ", b"\x02xxZ"))
case("byte_extract_distance", "byte_extract",
     'content:"ab"; byte_extract:1,0,dist,relative; content:"Z"; distance:dist; within:1;',
     each(b"ab\x02xZ", b"ab\x02xxZ", b"ab\x00Z", b"ab\x01Z"),
     note="subtle: distance counts from the end of the byte_extract read")
case("byte_extract_within", "byte_extract",
     'byte_extract:1,0,w; content:"ab"; content:"Z"; within:w;',
     each(b"\x03abxxZ", b"\x03abxZ", b"\x01abZ"))
case("byte_extract_byte_test_value", "byte_extract",
     'byte_extract:1,0,v; byte_test:1,=,v,1;',
     each(b"\x05\x05", b"\x05\x06", b"\x05"))
case("byte_extract_byte_test_offset", "byte_extract",
     'byte_extract:1,0,o; byte_test:1,=,0x41,o;',
     each(b"\x02xA", b"\x01xA", b"\x05xA"))
case("byte_extract_byte_jump_offset", "byte_extract",
     'byte_extract:1,0,o; byte_jump:1,o; content:"Z"; within:1;',
     each(b"\x02x\x01yZ", b"\x02x\x01Zy"))
case("byte_extract_isdataat", "byte_extract",
     'byte_extract:1,0,n; isdataat:n;',
     each(b"\x03abc", b"\x03ab"))
case("byte_extract_string_multiplier", "byte_extract",
     'byte_extract:1,0,n,string,dec,multiplier 2; content:"Z"; offset:n; depth:1;',
     each(b"3xxxxxZ", b"3xxZ"),
     note="the multiplier applies to the extracted value")
case("byte_extract_little_2", "byte_extract",
     'byte_extract:2,0,n,little; content:"Z"; offset:n; depth:1;',
     each(b"\x04\x00xxZ", b"\x00\x04xxZ"))
case("byte_extract_relative_chain", "byte_extract",
     'content:"T"; byte_extract:1,0,len,relative; content:"V"; distance:len; within:1;',
     each(b"T\x02xxV", b"T\x02xV", b"xxT\x01xV"))
case("byte_extract_align", "byte_extract",
     'byte_extract:1,0,n,align 4; content:"Z"; offset:n; depth:1;',
     each(b"\x03xxxZ", b"\x03xxZ"),
     note="subtle: align 4 rounds the extracted value up")

# --- pcre ------------------------------------------------------------------

case("pcre_plain", "pcre", 'pcre:"/a.c/";', each(b"abc", b"ac", b"a\nc"))
case("pcre_i", "pcre", 'pcre:"/abc/i";', each(b"ABC", b"aBc", b"ab"))
case("pcre_s", "pcre", 'pcre:"/a.c/s";', each(b"a\nc", b"abc"))
case("pcre_m", "pcre", 'pcre:"/^bar/m";', each(b"foo\nbar", b"foobar", b"bar"))
case("pcre_no_m", "pcre", 'pcre:"/^bar/";', each(b"foo\nbar", b"bar"))
case("pcre_x", "pcre", 'pcre:"/a b  c # comment/x";', each(b"abc", b"a b c"))
case("pcre_anchor_start", "pcre", 'pcre:"/^abc/";', each(b"abcx", b"xabc"))
case("pcre_dollar", "pcre", 'pcre:"/abc$/";', each(b"xabc", b"xabc\n", b"abcx"),
     note="subtle: PCRE's $ also matches before a final newline")
case("pcre_dollar_endonly", "pcre", 'pcre:"/abc$/E";', each(b"xabc", b"xabc\n"),
     note="/E: $ only at the very end")
case("pcre_ungreedy", "pcre", 'pcre:"/a.+b/G"; content:"c"; distance:0; within:1;',
     each(b"axbcyb", b"axbyb"),
     note="subtle: /G changes where the match ends and so the relative content")
case("pcre_greedy_end", "pcre", 'pcre:"/a.+b/"; content:"c"; distance:0; within:1;',
     each(b"axbcyb", b"axbycbc"),
     note="subtle: pcre followed by a relative content")
case("pcre_hex_escape", "pcre", r'pcre:"/\x00\x01[\x02-\x04]/";',
     each(b"\x00\x01\x03", b"\x00\x01\x05"))
case("pcre_digits", "pcre", r'pcre:"/id=\d{3}(?!\d)/";', each(b"id=123&", b"id=1234", b"id=12"))
case("pcre_relative_anchor", "pcre", 'content:"ab"; pcre:"/^cd/R";',
     each(b"abcd", b"abxcd", b"cdab"),
     note="subtle: ^ in a /R pcre anchors at the end of the previous match")
case("pcre_relative_backtrack", "pcre", 'content:"ab"; pcre:"/^cd/R";',
     each(b"abxxabcd", b"abxxabxcd"),
     note="subtle: the /R pcre fails after the first 'ab'; Suricata retries the next one")
case("pcre_relative_unanchored", "pcre", 'content:"ab"; pcre:"/cd/R";',
     each(b"cdab", b"abxxcd", b"cdabx"))
case("pcre_relative_then_content", "pcre",
     'content:"A"; pcre:"/^\\d+/R"; content:"B"; within:1;',
     each(b"A123B", b"A12xB", b"A1xA22B"),
     note="subtle: content after /R pcre, with backtracking over the first content")
case("pcre_negated", "pcre", 'content:"ab"; pcre:!"/cd/";', each(b"ab", b"abcd", b"cdab"))
case("pcre_negated_relative", "pcre", 'content:"ab"; pcre:!"/^cd/R";',
     each(b"abcd", b"abxcd", b"ab"),
     note="subtle: a negated /R pcre")
case("pcre_negated_relative_backtrack", "pcre", 'content:"ab"; pcre:!"/^cd/R";',
     each(b"abcd abxx", b"abcd abcd"),
     note="subtle: negated /R pcre with two candidate anchors")
case("pcre_after_byte_jump", "pcre", 'content:"J"; byte_jump:1,0,relative; pcre:"/^Z/R";',
     each(b"J\x02abZ", b"J\x02aZb"),
     note="subtle: ^ of a /R pcre anchors at the byte_jump target")
case("pcre_two_relative", "pcre", 'pcre:"/a+/"; pcre:"/^b/R";',
     each(b"aab", b"aaxb", b"xab"))
case("pcre_only_rule", "pcre", 'pcre:"/^(?:GET|POST) \\/[a-z]+ HTTP/";',
     each(b"GET /abc HTTP", b"PUT /abc HTTP", b"POST /x HTTP"))
case("pcre_alternation_relative", "pcre", 'content:"K="; pcre:"/^(?:a|bb)c/R";',
     each(b"K=ac", b"K=bbc", b"K=bc"))
case("pcre_empty_match_relative", "pcre", 'content:"X"; pcre:"/^z*/R"; content:"Y"; within:1;',
     each(b"XY", b"XzzY", b"XaY"),
     note="subtle: a pcre that can match the empty string")

# --- flow (UDP and TCP) ----------------------------------------------------

case("flow_to_server_udp", "flow", 'flow:to_server; content:"x";',
     flow(("c", b"x"), ("s", b"x"), ("c", b"x")))
case("flow_to_client_udp", "flow", 'flow:to_client; content:"x";',
     flow(("c", b"x"), ("s", b"x")))
case("flow_established_udp", "flow", 'flow:established; content:"x";',
     flow(("c", b"x"), ("c", b"x"), ("s", b"x"), ("c", b"x")),
     note="subtle: when does a UDP flow become established?")
case("flow_not_established_udp", "flow", 'flow:not_established; content:"x";',
     flow(("c", b"x"), ("s", b"x"), ("c", b"x")))
case("flow_from_client_udp", "flow", 'flow:from_client; content:"x";',
     flow(("c", b"x"), ("s", b"x")))
case("flow_stateless_udp", "flow", 'flow:stateless; content:"x";',
     flow(("c", b"x"), ("s", b"x")))
case("flow_established_tcp_packet", "flow",
     on(TCP_ANY, 'flow:established,to_server; dsize:>0; content:"hello";'),
     tcp_session(("c", b"hello"), ("s", b"hello")),
     note="dsize makes Suricata inspect the packet, not the stream")
case("flow_to_client_tcp_packet", "flow",
     on(TCP_ANY, 'flow:established,to_client; dsize:>0; content:"hello";'),
     tcp_session(("c", b"hello"), ("s", b"hello")))
case("flow_not_established_tcp_syn", "flow",
     on(TCP_ANY, 'flow:not_established; flags:S;'),
     tcp_session(("c", b"data")))
case("flow_established_needs_handshake", "flow",
     on(TCP_ANY, 'flow:established; dsize:>0; content:"hello";'),
     [tcp(PSH | ACK, seq=1000, ack=2000, payload=b"hello", label="data without handshake")],
     note="subtle: data without a handshake")
case("tcp_stream_content", "flow",
     on(TCP_ANY, 'flow:established,to_server; content:"hello world";'),
     tcp_session(("c", b"hello world")),
     note="subtle: no dsize, so Suricata inspects the reassembled stream (alert packet differs)")
case("tcp_stream_split_content", "flow",
     on(TCP_ANY, 'flow:established,to_server; content:"split-pattern";'),
     tcp_session(("c", b"xx split-"), ("c", b"pattern yy")),
     note="subtle: the pattern spans two segments; only stream inspection sees it")
case("tcp_only_stream", "flow",
     on(TCP_ANY, 'flow:established,to_server,only_stream; content:"abc";'),
     tcp_session(("c", b"abc")))
case("tcp_no_stream", "flow",
     on(TCP_ANY, 'flow:established,to_server,no_stream; content:"abc";'),
     tcp_session(("c", b"abc")))

# --- flowbits (one UDP flow) -----------------------------------------------

case("flowbits_set_isset", "flowbits",
     ['content:"LOGIN"; flowbits:set,kw.a; flowbits:noalert;',
      'content:"CMD"; flowbits:isset,kw.a;'],
     flow(("c", b"CMD"), ("c", b"LOGIN"), ("c", b"CMD")))
case("flowbits_isnotset", "flowbits",
     ['content:"LOGIN"; flowbits:set,kw.b; flowbits:noalert;',
      'content:"CMD"; flowbits:isnotset,kw.b;'],
     flow(("c", b"CMD"), ("c", b"LOGIN"), ("c", b"CMD")))
case("flowbits_toggle", "flowbits",
     ['content:"T"; flowbits:toggle,kw.c; flowbits:noalert;',
      'content:"Q"; flowbits:isset,kw.c;'],
     flow(("c", b"Q"), ("c", b"T"), ("c", b"Q"), ("c", b"T"), ("c", b"Q")))
case("flowbits_unset", "flowbits",
     ['content:"S"; flowbits:set,kw.d; flowbits:noalert;',
      'content:"U"; flowbits:unset,kw.d; flowbits:noalert;',
      'content:"Q"; flowbits:isset,kw.d;'],
     flow(("c", b"Q"), ("c", b"S"), ("c", b"Q"), ("c", b"U"), ("c", b"Q")))
case("flowbits_same_packet", "flowbits",
     ['content:"Q"; flowbits:isset,kw.e;',
      'content:"SET"; flowbits:set,kw.e; flowbits:noalert;'],
     flow(("c", b"Q"), ("c", b"SETQ"), ("c", b"Q")),
     note="subtle: the isset rule has the lower sid; Suricata orders setters first")
case("flowbits_unset_same_packet", "flowbits",
     ['content:"S"; flowbits:set,kw.f; flowbits:noalert;',
      'content:"Q"; flowbits:isset,kw.f;',
      'content:"U"; flowbits:unset,kw.f; flowbits:noalert;'],
     flow(("c", b"S"), ("c", b"UQ"), ("c", b"Q")),
     note="subtle: unset and isset on one packet")
case("flowbits_reply_direction", "flowbits",
     ['flow:to_server; content:"REQ"; flowbits:set,kw.g; flowbits:noalert;',
      'flow:to_client; content:"RSP"; flowbits:isset,kw.g;'],
     flow(("c", b"HELLO"), ("s", b"RSP"), ("c", b"REQ"), ("s", b"RSP")),
     note="a bit set by the client is seen in the server's reply")
case("flowbits_other_flow", "flowbits",
     ['content:"LOGIN"; flowbits:set,kw.h; flowbits:noalert;',
      'content:"CMD"; flowbits:isset,kw.h;'],
     flow(("c", b"LOGIN"), sport=40001) + flow(("c", b"CMD"), sport=40002)
     + flow(("c", b"CMD"), sport=40001),
     note="bits belong to one flow")
case("flowbits_or", "flowbits",
     ['content:"A"; flowbits:set,kw.i1; flowbits:noalert;',
      'content:"B"; flowbits:set,kw.i2; flowbits:noalert;',
      'content:"Q"; flowbits:isset,kw.i1|kw.i2;'],
     flow(("c", b"Q"), ("c", b"B"), ("c", b"Q"), sport=40001)
     + flow(("c", b"A"), ("c", b"Q"), sport=40002),
     note="isset with a | list: any of the bits")
case("flowbits_set_alerts", "flowbits",
     ['content:"LOGIN"; flowbits:set,kw.j;',
      'content:"CMD"; flowbits:isset,kw.j;'],
     flow(("c", b"LOGIN"), ("c", b"CMD")),
     note="a set rule without noalert alerts too")
case("flowbits_noalert_keyword", "flowbits",
     ['content:"LOGIN"; flowbits:set,kw.k; noalert;',
      'content:"CMD"; flowbits:isset,kw.k;'],
     flow(("c", b"LOGIN"), ("c", b"CMD")),
     note="the standalone noalert keyword")
case("flowbits_isnotset_after_unset", "flowbits",
     ['content:"S"; flowbits:set,kw.l; flowbits:noalert;',
      'content:"U"; flowbits:unset,kw.l; flowbits:noalert;',
      'content:"Q"; flowbits:isnotset,kw.l;'],
     flow(("c", b"S"), ("c", b"Q"), ("c", b"U"), ("c", b"Q")))
case("flowbits_set_needs_match", "flowbits",
     ['content:"LOGIN"; content:"ok"; distance:0; flowbits:set,kw.m; flowbits:noalert;',
      'content:"CMD"; flowbits:isset,kw.m;'],
     flow(("c", b"ok LOGIN"), ("c", b"CMD"), ("c", b"LOGIN ok"), ("c", b"CMD")),
     note="a setter sets only when its whole rule matches")
case("flowbits_two_bits_and", "flowbits",
     ['content:"A"; flowbits:set,kw.n1; flowbits:noalert;',
      'content:"B"; flowbits:set,kw.n2; flowbits:noalert;',
      'content:"Q"; flowbits:isset,kw.n1; flowbits:isset,kw.n2;'],
     flow(("c", b"A"), ("c", b"Q"), ("c", b"B"), ("c", b"Q")),
     note="two isset keywords: both bits")

# --- threshold / detection_filter (one source unless stated) -----------------

case("threshold_limit", "threshold",
     'content:"hit"; threshold:type limit, track by_src, count 2, seconds 60;',
     timed(*[(i * 0.01, b"hit") for i in range(5)]))
case("threshold_threshold", "threshold",
     'content:"hit"; threshold:type threshold, track by_src, count 3, seconds 60;',
     timed(*[(i * 0.01, b"hit") for i in range(7)]))
case("threshold_both", "threshold",
     'content:"hit"; threshold:type both, track by_src, count 3, seconds 60;',
     timed(*[(i * 0.01, b"hit") for i in range(7)]))
case("threshold_by_dst", "threshold",
     'content:"hit"; threshold:type limit, track by_dst, count 1, seconds 60;',
     [udp(b"hit", src="10.0.0.%d" % (10 + i), sport=40001 + i, t=i * 0.01) for i in range(3)])
case("threshold_by_src_sources", "threshold",
     'content:"hit"; threshold:type limit, track by_src, count 1, seconds 60;',
     [udp(b"hit", src="10.0.0.%d" % (10 + i % 2), sport=40001 + i, t=i * 0.01)
      for i in range(4)])
case("threshold_limit_window", "threshold",
     'content:"hit"; threshold:type limit, track by_src, count 1, seconds 2;',
     timed((0, b"hit"), (1, b"hit"), (2.5, b"hit"), (3, b"hit"), (5, b"hit")),
     note="subtle: when does a new time window start?")
case("threshold_threshold_window", "threshold",
     'content:"hit"; threshold:type threshold, track by_src, count 2, seconds 2;',
     timed((0, b"hit"), (1.5, b"hit"), (2.5, b"hit"), (3, b"hit"), (6, b"hit"), (9, b"hit")),
     note="subtle: counting restarts when the window expires")
case("threshold_counts_only_matches", "threshold",
     'content:"hit"; threshold:type threshold, track by_src, count 2, seconds 60;',
     timed((0, b"hit"), (0.01, b"miss"), (0.02, b"miss"), (0.03, b"hit"), (0.04, b"hit")))
case("threshold_by_rule", "threshold",
     'content:"hit"; threshold:type limit, track by_rule, count 2, seconds 60;',
     [udp(b"hit", src="10.0.0.%d" % (10 + i), sport=40001 + i, t=i * 0.01) for i in range(4)])
case("threshold_by_both", "threshold",
     'content:"hit"; threshold:type limit, track by_both, count 1, seconds 60;',
     [udp(b"hit", src="10.0.0.%d" % (10 + i % 2), sport=40001 + i, t=i * 0.01)
      for i in range(4)])
case("detection_filter", "detection_filter",
     'content:"hit"; detection_filter:track by_src, count 2, seconds 60;',
     timed(*[(i * 0.01, b"hit") for i in range(5)]),
     note="subtle: alerts start after count matches")
case("detection_filter_window", "detection_filter",
     'content:"hit"; detection_filter:track by_src, count 1, seconds 2;',
     timed((0, b"hit"), (1, b"hit"), (1.5, b"hit"), (4, b"hit"), (4.5, b"hit")),
     note="subtle: the window restarts after it expires")
case("detection_filter_by_dst", "detection_filter",
     'content:"hit"; detection_filter:track by_dst, count 1, seconds 60;',
     [udp(b"hit", src="10.0.0.%d" % (10 + i), sport=40001 + i, t=i * 0.01) for i in range(3)])

# --- IP header -------------------------------------------------------------

TTLS = [udp(b"t", sport=40001 + i, ttl=v, label="ttl %d" % v)
        for i, v in enumerate([1, 3, 64, 65, 200])]
case("ttl_eq", "ttl", on(IP_ANY, 'ttl:64;'), TTLS)
case("ttl_lt", "ttl", on(IP_ANY, 'ttl:<5;'), TTLS)
case("ttl_gt", "ttl", on(IP_ANY, 'ttl:>100;'), TTLS)
case("ttl_range", "ttl", on(IP_ANY, 'ttl:3<>65;'), TTLS, note="exclusive bounds")
case("ttl_not", "ttl", on(IP_ANY, 'ttl:!64;'), TTLS)

TOSES = [udp(b"t", sport=40001 + i, tos=v, label="tos 0x%02x" % v)
         for i, v in enumerate([0, 0x08, 0x10, 0xB8])]
case("tos_eq", "tos", on(IP_ANY, 'tos:8;'), TOSES)
case("tos_not", "tos", on(IP_ANY, 'tos:!8;'), TOSES)
case("tos_16", "tos", on(IP_ANY, 'tos:16;'), TOSES)

IDS = [udp(b"t", sport=40001 + i, ident=v, label="id %d" % v)
       for i, v in enumerate([4660, 4661, 0])]
case("ip_id", "id", on(IP_ANY, 'id:4660;'), IDS)
case("ip_id_zero", "id", on(IP_ANY, 'id:0;'), IDS)

PROTOS = [udp(b"u", label="udp"), tcp(SYN, label="tcp"), icmp(8, ident=1, seq=1, label="icmp"),
          raw_ip(47, b"\x00\x00\x08\x00", label="gre (47)")]
case("ip_proto_num", "ip_proto", on(IP_ANY, 'ip_proto:17;'), PROTOS)
case("ip_proto_name", "ip_proto", on(IP_ANY, 'ip_proto:tcp;'), PROTOS)
case("ip_proto_not", "ip_proto", on(IP_ANY, 'ip_proto:!6;'), PROTOS)
case("ip_proto_lt", "ip_proto", on(IP_ANY, 'ip_proto:<17;'), PROTOS)
case("ip_proto_gre", "ip_proto", on(IP_ANY, 'ip_proto:47;'), PROTOS)
case("ip_proto_gt", "ip_proto", on(IP_ANY, 'ip_proto:>17;'), PROTOS)

FRAGS = [udp(b"f", sport=40001, df=True, label="DF"),
         udp(b"f", sport=40002, df=False, label="no bits"),
         udp(b"f" * 16, sport=40003, df=False, mf=True, label="MF, offset 0"),
         udp(b"f", sport=40004, df=True, rb=True, label="DF+RB")]
case("fragbits_d", "fragbits", on(IP_ANY, 'fragbits:D;'), FRAGS)
case("fragbits_m", "fragbits", on(IP_ANY, 'fragbits:M;'), FRAGS)
case("fragbits_r_plus", "fragbits", on(IP_ANY, 'fragbits:+R;'), FRAGS)
case("fragbits_not_d", "fragbits", on(IP_ANY, 'fragbits:!D;'), FRAGS)
case("fragbits_any", "fragbits", on(IP_ANY, 'fragbits:*MR;'), FRAGS)
case("fragbits_plus_d", "fragbits", on(IP_ANY, 'fragbits:+D;'), FRAGS)

# --- TCP header (each segment on a flow of its own, no session) -------------

FLAGSETS = [("SYN", SYN), ("SYN+ECE+CWR", SYN | ECE | CWR), ("SYN/ACK", SYN | ACK),
            ("ACK", ACK), ("RST", RST), ("null", 0), ("FIN+PSH+URG", FIN | PSH | URG),
            ("FIN/ACK", FIN | ACK), ("PSH/ACK", PSH | ACK), ("URG", URG), ("ACK+ECE", ACK | ECE)]
FLAGPKTS = [tcp(f, sport=40001 + i, label=n) for i, (n, f) in enumerate(FLAGSETS)]
case("flags_syn_exact", "flags", on(TCP_ANY, 'flags:S;'), FLAGPKTS)
case("flags_syn_ignore_ce", "flags", on(TCP_ANY, 'flags:S,CE;'), FLAGPKTS,
     note="the part after the comma lists flags to ignore")
case("flags_syn_ignore_12", "flags", on(TCP_ANY, 'flags:S,12;'), FLAGPKTS,
     note="the old names 1 and 2 for CWR and ECE")
case("flags_synack", "flags", on(TCP_ANY, 'flags:SA;'), FLAGPKTS)
case("flags_plus", "flags", on(TCP_ANY, 'flags:+S;'), FLAGPKTS)
case("flags_any", "flags", on(TCP_ANY, 'flags:*SF;'), FLAGPKTS)
case("flags_not", "flags", on(TCP_ANY, 'flags:!R;'), FLAGPKTS)
case("flags_null", "flags", on(TCP_ANY, 'flags:0;'), FLAGPKTS)
case("flags_xmas", "flags", on(TCP_ANY, 'flags:FPU;'), FLAGPKTS)
case("flags_ack_only", "flags", on(TCP_ANY, 'flags:A;'), FLAGPKTS)
case("flags_trailing_plus", "flags", on(TCP_ANY, 'flags:S+;'), FLAGPKTS,
     note="Snort's spelling of the + modifier")
case("flags_not_fin", "flags", on(TCP_ANY, 'flags:!F;'), FLAGPKTS,
     note="subtle: a negated flag; Suricata skips packets by its flag-class mask")
case("flags_not_urg", "flags", on(TCP_ANY, 'flags:!U;'), FLAGPKTS,
     note="subtle: a negated flag; Suricata skips packets by its flag-class mask")
case("flags_not_ack_ignore_12", "flags", on(TCP_ANY, 'flags: !A,12;'), FLAGPKTS,
     note="ET's spelling, with a space")
case("flags_urg_plus", "flags", on(TCP_ANY, 'flags:U+;'), FLAGPKTS)
case("flags_trailing_star", "flags", on(TCP_ANY, 'flags:RSF*;'), FLAGPKTS,
     note="ET's trailing * (any of R, S, F)")
case("flags_any_syn_rst", "flags", on(TCP_ANY, 'flags:*SR;'), FLAGPKTS,
     note="subtle: does a lone RST match 'any of S, R'?")
case("flags_any_ack_urg", "flags", on(TCP_ANY, 'flags:*AU;'), FLAGPKTS,
     note="subtle: does a plain ACK match 'any of A, U'?")
case("flags_ack_ignore_12", "flags", on(TCP_ANY, 'flags:A,12;'), FLAGPKTS)
case("flags_null_ignore_12", "flags", on(TCP_ANY, 'flags:0,12;'), FLAGPKTS)
case("flags_inline_12", "flags", on(TCP_ANY, 'flags:PA12;'), FLAGPKTS,
     note="1 and 2 inside the flag list are CWR and ECE, not ignored")

WINDOWS = [tcp(SYN, sport=40001 + i, window=w, label="window %d" % w)
           for i, w in enumerate([1024, 65535, 0])]
case("window_eq", "window", on(TCP_ANY, 'window:1024;'), WINDOWS)
case("window_not", "window", on(TCP_ANY, 'window:!1024;'), WINDOWS)
case("window_zero", "window", on(TCP_ANY, 'window:0;'), WINDOWS)

SEQS = [tcp(ACK, sport=40001 + i, seq=s, ack=a, label="seq %d ack %d" % (s, a))
        for i, (s, a) in enumerate([(1000, 2001), (1001, 2000), (0, 0)])]
case("seq_eq", "seq", on(TCP_ANY, 'seq:1000;'), SEQS)
case("ack_eq", "ack", on(TCP_ANY, 'ack:2001;'), SEQS)
case("seq_zero", "seq", on(TCP_ANY, 'seq:0;'), SEQS)

# --- ICMP ------------------------------------------------------------------

ICMPS = [icmp(8, ident=0x1234, seq=1, payload=b"ping", label="echo request id 4660 seq 1"),
         icmp(0, ident=0x1234, seq=1, payload=b"ping", label="echo reply id 4660 seq 1"),
         icmp_unreach(3),
         icmp_unreach(1),
         icmp(11, 0, rest=b"\x00\x00\x00\x00", payload=icmp_unreach()["payload"],
              label="time exceeded"),
         icmp(8, ident=0x4321, seq=7, payload=b"ping", label="echo request id 17185 seq 7"),
         icmp(13, ident=0x1234, seq=7, payload=b"\x00" * 12, label="timestamp id 4660 seq 7")]
case("itype_eq", "itype", on(ICMP_ANY, 'itype:8;'), ICMPS)
case("itype_gt", "itype", on(ICMP_ANY, 'itype:>10;'), ICMPS)
case("itype_range", "itype", on(ICMP_ANY, 'itype:0<>11;'), ICMPS)
case("itype_not", "itype", on(ICMP_ANY, 'itype:!8;'), ICMPS)
case("icode_eq", "icode", on(ICMP_ANY, 'icode:3;'), ICMPS)
case("icode_gt", "icode", on(ICMP_ANY, 'icode:>0;'), ICMPS)
case("itype_icode", "icode", on(ICMP_ANY, 'itype:3; icode:1;'), ICMPS)
case("icmp_id", "icmp_id", on(ICMP_ANY, 'icmp_id:4660;'), ICMPS,
     note="only messages that carry an identifier")
case("icmp_seq", "icmp_seq", on(ICMP_ANY, 'icmp_seq:7;'), ICMPS)
case("icmp_content", "content", on(ICMP_ANY, 'itype:8; content:"ping";'), ICMPS,
     note="content on the ICMP payload")

# --- rule metadata (parse, and the alert fields they set) --------------------

case("meta_keywords", "meta",
     'msg:"meta keywords, quoted \\; semicolon"; content:"meta"; classtype:trojan-activity; '
     'reference:url,example.com/x; reference:cve,2020-0001; '
     'metadata:affected_product Any, created_at 2020_01_01; priority:2; rev:7;',
     each(b"meta", b"mute"),
     note="msg, sid, rev, classtype, reference, metadata, priority")
case("meta_gid", "meta", 'content:"gid"; gid:7; classtype:bad-unknown;', each(b"gid"))
case("rawbytes", "rawbytes", 'content:"raw"; rawbytes;', each(b"raw", b"rwa"))
case("tag_session", "tag", 'content:"tag"; tag:session,3,packets;',
     flow(("c", b"tag"), ("c", b"after1"), ("c", b"after2")),
     note="tag does not change the alert itself")
case("target_keyword", "meta", 'content:"tgt"; target:dest_ip;', each(b"tgt"))

# --- stream_size ------------------------------------------------------------

case("stream_size_client", "stream_size",
     on(TCP_ANY, 'flow:established; stream_size:client,>,5;'),
     tcp_session(("c", b"abc"), ("c", b"defghi")),
     note="subtle: counted from the sequence numbers")
case("stream_size_server_eq", "stream_size",
     on(TCP_ANY, 'flow:established; stream_size:server,=,4;'),
     tcp_session(("c", b"q"), ("s", b"abc")))

# --- asn1 ------------------------------------------------------------------

case("asn1_oversize", "asn1", 'content:"|04|"; depth:1; asn1:oversize_length 100, absolute_offset 0;',
     each(b"\x04\x81\xc8" + b"A" * 200, b"\x04\x05AAAAA", b"\x04\x81\xc8" + b"A" * 10),
     note="subtle: an OCTET STRING declaring 200 bytes, complete and truncated")
case("asn1_relative_offset", "asn1",
     'content:"HDR"; asn1:oversize_length 100, relative_offset 0;',
     each(b"HDR\x04\x81\xc8" + b"A" * 200, b"HDR\x04\x03abc", b"\x04\x81\xc8" + b"A" * 200 + b"HDR\x04\x03abc"),
     note="decoding starts right after the content match")
case("asn1_bitstring_overflow", "asn1", 'content:"|03|"; asn1:bitstring_overflow, absolute_offset 0;',
     each(b"\x03\x02\xff\x00", b"\x03\x02\x01\x00"),
     note="bit string whose unused-bits count exceeds 7")

# --- app-layer keywords without HTTP ----------------------------------------

case("dns_query", "dns_query",
     on("alert dns any any -> any any", 'dns_query; content:"evil"; nocase;'),
     [udp(dns_query("evil.example.com"), sport=40001, dport=53, label="query evil.example.com"),
      udp(dns_query("good.example.com"), sport=40002, dport=53, label="query good.example.com")])
case("dns_query_sticky", "dns_query",
     on("alert dns any any -> any any", 'dns.query; content:"example.com"; endswith;'),
     [udp(dns_query("evil.example.com"), sport=40001, dport=53, label="query evil.example.com"),
      udp(dns_query("example.com.evil"), sport=40002, dport=53, label="query example.com.evil")])
SIP_ANY = "alert sip any any -> any any"
SIP_REGISTER = (b"REGISTER sip:sip.example.com SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060\r\n"
                b"From: <sip:alice@example.com>\r\nTo: <sip:alice@example.com>\r\nCall-ID: 1@10.0.0.1\r\n"
                b"CSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n")
SIP_TRYING = b"SIP/2.0 100 Trying\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n"
SIP_OK = b"SIP/2.0 200 OK\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n"
case("sip_buffers", "sip",
     on(SIP_ANY, 'sip.method; content:"REGISTER";', 'sip.uri; content:"sip:sip.example.com";',
        'sip.request_line; content:"REGISTER sip:"; startswith;', 'flow:to_server; sip.protocol; content:"SIP/2.0";',
        'flow:to_client; sip.protocol; content:"SIP/2.0";', 'sip.stat_code; content:"200";',
        'sip.stat_msg; content:"Trying";', 'sip.response_line; content:"SIP/2.0 200 OK";'),
     [udp(SIP_REGISTER, sport=5060, dport=5060, label="REGISTER"),
      udp(SIP_TRYING, sport=5060, dport=5060, src=SERVER, dst=CLIENT, label="100 Trying"),
      udp(SIP_OK, sport=5060, dport=5060, src=SERVER, dst=CLIENT, label="200 OK")],
     note="one transaction per message: request buffers to server, response buffers to client")

# MQTT 5: CONNECT (client id "cli"), a CONNACK refusing with reason 0x86
# (bad user name or password), a PUBLISH (topic, empty properties, payload),
# then a DISCONNECT.
MQTT_CONNECT = b"\x10\x10\x00\x04MQTT\x05\x02\x00\x3c\x00\x00\x03cli"
MQTT_CONNACK = b"\x20\x03\x00\x86\x00"
MQTT_PUBLISH = b"\x30\x0c\x00\x05topic\x00data"
case("mqtt_keywords", "mqtt",
     on("alert mqtt any any -> any any", 'mqtt.type:CONNACK;', 'mqtt.type:publish;',
        'mqtt.reason_code:134;', 'mqtt.reason_code:0;', 'frame:mqtt.header; content:"|30 0c|";',
        'frame:mqtt.data; content:"topic"; startswith;', 'frame:mqtt.pdu; content:"cli"; endswith;'),
     tcp_session(("c", MQTT_CONNECT), ("s", MQTT_CONNACK), ("c", MQTT_PUBLISH), ("c", b"\xe0\x00"),
                 dport=1883),
     note="one transaction per control packet; frames: the packet, its fixed header, the rest")

case("ssl_version", "ssl_version",
     on("alert tls any any -> any any", 'ssl_version:tls1.2;'),
     tcp_session(("c", tls_client_hello()), ("s", tls_server_hello()), dport=443))
case("ssl_version_other", "ssl_version",
     on("alert tls any any -> any any", 'ssl_version:tls1.0;'),
     tcp_session(("c", tls_client_hello()), ("s", tls_server_hello()), dport=443))
case("ssl_state", "ssl_state",
     on("alert tls any any -> any any", 'ssl_state:client_hello;'),
     tcp_session(("c", tls_client_hello()), ("s", tls_server_hello()), dport=443))
case("ssh_softwareversion", "ssh.softwareversion",
     on("alert ssh any any -> any any", 'ssh.softwareversion:"PuTTY_Release_0.78";',
        'ssh.softwareversion:"OpenSSH_8.9";', 'ssh.softwareversion:"OpenSSH";'),
     tcp_session(("s", b"SSH-2.0-OpenSSH_8.9\r\n"), ("c", b"SSH-2.0-PuTTY_Release_0.78\r\n"),
                 dport=22),
     note="subtle: the whole software version must be equal, a prefix does not match")
case("ftpbounce", "ftpbounce",
     on("alert ftp any any -> any any", 'ftpbounce;'),
     tcp_session(("s", b"220 ready\r\n"), ("c", b"USER a\r\n"), ("s", b"331 pw\r\n"),
                 ("c", b"PASS b\r\n"), ("s", b"230 ok\r\n"),
                 ("c", b"PORT 192,168,1,1,4,1\r\n"), ("s", b"200 ok\r\n"), dport=21),
     note="PORT to an address that is not the client's")
case("ftpbounce_own_address", "ftpbounce",
     on("alert ftp any any -> any any", 'ftpbounce;'),
     tcp_session(("s", b"220 ready\r\n"), ("c", b"USER a\r\n"), ("s", b"331 pw\r\n"),
                 ("c", b"PASS b\r\n"), ("s", b"230 ok\r\n"),
                 ("c", b"PORT 10,0,0,1,4,1\r\n"), ("s", b"200 ok\r\n"), dport=21),
     note="PORT to the client's own address is no bounce")
case("ftpbounce_with_content", "ftpbounce",
     on("alert tcp any any -> any 21", 'flow:to_server,established; content:"PORT"; nocase; ftpbounce;'),
     tcp_session(("s", b"220 ready\r\n"), ("c", b"USER a\r\n"), ("s", b"331 pw\r\n"),
                 ("c", b"PASS b\r\n"), ("s", b"230 ok\r\n"),
                 ("c", b"PORT 192,168,1,1,4,1\r\n"), ("s", b"200 ok\r\n"), dport=21),
     note="subtle: ET's form (GPL FTP PORT bounce attempt) - raw content plus app-layer keyword")

# --- HTTP (sessions to port 80; request buffers are inspected when the server
# ACKs the request, response buffers when the client ACKs the response) ------

HTTP_ANY = "alert http any any -> any any"
TS = "flow:established,to_server; "
TC = "flow:established,to_client; "
OK = http_res("200 OK", "Content-Type: text/html", body=b"<html>ok</html>")


def http_case(name, group, rules, sessions, note=""):
    """An HTTP case: `rules` (options strings) with the `alert http` header,
    unless a rule is a (header, options) tuple."""
    if isinstance(rules, str):
        rules = [rules]
    case(name, group, [r if isinstance(r, tuple) else (HTTP_ANY, r) for r in rules], sessions,
         note=note)


# base64_decode / base64_data

http_case("base64_decode", "base64_decode",
          [TS + 'content:"arg"; http_uri; base64_decode:bytes 17, offset 1, relative; base64_data; content:"thisisatest";',
           TS + 'content:"arg"; http_uri; base64_decode:bytes 10, offset 1, relative; base64_data; content:"test";',
           TS + 'http.uri; content:"arg="; base64_decode:relative; base64_data; content:"isa"; offset:4; depth:3;',
           TS + 'http.cookie; content:"v="; base64_decode:bytes 2, relative; base64_data; content:"|9e|"; startswith;',
           TS + 'http.uri; content:"x="; base64_decode:relative; base64_data; pcre:"/^ab$/";'],
          http_sessions((http_req("/?arg=dGhpc2lzYXRlc3QK&x=YWI=!Zm9v", "Cookie: v=nq; w=1"), OK)),
          note="subtle: partial final group, decoding stops at '=' and at bytes outside the alphabet")

# http_uri / http.uri, uricontent, http_raw_uri / http.uri.raw

http_case("http_uri_legacy_and_sticky", "http_uri",
          [TS + 'content:"/admin/login"; http_uri;',
           TS + 'http.uri; content:"/admin/login";',
           (TCP_ANY, TS + 'content:"/admin/login"; http_uri;')],
          http_sessions((http_req("/admin/login.php"), OK),
                        (http_req("/index.html", "Referer: http://x/admin/login"), OK)),
          note="the Referer header holds the pattern, not the URI; one rule with an `alert tcp` header")
http_case("http_uri_nocase", "http_uri",
          [TS + 'content:"/ADMIN"; nocase; http_uri;',
           TS + 'http.uri; content:"/ADMIN"; nocase;',
           TS + 'http.uri; content:"/ADMIN";'],
          http_sessions((http_req("/Admin/x"), OK), (http_req("/other"), OK)))
http_case("http_uri_percent_decoding", "http_uri",
          [TS + 'http.uri; content:"/files/etc/passwd";',
           TS + 'http.uri.raw; content:"/files/etc/passwd";',
           TS + 'content:"/files/etc/passwd"; http_uri;',
           TS + 'content:"/files/etc/passwd"; http_raw_uri;'],
          http_sessions((http_req("/files/etc/%70asswd"), OK),
                        (http_req("/files/etc/passwd"), OK),
                        (http_req("/files/etc%2fpasswd"), OK)),
          note="subtle: http.uri is %-decoded (%2f included), http.uri.raw is as sent")
http_case("http_uri_dot_segments", "http_uri",
          [TS + 'http.uri; content:"/a/admin"; startswith;',
           TS + 'http.uri.raw; content:"/./";',
           TS + 'http.uri; content:"/./";'],
          http_sessions((http_req("/a/./b/../admin"), OK), (http_req("/a/b/admin"), OK)),
          note="subtle: dot segments removed in http.uri only")
http_case("http_uri_double_slash", "http_uri",
          [TS + 'http.uri; content:"/x/admin"; startswith;',
           TS + 'http.uri.raw; content:"//";',
           TS + 'http.uri; content:"//";'],
          http_sessions((http_req("//x//admin"), OK), (http_req("/y/x/admin"), OK)),
          note="subtle: repeated slashes collapse in http.uri")
http_case("http_uri_query", "http_uri",
          [TS + 'http.uri; content:"q=a b";',
           TS + 'http.uri; content:"q=<script>";',
           TS + 'http.uri.raw; content:"q=a+b";'],
          http_sessions((http_req("/s?q=a+b"), OK), (http_req("/s?q=%3cscript%3e"), OK),
                        (http_req("/s?q=a%20b"), OK)),
          note="subtle: the query is %-decoded but + stays +")
http_case("http_uri_absolute_form", "http_uri",
          [TS + 'http.uri; content:"example.org";',
           TS + 'http.uri.raw; content:"http://example.org/";',
           TS + 'http.uri; content:"/path"; startswith;'],
          http_sessions((http_req("http://example.org/path?a=1"), OK),
                        (http_req("/example.org/path"), OK)),
          note="subtle: a proxy request's http.uri has no scheme or host")
http_case("http_uri_relative_chain", "http_uri",
          [TS + 'http.uri; content:"/cgi-bin/"; content:".cgi"; distance:0;',
           TS + 'content:"/cgi-bin/"; http_uri; content:".cgi"; http_uri; distance:0;',
           TS + 'content:"/cgi-bin/"; http_uri; content:".cgi"; http_uri; within:12;'],
          http_sessions((http_req("/cgi-bin/test.cgi"), OK),
                        (http_req("/test.cgi?x=/cgi-bin/"), OK),
                        (http_req("/cgi-bin/longer-name.cgi"), OK)))
http_case("http_uri_pcre", "http_uri",
          [TS + 'http.uri; pcre:"/^\\/id=[0-9]+$/";',
           TS + 'pcre:"/\\/id=[0-9]+$/U";',
           TS + 'pcre:"/\\/id=[0-9]+$/I";'],
          http_sessions((http_req("/id=123"), OK), (http_req("/id=12a"), OK),
                        (http_req("/id=%31"), OK)),
          note="pcre /U is http.uri, /I http.uri.raw")
http_case("http_uri_pipelined", "http_uri",
          [TS + 'http.uri; content:"/one";',
           TS + 'http.uri; content:"/two";',
           TS + 'http.method; content:"POST"; http.uri; content:"/three";'],
          http_sessions([("c", http_req("/one") + http_req("/two")),
                         ("s", OK + OK),
                         ("c", http_req("/three", method="POST", body=b"a=1") + http_req("/one")),
                         ("s", OK + OK)]),
          note="subtle: pipelined requests, two per segment; every transaction alerts once")
REQ2 = http_req("/second", "X-Long: " + "y" * 20)
http_case("http_uri_pipelined_split", "http_uri",
          [TS + 'http.uri; content:"/second";',
           TS + 'http.header; content:"X-Long: y";'],
          http_sessions([("c", http_req("/first") + REQ2[:12]), ("c", REQ2[12:]),
                         ("s", OK + OK)]),
          note="subtle: the second pipelined request ends in the next segment")
http_case("http_uri_u_encoding_backslash", "http_uri",
          [TS + 'http.uri; content:"/Admin/"; startswith;',
           TS + 'http.uri; content:"/a/b";',
           TS + 'http.uri.raw; content:"%u0041";'],
          http_sessions((http_req("/%u0041dmin/"), OK), (http_req("/a\\b"), OK)),
          note="subtle: %u escapes decoded and a backslash made a slash in http.uri")
http_case("http_uri_multi_buffer", "http_uri",
          [TS + 'http.method; content:"POST"; http.uri; content:"/upload"; http.user_agent; '
           'content:"agent";',
           TS + 'content:"POST"; http_method; content:"/upload"; http_uri; content:"agent"; '
           'http_user_agent;'],
          http_sessions((http_req("/upload", "User-Agent: agent/1", method="POST", body=b"x"), OK),
                        (http_req("/upload", "User-Agent: agent/1"), OK),
                        (http_req("/upload", "User-Agent: other", method="POST", body=b"x"), OK)))
http_case("uricontent", "uricontent",
          [TS + 'uricontent:"/shell.php";',
           TS + 'uricontent:"/SHELL.PHP"; nocase;',
           TS + 'uricontent:"/SHELL.PHP";'],
          http_sessions((http_req("/up/shell.php?cmd=id"), OK),
                        (http_req("/index.php", "Referer: http://x/shell.php"), OK)),
          note="uricontent is content plus http_uri")
http_case("uricontent_normalized", "uricontent",
          TS + 'uricontent:"/shell.php";',
          http_sessions((http_req("/up/%73hell.php"), OK), (http_req("/up/x/../shell.php"), OK),
                        (http_req("/up/shell.ph%70"), OK), (http_req("/up/shellphp"), OK)))
http_case("http_raw_uri", "http_raw_uri",
          [TS + 'content:"%2e%2e"; http_raw_uri;',
           TS + 'http.uri.raw; content:"%2E%2E"; nocase;',
           TS + 'content:"../"; http_uri;',
           TS + 'content:"/etc"; http_uri;'],
          http_sessions((http_req("/a/%2e%2e/etc"), OK), (http_req("/a/../etc"), OK),
                        (http_req("/a/b"), OK)),
          note="subtle: an encoded dot segment is decoded and removed in http.uri")

# http_method / http.method

http_case("http_method", "http_method",
          [TS + 'content:"POST"; http_method;',
           TS + 'http.method; content:"POST";',
           TS + 'http.method; content:"post";',
           TS + 'content:"post"; nocase; http_method;'],
          http_sessions((http_req("/x", method="POST", body=b"a=1"), OK), (http_req("/POST"), OK)),
          note="the method is case-sensitive")
http_case("http_method_exact", "http_method",
          [TS + 'http.method; content:"GET"; startswith; endswith;',
           TS + 'content:"PUT"; http_method; depth:3;'],
          http_sessions((http_req("/x"), OK), (http_req("/x", method="PUT", body=b"z"), OK),
                        (http_req("/x", method="PROPFIND"), OK)))

# http_header / http.header, http_raw_header / http.header.raw

http_case("http_header", "http_header",
          [TS + 'content:"X-Token|3a| abc"; http_header;',
           TS + 'http.header; content:"X-Token: abc";',
           TS + 'content:"x-token|3a| ABC"; nocase; http_header;'],
          http_sessions((http_req("/", "X-Token: abc"), OK), (http_req("/", "X-Token: abd"), OK),
                        (http_req("/?X-Token:%20abc"), OK)))
http_case("http_header_whitespace", "http_header",
          [TS + 'http.header; content:"X-Pad: v|0d 0a|";',
           TS + 'http.header; content:"X-Pad:   v";',
           TS + 'content:"X-Pad|3a| v|0d 0a|"; http_header;'],
          http_sessions((http_req("/", "X-Pad:   v  "), OK), (http_req("/", "X-Pad: w"), OK)),
          note="subtle: http.header trims the value's blanks")
http_case("http_header_repeated", "http_header",
          [TS + 'http.header; content:"X-Dup: a, b|0d 0a|";',
           TS + 'http.header; content:"X-Dup: b";'],
          http_sessions((http_req("/", "X-Dup: a", "X-Dup: b"), OK),
                        (http_req("/", "X-Dup: b"), OK)),
          note="subtle: repeated headers are merged with ', '")
http_case("http_header_cookie_excluded", "http_header",
          [TS + 'http.header; content:"Cookie";',
           TS + 'content:"sid=1"; http_header;',
           TS + 'http.header.raw; content:"Cookie: sid=1";'],
          http_sessions((http_req("/", "Cookie: sid=1"), OK),
                        (http_req("/", "X-Cookie: sid=1"), OK)),
          note="subtle: http.header leaves out Cookie, http.header.raw keeps it")
http_case("http_header_end", "http_header",
          [TS + 'http.header; content:"|0d 0a 0d 0a|";',
           TS + 'http.header.raw; content:"|0d 0a 0d 0a|"; endswith;',
           TS + 'content:"Host|3a| example.com|0d 0a|"; http_header; startswith;'],
          http_sessions((http_req("/"), OK)),
          note="subtle: only http.header.raw keeps the blank line")
http_case("http_header_response", "http_header",
          [TC + 'http.header; content:"Server: nginx";',
           TC + 'content:"nginx"; http_header;',
           TS + 'http.header; content:"nginx";'],
          http_sessions((http_req("/"), http_res("200 OK", "Server: nginx/1.2", body=b"x")),
                        (http_req("/"), http_res("200 OK", "Server: apache", body=b"nginx"))),
          note="response headers to the client")
http_case("http_raw_header", "http_raw_header",
          [TS + 'content:"X-Pad:   v  |0d 0a|"; http_raw_header;',
           TS + 'http.header.raw; content:"X-Pad:   v";',
           TS + 'http.header.raw; content:"X-Pad: v|0d 0a|";'],
          http_sessions((http_req("/", "X-Pad:   v  "), OK), (http_req("/", "X-Pad: w"), OK)),
          note="subtle: raw headers keep the blanks")
http_case("http_raw_header_response", "http_raw_header",
          [TC + 'content:"Set-Cookie|3a| a=1"; http_raw_header;',
           TC + 'http.header.raw; content:"Set-Cookie: a=1";',
           TC + 'http.header; content:"Set-Cookie";'],
          http_sessions((http_req("/"), http_res("200 OK", "Set-Cookie: a=1", body=b"x")),
                        (http_req("/"), http_res("200 OK", "X-Set-Cookie: b=1", body=b"x"))))

http_case("http_header_split_segments", "http_header",
          [TS + 'http.header; content:"X-B: 2";',
           TS + 'http.header; content:"X-A: 1"; content:"X-B: 2"; distance:0;',
           TS + 'http.uri; content:"/split";'],
          http_sessions([("c", b"GET /split HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n"),
                         ("c", b"X-B: 2\r\n\r\n"), ("s", OK)]),
          note="subtle: the header block ends in the second segment")

# http_client_body / http.request_body

http_case("http_client_body", "http_client_body",
          [TS + 'content:"user=admin"; http_client_body;',
           TS + 'http.request_body; content:"user=admin";'],
          http_sessions((http_req("/login", "Content-Type: application/x-www-form-urlencoded",
                                  method="POST", body=b"user=admin&pass=x"), OK),
                        (http_req("/login?user=admin"), OK),
                        (http_req("/login", method="POST", body=b"user=guest"), OK)))
http_case("http_client_body_chunked", "http_client_body",
          [TS + 'http.request_body; content:"user=admin";',
           TS + 'http.request_body; content:"|0d 0a|";'],
          http_sessions((http_req("/login", method="POST", chunks=[b"user=ad", b"min&p=1"]), OK)),
          note="subtle: the pattern spans two chunks; the body is dechunked")
http_case("http_client_body_two_segments", "http_client_body",
          [TS + 'http.request_body; content:"user=admin";',
           TS + 'content:"user=admin"; http_client_body; '
           'content:"pass="; http_client_body; distance:0;'],
          http_sessions([("c", http_req("/login", "Content-Length: 17", method="POST")
                          + b"user=ad"),
                         ("c", b"min&pass=x"), ("s", OK)]),
          note="subtle: the body arrives in two segments")
http_case("http_client_body_relative", "http_client_body",
          TS + 'http.request_body; content:"cmd="; pcre:"/^[a-z]+\\x3b/R";',
          http_sessions((http_req("/", method="POST", body=b"cmd=id;x"), OK),
                        (http_req("/", method="POST", body=b"cmd=ID;x"), OK)))

# http_server_body / http.response_body, file_data / file.data

http_case("http_server_body", "http_server_body",
          [TC + 'content:"secret"; http_server_body;',
           TC + 'http.response_body; content:"secret";',
           'http.response_body; content:"secret";'],
          http_sessions((http_req("/"), http_res("200 OK", body=b"top secret")),
                        (http_req("/secret"), http_res("200 OK", "X-Secret: 1", body=b"nothing"))))
http_case("http_server_body_chunked", "http_server_body",
          [TC + 'http.response_body; content:"secret";',
           TC + 'content:"secret"; http_server_body; endswith;'],
          http_sessions((http_req("/"), http_res("200 OK", chunks=[b"top se", b"cret"])),
                        (http_req("/"), http_res("200 OK", chunks=[b"secre", b"x"]))),
          note="subtle: dechunked")
http_case("file_data_content_length", "file_data",
          [TC + 'file_data; content:"<script>evil";',
           TC + 'file.data; content:"<script>evil";',
           TC + 'file_data; content:"<html"; content:"evil"; distance:0; within:20;'],
          http_sessions((http_req("/"), http_res("200 OK", "Content-Type: text/html",
                                                 body=b"<html><script>evil()</script></html>")),
                        (http_req("/"), http_res("200 OK", "Content-Type: text/html",
                                                 body=b"<html><script>good()</script></html>"))))
http_case("file_data_chunked", "file_data",
          [TC + 'file_data; content:"<script>evil";',
           TC + 'file.data; content:"|0d 0a|";'],
          http_sessions((http_req("/"), http_res("200 OK", "Content-Type: text/html",
                                                 chunks=[b"<html><scr", b"ipt>evil()</script>"]))),
          note="subtle: the pattern spans two chunks")
http_case("file_data_gzip", "file_data",
          [TC + 'file.data; content:"<script>evil";',
           TC + 'file.data; content:"|1f 8b|"; startswith;'],
          http_sessions((http_req("/", "Accept-Encoding: gzip"),
                         http_res("200 OK", "Content-Type: text/html", "Content-Encoding: gzip",
                                  body=gzipped(b"<html><script>evil()</script></html>")))),
          note="subtle: the body is decompressed")
http_case("file_data_request", "file_data",
          [TS + 'file.data; content:"MZ"; startswith;',
           TS + 'file_data; content:"payload";'],
          http_sessions((http_req("/up", "Content-Type: application/octet-stream", method="POST",
                                  body=b"MZ\x90\x00payload"), OK),
                        (http_req("/up", method="POST", body=b"ZM payloa"), OK)),
          note="subtle: file.data to the server is the request body")

http_case("file_data_close_delimited", "file_data",
          [TC + 'file_data; content:"evil";',
           TC + 'http.response_body; content:"</html>"; endswith;'],
          http_sessions([("c", http_req("/", proto="HTTP/1.0")),
                         ("s", b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n"
                               b"<html>evil</html>", FIN),
                         ("c", b"", FIN)]),
          note="subtle: a body without length ends with the connection")

# http_user_agent / http.user_agent

http_case("http_user_agent", "http_user_agent",
          [TS + 'content:"curl/"; http_user_agent;',
           TS + 'http.user_agent; content:"curl/"; startswith;'],
          http_sessions((http_req("/", "User-Agent: curl/8.0"), OK),
                        (http_req("/", "User-Agent: Mozilla/5.0 curl/8.0"), OK),
                        (http_req("/", "X-Agent: curl/8.0"), OK)))
http_case("http_user_agent_blanks", "http_user_agent",
          [TS + 'http.user_agent; content:"bot"; endswith;',
           TS + 'http.user_agent; content:"evilbot"; startswith;'],
          http_sessions((http_req("/", "User-Agent:   evilbot   "), OK),
                        (http_req("/", "User-Agent: evilbot/2"), OK)),
          note="subtle: blanks around the value are not part of it")

# http_stat_code / http.stat_code, http_stat_msg / http.stat_msg

NOT_FOUND = http_res("404 Not Found", body=b"gone")
http_case("http_stat_code", "http_stat_code",
          [TC + 'content:"404"; http_stat_code;',
           TC + 'http.stat_code; content:"404";'],
          http_sessions((http_req("/missing"), NOT_FOUND),
                        (http_req("/ok"), http_res("200 OK", body=b"404")),
                        (http_req("/other"), NOT_FOUND)))
http_case("http_stat_code_after_uri", "http_stat_code",
          [TS + 'http.uri; content:"/missing"; flowbits:set,kw.http404; flowbits:noalert;',
           TC + 'http.stat_code; content:"404"; flowbits:isset,kw.http404;'],
          http_sessions((http_req("/other"), NOT_FOUND), (http_req("/missing"), NOT_FOUND),
                        (http_req("/missing"), http_res("200 OK", body=b"x"))),
          note="ET's request-then-response form: a flowbit set on the request")
http_case("http_stat_code_100_continue", "http_stat_code",
          [TC + 'http.stat_code; content:"100";',
           TC + 'http.stat_code; content:"200";',
           TS + 'http.request_body; content:"data=1";'],
          http_sessions([("c", http_req("/up", "Expect: 100-continue", "Content-Length: 6",
                                        method="POST")),
                         ("s", b"HTTP/1.1 100 Continue\r\n\r\n"),
                         ("c", b"data=1"), ("s", OK)]),
          note="subtle: an interim 100 response before the final one")
http_case("http_stat_msg", "http_stat_msg",
          [TC + 'content:"Not Found"; http_stat_msg;',
           TC + 'http.stat_msg; content:"not found"; nocase;',
           TC + 'http.stat_msg; content:"Not"; startswith; content:"Found"; endswith;'],
          http_sessions((http_req("/"), NOT_FOUND),
                        (http_req("/"), http_res("200 OK", body=b"Not Found")),
                        (http_req("/"), http_res("404 Not Found Here", body=b"x"))))

# http_host / http.host, http_cookie / http.cookie

http_case("http_host", "http_host",
          [TS + 'content:"evil.test"; http_host;',
           TS + 'http.host; content:"evil.test"; endswith;'],
          http_sessions((http_req("/", host="evil.test"), OK),
                        (http_req("/", host="EVIL.Test"), OK),
                        (http_req("/", "X-Host: evil.test", host="good.test"), OK)),
          note="subtle: http.host is lowercased")
http_case("http_host_port", "http_host",
          [TS + 'http.host; content:"evil.test"; endswith;',
           TS + 'http.host.raw; content:"EVIL.Test:8080";',
           TS + 'http.host; content:":8080";'],
          http_sessions((http_req("/", host="evil.test:8080"), OK),
                        (http_req("/", host="EVIL.Test:8080"), OK)),
          note="subtle: the port is left out; a Host with a port is not lowercased (libhtp)")
http_case("http_host_from_uri", "http_host",
          [TS + 'http.host; content:"uri.test";',
           TS + 'content:"hdr.test"; http_host;'],
          http_sessions((http_req("http://uri.test/x", host="hdr.test"), OK),
                        (http_req("/x", host="hdr.test"), OK)),
          note="subtle: an absolute URI's host wins over the Host header")
http_case("http_cookie", "http_cookie",
          [TS + 'content:"sid=deadbeef"; http_cookie;',
           TS + 'http.cookie; content:"sid=deadbeef";'],
          http_sessions((http_req("/", "Cookie: a=1; sid=deadbeef"), OK),
                        (http_req("/?sid=deadbeef", "X-Cookie: sid=deadbeef"), OK)))
http_case("http_cookie_response", "http_cookie",
          [TC + 'http.cookie; content:"track=1";',
           TC + 'content:"track=1"; http_cookie;',
           TS + 'http.cookie; content:"track=1";'],
          http_sessions((http_req("/"), http_res("200 OK", "Set-Cookie: track=1", body=b"x")),
                        (http_req("/", "Cookie: track=1"), OK)),
          note="http.cookie to the client is Set-Cookie")

# urilen

URILENS = http_sessions((http_req("/abcd"), OK),            # raw 5, normalized 5
                        (http_req("/%61bcd"), OK),          # raw 7, normalized 5
                        (http_req("/a/./bc"), OK),          # raw 7, normalized 5
                        (http_req("/ab"), OK),              # 3
                        (http_req("/abcdefgh"), OK),        # 9
                        (http_req("/"), OK))                # 1
case("urilen_eq", "urilen",
     on(HTTP_ANY, TS + 'urilen:5;', TS + 'urilen:5,raw;', TS + 'urilen:7,raw;',
        TS + 'urilen:5,norm;'),
     URILENS, note="subtle: normalized URI length unless raw")
case("urilen_ranges", "urilen",
     on(HTTP_ANY, TS + 'urilen:3<>9;', TS + 'urilen:>8;', TS + 'urilen:<3;', TS + 'urilen:>6,raw;',
        TS + 'urilen:!5;'),
     URILENS, note="subtle: range bounds")
case("urilen_with_content", "urilen",
     on(HTTP_ANY, TS + 'content:"/ab"; http_uri; urilen:<4;',
        TS + 'http.uri; content:"/a"; urilen:>4;'),
     URILENS)
case("urilen_absolute_form", "urilen",
     on(HTTP_ANY, TS + 'urilen:5;', TS + 'urilen:23,raw;', TS + 'urilen:>20;'),
     http_sessions((http_req("http://example.org/abcd"), OK), (http_req("/abcd"), OK)),
     note="subtle: a proxy request's normalized URI has no scheme or host")
case("urilen_tcp_header", "urilen",
     on(TCP_ANY, TS + 'urilen:5;'),
     URILENS[:14], note="urilen makes an `alert tcp` rule an HTTP rule")

# ---------------------------------------------------------------------------
# parse-only cases: does the rule load? (Suricata decides; make.py records it)

PARSE = []


def parse(name, rule_opts, header=UDP_ANY):
    assert all(p["name"] != name for p in PARSE), name
    PARSE.append(dict(name=name, header=header, options=rule_opts))


parse("within_shorter_than_content", 'content:"abc"; within:2;')
parse("depth_shorter_than_content", 'content:"abc"; depth:2;')
parse("relative_and_absolute_mixed", 'content:"a"; content:"b"; distance:1; depth:5;')
parse("offset_negative", 'content:"a"; offset:-1;')
parse("byte_test_too_many_bytes", 'byte_test:9,=,1,0;')
parse("byte_test_too_few_args", 'byte_test:1,=,1;')
parse("byte_test_bad_operator", 'byte_test:1,=>,1,0;')
parse("byte_test_string_too_long", 'byte_test:24,=,1,0,string,dec;')
parse("byte_jump_post_offset_no_value", 'byte_jump:1,0,post_offset;')
parse("byte_jump_from_beginning_and_end", 'byte_jump:1,0,from_beginning,from_end;')
parse("byte_extract_unknown_var", 'content:"a"; offset:nosuchvar;')
parse("byte_extract_too_many_bytes", 'byte_extract:9,0,v; byte_test:1,=,v,0;')
parse("pcre_unknown_flag", 'pcre:"/abc/Q";')
parse("pcre_bad_regex", 'pcre:"/(/";')
parse("pcre_no_slashes", 'pcre:"abc";')
parse("content_empty", 'content:"";')
parse("content_bad_hex", 'content:"|4|";')
parse("content_unterminated_hex", 'content:"|41";')
parse("nocase_without_content", 'nocase; content:"a";')
parse("nocase_twice", 'content:"a"; nocase; nocase;')
parse("fast_pattern_twice", 'content:"a"; fast_pattern; content:"b"; fast_pattern;')
parse("fast_pattern_only_negated", 'content:!"a"; fast_pattern:only;')
parse("fast_pattern_only_relative", 'content:"a"; content:"b"; distance:1; fast_pattern:only;')
parse("fast_pattern_chop_too_long", 'content:"abc"; fast_pattern:1,5;')
parse("isdataat_relative_first", 'isdataat:10,relative;')
parse("isdataat_negative", 'isdataat:-1;')
parse("dsize_empty_op", 'dsize:>;')
parse("dsize_range_reversed", 'dsize:6<>3;')
parse("flowbits_bad_command", 'flowbits:bogus,x;')
parse("flowbits_isset_no_name", 'flowbits:isset;')
parse("flowbits_set_or", 'flowbits:set,a|b;')
parse("threshold_no_seconds", 'threshold:type limit, track by_src, count 1;')
parse("threshold_bad_type", 'threshold:type bogus, track by_src, count 1, seconds 1;')
parse("detection_filter_with_type", 'detection_filter:type limit, track by_src, count 1, seconds 1;')
parse("threshold_and_detection_filter",
      'content:"a"; threshold:type limit, track by_src, count 1, seconds 1; '
      'detection_filter:track by_src, count 1, seconds 1;')
parse("flags_invalid_letter", 'flags:Z;', header=TCP_ANY)
parse("flags_on_udp", 'flags:S;')
parse("ttl_out_of_range", 'ttl:300;', header=IP_ANY)
parse("itype_out_of_range", 'itype:256;', header=ICMP_ANY)
parse("window_out_of_range", 'window:70000;', header=TCP_ANY)
parse("ip_proto_unknown_name", 'ip_proto:nosuchproto;', header=IP_ANY)
parse("fragbits_bad", 'fragbits:X;', header=IP_ANY)
parse("unknown_keyword", 'content:"a"; nosuchkeyword;')
parse("distance_without_value", 'content:"a"; content:"b"; distance;')
parse("within_zero", 'content:"a"; content:"b"; within:0;')
parse("content_escape_invalid", r'content:"a\x";')
parse("rawbytes_alone", 'rawbytes; content:"a";')
parse("startswith_with_offset", 'content:"a"; startswith; offset:1;')
parse("tos_negative", 'tos:-1;', header=IP_ANY)
parse("icmp_seq_range", 'icmp_seq:1<>5;', header=ICMP_ANY)
parse("asn1_unknown_option", 'asn1:bogus_option;')
parse("urilen_on_udp", 'urilen:>5;')
parse("dsize_twice", 'dsize:>=4; dsize:<=5;')
parse("byte_jump_bitmask", 'byte_jump:1,0,bitmask 0x0f; content:"Z"; within:1;')
parse("pcre_relative_after_byte_jump_only", 'byte_jump:1,0; pcre:"/^Z/R";')
parse("tos_hex", 'tos:0x10;', header=IP_ANY)
parse("ssh_softwareversion_as_sticky_buffer", 'ssh.softwareversion; content:"PuTTY";',
      header="alert ssh any any -> any any")
parse("http_uri_with_stat_code", 'http.uri; content:"/x"; http.stat_code; content:"404";',
      header="alert http any any -> any any")
parse("http_response_body_to_server", 'flow:to_server; http.response_body; content:"x";',
      header="alert http any any -> any any")
parse("http_host_uppercase", 'http.host; content:"Evil.Test";',
      header="alert http any any -> any any")
parse("http_uri_legacy_no_content", 'http_uri; content:"x";',
      header="alert http any any -> any any")
parse("urilen_bad_modifier", 'urilen:5,bogus;', header="alert http any any -> any any")
parse("http_host_nocase", 'http.host; content:"evil.test"; nocase;',
      header="alert http any any -> any any")
