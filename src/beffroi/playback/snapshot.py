"""Decode the frame recorded at an instant from a segment file, and encode it as an image.

Segments are fragmented MP4 (`ftyp moov (moof mdat)*`); media time 0 of a file is its
`start_ms`, so a frame's wall time is `start_ms + (pts - first_pts) × time_base`. The
segment being written (`.part`) may end in a half-written fragment: the fragment index
stops at the last complete one. Only the fragments from the keyframe before the
instant to the instant are decoded.
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

from beffroi.archive.fmp4 import SegmentFormatError
from beffroi.playback.fragments import read_segment_file


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
    try:
        found = _from_fragments(Path(path), start_ms, at_ms)
    except (SegmentFormatError, OSError):
        found = None  # not a file our fragment reader knows: decode it from its start
    if found is None:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            first_pts = _first_pts(container, stream)
        with av.open(str(path)) as container:
            found = _decode_at(container, first_pts, start_ms, at_ms)
    return found


def _from_fragments(path: Path, start_ms: int, at_ms: int) -> FrameAt | None:
    """Decode only the fragments from the keyframe fragment at or before the instant up
    to the one holding it, cut out of the file with our own fragment index. FFmpeg's
    seek in fragmented MP4 is not used: in a file with a `sidx` (incident clips,
    exports) it skipped fragments after seeking, and in a file being written it took a
    fragment's first P-frame for a keyframe. None: the file has no fragment."""
    seg = read_segment_file(path)
    if not seg.fragments:
        return None
    target_ms = at_ms - start_ms
    first = seg.keyframe_at_or_before(target_ms)
    if first is None:
        raise NoFrameError(f"no keyframe at or before {at_ms} in {path}")
    last = first
    while last + 1 < len(seg.fragments) and (
        seg.offset_ms(seg.fragments[last + 1].decode_time) <= target_ms
    ):
        last += 1
    with path.open("rb") as f:
        init = f.read(seg.init_size)
        parts = [init]
        for frag in (seg.fragments[0], *seg.fragments[first : last + 1]):
            f.seek(frag.offset)
            parts.append(f.read(frag.size))
    # The file's first pts (the media time of `start_ms`) comes from its first fragment.
    with av.open(io.BytesIO(init + parts[1]), mode="r", format="mp4") as container:
        first_pts = _first_pts(container, container.streams.video[0])
    cut = io.BytesIO(init + b"".join(parts[2:]))
    with av.open(cut, mode="r", format="mp4") as container:
        return _decode_at(container, first_pts, start_ms, at_ms)


def _decode_at(container: InputContainer, first_pts: int, start_ms: int, at_ms: int) -> FrameAt:
    stream = container.streams.video[0]
    tb = stream.time_base
    if tb is None:
        raise NoFrameError("video stream without a time base")
    target = first_pts + math.floor(Fraction(at_ms - start_ms, 1000) / tb)
    packets = _gop_packets(container, stream, target)
    if not packets:
        raise NoFrameError(f"no keyframe at or before {at_ms}")
    frame = _decode_last_before(stream, packets, target)
    pts = frame.pts if frame.pts is not None else first_pts
    return FrameAt(frame=frame, wall_ms=start_ms + math.floor((pts - first_pts) * tb * 1000))


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


def is_sync(packet: Packet, codec: str) -> bool:
    """A packet a decoder can start on, read from its NAL units (length-prefixed, as in
    MP4): FFmpeg's demuxer marks the first sample of a fragment it seeked to, in a file
    still being written, as a keyframe though it may be a P-frame of the GOP."""
    if not packet.is_keyframe:
        return False
    data = bytes(packet)
    offset = 0
    while offset + 5 <= len(data):
        size = int.from_bytes(data[offset : offset + 4], "big")
        header = data[offset + 4]
        if codec == "h264" and header & 0x1F == 5:  # IDR slice
            return True
        if codec == "hevc" and 16 <= (header >> 1) & 0x3F <= 23:  # IRAP: BLA, IDR, CRA
            return True
        offset += 4 + size
    return codec not in ("h264", "hevc")


def _gop_packets(
    container: InputContainer, stream: VideoStream, target: int
) -> list[Packet] | None:
    """Packets from the last keyframe with pts ≤ target up to the last packet that may
    present a frame ≤ target; None if no such keyframe was read."""
    gop: list[Packet] | None = None
    codec = stream.codec_context.name
    for packet in _demux(container, stream):
        # dts ≤ pts and dts grows: once dts passes the target, no later packet can
        # present a frame at or before it.
        if packet.dts is not None and packet.dts > target:
            break
        if packet.pts is not None and packet.pts <= target and is_sync(packet, codec):
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
