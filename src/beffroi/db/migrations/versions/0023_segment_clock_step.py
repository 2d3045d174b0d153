"""segments indexed while the server clock was stepped

`segments.clock_step_ms`: set by the retention loop's clock guard on the segments
indexed while it held retention for a step of the system clock (the step, wall clock
minus elapsed time). Their times may be off by that much; exports say so. NULL: none.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 13:35:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("segments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "clock_step_ms",
                sa.BigInteger(),
                nullable=True,
                comment="Indexed while the server clock was stepped by this much: times uncertain",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("segments", schema=None) as batch_op:
        batch_op.drop_column("clock_step_ms")
