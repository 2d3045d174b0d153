"""`beffroi check`: verify the archive's files, index and hash chains, like fsck.

For every camera, rows are streamed in `start_ms` order and checked against the disk:

- the file of every row exists, with the recorded size and SHA-256;
- rows are well formed (`start_ms < end_ms`) and do not overlap within a camera;
- the hash chain holds: each row's `prev_sha256` is the previous row's `sha256`, or,
  where destroyed footage left a gap (retention around a held range), the `last_sha256`
  of a destruction of that camera after the previous row; the first remaining row links
  to a destruction or is the camera's very first segment (`None`);
- no finished `.mp4` lies on disk without a row or a pending garbage entry (orphan);
- the hours sealed into the journal (`beffroi.archive.seals`) still hold the same
  segments, and the destruction register what was sealed; every destruction is
  explained by the camera's retention or a journaled disk-pressure deletion.

`.part` files (a segment being written, or one a crash left to salvage) and pending
garbage rows are information, not errors. Hashing is the cost; files are hashed by a
few threads (hashlib releases the GIL), which is what keeps a large archive's check
bounded by the disk's read rate rather than one core.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pydantic import BaseModel, Field
from sqlalchemy import Connection, Engine, func, select

from beffroi.archive.chain import destruction_anchor
from beffroi.archive.index import read_segments
from beffroi.archive.layout import PART_SUFFIX
from beffroi.archive.seals import SealedRow, Seals, check_camera, check_register
from beffroi.archive.segment import Segment
from beffroi.archive.tables import segment_garbage, segments

MAX_PROBLEMS = 1000
_CHUNK = 1024 * 1024


class CheckStats(BaseModel):
    cameras: int = Field(default=0, description="Cameras with rows or a folder in the archive")
    segments: int = Field(default=0, description="Index rows checked")
    files_hashed: int = Field(default=0, description="Files whose SHA-256 was computed")
    bytes_hashed: int = Field(default=0, description="Bytes read to compute SHA-256")
    hash_mb_per_s: float = Field(default=0.0, description="Hashing throughput, MB/s (10^6 bytes)")
    missing_files: int = Field(default=0, description="Rows whose file is missing")
    bad_files: int = Field(default=0, description="Rows whose file has the wrong size or SHA-256")
    chain_breaks: int = Field(default=0, description="Rows whose prev_sha256 links nowhere")
    overlaps: int = Field(default=0, description="Rows overlapping the previous row")
    bad_ranges: int = Field(default=0, description="Rows with start_ms >= end_ms")
    orphans: int = Field(default=0, description="Finished .mp4 files with no row")
    part_files: int = Field(default=0, description=".part files: in progress, or to salvage")
    garbage_pending: int = Field(default=0, description="Garbage rows awaiting phase 2 of deletion")
    sealed_hours: int = Field(default=0, description="Camera-hours compared with their seal")
    seal_problems: int = Field(
        default=0, description="Sealed hours or register rows that differ from the journal"
    )
    elapsed_s: float = Field(default=0.0, description="Duration of the check, seconds")


class CheckReport(BaseModel):
    ok: bool = Field(description="True when no problem was found")
    problems: list[str] = Field(
        default_factory=list, description="One sentence per problem, naming camera and path"
    )
    info: list[str] = Field(
        default_factory=list, description="Facts worth knowing that are not errors"
    )
    stats: CheckStats = Field(default_factory=lambda: CheckStats(), description="Counts")


class _Problems:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.count = 0

    def add(self, line: str) -> None:
        self.count += 1
        if len(self.lines) < MAX_PROBLEMS:
            self.lines.append(line)


def check_archive(
    engine: Engine,
    archive_root: Path,
    *,
    verify_hashes: bool = True,
    workers: int | None = None,
) -> CheckReport:
    """Check the whole archive; `verify_hashes=False` checks sizes only (fast)."""
    t0 = time.perf_counter()
    root = Path(archive_root)
    stats = CheckStats()
    problems = _Problems()
    info: list[str] = []
    hash_time = 0.0
    workers = workers or min(4, os.cpu_count() or 1)
    with engine.connect() as conn:
        garbage = set(conn.execute(select(segment_garbage.c.path)).scalars())
        indexed = set(conn.execute(select(segments.c.camera_id).distinct()).scalars())
        seals = Seals.load(conn)
    # Camera folders; `.holds` (the signed hold files) and other dot-folders are not.
    on_disk = (
        {p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")}
        if root.is_dir()
        else set()
    )
    stats.garbage_pending = len(garbage)
    if garbage:
        info.append(
            f"{len(garbage)} deleted segment(s) await phase 2 (unlink); "
            "the next retention round or start-up finishes them"
        )
    with ThreadPoolExecutor(max_workers=workers) as pool, engine.connect() as conn:
        for camera in sorted(indexed | on_disk):
            stats.cameras += 1
            # List the disk before reading rows: a segment finished meanwhile then has its
            # row by the time we read them, and is not mistaken for an orphan.
            files, parts = _list_camera(root, camera)
            rows = list(_stream_rows(engine, camera))
            _check_rows(conn, camera, rows, problems, stats)
            _check_seals(conn, camera, rows, seals, problems, info, stats)
            h0 = time.perf_counter()
            for row, verdict in zip(
                rows, pool.map(lambda r: _verify_file(root, r, verify_hashes), rows), strict=True
            ):
                if verdict is not None:
                    _file_problem(conn, row, verdict, problems, stats)
                elif verify_hashes:
                    stats.files_hashed += 1
                    stats.bytes_hashed += row.bytes
            hash_time += time.perf_counter() - h0
            stats.segments += len(rows)
            known = {r.path for r in rows}
            for rel in sorted(files - known - garbage):
                stats.orphans += 1
                problems.add(f"camera {camera}: orphan file {rel} has no index row")
            for rel in sorted(parts):
                stats.part_files += 1
                info.append(f"camera {camera}: {rel} is in progress or to salvage")
    with engine.connect() as conn:
        for line in check_register(conn, seals):
            stats.seal_problems += 1
            problems.add(line)
    stats.hash_mb_per_s = round(stats.bytes_hashed / 1e6 / hash_time, 1) if hash_time > 0 else 0.0
    stats.elapsed_s = round(time.perf_counter() - t0, 3)
    lines = problems.lines
    if problems.count > len(lines):
        lines = [*lines, f"... and {problems.count - len(lines)} more problem(s)"]
    return CheckReport(ok=problems.count == 0, problems=lines, info=info, stats=stats)


def _list_camera(root: Path, camera: str) -> tuple[set[str], list[str]]:
    files: set[str] = set()
    parts: list[str] = []
    cam_dir = root / camera
    if not cam_dir.is_dir():
        return files, parts
    for day in os.scandir(cam_dir):
        if not day.is_dir():
            continue
        for entry in os.scandir(day.path):
            rel = f"{camera}/{day.name}/{entry.name}"
            if entry.name.endswith(PART_SUFFIX):
                parts.append(rel)
            elif entry.name.endswith(".mp4") and entry.is_file():
                files.add(rel)
    return files, parts


def _stream_rows(engine: Engine, camera: str) -> Iterator[Segment]:
    with engine.connect() as conn:
        yield from read_segments(conn, segments.c.camera_id == camera, yield_per=2000)


def _check_rows(
    conn: Connection, camera: str, rows: list[Segment], problems: _Problems, stats: CheckStats
) -> None:
    prev: Segment | None = None
    for row in rows:
        if row.start_ms >= row.end_ms:
            stats.bad_ranges += 1
            problems.add(
                f"camera {camera}: segment {row.path} starts at or after its end "
                f"(start_ms {row.start_ms}, end_ms {row.end_ms})"
            )
        if prev is not None and row.start_ms < prev.end_ms:
            stats.overlaps += 1
            problems.add(
                f"camera {camera}: segment {row.path} overlaps the previous one {prev.path} "
                f"by {prev.end_ms - row.start_ms} ms"
            )
        if not _linked(conn, camera, row, prev):
            stats.chain_breaks += 1
            expected = "nothing (first segment)" if prev is None else prev.sha256[:16] + "…"
            problems.add(
                f"camera {camera}: hash chain broken at {row.path}: prev_sha256 "
                f"{(row.prev_sha256 or 'None')[:16]}… matches neither {expected} "
                "nor a destroyed segment"
            )
        prev = row


def _check_seals(
    conn: Connection,
    camera: str,
    rows: list[Segment],
    seals: Seals,
    problems: _Problems,
    info: list[str],
    stats: CheckStats,
) -> None:
    sealed = [SealedRow(r.start_ms, r.end_ms, r.sha256, r.indexed_ms or 0) for r in rows]
    found, notes = check_camera(conn, camera, sealed, seals)
    stats.sealed_hours += len(seals.by_camera.get(camera, ()))
    stats.seal_problems += len(found)
    for line in found:
        problems.add(line)
    info += notes


def _linked(conn: Connection, camera: str, row: Segment, prev: Segment | None) -> bool:
    if prev is not None and row.prev_sha256 == prev.sha256:
        return True
    if row.prev_sha256 is None:
        return prev is None
    return destruction_anchor(
        conn, camera, row.prev_sha256, after_ms=None if prev is None else prev.end_ms
    )


def _verify_file(root: Path, row: Segment, verify_hash: bool) -> str | None:
    """None when the file is right, else what is wrong with it."""
    path = root / row.path
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size != row.bytes:
                return f"size {size} bytes, index says {row.bytes}"
            if not verify_hash:
                return None
            digest = hashlib.file_digest(f, "sha256").hexdigest()
    except FileNotFoundError:
        return "missing"
    except OSError as e:
        return f"unreadable ({e.strerror or e})"
    if digest != row.sha256:
        return f"SHA-256 {digest[:16]}… differs from the index {row.sha256[:16]}…"
    return None


def _file_problem(
    conn: Connection, row: Segment, verdict: str, problems: _Problems, stats: CheckStats
) -> None:
    if verdict == "missing":
        # Retention may have deleted row and file while we were checking: not a problem.
        still = conn.execute(
            select(func.count()).select_from(segments).where(segments.c.id == row.id)
        ).scalar_one()
        if not still:
            return
        stats.missing_files += 1
        problems.add(f"camera {row.camera_id}: file {row.path} of an index row is missing")
        return
    stats.bad_files += 1
    problems.add(f"camera {row.camera_id}: file {row.path} is altered: {verdict}")


def format_report(report: CheckReport) -> str:
    """The report as `beffroi check` prints it."""
    s = report.stats
    lines = [
        f"beffroi check: {'OK' if report.ok else 'PROBLEMS FOUND'}",
        f"  {s.cameras} camera(s), {s.segments} segment(s), {s.files_hashed} file(s) hashed "
        f"({s.bytes_hashed / 1e6:.1f} MB at {s.hash_mb_per_s:.1f} MB/s) in {s.elapsed_s:.1f} s",
        f"  missing {s.missing_files}, altered {s.bad_files}, chain breaks {s.chain_breaks}, "
        f"overlaps {s.overlaps}, bad ranges {s.bad_ranges}, orphans {s.orphans}",
        f"  .part files {s.part_files}, garbage pending {s.garbage_pending}",
        f"  sealed camera-hours {s.sealed_hours}, differing from the journal {s.seal_problems}",
    ]
    if report.problems:
        lines.append("Problems:")
        lines += [f"  - {p}" for p in report.problems]
    if report.info:
        lines.append("Information:")
        lines += [f"  - {i}" for i in report.info]
    return "\n".join(lines)
