"""Recording cost stage by stage: what each step of the packet path adds per camera.

    python -m bench.ingest_stages --cameras 30 --seconds 30

One process records a worker's shard of simulated cameras (720p, 15 fps, 1.5 Mbit/s)
several times over, each run adding a stage, and prints the process's CPU per camera:

- `demux`: PyAV's RTSP session alone (`container.demux`, the recorder's options);
- `pictures`: + whole pictures and the frame clock (`ingest.pictures.Pictures`);
- `archive`: + the segment writer (mux, SHA-256, write, fsync), no events;
- `recorder`: the real `CameraRecorder` with `ArchiveSinks`, events counted in-process;
- `worker`: + the events sent to another process through a multiprocessing queue, as
  a worker sends them to the supervisor.

The differences between lines are each stage's cost. The simulator runs in processes
of its own and is not counted.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import av

from beffroi.archive.sink import ArchiveSinks
from beffroi.ingest.camera import CameraRecorder
from beffroi.ingest.pictures import Pictures
from beffroi.ingest.sources import SourcePacket, wall_ms
from beffroi.ingest.spec import CameraSpec, VideoTrack
from beffroi.ingest.worker import QueueEmit
from beffroi.sim.runner import ShardedServer
from beffroi.sim.specs import make_cameras

WARMUP_S = 8.0
OPTIONS = {"rtsp_transport": "tcp", "timeout": "10000000", "allowed_media_types": "video"}


class CountingEmit:
    def __init__(self) -> None:
        self.events = 0

    def state(self, _state: Any) -> None:
        self.events += 1

    def segment(self, _info: Any) -> None:
        self.events += 1

    def live(self, _camera: str, _live: Any) -> None:
        self.events += 1


def _session(url: str, stop: threading.Event, each: Callable[[Any, Any], None] | None) -> None:
    container = av.open(url, options=OPTIONS)
    stream = container.streams.video[0]
    state: Any = None
    try:
        for packet in container.demux(stream):
            if stop.is_set():
                break
            if each is not None:
                state = each(stream, packet) if state is None else state(packet)
    finally:
        container.close()


def _pictures(archive: Path | None) -> Callable[[Any, Any], Any]:
    def first(stream: Any, packet: Any) -> Callable[[Any], None]:
        track = VideoTrack.of_stream(stream)
        pictures = Pictures(track)
        writer = None
        if archive is not None:
            writer = ArchiveSinks(archive).open(f"cam-{id(stream)}", track, CountingEmit())

        def each(p: Any) -> None:
            item = SourcePacket(p, wall_ms(), None, whole=False)
            for pkt, at_ms, source in pictures.feed(item, time.monotonic_ns()):
                if writer is not None:
                    writer.write(pkt, at_ms, source)

        each(packet)
        return each

    return first


def _drain(events: Any) -> None:
    while events.get() is not None:
        pass


def run(stage: str, urls: list[str], seconds: float, work: Path) -> float:
    """CPU seconds per camera per second of this process for `stage`."""
    stop = threading.Event()
    threads: list[threading.Thread] = []
    recorders: list[CameraRecorder] = []
    drain = None
    if stage in ("recorder", "worker"):
        sinks = ArchiveSinks(work / stage)
        if stage == "worker":
            events: Any = mp.get_context("spawn").Queue()
            drain = mp.get_context("spawn").Process(target=_drain, args=(events,))
            drain.start()
            emit: Any = QueueEmit(events)
        else:
            emit = CountingEmit()
        for i, url in enumerate(urls):
            rec = CameraRecorder(CameraSpec(f"cam-{i:03d}", url), sinks, emit)
            recorders.append(rec)
            threads.append(threading.Thread(target=rec.run, daemon=True))
    else:
        each = None
        if stage in ("pictures", "archive"):
            each = _pictures(work / stage if stage == "archive" else None)
        for url in urls:
            threads.append(threading.Thread(target=_session, args=(url, stop, each), daemon=True))
    for t in threads:
        t.start()
    time.sleep(WARMUP_S)
    r0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
    time.sleep(seconds)
    r1, t1 = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
    stop.set()
    for rec in recorders:
        rec.stop_event.set()
    for t in threads:
        t.join(15)
    if drain is not None:
        events.put(None)
        drain.join(10)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return cpu / (t1 - t0) / len(urls)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--cameras", type=int, default=30)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--port", type=int, default=18654)
    ap.add_argument("--stages", default="demux,pictures,archive,recorder,worker")
    args = ap.parse_args()
    cams = make_cameras(args.cameras, width=1280, height=720, fps=15, bitrate=1_500_000)
    urls = [f"rtsp://127.0.0.1:{args.port}/cam{i}" for i in range(args.cameras)]
    with (
        tempfile.TemporaryDirectory(prefix="beffroi-stages-") as tmp,
        ShardedServer(cams, "127.0.0.1", args.port, processes=2),
    ):
        before = 0.0
        for stage in args.stages.split(","):
            per_cam = run(stage, urls, args.seconds, Path(tmp))
            print(
                f"{stage:9s} {100 * per_cam:5.2f} % of a core per camera "
                f"(+{100 * (per_cam - before):5.2f})",
                flush=True,
            )
            before = per_cam
    return 0


if __name__ == "__main__":
    sys.exit(main())
