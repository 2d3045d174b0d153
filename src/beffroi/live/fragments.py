"""A growing fragmented-MP4 segment, read as live view needs it.

The recorder writes each segment as `ftyp moov (moof mdat)*`, flushing every fragment
as soon as it is complete (`beffroi.archive.writer.MUXER_OPTIONS`). `FileTail` reads such
a file while it grows: the init part once, then every complete `moof`+`mdat` pair as it
lands, never a torn one. Reading the boxes (codec string, decode times, keyframes) and
rewriting a fragment's decode time and sequence number is `beffroi.archive.fmp4`'s.
"""

from __future__ import annotations

from pathlib import Path

from beffroi.archive.fmp4 import SegmentFormatError, box_header


class FileTail:
    """Reads a segment file while the recorder writes it.

    The writer may cut a fragment over several `write` calls, so bytes wait in `buffer`
    until a whole box is there. The file stays open: the writer's final rename
    (`.part` → `.mp4`) does not disturb a reader."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.file = path.open("rb", buffering=0)
        self.buffer = bytearray()
        self._head: list[bytes] = []
        self.init: bytes | None = None  # ftyp + moov, once both are complete
        self._moof: bytes | None = None

    def read(self) -> list[bytes]:
        """The complete `moof`+`mdat` pairs that landed since the last call."""
        chunk = self.file.read()
        if chunk:
            self.buffer += chunk
        out: list[bytes] = []
        while (found := box_header(self.buffer, 0)) is not None:
            kind, size, header = found
            if size < header:  # 0 ("to the end of the file") cannot be read while it grows
                raise SegmentFormatError(f"{self.path.name}: box of size {size}")
            if len(self.buffer) < size:
                break
            box = bytes(self.buffer[:size])
            del self.buffer[:size]
            if self.init is None:
                if kind == "moof":
                    raise SegmentFormatError(f"{self.path.name}: fragment before the moov")
                self._head.append(box)
                if kind == "moov":
                    self.init, self._head = b"".join(self._head), []
            elif kind == "moof":
                self._moof = box
            elif kind == "mdat" and self._moof is not None:
                out.append(self._moof + box)
                self._moof = None
            # Anything else after the moov (mfra at close, free) is no media.
        return out

    def close(self) -> None:
        self.file.close()
