"""Database plumbing shared by every package: metadata, engine, migrations.

Each stage package declares its own tables (`beffroi.<stage>.tables`) on the one
`metadata` defined here; Alembic migrations in `db/migrations` are the authoritative
schema, and a test proves they match the declared tables.
"""

from beffroi.db.base import metadata
from beffroi.db.engine import database_url, make_engine

__all__ = ["database_url", "make_engine", "metadata"]
