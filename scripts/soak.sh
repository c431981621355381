#!/bin/sh
# Soak: one mirador process replays a capture over and over for MINUTES with
# memcaps set (flow 32 MiB, stream 32 MiB, defrag 8 MiB), sampling its RSS
# every 10 s; then prints the samples' summary: RSS after the first minute,
# the highest later, and the growth between them (flat means < 5 %).
#   usage: scripts/soak.sh MINUTES [PCAP] [RULES] [MIRADOR]
# Default capture ../shared/bench/base.pcap, rules rules/mirador.rules.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
MIN=${1:?minutes}
PCAP=${2:-$HERE/../../shared/bench/base.pcap}
RULES=${3:-$HERE/../rules/mirador.rules}
BIN=${4:-$HERE/../target/release/mirador}
WORK=$(mktemp -d)
# The capture named many times: one process reads it again and again.
set --
i=0
while [ $i -lt 5000 ]; do set -- "$@" "$PCAP"; i=$((i + 1)); done
"$BIN" replay -c "$HERE/memcaps.yaml" --threads 1 --no-behaviour --eve "$WORK/eve.json" -S "$RULES" "$@" \
  2> "$WORK/stderr" &
PID=$!
end=$(( $(date +%s) + MIN * 60 ))
start=$(date +%s)
echo "seconds rss_kib" > "$WORK/rss.txt"
while [ "$(date +%s)" -lt "$end" ] && kill -0 $PID 2>/dev/null; do
  rss=$(awk '/VmRSS/ {print $2}' /proc/$PID/status 2>/dev/null || echo 0)
  echo "$(( $(date +%s) - start )) $rss" >> "$WORK/rss.txt"
  sleep 10
done
kill -TERM $PID 2>/dev/null || true
wait $PID 2>/dev/null || true
python3 - "$WORK/rss.txt" <<'PY'
import sys
rows = [tuple(map(int, l.split())) for l in open(sys.argv[1]).read().split("\n")[1:] if l.strip()]
rows = [r for r in rows if r[1] > 0]
after = [r for r in rows if r[0] >= 60]
if not after:
    sys.exit("run too short: no sample after the first minute")
base = after[0][1]
peak = max(r[1] for r in after)
print(f"samples {len(rows)} over {rows[-1][0]} s; RSS at 1 min {base} KiB, highest after {peak} KiB, "
      f"growth {100 * (peak - base) / base:.1f} %, final {rows[-1][1]} KiB")
PY
echo "samples: $WORK/rss.txt; alerts: $(grep -c '"alert"' "$WORK/eve.json" || true)"
