"""HLS playlists (RFC 8216, version 7, fMP4) over a window of the archive.

The archive's fragments are short (≤ 250 ms, for live latency); a media segment is a run
of them from a keyframe fragment to the next (one GOP, ≈ 1 s, at most
`MAX_MEDIA_SEGMENT_S`), so a player starts and seeks on a keyframe after fetching about
a second of video, and a playlist lists a line per GOP, not per fragment. Each archive
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

# A playlist lists every GOP of its window: 6 hours is ~21,600 entries (≈ 2 MB). A
# longer span is played as consecutive playlists (the console asks per hour or so).
MAX_PLAYLIST_MS = 6 * 3_600_000
MAX_MEDIA_SEGMENT_S = 4.0  # a camera with long GOPs still gets media segments this short

# (piece) -> URI of its init part; (piece, first fragment, base ticks, count) -> media URI.
InitUri = Callable[[Piece], str]
PartUri = Callable[[Piece, int, int, int], str]


def media_segments(piece: Piece) -> list[tuple[int, int]]:
    """(first fragment, count) of each media segment of `piece`: a keyframe fragment and
    the fragments up to the next one, cut at `MAX_MEDIA_SEGMENT_S`."""
    frags = piece.file.fragments
    limit = MAX_MEDIA_SEGMENT_S * piece.file.timescale
    out: list[tuple[int, int]] = []
    for i in piece.indices():
        if out:
            first, count = out[-1]
            span = frags[i].decode_time - frags[first].decode_time
            if not frags[i].keyframe and span + frags[i].duration <= limit:
                out[-1] = (first, count + 1)
                continue
        out.append((i, 1))
    return out


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
    runs = [(p, media_segments(p)) for p in pieces]

    def seconds(p: Piece, first: int, count: int) -> float:
        return sum(f.duration for f in p.file.fragments[first : first + count]) / p.file.timescale

    longest = max((seconds(p, i, n) for p, segs in runs for i, n in segs), default=1.0)
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:7",
        f"#EXT-X-TARGETDURATION:{max(1, math.ceil(longest))}",
        "#EXT-X-MEDIA-SEQUENCE:0",
        f"#EXT-X-PLAYLIST-TYPE:{'VOD' if closed else 'EVENT'}",
    ]
    map_piece: Piece | None = None
    previous_end: float | None = None
    for piece, segments in runs:
        starts = piece.wall_ms(piece.first)
        new_map = map_piece is None or not compatible(map_piece.file, piece.file)
        gap = previous_end is not None and starts - previous_end > MERGE_TOLERANCE_MS
        if previous_end is not None and (new_map or gap):
            lines.append("#EXT-X-DISCONTINUITY")
        if new_map:
            map_piece = piece
            lines.append(f'#EXT-X-MAP:URI="{init_uri(piece)}"')
        base = plan.base_ticks(piece)
        for i, count in segments:
            lines.append(f"#EXT-X-PROGRAM-DATE-TIME:{program_date_time(piece.wall_ms(i))}")
            lines.append(f"#EXTINF:{seconds(piece, i, count):.5f},")
            lines.append(part_uri(piece, i, base, count))
        previous_end = piece.end_wall_ms()
    if closed:
        lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"
