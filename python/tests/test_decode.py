"""decode(): the same bytes as the command line, from a path, bytes or a
file object, with and without salvage, markers and key."""

import io
import warnings

import pytest

import xlogdec
from conftest import ALL_FILES, KEY, file_id, run_cli

VARIANTS = {
    "default": ({}, []),
    "no_salvage": ({"salvage": False}, ["--no-salvage"]),
    "no_markers": ({"markers": False}, ["--no-markers"]),
    "key": ({"key": KEY}, ["--key", KEY]),
    "recover": ({"recover": True}, ["--recover"]),
}


def decode_quietly(source, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", xlogdec.XlogWarning)
        return xlogdec.decode(source, **kw)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("path", ALL_FILES, ids=file_id)
def test_decode_equals_cli_byte_for_byte(cli, path, variant):
    kw, flags = VARIANTS[variant]
    code, out, err = run_cli(cli, *flags, path)
    if code == 0:
        assert decode_quietly(str(path), **kw) == out
    else:
        # The command line failed on this input: the same message.
        assert code == 2
        with pytest.raises(xlogdec.XlogError) as e:
            decode_quietly(str(path), **kw)
        assert f"xlogdec: {e.value}\n" == err


@pytest.mark.parametrize("path", ALL_FILES, ids=file_id)
def test_bytes_and_file_objects_decode_like_the_path(path):
    name = path.name
    try:
        want = decode_quietly(path, key=KEY)
    except xlogdec.NotAnXlogError:
        for src in (path.read_bytes(), open(path, "rb")):
            with pytest.raises(xlogdec.NotAnXlogError):
                decode_quietly(src, key=KEY, name=name)
        return
    data = path.read_bytes()
    assert decode_quietly(data, key=KEY, name=name) == want
    assert decode_quietly(bytearray(data), key=KEY, name=name) == want
    assert decode_quietly(memoryview(data), key=KEY, name=name) == want
    with open(path, "rb") as f:
        assert decode_quietly(f, key=KEY) == want
    # A stream that hands out a few bytes per read (a socket, a pipe).
    assert decode_quietly(io.BufferedReader(io.BytesIO(data), 7), key=KEY, name=name) == want


def test_one_thread_and_many_give_the_same_bytes():
    path = ALL_FILES[0].parent / "b_async_zlib.xlog"
    assert xlogdec.decode(path, jobs=1) == xlogdec.decode(path, jobs=4)


def test_a_crash_buffer_is_known_by_its_name_or_by_mmap3(cli, tmp_path):
    src = [p for p in ALL_FILES if p.name == "i1_crash_async_zlib.mmap3"][0]
    data = src.read_bytes()
    _, want, _ = run_cli(cli, src)
    assert decode_quietly(data, name="x.mmap3") == want
    assert decode_quietly(data, mmap3=True) == want
    # Under another name, the command line's automatic mode, as it does it.
    copy = tmp_path / "copy.xlog"
    copy.write_bytes(data)
    _, want_auto, _ = run_cli(cli, copy)
    assert decode_quietly(data, name="copy.xlog") == want_auto
    assert decode_quietly(copy, mmap3=True) == want


def test_locked_blocks_warn_as_the_command_line_does():
    path = [p for p in ALL_FILES if p.name == "e_async_zlib_crypt.xlog"][0]
    with pytest.warns(xlogdec.XlogWarning, match=r"encrypted blocks not decoded: no private key given"):
        xlogdec.decode(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        xlogdec.decode(path, key=KEY)


def test_an_empty_input_decodes_to_nothing():
    assert xlogdec.decode(b"") == b""


def test_the_shared_corpus_decodes_like_the_cli(cli):
    """Every file of the full shared corpus, when it is there."""
    from conftest import SHARED_CORPUS, corpus_files, skip_loudly

    if not SHARED_CORPUS.is_dir():
        skip_loudly(f"the shared corpus is not at {SHARED_CORPUS} (set XLOGDEC_SHARED_CORPUS)")
    files = corpus_files(SHARED_CORPUS)
    assert files
    for path in files:
        code, out, err = run_cli(cli, "--key", KEY, path)
        if code == 0:
            assert decode_quietly(path, key=KEY) == out, path
        else:
            with pytest.raises(xlogdec.XlogError) as e:
                decode_quietly(path, key=KEY)
            assert f"xlogdec: {e.value}\n" == err


@pytest.mark.parametrize("call", ["decode", "records", "info"])
def test_decoding_releases_the_gil(call):
    """Another Python thread runs while a decode is under way: it records
    the times it ran, and some fall in the middle half of the decode (a
    decode holding the GIL would leave that span empty)."""
    import threading
    import time

    # 72 MB of text: long enough that the middle half of the decode spans
    # many scheduler slices even on a loaded machine (with a fifth of it,
    # a busy machine once left the ticking thread without a slice there).
    data = (ALL_FILES[0].parent / "b_async_zlib.xlog").read_bytes() * 240
    span = {}

    def work():
        span["t0"] = time.perf_counter()
        if call == "decode":
            xlogdec.decode(data, jobs=1)
        elif call == "records":
            # Filtered down to nothing: the time goes to decoding, not to
            # this thread's Python.
            assert list(xlogdec.records(data, grep="^no such message$", jobs=1)) == []
        else:
            xlogdec.info(data)
        span["t1"] = time.perf_counter()

    ticks = []
    t = threading.Thread(target=work)
    t.start()
    while t.is_alive():
        ticks.append(time.perf_counter())
    t.join()
    t0, t1 = span["t0"], span["t1"]
    d = t1 - t0
    assert d > 0.02, "the decode was too short to tell"
    middle = [x for x in ticks if t0 + d / 4 < x < t1 - d / 4]
    assert len(middle) > 10
