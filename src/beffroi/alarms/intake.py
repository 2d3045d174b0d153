"""From a decided message to the database, and to whoever listens for alarms.

An accepted message is stored (and handed to the `on_alarm` hook, which the composition
root wires to the incidents service) BEFORE its ACK leaves: an acknowledged alarm is
never lost. Refused messages and duplicates only need to be kept, not waited for: they
go through `MessageLog`, a bounded queue and one writer thread that inserts them in
batches, so a flood of junk costs the receiver a queue append per message. The journal
gets one summary entry per batch (counts by reason and sender), not one per message: a
flood must not flood the journal.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, insert

from beffroi.alarms.decoder import Received
from beffroi.alarms.events import PanelEvent
from beffroi.alarms.tables import RAW_KEPT, alarm_messages
from beffroi.clock import utc_ms
from beffroi.journal.http import principal_entry

log = logging.getLogger(__name__)

RECEIVER_NAME = "sia-dc09"


@dataclass(frozen=True)
class Alarm:
    """An accepted alarm message, stored as `alarm_messages.id == message_id`."""

    message_id: int
    receiver: str
    account: str
    building_id: str
    received_at: datetime
    event_at: datetime | None
    events: tuple[PanelEvent, ...]


# The hook a receiver calls for every accepted message (in a worker thread). It must
# return once the alarm is safely stored: the panel's ACK waits for it.
AlarmHook = Callable[[Alarm], object]


class JournalLike(Protocol):
    def record(self, entry: Any) -> Any: ...


def escaped(raw: bytes) -> str:
    """The message as printable text: control bytes and non-ASCII as \\xNN."""
    text = raw.decode("ascii", "backslashreplace")
    out = "".join(c if 32 <= ord(c) < 127 else f"\\x{ord(c):02x}" for c in text)
    return out[:RAW_KEPT]


def message_row(msg: Received, receiver: str = RECEIVER_NAME) -> dict[str, Any]:
    frame = msg.frame
    return {
        "received_ms": utc_ms(msg.received_at),
        "receiver": receiver,
        "transport": msg.transport,
        "peer": (msg.peer or "")[:64] or None,
        "account": msg.account,
        "building_id": msg.building_id,
        "token": frame.token if frame else None,
        "sequence": frame.sequence if frame else None,
        "encrypted": bool(frame and frame.encrypted),
        "event_ms": utc_ms(msg.event_at) if msg.event_at else None,
        "outcome": msg.outcome,
        "reason": msg.reason,
        "detail": msg.detail,
        "answer": msg.answer.value if msg.answer else None,
        "data": msg.data[:RAW_KEPT] if msg.data is not None else None,
        "raw": escaped(msg.raw),
    }


def store_accepted(
    engine: Engine,
    msg: Received,
    on_alarm: AlarmHook | None,
    receiver: str = RECEIVER_NAME,
    also: Callable[[Connection, int], object] | None = None,
) -> Alarm:
    """Keep an accepted message and hand it on; raises if either fails (no ACK then).
    `also` writes in the same transaction (the webhook's replay key: both or neither)."""
    with engine.begin() as conn:
        message_id = conn.execute(
            insert(alarm_messages)
            .values(**message_row(msg, receiver))
            .returning(alarm_messages.c.id)
        ).scalar_one()
        if also is not None:
            also(conn, message_id)
    assert msg.account is not None and msg.building_id is not None
    alarm = Alarm(
        message_id=message_id,
        receiver=receiver,
        account=msg.account,
        building_id=msg.building_id,
        received_at=msg.received_at,
        event_at=msg.event_at,
        events=tuple(msg.events),
    )
    if on_alarm is not None:
        on_alarm(alarm)
    return alarm


class MessageLog:
    """Refused and duplicate messages, written in batches by one thread."""

    def __init__(
        self,
        engine: Engine,
        journal: JournalLike | None = None,
        capacity: int = 20_000,
        batch: int = 500,
        receiver: str = RECEIVER_NAME,
    ) -> None:
        self.engine = engine
        self.receiver = receiver
        self.journal = journal
        self.batch = batch
        self.dropped = 0  # messages not logged because the queue was full (counted)
        self._queue: queue.Queue[Received | None] = queue.Queue(capacity)
        self._thread: threading.Thread | None = None
        self._idle = threading.Event()
        self._idle.set()

    def submit(self, msg: Received) -> None:
        self._idle.clear()
        try:
            self._queue.put_nowait(msg)
        except queue.Full:
            self.dropped += 1

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="alarm-log", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(10)
            self._thread = None

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """True once every submitted message is written (tests, shutdown)."""
        return self._idle.wait(timeout)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < self.batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    self._write(batch)
                    return
                batch.append(item)
            self._write(batch)
            if self._queue.empty():
                self._idle.set()

    def _write(self, batch: list[Received]) -> None:
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(alarm_messages), [message_row(m, self.receiver) for m in batch])
            self._journal(batch)
        except Exception:  # the log must outlive a database hiccup; the loss is logged
            log.exception("alarm messages: %d message(s) could not be logged", len(batch))

    def _journal(self, batch: list[Received]) -> None:
        refused = [m for m in batch if m.outcome == "refused"]
        if self.journal is None or not refused:
            return
        reasons = Counter(m.reason or "?" for m in refused)
        peers = Counter((m.peer or "?").rpartition(":")[0] or "?" for m in refused)
        accounts = sorted({m.account for m in refused if m.account})[:20]
        detail = {
            "receiver": self.receiver,
            "refused": len(refused),
            "reasons": dict(sorted(reasons.items())),
            "senders": dict(peers.most_common(10)),
            "accounts": accounts,
        }
        self.journal.record(
            principal_entry(
                None, "alarm.refused", username="system", outcome="denied", detail=detail
            )
        )
