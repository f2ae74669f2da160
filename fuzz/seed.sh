#!/usr/bin/env bash
# Fills fuzz/corpus/TARGET with seeds from the test files in testdata/:
# whole xlog files for the parsers, decoded texts for the record parser,
# and encrypted block bodies (key field + payload) for the decryptor.
set -euo pipefail
cd "$(dirname "$0")"
src=../testdata/corpus
mkdir -p corpus/block_parser corpus/decoder corpus/record corpus/decryptor
for f in "$src"/*.xlog "$src"/*.mmap3 "$src"/*/*.xlog; do
  [ -s "$f" ] || continue
  name=$(basename "$f")
  # Keep seeds small: libFuzzer works best on inputs of a few kB.
  head -c 65536 "$f" > "corpus/decoder/$name"
  head -c 4096 "$f" > "corpus/block_parser/$name"
done
for f in "$src"/*.expected.log; do
  [ -s "$f" ] || continue
  { printf '\x07'; head -c 16384 "$f"; } > "corpus/record/$(basename "$f")"
done
# Encrypted blocks: key field (64 bytes at 9) and payload of the first block.
for f in e_async_zlib_crypt.xlog g_async_zstd_crypt.xlog j16_crypt_flip_payload.xlog; do
  python3 - "$src/$f" "corpus/decryptor/$f" <<'PY'
import struct, sys
d = open(sys.argv[1], 'rb').read()
n = struct.unpack_from('<I', d, 5)[0]
open(sys.argv[2], 'wb').write(d[9:73] + d[73:73 + n])
PY
done
echo "seeded: $(ls corpus/*/ | wc -l) files"
