"""What whole pictures from RTP still need before they are recorded.

- `ParameterSets`: the codec's parameter sets (VPS, SPS, PPS), from the SDP and then
  in-band, the newest of each kept. A keyframe that comes without them gets them in
  front, so that every segment (which starts on a keyframe) decodes on its own; the SPS
  gives the picture size and the reorder depth.
- `DecodeTimes`: RTP carries presentation times only. A stream with B-frames presents
  pictures out of decoding order, and MP4 wants a decode time for each, non-decreasing
  and not after its presentation. With a reorder depth of N pictures, the decoder can
  output the (i − N)-th picture in presentation order once it holds the i-th in decoding
  order: that picture's presentation time is a valid decode time for picture i. The
  first N pictures get decode times a picture period apart before the first one's (the
  period from the session's first pictures, which `sources.py` reads before starting).
"""

from __future__ import annotations

import bisect
import itertools
import logging

from beffroi.ingest.rtsp.parameter_sets import (
    ParameterSetError,
    SequenceInfo,
    h264_sps,
    hevc_sps,
)
from beffroi.ingest.rtsp.rtp import START

log = logging.getLogger(__name__)

H264_KINDS = {7: "sps", 8: "pps"}
HEVC_KINDS = {32: "vps", 33: "sps", 34: "pps"}
ORDER = ("vps", "sps", "pps")
MAX_REORDER = 16  # the most any H.264/H.265 level allows
WINDOW = 64  # presentation times kept: more than any reorder depth


def picture_period(pts: list[int]) -> int | None:
    """The smallest step between presentation times (one picture), if any."""
    ordered = sorted(set(pts))
    steps = [b - a for a, b in itertools.pairwise(ordered)]
    return min(steps) if steps else None


def nal_units(annex_b: bytes) -> list[bytes]:
    """The NAL units of an Annex B buffer, start codes removed."""
    out = []
    i = annex_b.find(b"\x00\x00\x01")
    while i >= 0:
        start = i + 3
        i = annex_b.find(b"\x00\x00\x01", start)
        end = len(annex_b) if i < 0 else i
        while end > start and annex_b[end - 1] == 0:  # a 4-byte start code's zero
            end -= 1
        if end > start:
            out.append(annex_b[start:end])
    return out


class ParameterSets:
    def __init__(self, codec: str, announced: list[bytes]) -> None:
        self.hevc = codec == "hevc"
        self.kinds = HEVC_KINDS if self.hevc else H264_KINDS
        self.sets: dict[str, bytes] = {}
        self.info: SequenceInfo | None = None
        self.annex_b = b""
        for nal in announced:
            self._keep(nal)
        self._update()

    def learn(self, picture: bytes) -> None:
        """Keep the parameter sets found in an Annex B picture."""
        for nal in nal_units(picture):
            kind = (nal[0] >> 1) & 0x3F if self.hevc else nal[0] & 0x1F
            if kind in self.kinds:
                self._keep(nal)
            elif kind not in (6, 9, 35, 39):  # SEI and delimiters precede them; slices not
                break
        self._update()

    def _keep(self, nal: bytes) -> None:
        if not nal:
            return
        kind = (nal[0] >> 1) & 0x3F if self.hevc else nal[0] & 0x1F
        name = self.kinds.get(kind)
        if name == "sps":
            try:
                info = hevc_sps(nal) if self.hevc else h264_sps(nal)
            except ParameterSetError as exc:
                log.warning("unreadable SPS ignored: %s", exc)
                return
            if self.info is not None and info != self.info:
                log.warning("the camera's SPS changed: %s → %s", self.info, info)
            self.info = info
        if name is not None:
            self.sets[name] = nal

    def _update(self) -> None:
        self.annex_b = b"".join(START + self.sets[n] for n in ORDER if n in self.sets)


class DecodeTimes:
    def __init__(self, reorder: int, jump_ticks: int, period_ticks: int = 1) -> None:
        self.reorder = min(reorder, MAX_REORDER)
        self.period = max(1, period_ticks)  # between pictures: the first ones' decode step
        self.jump_ticks = jump_ticks  # a step larger than this is the camera's clock jumping
        self.seen: list[int] = []  # presentation times, sorted: the largest WINDOW
        self.count = 0  # pictures since the start, or since the last jump
        self.first = 0
        self.last = -(1 << 62)
        self.raised = 0  # times the depth had to grow (an SPS that said too little)
        self.jumps = 0

    def next(self, pts: int) -> int:
        """The decode time of the next picture in decoding order, presented at `pts`."""
        seen = self.seen
        if seen and (pts > seen[-1] + self.jump_ticks or pts < self.last - self.jump_ticks):
            # The camera's clock jumped (the frame clock deals with that): presentation
            # times from before the jump say nothing of the decoding order after it.
            self.jumps += 1
            seen.clear()
            self.count = 0
            self.last = -(1 << 62)
        bisect.insort(seen, pts)
        if len(seen) > WINDOW:
            del seen[0]
        if self.count == 0:
            self.first = pts
        index, self.count = self.count, self.count + 1
        if index < self.reorder:
            # A picture period apart before the first, as FFmpeg's reader times them: the
            # steady state's offsets from the first picture on (the live view relies on
            # one composition offset for every keyframe of a stream).
            dts = self.first - (self.reorder - index) * self.period
        else:
            dts = seen[-1 - self.reorder]
        if dts > pts and self.reorder < MAX_REORDER:
            # Deeper reordering than the SPS said (or it said nothing): from now on,
            # one picture more; this one is decoded when it is presented.
            self.reorder += 1
            self.raised += 1
            log.info("B-frames deeper than announced: reorder depth now %d", self.reorder)
        dts = min(max(dts, self.last + 1), pts)
        self.last = dts
        return dts
