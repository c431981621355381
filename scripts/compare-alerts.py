#!/usr/bin/env python3
"""Compares two EVE files' alerts as sets of (signature_id, flow 5-tuple).

usage: compare-alerts.py REFERENCE_EVE CANDIDATE_EVE [--top N] [--json]

The 5-tuple is direction-free (the two endpoints sorted), so an alert raised
on a packet of either direction of a flow counts for that flow. Prints
recall (share of the reference's pairs the candidate also has) and
precision (share of the candidate's pairs the reference also has), then the
signatures with the most missing and extra pairs. Python standard library
only.
"""
import argparse
import collections
import json
import sys


def pairs(path):
    out = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            if ev.get("event_type") != "alert":
                continue
            a = ev["alert"]
            ends = sorted([(ev.get("src_ip", ""), ev.get("src_port", 0)),
                           (ev.get("dest_ip", ""), ev.get("dest_port", 0))])
            key = (a["signature_id"], ev.get("proto", ""), ends[0], ends[1])
            out[key] = a.get("signature", "")
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("reference")
    p.add_argument("candidate")
    p.add_argument("--top", type=int, default=15)
    p.add_argument("--json", action="store_true")
    o = p.parse_args()
    ref, cand = pairs(o.reference), pairs(o.candidate)
    both = set(ref) & set(cand)
    recall = len(both) / len(ref) if ref else 1.0
    precision = len(both) / len(cand) if cand else 1.0
    missing = collections.Counter(k[0] for k in set(ref) - set(cand))
    extra = collections.Counter(k[0] for k in set(cand) - set(ref))
    msg = {**ref, **cand}
    names = {k[0]: v for k, v in msg.items()}
    if o.json:
        json.dump({"reference_pairs": len(ref), "candidate_pairs": len(cand), "common": len(both),
                   "recall": recall, "precision": precision,
                   "missing_by_sid": missing.most_common(o.top), "extra_by_sid": extra.most_common(o.top)},
                  sys.stdout)
        print()
        return
    print(f"reference pairs {len(ref)}, candidate pairs {len(cand)}, common {len(both)}")
    print(f"recall {recall:.1%}  precision {precision:.1%}")
    if missing:
        print("\nmissing (in reference only), by sid:")
        for sid, n in missing.most_common(o.top):
            print(f"  {n:6d}  {sid}  {names.get(sid, '')}")
    if extra:
        print("\nextra (in candidate only), by sid:")
        for sid, n in extra.most_common(o.top):
            print(f"  {n:6d}  {sid}  {names.get(sid, '')}")


if __name__ == "__main__":
    main()
