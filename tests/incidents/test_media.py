"""An alarm's snapshot and pre/post-alarm clip, made from what the real recorder writes
of a simulated RTSP camera (both databases), and served by the real app: scope, the
auditor who reads incidents but sees no image, Range requests, the journal."""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import Engine, insert, select

from beffroi.access.permissions import Role
from beffroi.access.sessions import open_session
from beffroi.access.tables import user_communes, users
from beffroi.clock import SystemClock, from_ms, utc_ms
from beffroi.incidents.clip_window import ClipWindow, MediaSettings
from beffroi.incidents.footage import Footage, frame_near
from beffroi.incidents.media import IncidentMedia
from beffroi.incidents.service import IncidentService
from beffroi.incidents.stills import snapshot_jpeg
from beffroi.incidents.tables import incident_media
from beffroi.ingest.state import Status
from beffroi.journal.tables import journal_entries
from beffroi.playback.snapshot import locate_frame_at
from beffroi.sim.runner import run_in_thread
from beffroi.sim.specs import CameraSpec as SimCamera
from beffroi.web.app import create_app
from beffroi.web.context import AppContext
from tests.alarms.site import SITE, seed
from tests.incidents.conftest import alarm
from tests.ingest.harness import Rig, recording, spec, wait_for

CAM = "jlt-004"  # zone 1 of the Gymnase Jean Bigot (tests/alarms/site.py)
SMALL = {"width": 320, "height": 240, "fps": 15, "bitrate": 300_000, "duration": 4.0}
PRE_S, POST_S = 2.0, 3.0


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    cams = [SimCamera(name=CAM, **SMALL)]
    with run_in_thread(cams, cache_dir=tmp_path_factory.getbasetemp() / "clips") as server:
        yield server


def rows(engine: Engine, incident_id: int, kind: str) -> list[Any]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(incident_media)
                .where(incident_media.c.incident_id == incident_id, incident_media.c.kind == kind)
                .order_by(incident_media.c.part)
            ).all()
        )


def recorded_since(rig: Rig) -> int | None:
    """Wall time of the oldest footage of CAM (index or segment being written)."""
    done = rig.rows(CAM)
    live = rig.state(CAM).live
    starts = [r["start_ms"] for r in done] + ([live.start_ms] if live else [])
    return min(starts) if starts else None


def user(ctx: AppContext, name: str, role: Role, commune: str) -> dict[str, str]:
    with ctx.engine.begin() as conn:
        uid = conn.execute(
            insert(users)
            .values(username=name, password_hash="x", role=role.value, disabled=False, created_ms=0)
            .returning(users.c.id)
        ).scalar_one()
        conn.execute(insert(user_communes).values(user_id=uid, commune_id=commune))
    return {"Authorization": f"Bearer {open_session(ctx.engine, uid, ctx.clock).token}"}


def decoded(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="gray") for f in container.decode(video=0)]


def test_alarm_snapshot_and_clip_from_the_recorder_and_their_routes(
    sim: Any, engine: Engine, tmp_path: Path
) -> None:
    clock = SystemClock()
    seed(engine, clock, SITE)
    data = tmp_path / "data"
    root = data / "archive"
    with recording(engine, root, [spec(sim.url(CAM), CAM)]) as rig:
        wait_for(lambda: rig.state(CAM).status == Status.RECORDING, 30, "recording")
        # The clip starts PRE_S before the alarm: let that much footage exist first.
        wait_for(
            lambda: (
                (since := recorded_since(rig)) is not None
                and since < utc_ms(clock.now()) - PRE_S * 1000 - 1500
            ),
            30,
            "footage before the alarm",
        )
        service = IncidentService(engine, clock, media=MediaSettings(ClipWindow(PRE_S, POST_S)))
        worker = IncidentMedia(engine, clock, data, root, rig.supervisor, poll_s=0.05)
        worker.start()
        try:
            began = time.monotonic()
            incident = service.alarm_received(alarm(engine, clock.now()))
            assert incident is not None
            at_ms = rows(engine, incident, "snapshot")[0].at_ms
            wait_for(lambda: rows(engine, incident, "snapshot")[0].state != "pending", 10, "snap")
            snapshot_s = time.monotonic() - began
            wait_for(lambda: rows(engine, incident, "clip")[0].state != "pending", 30, "clip")
            clip_s = time.monotonic() - began
        finally:
            worker.stop()
        print(f"snapshot ready {snapshot_s:.2f} s after the alarm, clip {clip_s:.2f} s")

        # The snapshot: the camera's frame at the alarm instant, about a second later.
        (snap,) = rows(engine, incident, "snapshot")
        assert snap.state == "ready" and snapshot_s < 2.5
        jpeg = (data / snap.path).read_bytes()
        assert snapshot_jpeg(engine, data, incident) == jpeg  # what a notification carries
        assert hashlib.sha256(jpeg).hexdigest() == snap.sha256
        assert Image.open(io.BytesIO(jpeg)).size == (320, 240) == (snap.width, snap.height)
        assert at_ms - 1000 / 15 - 1 <= snap.start_ms <= at_ms

        # The clip: one continuous file covering [alarm - PRE, alarm + POST].
        (clip,) = rows(engine, incident, "clip")
        assert clip.state == "ready", clip.error
        assert clip.want_start_ms == at_ms - 2000 and clip.want_end_ms == at_ms + 3000
        assert at_ms - 2000 - 3000 <= clip.start_ms <= at_ms - 2000  # from the keyframe before
        assert clip.end_ms >= at_ms + 3000 - 1000 / 15
        assert json.loads(clip.gaps) == []
        sources = json.loads(clip.sources)
        assert sources and all(s["sha256"] or s["in_progress"] for s in sources)
        path = data / clip.path
        assert hashlib.sha256(path.read_bytes()).hexdigest() == clip.sha256
        frames = decoded(path)
        assert len(frames) == clip.frames
        assert len(frames) >= 15 * (PRE_S + POST_S) - 2
        moving = sum(not np.array_equal(a, b) for a, b in itertools.pairwise(frames))
        assert moving > len(frames) * 0.8, "the frames move"
        # Media time 0 is clip.start_ms: the clip's frame at a wall time is the archive's.
        footage = Footage(engine, root, data, rig.supervisor)
        for wall in (at_ms - 1500, at_ms, at_ms + 2500):
            mine = locate_frame_at(path, clip.start_ms, wall)
            theirs = frame_near(footage, CAM, wall, late=True)
            assert theirs is not None
            assert abs(mine.wall_ms - theirs.wall_ms) <= 2
            assert np.array_equal(mine.frame.to_ndarray(), theirs.frame.to_ndarray())

        check_routes(engine, clock, data, root, rig, incident, snap, clip)


def check_routes(
    engine: Engine,
    clock: SystemClock,
    data: Path,
    root: Path,
    rig: Rig,
    incident: int,
    snap: Any,
    clip: Any,
) -> None:
    ctx = AppContext(
        engine=engine,
        clock=clock,
        data_dir=data,
        archive_root=root,
        recorder=rig.supervisor,
        free_floor_bytes=0,
    )
    with TestClient(create_app(ctx)) as client:
        agent = user(ctx, "agent", Role.OPERATOR, "joue-les-tours")
        auditor = user(ctx, "dpo", Role.AUDITOR, "joue-les-tours")
        theirs = user(ctx, "voisin", Role.OPERATOR, "chambray")
        base = f"/api/incidents/{incident}"

        shown = client.get(base, headers=agent).json()
        (media,) = shown["media"]
        assert media["camera"] == CAM and media["live"] == f"/api/cameras/{CAM}/live"
        assert media["snapshot"]["url"] == f"{base}/snapshots/{CAM}"
        assert datetime.fromisoformat(media["snapshot"]["at"]) == from_ms(snap.start_ms)
        assert media["clips"][0]["url"] == f"{base}/clip/{CAM}"
        assert media["clips"][0]["gaps"] == []
        # The auditor reads the incident and what exists, never a way to the images.
        audited = client.get(base, headers=auditor)
        assert audited.status_code == 200
        (seen,) = audited.json()["media"]
        assert seen["snapshot"]["state"] == "ready" and seen["snapshot"]["url"] is None
        assert seen["clips"][0]["url"] is None and seen["live"] is None
        assert client.get(f"{base}/snapshots/{CAM}", headers=auditor).status_code == 403
        assert client.get(f"{base}/clip/{CAM}", headers=auditor).status_code == 403
        # Another commune's agent: as if the incident did not exist.
        for url in (base, f"{base}/snapshots/{CAM}", f"{base}/clip/{CAM}"):
            assert client.get(url, headers=theirs).status_code == 404, url
        assert client.get(f"{base}/snapshots/cha-001", headers=agent).status_code == 404

        got = client.get(f"{base}/snapshots/{CAM}", headers=agent)
        assert got.status_code == 200 and got.headers["content-type"] == "image/jpeg"
        assert Image.open(io.BytesIO(got.content)).size == (320, 240)
        png = client.get(f"{base}/snapshots/{CAM}", params={"format": "png"}, headers=agent)
        assert png.status_code == 200 and png.headers["content-type"] == "image/png"
        lossless = np.asarray(Image.open(io.BytesIO(png.content)).convert("RGB"))
        frame = frame_near(
            Footage(engine, root, data, rig.supervisor), CAM, snap.start_ms, late=True
        )
        assert frame is not None
        assert np.array_equal(lossless, frame.frame.to_ndarray(format="rgb24"))

        whole = client.get(f"{base}/clip/{CAM}", headers=agent)
        assert whole.status_code == 200 and whole.content == (data / clip.path).read_bytes()
        assert whole.headers["accept-ranges"] == "bytes"
        part = client.get(f"{base}/clip/{CAM}", headers={**agent, "Range": "bytes=100-1123"})
        assert part.status_code == 206 and part.content == whole.content[100:1124]
        assert part.headers["content-range"] == f"bytes 100-1123/{len(whole.content)}"

        # Junk input is a 422 naming the field, never a 500.
        for url, params, code in (
            (f"{base}/snapshots/{CAM}", {"format": "gif"}, 422),
            (f"{base}/clip/{CAM}", {"part": -1}, 422),
            (f"{base}/clip/NOT%20A%20CAMERA", {}, 422),
            (f"{base}/clip/{CAM}", {"part": 3}, 404),
        ):
            assert client.get(url, params=params, headers=agent).status_code == code, url

    with engine.connect() as conn:
        entries = conn.execute(
            select(journal_entries).where(journal_entries.c.camera_id == CAM)
        ).all()
    denied = [e for e in entries if e.action == "request.denied"]
    reads = [e for e in entries if e.username == "agent" and e not in denied]
    assert sorted(e.action for e in reads) == [
        "recording.play",
        "recording.play",
        "snapshot.read",
        "snapshot.read",
    ]
    assert all(json.loads(e.detail)["incident"] == incident for e in reads)
    plays = [json.loads(e.detail) for e in reads if e.action == "recording.play"]
    assert {p["range"] for p in plays} == {None, "bytes=100-1123"}
    # The refusals are journaled by name, and nothing else of theirs.
    assert sorted((e.username, e.outcome) for e in denied) == [
        ("agent", "not_found"),  # part 3 of a one-part clip
        ("dpo", "denied"),
        ("dpo", "denied"),
        ("voisin", "not_found"),
        ("voisin", "not_found"),
    ]
    assert not [e for e in entries if e.username in ("dpo", "voisin") and e not in denied]
