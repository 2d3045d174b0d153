"""The export register (arrêté du 3 août 2007, art. 3): per export, the date and time
of the filmed images, their duration, the cameras, the date and time of the export, and
who exported. Read from the `exports` rows, within the reader's requisitions scope."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, select

from beffroi.csvfile import SafeWriter
from beffroi.export.manifest import iso_local, iso_utc
from beffroi.export.tables import exports
from beffroi.requisitions.tables import requisitions


@dataclass(frozen=True)
class RegisterEntry:
    id: int
    requisition_id: int
    requisition_number: str
    status: str
    footage_start_ms: int
    footage_end_ms: int
    footage_ms: int | None
    cameras: tuple[str, ...]
    created_ms: int
    finished_ms: int | None
    username: str
    role: str
    manifest_sha256: str | None


def register_entries(conn: Connection, visible: Select[Any]) -> list[RegisterEntry]:
    """`visible`: the SELECT of the requisitions the reader may see."""
    ids = visible.with_only_columns(requisitions.c.id).scalar_subquery()
    rows = conn.execute(
        select(exports, requisitions.c.number)
        .join(requisitions, requisitions.c.id == exports.c.requisition_id)
        .where(exports.c.requisition_id.in_(ids))
        .order_by(exports.c.id)
    ).all()
    return [
        RegisterEntry(
            id=int(r.id),
            requisition_id=int(r.requisition_id),
            requisition_number=r.number,
            status=r.status,
            footage_start_ms=int(r.footage_start_ms),
            footage_end_ms=int(r.footage_end_ms),
            footage_ms=None if r.footage_ms is None else int(r.footage_ms),
            cameras=tuple(c for c in r.cameras.split(",") if c),
            created_ms=int(r.created_ms),
            finished_ms=None if r.finished_ms is None else int(r.finished_ms),
            username=r.username,
            role=r.role,
            manifest_sha256=r.manifest_sha256,
        )
        for r in rows
    ]


CSV_COLUMNS = (
    "export", "requisition", "status", "images_start", "images_end", "images_start_local",
    "images_end_local", "duration_s", "cameras", "exported_at", "exported_at_local",
    "exported_by", "role", "manifest_sha256",
)  # fmt: skip


def register_csv(entries: list[RegisterEntry]) -> Iterator[str]:
    buf = io.StringIO()
    writer = SafeWriter(buf)
    writer.writerow(CSV_COLUMNS)
    for e in entries:
        done = e.finished_ms
        duration = "" if e.footage_ms is None else f"{e.footage_ms / 1000:.3f}"
        writer.writerow(
            [
                *(e.id, e.requisition_number, e.status),
                *(iso_utc(e.footage_start_ms), iso_utc(e.footage_end_ms)),
                *(iso_local(e.footage_start_ms), iso_local(e.footage_end_ms)),
                *(duration, " ".join(e.cameras)),
                *((iso_utc(done), iso_local(done)) if done else ("", "")),
                *(e.username, e.role, e.manifest_sha256 or ""),
            ]
        )
    yield buf.getvalue()
