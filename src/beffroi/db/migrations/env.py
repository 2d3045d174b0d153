"""Alembic environment: the engine is handed over by `beffroi.db.migrate`.

SQLite alters a table by copying it to a new one and dropping the old (batch mode).
With foreign keys enforced, dropping a parent table runs its children's ON DELETE
CASCADE: upgrading from 0001 lost every session and every user's communes. So on
SQLite the migrations run with foreign keys off (the pragma is ignored inside a
transaction: it is set before), and `PRAGMA foreign_key_check` must find no more orphan
rows after them than before (a database may carry some from an older bug: they alone do
not block an upgrade) before the transaction commits.
"""

from alembic import context
from sqlalchemy import Connection, text

from beffroi.db import tables  # noqa: F401  (registers every table on the metadata)
from beffroi.db.base import metadata


def _orphans(connection: Connection) -> int:
    return len(connection.execute(text("PRAGMA foreign_key_check")).all())


engine = context.config.attributes["engine"]
with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()  # ends SQLAlchemy's autobegun transaction; the pragma holds
    try:
        with connection.begin():
            orphans = _orphans(connection) if sqlite else 0
            context.configure(
                connection=connection,
                target_metadata=metadata,
                render_as_batch=sqlite,
            )
            context.run_migrations()
            if sqlite and _orphans(connection) > orphans:
                raise RuntimeError("a migration left rows without their parent: rolled back")
    finally:
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()
