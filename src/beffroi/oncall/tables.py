"""Tables of the on-call service: rotas, agents' contacts, escalations and every
notification attempt.

A rota covers one commune or a group of communes (a commune belongs to one rota at
most, so "who is on call for this commune" has one answer). Weekly shifts are written
in the town's local time (Europe/Paris) as minutes after midnight, never as UTC
instants: "22:00 to 06:00 every night" must stay 22:00 local on both sides of a DST
change. Dated overrides (a holiday swap) are instants, stored in UTC milliseconds.
"""

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text

from beffroi.access import tables as _access_tables  # noqa: F401  (users FK)
from beffroi.db.base import Millis, metadata
from beffroi.incidents import tables as _incident_tables  # noqa: F401  (incidents FK)

rotas = Table(
    "rotas",
    metadata,
    Column("id", String(64), primary_key=True, comment="Stable slug, e.g. astreinte-jlt"),
    Column("name", String(200), nullable=False),
    Column(
        "escalate_minutes",
        Integer,
        nullable=False,
        comment="Unacknowledged after this long: the next person is notified",
    ),
    Column("updated_ms", Millis, nullable=False),
    Column("updated_by", String(200), nullable=True),
)

rota_communes = Table(
    "rota_communes",
    metadata,
    Column("rota_id", String(64), ForeignKey("rotas.id", ondelete="CASCADE"), nullable=False),
    # Primary key alone: a commune is covered by one rota at most.
    Column("commune_id", String(64), ForeignKey("communes.id"), primary_key=True),
    Index("ix_rota_communes_rota_id", "rota_id"),
)

rota_shifts = Table(
    "rota_shifts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "rota_id",
        String(64),
        ForeignKey("rotas.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("weekday", Integer, nullable=False, comment="0 = Monday ... 6 = Sunday (local)"),
    Column("start_minute", Integer, nullable=False, comment="Local minutes after midnight"),
    Column(
        "end_minute",
        Integer,
        nullable=False,
        comment="Local; at or before start_minute: ends the next day",
    ),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
)

rota_overrides = Table(
    "rota_overrides",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "rota_id",
        String(64),
        ForeignKey("rotas.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("start_ms", Millis, nullable=False),
    Column("end_ms", Millis, nullable=False),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("note", String(200), nullable=True),
)

rota_fallbacks = Table(
    "rota_fallbacks",
    metadata,
    Column("rota_id", String(64), ForeignKey("rotas.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
)

user_contacts = Table(
    "user_contacts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "user_id",
        Integer,
        ForeignKey("users.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("position", Integer, nullable=False, comment="Channels are tried in this order"),
    Column("channel", String(16), nullable=False, comment="email | webhook | ntfy | mqtt"),
    Column("address", String(500), nullable=False, comment="Mailbox, URL or topic"),
)

# One row per incident the escalation took up. The chain of people is frozen when the
# incident opens: whoever was on call at the alarm stays first even if a shift ends.
escalations = Table(
    "escalations",
    metadata,
    Column(
        "incident_id",
        Integer,
        ForeignKey("incidents.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("rota_id", String(64), nullable=True, comment="None: supervisors only"),
    Column("chain", Text, nullable=False, comment="JSON list of user ids, in order"),
    Column("step", Integer, nullable=False, comment="Index in chain of the last person tried"),
    Column("escalate_ms", Integer, nullable=False, comment="Delay before the next person"),
    Column("next_ms", Millis, nullable=True, comment="When to try the next person"),
    Column("started_ms", Millis, nullable=False),
    Column("ended_ms", Millis, nullable=True),
    Column("outcome", String(16), nullable=True, comment="acknowledged | exhausted"),
    Index("ix_escalations_ended_ms_next_ms", "ended_ms", "next_ms"),
)

notification_attempts = Table(
    "notification_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "incident_id",
        Integer,
        ForeignKey("incidents.id", ondelete="CASCADE"),
        nullable=True,
        index=True,
        comment="None for a test message",
    ),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("username", String(100), nullable=False),
    Column("step", Integer, nullable=True, comment="0: the person on call, then fallbacks"),
    Column("channel", String(16), nullable=False),
    Column("address", String(500), nullable=False),
    Column("at_ms", Millis, nullable=False),
    Column("outcome", String(16), nullable=False, comment="sent | failed"),
    Column("error", String(500), nullable=True),
)
