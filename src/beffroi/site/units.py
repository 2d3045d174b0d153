"""Durations and disk sizes as a town's administrator writes them in the site file.

Pure functions: they raise `ValueError` with a message in plain words, which the site
models turn into a located problem.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DAY_S = 86_400
# CSI L252-5: recordings are destroyed after at most one month, read as 30 days.
MAX_RETENTION_S = 30 * DAY_S
MAX_RETENTION_DAYS = MAX_RETENTION_S // DAY_S

_DURATION = re.compile(r"^(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?$")
_UNIT_S = {"d": DAY_S, "h": 3600, "m": 60}


def parse_duration(text: str) -> int:
    """Seconds in a duration like `15d`, `36h`, `90m` or `1d12h` (units in that order).

    `m` is minutes, never months: a month is not a fixed length, and the law counts
    retention in days.
    """
    compact = text.strip().replace(" ", "")
    match = _DURATION.match(compact)
    if not compact or match is None:
        hint = "not a duration: use e.g. 15d, 36h, 90m or 1d12h (d = days, h = hours, m = minutes)"
        if compact.isdigit():
            hint += f"; a number alone has no unit: did you mean {compact}d?"
        raise ValueError(hint)
    return sum(int(v) * _UNIT_S[k] for k, v in match.groupdict().items() if v is not None)


def format_duration(seconds: int) -> str:
    """The shortest spelling of a whole number of minutes: 1296000 -> `15d`."""
    if seconds <= 0 or seconds % 60:
        raise ValueError("only positive whole minutes have a spelling")
    parts = []
    for unit, size in _UNIT_S.items():
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


def parse_retention(text: str) -> int:
    """Seconds of a camera's retention, refused when zero or above the legal maximum."""
    seconds = parse_duration(text)
    if seconds <= 0:
        raise ValueError("retention must be longer than zero")
    if seconds > MAX_RETENTION_S:
        raise ValueError(
            f"retention {text.strip()} exceeds the legal maximum of {MAX_RETENTION_DAYS} days "
            "(CSI L252-5)"
        )
    return seconds


_SIZE_UNITS = {
    "": 1,
    "b": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
}
_SPACE = re.compile(r"^(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>%|[a-zA-Z]*)$")


@dataclass(frozen=True)
class SpaceFloor:
    """Free space the recorder keeps on a volume: a share of it or a fixed size."""

    percent: float | None = None
    size_bytes: int | None = None

    def bytes_for(self, volume_bytes: int) -> int:
        """The floor in bytes on a volume of `volume_bytes`."""
        if self.percent is not None:
            return int(volume_bytes * self.percent / 100)
        return self.size_bytes or 0


def parse_space(text: str) -> SpaceFloor:
    """`5%`, `20GB`, `500MiB`: a percentage of the volume or a size (SI or binary units)."""
    match = _SPACE.match(text.strip())
    if match is None:
        raise ValueError("not a size: use a percentage like 5% or a size like 20GB or 500MiB")
    number = float(match["num"])
    unit = match["unit"].lower()
    if unit == "%":
        if not 0 < number < 100:
            raise ValueError("a free-space percentage must be between 0% and 100%")
        return SpaceFloor(percent=number)
    if unit not in _SIZE_UNITS:
        raise ValueError(
            f"unknown size unit '{match['unit']}': use %, B, KB, MB, GB, TB, KiB, MiB, GiB or TiB"
        )
    return SpaceFloor(size_bytes=int(number * _SIZE_UNITS[unit]))
