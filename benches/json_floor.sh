#!/usr/bin/env bash
# The floor under `--format json`: what the same run costs when rendering
# costs nothing. A build patched with benches/json_floor.patch has the
# workers write each Mars record's bytes 2.05 times over in place of its
# JSON object (no parsing, no escaping, no formatting; the same records
# cut, judged, counted and written by the same threads), so its output is
# about the size of the JSON. Its time against plain decoding is the
# least `--format json` can cost on this machine while the JSON stays as
# it is; the real JSON's is printed beside it. The input is benches/json.sh's.
# Default jobs only: with `-j 1` records are rendered by the sink on the one
# thread, which the patch leaves as it is.
#
#   benches/json_floor.sh [COPIES]   # default 200 copies of each: ~110 MB decoded
#   RUNS=21 benches/json_floor.sh    # runs per variant (default 15)
#
# The patched build is made in a temporary worktree of HEAD with this
# checkout's target directory (or CARGO_TARGET_DIR): the patch also gives
# the package another version, so that cargo keeps the two builds of the
# crate apart and compiles only the crate again. The binary is copied out
# and the checkout's own release binary put back. The floor's output is
# not JSON: it is only timed and sized.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
sources=(testdata/corpus/b_async_zlib.xlog testdata/corpus/d_async_zstd_l6.xlog)
copies=${1:-200}
runs=${RUNS:-15}
work=$(mktemp -d /tmp/xlogdec-floor.XXXXXX)
cleanup() {
    git -C "$root" worktree remove --force "$work/tree" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

git worktree add --quiet --detach "$work/tree" HEAD
git -C "$work/tree" apply "$root/benches/json_floor.patch"
target=${CARGO_TARGET_DIR:-$root/target}
(cd "$work/tree" && CARGO_TARGET_DIR="$target" cargo build --release --quiet --bin xlogdec)
cp "$target/release/xlogdec" "$work/floor"
CARGO_TARGET_DIR="$target" cargo build --release --quiet --bin xlogdec
bin=$target/release/xlogdec
if cmp -s "$bin" "$work/floor"; then
    echo "$bin is the patched build: run cargo build --release again" >&2
    exit 1
fi

big=$work/big.xlog
for ((i = 0; i < copies; i++)); do
    cat "${sources[@]}"
done >"$big"
decoded=$("$bin" "$big" | wc -c)
json=$("$bin" --format json "$big" | wc -c)
floor=$("$work/floor" --format json "$big" | wc -c)
echo "input: $(stat -c %s "$big") bytes, decoded: $decoded, JSON: $json, floor's output: $floor bytes; best of $runs runs; $(nproc) cores"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"

TIMEFORMAT='%3R %3U %3S'
declare -A cpu wall
names=(plain json floor)
for ((r = 0; r < runs; r++)); do
    for name in "${names[@]}"; do
        case $name in
            plain) cmd=("$bin") ;;
            json) cmd=("$bin" --format json) ;;
            floor) cmd=("$work/floor" --format json) ;;
        esac
        rm -f "$work/out"
        { time "${cmd[@]}" "$big" >"$work/out"; } 2>"$work/bash-time"
        read -r e u s < <(tail -n 1 "$work/bash-time")
        c=$(awk "BEGIN{print $u + $s}")
        if [[ -z ${cpu[$name]:-} ]] || awk "BEGIN{exit !($c < ${cpu[$name]})}"; then cpu[$name]=$c; fi
        if [[ -z ${wall[$name]:-} ]] || awk "BEGIN{exit !($e < ${wall[$name]})}"; then wall[$name]=$e; fi
    done
done
rm -f "$work/out"
echo "load after:  $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-7s %8s %8s %7s %7s\n' run "wall s" "cpu s" "wall x" "cpu x"
for name in "${names[@]}"; do
    printf '%-7s %8s %8s %6.2fx %6.2fx\n' "$name" "${wall[$name]}" "${cpu[$name]}" \
        "$(awk "BEGIN{print ${wall[$name]} / ${wall[plain]}}")" \
        "$(awk "BEGIN{print ${cpu[$name]} / ${cpu[plain]}}")"
done
