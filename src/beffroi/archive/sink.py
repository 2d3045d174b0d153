"""The archive as seen by ingest: a picklable factory of segment writers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from beffroi.archive.salvage import salvage_camera
from beffroi.archive.writer import SegmentWriter
from beffroi.ingest.spec import Emit, VideoTrack


@dataclass(frozen=True)
class ArchiveSinks:
    archive_root: Path
    segment_ms: int = 60_000

    def recover(self, camera_id: str, emit: Emit) -> None:
        for info in salvage_camera(self.archive_root, camera_id):
            emit.segment(info)

    def open(self, camera_id: str, track: VideoTrack, emit: Emit) -> SegmentWriter:
        return SegmentWriter(
            self.archive_root,
            camera_id,
            track,
            on_closed=emit.segment,
            on_live=lambda live: emit.live(camera_id, live),
            segment_ms=self.segment_ms,
        )
