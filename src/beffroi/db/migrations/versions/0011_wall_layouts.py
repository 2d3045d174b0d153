"""wall layouts of the console, per user and shared (console package)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26 18:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wall_layouts",
        sa.Column(
            "owner_id", sa.Integer(), nullable=False, comment="The user's id; 0: shared layout"
        ),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("grid", sa.Integer(), nullable=False, comment="Tiles: 1, 4, 9 or 16"),
        sa.Column(
            "cameras",
            sa.Text(),
            nullable=False,
            comment="JSON array, a camera id or null per tile",
        ),
        sa.Column("updated_ms", sa.BigInteger(), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("owner_id", "name", name=op.f("pk_wall_layouts")),
    )


def downgrade() -> None:
    op.drop_table("wall_layouts")
