"""The Spark job of examples/spark/ in local mode (local[2]) on the corpus:
its Parquet rows against the command line's --format json."""

import importlib.util
import json
from datetime import datetime, timezone
import os
import shutil
import sys
from collections import Counter
from pathlib import Path

import pytest

from conftest import CORPUS, IMSDK, KEY, ROOT, corpus_files, run_cli, skip_loudly

JOB = ROOT / "examples" / "spark" / "xlog_to_parquet.py"


def load_job():
    spec = importlib.util.spec_from_file_location("xlog_to_parquet", JOB)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def spark():
    if importlib.util.find_spec("pyspark") is None or importlib.util.find_spec("pyarrow") is None:
        skip_loudly("the Spark job test needs pyspark and pyarrow (./test.sh installs them)")
    if shutil.which("java") is None:
        skip_loudly("the Spark job test needs Java (17) on PATH")
    from pyspark.sql import SparkSession

    # The Python workers run this interpreter (the one with xlogdec).
    os.environ["PYSPARK_PYTHON"] = sys.executable

    s = (
        SparkSession.builder.master("local[2]")
        .appName("xlogdec-test")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    s.sparkContext.setLogLevel("ERROR")
    yield s
    s.stop()


def expected_rows(cli, path):
    """The rows the job should write for `path`: the command line's JSON
    objects without begin and summary (the corpus has no record long
    enough to come in pieces), or the failure."""
    code, out, err = run_cli(cli, "--format", "json", "--key", KEY, path)
    objs = [json.loads(line) for line in out.splitlines()]
    rows = [o for o in objs if o["type"] not in ("begin", "summary")]
    assert not any(o["type"] == "continuation" for o in rows)
    return rows, (err if code != 0 else None)


def test_spark_job_writes_the_cli_records_as_parquet(spark, cli, tmp_path):
    import pyarrow.dataset as ds

    # The corpus (directories below directories too), and files the job
    # must pass over.
    inp = tmp_path / "in"
    shutil.copytree(CORPUS, inp / "corpus")
    shutil.copytree(IMSDK, inp / "imsdk")
    out = tmp_path / "out"
    load_job().run(spark, str(inp), str(out), key=KEY)

    table = ds.dataset(str(out), format="parquet", partitioning="hive").to_table()
    got = table.to_pylist()
    by_file = {}
    for r in got:
        by_file.setdefault(r["file"], []).append(r)
    for rows in by_file.values():
        rows.sort(key=lambda r: r["index"])

    def uri(p):
        return p.as_uri().replace("file:///", "file:/")

    expected = {uri(p): expected_rows(cli, p) for p in corpus_files(inp)}
    # Every input with an object or a failure has rows (an empty file and a
    # crash buffer after a clean close have none).
    assert sorted(by_file) == sorted(u for u, (w, f) in expected.items() if w or f)
    assert len(by_file) >= 40
    checked = 0
    for path, (want, failure) in expected.items():
        rows = by_file.get(path, [])
        if failure:
            # The input's rows, then one error row with the command line's reason.
            assert rows[-1]["type"] == "error"
            assert failure.split(": ", 2)[2].strip() == rows[-1]["reason"].split(": ", 1)[1]
            rows = rows[:-1]
        # Counts per file, per type and per level.
        assert len(rows) == len(want), path
        assert Counter((r["type"], r["level"]) for r in rows) == Counter(
            (w["type"], w.get("level")) for w in want
        )
        assert [r["index"] for r in rows] == list(range(len(rows)))
        # A sample of rows (every 37th, and every event), field by field.
        for i, w in enumerate(want):
            if i % 37 and w["type"] == "record":
                continue
            r = rows[i]
            for field, value in w.items():
                if field == "file":
                    assert r["file"] == path
                else:
                    assert r[field] == value, (path, i, field)
            if w.get("time"):
                assert r["date"] == w["time"][:10]
            if w.get("ts"):
                t = datetime.fromisoformat(w["ts"])
                # An instant where the writer's offset is known, else null
                # (read back as UTC, with or without its zone).
                ts = r["timestamp"]
                if ts is not None and ts.tzinfo is None:
                    ts = ts.replace(tzinfo=timezone.utc)
                assert ts == (t if t.tzinfo else None)
            checked += 1
    assert checked > 500
    # Partitioned as promised: date=YYYY-MM-DD/level=L directories.
    assert (out / "date=2024-01-31" / "level=E").is_dir()
    levels = Counter(r["level"] for r in got if r["type"] == "record")
    assert levels["E"] > 0 and set(levels) - {None} <= set("VDIWEF")


def test_long_records_are_joined_from_their_pieces_exactly():
    job = load_job()
    import xlogdec

    head = {"type": "record", "file": "f", "level": "I", "message": "ab\\\\c", "continued": True,
            "escaped": ["message", "tag"], "tag": "t\\xFF"}
    pieces = [
        {"type": "continuation", "file": "f", "text": "d\\xFEe", "continued": True,
         "escaped": ["text"]},
        {"type": "continuation", "file": "f", "text": "fg\u00e9"},
    ]
    gap = {"type": "gap", "file": "f", "offset": 9, "first": 1, "last": 2}
    out = list(job.joined(iter([head, *pieces, gap])))
    assert out[1] == gap
    rec = out[0]
    assert "continued" not in rec
    assert xlogdec.unescape(rec["message"]) == b"ab\\cd\xfee" + "fg\u00e9".encode()
    assert rec["escaped"] == ["tag", "message"] and rec["tag"] == head["tag"]
    # Pieces that need no escaping join as they are.
    plain = {"type": "record", "file": "f", "level": None, "text": "x", "continued": True}
    out = list(job.joined(iter([plain, {"type": "continuation", "file": "f", "text": "y\n"}])))
    assert out == [{"type": "record", "file": "f", "level": None, "text": "xy\n"}]
