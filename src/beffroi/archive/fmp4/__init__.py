"""The one place that knows the ISO BMFF boxes of the recorder's fragmented MP4.

A segment is written as `ftyp moov (moof mdat)*` (`beffroi.archive.writer`): an init
part, then one fragment at each keyframe and at least every second. Salvage, playback,
export and live view all read it here, from box headers and the small `moov`/`moof`
boxes, never the media in `mdat`:

- `boxes`: headers, walking a file or a buffer, `complete_prefix` (what a crash left
  whole), building a box; `SegmentFormatError`, the one error for malformed boxes;
- `track`: the `moov` → `Track` (clock, defaults, codec setup and string, size);
- `fragments`: a `moof` → `Fragment`, rewriting its sequence number and decode time,
  a file's `SegmentLayout`, and the `sidx` of a joined file.
"""

from beffroi.archive.fmp4.boxes import (
    Box,
    SegmentFormatError,
    box,
    box_header,
    children,
    complete_prefix,
    find,
    iter_boxes,
)
from beffroi.archive.fmp4.fragments import (
    MAX_SIDX_REFERENCES,
    Fragment,
    SegmentLayout,
    parse_moof,
    patch_moof,
    read_layout,
    rewritten,
    sidx,
    sidx_size,
)
from beffroi.archive.fmp4.track import Track, output_moov, parse_init, parse_moov

__all__ = [
    "MAX_SIDX_REFERENCES",
    "Box",
    "Fragment",
    "SegmentFormatError",
    "SegmentLayout",
    "Track",
    "box",
    "box_header",
    "children",
    "complete_prefix",
    "find",
    "iter_boxes",
    "output_moov",
    "parse_init",
    "parse_moof",
    "parse_moov",
    "patch_moof",
    "read_layout",
    "rewritten",
    "sidx",
    "sidx_size",
]
