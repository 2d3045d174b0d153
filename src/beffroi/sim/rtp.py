"""RTP packetization (RFC 6184 for H.264, RFC 7798 for H.265) and RTCP sender reports.

Every access unit is packetized once, at load time, into a *frame template*: one bytearray
holding all the interleaved-TCP packets of the frame (``$``, channel, length, 12-byte RTP
header, payload). Sending a frame then only patches sequence number, timestamp and SSRC of
each packet in place and hands one ``bytes`` copy to the transport. Templates are shared by
every session streaming the same clip; patching and copying happen without yielding to the
event loop, so sessions never see each other's header values.
"""

from __future__ import annotations

import os
import struct
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from beffroi.sim.bitstream import Clip
from beffroi.sim.clips import Codec

__all__ = [
    "DEFAULT_MTU",
    "FrameTemplate",
    "PacketizedClip",
    "packetize_nal",
    "rtcp_sender_report",
]

DEFAULT_MTU = 1400  # maximum RTP packet size (header included)
PAYLOAD_TYPE = 96
RTP_HEADER = 12
INTERLEAVED_HEADER = 4
H264_FU_A = 28
H265_FU = 49
NTP_EPOCH_OFFSET = 2_208_988_800  # seconds between 1900-01-01 and 1970-01-01

_SEQ_TS_SSRC = struct.Struct(">HII")
_INTERLEAVED = struct.Struct(">BBH")
_SENDER_REPORT = struct.Struct(">BBHIIIIII")


def packetize_nal(codec: Codec, nal: bytes, max_payload: int) -> list[bytes]:
    """Split one NAL unit into RTP payloads: a single NAL unit packet or fragmentation units."""
    if len(nal) <= max_payload:
        return [nal]
    if codec == "h264":
        header_len = 1
        fu_indicator = bytes([(nal[0] & 0xE0) | H264_FU_A])
        nal_kind = nal[0] & 0x1F
    else:
        header_len = 2
        # PayloadHdr keeps F and LayerId/TID of the original header, with Type = 49.
        fu_indicator = bytes([(nal[0] & 0x81) | (H265_FU << 1), nal[1]])
        nal_kind = (nal[0] >> 1) & 0x3F
    chunk = max_payload - len(fu_indicator) - 1
    if chunk <= 0:
        raise ValueError("MTU too small for fragmentation units")
    body = memoryview(nal)[header_len:]
    payloads: list[bytes] = []
    for offset in range(0, len(body), chunk):
        fu_header = nal_kind
        if offset == 0:
            fu_header |= 0x80
        if offset + chunk >= len(body):
            fu_header |= 0x40
        payloads.append(fu_indicator + bytes([fu_header]) + body[offset : offset + chunk])
    return payloads


@dataclass(frozen=True)
class FrameTemplate:
    """All interleaved RTP packets of one access unit, ready to be patched and sent."""

    data: bytearray
    header_offsets: tuple[int, ...]  # offset of each packet's ``$`` byte
    payload_spans: tuple[tuple[int, int], ...]  # (start, end) of each RTP payload
    pts: int
    keyframe: bool

    @property
    def packet_count(self) -> int:
        return len(self.header_offsets)

    @property
    def payload_bytes(self) -> int:
        return sum(end - start for start, end in self.payload_spans)

    def render(self, seq: int, timestamp: int, ssrc: int, channel: int = 0) -> bytes:
        """Patch headers for this send and return the bytes to write (seq of first packet)."""
        data = self.data
        pack = _SEQ_TS_SSRC.pack_into
        for index, offset in enumerate(self.header_offsets):
            pack(data, offset + 6, (seq + index) & 0xFFFF, timestamp, ssrc)
        if channel:
            for offset in self.header_offsets:
                data[offset + 1] = channel
            out = bytes(data)
            for offset in self.header_offsets:
                data[offset + 1] = 0
            return out
        return bytes(data)

    def render_garbage(self, seq: int, timestamp: int, ssrc: int, channel: int = 0) -> bytes:
        """Like :meth:`render` but with every payload replaced by random bytes."""
        out = bytearray(self.render(seq, timestamp, ssrc, channel))
        for start, end in self.payload_spans:
            out[start:end] = os.urandom(end - start)
        return bytes(out)


def build_template(
    codec: Codec, nals: Sequence[bytes], pts: int, keyframe: bool, mtu: int = DEFAULT_MTU
) -> FrameTemplate:
    payloads = [p for nal in nals for p in packetize_nal(codec, nal, mtu - RTP_HEADER)]
    data = bytearray()
    offsets: list[int] = []
    spans: list[tuple[int, int]] = []
    last = len(payloads) - 1
    for index, payload in enumerate(payloads):
        offsets.append(len(data))
        marker = 0x80 if index == last else 0
        data += _INTERLEAVED.pack(0x24, 0, RTP_HEADER + len(payload))
        data += bytes([0x80, marker | PAYLOAD_TYPE]) + bytes(10)
        spans.append((len(data), len(data) + len(payload)))
        data += payload
    return FrameTemplate(data, tuple(offsets), tuple(spans), pts, keyframe)


class PacketizedClip:
    """A clip whose access units are all pre-packetized into frame templates."""

    def __init__(self, clip: Clip, mtu: int = DEFAULT_MTU) -> None:
        self.clip = clip
        self.mtu = mtu
        self.frames: tuple[FrameTemplate, ...] = tuple(
            build_template(clip.codec, unit.nals, unit.pts, unit.keyframe, mtu)
            for unit in clip.access_units
        )
        self.duration = clip.duration

    def __len__(self) -> int:
        return len(self.frames)


def ntp_timestamp(wall: float | None = None) -> tuple[int, int]:
    """Return (seconds, fraction) of an NTP timestamp for a Unix time."""
    now = time.time() if wall is None else wall
    seconds = int(now)
    fraction = int((now - seconds) * (1 << 32)) & 0xFFFFFFFF
    return (seconds + NTP_EPOCH_OFFSET) & 0xFFFFFFFF, fraction


def rtcp_sender_report(
    ssrc: int,
    rtp_timestamp: int,
    packet_count: int,
    octet_count: int,
    wall: float | None = None,
    channel: int = 1,
) -> bytes:
    """An interleaved RTCP SR (RFC 3550 §6.4.1) without report blocks."""
    ntp_sec, ntp_frac = ntp_timestamp(wall)
    report = _SENDER_REPORT.pack(
        0x80,  # V=2, P=0, RC=0
        200,  # PT=SR
        6,  # length in 32-bit words minus one
        ssrc,
        ntp_sec,
        ntp_frac,
        rtp_timestamp & 0xFFFFFFFF,
        packet_count & 0xFFFFFFFF,
        octet_count & 0xFFFFFFFF,
    )
    return _INTERLEAVED.pack(0x24, channel, len(report)) + report


def iter_rtp_packets(data: bytes) -> Iterable[tuple[int, bytes]]:
    """Yield (channel, packet) from interleaved TCP data (used by tests and raw clients)."""
    pos = 0
    while pos + 4 <= len(data):
        if data[pos] != 0x24:
            raise ValueError(f"not an interleaved frame at offset {pos}")
        channel = data[pos + 1]
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        yield channel, data[pos + 4 : pos + 4 + length]
        pos += 4 + length
