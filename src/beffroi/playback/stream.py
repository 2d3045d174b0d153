"""Media for a window of a camera's archive, built by stream copy at the byte level.

The served media is the archive's own bytes: the init part (`ftyp`+`moov`) of the first
segment, then whole `moof`+`mdat` fragments, starting at the keyframe fragment at or
before the window's start. Two fields of each `moof` are rewritten in a copy, never in
the archive: the decode time (`tfdt`), so that media time runs on across one-minute
segments (each file starts again at 0) and media time 0 is the first keyframe served;
and the fragment sequence number (`mfhd`), so that it keeps increasing. The samples,
their sizes and offsets (relative to the `moof`: `default-base-is-moof`) are untouched.

Across a gap the decode time jumps by the gap's length, so a position in the media is
always "seconds since the first keyframe served" in wall time.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from beffroi.archive.fmp4 import Fragment, SegmentFormatError, rewritten
from beffroi.playback.fragments import SEGMENT_FILES, SegmentFile, SegmentFileCache
from beffroi.playback.timeline import Span, resolve_live_path

log = logging.getLogger(__name__)


class NoMediaError(LookupError):
    """Nothing playable in the window; the message says so in words."""


# Segments of one camera may overlap after a clock step; a segment starting this long
# before the previous one ended is skipped rather than sending time backwards.
OVERLAP_SKIP_MS = 500


@dataclass(frozen=True)
class Piece:
    """The fragments [first, last) of one segment that the window serves."""

    span: Span
    file: SegmentFile
    first: int
    last: int

    def wall_ms(self, index: int) -> float:
        """Wall time of fragment `index`'s first frame."""
        return self.span.start_ms + self.file.offset_ms(self.file.fragments[index].decode_time)

    def indices(self) -> range:
        return range(self.first, self.last)

    def end_wall_ms(self) -> float:
        frag = self.file.fragments[self.last - 1]
        return self.span.start_ms + self.file.offset_ms(frag.decode_time + frag.duration)


@dataclass
class WindowPlan:
    camera_id: str
    start_ms: int
    end_ms: int
    pieces: list[Piece] = field(default_factory=list)

    @property
    def head(self) -> Piece:
        return self.pieces[0]

    @property
    def keyframe_wall_ms(self) -> float:
        """Wall time of media time 0: the first keyframe served (≤ the window's start
        when footage holds it)."""
        return self.head.wall_ms(self.head.first)

    def base_ticks(self, piece: Piece) -> int:
        """Decode time to give the first frame of `piece`'s file, in its timescale."""
        return ticks_since(self.head, piece)


def ticks_since(head: Piece, piece: Piece) -> int:
    """Decode time, in `piece`'s timescale, of `piece`'s file's first frame when media
    time 0 is `head`'s first served keyframe."""
    ts = piece.file.timescale
    head_rel = head.file.fragments[head.first].decode_time - head.file.first_decode_time
    return round((piece.span.start_ms - head.span.start_ms) * ts / 1000) - round(
        head_rel * ts / head.file.timescale
    )


def span_file(archive_root: Path, span: Span) -> Path | None:
    """The file of a span, or None when it is missing (an integrity fault for `check`).
    Paths come from the index or the recorder, never from a client."""
    if span.path is None:
        return None
    if span.in_progress:
        return resolve_live_path(archive_root, span.path)
    path = archive_root / span.path
    return path if path.is_file() else None


def plan_window(
    camera_id: str,
    spans: Sequence[Span],
    start_ms: int,
    end_ms: int,
    archive_root: Path,
    *,
    cache: SegmentFileCache = SEGMENT_FILES,
    limit: int | None = None,
) -> WindowPlan:
    """The fragments that play [start_ms, end_ms), from the keyframe at or before
    `start_ms`. `limit`: index at most this many segments (a stream indexes the rest
    as it goes). `NoMediaError` when no fragment of the window is readable."""
    plan = WindowPlan(camera_id, start_ms, end_ms)
    for span in iter_pieces_spans(spans, start_ms, end_ms):
        if limit is not None and len(plan.pieces) >= limit:
            break
        piece = piece_of(span, archive_root, start_ms, end_ms, cache, first=not plan.pieces)
        if piece is None:
            continue
        if plan.pieces and piece.wall_ms(piece.first) < plan.pieces[-1].end_wall_ms() - (
            OVERLAP_SKIP_MS
        ):
            continue
        plan.pieces.append(piece)
    if not plan.pieces:
        raise NoMediaError("no playable footage in this window")
    return plan


def iter_pieces_spans(spans: Sequence[Span], start_ms: int, end_ms: int) -> list[Span]:
    """Spans overlapping the window, by start; a finished and a live view of one segment
    count once."""
    seen: set[int] = set()
    out = []
    for span in sorted(spans, key=lambda s: (s.start_ms, s.in_progress)):
        if span.end_ms <= start_ms or span.start_ms >= end_ms or span.start_ms in seen:
            continue
        seen.add(span.start_ms)
        out.append(span)
    return out


def piece_of(
    span: Span,
    archive_root: Path,
    start_ms: int,
    end_ms: int,
    cache: SegmentFileCache = SEGMENT_FILES,
    *,
    first: bool,
) -> Piece | None:
    path = span_file(archive_root, span)
    if path is None:
        log.error("segment file missing: %s", span.path)
        return None
    try:
        seg = cache.get(path)
    except (OSError, SegmentFormatError) as e:
        # Not servable by stream copy (damaged, or vanished under retention): the rest
        # of the window still plays; `beffroi check` reports the file.
        log.error("%s: cannot serve segment: %s", path, e)
        return None
    frags = seg.fragments
    if not frags:
        return None
    begin: int | None
    if first and start_ms > span.start_ms:
        begin = seg.keyframe_at_or_before(start_ms - span.start_ms)
    else:
        begin = next((i for i, f in enumerate(frags) if f.keyframe), None)
    if begin is None:
        begin = next((i for i, f in enumerate(frags) if f.keyframe), None)
    if begin is None:
        return None
    last = begin + 1
    while last < len(frags) and span.start_ms + seg.offset_ms(frags[last].decode_time) < end_ms:
        last += 1
    return Piece(span, seg, begin, last)


def read_init(piece: Piece) -> bytes:
    with piece.file.path.open("rb") as f:
        return f.read(piece.file.init_size)


def read_fragment(seg: SegmentFile, frag: Fragment, base_ticks: int, sequence: int) -> bytes:
    """The fragment's bytes with its decode time moved to `base_ticks` + its offset in
    the file, and its sequence number set. The archive file is not touched."""
    with seg.path.open("rb") as f:
        f.seek(frag.offset)
        data = f.read(frag.size)
    if len(data) != frag.size:
        raise NoMediaError(f"{seg.path.name}: fragment cut short")
    decode_time = max(0, base_ticks + frag.decode_time - seg.first_decode_time)
    return rewritten(data, frag, sequence, decode_time)


def compatible(a: SegmentFile, b: SegmentFile) -> bool:
    """One init part can introduce both files' samples (same codec setup and clock)."""
    return a.codec_key == b.codec_key


def iter_mp4(
    plan: WindowPlan,
    rest: Sequence[Span] = (),
    archive_root: Path | None = None,
    cache: SegmentFileCache = SEGMENT_FILES,
) -> Iterator[bytes]:
    """One fragmented MP4: the head's init part, then every fragment of the plan, then
    those of `rest` (spans indexed only when reached). Stops before a segment whose
    codec setup differs from the first one (a camera reconfigured mid-window): one MP4
    has one sample description, and the playlist form covers that case."""
    yield read_init(plan.head)
    sequence = 1
    last_end = plan.head.wall_ms(plan.head.first)
    pieces: Iterator[Piece | None] = iter(plan.pieces)
    if rest and archive_root is not None:
        pieces = _chain(plan.pieces, rest, archive_root, plan, cache)
    for piece in pieces:
        if piece is None:
            continue
        if not compatible(plan.head.file, piece.file):
            return
        if piece.wall_ms(piece.first) < last_end - OVERLAP_SKIP_MS:
            continue
        base = plan.base_ticks(piece)
        for i in piece.indices():
            yield read_fragment(piece.file, piece.file.fragments[i], base, sequence)
            sequence += 1
        last_end = piece.end_wall_ms()


def _chain(
    planned: Sequence[Piece],
    rest: Sequence[Span],
    archive_root: Path,
    plan: WindowPlan,
    cache: SegmentFileCache,
) -> Iterator[Piece | None]:
    yield from planned
    for span in rest:
        yield piece_of(span, archive_root, plan.start_ms, plan.end_ms, cache, first=False)
