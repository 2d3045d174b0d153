"""Pre-encoded clips: generated once with PyAV and cached on disk.

Storage format: an MP4 file (H.264 or H.265 video only) named after every parameter that
influences its content, e.g. ``h264_1280x720_15fps_1500000bps_10s_synthetic_v1.mp4``. MP4 keeps
per-frame timestamps and keyframe flags and can be inspected with any player; the parameter
sets live in the ``avcC``/``hvcC`` extradata. :func:`beffroi.sim.bitstream.load_clip` parses
the file back with PyAV into access units.

Encoding settings: no B-frames, a closed GOP of ``gop_seconds`` (one second by default:
a keyframe every ``fps`` frames, scene-cut detection off), average bitrate with a VBV buffer
of one second so the bitrate stays roughly constant. A clip always holds a whole number of
GOPs, so looping keeps the keyframe spacing.

Variable frame rate (``vfr_idle_fps``, the "smart codecs" H.264+/H.265+ that film a quiet
scene at a lower rate) is encoded into the clip itself: in alternating periods of
``vfr_period_s``, first at ``fps`` then at about ``vfr_idle_fps``, the frames the camera does
not film are simply not encoded, and the others keep the presentation time at which they
were filmed. Every frame thus references only frames that are sent, and the stream decodes
whole, as a real camera's would. The alternation follows the clip, so it restarts with the
session's media timeline (it starts at PLAY, and PAUSE suspends it).

Files are written to a temporary name in the cache directory and atomically renamed, so
several processes may generate the same clip concurrently without corrupting the cache.
"""

from __future__ import annotations

import gzip
import logging
import math
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Literal

import av
import numpy as np
from av.video.frame import PictureType

from beffroi.sim.pattern import PatternGenerator

__all__ = [
    "ClipSpec",
    "Codec",
    "Source",
    "default_cache_dir",
    "encode_count",
    "ensure_clip",
    "find_vtest",
]

log = logging.getLogger(__name__)

Codec = Literal["h264", "h265"]
Source = Literal["synthetic", "vtest"]

# Bump when the encoder settings or the pattern change, so stale cache entries are ignored.
FORMAT_VERSION = 1

VTEST_CANDIDATES = (
    Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi"),
    Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi.gz"),
)

_encode_lock = threading.Lock()
_path_locks: dict[Path, threading.Lock] = {}
_encode_count = 0


@dataclass(frozen=True)
class ClipSpec:
    codec: Codec = "h264"
    width: int = 1280
    height: int = 720
    fps: int = 15
    bitrate: int = 1_500_000
    duration: float = 10.0
    source: Source = "synthetic"
    gop_seconds: float = 1.0
    vfr_idle_fps: float | None = None
    vfr_period_s: float = 10.0

    def __post_init__(self) -> None:
        if self.codec not in ("h264", "h265"):
            raise ValueError(f"unsupported codec {self.codec!r}")
        if self.source not in ("synthetic", "vtest"):
            raise ValueError(f"unsupported source {self.source!r}")
        if self.width <= 0 or self.height <= 0 or self.width % 2 or self.height % 2:
            raise ValueError("width and height must be positive and even")
        if not 1 <= self.fps <= 120:
            raise ValueError("fps must be between 1 and 120")
        if self.duration <= 0 or self.bitrate <= 0:
            raise ValueError("duration and bitrate must be positive")
        if not 0 < self.gop_seconds <= 3600:
            raise ValueError("gop_seconds must be in ]0, 3600]")
        if self.vfr_idle_fps is not None and not 0 < self.vfr_idle_fps < self.fps:
            raise ValueError("vfr_idle_fps must be positive and below fps")
        if not 0 < self.vfr_period_s <= 3600:
            raise ValueError("vfr_period_s must be in ]0, 3600]")

    @property
    def gop_frames(self) -> int:
        """Frames from one keyframe to the next (``gop_seconds`` rounded to whole frames)."""
        return max(round(self.gop_seconds * self.fps), 1)

    @property
    def vfr_period_frames(self) -> int:
        return max(round(self.vfr_period_s * self.fps), 1)

    @property
    def frame_count(self) -> int:
        """Frame slots (at ``fps``) in one loop: ``duration`` rounded up to whole GOPs, and
        to whole VFR cycles (full-rate period + idle period) when ``vfr_idle_fps`` is set."""
        cycle = self.gop_frames
        if self.vfr_idle_fps is not None:
            cycle = math.lcm(cycle, 2 * self.vfr_period_frames)
        frames = max(round(self.duration * self.fps), 1)
        return -(-frames // cycle) * cycle

    @property
    def loop_seconds(self) -> float:
        return self.frame_count / self.fps

    def is_filmed(self, index: int) -> bool:
        """Whether frame slot ``index`` holds a frame (always, unless in a VFR idle period).

        In an idle period the camera films keyframes (so every GOP stays decodable) and the
        first slot at or after each multiple of ``1/vfr_idle_fps`` seconds.
        """
        idle_fps = self.vfr_idle_fps
        if idle_fps is None or (index // self.vfr_period_frames) % 2 == 0:
            return True
        if index % self.gop_frames == 0:
            return True
        return math.floor(index * idle_fps / self.fps) > math.floor(
            (index - 1) * idle_fps / self.fps
        )

    def file_name(self) -> str:
        # Named after what is encoded: the duration actually looped, GOP and VFR only when
        # not the default (so the cache entries of default clips keep their names).
        duration = f"{self.loop_seconds:g}".replace(".", "p")
        extra = f"_gop{self.gop_frames}f" if self.gop_frames != self.fps else ""
        if self.vfr_idle_fps is not None:
            idle = f"{self.vfr_idle_fps:g}".replace(".", "p")
            extra += f"_vfr{idle}fps{self.vfr_period_frames}f"
        return (
            f"{self.codec}_{self.width}x{self.height}_{self.fps}fps_{self.bitrate}bps_"
            f"{duration}s{extra}_{self.source}_v{FORMAT_VERSION}.mp4"
        )


def default_cache_dir() -> Path:
    env = os.environ.get("BEFFROI_CACHE")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "beffroi" / "clips"


def encode_count() -> int:
    """Number of clips encoded by this process (lets tests prove the cache is used)."""
    return _encode_count


def find_vtest() -> Path | None:
    """Locate OpenCV's ``vtest.avi`` street footage (``$BEFFROI_VTEST`` first)."""
    env = os.environ.get("BEFFROI_VTEST")
    candidates = ([Path(env)] if env else []) + list(VTEST_CANDIDATES)
    for path in candidates:
        if path.is_file():
            return path
    return None


def ensure_clip(spec: ClipSpec, cache_dir: Path | str | None = None) -> Path:
    """Return the path of the cached clip for ``spec``, encoding it first if needed.

    ``source="vtest"`` silently falls back to the synthetic pattern (logged as a warning) when
    the OpenCV sample is not installed; the cache key records the source actually used.
    """
    if spec.source == "vtest" and find_vtest() is None:
        log.warning("vtest.avi not found (install opencv-doc); using the synthetic pattern")
        spec = replace(spec, source="synthetic")
    directory = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / spec.file_name()
    with _encode_lock:
        path_lock = _path_locks.setdefault(path, threading.Lock())
    # Threads of one process wait for each other; other processes may race, which is safe
    # thanks to the atomic rename (the last writer wins with identical content).
    with path_lock:
        if path.is_file() and path.stat().st_size > 0:
            return path
        _encode_to(spec, path)
    return path


def _encode_to(spec: ClipSpec, path: Path) -> None:
    global _encode_count
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")
    os.close(fd)
    try:
        frames = _vtest_frames(spec) if spec.source == "vtest" else _synthetic_frames(spec)
        _encode(spec, frames, Path(tmp_name))
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    with _encode_lock:
        _encode_count += 1
    log.info("encoded clip %s", path)


def _synthetic_frames(spec: ClipSpec) -> Iterator[av.VideoFrame]:
    """The filmed frames, each with its slot index as ``pts`` (in ``1/fps`` units)."""
    generator = PatternGenerator(spec.width, spec.height, spec.fps)
    for index in range(spec.frame_count):
        picture = generator.frame(index)  # also for skipped slots: the pattern has a state
        if spec.is_filmed(index):
            frame = av.VideoFrame.from_ndarray(picture, format="yuv420p")
            frame.pts = index
            yield frame


def _vtest_frames(spec: ClipSpec) -> Iterator[av.VideoFrame]:
    source = find_vtest()
    assert source is not None
    with tempfile.TemporaryDirectory() as tmp:
        if source.suffix == ".gz":
            plain = Path(tmp) / "vtest.avi"
            with gzip.open(source, "rb") as src, plain.open("wb") as dst:
                shutil.copyfileobj(src, dst)
            source = plain
        decoded = _decode_all(source, spec)
    if not decoded:
        raise RuntimeError(f"no frame decoded from {source}")
    # Resample to the requested rate by picking the source frame shown at each output time.
    src_fps = decoded[1]
    frames = decoded[0]
    for index in range(spec.frame_count):
        if spec.is_filmed(index):
            src_index = int(index * src_fps / spec.fps) % len(frames)
            frame = av.VideoFrame.from_ndarray(frames[src_index], format="yuv420p")
            frame.pts = index
            yield frame


def _decode_all(source: Path, spec: ClipSpec) -> tuple[list[np.ndarray], float]:
    frames: list[np.ndarray] = []
    with av.open(str(source)) as container:
        stream = container.streams.video[0]
        rate = stream.average_rate or stream.guessed_rate or Fraction(10)
        src_fps = float(rate)
        needed = int(spec.loop_seconds * src_fps) + 1
        for frame in container.decode(stream):
            scaled = frame.reformat(width=spec.width, height=spec.height, format="yuv420p")
            frames.append(scaled.to_ndarray())
            if len(frames) >= needed:
                break
    return frames, src_fps


def _encode(spec: ClipSpec, frames: Iterator[av.VideoFrame], path: Path) -> None:
    kbps = max(spec.bitrate // 1000, 1)
    vfr = spec.vfr_idle_fps is not None
    # The encoder counts encoded frames, not time: with frames left out (VFR) its own
    # keyframe interval would drift, so keyframes are forced at their slots instead.
    gop = spec.frame_count if vfr else spec.gop_frames
    params = (
        f"keyint={gop}:min-keyint={gop}:scenecut=0:bframes=0:open-gop=0:"
        f"vbv-maxrate={kbps}:vbv-bufsize={kbps}:log-level=error"
    )
    options = {"preset": "veryfast"}
    if vfr:
        options["forced-idr"] = "1"
    with av.open(str(path), mode="w", format="mp4") as container:
        if spec.codec == "h264":
            stream = container.add_stream(
                "libx264", rate=spec.fps, options={**options, "x264-params": params}
            )
        else:
            stream = container.add_stream(
                "libx265",
                rate=spec.fps,
                options={**options, "x265-params": f"{params}:repeat-headers=0"},
            )
        stream.width = spec.width
        stream.height = spec.height
        stream.pix_fmt = "yuv420p"
        stream.bit_rate = spec.bitrate
        stream.codec_context.max_b_frames = 0
        stream.codec_context.gop_size = gop
        stream.time_base = Fraction(1, spec.fps)
        for frame in frames:
            frame.time_base = Fraction(1, spec.fps)
            if vfr and frame.pts is not None and frame.pts % spec.gop_frames == 0:
                frame.pict_type = PictureType.I
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
