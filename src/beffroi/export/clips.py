"""A requested range of one camera → MP4 files, by stream copy at byte level.

Plan (reads box headers only): the index segments overlapping [start, end), cut at
fragment level. The recorder starts a fragment at every keyframe, so a file starts on
the last fragment that begins with a keyframe at or before `start`, and stops after the
last fragment beginning before `end`: the delivery covers the request, starting on the
keyframe before it, without whole minutes around it. Consecutive segments join into one
file while they follow each other (a gap over MERGE_TOLERANCE_MS, an overlap after a
clock step, or a change of codec configuration starts a new file).

Write: each segment is read whole and its SHA-256 checked against the index BEFORE any
of its bytes is written (a mismatch is an integrity fault that fails the export); then
its fragments are copied with three fields of each `moof` rewritten
(`beffroi.archive.fmp4`, which also writes the joined file's `mehd` duration and `sidx`).
The next segment is read and hashed in a thread while the current one is written
(hashlib and file I/O release the GIL), so hashing costs little wall time.

Timeline: media time 0 is the file's first frame. Each segment is placed at its wall
clock start (from the index) relative to the file's start, never earlier than the end
of the one before, so `file start + currentTime` is the wall-clock time of a frame to
within the join tolerance.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import Connection

from beffroi.archive.fmp4 import (
    MAX_SIDX_REFERENCES,
    Fragment,
    SegmentFormatError,
    SegmentLayout,
    Track,
    output_moov,
    parse_moof,
    patch_moof,
    read_layout,
    sidx,
    sidx_size,
)
from beffroi.archive.index import read_segments
from beffroi.archive.segment import Segment
from beffroi.archive.tables import segments
from beffroi.playback.timeline import MERGE_TOLERANCE_MS, Span, find_gaps, merge_ranges, query_spans

# A segment starting this close after the previous one's end is placed right at that
# end: rounding of the index's milliseconds must not leave micro-gaps in the media.
SNAP_MS = 20


class IntegrityFault(RuntimeError):
    """Archive content that does not match the index: the export must not go on."""


@dataclass
class Piece:
    """The fragments of one segment that go into a file."""

    segment: Segment
    track: Track  # the segment's own (joinable with the file's)
    fragments: list[Fragment]
    shift: int  # output decode time = fragment.decode_time + shift


@dataclass
class ClipFile:
    camera_id: str
    ftyp: bytes
    track: Track
    start_ms: int  # wall-clock time of the first frame
    pieces: list[Piece] = field(default_factory=list)
    end_ticks: int = 0  # media duration
    frames: int = 0

    @property
    def fragment_count(self) -> int:
        return sum(len(p.fragments) for p in self.pieces)

    @property
    def duration_s(self) -> float:
        return self.end_ticks / self.track.timescale

    @property
    def end_ms(self) -> int:
        return self.start_ms + round(self.end_ticks * 1000 / self.track.timescale)

    @property
    def first(self) -> Segment:
        return self.pieces[0].segment

    def header(self) -> bytes:
        refs = [(f.size, f.duration, f.keyframe) for p in self.pieces for f in p.fragments]
        return self.ftyp + output_moov(self.track, self.end_ticks) + sidx(self.track, refs)

    def size(self) -> int:
        head = len(self.ftyp) + len(output_moov(self.track, self.end_ticks))
        body = sum(f.size for p in self.pieces for f in p.fragments)
        return head + sidx_size(self.fragment_count) + body


@dataclass
class ItemPlan:
    camera_id: str
    start_ms: int
    end_ms: int
    files: list[ClipFile]
    gaps: list[tuple[int, int]]

    @property
    def segments(self) -> list[Segment]:
        seen: dict[int, Segment] = {}
        for f in self.files:
            for p in f.pieces:
                seen.setdefault(p.segment.id, p.segment)
        return sorted(seen.values(), key=lambda s: (s.start_ms, s.id))

    @property
    def source_bytes(self) -> int:
        return sum(p.segment.bytes for f in self.files for p in f.pieces)


def index_segments(conn: Connection, camera_id: str, start_ms: int, end_ms: int) -> list[Segment]:
    """Index rows of `camera_id` overlapping [start_ms, end_ms), by start."""
    ids = [s.id for s in query_spans(conn, camera_id, start_ms, end_ms) if s.id is not None]
    if not ids:
        return []
    return list(read_segments(conn, segments.c.id.in_(ids)))


def scan_segment(archive_root: Path, seg: Segment) -> SegmentLayout:
    """The segment's header and fragments, from box headers and moofs only."""
    path = archive_root / seg.path
    try:
        with path.open("rb") as f:
            return read_layout(f, path.stat().st_size)
    except FileNotFoundError:
        raise IntegrityFault(f"segment file missing: {seg.path} ({seg.camera_id})") from None
    except SegmentFormatError as e:
        raise IntegrityFault(f"segment {seg.path} ({seg.camera_id}) unreadable: {e}") from None


def plan_files(
    laid_out: Sequence[tuple[Segment, SegmentLayout]], start_ms: int, end_ms: int
) -> list[ClipFile]:
    """Cut and group segments (sorted by start) into files. Pure: no I/O."""
    files: list[ClipFile] = []
    cur: ClipFile | None = None
    prev_end_ms = 0
    for seg, layout in laid_out:
        ts = layout.track.timescale

        def wall(f: Fragment, seg: Segment = seg, layout: SegmentLayout = layout) -> int:
            return seg.start_ms + round((f.decode_time - layout.t0) * 1000 / layout.track.timescale)

        frags = [f for f in layout.fragments if wall(f) < end_ms]
        head = [i for i, f in enumerate(frags) if f.keyframe and wall(f) <= start_ms]
        if head:
            frags = frags[head[-1] :]
        if not frags:
            continue
        if (
            cur is None
            or abs(seg.start_ms - prev_end_ms) > MERGE_TOLERANCE_MS
            or not cur.track.joinable(layout.track)
            or cur.fragment_count + len(frags) > MAX_SIDX_REFERENCES
        ):
            first_sync = next((i for i, f in enumerate(frags) if f.keyframe), None)
            if first_sync is None:
                continue  # no keyframe to start a file on: undecodable alone, a gap
            frags = frags[first_sync:]
            cur = ClipFile(seg.camera_id, layout.ftyp, layout.track, wall(frags[0]))
            files.append(cur)
            shift = -frags[0].decode_time
        else:
            desired = round((seg.start_ms - cur.start_ms) * ts / 1000) + frags[0].decode_time
            desired -= layout.t0
            if desired - cur.end_ticks <= SNAP_MS * ts // 1000:
                desired = cur.end_ticks  # contiguous, or overlapping by a rounding error
            shift = desired - frags[0].decode_time
        cur.pieces.append(Piece(seg, layout.track, frags, shift))
        cur.end_ticks = frags[-1].decode_time + shift + frags[-1].duration
        cur.frames += sum(f.samples for f in frags)
        prev_end_ms = seg.end_ms
    return files


def plan_item(
    conn: Connection,
    archive_root: Path,
    camera_id: str,
    start_ms: int,
    end_ms: int,
    horizon_ms: int,
) -> ItemPlan:
    """What an export of [start_ms, end_ms) of `camera_id` delivers; gaps stop at
    `horizon_ms` (now: later instants are not missing, they have not happened)."""
    found = index_segments(conn, camera_id, start_ms, end_ms)
    files = plan_files([(s, scan_segment(archive_root, s)) for s in found], start_ms, end_ms)
    covered = merge_ranges([Span(f.start_ms, f.end_ms) for f in files], start_ms, end_ms)
    gaps = find_gaps(covered, start_ms, max(start_ms, min(end_ms, horizon_ms)))
    return ItemPlan(camera_id, start_ms, end_ms, files, gaps)


def read_verified(archive_root: Path, seg: Segment) -> bytes:
    """The segment's bytes, once their SHA-256 matches the index."""
    try:
        data = (archive_root / seg.path).read_bytes()
    except FileNotFoundError:
        raise IntegrityFault(f"segment file missing: {seg.path} ({seg.camera_id})") from None
    if hashlib.sha256(data).hexdigest() != seg.sha256:
        raise IntegrityFault(
            f"segment {seg.path} ({seg.camera_id}): its SHA-256 no longer matches the "
            "index; the archive file was altered or damaged"
        )
    return data


def _prefetched(archive_root: Path, pieces: Sequence[Piece]) -> Iterator[tuple[Piece, bytes]]:
    """Each piece with its verified segment bytes; the next one is read ahead."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="export-read") as pool:
        ahead: Any = None
        for i, piece in enumerate(pieces):
            current = ahead or pool.submit(read_verified, archive_root, piece.segment)
            ahead = None
            if i + 1 < len(pieces):
                ahead = pool.submit(read_verified, archive_root, pieces[i + 1].segment)
            yield piece, current.result()


class HashingWriter:
    """Writes to `out` and hashes what it writes (the clip's SHA-256, in one pass)."""

    def __init__(self, out: BinaryIO | io.BufferedIOBase | Any) -> None:
        self.out = out
        self.sha = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.out.write(data)
        self.sha.update(data)
        self.size += len(data)


def write_clip(
    clip: ClipFile, archive_root: Path, out: Any, on_source: Callable[[int], None]
) -> tuple[str, int]:
    """Stream the clip into `out`; returns (sha256, size). `on_source(n)` after each
    source segment of n bytes is written (progress)."""
    w = HashingWriter(out)
    w.write(clip.header())
    sequence = 1
    for piece, data in _prefetched(archive_root, clip.pieces):
        for run in _contiguous(piece.fragments):
            first, last = run[0], run[-1]
            buf = bytearray(memoryview(data)[first.offset : last.offset + last.size])
            for f in run:
                at = f.offset - first.offset
                if not _as_planned(buf, at, f, piece.track):
                    raise IntegrityFault(f"segment {piece.segment.path} changed while exported")
                moved = w.size + at - f.offset
                patch_moof(buf, at, f, sequence, f.decode_time + piece.shift, moved)
                sequence += 1
            w.write(buf)
        on_source(piece.segment.bytes)
    return w.sha.hexdigest(), w.size


def _as_planned(buf: bytearray, at: int, fragment: Fragment, track: Track) -> bool:
    """The moof at `at` in the verified bytes is the one the plan was made from."""
    try:
        planned = parse_moof(buf, track, at, offset=fragment.offset, size=fragment.size)
    except SegmentFormatError:
        return False
    return planned == fragment


def _contiguous(fragments: Sequence[Fragment]) -> list[list[Fragment]]:
    runs: list[list[Fragment]] = []
    for f in fragments:
        if runs and runs[-1][-1].offset + runs[-1][-1].size == f.offset:
            runs[-1].append(f)
        else:
            runs.append([f])
    return runs
