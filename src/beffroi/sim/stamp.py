"""Send-time stamps: an SEI message in front of each frame, for latency measurements.

With `CameraSpec(stamp_send_time=True)` every access unit is preceded by an H.264 SEI
NAL (`user_data_unregistered`, payload type 5) holding `STAMP_UUID` and the wall-clock
time, in microseconds since the Unix epoch, at which the frame is written to the socket.
The recorder copies it into the archive untouched (stream copy), so a viewer that reads
the fragments it plays (the console's latency benchmark) knows when each picture left the
camera. The stamp is a separate RTP packet with the frame's timestamp; depacketizers
join NAL units of one timestamp into one access unit. The simulator stamps H.264 only;
`read_stamp` also reads the same message in an H.265 prefix SEI (`codec="h265"`), which
the third-party GStreamer camera of the tests (tests/peers/) sends.
"""

from __future__ import annotations

import struct
from typing import Literal

from beffroi.sim.rtp import PAYLOAD_TYPE

# Fixed: readers look for these 16 bytes (bench/console_latency.py's page script too).
STAMP_UUID = b"beffroi-latency!"
SEI_NAL_TYPE = 6
H265_PREFIX_SEI_NAL_TYPE = 39
USER_DATA_UNREGISTERED = 5
# The NAL unit header of an SEI: H.264 nal_ref_idc 0, type 6; H.265 type 39, layer 0,
# temporal id 1 (two bytes).
_SEI_HEADER = {"h264": bytes([SEI_NAL_TYPE]), "h265": bytes([H265_PREFIX_SEI_NAL_TYPE << 1, 1])}
_US = struct.Struct(">Q")
Codec = Literal["h264", "h265"]


def _escape(payload: bytes) -> bytes:
    """Emulation prevention: 0x000000..0x000003 may not appear in a NAL unit's body."""
    out = bytearray()
    zeros = 0
    for byte in payload:
        if zeros >= 2 and byte <= 3:
            out.append(3)
            zeros = 0
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)


def sei_nal(sent_us: int, codec: Codec = "h264") -> bytes:
    """The SEI NAL unit (without start code) stamping `sent_us`."""
    body = STAMP_UUID + _US.pack(sent_us)
    message = bytes([USER_DATA_UNREGISTERED, len(body)]) + body
    # The NAL header, then the message and the RBSP trailing bits.
    return _SEI_HEADER[codec] + _escape(message + b"\x80")


def _is_sei(nal: bytes, codec: Codec) -> bool:
    if codec == "h265":
        return len(nal) > 2 and (nal[0] >> 1) & 0x3F == H265_PREFIX_SEI_NAL_TYPE
    return bool(nal) and nal[0] & 0x1F == SEI_NAL_TYPE


def read_stamp(nal: bytes, codec: Codec = "h264") -> int | None:
    """The send time (µs) in an SEI NAL unit made by `sei_nal`, else None.

    `codec` says how to read the NAL unit header: H.264's one byte or H.265's two.
    """
    if not _is_sei(nal, codec):
        return None
    raw = bytearray()
    zeros = 0
    for byte in nal[len(_SEI_HEADER[codec]) :]:
        if zeros >= 2 and byte == 3:
            zeros = 0
            continue
        raw.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    if len(raw) < 2 + 24 or raw[0] != USER_DATA_UNREGISTERED or raw[1] != 24:
        return None
    if bytes(raw[2:18]) != STAMP_UUID:
        return None
    return int(_US.unpack_from(raw, 18)[0])


def stamp_packet(sent_us: int, seq: int, timestamp: int, ssrc: int, channel: int) -> bytes:
    """The interleaved RTP packet (single NAL unit, marker off) carrying the stamp."""
    nal = sei_nal(sent_us)
    interleaved = struct.pack(">BBH", 0x24, channel, 12 + len(nal))
    rtp = struct.pack(">BBHII", 0x80, PAYLOAD_TYPE, seq & 0xFFFF, timestamp, ssrc)
    return interleaved + rtp + nal
