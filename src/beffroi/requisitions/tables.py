"""Tables of the judicial requisitions register.

A requisition is never deleted: it is the centre's register of what justice asked for
and what was handed over (CPP 60-1, 77-1-1, 99-3). Its legal holds live in the archive's
`holds` table (`holds.requisition_id`), because retention, which sits below this package,
must see them without knowing what a requisition is.
"""

from sqlalchemy import (
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from beffroi.db.base import Millis, metadata

# One row per year: the last number handed out. Allocating is one
# `UPDATE ... SET last = last + 1 RETURNING last` inside the requisition's own transaction,
# so concurrent requests serialise on the row and a rolled-back insert gives its number back.
requisition_counters = Table(
    "requisition_counters",
    metadata,
    Column("year", Integer, primary_key=True, autoincrement=False),
    Column("last", Integer, nullable=False, comment="Last sequence number handed out"),
)

requisitions = Table(
    "requisitions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("number", String(16), nullable=False, comment="YYYY-NNNN, per-year sequence"),
    Column("year", Integer, nullable=False, comment="Year of registration, Europe/Paris"),
    Column("seq", Integer, nullable=False),
    Column("authority_name", String(200), nullable=False),
    Column("authority_rank", String(100), nullable=True),
    Column("authority_service", String(200), nullable=False),
    Column("authority_unit", String(200), nullable=True),
    Column("legal_basis", String(16), nullable=False, comment="60-1 | 77-1-1 | 99-3 | igp | other"),
    Column("legal_basis_other", Text, nullable=True),
    Column("procedure", String(100), nullable=False, comment="Procedure number, as given"),
    Column("received_ms", Millis, nullable=False),
    Column("state", String(16), nullable=False),
    Column("notes", Text, nullable=True),
    Column("created_by", String(100), nullable=False),
    Column("created_ms", Millis, nullable=False),
    Column("closed_ms", Millis, nullable=True),
    Column("delivered_to", String(200), nullable=True),
    Column("delivered_ms", Millis, nullable=True),
    Column("delivery_medium", String(100), nullable=True),
    Column("handover_signature", String(200), nullable=True, comment="Name of who signed"),
    Column("close_reason", Text, nullable=True, comment="Refusal reason, or closing note"),
    UniqueConstraint("number"),
    UniqueConstraint("year", "seq"),
    Index("ix_requisitions_state", "state"),
    Index("ix_requisitions_received_ms", "received_ms"),
)

requisition_items = Table(
    "requisition_items",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("requisition_id", Integer, ForeignKey("requisitions.id"), nullable=False, index=True),
    Column("position", Integer, nullable=False, comment="Order as requested, from 0"),
    Column("camera_id", String(64), ForeignKey("cameras.id"), nullable=False, index=True),
    Column("start_ms", Millis, nullable=False),
    Column("end_ms", Millis, nullable=False),
)

requisition_assignees = Table(
    "requisition_assignees",
    metadata,
    Column("requisition_id", Integer, ForeignKey("requisitions.id"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), primary_key=True, index=True),
)

requisition_history = Table(
    "requisition_history",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("requisition_id", Integer, ForeignKey("requisitions.id"), nullable=False, index=True),
    Column("from_state", String(16), nullable=True, comment="NULL for the creation"),
    Column("to_state", String(16), nullable=False),
    Column("by", String(100), nullable=False),
    Column("at_ms", Millis, nullable=False),
    Column("detail", Text, nullable=True, comment="Canonical JSON of the transition's facts"),
)
