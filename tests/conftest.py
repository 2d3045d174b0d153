"""Shared fixtures: a migrated database on every backend, a fake clock, a data dir.

Tests that take the `db_url` or `engine` fixture run once on SQLite and once on
PostgreSQL. PostgreSQL comes from `BEFFROI_TEST_PG_URL` (set by `make test`, which
starts a throw-away cluster with scripts/test-postgres.sh). Without it the PostgreSQL
half FAILS rather than skips, so CI can never silently test one backend only; set
`BEFFROI_TEST_BACKENDS=sqlite` for a quick local run.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from beffroi.clock import FakeClock
from beffroi.db.engine import make_engine
from beffroi.db.migrate import upgrade

BACKENDS = os.environ.get("BEFFROI_TEST_BACKENDS", "sqlite,postgresql").split(",")


def _pg_admin_url() -> str:
    url = os.environ.get("BEFFROI_TEST_PG_URL")
    if not url:
        pytest.fail(
            "BEFFROI_TEST_PG_URL is not set: run the suite with `make test`, or set "
            "BEFFROI_TEST_BACKENDS=sqlite to run the SQLite half only"
        )
    return url


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'beffroi.sqlite3'}"
        return
    admin_url = _pg_admin_url()
    name = "beffroi_test_" + uuid.uuid4().hex[:12]
    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = admin_url.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 1, 8, 0, tzinfo=UTC))


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    d.mkdir()
    return d


@pytest.fixture(autouse=True)
def _no_leaked_event_recorder() -> Iterator[None]:
    """`create_app` connects access events to its journal for the whole process (one
    app per server); between tests that would journal into a database already dropped."""
    from beffroi.access import events

    yield
    events.set_recorder(None)
