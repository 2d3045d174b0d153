"""The migrations are the authoritative schema: they must match the declared tables."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

from beffroi import __version__
from beffroi.db import tables  # noqa: F401
from beffroi.db.base import metadata
from beffroi.db.engine import make_engine
from beffroi.db.migrate import (
    MIGRATIONS,
    SchemaTooNewError,
    alembic_config,
    current_revision,
    head_revision,
    upgrade,
)


def test_migrations_match_declared_tables(engine: Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == [], f"declared tables and migrations differ: {diff}"


def test_upgrade_is_idempotent(engine: Engine) -> None:
    upgrade(engine)
    names = set(inspect(engine).get_table_names())
    assert {"cameras", "segments", "holds", "destructions", "users"} <= names


def test_a_newer_schema_is_refused_and_an_older_sqlite_is_copied_aside(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    db = make_engine(f"sqlite:///{data / 'beffroi.sqlite3'}")
    # A database left at the previous revision, as the previous version wrote it.
    previous = ScriptDirectory(str(MIGRATIONS)).get_revision(head_revision()).down_revision
    command.upgrade(alembic_config(db), str(previous))
    copy = upgrade(db, copy_aside=True)
    assert copy is not None and f"before-{previous}-to-{head_revision()}" in copy.name
    assert current_revision(make_engine(f"sqlite:///{copy}")) == previous
    assert current_revision(db) == head_revision()
    assert upgrade(db, copy_aside=True) is None  # nothing to migrate: no copy
    # A newer Beffroi wrote it: refused, untouched, and the command says why.
    with db.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0999'"))
    with pytest.raises(SchemaTooNewError, match="downgrades are refused"):
        upgrade(db)
    r = subprocess.run(
        [sys.executable, "-m", "beffroi.cli", "user", "list", "--data", str(data)],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "BEFFROI_DATABASE_URL": ""},
    )  # fmt: skip
    assert r.returncode == 1 and "downgrades are refused" in r.stderr, r.stderr
    assert current_revision(db) == "0999"
    version = subprocess.run(
        [sys.executable, "-m", "beffroi.cli", "--version"], capture_output=True, text=True
    )
    assert version.stdout.strip() == f"beffroi {__version__} (schema {head_revision()})"
