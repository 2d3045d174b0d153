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

    def as_row(self) -> dict[str, Any]:
        return asdict(self)
