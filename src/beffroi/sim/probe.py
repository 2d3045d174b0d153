"""A small FFmpeg (PyAV) client used by tests: read and decode a few seconds of a stream."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import av
import numpy as np
import numpy.typing as npt

__all__ = ["ProbeResult", "probe"]


@dataclass
class ProbeResult:
    codec: str = ""
    width: int = 0
    height: int = 0
    opened_after: float = 0.0  # seconds spent in av.open (FFmpeg probes a few frames)
    pts: list[float] = field(default_factory=list)  # seconds, one per timed packet
    arrival: list[float] = field(default_factory=list)  # wall seconds since av.open started
    frames: list[npt.NDArray[np.uint8]] = field(default_factory=list)  # decoded luma planes
    decoded: int = 0
    ended: bool = False  # the server closed the stream

    @property
    def media_span(self) -> float:
        return self.pts[-1] - self.pts[0] if len(self.pts) > 1 else 0.0

    @property
    def fps(self) -> float:
        return (len(self.pts) - 1) / self.media_span if self.media_span > 0 else 0.0


def probe(
    url: str,
    seconds: float = 2.0,
    *,
    timeout: float = 5.0,
    wall_limit: float = 20.0,
    keep_frames: int = 4,
    decode: bool = True,
) -> ProbeResult:
    """Read packets until ``seconds`` of media (by pts) were received, or the stream ends.

    FFmpeg errors (401, 404, connection refused...) propagate as ``av.error.FFmpegError``.
    """
    result = ProbeResult()
    start = time.monotonic()
    container = av.open(url, options={"rtsp_transport": "tcp"}, timeout=timeout)
    try:
        result.opened_after = time.monotonic() - start
        stream = container.streams.video[0]
        result.codec = stream.codec_context.name
        result.width = stream.codec_context.width
        result.height = stream.codec_context.height
        # Frame threading delays output by several frames; tests want one frame per packet.
        stream.codec_context.thread_count = 1
        time_base = float(stream.time_base or 0)
        try:
            for packet in container.demux(stream):
                if packet.size == 0:
                    continue
                # FFmpeg's RTSP demuxer gives the very first packet no timestamp; it still
                # carries the first keyframe, so it is decoded but not timed.
                if packet.dts is not None and packet.pts is not None:
                    result.pts.append(packet.pts * time_base)
                    result.arrival.append(time.monotonic() - start)
                if decode:
                    for frame in packet.decode():
                        result.decoded += 1
                        if len(result.frames) < keep_frames:
                            plane = frame.to_ndarray(format="gray")
                            result.frames.append(np.asarray(plane, dtype=np.uint8))
                if result.media_span >= seconds or time.monotonic() - start > wall_limit:
                    break
            else:
                result.ended = True
        except (av.error.EOFError, av.error.ConnectionResetError, OSError):
            result.ended = True
    finally:
        container.close()
    return result
