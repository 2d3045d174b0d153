"""Simulated RTSP cameras looping pre-encoded clips (demo, tests, benchmarks).

Typical use in tests::

    from beffroi.sim import make_cameras, run_in_thread

    with run_in_thread(make_cameras(4, width=640, height=360)) as server:
        url = server.url("cam0")
"""

from beffroi.sim.bitstream import AccessUnit, Clip, load_clip
from beffroi.sim.clips import ClipSpec, default_cache_dir, encode_count, ensure_clip
from beffroi.sim.faults import Fault
from beffroi.sim.rtsp_server import SimulatedCameraServer
from beffroi.sim.runner import ShardedServer, run_in_thread
from beffroi.sim.specs import CameraSpec, Credentials, make_cameras

__all__ = [
    "AccessUnit",
    "CameraSpec",
    "Clip",
    "ClipSpec",
    "Credentials",
    "Fault",
    "ShardedServer",
    "SimulatedCameraServer",
    "default_cache_dir",
    "encode_count",
    "ensure_clip",
    "load_clip",
    "make_cameras",
    "run_in_thread",
]
