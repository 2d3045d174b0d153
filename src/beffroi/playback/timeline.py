"""What was recorded of a camera over a window: segments, continuous ranges, gaps.

The decisions (merging, gaps) are pure functions over `Span`s; `query_spans` is the
only SQL. Gaps are facts to show: a camera that dropped for 20 s shows a 20 s gap.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from beffroi.archive.layout import PART_SUFFIX
from beffroi.archive.tables import segments
from beffroi.ingest.state import CameraState, LiveSegment

# Segments whose ends are this close are one continuous recording (a new segment starts
# on a keyframe, so consecutive segments may be a frame apart, never exactly adjacent).
MERGE_TOLERANCE_MS = 1500
# The longest window one request may ask for (retention never exceeds 30 days).
MAX_WINDOW_MS = 31 * 86_400_000
# Segments starting this long before a window are also looked at, in case segments of
# one camera overlap (clock step). Covers overlaps only: the one segment that started
# last before the window is always found, whatever its length.
OVERLAP_LOOKBACK_MS = 3_600_000


class WindowError(ValueError):
    """An unusable time window; the message says why, in words."""


@dataclass(frozen=True, slots=True)
class Span:
    """A recorded stretch: one finished segment, or the segment being written."""

    start_ms: int
    end_ms: int
    id: int | None = None
    bytes: int | None = None
    sha256: str | None = None
    path: str | None = None  # relative to the archive root
    in_progress: bool = False


@dataclass(frozen=True)
class Timeline:
    start_ms: int
    end_ms: int
    spans: list[Span]  # sorted by start
    ranges: list[tuple[int, int]]  # continuous recording, clipped to the window
    gaps: list[tuple[int, int]]  # nothing recorded, within the window up to the horizon


def check_window(start_ms: int, end_ms: int, max_ms: int = MAX_WINDOW_MS) -> None:
    if end_ms <= start_ms:
        raise WindowError("start must be before end")
    if end_ms - start_ms > max_ms:
        raise WindowError(
            f"window too long: {(end_ms - start_ms) / 86_400_000:.1f} days asked, "
            f"at most {max_ms / 86_400_000:g} days"
        )


def merge_ranges(
    spans: Iterable[Span], start_ms: int, end_ms: int, tolerance_ms: int = MERGE_TOLERANCE_MS
) -> list[tuple[int, int]]:
    """Continuous ranges covered by `spans` within [start_ms, end_ms): spans closer
    than `tolerance_ms` join; result clipped to the window, sorted, disjoint."""
    ordered = sorted((s.start_ms, s.end_ms) for s in spans if s.end_ms > s.start_ms)
    merged: list[list[int]] = []
    for s, e in ordered:
        if merged and s <= merged[-1][1] + tolerance_ms:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    out: list[tuple[int, int]] = []
    for s, e in merged:
        cs, ce = max(s, start_ms), min(e, end_ms)
        if ce > cs:
            out.append((cs, ce))
    return out


def find_gaps(
    ranges: Sequence[tuple[int, int]],
    start_ms: int,
    horizon_ms: int,
    tolerance_ms: int = MERGE_TOLERANCE_MS,
) -> list[tuple[int, int]]:
    """The complement of `ranges` within [start_ms, horizon_ms), ignoring slivers not
    longer than `tolerance_ms` (the same tolerance that joins ranges)."""
    gaps: list[tuple[int, int]] = []
    cursor = start_ms
    for s, e in ranges:
        if s >= horizon_ms:
            break
        if s - cursor > tolerance_ms:
            gaps.append((cursor, s))
        cursor = max(cursor, e)
    if horizon_ms - cursor > tolerance_ms:
        gaps.append((cursor, horizon_ms))
    return gaps


def live_span(live: LiveSegment | None, archive_root: Path | None = None) -> Span | None:
    """The segment being written, readable up to its last flushed fragment."""
    if live is None or live.flushed_end_ms <= live.start_ms:
        return None
    size: int | None = None
    if archive_root is not None:
        path = resolve_live_path(archive_root, live.path)
        if path is not None:
            size = path.stat().st_size
    return Span(
        start_ms=live.start_ms,
        end_ms=live.flushed_end_ms,
        path=live.path,
        bytes=size,
        in_progress=True,
    )


def resolve_live_path(archive_root: Path, relpath: str) -> Path | None:
    """The file of the segment being written: `X.mp4.part` while open, `X.mp4` once the
    writer renamed it (the recorder's view may be a moment behind)."""
    base = relpath.removesuffix(PART_SUFFIX)
    for candidate in (base + PART_SUFFIX, base):
        path = archive_root / candidate
        if path.is_file():
            return path
    return None


def build_timeline(
    finished: Sequence[Span],
    live: Span | None,
    start_ms: int,
    end_ms: int,
    now_ms: int,
    tolerance_ms: int = MERGE_TOLERANCE_MS,
) -> Timeline:
    """Merge finished segments and the live one over the window.

    Gaps stop at the horizon: `now`, or the live segment's flushed end when a segment is
    being written (the seconds not yet flushed are pending, not missing)."""
    spans = [s for s in finished if s.end_ms > start_ms and s.start_ms < end_ms]
    if (
        live is not None
        and live.end_ms > start_ms
        and live.start_ms < end_ms
        # The writer may have indexed it already while the view still calls it live.
        and not any(s.start_ms == live.start_ms for s in spans)
    ):
        spans.append(live)
    spans.sort(key=lambda s: (s.start_ms, s.end_ms))
    ranges = merge_ranges(spans, start_ms, end_ms, tolerance_ms)
    horizon = min(end_ms, now_ms)
    if live is not None and live.end_ms < horizon:
        horizon = max(live.end_ms, start_ms)
    return Timeline(
        start_ms=start_ms,
        end_ms=end_ms,
        spans=spans,
        ranges=ranges,
        gaps=find_gaps(ranges, start_ms, horizon, tolerance_ms),
    )


_COLUMNS = (
    segments.c.id,
    segments.c.start_ms,
    segments.c.end_ms,
    segments.c.bytes,
    segments.c.sha256,
    segments.c.path,
)


def spans_from_rows(rows: Iterable[Any]) -> list[Span]:
    # Positional unpacking: named attribute access on SQLAlchemy rows costs more than the
    # query itself for a 15-day window (21,600 rows).
    return [Span(start, end, id_, size, sha, path) for id_, start, end, size, sha, path in rows]


def query_spans(conn: Connection, camera_id: str, start_ms: int, end_ms: int) -> list[Span]:
    """Finished segments of `camera_id` overlapping [start_ms, end_ms), sorted.

    `end_ms > start` alone cannot use the (camera_id, start_ms) index, and would scan the
    camera's whole history before the window; both statements below are bounded index
    range scans instead."""
    c = segments.c
    last_before = conn.execute(
        select(*_COLUMNS)
        .where(c.camera_id == camera_id, c.start_ms <= start_ms)
        .order_by(c.start_ms.desc())
        .limit(1)
    ).first()
    inside = conn.execute(
        select(*_COLUMNS)
        .where(
            c.camera_id == camera_id,
            c.start_ms > start_ms - OVERLAP_LOOKBACK_MS,
            c.start_ms < end_ms,
            c.end_ms > start_ms,
        )
        .order_by(c.start_ms)
    ).all()
    spans = spans_from_rows(inside)
    if (
        last_before is not None
        and last_before.end_ms > start_ms
        and not any(x.id == last_before.id for x in spans)
    ):
        spans = spans_from_rows([last_before]) + spans
        spans.sort(key=lambda x: (x.start_ms, x.end_ms))
    return spans


def recorder_spans(
    state: CameraState | None, archive_root: Path | None = None
) -> tuple[Span | None, Span | None]:
    """What the recorder says it wrote: (the segment it finished last, the segment
    being written), from one reading of the camera's state."""
    if state is None:
        return None, None
    done = state.finished
    finished = None
    if done is not None:
        finished = Span(
            start_ms=done.start_ms,
            end_ms=done.end_ms,
            bytes=done.bytes,
            sha256=done.sha256,
            path=done.path,
        )
    return finished, live_span(state.live, archive_root)


def footage_spans(
    conn: Connection,
    camera_id: str,
    start_ms: int,
    end_ms: int,
    state: CameraState | None,
    archive_root: Path | None = None,
) -> tuple[list[Span], Span | None]:
    """The finished segments overlapping the window, sorted, and the segment being
    written: the index's rows, and the segment the recorder finished whose row is not
    written yet (the index writer batches). `state` must be read before the rows: a
    segment that rolls over in between is then in one or the other, never in neither."""
    just_done, live = recorder_spans(state, archive_root)
    finished = query_spans(conn, camera_id, start_ms, end_ms)
    paths = {s.path for s in finished}
    if (
        just_done is not None
        and just_done.path not in paths
        and just_done.start_ms < end_ms
        and just_done.end_ms > start_ms
    ):
        finished = sorted([*finished, just_done], key=lambda x: (x.start_ms, x.end_ms))
        paths.add(just_done.path)
    if live is not None and live.path in paths:
        live = None  # it finished since the state was read
    return finished, live


def span_at(spans: Sequence[Span], at_ms: int) -> Span | None:
    """The span holding instant `at_ms` (the latest-starting one if several overlap)."""
    holding = [s for s in spans if s.start_ms <= at_ms < s.end_ms]
    return max(holding, key=lambda s: s.start_ms) if holding else None
