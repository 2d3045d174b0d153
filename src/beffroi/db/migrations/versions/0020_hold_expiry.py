"""holds placed by hand lapse unless renewed

`holds.expires_ms`: when a hold placed by hand (without a requisition) lapses, at most
30 days after it was placed or last renewed; the retention loop then releases it,
journaled (`hold.expire`). NULL: a requisition's hold, which lasts as long as needed.
Holds placed by hand before this revision lapse 30 days after the upgrade.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 11:10:00.000000
"""

import time

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

DAYS_MS = 30 * 86_400_000


def upgrade() -> None:
    with op.batch_alter_table("holds", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "expires_ms",
                sa.BigInteger(),
                nullable=True,
                comment="A hold placed by hand lapses then unless renewed; NULL: a requisition's",
            )
        )
    # Existing holds placed by hand: the full period from now, never a sudden lapse.
    holds = sa.table(
        "holds",
        sa.column("requisition_id", sa.Integer),
        sa.column("released_ms", sa.BigInteger),
        sa.column("expires_ms", sa.BigInteger),
    )
    op.execute(
        holds.update()
        .where(holds.c.requisition_id.is_(None), holds.c.released_ms.is_(None))
        .values(expires_ms=int(time.time() * 1000) + DAYS_MS)
    )


def downgrade() -> None:
    with op.batch_alter_table("holds", schema=None) as batch_op:
        batch_op.drop_column("expires_ms")
