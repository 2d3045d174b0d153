"""What to delete: retention and disk-pressure decisions as pure functions.

No I/O and no clock here: the caller passes `now_ms`, the segments, the cameras'
retention and the active holds, and gets back the segments to delete. The rules:

- a segment is expired when `end_ms + retention <= now`, with the camera's own
  `retention_s`, capped at 30 days whatever the database says (CSI L252-5);
- a segment that overlaps an active hold (any overlap, bounds included) is never
  deleted, neither by retention nor by disk pressure;
- under disk pressure the oldest unheld segments across all cameras go first, until
  free space is back above the floor plus a hysteresis margin (so the loop does not
  delete one segment per round while hovering at the floor).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

DAY_MS = 86_400_000
MAX_RETENTION_S = 30 * 86_400
# A few percent of the floor, at least 256 MiB: one round frees enough to leave the
# floor behind for a while instead of shaving one segment every ten seconds.
MIN_MARGIN_BYTES = 256 * 1024 * 1024
MARGIN_FRACTION = 0.05


@dataclass(frozen=True, slots=True)
class SegmentSpan:
    """The part of a `segments` row that retention decisions need."""

    id: int
    camera_id: str
    start_ms: int
    end_ms: int
    bytes: int


@dataclass(frozen=True, slots=True)
class HoldRange:
    """An active (unreleased) hold on a camera's footage, bounds inclusive."""

    camera_id: str
    start_ms: int
    end_ms: int


class HoldIndex:
    """Active holds per camera, answering "does [start, end] touch a hold?" quickly.

    Overlapping holds are merged per camera into disjoint intervals, so a lookup is a
    binary search whatever the number of holds.
    """

    def __init__(self, holds: Iterable[HoldRange]) -> None:
        by_camera: dict[str, list[tuple[int, int]]] = {}
        for h in holds:
            by_camera.setdefault(h.camera_id, []).append((h.start_ms, h.end_ms))
        self._starts: dict[str, list[int]] = {}
        self._ends: dict[str, list[int]] = {}
        for camera, ranges in by_camera.items():
            merged: list[tuple[int, int]] = []
            for start, end in sorted(ranges):
                if merged and start <= merged[-1][1]:
                    merged[-1] = (merged[-1][0], max(merged[-1][1], end))
                else:
                    merged.append((start, end))
            self._starts[camera] = [s for s, _ in merged]
            self._ends[camera] = [e for _, e in merged]

    def covers(self, camera_id: str, start_ms: int, end_ms: int) -> bool:
        starts = self._starts.get(camera_id)
        if not starts:
            return False
        # The last merged hold starting at or before end_ms is the only candidate:
        # holds are disjoint and sorted, so earlier ones end before it starts.
        i = bisect.bisect_right(starts, end_ms) - 1
        return i >= 0 and self._ends[camera_id][i] >= start_ms

    def is_held(self, seg: SegmentSpan) -> bool:
        return self.covers(seg.camera_id, seg.start_ms, seg.end_ms)


def _as_index(holds: HoldIndex | Iterable[HoldRange]) -> HoldIndex:
    return holds if isinstance(holds, HoldIndex) else HoldIndex(holds)


def effective_retention_s(retention_s: int | None) -> int:
    """The camera's retention, never above the legal maximum nor below zero."""
    if retention_s is None:
        return MAX_RETENTION_S
    return max(0, min(int(retention_s), MAX_RETENTION_S))


def expiry_cutoff_ms(retention_s: int | None, now_ms: int) -> int:
    """Segments whose `end_ms` is at or before this instant are expired."""
    return now_ms - effective_retention_s(retention_s) * 1000


def is_expired(seg: SegmentSpan, retention_s: int | None, now_ms: int) -> bool:
    return seg.end_ms <= expiry_cutoff_ms(retention_s, now_ms)


def expired_segments(
    segments: Iterable[SegmentSpan],
    retention_s: Mapping[str, int],
    holds: HoldIndex | Iterable[HoldRange],
    now_ms: int,
) -> list[SegmentSpan]:
    """The segments to delete for retention, in the order given.

    A camera missing from `retention_s` gets the legal maximum: an unknown camera's
    footage is still destroyed, never kept forever.
    """
    index = _as_index(holds)
    return [
        seg
        for seg in segments
        if is_expired(seg, retention_s.get(seg.camera_id), now_ms) and not index.is_held(seg)
    ]


def hysteresis_margin(floor_bytes: int) -> int:
    return max(MIN_MARGIN_BYTES, int(floor_bytes * MARGIN_FRACTION))


@dataclass(frozen=True, slots=True)
class PressureDecision:
    """What disk pressure asks for.

    `victims` are the segments to delete, oldest first. `needed_bytes` is how much must
    be freed to reach floor + margin; `shortfall_bytes` is what the unheld candidates
    could not cover (0 when they suffice): positive means held footage (or files that
    are not footage) keep the disk below its floor.
    """

    victims: list[SegmentSpan] = field(default_factory=list)
    needed_bytes: int = 0
    shortfall_bytes: int = 0

    @property
    def under_pressure(self) -> bool:
        return self.needed_bytes > 0

    @property
    def freed_bytes(self) -> int:
        return sum(s.bytes for s in self.victims)


def needed_bytes(free_bytes: int, floor_bytes: int, margin_bytes: int | None = None) -> int:
    """Bytes to free: 0 while free space is at or above the floor, else up to floor+margin."""
    if free_bytes >= floor_bytes:
        return 0
    margin = hysteresis_margin(floor_bytes) if margin_bytes is None else margin_bytes
    return floor_bytes + margin - free_bytes


def pressure_victims(
    free_bytes: int,
    floor_bytes: int,
    candidates: Sequence[SegmentSpan] | Iterable[SegmentSpan],
    holds: HoldIndex | Iterable[HoldRange],
    margin_bytes: int | None = None,
) -> PressureDecision:
    """The oldest unheld segments to delete to bring free space above the floor.

    `candidates` must be ordered oldest first across all cameras (by `start_ms`); held
    ones are skipped, never counted. Segments being written have no row, so they are
    never candidates.
    """
    need = needed_bytes(free_bytes, floor_bytes, margin_bytes)
    if need <= 0:
        return PressureDecision()
    victims, shortfall = select_victims(need, candidates, holds)
    return PressureDecision(victims=victims, needed_bytes=need, shortfall_bytes=shortfall)


def select_victims(
    need_bytes: int,
    candidates: Iterable[SegmentSpan],
    holds: HoldIndex | Iterable[HoldRange],
) -> tuple[list[SegmentSpan], int]:
    """Unheld candidates, in the order given, until `need_bytes` are covered.

    Returns the victims and the shortfall (bytes still missing, 0 when covered).
    """
    index = _as_index(holds)
    victims: list[SegmentSpan] = []
    freed = 0
    for seg in candidates:
        if freed >= need_bytes:
            break
        if index.is_held(seg):
            continue
        victims.append(seg)
        freed += seg.bytes
    return victims, max(0, need_bytes - freed)


@dataclass(frozen=True, slots=True)
class Run:
    """A contiguous run of deleted segments of one camera: one destruction register row."""

    camera_id: str
    segment_ids: tuple[int, ...]
    start_ms: int
    end_ms: int
    bytes: int


def contiguous_runs(
    deleted: Iterable[SegmentSpan], remaining_starts: Mapping[str, Sequence[int]]
) -> list[Run]:
    """Group deleted segments into runs not interrupted by a remaining segment.

    `remaining_starts[camera]` lists, sorted, the `start_ms` of the camera's segments
    that stay (held ones, typically) within the span of the deleted ones.
    """
    by_camera: dict[str, list[SegmentSpan]] = {}
    for seg in deleted:
        by_camera.setdefault(seg.camera_id, []).append(seg)
    runs: list[Run] = []
    for camera, segs in by_camera.items():
        segs.sort(key=lambda s: (s.start_ms, s.id))
        stays = remaining_starts.get(camera, ())
        current: list[SegmentSpan] = []
        for seg in segs:
            if current:
                prev = current[-1]
                # A remaining segment starting between the two breaks the run.
                i = bisect.bisect_left(stays, prev.start_ms)
                if i < len(stays) and stays[i] <= seg.start_ms:
                    runs.append(_run(camera, current))
                    current = []
            current.append(seg)
        if current:
            runs.append(_run(camera, current))
    return runs


def _run(camera: str, segs: list[SegmentSpan]) -> Run:
    return Run(
        camera_id=camera,
        segment_ids=tuple(s.id for s in segs),
        start_ms=segs[0].start_ms,
        end_ms=max(s.end_ms for s in segs),
        bytes=sum(s.bytes for s in segs),
    )
