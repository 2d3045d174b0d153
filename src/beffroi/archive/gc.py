"""Two-phase deletion of segments and the destruction register.

Phase 1 (`delete_segments`, one transaction): the rows leave `segments`, their paths
enter `segment_garbage`, and the destruction register (`destructions`) records what
was destroyed, one row per camera and contiguous run. Phase 2 (`collect_garbage`):
unlink the files, fsync their directories, remove emptied day directories, then forget
the garbage rows. A crash between or inside the phases leaves garbage rows whose files
may or may not exist; start-up runs phase 2 again, and a missing file is fine. So there
is never a row without a file, nor a file without a row or a garbage entry.

Register rows are coalesced: when a run directly continues the camera's latest
destruction (its first segment's `prev_sha256` is that row's `last_sha256`), for the
same reason and within the same UTC hour of destruction, the latest row is extended
instead of adding a row per ten-second round. The register then reads "camera X,
footage from A to B, N segments, destroyed by T" with T exact to the hour at worst,
and `last_sha256` always anchors the first remaining segment of the chain.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, delete, insert, select, update

from beffroi.archive.holds import active_holds, lock_for_deletion
from beffroi.archive.layout import fsync_dir
from beffroi.archive.retention import HoldIndex, HoldRange, Run, SegmentSpan, contiguous_runs
from beffroi.archive.seals import keep_lines
from beffroi.archive.tables import destructions, segment_garbage, segments
from beffroi.paths import inside

log = logging.getLogger(__name__)

# `clock_step`: retention of segments stamped during a clock step, aged by their true
# time (`archive.clock_guard.stepped_expired`).
REASONS = ("retention", "disk_pressure", "clock_step")
REGISTER_BUCKET_MS = 3_600_000
BATCH = 500
_DAY_MS = 86_400_000


@dataclass
class Phase1Result:
    segments: int = 0
    bytes: int = 0
    register_rows: int = 0
    skipped_held: int = 0
    runs: list[Run] = field(default_factory=list)


def delete_segments(
    conn: Connection,
    segment_ids: Sequence[int],
    reason: str,
    now_ms: int,
    *,
    register_bucket_ms: int = REGISTER_BUCKET_MS,
    extra_holds: Sequence[HoldRange] = (),
) -> Phase1Result:
    """Phase 1, inside the caller's transaction: rows → garbage, plus the register.

    Segments that overlap an active hold are skipped even if asked for: the holds are
    read again here, in the deleting transaction, so a hold placed after the decision
    was computed still wins.
    """
    if reason not in REASONS:
        raise ValueError(f"unknown destruction reason {reason!r}")
    result = Phase1Result()
    if not segment_ids:
        return result
    rows = conn.execute(
        select(
            segments.c.id,
            segments.c.camera_id,
            segments.c.start_ms,
            segments.c.end_ms,
            segments.c.bytes,
            segments.c.sha256,
            segments.c.prev_sha256,
            segments.c.path,
        ).where(segments.c.id.in_(list(segment_ids)))
    ).all()
    if not rows:
        return result
    cameras = sorted({r.camera_id for r in rows})
    # Holds are read under the cameras' hold lock: a hold being placed now is waited for.
    lock_for_deletion(conn, cameras)
    # `extra_holds`: signed hold files the database lost (`archive.hold_files`).
    holds = HoldIndex([*(h for cam in cameras for h in active_holds(conn, cam)), *extra_holds])
    kept = [r for r in rows if not holds.covers(r.camera_id, int(r.start_ms), int(r.end_ms))]
    result.skipped_held = len(rows) - len(kept)
    if not kept:
        return result
    by_id = {int(r.id): r for r in kept}
    infos = [
        SegmentSpan(int(r.id), r.camera_id, int(r.start_ms), int(r.end_ms), int(r.bytes))
        for r in kept
    ]
    runs = contiguous_runs(infos, _remaining_starts(conn, infos))
    runs.sort(key=lambda run: (run.camera_id, run.start_ms))
    for run in runs:
        first, last = by_id[run.segment_ids[0]], by_id[run.segment_ids[-1]]
        result.register_rows += _register(
            conn, run, first.prev_sha256, last.sha256, reason, now_ms, register_bucket_ms
        )
    ids = list(by_id)
    conn.execute(
        insert(segment_garbage),
        [{"camera_id": r.camera_id, "path": r.path, "queued_ms": now_ms} for r in kept],
    )
    conn.execute(delete(segments).where(segments.c.id.in_(ids)))
    keep_lines(conn, kept, now_ms)
    result.segments = len(kept)
    result.bytes = sum(int(r.bytes) for r in kept)
    result.runs = runs
    return result


def _remaining_starts(conn: Connection, deleted: list[SegmentSpan]) -> dict[str, list[int]]:
    """Start instants of the rows that stay, within each camera's deleted span."""
    spans: dict[str, tuple[int, int]] = {}
    for s in deleted:
        lo, hi = spans.get(s.camera_id, (s.start_ms, s.start_ms))
        spans[s.camera_id] = (min(lo, s.start_ms), max(hi, s.start_ms))
    ids = [s.id for s in deleted]
    out: dict[str, list[int]] = {}
    for camera, (lo, hi) in spans.items():
        # Uses ix_segments_camera_start; only rows inside the span are read.
        out[camera] = [
            int(v)
            for v in conn.execute(
                select(segments.c.start_ms)
                .where(
                    segments.c.camera_id == camera,
                    segments.c.start_ms >= lo,
                    segments.c.start_ms <= hi,
                    segments.c.id.not_in(ids),
                )
                .order_by(segments.c.start_ms)
            ).scalars()
        ]
    return out


def _register(
    conn: Connection,
    run: Run,
    first_prev_sha: str | None,
    last_sha: str,
    reason: str,
    now_ms: int,
    bucket_ms: int,
) -> int:
    """Write the run to the register; returns 1 for a new row, 0 for an extended one."""
    latest = conn.execute(
        select(destructions)
        .where(destructions.c.camera_id == run.camera_id)
        .order_by(destructions.c.id.desc())
        .limit(1)
    ).first()
    if (
        latest is not None
        and first_prev_sha is not None
        and latest.last_sha256 == first_prev_sha
        and latest.reason == reason
        and int(latest.destroyed_ms) // bucket_ms == now_ms // bucket_ms
    ):
        conn.execute(
            update(destructions)
            .where(destructions.c.id == latest.id)
            .values(
                end_ms=max(int(latest.end_ms), run.end_ms),
                segments=int(latest.segments) + len(run.segment_ids),
                bytes=int(latest.bytes) + run.bytes,
                last_sha256=last_sha,
                destroyed_ms=now_ms,
            )
        )
        return 0
    conn.execute(
        insert(destructions).values(
            camera_id=run.camera_id,
            start_ms=run.start_ms,
            end_ms=run.end_ms,
            segments=len(run.segment_ids),
            bytes=run.bytes,
            reason=reason,
            last_sha256=last_sha,
            destroyed_ms=now_ms,
        )
    )
    return 1


@dataclass
class GcResult:
    unlinked: int = 0
    missing: int = 0
    kept_live: int = 0
    dirs_removed: int = 0


def collect_garbage(
    engine: Engine, archive_root: Path, now_ms: int, *, batch: int = BATCH
) -> GcResult:
    """Phase 2: unlink the files of `segment_garbage`, fsync, then forget the rows.

    Idempotent, and safe to run at start-up before anything else indexes files: a file
    already gone is counted as `missing`, not an error.
    """
    root = Path(archive_root).resolve()
    result = GcResult()
    last_id = 0
    while True:
        with engine.connect() as conn:
            rows = conn.execute(
                select(segment_garbage.c.id, segment_garbage.c.path)
                .where(segment_garbage.c.id > last_id)
                .order_by(segment_garbage.c.id)
                .limit(batch)
            ).all()
            if not rows:
                return result
            # A path that is indexed again (re-recorded, or re-indexed by a reconciliation
            # that ran first) is live footage now: drop the garbage entry, keep the file.
            live = set(
                conn.execute(
                    select(segments.c.path).where(segments.c.path.in_([r.path for r in rows]))
                ).scalars()
            )
        dirs: set[Path] = set()
        for r in rows:
            if r.path in live:
                result.kept_live += 1
                continue
            path = inside(root, r.path)
            if path is None:
                log.error("garbage path %r escapes the archive root; not unlinking it", r.path)
                continue
            try:
                path.unlink()
                result.unlinked += 1
            except FileNotFoundError:
                result.missing += 1
            dirs.add(path.parent)
        for d in dirs:
            _fsync_existing(d)
        result.dirs_removed += _remove_empty_day_dirs(root, dirs, now_ms)
        # Only now, with the unlinks durable, may the garbage rows be forgotten.
        ids = [int(r.id) for r in rows]
        with engine.begin() as conn:
            conn.execute(delete(segment_garbage).where(segment_garbage.c.id.in_(ids)))
        last_id = ids[-1]


def _fsync_existing(d: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        fsync_dir(d)


def _remove_empty_day_dirs(root: Path, dirs: Iterable[Path], now_ms: int) -> int:
    """Remove emptied `<camera>/<YYYY-MM-DD>` folders older than yesterday (UTC).

    Today's and yesterday's folders are left even when empty: the recorder may be about
    to create a segment in them, and removing a folder between its mkdir and its open
    would fail that segment.
    """
    keep_from = datetime.fromtimestamp((now_ms - _DAY_MS) / 1000, tz=UTC).strftime("%Y-%m-%d")
    removed = 0
    parents: set[Path] = set()
    for d in dirs:
        if d.parent.parent != root or d.name >= keep_from or len(d.name) != 10:
            continue
        try:
            d.rmdir()
        except OSError:
            continue  # not empty (other segments, a .part), or already gone
        removed += 1
        parents.add(d.parent)
    for p in parents:
        _fsync_existing(p)
    return removed
