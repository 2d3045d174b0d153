"""Fake archive content for maintenance tests: real files of random bytes, real rows.

Retention, deletion and check never parse video, so a segment here is a small file of
random bytes at its layout path, with the right size and SHA-256, and a `segments` row
chained to the camera's previous one exactly as the recorder chains them.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, insert, select

from beffroi.archive.chain import chain_tip
from beffroi.archive.disk import DiskUsage
from beffroi.archive.layout import segment_relpath
from beffroi.archive.tables import segments
from beffroi.site.tables import cameras, communes

COMMUNE = "joue-les-tours"


@dataclass(frozen=True)
class FakeSegment:
    id: int
    camera_id: str
    start_ms: int
    end_ms: int
    path: str
    bytes: int
    sha256: str
    prev_sha256: str | None


def add_camera(engine: Engine, camera_id: str, retention_s: int = 15 * 86_400) -> None:
    with engine.begin() as conn:
        if conn.execute(select(communes.c.id).where(communes.c.id == COMMUNE)).first() is None:
            conn.execute(insert(communes).values(id=COMMUNE, name="Joué-lès-Tours", updated_ms=0))
        conn.execute(
            insert(cameras).values(
                id=camera_id,
                name=camera_id,
                commune_id=COMMUNE,
                stream_url=f"rtsp://127.0.0.1:8554/{camera_id}",
                retention_s=retention_s,
                view="general",
                enabled=True,
                updated_ms=0,
            )
        )


def add_segments(
    engine: Engine,
    archive_root: Path,
    camera_id: str,
    start_ms: int,
    count: int,
    duration_ms: int = 3_600_000,
    size: int = 1000,
) -> list[FakeSegment]:
    """`count` back-to-back segments from `start_ms`, files written, rows chained."""
    out: list[FakeSegment] = []
    with engine.begin() as conn:
        prev = chain_tip(conn, camera_id)
        rows = []
        for i in range(count):
            start = start_ms + i * duration_ms
            rel = segment_relpath(camera_id, start)
            data = os.urandom(size)
            path = Path(archive_root) / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            sha = hashlib.sha256(data).hexdigest()
            rows.append(
                {
                    "camera_id": camera_id,
                    "start_ms": start,
                    "end_ms": start + duration_ms,
                    "path": rel,
                    "bytes": size,
                    "codec": "h264",
                    "width": 1920,
                    "height": 1080,
                    "fps": 25.0,
                    "frames": duration_ms * 25 // 1000,
                    "sha256": sha,
                    "prev_sha256": prev,
                    "salvaged": False,
                    "indexed_ms": start + duration_ms,
                }
            )
            prev = sha
        if rows:
            conn.execute(insert(segments), rows)
        for r in conn.execute(
            select(segments)
            .where(segments.c.path.in_([r["path"] for r in rows]))
            .order_by(segments.c.start_ms)
        ):
            out.append(
                FakeSegment(
                    int(r.id),
                    r.camera_id,
                    int(r.start_ms),
                    int(r.end_ms),
                    r.path,
                    int(r.bytes),
                    r.sha256,
                    r.prev_sha256,
                )
            )
    return out


def segment_paths(engine: Engine, camera_id: str | None = None) -> list[str]:
    query = select(segments.c.path).order_by(segments.c.camera_id, segments.c.start_ms)
    if camera_id is not None:
        query = query.where(segments.c.camera_id == camera_id)
    with engine.connect() as conn:
        return list(conn.execute(query).scalars())


def files_on_disk(archive_root: Path) -> set[str]:
    root = Path(archive_root)
    return {p.relative_to(root).as_posix() for p in root.rglob("*.mp4")}


class FakeDisk:
    """A filesystem of `total` bytes whose used space is the archive's files plus `other`.

    Deleting files frees space, as on a real disk, without filling a real one.
    """

    def __init__(self, archive_root: Path, total: int, other: int = 0) -> None:
        self.root = Path(archive_root)
        self.total = total
        self.other = other
        self.calls = 0

    def __call__(self, _path: Path) -> DiskUsage:
        self.calls += 1
        used = sum(p.stat().st_size for p in self.root.rglob("*") if p.is_file()) + self.other
        return DiskUsage(total=self.total, free=max(0, self.total - used))
