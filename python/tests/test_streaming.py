"""records() streams: memory stays bounded on an input larger than 100 MB,
whose records and JSON are several times larger still."""

import json
import subprocess
import sys
import textwrap

import xlogdec
from conftest import CORPUS

# What the child process measures: resident memory after a warm-up, the
# peak (VmHWM) after iterating over every object, and what it saw.
CHILD = textwrap.dedent(
    """
    import json, sys, xlogdec

    def status(field):
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024

    path, small, source = sys.argv[1], sys.argv[2], sys.argv[3]
    level = sys.argv[4] if len(sys.argv) > 4 else None
    for _ in xlogdec.records(small):   # warm-up: threads, buffers, imports
        pass
    base = status("VmRSS")
    objects = records = text = 0
    f = open(path, "rb") if source == "file" else None
    rs = xlogdec.records(f if f else path, jobs=2, level=level)
    for obj in rs:
        objects += 1
        if obj["type"] == "record":
            records += 1
            text += len(obj.get("message") or obj.get("text") or "")
    print(json.dumps({"base": base, "peak": status("VmHWM"), "objects": objects,
                      "records": records, "text": text, "summary": rs.summary}))
    """
)


def measure(path, source, level=None):
    small = str(CORPUS / "b_async_zlib.xlog")
    p = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), small, source] + ([level] if level else []),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(p.stdout)


def test_records_memory_stays_bounded_on_a_100_mb_input(tmp_path):
    one = (CORPUS / "b_async_zlib.xlog").read_bytes()
    copies = -(-100_000_000 // len(one))
    big = tmp_path / "big.xlog"
    with open(big, "wb") as f:
        for _ in range(copies):
            f.write(one)
    assert big.stat().st_size >= 100_000_000
    per_copy = xlogdec.info(one)["records"]
    fatal = xlogdec.info(one)["levels"]["F"]
    size = big.stat().st_size
    # From a path (memory-mapped), every object through Python.
    m = measure(big, "path")
    # Every record of every copy came through: 370 MB of decoded text,
    # 140 MB of it in the messages the objects hold ...
    assert m["records"] == copies * per_copy == m["summary"]["records"]
    assert m["summary"]["bytes_out"] > 3 * size
    assert m["text"] > size
    # ... while the process grew by a small fraction of that: the decoder's
    # blocks in flight and the JSON chunks, not the input.
    check_growth(m, "path")
    # From a file object (read in windows), every block decoded and judged,
    # the fatal records through Python.
    m = measure(big, "file", "F")
    assert m["records"] == copies * fatal == m["summary"]["records"]
    assert m["summary"]["bytes_in"] == size
    assert m["summary"]["bytes_out"] > 3 * size
    check_growth(m, "file")


def check_growth(m, source):
    growth = m["peak"] - m["base"]
    print(f"{source}: {m['objects']} objects, peak RSS grew by {growth / 2**20:.1f} MiB")
    assert growth < 80 << 20, f"{source}: grew by {growth >> 20} MiB"
