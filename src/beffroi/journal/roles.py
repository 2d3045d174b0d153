"""PostgreSQL roles that make the journal append-only for the application.

The hash chain and the signatures *detect* a rewritten journal; privileges *prevent* it
for whoever holds only the application's credentials (the server's configuration, a
leaked `BEFFROI_DATABASE_URL`). Three roles:

- the owner (who ran the migrations; `beffroi` commands run as it apply new ones): every
  right, used by the administrator for upgrades only;
- the application role (`beffroi run`, `beffroi user …`): every table as usual, but on
  the journal only SELECT and INSERT, plus UPDATE of the head row's columns (each append
  advances and signs it; a head rewound is detected, and entries cannot go);
- the retention role (`beffroi journal purge`, from a timer): SELECT, INSERT and DELETE
  on the journal, nothing else. Deleting is the one exception to append-only, and the
  purge seals what it deleted in the chain (`journal.purge`), so even this role cannot
  delete a middle or a tail unnoticed.

`grants_sql` is what `beffroi journal grants` prints for the owner to run in `psql`.
"""

from __future__ import annotations

import re

JOURNAL_TABLES = ("journal_entries", "journal_checkpoints")
HEAD_TABLE = "journal_head"
# What an append writes in the head row (never its id).
HEAD_COLUMNS = ("seq", "hash", "time_ms", "key_fingerprint", "signature")

_ROLE = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def role_name(text: str) -> str:
    """A PostgreSQL role name Beffroi will write into SQL: lower-case, digits, `_`."""
    if not _ROLE.fullmatch(text):
        raise ValueError(f"role name {text!r}: use lower-case letters, digits and _")
    return text


def grants_sql(app_role: str, purge_role: str | None = None) -> str:
    """Grants for an application role that may only append to and read the journal
    (and, optionally, a retention role that may also delete its oldest entries). Run
    as the owner of the tables, after the migrations."""
    app = f'"{role_name(app_role)}"'
    journal = ", ".join(JOURNAL_TABLES)
    every = f"{journal}, {HEAD_TABLE}"
    head_columns = ", ".join(HEAD_COLUMNS)
    lines = [
        "-- Beffroi: privileges of the application role (run as the owner of the tables).",
        f"GRANT USAGE ON SCHEMA public TO {app};",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {app};",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {app};",
        "-- Tables added by later migrations (created by the owner) too.",
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public",
        f"  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app};",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {app};",
        "-- The schema's version is the owner's: the application only reads it.",
        f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON alembic_version FROM {app};",
        "-- The journal: append and read, never change nor delete.",
        f"REVOKE ALL ON {every} FROM {app};",
        f"GRANT SELECT, INSERT ON {journal} TO {app};",
        f"GRANT SELECT, UPDATE ({head_columns}) ON {HEAD_TABLE} TO {app};",
    ]
    if purge_role is not None:
        purge = f'"{role_name(purge_role)}"'
        lines += [
            "-- Retention (`beffroi journal purge`): the oldest entries may go, sealed.",
            f"GRANT USAGE ON SCHEMA public TO {purge};",
            f"GRANT SELECT ON alembic_version, cameras TO {purge};",
            f"GRANT SELECT, INSERT, DELETE ON {journal} TO {purge};",
            f"GRANT SELECT, UPDATE ({head_columns}) ON {HEAD_TABLE} TO {purge};",
        ]
    return "\n".join(lines) + "\n"
