"""Register numbers: `YYYY-NNNN`, a per-year sequence that never repeats nor skips.

The year is the year of REGISTRATION (when the centre records the requisition), in
Europe/Paris, not the year of reception: the register is kept in the order entries are
written, so numbers rise with time, and a year's register, once closed and printed, never
gets a late entry (a requisition received on 31 December but recorded on 2 January is
the new year's). Paris time, because the register is a French administrative document:
a requisition recorded at 00:30 on 1 January in Paris is the new year's, although UTC
still says 31 December.

A number is allocated by incrementing the year's counter row in the transaction that
inserts the requisition: concurrent registrations wait on the row (PostgreSQL) or the
database's write lock (SQLite) until the first commits, and a registration that rolls
back rolls its increment back with it, so the sequence has no holes.
"""

from __future__ import annotations

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite

from beffroi.clock import PARIS, from_ms
from beffroi.requisitions.tables import requisition_counters


def register_year(now_ms: int) -> int:
    """The register year of a requisition recorded at `now_ms` (Europe/Paris)."""
    return from_ms(now_ms).astimezone(PARIS).year


def allocate_number(conn: Connection, year: int) -> int:
    """The next sequence number of `year`, taken in the caller's transaction.

    One `INSERT ... ON CONFLICT DO UPDATE ... RETURNING` statement: the first of a year
    creates the row, the others increment it; both backends run it atomically, and it
    is a write, so on SQLite it takes the write lock before anything is read.
    """
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(requisition_counters).values(year=year, last=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=[requisition_counters.c.year],
        set_={"last": requisition_counters.c.last + 1},
    ).returning(requisition_counters.c.last)
    return int(conn.execute(stmt).scalar_one())
