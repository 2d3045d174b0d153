"""Bring a database to the newest schema with Alembic, programmatically.

Called by `beffroi run` and the other commands before anything else touches the
database, so an upgrade of Beffroi upgrades the schema on first start.

Two rules around it:
- a database whose schema is newer than this version's (a downgrade of Beffroi, or a
  backup made by a newer version) is refused with a clear message, never touched;
- before migrating an existing SQLite database, `beffroi run` copies it aside (SQLite's
  online backup, next to it, named after the revisions) and says where, as Frigate does:
  an upgrade that goes wrong can be undone by putting the copy back.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

MIGRATIONS = Path(__file__).parent / "migrations"

log = logging.getLogger(__name__)


class SchemaTooNewError(RuntimeError):
    """The database was written by a newer Beffroi: this version must not touch it."""


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def head_revision() -> str:
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert head is not None
    return head


def known_revision(revision: str) -> bool:
    """Whether this version's migrations know `revision` (else a newer Beffroi wrote it)."""
    return revision in {s.revision for s in ScriptDirectory(str(MIGRATIONS)).walk_revisions()}


def current_revision(engine: Engine) -> str | None:
    """The database's schema revision; None for an empty database."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(engine: Engine, *, copy_aside: bool = False) -> Path | None:
    """Migrate to the newest schema. With `copy_aside` and an SQLite database that needs
    migrating, copy it first; returns the copy's path (None: no copy made).
    SchemaTooNewError for a schema this version does not know."""
    current = current_revision(engine)
    head = head_revision()
    if current is not None and not known_revision(current):
        raise SchemaTooNewError(
            f"the database's schema revision {current} is newer than this Beffroi's "
            f"({head}): downgrades are refused. Run the version that wrote it, or restore a "
            "backup made with this version (beffroi restore)"
        )
    if current == head:
        return None  # nothing to run (the SQLite foreign-key checks of env.py cost a scan)
    copy = None
    if copy_aside and current is not None:
        copy = copy_sqlite_aside(engine, f"{current}-to-{head}")
    command.upgrade(alembic_config(engine), "head")
    return copy


def copy_sqlite_aside(engine: Engine, label: str) -> Path | None:
    """A consistent copy of an SQLite database next to it; None for another backend."""
    if engine.dialect.name != "sqlite" or not engine.url.database:
        return None
    source = Path(engine.url.database)
    target = source.with_name(f"{source.name}.before-{label}-{time.strftime('%Y%m%d%H%M%S')}")
    sqlite_backup(source, target)
    log.warning("database copied before its migration (%s): %s", label, target)
    return target


def sqlite_backup(source: Path, target: Path) -> None:
    """SQLite's online backup: consistent while the server writes, WAL included."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        with dst:
            src.backup(dst)
    finally:
        src.close()
        dst.close()
    target.chmod(0o600)
