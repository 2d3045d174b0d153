"""What the recorder knows of each camera right now, shared with the API.

Worker processes send `CameraState` snapshots to the supervisor; the API reads the
supervisor's latest copy through `RecorderView`. Nothing here touches the database:
live state is in memory, history is in the index.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol


class Status(StrEnum):
    RECORDING = "recording"
    CONNECTING = "connecting"
    OFFLINE = "offline"
    DISABLED = "disabled"


class Reason(StrEnum):
    """Why a camera is not recording; each maps to a distinct operator action."""

    UNAUTHORIZED = "unauthorized"  # credentials refused (401): fix the password
    UNREACHABLE = "unreachable"  # connection refused / timed out / no route
    NOT_FOUND = "not_found"  # RTSP 404: wrong stream path
    UNSUPPORTED_CODEC = "unsupported_codec"  # not H.264 / H.265
    NO_VIDEO = "no_video"  # the stream has no video track
    TRANSPORT_REFUSED = "transport_refused"  # RTSP 461: set the camera's transport
    STALLED = "stalled"  # connected but no packet for too long
    STREAM_ENDED = "stream_ended"  # the camera closed the session
    STREAM_ERROR = "stream_error"  # garbage, protocol error
    STORAGE_ERROR = "storage_error"  # cannot write the archive
    REMOVED = "removed"  # left the site file
    DISABLED = "disabled"  # `enabled: false` in the site file


@dataclass(frozen=True)
class LiveSegment:
    """The segment being written: readable up to its last flushed fragment."""

    path: str  # relative to the archive root
    start_ms: int
    flushed_end_ms: int  # media before this instant is on disk, in complete fragments


@dataclass(frozen=True)
class FinishedSegment:
    """The segment a camera finished last, as the supervisor handed it to the index. Its
    row comes a moment later (the index writer batches, and waits out a database
    outage): until then the API shows it from here, so that footage never drops out of
    sight when a segment rolls over (`playback.timeline.footage_spans`)."""

    path: str  # relative to the archive root
    start_ms: int
    end_ms: int
    bytes: int
    sha256: str


@dataclass
class CameraState:
    camera_id: str
    status: Status = Status.CONNECTING
    reason: Reason | None = None
    detail: str | None = None  # the underlying error, for the administrator
    since_ms: int = 0  # when the status last changed
    codec: str | None = None
    width: int | None = None
    height: int | None = None
    fps: float | None = None  # measured over the last seconds
    bitrate_bps: float | None = None
    last_packet_ms: int | None = None
    reconnects: int = 0
    timestamp_jumps: int = 0  # the camera's clock jumped, went back or repeated
    time_source: str | None = None  # "rtcp" or "arrival" (ingest/frame_clock.py)
    camera_clock_error_ms: float | None = None  # its RTCP clock minus ours, with latency
    segments_written: int = 0
    segment_write_lag_ms: float | None = None  # fragment end → bytes on disk
    live: LiveSegment | None = None
    finished: FinishedSegment | None = None  # kept by the supervisor, not the worker
    extra: dict[str, float] = field(default_factory=dict)


class RecorderView(Protocol):
    """Read-only view of the recorder for the API and the retention loop."""

    def camera_states(self) -> dict[str, CameraState]: ...
