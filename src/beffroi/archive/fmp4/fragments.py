"""The fragments (`moof`+`mdat`) of a segment: reading a `moof`, rewriting the two or
three fields that let fragments of several files play as one stream, and the `sidx`
that indexes the fragments of a joined file.

Everything here parses the few hundred bytes of a `moof`; the megabytes of `mdat` are
never looked at. The recorder writes `default-base-is-moof`, so a fragment's sample
offsets are relative to its own `moof`: it can be moved or sent alone untouched, but
for its sequence number (`mfhd`) and decode time (`tfdt`).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO

from beffroi.archive.fmp4.boxes import (
    Box,
    Buffer,
    SegmentFormatError,
    box,
    children,
    find,
    iter_boxes,
    parser,
    top_box,
)
from beffroi.archive.fmp4.track import Track, parse_moov

# tfhd / trun flags (ISO/IEC 14496-12, 8.8.7 and 8.8.8)
TFHD_BASE_DATA_OFFSET = 0x000001
TFHD_SAMPLE_DESCRIPTION = 0x000002
TFHD_DEFAULT_DURATION = 0x000008
TFHD_DEFAULT_SIZE = 0x000010
TFHD_DEFAULT_FLAGS = 0x000020
TRUN_DATA_OFFSET = 0x000001
TRUN_FIRST_FLAGS = 0x000004
TRUN_DURATION = 0x000100
TRUN_SIZE = 0x000200
TRUN_FLAGS = 0x000400
TRUN_CTO = 0x000800
# Sample flags: "sample_is_non_sync_sample".
NON_SYNC = 0x0001_0000
MAX_SIDX_REFERENCES = 0xFFFF


@dataclass(frozen=True, slots=True)
class Fragment:
    """One `moof`+`mdat` pair."""

    offset: int  # of the moof in its file (0 for a fragment read on its own)
    size: int  # moof + mdat
    decode_time: int  # tfdt, in the track's timescale
    duration: int  # sum of its samples' durations, same unit
    samples: int
    keyframe: bool  # its first sample is a sync sample: a file or a viewer may start here
    sequence_at: int  # offsets from the moof's first byte of the fields rewritten
    tfdt_at: int
    tfdt_wide: bool  # 64-bit tfdt (version 1)
    base_offset_at: int | None  # an absolute base_data_offset (the recorder writes none)


@parser
def parse_moof(
    data: Buffer,
    track: Track,
    at: int = 0,
    *,
    offset: int | None = None,
    size: int | None = None,
    standalone: bool = False,
) -> Fragment:
    """The fragment whose `moof` starts at data[at]. `offset`: its place in its file
    (default `at`); `size`: the moof and its mdat together (default: to the end of
    `data`). `standalone`: the fragment will be served on its own, so an absolute base
    data offset, which would point elsewhere once it is moved, is refused."""
    moof = top_box(data, at, "moof")
    mfhd = find(data, moof.body, moof.end, "mfhd")
    trafs = [c for c in children(data, moof.body, moof.end) if c.kind == "traf"]
    if len(trafs) != 1:
        raise SegmentFormatError("moof with several track fragments, or none")
    parts = children(data, trafs[0].body, trafs[0].end)
    tfhd = next((c for c in parts if c.kind == "tfhd"), None)
    tfdt = next((c for c in parts if c.kind == "tfdt"), None)
    truns = [c for c in parts if c.kind == "trun"]
    if tfhd is None or tfdt is None or not truns:
        raise SegmentFormatError("fragment without tfhd, tfdt or trun")
    (tf_flags,) = struct.unpack_from(">I", data, tfhd.body)
    tf_flags &= 0xFFFFFF
    pos = tfhd.body + 8  # version+flags, track_ID
    base_offset_at = None
    if tf_flags & TFHD_BASE_DATA_OFFSET:
        if standalone:
            raise SegmentFormatError("fragment uses an absolute base data offset")
        base_offset_at, pos = pos - at, pos + 8
    if tf_flags & TFHD_SAMPLE_DESCRIPTION:
        pos += 4
    default_duration = track.default_duration
    default_flags = track.default_flags
    if tf_flags & TFHD_DEFAULT_DURATION:
        (default_duration,), pos = struct.unpack_from(">I", data, pos), pos + 4
    if tf_flags & TFHD_DEFAULT_SIZE:
        pos += 4
    if tf_flags & TFHD_DEFAULT_FLAGS:
        (default_flags,) = struct.unpack_from(">I", data, pos)
    wide = data[tfdt.body] == 1
    decode_time = struct.unpack_from(">Q" if wide else ">I", data, tfdt.body + 4)[0]
    duration = samples = 0
    first_flags: int | None = None
    for trun in truns:
        duration_i, count, flags = _trun(data, trun, default_duration, default_flags)
        duration += duration_i
        samples += count
        if first_flags is None and count:
            first_flags = flags
    return Fragment(
        offset=at if offset is None else offset,
        size=len(data) - at if size is None else size,
        decode_time=decode_time,
        duration=duration,
        samples=samples,
        keyframe=first_flags is not None and not first_flags & NON_SYNC,
        sequence_at=mfhd.body + 4 - at,
        tfdt_at=tfdt.body + 4 - at,
        tfdt_wide=wide,
        base_offset_at=base_offset_at,
    )


def _trun(
    data: Buffer, trun: Box, default_duration: int, default_flags: int
) -> tuple[int, int, int]:
    """(total duration, sample count, flags of the first sample) of one trun."""
    flags, count = struct.unpack_from(">II", data, trun.body)
    flags &= 0xFFFFFF
    pos = trun.body + 8
    if flags & TRUN_DATA_OFFSET:
        pos += 4
    first_flags = default_flags
    if flags & TRUN_FIRST_FLAGS:
        (first_flags,), pos = struct.unpack_from(">I", data, pos), pos + 4
    fields = [bit for bit in (TRUN_DURATION, TRUN_SIZE, TRUN_FLAGS, TRUN_CTO) if flags & bit]
    stride = 4 * len(fields)
    if not flags & TRUN_DURATION:
        duration = default_duration * count
    else:
        at = pos + 4 * fields.index(TRUN_DURATION)
        duration = sum(struct.unpack_from(">I", data, at + i * stride)[0] for i in range(count))
    if flags & TRUN_FLAGS and not flags & TRUN_FIRST_FLAGS and count:
        (first_flags,) = struct.unpack_from(">I", data, pos + 4 * fields.index(TRUN_FLAGS))
    return duration, count, first_flags


def patch_moof(
    buf: bytearray, at: int, fragment: Fragment, sequence: int, decode_time: int, moved_by: int = 0
) -> None:
    """Rewrite in place, in `buf` where the fragment's moof starts at `at`, its sequence
    number and decode time; `moved_by` is how far the fragment moved in its file (only
    matters for an absolute base_data_offset, which the recorder never writes)."""
    if fragment.tfdt_wide:
        struct.pack_into(">Q", buf, at + fragment.tfdt_at, decode_time)
    elif decode_time <= 0xFFFF_FFFF:
        struct.pack_into(">I", buf, at + fragment.tfdt_at, decode_time)
    else:
        raise SegmentFormatError("decode time overflows a 32-bit tfdt")
    struct.pack_into(">I", buf, at + fragment.sequence_at, sequence & 0xFFFF_FFFF)
    if fragment.base_offset_at is not None:
        (base,) = struct.unpack_from(">Q", buf, at + fragment.base_offset_at)
        struct.pack_into(">Q", buf, at + fragment.base_offset_at, base + moved_by)


def rewritten(data: bytes, fragment: Fragment, sequence: int, decode_time: int) -> bytes:
    """A copy of a fragment's bytes (its moof first) with its sequence number and decode
    time set; the samples untouched."""
    buf = bytearray(data)
    patch_moof(buf, 0, fragment, sequence, decode_time)
    return bytes(buf)


@dataclass(frozen=True)
class SegmentLayout:
    """A segment file's init part and complete fragments."""

    ftyp: bytes
    track: Track
    fragments: tuple[Fragment, ...]

    @property
    def init_size(self) -> int:
        """Bytes of the init part (ftyp + moov), where the first fragment starts."""
        return len(self.ftyp) + len(self.track.moov)

    @property
    def t0(self) -> int:
        """Decode time of the first fragment."""
        return self.fragments[0].decode_time if self.fragments else 0


def read_layout(f: BinaryIO, file_size: int, *, standalone: bool = False) -> SegmentLayout:
    """The init part and every complete fragment of a segment file, from its box headers
    and moofs. A cut moof+mdat pair at the end (a `.part` being written, a crash) is
    left out, like `complete_prefix`. `standalone`: see `parse_moof`."""
    boxes = iter_boxes(f, file_size)
    head = [b.kind for b in boxes[:2]]
    if head != ["ftyp", "moov"]:
        raise SegmentFormatError(f"starts with {head}, not ftyp moov")
    f.seek(0)
    ftyp = f.read(boxes[0].size)
    track = parse_moov(f.read(boxes[1].size))
    fragments: list[Fragment] = []
    for i, b in enumerate(boxes[2:], start=2):
        if b.kind != "moof":
            continue
        if i + 1 >= len(boxes) or boxes[i + 1].kind != "mdat":
            break  # a torn tail: only whole fragments count
        f.seek(b.offset)
        size = b.size + boxes[i + 1].size
        moof = f.read(b.size)
        fragments.append(parse_moof(moof, track, offset=b.offset, size=size, standalone=standalone))
    return SegmentLayout(ftyp, track, tuple(fragments))


def sidx_size(references: int) -> int:
    return 8 + 4 + 8 + 16 + 4 + 12 * references


def sidx(track: Track, fragments: list[tuple[int, int, bool]]) -> bytes:
    """A global segment index (as `ffmpeg -movflags global_sidx` writes it): one
    reference per (size, duration, starts_with_keyframe) fragment, in order, the first
    starting right after this box."""
    if len(fragments) > MAX_SIDX_REFERENCES:
        raise SegmentFormatError("too many fragments for one sidx")
    head = struct.pack(
        ">IIIQQHH", 1 << 24, track.track_id, track.timescale, 0, 0, 0, len(fragments)
    )
    refs = b"".join(
        struct.pack(">III", size & 0x7FFFFFFF, duration, (0x90000000 if sync else 0))
        for size, duration, sync in fragments
    )
    return box("sidx", head + refs)
