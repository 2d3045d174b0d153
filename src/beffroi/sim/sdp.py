"""Session description (RFC 4566) for one simulated camera."""

from __future__ import annotations

from beffroi.sim.bitstream import Clip
from beffroi.sim.rtp import PAYLOAD_TYPE

TRACK_CONTROL = "trackID=0"


def build_sdp(clip: Clip, camera: str, host: str, session_id: int) -> str:
    encoding = "H264" if clip.codec == "h264" else "H265"
    fps = f"{clip.fps:g}"
    lines = [
        "v=0",
        f"o=- {session_id} 1 IN IP4 {host}",
        f"s=Beffroi simulated camera {camera}",
        "c=IN IP4 0.0.0.0",
        "t=0 0",
        "a=control:*",
        "a=range:npt=0-",
        f"m=video 0 RTP/AVP {PAYLOAD_TYPE}",
        f"b=AS:{max(clip.bitrate // 1000, 1)}",
        f"a=rtpmap:{PAYLOAD_TYPE} {encoding}/90000",
        f"a=fmtp:{PAYLOAD_TYPE} {clip.fmtp()}",
        f"a=control:{TRACK_CONTROL}",
        f"a=framerate:{fps}",
        f"a=x-dimensions:{clip.width},{clip.height}",
    ]
    return "\r\n".join(lines) + "\r\n"
