"""Bad inputs and bad arguments raise the documented exceptions, worded as
the command line words them."""

import io

import pytest

import xlogdec
from conftest import CORPUS, run_cli

NOT_XLOG = CORPUS / "j13_not_xlog.xlog"


def test_a_missing_file_is_an_input_error_worded_as_the_cli(cli, tmp_path):
    missing = tmp_path / "gone.xlog"
    code, _, err = run_cli(cli, missing)
    assert code == 2
    for call in (xlogdec.decode, xlogdec.info, lambda p: list(xlogdec.records(p))):
        with pytest.raises(xlogdec.InputError) as e:
            call(missing)
        assert f"xlogdec: {e.value}\n" == err
        assert isinstance(e.value, OSError)
        assert e.value.file == str(missing) and e.value.reason == "no such file"


def test_a_directory_is_an_input_error(tmp_path):
    with pytest.raises(xlogdec.InputError, match=r": is a directory$"):
        xlogdec.decode(tmp_path)
    with pytest.raises(xlogdec.InputError, match=r": is a directory$"):
        list(xlogdec.records(tmp_path))


def test_not_an_xlog_raises_not_an_xlog_error(cli):
    code, _, err = run_cli(cli, NOT_XLOG)
    assert code == 2
    with pytest.raises(xlogdec.NotAnXlogError) as e:
        xlogdec.decode(NOT_XLOG)
    assert f"xlogdec: {e.value}\n" == err
    assert isinstance(e.value, ValueError)
    # records(): after whatever the walk found, at the end.
    rs = xlogdec.records(NOT_XLOG)
    with pytest.raises(xlogdec.NotAnXlogError):
        for _ in rs:
            pass
    assert rs.summary is not None and rs.summary["blocks"] == 0
    with pytest.raises(xlogdec.NotAnXlogError, match="<bytes>: not an xlog file"):
        xlogdec.decode(b"hello, world\n" * 100)
    with pytest.raises(xlogdec.NotAnXlogError):
        xlogdec.info(NOT_XLOG.read_bytes())


def test_a_bad_key_is_an_invalid_key_error_worded_as_the_cli(cli):
    for bad in ("zz", "g" * 64, "0" * 64):
        code, _, err = run_cli(cli, "--key", bad, CORPUS / "b_async_zlib.xlog")
        assert code == 2
        for call in (xlogdec.decode, xlogdec.records, xlogdec.info):
            with pytest.raises(xlogdec.InvalidKeyError) as e:
                call(b"", key=bad)
            assert f"xlogdec: {e.value}\n" == err
            assert isinstance(e.value, ValueError)


@pytest.mark.parametrize(
    "kw,flag",
    [
        ({"level": "loud"}, ["-l", "loud"]),
        ({"since": "yesterday"}, ["--since", "yesterday"]),
        ({"until": "25:99"}, ["--until", "25:99"]),
        ({"grep": "(unclosed"}, ["--message", "(unclosed"]),
    ],
)
def test_a_bad_filter_is_a_filter_error_raised_at_once(cli, kw, flag):
    code, _, err = run_cli(cli, *flag, CORPUS / "b_async_zlib.xlog")
    assert code == 2
    with pytest.raises(xlogdec.FilterError) as e:
        xlogdec.records(CORPUS / "b_async_zlib.xlog", **kw)
    # The command line's argument parser quotes the same reason (for a
    # regex, the compiler's, which the library prefixes with the pattern).
    reason = str(e.value)
    if "grep" in kw:
        reason = reason.split(": ", 1)[1]
    assert reason in err
    assert isinstance(e.value, ValueError)


def test_a_source_of_another_type_is_a_type_error():
    for bad in (42, None, ["a.xlog"]):
        with pytest.raises(TypeError, match="source must be a path"):
            xlogdec.decode(bad)
        with pytest.raises(TypeError):
            xlogdec.records(bad)


def test_a_text_mode_file_is_an_input_error(tmp_path):
    p = tmp_path / "t.xlog"
    p.write_bytes((CORPUS / "b_async_zlib.xlog").read_bytes())
    with open(p, encoding="latin-1") as f:
        with pytest.raises(xlogdec.InputError, match=r"read error at byte 0: .*binary mode"):
            xlogdec.decode(f)


class Failing(io.RawIOBase):
    """A stream that fails after `good` bytes."""

    def __init__(self, data, good):
        self.data, self.pos, self.good = data, 0, good

    def readable(self):
        return True

    def read(self, n=-1):
        if self.pos >= self.good:
            raise OSError("device went away")
        n = min(n, self.good - self.pos)
        b = self.data[self.pos : self.pos + n]
        self.pos += len(b)
        return b


def test_a_failing_stream_is_an_input_error_at_its_offset():
    # Copies of one file, cut by a failure well past the first read.
    data = (CORPUS / "b_async_zlib.xlog").read_bytes() * 20
    good = len(data) * 3 // 4
    with pytest.raises(xlogdec.InputError, match=r"read error at byte \d+: .*device went away"):
        xlogdec.decode(Failing(data, good), name="dev.xlog")
    # records() yields what came before the failure, then raises.
    rs = xlogdec.records(Failing(data, good), name="dev.xlog", jobs=1)
    got = []
    with pytest.raises(xlogdec.InputError) as e:
        for r in rs:
            got.append(r)
    assert got and e.value.file == "dev.xlog"
