"""ISO BMFF box headers: walking a file or a buffer, finding a box by path, building one.

A box is a 32-bit size, a four-letter kind, then (when the size is 1) a 64-bit size,
then its payload (ISO/IEC 14496-12, 4.2). Containers (`moov`, `trak`, `moof`, `traf`…)
hold nothing but boxes, so one walker serves every level.
"""

from __future__ import annotations

import functools
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

Buffer = bytes | bytearray | memoryview
# Boxes allowed between fragments; anything else after the moov ends the media.
BETWEEN_FRAGMENTS = ("styp", "sidx", "prft", "free", "mfra")


class SegmentFormatError(ValueError):
    """Bytes that are not a fragmented MP4 as the recorder writes it (a box missing,
    cut short or overrunning its parent, an unsupported layout); the message says why."""


@dataclass(frozen=True)
class Box:
    kind: str
    offset: int  # of the box header, in the file or buffer walked
    size: int  # header included
    header: int = 8  # 16 when the box carries a 64-bit size

    @property
    def body(self) -> int:
        return self.offset + self.header

    @property
    def end(self) -> int:
        return self.offset + self.size


def box_header(data: Buffer, pos: int) -> tuple[str, int, int] | None:
    """(kind, size, header length) of the box starting at data[pos]; None when its
    header is not all there yet. A size of 0 ("to the end of the file") is returned
    as is: only the caller knows where the end is."""
    if len(data) < pos + 8:
        return None
    size, kind = struct.unpack_from(">I4s", data, pos)
    header = 8
    if size == 1:
        if len(data) < pos + 16:
            return None
        (size,) = struct.unpack_from(">Q", data, pos + 8)
        header = 16
    return bytes(kind).decode("latin-1"), size, header


def iter_boxes(f: BinaryIO, file_size: int) -> list[Box]:
    """Top-level boxes that fit entirely in the file; stops at the first cut one.
    Reads a few bytes per box, never the payloads."""
    boxes: list[Box] = []
    offset = 0
    while offset + 8 <= file_size:
        f.seek(offset)
        found = box_header(f.read(16), 0)
        if found is None:
            break
        kind, size, header = found
        if size == 0:  # "to end of file": only legal for the last box
            size = file_size - offset
        if size < header or offset + size > file_size:
            break
        boxes.append(Box(kind, offset, size, header))
        offset += size
    return boxes


def complete_prefix(f: BinaryIO, file_size: int) -> tuple[int, int]:
    """(bytes, fragments): the length of the longest prefix made of the header boxes and
    whole `moof`+`mdat` pairs. 0 bytes when even the `moov` is missing. After a crash
    the last pair may be cut short; everything before it is intact and playable."""
    boxes = iter_boxes(f, file_size)
    kinds = [b.kind for b in boxes]
    if "moov" not in kinds:
        return 0, 0
    end = boxes[kinds.index("moov")].end
    fragments = 0
    i = kinds.index("moov") + 1
    while i < len(boxes):
        if boxes[i].kind == "moof" and i + 1 < len(boxes) and boxes[i + 1].kind == "mdat":
            end = boxes[i + 1].end
            fragments += 1
            i += 2
        elif boxes[i].kind in BETWEEN_FRAGMENTS:
            end = boxes[i].end
            i += 1
        else:
            break
    return end, fragments


def children(data: Buffer, start: int, end: int) -> list[Box]:
    """The boxes directly inside data[start:end]; a box overrunning it is an error
    (inside a moov or moof nothing may be cut: those are read whole)."""
    out: list[Box] = []
    pos = start
    while pos + 8 <= end:
        found = box_header(data, pos)
        if found is None or found[1] < found[2] or pos + found[1] > end:
            raise SegmentFormatError(f"box at {pos} overruns its parent")
        kind, size, header = found
        out.append(Box(kind, pos, size, header))
        pos += size
    return out


def find(data: Buffer, start: int, end: int, *path: str) -> Box:
    """The first box along `path` (e.g. "trak", "mdia", "mdhd") inside [start, end)."""
    box: Box | None = None
    for kind in path:
        box = next((c for c in children(data, start, end) if c.kind == kind), None)
        if box is None:
            raise SegmentFormatError(f"no {'/'.join(path)} box")
        start, end = box.body, box.end
    if box is None:
        raise SegmentFormatError("empty box path")
    return box


def top_box(data: Buffer, at: int, kind: str) -> Box:
    """The box that starts at data[at], which must be a whole `kind`."""
    found = box_header(data, at)
    if found is None or found[0] != kind or found[1] < found[2] or at + found[1] > len(data):
        raise SegmentFormatError(f"no whole {kind} box at {at}")
    return Box(kind, at, found[1], found[2])


def box(kind: str, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind.encode("latin-1")) + payload


def full_box_u32(data: Buffer, b: Box, v0_at: int, v1_at: int) -> int:
    """A 32-bit field of a full box whose place depends on its version (1: 64-bit times)."""
    return int(struct.unpack_from(">I", data, b.body + (v1_at if data[b.body] else v0_at))[0])


def parser(fn: Callable[P, R]) -> Callable[P, R]:
    """A field read past the end of the bytes given is a malformed box too: callers
    catch one error type (`SegmentFormatError`), never `struct.error`."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except (struct.error, IndexError) as e:
            raise SegmentFormatError(f"box cut short: {e}") from None

    return wrapper
