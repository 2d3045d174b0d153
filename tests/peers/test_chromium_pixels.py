"""What the operator sees is what was filmed: Chromium's pixels against FFmpeg's.

A GStreamer camera (gst-rtsp-server, `rtph264pay config-interval=-1`: each keyframe
comes as one packet per slice, all of one timestamp) is recorded by the real recorder
and served by the real application over HTTP. Headless Chromium opens the console
signed in as an operator (a session cookie) and plays the camera as the console does:

- live: `#/camera/<id>`, the console's MSE player on the live WebSocket. Frames are
  drawn into a canvas as `requestVideoFrameCallback` presents them, with their media
  time `t`; the frame's instant is `data-epoch-ms + t × 1000`, the console's own
  mapping (`live/timeline.ts`: the live timeline's zero is the wall time `epoch_ms`).
- playback: `#/camera/<id>?at=…`, the console's hls.js player on `playback.m3u8`. The
  video is paused and sought to frames chosen in the archive (the first keyframes, the
  frames after them, the last of a GOP, a mid-GOP one, the keyframe that starts the
  second segment). The served media time is wall time since the first keyframe served
  (`playback/stream.py`), whose wall time is the playlist's first
  EXT-X-PROGRAM-DATE-TIME: a frame filmed at `w` is sought at `(w − PDT) + ⅓ frame`
  (inside the frame, whatever the rounding), and the frame drawn is the one whose
  `mediaTime` `requestVideoFrameCallback` reports, at `PDT + mediaTime`.

FFmpeg's frame of an instant is the recorded segment's frame at segment start +
presentation time (PyAV's `pts × time_base`; B-frames' composition offsets included on
both sides). The nearest one must be within 20 ms (frames are ~100 ms apart; the
live timeline is a few ms off after each new file, see `pixels.py`). Its mean absolute
RGB difference with Chromium's picture, over the whole picture and over its top
quarter (where a keyframe cut in two samples turns green), must be decoder noise,
while the frames before and after differ clearly (the pattern's colour bars scroll 4
pixels a frame): the frame is the right one and the video moves. `pixels.py` says why
FFmpeg decodes the files as a stream of slices.

The negative control stores each keyframe of the same recording as two samples (the
recorder's behaviour before `ingest/access_units.py`) and plays it the same way: the
comparison must fail, keyframes green on top in Chromium.

H.265 is not tested: Debian's Chromium has no HEVC decoder for Media Source Extensions
(`MediaSource.isTypeSupported('video/mp4; codecs="hvc1.1.6.L93.B0"')` is false; the
console tells the operator so, `live-video.tsx`).
"""

from __future__ import annotations

import hashlib
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Page, expect
from sqlalchemy import Engine, insert, select

from beffroi.access.sessions import open_session
from beffroi.access.tables import users
from beffroi.archive.layout import segment_relpath
from beffroi.archive.tables import segments
from beffroi.clock import FakeClock, SystemClock
from beffroi.db.engine import make_engine
from beffroi.db.migrate import upgrade
from beffroi.web.app import create_app
from beffroi.web.context import AppContext
from beffroi.web.deps import COOKIE_NAME
from tests.browser import BrowserPage, browser, page  # noqa: F401  (pytest fixtures)
from tests.console.harness import ensure_console_built
from tests.ingest.harness import Rig, recording, spec, wait_for
from tests.peers.gst_camera import gst_camera
from tests.peers.pixels import (
    CAPTURE_FRAMES,
    CAPTURED_PNG,
    MAPPING_TOLERANCE_MS,
    NOISE_LEVELS,
    SEEK_AND_DRAW,
    Comparison,
    References,
    assert_same_pixels,
    compare,
    playlist_start_ms,
    png_pixels,
    reference_frames,
    sample_times,
    split_keyframes,
)
from tests.web.conftest import seed_site

pytestmark = pytest.mark.slow

CAMERA_ID = "jlt-001"  # a camera of the seeded site, in the operator's commune
DAMAGED_ID = "jlt-002"  # the negative control's copy
# smpte scrolls 4 pixels a frame (the camera's horizontal-speed), colour bars at the top;
# a keyframe a second.
CAMERA: dict[str, Any] = {"pattern": "smpte", "fps": 10, "gop": 10}
CASES: dict[str, dict[str, Any]] = {
    "two-packet-keyframes": {},  # the pipeline, as GStreamer's defaults give it
    "sliced": {"slices": 4},
    "b-frames": {"bframes": 2},
}
SEGMENT_MS = 3000  # two segments within seconds: playback crosses a segment boundary
LIVE_FRAMES = 25  # two and a half GOPs: keyframes among them, even if frames are skipped
WAIT_MS = 30_000  # two shared cores: the console, a decoder, the recorder, the camera
NEWEST_PLAYABLE_MS = 3000  # the console plays footage at least this old (instant.ts)


@dataclass
class Site:
    """A camera being recorded, the application serving it, an operator's session."""

    case: str
    base: str
    engine: Engine
    root: Path
    rig: Rig
    session: str  # the operator's session cookie

    def rows(self, camera_id: str = CAMERA_ID) -> list[dict]:
        return self.rig.rows(camera_id)


@contextmanager
def serving(ctx: AppContext) -> Iterator[str]:
    """The application on a loopback port, in a thread (as tests/playback/conftest.py)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(ctx), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    wait_for(lambda: server.started, 10, "uvicorn to start")
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


# Each case recorded by FFmpeg's RTSP client, and B-frames by ours too (`reader:
# native`), whose decode times for B-frames are derived (`ingest/rtsp/pictures.py`).
SITES = [*CASES, "b-frames+native"]


@pytest.fixture(scope="module", params=SITES)
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    ensure_console_built()
    case, _, reader = request.param.partition("+")
    tmp = tmp_path_factory.mktemp(f"pixels-{case}-{reader or 'ffmpeg'}")
    root = tmp / "data" / "archive"
    root.mkdir(parents=True)
    engine = make_engine(f"sqlite:///{tmp / 'beffroi.sqlite3'}")
    upgrade(engine)
    clock = SystemClock()
    seed_site(engine, FakeClock(clock.now()))
    with engine.connect() as conn:
        operator = conn.execute(select(users.c.id).where(users.c.username == "agent")).scalar_one()
    session = open_session(engine, operator, clock, kind="cookie").token
    try:
        with (
            gst_camera(**CAMERA, **CASES[case]) as url,
            recording(
                engine,
                root,
                [spec(url, CAMERA_ID, stall_timeout_s=10.0, reader=reader or "ffmpeg")],
                SEGMENT_MS,
            ) as rig,
        ):
            ctx = AppContext(
                engine=engine,
                clock=clock,
                data_dir=tmp / "data",
                archive_root=root,
                recorder=rig.supervisor,
                free_floor_bytes=10**9,
            )
            with serving(ctx) as base:
                yield Site(request.param, base, engine, root, rig, session)
    finally:
        engine.dispose()


def signed_in(bp: BrowserPage, site: Site) -> Page:
    bp.context.add_cookies([{"name": COOKIE_NAME, "value": site.session, "url": site.base}])
    return bp.page


def report(comparisons: list[Comparison]) -> None:
    """The measures, for `pytest -s`."""
    for c in comparisons:
        print(c.line())


def test_live_view_shows_ffmpegs_pixels(site: Site, page: BrowserPage) -> None:  # noqa: F811
    p = signed_in(page, site)
    p.goto(f"{site.base}/#/camera/{CAMERA_ID}")
    video = p.get_by_test_id("live-video")
    expect(video).to_have_attribute("data-state", "playing", timeout=WAIT_MS)
    epoch = video.get_attribute("data-epoch-ms")
    assert epoch, "the live player announced no epoch_ms"
    epoch_ms = float(epoch)
    # Pictures of a settled player: a second after it started (it may still seek to the
    # live edge just after starting).
    started = video.evaluate("v => v.currentTime")
    p.wait_for_function(
        "([v, t]) => v.currentTime > t + 1", arg=[video.element_handle(), started], timeout=WAIT_MS
    )
    times = p.evaluate(CAPTURE_FRAMES, [video.element_handle(), LIVE_FRAMES])
    shown = [png_pixels(p.evaluate(CAPTURED_PNG, i)) for i in range(len(times))]
    walls = [epoch_ms + t * 1000 for t in times]

    # FFmpeg reads the frames once their segment is closed and indexed.
    wait_for(lambda: any(r["end_ms"] > walls[-1] for r in site.rows()), 30, "the segment")
    refs = reference_frames(site.root, site.rows(), walls)
    comparisons = [
        compare(f"live {t:.3f} s", img, wall, refs)
        for t, img, wall in zip(times, shown, walls, strict=True)
    ]
    report(comparisons)
    assert_same_pixels(comparisons)
    assert not refs.per_sample_mismatches, "FFmpeg decodes a sample as part of a picture"


def targets(frames: list[tuple[float, bool]], second_segment_ms: float) -> list[float]:
    """Wall times of the frames to look at: the first two keyframes and the one that
    starts the second segment, the frame after each, the frame before the second, and
    one mid-GOP."""
    keys = [i for i, (_, key) in enumerate(frames) if key]
    later = [i for i in keys if frames[i][0] >= second_segment_ms]
    assert len(keys) >= 3 and later, f"too few keyframes: {frames}"
    picked = {k + d for k in (*keys[:2], later[0]) for d in (0, 1)}
    picked |= {keys[1] - 1, keys[1] + 5}
    return [frames[i][0] for i in sorted(picked) if i < len(frames)]


@dataclass
class Sought:
    walls: list[float]  # wall times of the frames to look at
    period_ms: float  # between frames


def sought(site: Site, rows: list[dict]) -> Sought:
    frames = sample_times(site.root, rows)
    period_ms = (frames[-1][0] - frames[0][0]) / (len(frames) - 1)
    return Sought(targets(frames, rows[1]["start_ms"]), period_ms)


def play_back(
    bp: BrowserPage, site: Site, camera_id: str, rows: list[dict], wanted: Sought
) -> tuple[list[Comparison], References]:
    """Chromium's pictures of the frames `wanted` of `rows`, through the console's
    playback, each against FFmpeg's frame of the same instant."""
    p = signed_in(bp, site)
    at = datetime.fromtimestamp(rows[0]["start_ms"] / 1000, UTC).isoformat()
    with p.expect_response(lambda r: ".m3u8" in r.url, timeout=WAIT_MS) as playlist:
        p.goto(f"{site.base}/#/camera/{camera_id}?at={at.replace('+00:00', 'Z')}")
    assert playlist.value.ok, playlist.value.text()
    start_ms = playlist_start_ms(playlist.value.text())
    video = p.get_by_test_id("playback-video")
    p.wait_for_function("v => v.readyState >= 2", arg=video.element_handle(), timeout=WAIT_MS)

    def media_time(wall: float) -> float:
        # A third of a frame in: the sought frame is presented, whatever the rounding.
        return (wall + wanted.period_ms / 3 - start_ms) / 1000

    # The console plays from the instant asked; hls.js fetches the whole window ahead.
    # Seek once it has started playing and fetched all (a paused seek to a frame before
    # a GOP not yet fetched may wait for it forever, with B-frames).
    last = media_time(wanted.walls[-1]) + 1
    p.wait_for_function(
        "([v, end]) => !v.paused && v.currentTime > 1"
        " && v.buffered.length === 1 && v.buffered.end(0) >= end",
        arg=[video.element_handle(), last],
        timeout=WAIT_MS,
    )
    # The frame sought starts a third of a frame before the time sought.
    within = wanted.period_ms / 2 / 1000
    shown = []
    for wall in wanted.walls:
        t = media_time(wall)
        drawn = p.evaluate(SEEK_AND_DRAW, [video.element_handle(), t, within])
        shown.append((t, drawn["mediaTime"], png_pixels(drawn["png"])))
    refs = reference_frames(site.root, rows, wanted.walls)
    comparisons = []
    for wall, (t, media, img) in zip(wanted.walls, shown, strict=True):
        what = f"{camera_id} sought {t:.3f} s, shown {media:.5f} s"
        c = compare(what, img, start_ms + media * 1000, refs)
        comparisons.append(c)
        assert abs(c.wall_ms - wall) <= wanted.period_ms / 2, "another frame shown: " + c.line()
    return comparisons, refs


def wait_playable(site: Site) -> list[dict]:
    """The first two closed segments, once the console would play the second's first
    second (it plays footage at least 3 s old)."""

    def ready() -> bool:
        rows = site.rows()
        newest = time.time() * 1000 - NEWEST_PLAYABLE_MS
        return len(rows) >= 2 and newest > rows[1]["start_ms"] + 2000

    wait_for(ready, 60, "two segments of footage")
    return site.rows()[:2]


def test_playback_shows_ffmpegs_pixels(site: Site, page: BrowserPage) -> None:  # noqa: F811
    rows = wait_playable(site)
    comparisons, refs = play_back(page, site, CAMERA_ID, rows, sought(site, rows))
    report(comparisons)
    assert_same_pixels(comparisons)
    assert not refs.per_sample_mismatches, "FFmpeg decodes a sample as part of a picture"


def index_damaged_copy(site: Site, rows: list[dict]) -> list[dict]:
    """The segments of `rows`, keyframes split in two samples, indexed for DAMAGED_ID."""
    copies = []
    for row in rows:
        relpath = segment_relpath(DAMAGED_ID, row["start_ms"])
        split = split_keyframes(site.root / row["path"], site.root / relpath)
        assert split > 0, f"{row['path']}: no keyframe of several slices to split"
        data = (site.root / relpath).read_bytes()
        copy = {k: v for k, v in row.items() if k != "id"}
        copy.update(
            camera_id=DAMAGED_ID,
            path=relpath,
            bytes=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            prev_sha256=None,
        )
        with site.engine.begin() as conn:
            conn.execute(insert(segments).values(**copy))
        copies.append(copy)
    return copies


@pytest.mark.parametrize("site", ["two-packet-keyframes", "sliced"], indirect=True)
def test_keyframes_split_in_two_samples_fail_the_comparison(
    site: Site,
    page: BrowserPage,  # noqa: F811
) -> None:
    """The negative control: the comparison above sees the issue's damage."""
    rows = wait_playable(site)
    copies = index_damaged_copy(site, rows)
    comparisons, refs = play_back(page, site, DAMAGED_ID, copies, sought(site, rows))
    report(comparisons)
    lines = "\n".join(c.line() for c in comparisons)
    with pytest.raises(AssertionError):
        assert_same_pixels(comparisons)
    # It fails on the pixels, not on finding the frames: the frames are where they were,
    # the keyframe stored as two samples shows green on top (Chromium decodes it sample
    # by sample; where it starts decoding after a seek decides which frames suffer).
    assert all(abs(c.error_ms) <= MAPPING_TOLERANCE_MS for c in comparisons), lines
    damaged = [c for c in comparisons if c.top > 10 * NOISE_LEVELS and c.top > c.whole]
    assert any(c.keyframe for c in damaged), lines
    # FFmpeg fed sample by sample is fooled too: only the whole picture tells.
    assert refs.per_sample_mismatches, "FFmpeg decodes every sample as a whole picture"
