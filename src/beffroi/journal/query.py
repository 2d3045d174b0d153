"""Reading the journal: filters, commune scope, keyset pages, and export rows.

Commune scope (who may read which entries): an entry about a camera belongs to that
camera's commune (`commune_id`, recorded at the time of the action); an entry about no
camera belongs to the actor's communes (`communes`). A reader limited to some communes
(a supervisor) sees an entry when that commune, or one of those communes, is theirs.
Entries by an actor whose scope is every commune (`*`, the administrator) about no
camera (site and user changes, purges) are therefore visible to unscoped readers only
(auditors), as are entries about an unknown camera: that is the safe side.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Engine, and_, false, or_, select

from beffroi.journal.entries import JournalEntry
from beffroi.journal.tables import journal_entries

t = journal_entries
MAX_LIMIT = 1000
EXPORT_PAGE = 2000


@dataclass(frozen=True)
class JournalFilter:
    username: str | None = None
    camera: str | None = None
    action: str | None = None  # exact, or a prefix ending in ".*" (e.g. "auth.*")
    start_ms: int | None = None  # inclusive
    end_ms: int | None = None  # exclusive

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def scope_clause(scope: frozenset[str] | None) -> ColumnElement[bool] | None:
    """The WHERE clause of a reader limited to `scope`; None for an unscoped reader."""
    if scope is None:
        return None
    if not scope:
        return false()
    communes = sorted(scope)
    actor = or_(*(t.c.communes.like(f"%,{_escape_like(c)},%", escape="\\") for c in communes))
    return or_(t.c.commune_id.in_(communes), and_(t.c.camera_id.is_(None), actor))


def _where(f: JournalFilter, scope: frozenset[str] | None) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if f.username is not None:
        where.append(t.c.username == f.username)
    if f.camera is not None:
        where.append(t.c.camera_id == f.camera)
    if f.action is not None:
        if f.action.endswith(".*"):
            prefix = _escape_like(f.action[:-1])
            where.append(t.c.action.like(prefix + "%", escape="\\"))
        else:
            where.append(t.c.action == f.action)
    if f.start_ms is not None:
        where.append(t.c.time_ms >= f.start_ms)
    if f.end_ms is not None:
        where.append(t.c.time_ms < f.end_ms)
    scoped = scope_clause(scope)
    if scoped is not None:
        where.append(scoped)
    return where


def _entry(row: Any) -> JournalEntry:
    return JournalEntry(
        seq=row.seq,
        time_ms=row.time_ms,
        action=row.action,
        outcome=row.outcome,
        user_id=row.user_id,
        username=row.username,
        role=row.role,
        communes=row.communes,
        source=row.source,
        camera=row.camera_id,
        commune=row.commune_id,
        start_ms=row.start_ms,
        end_ms=row.end_ms,
        detail=row.detail,
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


def query_page(
    engine: Engine,
    f: JournalFilter,
    scope: frozenset[str] | None,
    *,
    limit: int = 100,
    before_seq: int | None = None,
) -> tuple[list[JournalEntry], int | None]:
    """Newest first: up to `limit` entries with seq < `before_seq`, and the cursor of
    the next page (None when this one is the last)."""
    limit = max(1, min(limit, MAX_LIMIT))
    where = _where(f, scope)
    if before_seq is not None:
        where.append(t.c.seq < before_seq)
    query = select(t).where(*where).order_by(t.c.seq.desc()).limit(limit + 1)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    entries = [_entry(r) for r in rows[:limit]]
    return entries, entries[-1].seq if len(rows) > limit else None


def iter_export(
    engine: Engine, f: JournalFilter, scope: frozenset[str] | None, max_entries: int
) -> Iterator[JournalEntry]:
    """Oldest first, in keyset pages of short transactions (an export of a year must not
    hold a read transaction, nor a connection, for its whole download)."""
    after = 0
    sent = 0
    while sent < max_entries:
        size = min(EXPORT_PAGE, max_entries - sent)
        query = select(t).where(*_where(f, scope), t.c.seq > after).order_by(t.c.seq).limit(size)
        with engine.connect() as conn:
            rows = conn.execute(query).all()
        for row in rows:
            yield _entry(row)
        sent += len(rows)
        if len(rows) < size:
            return
        after = rows[-1].seq
