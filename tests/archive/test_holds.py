"""Holds: placing, releasing, and overlapping holds each protecting their range."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, select

from beffroi.archive.holds import (
    HoldError,
    HoldNotFound,
    active_holds,
    place_hold,
    release_hold,
)
from beffroi.archive.retention import HoldRange
from beffroi.archive.tables import holds
from beffroi.clock import FakeClock, utc_ms
from tests.archive.factory import add_camera


def test_place_and_release_record_who_when_why(engine: Engine, clock: FakeClock) -> None:
    add_camera(engine, "cam-1")
    hid = place_hold(engine, "cam-1", 1000, 2000, "PV 2026/123", "opj.martin", clock, 7)
    assert active_holds(engine) == [HoldRange("cam-1", 1000, 2000)]
    clock.advance(timedelta(days=3))
    release_hold(engine, hid, "admin.dupont", "case closed", clock)
    assert active_holds(engine) == []
    with engine.connect() as conn:
        row = conn.execute(select(holds).where(holds.c.id == hid)).one()
    assert row.requisition_id == 7 and row.created_by == "opj.martin"
    assert row.released_by == "admin.dupont" and row.release_reason == "case closed"
    assert row.released_ms - row.created_ms == 3 * 86_400_000
    assert row.released_ms == utc_ms(clock.now())


def test_overlapping_holds_release_one_keeps_the_other(engine: Engine, clock: FakeClock) -> None:
    add_camera(engine, "cam-1")
    add_camera(engine, "cam-2")
    h1 = place_hold(engine, "cam-1", 0, 5000, "case A", "opj", clock)
    place_hold(engine, "cam-1", 3000, 9000, "case B", "opj", clock)
    place_hold(engine, "cam-2", 0, 1, "case C", "opj", clock)
    assert len(active_holds(engine, "cam-1")) == 2
    release_hold(engine, h1, "opj", "done", clock)
    assert active_holds(engine, "cam-1") == [HoldRange("cam-1", 3000, 9000)]
    with engine.connect() as conn:
        assert active_holds(conn, "cam-2") == [HoldRange("cam-2", 0, 1)]


def test_invalid_holds_and_releases_are_refused(engine: Engine, clock: FakeClock) -> None:
    add_camera(engine, "cam-1")
    with pytest.raises(HoldError, match="reason"):
        place_hold(engine, "cam-1", 0, 10, "  ", "opj", clock)
    with pytest.raises(HoldError, match="reversed"):
        place_hold(engine, "cam-1", 10, 0, "x", "opj", clock)
    with pytest.raises(HoldError, match="unknown camera"):
        place_hold(engine, "nope", 0, 10, "x", "opj", clock)
    hid = place_hold(engine, "cam-1", 0, 10, "x", "opj", clock)
    with pytest.raises(HoldError, match="release reason"):
        release_hold(engine, hid, "opj", "", clock)
    assert len(active_holds(engine)) == 1
    release_hold(engine, hid, "opj", "ok", clock)
    with pytest.raises(HoldError, match="already released"):
        release_hold(engine, hid, "opj", "again", clock)
    with pytest.raises(HoldNotFound):
        release_hold(engine, hid + 100, "opj", "x", clock)
