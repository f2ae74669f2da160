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
# (user + sys), the least wall time, the peak RSS, and the CPU-time ratio to
# plain decoding. Output goes to /dev/null.
set -euo pipefail
cd "$(dirname "$0")/.."
copies=${1:-200}
runs=${RUNS:-5}
bin=target/release/xlogdec
cargo build --release --quiet
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
big=$work/big.xlog
for ((i = 0; i < copies; i++)); do
    cat testdata/corpus/b_async_zlib.xlog testdata/corpus/d_async_zstd_l6.xlog
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
    "-l I -i -e LOGIN|kicked"
    "-v -e user="
    "--color always"
    "--format json"
)
n=${#variants[@]}
declare -a cpu wall rss
for ((r = 0; r < runs; r++)); do
    for ((k = 0; k < n; k++)); do
        # shellcheck disable=SC2086 # the variant is a list of words
        /usr/bin/time -f "%U %S %e %M" -o "$work/t" nice "$bin" ${variants[k]} "$big" >/dev/null
        read -r u s e m <"$work/t"
        c=$(awk "BEGIN{print $u + $s}")
        if [[ -z ${cpu[k]:-} ]] || awk "BEGIN{exit !($c < ${cpu[k]})}"; then cpu[k]=$c; fi
        if [[ -z ${wall[k]:-} ]] || awk "BEGIN{exit !($e < ${wall[k]})}"; then wall[k]=$e; fi
        if ((m > ${rss[k]:-0})); then rss[k]=$m; fi
    done
done
printf '%-44s %8s %8s %10s %7s\n' variant "cpu s" "wall s" "RSS KiB" ratio
for ((k = 0; k < n; k++)); do
    printf '%-44s %8s %8s %10s %6sx\n' "${variants[k]:-plain decode}" "${cpu[k]}" "${wall[k]}" "${rss[k]}" \
        "$(awk "BEGIN{printf \"%.2f\", ${cpu[k]} / ${cpu[0]}}")"
done
