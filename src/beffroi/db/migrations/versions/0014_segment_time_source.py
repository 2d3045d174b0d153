"""where each segment's frame times come from

`segments.time_source`: "rtcp" (the camera's sender reports, checked against arrival),
"arrival" (the server's clock when pictures arrived), "mixed", or NULL for segments
recorded before it was kept, salvaged or re-indexed from their file alone. Exports
state it in their manifest (arrêté du 3 août 2007: exact date and time of the images).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 09:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("segments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "time_source",
                sa.String(16),
                nullable=True,
                comment="Where frame times come from: rtcp, arrival, mixed (NULL: unknown)",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("segments", schema=None) as batch_op:
        batch_op.drop_column("time_source")
