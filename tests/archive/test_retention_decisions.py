"""Retention and disk-pressure decisions as pure functions: no database, no files."""

from __future__ import annotations

from beffroi.archive.retention import (
    MAX_RETENTION_S,
    HoldIndex,
    HoldRange,
    SegmentSpan,
    contiguous_runs,
    expired_segments,
    needed_bytes,
    pressure_victims,
)

H = 3_600_000
DAY = 24 * H
NOW = 100 * DAY


def seg(i: int, camera: str = "a", start: int = 0, dur: int = H, size: int = 100) -> SegmentSpan:
    return SegmentSpan(i, camera, start, start + dur, size)


def test_expired_exactly_when_end_plus_retention_reaches_now() -> None:
    retention = {"a": 15 * 86_400}
    due = seg(1, start=NOW - 15 * DAY - H)  # ends exactly at now - 15 days
    not_yet = seg(2, start=NOW - 15 * DAY - H + 1)  # ends 1 ms later
    assert expired_segments([due, not_yet], retention, [], NOW) == [due]


def test_each_camera_uses_its_own_retention() -> None:
    old8 = seg(1, "a", NOW - 8 * DAY)
    old8b = seg(2, "b", NOW - 8 * DAY)
    got = expired_segments([old8, old8b], {"a": 15 * 86_400, "b": 7 * 86_400}, [], NOW)
    assert got == [old8b]


def test_retention_above_thirty_days_is_capped_and_unknown_camera_gets_the_cap() -> None:
    s31 = seg(1, "a", NOW - 31 * DAY)
    s29 = seg(2, "a", NOW - 29 * DAY)
    orphan = seg(3, "ghost", NOW - 31 * DAY)
    got = expired_segments([s31, s29, orphan], {"a": 365 * 86_400}, [], NOW)
    assert got == [s31, orphan]
    assert MAX_RETENTION_S == 30 * 86_400


def test_hold_overlap_is_inclusive_of_bounds() -> None:
    s = seg(1, "a", NOW - 20 * DAY)
    retention = {"a": 86_400}
    touching_end = HoldRange("a", s.end_ms, s.end_ms + H)
    touching_start = HoldRange("a", s.start_ms - H, s.start_ms)
    just_after = HoldRange("a", s.end_ms + 1, s.end_ms + H)
    other_camera = HoldRange("b", s.start_ms, s.end_ms)
    assert expired_segments([s], retention, [touching_end], NOW) == []
    assert expired_segments([s], retention, [touching_start], NOW) == []
    assert expired_segments([s], retention, [just_after, other_camera], NOW) == [s]


def test_hold_index_merges_overlapping_holds() -> None:
    idx = HoldIndex([HoldRange("a", 10, 20), HoldRange("a", 15, 40), HoldRange("a", 100, 110)])
    assert idx.covers("a", 35, 50)
    assert idx.covers("a", 0, 10)
    assert not idx.covers("a", 41, 99)
    assert idx.covers("a", 50, 100)
    assert not idx.covers("b", 0, 1000)


def test_no_pressure_when_free_space_is_above_the_floor() -> None:
    d = pressure_victims(1000, 1000, [seg(1)], [], margin_bytes=0)
    assert d.victims == [] and not d.under_pressure


def test_pressure_deletes_oldest_unheld_first_up_to_floor_plus_margin() -> None:
    cands = [
        seg(1, "a", 0, size=100),
        seg(2, "b", 10, size=100),
        seg(3, "a", H, size=100),
        seg(4, "b", H + 10, size=100),
        seg(5, "a", 2 * H, size=100),
    ]
    holds = [HoldRange("b", 0, 20)]  # protects segment 2 only
    d = pressure_victims(
        free_bytes=900, floor_bytes=1000, candidates=cands, holds=holds, margin_bytes=150
    )
    # Needs 250 bytes: 1, 3, 4 (2 is held), oldest first.
    assert [v.id for v in d.victims] == [1, 3, 4]
    assert d.needed_bytes == 250 and d.shortfall_bytes == 0 and d.freed_bytes == 300


def test_pressure_reports_shortfall_when_only_held_footage_remains() -> None:
    cands = [seg(1, "a", 0, size=100), seg(2, "a", H, size=100)]
    d = pressure_victims(0, 1000, cands, [HoldRange("a", H + 1, 2 * H)], margin_bytes=0)
    assert [v.id for v in d.victims] == [1]
    assert d.shortfall_bytes == 900


def test_default_margin_gives_hysteresis() -> None:
    assert needed_bytes(999, 1000) > 1  # margin added on top of the 1 missing byte
    assert needed_bytes(1000, 1000) == 0


def test_contiguous_runs_are_split_by_remaining_segments() -> None:
    deleted = [seg(i, "a", i * H) for i in (0, 1, 2, 4, 5)] + [seg(9, "b", 0)]
    runs = contiguous_runs(deleted, {"a": [3 * H]})
    got = sorted((r.camera_id, r.segment_ids) for r in runs)
    assert got == [("a", (0, 1, 2)), ("a", (4, 5)), ("b", (9,))]
    a_first = next(r for r in runs if r.segment_ids == (0, 1, 2))
    assert (a_first.start_ms, a_first.end_ms, a_first.bytes) == (0, 3 * H, 300)
