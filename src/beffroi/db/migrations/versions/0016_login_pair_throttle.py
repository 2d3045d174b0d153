"""login failures counted per (account, source) pair

Password failures no longer lock an account: they slow down the pair of the account
and the source address that failed (`beffroi.access.login`). The pair's count is a
lookup by source, username and time: an index for it.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-08 10:00:00.000000
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("auth_failures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_auth_failures_source_username_at_ms"),
            ["source", "username", "at_ms"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("auth_failures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auth_failures_source_username_at_ms"))
