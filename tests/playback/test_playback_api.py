"""Playback over HTTP: HLS and fMP4 by stream copy, seek, links for standard players,
single frames, scope, journal, and ids that are not paths."""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterator
from datetime import datetime, timedelta

import av
import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select

from beffroi.clock import FakeClock, utc_ms
from beffroi.ingest.state import CameraState, FinishedSegment, LiveSegment
from beffroi.journal.tables import journal_entries
from beffroi.playback.snapshot import locate_frame_at
from beffroi.web.context import AppContext
from tests.playback.conftest import CAMERA, T0, Archive, iso
from tests.playback.segments import SIZE, index_segment, truncate_mid_last_fragment, write_segment
from tests.web.conftest import FakeRecorder, token_for

WINDOW = {"start": iso(T0 + 1_500), "end": iso(T0 + 30_000)}


def instant(text: str) -> int:
    return utc_ms(datetime.fromisoformat(text))


def play_count(ctx: AppContext) -> int:
    with ctx.engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count()).where(journal_entries.c.action == "recording.play")
            ).scalar_one()
        )


def decoded(url: str) -> Iterator[tuple[float, np.ndarray]]:
    """(media time, grey picture) of every frame a real demuxer reads from `url`."""
    with av.open(url, timeout=20) as c:
        for frame in c.decode(video=0):
            yield float(frame.pts * frame.time_base), frame.to_ndarray(format="gray")


def assert_moves(frames: list[tuple[float, np.ndarray]], expected: int) -> None:
    assert len(frames) >= expected
    assert frames[0][1].shape == (SIZE[1], SIZE[0])
    times = [t for t, _ in frames]
    assert times == sorted(times)
    moving = sum(not np.array_equal(a, b) for (_, a), (_, b) in itertools.pairwise(frames))
    assert moving == len(frames) - 1  # every frame differs from the one before


def test_playlist_is_hls7_fmp4_with_wall_time_gap_and_end(
    client: TestClient, agent: dict[str, str], archive: Archive, ctx: AppContext
) -> None:
    before = play_count(ctx)
    r = client.get(f"/api/cameras/{CAMERA}/playback.m3u8", params=WINDOW, headers=agent)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/vnd.apple.mpegurl")
    lines = r.text.splitlines()
    assert lines[:2] == ["#EXTM3U", "#EXT-X-VERSION:7"]
    assert lines[-1] == "#EXT-X-ENDLIST"  # the window is in the past
    # Starts at the keyframe before 1.5 s, with the wall time.
    assert f"#EXT-X-PROGRAM-DATE-TIME:{iso(T0 + 1_000)[:-1]}.000Z" in lines[:8]
    # The three contiguous segments share one init part; the gap brings a discontinuity.
    assert sum(line.startswith("#EXT-X-MAP") for line in lines) == 1
    assert lines.count("#EXT-X-DISCONTINUITY") == 1
    after_gap = lines[lines.index("#EXT-X-DISCONTINUITY") + 1]
    assert after_gap == f"#EXT-X-PROGRAM-DATE-TIME:{iso(T0 + 20_000)[:-1]}.000Z"
    parts = [line for line in lines if line and not line.startswith("#")]
    assert len(parts) == 3 + 4 + 4 + 4
    # Media parts are served without journaling again: one play per playlist.
    for part in parts[:3]:
        got = client.get(f"/api/cameras/{CAMERA}/{part}", headers=agent)
        assert got.status_code == 200 and got.content[4:8] == b"moof"
    assert play_count(ctx) == before + 1


def test_link_plays_in_a_standard_demuxer_over_http(
    client: TestClient, agent: dict[str, str], archive: Archive, http_base: str, ctx: AppContext
) -> None:
    r = client.post(f"/api/cameras/{CAMERA}/playback-links", json=WINDOW, headers=agent)
    assert r.status_code == 201, r.text
    link = r.json()
    assert play_count(ctx) == 1
    hls = list(decoded(link["hls"].replace("http://testserver", http_base)))
    mp4 = list(decoded(link["mp4"].replace("http://testserver", http_base)))
    # From the keyframe at 1 s: 3 s, then 4 s, 4 s and (after the gap) 4 s.
    assert_moves(hls, 15 * 15)
    assert_moves(mp4, 15 * 15)
    assert mp4[0][0] == 0.0
    # In the stream, media time is wall time since the keyframe: the gap shows as a jump.
    assert mp4[-1][0] == pytest.approx(19 + 4 - 1 / 15, abs=0.01)


def test_link_is_bound_to_camera_window_and_lifetime(
    client: TestClient, agent: dict[str, str], archive: Archive, ctx: AppContext
) -> None:
    link = client.post(f"/api/cameras/{CAMERA}/playback-links", json=WINDOW, headers=agent).json()
    grant = {**WINDOW, "grant": link["grant"]}
    url = f"/api/cameras/{CAMERA}/playback.m3u8"
    assert client.get(url, params=grant).status_code == 200
    assert client.get(url).status_code == 401  # no grant, no header
    assert client.get(url.replace(CAMERA, "jlt-002"), params=grant).status_code == 401
    wider = {**grant, "end": iso(T0 + 40_000)}
    assert client.get(url, params=wider).status_code == 401
    # A media part outside the granted window is refused even with the grant.
    outside = {"start": iso(T0 + 21_000), "end": iso(T0 + 22_000)}
    other = client.post(f"/api/cameras/{CAMERA}/playback-links", json=outside, headers=agent)
    part = f"/api/cameras/{CAMERA}/playback/{archive.ids[0]}/0.m4s"
    assert client.get(part, params={**outside, "grant": other.json()["grant"]}).status_code == 404
    assert client.get(part, params=grant).status_code == 200
    # Revoked, then expired.
    gone = client.delete(
        f"/api/cameras/{CAMERA}/playback-links",
        params={**outside, "grant": other.json()["grant"]},
        headers=agent,
    )
    assert gone.status_code == 204
    assert client.get(url, params={**outside, "grant": other.json()["grant"]}).status_code == 401
    # One player: the link, used here first, plays from no other address.
    with TestClient(client.app, client=("192.0.2.9", 50000)) as elsewhere:
        assert elsewhere.get(url, params=grant).status_code == 401
    assert client.get(url, params=grant).status_code == 200
    assert isinstance(ctx.clock, FakeClock)
    ctx.clock.advance(timedelta(minutes=11))
    assert client.get(url, params=grant).status_code == 401


def test_seek_returns_keyframe_and_exact_offset(
    client: TestClient, agent: dict[str, str], archive: Archive
) -> None:
    at = T0 + 6_437  # in the second segment, 0.437 s after its keyframe at 6 s
    r = client.get(f"/api/cameras/{CAMERA}/seek", params={"at": iso(at)}, headers=agent)
    assert r.status_code == 200, r.text
    body = r.json()
    keyframe_ms = instant(body["keyframe_at"])
    assert keyframe_ms == T0 + 6_000
    assert round(keyframe_ms + body["offset_s"] * 1000) == at
    media = client.get(body["url"].replace("http://testserver", ""), headers=agent)
    assert media.status_code == 200
    start_time = utc_ms(
        __import__("datetime").datetime.fromisoformat(media.headers["X-Start-Time"])
    )
    assert start_time == keyframe_ms
    with av.open(io.BytesIO(media.content)) as c:
        first = next(c.decode(video=0))
    assert start_time + float(first.pts * first.time_base) * 1000 <= at
    # In a gap there is nothing at or before the instant to start from.
    gap = client.get(f"/api/cameras/{CAMERA}/seek", params={"at": iso(T0 + 15_000)}, headers=agent)
    assert gap.status_code == 404


def test_stream_starts_mid_segment_at_keyframe_fragment(
    client: TestClient, agent: dict[str, str], archive: Archive
) -> None:
    params = {"start": iso(T0 + 2_900), "end": iso(T0 + 4_500)}
    r = client.get(f"/api/cameras/{CAMERA}/playback.mp4", params=params, headers=agent)
    assert r.status_code == 200
    assert instant(r.headers["X-Start-Time"]) == T0 + 2_000
    with av.open(io.BytesIO(r.content)) as c:
        frames = [f.to_ndarray(format="gray") for f in c.decode(video=0)]
    assert len(frames) == 2 * 15 + 15  # fragments from 2 s to 4 s, then 4 s to 5 s


def test_frame_png_is_lossless_and_at_camera_size(
    client: TestClient, agent: dict[str, str], archive: Archive
) -> None:
    at = T0 + 5_555
    r = client.get(
        f"/api/cameras/{CAMERA}/frame", params={"at": iso(at), "format": "png"}, headers=agent
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "image/png"
    picture = np.asarray(Image.open(io.BytesIO(r.content)).convert("RGB"))
    assert picture.shape == (SIZE[1], SIZE[0], 3)
    seg = archive.segments[1]
    found = locate_frame_at(seg.path, seg.start_ms, at)
    assert np.array_equal(picture, found.frame.to_ndarray(format="rgb24"))
    assert r.headers["X-Frame-Time"] == iso(found.wall_ms).replace("Z", "+00:00")
    assert found.wall_ms <= at
    jpeg = client.get(
        f"/api/cameras/{CAMERA}/frame", params={"at": iso(at), "format": "jpeg"}, headers=agent
    )
    assert jpeg.headers["content-type"] == "image/jpeg"
    bad = client.get(
        f"/api/cameras/{CAMERA}/frame", params={"at": iso(at), "format": "gif"}, headers=agent
    )
    assert bad.status_code == 422 and "format" in bad.text
    assert (
        client.get(
            f"/api/cameras/{CAMERA}/snapshot", params={"at": iso(at)}, headers=agent
        ).headers["content-type"]
        == "image/jpeg"
    )


def test_segments_are_ids_of_this_camera_never_paths(
    client: TestClient, agent: dict[str, str], archive: Archive, ctx: AppContext
) -> None:
    foreign = write_segment(ctx.archive_root, "jlt-002", T0, seconds=2)
    foreign_id = index_segment(ctx.engine, foreign, foreign.end_ms)
    base = f"/api/cameras/{CAMERA}/playback"
    for segment in (str(foreign_id), "..%2F..%2Fjlt-002", "..", "live-0", "-1", "9" * 30):
        for tail in ("init.mp4", "0.m4s"):
            r = client.get(f"{base}/{segment}/{tail}", headers=agent)
            assert r.status_code in (404, 422), (segment, tail, r.status_code)
    assert client.get(f"{base}/../../../etc/passwd", headers=agent).status_code == 404
    # The foreign segment is served under its own camera.
    own = f"/api/cameras/jlt-002/playback/{foreign_id}/init.mp4"
    assert client.get(own, headers=agent).status_code == 200


def test_camera_outside_scope_answers_like_a_missing_one(
    client: TestClient, agent: dict[str, str], archive: Archive
) -> None:
    for path in ("playback.m3u8", "playback.mp4"):
        other = client.get(f"/api/cameras/cha-001/{path}", params=WINDOW, headers=agent)
        ghost = client.get(f"/api/cameras/nope-000/{path}", params=WINDOW, headers=agent)
        assert other.status_code == ghost.status_code == 404
        assert other.json()["detail"].replace("cha-001", "X") == ghost.json()["detail"].replace(
            "nope-000", "X"
        )
    link = client.post("/api/cameras/cha-001/playback-links", json=WINDOW, headers=agent)
    assert link.status_code == 404
    empty = client.get(
        f"/api/cameras/{CAMERA}/playback.m3u8",
        params={"start": iso(T0 + 12_500), "end": iso(T0 + 19_000)},
        headers=agent,
    )
    assert empty.status_code == 404 and "no recording" in empty.json()["detail"]


def test_segment_being_written_plays_to_its_last_complete_fragment(
    client: TestClient, ctx: AppContext, recorder: FakeRecorder, archive: Archive
) -> None:
    live = write_segment(ctx.archive_root, CAMERA, T0 + 24_000, seconds=4, part=True)
    truncate_mid_last_fragment(live.path)
    recorder.states[CAMERA] = CameraState(
        camera_id=CAMERA, live=LiveSegment(live.relpath, live.start_ms, live.start_ms + 3_000)
    )
    headers = token_for(ctx, "agent")
    params = {"start": iso(T0 + 22_500), "end": iso(T0 + 40_000)}
    r = client.get(f"/api/cameras/{CAMERA}/playback.m3u8", params=params, headers=headers)
    assert r.status_code == 200
    live_parts = [x for x in r.text.splitlines() if x.startswith(f"playback/live-{live.start_ms}/")]
    assert len(live_parts) == 3  # the fourth fragment is cut short
    got = client.get(f"/api/cameras/{CAMERA}/{live_parts[-1]}", headers=headers)
    assert got.status_code == 200 and got.content[4:8] == b"moof"
    mp4 = client.get(f"/api/cameras/{CAMERA}/playback.mp4", params=params, headers=headers)
    with av.open(io.BytesIO(mp4.content)) as c:
        count = sum(1 for _ in c.decode(video=0))
    assert count == 2 * 15 + 3 * 15


def test_a_live_media_url_still_answers_once_its_segment_finished(
    client: TestClient, ctx: AppContext, recorder: FakeRecorder, archive: Archive
) -> None:
    seg = write_segment(ctx.archive_root, CAMERA, T0 + 24_000, seconds=4, part=True)
    final = seg.relpath.removesuffix(".part")  # the recorder names the file it will be
    recorder.states[CAMERA] = CameraState(
        camera_id=CAMERA, live=LiveSegment(final, seg.start_ms, seg.start_ms + 4_000)
    )
    headers = token_for(ctx, "agent")
    params = {"start": iso(T0 + 24_000), "end": iso(T0 + 40_000)}
    r = client.get(f"/api/cameras/{CAMERA}/playback.m3u8", params=params, headers=headers)
    parts = [x for x in r.text.splitlines() if x.startswith(f"playback/live-{seg.start_ms}/")]
    assert parts, r.text
    # The segment finishes (renamed, handed to the index, whose row is not written yet)
    # while a player still holds the playlist made before.
    seg.path.rename(ctx.archive_root / final)
    data = (ctx.archive_root / final).read_bytes()
    recorder.states[CAMERA] = CameraState(
        camera_id=CAMERA,
        finished=FinishedSegment(final, seg.start_ms, seg.end_ms, len(data), "0" * 64),
    )
    got = client.get(f"/api/cameras/{CAMERA}/{parts[-1]}", headers=headers)
    assert got.status_code == 200 and got.content[4:8] == b"moof"
    recorder.states[CAMERA] = CameraState(camera_id=CAMERA)  # its row written, long ago
    gone = client.get(f"/api/cameras/{CAMERA}/{parts[-1]}", headers=headers)
    assert gone.status_code == 404
