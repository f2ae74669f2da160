"""diagnose(): the objects of `xlogdec diagnose --format json`, object for
object, on every IM SDK day of testdata/imsdk and on a Mars log without IM
SDK lines; rules files and bad inputs as the command line takes them."""

import io
import json

import pytest

import xlogdec
from conftest import CORPUS, IMSDK, file_id, run_cli

DAYS = sorted(IMSDK.glob("*.xlog"))
MARS = CORPUS / "b_async_zlib.xlog"


def cli_diagnose(cli, *args):
    """The command line's objects: (code, objects, stderr)."""
    code, out, err = run_cli(cli, "diagnose", "--format", "json", *args)
    return code, [json.loads(line) for line in out.decode().split("\n") if line], err


@pytest.mark.parametrize("path", DAYS + [MARS], ids=file_id)
def test_diagnose_equals_the_cli_json_object_for_object(cli, path):
    code, want, err = cli_diagnose(cli, path)
    assert code == 0, err
    got = xlogdec.diagnose(str(path))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g == w
    summary = got[-1]
    assert summary["type"] == "summary" and summary["file"] == str(path)
    if path == MARS:
        assert summary["has_imsdk_lines"] is False and len(got) == 1
        assert "no IM SDK lines found" in err
    else:
        assert summary["has_imsdk_lines"] is True
        # Not vacuous: each day has sessions and coded findings, each coded
        # finding with its meaning.
        assert summary["sessions"] > 0
        coded = [o for o in got[:-1] if o["code"] is not None]
        assert coded and all(o["meaning"] for o in coded)


def test_top_and_every_source_kind_give_the_same_objects(cli):
    day = IMSDK / "imsdk_20240312.xlog"
    _, want, _ = cli_diagnose(cli, "--top", "2", day)
    assert len(want[-1]["top_codes"]) == 2
    data = day.read_bytes()
    for source in (day, data, io.BytesIO(data)):
        assert xlogdec.diagnose(source, top=2, name=str(day), jobs=1) == want


def test_a_rules_file_works_as_on_the_cli(cli, tmp_path):
    day = IMSDK / "imsdk_20240312.xlog"
    rules = tmp_path / "site.toml"
    rules.write_text(
        '[[rule]]\nfunction = "Close"\nevent = "error"\nconfidence = "documented"\n'
        '[[code]]\ncode = 20007\nname = "PEER_BLOCKED"\n'
        'meaning = "blocked by the peer"\nadvice = "ask the peer"\n'
    )
    code, want, err = cli_diagnose(cli, "--rules", rules, day)
    assert code == 0, err
    got = xlogdec.diagnose(day, rules=rules)
    assert got == want
    closes = [o for o in got if o["type"] == "error" and " Close " in o["evidence"]]
    assert closes, "the new rule fires"
    assert any(o["name"] == "PEER_BLOCKED" for o in got)
    assert got != xlogdec.diagnose(day)

    bad = tmp_path / "bad.toml"
    bad.write_text('[[rule]]\nfunction = "X"\nevent = "explode"\nconfidence = "seen"\n')
    code, out, err = run_cli(cli, "diagnose", "--rules", bad, day)
    assert code == 2 and out == b""
    with pytest.raises(xlogdec.RulesError) as e:
        xlogdec.diagnose(day, rules=bad)
    assert f"xlogdec diagnose: {e.value}\n" == err
    assert isinstance(e.value, ValueError)
    with pytest.raises(xlogdec.RulesError, match=r"missing\.toml: cannot read"):
        xlogdec.diagnose(day, rules=tmp_path / "missing.toml")


def test_bad_inputs_raise_as_the_other_calls(cli, tmp_path):
    with pytest.raises(xlogdec.InputError, match=r"gone\.xlog: no such file$"):
        xlogdec.diagnose(tmp_path / "gone.xlog")
    not_xlog = CORPUS / "j13_not_xlog.xlog"
    code, _, err = run_cli(cli, "diagnose", not_xlog)
    assert code == 2
    with pytest.raises(xlogdec.NotAnXlogError) as e:
        xlogdec.diagnose(not_xlog)
    assert f"xlogdec diagnose: {e.value}\n" in err
    with pytest.raises(xlogdec.InvalidKeyError):
        xlogdec.diagnose(MARS, key="zz")
