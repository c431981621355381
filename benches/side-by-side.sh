#!/usr/bin/env bash
# Side-by-side benchmark: mirador and Suricata 7 on the same pcap with the
# same rules (all of ET Open 2020), median of N runs each, and the
# mirador/Suricata ratio of every figure.
#
#   usage: benches/side-by-side.sh [real|mirror|load|PCAP]... (default: real mirror load)
#   env:   RUNS=3  THREADS="1 2"  SURICATA_RUNMODES="single autofp"
#          CORPUS=/tmp/mirador-bench (built by ../shared/bench/make_corpus.sh)
#
# Prints, per pcap and engine setting: wall time, CPU time, Mbit/s, packets/s,
# peak RSS and alert count; then the ratios against Suricata's best setting
# and the alert comparison (scripts/compare-alerts.py: recall and precision of
# mirador's best setting against Suricata's, as (sid, flow) pairs).
# The target `load` replays a one-packet capture: start to first packet plus
# shutdown, i.e. rule loading and compilation of all of ET Open.
# Needs: suricata 7 (../shared/tools/install-suricata.sh), GNU time, python3.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
SHARED=${SHARED:-$ROOT/../shared}
RUNS=${RUNS:-3}
THREADS=${THREADS:-"1 2"}
RUNMODES=${SURICATA_RUNMODES:-"single autofp"}
CORPUS=${CORPUS:-/tmp/mirador-bench}
RULES=$SHARED/rules/etopen-2020
BIN=$ROOT/target/release/mirador
WORK=$(mktemp -d)
cargo build --release -q --manifest-path "$ROOT/Cargo.toml"
targets=("$@"); [ ${#targets[@]} -gt 0 ] || targets=(real mirror load)
need_corpus=0
for t in "${targets[@]}"; do case $t in real|mirror) need_corpus=1;; esac; done
[ $need_corpus = 1 ] && OUT=$CORPUS bash "$SHARED/bench/make_corpus.sh" >/dev/null
measure() { # name outdir cmd... -> appends "name wall cpu rss alerts" to $WORK/results
  local name=$1 out=$2; shift 2
  rm -rf "$out"; mkdir -p "$out"
  /usr/bin/time -f "%e %U %S %M" -o "$out/time" "$@" >"$out/stdout" 2>"$out/stderr" || true
  # GNU time puts "Command terminated by signal N" (or "exited with
  # non-zero status") before the figures: say so, and keep the figures.
  if [ "$(wc -l <"$out/time")" -gt 1 ]; then echo "$name: $(head -1 "$out/time")" >&2; fi
  read -r wall usr sys rss < <(tail -1 "$out/time")
  local alerts; alerts=$(grep -c '"event_type":"alert"' "$out/eve.json" 2>/dev/null) || alerts=0
  echo "$name $wall $(python3 -c "print($usr+$sys)") $rss $alerts" >>"$WORK/results"
}
for t in "${targets[@]}"; do
  case $t in
    real|mirror) pcap=$CORPUS/$t.pcap;;
    load) pcap=$WORK/one-packet.pcap
      python3 - "$pcap" <<'PY'
import struct, sys
frame = (b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00"
         + bytes([0x45, 0, 0, 40, 0, 1, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2])
         + struct.pack(">HHIIBBHHH", 40000, 80, 1, 0, 0x50, 0x02, 65535, 0, 0))
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    f.write(struct.pack("<IIII", 1700000000, 0, len(frame), len(frame)) + frame)
PY
      ;;
    *) pcap=$t;;
  esac
  : >"$WORK/results"
  for i in $(seq "$RUNS"); do
    for m in $RUNMODES; do
      measure "suricata-$m" "$WORK/s-$m-$i" bash "$SHARED/bench/suricata-etopen.sh" "$pcap" "$WORK/s-$m-$i" --runmode "$m"
    done
    for n in $THREADS; do
      measure "mirador-t$n" "$WORK/m-$n-$i" "$BIN" replay --threads "$n" --no-behaviour -S "$RULES" \
        --classification "$RULES/classification.config" -l "$WORK/m-$n-$i" "$pcap"
    done
  done
  python3 - "$WORK/results" "$pcap" <<'PY'
import os, statistics, sys, subprocess, collections
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    name, wall, cpu, rss, alerts = line.split()
    rows[name].append((float(wall), float(cpu), int(rss), int(alerts)))
pcap = sys.argv[2]
size = os.path.getsize(pcap)
pkts = int(subprocess.run(["python3", "-c", "import sys\nimport struct\nf=open(sys.argv[1],'rb');h=f.read(24);le=h[:4] in (b'\\xd4\\xc3\\xb2\\xa1', b'\\x4d\\x3c\\xb2\\xa1');n=0\nwhile True:\n  r=f.read(16)\n  if len(r)<16: break\n  c=struct.unpack('<IIII' if le else '>IIII', r)[2]; f.seek(c,1); n+=1\nprint(n)", pcap], capture_output=True, text=True).stdout or 0)
med = {k: tuple(statistics.median(x[i] for x in v) for i in range(4)) for k, v in rows.items()}
print(f"\n{os.path.basename(pcap)}: {size/1e6:.0f} MB, {pkts} packets, median of {len(next(iter(rows.values())))} runs")
print(f"{'engine':18} {'wall s':>8} {'cpu s':>8} {'Mbit/s':>8} {'kpkt/s':>8} {'RSS MiB':>8} {'alerts':>7}")
for k, (w, c, r, a) in sorted(med.items()):
    print(f"{k:18} {w:8.2f} {c:8.2f} {size*8/w/1e6:8.0f} {pkts/w/1e3:8.0f} {r/1024:8.0f} {a:7.0f}")
sur = {k: v for k, v in med.items() if k.startswith("suricata")}
mir = {k: v for k, v in med.items() if k.startswith("mirador")}
if sur and mir:
    bs = min(sur, key=lambda k: sur[k][0]); bm = min(mir, key=lambda k: mir[k][0])
    s, m = sur[bs], mir[bm]
    print(f"\nbest mirador ({bm}) / best Suricata ({bs}): wall {m[0]/s[0]:.2f}x, cpu {m[1]/s[1]:.2f}x, "
          f"throughput {s[0]/m[0]:.2f}x, peak RSS {m[2]/s[2]:.2f}x, alerts {m[3]:.0f} vs {s[3]:.0f}")
    with open(sys.argv[1] + ".best", "w") as f:
        f.write(f"{bs} {bm}\n")
PY
  if [ -s "$WORK/results.best" ] && [ "$t" != load ]; then
    read -r bs bm <"$WORK/results.best"
    sdir=$WORK/s-${bs#suricata-}-1 mdir=$WORK/m-${bm#mirador-t}-1
    echo "alerts, $bm against $bs (run 1):"
    python3 "$ROOT/scripts/compare-alerts.py" "$sdir/eve.json" "$mdir/eve.json" --top 5 || true
  fi
  rm -f "$WORK/results.best"
done
echo "(raw outputs in $WORK)"
