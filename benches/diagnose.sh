#!/usr/bin/env bash
# `xlogdec diagnose` against plain decoding (both with all cores, the
# default jobs), on a big IM SDK day built here: the IM SDK days of
# testdata/imsdk (8.x, 4.x and a mixed day) concatenated ROUNDS times (the
# decoder walks the copies as one file; each copy starts with its Mars
# header, so it is a new session and its clock starts over). Nothing big is
# committed; the input lives in a temporary directory.
#
#   benches/diagnose.sh [ROUNDS]    # default 200 rounds: ~106 MB decoded
#
# Memory is bounded when the peak RSS stays the same for a bigger input:
# compare `RUNS=1 benches/diagnose.sh 200` with `RUNS=1 benches/diagnose.sh 800`.
#
# Every variant runs RUNS times (default 7), interleaved so that a busy
# machine hurts them alike; it reports the least and the median wall time,
# the least CPU time (user + sys), the peak RSS, and the speed relative to
# plain decoding (plain wall / variant wall, from the least and from the
# medians). Every output goes to a file in the temporary directory (by
# redirection: plain decoding's -o would add an fsync), removed before
# each run.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-200}
runs=${RUNS:-7}
cargo build --release --quiet
bin=target/release/xlogdec
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
big=$work/big.xlog
for ((i = 0; i < rounds; i++)); do
    cat testdata/imsdk/*.xlog
done >"$big"
"$bin" "$big" >"$work/plain.log"
echo "input: $(stat -c %s "$big") bytes, decoded: $(stat -c %s "$work/plain.log") bytes, $runs runs"
echo "cores: $(nproc); load before: $(cut -d' ' -f1-3 /proc/loadavg)"

names=(decode diagnose "diagnose --format json")
cmds=(
    "$bin $big"
    "$bin diagnose $big"
    "$bin diagnose --format json $big"
)
n=${#cmds[@]}
TIMEFORMAT='%3R %3U %3S'
declare -A walls cpu rss
for ((r = 0; r < runs; r++)); do
    for ((k = 0; k < n; k++)); do
        # Removed first, outside the timing: truncating the last run's
        # output (106 MB of plain text) would be counted to the variant.
        rm -f "$work/out.$k"
        # shellcheck disable=SC2086 # the command is a list of words
        { time /usr/bin/time -f "%M" -o "$work/t" ${cmds[k]} >"$work/out.$k"; } 2>"$work/bash-time"
        read -r w u s <"$work/bash-time"
        read -r m <"$work/t"
        walls[$k]="${walls[$k]:-} $w"
        c=$(echo "$u + $s" | bc)
        if [[ -z ${cpu[$k]:-} ]] || (($(echo "$c < ${cpu[$k]}" | bc))); then cpu[$k]=$c; fi
        if [[ -z ${rss[$k]:-} ]] || ((m > ${rss[$k]})); then rss[$k]=$m; fi
    done
done
stats() { # min median
    tr ' ' '\n' <<<"$1" | sed '/^$/d' | sort -n | awk '{a[NR]=$1} END {print a[1], a[int((NR+1)/2)]}'
}
read -r base_min base_med < <(stats "${walls[0]}")
printf '%-24s %9s %9s %9s %9s %8s %8s\n' variant "min s" "median s" "cpu s" "rss KB" "x(min)" "x(med)"
for ((k = 0; k < n; k++)); do
    read -r mn md < <(stats "${walls[$k]}")
    printf '%-24s %9s %9s %9s %9s %8.2f %8.2f\n' "${names[k]}" "$mn" "$md" "${cpu[$k]}" "${rss[$k]}" \
        "$(echo "$base_min / $mn" | bc -l)" "$(echo "$base_med / $md" | bc -l)"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
tail -n 12 "$work/out.1"
