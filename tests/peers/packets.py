"""What a Beffroi-style client (FFmpeg through PyAV) gets from a camera: packets, NAL
unit types, send-time stamps, decoded pictures; and a one-line-per-packet description.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import av

from beffroi.sim.bitstream import split_annexb
from beffroi.sim.stamp import Codec as StampCodec
from beffroi.sim.stamp import read_stamp

# FFmpeg's own socket timeout (µs), so a stalled server fails a test instead of hanging it.
SOCKET_TIMEOUT_US = "5000000"
H264_NAMES = {1: "slice", 5: "IDR", 6: "SEI", 7: "SPS", 8: "PPS", 9: "AUD"}
H265_NAMES = {
    0: "TRAIL_N", 1: "TRAIL_R", 19: "IDR_W_RADL", 20: "IDR_N_LP", 21: "CRA",
    32: "VPS", 33: "SPS", 34: "PPS", 35: "AUD", 39: "SEI",
}  # fmt: skip


@dataclass(frozen=True)
class Packet:
    """One demuxed video packet as the recorder would see it."""

    dts: int | None
    pts: int | None
    keyframe: bool
    size: int
    nal_types: tuple[int, ...]
    stamps: tuple[int, ...]  # capture/send times (Unix µs) found in SEI NAL units
    arrival: float  # time.time() when FFmpeg handed it over


@dataclass
class Capture:
    """`seconds` of one camera's video, after `av.open` returned."""

    codec: str
    audio_codecs: list[str]
    time_base: float  # seconds per pts tick
    open_s: float  # how long av.open took (FFmpeg probes the stream meanwhile)
    packets: list[Packet] = field(default_factory=list)
    decoded: int = 0
    first_picture: bytes = b""  # luma plane of the first and last decoded pictures
    last_picture: bytes = b""

    def nal_type(self, nal: bytes) -> int:
        return nal[0] & 0x1F if self.codec == "h264" else (nal[0] >> 1) & 0x3F

    def slices(self, packet: Packet) -> int:
        """How many slice NAL units (VCL: one picture's coded pieces) `packet` holds."""
        if self.codec == "h264":
            return sum(1 for t in packet.nal_types if t in (1, 5))
        return sum(1 for t in packet.nal_types if t < 32)

    def pictures(self) -> list[list[Packet]]:
        """Packets grouped by picture: FFmpeg cuts a keyframe of several slices into
        several packets of one pts (GStreamer's), the very first one without a pts."""
        groups: list[list[Packet]] = []
        for packet in self.packets:
            last = groups[-1][-1] if groups else None
            if last is not None and (
                (packet.pts is not None and packet.pts == last.pts)
                or (last.pts is None and last.keyframe and packet.keyframe)
            ):
                groups[-1].append(packet)
            else:
                groups.append([packet])
        return groups


def capture(
    url: str,
    seconds: float = 3.0,
    *,
    transport: str = "tcp",
    options: dict[str, str] | None = None,
) -> Capture:
    """Open `url` as the recorder does and read its video for `seconds`."""
    opened_at = time.monotonic()
    all_options = {"rtsp_transport": transport, **(options or {})}
    if transport == "tcp":
        all_options.setdefault("timeout", SOCKET_TIMEOUT_US)
    with av.open(url, options=all_options) as container:
        open_s = time.monotonic() - opened_at
        stream = container.streams.video[0]
        result = Capture(
            codec=stream.codec_context.name,
            audio_codecs=[s.codec_context.name for s in container.streams.audio],
            time_base=float(stream.time_base or 0),
            open_s=open_s,
        )
        stamp_codec: StampCodec = "h265" if result.codec == "hevc" else "h264"
        deadline = time.monotonic() + seconds
        for packet in container.demux(stream):
            if packet.size == 0:
                continue
            arrival = time.time()
            nals = split_annexb(bytes(packet))
            stamps = tuple(s for nal in nals if (s := read_stamp(nal, stamp_codec)))
            result.packets.append(
                Packet(
                    packet.dts,
                    packet.pts,
                    packet.is_keyframe,
                    packet.size,
                    tuple(result.nal_type(nal) for nal in nals if nal),
                    stamps,
                    arrival,
                )
            )
            for frame in packet.decode():
                luma = bytes(frame.planes[0])
                result.first_picture = result.first_picture or luma
                result.last_picture = luma
                result.decoded += 1
            if time.monotonic() > deadline:
                break
    return result


def describe(result: Capture, limit: int = 30) -> str:
    """`dts pts K size [NAL types]` for the first `limit` packets, for humans."""
    names = H264_NAMES if result.codec == "h264" else H265_NAMES
    lines = [f"{result.codec}, audio {result.audio_codecs}, open {result.open_s:.2f} s"]
    for packet in result.packets[:limit]:
        types = ",".join(names.get(t, str(t)) for t in packet.nal_types)
        stamp = " stamp" if packet.stamps else ""
        key = "K" if packet.keyframe else "-"
        lines.append(f"{packet.dts} {packet.pts} {key} {packet.size} [{types}]{stamp}")
    return "\n".join(lines)
