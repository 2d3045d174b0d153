"""Every migration, from a database filled at the revision before it, up to the head:
no row lost, and a journal written at an older revision still verifies. On SQLite and
PostgreSQL.

The rows are made from the schema as it was at each revision (reflected, not this
version's tables): every table gets three rows, foreign keys pointing at real rows of
the tables they reference, values of each column's type. The journal is written with
this version's code from revision 0017 on (its tables have kept their shape since), and
verified at the head with the installation key.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Engine,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    func,
    insert,
    select,
)
from sqlalchemy.schema import Column

from beffroi.clock import FakeClock
from beffroi.db.engine import make_engine
from beffroi.db.migrate import MIGRATIONS, alembic_config, head_revision, upgrade
from beffroi.journal.http import principal_entry
from beffroi.journal.keys import load_public_key
from beffroi.journal.service import Journal
from beffroi.journal.verify import verify_journal

JOURNAL_TABLES = {"journal_entries", "journal_head", "journal_checkpoints"}
JOURNAL_STABLE_FROM = "0017"  # the journal's tables have had their present shape since
ROWS = 3

REVISIONS = [s.revision for s in reversed(list(ScriptDirectory(str(MIGRATIONS)).walk_revisions()))]


def _value(column: Column[Any], i: int) -> Any:
    kind = column.type
    if isinstance(kind, BigInteger):
        return 1_790_000_000_000 + i * 60_000  # milliseconds, as Beffroi stores time
    if isinstance(kind, Integer):
        return i + 1
    if isinstance(kind, Boolean):
        return i % 2 == 1
    if isinstance(kind, Float | Numeric):
        return 12.5
    if isinstance(kind, DateTime):
        return datetime.datetime(2027, 1, 1, 12, 0)
    if isinstance(kind, Date):
        return datetime.date(2027, 6, 30)
    if isinstance(kind, LargeBinary):
        return b"\x00beffroi"
    if isinstance(kind, String | Text):
        text = f"{column.name}-{i}-é"
        return text[: kind.length] if isinstance(kind, String) and kind.length else text
    raise TypeError(f"no test value for {column.table.name}.{column.name}: {kind!r}")


def _row(engine: Engine, table: Table, i: int) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for column in table.columns:
        if column.foreign_keys:
            target = next(iter(column.foreign_keys)).column
            with engine.connect() as conn:
                refs = list(conn.execute(select(target).order_by(target)).scalars())
            row[column.name] = refs[i % len(refs)]
        elif column.primary_key and column.autoincrement is True:
            continue  # a sequence gives it (SQLite's integer keys take ours)
        else:
            row[column.name] = _value(column, i)
    return row


def fill(engine: Engine) -> dict[str, int]:
    """Three rows in every table of the schema as it is now; the counts after."""
    schema = MetaData()
    schema.reflect(engine)
    counts = {}
    for table in schema.sorted_tables:
        if table.name == "alembic_version" or table.name in JOURNAL_TABLES:
            continue
        for i in range(ROWS):
            with engine.begin() as conn:
                conn.execute(insert(table).values(**_row(engine, table, i)))
        with engine.connect() as conn:
            counts[table.name] = conn.execute(select(func.count()).select_from(table)).scalar_one()
    return counts


@pytest.mark.slow
@pytest.mark.parametrize("revision", REVISIONS[:-1])
def test_upgrade_from_a_filled_database(
    revision: str, db_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    engine = make_engine(db_url)
    try:
        command.upgrade(alembic_config(engine), revision)
        before = fill(engine)
        journaled = revision >= JOURNAL_STABLE_FROM
        if journaled:
            journal = Journal.open(engine, clock, tmp_path)
            for i in range(5):
                entry = principal_entry(None, "recording.read", username="agent", detail={"i": i})
                journal.record(entry)
            journal.checkpoint()
        upgrade(engine)
        schema = MetaData()
        schema.reflect(engine)
        with engine.connect() as conn:
            assert conn.execute(select(schema.tables["alembic_version"])).scalar() == (
                head_revision()
            )
            after = {
                name: conn.execute(select(func.count()).select_from(schema.tables[name])).scalar()
                for name in before
            }
        assert after == before, f"rows lost upgrading from {revision}"
        if journaled:
            report = verify_journal(engine, load_public_key(tmp_path))
            assert report.ok and report.entries == 5, report.summary()
    finally:
        engine.dispose()
