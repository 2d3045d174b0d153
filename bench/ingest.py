"""Recording cost per camera: Beffroi's recorder against `ffmpeg -c copy -f segment`.

    python -m bench.ingest --cameras 170 --seconds 180 [--readers ffmpeg,native]

Both record the same simulated cameras (720p, 15 fps, 1.5 Mbit/s H.264) in the same
run: first `beffroi run` on a generated site (once per RTSP client of `--readers`:
FFmpeg's through PyAV, and Beffroi's own, `reader: native`), then the baseline, one
`ffmpeg -rtsp_transport tcp -i URL -c copy -f segment` process per camera (what
Frigate and ZoneMinder do). Prints CPU per stream (% of one core), memory (PSS) per
stream, segments and frames lost, and the ratios. The simulator runs in processes of
its own and is not counted. Needs the `ffmpeg` binary (apt-get install ffmpeg).
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from beffroi.sim.runner import ShardedServer
from beffroi.sim.specs import make_cameras
from bench.procstat import children, cpu_seconds, machine_busy_seconds, sample

WARMUP_S = 20.0


@dataclass
class Result:
    name: str
    cameras: int
    seconds: float
    cpu_s: float
    machine_s: float  # whole machine busy, minus the simulator's processes
    pss: int
    segments: int
    frames: int
    expected_frames: int

    @property
    def cpu_pct_per_stream(self) -> float:
        return 100 * self.cpu_s / self.seconds / self.cameras

    @property
    def machine_pct_per_stream(self) -> float:
        return 100 * self.machine_s / self.seconds / self.cameras

    @property
    def pss_per_stream_mib(self) -> float:
        return self.pss / self.cameras / 2**20

    def line(self) -> str:
        lost = max(0, self.expected_frames - self.frames)
        return (
            f"{self.name:9s} {self.cameras:4d} cams  CPU/stream {self.cpu_pct_per_stream:6.2f}% "
            f"of a core (machine-wide {self.machine_pct_per_stream:5.2f}%)  "
            f"PSS/stream {self.pss_per_stream_mib:6.2f} MiB  segments {self.segments:6d}"
            f"  frames lost {lost} of {self.expected_frames}"
        )


def site_yaml(n: int, port: int, reader: str = "ffmpeg") -> str:
    lines = [
        "communes:",
        "  - {id: bench, name: Bench}",
        "recording:",
        "  segment_seconds: 60",
        f"  cameras_per_worker: {os.environ.get('BENCH_PER_WORKER', '30')}",
        "cameras:",
    ]
    for i in range(n):
        lines.append(
            f"  - {{id: cam-{i:03d}, name: Cam {i}, commune: bench, reader: {reader}, "
            f"stream: 'rtsp://127.0.0.1:{port}/cam{i}', location: {{lat: 47.35, lon: 0.66}}, "
            f"authorisation: {{reference: B-{i}, expires: 2031-01-01}}}}"
        )
    return "\n".join(lines) + "\n"


SIM_PIDS: list[int] = []
PROFILE_S = 0.0  # --profile: seconds of py-spy on the supervisor and the busiest worker


def measure(pids: list[int], seconds: float) -> tuple[float, float, int]:
    """(process-tree CPU s, machine CPU s minus the simulator, peak PSS bytes)."""
    cpu0, _ = sample(pids)
    sim0 = sample(SIM_PIDS)[0] + cpu_seconds(os.getpid())  # the simulator and this script
    busy0 = machine_busy_seconds()
    t0 = time.monotonic()
    pss_max = 0
    while time.monotonic() - t0 < seconds:
        time.sleep(5)
        pss_max = max(pss_max, sample(pids)[1])
    cpu1, _ = sample(pids)
    sim1 = sample(SIM_PIDS)[0] + cpu_seconds(os.getpid())
    machine = machine_busy_seconds() - busy0 - (sim1 - sim0)
    return cpu1 - cpu0, machine, pss_max


def run_beffroi(n: int, port: int, seconds: float, work: Path, reader: str) -> Result:
    site = work / f"site-{reader}.yaml"
    site.write_text(site_yaml(n, port, reader))
    data = work / f"beffroi-data-{reader}"
    env = dict(os.environ, BEFFROI_ADMIN_PASSWORD="Bench-password-2026!")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "beffroi.cli",
            "run",
            "--site",
            str(site),
            "--data",
            str(data),
            "--listen",
            "127.0.0.1:18080",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(work / "beffroi.log").open("w"),
    )
    time.sleep(WARMUP_S)
    t_start_ms = time.time() * 1000
    workers = children(proc.pid)
    before = {p: cpu_seconds(p) for p in [proc.pid, *workers]}
    spies = _profile([proc.pid, *workers], seconds) if PROFILE_S else None
    cpu, machine, pss = measure([proc.pid], seconds)
    t_end_ms = time.time() * 1000
    split = {p: 100 * (cpu_seconds(p) - c) / seconds for p, c in before.items()}
    print(
        f"beffroi CPU split (% of a core): supervisor {split.pop(proc.pid):.1f}, workers "
        + ", ".join(f"{v:.1f}" for v in split.values()),
        flush=True,
    )
    proc.send_signal(signal.SIGINT)
    proc.wait(60)
    if spies is not None:
        spies()
    db = sqlite3.connect(data / "beffroi.sqlite3")
    # Coverage of the measured window: any lost packet run, segment or camera shows up
    # as missing seconds; frames inside are compared with what 15 fps gives.
    segs, _frames, covered = db.execute(
        "select count(*), coalesce(sum(frames), 0),"
        " coalesce(sum(min(end_ms, :e) - max(start_ms, :s)), 0)"
        " from segments where end_ms > :s and start_ms < :e",
        {"s": t_start_ms, "e": t_end_ms},
    ).fetchone()
    window_ms = (t_end_ms - t_start_ms) * n
    print(
        f"beffroi coverage of the window: {100 * covered / window_ms:.3f}% "
        f"({(window_ms - covered) / 1000:.1f} camera-seconds missing)",
        flush=True,
    )
    _explain_missing(db, t_start_ms, t_end_ms)
    full = db.execute(
        "select coalesce(sum(frames), 0), coalesce(sum(end_ms - start_ms), 0) from segments"
        " where start_ms >= :s and end_ms <= :e",
        {"s": t_start_ms, "e": t_end_ms},
    ).fetchone()
    return Result(
        f"beffroi-{reader}", n, seconds, cpu, machine, pss, segs, full[0],
        round(full[1] / 1000 * 15),
    )  # fmt: skip


def _profile(pids: list[int], seconds: float) -> Any:
    """py-spy on the supervisor and the busiest worker, in the background; returns the
    function that waits for them and prints the breakdown by stage."""
    from concurrent.futures import ThreadPoolExecutor

    from bench.profile import record, summarise

    c0 = {p: cpu_seconds(p) for p in pids[1:]}
    time.sleep(2)
    busiest = max(pids[1:], key=lambda p: cpu_seconds(p) - c0[p]) if pids[1:] else pids[0]
    pool = ThreadPoolExecutor(2)
    duration = min(PROFILE_S, seconds - 5)
    jobs = {
        name: pool.submit(record, pid, duration)
        for name, pid in (("supervisor", pids[0]), ("worker", busiest))
    }

    def report() -> None:
        for name, job in jobs.items():
            print(f"-- profile of the {name} --\n{summarise(job.result())}", flush=True)

    return report


def _explain_missing(db: sqlite3.Connection, start: float, end: float) -> None:
    """Where the missing seconds are: before a camera's first segment, between
    segments, or after its last one (then the stop did not index it)."""
    late = inner = early = 0.0
    rows = db.execute(
        "select camera_id, start_ms, end_ms from segments where end_ms > ? and start_ms < ?"
        " order by camera_id, start_ms",
        (start, end),
    ).fetchall()
    by_cam: dict[str, list[tuple[int, int]]] = {}
    for cam, s, e in rows:
        by_cam.setdefault(cam, []).append((s, e))
    for spans in by_cam.values():
        late += max(0.0, spans[0][0] - start)
        early += max(0.0, end - spans[-1][1])
        inner += sum(max(0, b[0] - a[1]) for a, b in itertools.pairwise(spans))
    print(
        f"  missing: {late / 1000:.1f} s before first segments, {inner / 1000:.1f} s in gaps, "
        f"{early / 1000:.1f} s after last segments; cameras with footage: {len(by_cam)}",
        flush=True,
    )


def run_ffmpeg(n: int, port: int, seconds: float, work: Path) -> Result:
    out = work / "ffmpeg"
    procs = []
    for i in range(n):
        d = out / f"cam{i}"
        d.mkdir(parents=True)
        procs.append(
            subprocess.Popen(
                [
                    "ffmpeg",
                    "-nostdin",
                    "-loglevel",
                    "error",
                    "-rtsp_transport",
                    "tcp",
                    "-i",
                    f"rtsp://127.0.0.1:{port}/cam{i}",
                    "-c",
                    "copy",
                    "-f",
                    "segment",
                    "-segment_time",
                    "60",
                    "-reset_timestamps",
                    "1",
                    str(d / "%05d.mp4"),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
    time.sleep(WARMUP_S)
    cpu, machine, pss = measure([p.pid for p in procs], seconds)
    for p in procs:
        p.send_signal(signal.SIGINT)
    for p in procs:
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            p.kill()
    segs = sum(1 for _ in out.rglob("*.mp4"))
    return Result("ffmpeg", n, seconds, cpu, machine, pss, segs, 0, 0)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--cameras", type=int, default=170)
    ap.add_argument("--seconds", type=float, default=180)
    ap.add_argument("--port", type=int, default=18554)
    ap.add_argument("--sim-processes", type=int, default=2)
    ap.add_argument("--skip-baseline", action="store_true")
    ap.add_argument("--readers", default="ffmpeg,native", help="RTSP clients to measure")
    ap.add_argument(
        "--profile", type=float, default=0, help="seconds of py-spy (pip install py-spy)"
    )
    args = ap.parse_args()
    global PROFILE_S
    PROFILE_S = args.profile
    if not args.skip_baseline and shutil.which("ffmpeg") is None:
        print("the baseline needs ffmpeg: apt-get install ffmpeg", file=sys.stderr)
        return 2
    cams = make_cameras(args.cameras, width=1280, height=720, fps=15, bitrate=1_500_000)
    with (
        tempfile.TemporaryDirectory(prefix="beffroi-bench-") as tmp,
        ShardedServer(cams, "127.0.0.1", args.port, processes=args.sim_processes) as sim,
    ):
        SIM_PIDS.extend(sim.pids)
        work = Path(tmp)
        results = []
        for reader in args.readers.split(","):
            results.append(run_beffroi(args.cameras, args.port, args.seconds, work, reader))
            print(results[-1].line(), flush=True)
        if not args.skip_baseline:
            f = run_ffmpeg(args.cameras, args.port, args.seconds, work)
            print(f.line(), flush=True)
            for b in results:
                print(
                    f"ratio {b.name}/ffmpeg: CPU "
                    f"{b.cpu_pct_per_stream / f.cpu_pct_per_stream:.2f}x (machine-wide "
                    f"{b.machine_pct_per_stream / f.machine_pct_per_stream:.2f}x), "
                    f"memory {b.pss_per_stream_mib / f.pss_per_stream_mib:.2f}x"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
