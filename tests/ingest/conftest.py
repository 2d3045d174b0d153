from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from beffroi.db.engine import make_engine
from beffroi.db.migrate import upgrade
from beffroi.sim.runner import run_in_thread
from beffroi.sim.specs import CameraSpec as SimCamera
from beffroi.sim.specs import Credentials
from tests.archive.seed import add_cameras

SMALL = {"width": 320, "height": 240, "fps": 15, "bitrate": 300_000, "duration": 4.0}
CAMERAS = ["cam0", "cam1", "cam2", "cam3", "cam4", "cam5"]


@pytest.fixture(scope="session")
def sim_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("clips")


@pytest.fixture
def sim(sim_cache: Path) -> Iterator:
    cams = [SimCamera(name=n, **SMALL) for n in CAMERAS[:4]]
    cams.append(SimCamera(name="cam4", credentials=Credentials("agent", "s3cret!"), **SMALL))
    cams.append(SimCamera(name="cam5", codec="h265", **SMALL))
    with run_in_thread(cams, cache_dir=sim_cache) as server:
        yield server


@pytest.fixture(params=["ffmpeg", "native"])
def reader(request: pytest.FixtureRequest) -> str:
    """The RTSP client that records (`CameraSpec.reader`)."""
    return str(request.param)


@pytest.fixture
def rec_engine(tmp_path: Path) -> Iterator[Engine]:
    """Recording tests run in real time: SQLite here; the index writer's own tests cover
    PostgreSQL, outages included."""
    engine = make_engine(f"sqlite:///{tmp_path / 'beffroi.sqlite3'}")
    upgrade(engine)
    add_cameras(engine, *CAMERAS)
    yield engine
    engine.dispose()
