"""journal: hash-chained entries, the chain's head, signed checkpoints

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 13:58:00.522833
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

GENESIS = "0" * 64


def upgrade() -> None:
    op.create_table(
        "journal_checkpoints",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False, comment="Hash of the entry `seq`"),
        sa.Column("time_ms", sa.BigInteger(), nullable=False),
        sa.Column(
            "key_fingerprint",
            sa.String(length=64),
            nullable=False,
            comment="SHA-256 of the public key",
        ),
        sa.Column("signature", sa.String(length=128), nullable=False, comment="Ed25519, hex"),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_journal_checkpoints")),
    )
    op.create_table(
        "journal_entries",
        sa.Column(
            "seq", sa.BigInteger(), autoincrement=False, nullable=False, comment="Gapless, from 1"
        ),
        sa.Column(
            "time_ms",
            sa.BigInteger(),
            nullable=False,
            comment="When the action happened, UTC ms",
        ),
        sa.Column("user_id", sa.Integer(), nullable=True, comment="No foreign key: users may go"),
        sa.Column("username", sa.String(length=100), nullable=True),
        sa.Column("role", sa.String(length=32), nullable=True),
        sa.Column(
            "communes",
            sa.Text(),
            nullable=True,
            comment="The actor's communes, ',a,b,' (sorted); '*' for every commune",
        ),
        sa.Column("source", sa.String(length=64), nullable=True, comment="Client address"),
        sa.Column(
            "action",
            sa.String(length=64),
            nullable=False,
            comment="Dotted name, e.g. recording.read",
        ),
        sa.Column("camera_id", sa.String(length=64), nullable=True),
        sa.Column(
            "commune_id", sa.String(length=64), nullable=True, comment="The camera's commune"
        ),
        sa.Column(
            "start_ms", sa.BigInteger(), nullable=True, comment="Start of the footage concerned"
        ),
        sa.Column("end_ms", sa.BigInteger(), nullable=True, comment="End of the footage concerned"),
        sa.Column("detail", sa.Text(), nullable=True, comment="Canonical JSON text, hashed as is"),
        sa.Column(
            "outcome",
            sa.String(length=16),
            nullable=False,
            comment="ok | denied | not_found | error",
        ),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "hash", sa.String(length=64), nullable=False, comment="SHA-256 of the canonical entry"
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_journal_entries")),
    )
    with op.batch_alter_table("journal_entries", schema=None) as batch_op:
        batch_op.create_index("ix_journal_entries_action_seq", ["action", "seq"], unique=False)
        batch_op.create_index(
            "ix_journal_entries_camera_id_seq", ["camera_id", "seq"], unique=False
        )
        batch_op.create_index("ix_journal_entries_time_ms", ["time_ms"], unique=False)
        batch_op.create_index("ix_journal_entries_username_seq", ["username", "seq"], unique=False)

    head = op.create_table(
        "journal_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False, comment="Always 1"),
        sa.Column(
            "seq", sa.BigInteger(), nullable=False, comment="Seq of the last entry, 0 when empty"
        ),
        sa.Column("hash", sa.String(length=64), nullable=False, comment="Hash of the last entry"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_head")),
    )
    # The one row every append locks and advances; it exists before the first append so
    # concurrent first appenders never race to create it.
    op.bulk_insert(head, [{"id": 1, "seq": 0, "hash": GENESIS}])


def downgrade() -> None:
    op.drop_table("journal_head")
    with op.batch_alter_table("journal_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_journal_entries_username_seq")
        batch_op.drop_index("ix_journal_entries_time_ms")
        batch_op.drop_index("ix_journal_entries_camera_id_seq")
        batch_op.drop_index("ix_journal_entries_action_seq")
    op.drop_table("journal_entries")
    op.drop_table("journal_checkpoints")
