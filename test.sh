#!/usr/bin/env bash
# Every test of the project: the Rust crate's (`cargo test`), then the
# Python package's: built into a wheel with maturin, installed into a
# virtual environment (target/py-venv, made and filled with
# python/requirements-test.txt when missing), tested with pytest (the
# Spark job's test included; it needs Java on PATH).
#
#   ./test.sh                  everything
#   ./test.sh --python-only    only the Python package (after a cargo test)
#   PYTEST_ARGS='-k spark' ./test.sh --python-only
set -euo pipefail
cd "$(dirname "$0")"

if [[ "${1:-}" != "--python-only" ]]; then
  cargo test
fi

PY=${PYTHON:-python3}
VENV=target/py-venv
if ! command -v "$PY" >/dev/null 2>&1; then
  echo "test.sh: $PY not found: the Python package's tests need CPython >= 3.9 (set PYTHON=...)" >&2
  exit 2
fi
if [[ ! -x $VENV/bin/python ]]; then
  "$PY" -m venv "$VENV"
fi
# Quiet and quick when everything is already there (no network needed then).
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -r python/requirements-test.txt

# The wheel, as a user gets it (release build, abi3).
rm -rf target/wheels
"$VENV/bin/maturin" build --release -q -m python/Cargo.toml -i "$VENV/bin/python" -o target/wheels
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps target/wheels/xlogdec-*.whl

# The binary the package is compared with: cargo test has built it.
if [[ ! -x target/debug/xlogdec ]]; then
  cargo build --bin xlogdec
fi
export XLOGDEC_BIN=$PWD/target/debug/xlogdec
# -rs: skipped tests say why in the summary.
# shellcheck disable=SC2086
"$VENV/bin/python" -m pytest -rs --durations=5 -p no:cacheprovider ${PYTEST_ARGS:-} python/tests
