"""`docs/ref/schema.md`, written from the tables themselves (as Moonfire NVR keeps its
`schema.sql`): every table, the package that owns it, its columns with their types,
keys, references and comments.

    python -m beffroi.db.schema_doc > docs/ref/schema.md

`tests/db/test_schema_doc.py` fails when the page and the tables disagree, so a new
column reaches the reference in the change that adds it. A column's meaning is its
`comment=` (which PostgreSQL keeps too); names ending in `_ms` are instants in UTC
milliseconds (`beffroi.db.base.Millis`), said once here rather than on every column.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from types import ModuleType

from sqlalchemy import Column, Table, UniqueConstraint

from beffroi.db import tables as _registered  # every package's tables, registered
from beffroi.db.base import metadata

HEADER = """# Database schema

Generated from the table declarations by `python -m beffroi.db.schema_doc` (`make
schema-doc`); `tests/db/test_schema_doc.py` keeps it in step. Do not edit by hand: add a
`comment=` to the column instead.

Conventions: every `*_ms` column is an instant in milliseconds since 1970, UTC (shown in
Europe/Paris only by the console); sizes are bytes; each stage package owns its tables
(`beffroi.<package>.tables`) and only its code writes them; schema changes are Alembic
migrations in `src/beffroi/db/migrations/versions/` (see `CONTRIBUTING.md`).
"""


def _owner(table: Table) -> str:
    """The package whose tables module declares `table` (those `beffroi.db.tables`
    imports, so the answer never depends on what else happens to be imported)."""
    for module in vars(_registered).values():
        if isinstance(module, ModuleType) and any(
            value is table for value in vars(module).values()
        ):
            return module.__name__.removesuffix(".tables")
    return "?"


def _type(column: Column) -> str:
    return str(column.type).lower()


def _keys(column: Column) -> str:
    parts = []
    if column.primary_key:
        parts.append("PK")
    for fk in column.foreign_keys:
        parts.append(f"→ {fk.target_fullname}")
    if column.unique:
        parts.append("unique")
    if column.index:
        parts.append("indexed")
    return ", ".join(parts)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render() -> str:
    by_owner: dict[str, list[Table]] = defaultdict(list)
    for table in metadata.sorted_tables:
        by_owner[_owner(table)].append(table)
    out = [HEADER]
    for owner in sorted(by_owner):
        out.append(f"## `{owner}`\n")
        for table in sorted(by_owner[owner], key=lambda t: t.name):
            out.append(f"### `{table.name}`\n")
            if table.comment:
                out.append(f"{table.comment}\n")
            out.append("| column | type | null | keys | meaning |")
            out.append("|---|---|---|---|---|")
            for c in table.columns:
                null = "yes" if c.nullable else "no"
                meaning = _cell(c.comment or "")
                out.append(f"| `{c.name}` | {_type(c)} | {null} | {_keys(c)} | {meaning} |")
            constraints = sorted(
                f"unique ({', '.join(col.name for col in u.columns)})"
                for u in table.constraints
                if isinstance(u, UniqueConstraint) and len(u.columns) > 1
            )
            indexes = sorted(
                f"index `{i.name}` ({', '.join(col.name for col in i.columns)})"
                for i in table.indexes
                if len(i.columns) > 1 or not any(col.index for col in i.columns)
            )
            extra = [*constraints, *indexes]
            if extra:
                out.append("")
                out.append("Also: " + "; ".join(extra) + ".")
            out.append("")
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
