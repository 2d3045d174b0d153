"""On-call tests on a real database (both backends): the site of tests/alarms (a gym
in Joué-lès-Tours, a town hall in Chambray), agents with roles, and real peers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, select

from beffroi.access.tables import user_communes, users
from beffroi.clock import FakeClock
from beffroi.journal.service import Journal
from tests.alarms.site import seed
from tests.oncall.peers import HttpPeer, Mailbox, mosquitto, smtp_server
from tests.web.conftest import admin, agent, client, ctx, recorder  # noqa: F401

# name, role, commune
AGENTS = [
    ("alice", "patrol", "joue-les-tours"),
    ("bruno", "patrol", "joue-les-tours"),
    ("chef", "supervisor", "joue-les-tours"),
    ("chef-cha", "supervisor", "chambray"),
]


def add_people(engine: Engine) -> dict[str, int]:
    """The agents above (the web fixtures' own users are kept); name -> id."""
    with engine.begin() as conn:
        for name, role, commune in AGENTS:
            uid = conn.execute(
                insert(users)
                .values(username=name, password_hash="x", role=role, disabled=False, created_ms=0)
                .returning(users.c.id)
            ).scalar_one()
            conn.execute(insert(user_communes).values(user_id=uid, commune_id=commune))
        rows = conn.execute(select(users.c.username, users.c.id)).all()
        return {r.username: r.id for r in rows}


@pytest.fixture
def people(engine: Engine, clock: FakeClock) -> dict[str, int]:
    seed(engine, clock)
    return add_people(engine)


@pytest.fixture
def journal(engine: Engine, clock: FakeClock, data_dir: Path) -> Journal:
    return Journal.open(engine, clock, data_dir)


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[int]:
    with mosquitto(tmp_path) as port:
        yield port


@pytest.fixture
def smtp() -> Iterator[tuple[int, Mailbox]]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def http_peer() -> Iterator[HttpPeer]:
    peer = HttpPeer()
    yield peer
    peer.close()
