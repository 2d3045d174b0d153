"""The archive's tables: the segment index, deletion in two phases, holds, destructions.

Invariants (docs/design/archive.md):
- a `segments` row exists only once its file and directory are fsynced;
- `prev_sha256` is the `sha256` of the camera's previous segment, so the rows of a
  camera form a hash chain; the first remaining row links to the last destroyed one,
  whose hash is kept in `destructions.last_sha256`;
- a file is unlinked only after its row moved to `segment_garbage` in the same
  transaction that wrote its `destructions` entry.
"""

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from beffroi.db.base import Bytes, Millis, metadata

segments = Table(
    "segments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("camera_id", String(64), ForeignKey("cameras.id"), nullable=False),
    Column("start_ms", Millis, nullable=False, comment="UTC ms of the first frame"),
    Column("end_ms", Millis, nullable=False, comment="UTC ms after the last frame"),
    Column("path", Text, nullable=False, comment="Relative to the archive root"),
    Column("bytes", Bytes, nullable=False),
    Column("codec", String(16), nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("fps", Float, nullable=False),
    Column("frames", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("prev_sha256", String(64), nullable=True),
    Column("salvaged", Boolean, nullable=False, default=False),
    Column("indexed_ms", Millis, nullable=False),
    Column(
        "time_source",
        String(16),
        nullable=True,
        comment="Where frame times come from: rtcp, arrival, mixed (NULL: unknown)",
    ),
    Column(
        "clock_step_ms",
        Millis,
        nullable=True,
        comment="Indexed while the server clock was stepped by this much: times uncertain",
    ),
    UniqueConstraint("path"),
    Index("ix_segments_camera_start", "camera_id", "start_ms"),
    Index("ix_segments_start", "start_ms"),
)

segment_garbage = Table(
    "segment_garbage",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("camera_id", String(64), nullable=False),
    Column("path", Text, nullable=False),
    Column("queued_ms", Millis, nullable=False),
)

holds = Table(
    "holds",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("camera_id", String(64), ForeignKey("cameras.id"), nullable=False, index=True),
    Column("start_ms", Millis, nullable=False),
    Column("end_ms", Millis, nullable=False),
    Column("reason", Text, nullable=False),
    Column("requisition_id", Integer, nullable=True),
    Column("created_by", String(100), nullable=False),
    Column("created_ms", Millis, nullable=False),
    Column("released_ms", Millis, nullable=True),
    Column("released_by", String(100), nullable=True),
    Column("release_reason", Text, nullable=True),
    Column(
        "expires_ms",
        Millis,
        nullable=True,
        comment="A hold placed by hand lapses then unless renewed; NULL: a requisition's",
    ),
)

destructions = Table(
    "destructions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("camera_id", String(64), nullable=False, index=True),
    Column("start_ms", Millis, nullable=False),
    Column("end_ms", Millis, nullable=False),
    Column("segments", Integer, nullable=False),
    Column("bytes", Bytes, nullable=False),
    Column("reason", String(32), nullable=False, comment="retention | disk_pressure | clock_step"),
    Column("last_sha256", String(64), nullable=False, comment="Anchor of the remaining chain"),
    Column("destroyed_ms", Millis, nullable=False, index=True),
)

# The lines (`start end sha256`) of destroyed segments whose hour still has segments,
# so that hour can still be recomputed against its seal (`archive.seals`): a hash, no
# image. Forgotten once the last segment of the camera-hour is destroyed.
sealed_lines = Table(
    "sealed_lines",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("camera_id", String(64), nullable=False),
    Column("hour_ms", Millis, nullable=False, comment="Start of the UTC hour of the segment"),
    Column("start_ms", Millis, nullable=False),
    Column("end_ms", Millis, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("destroyed_ms", Millis, nullable=False, comment="Only seals written before count it"),
    Index(None, "camera_id", "hour_ms"),
)
