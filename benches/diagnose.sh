#!/usr/bin/env bash
# `xlogdec diagnose` against plain decoding (both with all cores, the
# default jobs), on two IM SDK inputs of ~100 MB decoded, built here
# (nothing big is committed; they live in a temporary directory):
#
# - day: a busy day (examples/imsdk_day.rs): the sessions of
#   testdata/imsdk/imsdk_20240312 (6 process starts, logins, a failed
#   login, a kick, a UserSig expiry, connect and send failures, heartbeats
#   every 120 s), each record once, with the message traffic between them
#   multiplied to 100 MB (1.4 M lines, 54 findings);
# - dense: the IM SDK days of testdata/imsdk (8.x, 4.x and a mixed day)
#   concatenated ROUNDS times (the decoder walks the copies as one file;
#   each copy starts with its Mars header, so it is a new session and its
#   clock starts over): a stress case, with an event every ~30 lines
#   (4,800 sessions, 43,400 findings, 175,000 lines read by the lens).
#
#   benches/diagnose.sh [ROUNDS]    # default 200 rounds: ~106 MB decoded
#
# Memory is bounded when the peak RSS stays the same for a bigger input:
# compare `RUNS=1 benches/diagnose.sh 200` with `RUNS=1 benches/diagnose.sh 800`.
#
# Every variant runs RUNS times (default 7), interleaved so that a busy
# machine hurts them alike; it reports the least and the median wall time,
# the least CPU time (user + sys), the peak RSS, and the speed relative to
# plain decoding of the same input (plain wall / variant wall, from the
# least and from the medians). Every output goes to a file in the
# temporary directory (by redirection: plain decoding's -o would add an
# fsync), removed before each run.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-200}
runs=${RUNS:-7}
cargo build --release --quiet --bin xlogdec --example imsdk_day
bin=target/release/xlogdec
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
big=$work/big.xlog
for ((i = 0; i < rounds; i++)); do
    cat testdata/imsdk/*.xlog
done >"$big"
day=$work/day.xlog
target/release/examples/imsdk_day testdata/imsdk/imsdk_20240312.xlog.expected.log \
    --size-mb 100 -o "$day"
for f in "$day" "$big"; do
    "$bin" "$f" >"$work/plain.log"
    echo "$(basename "$f"): $(stat -c %s "$f") bytes, decoded: $(stat -c %s "$work/plain.log") bytes"
done
rm "$work/plain.log"
echo "$runs runs"
echo "cores: $(nproc); load before: $(cut -d' ' -f1-3 /proc/loadavg)"

names=("day: decode" "day: diagnose" "day: diagnose --json"
    "dense: decode" "dense: diagnose" "dense: diagnose --json")
cmds=(
    "$bin $day"
    "$bin diagnose $day"
    "$bin diagnose --format json $day"
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
printf '%-24s %9s %9s %9s %9s %8s %8s\n' variant "min s" "median s" "cpu s" "rss KB" "x(min)" "x(med)"
for ((k = 0; k < n; k++)); do
    # Each input's plain decoding is the first of its three variants.
    if ((k % 3 == 0)); then read -r base_min base_med < <(stats "${walls[$k]}"); fi
    read -r mn md < <(stats "${walls[$k]}")
    printf '%-24s %9s %9s %9s %9s %8.2f %8.2f\n' "${names[k]}" "$mn" "$md" "${cpu[$k]}" "${rss[$k]}" \
        "$(echo "$base_min / $mn" | bc -l)" "$(echo "$base_med / $md" | bc -l)"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
tail -n 10 "$work/out.4"
