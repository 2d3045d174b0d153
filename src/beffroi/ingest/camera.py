"""One camera's RTSP session: connect, stream-copy packets to the sink, reconnect.

One session per camera, opened once; its packets go to the archive (and later to live
viewers and analytics through the same loop). Failures are retried with capped
exponential backoff and jitter, so 170 cameras coming back after a network cut do not
reconnect in lockstep.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import deque
from typing import Any

import av

from beffroi.ingest.errors import CameraRefused, classify, scrub
from beffroi.ingest.pictures import Pictures, Placed
from beffroi.ingest.read_loop import ReadLoop
from beffroi.ingest.rtsp.client import RtspError
from beffroi.ingest.sources import NativeSource, Source, SourcePacket, open_source, wall_ms
from beffroi.ingest.spec import CameraSpec, Emit, PacketSink, SinkFactory
from beffroi.ingest.state import CameraState, LiveSegment, Reason, Status

log = logging.getLogger(__name__)

STATE_INTERVAL_S = 1.0
RATE_WINDOW_S = 5.0


def backoff_delay(attempt: int, low: float, high: float, rng: random.Random) -> float:
    """Capped exponential backoff with "equal jitter": between half and all of the step."""
    step = min(high, low * (2 ** min(attempt, 16)))
    return step / 2 + rng.random() * step / 2


class CameraRecorder:
    # The session being recorded (`_pump`).
    _pictures: Pictures
    _sink: PacketSink
    _recorded: bool

    def __init__(
        self, spec: CameraSpec, sinks: SinkFactory, emit: Emit, read_loop: ReadLoop | None = None
    ) -> None:
        self.spec = spec
        self.read_loop = read_loop  # the worker's, for our reader's sessions
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
        """One RTSP session; True if it recorded at least one picture."""
        spec = self.spec
        try:
            source = open_source(spec)
        except (av.FFmpegError, OSError, RtspError, CameraRefused) as exc:
            self._set(Status.OFFLINE, *classify(exc))
            return False
        recorded = False
        sink: PacketSink | None = None
        try:
            track = source.track
            self.state.codec, self.state.width, self.state.height = (
                track.codec, track.width, track.height,
            )  # fmt: skip
            sink = self.sinks.open(spec.camera_id, track, self._sink_emit)
            recorded = self._pump(source, sink)
            if not self.stop_event.is_set():
                self._set(Status.OFFLINE, Reason.STREAM_ENDED, "the camera closed the session")
        except _SinkError as exc:
            self._set(Status.OFFLINE, Reason.STORAGE_ERROR, scrub(str(exc.__cause__)))
            if sink is not None:
                sink.abort()
                sink = None
        except (av.FFmpegError, OSError, RtspError) as exc:
            reason, detail = classify(exc)
            if reason in (Reason.STREAM_ERROR, Reason.UNREACHABLE) and self._stalled():
                reason = Reason.STALLED
            self._set(Status.OFFLINE, reason, detail)
        finally:
            self._close(sink, source)
        return recorded

    def _pump(self, source: Source, sink: PacketSink) -> bool:
        self._pictures, self._sink, self._recorded = Pictures(source.track), sink, False
        try:
            if self.read_loop is not None and isinstance(source, NativeSource):
                self.read_loop.run(source, self._take, self.stop_event.is_set)
            else:
                for item in source.packets():
                    if self.stop_event.is_set():
                        break
                    self._take(item)
        except _SinkError:
            raise  # the archive takes nothing more
        except BaseException:
            # A stall or a broken stream: the pictures held for their timing are
            # footage all the same (they were lost before this).
            self._flush()
            raise
        return self._flush() or self._recorded

    def _take(self, item: SourcePacket) -> None:
        """One packet of the session (in the worker's read loop, for our reader)."""
        st = self.state
        if st.status != Status.RECORDING:
            # Pictures flow: recording, even while the first ones wait for the camera's
            # first RTCP report (`arrival.py`, up to 5 s) to be written.
            self._set(Status.RECORDING)
        st.last_packet_ms = item.arrival_ms
        ready = self._pictures.feed(item, time.monotonic_ns())
        if ready:
            self._write(self._sink, ready)
            self._recorded = True
        if time.monotonic() - self._last_emit >= STATE_INTERVAL_S:
            # Read at each state message, not kept up to date per packet.
            clock = self._pictures.clock
            st.timestamp_jumps = clock.jumps
            st.time_source = clock.source
            st.camera_clock_error_ms = clock.camera_clock_error_ms
            st.segment_write_lag_ms = round(self._sink.last_write_lag_ms, 3)
            self._publish(force=True)  # the interval is checked just above

    def _flush(self) -> bool:
        leftover = self._pictures.flush()
        if leftover:
            self._write(self._sink, leftover)
        return bool(leftover)

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

    def _close(self, sink: PacketSink | None, source: Source) -> None:
        if sink is not None:
            try:
                sink.close()
            except (av.FFmpegError, OSError) as exc:
                log.error("%s: closing segment failed: %s", self.spec.camera_id, exc)
                sink.abort()
        source.close()


class _SinkEmit:
    """What the segment writer reports through. A fragment's progress (about four a
    second) rides on the next state message, once a second (sent in the worker's next
    batch, `worker.QueueEmit`), instead of a message of its own to the supervisor; a new
    or closed segment is told at once, since live view follows the recorder from file to
    file."""

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
