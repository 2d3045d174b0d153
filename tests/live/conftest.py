"""Live view against the real thing: simulated RTSP cameras, the real recorder writing
real segments (two-second segments, so a test sees files roll over), and the real app
with its WebSocket route, on both databases.

The simulator and the recorder run once per module (they record in real time, with
their own SQLite index: live view reads files, not the index); each test gets an app on
the parametrized database, whose site names the same camera ids."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert, select
from starlette.websockets import WebSocketDisconnect

from beffroi.access.sessions import open_session
from beffroi.access.tables import user_cameras, user_communes, users
from beffroi.archive.fmp4 import Fragment, parse_init, parse_moof
from beffroi.archive.storage import storage_report
from beffroi.clock import SystemClock
from beffroi.db.engine import make_engine
from beffroi.db.migrate import upgrade
from beffroi.ingest.state import Status
from beffroi.sim.rtsp_server import SimulatedCameraServer
from beffroi.sim.runner import run_in_thread
from beffroi.sim.specs import CameraSpec as SimCamera
from beffroi.web.app import create_app
from beffroi.web.context import AppContext
from tests.archive.seed import add_cameras
from tests.ingest.harness import Rig, recording, spec, wait_for
from tests.web.conftest import seed_site

SMALL = {"width": 320, "height": 240, "fps": 15, "bitrate": 300_000, "duration": 4.0}
H264, H265 = "jlt-001", "jlt-002"
SEGMENT_MS = 2000


@dataclass
class Live:
    sim: SimulatedCameraServer
    rig: Rig

    def sessions(self) -> int:
        """RTSP sessions the simulated cameras ever started."""
        return int(self.sim.stats_dict()["sessions_started"])


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    tmp = tmp_path_factory.mktemp("live")
    cams = [SimCamera(name=H264, **SMALL), SimCamera(name=H265, codec="h265", **SMALL)]
    engine = make_engine(f"sqlite:///{tmp / 'index.sqlite3'}")
    upgrade(engine)
    add_cameras(engine, H264, H265)
    with run_in_thread(cams, cache_dir=tmp_path_factory.getbasetemp() / "clips") as sim:
        specs = [spec(sim.url(H264), H264), spec(sim.url(H265), H265)]
        with recording(engine, tmp / "archive", specs, segment_ms=SEGMENT_MS) as rig:
            wait_for(
                lambda: all(
                    rig.state(c).status == Status.RECORDING
                    and rig.state(c).live is not None
                    and rig.state(c).fps is not None
                    for c in (H264, H265)
                ),
                30,
                "both cameras recording",
            )
            yield Live(sim, rig)
    engine.dispose()


@pytest.fixture
def ctx(engine: Engine, data_dir: Path, live: Live) -> AppContext:
    clock = SystemClock()
    seed_site(engine, clock)  # type: ignore[arg-type]
    return AppContext(
        engine=engine,
        clock=clock,
        data_dir=data_dir,
        archive_root=live.rig.root,
        recorder=live.rig.supervisor,
        free_floor_bytes=10**9,
        storage_report=lambda: storage_report(engine, live.rig.root, clock, 10**9),
    )


@pytest.fixture
def client(ctx: AppContext) -> Iterator[TestClient]:
    with TestClient(create_app(ctx)) as c:
        yield c


def add_user(
    ctx: AppContext, name: str, role: str, commune: str | None, cams: tuple[str, ...] = ()
) -> int:
    with ctx.engine.begin() as conn:
        uid = conn.execute(
            insert(users)
            .values(username=name, password_hash="x", role=role, disabled=False, created_ms=0)
            .returning(users.c.id)
        ).scalar_one()
        if commune:
            conn.execute(insert(user_communes).values(user_id=uid, commune_id=commune))
        for cam in cams:
            conn.execute(insert(user_cameras).values(user_id=uid, camera_id=cam))
    return int(uid)


def session_token(ctx: AppContext, username: str, kind: str = "bearer") -> str:
    with ctx.engine.connect() as conn:
        uid = conn.execute(select(users.c.id).where(users.c.username == username)).scalar_one()
    return open_session(ctx.engine, uid, ctx.clock, kind=kind).token


def bearer(token: str) -> dict[str, Any]:
    """How a browser presents a bearer token: as a subprotocol."""
    return {"subprotocols": ["beffroi.live", f"bearer.{token}"]}


@dataclass
class Received:
    header: dict[str, Any]
    init: bytes
    fragments: list[Fragment]
    data: list[bytes]  # each fragment's bytes, as sent

    def media(self) -> bytes:
        return self.init + b"".join(self.data)

    def seconds(self) -> float:
        timescale = parse_init(self.init).timescale
        return sum(f.duration for f in self.fragments) / timescale


def receive_stream(ws: Any, seconds: float) -> Received:
    """Read the header, the init part, then fragments until `seconds` of media came."""
    header = json.loads(ws.receive_text())
    init = ws.receive_bytes()
    track = parse_init(init)
    got = Received(header, init, [], [])
    deadline = time.monotonic() + seconds + 20
    while got.seconds() < seconds:
        assert time.monotonic() < deadline, "live media stopped flowing"
        got.data.append(ws.receive_bytes())
        got.fragments.append(parse_moof(got.data[-1], track))
    return got


def close_code(client: TestClient, path: str, **kw: object) -> int:
    """The close code of a refused socket; fails if any media frame came first."""
    with (
        client.websocket_connect(path, **kw) as ws,  # type: ignore[arg-type]
        pytest.raises(WebSocketDisconnect) as closed,
    ):
        message = ws.receive_bytes()
        pytest.fail(f"media sent before the refusal: {len(message)} bytes")
    return closed.value.code
