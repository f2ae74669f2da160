#!/usr/bin/env bash
# Batch decoding benchmark: 50 files, and one file of >= 500 MB decoded
# text, each with -j1 and -jN. Prints decoded MB/s, peak RSS and the
# scaling. Inputs are generated from the bundled corpus (never committed).
#
#   benches/batch.sh            # N = number of cores
#   JOBS=4 benches/batch.sh     # another N
#   BENCH_DIR=/tmp/xb benches/batch.sh
set -euo pipefail
cd "$(dirname "$0")/.."

N=${JOBS:-$(nproc)}
WORK=${BENCH_DIR:-target/bench-batch}
CORPUS=testdata/corpus
BIN=target/release/xlogdec

echo "building release binary..." >&2
cargo build --release --quiet
mkdir -p "$WORK/many"

# 50 files: each a corpus file (zlib, zstd, sync, legacy) repeated 4..13
# times, so sizes vary like a real support bundle.
if [ ! -f "$WORK/many/.done" ]; then
  srcs=(b_async_zlib.xlog d_async_zstd_l6.xlog a2_sync_zlib_tz.xlog
        k_legacy_0x05_async.xlog o_pre2021_linefmt_async_zlib.xlog)
  for i in $(seq -w 1 50); do
    src=$CORPUS/${srcs[$((10#$i % ${#srcs[@]}))]}
    reps=$((4 + 10#$i % 10))
    for _ in $(seq "$reps"); do cat "$src"; done > "$WORK/many/user${i}_20240131.xlog"
  done
  touch "$WORK/many/.done"
fi

# One large file: b_async_zlib.xlog's 24 blocks, 1700 times (~135 MB of
# xlog, ~510 MB of text).
BIG=$WORK/big.xlog
if [ ! -f "$BIG" ]; then
  for _ in $(seq 1700); do cat "$CORPUS/b_async_zlib.xlog"; done > "$BIG"
fi

# Runs the command; prints "seconds peak_rss_kB".
measure() {
  /usr/bin/time -f "%e %M" -o "$WORK/time.txt" "$@" > /dev/null 2>&1
  tail -1 "$WORK/time.txt"
}

report() { # name bytes j1_result jN_result
  local name=$1 bytes=$2
  read -r s1 r1 <<<"$3"
  read -r sn rn <<<"$4"
  awk -v n="$name" -v b="$bytes" -v s1="$s1" -v r1="$r1" -v sn="$sn" -v rn="$rn" -v j="$N" 'BEGIN {
    mb = b / 1e6
    printf "%-10s decoded %.0f MB\n", n, mb
    printf "  -j1   %6.2f s  %7.1f MB/s  peak RSS %6.1f MB\n", s1, mb / s1, r1 / 1024
    printf "  -j%-3d %6.2f s  %7.1f MB/s  peak RSS %6.1f MB\n", j, sn, mb / sn, rn / 1024
    printf "  scaling x%.2f on %d jobs\n", s1 / sn, j
  }'
}

sync
many_bytes=$("$BIN" -q -o - "$WORK/many" | wc -c)
m1=$(measure nice "$BIN" -q -j1 --out-dir "$WORK/out1" --force "$WORK/many")
mn=$(measure nice "$BIN" -q -j"$N" --out-dir "$WORK/outN" --force "$WORK/many")
diff -r "$WORK/out1" "$WORK/outN" > /dev/null || { echo "outputs differ between -j1 and -j$N" >&2; exit 1; }
report "50 files" "$many_bytes" "$m1" "$mn"
# The same to one stream (no per-file fsync; ordered spooling instead).
s1=$(measure nice "$BIN" -q -j1 -o - "$WORK/many")
sn=$(measure nice "$BIN" -q -j"$N" -o - "$WORK/many")
report "50->stdout" "$many_bytes" "$s1" "$sn"

big_bytes=$("$BIN" -q "$BIG" | wc -c)
b1=$(measure nice "$BIN" -q -j1 "$BIG")
bn=$(measure nice "$BIN" -q -j"$N" "$BIG")
report "big file" "$big_bytes" "$b1" "$bn"
