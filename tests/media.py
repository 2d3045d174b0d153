"""Real H.264 media for tests, made with PyAV (no fixture files in the repository).

Frame i is a flat grey of brightness `level(i)` with a moving white square, so a test
can tell which frame a decoder returned and that frames move.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import numpy as np


def level(i: int) -> int:
    return 16 + (i * 7) % 200


def make_clip(seconds: float = 6.0, fps: int = 15, size: tuple[int, int] = (320, 240)) -> bytes:
    """An MP4 (not fragmented) with a keyframe every second and no B-frames."""
    w, h = size
    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        stream.options = {"bf": "0", "g": str(fps), "preset": "ultrafast", "tune": "zerolatency"}
        for i in range(int(seconds * fps)):
            img = np.full((h, w, 3), level(i), np.uint8)
            x = (i * 4) % (w - 20)
            img[10:30, x : x + 20] = 255
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            for p in stream.encode(frame):
                out.mux(p)
        for p in stream.encode():
            out.mux(p)
    return buf.getvalue()


class ClipSource:
    """Demuxes a clip afresh each time (the writer rewrites packets in place)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self._container: Any = None

    def open(self) -> tuple[Any, Iterator[Any]]:
        container = av.open(io.BytesIO(self.data))
        self._container = container
        stream = container.streams.video[0]
        return stream, (p for p in container.demux(stream) if p.dts is not None)


def decode_levels(path: Path) -> list[int]:
    """Mean brightness of every decoded frame of a file (tolerates a torn tail)."""
    out: list[int] = []
    try:
        with av.open(str(path)) as c:
            for frame in c.decode(video=0):
                out.append(int(frame.to_ndarray(format="gray")[100:, :].mean()))
    except av.FFmpegError:
        pass
    return out
