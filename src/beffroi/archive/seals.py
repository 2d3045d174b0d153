"""Seals: the archive's index and its destructions enter the signed journal, hourly.

The index's hash chain (`prev_sha256`) shows a file that no longer matches its row,
but not a row rewritten with its file: whoever can write the database can replace a
segment, its hash and its successor's link, or delete footage and invent the
destruction that explains the gap. The journal's signed checkpoints cannot be forged
without the installation's key, so the archive is committed to the journal:

- once an hour is over (plus `GRACE_MS` for its last segments to be indexed), one
  `archive.seal` entry gives, for every camera with segments starting in that hour,
  their count and the SHA-256 of their lines `start end sha256`, and the count and
  digest of the destruction register's rows written in that hour (a row is extended
  only within its hour of destruction, so it is final once the hour is over). At
  sealing, destructions that the rules below do not explain are named in the entry;
- deletions for disk pressure, rare, are journaled in the same transaction as the
  deletion (`archive.pressure`, one entry per batch with its runs); deletions for
  retention are explained by the camera's retention: their footage ended at least
  the retention before they were destroyed. Segments stamped during a clock step are
  destroyed by their true time (reason `clock_step`), journaled with the step
  (`archive.clock_step`) in the deleting transaction: stamp minus step plus retention
  explains them.

`beffroi check` then recomputes each sealed hour from the index (rows indexed after
the seal, salvaged late, are told apart) and the register, and reports a replaced
segment, a sealed segment gone without a destruction, a register row altered after
its seal, and a destruction that neither a journaled pressure batch nor the camera's
retention explains. A camera-hour that retention destroyed in part (the oldest hour of
each camera, the first and last hours of a hold) is recomputed from its remaining
segments and the lines of its destroyed ones, kept in `sealed_lines` (hashes, no
image) until the hour's last segment goes (`keep_lines`, in the deleting transaction).
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Row, func, select
from sqlalchemy import delete as sql_delete
from sqlalchemy import insert as sql_insert

from beffroi.archive.retention import Run, effective_retention_s
from beffroi.archive.tables import destructions, sealed_lines, segments
from beffroi.journal.entries import NewEntry
from beffroi.journal.http import principal_entry
from beffroi.journal.service import Journal
from beffroi.journal.tables import journal_entries
from beffroi.site.tables import cameras

SEAL = "archive.seal"
PRESSURE = "archive.pressure"
STEPPED = "archive.clock_step"
HOUR_MS = 3_600_000
GRACE_MS = 10 * 60_000
# Seals written per call: a first start over a full archive seals its hours over a few
# rounds rather than in one long transaction.
MAX_HOURS_PER_ROUND = 48


def segments_digest(lines: Iterable[tuple[int, int, str]]) -> str:
    h = hashlib.sha256()
    for start, end, sha in lines:
        h.update(f"{start} {end} {sha}\n".encode())
    return h.hexdigest()


_REGISTER_FIELDS = (
    "id", "camera_id", "start_ms", "end_ms", "segments", "bytes", "reason", "last_sha256",
    "destroyed_ms",
)  # fmt: skip


def destruction_line(r: Row[Any]) -> str:
    return " ".join(str(r._mapping[k]) for k in _REGISTER_FIELDS)


def destructions_digest(rows: Iterable[Row[Any]]) -> str:
    h = hashlib.sha256()
    for r in rows:
        h.update(destruction_line(r).encode() + b"\n")
    return h.hexdigest()


def record_runs(
    journal: Journal, conn: Connection, reason: str, runs: Sequence[Run], step_ms: int | None
) -> None:
    """Journal, in the deleting transaction (`conn`), a destruction that the stamps'
    retention does not explain: disk pressure, or segments stamped during a clock step
    of `step_ms`. Retention itself needs no entry."""
    action = {"disk_pressure": PRESSURE, "clock_step": STEPPED}.get(reason)
    if action is None or not runs:
        return
    detail: dict[str, Any] = {
        "runs": [[r.camera_id, r.start_ms, r.end_ms, len(r.segment_ids)] for r in runs],
    }
    if step_ms is not None:
        detail["step_ms"] = step_ms
    journal.record(principal_entry(None, action, username="system", detail=detail), conn)


def keep_lines(conn: Connection, deleted: Sequence[Any], now_ms: int) -> None:
    """In the transaction that deletes `deleted` (rows with camera_id, start_ms, end_ms,
    sha256, already gone from `segments`): keep their lines where their camera-hour
    still has segments, forget the hour's kept lines where it has none left."""
    by_hour: dict[tuple[str, int], list[Any]] = defaultdict(list)
    for r in deleted:
        by_hour[(r.camera_id, int(r.start_ms) - int(r.start_ms) % HOUR_MS)].append(r)
    for (camera, hour), rows in sorted(by_hour.items()):
        left = conn.execute(
            select(segments.c.id)
            .where(
                segments.c.camera_id == camera,
                segments.c.start_ms >= hour,
                segments.c.start_ms < hour + HOUR_MS,
            )
            .limit(1)
        ).first()
        if left is None:
            conn.execute(
                sql_delete(sealed_lines).where(
                    sealed_lines.c.camera_id == camera, sealed_lines.c.hour_ms == hour
                )
            )
            continue
        conn.execute(
            sql_insert(sealed_lines),
            [
                {"camera_id": camera, "hour_ms": hour, "start_ms": int(r.start_ms),
                 "end_ms": int(r.end_ms), "sha256": r.sha256, "destroyed_ms": now_ms}
                for r in rows
            ],
        )  # fmt: skip


class Sealer:
    """Writes the due seals; remembers where it stopped between rounds."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self._next_hour: int | None = None
        # Destructions before the very first seal (an archive older than this version)
        # were never journaled: only those from then on must be explained.
        self._explain_from: int | None = None

    def seal_due(self, now_ms: int) -> int:
        """Seal every hour that ended at least `GRACE_MS` ago and is not sealed yet
        (at most `MAX_HOURS_PER_ROUND`); returns how many were sealed."""
        written = 0
        with self.journal.engine.connect() as conn:
            if self._next_hour is None:
                self._next_hour, first = _first_unsealed_hour(conn, now_ms)
                self._explain_from = now_ms if first else None
        while self._next_hour + HOUR_MS + GRACE_MS <= now_ms and written < MAX_HOURS_PER_ROUND:
            with self.journal.transaction() as conn:
                entry = _seal_entry(conn, self._next_hour, self._explain_from)
                self.journal.record(entry, conn)
            self._next_hour += HOUR_MS
            written += 1
        return written


def _first_unsealed_hour(conn: Connection, now_ms: int) -> tuple[int, bool]:
    """The hour to seal next, and whether no seal was ever written."""
    last = conn.execute(
        select(journal_entries.c.start_ms)
        .where(journal_entries.c.action == SEAL)
        .order_by(journal_entries.c.seq.desc())
        .limit(1)
    ).scalar()
    if last is not None:
        return int(last) + HOUR_MS, False
    oldest = conn.execute(select(func.min(segments.c.start_ms))).scalar()
    since = int(oldest) if oldest is not None else now_ms - HOUR_MS - GRACE_MS
    return since - since % HOUR_MS, True


def _seal_entry(conn: Connection, hour: int, explain_from: int | None) -> NewEntry:
    end = hour + HOUR_MS
    rows = conn.execute(
        select(segments.c.camera_id, segments.c.start_ms, segments.c.end_ms, segments.c.sha256)
        .where(segments.c.start_ms >= hour, segments.c.start_ms < end)
        .order_by(segments.c.camera_id, segments.c.start_ms, segments.c.id)
    ).all()
    by_camera: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    for r in rows:
        by_camera[r.camera_id].append((int(r.start_ms), int(r.end_ms), r.sha256))
    destroyed = _destroyed_in(conn, hour)
    to_explain = [r for r in destroyed if explain_from is None or r.destroyed_ms >= explain_from]
    detail = {
        "cameras": {c: [len(v), segments_digest(v)] for c, v in sorted(by_camera.items())},
        "destructions": [len(destroyed), destructions_digest(destroyed)],
        "unexplained": unexplained_destructions(conn, to_explain),
    }
    return principal_entry(None, SEAL, username="system", start_ms=hour, end_ms=end, detail=detail)


def _destroyed_in(conn: Connection, hour: int) -> list[Row[Any]]:
    when = destructions.c.destroyed_ms
    return list(
        conn.execute(
            select(destructions)
            .where(when >= hour, when < hour + HOUR_MS)
            .order_by(destructions.c.id)
        ).all()
    )


def unexplained_destructions(conn: Connection, rows: Sequence[Row[Any]]) -> list[str]:
    """Register rows that neither the camera's retention nor a journaled pressure
    deletion explains, in words."""
    if not rows:
        return []
    retention = dict(conn.execute(select(cameras.c.id, cameras.c.retention_s)).all())
    reasons = {r.reason for r in rows}  # the journal is read only for what needs it
    pressure = _journaled_runs(conn, PRESSURE) if "disk_pressure" in reasons else {}
    steps = _journaled_runs(conn, STEPPED) if "clock_step" in reasons else {}
    out = []
    for r in rows:
        camera, start, end = r.camera_id, int(r.start_ms), int(r.end_ms)
        when, count = int(r.destroyed_ms), int(r.segments)
        keep_ms = effective_retention_s(retention.get(camera)) * 1000
        if r.reason == "retention":
            if end + keep_ms <= when:
                continue
            why = f"destroyed {(when - end) / 3.6e6:.1f} h after its end, before its retention"
        elif r.reason == "clock_step":
            runs = [(e, n, step) for s, e, n, step in steps.get(camera, ()) if start <= s <= end]
            aged = all(e - step + keep_ms <= when for e, _, step in runs)
            if aged and sum(n for _, n, _ in runs) == count:
                continue
            why = f"{count} segment(s) stamped during a clock step, not journaled or not aged"
        else:
            journaled = sum(n for s, e, n, _ in pressure.get(camera, ()) if start <= s and e <= end)
            if journaled == count:
                continue
            why = f"{count} segment(s) for disk pressure, {journaled} journaled"
        out.append(f"camera {camera}: destruction #{r.id} of {start}..{end}: {why}")
    return out


def _journaled_runs(conn: Connection, action: str) -> dict[str, list[tuple[int, int, int, int]]]:
    """(start, end, count, step) of the runs journaled by `action` entries, by camera."""
    out: dict[str, list[tuple[int, int, int, int]]] = defaultdict(list)
    for text in conn.execute(
        select(journal_entries.c.detail).where(journal_entries.c.action == action)
    ).scalars():
        detail = json.loads(text or "{}")
        step = int(detail.get("step_ms", 0))
        for camera, start, end, count in detail.get("runs", []):
            out[camera].append((int(start), int(end), int(count), step))
    return out


# -- verification, by `beffroi check` ----------------------------------------------------


@dataclass(frozen=True)
class CameraSeal:
    hour: int
    count: int
    digest: str
    sealed_ms: int
    seq: int


@dataclass
class Seals:
    """Every seal the journal holds, by camera and by hour."""

    by_camera: dict[str, list[CameraSeal]] = field(default_factory=lambda: defaultdict(list))
    # (hour, rows, digest, seq) of the register's rows written in each sealed hour
    destructions: list[tuple[int, int, str, int]] = field(default_factory=list)
    unexplained: list[str] = field(default_factory=list)
    sealed_until: int | None = None

    @classmethod
    def load(cls, conn: Connection) -> Seals:
        seals = cls()
        t = journal_entries
        result = conn.execution_options(yield_per=200).execute(
            select(t.c.seq, t.c.time_ms, t.c.start_ms, t.c.detail)
            .where(t.c.action == SEAL)
            .order_by(t.c.seq)
        )
        for seq, time_ms, hour, text in result:
            detail = json.loads(text or "{}")
            for camera, (count, digest) in detail.get("cameras", {}).items():
                seals.by_camera[camera].append(
                    CameraSeal(int(hour), int(count), digest, int(time_ms), int(seq))
                )
            count, digest = detail.get("destructions", [0, ""])
            seals.destructions.append((int(hour), int(count), digest, int(seq)))
            seals.unexplained += detail.get("unexplained", [])
            seals.sealed_until = int(hour) + HOUR_MS
        return seals


@dataclass(frozen=True, slots=True)
class SealedRow:
    start_ms: int
    end_ms: int
    sha256: str
    indexed_ms: int


def check_camera(
    conn: Connection, camera: str, rows: Sequence[SealedRow], seals: Seals
) -> tuple[list[str], list[str]]:
    """(problems, information) for one camera's rows against its seals."""
    problems: list[str] = []
    info: list[str] = []
    sealed = seals.by_camera.get(camera, [])
    if not sealed:
        return problems, info
    by_hour: dict[int, list[SealedRow]] = defaultdict(list)
    for r in rows:
        by_hour[r.start_ms - r.start_ms % HOUR_MS].append(r)
    kept = _kept_lines(conn, camera)
    partial = 0
    for seal in sealed:
        present = [r for r in by_hour.get(seal.hour, []) if r.indexed_ms <= seal.sealed_ms]
        # Segments destroyed after this seal, in an hour that still has some.
        present += [r for r in kept.get(seal.hour, []) if r.indexed_ms > seal.sealed_ms]
        late = len(by_hour.get(seal.hour, [])) - len(present)
        if late:
            info.append(
                f"camera {camera}: {late} segment(s) of hour {seal.hour} indexed after its seal"
            )
        where = f"camera {camera}, hour starting {seal.hour} (seal #{seal.seq})"
        if len(present) > seal.count:
            problems.append(f"{where}: {len(present) - seal.count} segment(s) more than sealed")
        elif len(present) == seal.count:
            lines = sorted((r.start_ms, r.end_ms, r.sha256) for r in present)
            if segments_digest(lines) != seal.digest:
                problems.append(f"{where}: segments replaced or altered since sealed")
        elif _destroyed_covers(conn, camera, seal.hour):
            partial += 1 if present else 0  # wholly destroyed: nothing left to check
        else:
            problems.append(
                f"{where}: {seal.count - len(present)} sealed segment(s) gone without a "
                "destruction in the register"
            )
    if partial:
        info.append(
            f"camera {camera}: {partial} sealed hour(s) partly destroyed without kept lines "
            "(before this version), protected by the hash chain only"
        )
    return problems, info


def _kept_lines(conn: Connection, camera: str) -> dict[int, list[SealedRow]]:
    out: dict[int, list[SealedRow]] = defaultdict(list)
    for r in conn.execute(select(sealed_lines).where(sealed_lines.c.camera_id == camera)).all():
        # `indexed_ms` carries the destruction time here: a seal counts only the lines
        # of segments destroyed after it was written.
        out[int(r.hour_ms)].append(
            SealedRow(int(r.start_ms), int(r.end_ms), r.sha256, int(r.destroyed_ms))
        )
    return out


def _destroyed_covers(conn: Connection, camera: str, hour: int) -> bool:
    return (
        conn.execute(
            select(destructions.c.id)
            .where(
                destructions.c.camera_id == camera,
                destructions.c.start_ms < hour + HOUR_MS,
                destructions.c.end_ms > hour,
            )
            .limit(1)
        ).first()
        is not None
    )


def check_register(conn: Connection, seals: Seals) -> list[str]:
    """Problems of the destruction register: rows altered after their seal, and
    destructions not explained (named at sealing, or since the last seal)."""
    problems = []
    for hour, count, digest, seq in seals.destructions:
        rows = _destroyed_in(conn, hour)
        if len(rows) != count or destructions_digest(rows) != digest:
            problems.append(
                f"destruction register altered since sealed: hour starting {hour} (seal #{seq}) "
                f"held {count} row(s), now {len(rows)}"
            )
    problems += [f"sealed while unexplained: {u}" for u in seals.unexplained]
    if seals.sealed_until is not None:
        recent = conn.execute(
            select(destructions)
            .where(destructions.c.destroyed_ms >= seals.sealed_until)
            .order_by(destructions.c.id)
        ).all()
        problems += unexplained_destructions(conn, list(recent))
    return problems
