"""camera health samples (fps, bitrate, status per minute) for the health page

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26 18:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "camera_samples",
        sa.Column("camera_id", sa.String(length=64), nullable=False),
        sa.Column(
            "at_ms",
            sa.BigInteger(),
            nullable=False,
            comment="Start of the sampling interval (UTC ms)",
        ),
        sa.Column(
            "status",
            sa.String(length=16),
            nullable=False,
            comment="recording | connecting | offline | disabled | unknown",
        ),
        sa.Column(
            "reason",
            sa.String(length=32),
            nullable=True,
            comment="Why not recording (ingest Reason)",
        ),
        sa.Column(
            "fps", sa.Float(), nullable=True, comment="Measured frame rate; null when not measured"
        ),
        sa.Column(
            "bitrate_bps", sa.Float(), nullable=True, comment="Measured bitrate, bits per second"
        ),
        sa.ForeignKeyConstraint(
            ["camera_id"], ["cameras.id"], name=op.f("fk_camera_samples_camera_id_cameras")
        ),
        sa.PrimaryKeyConstraint("camera_id", "at_ms", name=op.f("pk_camera_samples")),
    )
    with op.batch_alter_table("camera_samples", schema=None) as batch_op:
        batch_op.create_index("ix_camera_samples_at_ms", ["at_ms"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("camera_samples", schema=None) as batch_op:
        batch_op.drop_index("ix_camera_samples_at_ms")
    op.drop_table("camera_samples")
