"""journal: the chain's head is signed

`journal_head` gains `time_ms`, `key_fingerprint` and `signature`: every append signs
the new head (seq, hash, time) with the installation key, so someone who deletes the
last entries and their checkpoints and rewinds the head cannot make it verify without
the key. Existing heads stay unsigned (NULL) until the next append signs them.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-08 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("journal_head", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("time_ms", sa.BigInteger(), nullable=True, comment="Time of the last append")
        )
        batch_op.add_column(
            sa.Column(
                "key_fingerprint",
                sa.String(length=64),
                nullable=True,
                comment="Key that signed the head",
            )
        )
        batch_op.add_column(
            sa.Column(
                "signature",
                sa.String(length=128),
                nullable=True,
                comment="Ed25519 over seq, hash and time (keys.head_message); NULL: unsigned",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("journal_head", schema=None) as batch_op:
        batch_op.drop_column("signature")
        batch_op.drop_column("key_fingerprint")
        batch_op.drop_column("time_ms")
