"""Where an incident's frames come from: the archive's finished segments, the segment
being written (readable up to its last flushed fragment), and the incident's own copies;
and how copies are written (fsynced, renamed, so a file that exists is complete).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from beffroi.archive.fmp4 import complete_prefix
from beffroi.archive.layout import fsync_dir
from beffroi.archive.segment import Segment
from beffroi.export.clips import ClipFile, write_clip
from beffroi.ingest.state import RecorderView
from beffroi.playback.snapshot import FrameAt, locate_frame_at
from beffroi.playback.timeline import (
    MERGE_TOLERANCE_MS,
    Span,
    live_span,
    query_spans,
    resolve_live_path,
    span_at,
)


@dataclass(frozen=True)
class Footage:
    """Where recorded frames are: the archive, the segment being written, the copies."""

    engine: Engine
    archive_root: Path
    data_dir: Path
    recorder: RecorderView

    def live(self, camera_id: str) -> Span | None:
        state = self.recorder.camera_states().get(camera_id)
        return live_span(state.live if state else None)


def frame_near(media: Footage, camera_id: str, at_ms: int, *, late: bool) -> FrameAt | None:
    """The last frame at or before `at_ms`, from the archive or the segment being
    written; None while it may still come (or, once `late`, when nothing was recorded
    within the join tolerance before it)."""
    with media.engine.connect() as conn:
        spans = query_spans(conn, camera_id, at_ms - MERGE_TOLERANCE_MS, at_ms + 1)
    live = media.live(camera_id)
    if live is not None and not any(s.start_ms == live.start_ms for s in spans):
        spans.append(live)
    span = span_at(spans, at_ms)
    if span is None and late:
        near = [s for s in spans if s.start_ms <= at_ms <= s.end_ms + MERGE_TOLERANCE_MS]
        span = max(near, key=lambda s: s.start_ms, default=None)
    if span is None or span.path is None:
        return None
    path = (
        resolve_live_path(media.archive_root, span.path)
        if span.in_progress
        else media.archive_root / span.path
    )
    if path is None or not path.is_file():
        return None
    return locate_frame_at(path, span.start_ms, at_ms)


def freeze_live(footage: Footage, camera_id: str, live: Span, work: Path) -> Segment | None:
    """The complete fragments of the segment being written, copied and hashed: the
    writer keeps appending to its file while the clip is made."""
    path = resolve_live_path(footage.archive_root, live.path or "")
    if path is None:
        return None
    with path.open("rb") as f:
        size, fragments = complete_prefix(f, os.fstat(f.fileno()).st_size)
        f.seek(0)
        data = f.read(size)
    if fragments == 0:
        return None
    work.mkdir(parents=True, exist_ok=True)
    copy = work / "in-progress.mp4"
    copy.write_bytes(data)
    state = footage.recorder.camera_states().get(camera_id)
    return Segment(
        id=0,
        camera_id=camera_id,
        start_ms=live.start_ms,
        end_ms=live.end_ms,
        path=str(copy.resolve()),  # absolute: `archive_root / path` is then `path`
        bytes=len(data),
        codec=(state.codec if state else None) or "",
        width=(state.width if state else None) or 0,
        height=(state.height if state else None) or 0,
        fps=(state.fps if state else None) or 0.0,
        frames=0,
        sha256=hashlib.sha256(data).hexdigest(),
        salvaged=False,
        time_source=state.time_source if state else None,
    )


def write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    with tmp.open("wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    tmp.replace(path)
    fsync_dir(path.parent)


def write_clip_file(clip: ClipFile, archive_root: Path, path: Path) -> tuple[str, int]:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    with tmp.open("wb") as f:
        sha, size = write_clip(clip, archive_root, f, lambda _n: None)
        f.flush()
        os.fsync(f.fileno())
    tmp.replace(path)
    fsync_dir(path.parent)
    return sha, size
