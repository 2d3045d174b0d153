"""access hardening: agent record, TOTP, lockout, session kinds, source throttling,
machine API tokens

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 14:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "is_police",
                sa.Boolean(),
                server_default=sa.false(),
                nullable=False,
                comment="Police",
            )
        )
        batch_op.add_column(
            sa.Column(
                "service",
                sa.String(length=200),
                nullable=True,
                comment="Service or unit of the agent",
            )
        )
        batch_op.add_column(
            sa.Column(
                "approval_ref", sa.String(length=100), nullable=True, comment="Prefectoral approval"
            )
        )
        batch_op.add_column(
            sa.Column(
                "approval_expires",
                sa.Date(),
                nullable=True,
                comment="Last valid day of the approval",
            )
        )
        batch_op.add_column(
            sa.Column("training_date", sa.Date(), nullable=True, comment="Data-protection training")
        )
        batch_op.add_column(
            sa.Column(
                "account_expires", sa.Date(), nullable=True, comment="Last valid day of the account"
            )
        )
        batch_op.add_column(
            sa.Column(
                "totp_secret",
                sa.String(length=64),
                nullable=True,
                comment="Active TOTP secret, base32",
            )
        )
        batch_op.add_column(
            sa.Column(
                "totp_pending",
                sa.String(length=64),
                nullable=True,
                comment="Secret awaiting confirmation",
            )
        )
        batch_op.add_column(
            sa.Column(
                "totp_last_step",
                sa.BigInteger(),
                nullable=True,
                comment="Last accepted step (replay)",
            )
        )
        batch_op.add_column(
            sa.Column("failed_logins", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
        batch_op.add_column(sa.Column("first_failure_ms", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("locked_until_ms", sa.BigInteger(), nullable=True))
        batch_op.add_column(
            sa.Column("lockout_level", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )

    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "kind",
                sa.String(length=16),
                server_default="bearer",
                nullable=False,
                comment="bearer | cookie | enroll: a token is accepted only the way it was issued",
            )
        )

    op.create_table(
        "auth_failures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False, comment="Client address"),
        sa.Column("username", sa.String(length=100), nullable=True, comment="As typed"),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_failures")),
    )
    with op.batch_alter_table("auth_failures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_auth_failures_source_at_ms"), ["source", "at_ms"], unique=False
        )

    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("permissions", sa.Text(), nullable=False, comment="Space-separated permissions"),
        sa.Column("communes", sa.Text(), nullable=False, comment="Space-separated commune ids"),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("expires_ms", sa.BigInteger(), nullable=False),
        sa.Column("revoked_ms", sa.BigInteger(), nullable=True),
        sa.Column("last_used_ms", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_api_tokens_token_sha256")),
    )


def downgrade() -> None:
    op.drop_table("api_tokens")
    with op.batch_alter_table("auth_failures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auth_failures_source_at_ms"))
    op.drop_table("auth_failures")
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_column("kind")
    with op.batch_alter_table("users", schema=None) as batch_op:
        for column in (
            "lockout_level",
            "locked_until_ms",
            "first_failure_ms",
            "failed_logins",
            "totp_last_step",
            "totp_pending",
            "totp_secret",
            "account_expires",
            "training_date",
            "approval_expires",
            "approval_ref",
            "service",
            "is_police",
        ):
            batch_op.drop_column(column)
