"""`beffroi reindex`: rebuild the segment index and its chains from the files alone.

For a database lost, or restored from a backup older than the footage: every finished
segment file of a camera the site knows that has no row is probed (PyAV) and indexed
in time order, linked to the camera's chain as recording would have linked it; the
rows are marked `salvaged` (made from a file, not witnessed when written). It then
reports what it could not prove: files that do not read as a segment, folders of
cameras the database does not know (apply the site file first), and rows whose file is
gone (destroyed since the backup, or lost with a disk) — those rows are left for
`beffroi check` to name, never silently removed: a destruction is the register's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from beffroi.archive.index import index_segment
from beffroi.archive.salvage import probe_segment
from beffroi.archive.tables import segment_garbage, segments
from beffroi.clock import Clock, utc_ms
from beffroi.site.tables import cameras


@dataclass
class ReindexReport:
    indexed: dict[str, int] = field(default_factory=dict)  # camera -> rows made
    unreadable: list[str] = field(default_factory=list)  # files that are no segment
    unknown_cameras: dict[str, int] = field(default_factory=dict)  # folder -> files
    missing_files: dict[str, int] = field(default_factory=dict)  # camera -> rows

    @property
    def proven(self) -> bool:
        return not (self.unreadable or self.unknown_cameras or self.missing_files)


def reindex(engine: Engine, root: Path, clock: Clock) -> ReindexReport:
    report = ReindexReport()
    with engine.connect() as conn:
        known_cameras = set(conn.execute(select(cameras.c.id)).scalars())
        garbage = set(conn.execute(select(segment_garbage.c.path)).scalars())
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    for folder in folders:
        files = sorted(folder.glob("*/*.mp4"), key=lambda f: f.name)
        if folder.name not in known_cameras:
            report.unknown_cameras[folder.name] = len(files)
            continue
        with engine.connect() as conn:
            rows = set(
                conn.execute(
                    select(segments.c.path).where(segments.c.camera_id == folder.name)
                ).scalars()
            )
        on_disk = {str(f.relative_to(root)) for f in files}
        gone = len(rows - on_disk)
        if gone:
            report.missing_files[folder.name] = gone
        made = 0
        for f in files:
            rel = str(f.relative_to(root))
            if rel in rows or rel in garbage:
                continue
            info = probe_segment(root, f, salvaged=True)
            if info is None:
                report.unreadable.append(rel)
                continue
            try:
                with engine.begin() as conn:
                    made += index_segment(conn, info, utc_ms(clock.now()))
            except IntegrityError:
                continue
        if made:
            report.indexed[folder.name] = made
    return report


def format_reindex(report: ReindexReport) -> str:
    lines = [f"beffroi reindex: {sum(report.indexed.values())} segment(s) indexed from files"]
    lines += [f"  {camera}: {n}" for camera, n in sorted(report.indexed.items())]
    if report.unknown_cameras:
        lines.append("Not indexed: folders of cameras the database does not know (apply the "
                     "site file first, then run again):")  # fmt: skip
        lines += [f"  {c}: {n} file(s)" for c, n in sorted(report.unknown_cameras.items())]
    if report.unreadable:
        lines.append("Files that do not read as a segment (left as they are):")
        lines += [f"  {p}" for p in report.unreadable[:50]]
    if report.missing_files:
        lines.append("Rows whose file is gone (destroyed since the backup, or lost): see "
                     "beffroi check")  # fmt: skip
        lines += [f"  {c}: {n} row(s)" for c, n in sorted(report.missing_files.items())]
    if report.proven:
        lines.append("Every file is indexed and every row has its file.")
    return "\n".join(lines)
