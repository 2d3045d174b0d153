"""Live view benchmark: camera → delivered latency over a real WebSocket on loopback, and
the API's CPU per viewer.

    .venv/bin/python -m bench.live [--cameras 4] [--viewers 1,4,16] [--seconds 20]
                                   [--frag-ms 1000]

Everything real: simulated RTSP cameras (720p, 15 fps, 1.5 Mbit/s H.264, a keyframe a
second), the recorder in its worker processes writing one-minute segments, the API
under uvicorn on 127.0.0.1, and viewers in a separate process speaking WebSocket
(`websockets`), as a browser would, N viewers spread over the cameras.

Latency, per frame: the simulator's wall-clock time when it wrote the frame to its
socket (stamped here, in the bench only) → the wall-clock time the WebSocket message
holding that frame was received. Frames are matched through the stream's `epoch_ms`
(wall time of decode time 0): the recorder's arrival estimate of each frame lands
within a few milliseconds of its send time, far less than the 67 ms between frames, so
the nearest send time is that frame's. The first fragments a viewer gets (the GOP it
starts on) are old by design and left out.

CPU per viewer: the bench process (simulator + API; the recorder is in its own
processes and does not change with viewers) over the same window with N viewers and
with none; (N − 0) / N. `--frag-ms` lowers the recorder's fragment duration (the
recorder then runs in threads of this process so that the setting reaches it; the CPU
figures of such a run include the recorder and are not comparable).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from beffroi.access.sessions import open_session
from beffroi.access.tables import user_communes, users
from beffroi.archive import writer
from beffroi.archive.fmp4 import parse_init, parse_moof
from beffroi.archive.layout import PART_SUFFIX, parse_segment_name
from beffroi.clock import SystemClock
from beffroi.db.engine import make_engine
from beffroi.db.migrate import upgrade
from beffroi.ingest.state import Status
from beffroi.sim import session as sim_session
from beffroi.sim.runner import run_in_thread
from beffroi.sim.specs import make_cameras
from beffroi.web.app import create_app
from beffroi.web.context import AppContext
from bench.procstat import cpu_seconds
from tests.archive.seed import add_cameras
from tests.ingest.harness import recording, spec, wait_for

SENT: dict[str, list[float]] = defaultdict(list)  # camera → wall times of its frames
FPS = 15  # and a keyframe every FPS frames (the simulator's GOP is one second)
WARMUP_S = 3.0  # a viewer's first seconds: the GOP it starts on, then steady state


def stamp_sends() -> None:
    """Bench only: record when the simulator writes each frame to its socket."""
    original = sim_session.StreamSession._send_frame

    def send_frame(self: Any, frame: Any, *args: Any) -> None:
        before = self.stats.frames_sent
        original(self, frame, *args)
        if self.stats.frames_sent != before:
            SENT[self.camera.name].append(time.time())

    sim_session.StreamSession._send_frame = send_frame  # type: ignore[method-assign]


# ---- viewers (separate process) ------------------------------------------------------


async def _view(url: str, token: str, seconds: float, out: list[tuple[float, float]]) -> None:
    import websockets  # the bench's own dependency, like a browser on the other side

    async with websockets.connect(
        url,
        subprotocols=["beffroi.live", f"bearer.{token}"],
        max_size=None,  # type: ignore[list-item]
    ) as ws:
        header = json.loads(await ws.recv())
        track = parse_init(await ws.recv())  # type: ignore[arg-type]
        start = time.time()
        while time.time() - start < seconds:
            data = await ws.recv()
            arrived = time.time()
            if isinstance(data, str):
                header = json.loads(data)
                track = parse_init(await ws.recv())  # type: ignore[arg-type]
                continue
            frag = parse_moof(data, track)
            if arrived - start < WARMUP_S:
                continue
            step = frag.duration / max(1, frag.samples)
            for i in range(frag.samples):
                t = (frag.decode_time + i * step) / track.timescale
                out.append((header["epoch_ms"] / 1000 + t, arrived))


async def _viewers(urls: list[str], token: str, seconds: float) -> dict[str, list]:
    results: dict[str, list[tuple[float, float]]] = {u: [] for u in urls}
    await asyncio.gather(*(_view(u, token, seconds, results[u]) for u in urls))
    return results


def client_main(args: argparse.Namespace) -> None:
    urls = json.loads(args.client)
    results = asyncio.run(_viewers(urls, args.token, args.seconds))
    json.dump(results, sys.stdout)


# ---- the server side -------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def first_start_ms(root: Path, camera: str) -> int:
    """Start of the camera's first segment: media time 0 of its RTSP session."""
    starts = []
    for path in (root / camera).rglob("*.mp4*"):
        parsed = parse_segment_name(path.name.removesuffix(PART_SUFFIX))
        if parsed is not None:
            starts.append(parsed[1])
    return min(starts)


def _latencies(
    results: dict[str, list], cameras: list[str], root: Path, fps: int, gop: int
) -> tuple[list[float], list[float]]:
    """(latencies, recorder time bias).

    Media time 0 of a camera's first segment is the first keyframe the recorder kept,
    the k0-th frame the simulator sent, k0 a multiple of the GOP (the recorder may lose
    the first GOPs while FFmpeg probes the stream). The frame at media time t is then
    frame k0 + t·fps. k0 is the one that makes the fastest frame's latency lie in
    [0, one GOP): the last frame of a fragment waits a frame interval plus a poll, never
    a GOP, and a wrong k0 shifts every latency by whole GOPs. The bias is how late the
    recorder's wall time of a frame is against its send time."""
    lat: list[float] = []
    bias: list[float] = []
    gop_s = gop / fps
    for camera in cameras:
        origin = first_start_ms(root, camera) / 1000
        sent = SENT[camera]
        pairs = [
            (round((estimate - origin) * fps), estimate, arrived)
            for url, frames in results.items()
            if f"/{camera}/live" in url
            for estimate, arrived in frames
        ]
        pairs = [(k, e, a) for k, e, a in pairs if 0 <= k < len(sent)]
        if not pairs:
            continue
        shift = int(min(a - sent[k] for k, _e, a in pairs) // gop_s) * gop
        for k, estimate, arrived in pairs:
            if 0 <= k + shift < len(sent):
                lat.append(arrived - sent[k + shift])
                bias.append(estimate - sent[k + shift])
    return lat, bias


def _pct(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--cameras", type=int, default=4)
    p.add_argument("--viewers", default="1,4,16")
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--frag-ms", type=int, default=None)
    p.add_argument("--client", help=argparse.SUPPRESS)
    p.add_argument("--token", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.client:
        client_main(args)
        return
    threads = args.frag_ms is not None
    if threads:
        writer.MUXER_OPTIONS["frag_duration"] = str(args.frag_ms * 1000)
    stamp_sends()
    tmp = Path(tempfile.mkdtemp(prefix="beffroi-live-"))
    names = [f"cam{i}" for i in range(args.cameras)]
    engine = make_engine(f"sqlite:///{tmp / 'beffroi.sqlite3'}")
    upgrade(engine)
    add_cameras(engine, *names)
    with engine.begin() as conn:
        uid = conn.execute(
            insert(users)
            .values(username="op", password_hash="x", role="operator", disabled=False, created_ms=0)
            .returning(users.c.id)
        ).scalar_one()
        conn.execute(insert(user_communes).values(user_id=uid, commune_id="joue-les-tours"))
    clock = SystemClock()
    token = open_session(engine, uid, clock).token
    sims = make_cameras(args.cameras, width=1280, height=720, fps=FPS, bitrate=1_500_000)
    with run_in_thread(sims, cache_dir=Path(tempfile.gettempdir()) / "beffroi-sim-clips") as sim:
        specs = [spec(sim.url(n), n) for n in names]
        root = tmp / "archive"
        with recording(engine, root, specs, segment_ms=60_000, use_processes=not threads) as rig:
            wait_for(
                lambda: all(rig.state(n).status == Status.RECORDING for n in names), 60, "recording"
            )
            _run(args, engine, clock, rig, names, token, threads, sim.stats_dict)


def _run(args: argparse.Namespace, engine: Any, clock: Any, rig: Any, names: list[str],
         token: str, threads: bool, rig_stats: Any) -> None:  # fmt: skip
    import uvicorn

    ctx = AppContext(
        engine=engine,
        clock=clock,
        data_dir=rig.root.parent,
        archive_root=rig.root,
        recorder=rig.supervisor,
        free_floor_bytes=0,
    )
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(ctx), host="127.0.0.1", port=port, log_level="warning")
    )
    api = threading.Thread(target=server.run, name="api", daemon=True)
    api.start()
    wait_for(lambda: server.started, 30, "API started")
    pid = os.getpid()

    def window(urls: list[str]) -> tuple[float, dict[str, list]]:
        cmd = [sys.executable, "-m", "bench.live", "--client", json.dumps(urls)]
        cmd += ["--token", token, "--seconds", str(args.seconds)]
        c0, t0 = cpu_seconds(pid), time.monotonic()
        if urls:
            out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
            results = json.loads(out)
        else:
            time.sleep(args.seconds)
            results = {}
        return (cpu_seconds(pid) - c0) / (time.monotonic() - t0), results

    idle, _ = window([])
    mode = f"fragments ≤ {args.frag_ms} ms (recorder in threads)" if threads else "fragments ≤ 1 s"
    print(
        f"{len(names)} cameras 720p15 1.5 Mbit/s, {mode}; bench process idle: {idle:.1%} of a core"
    )
    print("viewers | latency median | p95 | max | frames | CPU per viewer (of a core) | dropped")
    for n in (int(v) for v in args.viewers.split(",")):
        urls = [f"ws://127.0.0.1:{port}/api/cameras/{names[i % len(names)]}/live" for i in range(n)]
        busy, results = window(urls)
        lat, bias = _latencies(results, names, rig.root, FPS, FPS)
        counters = ctx.live.counters() if ctx.live else {}
        dropped = sum(c.dropped_fragments for c in counters.values())
        print(
            f"{n:7d} | {statistics.median(lat) * 1000:8.0f} ms | {_pct(lat, 0.95) * 1000:5.0f} ms"
            f" | {max(lat) * 1000:5.0f} ms | {len(lat):6d} | {(busy - idle) / n:.2%} | {dropped}"
        )
    print(
        f"recorder's frame times vs send times: {statistics.median(bias) * 1000:+.0f} ms (median)"
    )
    stats = rig_stats()
    print(f"simulator: {stats['frames_skipped']} frames skipped, {stats['late_frames']} late")
    server.should_exit = True
    api.join(10)


if __name__ == "__main__":
    main()
