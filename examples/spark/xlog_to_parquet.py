"""Decode a directory of Mars xlog files into Parquet, on a Spark cluster.

    spark-submit examples/spark/xlog_to_parquet.py INPUT OUTPUT [--key-file FILE]

INPUT is any path Spark's ``binaryFile`` source reads (a directory, a glob,
an object-store prefix such as ``s3a://bucket/logs/``); every ``*.xlog`` and
``*.mmap3`` file under it is decoded on the executors with the ``xlogdec``
package (``mapInArrow``), one row per object of ``xlogdec --format json``:
records (a record longer than 1 MiB joined back from its pieces) and the
integrity events (``gap``, ``corrupt``, ``locked``, ``salvaged``), plus an
``error`` row for an input that could not be decoded (rows before the
failure are kept). The rows are written as Parquet partitioned by
``date`` (the record's own date, ``YYYY-MM-DD``) and ``level`` (``V`` ..
``F``); rows without them (events, banners) go to the
``__HIVE_DEFAULT_PARTITION__`` partitions.

Each executor process needs the ``xlogdec`` wheel and ``pyarrow``: see the
README ("Spark") for shipping them with ``spark-submit``.
"""

import argparse
import os
from datetime import datetime
from typing import Any, Dict, Iterator, List, Optional

import pyarrow as pa

# One output row: the JSON objects' fields, flattened.
FIELDS = [
    ("file", pa.string()),
    ("index", pa.int64()),  # the object's place among its file's rows, from 0
    ("type", pa.string()),  # record, gap, corrupt, locked, salvaged, error
    ("date", pa.string()),
    ("level", pa.string()),
    ("time", pa.string()),
    ("ts", pa.string()),
    ("timestamp", pa.timestamp("us", tz="UTC")),  # null when the writer's offset is unknown
    ("pid", pa.int64()),
    ("tid", pa.int64()),
    ("main_thread", pa.bool_()),
    ("tag", pa.string()),
    ("src_file", pa.string()),
    ("src_line", pa.int64()),
    ("func", pa.string()),
    ("line_format", pa.string()),
    ("message", pa.string()),
    ("text", pa.string()),
    ("escaped", pa.list_(pa.string())),
    ("offset", pa.int64()),
    ("length", pa.int64()),
    ("seq", pa.int64()),
    ("first", pa.int64()),
    ("last", pa.int64()),
    ("reason", pa.string()),
    ("how", pa.string()),
    ("payload_bytes", pa.int64()),
    ("payload_len", pa.int64()),
]
SCHEMA = pa.schema(FIELDS)
NAMES = [n for n, _ in FIELDS]
# Spark's DDL for the same columns.
DDL = ", ".join(
    f"`{n}` {t}"
    for n, t in zip(
        NAMES,
        ["string", "bigint", "string", "string", "string", "string", "string", "timestamp",
         "bigint", "bigint", "boolean", "string", "string", "bigint", "string", "string",
         "string", "string", "array<string>", "bigint", "bigint", "bigint", "bigint",
         "bigint", "string", "string", "bigint", "bigint"],
    )
)
ROWS_PER_BATCH = 8192


def joined(objects: Iterator[Dict[str, Any]]) -> Iterator[Dict[str, Any]]:
    """The objects with each long record's ``continuation`` pieces joined
    into its ``message`` (or ``text``), exactly (escaped pieces unescaped,
    then the whole escaped again)."""
    import xlogdec

    head: Optional[Dict[str, Any]] = None
    pieces: List[Any] = []
    for obj in objects:
        if head is not None and obj["type"] == "continuation":
            pieces.append(obj)
            if not obj.get("continued"):
                yield _join(head, pieces, xlogdec)
                head, pieces = None, []
            continue
        if head is not None:  # cut short (the input ended): keep what came
            yield _join(head, pieces, xlogdec)
            head, pieces = None, []
        if obj["type"] == "record" and obj.get("continued"):
            head = obj
            continue
        yield obj
    if head is not None:
        yield _join(head, pieces, xlogdec)


def _join(head: Dict[str, Any], pieces: List[Dict[str, Any]], xlogdec: Any) -> Dict[str, Any]:
    field = "message" if "message" in head else "text"
    parts = [(head[field], field in head.get("escaped", []))]
    parts += [(p["text"], "text" in p.get("escaped", [])) for p in pieces]
    out = dict(head)
    out.pop("continued", None)
    if not any(esc for _, esc in parts):
        out[field] = "".join(t for t, _ in parts)
        return out
    raw = b"".join(xlogdec.unescape(t) if esc else t.encode() for t, esc in parts)
    out[field], escaped = xlogdec.escape(raw)
    rest = [f for f in head.get("escaped", []) if f != field]
    out["escaped"] = rest + [field] if escaped else rest
    if not out["escaped"]:
        del out["escaped"]
    return out


def _timestamp(ts: Optional[str]) -> Optional[datetime]:
    if not ts:
        return None
    try:
        t = datetime.fromisoformat(ts)
    except ValueError:
        return None
    return t if t.tzinfo is not None else None


def rows(path: str, content: bytes, key: Optional[str]) -> Iterator[Dict[str, Any]]:
    """The rows of one input."""
    import xlogdec

    index = 0
    try:
        objects = xlogdec.records(content, key=key, name=path, jobs=1)
        for obj in joined(objects):
            row = {n: obj.get(n) for n in NAMES}
            row["file"], row["index"] = path, index
            if obj.get("time"):
                row["date"] = obj["time"][:10]
            row["timestamp"] = _timestamp(obj.get("ts"))
            yield row
            index += 1
    except xlogdec.XlogError as e:
        yield {"file": path, "index": index, "type": "error", "reason": str(e)}


def decode_batches(batches: Iterator[pa.RecordBatch], key: Optional[str]) -> Iterator[pa.RecordBatch]:
    """mapInArrow's function: (path, content) rows in, decoded rows out."""
    buf: List[Dict[str, Any]] = []
    for batch in batches:
        paths = batch.column("path").to_pylist()
        contents = batch.column("content")
        for i, path in enumerate(paths):
            for row in rows(path, contents[i].as_py(), key):
                buf.append(row)
                if len(buf) >= ROWS_PER_BATCH:
                    yield pa.RecordBatch.from_pylist(buf, schema=SCHEMA)
                    buf = []
    if buf:
        yield pa.RecordBatch.from_pylist(buf, schema=SCHEMA)


def read_key(key_file: Optional[str]) -> Optional[str]:
    if key_file:
        with open(key_file) as f:
            return f.read().strip()
    return os.environ.get("XLOGDEC_PRIVATE_KEY") or None


def run(spark: Any, input_path: str, output: str, key: Optional[str] = None,
        mode: str = "errorifexists") -> None:
    """Decodes every xlog under `input_path` into Parquet at `output`."""
    # Whole files travel in each Arrow batch to the Python workers: a few
    # at a time (the default, 10,000, could be gigabytes).
    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", "4")
    files = (
        spark.read.format("binaryFile")
        .option("pathGlobFilter", "*.{xlog,mmap3}")
        .option("recursiveFileLookup", "true")
        .load(input_path)
        .select("path", "content")
    )
    decoded = files.mapInArrow(lambda it: decode_batches(it, key), DDL)
    decoded.write.mode(mode).partitionBy("date", "level").parquet(output)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("input", help="directory, glob or object-store prefix of xlog files")
    ap.add_argument("output", help="where the Parquet dataset goes")
    ap.add_argument("--key-file", help="the private key (64 hex) of encrypted logs "
                    "(default: $XLOGDEC_PRIVATE_KEY)")
    ap.add_argument("--mode", default="errorifexists",
                    choices=["errorifexists", "overwrite", "append"],
                    help="when OUTPUT exists (default: fail)")
    args = ap.parse_args()

    from pyspark.sql import SparkSession

    spark = SparkSession.builder.appName("xlog-to-parquet").getOrCreate()
    run(spark, args.input, args.output, read_key(args.key_file), args.mode)
    spark.stop()


if __name__ == "__main__":
    main()
