"""Fixtures for the simulated cameras: a per-session clip cache and small, fast clips."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from beffroi.sim import CameraSpec, SimulatedCameraServer, make_cameras, run_in_thread

from .sizes import SMALL


@pytest.fixture(scope="session")
def clip_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("clips")


@pytest.fixture(scope="session")
def small_cameras() -> list[CameraSpec]:
    return make_cameras(4, **SMALL)


@pytest.fixture(scope="module")
def sim_server(clip_cache: Path) -> Iterator[SimulatedCameraServer]:
    """A shared server with four H.264 cameras and no fault (do not set faults on it)."""
    with run_in_thread(make_cameras(4, **SMALL), cache_dir=clip_cache) as server:
        yield server


@pytest.fixture
def make_server(clip_cache: Path) -> Iterator[Any]:
    """Factory starting a dedicated server (stopped at teardown) for fault tests."""
    contexts: list[Any] = []

    def factory(cameras: list[CameraSpec], **kwargs: Any) -> SimulatedCameraServer:
        context = run_in_thread(cameras, cache_dir=clip_cache, **kwargs)
        contexts.append(context)
        return context.__enter__()

    yield factory
    for context in reversed(contexts):
        context.__exit__(None, None, None)
