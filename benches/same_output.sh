#!/usr/bin/env bash
# Outputs unchanged by a change that should not change them (a move, a
# refactoring): runs an old build and this one over every corpus file
# (../shared/corpus when it is there, else testdata/) and compares standard
# output and exit status byte for byte, for
#   - plain decoding, with and without the key, default jobs and -j 1;
#   - every filter variant of benches/variants.sh (JSON among them);
#   - --merge of each corpus directory (Mars days, IM SDK days);
#   - info --format json, and diagnose (text and JSON) when both builds
#     have it.
#
#   benches/same_output.sh              # old = main
#   REV=abc123 benches/same_output.sh   # old = that commit
#   OLD=path/to/xlogdec benches/same_output.sh
#   CORPUS=/path/to/corpus benches/same_output.sh   # another corpus
#
# The old build is made in a temporary git worktree with its own target
# directory (target/same-old). Exit status 1 when any output differs.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=benches/old_build.sh
source benches/old_build.sh
if [[ -z ${OLD:-} ]]; then
    rev=${REV:-main}
    build_old "$rev" same-old
fi

corpus=${CORPUS:-../shared/corpus}
if [[ ! -d $corpus ]]; then
    corpus=testdata
    echo "../shared/corpus not found: comparing on testdata/ only"
fi
mapfile -t inputs < <(find "$corpus" -name '*.xlog' -o -name '*.mmap3' | sort)
key=$(grep -oE '[0-9a-f]{64}' testdata/corpus/keys.md | head -1)
# shellcheck source=benches/variants.sh
source benches/variants.sh

same=0
differ=0
# compare ARGS...: runs both builds with ARGS, counts and reports.
compare() {
    local a b
    a=$("$OLD" "$@" 2>/dev/null | sha256sum; echo "${PIPESTATUS[0]}")
    b=$("$new" "$@" 2>/dev/null | sha256sum; echo "${PIPESTATUS[0]}")
    if [[ $a == "$b" ]]; then
        same=$((same + 1))
    else
        differ=$((differ + 1))
        echo "DIFFERS: xlogdec $*"
    fi
}

diagnose=false
if "$OLD" diagnose --help >/dev/null 2>&1 && "$new" diagnose --help >/dev/null 2>&1; then
    diagnose=true
fi
for input in "${inputs[@]}"; do
    for jobs in "" "-j1"; do
        for v in "${variants[@]}"; do
            # shellcheck disable=SC2086 # the variant and jobs are lists of words
            compare $jobs $v "$input"
        done
        # shellcheck disable=SC2086
        compare $jobs --key "$key" "$input"
    done
    compare info --format json "$input"
    if $diagnose; then
        compare diagnose "$input"
        compare diagnose --format json "$input"
    fi
done
while IFS= read -r dir; do
    compare --merge "$dir"
    compare --merge --format json "$dir"
done < <(find "$corpus" -type d | sort)
echo "${#inputs[@]} inputs, diagnose compared: $diagnose; $same runs identical, $differ different"
((differ == 0))
