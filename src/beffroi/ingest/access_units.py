"""Whole pictures: the packets of one access unit become one sample.

FFmpeg's RTSP reader runs its H.264/H.265 parser over the depacketized NAL units and
usually hands over one packet per picture, but not always. GStreamer's `rtph264pay
config-interval=-1` repeats SPS and PPS in front of *each* slice of a keyframe; the
parser takes the second SPS for the start of a new picture and returns the keyframe as
two packets with one timestamp. Stored as two samples, the first holds half a picture:
Chromium paints the top of every keyframe green, and the recorder took the second
packet for a timestamp jump. `ffmpeg -c copy` keeps the same broken samples.

`AccessUnits` re-joins them with the bitstream's own rule, not the timestamps alone
(cameras repeat timestamps too): a packet continues the current picture unless its
first slice starts a picture (H.264 `first_mb_in_slice == 0`, H.265
`first_slice_segment_in_pic_flag`), or its timestamp differs. Parameter sets, SEI and
delimiters in a packet without a slice go with the picture they precede, unless they
carry the current picture's timestamp (then they are part of it, as GStreamer's are).

A picture is complete only when the next one begins, so each is released one packet
late: about one frame period, which live view absorbs (`bench/console_live.py`).
Packets FFmpeg gives without timestamps (the first, sometimes) take the next packet's
when they belong to its picture, and are dropped, counted, when they do not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import av

# NAL unit types (ITU-T H.264 table 7-1, H.265 table 7-1).
H264_SLICE_TYPES = frozenset(range(1, 6))
H264_SUFFIX_TYPES = frozenset({10, 11, 12})  # end of sequence, end of stream, filler
H265_SUFFIX_TYPES = frozenset({36, 37, 38, 40})  # EOS, EOB, filler, suffix SEI
SCAN_BYTES = 4096  # the first slice header lies within the first NAL units of a packet


@dataclass(slots=True)
class AccessUnit:
    """One picture: its data as one packet, and what the clock needs to place it."""

    packet: Any  # av.Packet, possibly rebuilt from several
    pts: int | None
    dts: int | None
    keyframe: bool
    arrival_ms: int  # when its first packet came out of the demuxer
    prft_us: int | None  # the camera's NTP time of this picture (RTCP), if known
    parts: int = 1


@dataclass(frozen=True, slots=True)
class _Shape:
    has_slice: bool
    starts_picture: bool  # its first slice is the first of a picture
    suffix_only: bool  # no slice, and its first NAL unit ends an access unit


def _shape(data: bytes, hevc: bool) -> _Shape | None:
    """What the NAL units of an Annex B packet say; None if it is not Annex B."""
    i = data.find(b"\x00\x00\x01")
    if i < 0:
        return None
    first_type: int | None = None
    while i >= 0:
        h = i + 3
        if h + 2 >= len(data):
            break
        if hevc:
            nal_type = (data[h] >> 1) & 0x3F
            is_slice = nal_type < 32
            first_bit = data[h + 2] & 0x80
        else:
            nal_type = data[h] & 0x1F
            is_slice = nal_type in H264_SLICE_TYPES
            first_bit = data[h + 1] & 0x80  # ue(v) first_mb_in_slice == 0 is a single 1
        if first_type is None:
            first_type = nal_type
        if is_slice:
            return _Shape(True, bool(first_bit), False)
        i = data.find(b"\x00\x00\x01", h)
    suffixes = H265_SUFFIX_TYPES if hevc else H264_SUFFIX_TYPES
    return _Shape(False, False, first_type in suffixes)


def _head(packet: Any, size: int) -> bytes:
    view = memoryview(packet)
    return bytes(view[:size]) if len(view) > size else bytes(view)


class AccessUnits:
    """Feeds demuxed packets of one stream, returns complete access units in order."""

    def __init__(self, codec: str) -> None:
        self.hevc = codec == "hevc"
        self.pending: list[Any] = []
        self._pending_slice = False
        self._pending_arrival = 0
        self._pending_prft: int | None = None
        self.joined = 0  # pictures rebuilt from several packets
        self.dropped = 0  # packets without a timestamp that fitted no picture

    def feed(self, packet: Any, arrival_ms: int, prft_us: int | None) -> list[AccessUnit]:
        shape = self._shape(packet)
        out: list[AccessUnit] = []
        if self.pending and self._starts_new(packet, shape):
            unit = self._release()
            if unit is not None:
                out.append(unit)
        if not self.pending:
            self._pending_arrival = arrival_ms
            self._pending_prft = None
        self.pending.append(packet)
        self._pending_slice = self._pending_slice or shape is None or shape.has_slice
        if self._pending_prft is None:
            self._pending_prft = prft_us
        return out

    def flush(self) -> list[AccessUnit]:
        unit = self._release() if self.pending else None
        return [unit] if unit is not None else []

    def _shape(self, packet: Any) -> _Shape | None:
        shape = _shape(_head(packet, SCAN_BYTES), self.hevc)
        if shape is not None and not shape.has_slice and packet.size > SCAN_BYTES:
            shape = _shape(bytes(packet), self.hevc)
        return shape

    def _starts_new(self, packet: Any, shape: _Shape | None) -> bool:
        if shape is None:  # not Annex B: trust the demuxer's packets as they are
            return True
        if not self._pending_slice:
            return False  # what is pending is a prefix: the picture is still to come
        pending_dts = self._pending_dts()
        same_time = packet.dts is None or pending_dts is None or packet.dts == pending_dts
        if shape.has_slice:
            return shape.starts_picture or not same_time
        return not (same_time or shape.suffix_only)

    def _pending_dts(self) -> int | None:
        return next((p.dts for p in self.pending if p.dts is not None), None)

    def _release(self) -> AccessUnit | None:
        parts, self.pending = self.pending, []
        self._pending_slice = False
        timed = next((p for p in parts if p.dts is not None), None)
        if timed is None:
            self.dropped += len(parts)
            return None
        keyframe = any(p.is_keyframe for p in parts)
        if len(parts) == 1:
            packet = parts[0]
        else:
            self.joined += 1
            packet = av.Packet(b"".join(bytes(p) for p in parts))
            packet.pts, packet.dts = timed.pts, timed.dts
            if timed.time_base is not None:
                packet.time_base = timed.time_base
            packet.is_keyframe = keyframe
        return AccessUnit(
            packet=packet,
            pts=timed.pts,
            dts=timed.dts,
            keyframe=keyframe,
            arrival_ms=self._pending_arrival,
            prft_us=self._pending_prft,
            parts=len(parts),
        )
