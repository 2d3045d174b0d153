"""Alarms that arrive as plain data (HTTP webhook, MQTT): their event words, their log
row, and the keys that make a replay visible.

A webhook request or an MQTT message names its alarm with an `id` of the sender's
choosing. The key (receiver, sender, id) is inserted in the same transaction as the
message's `alarm_messages` row, under a unique constraint: a second delivery of the same
alarm fails there, whatever process or thread receives it, and is refused (webhook: 409)
or logged as a duplicate (MQTT: a redelivery after a lost PUBACK). Keys are kept twice
the webhook's timestamp window: older requests are refused by their timestamp anyway.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    delete,
    insert,
)

from beffroi.alarms import tables as _alarm_tables  # noqa: F401  (alarm_messages FK)
from beffroi.alarms.decoder import Received
from beffroi.alarms.events import SIA_KINDS, PanelEvent
from beffroi.clock import utc_ms
from beffroi.db.base import Millis, metadata

alarm_deliveries = Table(
    "alarm_deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("receiver", String(16), nullable=False, comment="webhook | mqtt"),
    Column("sender", String(200), nullable=False, comment="Integration (webhook) or topic"),
    Column("key", String(100), nullable=False, comment="The sender's id of the alarm"),
    Column("received_ms", Millis, nullable=False),
    Column("message_id", Integer, ForeignKey("alarm_messages.id"), nullable=False),
    UniqueConstraint("receiver", "sender", "key", name="uq_alarm_deliveries_key"),
    Index("ix_alarm_deliveries_received_ms", "received_ms"),
)

# An incident kind written as the event ("intrusion") stands for its first SIA code:
# the code column and the reports keep speaking SIA.
KIND_CODES: dict[str, str] = {}
for _code, _kind in SIA_KINDS.items():
    KIND_CODES.setdefault(_kind, _code)


class PlainAlarmError(ValueError):
    """A plain alarm that cannot be taken: `reason` as in alarm_messages, `field` named."""

    def __init__(self, reason: str, field: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.field = field


def panel_event(event: str, zone: int | None, text: str | None = None) -> PanelEvent:
    """The event a plain alarm reports: a SIA code (BA, FA, or BR: a restore, which
    opens nothing) or an incident kind (intrusion, fire...)."""
    word = event.strip()
    kind: str | None
    if word.lower() in KIND_CODES:
        code, kind = KIND_CODES[word.lower()], word.lower()
    elif len(word) == 2 and word.isalpha() and word.isupper():
        code, kind = word, SIA_KINDS.get(word)
    else:
        kinds = ", ".join(sorted(KIND_CODES))
        raise PlainAlarmError(
            "event", "event", f"event {event[:16]!r} is neither a SIA code (BA) nor one of {kinds}"
        )
    return PanelEvent(code=code, zone=zone, partition=None, kind=kind, text=text)


def plain_received(
    *,
    received_at: datetime,
    transport: str,
    peer: str | None,
    raw: bytes,
    sender: str | None = None,
) -> Received:
    """The log form of a plain alarm (refused until `accept` says otherwise)."""
    return Received(
        received_at=received_at,
        transport=transport,
        peer=(peer or "")[:64] or None,
        raw=raw,
        account=(sender or "")[:16] or None,
        data=readable(raw),
    )


def readable(raw: bytes) -> str | None:
    """The payload as text for the log; None when it is not UTF-8. NUL is escaped:
    PostgreSQL text refuses it, and one such row would cost its whole log batch."""
    try:
        return raw.decode("utf-8").replace("\x00", "\\x00")
    except UnicodeDecodeError:
        return None


def accept(msg: Received, building_id: str, event: PanelEvent, event_at: datetime | None) -> None:
    msg.outcome, msg.answer, msg.reason, msg.detail = "accepted", None, None, None
    msg.building_id, msg.event_at, msg.events = building_id, event_at, [event]


def refuse(msg: Received, reason: str, detail: str) -> Received:
    msg.outcome, msg.reason, msg.detail = "refused", reason, detail[:200]
    return msg


def key_writer(
    receiver: str, sender: str, key: str | None, received_at: datetime
) -> Callable[[Connection, int], Any] | None:
    """The `also` of `store_accepted`: records the delivery key (IntegrityError on a
    second delivery, which rolls the message back with it)."""
    if key is None:
        return None

    def write(conn: Connection, message_id: int) -> None:
        conn.execute(
            insert(alarm_deliveries).values(
                receiver=receiver,
                sender=sender[:200],
                key=key,
                received_ms=utc_ms(received_at),
                message_id=message_id,
            )
        )

    return write


def forget_key(engine: Engine, receiver: str, sender: str, key: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            delete(alarm_deliveries).where(
                alarm_deliveries.c.receiver == receiver,
                alarm_deliveries.c.sender == sender[:200],
                alarm_deliveries.c.key == key,
            )
        )


def forget_keys(engine: Engine, receiver: str, before_ms: int) -> int:
    with engine.begin() as conn:
        return int(
            conn.execute(
                delete(alarm_deliveries).where(
                    alarm_deliveries.c.receiver == receiver,
                    alarm_deliveries.c.received_ms < before_ms,
                )
            ).rowcount
        )


def json_object(raw: bytes) -> dict[str, Any] | None:
    """The payload as a JSON object; None when it is not one."""
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None
