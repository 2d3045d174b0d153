"""CPU and memory of process trees, from /proc (Linux)."""

from __future__ import annotations

import os
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids = (task / "children").read_text().split()
        except OSError:
            continue
        for k in kids:
            out.append(int(k))
            out.extend(children(int(k)))
    return out


def tree(pids: list[int]) -> list[int]:
    out: list[int] = []
    for pid in pids:
        out.append(pid)
        out.extend(children(pid))
    return sorted(set(out))


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / CLK_TCK


def pss_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def sample(pids: list[int]) -> tuple[float, int]:
    """(cpu seconds, PSS bytes) summed over the process trees rooted at `pids`."""
    all_pids = tree(pids)
    return sum(cpu_seconds(p) for p in all_pids), sum(pss_bytes(p) for p in all_pids)


def machine_busy_seconds() -> float:
    """CPU time the whole machine spent busy (all cores), from /proc/stat: includes the
    kernel's writeback threads, which write a process's dirty pages on its behalf."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / CLK_TCK
