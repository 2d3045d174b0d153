"""Where segments live on disk.

    DATA/archive/<camera>/<YYYY-MM-DD>/<camera>-<YYYYMMDDTHHMMSS.mmmZ>.mp4
    DATA/archive/<camera>/<YYYY-MM-DD>/<camera>-<...>.mp4.part   (being written)

One folder per camera and UTC day keeps directories small (1,440 one-minute segments a
day) and makes a camera's footage easy to find by hand. The file name carries the
start instant, so salvage and reconciliation can rebuild an index row from the file
alone. Paths stored in the index are relative to the archive root.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from pathlib import Path

PART_SUFFIX = ".part"
_NAME = re.compile(r"^(?P<camera>.+)-(?P<ts>\d{8}T\d{6}\.\d{3})Z\.mp4$")


def archive_root(data_dir: Path) -> Path:
    return Path(data_dir) / "archive"


def segment_relpath(camera_id: str, start_ms: int) -> str:
    dt = datetime.fromtimestamp(start_ms / 1000, tz=UTC)
    stamp = dt.strftime("%Y%m%dT%H%M%S") + f".{start_ms % 1000:03d}Z"
    return f"{camera_id}/{dt:%Y-%m-%d}/{camera_id}-{stamp}.mp4"


def parse_segment_name(name: str) -> tuple[str, int] | None:
    """(camera_id, start_ms) from a finished segment's file name, or None."""
    m = _NAME.match(name)
    if not m:
        return None
    dt = datetime.strptime(m["ts"], "%Y%m%dT%H%M%S.%f").replace(tzinfo=UTC)
    return m["camera"], round(dt.timestamp() * 1000)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
