"""Where a camera's pictures come from: FFmpeg's RTSP demuxer, or our own reader.

Both give a `VideoTrack` (what the segment writer needs) and `SourcePacket`s: PyAV
packets with the instant they came out of the reader and the camera's own time of them
(RTCP), if known. FFmpeg's packets may be parts of a picture (`access_units.py` joins
them); our reader's are whole pictures, cut on the RTP marker bit.

`reader: native` in the site file picks ours (TCP only, H.264 and H.265): it costs a
third of FFmpeg's reader per stream (`docs/design/ingest.md`).
"""

from __future__ import annotations

import contextlib
import io
import logging
import struct
import time
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Protocol

import av

from beffroi.ingest.errors import CameraRefused
from beffroi.ingest.rtsp.pictures import DecodeTimes, ParameterSets, picture_period
from beffroi.ingest.rtsp.rtp import Picture
from beffroi.ingest.rtsp.sdp import SdpError
from beffroi.ingest.rtsp.session import EndOfStream, RtspSession, StreamStalled
from beffroi.ingest.spec import CameraSpec, VideoTrack
from beffroi.ingest.state import Reason

log = logging.getLogger(__name__)

SUPPORTED_CODECS = {"h264", "hevc"}
_PRFT_WALLCLOCK = struct.Struct("<q")  # AVProducerReferenceTime.wallclock, µs since 1970
# Our reader wakes at most this often (the worker's read loop, or a recorder alone): a
# wake-up per picture costs as much as the parsing (measured, `bench/rtsp_native_bench.py`);
# a picture waits 25 ms on average before its write.
READ_PERIOD_S = 0.05
PRIME_PICTURES = 600  # pictures read, at most, for the first keyframe (40 s at 15 fps)


def wall_ms() -> int:
    # The recorder stamps footage with the server's real clock (NTP-disciplined): the law
    # asks for exact time, so this is deliberately not the injectable test clock.
    return time.time_ns() // 1_000_000


@dataclass(slots=True)
class SourcePacket:
    packet: Any  # av.Packet
    arrival_ms: int  # when it came out of the reader (server clock)
    camera_us: int | None  # the camera's NTP time of it (RTCP sender reports), if known
    whole: bool  # one whole picture (our reader); else a demuxer packet to join


class Source(Protocol):
    track: VideoTrack

    def packets(self) -> Iterator[SourcePacket]: ...

    def close(self) -> None: ...


def open_source(spec: CameraSpec) -> Source:
    if spec.reader == "native" and spec.transport == "tcp":
        return NativeSource(spec)
    return FfmpegSource(spec)


class FfmpegSource:
    def __init__(self, spec: CameraSpec) -> None:
        self.container = av.open(
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
        try:
            if not self.container.streams.video:
                raise CameraRefused(Reason.NO_VIDEO, "the stream has no video track")
            self.stream = self.container.streams.video[0]
            codec = self.stream.codec_context.name
            if codec not in SUPPORTED_CODECS:
                raise CameraRefused(Reason.UNSUPPORTED_CODEC, f"codec {codec}")
        except BaseException:
            self.close()
            raise
        self.track = VideoTrack.of_stream(self.stream)

    def packets(self) -> Iterator[SourcePacket]:
        previous: int | None = None
        timed = False
        for packet in self.container.demux(self.stream):
            now = wall_ms()
            # FFmpeg's parser hands a picture over when the next one begins: the packet
            # before this one came out when this one's first bytes arrived. Its PRFT is
            # its own (measured against the simulator's send-time stamps: within 2 ms).
            arrival = previous if previous is not None else now
            previous = now
            prft = _producer_time_us(packet)
            if prft is not None and not timed:
                # The session's first PRFT is one picture late, every time (measured
                # against GStreamer's capture stamps: +100 ms at 10 fps, later within 1 ms).
                timed, prft = True, None
            yield SourcePacket(packet, arrival, prft, whole=False)

    def close(self) -> None:
        with contextlib.suppress(av.FFmpegError, OSError):
            self.container.close()


def _producer_time_us(packet: Any) -> int | None:
    """The camera's NTP time of this packet from its last RTCP sender report, if any."""
    if not packet.has_sidedata("prft"):
        return None
    return int(_PRFT_WALLCLOCK.unpack_from(bytes(packet.get_sidedata("prft")))[0])


class NativeSource:
    """Our reader (`ingest/rtsp`): whole pictures, their decode times derived."""

    def __init__(self, spec: CameraSpec) -> None:
        try:
            self.session = RtspSession(spec.url, spec.username, spec.password, spec.stall_timeout_s)
        except SdpError as exc:
            reason = Reason.NO_VIDEO if exc.reason == "no_video" else Reason.UNSUPPORTED_CODEC
            raise CameraRefused(reason, str(exc)) from exc
        media = self.session.media
        self.parameter_sets = ParameterSets(media.codec, media.parameter_sets())
        self.pending: list[Picture] = []
        self.probe: Any = None
        try:
            keyframe = self._first_keyframe()
            info = self.parameter_sets.info
            if info is None:
                raise CameraRefused(Reason.STREAM_ERROR, "no sequence parameter set")
            # FFmpeg's probe of that keyframe is the writer's template: the codec
            # parameters as FFmpeg's own reader would have given them (avcC/hvcC).
            self.probe = av.open(io.BytesIO(keyframe), format=media.codec)
            template = self.probe.streams.video[0]
        except BaseException:
            self.close()
            raise
        self.track = VideoTrack(
            media.codec, info.width, info.height, Fraction(1, media.clock_rate), template
        )
        reorder = info.reorder_frames or 0
        self.decode_times = DecodeTimes(
            reorder, jump_ticks=media.clock_rate, period_ticks=self._period(reorder)
        )

    def _first_keyframe(self) -> bytes:
        """Read up to the first keyframe (the pictures kept); it, parameter sets first."""
        while len(self.pending) <= PRIME_PICTURES:
            pictures = self.session.read()
            self.pending += pictures  # all of them: those after the keyframe too
            for picture in pictures:
                if picture.parameter_sets:
                    self.parameter_sets.learn(picture.data)
                if picture.keyframe and self.parameter_sets.info is not None:
                    if picture.parameter_sets:
                        return picture.data
                    return self.parameter_sets.annex_b + picture.data
        raise CameraRefused(Reason.STREAM_ERROR, "no keyframe with its parameters")

    def _period(self, reorder: int) -> int:
        """A picture's duration in ticks, from the first pictures after the keyframe
        (more are read when B-frames need it: N + 1 pictures, at the session's start)."""
        first = next(i for i, p in enumerate(self.pending) if p.keyframe)
        while reorder and len(self.pending) - first <= reorder + 1:
            if len(self.pending) > PRIME_PICTURES:
                break
            self.pending += self.session.read()
        period = picture_period([p.rtp_ts for p in self.pending[first:]])
        return period or self.session.media.clock_rate // 15

    def packets(self) -> Iterator[SourcePacket]:
        """Read on this thread (a recorder without a worker's read loop)."""
        yield from self.pending_packets()
        session = self.session
        while True:
            woke = time.monotonic()
            try:
                yield from self.read_now()
            except TimeoutError as exc:
                raise StreamStalled(f"no data for {session.timeout_s:g} s") from exc
            except EndOfStream:
                return  # as FFmpeg's demuxer ends: the recorder says the camera hung up
            rest = READ_PERIOD_S - (time.monotonic() - woke)
            if rest > 0:
                time.sleep(rest)

    def pending_packets(self) -> list[SourcePacket]:
        """The pictures read while waiting for the first keyframe."""
        pending, self.pending = self.pending, []
        return self._packets(pending)

    def read_now(self) -> list[SourcePacket]:
        """One read of the connection (blocking or not, as its socket is set)."""
        return self._packets(self.session.read())

    def _packets(self, pictures: list[Picture]) -> list[SourcePacket]:
        now = wall_ms()
        out = []
        for picture in pictures:
            data = picture.data
            if picture.parameter_sets:
                self.parameter_sets.learn(data)
            elif picture.keyframe:
                data = self.parameter_sets.annex_b + data  # each segment decodes alone
            packet = av.Packet(data)
            packet.pts = picture.rtp_ts
            packet.dts = self.decode_times.next(picture.rtp_ts)
            packet.time_base = self.track.time_base
            packet.is_keyframe = picture.keyframe
            out.append(SourcePacket(packet, now, self.session.camera_time_us(picture), True))
        return out

    def close(self) -> None:
        if self.probe is not None:
            self.probe.close()
        self.session.close()
