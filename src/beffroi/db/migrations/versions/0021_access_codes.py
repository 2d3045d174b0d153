"""access codes: invitations and two-person access resets

`access_codes`: an account created over the API gets no password; its agent sets one
with a one-time code. A forgotten password or a lost second factor is reset the same
way. For accounts that reach images or administer, the code goes to a second person
(a supervisor of the agent's communes, or another administrator) who approved the
request; only the code's SHA-256 is stored.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 12:20:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "access_codes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False, comment="invitation | reset"),
        sa.Column("requested_by", sa.String(length=100), nullable=False),
        sa.Column("requested_ms", sa.BigInteger(), nullable=False),
        sa.Column(
            "approved_by", sa.String(length=100), nullable=True, comment="Who received the code"
        ),
        sa.Column("approved_ms", sa.BigInteger(), nullable=True),
        sa.Column(
            "code_sha256",
            sa.String(length=64),
            nullable=True,
            comment="Set at approval; the code itself is never stored",
        ),
        sa.Column(
            "expires_ms",
            sa.BigInteger(),
            nullable=False,
            comment="Until approved: end of the request; then: end of the code",
        ),
        sa.Column("used_ms", sa.BigInteger(), nullable=True),
        sa.Column("used_source", sa.String(length=64), nullable=True),
        sa.Column("cancelled_ms", sa.BigInteger(), nullable=True),
        sa.Column("cancelled_by", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_access_codes_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_codes")),
        sa.UniqueConstraint("code_sha256", name=op.f("uq_access_codes_code_sha256")),
    )
    op.create_index(
        op.f("ix_access_codes_user_id_requested_ms"),
        "access_codes",
        ["user_id", "requested_ms"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_access_codes_user_id_requested_ms"), table_name="access_codes")
    op.drop_table("access_codes")
