"""Pre-encoded clips: generated once with PyAV and cached on disk.

Storage format: an MP4 file (H.264 or H.265 video only) named after every parameter that
influences its content, e.g. ``h264_1280x720_15fps_1500000bps_10s_synthetic_v1.mp4``. MP4 keeps
per-frame timestamps and keyframe flags and can be inspected with any player; the parameter
sets live in the ``avcC``/``hvcC`` extradata. :func:`beffroi.sim.bitstream.load_clip` parses
the file back with PyAV into access units.

Encoding settings: no B-frames, a closed GOP of exactly one second (keyframe every ``fps``
frames, scene-cut detection off), average bitrate with a VBV buffer of one second so the
bitrate stays roughly constant.

Files are written to a temporary name in the cache directory and atomically renamed, so
several processes may generate the same clip concurrently without corrupting the cache.
"""

from __future__ import annotations

import gzip
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Literal

import av
import numpy as np

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

    @property
    def frame_count(self) -> int:
        return max(round(self.duration * self.fps), 1)

    def file_name(self) -> str:
        duration = f"{self.duration:g}".replace(".", "p")
        return (
            f"{self.codec}_{self.width}x{self.height}_{self.fps}fps_{self.bitrate}bps_"
            f"{duration}s_{self.source}_v{FORMAT_VERSION}.mp4"
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
        spec = ClipSpec(**{**spec.__dict__, "source": "synthetic"})
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
    generator = PatternGenerator(spec.width, spec.height, spec.fps)
    for index in range(spec.frame_count):
        yield av.VideoFrame.from_ndarray(generator.frame(index), format="yuv420p")


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
        src_index = int(index * src_fps / spec.fps) % len(frames)
        yield av.VideoFrame.from_ndarray(frames[src_index], format="yuv420p")


def _decode_all(source: Path, spec: ClipSpec) -> tuple[list[np.ndarray], float]:
    frames: list[np.ndarray] = []
    with av.open(str(source)) as container:
        stream = container.streams.video[0]
        rate = stream.average_rate or stream.guessed_rate or Fraction(10)
        src_fps = float(rate)
        needed = int(spec.duration * src_fps) + 1
        for frame in container.decode(stream):
            scaled = frame.reformat(width=spec.width, height=spec.height, format="yuv420p")
            frames.append(scaled.to_ndarray())
            if len(frames) >= needed:
                break
    return frames, src_fps


def _encode(spec: ClipSpec, frames: Iterator[av.VideoFrame], path: Path) -> None:
    kbps = max(spec.bitrate // 1000, 1)
    gop = spec.fps
    with av.open(str(path), mode="w", format="mp4") as container:
        if spec.codec == "h264":
            stream = container.add_stream(
                "libx264",
                rate=spec.fps,
                options={
                    "preset": "veryfast",
                    "x264-params": (
                        f"keyint={gop}:min-keyint={gop}:scenecut=0:bframes=0:open-gop=0:"
                        f"vbv-maxrate={kbps}:vbv-bufsize={kbps}:log-level=error"
                    ),
                },
            )
        else:
            stream = container.add_stream(
                "libx265",
                rate=spec.fps,
                options={
                    "preset": "veryfast",
                    "x265-params": (
                        f"keyint={gop}:min-keyint={gop}:scenecut=0:bframes=0:open-gop=0:"
                        f"vbv-maxrate={kbps}:vbv-bufsize={kbps}:repeat-headers=0:"
                        "log-level=error"
                    ),
                },
            )
        stream.width = spec.width
        stream.height = spec.height
        stream.pix_fmt = "yuv420p"
        stream.bit_rate = spec.bitrate
        stream.codec_context.max_b_frames = 0
        stream.codec_context.gop_size = gop
        stream.time_base = Fraction(1, spec.fps)
        for index, frame in enumerate(frames):
            frame.pts = index
            frame.time_base = Fraction(1, spec.fps)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
