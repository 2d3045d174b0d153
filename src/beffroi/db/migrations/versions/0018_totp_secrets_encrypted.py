"""users: TOTP secrets encrypted at rest

`totp_secret` and `totp_pending` hold the secret encrypted with a key kept outside the
database (`beffroi.access.secrets_box`, "v1:" and base64 of nonce, ciphertext and tag:
83 characters for a 160-bit secret), wider than the base32 secret they held. The
values themselves are encrypted by the application at start (`encrypt_totp_secrets`),
which has the key; the migration cannot.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-09 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

COLUMNS = (
    ("totp_secret", "Active TOTP secret, base32", "Active TOTP secret, encrypted"),
    ("totp_pending", "Secret awaiting confirmation", "Secret awaiting confirmation, encrypted"),
)


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        for name, old, new in COLUMNS:
            batch_op.alter_column(
                name,
                existing_type=sa.String(length=64),
                type_=sa.String(length=128),
                comment=new,
                existing_comment=old,
                existing_nullable=True,
            )


def downgrade() -> None:
    # Encrypted values do not fit back: a downgrade needs every second factor reset.
    with op.batch_alter_table("users", schema=None) as batch_op:
        for name, old, new in COLUMNS:
            batch_op.alter_column(
                name,
                existing_type=sa.String(length=128),
                type_=sa.String(length=64),
                comment=old,
                existing_comment=new,
                existing_nullable=True,
            )
