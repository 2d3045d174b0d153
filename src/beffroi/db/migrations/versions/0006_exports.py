"""exports: export jobs and the export register

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 15:10:09.288454
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "exports",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("requisition_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.String(length=16),
            nullable=False,
            comment="queued | running | done | failed",
        ),
        sa.Column("progress", sa.Float(), nullable=False, comment="0..1, by bytes read"),
        sa.Column("error", sa.Text(), nullable=True, comment="Why the job failed, in words"),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("started_ms", sa.BigInteger(), nullable=True),
        sa.Column(
            "finished_ms", sa.BigInteger(), nullable=True, comment="Date and time of the export"
        ),
        sa.Column("user_id", sa.Integer(), nullable=False, comment="Who exported"),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column(
            "cameras", sa.Text(), nullable=False, comment="Camera ids, comma-separated, sorted"
        ),
        sa.Column(
            "footage_start_ms", sa.BigInteger(), nullable=False, comment="First filmed instant"
        ),
        sa.Column("footage_end_ms", sa.BigInteger(), nullable=False, comment="Last filmed instant"),
        sa.Column(
            "footage_ms",
            sa.BigInteger(),
            nullable=True,
            comment="Duration of the delivered footage",
        ),
        sa.Column("path", sa.Text(), nullable=True, comment="The ZIP, relative to DATA/exports"),
        sa.Column("bytes", sa.BigInteger(), nullable=True),
        sa.Column("manifest_sha256", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["requisition_id"],
            ["requisitions.id"],
            name=op.f("fk_exports_requisition_id_requisitions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exports")),
    )
    with op.batch_alter_table("exports", schema=None) as batch_op:
        batch_op.create_index("ix_exports_created_ms", ["created_ms"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_exports_requisition_id"), ["requisition_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("exports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exports_requisition_id"))
        batch_op.drop_index("ix_exports_created_ms")
    op.drop_table("exports")
