"""Timeline decisions as pure functions, then the SQL on both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, insert

from beffroi.archive.tables import segments
from beffroi.clock import FakeClock, utc_ms
from beffroi.ingest.state import LiveSegment
from beffroi.playback.timeline import (
    MAX_WINDOW_MS,
    Span,
    WindowError,
    build_timeline,
    check_window,
    find_gaps,
    live_span,
    merge_ranges,
    query_spans,
    span_at,
)

T0 = 1_793_520_000_000  # 2026-11-01T08:00Z


def s(a: float, b: float, **kw: object) -> Span:
    return Span(start_ms=T0 + int(a * 1000), end_ms=T0 + int(b * 1000), **kw)  # type: ignore[arg-type]


def sec(ranges: list[tuple[int, int]]) -> list[tuple[float, float]]:
    return [((a - T0) / 1000, (b - T0) / 1000) for a, b in ranges]


def test_merge_joins_touching_and_near_segments_but_not_far_ones() -> None:
    spans = [s(0, 60), s(60, 120), s(121.2, 180), s(185, 240)]
    assert sec(merge_ranges(spans, T0, T0 + 300_000)) == [(0, 180), (185, 240)]


def test_merge_clips_to_window_and_handles_overlap_and_disorder() -> None:
    spans = [s(100, 160), s(-30, 30), s(20, 50)]
    assert sec(merge_ranges(spans, T0, T0 + 120_000)) == [(0, 50), (100, 120)]


def test_gaps_are_complement_within_window_ignoring_slivers() -> None:
    ranges = [(T0 + 10_000, T0 + 60_000), (T0 + 61_000, T0 + 90_000)]
    # 10 s at the start, then a 1 s sliver (below tolerance), then 90..120 at the end.
    assert sec(find_gaps(ranges, T0, T0 + 120_000)) == [(0, 10), (90, 120)]
    assert find_gaps([], T0, T0 + 5_000) == [(T0, T0 + 5_000)]
    assert find_gaps([(T0, T0 + 5_000)], T0, T0 + 5_000) == []


def test_build_timeline_includes_live_segment_and_stops_gaps_at_horizon() -> None:
    finished = [s(0, 60), s(60, 120)]
    live = s(120.3, 150, in_progress=True)
    now = T0 + 152_000
    tl = build_timeline(finished, live, T0 - 30_000, T0 + 3_600_000, now)
    assert sec(tl.ranges) == [(0, 150)]
    # Before the first segment: a gap; after the live segment's flushed end: pending,
    # not a gap.
    assert sec(tl.gaps) == [(-30, 0)]
    assert [x.in_progress for x in tl.spans] == [False, False, True]


def test_build_timeline_without_live_reports_gap_up_to_now_only() -> None:
    tl = build_timeline([s(0, 60)], None, T0, T0 + 3_600_000, T0 + 100_000)
    assert sec(tl.gaps) == [(60, 100)]


def test_live_segment_already_indexed_is_not_counted_twice() -> None:
    tl = build_timeline([s(0, 60, id=7)], s(0, 58, in_progress=True), T0, T0 + 90_000, T0 + 61_000)
    assert [x.id for x in tl.spans] == [7]


def test_window_checks_say_why() -> None:
    check_window(T0, T0 + 1)
    with pytest.raises(WindowError, match="start must be before end"):
        check_window(T0 + 1, T0)
    with pytest.raises(WindowError, match="too long"):
        check_window(T0, T0 + MAX_WINDOW_MS + 1)


def test_span_at_picks_the_segment_holding_the_instant() -> None:
    spans = [s(0, 60, id=1), s(60, 120, id=2)]
    assert span_at(spans, T0 + 60_000) == spans[1]  # end is exclusive
    assert span_at(spans, T0 + 59_999) == spans[0]
    assert span_at(spans, T0 + 120_000) is None


def test_live_span_measures_the_part_file(tmp_path: Path) -> None:
    rel = "jlt-001/2026-11-01/jlt-001-20261101T080000.000Z.mp4.part"
    (tmp_path / rel).parent.mkdir(parents=True)
    (tmp_path / rel).write_bytes(b"x" * 123)
    span = live_span(LiveSegment(rel, T0, T0 + 2_000), tmp_path)
    assert span is not None and span.bytes == 123 and span.in_progress
    assert live_span(LiveSegment(rel, T0, T0), tmp_path) is None


def _seed(engine: Engine, rows: list[tuple[str, int, int]]) -> None:
    from beffroi.site.tables import cameras, communes

    with engine.begin() as conn:
        conn.execute(insert(communes).values(id="c", name="C", updated_ms=0))
        for cam in sorted({r[0] for r in rows}):
            conn.execute(
                insert(cameras).values(
                    id=cam,
                    name=cam,
                    commune_id="c",
                    stream_url="rtsp://x",
                    retention_s=15 * 86400,
                    view="general",
                    enabled=True,
                    updated_ms=0,
                )
            )
        conn.execute(
            insert(segments),
            [
                dict(
                    camera_id=cam,
                    start_ms=a,
                    end_ms=b,
                    path=f"{cam}/{a}.mp4",
                    bytes=1,
                    codec="h264",
                    width=1,
                    height=1,
                    fps=1.0,
                    frames=1,
                    sha256="0" * 64,
                    salvaged=False,
                    indexed_ms=b,
                )
                for cam, a, b in rows
            ],
        )


def test_query_spans_finds_overlapping_segments_only(engine: Engine, clock: FakeClock) -> None:
    t = utc_ms(clock.now())
    minute = 60_000
    rows = [("a", t + i * minute, t + (i + 1) * minute) for i in range(10)]
    rows += [("b", t, t + 10 * minute)]  # another camera, same times
    rows += [("a", t - 20 * minute, t + 10 * minute)]  # overlaps its successors
    rows += [("c", t - 3 * 3_600_000, t + 3_600_000)]  # one 4-hour segment
    _seed(engine, rows)
    with engine.connect() as conn:
        got = query_spans(conn, "a", t + 2 * minute + 1, t + 4 * minute)
        assert [(x.start_ms - t) // minute for x in got] == [-20, 2, 3]
        assert all(x.id is not None and x.path for x in got)
        # Half-open windows: a segment ending exactly at the window start is out.
        edge = query_spans(conn, "a", t + 10 * minute, t + 11 * minute)
        assert edge == []
        # A long segment that started hours before the window is still found.
        long = query_spans(conn, "c", t + 2 * minute, t + 3 * minute)
        assert [(x.start_ms - t) // minute for x in long] == [-180]
        assert query_spans(conn, "zzz", t, t + minute) == []


def test_legal_minima_by_view_and_below_check() -> None:
    from beffroi.playback.minima import below_minima, legal_minima

    close = legal_minima("close-up")
    assert (close.width, close.height, close.fps) == (704, 576, 12)
    general = legal_minima("traffic")
    assert (general.width, general.height, general.fps) == (352, 288, 6)
    assert legal_minima("fisheye") == close  # unknown view: the strictest
    assert below_minima(close, 640, 480, 25)
    assert not below_minima(close, 1920, 1080, 11.9)  # measurement jitter tolerated
    assert below_minima(close, 1920, 1080, 10)
    assert not below_minima(general, 288, 352, 6)  # portrait-mounted
    assert not below_minima(close, None, None, None)
