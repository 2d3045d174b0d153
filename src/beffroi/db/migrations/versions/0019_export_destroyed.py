"""when a sealed package was destroyed after delivery

`exports.destroyed_ms`: set when the package's ZIP is destroyed `exports.keep_days`
after its requisition was delivered (status `destroyed`, path cleared). NULL: kept.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 11:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("exports", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "destroyed_ms",
                sa.BigInteger(),
                nullable=True,
                comment="When the package was destroyed, keep_days after delivery",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("exports", schema=None) as batch_op:
        batch_op.drop_column("destroyed_ms")
