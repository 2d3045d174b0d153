"""Shared by the journal tests: entries of plausible shape, direct SQL for tampering."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, text

from beffroi.clock import FakeClock
from beffroi.journal.chain import append
from beffroi.journal.entries import JournalEntry, NewEntry, canonical_detail


def entry(i: int, camera: str | None = "jlt-001", action: str = "recording.read") -> NewEntry:
    return NewEntry(
        action=action,
        user_id=7,
        username="agent.dupont",
        role="operator",
        communes=",joue-les-tours,",
        source="10.0.0.7",
        camera=camera,
        commune="joue-les-tours" if camera else None,
        start_ms=1_700_000_000_000 + i,
        end_ms=1_700_000_060_000 + i,
        detail=canonical_detail({"i": i, "note": "é"}),
    )


def fill(engine: Engine, clock: FakeClock, n: int, **kw: Any) -> list[JournalEntry]:
    out = []
    for i in range(n):
        out.append(append(engine, clock, entry(i), **kw))
        clock.advance(1)
    return out


def sql(engine: Engine, statement: str, **params: Any) -> None:
    with engine.begin() as conn:
        conn.execute(text(statement), params)
