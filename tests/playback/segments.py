"""Real fragmented-MP4 segments for tests, written at the archive layout path.

Frame i is a flat grey of brightness `level(i)` (with a moving white square at the top),
so a test can tell from a decoded picture which frame it got. Files are written the way
the recorder writes them: fMP4, a fragment per keyframe, a keyframe every second.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from sqlalchemy import Engine, insert

from beffroi.archive.layout import PART_SUFFIX, segment_relpath
from beffroi.archive.tables import segments

FPS = 15
SIZE = (320, 240)
MOVFLAGS = "frag_keyframe+empty_moov+default_base_moof"


def level(i: int) -> int:
    return 16 + (i * 3) % 210


def index_of_level(value: float) -> int:
    return round((value - 16) / 3)


def picture_level(gray: np.ndarray) -> float:
    """Mean brightness below the moving square."""
    return float(gray[60:, :].mean())


@dataclass(frozen=True)
class WrittenSegment:
    camera_id: str
    start_ms: int
    end_ms: int
    relpath: str
    path: Path
    frames: int


def encode_fmp4(path: Path, frames: int, fps: int = FPS, size: tuple[int, int] = SIZE) -> None:
    w, h = size
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w", format="mp4", options={"movflags": MOVFLAGS}) as out:
        stream = out.add_stream(
            "libx264",
            rate=fps,
            options={
                "preset": "ultrafast",
                "x264-params": (
                    f"keyint={fps}:min-keyint={fps}:scenecut=0:bframes=0:log-level=error"
                ),
            },
        )
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        stream.time_base = Fraction(1, fps)
        for i in range(frames):
            img = np.full((h, w, 3), level(i), np.uint8)
            x = (i * 4) % (w - 20)
            img[10:30, x : x + 20] = 255
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, fps)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))


def write_segment(
    archive_root: Path,
    camera_id: str,
    start_ms: int,
    seconds: float = 4.0,
    *,
    part: bool = False,
    fps: int = FPS,
) -> WrittenSegment:
    frames = int(seconds * fps)
    relpath = segment_relpath(camera_id, start_ms) + (PART_SUFFIX if part else "")
    path = archive_root / relpath
    encode_fmp4(path, frames, fps)
    end_ms = start_ms + round(frames * 1000 / fps)
    return WrittenSegment(camera_id, start_ms, end_ms, relpath, path, frames)


def index_segment(engine: Engine, seg: WrittenSegment, indexed_ms: int) -> int:
    data = seg.path.read_bytes()
    with engine.begin() as conn:
        return int(
            conn.execute(
                insert(segments)
                .values(
                    camera_id=seg.camera_id,
                    start_ms=seg.start_ms,
                    end_ms=seg.end_ms,
                    path=seg.relpath,
                    bytes=len(data),
                    codec="h264",
                    width=SIZE[0],
                    height=SIZE[1],
                    fps=float(FPS),
                    frames=seg.frames,
                    sha256=hashlib.sha256(data).hexdigest(),
                    prev_sha256=None,
                    salvaged=False,
                    indexed_ms=indexed_ms,
                )
                .returning(segments.c.id)
            ).scalar_one()
        )


def truncate_mid_last_fragment(path: Path) -> int:
    """Cut the file in the middle of its last `mdat`, as a crash or a reader racing the
    writer would see it; returns the new size."""
    from beffroi.archive.fmp4 import iter_boxes

    with path.open("rb") as f:
        boxes = iter_boxes(f, path.stat().st_size)
    last_mdat = [b for b in boxes if b.kind == "mdat"][-1]
    cut = last_mdat.offset + last_mdat.size // 2
    with path.open("r+b") as f:
        f.truncate(cut)
    return cut
