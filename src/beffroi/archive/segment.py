"""The description of one finished segment, as the index stores it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class SegmentInfo:
    camera_id: str
    path: str  # relative to the archive root
    start_ms: int
    end_ms: int
    bytes: int
    codec: str
    width: int
    height: int
    fps: float
    frames: int
    sha256: str
    salvaged: bool = False
    # Where its frame times come from (ingest/frame_clock.py): "rtcp" (the camera's
    # sender reports, checked against arrival), "arrival" (the server's clock), or
    # "mixed"; None when unknown (salvaged or re-indexed from the file alone).
    time_source: str | None = None

    def as_row(self) -> dict[str, Any]:
        return asdict(self)


def time_source_of(sources: set[str]) -> str | None:
    """One word for the sources of a segment's frame times."""
    if not sources:
        return None
    return next(iter(sources)) if len(sources) == 1 else "mixed"
