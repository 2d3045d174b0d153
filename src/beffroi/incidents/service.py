"""Opening, grouping and moving incidents along their states.

An alarm of a building joins the building's open incident when it comes less than
`group_seconds` after that incident's last alarm (the window slides: a storm of alarms
stays one incident however long it lasts); otherwise it opens a new one. The incident
gets the cameras of the alarm's zone; an alarm of a zone the site file does not declare
(or of zone 0, the panel itself) gets every camera of the building, because showing
the agent too much beats showing nothing.

Every write is one transaction. Opening is serialised by a lock: two alarms of one
building arriving together must not open two incidents. Transitions are a guarded
UPDATE (`WHERE state IN (...)`), so two agents acknowledging at once cannot both win.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, update

from beffroi.alarms.events import PanelEvent
from beffroi.alarms.intake import Alarm, JournalLike
from beffroi.clock import Clock, utc_ms
from beffroi.incidents.clip_window import MediaSettings
from beffroi.incidents.media import schedule_media
from beffroi.incidents.states import (
    OPEN_STATES,
    TRANSITIONS,
    Action,
    Disposition,
    IllegalTransitionError,
    State,
)
from beffroi.incidents.tables import (
    incident_alarms,
    incident_cameras,
    incident_history,
    incidents,
)
from beffroi.journal.http import principal_entry
from beffroi.site.tables import building_zones, buildings, zone_cameras

log = logging.getLogger(__name__)

DEFAULT_MEDIA = MediaSettings()  # 20 s before, 40 s after the alarm


class UnknownIncidentError(LookupError):
    pass


@dataclass(frozen=True)
class Actor:
    """Who moves an incident: a user (id, name) or the system (id None)."""

    user_id: int | None
    username: str


SYSTEM = Actor(None, "system")


class IncidentService:
    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        journal: JournalLike | None = None,
        group_seconds: int = 300,
        media: MediaSettings | None = DEFAULT_MEDIA,
    ) -> None:
        """`media`: the snapshot and clip window queued for each camera an alarm brings
        into an incident (made by `incidents.media.IncidentMedia`); None queues none."""
        self.engine = engine
        self.clock = clock
        self.journal = journal
        self.group_seconds = group_seconds
        self.media = media
        self._open_lock = threading.Lock()
        # Called with the id of each incident an alarm opens, after its commit: the
        # on-call escalation wakes at once rather than at its next poll.
        self.on_opened: list[Callable[[int], None]] = []

    # --- alarms in ----------------------------------------------------------------
    def alarm_received(self, alarm: Alarm) -> int | None:
        """The `AlarmHook`: the incident the alarm opened or joined; None when none of
        its events needs a person (restores, tests, openings and closings)."""
        events = [e for e in alarm.events if e.kind is not None]
        if not events:
            return None
        received_ms = utc_ms(alarm.received_at)
        with self._open_lock, self.engine.begin() as conn:
            building = conn.execute(
                select(buildings).where(buildings.c.id == alarm.building_id)
            ).first()
            if building is None:
                raise UnknownIncidentError(f"unknown building {alarm.building_id}")
            incident_id = self._open_incident_of(conn, alarm.building_id, received_ms)
            opened = incident_id is None
            if incident_id is None:
                incident_id = self._open(conn, building, events[0], received_ms)
            self._join(conn, incident_id, alarm, events, received_ms)
            detail = {
                "account": alarm.account,
                "codes": [e.code for e in events],
                "zones": [e.zone for e in events],
                "message_id": alarm.message_id,
            }
            self._history(conn, incident_id, "opened" if opened else "alarm", SYSTEM, detail)
        if opened:
            self._announce(incident_id, building.commune_id, alarm.building_id, detail)
        return incident_id

    def _open(self, conn: Connection, building: Any, first: PanelEvent, at_ms: int) -> int:
        """A new incident of the building, of its first event's kind and zone."""
        zone = self._zone(conn, building.id, first.zone)
        return int(
            conn.execute(
                insert(incidents)
                .values(
                    kind=first.kind,
                    state=State.NEW.value,
                    commune_id=building.commune_id,
                    building_id=building.id,
                    zone=first.zone,
                    zone_name=zone.name if zone is not None else None,
                    opened_ms=at_ms,
                    last_alarm_ms=at_ms,
                    alarm_count=0,
                    updated_ms=at_ms,
                )
                .returning(incidents.c.id)
            ).scalar_one()
        )

    def _join(
        self,
        conn: Connection,
        incident_id: int,
        alarm: Alarm,
        events: list[PanelEvent],
        received_ms: int,
    ) -> None:
        """The alarm's events into the incident: their zones' cameras, media for the
        cameras they bring in, the events themselves, and the incident's counters."""
        added: list[str] = []
        for event in events:
            added += self._add_cameras(conn, incident_id, alarm.building_id, event.zone)
        if self.media is not None:
            # Each camera gets its media at the alarm that brought it in: a storm of
            # alarms on one zone is one snapshot and one clip, not a hundred.
            window = self.media.window(alarm.building_id)
            now_ms = utc_ms(self.clock.now())
            schedule_media(conn, incident_id, added, received_ms, window, now_ms)
        conn.execute(
            insert(incident_alarms),
            [
                {
                    "incident_id": incident_id,
                    "message_id": alarm.message_id,
                    "received_ms": received_ms,
                    "event_ms": utc_ms(alarm.event_at) if alarm.event_at else None,
                    "account": alarm.account,
                    "code": e.code,
                    "kind": e.kind,
                    "zone": e.zone,
                    "partition": e.partition,
                    "text": e.text,
                }
                for e in events
            ],
        )
        conn.execute(
            update(incidents)
            .where(incidents.c.id == incident_id)
            .values(
                alarm_count=incidents.c.alarm_count + len(events),
                last_alarm_ms=received_ms,
                updated_ms=received_ms,
            )
        )

    def _announce(
        self, incident_id: int, commune: str, building_id: str, detail: dict[str, Any]
    ) -> None:
        """After the commit: journal the opening, and wake the on-call escalation."""
        if self.journal is not None:
            self.journal.record(
                principal_entry(
                    None,
                    "incident.open",
                    username="system",
                    commune=commune,
                    detail={"incident": incident_id, "building": building_id, **detail},
                )
            )
        for listener in self.on_opened:
            try:
                listener(incident_id)
            except Exception:  # a listener's fault must not refuse the alarm's ACK
                log.exception("incidents: on_opened listener failed")

    def _open_incident_of(self, conn: Connection, building_id: str, now_ms: int) -> int | None:
        since = now_ms - self.group_seconds * 1000
        row = conn.execute(
            select(incidents.c.id)
            .where(
                incidents.c.building_id == building_id,
                incidents.c.state.in_([s.value for s in OPEN_STATES]),
                incidents.c.last_alarm_ms >= since,
            )
            .order_by(incidents.c.last_alarm_ms.desc())
            .limit(1)
        ).first()
        return int(row.id) if row is not None else None

    @staticmethod
    def _zone(conn: Connection, building_id: str, zone: int | None) -> Any:
        if zone is None:
            return None
        return conn.execute(
            select(building_zones).where(
                building_zones.c.building_id == building_id, building_zones.c.zone == zone
            )
        ).first()

    def _add_cameras(
        self, conn: Connection, incident_id: int, building_id: str, zone: int | None
    ) -> list[str]:
        """Link the zone's cameras to the incident; returns those newly linked."""
        query = select(zone_cameras.c.camera_id).where(zone_cameras.c.building_id == building_id)
        if self._zone(conn, building_id, zone) is not None:
            query = query.where(zone_cameras.c.zone == zone)
        wanted = list(
            dict.fromkeys(
                conn.scalars(query.order_by(zone_cameras.c.zone, zone_cameras.c.position))
            )
        )
        have = set(
            conn.scalars(
                select(incident_cameras.c.camera_id).where(
                    incident_cameras.c.incident_id == incident_id
                )
            )
        )
        start = conn.execute(
            select(func.count()).where(incident_cameras.c.incident_id == incident_id)
        ).scalar_one()
        new = [c for c in wanted if c not in have]
        if new:
            conn.execute(
                insert(incident_cameras),
                [
                    {"incident_id": incident_id, "camera_id": c, "position": start + i}
                    for i, c in enumerate(new)
                ],
            )
        return new

    def _history(
        self,
        conn: Connection,
        incident_id: int,
        action: str,
        actor: Actor,
        detail: dict[str, Any] | None = None,
    ) -> None:
        add_history(conn, utc_ms(self.clock.now()), incident_id, action, actor, detail)

    # --- transitions ---------------------------------------------------------------
    def notify(self, incident_id: int, detail: dict[str, Any] | None = None) -> None:
        """The notification service reached someone (not built yet: the step exists)."""
        self._move(incident_id, Action.NOTIFY, SYSTEM, {}, "notified", detail)

    def acknowledge(self, incident_id: int, actor: Actor, conn: Connection | None = None) -> None:
        """`conn`: the caller's transaction (with its journal entry), else one of its own."""
        now_ms = utc_ms(self.clock.now())
        values = {"acknowledged_ms": now_ms, "acknowledged_by": actor.username}
        self._move(incident_id, Action.ACKNOWLEDGE, actor, values, "acknowledged", conn=conn)

    def close(
        self,
        incident_id: int,
        actor: Actor,
        disposition: Disposition,
        notes: str | None = None,
        police_called_at: datetime | None = None,
        conn: Connection | None = None,
    ) -> None:
        now_ms = utc_ms(self.clock.now())
        police_ms = utc_ms(police_called_at) if police_called_at is not None else None
        values = {
            "closed_ms": now_ms,
            "closed_by": actor.username,
            "disposition": disposition.value,
            "notes": notes,
            "police_called_ms": police_ms,
        }
        detail = {"disposition": disposition.value, "police_called_ms": police_ms}
        self._move(incident_id, Action.CLOSE, actor, values, "closed", detail, conn)

    def _move(
        self,
        incident_id: int,
        action: Action,
        actor: Actor,
        values: dict[str, Any],
        history: str,
        detail: dict[str, Any] | None = None,
        conn: Connection | None = None,
    ) -> None:
        if conn is None:
            with self.engine.begin() as own:
                self._move(incident_id, action, actor, values, history, detail, own)
            return
        sources, target = TRANSITIONS[action]
        now_ms = utc_ms(self.clock.now())
        moved = conn.execute(
            update(incidents)
            .where(
                incidents.c.id == incident_id,
                incidents.c.state.in_([s.value for s in sources]),
            )
            .values(state=target.value, updated_ms=now_ms, **values)
        ).rowcount
        if moved != 1:
            current = conn.scalar(select(incidents.c.state).where(incidents.c.id == incident_id))
            if current is None:
                raise UnknownIncidentError(f"unknown incident {incident_id}")
            raise IllegalTransitionError(State(current), action)
        self._history(conn, incident_id, history, actor, detail)


def add_history(
    conn: Connection,
    at_ms: int,
    incident_id: int,
    action: str,
    actor: Actor,
    detail: dict[str, Any] | None = None,
) -> None:
    """One timestamped step of an incident, with its author."""
    conn.execute(
        insert(incident_history).values(
            incident_id=incident_id,
            at_ms=at_ms,
            action=action,
            user_id=actor.user_id,
            username=actor.username,
            detail=json.dumps(detail, ensure_ascii=False, sort_keys=True) if detail else None,
        )
    )
