"""Engine creation for the embedded SQLite (default) and PostgreSQL (by URL)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event

DATABASE_URL_ENV = "BEFFROI_DATABASE_URL"


def database_url(data_dir: Path | str, url: str | None = None) -> str:
    """The URL in force: explicit, else `BEFFROI_DATABASE_URL`, else SQLite in DATA."""
    if url:
        return url
    env = os.environ.get(DATABASE_URL_ENV)
    if env:
        return env
    return f"sqlite:///{Path(data_dir).resolve() / 'beffroi.sqlite3'}"


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # pre_ping: after a PostgreSQL restart, pooled connections are dead; test before use.
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    # WAL lets the API read while the index writer writes. synchronous=NORMAL keeps the
    # database consistent on power loss; a transaction lost that way is a segment row
    # whose file exists, and start-up reconciliation indexes it again.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()
