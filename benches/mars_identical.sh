#!/usr/bin/env bash
# Mars-format behaviour unchanged: runs the filter variants of
# benches/filter.sh on every Mars corpus file (testdata/corpus, with its
# subdirectories) and on a many-block file built from it, with an old
# build and this one, with xlogdec's own -j and with -j 1, and compares
# standard output and exit status byte for byte.
#
#   benches/mars_identical.sh            # old = main, while main has no line
#                                        # shapes yet; else the commit before they
#                                        # were added (REV=... to choose)
#   OLD=path/to/xlogdec benches/mars_identical.sh
#
# The old build is made in a temporary git worktree, with its own target
# directory (target/identity-old, seeded from target/release so that only
# xlogdec itself is compiled). Exit status 1 when any output differs.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=benches/old_build.sh
source benches/old_build.sh
if [[ -z ${OLD:-} ]]; then
    added=$(git log --format=%H --diff-filter=A -1 -- src/record/formats/mod.rs)
    if [[ -z ${REV:-} ]] && git rev-parse -q --verify main >/dev/null &&
        ! git cat-file -e main:src/record/formats/mod.rs 2>/dev/null; then
        REV=main
    fi
    rev=${REV:-$added^}
    build_old "$rev" identity-old
fi

big=$work/big.xlog
for ((i = 0; i < 30; i++)); do
    cat testdata/corpus/b_async_zlib.xlog testdata/corpus/d_async_zstd_l6.xlog
done >"$big"
mapfile -t inputs < <(find testdata/corpus -name '*.xlog' -o -name '*.mmap3' | sort)
inputs+=("$big")

# shellcheck source=benches/variants.sh
source benches/variants.sh
same=0
differ=0
for input in "${inputs[@]}"; do
    for jobs in "" "-j 1"; do
        for v in "${variants[@]}"; do
            # shellcheck disable=SC2086 # the variant is a list of words
            a=$("$OLD" $jobs $v "$input" 2>/dev/null | sha256sum; echo "${PIPESTATUS[0]}")
            # shellcheck disable=SC2086
            b=$("$new" $jobs $v "$input" 2>/dev/null | sha256sum; echo "${PIPESTATUS[0]}")
            if [[ $a == "$b" ]]; then
                same=$((same + 1))
            else
                differ=$((differ + 1))
                echo "DIFFERS: xlogdec $jobs $v $input"
            fi
        done
    done
done
echo "${#inputs[@]} inputs x ${#variants[@]} variants x 2 job settings: $same identical, $differ different"
((differ == 0))
