"""Shared fixtures: the repository's corpus and the `xlogdec` binary the
Python package is compared with."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "testdata" / "corpus"
IMSDK = ROOT / "testdata" / "imsdk"
SHARED_CORPUS = Path(os.environ.get("XLOGDEC_SHARED_CORPUS", "/work/shared/corpus"))

# The test key of the corpus's encrypted files (testdata/corpus/keys.md).
KEY = "9f730faaf15961d6f44e63977f81c7505d54c83480f0c7f7e1b5fbbd661e7fc7"


def corpus_files(*dirs):
    """Every .xlog and .mmap3 input under `dirs`, sorted."""
    out = []
    for d in dirs:
        out += sorted(p for p in Path(d).rglob("*") if p.suffix in (".xlog", ".mmap3"))
    return out


ALL_FILES = corpus_files(CORPUS, IMSDK)


def file_id(p):
    return str(p.relative_to(ROOT))


def skip_loudly(why):
    """Skips the running test, saying so past pytest's output capture."""
    sys.__stderr__.write(f"\nSKIPPED: {why}\n")
    sys.__stderr__.flush()
    pytest.skip(why)


@pytest.fixture(scope="session")
def cli():
    """The `xlogdec` binary: $XLOGDEC_BIN, or the debug build (built if
    missing)."""
    env = os.environ.get("XLOGDEC_BIN")
    if env:
        return env
    exe = ROOT / "target" / "debug" / "xlogdec"
    if not exe.exists():
        subprocess.run(["cargo", "build", "--bin", "xlogdec"], cwd=ROOT, check=True)
    return str(exe)


def run_cli(cli, *args):
    """Runs the binary; (exit code, stdout bytes, stderr text)."""
    args = [str(a) for a in args]
    if args[:1] not in (["info"], ["diagnose"]):
        args.insert(0, "--no-progress")
    p = subprocess.run(
        [cli, *args],
        capture_output=True,
        env={k: v for k, v in os.environ.items() if k != "XLOGDEC_PRIVATE_KEY"},
    )
    return p.returncode, p.stdout, p.stderr.decode()
