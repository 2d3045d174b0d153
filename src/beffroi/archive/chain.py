"""The per-camera hash chain: where it ends, and what may anchor its first link.

Each `segments` row carries `prev_sha256`, the `sha256` of the camera's previous
segment. Retention deletes the oldest rows, so the first remaining row points at a
segment that is gone; the destruction register keeps that hash (`last_sha256`), which
anchors the chain. The same holds in the middle of a chain when a hold kept older
footage and the segments after it were destroyed.
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from beffroi.archive.tables import destructions, segments


def chain_tip(conn: Connection, camera_id: str) -> str | None:
    """The `prev_sha256` the camera's next segment must carry.

    The newest row's hash; when retention destroyed every row of the camera (a camera
    offline longer than its retention), the hash of the last destroyed segment, so the
    chain continues across the gap. None only for a camera that never recorded.
    """
    newest = conn.execute(
        select(segments.c.sha256)
        .where(segments.c.camera_id == camera_id)
        .order_by(segments.c.start_ms.desc(), segments.c.id.desc())
        .limit(1)
    ).scalar()
    if newest is not None:
        return str(newest)
    last = conn.execute(
        select(destructions.c.last_sha256)
        .where(destructions.c.camera_id == camera_id)
        .order_by(destructions.c.end_ms.desc(), destructions.c.id.desc())
        .limit(1)
    ).scalar()
    return None if last is None else str(last)


def destruction_anchor(
    conn: Connection, camera_id: str, prev_sha256: str, after_ms: int | None = None
) -> bool:
    """Whether `prev_sha256` is the `last_sha256` of a destruction of this camera.

    With `after_ms`, the destruction must also have destroyed footage starting at or
    after that instant (the end of the previous remaining segment), so a hash cannot
    be borrowed from an unrelated, older destruction.
    """
    query = select(destructions.c.id).where(
        destructions.c.camera_id == camera_id, destructions.c.last_sha256 == prev_sha256
    )
    if after_ms is not None:
        query = query.where(destructions.c.end_ms >= after_ms)
    return conn.execute(query.limit(1)).first() is not None
