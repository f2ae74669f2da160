#!/usr/bin/env bash
# End-to-end throughput and memory of the release binary, file in -> file
# out, next to the raw engine's in-memory throughput on the same blocks.
#
#   benches/run.sh [SIZE_MB] [RUNS]      (defaults: 100 MB decoded, best of 5)
#   JOBS="1 2" MODES="real-async-zlib async-zlib" benches/run.sh 1000 1
#   OUTPUT=-o benches/run.sh             (write with -o: adds the fsync)
#
# The text goes to a file in $WORK (under /tmp) by redirection, `> FILE`;
# with OUTPUT=-o through `-o FILE`, whose fsync before the rename then
# counts too (it measures the disk more than the decoder).
#
# Modes:
#   real-async-zlib, real-async-zstd, real-async-zlib-crypt,
#   real-async-zstd-crypt: files of the genuine Mars writer
#     (testdata/corpus/{b_async_zlib,d_async_zstd_l6,e_async_zlib_crypt,
#     g_async_zstd_crypt}.xlog) repeated up to SIZE_MB of decoded text;
#     the expected text is their .expected.log repeated as often (a
#     repeated file decodes to exactly that: its seqs restart at 1).
#     They carry the message mix of real logs (async zlib 3.8x, zstd
#     3.4x; the large real logs 4.3x and 3.7x), so these are the figures
#     to quote.
#   sync-zlib, async-zlib, async-zstd, async-zlib-crypt, async-zstd-crypt:
#     written by examples/genxlog.rs (random words: zlib 3.5x, zstd 3.2x).
#
# Columns: decoded MB/s by wall clock (best run), by CPU time (user+sys of
# that run: what the code costs when other processes share the cores),
# both timed by bash's `time` to the millisecond; peak RSS (max over runs,
# /usr/bin/time -v); the engines' MB/s wall/cpu (one thread, in memory,
# examples/engine.rs: libdeflate for deflate; for zstd xlogdec's codec
# call and a plain streaming loop); and the wall-clock figure as a share
# of the best engine's. Every output is compared with the expected text
# once. `uptime` is printed first: figures taken under load are low.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZE_MB=${1:-100}
RUNS=${2:-5}
JOBS=${JOBS:-"1 2"}
OUTPUT=${OUTPUT:-redirect}
MODES=${MODES:-"real-async-zlib real-async-zstd real-async-zlib-crypt real-async-zstd-crypt sync-zlib async-zlib async-zstd async-zlib-crypt async-zstd-crypt"}
WORK=${WORK:-$(mktemp -d /tmp/xlogdec-bench.XXXXXX)}
mkdir -p "$WORK"
KEY=9f730faaf15961d6f44e63977f81c7505d54c83480f0c7f7e1b5fbbd661e7fc7

if [ ! -x /usr/bin/time ]; then
  echo "benches/run.sh: /usr/bin/time is missing; installing the Debian package 'time' (apt-get install time)" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >&2
fi

cargo build --release --quiet --bin xlogdec --example genxlog --example engine
BIN=target/release/xlogdec

# Input and expected text of a mode, built once per size.
make_input() {
  local mode=$1 in=$2 txt=$3 name
  case $mode in
    real-async-zlib) name=b_async_zlib ;;
    real-async-zstd) name=d_async_zstd_l6 ;;
    real-async-zlib-crypt) name=e_async_zlib_crypt ;;
    real-async-zstd-crypt) name=g_async_zstd_crypt ;;
    *)
      nice target/release/examples/genxlog --mode "$mode" --size-mb "$SIZE_MB" -o "$in" --text "$txt"
      return
      ;;
  esac
  local src=testdata/corpus/$name.xlog exp=testdata/corpus/$name.xlog.expected.log
  local copies
  copies=$(awk -v want="$SIZE_MB" -v one="$(stat -c %s "$exp")" 'BEGIN { n = int(want * 1e6 / one); if (n * one < want * 1e6) n++; print n }')
  : >"$in"
  : >"$txt"
  for _ in $(seq "$copies"); do
    cat "$src" >>"$in"
    cat "$exp" >>"$txt"
  done
}

uptime
printf '%-22s %4s %7s %9s %9s %7s %6s  %s\n' mode jobs MB "MB/s wall" "MB/s cpu" "RSS MB" "%eng" "engine MB/s wall/cpu (1 thread, in memory)"
TIMEFORMAT='%3R %3U %3S'
for mode in $MODES; do
  in="$WORK/$mode-$SIZE_MB.xlog"
  txt="$WORK/$mode-$SIZE_MB.txt"
  if [ ! -s "$in" ] || [ ! -s "$txt" ]; then
    make_input "$mode" "$in" "$txt"
  fi
  mb=$(stat -c %s "$txt" | awk '{printf "%.1f", $1/1e6}')
  engine=$(nice target/release/examples/engine "$in" "$RUNS" | tr '\n' ' ')
  # The best engine's wall-clock MB/s.
  eng_best=$(echo "$engine" | awk '{m = 0; for (i = 2; i <= NF; i += 2) { split($i, a, "/"); if (a[1] + 0 > m) m = a[1] + 0 } print m}')
  for j in $JOBS; do
    best_wall=999999; best_cpu=0; rss=0
    for _ in $(seq "$RUNS"); do
      rm -f "$WORK/out.log" # freeing the previous run's pages is not this run's work
      if [ "$OUTPUT" = "-o" ]; then
        { time /usr/bin/time -v -o "$WORK/time.txt" nice "$BIN" -j "$j" --key "$KEY" "$in" -o "$WORK/out.log"; } 2>"$WORK/bash-time.txt"
      else
        { time /usr/bin/time -v -o "$WORK/time.txt" nice "$BIN" -j "$j" --key "$KEY" "$in" >"$WORK/out.log"; } 2>"$WORK/bash-time.txt"
      fi
      read -r wall user sys < <(tail -n 1 "$WORK/bash-time.txt")
      cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')
      r=$(awk -F': ' '/Maximum resident/ {print $2}' "$WORK/time.txt")
      if awk "BEGIN{exit !($wall < $best_wall)}"; then best_wall=$wall; best_cpu=$cpu; fi
      [ "$r" -gt "$rss" ] && rss=$r
    done
    cmp -s "$WORK/out.log" "$txt" || { echo "OUTPUT DIFFERS for $mode -j$j" >&2; exit 1; }
    awk -v m="$mode" -v j="$j" -v mb="$mb" -v w="$best_wall" -v c="$best_cpu" -v r="$rss" -v e="$engine" -v eb="$eng_best" \
      'BEGIN { wm = mb/(w>0?w:0.001); printf "%-22s %4s %7s %9.0f %9.0f %7.1f %5.0f%%  %s\n", m, j, mb, wm, mb/(c>0?c:0.001), r/1024, (eb>0 ? 100*wm/eb : 0), e }'
  done
done
echo "inputs kept in $WORK"
