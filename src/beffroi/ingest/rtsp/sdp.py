"""The video track of an RTSP camera's session description (RFC 8866, RFC 6184, RFC 7798).

Only what recording needs: the first video media whose codec we record (H.264 or H.265),
its RTP payload type and clock rate, its control URL, and the parameter sets the camera
announces (`sprop-parameter-sets`, `sprop-vps/sps/pps`). Audio and metadata media are
never set up (CNIL: public-space video protection may not capture sound).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field

CODECS = {"H264": "h264", "H265": "hevc"}  # rtpmap encoding name → FFmpeg's codec name


class SdpError(ValueError):
    """The description has no video we can record; `reason` says which case."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason  # "no_video" or "unsupported_codec"


@dataclass
class VideoMedia:
    payload_type: int
    codec: str  # "h264" or "hevc"
    clock_rate: int
    control: str  # as written: absolute, relative, or "*"
    fmtp: dict[str, str] = field(default_factory=dict)

    def parameter_sets(self) -> list[bytes]:
        """The NAL units the camera announces, without start codes (VPS, SPS, PPS)."""
        if self.codec == "h264":
            encoded = self.fmtp.get("sprop-parameter-sets", "").split(",")
        else:
            encoded = [self.fmtp.get(k, "") for k in ("sprop-vps", "sprop-sps", "sprop-pps")]
            encoded = [e for part in encoded for e in part.split(",")]
        out = []
        for item in encoded:
            try:
                nal = base64.b64decode(item.strip(), validate=True) if item.strip() else b""
            except (binascii.Error, ValueError):
                continue  # a broken announcement: the in-band parameter sets will do
            if nal:
                out.append(nal)
        return out

    @property
    def max_don_diff(self) -> int:
        """H.265 decoding-order numbers in the payload (RFC 7798 §7.1): not supported."""
        try:
            return int(self.fmtp.get("sprop-max-don-diff", "0"))
        except ValueError:
            return 0


def video_media(sdp: str) -> VideoMedia:
    """The first recordable video media of `sdp`; SdpError when there is none."""
    blocks = _media_blocks(sdp)
    videos = [b for b in blocks if b and b[0].split(" ", 1)[0] == "video"]
    if not videos:
        raise SdpError("the stream has no video track", "no_video")
    seen: list[str] = []
    for lines in videos:
        fields = lines[0].split()
        formats = fields[3:] if len(fields) > 3 else []
        rtpmap, fmtp, control = {}, {}, "*"
        for line in lines[1:]:
            key, _, value = line.partition(":")
            if key == "a=rtpmap":
                pt, _, encoding = value.partition(" ")
                rtpmap[pt.strip()] = encoding.strip()
            elif key == "a=fmtp":
                pt, _, params = value.partition(" ")
                fmtp[pt.strip()] = _fmtp(params)
            elif key == "a=control":
                control = value.strip()
        for pt in formats:
            name, _, rest = rtpmap.get(pt, "").partition("/")
            seen.append(name or pt)
            codec = CODECS.get(name.upper())
            if codec is None or not pt.isdigit():
                continue
            rate = rest.split("/", 1)[0]
            return VideoMedia(
                payload_type=int(pt),
                codec=codec,
                clock_rate=int(rate) if rate.isdigit() and int(rate) > 0 else 90_000,
                control=control,
                fmtp=fmtp.get(pt, {}),
            )
    raise SdpError(f"codec {', '.join(seen) or 'unknown'}", "unsupported_codec")


def _media_blocks(sdp: str) -> list[list[str]]:
    """The lines of each `m=` section, the `m=` line's value first."""
    blocks: list[list[str]] = []
    for raw in sdp.splitlines():
        line = raw.strip()
        if line.startswith("m="):
            blocks.append([line[2:]])
        elif blocks and line:
            blocks[-1].append(line)
    return blocks


def _fmtp(params: str) -> dict[str, str]:
    out = {}
    for item in params.split(";"):
        key, sep, value = item.strip().partition("=")
        if sep:
            out[key.strip().lower()] = value.strip()
    return out
