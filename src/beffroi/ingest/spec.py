"""What a worker needs to know to record one camera (picklable: crosses processes)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Protocol
from urllib.parse import quote, urlsplit, urlunsplit

from beffroi.ingest.state import CameraState, LiveSegment


@dataclass(frozen=True)
class CameraSpec:
    camera_id: str
    url: str  # without credentials
    username: str | None = None
    password: str | None = None
    transport: str = "tcp"  # RTP inside the RTSP connection ("tcp") or over "udp"
    reader: str = "ffmpeg"  # "ffmpeg" (PyAV's demuxer) or "native" (ingest/rtsp, TCP only)
    stall_timeout_s: float = 10.0
    reconnect_min_s: float = 1.0
    reconnect_max_s: float = 60.0

    def url_with_credentials(self) -> str:
        if not self.username:
            return self.url
        parts = urlsplit(self.url)
        auth = quote(self.username, safe="")
        if self.password is not None:
            auth += ":" + quote(self.password, safe="")
        return urlunsplit(parts._replace(netloc=f"{auth}@{parts.hostname}" + _port(parts.port)))


def _port(port: int | None) -> str:
    return f":{port}" if port else ""


@dataclass(frozen=True)
class VideoTrack:
    """What a segment writer needs of a camera's video: the codec, the picture size, the
    time base of the packets, and a PyAV stream to copy the codec parameters from (FFmpeg's
    demuxed stream; for our own reader, FFmpeg's probe of the session's first keyframe)."""

    codec: str  # FFmpeg's name: "h264" or "hevc"
    width: int
    height: int
    time_base: Fraction  # of the packets' timestamps
    template: Any  # a PyAV stream
    rate: float | None = None  # pictures a second, as announced (FFmpeg's probe)

    @classmethod
    def of_stream(cls, stream: Any) -> VideoTrack:
        ctx = stream.codec_context
        rate = stream.average_rate or stream.guessed_rate
        return cls(ctx.name, ctx.width, ctx.height, stream.time_base, stream, rate and float(rate))


class PacketSink(Protocol):
    """Where one camera session's packets go (the archive's segment writer)."""

    last_write_lag_ms: float

    def write(self, packet: Any, at_ms: float, time_source: str) -> None:
        """Record one whole picture whose decode instant was filmed at `at_ms` (UTC)."""

    def close(self) -> Any: ...

    def abort(self) -> None: ...


class SinkFactory(Protocol):
    """Built by the composition root and handed to workers (must be picklable)."""

    def recover(self, camera_id: str, emit: Emit) -> None:
        """Finish what a previous session of this camera left (crash salvage)."""

    def open(self, camera_id: str, track: VideoTrack, emit: Emit) -> PacketSink: ...


class Emit(Protocol):
    def state(self, state: CameraState) -> None: ...

    def segment(self, info: Any) -> None: ...

    def live(self, camera_id: str, live: LiveSegment | None) -> None: ...
