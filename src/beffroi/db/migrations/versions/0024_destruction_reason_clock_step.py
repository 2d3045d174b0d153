"""destructions.reason may be clock_step

Segments stamped during a clock step are destroyed by their true age with the reason
`clock_step` (journaled `archive.clock_step`). Only the column's comment changes; on
SQLite, which keeps no comments, nothing does.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 16:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def _comment(text: str, old: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        return  # no comments to keep, and no table rebuild for nothing
    op.alter_column(
        "destructions",
        "reason",
        existing_type=sa.String(length=32),
        existing_nullable=False,
        comment=text,
        existing_comment=old,
    )


def upgrade() -> None:
    _comment("retention | disk_pressure | clock_step", "retention | disk_pressure")


def downgrade() -> None:
    _comment("retention | disk_pressure", "retention | disk_pressure | clock_step")
