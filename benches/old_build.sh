# Sourced by the benches that compare an older build with this one
# (benches/mars_identical.sh, benches/same_output.sh), from the repository
# root: sets `root` and `work` (a temporary directory removed on exit, with
# the old checkout's worktree), builds this checkout (`new`), and defines
# `build_old REV DIR`, which builds REV in a temporary worktree with its own
# target directory target/DIR (seeded from target/release, so that only
# xlogdec itself is compiled) and sets OLD to its binary.
# shellcheck disable=SC2034 # root, work and new are used by the scripts that source this file
root=$PWD
work=$(mktemp -d)
cleanup() {
    if [[ -d $work/old ]]; then git worktree remove --force "$work/old" || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

# This checkout's build, in CARGO_TARGET_DIR when that is set.
target=${CARGO_TARGET_DIR:-$root/target}
cargo build --release --quiet
new=$target/release/xlogdec

build_old() {
    local rev=$1 old_target=$root/target/$2
    git worktree add --quiet --detach "$work/old" "$rev"
    if [[ ! -d $old_target/release ]]; then
        mkdir -p "$old_target"
        cp -a "$target/release" "$old_target/release"
    fi
    (cd "$work/old" && CARGO_TARGET_DIR=$old_target cargo build --release --quiet --bin xlogdec)
    OLD=$old_target/release/xlogdec
    echo "old: $(git rev-parse --short "$rev")"
}
