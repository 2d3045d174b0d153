"""Load a cached clip into memory as access units ready for RTP packetization."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

import av

from beffroi.sim.clips import ClipSpec, Codec, ensure_clip

__all__ = ["AccessUnit", "Clip", "load_clip", "nal_type", "split_annexb"]

RTP_CLOCK = 90_000

H264_SPS, H264_PPS, H264_IDR = 7, 8, 5
H265_VPS, H265_SPS, H265_PPS = 32, 33, 34


@dataclass(frozen=True)
class AccessUnit:
    """One frame: its NAL units (no start codes), timing in 90 kHz ticks, keyframe flag."""

    nals: tuple[bytes, ...]
    pts: int
    duration: int
    keyframe: bool


@dataclass(frozen=True)
class Clip:
    """A loaded clip. ``duration`` (90 kHz ticks) is what one loop adds to the timeline."""

    codec: Codec
    width: int
    height: int
    fps: float
    access_units: tuple[AccessUnit, ...]
    duration: int
    vps: tuple[bytes, ...]
    sps: tuple[bytes, ...]
    pps: tuple[bytes, ...]
    bitrate: int

    @property
    def parameter_sets(self) -> tuple[bytes, ...]:
        return self.vps + self.sps + self.pps

    def fmtp(self) -> str:
        """The ``a=fmtp`` attributes (without payload type) describing this clip."""

        def b64(data: bytes) -> str:
            return base64.b64encode(data).decode("ascii")

        if self.codec == "h264":
            profile = self.sps[0][1:4].hex() if self.sps and len(self.sps[0]) >= 4 else "42e01f"
            sets = ",".join(b64(p) for p in self.sps + self.pps)
            return f"packetization-mode=1;profile-level-id={profile};sprop-parameter-sets={sets}"
        parts = [
            f"sprop-vps={','.join(b64(p) for p in self.vps)}",
            f"sprop-sps={','.join(b64(p) for p in self.sps)}",
            f"sprop-pps={','.join(b64(p) for p in self.pps)}",
        ]
        return ";".join(parts)


def nal_type(codec: Codec, nal: bytes) -> int:
    if codec == "h264":
        return nal[0] & 0x1F
    return (nal[0] >> 1) & 0x3F


def split_annexb(data: bytes) -> list[bytes]:
    """Split an Annex-B byte stream on 3- or 4-byte start codes."""
    nals: list[bytes] = []
    starts: list[tuple[int, int]] = []
    i = data.find(b"\x00\x00\x01")
    while i >= 0:
        begin = i - 1 if i > 0 and data[i - 1] == 0 else i
        starts.append((begin, i + 3))
        i = data.find(b"\x00\x00\x01", i + 3)
    for k, (_, payload_start) in enumerate(starts):
        end = starts[k + 1][0] if k + 1 < len(starts) else len(data)
        nal = data[payload_start:end]
        if k + 1 < len(starts):
            nal = nal.rstrip(b"\x00")  # trailing_zero_8bits belong to no NAL unit
        if nal:
            nals.append(nal)
    return nals


def _split_length_prefixed(data: bytes, size: int) -> list[bytes]:
    nals: list[bytes] = []
    pos = 0
    while pos + size <= len(data):
        length = int.from_bytes(data[pos : pos + size], "big")
        pos += size
        if length <= 0 or pos + length > len(data):
            raise ValueError("corrupt length-prefixed NAL unit")
        nals.append(data[pos : pos + length])
        pos += length
    return nals


def _parse_avcc(extra: bytes) -> tuple[int, list[bytes], list[bytes]]:
    length_size = (extra[4] & 0x03) + 1
    pos = 5
    sps: list[bytes] = []
    pps: list[bytes] = []
    for target, count_mask in ((sps, 0x1F), (pps, 0xFF)):
        count = extra[pos] & count_mask
        pos += 1
        for _ in range(count):
            length = int.from_bytes(extra[pos : pos + 2], "big")
            target.append(extra[pos + 2 : pos + 2 + length])
            pos += 2 + length
    return length_size, sps, pps


def _parse_hvcc(extra: bytes) -> tuple[int, list[bytes]]:
    length_size = (extra[21] & 0x03) + 1
    arrays = extra[22]
    pos = 23
    nals: list[bytes] = []
    for _ in range(arrays):
        count = int.from_bytes(extra[pos + 1 : pos + 3], "big")
        pos += 3
        for _ in range(count):
            length = int.from_bytes(extra[pos : pos + 2], "big")
            nals.append(extra[pos + 2 : pos + 2 + length])
            pos += 2 + length
    return length_size, nals


def load_clip(spec: ClipSpec, cache_dir: Path | str | None = None) -> Clip:
    """Ensure the clip is cached, then parse it into access units.

    Parameter sets are taken from the extradata and also prepended in-band to every keyframe
    (as most IP cameras do) so clients can start decoding at any GOP. The nominal frame rate
    and the loop length come from ``spec``: a VFR clip's average rate is neither.
    """
    path = ensure_clip(spec, cache_dir)
    loop_ticks = round(spec.frame_count * RTP_CLOCK / spec.fps)
    return load_clip_file(path, spec.codec, fps=float(spec.fps), loop_ticks=loop_ticks)


def load_clip_file(
    path: Path | str, codec: Codec, *, fps: float | None = None, loop_ticks: int | None = None
) -> Clip:
    """Parse a clip file; ``fps`` and ``loop_ticks`` (90 kHz) override what the file says."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        extra = bytes(stream.codec_context.extradata or b"")
        annexb = extra.startswith(b"\x00\x00\x01") or extra.startswith(b"\x00\x00\x00\x01")
        length_size = 4
        if annexb:
            params = split_annexb(extra)
        elif codec == "h264":
            length_size, sps_list, pps_list = _parse_avcc(extra)
            params = sps_list + pps_list
        else:
            length_size, params = _parse_hvcc(extra)
        time_base = stream.time_base
        assert time_base is not None
        raw: list[tuple[list[bytes], int, bool]] = []
        for packet in container.demux(stream):
            if packet.size == 0 or packet.pts is None:
                continue
            data = bytes(packet)
            nals = split_annexb(data) if annexb else _split_length_prefixed(data, length_size)
            pts = round(packet.pts * time_base * RTP_CLOCK)
            raw.append((nals, pts, bool(packet.is_keyframe)))
        rate = stream.average_rate or stream.guessed_rate
        width, height = stream.codec_context.width, stream.codec_context.height
    if not raw:
        raise ValueError(f"{path}: no video packet")
    if fps is None:
        fps = float(rate) if rate else 15.0
    frame_ticks = round(RTP_CLOCK / fps)
    raw.sort(key=lambda item: item[1])
    base = raw[0][1]
    vps = tuple(p for p in params if codec == "h265" and nal_type(codec, p) == H265_VPS)
    sps_type, pps_type = (H264_SPS, H264_PPS) if codec == "h264" else (H265_SPS, H265_PPS)
    sps = tuple(p for p in params if nal_type(codec, p) == sps_type)
    pps = tuple(p for p in params if nal_type(codec, p) == pps_type)
    in_band = (*vps, *sps, *pps)
    units: list[AccessUnit] = []
    end = base + loop_ticks if loop_ticks is not None else raw[-1][1] + frame_ticks
    for index, (nals, pts, key) in enumerate(raw):
        next_pts = raw[index + 1][1] if index + 1 < len(raw) else end
        has_params = any(nal_type(codec, n) in (H264_SPS, H265_SPS) for n in nals)
        if key and not has_params:
            nals = [*in_band, *nals]
        units.append(AccessUnit(tuple(nals), pts - base, next_pts - pts, key))
    total = units[-1].pts + units[-1].duration
    size = sum(len(n) for unit in units for n in unit.nals)
    return Clip(
        codec=codec,
        width=width,
        height=height,
        fps=fps,
        access_units=tuple(units),
        duration=total,
        vps=vps,
        sps=sps,
        pps=pps,
        bitrate=int(size * 8 * RTP_CLOCK / total),
    )
