"""Users (with their agent record, second factor and lockout state), their communes,
their sessions, the failed login attempts per source address and account, and machine
API tokens."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    false,
    text,
)

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
    # The agent record (CSI L252-2, R252-12).
    Column("is_police", Boolean, nullable=False, server_default=false(), comment="Police"),
    Column("service", String(200), nullable=True, comment="Service or unit of the agent"),
    Column("approval_ref", String(100), nullable=True, comment="Prefectoral approval"),
    Column("approval_expires", Date, nullable=True, comment="Last valid day of the approval"),
    Column("training_date", Date, nullable=True, comment="Data-protection training"),
    Column("account_expires", Date, nullable=True, comment="Last valid day of the account"),
    # Second factor (RFC 6238). The secret must be readable to check codes, so it cannot
    # be hashed: it is encrypted with a key kept outside the database, bound to the user
    # (`beffroi.access.secrets_box`: "v1:" and base64 of nonce, ciphertext and tag).
    Column("totp_secret", String(128), nullable=True, comment="Active TOTP secret, encrypted"),
    Column(
        "totp_pending",
        String(128),
        nullable=True,
        comment="Secret awaiting confirmation, encrypted",
    ),
    Column("totp_last_step", BigInteger, nullable=True, comment="Last accepted step (replay)"),
    # Lockout after repeated second-factor failures (password failures only slow down
    # their source: `auth_failures`).
    Column("failed_logins", Integer, nullable=False, server_default=text("0")),
    Column("first_failure_ms", Millis, nullable=True),
    Column("locked_until_ms", Millis, nullable=True),
    Column("lockout_level", Integer, nullable=False, server_default=text("0")),
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
    Column(
        "kind",
        String(16),
        nullable=False,
        server_default="bearer",
        comment="bearer | cookie | enroll: a token is accepted only the way it was issued",
    ),
)

auth_failures = Table(
    "auth_failures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(64), nullable=False, comment="Client address"),
    Column("username", String(100), nullable=True, comment="As typed"),
    Column("at_ms", Millis, nullable=False),
    Index(None, "source", "at_ms"),
    Index(None, "source", "username", "at_ms"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False),
    Column("token_sha256", String(64), nullable=False, unique=True),
    Column("permissions", Text, nullable=False, comment="Space-separated permissions"),
    Column("communes", Text, nullable=False, comment="Space-separated commune ids"),
    Column("created_by", String(100), nullable=False),
    Column("created_ms", Millis, nullable=False),
    Column("expires_ms", Millis, nullable=False),
    Column("revoked_ms", Millis, nullable=True),
    Column("last_used_ms", Millis, nullable=True),
)

# Patrol agents see only the cameras designated to them (e.g. on a phone during an
# intervention), within their communes.
user_cameras = Table(
    "user_cameras",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("camera_id", String(64), ForeignKey("cameras.id"), primary_key=True),
)

# Access codes: how a person gets a password without anybody else knowing it. An
# invitation (a new account) or an access reset (a forgotten password, a lost phone) is
# requested by one person and, for accounts that reach images or administer, approved
# by a second one, who alone receives the code (`beffroi.access.invitations`).
access_codes = Table(
    "access_codes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("purpose", String(16), nullable=False, comment="invitation | reset"),
    Column("requested_by", String(100), nullable=False),
    Column("requested_ms", Millis, nullable=False),
    Column("approved_by", String(100), nullable=True, comment="Who received the code"),
    Column("approved_ms", Millis, nullable=True),
    Column(
        "code_sha256",
        String(64),
        nullable=True,
        unique=True,
        comment="Set at approval; the code itself is never stored",
    ),
    Column(
        "expires_ms",
        Millis,
        nullable=False,
        comment="Until approved: end of the request; then: end of the code",
    ),
    Column("used_ms", Millis, nullable=True),
    Column("used_source", String(64), nullable=True),
    Column("cancelled_ms", Millis, nullable=True),
    Column("cancelled_by", String(100), nullable=True),
    Index(None, "user_id", "requested_ms"),
)
