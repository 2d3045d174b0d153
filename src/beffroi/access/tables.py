"""Users, their communes and their sessions."""

from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Table, Text

from beffroi.db.base import Millis, metadata

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(100), nullable=False, unique=True),
    Column("password_hash", Text, nullable=False, comment="argon2id"),
    Column("role", String(32), nullable=False),
    Column("full_name", String(200), nullable=True),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_ms", Millis, nullable=False),
)

user_communes = Table(
    "user_communes",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("commune_id", String(64), ForeignKey("communes.id"), primary_key=True),
)

sessions = Table(
    "sessions",
    metadata,
    Column(
        "token_sha256", String(64), primary_key=True, comment="The token itself is never stored"
    ),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("created_ms", Millis, nullable=False),
    Column("last_seen_ms", Millis, nullable=False),
    Column("expires_ms", Millis, nullable=False),
    Column("source", String(64), nullable=True),
)
