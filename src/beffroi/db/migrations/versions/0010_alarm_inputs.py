"""webhook and MQTT alarm inputs: delivery keys (replays)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 17:10:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alarm_deliveries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("receiver", sa.String(length=16), nullable=False, comment="webhook | mqtt"),
        sa.Column(
            "sender",
            sa.String(length=200),
            nullable=False,
            comment="Integration (webhook) or topic",
        ),
        sa.Column(
            "key", sa.String(length=100), nullable=False, comment="The sender's id of the alarm"
        ),
        sa.Column("received_ms", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["alarm_messages.id"],
            name=op.f("fk_alarm_deliveries_message_id_alarm_messages"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alarm_deliveries")),
        sa.UniqueConstraint("receiver", "sender", "key", name="uq_alarm_deliveries_key"),
    )
    with op.batch_alter_table("alarm_deliveries", schema=None) as batch_op:
        batch_op.create_index("ix_alarm_deliveries_received_ms", ["received_ms"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("alarm_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_alarm_deliveries_received_ms")
    op.drop_table("alarm_deliveries")
