#!/usr/bin/env python3
"""Groups failing Suricata verification tests by their first cause.

Run the conformance suite with RESULTS= and OUT= set, then:
    scripts/conformance-causes.py RESULTS.tsv OUTDIR
A test's cause is the first reason mirador rejected one of its rules
("keyword 'frame'", ...); tests whose rules all loaded are "loads, differs".
"""
import collections
import os
import re
import sys

results, out = sys.argv[1], sys.argv[2]
causes = collections.defaultdict(list)
for line in open(results):
    test, status = line.rstrip("\n").split("\t")[:2]
    if status != "FAIL":
        continue
    path = os.path.join(out, test, "stderr")
    err = open(path, errors="replace").read() if os.path.exists(path) else ""
    rejected = re.findall(r"rule rejected: [^ ]+: (?:sid \d+: )?(.*)", err)
    if rejected:
        m = re.search(r"keyword '([^']+)'", rejected[0])
        cause = f"keyword {m.group(1)}" if m else rejected[0][:60]
    elif not os.path.exists(path):
        cause = "no output"
    else:
        cause = "loads, differs"
    causes[cause].append(test)
for cause, tests in sorted(causes.items(), key=lambda kv: -len(kv[1])):
    print(f"{len(tests):4} {cause}: {' '.join(tests)}")
