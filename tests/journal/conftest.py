"""The web tests' app context (seeded site and users), reused for the journal API; and
`journal_cli`, the real `beffroi journal …` commands run in this process."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from beffroi.cli import main
from beffroi.db.engine import DATABASE_URL_ENV
from tests.web.conftest import ctx, recorder

__all__ = ["ctx", "journal_cli", "recorder"]

JournalCli = Callable[..., tuple[int, str]]


@pytest.fixture
def journal_cli(
    db_url: str, data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> JournalCli:
    """`beffroi journal <args> --data DATA` on the test's database: (exit code, output).
    `data=False` leaves out `--data`."""
    monkeypatch.setenv(DATABASE_URL_ENV, db_url)

    def run(*args: str, data: bool = True) -> tuple[int, str]:
        capsys.readouterr()
        try:
            code = main(["journal", *args, *(["--data", str(data_dir)] if data else [])])
        except SystemExit as exc:  # argparse refusing the arguments
            code = int(exc.code or 0)
        out = capsys.readouterr()
        return code, out.out + out.err

    return run
