#!/usr/bin/env bash
# Decode time of hostile inputs at 1, 8 and 32 MB: time must grow
# linearly with size (no quadratic resync or recovery). Generated inputs
# live in a temporary directory and are removed afterwards.
#
#   nice bash benches/pathological.sh            # default and --recover
#
# Prints one line per input: kind, size, seconds, peak RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/xlogdec
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
python3 - "$dir" <<'PY'
import os, struct, sys
d = sys.argv[1]
def fill(name, unit, n):
    with open(os.path.join(d, name), 'wb') as f:
        f.write((unit * (n // len(unit) + 1))[:n])
for mb in (1, 8, 32):
    n = mb << 20
    # Every byte a magic: each offset is a block start with an absurd length.
    fill(f'all_magic_{mb}', b'\x09', n)
    # Well-formed headers whose tail byte is wrong: resync at every block.
    fill(f'bad_tail_{mb}', bytes([9, 1, 0, 1, 1]) + struct.pack('<I', 100) + b'\0' * 64 + b'A' * 101, n)
    # Headers that are good alone but never in pairs: one false block and
    # one decompress error (and a recovery) per 85 bytes.
    fill(f'lone_blocks_{mb}', bytes([9, 1, 0, 1, 1]) + struct.pack('<I', 10) + b'\0' * 64 + b'\x07' * 10 + b'\0\x42', n)
    # Headers that claim 4 GB.
    fill(f'huge_len_{mb}', bytes([0x0D, 2, 0, 1, 1]) + struct.pack('<I', 0xFFFFFFF0), n)
    with open(os.path.join(d, f'random_{mb}'), 'wb') as f:
        f.write(os.urandom(n))
PY
for kind in all_magic bad_tail lone_blocks huge_len random; do
  for mb in 1 8 32; do
    for flag in "" --recover; do
      /usr/bin/time -f "$kind ${mb}MB ${flag:-default}: %e s, %M KB" \
        "$bin" $flag "$dir/${kind}_$mb" > /dev/null 2> "$dir/err" || true
      tail -n 1 "$dir/err"
    done
  done
done
