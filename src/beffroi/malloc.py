"""glibc's allocator, set for Beffroi's long-running processes of many threads.

Measured at 170 cameras (`docs/design/ingest.md`, *Memory*): glibc gives each thread
that contends an arena of its own (up to eight a core), and raises its mmap threshold
after each large free, so the pictures held at a session's start (waiting for the
camera's first RTCP report) and every keyframe stay in fragmented heaps. Two arenas and
keyframes in their own mappings took a recording worker of 28 cameras from 130-150 MiB
to 66-69 MiB; giving the free pages inside the heap back every 10 s (`Trimmer`), to 46-48 MiB.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import time
from collections.abc import Callable

# mallopt's parameters (glibc's malloc.h).
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8
ARENAS = 2
MMAP_THRESHOLD = 64 * 1024  # a 720p keyframe (60-100 KB) is mapped, and unmapped when freed
TRIM_PERIOD_S = 10.0


def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c"))
    except (OSError, TypeError):
        return None


def tune_allocator() -> bool:
    """Call before the process starts its threads; False where libc is not glibc."""
    mallopt = getattr(_libc(), "mallopt", None)
    if mallopt is None:
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(_M_ARENA_MAX, ARENAS)) and bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD))


class Trimmer:
    """Gives the heap's free pages back to the system, at most every `period_s`.

    Called from a loop the process already runs; `malloc_trim` walks the heap (2-7 ms
    for a worker's, measured)."""

    def __init__(
        self, period_s: float = TRIM_PERIOD_S, now: Callable[[], float] = time.monotonic
    ) -> None:
        self.period_s, self.now = period_s, now
        self._trim = getattr(_libc(), "malloc_trim", None)
        if self._trim is not None:
            self._trim.argtypes, self._trim.restype = [ctypes.c_size_t], ctypes.c_int
        self._last = now()
        self.trims = 0

    def __call__(self) -> None:
        if self._trim is None or self.now() - self._last < self.period_s:
            return
        self._last = self.now()
        self._trim(0)
        self.trims += 1
