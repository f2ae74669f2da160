#!/usr/bin/env bash
# End-to-end throughput and memory of the release binary, file in -> file
# out, on generated inputs of a given decoded size in every mode, next to
# the raw engine's in-memory throughput on the same blocks.
#
#   benches/run.sh [SIZE_MB] [RUNS]      (defaults: 100 MB decoded, best of 5)
#   JOBS="1 2" MODES="async-zlib" benches/run.sh 1000 1
#
# Columns: decoded MB/s by wall clock (best run), by CPU time (user+sys of
# that run: what the code costs when other processes share the cores),
# peak RSS (max over runs, /usr/bin/time -v), and the engine's MB/s.
# Every output is compared with the generator's text once.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZE_MB=${1:-100}
RUNS=${2:-5}
JOBS=${JOBS:-"1 2"}
MODES=${MODES:-"sync-zlib async-zlib async-zstd async-zlib-crypt async-zstd-crypt"}
WORK=${WORK:-$(mktemp -d /tmp/xlogdec-bench.XXXXXX)}
mkdir -p "$WORK"
KEY=9f730faaf15961d6f44e63977f81c7505d54c83480f0c7f7e1b5fbbd661e7fc7

if [ ! -x /usr/bin/time ]; then
  echo "benches/run.sh: /usr/bin/time is missing; installing the Debian package 'time' (apt-get install time)" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >&2
fi

cargo build --release --quiet --bin xlogdec --example genxlog --example engine
BIN=target/release/xlogdec

printf '%-18s %5s %8s %10s %10s %9s  %s\n' mode jobs MB "MB/s wall" "MB/s cpu" "RSS MB" "engine MB/s wall/cpu (1 thread, in memory)"
for mode in $MODES; do
  in="$WORK/$mode.xlog"
  if [ ! -s "$in" ]; then
    nice target/release/examples/genxlog --mode "$mode" --size-mb "$SIZE_MB" -o "$in" --text "$WORK/$mode.txt"
  fi
  mb=$(stat -c %s "$WORK/$mode.txt" | awk '{printf "%.1f", $1/1e6}')
  engine=$(nice target/release/examples/engine "$in" "$RUNS" | tr '\n' ' ')
  for j in $JOBS; do
    best_wall=999999; best_cpu=0; rss=0
    for _ in $(seq "$RUNS"); do
      rm -f "$WORK/out.log" # freeing the previous run's pages is not this run's work
      /usr/bin/time -v -o "$WORK/time.txt" nice "$BIN" -j "$j" --key "$KEY" "$in" -o "$WORK/out.log"
      wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$WORK/time.txt")
      cpu=$(awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {print u+s}' "$WORK/time.txt")
      r=$(awk -F': ' '/Maximum resident/ {print $2}' "$WORK/time.txt")
      if awk "BEGIN{exit !($wall < $best_wall)}"; then best_wall=$wall; best_cpu=$cpu; fi
      [ "$r" -gt "$rss" ] && rss=$r
    done
    cmp -s "$WORK/out.log" "$WORK/$mode.txt" || { echo "OUTPUT DIFFERS for $mode -j$j" >&2; exit 1; }
    awk -v m="$mode" -v j="$j" -v mb="$mb" -v w="$best_wall" -v c="$best_cpu" -v r="$rss" -v e="$engine" \
      'BEGIN { printf "%-18s %5s %8s %10.0f %10.0f %9.1f  %s\n", m, j, mb, mb/(w>0?w:0.001), mb/(c>0?c:0.001), r/1024, e }'
  done
done
echo "inputs kept in $WORK"
