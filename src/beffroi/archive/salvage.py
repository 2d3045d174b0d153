"""Recover what a crash left: `.part` segments and finished files without index rows.

A process killed mid-segment leaves `<name>.mp4.part` with complete fragments followed
perhaps by a torn one. Salvage cuts the torn tail, fsyncs, hashes, renames and returns
the segment for indexing: the crash loses at most the fragment being written (≤ 250 ms).
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

import av

from beffroi.archive.fmp4 import complete_prefix
from beffroi.archive.layout import PART_SUFFIX, fsync_dir, parse_segment_name
from beffroi.archive.segment import Segment

log = logging.getLogger(__name__)


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def probe_segment(root: Path, final: Path, *, salvaged: bool) -> Segment | None:
    """Build the index description of a finished segment file from the file alone."""
    parsed = parse_segment_name(final.name)
    if parsed is None:
        return None
    camera_id, start_ms = parsed
    try:
        with av.open(str(final)) as container:
            stream = container.streams.video[0]
            frames = 0
            first: int | None = None
            last = 0
            last_duration = 0
            for packet in container.demux(stream):
                if packet.dts is None:
                    continue
                first = packet.dts if first is None else first
                last = packet.dts
                last_duration = packet.duration or last_duration
                frames += 1
            if first is None or stream.time_base is None:
                return None
            tb = stream.time_base
            end_ms = start_ms + max(1, round((last - first + last_duration) * tb * 1000))
            ctx = stream.codec_context
            codec, width, height = ctx.name, ctx.width, ctx.height
    except (av.FFmpegError, IndexError) as exc:
        log.warning("unreadable segment %s: %s", final, exc)
        return None
    return Segment(
        camera_id=camera_id,
        path=str(final.relative_to(root)),
        start_ms=start_ms,
        end_ms=end_ms,
        bytes=final.stat().st_size,
        codec=codec,
        width=width,
        height=height,
        fps=round(frames * 1000 / (end_ms - start_ms), 3),
        frames=frames,
        sha256=sha256_file(final),
        salvaged=salvaged,
    )


def salvage_part(root: Path, part: Path) -> Segment | None:
    """Cut a `.part` file to its complete fragments and finish it; None if nothing
    playable was left (the file is then removed: it held no complete frame)."""
    size = part.stat().st_size
    with open(part, "rb") as f:
        keep, fragments = complete_prefix(f, size)
    if fragments == 0:
        log.warning("nothing to salvage in %s (%d bytes): removed", part, size)
        part.unlink()
        fsync_dir(part.parent)
        return None
    if keep < size:
        with open(part, "r+b") as f:
            f.truncate(keep)
            f.flush()
            os.fsync(f.fileno())
    final = part.with_name(part.name[: -len(PART_SUFFIX)])
    os.replace(part, final)
    fsync_dir(final.parent)
    info = probe_segment(root, final, salvaged=True)
    if info is None:
        final.unlink()
        fsync_dir(final.parent)
    else:
        log.info("salvaged %s: %d fragments, cut %d torn bytes", final, fragments, size - keep)
    return info


def salvage_camera(root: Path, camera_id: str) -> list[Segment]:
    """Salvage every `.part` of one camera, oldest first (only its writer makes them)."""
    cam_dir = Path(root) / camera_id
    if not cam_dir.is_dir():
        return []
    parts = sorted(cam_dir.glob(f"*/*{PART_SUFFIX}"), key=lambda p: p.name)
    out = []
    for part in parts:
        info = salvage_part(Path(root), part)
        if info is not None:
            out.append(info)
    return out
