"""Faithful recording, long runs: record each source for ten minutes (by default) and
judge the archive as `tests/ingest/test_conformance.py` does in 20 s.

    .venv/bin/python -m bench.conformance [--minutes 10] [--only NAME ...]

Sources: GStreamer's gst-rtsp-server in several encoder settings (two-packet keyframes,
4 slices, B-frames, H.265, an AAC or G.711 track, send-time sender reports), VLC's RTSP
server over UDP (B-frames with AAC, 4 slices; no stamps), and the simulator with injected
quirks (drift ±0.5 %, RTP wrap, repeated timestamps, steps, no or lying RTCP, a smart
codec with 10 s GOPs and 1 fps idle periods). Prints, per source: segments, samples,
decode errors, samples that are not one whole picture, `beffroi check`, and the time
error against the sender's own stamps (p50, p99, max). Runs one source at a time, so a
ten-minute run of all of them takes about two hours.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from beffroi.db.engine import make_engine
from beffroi.db.migrate import upgrade
from beffroi.sim.faults import Fault
from beffroi.sim.runner import run_in_thread
from beffroi.sim.specs import CameraSpec
from tests.archive.seed import add_cameras
from tests.ingest.conformance import record_camera
from tests.ingest.test_conformance import GST_CASES, SIM_QUIRKS, VLC_CASES
from tests.peers.gst_camera import gst_camera
from tests.peers.vlc_camera import vlc_camera

Source = Callable[[Path], AbstractContextManager[str]]


@contextmanager
def _sim(fault: Fault | None, cache: Path, **kw: object) -> Iterator[str]:
    camera = CameraSpec(
        name="cam0", width=640, height=360, fps=15, bitrate=800_000, stamp_send_time=True,
        fault=fault, **kw,  # type: ignore[arg-type]
    )  # fmt: skip
    with run_in_thread([camera], cache_dir=cache) as sim:
        yield sim.url("cam0")


def sources() -> dict[str, Source]:
    out: dict[str, Source] = {}
    for name, options in GST_CASES.items():
        out[f"gstreamer-{name}"] = lambda _tmp, o=options: gst_camera(**o)  # type: ignore[misc]
    for name, options in VLC_CASES.items():
        out[f"vlc-udp-{name}"] = lambda tmp, o=options: vlc_camera(tmp, **o)  # type: ignore[misc]
    for name, fault in SIM_QUIRKS.items():
        out[f"sim-{name}"] = lambda tmp, f=fault: _sim(f, tmp / "clips")
    out["sim-smart-codec"] = lambda tmp: _sim(
        None, tmp / "clips", duration=20.0, gop_seconds=10.0, vfr_idle_fps=1.0, vfr_period_s=5.0
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--only", nargs="*", help="source names (default: all)")
    args = parser.parse_args()
    chosen = {k: v for k, v in sources().items() if not args.only or k in args.only}
    for name, source in chosen.items():
        with tempfile.TemporaryDirectory(prefix="beffroi-conformance-") as tmp:
            root = Path(tmp)
            engine = make_engine(f"sqlite:///{root / 'beffroi.sqlite3'}")
            upgrade(engine)
            add_cameras(engine, "cam0")
            with source(root) as url:
                transport = "udp" if name.startswith("vlc-udp") else "tcp"
                minutes = args.minutes * 60
                v = record_camera(engine, root / "archive", url, minutes, 60_000, None, transport)
            errors = sorted(abs(e) for e in v.time_errors_ms)
            times = (
                f"p50 {statistics.median(errors):.1f} p99 {v.error_p99_ms():.1f} "
                f"max {errors[-1]:.1f} ms"
                if errors
                else "no stamps"
            )
            print(f"{name}: {v.summary()}; |time error| {times}", flush=True)
            engine.dispose()


if __name__ == "__main__":
    main()
