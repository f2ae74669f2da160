#!/usr/bin/env bash
# `--format json` against plain decoding, with xlogdec's own -j and with
# -j 1, on the genuine-writer input of benches/filter.sh: copies of an
# async zlib and an async zstd file of the Mars writer (the message mix of
# real logs), concatenated. Nothing big is committed; the input and the
# outputs live in a temporary directory.
#
#   benches/json.sh [COPIES]        # default 200 copies of each: ~110 MB decoded
#   RUNS=9 benches/json.sh          # runs per variant (default 5)
#   REF=old/xlogdec benches/json.sh # also check the JSON is byte for byte
#                                   # that of another build
#
# A third variant decodes two inputs at once (the input and a hard link to
# it), as a batch does: each on a thread of its own, its output spooled.
#
# Every variant runs RUNS times, interleaved with the others so that a busy
# machine hurts them alike; the output goes to a file in the temporary
# directory by redirection (removed before each run). It reports the least
# wall time and the least CPU time (user + sys), both to the millisecond
# (bash's `time`), the peak RSS, and the ratios of JSON to plain decoding
# at the same -j. The load average is printed before and after: on a
# shared machine, figures taken under load are slow, and the wall-time
# ratio tends to the CPU-time ratio as the cores fill.
#
# The JSON of the default -j (records rendered on the worker threads) is
# compared with that of -j 1 (rendered on the one thread) and, with REF,
# with REF's; the script fails when they differ.
set -euo pipefail
cd "$(dirname "$0")/.."
sources=(testdata/corpus/b_async_zlib.xlog testdata/corpus/d_async_zstd_l6.xlog)
copies=${1:-200}
runs=${RUNS:-5}
cargo build --release --quiet --bin xlogdec
bin=target/release/xlogdec
work=$(mktemp -d /tmp/xlogdec-json.XXXXXX)
trap 'rm -rf "$work"' EXIT
big=$work/big.xlog
for ((i = 0; i < copies; i++)); do
    cat "${sources[@]}"
done >"$big"
big2=$work/big2.xlog
ln "$big" "$big2"

"$bin" --format json "$big" >"$work/json-default.jsonl"
"$bin" -j 1 --format json "$big" >"$work/json-j1.jsonl"
if ! cmp -s "$work/json-default.jsonl" "$work/json-j1.jsonl"; then
    echo "JSON DIFFERS between the default -j and -j 1" >&2
    exit 1
fi
if [[ -n ${REF:-} ]]; then
    "$REF" --format json "$big" >"$work/json-ref.jsonl"
    if ! cmp -s "$work/json-default.jsonl" "$work/json-ref.jsonl"; then
        echo "JSON DIFFERS from $REF" >&2
        exit 1
    fi
    echo "JSON identical to $REF's"
fi
decoded=$("$bin" "$big" | wc -c)
json=$(stat -c %s "$work/json-default.jsonl")
rm -f "$work"/*.jsonl
echo "input: $(stat -c %s "$big") bytes, decoded: $decoded bytes, JSON: $json bytes; best of $runs runs; $(nproc) cores"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"

variants=("" "-j 1" "2 inputs")
formats=("" "--format json")
# Wall and CPU time to the millisecond (bash's time); peak RSS from /usr/bin/time.
TIMEFORMAT='%3R %3U %3S'
declare -A cpu wall rss
for ((r = 0; r < runs; r++)); do
    for v in "${variants[@]}"; do
        for f in "${formats[@]}"; do
            key="$v|$f"
            rm -f "$work/out"
            # shellcheck disable=SC2086,SC2206 # the flags are lists of words
            case $v in
                "2 inputs") args=("$big" "$big2") ;;
                *) args=($v "$big") ;;
            esac
            { time /usr/bin/time -f "%M" -o "$work/t" nice "$bin" $f "${args[@]}" >"$work/out" 2>"$work/err"; } 2>"$work/bash-time"
            read -r m <"$work/t"
            read -r e u s < <(tail -n 1 "$work/bash-time")
            c=$(awk "BEGIN{print $u + $s}")
            if [[ -z ${cpu[$key]:-} ]] || awk "BEGIN{exit !($c < ${cpu[$key]})}"; then cpu[$key]=$c; fi
            if [[ -z ${wall[$key]:-} ]] || awk "BEGIN{exit !($e < ${wall[$key]})}"; then wall[$key]=$e; fi
            if ((m > ${rss[$key]:-0})); then rss[$key]=$m; fi
        done
    done
done
rm -f "$work/out"
echo "load after:  $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-8s %-14s %8s %8s %10s %7s %7s\n' jobs format "wall s" "cpu s" "RSS KiB" "wall x" "cpu x"
for v in "${variants[@]}"; do
    for f in "${formats[@]}"; do
        key="$v|$f"
        printf '%-8s %-14s %8s %8s %10s %6sx %6sx\n' "${v:-default}" "${f:-plain}" "${wall[$key]}" "${cpu[$key]}" "${rss[$key]}" \
            "$(awk "BEGIN{printf \"%.2f\", ${wall[$key]} / ${wall[$v|]}}")" \
            "$(awk "BEGIN{printf \"%.2f\", ${cpu[$key]} / ${cpu[$v|]}}")"
    done
done
