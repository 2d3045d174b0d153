"""The camera health samples: one row per camera per sampling interval (a minute)."""

from sqlalchemy import Column, Float, ForeignKey, Index, String, Table

from beffroi.db.base import Millis, metadata

camera_samples = Table(
    "camera_samples",
    metadata,
    Column("camera_id", String(64), ForeignKey("cameras.id"), primary_key=True),
    Column("at_ms", Millis, primary_key=True, comment="Start of the sampling interval (UTC ms)"),
    Column(
        "status",
        String(16),
        nullable=False,
        comment="recording | connecting | offline | disabled | unknown",
    ),
    Column("reason", String(32), nullable=True, comment="Why not recording (ingest Reason)"),
    Column("fps", Float, nullable=True, comment="Measured frame rate; null when not measured"),
    Column("bitrate_bps", Float, nullable=True, comment="Measured bitrate, bits per second"),
    Index("ix_camera_samples_at_ms", "at_ms"),
)
