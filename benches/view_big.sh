#!/usr/bin/env bash
# The viewer on a 1 GB-decoded file (b_async_zlib.xlog 3600 times over:
# 285 MB of xlog, 1.08 GB of text, 5.4 M rows), built here in a temporary
# directory; nothing big is committed.
#
#   benches/view_big.sh [COPIES]      # default 3600
#
# 1. examples/view_timing, headless: first screen, G while loading and
#    after, a full search, a level filter, CPU and wall time, peak RSS.
# 2. The real `xlogdec view` in tmux (when installed): the first screen,
#    G (following the end while loading), a search over the whole file,
#    Ctrl-C during a search, and the viewer's peak RSS from /proc.
set -euo pipefail
cd "$(dirname "$0")/.."
copies=${1:-3600}
cargo build --release --quiet --bin xlogdec --example view_timing
bin=$PWD/target/release/xlogdec
work=$(mktemp -d)
sock="xlogdec-bench-$$"
cleanup() {
    tmux -L "$sock" kill-server 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
file=$work/big.xlog
for _ in $(seq "$copies"); do cat testdata/corpus/b_async_zlib.xlog; done >"$file"
echo "input: $(du -h "$file" | cut -f1) of xlog, $copies copies"

echo "== headless (examples/view_timing)"
target/release/examples/view_timing "$file"

if ! command -v tmux >/dev/null; then
    echo "tmux not installed: the terminal run is skipped"
    exit 0
fi
echo "== in tmux"
now_ms() { date +%s%3N; }
screen() { tmux -L "$sock" capture-pane -p -t t; }
# Waits until the screen matches the extended regex $2; prints how long.
wait_for() {
    local what=$1 re=$2 start
    start=$(now_ms)
    for _ in $(seq 6000); do
        if screen | grep -Eq -- "$re"; then
            echo "$what: $(($(now_ms) - start)) ms"
            return 0
        fi
        sleep 0.01
    done
    echo "$what: no answer in 60 s"; screen; exit 1
}
tmux -L "$sock" new-session -d -s t -x 100 -y 30 "env PS1='xl$ ' TERM=xterm-256color sh"
sleep 0.3
tmux -L "$sock" send-keys -t t "sh -c 'echo \$\$ > $work/pid; exec $bin view $file'" Enter
wait_for "first screen" ' of .*V[0-9]+'
pid=$(cat "$work/pid")
tmux -L "$sock" send-keys -t t G
wait_for "G while loading, answered (following the end)" 'following the end'
rows=$(( copies * 1510 ))
wait_for "loaded, cursor on the last row" " $rows/$rows of $rows "
tmux -L "$sock" send-keys -t t g
wait_for "g" " 1/$rows of "
tmux -L "$sock" send-keys -t t G
wait_for "G after loading" " $rows/$rows of $rows "
tmux -L "$sock" send-keys -t t / -l 'no such word'
tmux -L "$sock" send-keys -t t Enter
wait_for "a search over every row (not found)" 'pattern not found'
tmux -L "$sock" send-keys -t t / -l 'nowhere at all'
tmux -L "$sock" send-keys -t t Enter C-c
wait_for "Ctrl-C during a search" 'cancelled'
tmux -L "$sock" send-keys -t t g
wait_for "the viewer still answers" " 1/$rows of "
echo "peak RSS of the viewer: $(awk '/VmHWM/ {printf "%.1f MiB", $2/1024}' /proc/"$pid"/status)"
tmux -L "$sock" send-keys -t t q
