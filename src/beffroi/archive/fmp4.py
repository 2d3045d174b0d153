"""Just enough of ISO BMFF to find the complete fragments of a fragmented MP4.

A segment is written as `ftyp moov (moof mdat)*`. After a crash the last `moof mdat`
pair may be cut short; everything before it is intact and playable. Scanning box
headers reads a few bytes per fragment, not the media.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO


@dataclass(frozen=True)
class Box:
    kind: str
    offset: int
    size: int

    @property
    def end(self) -> int:
        return self.offset + self.size


def iter_boxes(f: BinaryIO, file_size: int) -> list[Box]:
    """Top-level boxes that fit entirely in the file; stops at the first cut one."""
    boxes: list[Box] = []
    offset = 0
    while offset + 8 <= file_size:
        f.seek(offset)
        header = f.read(16)
        if len(header) < 8:
            break
        size, kind_raw = struct.unpack(">I4s", header[:8])
        if size == 1:
            if len(header) < 16:
                break
            (size,) = struct.unpack(">Q", header[8:16])
        elif size == 0:  # "to end of file": only legal for the last box
            size = file_size - offset
        if size < 8 or offset + size > file_size:
            break
        boxes.append(Box(kind_raw.decode("latin-1"), offset, size))
        offset += size
    return boxes


def complete_prefix(f: BinaryIO, file_size: int) -> tuple[int, int]:
    """(bytes, fragments): the length of the longest prefix made of the header boxes and
    whole `moof`+`mdat` pairs. 0 bytes when even the `moov` is missing."""
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
        elif boxes[i].kind in ("styp", "sidx", "prft", "free", "mfra"):
            end = boxes[i].end
            i += 1
        else:
            break
    return end, fragments
