"""`beffroi site check`: exit status and what the administrator reads."""

import argparse
from pathlib import Path

import pytest

from beffroi.site import demo_site_path
from beffroi.site.cli import add_parser, run_site_check


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="beffroi")
    add_parser(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(list(argv))


def test_check_valid_demo_prints_warnings_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    args = parse("site", "check", str(demo_site_path()), "--today", "2026-11-26")
    assert args.func is run_site_check
    assert run_site_check(args) == 0
    out, err = capsys.readouterr()
    assert "warning: cameras[7].authorisation.expires (sta-001)" in out
    assert "valid: 6 communes, 12 cameras, 1 warning" in out
    assert err == ""


def test_check_invalid_file_lists_problems_on_stderr_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "site.yaml"
    path.write_text(
        "communes:\n"
        "  - id: joue-les-tours\n"
        "    name: Joué-lès-Tours\n"
        "cameras:\n"
        "  - id: jlt-004\n"
        "    name: Rabière\n"
        "    commune: joue-les-tours\n"
        "    stream: rtsp://127.0.0.1:8554/cam3\n"
        "    retention: 45d\n"
        "    view: wide\n",
        encoding="utf-8",
    )
    assert run_site_check(parse("site", "check", str(path), "--today", "2026-11-26")) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert (
        f"{path}:9: cameras[0].retention (jlt-004): retention 45d exceeds the legal maximum "
        "of 30 days (CSI L252-5)"
    ) in err
    assert f"{path}:10: cameras[0].view (jlt-004):" in err
    assert "2 problems to fix" in err


def test_check_missing_file_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_site_check(parse("site", "check", str(tmp_path / "nope.yaml"))) == 1
    assert "cannot read the file" in capsys.readouterr().err


def test_check_refuses_a_bad_today_date() -> None:
    with pytest.raises(SystemExit):
        parse("site", "check", "x.yaml", "--today", "tomorrow")
