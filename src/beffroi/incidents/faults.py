"""Fault incidents: a camera or the system itself needs a person.

A fault is keyed by (kind, object, commune): `camera_offline` of `jlt-004` in
Joué-lès-Tours, `storage_low` of `archive`. While one is open there is exactly one open
incident for its key: raising it again does nothing while it lasts, and notes a
recurrence ("fault" step) if it came back after clearing. Opening goes through the same
states as an alarm incident (new, so the on-call escalation takes it up).

When the fault clears, the incident gets a `resolved` step and stays open: closing needs
a person who acknowledged it (the rule every incident follows), and whether an outage
was a technical fault or a cut cable at 3 a.m. is that person's judgement. A camera
that flaps stays one incident, with its occurrences counted.

System faults (storage, retention, clock) concern the footage of every commune on the
installation: each commune that has cameras gets its own incident, seen and escalated by
its own people (agents never see another commune's incidents).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from sqlalchemy import Engine, insert, select, update

from beffroi.alarms.intake import JournalLike
from beffroi.clock import Clock, utc_ms
from beffroi.incidents.service import SYSTEM, add_history
from beffroi.incidents.states import OPEN_STATES, State
from beffroi.incidents.tables import incident_cameras, incident_faults, incidents
from beffroi.journal.http import principal_entry

CAMERA_OFFLINE = "camera_offline"
BELOW_MINIMA = "below_minima"
STORAGE_LOW = "storage_low"
RETENTION_FAILING = "retention_failing"
CLOCK_UNSYNCED = "clock_unsynced"
# The wall clock stepped against the monotonic one: retention is held (`ClockGuard`).
CLOCK_STEP = "clock_step"
# Signed hold files next to the archive that the database does not know (restored from
# an older backup): their footage is kept (`archive.hold_files`).
HOLD_UNMATCHED = "hold_unmatched"
AUTHORISATION_EXPIRING = "authorisation_expiring"
# Kinds whose object is a camera (the others concern the whole installation).
CAMERA_KINDS = frozenset({CAMERA_OFFLINE, BELOW_MINIMA, AUTHORISATION_EXPIRING})
FAULT_KINDS = (
    CAMERA_OFFLINE,
    BELOW_MINIMA,
    STORAGE_LOW,
    RETENTION_FAILING,
    CLOCK_UNSYNCED,
    CLOCK_STEP,
    HOLD_UNMATCHED,
    AUTHORISATION_EXPIRING,
)


@dataclass(frozen=True)
class FaultKey:
    kind: str
    object: str  # a camera id, or "archive" | "retention" | "clock"
    commune: str


@dataclass(frozen=True)
class Fault:
    key: FaultKey
    message: str
    camera: str | None = None  # linked to the incident: its live view, its status


class FaultIncidents:
    def __init__(self, engine: Engine, clock: Clock, journal: JournalLike | None = None) -> None:
        self.engine = engine
        self.clock = clock
        self.journal = journal
        self._lock = threading.Lock()

    def unresolved(self) -> dict[FaultKey, int]:
        """Faults of open incidents that have not cleared: key -> incident id."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(incident_faults)
                .join(incidents, incidents.c.id == incident_faults.c.incident_id)
                .where(
                    incidents.c.state.in_([s.value for s in OPEN_STATES]),
                    incident_faults.c.resolved_ms.is_(None),
                )
            ).all()
        return {FaultKey(r.kind, r.object, r.commune_id): r.incident_id for r in rows}

    def raise_fault(self, fault: Fault) -> tuple[int, bool]:
        """(the incident of the fault, whether this opened it)."""
        now_ms = utc_ms(self.clock.now())
        k = fault.key
        with self._lock, self.engine.begin() as conn:
            open_one = conn.execute(
                select(incident_faults.c.incident_id, incident_faults.c.resolved_ms)
                .join(incidents, incidents.c.id == incident_faults.c.incident_id)
                .where(
                    incident_faults.c.kind == k.kind,
                    incident_faults.c.object == k.object,
                    incident_faults.c.commune_id == k.commune,
                    incidents.c.state.in_([s.value for s in OPEN_STATES]),
                )
                .order_by(incidents.c.id.desc())
                .limit(1)
            ).first()
            if open_one is not None:
                if open_one.resolved_ms is not None:  # it came back before anyone closed it
                    conn.execute(
                        update(incident_faults)
                        .where(incident_faults.c.incident_id == open_one.incident_id)
                        .values(
                            resolved_ms=None,
                            raised_ms=now_ms,
                            message=fault.message,
                            occurrences=incident_faults.c.occurrences + 1,
                        )
                    )
                    conn.execute(
                        update(incidents)
                        .where(incidents.c.id == open_one.incident_id)
                        .values(updated_ms=now_ms)
                    )
                    add_history(conn, now_ms, open_one.incident_id, "fault", SYSTEM, _detail(fault))
                return int(open_one.incident_id), False
            incident_id = conn.execute(
                insert(incidents)
                .values(
                    kind=k.kind,
                    state=State.NEW.value,
                    commune_id=k.commune,
                    building_id=None,
                    zone=None,
                    zone_name=None,
                    opened_ms=now_ms,
                    last_alarm_ms=now_ms,
                    alarm_count=0,
                    updated_ms=now_ms,
                )
                .returning(incidents.c.id)
            ).scalar_one()
            if fault.camera is not None:
                conn.execute(
                    insert(incident_cameras).values(
                        incident_id=incident_id, camera_id=fault.camera, position=0
                    )
                )
            conn.execute(
                insert(incident_faults).values(
                    incident_id=incident_id,
                    kind=k.kind,
                    object=k.object,
                    commune_id=k.commune,
                    raised_ms=now_ms,
                    resolved_ms=None,
                    occurrences=1,
                    message=fault.message,
                )
            )
            add_history(conn, now_ms, incident_id, "opened", SYSTEM, _detail(fault))
        self._journal("incident.open", incident_id, fault)
        return int(incident_id), True

    def resolve(self, key: FaultKey, incident_id: int, message: str) -> bool:
        """The fault cleared: a `resolved` step; the incident stays open for a person."""
        now_ms = utc_ms(self.clock.now())
        with self._lock, self.engine.begin() as conn:
            moved = conn.execute(
                update(incident_faults)
                .where(
                    incident_faults.c.incident_id == incident_id,
                    incident_faults.c.resolved_ms.is_(None),
                )
                .values(resolved_ms=now_ms)
            ).rowcount
            if moved != 1:
                return False
            conn.execute(
                update(incidents).where(incidents.c.id == incident_id).values(updated_ms=now_ms)
            )
            detail = {"fault": key.kind, "object": key.object, "message": message}
            add_history(conn, now_ms, incident_id, "resolved", SYSTEM, detail)
        camera = key.object if key.kind in CAMERA_KINDS else None
        self._journal("incident.resolved", incident_id, Fault(key, message, camera))
        return True

    def _journal(self, action: str, incident_id: int, fault: Fault) -> None:
        if self.journal is None:
            return
        self.journal.record(
            principal_entry(
                None,
                action,
                username="system",
                camera=fault.camera,
                commune=fault.key.commune,
                detail={"incident": incident_id, **_detail(fault)},
            )
        )


def _detail(fault: Fault) -> dict[str, str]:
    return {"fault": fault.key.kind, "object": fault.key.object, "message": fault.message}
