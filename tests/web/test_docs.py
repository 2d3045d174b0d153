"""The interactive API documentation loads nothing from outside the centre: Chromium
opens /docs, Swagger UI renders the API's operations, and every request the page made
went to the server itself (FastAPI's default page fetched Swagger UI from a CDN)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from beffroi.web.app import create_app
from beffroi.web.context import AppContext
from tests.browser import BrowserPage, browser, page  # noqa: F401  (pytest fixtures)
from tests.web.serving import serving


@pytest.fixture
def base(ctx: AppContext) -> Iterator[str]:
    with serving(create_app(ctx)) as url:
        yield url


def test_docs_render_from_local_files_only(base: str, page: BrowserPage) -> None:  # noqa: F811
    page.page.goto(f"{base}/docs")
    # Swagger UI breaks the shown path with zero-width spaces; data-path is the path.
    page.page.locator('[data-path="/api/cameras"]').first.wait_for(timeout=30_000)
    assert page.requests, "the page made requests"
    outside = [u for u in page.requests if not u.startswith(base)]
    assert outside == [], outside
    assert httpx.get(f"{base}/redoc").status_code == 404
    assert httpx.get(f"{base}/docs/assets/index.html").status_code == 404  # only what is used
