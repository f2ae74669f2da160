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
    for _ in xlogdec.records(small):   # warm-up: threads, buffers, imports
        pass
    base = status("VmRSS")
    objects = records = text = 0
    f = open(path, "rb") if source == "file" else None
    rs = xlogdec.records(f if f else path, jobs=2)
    for obj in rs:
        objects += 1
        if obj["type"] == "record":
            records += 1
            text += len(obj.get("message") or obj.get("text") or "")
    print(json.dumps({"base": base, "peak": status("VmHWM"), "objects": objects,
                      "records": records, "text": text, "summary": rs.summary}))
    """
)


def measure(path, source):
    small = str(CORPUS / "b_async_zlib.xlog")
    p = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), small, source],
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
    for source in ("path", "file"):
        m = measure(big, source)
        # Every record of every copy came through: 370 MB of decoded text,
        # 140 MB of it in the messages the objects hold ...
        assert m["records"] == copies * per_copy == m["summary"]["records"]
        assert m["summary"]["bytes_out"] > 3 * big.stat().st_size
        assert m["text"] > big.stat().st_size
        # ... while the process grew by a small fraction of that: the
        # decoder's blocks in flight and the JSON chunks, not the input.
        growth = m["peak"] - m["base"]
        print(f"{source}: {m['objects']} objects, peak RSS grew by {growth / 2**20:.1f} MiB")
        assert growth < 80 << 20, f"{source}: grew by {growth >> 20} MiB"
