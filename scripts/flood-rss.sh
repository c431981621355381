#!/bin/sh
# Memory bound under floods: 1,000,000 SYNs to distinct flows and 100,000
# fragment trains that never complete (scripts/make_floods.py), replayed with
# flow.memcap 32mb, defrag.memcap 8mb, stream.reassembly.memcap 32mb. Prints
# each run's peak RSS beside the memcap and the eviction counters of the
# run's stats record; and the RSS of the same binary on one packet (the
# fixed overhead: binary, rules, threads).
#   usage: scripts/flood-rss.sh [MIRADOR] [WORKDIR]
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=${1:-$HERE/../target/release/mirador}
WORK=${2:-$(mktemp -d)}
RULES=$HERE/../rules/mirador.rules
python3 "$HERE/make_floods.py" "$WORK"
python3 "$HERE/make_floods.py" "$WORK/one" --syns 1 --trains 1
run() {
  /usr/bin/time -f "%M" -o "$WORK/rss" "$BIN" replay -c "$HERE/memcaps.yaml" --threads 2 --no-behaviour \
    --eve-types stats --eve - -S "$RULES" "$1" > "$WORK/eve.json" 2>/dev/null
  cat "$WORK/rss"
}
echo "at rest (1 packet): peak RSS $(run "$WORK/one/syn-flood.pcap") KiB"
for f in syn-flood frag-flood; do
  rss=$(run "$WORK/$f.pcap")
  counters=$(python3 -c "
import json
for l in open('$WORK/eve.json'):
    s = json.loads(l).get('stats')
    if s:
        print('flows', s['flow']['total'], 'evicted', s['flow']['evicted'],
              '| fragments', s['defrag']['fragments'], 'trains evicted', s['defrag']['max_trackers_reached'])")
  echo "$f: peak RSS $rss KiB (flow.memcap 32 MiB, defrag.memcap 8 MiB); $counters"
done
