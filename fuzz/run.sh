#!/bin/sh
# Runs one fuzz target for $2 seconds (default 600) on its seed corpus:
#   fuzz/run.sh decode [600]
# Seeds come from fuzz/make_seeds.py; the log goes to fuzz/logs/<target>.log.
set -eu
cd "$(dirname "$0")"
t=$1
secs=${2:-600}
[ -d corpus/"$t" ] || python3 make_seeds.py
mkdir -p logs
# One thread for the rule compiler's rayon pool; capture files of the pcap
# target in memory.
RAYON_NUM_THREADS=1 TMPDIR=${TMPDIR:-/dev/shm} RUSTC_BOOTSTRAP=1 \
    cargo fuzz run ${SANITIZER:+-s "$SANITIZER"} "$t" corpus/"$t" -- \
    -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    2>&1 | tee logs/"$t".log | grep -E "^#[0-9]+.*(pulse|DONE|NEW)|ERROR|panicked|Test unit|SUMMARY|stat::" || true
