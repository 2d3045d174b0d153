"""A camera served by GStreamer's gst-rtsp-server (gst_rtsp_camera.py), for any test.

    with gst_camera(codec="h265", audio="aac") as url:
        container = av.open(url, options={"rtsp_transport": "tcp"})

GStreamer's Python bindings come from Debian (python3-gi, python3-gst-1.0) and work
only under Debian's own /usr/bin/python3, so the server runs there, in its own process.
"""

from __future__ import annotations

import functools
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal, TypedDict, Unpack

from .harness import Peer, PeerError, ready_line, running

SYSTEM_PYTHON = "/usr/bin/python3"
SCRIPT = Path(__file__).with_name("gst_rtsp_camera.py")
APT_PACKAGES = (
    "gir1.2-gst-rtsp-server-1.0 python3-gi python3-gst-1.0 gstreamer1.0-plugins-base "
    "gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly gstreamer1.0-plugins-bad "
    "gstreamer1.0-libav"
)
READY_TIMEOUT_S = 15.0
_IMPORT_CHECK = (
    "import gi; gi.require_version('Gst', '1.0'); gi.require_version('GstRtspServer', '1.0');"
    "from gi.repository import Gst, GstRtspServer; Gst.init(None);"
    "missing = [e for e in ('x264enc', 'x265enc', 'rtph264pay', 'avenc_aac', 'alawenc')"
    " if Gst.ElementFactory.find(e) is None]; assert not missing, missing"
)


class GstOptions(TypedDict, total=False):
    """The camera's settings: see `gst_rtsp_camera.py --help`."""

    codec: Literal["h264", "h265"]
    size: str  # "640x360"
    fps: int
    gop: int  # frames between keyframes
    bframes: int  # > 0: real B-frames, PTS != DTS
    slices: int  # slice NAL units per picture
    audio: Literal["none", "aac", "pcma"]
    bitrate: int  # kbps, 0: the encoder's default
    threads: int  # x264 threads, 0: auto (one slice per thread under zerolatency)
    pattern: str  # videotestsrc pattern
    rtcp_time: Literal["capture", "send"]  # what sender reports map RTP time to


@functools.cache
def check_gstreamer() -> None:
    """Raise, naming the Debian packages, unless Debian's Python has gst-rtsp-server."""
    try:
        result = subprocess.run(
            [SYSTEM_PYTHON, "-c", _IMPORT_CHECK], capture_output=True, text=True, timeout=30
        )
    except FileNotFoundError:
        raise PeerError(f"{SYSTEM_PYTHON} is missing: apt-get install {APT_PACKAGES}") from None
    if result.returncode != 0:
        raise PeerError(
            f"{SYSTEM_PYTHON} cannot run gst-rtsp-server with x264/x265/AAC/A-law: "
            f"apt-get install {APT_PACKAGES} (or run scripts/system-deps.sh)\n{result.stderr}"
        )


def gst_argv(options: GstOptions) -> list[str]:
    argv = [SYSTEM_PYTHON, str(SCRIPT), "--port", "0"]
    for key, value in options.items():
        argv += [f"--{key.replace('_', '-')}", str(value)]
    return argv


@contextmanager
def gst_peer(**options: Unpack[GstOptions]) -> Iterator[Peer]:
    """The running camera (URL, process, stderr); stopped on exit."""
    check_gstreamer()
    with running("gst-rtsp-server camera", gst_argv(options), ready_line(READY_TIMEOUT_S)) as peer:
        yield peer


@contextmanager
def gst_camera(**options: Unpack[GstOptions]) -> Iterator[str]:
    """The RTSP URL of a live GStreamer camera on a free loopback port; stopped on exit.

    Every picture carries its capture time in an SEI (`beffroi.sim.stamp.read_stamp`,
    with `codec="h265"` for H.265). Each client gets its own pipeline.
    """
    with gst_peer(**options) as peer:
        yield peer.url
