"""The offline player opened from file:// in headless Chromium, on a fixture package."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser import BrowserPage, browser, page  # noqa: F401  (pytest fixtures)
from tests.player.package import build_package

READY = (
    "document.getElementById('video').readyState >= 2"
    " && 'frame' in document.getElementById('incrustation').dataset"
)


@pytest.fixture(scope="session")
def package_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_package(tmp_path_factory.mktemp("export"))


@pytest.fixture
def player(page: BrowserPage, package_dir: Path) -> Iterator[BrowserPage]:  # noqa: F811
    """The player page, first file loaded; afterwards, no request may have left file://."""
    page.page.goto((package_dir / "player" / "index.html").as_uri())
    page.page.wait_for_function(READY, timeout=10_000)
    yield page
    assert page.requests, "the page made no request at all: the listener is broken"
    assert page.off_scheme_requests("file:", "blob:", "data:") == []
