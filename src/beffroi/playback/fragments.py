"""The fragment index of a segment file: where each `moof`+`mdat` lies, when it starts,
and whether its first sample is a keyframe, read from the `moof` boxes alone
(`beffroi.archive.fmp4.read_layout`), and a cache of recent indexes.

Playback serves the archive by stream copy at the byte level: the init part (`ftyp`
+`moov`) and whole fragments, never a re-encoded or re-muxed picture. Indexing a
one-minute segment reads its box headers and its ~60 small `moof` boxes (a few KiB),
never the media, so finding the keyframe before an instant costs well under a
millisecond of I/O once the file is in the page cache.

The segment being written (`.part`) is indexed up to its last complete fragment, like
`beffroi.archive.fmp4.complete_prefix`; a cut `moof`+`mdat` pair is left out.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from beffroi.archive.fmp4 import Fragment, read_layout


@dataclass(frozen=True)
class SegmentFile:
    path: Path
    init_size: int  # ftyp + moov: the bytes of the init part (EXT-X-MAP)
    timescale: int
    codec_key: str  # digest of the sample description: equal keys share one init
    fragments: tuple[Fragment, ...]

    @property
    def first_decode_time(self) -> int:
        return self.fragments[0].decode_time if self.fragments else 0

    def offset_ms(self, decode_time: int) -> float:
        """Milliseconds from the segment's first frame to `decode_time`."""
        return (decode_time - self.first_decode_time) * 1000 / self.timescale

    def keyframe_at_or_before(self, at_ms_in_segment: float) -> int | None:
        """Index of the last keyframe fragment starting at or before the offset."""
        found = None
        for i, frag in enumerate(self.fragments):
            if self.offset_ms(frag.decode_time) > at_ms_in_segment:
                break
            if frag.keyframe:
                found = i
        return found


def read_segment_file(path: Path) -> SegmentFile:
    """Index `path`; `SegmentFormatError` when it cannot be served by stream copy
    (each fragment is served on its own: see `parse_moof`'s `standalone`)."""
    with path.open("rb") as f:
        layout = read_layout(f, os.fstat(f.fileno()).st_size, standalone=True)
    track = layout.track
    return SegmentFile(path, layout.init_size, track.timescale, track.codec_key, layout.fragments)


class SegmentFileCache:
    """Indexes of recently served files, keyed by (path, size, mtime): a finished
    segment never changes, and a growing `.part` gets a new key with each fragment."""

    def __init__(self, capacity: int = 512) -> None:
        self.capacity = capacity
        self._items: OrderedDict[tuple[str, int, int], SegmentFile] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, path: Path) -> SegmentFile:
        st = path.stat()
        key = (str(path), st.st_size, st.st_mtime_ns)
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        found = read_segment_file(path)
        with self._lock:
            self._items[key] = found
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)
        return found

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


SEGMENT_FILES = SegmentFileCache()
