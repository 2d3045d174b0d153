"""HLS playlists (RFC 8216, version 7, fMP4) over a window of the archive.

Each archive fragment (≈ 1 s, a keyframe or the one-second cut) is one media segment,
so a player starts and seeks after fetching about a second of video. Each archive
segment's init part is its `EXT-X-MAP`; consecutive segments with the same codec setup
share the first one. Decode times are rewritten continuous (see `stream.py`), so a new
archive segment needs no discontinuity; a gap or a change of codec setup does:
`EXT-X-DISCONTINUITY`, then `EXT-X-PROGRAM-DATE-TIME` with the wall time, which every
media segment also carries so players show the real time of the picture.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime

from beffroi.playback.stream import Piece, WindowPlan, compatible
from beffroi.playback.timeline import MERGE_TOLERANCE_MS

# A playlist lists every fragment of its window: 6 hours is ~21,600 lines (≈ 2 MB). A
# longer span is played as consecutive playlists (the console asks per hour or so).
MAX_PLAYLIST_MS = 6 * 3_600_000

# (piece) -> URI of its init part; (piece, fragment index, base ticks) -> media URI.
InitUri = Callable[[Piece], str]
PartUri = Callable[[Piece, int, int], str]


def program_date_time(wall_ms: float) -> str:
    dt = datetime.fromtimestamp(wall_ms / 1000, tz=UTC)
    return dt.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def segment_key(piece: Piece) -> str:
    """How a media URL names a segment: its index id, or `live-<start>` for the segment
    being written (which has no id yet)."""
    if piece.span.id is not None:
        return str(piece.span.id)
    return f"live-{piece.span.start_ms}"


def build_playlist(plan: WindowPlan, closed: bool, init_uri: InitUri, part_uri: PartUri) -> str:
    """The media playlist. `closed`: the window lies in the past, nothing will be added
    (`EXT-X-ENDLIST`, VOD); otherwise an EVENT playlist that grows with the recording."""
    pieces = plan.pieces
    longest = max(
        (
            p.file.fragments[i].duration / p.file.timescale
            for p in pieces
            for i in range(p.first, p.last)
        ),
        default=1.0,
    )
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:7",
        f"#EXT-X-TARGETDURATION:{max(1, math.ceil(longest))}",
        "#EXT-X-MEDIA-SEQUENCE:0",
        f"#EXT-X-PLAYLIST-TYPE:{'VOD' if closed else 'EVENT'}",
    ]
    map_piece: Piece | None = None
    previous_end: float | None = None
    for piece in pieces:
        starts = piece.wall_ms(piece.first)
        new_map = map_piece is None or not compatible(map_piece.file, piece.file)
        gap = previous_end is not None and starts - previous_end > MERGE_TOLERANCE_MS
        if previous_end is not None and (new_map or gap):
            lines.append("#EXT-X-DISCONTINUITY")
        if new_map:
            map_piece = piece
            lines.append(f'#EXT-X-MAP:URI="{init_uri(piece)}"')
        base = plan.base_ticks(piece)
        for i in piece.indices():
            frag = piece.file.fragments[i]
            lines.append(f"#EXT-X-PROGRAM-DATE-TIME:{program_date_time(piece.wall_ms(i))}")
            lines.append(f"#EXTINF:{frag.duration / piece.file.timescale:.5f},")
            lines.append(part_uri(piece, i, base))
        previous_end = piece.end_wall_ms()
    if closed:
        lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"
