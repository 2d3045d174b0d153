"""lines of destroyed segments whose sealed hour still has segments

`sealed_lines`: when retention destroys part of a camera-hour (the oldest hour of a
camera, the hours around a hold), the destroyed segments' lines `start end sha256`
stay, so the hour's remaining segments can still be recomputed against its seal in
the journal. Forgotten with the hour's last segment.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 12:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sealed_lines",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("camera_id", sa.String(length=64), nullable=False),
        sa.Column(
            "hour_ms",
            sa.BigInteger(),
            nullable=False,
            comment="Start of the UTC hour of the segment",
        ),
        sa.Column("start_ms", sa.BigInteger(), nullable=False),
        sa.Column("end_ms", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column(
            "destroyed_ms",
            sa.BigInteger(),
            nullable=False,
            comment="Only seals written before count it",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sealed_lines")),
    )
    op.create_index(
        op.f("ix_sealed_lines_camera_id_hour_ms"),
        "sealed_lines",
        ["camera_id", "hour_ms"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_sealed_lines_camera_id_hour_ms"), table_name="sealed_lines")
    op.drop_table("sealed_lines")
