"""Real footage and requisitions for export tests.

Segments are real fragmented MP4 (tests/playback/segments.py: frame i has brightness
`level(i)`, a keyframe and a fragment every second), indexed with the hash chain the
recorder writes, so a test can tell from a decoded picture which frame of which
segment it got.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import av
from sqlalchemy import Engine, insert

from beffroi.archive.chain import chain_tip
from beffroi.archive.tables import segments
from beffroi.clock import utc_ms
from beffroi.requisitions.register import (
    Authority,
    NewRequisition,
    Requisition,
    RequisitionItem,
    record_requisition,
)
from tests.playback.segments import FPS, SIZE, index_of_level, picture_level, write_segment

T0 = utc_ms(datetime(2026, 11, 1, 7, 0, tzinfo=UTC))


def record(
    engine: Engine, root: Path, camera_id: str, start_ms: int, count: int, seconds: float = 4.0
) -> list[dict[str, Any]]:
    """`count` back-to-back segments of `seconds` from `start_ms`, written and indexed."""
    rows = []
    for i in range(count):
        seg = write_segment(root, camera_id, start_ms + round(i * seconds * 1000), seconds)
        data = seg.path.read_bytes()
        with engine.begin() as conn:
            row = {
                "camera_id": camera_id,
                "start_ms": seg.start_ms,
                "end_ms": seg.end_ms,
                "path": seg.relpath,
                "bytes": len(data),
                "codec": "h264",
                "width": SIZE[0],
                "height": SIZE[1],
                "fps": float(FPS),
                "frames": seg.frames,
                "sha256": hashlib.sha256(data).hexdigest(),
                "prev_sha256": chain_tip(conn, camera_id),
                "salvaged": False,
                "indexed_ms": seg.end_ms,
            }
            conn.execute(insert(segments).values(**row))
        rows.append(row)
    return rows


def make_requisition(
    engine: Engine,
    items: list[tuple[str, int, int]],
    assigned_to: tuple[int, ...] = (),
    now_ms: int = T0 + 3_600_000,
) -> Requisition:
    new = NewRequisition(
        authority=Authority("Martin", "Capitaine", "Commissariat de Tours", None),
        legal_basis="60-1",
        procedure="2026/001234",
        received_ms=now_ms - 60_000,
        items=tuple(RequisitionItem(c, s, e) for c, s, e in items),
        assigned_to=assigned_to,
    )
    with engine.begin() as conn:
        return record_requisition(conn, new, "chef", now_ms)


def frames(data: bytes | Path) -> list[tuple[float, int]]:
    """(media time, frame index within its source segment) of every decoded frame."""
    src = io.BytesIO(data) if isinstance(data, bytes) else str(data)
    with av.open(src) as c:
        return [
            (float(f.time), index_of_level(picture_level(f.to_ndarray(format="gray"))))
            for f in c.decode(video=0)
        ]


def packets(data: bytes | Path) -> list[bytes]:
    src = io.BytesIO(data) if isinstance(data, bytes) else str(data)
    with av.open(src) as c:
        return [bytes(p) for p in c.demux(video=0) if p.size]


def package_files(zip_path: Path) -> dict[str, bytes]:
    """Files of a package, paths relative to its root folder."""
    with zipfile.ZipFile(zip_path) as zf:
        return {n.split("/", 1)[1]: zf.read(n) for n in zf.namelist() if not n.endswith("/")}


def rewrite_zip(src: Path, dst: Path, change: dict[str, bytes | None]) -> None:
    """Copy a package, replacing (bytes), removing (None) or adding files (by relative path)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        root = zin.namelist()[0].split("/", 1)[0] + "/"
        for info in zin.infolist():
            rel = info.filename[len(root) :]
            if rel in change:
                if change[rel] is not None:
                    zout.writestr(info, change[rel])  # type: ignore[arg-type]
                continue
            zout.writestr(info, zin.read(info))
        for rel, data in change.items():
            if data is not None and root + rel not in zin.namelist():
                zout.writestr(root + rel, data)
