"""Sealed packages do not outlive their purpose: a package is destroyed `keep_days`
(site file `exports.keep_days`, 30 by default) after its requisition was delivered.

The court holds the copy it was given; the centre's copy is footage outside the
archive's retention, and so must not linger (CSI L252-5: footage is kept at most 30
days unless a judicial procedure holds it, which the delivered copy now serves). Each
destruction is recorded where the export is: the export's row says when
(`destroyed_ms`, status `destroyed`, no path), the export register shows it, and the
journal has an `export.destroy` entry in the same transaction. Packages of
requisitions not yet delivered are kept: the agent still has to hand them over.
"""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import Connection, Engine, select, update

from beffroi.export.tables import exports
from beffroi.journal.http import principal_entry
from beffroi.journal.service import Journal
from beffroi.paths import inside
from beffroi.requisitions.tables import requisitions

log = logging.getLogger(__name__)

DONE, DESTROYED = "done", "destroyed"
DAY_MS = 86_400_000


def destroy_delivered(
    engine: Engine,
    now_ms: int,
    exports_dir: Path,
    keep_days: int,
    journal: Journal | None = None,
) -> list[int]:
    """Destroy the packages delivered more than `keep_days` before `now_ms` (a time the
    caller trusts: see `ExportJobs.expire_if_due`); their export ids."""
    with engine.connect() as conn:
        due = conn.execute(
            select(exports.c.id, exports.c.path, exports.c.manifest_sha256, requisitions.c.number)
            .join(requisitions, requisitions.c.id == exports.c.requisition_id)
            .where(
                exports.c.status == DONE,
                requisitions.c.delivered_ms.is_not(None),
                requisitions.c.delivered_ms <= now_ms - keep_days * DAY_MS,
            )
            .order_by(exports.c.id)
        ).all()
    destroyed: list[int] = []
    for row in due:
        path = inside(exports_dir, row.path)
        if path is not None:
            path.unlink(missing_ok=True)
        elif row.path:
            log.error("export %s: stored path %r is outside the exports folder", row.id, row.path)
        entry = principal_entry(
            None,
            "export.destroy",
            username="system",
            detail={
                "export": row.id,
                "requisition": row.number,
                "manifest_sha256": row.manifest_sha256,
                "keep_days": keep_days,
            },
        )
        if journal is not None:
            with journal.transaction() as conn:
                _mark(conn, row.id, now_ms)
                journal.record(entry, conn)
        else:
            with engine.begin() as conn:
                _mark(conn, row.id, now_ms)
        destroyed.append(int(row.id))
    if destroyed:
        log.info("exports destroyed %d days after delivery: %s", keep_days, destroyed)
    return destroyed


def _mark(conn: Connection, export_id: int, now_ms: int) -> None:
    conn.execute(
        update(exports)
        .where(exports.c.id == export_id)
        .values(status=DESTROYED, destroyed_ms=now_ms, path=None)
    )
