"""The migrations are the authoritative schema: they must match the declared tables."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

from beffroi.db import tables  # noqa: F401
from beffroi.db.base import metadata
from beffroi.db.migrate import upgrade


def test_migrations_match_declared_tables(engine: Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == [], f"declared tables and migrations differ: {diff}"


def test_upgrade_is_idempotent(engine: Engine) -> None:
    upgrade(engine)
    names = set(inspect(engine).get_table_names())
    assert {"cameras", "segments", "holds", "destructions", "users"} <= names
