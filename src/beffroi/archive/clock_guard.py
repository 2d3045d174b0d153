"""The clock guard: the system clock must never destroy footage.

Retention compares footage times with "now". A step of the system clock (a bad NTP
source, a hypervisor or RTC fault, `date -s`) 16 days forward would destroy fresh
footage in one round, registered as normal retention; a step back would stamp new
footage in the past, where the next rounds take it. The monotonic clock does not step,
so the guard measures the wall clock against it between retention rounds:

- it keeps a *trusted* time: the wall clock at the last round where both agreed, plus
  the monotonic time elapsed since. Retention uses it as "now", so a round destroys no
  more than the elapsed time ages;
- when the wall clock is more than `STEP_MS` away from the trusted time (either way),
  retention deletes nothing and `hold_reason` says why (the health watcher opens a
  `clock_step` fault incident). Disk pressure still frees space: it does not read the
  clock;
- the hold lifts by itself when the wall clock comes back within `STEP_MS` of the
  trusted time (the clock was fixed). If the new time is the right one (the clock had
  been wrong before), the administrator checks it and restarts Beffroi: at start the
  wall clock is trusted again, unless it is behind the newest indexed footage by more
  than `STEP_MS` (a clock reset to the past), in which case the hold starts at once.

A clock that drifts or is slewed by NTP (milliseconds per round) never reaches
`STEP_MS`: the trusted time follows the wall clock at every round where they agree.

Segments indexed while the guard holds carry the step in `segments.clock_step_ms`
(`flag_stepped`): their times may be off by that much, and exports say so. Retention
ages them by their true time, stamp minus step (`stepped_expired`): a step forward
must not keep them past the legal maximum, nor a step back destroy them young. Their
destruction (reason `clock_step`) is journaled with the step, so `beffroi check` can
tell it from a destruction before its time.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import Connection, func, select, update

from beffroi.archive.retention import expiry_cutoff_ms
from beffroi.archive.tables import segments
from beffroi.site.tables import cameras

STEP_MS = 5 * 60_000


def _span(ms: int) -> str:
    hours = abs(ms) / 3_600_000
    return f"{hours / 24:.1f} days" if hours >= 48 else f"{hours:.1f} h"


@dataclass
class ClockGuard:
    trusted_ms: int | None = None
    mono_s: float | None = None
    hold_reason: str | None = None
    # At start, a clock behind the newest footage: held until it reaches this instant.
    floor_ms: int | None = None
    # While held: how far the wall clock is from the trusted time (negative: behind).
    step_ms: int | None = None

    def retention_now(self, wall_ms: int, mono_s: float, newest_end_ms: int | None) -> int | None:
        """The "now" retention may use this round, or None: delete nothing
        (`hold_reason` says why)."""
        if self.floor_ms is None and (self.trusted_ms is None or self.mono_s is None):
            self.floor_ms = newest_end_ms
        if self.floor_ms is not None:
            if wall_ms < self.floor_ms - STEP_MS:
                # The clock is behind footage already recorded: reset to the past.
                self.step_ms = wall_ms - self.floor_ms
                self.hold_reason = (
                    f"the server clock is {_span(self.floor_ms - wall_ms)} behind the newest "
                    "recorded footage: retention deletes nothing until the clock is right"
                )
                return None
            self.floor_ms = None
        if self.trusted_ms is None or self.mono_s is None:
            self.mono_s = mono_s
            self.trusted_ms = wall_ms
            self.hold_reason = self.step_ms = None
            return wall_ms
        elapsed_ms = max(0, round((mono_s - self.mono_s) * 1000))
        self.mono_s = mono_s
        self.trusted_ms += elapsed_ms
        step = wall_ms - self.trusted_ms
        if abs(step) > STEP_MS:
            self.step_ms = step
            way = "forward" if step > 0 else "back"
            self.hold_reason = (
                f"the server clock stepped {_span(step)} {way} against the time elapsed: "
                "retention deletes nothing until the clock is right again (if the new time "
                "is right, check it and restart Beffroi)"
            )
            return None
        # Agreement: follow the wall clock (NTP's slewing, drift).
        self.trusted_ms = wall_ms
        self.hold_reason = self.step_ms = None
        return wall_ms


def flag_stepped(conn: Connection, guard: ClockGuard, sane_max_id: int | None) -> int | None:
    """Flag the segments indexed since the clock was last sane with the guard's step;
    returns the newest sane segment id to remember for the next round."""
    if guard.step_ms is None:  # sane: the rows so far have trustworthy times
        newest = conn.execute(select(func.max(segments.c.id))).scalar()
        return None if newest is None else int(newest)
    if sane_max_id is None:  # held from the first round: flag what is indexed from now
        return int(conn.execute(select(func.max(segments.c.id))).scalar() or 0)
    conn.execute(
        update(segments)
        .where(segments.c.id > sane_max_id, segments.c.clock_step_ms.is_(None))
        .values(clock_step_ms=guard.step_ms)
    )
    return sane_max_id


def stepped_expired(conn: Connection, now_ms: int) -> dict[int, list[int]]:
    """Segments stamped during a clock step whose retention has run by their true time
    (stamp minus step), by step. Few rows: only those indexed while a step was held."""
    rows = conn.execute(
        select(segments.c.id, segments.c.end_ms, segments.c.clock_step_ms, cameras.c.retention_s)
        .join(cameras, cameras.c.id == segments.c.camera_id)
        .where(segments.c.clock_step_ms.is_not(None))
        .order_by(segments.c.start_ms, segments.c.id)
    ).all()
    due: dict[int, list[int]] = defaultdict(list)
    for r in rows:
        step = int(r.clock_step_ms)
        if int(r.end_ms) - step <= expiry_cutoff_ms(r.retention_s, now_ms):
            due[step].append(int(r.id))
    return dict(due)
