"""One camera's RTSP session: connect, stream-copy packets to the sink, reconnect.

One session per camera, opened once; its packets go to the archive (and later to live
viewers and analytics through the same loop). Failures are retried with capped
exponential backoff and jitter, so 170 cameras coming back after a network cut do not
reconnect in lockstep.
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
import time
from collections import deque
from typing import Any

import av

from beffroi.ingest.errors import classify, scrub
from beffroi.ingest.pictures import Pictures, Placed
from beffroi.ingest.spec import CameraSpec, Emit, PacketSink, SinkFactory
from beffroi.ingest.state import CameraState, LiveSegment, Reason, Status

log = logging.getLogger(__name__)

SUPPORTED_CODECS = {"h264", "hevc"}
STATE_INTERVAL_S = 1.0
RATE_WINDOW_S = 5.0


def backoff_delay(attempt: int, low: float, high: float, rng: random.Random) -> float:
    """Capped exponential backoff with "equal jitter": between half and all of the step."""
    step = min(high, low * (2 ** min(attempt, 16)))
    return step / 2 + rng.random() * step / 2


def wall_ms() -> int:
    # The recorder stamps footage with the server's real clock (NTP-disciplined): the law
    # asks for exact time, so this is deliberately not the injectable test clock.
    return time.time_ns() // 1_000_000


class CameraRecorder:
    def __init__(self, spec: CameraSpec, sinks: SinkFactory, emit: Emit) -> None:
        self.spec = spec
        self.sinks = sinks
        self.emit = emit
        self.state = CameraState(camera_id=spec.camera_id, since_ms=wall_ms())
        self.stop_event = threading.Event()
        self._rng = random.Random(hash(spec.camera_id))
        # (monotonic, filmed seconds, bytes) per picture: rates come from when pictures
        # were filmed, since they arrive in bursts (FFmpeg's probing buffers the first).
        self._window: deque[tuple[float, float, int]] = deque()
        self._last_emit = 0.0
        self._sink_emit = _SinkEmit(self)

    # -- state ---------------------------------------------------------------------
    def _set(self, status: Status, reason: Reason | None = None, detail: str | None = None) -> None:
        st = self.state
        if st.status != status or st.reason != reason:
            st.since_ms = wall_ms()
            level = logging.INFO if status == Status.RECORDING else logging.WARNING
            log.log(level, "%s: %s %s %s", st.camera_id, status, reason or "", detail or "")
        st.status, st.reason, st.detail = status, reason, detail
        if status != Status.RECORDING:
            st.fps = st.bitrate_bps = None
            self._window.clear()
        self._publish(force=True)

    def _publish(self, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._last_emit >= STATE_INTERVAL_S:
            self._last_emit = now
            w = self._window
            if len(w) >= 2:
                span = w[-1][1] - w[0][1]
                if not 0 < span < 2 * RATE_WINDOW_S:  # a gap in filming time: use arrival times
                    span = w[-1][0] - w[0][0]
                if span > 0:
                    self.state.fps = round((len(w) - 1) / span, 2)
                    # The first packet opens the span; its bytes came before it.
                    bits = (sum(b for _, _, b in w) - w[0][2]) * 8
                    self.state.bitrate_bps = round(bits / span)
            self.emit.state(self.state)

    # -- the loop ------------------------------------------------------------------
    def run(self) -> None:
        attempt = 0
        while not self.stop_event.is_set():
            self._set(Status.CONNECTING, self.state.reason, self.state.detail)
            try:
                self.sinks.recover(self.spec.camera_id, self.emit)
            except OSError as exc:
                self._set(Status.OFFLINE, Reason.STORAGE_ERROR, str(exc))
            else:
                try:
                    recorded = self._session()
                except Exception as exc:  # a bug must not stop a camera for good
                    log.exception("%s: unexpected error", self.spec.camera_id)
                    self._set(Status.OFFLINE, Reason.STREAM_ERROR, scrub(repr(exc))[:300])
                    recorded = False
                attempt = 0 if recorded else attempt + 1
            if self.stop_event.is_set():
                break
            self.state.reconnects += 1
            delay = backoff_delay(
                attempt, self.spec.reconnect_min_s, self.spec.reconnect_max_s, self._rng
            )
            self.stop_event.wait(delay)
        self._set(Status.DISABLED, Reason.DISABLED, "recorder stopped")

    def _session(self) -> bool:
        """One RTSP session; True if it recorded at least one packet."""
        spec = self.spec
        try:
            container = av.open(
                spec.url_with_credentials(),
                # FFmpeg's own socket timeout bounds connect and every read. PyAV's
                # `timeout=` is deliberately not used: it is a Python interrupt callback
                # FFmpeg calls many times a packet, each taking the GIL; measured at 30
                # cameras a worker, it cost 40 % of the worker's CPU.
                options={
                    "rtsp_transport": spec.transport,
                    "timeout": str(int(spec.stall_timeout_s * 1_000_000)),
                    # Never sound: public-space video protection may not capture it
                    # (CNIL), so audio tracks are not even set up; nor are metadata ones.
                    "allowed_media_types": "video",
                },
            )
        except (av.FFmpegError, OSError) as exc:
            self._set(Status.OFFLINE, *classify(exc))
            return False
        recorded = False
        sink: PacketSink | None = None
        try:
            if not container.streams.video:
                self._set(Status.OFFLINE, Reason.NO_VIDEO, "the stream has no video track")
                return False
            stream = container.streams.video[0]
            codec = stream.codec_context.name
            if codec not in SUPPORTED_CODECS:
                self._set(Status.OFFLINE, Reason.UNSUPPORTED_CODEC, f"codec {codec}")
                return False
            self.state.codec = codec
            self.state.width = stream.codec_context.width
            self.state.height = stream.codec_context.height
            sink = self.sinks.open(spec.camera_id, stream, self._sink_emit)
            recorded = self._pump(container, stream, sink)
            if not self.stop_event.is_set():
                self._set(Status.OFFLINE, Reason.STREAM_ENDED, "the camera closed the session")
        except _SinkError as exc:
            self._set(Status.OFFLINE, Reason.STORAGE_ERROR, scrub(str(exc.__cause__)))
            if sink is not None:
                sink.abort()
                sink = None
        except (av.FFmpegError, OSError) as exc:
            reason, detail = classify(exc)
            if reason in (Reason.STREAM_ERROR, Reason.UNREACHABLE) and self._stalled():
                reason = Reason.STALLED
            self._set(Status.OFFLINE, reason, detail)
        finally:
            self._close(sink, container)
        return recorded

    def _pump(self, container: Any, stream: Any, sink: PacketSink) -> bool:
        recorded = False
        st = self.state
        pictures = Pictures(stream)
        clock = pictures.clock
        for packet in container.demux(stream):
            if self.stop_event.is_set():
                break
            now = wall_ms()
            ready = pictures.feed(packet, now, time.monotonic_ns())
            if ready:
                self._write(sink, ready)
                st.last_packet_ms = now
                if not recorded:
                    recorded = True
                    self._set(Status.RECORDING)
            if time.monotonic() - self._last_emit >= STATE_INTERVAL_S:
                # Read at each state message, not kept up to date per packet.
                st.timestamp_jumps = clock.jumps
                st.time_source = clock.source
                st.camera_clock_error_ms = clock.camera_clock_error_ms
                st.segment_write_lag_ms = round(sink.last_write_lag_ms, 3)
                self._publish(force=True)  # the interval is checked just above
        leftover = pictures.flush()
        if leftover:
            self._write(sink, leftover)
            recorded = True
        return recorded

    def _write(self, sink: PacketSink, pictures: list[Placed]) -> None:
        mono = time.monotonic()
        window = self._window
        try:
            for packet, at_ms, source in pictures:
                window.append((mono, at_ms / 1000, packet.size))
                sink.write(packet, at_ms, source)
        except (av.FFmpegError, OSError) as exc:
            raise _SinkError() from exc
        while window and mono - window[0][0] > RATE_WINDOW_S:
            window.popleft()

    def _stalled(self) -> bool:
        last = self.state.last_packet_ms
        return last is not None and wall_ms() - last >= self.spec.stall_timeout_s * 900

    def _close(self, sink: PacketSink | None, container: Any) -> None:
        if sink is not None:
            try:
                sink.close()
            except (av.FFmpegError, OSError) as exc:
                log.error("%s: closing segment failed: %s", self.spec.camera_id, exc)
                sink.abort()
        with contextlib.suppress(av.FFmpegError, OSError):
            container.close()


class _SinkEmit:
    """What the segment writer reports through. A fragment's progress (about four a
    second) rides on the next state message, once a second, instead of a message of its
    own to the supervisor; a new or closed segment is told at once, since live view
    follows the recorder from file to file."""

    def __init__(self, recorder: CameraRecorder) -> None:
        self.recorder = recorder

    def state(self, state: CameraState) -> None:
        self.recorder.emit.state(state)

    def segment(self, info: Any) -> None:
        self.recorder.emit.segment(info)

    def live(self, camera_id: str, live: LiveSegment | None) -> None:
        state = self.recorder.state
        old, state.live = state.live, live
        if live is None or old is None or live.path != old.path:
            self.recorder.emit.live(camera_id, live)


class _SinkError(Exception):
    """The archive could not take a packet (disk full, I/O error)."""
