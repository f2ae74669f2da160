"""records() and info(): the command line's JSON objects, object for
object, with and without filters."""

import json
import warnings

import pytest

import xlogdec
from conftest import ALL_FILES, CORPUS, IMSDK, KEY, file_id, run_cli


def cli_objects(cli, *args):
    """The command line's --format json objects: (code, objects, stderr)."""
    code, out, err = run_cli(cli, "--format", "json", *args)
    return code, [json.loads(line) for line in out.splitlines()], err


def py_objects(path, **kw):
    """records() as a list, and its summary; the failure, if any."""
    rs = xlogdec.records(str(path), **kw)
    got, failure = [], None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", xlogdec.XlogWarning)
        try:
            for obj in rs:
                got.append(obj)
        except xlogdec.XlogError as e:
            failure = e
    return got, rs.summary, failure


def split_cli(objs):
    """(begin/summary aside) the objects records() yields, and the summary."""
    assert objs[0]["type"] == "begin"
    body = [o for o in objs[1:] if o["type"] != "summary"]
    summaries = [o for o in objs if o["type"] == "summary"]
    return body, (summaries[0] if summaries else None)


@pytest.mark.parametrize("with_key", [False, True], ids=["nokey", "key"])
@pytest.mark.parametrize("path", ALL_FILES, ids=file_id)
def test_records_equal_cli_json_object_for_object(cli, path, with_key):
    kw, flags = ({"key": KEY}, ["--key", KEY]) if with_key else ({}, [])
    code, objs, err = cli_objects(cli, *flags, path)
    got, summary, failure = py_objects(path, **kw)
    if code == 0:
        assert failure is None
    else:
        assert code == 2 and failure is not None
        assert f"xlogdec: {failure}\n" == err
    if not objs:
        assert got == [] and summary is None
        return
    want, want_summary = split_cli(objs)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g == w
    assert summary == want_summary


FILTERS = [
    ({"level": "E"}, ["-l", "E"]),
    ({"level": "warn", "tag": ["imsdk*", "TIM*"]}, ["-l", "warn", "--tag", "imsdk*", "--tag", "TIM*"]),
    # `grep` searches the message, as the command line's --message (its -e
    # searches the whole record).
    ({"grep": "ret(code)?[:=] ?[1-9]", "ignore_case": True}, ["--message", "ret(code)?[:=] ?[1-9]", "-i"]),
    ({"grep": "heartbeat", "invert": True}, ["--message", "heartbeat", "-v"]),
    ({"since": "10:03", "until": "11:20:30"}, ["--since", "10:03", "--until", "11:20:30"]),
    ({"since": "2024-01-31 02:04Z"}, ["--since", "2024-01-31 02:04Z"]),
    ({"main_thread": True}, ["--main-thread"]),
]


FILTERED_FILES = [
    CORPUS / "b_async_zlib.xlog",
    CORPUS / "a2_sync_zlib_tz.xlog",
    CORPUS / "h_multiday" / "imsdk_20240131.xlog",
    IMSDK / "imsdk_20240312.xlog",
    IMSDK / "mixed_20240312.xlog",
]


@pytest.mark.parametrize("case", range(len(FILTERS)))
def test_filtered_records_equal_cli_json(cli, case):
    kw, flags = FILTERS[case]
    passed = total = 0
    for path in FILTERED_FILES:
        total += xlogdec.info(path)["records"]
        code, objs, _ = cli_objects(cli, *flags, path)
        assert code == 0
        want, want_summary = split_cli(objs)
        got, summary, failure = py_objects(path, **kw)
        assert failure is None
        assert got == want
        assert summary == want_summary
        passed += summary["records"]
    # The filter kept some records and dropped others.
    assert 0 < passed < total


def test_pid_and_tid_filters_keep_one_thread(cli):
    path = CORPUS / "b_async_zlib.xlog"
    first = next(r for r in xlogdec.records(path) if r["type"] == "record" and "pid" in r)
    got, _, _ = py_objects(path, pid=first["pid"], tid=first["tid"])
    _, objs, _ = cli_objects(cli, "--pid", first["pid"], "--tid", first["tid"], path)
    assert got == split_cli(objs)[0]
    assert got and all(r["tid"] == first["tid"] for r in got if r["type"] == "record")


@pytest.mark.parametrize("path", ALL_FILES, ids=file_id)
def test_info_equals_cli(cli, path):
    code, out, err = run_cli(cli, "info", "--format", "json", "--key", KEY, path)
    if code != 0:
        with pytest.raises(xlogdec.XlogError) as e:
            xlogdec.info(path, key=KEY)
        assert f"xlogdec info: {e.value}\n" == err
        return
    assert xlogdec.info(str(path), key=KEY) == json.loads(out)
    if path.name == "b_async_zlib.xlog":
        _, out3, _ = run_cli(cli, "info", "--format", "json", "--top", "3", path)
        assert xlogdec.info(path, top=3) == json.loads(out3)
        assert len(json.loads(out3)["top_tags"]) == 3


def test_escaped_fields_give_their_bytes_back():
    raw = b"caf\xc3\xa9 \\ \xff\xfe end"
    text, escaped = xlogdec.escape(raw)
    assert escaped and text == "caf\u00e9 \\\\ \\xFF\\xFE end"
    assert xlogdec.unescape(text) == raw
    assert xlogdec.escape(b"plain") == ("plain", False)
    with pytest.raises(ValueError):
        xlogdec.unescape("lone \\ backslash")


def test_closing_early_stops_the_decoding_thread():
    path = IMSDK / "imsdk_20240312.xlog"
    with xlogdec.records(path, jobs=2) as rs:
        first = next(rs)
    assert first["type"] == "record"
    assert list(rs) == []
    # Dropped half-way without close(): nothing hangs.
    rs = xlogdec.records(path)
    next(rs)
    del rs
