"""One segment: a finished file of one camera's footage, and its row in `segments`.

`Segment` is the one record type of a segment row. The writer and salvage describe a
new segment with it (not yet indexed: `id` 0, no chain link); `archive.index.read_segments`
loads indexed rows as the same type for export, incident media, check and the tools.
This module imports no database code: recording workers load it, and SQLAlchemy alone
costs a worker 17 MiB (`docs/design/ingest.md`). Two
narrower views exist on purpose: retention scans the whole archive and reads only
`SegmentSpan` (`archive.retention`, five columns of millions of rows), and the
timeline's `Span` (`playback.timeline`) is a stretch of footage that may be the segment
still being written, which has no row.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

# Columns the index assigns when it inserts the row, not the writer.
_INDEX_ASSIGNED = frozenset({"id", "prev_sha256", "indexed_ms", "clock_step_ms"})


@dataclass(frozen=True)
class Segment:
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
    # Assigned by the index (`archive.index`): 0 and None until the row exists.
    id: int = 0
    prev_sha256: str | None = None  # the camera's hash chain (archive/chain.py)
    indexed_ms: int | None = None
    # Indexed while the server clock was stepped by this much (archive/clock_guard.py).
    clock_step_ms: int | None = None

    def as_row(self) -> dict[str, Any]:
        """The columns the writer knows, for inserting the row."""
        return {f.name: getattr(self, f.name) for f in FIELDS if f.name not in _INDEX_ASSIGNED}


FIELDS = fields(Segment)


def time_source_of(sources: set[str]) -> str | None:
    """One word for the sources of a segment's frame times."""
    if not sources:
        return None
    return next(iter(sources)) if len(sources) == 1 else "mixed"
