"""how each camera's RTP reaches the recorder

`cameras.transport`: "tcp" (interleaved in the RTSP connection, the default and what
every camera recorded so far used) or "udp", for cameras and encoders that offer
nothing else (VLC's RTSP server answers 461 to a TCP SETUP).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cameras", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "transport",
                sa.String(8),
                nullable=False,
                server_default="tcp",
                comment="tcp | udp: RTP inside the RTSP connection, or over UDP",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("cameras", schema=None) as batch_op:
        batch_op.drop_column("transport")
