"""PyAV's RTSP demux against our own reader (`beffroi.ingest.rtsp`), same cameras.

    python -m bench.rtsp_native_bench --cameras 30 --seconds 40 --repeat 2 --strace 5

(The reader was first measured as a prototype here; it is now the production one,
whose correctness `tests/ingest/test_rtsp_reader.py` and the recorder's tests check.)

The bench serves simulated cameras (720p, 15 fps, 1.5 Mbit/s; the simulator in
processes of its own) and runs each mode in a child process that only reads, measuring
its CPU (getrusage) over `--seconds` after a warm-up:

- `pyav-demux`: `av.open` + `container.demux`, a thread per camera (as the recorder);
- `native-threads`: our reader, a thread per camera, blocking `recv_into`;
- `native-selector`: our reader, every camera in one thread around `selectors`;
- `native-batched`: the same, waking at most every `--tick` (50 ms): more per wake-up;
- `+hash` on a native mode: SHA-256 of each picture (a stand-in for the write);
- `+mux` on a native mode: the archive's fMP4 muxer (PyAV), SHA-256 and write, one
  file per camera (no segment roll-over, no fsync until the end).

With `--strace N` the child is then traced for N seconds (`strace -c -f`) for the
system calls per picture.
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing as mp
import resource
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from beffroi.archive.writer import MUXER_OPTIONS, HashingFile
from beffroi.ingest.rtsp.client import RtspError
from beffroi.ingest.rtsp.rtp import START
from beffroi.ingest.rtsp.session import RtspSession
from beffroi.sim.runner import ShardedServer
from beffroi.sim.specs import make_cameras

WARMUP_S = 8.0
OPTIONS = {"rtsp_transport": "tcp", "timeout": "10000000", "allowed_media_types": "video"}
CAMERA = {"width": 1280, "height": 720, "fps": 15, "bitrate": 1_500_000}
TICK = Fraction(1, 90_000)
MODES = (
    "pyav-demux,native-threads,native-selector,native-batched,"
    "native-batched+hash,native-batched+mux"
)


def _pyav(url: str, counts: list[int], i: int, stop: threading.Event) -> None:
    container = av.open(url, options=OPTIONS)
    stream = container.streams.video[0]
    try:
        for packet in container.demux(stream):
            if stop.is_set():
                break
            if packet.size:
                counts[i] += 1
    finally:
        container.close()


def _sink(extra: str, path: str):
    if extra == "hash":
        return lambda ts, data, key: hashlib.sha256(data).digest()
    if extra == "mux":
        return _Muxer(path)
    return lambda ts, data, key: None


class _Muxer:
    """Pictures into the archive's fragmented MP4 muxer and hashing file (one segment)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.stream: Any = None
        self.first = 0

    def __call__(self, ts: int, data: bytes, key: bool) -> None:
        if self.stream is None:
            if not key:
                return
            self.file = HashingFile(Path(self.path))
            self.container = av.open(self.file, mode="w", format="mp4", options=MUXER_OPTIONS)
            self.stream = self.container.add_stream("h264", rate=CAMERA["fps"])
            self.stream.width, self.stream.height = CAMERA["width"], CAMERA["height"]
            nals = data.split(START)  # the SPS and PPS sent before each keyframe
            self.stream.codec_context.extradata = b"".join(START + n for n in nals[1:3])
            self.stream.time_base = TICK
            self.first = ts
        packet = av.Packet(data)
        packet.pts = packet.dts = ts - self.first
        packet.duration, packet.time_base = 6000, TICK
        packet.is_keyframe = key
        packet.stream = self.stream
        self.container.mux(packet)


class _Reader:
    """A production session, its pictures handed to `sink`, as the bench's modes want."""

    def __init__(self, url: str, sink: Any, blocking: bool) -> None:
        self.session = RtspSession(url, None, None, 10.0)
        self.session.conn.sock.setblocking(blocking)
        self.sink = sink
        self.depack = self.session.depack

    def fileno(self) -> int:
        return self.session.conn.sock.fileno()

    def pump(self) -> bool:
        try:
            pictures = self.session.read()
        except BlockingIOError:
            return True
        except (OSError, RtspError):
            return False
        for p in pictures:
            self.sink(p.rtp_ts, p.data, p.keyframe)
        return True

    def close(self) -> None:
        self.session.close()


def _threads(readers: list[_Reader]) -> list[threading.Thread]:
    def loop(reader: _Reader) -> None:
        while reader.pump():
            pass

    return [threading.Thread(target=loop, args=(r,), daemon=True) for r in readers]


def _selector(readers: list[_Reader], stop: threading.Event, tick: float) -> threading.Thread:
    """One thread for every camera; with `tick`, wake-ups at least `tick` seconds apart."""

    def loop() -> None:
        with selectors.DefaultSelector() as sel:
            for reader in readers:
                sel.register(reader, selectors.EVENT_READ, reader)
            while not stop.is_set():
                woke = time.monotonic()
                for key, _ in sel.select(0.5):
                    if not key.data.pump():
                        sel.unregister(key.data)
                if tick and (rest := woke + tick - time.monotonic()) > 0:
                    time.sleep(rest)

    return threading.Thread(target=loop, daemon=True)


def _child(mode: str, urls: list[str], args: argparse.Namespace, workdir: str, conn: Any) -> None:
    """Run one mode, report its CPU over `args.seconds`, then picture counts on request."""
    base, _, extra = mode.partition("+")
    stop = threading.Event()
    readers: list[_Reader] = []
    counts = [0] * len(urls)
    if base == "pyav-demux":
        each = [(u, counts, i, stop) for i, u in enumerate(urls)]
        threads = [threading.Thread(target=_pyav, args=a, daemon=True) for a in each]
    else:
        blocking = base == "native-threads"
        paths = [f"{workdir}/cam{i}.mp4" for i in range(len(urls))]
        readers = [_Reader(u, _sink(extra, p), blocking) for u, p in zip(urls, paths, strict=True)]
        tick = args.tick if base == "native-batched" else 0.0
        threads = _threads(readers) if blocking else [_selector(readers, stop, tick)]
    for t in threads:
        t.start()

    def pictures() -> list[int]:
        return [r.depack.pictures for r in readers] if readers else list(counts)

    def stats() -> tuple[int, int, int, int]:
        d = [r.depack for r in readers]
        reads = sum(r.session.reader.reads for r in readers)
        return (sum(x.lost for x in d), sum(x.dropped for x in d), reads,
                sum(x.packets for x in d))  # fmt: skip

    time.sleep(WARMUP_S)
    p0, s0 = pictures(), stats()
    r0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
    time.sleep(args.seconds)
    r1, t1 = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
    p1, s1 = pictures(), stats()
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    rates = [(b - a) / (t1 - t0) for a, b in zip(p0, p1, strict=True)]
    gaps, dropped, recvs, packets = (b - a for a, b in zip(s0, s1, strict=True))
    conn.send({"cpu": cpu / (t1 - t0) / len(urls), "fps": rates, "gaps": gaps,
               "dropped": dropped, "recvs": recvs, "packets": packets})  # fmt: skip
    while conn.recv() == "count":
        conn.send(sum(pictures()))
    stop.set()
    for reader in readers:
        reader.close()
    for reader in readers:
        if isinstance(muxer := reader.sink, _Muxer) and muxer.stream is not None:
            muxer.container.close()
            muxer.file.close_durably()


def _strace(pid: int, conn: Any, seconds: float) -> tuple[float, str]:
    """System calls per picture of process `pid` over `seconds`, and the top five."""
    with tempfile.NamedTemporaryFile(suffix=".strace") as out:
        tracer = subprocess.Popen(["strace", "-c", "-f", "-p", str(pid), "-o", out.name],
                                  stderr=subprocess.DEVNULL)  # fmt: skip
        time.sleep(0.5)
        conn.send("count")
        before = conn.recv()
        time.sleep(seconds)
        conn.send("count")
        after = conn.recv()
        tracer.send_signal(signal.SIGINT)
        tracer.wait(30)
        with open(out.name) as summary:
            rows = [line.split() for line in summary]
    calls = {r[-1]: int(r[3]) for r in rows if len(r) >= 5 and r[3].isdigit()}
    total = calls.pop("total", 0)
    pics = max(after - before, 1)
    top = sorted(calls.items(), key=lambda kv: -kv[1])[:5]
    return total / pics, ", ".join(f"{name} {n / pics:.1f}" for name, n in top)


def bench(args: argparse.Namespace) -> None:
    cams = make_cameras(args.cameras, **CAMERA)
    urls = [f"rtsp://127.0.0.1:{args.port}/cam{i}" for i in range(args.cameras)]
    ctx = mp.get_context("spawn")
    with ShardedServer(cams, "127.0.0.1", args.port, processes=2):
        for run in range(1, args.repeat + 1):
            ref = None
            for mode in args.modes.split(","):
                parent, child = ctx.Pipe()
                work = tempfile.mkdtemp(prefix="rtsp-native-")
                proc = ctx.Process(target=_child, args=(mode, urls, args, work, child))
                proc.start()
                r = parent.recv()
                ref = ref or r["cpu"]
                line = (f"run {run} {mode:22s} {100 * r['cpu']:5.3f} % of a core per camera "
                        f"({r['cpu'] / ref:4.2f}x pyav)  pictures/s per camera "
                        f"{min(r['fps']):5.2f}-{max(r['fps']):5.2f}")  # fmt: skip
                if mode != "pyav-demux":
                    pics = sum(r["fps"]) * args.seconds
                    line += (f"  gaps {r['gaps']} dropped {r['dropped']} "
                             f"recv/picture {r['recvs'] / pics:4.2f} "
                             f"packets/picture {r['packets'] / pics:4.1f}")  # fmt: skip
                if args.strace:
                    per_pic, top = _strace(proc.pid, parent, args.strace)
                    line += f"\n      syscalls/picture {per_pic:5.1f}: {top}"
                print(line, flush=True)
                parent.send("stop")
                proc.join(20)
                if proc.is_alive():
                    proc.kill()
                shutil.rmtree(work)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--cameras", type=int, default=30)
    ap.add_argument("--seconds", type=float, default=40)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--strace", type=float, default=0, help="seconds traced per mode")
    ap.add_argument("--port", type=int, default=18664)
    ap.add_argument("--tick", type=float, default=0.05, help="native-batched's wake-up period")
    ap.add_argument("--modes", default=MODES)
    args = ap.parse_args()
    bench(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
