"""The `exports` table: export jobs, and the export register (arrêté du 3 août 2007,
art. 3) they form: per export, the date and time of the filmed images, their duration,
the cameras, the date and time of the export and who exported.

A row is never deleted. `status` moves queued → running → done | failed; a job found
`running` at start-up (the process died under it) is queued again, `attempts` counts
the runs. The footage fields are the requested span when queued and the delivered one
when done.
"""

from sqlalchemy import Column, Float, ForeignKey, Index, Integer, String, Table, Text

from beffroi.db.base import Bytes, Millis, metadata

exports = Table(
    "exports",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("requisition_id", Integer, ForeignKey("requisitions.id"), nullable=False, index=True),
    Column("status", String(16), nullable=False, comment="queued | running | done | failed"),
    Column("progress", Float, nullable=False, default=0.0, comment="0..1, by bytes read"),
    Column("error", Text, nullable=True, comment="Why the job failed, in words"),
    Column("attempts", Integer, nullable=False, default=0),
    Column("created_ms", Millis, nullable=False),
    Column("started_ms", Millis, nullable=True),
    Column("finished_ms", Millis, nullable=True, comment="Date and time of the export"),
    Column("user_id", Integer, nullable=False, comment="Who exported"),
    Column("username", String(100), nullable=False),
    Column("role", String(32), nullable=False),
    Column("cameras", Text, nullable=False, comment="Camera ids, comma-separated, sorted"),
    Column("footage_start_ms", Millis, nullable=False, comment="First filmed instant"),
    Column("footage_end_ms", Millis, nullable=False, comment="Last filmed instant"),
    Column("footage_ms", Millis, nullable=True, comment="Duration of the delivered footage"),
    Column("path", Text, nullable=True, comment="The ZIP, relative to DATA/exports"),
    Column("bytes", Bytes, nullable=True),
    Column("manifest_sha256", String(64), nullable=True),
    Column(
        "destroyed_ms",
        Millis,
        nullable=True,
        comment="When the package was destroyed, keep_days after delivery",
    ),
    Index("ix_exports_created_ms", "created_ms"),
)
