"""camera field of view (direction, angle) for the map

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-26 18:00:00.000000
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
