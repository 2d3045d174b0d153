"""Measure the server's CPU cost: ``python -m beffroi.sim.bench --cameras 200 --seconds 20``.

The cameras run in ``--processes`` worker processes (see :class:`ShardedServer`); one raw
draining client per camera runs in this process. Server CPU is read from ``/proc`` for the
worker processes only, so the clients' cost is excluded.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time

from beffroi.sim.rawclient import drain_many
from beffroi.sim.runner import ShardedServer
from beffroi.sim.specs import make_cameras, parse_bitrate, parse_size

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cameras", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--size", type=parse_size, default=(1280, 720))
    parser.add_argument("--fps", type=int, default=15)
    parser.add_argument("--bitrate", type=parse_bitrate, default=1_500_000)
    parser.add_argument("--codec", choices=("h264", "h265"), default="h264")
    parser.add_argument("--cache-dir", default=None)
    args = parser.parse_args(argv)
    width, height = args.size
    cameras = make_cameras(
        args.cameras,
        codec=args.codec,
        width=width,
        height=height,
        fps=args.fps,
        bitrate=args.bitrate,
    )
    with ShardedServer(cameras, port=0, processes=args.processes, cache_dir=args.cache_dir) as srv:
        before = {pid: _cpu_seconds(pid) for pid in srv.pids}
        started = time.monotonic()
        results = asyncio.run(drain_many(srv.urls, args.seconds))
        wall = time.monotonic() - started
        cpu = {pid: _cpu_seconds(pid) - before[pid] for pid in srv.pids}
        stats = srv.stats()
    errors = [r for r in results if r.error]
    rates = sorted(r.bitrate for r in results if not r.error)
    total_cpu = sum(cpu.values())
    print(f"cameras={args.cameras} processes={args.processes} wall={wall:.1f}s")
    print(f"server CPU: {100 * total_cpu / wall:.1f}% of one core in total")
    for pid, seconds in cpu.items():
        print(f"  worker {pid}: {100 * seconds / wall:.1f}%")
    if rates:
        print(
            f"per-stream received bitrate: min {rates[0] / 1e6:.2f} "
            f"median {rates[len(rates) // 2] / 1e6:.2f} Mbit/s; "
            f"total {sum(r.bytes_received for r in results) * 8 / wall / 1e6:.0f} Mbit/s"
        )
    for index, worker in enumerate(stats):
        print(
            f"  worker {index}: frames sent {worker['frames_sent']:.0f}, skipped "
            f"{worker['frames_skipped']:.0f}, late(>100ms) {worker['late_frames']:.0f}, "
            f"max lateness {1000 * worker['max_lateness']:.0f} ms"
        )
    print(f"client errors: {len(errors)}")
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
