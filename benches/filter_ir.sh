#!/usr/bin/env bash
# Filtering cost against plain decoding in instructions (valgrind's
# callgrind), which a busy machine does not disturb: repeatable where
# benches/filter.sh's timings are noisy. Decodes with -j1 a file built here
# from the corpus sample (COPIES copies of an async zlib and an async zstd
# file, default 10: ~5.5 MB decoded).
#
#   benches/filter_ir.sh [COPIES]
#   BINS="old/xlogdec target/release/xlogdec" benches/filter_ir.sh
set -euo pipefail
cd "$(dirname "$0")/.."
copies=${1:-10}
if [[ -z ${BINS:-} ]]; then
    cargo build --release --quiet
    BINS=target/release/xlogdec
fi
read -r -a bins <<<"$BINS"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
big=$work/big.xlog
for ((i = 0; i < copies; i++)); do
    cat testdata/corpus/b_async_zlib.xlog testdata/corpus/d_async_zstd_l6.xlog
done >"$big"
# shellcheck source=benches/variants.sh
source benches/variants.sh
printf '%-44s %14s %7s  %s\n' variant instructions ratio build
for b in "${bins[@]}"; do
    base=
    for v in "${variants[@]}"; do
        # shellcheck disable=SC2086 # the variant is a list of words
        ir=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$b" -j1 $v "$big" 2>&1 >/dev/null |
            awk '/Collected/ {print $4}')
        base=${base:-$ir}
        printf '%-44s %14s %6sx  %s\n' "${v:-plain decode}" "$ir" "$(awk "BEGIN{printf \"%.2f\", $ir / $base}")" "$b"
    done
done
