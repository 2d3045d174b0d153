"""What an alarm incident shows: a snapshot of each linked camera at the alarm instant,
and a clip from `pre` seconds before to `post` seconds after, copied out of the archive.

`IncidentService.alarm_received` only inserts `pending` rows (`schedule_media`, two tiny
INSERTs in the alarm's own transaction): the panel's ACK never waits for a decoder. The
`IncidentMedia` worker makes them on its own threads, rows being the queue (a restart
resumes what it interrupted):

- snapshot, due at the alarm instant: the last frame at or before it, from the segment
  being written (readable up to its last flushed fragment, and the recorder flushes one
  at least every second), so it is ready about a second after the alarm. JPEG stored
  (the list shows it); the lossless PNG is decoded again on demand (`stills.frame_png`).
- clip, due once `post` has passed (plus a flush margin): planned and written by
  `export.clips` (byte-level stream copy, SHA-256 of every finished source checked
  against the index). The unfinished segment has no index row yet, so its complete
  fragments are frozen into a private copy first and hashed there. Media time 0 of a
  clip file maps to `start_ms`; a gap splits the clip into parts, and the gaps are stored.

Copies follow the footage's law, not the incident's: each file is destroyed when its
source footage would be (alarm window end + the camera's retention, at most 30 days),
whether the incident is open or closed. Footage that must outlive that goes through a
judicial hold or a requisition, never through an incident.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import shutil
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from beffroi.alarms.intake import JournalLike
from beffroi.archive.retention import effective_retention_s
from beffroi.archive.segment import Segment
from beffroi.clock import Clock, utc_ms
from beffroi.export.clips import (
    ClipFile,
    IntegrityFault,
    index_segments,
    plan_files,
    scan_segment,
)
from beffroi.incidents.clip_window import ClipWindow
from beffroi.incidents.footage import (
    Footage,
    frame_near,
    freeze_live,
    write_atomic,
    write_clip_file,
)
from beffroi.incidents.tables import incident_media
from beffroi.ingest.state import RecorderView, Status
from beffroi.journal.http import principal_entry
from beffroi.loops import Loop
from beffroi.paths import inside
from beffroi.playback.snapshot import (
    NoFrameError,
    encode_jpeg,
)
from beffroi.playback.timeline import (
    MERGE_TOLERANCE_MS,
    Span,
    find_gaps,
    merge_ranges,
)
from beffroi.site.tables import cameras

log = logging.getLogger(__name__)

SNAPSHOT, CLIP = "snapshot", "clip"
PENDING, READY, NO_FOOTAGE, FAILED, DESTROYED = (
    "pending",
    "ready",
    "no_footage",
    "failed",
    "destroyed",
)
# The recorder flushes a fragment at least every second: past this margin the footage
# up to `post` is on disk if the camera recorded it.
FLUSH_MARGIN_MS = 1500
# How long a capture waits for footage that should come (flush lag, a segment being
# indexed) before it is made with what exists and the rest recorded as a gap.
PATIENCE_MS = 10_000
RETRY_MS = 250
MAX_ATTEMPTS = 5


def schedule_media(
    conn: Connection,
    incident_id: int,
    camera_ids: Sequence[str],
    at_ms: int,
    window: ClipWindow,
    now_ms: int,
) -> None:
    """Queue a snapshot and a clip of each camera (in the caller's transaction)."""
    if not camera_ids:
        return
    start, end = at_ms - round(window.pre_s * 1000), at_ms + round(window.post_s * 1000)
    common = {"incident_id": incident_id, "part": 0, "state": PENDING, "attempts": 0}
    common |= {"at_ms": at_ms, "created_ms": now_ms}
    rows = []
    for cam in camera_ids:
        rows.append(
            {**common, "camera_id": cam, "kind": SNAPSHOT}
            | {"want_start_ms": at_ms, "want_end_ms": at_ms, "due_ms": at_ms}
        )
        rows.append(
            {**common, "camera_id": cam, "kind": CLIP}
            | {"want_start_ms": start, "want_end_ms": end, "due_ms": end + FLUSH_MARGIN_MS}
        )
    conn.execute(insert(incident_media), rows)


INCIDENTS_DIR = "incidents"  # under the data directory; media paths are relative to that


def incident_dir(data_dir: Path, incident_id: int) -> Path:
    return data_dir / INCIDENTS_DIR / str(incident_id)


class Retry(Exception):
    """The footage should come soon (flush lag, a segment being indexed): try again."""


class IncidentMedia:
    """The worker that makes pending snapshots and clips, and destroys expired ones."""

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        data_dir: Path,
        archive_root: Path,
        recorder: RecorderView,
        journal: JournalLike | None = None,
        *,
        poll_s: float = 0.2,
        threads: int = 3,
        purge_every_s: float = 60.0,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.data_dir = Path(data_dir)
        self.archive_root = Path(archive_root)
        self.recorder = recorder
        self.journal = journal
        self.poll_s = poll_s
        self.purge_every_s = purge_every_s
        self.footage = Footage(engine, self.archive_root, self.data_dir, recorder)
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="incident-media")
        self._last_purge = float("-inf")
        self.loop = Loop("incident-media", self._round, poll_s, clock, first_after_s=poll_s)

    # --- the loop ---------------------------------------------------------------------
    def start(self) -> None:
        self.loop.start()

    def stop(self) -> None:
        self.loop.stop(30)
        self._pool.shutdown(wait=True)

    def _round(self) -> None:
        self.run_due()
        if self.clock.monotonic() - self._last_purge >= self.purge_every_s:
            self._last_purge = self.clock.monotonic()
            self.purge_expired()

    def run_due(self, limit: int = 50) -> int:
        """Make what is due now; returns how many rows were finished (not retried)."""
        now = self._now()
        with self.engine.connect() as conn:
            due = conn.execute(
                select(incident_media)
                .where(incident_media.c.state == PENDING, incident_media.c.due_ms <= now)
                .order_by(incident_media.c.due_ms, incident_media.c.id)
                .limit(limit)
            ).all()
        return sum(self._pool.map(self._process, due))

    def _now(self) -> int:
        return utc_ms(self.clock.now())

    def _process(self, row: Any) -> int:
        try:
            if row.kind == SNAPSHOT:
                self._snapshot(row)
            else:
                self._clip(row)
            return 1
        except Retry:
            self._set(row.id, due_ms=self._now() + RETRY_MS)
        except IntegrityFault as exc:
            log.error("incident %s, %s: %s", row.incident_id, row.camera_id, exc)
            self._set(row.id, state=FAILED, error=str(exc), done_ms=self._now())
            return 1
        except Exception as exc:
            log.exception("incident %s: %s of %s failed", row.incident_id, row.kind, row.camera_id)
            failed = row.attempts + 1 >= MAX_ATTEMPTS
            self._set(
                row.id,
                attempts=row.attempts + 1,
                due_ms=self._now() + 5_000,
                error=f"{type(exc).__name__}: {exc}"[:2000],
                **({"state": FAILED, "done_ms": self._now()} if failed else {}),
            )
        return 0

    def _set(self, media_id: int, **values: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(incident_media).where(incident_media.c.id == media_id).values(**values)
            )

    def _recording(self, camera_id: str) -> bool:
        state = self.recorder.camera_states().get(camera_id)
        return state is not None and state.status == Status.RECORDING

    def _expiry(self, camera_id: str, end_ms: int) -> int:
        with self.engine.connect() as conn:
            retention = conn.scalar(select(cameras.c.retention_s).where(cameras.c.id == camera_id))
        return end_ms + effective_retention_s(retention) * 1000

    # --- snapshots --------------------------------------------------------------------
    def _snapshot(self, row: Any) -> None:
        late = self._now() >= row.at_ms + PATIENCE_MS or not self._recording(row.camera_id)
        try:
            found = frame_near(self.footage, row.camera_id, row.at_ms, late=late)
        except NoFrameError:
            found = None
        if found is None:
            if not late:
                raise Retry
            self._set(row.id, state=NO_FOOTAGE, done_ms=self._now(), **self._expires(row))
            return
        jpeg = encode_jpeg(found.frame)
        rel = f"incidents/{row.incident_id}/{row.camera_id}-snapshot.jpg"
        write_atomic(self.data_dir / rel, jpeg)
        self._set(
            row.id,
            state=READY,
            start_ms=found.wall_ms,
            end_ms=found.wall_ms,
            path=rel,
            sha256=hashlib.sha256(jpeg).hexdigest(),
            bytes=len(jpeg),
            width=found.frame.width,
            height=found.frame.height,
            frames=1,
            done_ms=self._now(),
            **self._expires(row),
        )

    def _expires(self, row: Any) -> dict[str, int]:
        return {"expires_ms": self._expiry(row.camera_id, row.want_end_ms)}

    # --- clips ------------------------------------------------------------------------
    def _clip(self, row: Any) -> None:
        now = self._now()
        late = now >= row.want_end_ms + PATIENCE_MS or not self._recording(row.camera_id)
        start, end = row.want_start_ms, row.want_end_ms
        work = incident_dir(self.data_dir, row.incident_id) / f".work-{row.camera_id}"
        try:
            live = self.footage.live(row.camera_id)
            with self.engine.connect() as conn:
                sources = index_segments(conn, row.camera_id, start, end)
            if (
                live is not None
                and live.end_ms > start
                and live.start_ms < end
                and not any(s.start_ms == live.start_ms for s in sources)
            ):
                frozen = freeze_live(self.footage, row.camera_id, live, work)
                if frozen is not None:
                    sources.append(frozen)
            laid = [(s, scan_segment(self.archive_root, s)) for s in sources]
            files = plan_files(laid, start, end)
            covered_to = max((f.end_ms for f in files), default=start)
            if not late and covered_to < end - MERGE_TOLERANCE_MS:
                raise Retry
            self._write_clips(row, files, sources, min(end, now))
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def _write_clips(
        self, row: Any, files: list[ClipFile], sources: list[Segment], horizon: int
    ) -> None:
        start, end = row.want_start_ms, row.want_end_ms
        covered = merge_ranges([Span(f.start_ms, f.end_ms) for f in files], start, end)
        gaps = json.dumps([list(g) for g in find_gaps(covered, start, max(start, horizon))])
        listed = json.dumps(
            [
                {
                    "segment": s.id or None,
                    "sha256": s.sha256 if s.id else None,
                    "start_ms": s.start_ms,
                    "end_ms": s.end_ms,
                    "in_progress": not s.id,
                }
                for s in sources
            ]
        )
        done = {"done_ms": self._now(), "gaps": gaps, "sources": listed, **self._expires(row)}
        if not files:
            self._set(row.id, state=NO_FOOTAGE, **done)
            return
        made = []
        for part, clip in enumerate(files):
            rel = f"incidents/{row.incident_id}/{row.camera_id}-clip-{part}.mp4"
            sha, size = write_clip_file(clip, self.archive_root, self.data_dir / rel)
            first = clip.first
            made.append(
                {
                    "state": READY,
                    "start_ms": clip.start_ms,
                    "end_ms": clip.end_ms,
                    "path": rel,
                    "sha256": sha,
                    "bytes": size,
                    "width": first.width or None,
                    "height": first.height or None,
                    "frames": clip.frames,
                    **done,
                }
            )
        with self.engine.begin() as conn:
            conn.execute(
                update(incident_media).where(incident_media.c.id == row.id).values(**made[0])
            )
            for part, values in enumerate(made[1:], start=1):
                keys = ("incident_id", "camera_id", "kind", "at_ms", "want_start_ms")
                base = {k: getattr(row, k) for k in (*keys, "want_end_ms", "due_ms", "created_ms")}
                conn.execute(insert(incident_media).values(**base, part=part, attempts=0, **values))

    # --- retention of the copies --------------------------------------------------------
    def purge_expired(self) -> int:
        """Destroy the copies whose footage has expired; the rows stay, as a record."""
        now = self._now()
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(incident_media.c.id, incident_media.c.incident_id, incident_media.c.path)
                .where(
                    incident_media.c.state.in_([READY, NO_FOOTAGE, FAILED]),
                    incident_media.c.expires_ms <= now,
                )
                .limit(1000)
            ).all()
        for r in rows:
            path = inside(self.data_dir, r.path, INCIDENTS_DIR)
            if path is not None:
                path.unlink(missing_ok=True)
            elif r.path:
                log.error("incident media %s: path %r is outside %s: left", r.id, r.path,
                          INCIDENTS_DIR)  # fmt: skip
            self._set(r.id, state=DESTROYED, destroyed_ms=now)
            with contextlib.suppress(OSError):  # the directory empties with its last file
                incident_dir(self.data_dir, r.incident_id).rmdir()
        if rows and self.journal is not None:
            incidents = sorted({r.incident_id for r in rows})
            self.journal.record(
                principal_entry(
                    None,
                    "incident.media.destroy",
                    username="system",
                    detail={"files": sum(1 for r in rows if r.path), "incidents": incidents},
                )
            )
        return len(rows)
