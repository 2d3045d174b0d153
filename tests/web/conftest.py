"""A real app on a real migrated database (both backends), with a seeded site, users,
and a recorder double (the in-process `RecorderView` interface: a dict)."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert, select

from beffroi.access.passwords import hash_password
from beffroi.access.sessions import open_session
from beffroi.access.tables import user_communes, users
from beffroi.archive.storage import storage_report
from beffroi.clock import FakeClock, utc_ms
from beffroi.ingest.state import CameraState
from beffroi.site.tables import cameras, communes
from beffroi.web.app import create_app
from beffroi.web.context import AppContext

PW = "correct horse battery"
USERS = [
    ("agent", "operator", "joue-les-tours"),
    ("patrol", "patrol", "joue-les-tours"),
    ("admin", "admin", None),
]


@dataclass
class FakeRecorder:
    states: dict[str, CameraState] = field(default_factory=dict)

    def camera_states(self) -> dict[str, CameraState]:
        return dict(self.states)


def _camera(cid: str, commune: str, view: str = "general", **kw: object) -> dict[str, object]:
    row: dict[str, object] = {
        "id": cid,
        "name": f"Camera {cid}",
        "commune_id": commune,
        "district": "Centre",
        "lat": 47.35,
        "lon": 0.66,
        "stream_url": "rtsp://10.0.0.1/stream",
        "retention_s": 15 * 86400,
        "view": view,
        "authorisation_ref": "2024-0042",
        "authorisation_expires": "2029-06-30",
        "enabled": True,
        "removed_ms": None,
        "updated_ms": 0,
    }
    row.update(kw)
    return row


def seed_site(engine: Engine, clock: FakeClock) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(communes),
            [
                {"id": "joue-les-tours", "name": "Joué-lès-Tours", "updated_ms": 0},
                {"id": "chambray", "name": "Chambray-lès-Tours", "updated_ms": 0},
            ],
        )
        conn.execute(
            insert(cameras),
            [
                _camera("jlt-001", "joue-les-tours", "close-up"),
                _camera("jlt-002", "joue-les-tours", lat=None, lon=None),
                _camera("jlt-003", "joue-les-tours", removed_ms=utc_ms(clock.now())),
                _camera("jlt-004", "joue-les-tours", "traffic", enabled=False),
                _camera("cha-001", "chambray"),
            ],
        )
        # argon2id is slow by design (~0.1 s a hash): hash once per test session.
        for name, role, scope in USERS:
            uid = conn.execute(
                insert(users)
                .values(
                    username=name,
                    password_hash=_pw_hash(),
                    role=role,
                    disabled=False,
                    created_ms=0,
                )
                .returning(users.c.id)
            ).scalar_one()
            if scope:
                conn.execute(insert(user_communes).values(user_id=uid, commune_id=scope))


@functools.cache
def _pw_hash() -> str:
    return hash_password(PW)


def token_for(ctx: AppContext, username: str) -> dict[str, str]:
    """Headers of a fresh session, without the cost of a password check (the HTTP login
    itself is tested in test_auth.py)."""
    with ctx.engine.connect() as conn:
        uid = conn.execute(select(users.c.id).where(users.c.username == username)).scalar_one()
    session = open_session(ctx.engine, uid, ctx.clock)
    return {"Authorization": f"Bearer {session.token}"}


@pytest.fixture
def recorder() -> FakeRecorder:
    return FakeRecorder()


@pytest.fixture
def ctx(engine: Engine, clock: FakeClock, data_dir: Path, recorder: FakeRecorder) -> AppContext:
    seed_site(engine, clock)
    root = data_dir / "archive"
    root.mkdir()
    return AppContext(
        engine=engine,
        clock=clock,
        data_dir=data_dir,
        archive_root=root,
        recorder=recorder,
        free_floor_bytes=10**9,
        storage_report=lambda: storage_report(engine, root, clock, 10**9),
    )


@pytest.fixture
def client(ctx: AppContext) -> Iterator[TestClient]:
    with TestClient(create_app(ctx)) as c:
        yield c


def login(client: TestClient, username: str = "agent", password: str = PW) -> dict[str, str]:
    r = client.post("/api/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


@pytest.fixture
def agent(client: TestClient, ctx: AppContext) -> dict[str, str]:
    return token_for(ctx, "agent")


@pytest.fixture
def admin(client: TestClient, ctx: AppContext) -> dict[str, str]:
    return token_for(ctx, "admin")
