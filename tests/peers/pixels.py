"""Pixels Chromium shows against FFmpeg's decode of the same frame of the archive.

The browser side: scripts that, at each frame `requestVideoFrameCallback` announces, take
the `<video>`'s current picture as a WebCodecs `VideoFrame` and draw it into a canvas, so
each picture comes with the exact media time (the `VideoFrame`'s own `timestamp`, the
frame's presentation timestamp) of the frame drawn; the pictures come
back as lossless PNG.

The FFmpeg side, `reference_frames`: PyAV decodes the segment files with the decoder's
`flags2=+chunks`, i.e. the samples are a stream of slices and a picture ends where the
next one's first slice begins, not at a sample boundary. For a faithful file (one
picture per sample) that is, bit for bit, the ordinary decode of one sample at a time
(`reference_frames` checks it for every frame it keeps). For a file that stores a
keyframe as two samples (GStreamer's two-packet keyframes before `ingest/access_units.py`)
it is the whole picture, while a decoder fed sample by sample (Chromium, and FFmpeg
itself without `chunks`) paints the missing slices green: Chromium and a sample-by-sample
FFmpeg then show the same green (0.4 levels apart at the keyframe, measured) and a
comparison between them would miss the damage.

`split_keyframes` writes such a damaged copy of a segment, for the negative control.
"""

from __future__ import annotations

import base64
import bisect
import io
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import av
import numpy as np
from av.codec.context import Flags2
from PIL import Image

# Mean absolute difference, in 8-bit RGB levels, that decoder rounding and YUV→RGB
# conversion may leave between Chromium's canvas and FFmpeg's picture (measured ≈ 0.5).
NOISE_LEVELS = 3.0
TOP_BAND = 4  # the top band: the picture's first quarter (the first slice of four)
# Media time → archive frame. The console's live timeline joins each new file to the end
# of the previous one, whose last frame lasts as long as the frame before it: the frames
# of the next file are shown up to a few ms off their filming time (5 ms measured).
# Frames are 100 ms apart; the pixels (and the neighbours' difference) confirm the frame.
MAPPING_TOLERANCE_MS = 20.0

# Draw the next `n` frames the video presents into a canvas, each with its media time.
# The picture is taken as a WebCodecs `VideoFrame` of the element and its time is that
# frame's own `timestamp`: `drawImage(video)` draws the frame current when the callback
# runs, and a callback that runs late (a busy machine) sees a newer frame than the
# `mediaTime` it was called for (two frames ahead, measured with a 150 ms delay), a
# mismatch of the test's own making. A late callback may see the frame it already drew:
# that one is not counted twice.
CAPTURE_FRAMES = """([video, n]) => new Promise((resolve, reject) => {
  const canvas = document.createElement('canvas');
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  const g = canvas.getContext('2d', {willReadFrequently: true});
  const frames = [];
  window.__capturedFrames = frames;
  const onFrame = () => {
    const picture = new VideoFrame(video);
    const t = picture.timestamp / 1e6;
    if (!frames.length || frames[frames.length - 1].t !== t) {
      g.drawImage(picture, 0, 0);
      frames.push({t, img: g.getImageData(0, 0, canvas.width, canvas.height)});
    }
    picture.close();
    if (frames.length < n) video.requestVideoFrameCallback(onFrame);
    else resolve(frames.map((f) => f.t));
  };
  setTimeout(() => reject(new Error(`only ${frames.length} frames presented in 20 s`)), 20000);
  if (!canvas.width) reject(new Error('the video has no picture size yet'));
  else video.requestVideoFrameCallback(onFrame);
})"""

CAPTURED_PNG = """(i) => {
  const f = window.__capturedFrames[i];
  const canvas = document.createElement('canvas');
  canvas.width = f.img.width;
  canvas.height = f.img.height;
  canvas.getContext('2d').putImageData(f.img, 0, 0);
  return canvas.toDataURL('image/png');
}"""

# Pause, seek to `t` (s), and draw the frame presented there, with its media time;
# resolved once the seek is done ('seeked') and that frame drawn. Only a frame that
# starts at most `within` (s) before `t` is the one sought: another is an older one
# presented late (a playing video's, just paused), not drawn. Should the page resume
# playing meanwhile (hls.js's start-up calls play()), the video is paused and sought
# again.
SEEK_AND_DRAW = """([video, t, within]) => new Promise((resolve, reject) => {
  const seen = [];
  let drawn = null;
  let seeked = false;
  let tries = 1;
  const state = () => JSON.stringify({
    seeked, seen, tries, currentTime: video.currentTime, seeking: video.seeking,
    paused: video.paused, readyState: video.readyState,
    buffered: Array.from({length: video.buffered.length},
                         (_, i) => [video.buffered.start(i), video.buffered.end(i)]),
  });
  const fail = () => reject(new Error(`no frame near ${t} s presented in 10 s: ${state()}`));
  const timer = setTimeout(fail, 10000);
  const done = () => {
    if (!drawn || !seeked) return;
    clearTimeout(timer);
    resolve(drawn);
  };
  const seek = () => {
    seeked = false;
    video.pause();
    video.addEventListener('seeked', () => { seeked = true; done(); }, {once: true});
    video.currentTime = t;
  };
  const onFrame = () => {
    const picture = new VideoFrame(video);  // the picture and its own time, as CAPTURE_FRAMES
    const mediaTime = picture.timestamp / 1e6;
    seen.push(mediaTime);
    if (mediaTime > t + 1e-3 || mediaTime < t - within) {
      picture.close();
      if (!video.paused && tries < 5) {
        tries += 1;
        seek();
      }
      video.requestVideoFrameCallback(onFrame);
      return;
    }
    const canvas = document.createElement('canvas');
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext('2d').drawImage(picture, 0, 0);
    picture.close();
    drawn = {mediaTime, png: canvas.toDataURL('image/png')};
    done();
  };
  video.requestVideoFrameCallback(onFrame);
  seek();
})"""


def playlist_start_ms(text: str) -> float:
    """Wall time (ms) of media time 0 of a playback playlist: its first
    EXT-X-PROGRAM-DATE-TIME. The served media time is wall time since that first
    keyframe (`playback/stream.py`); a window with a gap would break the simple
    relation in hls.js, which lays parts end to end: none is expected."""
    assert "#EXT-X-DISCONTINUITY" not in text, "a gap in the footage played"
    for line in text.splitlines():
        if line.startswith("#EXT-X-PROGRAM-DATE-TIME:"):
            stamp = line.split(":", 1)[1].replace("Z", "+00:00")
            return datetime.fromisoformat(stamp).timestamp() * 1000
    raise AssertionError(f"no EXT-X-PROGRAM-DATE-TIME in {text!r}")


def png_pixels(data_url: str) -> np.ndarray:
    """RGB of a `data:image/png;base64,…` URL."""
    raw = base64.b64decode(data_url.split(",", 1)[1])
    return np.asarray(Image.open(io.BytesIO(raw)).convert("RGB"))


def mad(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference of two pictures, in 8-bit levels."""
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


@dataclass
class RefFrame:
    wall_ms: float  # segment start + presentation time
    keyframe: bool
    rgb: np.ndarray | None  # kept only near the instants asked for


@dataclass
class References:
    frames: list[RefFrame]  # every frame of the segments, by wall time
    per_sample_mismatches: list[float] = field(default_factory=list)  # wall ms

    def nearest(self, wall_ms: float) -> int:
        walls = [f.wall_ms for f in self.frames]
        i = bisect.bisect_left(walls, wall_ms)
        candidates = [k for k in (i - 1, i) if 0 <= k < len(walls)]
        return min(candidates, key=lambda k: abs(walls[k] - wall_ms))


def _decode(path: Path, chunks: bool) -> list[tuple[float, bool, av.VideoFrame]]:
    out = []
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.time_base is not None
        if chunks:
            stream.codec_context.flags2 |= Flags2.chunks
        for frame in container.decode(stream):
            assert frame.pts is not None
            out.append((float(frame.pts * stream.time_base) * 1000, frame.key_frame, frame))
    return out


def reference_frames(
    root: Path, rows: Sequence[dict], near_ms: Iterable[float], keep_ms: float = 250.0
) -> References:
    """FFmpeg's pictures of the segments `rows`, the pixels kept for frames within
    `keep_ms` of any instant of `near_ms` (their neighbours too, for motion checks).
    Frames whose sample-by-sample decode differs from the whole picture are listed."""
    targets = sorted(near_ms)
    refs = References([])
    for row in rows:
        path = root / row["path"]
        whole = _decode(path, chunks=True)
        by_sample = {round(ms, 3): frame for ms, _, frame in _decode(path, chunks=False)}
        for ms, key, frame in whole:
            wall = row["start_ms"] + ms
            i = bisect.bisect_left(targets, wall - keep_ms)
            if i == len(targets) or targets[i] > wall + keep_ms:
                refs.frames.append(RefFrame(wall, key, None))
                continue
            rgb: np.ndarray = frame.to_ndarray(format="rgb24")
            alone = by_sample.get(round(ms, 3))
            if alone is None or mad(alone.to_ndarray(format="rgb24"), rgb) > 0:
                refs.per_sample_mismatches.append(wall)
            refs.frames.append(RefFrame(wall, key, rgb))
    refs.frames.sort(key=lambda f: f.wall_ms)
    return refs


@dataclass
class Comparison:
    """One picture Chromium showed, against FFmpeg's frame at the same instant."""

    what: str
    wall_ms: float  # the instant of Chromium's frame
    error_ms: float  # its distance to the nearest archive frame
    keyframe: bool
    whole: float  # mean absolute difference over the whole picture
    top: float  # over the top band
    neighbours: list[float]  # Chromium's picture against the frames before and after
    shown: np.ndarray = field(repr=False)

    def line(self) -> str:
        kind = "keyframe" if self.keyframe else "frame"
        near = ", ".join(f"{n:.1f}" for n in self.neighbours)
        return (
            f"{self.what}: {kind} at {self.wall_ms:.1f} ms (mapping {self.error_ms:+.2f} ms): "
            f"whole {self.whole:.2f}, top {self.top:.2f}, next frames {near}"
        )


def compare(what: str, shown: np.ndarray, wall_ms: float, refs: References) -> Comparison:
    k = refs.nearest(wall_ms)
    ref = refs.frames[k]
    assert ref.rgb is not None, f"{what}: no reference kept near {wall_ms}"
    assert shown.shape == ref.rgb.shape, f"{what}: {shown.shape} shown, {ref.rgb.shape} recorded"
    band = slice(0, shown.shape[0] // TOP_BAND)
    neighbours = [
        mad(shown, refs.frames[j].rgb)  # type: ignore[arg-type]
        for j in (k - 1, k + 1)
        if 0 <= j < len(refs.frames) and refs.frames[j].rgb is not None
    ]
    return Comparison(
        what=what,
        wall_ms=wall_ms,
        error_ms=wall_ms - ref.wall_ms,
        keyframe=ref.keyframe,
        whole=mad(shown, ref.rgb),
        top=mad(shown[band], ref.rgb[band]),
        neighbours=neighbours,
        shown=shown,
    )


def assert_same_pixels(comparisons: Sequence[Comparison]) -> None:
    """Every picture is FFmpeg's frame of that instant (whole and top band within decoder
    noise), the frames before and after it are clearly other pictures (so the instant
    is the right one and the video moves), and the pictures shown differ."""
    report = "\n".join(c.line() for c in comparisons)
    assert comparisons, "no picture compared"
    assert any(c.keyframe for c in comparisons), "no keyframe among the pictures\n" + report
    for c in comparisons:
        assert abs(c.error_ms) <= MAPPING_TOLERANCE_MS, report
        assert c.whole <= NOISE_LEVELS and c.top <= NOISE_LEVELS, report
        assert c.neighbours and min(c.neighbours) > max(4 * c.whole, NOISE_LEVELS), report
    shown = [c.shown for c in comparisons]
    for a, b in itertools.pairwise(shown):
        assert mad(a, b) > NOISE_LEVELS, "two pictures shown are alike\n" + report


# -- the negative control ------------------------------------------------------------


def _nal_units(sample: bytes) -> list[bytes]:
    """The NAL units of an MP4 sample, each with its 4-byte length."""
    out, i = [], 0
    while i + 4 <= len(sample):
        n = int.from_bytes(sample[i : i + 4], "big")
        out.append(sample[i : i + 4 + n])
        i += 4 + n
    return out


def split_keyframes(src: Path, dst: Path) -> int:
    """Copy the H.264 segment `src` to `dst` with each multi-slice keyframe stored as two
    samples, as the recorder stored GStreamer's two packets before pictures were joined:
    the first slice (with what precedes it), then the rest, one tick later. Returns how
    many keyframes were split."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    split = 0
    movflags = "frag_keyframe+empty_moov+default_base_moof"
    with (
        av.open(str(src)) as source,
        av.open(str(dst), "w", format="mp4", options={"movflags": movflags}) as out,
    ):
        stream = source.streams.video[0]
        copy = out.add_stream_from_template(stream)
        copy.codec_context.bit_rate = 0  # as from the camera: no per-file `btrt` in the init
        for packet in source.demux(stream):
            if packet.size == 0:
                continue
            data = bytes(packet)
            nals = _nal_units(data)
            slices = [i for i, nal in enumerate(nals) if nal[4] & 0x1F in (1, 5)]
            parts = [data]
            if packet.is_keyframe and len(slices) > 1:
                cut = slices[0] + 1
                parts = [b"".join(nals[:cut]), b"".join(nals[cut:])]
                split += 1
            for tick, part in enumerate(parts):
                assert packet.pts is not None and packet.dts is not None
                piece = av.Packet(part)
                piece.pts, piece.dts = packet.pts + tick, packet.dts + tick
                piece.time_base = packet.time_base
                piece.is_keyframe = packet.is_keyframe
                piece.stream = copy
                out.mux(piece)
    return split


def sample_times(root: Path, rows: Sequence[dict]) -> list[tuple[float, bool]]:
    """(wall ms, keyframe) of every sample of the segments, in presentation order;
    demuxed only, nothing decoded."""
    out = []
    for row in rows:
        with av.open(str(root / row["path"])) as container:
            stream = container.streams.video[0]
            assert stream.time_base is not None
            for packet in container.demux(stream):
                if packet.size and packet.pts is not None:
                    ms = float(packet.pts * stream.time_base) * 1000
                    out.append((row["start_ms"] + ms, packet.is_keyframe))
    return sorted(out)
