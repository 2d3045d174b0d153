"""Escalation: from a new incident to someone who takes it in charge.

Each `tick` (the loop runs one every quarter second; tests call it after moving a
`FakeClock`):
1. every incident still `new` that the escalation has not taken up gets its chain of
   people frozen (on call at that instant, fallbacks, supervisors: `rotas.who_is_on_call`)
   and is due at once;
2. every escalation that is due and whose incident is still unacknowledged goes to the
   next person of its chain. The first person reached moves the incident to `notified`;
   the next step is due `escalate_minutes` later. A person none of whose channels took
   the alert is skipped at once: waiting N minutes on a dead relay helps nobody.

It stops at acknowledgement (at the screen or from the phone, whatever the state was
when the incident opened) and ends `exhausted` when the chain runs out, which is
journaled as an error: nobody answered. The state lives in the `escalations` table, so
a restart resumes where it was. Alarms that join an open incident (an alarm storm) do
not notify again: the incident is not new any more.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from beffroi.alarms.intake import JournalLike
from beffroi.clock import Clock, utc_ms
from beffroi.incidents.service import IncidentService
from beffroi.incidents.states import IllegalTransitionError, State
from beffroi.incidents.tables import incidents
from beffroi.journal.http import principal_entry
from beffroi.loops import Loop
from beffroi.oncall.links import IncidentLinks
from beffroi.oncall.notify import Notifier, SnapshotSource, incident_alert
from beffroi.oncall.rotas import Person, person, who_is_on_call
from beffroi.oncall.tables import escalations

log = logging.getLogger(__name__)

POLL_SECONDS = 0.25
BATCH = 200
# A storm opens one incident per building: their first alerts go out side by side, or
# the fiftieth building's agent would wait for forty-nine relays before his phone rings.
SENDERS = 8


class Escalation:
    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        notifier: Notifier,
        links: IncidentLinks | None = None,
        journal: JournalLike | None = None,
        snapshot: SnapshotSource | None = None,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.notifier = notifier
        self.links = links
        self.journal = journal
        self.snapshot = snapshot
        self.poll_seconds = poll_seconds
        self.incidents = IncidentService(engine, clock, journal)
        self.also_each_tick: list[Callable[[], object]] = []
        self.loop = Loop("oncall-escalation", self._pass, poll_seconds, clock)
        self._senders = ThreadPoolExecutor(SENDERS, thread_name_prefix="oncall-send")

    # --- the loop --------------------------------------------------------------------
    def start(self) -> None:
        self.loop.start()

    def wake(self) -> None:
        """Run a pass now (an incident just opened) instead of at the next poll."""
        self.loop.wake()

    def stop(self) -> None:
        self.loop.stop(10)
        self._senders.shutdown(wait=True)

    def _pass(self) -> None:
        for step in (self.tick, *self.also_each_tick):
            try:
                step()
            except Exception:  # one failing step must not hold back the others
                log.exception("oncall: %s failed", getattr(step, "__name__", step))

    # --- one pass --------------------------------------------------------------------
    def tick(self) -> int:
        """Take up new incidents, then advance what is due; returns the people reached."""
        self._take_up_new()
        now_ms = utc_ms(self.clock.now())
        with self.engine.connect() as conn:
            due = conn.execute(
                select(escalations)
                .where(escalations.c.ended_ms.is_(None), escalations.c.next_ms <= now_ms)
                .order_by(escalations.c.next_ms, escalations.c.incident_id)
                .limit(BATCH)
            ).all()
        if len(due) <= 1:
            return sum(self._advance(row) for row in due)
        return sum(self._senders.map(self._advance, due))

    def _take_up_new(self) -> None:
        now = self.clock.now()
        now_ms = utc_ms(now)
        taken = select(escalations.c.incident_id)
        with self.engine.connect() as conn:
            fresh = conn.execute(
                select(incidents.c.id, incidents.c.commune_id)
                .where(incidents.c.state == State.NEW.value, incidents.c.id.not_in(taken))
                .order_by(incidents.c.id)
                .limit(BATCH)
            ).all()
        for incident in fresh:
            with self.engine.connect() as conn:
                call = who_is_on_call(conn, incident.commune_id, now)
            try:
                with self.engine.begin() as conn:
                    conn.execute(
                        insert(escalations).values(
                            incident_id=incident.id,
                            rota_id=call.rota_id,
                            chain=json.dumps([p.user_id for p in call.chain]),
                            step=-1,
                            escalate_ms=call.escalate_minutes * 60_000,
                            next_ms=now_ms,
                            started_ms=now_ms,
                        )
                    )
            except IntegrityError:  # another process took it up first
                continue

    def _advance(self, esc: Any) -> int:
        now = self.clock.now()
        now_ms = utc_ms(now)
        with self.engine.connect() as conn:
            state = conn.scalar(select(incidents.c.state).where(incidents.c.id == esc.incident_id))
        if state not in (State.NEW.value, State.NOTIFIED.value):
            self._end(esc.incident_id, esc.step, "acknowledged")
            return 0
        chain: list[int] = json.loads(esc.chain)
        for step in range(esc.step + 1, len(chain)):
            with self.engine.connect() as conn:
                target = person(conn, chain[step])
            if target is None:  # disabled since the incident opened
                continue
            alert = incident_alert(
                self.engine, esc.incident_id, self.links, now, step, self.snapshot
            )
            results = self.notifier.reach(target, alert, step)
            sent = next((r for r in results if r.outcome == "sent"), None)
            if sent is None:
                continue
            with self.engine.begin() as conn:
                conn.execute(
                    update(escalations)
                    .where(escalations.c.incident_id == esc.incident_id)
                    .values(step=step, next_ms=now_ms + esc.escalate_ms)
                )
            self._mark_notified(esc.incident_id, target, sent.channel, step)
            return 1
        self._end(esc.incident_id, len(chain) - 1, "exhausted")
        return 0

    def _mark_notified(self, incident_id: int, target: Person, channel: str, step: int) -> None:
        detail = {"to": target.username, "channel": channel, "step": step}
        # Already notified (a later step), or acknowledged in the meantime: nothing to do.
        with contextlib.suppress(IllegalTransitionError):
            self.incidents.notify(incident_id, detail)

    def _end(self, incident_id: int, step: int, outcome: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(escalations)
                .where(escalations.c.incident_id == incident_id)
                .values(step=step, ended_ms=utc_ms(self.clock.now()), next_ms=None, outcome=outcome)
            )
        if outcome == "exhausted":
            log.error("oncall: incident %s: nobody on the rota took it in charge", incident_id)
        if self.journal is not None:
            with self.engine.connect() as conn:
                commune = conn.scalar(
                    select(incidents.c.commune_id).where(incidents.c.id == incident_id)
                )
            self.journal.record(
                principal_entry(
                    None,
                    f"oncall.{outcome}",
                    username="system",
                    commune=commune,
                    outcome="ok" if outcome == "acknowledged" else "error",
                    detail={"incident": incident_id, "step": step},
                )
            )
