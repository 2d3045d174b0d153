"""Declarative description of simulated cameras."""

from __future__ import annotations

from dataclasses import dataclass, replace

from beffroi.sim.clips import ClipSpec, Codec, Source
from beffroi.sim.faults import Fault

__all__ = ["CameraSpec", "Credentials", "make_cameras", "parse_bitrate", "parse_size"]


@dataclass(frozen=True)
class Credentials:
    """Username and password required through HTTP Digest authentication."""

    username: str
    password: str


@dataclass(frozen=True)
class CameraSpec:
    """One simulated camera, served at ``rtsp://HOST:PORT/<name>``.

    ``credentials`` overrides the server-wide credentials for this camera; ``fault`` is the
    initial fault (it can be changed later with ``set_fault``).

    Encoder settings of the camera, baked into its clip (see :mod:`beffroi.sim.clips`):
    ``gop_seconds`` is the keyframe interval (up to 10 s and more for "smart codecs"); the
    clip is lengthened to a whole number of GOPs when ``duration`` is not one. With
    ``vfr_idle_fps`` the camera films alternately ``vfr_period_s`` seconds at ``fps`` and
    ``vfr_period_s`` seconds at about ``vfr_idle_fps`` (keyframes always filmed), each frame
    timestamped when it was filmed and sent at that time; the cycle starts at PLAY.
    """

    name: str
    codec: Codec = "h264"
    width: int = 1280
    height: int = 720
    fps: int = 15
    bitrate: int = 1_500_000
    source: Source = "synthetic"
    duration: float = 10.0
    credentials: Credentials | None = None
    fault: Fault | None = None
    # An SEI before each frame with its send time (sim/stamp.py), for latency benchmarks.
    stamp_send_time: bool = False
    gop_seconds: float = 1.0
    vfr_idle_fps: float | None = None
    vfr_period_s: float = 10.0

    def __post_init__(self) -> None:
        if not self.name or "/" in self.name or " " in self.name:
            raise ValueError(f"invalid camera name {self.name!r}")
        self.clip  # noqa: B018 -- validates the encoder settings now, not at server start

    @property
    def clip(self) -> ClipSpec:
        return ClipSpec(
            codec=self.codec,
            width=self.width,
            height=self.height,
            fps=self.fps,
            bitrate=self.bitrate,
            duration=self.duration,
            source=self.source,
            gop_seconds=self.gop_seconds,
            vfr_idle_fps=self.vfr_idle_fps,
            vfr_period_s=self.vfr_period_s,
        )


def make_cameras(count: int, **kwargs: object) -> list[CameraSpec]:
    """Return ``count`` cameras named ``cam0`` .. ``cam{count-1}`` sharing ``kwargs``."""
    template = CameraSpec(name="cam0", **kwargs)  # type: ignore[arg-type]
    return [replace(template, name=f"cam{i}") for i in range(count)]


def parse_size(text: str) -> tuple[int, int]:
    """Parse ``"1280x720"``."""
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise ValueError(f"invalid size {text!r}, expected WIDTHxHEIGHT") from None
    if width <= 0 or height <= 0 or width % 2 or height % 2:
        raise ValueError(f"invalid size {text!r}: dimensions must be positive and even")
    return width, height


def parse_bitrate(text: str) -> int:
    """Parse ``"1500k"``, ``"1.5M"`` or ``"1500000"`` into bits per second."""
    raw = text.strip().lower()
    scale = 1
    if raw.endswith("k"):
        scale, raw = 1000, raw[:-1]
    elif raw.endswith("m"):
        scale, raw = 1_000_000, raw[:-1]
    try:
        value = int(float(raw) * scale)
    except ValueError:
        raise ValueError(f"invalid bitrate {text!r}") from None
    if value <= 0:
        raise ValueError(f"invalid bitrate {text!r}")
    return value
