"""A joined clip plays in headless Chromium from file://: known duration, seeks both
ways (the global sidx), plays with time moving and pictures that are not black."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Page
from sqlalchemy import Engine

from beffroi.export.clips import plan_item, write_clip
from tests.archive.seed import add_cameras
from tests.browser import BrowserPage, browser, page  # noqa: F401  (pytest fixtures)
from tests.export.helpers import T0, record

PAGE = '<!doctype html><video id=v src="clip.mp4" muted playsinline></video>'


def brightness(p: Page) -> float:
    """Mean of the picture below the moving square (file:// video taints a canvas, so a
    screenshot of the element it is)."""
    shot = Image.open(io.BytesIO(p.locator("#v").screenshot())).convert("L")
    return float(np.asarray(shot)[60:, :].mean())


@pytest.fixture
def clip_page(engine: Engine, tmp_path: Path) -> Path:
    add_cameras(engine, "jlt-001")
    root = tmp_path / "archive"
    record(engine, root, "jlt-001", T0, 3)
    with engine.connect() as conn:
        plan = plan_item(conn, root, "jlt-001", T0, T0 + 12_000, T0 + 12_000)
    with (tmp_path / "clip.mp4").open("wb") as out:
        write_clip(plan.files[0], root, out, lambda n: None)
    (tmp_path / "index.html").write_text(PAGE)
    return tmp_path / "index.html"


def test_a_joined_clip_plays_and_seeks_in_chromium(
    clip_page: Path,
    page: BrowserPage,  # noqa: F811
) -> None:
    p = page.page
    p.goto(clip_page.as_uri())
    p.wait_for_function("document.getElementById('v').readyState >= 2", timeout=20_000)
    assert p.evaluate("v.duration") == pytest.approx(12.0, abs=0.1)
    for target in (10.5, 2.0):  # forward across two joins, then back
        p.evaluate(f"v.currentTime = {target}")
        p.wait_for_function("!v.seeking && v.readyState >= 2", timeout=10_000)
        assert p.evaluate("v.currentTime") == pytest.approx(target, abs=0.1)
    before = brightness(p)
    p.evaluate("v.play()")
    p.wait_for_function("v.currentTime > 3.0", timeout=10_000)
    assert p.evaluate("v.error") is None
    p.evaluate("v.pause()")
    after = brightness(p)
    assert after > 10 and before > 10, "pictures, not black"
    assert after != before, "frames move"
