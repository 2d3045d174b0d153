"""Free space of the archive's filesystem, and the free-space floor setting.

The floor is written in the configuration as a byte count (`21474836480`), a size
(`"20GB"`, `"500MiB"`, `"1.5 TB"`) or a share of the filesystem (`"5%"`). Decimal units
(kB, MB, GB, TB) are powers of 1000 as on a disk's label; binary ones (KiB, MiB, GiB,
TiB) and the bare letters K, M, G, T are powers of 1024, as `df -h` prints them.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple


class DiskUsage(NamedTuple):
    total: int
    free: int

    @property
    def used(self) -> int:
        return self.total - self.free


DiskUsageFn = Callable[[Path], DiskUsage]

_UNITS: dict[str, int] = {
    "": 1,
    "b": 1,
    "kb": 1000,
    "mb": 1000**2,
    "gb": 1000**3,
    "tb": 1000**4,
    "k": 1024,
    "m": 1024**2,
    "g": 1024**3,
    "t": 1024**4,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
    "tib": 1024**4,
}
_SIZE = re.compile(r"^\s*(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>[a-zA-Z]*|%)\s*$")


def disk_usage(path: Path) -> DiskUsage:
    """Total and free bytes of the filesystem holding `path`.

    `free` is what an unprivileged process may use (`f_bavail`): the recorder does not
    run as root, so the root-reserved blocks are not space it can write.
    """
    p = Path(path)
    # The archive root may not exist yet on a fresh install: measure its nearest parent.
    while not p.exists() and p != p.parent:
        p = p.parent
    usage = shutil.disk_usage(p)
    return DiskUsage(total=usage.total, free=usage.free)


def parse_size(spec: str | int, total_bytes: int | None = None) -> int:
    """Bytes from `spec`: an int, "20GB", "500MiB", "1.5T", or "5%" of `total_bytes`."""
    if isinstance(spec, bool):
        raise ValueError(f"not a size: {spec!r}")
    if isinstance(spec, int):
        if spec < 0:
            raise ValueError(f"a size cannot be negative: {spec}")
        return spec
    m = _SIZE.match(str(spec))
    if not m:
        raise ValueError(f"not a size: {spec!r} (expected e.g. 20GB, 500MiB or 5%)")
    number = float(m["num"])
    unit = m["unit"]
    if unit == "%":
        if total_bytes is None:
            raise ValueError(f"{spec!r} is a percentage: the filesystem size is needed")
        if number > 100:
            raise ValueError(f"{spec!r}: a percentage above 100")
        return int(total_bytes * number / 100)
    factor = _UNITS.get(unit.lower())
    if factor is None:
        raise ValueError(f"unknown size unit {unit!r} in {spec!r}")
    return int(number * factor)


def floor_bytes(spec: str | int, archive_root: Path, usage: DiskUsageFn = disk_usage) -> int:
    """The floor in bytes, resolving a percentage against the archive's filesystem."""
    total = usage(Path(archive_root)).total if isinstance(spec, str) and "%" in spec else None
    return parse_size(spec, total)
