"""Tables of the journal: the hash-chained entries, the chain's head, signed checkpoints.

`journal_entries.seq` is assigned by the appender, never by the database: it is gapless
by construction (a row per increment of `journal_head.seq`, in the same transaction), so
a missing seq is a deleted row. `journal_head` holds exactly one row (id = 1), created
by the migration; every append updates it first, which serialises appenders on both
backends (the row lock on PostgreSQL, the write lock on SQLite), and signs it last
(migration 0017): a head rewound over a truncated tail no longer verifies.
"""

from sqlalchemy import BigInteger, Column, Index, Integer, String, Table, Text

from beffroi.db.base import Millis, metadata

journal_entries = Table(
    "journal_entries",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False, comment="Gapless, from 1"),
    Column("time_ms", Millis, nullable=False, comment="When the action happened, UTC ms"),
    Column("user_id", Integer, nullable=True, comment="No foreign key: users may go"),
    Column("username", String(100), nullable=True),
    Column("role", String(32), nullable=True),
    Column(
        "communes",
        Text,
        nullable=True,
        comment="The actor's communes, ',a,b,' (sorted); '*' for every commune",
    ),
    Column("source", String(64), nullable=True, comment="Client address"),
    Column("action", String(64), nullable=False, comment="Dotted name, e.g. recording.read"),
    Column("camera_id", String(64), nullable=True),
    Column("commune_id", String(64), nullable=True, comment="The camera's commune"),
    Column("start_ms", Millis, nullable=True, comment="Start of the footage concerned"),
    Column("end_ms", Millis, nullable=True, comment="End of the footage concerned"),
    Column("detail", Text, nullable=True, comment="Canonical JSON text, hashed as is"),
    Column("outcome", String(16), nullable=False, comment="ok | denied | not_found | error"),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False, comment="SHA-256 of the canonical entry"),
    Index("ix_journal_entries_time_ms", "time_ms"),
    Index("ix_journal_entries_camera_id_seq", "camera_id", "seq"),
    Index("ix_journal_entries_username_seq", "username", "seq"),
    Index("ix_journal_entries_action_seq", "action", "seq"),
)

journal_head = Table(
    "journal_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False, comment="Always 1"),
    Column("seq", BigInteger, nullable=False, comment="Seq of the last entry, 0 when empty"),
    Column("hash", String(64), nullable=False, comment="Hash of the last entry"),
    Column("time_ms", Millis, nullable=True, comment="Time of the last append"),
    Column("key_fingerprint", String(64), nullable=True, comment="Key that signed the head"),
    Column(
        "signature",
        String(128),
        nullable=True,
        comment="Ed25519 over seq, hash and time (keys.head_message); NULL: unsigned",
    ),
)

journal_checkpoints = Table(
    "journal_checkpoints",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", String(64), nullable=False, comment="Hash of the entry `seq`"),
    Column("time_ms", Millis, nullable=False),
    Column("key_fingerprint", String(64), nullable=False, comment="SHA-256 of the public key"),
    Column("signature", String(128), nullable=False, comment="Ed25519, hex"),
)
