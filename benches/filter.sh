#!/usr/bin/env bash
# Filtering cost against plain decoding, on a big input built here from the
# corpus sample (copies of an async zlib and an async zstd file,
# concatenated: the decoder walks them as one file). Nothing big is
# committed; the input lives in a temporary directory.
#
#   benches/filter.sh [COPIES]      # default 200 copies of each: ~110 MB decoded
#
# Every variant runs RUNS times (default 5), interleaved with the others so
# that a busy machine hurts them alike; it reports the least CPU time
# (user + sys), the least wall time (both to the millisecond), the peak
# RSS, and the CPU-time and wall-time ratios to plain decoding. Output goes
# to /dev/null.
#
#   JOBS=1 benches/filter.sh        # decode with -j1 (default: xlogdec's own -j)
#   BINS="old/xlogdec target/release/xlogdec" benches/filter.sh
#                                   # several builds, interleaved run by run
#   DAY=imsdk benches/filter.sh     # an IM SDK day instead (two corpus files of
#                                   # testdata/imsdk, 400 copies: ~117 MB decoded)
set -euo pipefail
cd "$(dirname "$0")/.."
sources=(testdata/corpus/b_async_zlib.xlog testdata/corpus/d_async_zstd_l6.xlog)
default_copies=200
if [[ ${DAY:-} == imsdk ]]; then
    sources=(testdata/imsdk/imsdk_20240312.xlog testdata/imsdk/imsdk_20240312_1.xlog)
    default_copies=400
fi
copies=${1:-$default_copies}
runs=${RUNS:-5}
if [[ -z ${BINS:-} ]]; then
    cargo build --release --quiet
    BINS=target/release/xlogdec
fi
read -r -a bins <<<"$BINS"
bin=${bins[-1]}
jobs=()
if [[ -n ${JOBS:-} ]]; then jobs=(-j "$JOBS"); fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
big=$work/big.xlog
for ((i = 0; i < copies; i++)); do
    cat "${sources[@]}"
done >"$big"
decoded=$("$bin" "$big" | wc -c)
echo "input: $(stat -c %s "$big") bytes, decoded: $decoded bytes, best of $runs runs"

variants=(
    ""
    "--color never -l V"
    "-l W"
    "-l E --tag im*"
    "--since 10:03 --until 10:05 --main-thread"
    "-e elapsed:\\d+ms"
    "-e SendHeartbeat"
    "-l I -i -e LOGIN|kicked"
    "-v -e user="
    "--color always"
    "--format json"
)
if [[ ${DAY:-} == imsdk ]]; then
    variants=(
        ""
        "-l E"
        "-l W"
        "--since 2024-03-12T10:00 --until 2024-03-12T12:00"
        "--since 2024-03-12T02:00Z --until 2024-03-12T04:00Z"
        "--format json"
    )
fi
n=${#variants[@]}
# Wall and CPU time to the millisecond (bash's time); peak RSS from /usr/bin/time.
TIMEFORMAT='%3R %3U %3S'
declare -A cpu wall rss
for ((r = 0; r < runs; r++)); do
    for ((k = 0; k < n; k++)); do
        for b in "${bins[@]}"; do
            # shellcheck disable=SC2086 # the variant is a list of words
            { time /usr/bin/time -f "%M" -o "$work/t" nice "$b" "${jobs[@]}" ${variants[k]} "$big" >/dev/null; } 2>"$work/bash-time"
            read -r m <"$work/t"
            read -r e u s < <(tail -n 1 "$work/bash-time")
            c=$(awk "BEGIN{print $u + $s}")
            key="$b|$k"
            if [[ -z ${cpu[$key]:-} ]] || awk "BEGIN{exit !($c < ${cpu[$key]})}"; then cpu[$key]=$c; fi
            if [[ -z ${wall[$key]:-} ]] || awk "BEGIN{exit !($e < ${wall[$key]})}"; then wall[$key]=$e; fi
            if ((m > ${rss[$key]:-0})); then rss[$key]=$m; fi
        done
    done
done
for b in "${bins[@]}"; do
    echo "$b ${jobs[*]}"
    printf '%-44s %8s %8s %10s %7s %7s\n' variant "cpu s" "wall s" "RSS KiB" "cpu x" "wall x"
    for ((k = 0; k < n; k++)); do
        key="$b|$k"
        printf '%-44s %8s %8s %10s %6sx %6sx\n' "${variants[k]:-plain decode}" "${cpu[$key]}" "${wall[$key]}" "${rss[$key]}" \
            "$(awk "BEGIN{printf \"%.2f\", ${cpu[$key]} / ${cpu[$b|0]}}")" \
            "$(awk "BEGIN{printf \"%.2f\", ${wall[$key]} / ${wall[$b|0]}}")"
    done
done
