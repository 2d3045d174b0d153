"""Alembic environment: the engine is handed over by `beffroi.db.migrate`."""

from alembic import context

from beffroi.db import tables  # noqa: F401  (registers every table on the metadata)
from beffroi.db.base import metadata

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    context.run_migrations()
