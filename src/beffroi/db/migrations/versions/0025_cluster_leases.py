"""leases of the cluster's nodes

`leases`: one row per thing only one node may do at a time (lead a background loop;
later, record a camera), with its holder, expiry and fencing token
(`beffroi.cluster.leases`). Empty on a single server.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 19:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "leases",
        sa.Column(
            "name",
            sa.String(length=128),
            nullable=False,
            comment="What is leased: loop:<name> (a background loop's leadership), later "
            "camera:<id>",
        ),
        sa.Column(
            "holder",
            sa.String(length=64),
            nullable=True,
            comment="The node holding it; null once released",
        ),
        sa.Column(
            "token",
            sa.BigInteger(),
            nullable=False,
            comment="Fencing token: grows by one at every change of holder; a write made "
            "under an older token is refused",
        ),
        sa.Column(
            "expires_ms",
            sa.BigInteger(),
            nullable=False,
            comment="Held until then unless renewed (UTC ms, the holder's clock)",
        ),
        sa.Column(
            "acquired_ms",
            sa.BigInteger(),
            nullable=False,
            comment="When the present holder took it",
        ),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_leases")),
        comment="Leases of the cluster's nodes (beffroi.cluster.leases)",
    )


def downgrade() -> None:
    op.drop_table("leases")
