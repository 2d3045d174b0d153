"""What the archive holds of a requested range: recorded seconds, gaps, destructions.

Answers the operator's first question on a requisition ("do we have it?") from the
index alone, and gives the facts that allow closing a requisition as *no footage*: a
range is without footage when no segment of the index overlaps it. A range (or part of
one) already destroyed by retention or disk pressure before the hold was placed is said
so, from the destruction register, so "nothing recorded" and "recorded, then destroyed
as the law requires" are never confused.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, select

from beffroi.archive.tables import destructions
from beffroi.clock import PARIS, from_ms
from beffroi.playback.timeline import build_timeline, query_spans
from beffroi.requisitions.register import RequisitionItem


@dataclass(frozen=True)
class Destroyed:
    start_ms: int  # clipped to the requested range
    end_ms: int
    reason: str  # retention | disk_pressure | clock_step
    destroyed_ms: int


@dataclass(frozen=True)
class ItemFootage:
    item: RequisitionItem
    ranges: list[tuple[int, int]]  # recorded, clipped to the range
    gaps: list[tuple[int, int]]  # nothing recorded, up to now
    destroyed: list[Destroyed]
    messages: list[str]

    @property
    def recorded_ms(self) -> int:
        return sum(e - s for s, e in self.ranges)

    @property
    def has_footage(self) -> bool:
        return bool(self.ranges)


def local_text(ms: int) -> str:
    """An instant as the operator reads it: Europe/Paris, with its offset."""
    return from_ms(ms).astimezone(PARIS).isoformat(timespec="seconds")


def item_footage(conn: Connection, item: RequisitionItem, now_ms: int) -> ItemFootage:
    spans = query_spans(conn, item.camera_id, item.start_ms, item.end_ms)
    timeline = build_timeline(spans, None, item.start_ms, item.end_ms, now_ms)
    gone = [
        Destroyed(
            max(int(d.start_ms), item.start_ms),
            min(int(d.end_ms), item.end_ms),
            d.reason,
            int(d.destroyed_ms),
        )
        for d in conn.execute(
            select(destructions)
            .where(
                destructions.c.camera_id == item.camera_id,
                destructions.c.start_ms < item.end_ms,
                destructions.c.end_ms > item.start_ms,
            )
            .order_by(destructions.c.start_ms)
        )
    ]
    between = f"between {local_text(item.start_ms)} and {local_text(item.end_ms)}"
    messages: list[str] = []
    if not timeline.ranges:
        messages.append(f"no recording for {item.camera_id} {between}")
    for d in gone:
        kind = "retention" if d.reason == "retention" else "disk pressure"
        messages.append(
            f"footage of {item.camera_id} between {local_text(d.start_ms)} and "
            f"{local_text(d.end_ms)} was destroyed by {kind} on {local_text(d.destroyed_ms)}"
        )
    return ItemFootage(item, timeline.ranges, timeline.gaps, gone, messages)
