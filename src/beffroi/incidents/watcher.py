"""The health watcher: turns what the recorder, the disk, the retention loop, the clock
and the site's authorisations say into fault incidents (`incidents.faults`).

Each round (`check_once`, every `interval_s` on its thread; tests call it after moving a
`FakeClock`) lists the faults present now. A fault opens its incident once it has lasted
its kind's delay (a camera reconnecting after a network blip is not an incident; one
offline for two minutes is), and an open fault that is no longer present is resolved.
A check that cannot tell (no recorder state for a camera, no NTP tool on the host)
resolves nothing and raises nothing.
"""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select

from beffroi.archive.disk import DiskUsageFn, disk_usage
from beffroi.clock import Clock
from beffroi.incidents.faults import (
    AUTHORISATION_EXPIRING,
    BELOW_MINIMA,
    CAMERA_OFFLINE,
    CLOCK_STEP,
    CLOCK_UNSYNCED,
    HOLD_UNMATCHED,
    RETENTION_FAILING,
    STORAGE_LOW,
    Fault,
    FaultIncidents,
    FaultKey,
)
from beffroi.ingest.state import RecorderView, Status
from beffroi.loops import Loop
from beffroi.playback.minima import below_minima, legal_minima
from beffroi.site.tables import cameras

log = logging.getLogger(__name__)

PARIS = ZoneInfo("Europe/Paris")

CLEARED = {
    CAMERA_OFFLINE: "the camera records again (or left recording: disabled, removed)",
    BELOW_MINIMA: "resolution and frame rate are back within the legal minima",
    STORAGE_LOW: "free space is back above the floor",
    RETENTION_FAILING: "the retention loop completes its rounds again",
    CLOCK_UNSYNCED: "the server clock is synchronised again",
    CLOCK_STEP: "the server clock agrees with the elapsed time again: retention resumes",
    HOLD_UNMATCHED: "every hold file next to the archive is known to the database again",
    AUTHORISATION_EXPIRING: "the authorisation was renewed (or the camera left the site)",
}


@dataclass(frozen=True)
class FaultSettings:
    interval_s: float = 5.0
    offline_after_s: float = 120.0  # a camera not recording this long opens an incident
    below_minima_after_s: float = 120.0  # a measured fps wobbles: sustained only
    clock_after_s: float = 60.0  # NTP may lose sync for a moment at start-up
    clock_every_s: float = 60.0  # the NTP tool is a subprocess: not every round
    max_clock_offset_s: float = 1.0
    retention_stale_s: float = 300.0  # no retention round completed for this long
    authorisation_notice_days: int = 30


@dataclass(frozen=True)
class ClockSync:
    synced: bool | None  # None: cannot tell on this host
    offset_s: float | None = None
    source: str = ""


class ClockHold(Protocol):
    @property
    def hold_reason(self) -> str | None: ...


class Described(Protocol):
    def describe(self) -> str: ...


class RetentionProgress(Protocol):
    """What the watcher reads of `archive.maintenance.RetentionLoop` (no write)."""

    rounds: int

    @property
    def clock_guard(self) -> ClockHold: ...

    @property
    def unmatched_holds(self) -> Sequence[Described]: ...

    @property
    def running(self) -> bool: ...


Runner = Callable[[list[str]], str | None]


def _run(cmd: list[str]) -> str | None:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def ntp_status(run: Runner = _run) -> ClockSync:
    """systemd's view (`timedatectl`), else chrony's (`chronyc tracking`, which also
    gives the offset); `synced` None when neither answers (a container)."""
    out = run(["timedatectl", "show", "-p", "NTPSynchronized", "--value"])
    if out is not None and out.strip() in ("yes", "no"):
        return ClockSync(out.strip() == "yes", None, "timedatectl")
    out = run(["chronyc", "tracking"])
    if out is None:
        return ClockSync(None)
    fields = {
        k.strip(): v.strip() for k, _, v in (line.partition(":") for line in out.splitlines())
    }
    offset = None
    parts = fields.get("System time", "").split()
    if len(parts) >= 3:
        try:
            offset = float(parts[0]) * (-1 if parts[2] == "slow" else 1)
        except ValueError:
            offset = None
    return ClockSync(fields.get("Leap status") == "Normal", offset, "chronyc")


class FaultWatcher:
    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        recorder: RecorderView,
        faults: FaultIncidents,
        *,
        settings: FaultSettings | None = None,
        archive_root: Path | None = None,
        floor_bytes: int | None = None,
        disk_usage_fn: DiskUsageFn = disk_usage,
        retention: RetentionProgress | None = None,
        clock_sync: Callable[[], ClockSync] | None = ntp_status,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.recorder = recorder
        self.faults = faults
        self.settings = settings or FaultSettings()
        self.archive_root = archive_root
        self.floor_bytes = floor_bytes
        self.disk_usage_fn = disk_usage_fn
        self.retention = retention
        self.clock_sync = clock_sync
        self._first_seen: dict[FaultKey, float] = {}
        self._retention_seen: tuple[int, float] | None = None
        self._clock_checked: tuple[float, ClockSync] | None = None
        every = self.settings.interval_s
        self.loop = Loop("health-watcher", self.check_once, every, clock, first_after_s=every)

    # --- the loop ---------------------------------------------------------------------
    def start(self) -> None:
        self.loop.start()

    def stop(self) -> None:
        self.loop.stop(10)

    # --- one round --------------------------------------------------------------------
    def check_once(self) -> list[int]:
        """Raise what lasted long enough, resolve what cleared; returns the incidents
        this round opened."""
        now = self.clock.monotonic()
        present: dict[FaultKey, Fault] = {}
        checked: set[str] = set()
        unknown: set[FaultKey] = set()  # could not tell this round: neither raise nor resolve
        self._camera_faults(present, checked, unknown)
        self._system_faults(present, checked)
        for key in [k for k in self._first_seen if k not in present]:
            del self._first_seen[key]
        opened: list[int] = []
        for key, fault in present.items():
            first = self._first_seen.setdefault(key, now)
            if now - first >= self._delay(key.kind):
                incident_id, new = self.faults.raise_fault(fault)
                if new:
                    opened.append(incident_id)
        for key, incident_id in self.faults.unresolved().items():
            if key.kind in checked and key not in present and key not in unknown:
                self.faults.resolve(key, incident_id, CLEARED.get(key.kind, "cleared"))
        return opened

    def _delay(self, kind: str) -> float:
        s = self.settings
        return {
            CAMERA_OFFLINE: s.offline_after_s,
            BELOW_MINIMA: s.below_minima_after_s,
            CLOCK_UNSYNCED: s.clock_after_s,
        }.get(kind, 0.0)

    def _camera_faults(
        self, present: dict[FaultKey, Fault], checked: set[str], unknown: set[FaultKey]
    ) -> None:
        states = self.recorder.camera_states()
        today = self.clock.now().astimezone(PARIS).date()
        notice = self.settings.authorisation_notice_days
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(
                    cameras.c.id,
                    cameras.c.name,
                    cameras.c.commune_id,
                    cameras.c.view,
                    cameras.c.authorisation_ref,
                    cameras.c.authorisation_expires,
                ).where(cameras.c.enabled.is_(True), cameras.c.removed_ms.is_(None))
            ).all()
        checked |= {CAMERA_OFFLINE, BELOW_MINIMA, AUTHORISATION_EXPIRING}

        def add(kind: str, cam: str, commune: str, message: str) -> None:
            present[FaultKey(kind, cam, commune)] = Fault(
                FaultKey(kind, cam, commune), message, cam
            )

        for r in rows:
            expires = _date(r.authorisation_expires)
            if expires is not None and (expires - today).days <= notice:
                days = (expires - today).days
                when = f"expired {-days} day(s) ago" if days < 0 else f"expires in {days} day(s)"
                ref = f" {r.authorisation_ref}" if r.authorisation_ref else ""
                add(
                    AUTHORISATION_EXPIRING,
                    r.id,
                    r.commune_id,
                    f"{r.name}: prefectoral authorisation{ref} {when} ({expires.isoformat()})",
                )
            st = states.get(r.id)
            if st is None or st.status != Status.RECORDING:
                # Resolution and frame rate are only measured while recording.
                unknown.add(FaultKey(BELOW_MINIMA, r.id, r.commune_id))
            if st is None:
                unknown.add(FaultKey(CAMERA_OFFLINE, r.id, r.commune_id))
                continue
            if st.status in (Status.OFFLINE, Status.CONNECTING):
                why = ": ".join(x for x in (st.reason.value if st.reason else None, st.detail) if x)
                add(
                    CAMERA_OFFLINE,
                    r.id,
                    r.commune_id,
                    f"{r.name}: not recording ({why or st.status.value})",
                )
            elif st.status == Status.RECORDING:
                minima = legal_minima(r.view)
                if below_minima(minima, st.width, st.height, st.fps):
                    add(
                        BELOW_MINIMA,
                        r.id,
                        r.commune_id,
                        f"{r.name}: {st.width}x{st.height} at {st.fps} fps, below the legal "
                        f"minimum {minima.width}x{minima.height} at {minima.fps:g} fps "
                        f"for a {r.view} view",
                    )

    def _system_faults(self, present: dict[FaultKey, Fault], checked: set[str]) -> None:
        found: list[tuple[str, str, str]] = []  # (kind, object, message)
        if self.archive_root is not None and self.floor_bytes is not None:
            checked.add(STORAGE_LOW)
            usage = self.disk_usage_fn(self.archive_root)
            if usage.free < self.floor_bytes:
                found.append(
                    (
                        STORAGE_LOW,
                        "archive",
                        f"archive disk below its free-space floor: {_gb(usage.free)} free of "
                        f"{_gb(usage.total)}, floor {_gb(self.floor_bytes)}",
                    )
                )
        if self.retention is not None:
            checked.add(RETENTION_FAILING)
            message = self._retention_problem()
            if message is not None:
                found.append((RETENTION_FAILING, "retention", message))
            checked.add(CLOCK_STEP)
            held = self.retention.clock_guard.hold_reason
            if held is not None:
                found.append((CLOCK_STEP, "clock", held))
            checked.add(HOLD_UNMATCHED)
            unmatched = self.retention.unmatched_holds
            if unmatched:
                found.append(
                    (
                        HOLD_UNMATCHED,
                        "holds",
                        f"{len(unmatched)} signed hold(s) next to the archive unknown to the "
                        "database (restored from an older backup?); their footage is kept. "
                        "Put them back with `beffroi holds restore`: "
                        + "; ".join(u.describe() for u in unmatched[:5]),
                    )
                )
        sync = self._clock()
        if sync is not None and sync.synced is not None:
            checked.add(CLOCK_UNSYNCED)
            limit = self.settings.max_clock_offset_s
            if not sync.synced:
                found.append(
                    (CLOCK_UNSYNCED, "clock", f"server clock not synchronised ({sync.source})")
                )
            elif sync.offset_s is not None and abs(sync.offset_s) > limit:
                found.append(
                    (
                        CLOCK_UNSYNCED,
                        "clock",
                        f"server clock {sync.offset_s:+.3f} s from NTP time (limit {limit:g} s)",
                    )
                )
        if not found:
            return
        with self.engine.connect() as conn:
            communes = conn.scalars(
                select(cameras.c.commune_id).where(cameras.c.removed_ms.is_(None)).distinct()
            ).all()
        for kind, obj, message in found:
            for commune in communes:
                key = FaultKey(kind, obj, commune)
                present[key] = Fault(key, message)

    def _retention_problem(self) -> str | None:
        assert self.retention is not None
        now = self.clock.monotonic()
        rounds = self.retention.rounds
        if self._retention_seen is None or self._retention_seen[0] != rounds:
            self._retention_seen = (rounds, now)
        if not self.retention.running:
            return "the retention loop is not running: expired footage is not destroyed"
        idle = now - self._retention_seen[1]
        if idle >= self.settings.retention_stale_s:
            return (
                f"no retention round completed for {idle / 60:.0f} min: expired footage is "
                "not destroyed and the disk is not defended (see the server log)"
            )
        return None

    def _clock(self) -> ClockSync | None:
        if self.clock_sync is None:
            return None
        now = self.clock.monotonic()
        if (
            self._clock_checked is None
            or now - self._clock_checked[0] >= self.settings.clock_every_s
        ):
            sync = self.clock_sync()
            if sync.synced is None and self._clock_checked is None:
                log.warning("health: cannot tell whether the server clock is synchronised")
            self._clock_checked = (now, sync)
        return self._clock_checked[1]


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _gb(n: int) -> str:
    return f"{n / 1e9:.1f} GB"
