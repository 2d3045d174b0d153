"""Holds: placing, releasing, and overlapping holds each protecting their range."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from beffroi.archive.gc import Phase1Result, delete_segments
from beffroi.archive.holds import (
    HoldError,
    HoldNotFound,
    active_holds,
    lock_for_deletion,
    place_hold,
    place_hold_in,
    release_hold,
)
from beffroi.archive.retention import HoldRange
from beffroi.archive.tables import destructions, holds
from beffroi.clock import FakeClock, utc_ms
from tests.archive.factory import add_camera, add_segments, segment_paths

H = 3_600_000


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


def _in_thread(fn: Callable[[], object]) -> tuple[threading.Thread, list[object]]:
    out: list[object] = []

    def run() -> None:
        try:
            out.append(fn())
        except BaseException as e:
            out.append(e)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, out


def test_a_hold_committed_while_retention_deletes_is_waited_for(
    engine: Engine, clock: FakeClock, data_dir: Path
) -> None:
    """The race: a hold placed after retention chose its victims but before it deleted
    them. The deletion reads the holds only once it has the cameras' hold lock, so it
    waits for the hold's transaction and then spares the held segment."""
    root = data_dir / "archive"
    now = utc_ms(clock.now())
    add_camera(engine, "cam-a")
    segs = add_segments(engine, root, "cam-a", now - 40 * H, 3)
    with engine.begin() as hold_tx:
        place_hold_in(hold_tx, "cam-a", segs[1].start_ms + 1, segs[1].end_ms - 1, "PV", "opj", now)

        def delete() -> object:
            with engine.begin() as conn:
                return delete_segments(conn, [s.id for s in segs], "retention", now)

        deleter, result = _in_thread(delete)
        deleter.join(0.5)
        # Without the lock it would read "no hold" now and delete all three.
        assert deleter.is_alive(), f"deletion did not wait for the hold: {result}"
    deleter.join(30)
    (p1,) = result
    assert isinstance(p1, Phase1Result), p1
    assert p1.segments == 2 and p1.skipped_held == 1
    assert segment_paths(engine) == [segs[1].path]


def test_a_hold_placed_during_a_deletion_waits_for_its_commit(
    engine: Engine, clock: FakeClock, data_dir: Path
) -> None:
    root = data_dir / "archive"
    now = utc_ms(clock.now())
    add_camera(engine, "cam-a")
    segs = add_segments(engine, root, "cam-a", now - 40 * H, 2)
    with engine.begin() as deleting:
        lock_for_deletion(deleting, ["cam-a"])
        holder, result = _in_thread(
            lambda: place_hold(
                engine, "cam-a", segs[0].start_ms, segs[0].end_ms, "PV", "opj", clock
            )
        )
        holder.join(0.5)
        assert holder.is_alive() and result == []
        delete_segments(deleting, [segs[0].id], "retention", now)
    holder.join(30)
    assert isinstance(result[0], int)
    # The hold came after the deletion: the footage was already gone, and the register says so.
    assert segment_paths(engine) == [segs[1].path]
    with engine.connect() as conn:
        assert conn.execute(select(destructions.c.segments)).scalar_one() == 1


def test_place_hold_in_joins_the_caller_transaction(engine: Engine, clock: FakeClock) -> None:
    add_camera(engine, "cam-1")
    with pytest.raises(RuntimeError), engine.begin() as conn:
        place_hold_in(conn, "cam-1", 0, 10, "PV", "opj", utc_ms(clock.now()))
        raise RuntimeError("the requisition failed")
    assert active_holds(engine) == []
    with pytest.raises(HoldError, match="unknown camera"), engine.begin() as conn:
        place_hold_in(conn, "nope", 0, 10, "PV", "opj", utc_ms(clock.now()))
