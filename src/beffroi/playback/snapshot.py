"""Decode the frame recorded at an instant from a segment file, and encode it as an image.

Segments are fragmented MP4 (`ftyp moov (moof mdat)*`); media time 0 of a file is its
`start_ms`, so a frame's wall time is `start_ms + (pts - first_pts) × time_base`. The
segment being written (`.part`) may end in a half-written fragment: the demuxer stops
at the last complete one, and any read error there is taken as the end of the file.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import av.error
from av.container import InputContainer
from av.packet import Packet
from av.video.frame import VideoFrame
from av.video.stream import VideoStream


class NoFrameError(LookupError):
    """The file holds no decodable frame at or before the instant."""


@dataclass(frozen=True)
class FrameAt:
    frame: VideoFrame
    wall_ms: int  # when the returned frame was captured (≤ the instant asked)


def decode_frame_at(path: Path | str, start_ms: int, at_ms: int) -> VideoFrame:
    """The last frame of the segment at `path` whose time is ≤ `at_ms`."""
    return locate_frame_at(path, start_ms, at_ms).frame


def locate_frame_at(path: Path | str, start_ms: int, at_ms: int) -> FrameAt:
    if at_ms < start_ms:
        raise NoFrameError(f"{at_ms} is before the segment's start {start_ms}")
    found: tuple[VideoFrame, int, int, Fraction] | None = None
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        first_pts = _first_pts(container, stream)
        tb = stream.time_base
        if tb is None:
            raise NoFrameError("video stream without a time base")
        target = first_pts + math.floor(Fraction(at_ms - start_ms, 1000) / tb)
        if target > first_pts:
            # Seeking lands on the keyframe before the target; if the demuxer cannot
            # honour it on this file, fall back to reading from the start.
            try:
                container.seek(target, stream=stream, backward=True, any_frame=False)
                packets = _gop_packets(container, stream, target)
            except av.error.FFmpegError:
                packets = None
            if packets:
                found = (_decode_last_before(stream, packets, target), first_pts, target, tb)
    if found is None:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            packets = _gop_packets(container, stream, target)
            if not packets:
                raise NoFrameError(f"no keyframe at or before {at_ms} in {path}")
            found = (_decode_last_before(stream, packets, target), first_pts, target, tb)
    frame = found[0]
    pts = frame.pts if frame.pts is not None else first_pts
    wall = start_ms + math.floor((pts - first_pts) * tb * 1000)
    return FrameAt(frame=frame, wall_ms=wall)


def _first_pts(container: InputContainer, stream: VideoStream) -> int:
    for packet in _demux(container, stream):
        if packet.pts is not None:
            return packet.pts
    raise NoFrameError("segment holds no video packet")


def _demux(container: InputContainer, stream: VideoStream):  # type: ignore[no-untyped-def]
    """Packets with data; a read error (truncated last fragment) ends the file."""
    it = container.demux(stream)
    while True:
        try:
            packet = next(it)
        except (StopIteration, EOFError, av.error.FFmpegError):
            return
        if packet.size and packet.dts is not None:
            yield packet


def _gop_packets(
    container: InputContainer, stream: VideoStream, target: int
) -> list[Packet] | None:
    """Packets from the last keyframe with pts ≤ target up to the last packet that may
    present a frame ≤ target; None if no such keyframe was read."""
    gop: list[Packet] | None = None
    for packet in _demux(container, stream):
        # dts ≤ pts and dts grows: once dts passes the target, no later packet can
        # present a frame at or before it.
        if packet.dts is not None and packet.dts > target:
            break
        if packet.is_keyframe and packet.pts is not None and packet.pts <= target:
            gop = [packet]
        elif gop is not None:
            gop.append(packet)
    return gop


def _decode_last_before(stream: VideoStream, packets: list[Packet], target: int) -> VideoFrame:
    codec = stream.codec_context
    best: VideoFrame | None = None
    for packet in [*packets, None]:
        try:
            frames = codec.decode(packet)
        except av.error.InvalidDataError:
            continue  # a damaged packet: later frames of the GOP may still decode
        for frame in frames:
            if frame.pts is None or frame.pts > target:
                continue
            if best is None or best.pts is None or frame.pts >= best.pts:
                best = frame
    if best is None:
        raise NoFrameError(f"no decodable frame at or before pts {target}")
    return best


def encode_jpeg(frame: VideoFrame, quality: int = 90) -> bytes:
    buf = io.BytesIO()
    frame.to_image().save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def encode_png(frame: VideoFrame) -> bytes:
    """Lossless: the format for saving a frame as evidence (arrêté art. 3)."""
    buf = io.BytesIO()
    frame.to_image().save(buf, format="PNG")
    return buf.getvalue()
