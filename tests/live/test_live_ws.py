"""GET /api/cameras/{id}/live: real cameras, real recorder, real WebSocket.

The stream must open in PyAV, decode to moving pictures, keep going across the
recorder's file rollovers with decode times that join exactly, and cost the camera no
second RTSP session however many people watch."""

from __future__ import annotations

import io
import itertools
import json
import time

import av
import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text, update

from beffroi.access.tables import user_communes, users
from beffroi.journal.tables import journal_entries
from beffroi.web.context import AppContext
from tests.ingest.harness import wait_for
from tests.live.conftest import (
    H264,
    H265,
    SEGMENT_MS,
    Live,
    add_user,
    bearer,
    close_code,
    receive_stream,
    session_token,
)

pytestmark = pytest.mark.timeout(180)


def decode(media: bytes) -> tuple[list[np.ndarray], list[int]]:
    """Pictures (grey) and decode timestamps of the whole stream."""
    pictures, dts = [], []
    with av.open(io.BytesIO(media), format="mp4") as container:
        stream = container.streams.video[0]
        for packet in container.demux(stream):
            if packet.dts is not None:
                dts.append(packet.dts)
            for frame in packet.decode():
                pictures.append(frame.to_ndarray(format="gray"))
    return pictures, dts


def test_a_viewer_gets_an_init_then_fragments_that_decode_to_moving_pictures(
    ctx: AppContext, client: TestClient
) -> None:
    add_user(ctx, "op", "operator", "joue-les-tours")
    with client.websocket_connect(
        f"/api/cameras/{H264}/live", **bearer(session_token(ctx, "op"))
    ) as ws:
        got = receive_stream(ws, seconds=5.5)
    assert got.header["codec"].startswith("avc1.")
    assert got.header["mime"] == f'video/mp4; codecs="{got.header["codec"]}"'
    assert (got.header["width"], got.header["height"]) == (320, 240)
    assert got.header["fps"] == pytest.approx(15, abs=2)
    with av.open(io.BytesIO(got.init), format="mp4") as init_only:
        assert init_only.streams.video[0].codec_context.name == "h264"
    assert got.fragments[0].keyframe, "a viewer starts on a keyframe"

    pictures, dts = decode(got.media())
    assert len(pictures) >= 5 * 15 * 0.9
    assert all(b > a for a, b in itertools.pairwise(dts)), "decode times go forward"
    moving = [not np.array_equal(a, b) for a, b in itertools.pairwise(pictures)]
    assert sum(moving) >= 0.9 * len(moving), "consecutive pictures differ"

    # 5.5 s of two-second segments: at least two rollovers, and every fragment starts
    # exactly where the previous ended (no gap, no overlap for the player to stumble on).
    assert got.seconds() * 1000 > 2 * SEGMENT_MS
    for before, after in zip(got.fragments, got.fragments[1:], strict=False):
        assert after.decode_time == before.decode_time + before.duration
    sequences = [
        int.from_bytes(data[f.sequence_at : f.sequence_at + 4], "big")
        for f, data in zip(got.fragments, got.data, strict=True)
    ]
    assert sequences == list(range(sequences[0], sequences[0] + len(sequences)))


def test_three_viewers_of_one_camera_make_no_new_rtsp_session(
    ctx: AppContext, client: TestClient, live: Live
) -> None:
    add_user(ctx, "op", "operator", "joue-les-tours")
    sessions = live.sessions()
    assert sessions == 2, "one RTSP session per recorded camera"
    token = session_token(ctx, "op")
    with (
        client.websocket_connect(f"/api/cameras/{H264}/live", **bearer(token)) as a,
        client.websocket_connect(f"/api/cameras/{H264}/live", **bearer(token)) as b,
        client.websocket_connect(f"/api/cameras/{H264}/live", **bearer(token)) as c,
    ):
        streams = [receive_stream(ws, seconds=1.5) for ws in (a, b, c)]
        viewers = ctx.live.counters()[H264].viewers if ctx.live else 0
    assert viewers == 3
    assert all(decode(s.media())[0] for s in streams)
    assert live.sessions() == sessions


def test_an_h265_camera_announces_its_codec_so_the_browser_can_say_it_cannot_play_it(
    ctx: AppContext, client: TestClient
) -> None:
    add_user(ctx, "op", "operator", "joue-les-tours")
    with client.websocket_connect(
        f"/api/cameras/{H265}/live", **bearer(session_token(ctx, "op"))
    ) as ws:
        got = receive_stream(ws, seconds=1.5)
    assert got.header["codec"].startswith("hvc1.1.")  # Main profile
    assert "hvc1" in got.header["mime"]
    pictures, _ = decode(got.media())
    assert len(pictures) >= 15


def _entries(ctx: AppContext, action: str) -> list[dict]:
    with ctx.engine.connect() as conn:
        rows = conn.execute(
            select(journal_entries)
            .where(journal_entries.c.action == action)
            .order_by(journal_entries.c.seq)
        ).all()
    return [dict(r._mapping) for r in rows]


def test_scope_and_permission_refusals_close_before_any_media_and_are_journaled(
    ctx: AppContext, client: TestClient
) -> None:
    add_user(ctx, "op", "operator", "joue-les-tours")
    add_user(ctx, "pat-none", "patrol", "joue-les-tours")
    add_user(ctx, "pat-1", "patrol", "joue-les-tours", (H264,))
    add_user(ctx, "dpo", "auditor", None)
    op = bearer(session_token(ctx, "op"))
    assert close_code(client, "/api/cameras/cha-001/live", **op) == 4404  # other commune
    assert close_code(client, "/api/cameras/nope/live", **op) == 4404  # missing: the same
    no_designation = bearer(session_token(ctx, "pat-none"))
    assert close_code(client, f"/api/cameras/{H264}/live", **no_designation) == 4404
    assert (
        close_code(client, f"/api/cameras/{H264}/live", **bearer(session_token(ctx, "dpo"))) == 4403
    )
    assert close_code(client, f"/api/cameras/{H264}/live") == 4401
    assert close_code(client, f"/api/cameras/{H264}/live", **bearer("forged")) == 4401

    designated = bearer(session_token(ctx, "pat-1"))
    with client.websocket_connect(f"/api/cameras/{H264}/live", **designated) as ws:
        assert json.loads(ws.receive_text())["codec"].startswith("avc1.")
    assert close_code(client, f"/api/cameras/{H265}/live", **designated) == 4404

    entries = _entries(ctx, "request.denied")
    denied = [(e["username"], e["camera_id"], e["outcome"]) for e in entries]
    assert denied == [
        ("op", "cha-001", "not_found"),
        ("op", "nope", "not_found"),
        ("pat-none", H264, "not_found"),
        ("dpo", H264, "denied"),
        ("pat-1", H265, "not_found"),
    ]
    detail = json.loads(_entries(ctx, "request.denied")[0]["detail"])
    assert detail["method"] == "WEBSOCKET" and detail["close_code"] == 4404


def test_a_cookie_session_is_refused_from_another_site(ctx: AppContext, client: TestClient) -> None:
    add_user(ctx, "op", "operator", "joue-les-tours")
    cookie = f"beffroi_session={session_token(ctx, 'op', kind='cookie')}"
    path = f"/api/cameras/{H264}/live"
    evil = {"cookie": cookie, "origin": "https://evil.example"}
    assert close_code(client, path, headers=evil) == 4403
    assert close_code(client, path, headers={"cookie": cookie}) == 4403  # no Origin at all
    same = {"cookie": cookie, "origin": "http://testserver"}
    with client.websocket_connect(path, headers=same) as ws:
        assert json.loads(ws.receive_text())["codec"].startswith("avc1.")
        assert ws.receive_bytes()[4:8] == b"ftyp"
    assert [
        e["detail"] and json.loads(e["detail"])["reason"] for e in _entries(ctx, "request.denied")
    ] == [
        "cross-site request",
        "cross-site request",
    ]


def test_live_start_and_stop_are_journaled_with_the_duration(
    ctx: AppContext, client: TestClient
) -> None:
    add_user(ctx, "op", "operator", "joue-les-tours")
    with client.websocket_connect(
        f"/api/cameras/{H264}/live", **bearer(session_token(ctx, "op"))
    ) as ws:
        receive_stream(ws, seconds=2.0)
        time.sleep(1.5)  # watching on; what was received may have been older footage
        (start,) = _entries(ctx, "live.start")
        assert _entries(ctx, "live.stop") == []
    (stop,) = _entries(ctx, "live.stop")
    who = (start["username"], start["camera_id"], start["commune_id"])
    assert who == ("op", H264, "joue-les-tours")
    assert start["source"] == "testclient" and start["outcome"] == "ok"
    assert stop["start_ms"] == start["start_ms"] and stop["end_ms"] > stop["start_ms"]
    duration = json.loads(stop["detail"])["duration_s"]
    assert duration == pytest.approx((stop["end_ms"] - stop["start_ms"]) / 1000)
    assert duration >= 1.5


def test_metrics_count_viewers_bytes_and_drops(ctx: AppContext, client: TestClient) -> None:
    add_user(ctx, "op", "operator", "joue-les-tours")
    add_user(ctx, "sup", "supervisor", "joue-les-tours")
    token = session_token(ctx, "op")
    with client.websocket_connect(f"/api/cameras/{H264}/live", **bearer(token)) as ws:
        got = receive_stream(ws, seconds=1.0)
        text = client.get(
            "/metrics", headers={"Authorization": f"Bearer {session_token(ctx, 'sup')}"}
        ).text
    labels = f'camera="{H264}",commune="joue-les-tours"'
    assert f"beffroi_live_viewers{{{labels}}} 1" in text
    sent = int(text.split(f"beffroi_live_sent_bytes_total{{{labels}}} ")[1].split()[0])
    assert sent >= len(got.init) + sum(len(data) for data in got.data)
    assert f"beffroi_live_dropped_fragments_total{{{labels}}} 0" in text


def test_no_media_when_the_journal_cannot_record_the_viewing(
    ctx: AppContext, client: TestClient
) -> None:
    add_user(ctx, "op", "operator", "joue-les-tours")
    token = session_token(ctx, "op")
    with ctx.engine.begin() as conn:  # a journal that cannot be written: fail closed
        conn.execute(text("DROP TABLE journal_entries"))
    assert close_code(client, f"/api/cameras/{H264}/live", **bearer(token)) == 1011


@pytest.mark.parametrize("change", ["logout", "disabled", "role", "scope"])
def test_an_open_live_view_ends_when_the_viewer_s_right_does(
    ctx: AppContext, client: TestClient, change: str
) -> None:
    """Logged out, disabled, given another role, or moved to another commune while
    watching: the socket closes with 4401 at the next check (30 s in service)."""
    ctx.live_recheck_s = 0.3
    uid = add_user(ctx, "op", "operator", "joue-les-tours")
    token = session_token(ctx, "op")
    with client.websocket_connect(f"/api/cameras/{H264}/live", **bearer(token)) as ws:
        receive_stream(ws, seconds=1.0)  # watching
        if change == "logout":
            r = client.post("/api/auth/logout", headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 204
        else:
            with ctx.engine.begin() as conn:
                if change == "disabled":
                    conn.execute(update(users).where(users.c.id == uid).values(disabled=True))
                elif change == "role":
                    conn.execute(update(users).where(users.c.id == uid).values(role="patrol"))
                else:
                    conn.execute(
                        update(user_communes)
                        .where(user_communes.c.user_id == uid)
                        .values(commune_id="chambray")
                    )
        deadline = time.monotonic() + 30
        while True:  # media until the check notices
            assert time.monotonic() < deadline, "the live view outlived the viewer's right"
            message = ws.receive()
            if message["type"] == "websocket.close":
                break
    assert message["code"] == 4401
    wait_for(lambda: len(_entries(ctx, "live.stop")) == 1, 10, "live.stop journaled")
