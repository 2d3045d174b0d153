"""The init part (`ftyp`+`moov`) of a segment: its one video track, as every reader
needs it (clock, defaults for the fragments, codec setup, picture size, the RFC 6381
codec string a Media Source Extensions player asks for), and the `moov` rewritten with
a duration for a file that joins segments.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass

from beffroi.archive.fmp4.boxes import (
    Buffer,
    SegmentFormatError,
    box,
    children,
    find,
    full_box_u32,
    parser,
    top_box,
)

# The visual sample entry's fixed fields before its child boxes (ISO/IEC 14496-12 12.1.3).
VISUAL_ENTRY_FIELDS = 78
AVC_ENTRIES = ("avc1", "avc3")
HEVC_ENTRIES = ("hvc1", "hev1")


@dataclass(frozen=True)
class Track:
    """A segment's one video track, from its `moov`."""

    moov: bytes  # the moov box as read
    track_id: int
    timescale: int  # ticks per second of decode times (mdhd)
    movie_timescale: int  # of durations in mvhd / mehd
    default_duration: int  # trex default sample duration, ticks
    default_flags: int  # trex default sample flags
    sample_description: bytes  # the stsd payload: the codec setup, byte for byte
    entry: str  # the sample entry's kind: avc1, hvc1…
    codec: str  # RFC 6381 codec string, e.g. avc1.64001f; "" unless H.264 or H.265
    width: int
    height: int

    @property
    def mime(self) -> str:
        return f'video/mp4; codecs="{self.codec}"'

    @property
    def is_hevc(self) -> bool:
        return self.codec.startswith(HEVC_ENTRIES)

    @property
    def codec_key(self) -> str:
        """Digest of the codec setup and clock: one init part can introduce the samples
        of every file with the same key."""
        key = self.sample_description + struct.pack(">I", self.timescale)
        return hashlib.sha256(key).hexdigest()[:16]

    def joinable(self, other: Track) -> bool:
        """The same track of the same setup: one file can hold both's fragments."""
        return (self.sample_description, self.timescale, self.track_id) == (
            other.sample_description,
            other.timescale,
            other.track_id,
        )


@parser
def parse_moov(moov: bytes) -> Track:
    """`moov` is the moov box alone."""
    root = top_box(moov, 0, "moov")
    traks = [c for c in children(moov, root.body, root.end) if c.kind == "trak"]
    if len(traks) != 1:
        raise SegmentFormatError(f"{len(traks)} tracks: a segment holds one video track")
    trak = traks[0]
    mvhd = find(moov, root.body, root.end, "mvhd")
    trex = find(moov, root.body, root.end, "mvex", "trex")
    tkhd = find(moov, trak.body, trak.end, "tkhd")
    mdhd = find(moov, trak.body, trak.end, "mdia", "mdhd")
    stsd = find(moov, trak.body, trak.end, "mdia", "minf", "stbl", "stsd")
    timescale = full_box_u32(moov, mdhd, 12, 20)
    if timescale <= 0:
        raise SegmentFormatError("track timescale is zero")
    entries = children(moov, stsd.body + 8, stsd.end)  # after version, flags and count
    if not entries:
        raise SegmentFormatError("empty sample description")
    entry = entries[0]
    width = height = 0
    if entry.end - entry.body >= VISUAL_ENTRY_FIELDS:
        width, height = struct.unpack_from(">HH", moov, entry.body + 24)
    return Track(
        moov=moov,
        track_id=full_box_u32(moov, tkhd, 12, 20),
        timescale=timescale,
        movie_timescale=full_box_u32(moov, mvhd, 12, 20),
        default_duration=struct.unpack_from(">I", moov, trex.body + 12)[0],
        default_flags=struct.unpack_from(">I", moov, trex.body + 20)[0],
        sample_description=moov[stsd.body : stsd.end],
        entry=entry.kind,
        codec=_codec_string(moov, entry.kind, entry.body, entry.end),
        width=width,
        height=height,
    )


def parse_init(init: bytes) -> Track:
    """The track of an init part (`ftyp`+`moov`), for a player: H.264 or H.265 only."""
    moov = find(init, 0, len(init), "moov")
    track = parse_moov(init[moov.offset : moov.end])
    if not track.codec:
        raise SegmentFormatError(f"unsupported sample entry {track.entry!r}")
    return track


def _codec_string(data: Buffer, kind: str, body: int, end: int) -> str:
    if kind not in AVC_ENTRIES + HEVC_ENTRIES or end - body < VISUAL_ENTRY_FIELDS:
        return ""
    config = {b.kind: b for b in children(data, body + VISUAL_ENTRY_FIELDS, end)}
    if kind in AVC_ENTRIES and "avcC" in config:
        c = config["avcC"].body  # profile, compatibility, level
        return f"{kind}.{data[c + 1]:02x}{data[c + 2]:02x}{data[c + 3]:02x}"
    if kind in HEVC_ENTRIES and "hvcC" in config:
        return kind + "." + hevc_codec_suffix(data, config["hvcC"].body)
    return ""


def hevc_codec_suffix(data: Buffer, c: int) -> str:
    """The part after `hvc1.` of an H.265 codec string, from an `hvcC` payload at `c`
    (ISO/IEC 14496-15 annex E): profile space and profile, compatibility flags (bits
    reversed), tier and level, then the constraint bytes without trailing zeros."""
    space_tier_profile = data[c + 1]
    space = "" if not space_tier_profile >> 6 else "ABC"[(space_tier_profile >> 6) - 1]
    profile = space_tier_profile & 0x1F
    tier = "H" if space_tier_profile & 0x20 else "L"
    compat = struct.unpack_from(">I", data, c + 2)[0]
    reversed_compat = int(f"{compat:032b}"[::-1], 2)
    constraints = list(data[c + 6 : c + 12])
    while constraints and constraints[-1] == 0:
        constraints.pop()
    level = data[c + 12]
    parts = [f"{space}{profile}", f"{reversed_compat:x}", f"{tier}{level}"]
    parts += [f"{b:02X}" for b in constraints]
    return ".".join(parts)


def output_moov(track: Track, duration_ticks: int) -> bytes:
    """The track's moov with an `mehd` giving a joined file's whole duration."""
    moov = track.moov
    root = top_box(moov, 0, "moov")
    parts: list[bytes] = []
    for c in children(moov, root.body, root.end):
        if c.kind != "mvex":
            parts.append(moov[c.offset : c.end])
            continue
        movie = duration_ticks * track.movie_timescale // track.timescale
        mehd = box("mehd", struct.pack(">IQ", 1 << 24, movie))  # version 1: 64-bit
        inner = [moov[x.offset : x.end] for x in children(moov, c.body, c.end) if x.kind != "mehd"]
        parts.append(box("mvex", mehd + b"".join(inner)))
    return box("moov", b"".join(parts))
