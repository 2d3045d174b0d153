"""the RTSP client of each camera

`cameras.reader`: ffmpeg (FFmpeg's RTSP demuxer through PyAV, as before) or native
(Beffroi's own reader, `beffroi.ingest.rtsp`), from the site file's `reader`.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07 22:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cameras") as batch:
        batch.add_column(
            sa.Column(
                "reader",
                sa.String(length=8),
                nullable=False,
                server_default="ffmpeg",
                comment="ffmpeg | native: the RTSP client that records the camera",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("cameras") as batch:
        batch.drop_column("reader")
