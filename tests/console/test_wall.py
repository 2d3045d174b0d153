"""The video wall in headless Chromium against the real demo: tiles whose videos play
(currentTime advances, a frame drawn into a canvas is not uniform), drag and drop, saved
layouts across a reload, full screen, and the journal of live viewing."""

from __future__ import annotations

import re
import statistics
import time

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser import BrowserPage
from tests.console.harness import ConsoleServer, ConsoleUser, screenshot

TIMEOUT = 30_000  # two shared cores, a demo of 12 cameras, Chromium decoding them all

# Draw the picture into a small canvas and measure how much it varies (max − min luma):
# a blank, black or frozen-grey picture reads about 0. MSE blobs are same-origin, so
# the canvas is not tainted.
FRAME_SPREAD_JS = """(video) => {
  const c = document.createElement("canvas");
  c.width = 96; c.height = 54;
  const g = c.getContext("2d");
  g.drawImage(video, 0, 0, c.width, c.height);
  const d = g.getImageData(0, 0, c.width, c.height).data;
  let min = 255, max = 0;
  for (let i = 0; i < d.length; i += 4) {
    const y = (d[i] + d[i + 1] + d[i + 2]) / 3;
    if (y < min) min = y;
    if (y > max) max = y;
  }
  return max - min;
}"""

# Where the picture is against the wall clock: the stream's epoch + media time is when
# the frame shown was filmed (recorder's clock), Date.now() is when it is seen.
TIMING_JS = """(video) => {
  const b = video.buffered;
  const end = b.length ? b.end(b.length - 1) : null;
  return {
    t: video.currentTime,
    lag: end === null ? null : end - video.currentTime,
    behind_ms: Date.now() - (Number(video.dataset.epochMs) + video.currentTime * 1000),
    rate: video.playbackRate,
  };
}"""


def open_wall(p: Page, base: str) -> None:
    p.goto(base + "/#/wall")
    expect(p.get_by_test_id("wall-sidebar")).to_be_visible(timeout=TIMEOUT)


def camera_item(p: Page, camera: str) -> Locator:
    return p.locator(f"[data-testid=camera-item][data-camera='{camera}']")


def tile(p: Page, index: int) -> Locator:
    return p.locator(f"[data-testid=wall-tile][data-tile='{index}']")


def assert_plays(video: Locator) -> float:
    """The video's time advances and its picture is not uniform; returns the spread."""
    expect(video).to_have_attribute("data-state", "playing", timeout=TIMEOUT)
    t0 = video.evaluate("v => v.currentTime")
    video.page.wait_for_function(
        "([v, t0]) => v.currentTime > t0 + 1", arg=[video.element_handle(), t0], timeout=TIMEOUT
    )
    spread = video.evaluate(FRAME_SPREAD_JS)
    assert spread > 20, (
        f"a uniform picture (spread {spread}) on {video.get_attribute('data-camera')}"
    )
    return float(spread)


def fill_by_clicks(p: Page, cameras: list[str]) -> None:
    """Click `cameras` into the tiles from the first: tile 0 selected (Enter on it), each
    click fills the selected tile and selects the next (a first wall is not empty)."""
    tile(p, 0).focus()
    p.keyboard.press("Enter")
    expect(tile(p, 0)).to_have_attribute("aria-current", "true")
    for camera in cameras:
        camera_item(p, camera).click()
    for i, camera in enumerate(cameras):
        expect(tile(p, i)).to_have_attribute("data-camera", camera)


FOUR = ["jlt-001", "jlt-002", "chb-001", "sta-001"]


def test_a_first_wall_shows_the_scopes_cameras_then_the_last_wall_comes_back(
    console: ConsoleServer, operator_page: BrowserPage
) -> None:
    p = operator_page.page
    open_wall(p, console.base)  # a new browser: nothing remembered for this operator
    expect(p.get_by_test_id("wall-grid")).to_have_attribute("data-grid", "4")
    items = p.get_by_test_id("camera-item")
    expect(items).to_have_count(12)
    first = [items.nth(i).get_attribute("data-camera") for i in range(4)]
    for i, camera in enumerate(first):  # the side panel's first four, all recording
        expect(tile(p, i)).to_have_attribute("data-camera", camera or "")
    assert_plays(tile(p, 0).locator("video"))
    # Changed, the wall is remembered: it, not a first wall, comes back.
    p.get_by_test_id("grid-1").click()
    tile(p, 0).get_by_role("button", name=re.compile("^Retirer")).click()
    expect(tile(p, 0)).to_have_attribute("data-camera", "")
    p.reload()
    expect(p.get_by_test_id("wall-sidebar")).to_be_visible(timeout=TIMEOUT)
    expect(p.get_by_test_id("wall-grid")).to_have_attribute("data-grid", "1")
    expect(tile(p, 0)).to_have_attribute("data-camera", "")


def test_four_tiles_play_live(console: ConsoleServer, operator_page: BrowserPage) -> None:
    p = operator_page.page
    p.set_viewport_size({"width": 1600, "height": 900})
    open_wall(p, console.base)
    expect(p.get_by_test_id("wall-grid")).to_have_attribute("data-grid", "4")
    fill_by_clicks(p, FOUR)
    expect(p.locator("[data-testid=wall-tile] video")).to_have_count(4)
    for i, camera in enumerate(FOUR):
        video = tile(p, i).locator("video")
        expect(video).to_have_attribute("data-camera", camera)
        assert_plays(video)
        expect(tile(p, i).get_by_test_id("tile-status")).to_contain_text("enregistrement")
        expect(tile(p, i).get_by_role("link", name="Historique")).to_have_attribute(
            "href", f"#/camera/{camera}"
        )
    expect(tile(p, 0).get_by_test_id("tile-title")).to_contain_text("Joué-lès-Tours")
    # The live edge: sample every tile for a few seconds once settled.
    lags, behind = [], []
    for _ in range(12):
        for i in range(4):
            timing = tile(p, i).locator("video").evaluate(TIMING_JS)
            lags.append(timing["lag"])
            behind.append(timing["behind_ms"])
        p.wait_for_timeout(500)
    print(
        "\nlive edge over 4 tiles: buffered.end - currentTime median"
        f" {statistics.median(lags):.2f} s"
        f" max {max(lags):.2f} s; wall clock - frame time median"
        f" {statistics.median(behind):.0f} ms p95 {sorted(behind)[int(len(behind) * 0.95)]:.0f} ms"
    )
    assert statistics.median(lags) < 2.5, lags  # one fragment (≤ 1 s) plus slack
    screenshot(p, "console-mur")


def test_drag_and_drop_then_a_saved_layout_comes_back_after_reload(
    console: ConsoleServer, operator_page: BrowserPage
) -> None:
    p = operator_page.page
    open_wall(p, console.base)
    fill_by_clicks(p, FOUR)
    # A camera dragged from the side panel onto a tile replaces what it showed.
    camera_item(p, "svn-001").drag_to(tile(p, 1))
    expect(tile(p, 1)).to_have_attribute("data-camera", "svn-001")
    expect(tile(p, 1).get_by_test_id("tile-title")).to_contain_text("Savonnières")
    assert_plays(tile(p, 1).locator("video"))
    # A tile dragged (by its title bar) onto another swaps them.
    tile(p, 3).locator(".tile-bar").drag_to(tile(p, 0))
    expect(tile(p, 0)).to_have_attribute("data-camera", "sta-001")
    expect(tile(p, 3)).to_have_attribute("data-camera", "jlt-001")
    wanted = ["sta-001", "svn-001", "chb-001", "jlt-001"]

    name = f"Essai mur {time.time_ns()}"
    p.get_by_role("button", name="Enregistrer la disposition").click()
    p.get_by_label("Nom").fill(name)
    p.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(p.get_by_test_id("saved-layouts")).to_contain_text(f"« {name} » enregistrée")

    # The wall as it is survives a reload...
    p.reload()
    for i, camera in enumerate(wanted):
        expect(tile(p, i)).to_have_attribute("data-camera", camera, timeout=TIMEOUT)
    # ... then changed, the saved layout brings it back.
    p.get_by_test_id("grid-1").click()
    expect(p.locator("[data-testid=wall-tile]")).to_have_count(1)
    tile(p, 0).locator(".tile-title").click()  # select the tile (keyboard: Enter), then a camera
    expect(tile(p, 0)).to_have_attribute("aria-current", "true")
    camera_item(p, "bmi-002").click()
    expect(tile(p, 0)).to_have_attribute("data-camera", "bmi-002")
    p.reload()
    expect(tile(p, 0)).to_have_attribute("data-camera", "bmi-002", timeout=TIMEOUT)
    p.get_by_label("Dispositions").select_option(label=name)
    expect(p.locator("[data-testid=wall-tile]")).to_have_count(4)
    for i, camera in enumerate(wanted):
        expect(tile(p, i)).to_have_attribute("data-camera", camera)
    assert_plays(tile(p, 2).locator("video"))


def test_double_click_opens_a_camera_full_screen(
    console: ConsoleServer, operator_page: BrowserPage
) -> None:
    p = operator_page.page
    p.set_viewport_size({"width": 1280, "height": 720})
    open_wall(p, console.base)
    fill_by_clicks(p, FOUR[:2])
    target = tile(p, 1)
    target.locator("video").dblclick()
    expect(target).to_have_class("tile full")
    box = target.bounding_box()
    assert box is not None and box["width"] == 1280 and box["height"] == 720, box
    assert_plays(target.locator("video"))
    p.keyboard.press("Escape")
    expect(target).not_to_have_class("tile full")
    target.locator("video").dblclick()
    expect(target).to_have_class("tile full")
    target.locator("video").dblclick()
    expect(target).not_to_have_class("tile full")


def test_the_commune_button_fills_the_wall_and_sixteen_tiles_play(
    console: ConsoleServer, operator_page: BrowserPage
) -> None:
    p = operator_page.page
    p.set_viewport_size({"width": 1920, "height": 1080})
    open_wall(p, console.base)
    p.get_by_role("button", name="Remplir le mur avec les caméras de Joué-lès-Tours").click()
    expect(p.get_by_test_id("wall-grid")).to_have_attribute("data-grid", "9")
    expect(p.locator("[data-testid=wall-tile][data-camera^='jlt-']")).to_have_count(5)
    p.get_by_role(
        "button", name="Remplir le mur avec les caméras du quartier Centre (Joué-lès-Tours)"
    ).click()
    expect(p.get_by_test_id("wall-grid")).to_have_attribute("data-grid", "4")
    expect(p.locator("[data-testid=wall-tile][data-camera^='jlt-']")).to_have_count(2)
    # Every demo camera on a 16-tile wall, in one tab.
    p.get_by_test_id("grid-16").click()
    items = p.get_by_test_id("camera-item")
    expect(items).to_have_count(12)
    p.get_by_role("button", name="Remplir le mur avec les caméras de Ballan-Miré").click()
    p.get_by_test_id("grid-16").click()
    for camera in [c.get_attribute("data-camera") for c in items.all()]:
        if not p.locator(f"[data-testid=wall-tile][data-camera='{camera}']").count():
            camera_item(p, camera or "").click()
    videos = p.locator("[data-testid=wall-tile] video")
    expect(videos).to_have_count(12)
    for video in videos.all():
        expect(video).to_have_attribute("data-state", "playing", timeout=60_000)
    assert_plays(videos.nth(11))
    screenshot(p, "console-mur-16")


@pytest.fixture(scope="module")
def auditor(console: ConsoleServer) -> ConsoleUser:
    # No video permission: no TOTP, no prefectoral approval.
    return console.add_user("dpo.mur", "auditor", ["joue-les-tours"], police=False, totp=False)


def test_live_viewing_is_journaled(
    console: ConsoleServer, operator: ConsoleUser, operator_page: BrowserPage, auditor: ConsoleUser
) -> None:
    p = operator_page.page
    open_wall(p, console.base)
    fill_by_clicks(p, ["jlt-005"])
    expect(tile(p, 0).locator("video")).to_have_attribute("data-state", "playing", timeout=TIMEOUT)
    p.get_by_role("button", name="Retirer Rue de Chantepie").click()  # closes the socket
    expect(tile(p, 0)).to_have_attribute("data-camera", "")
    with console.api(auditor) as client:
        deadline = time.monotonic() + 20
        while True:
            entries = client.get(
                "/api/journal", params={"user": operator.username, "camera": "jlt-005"}
            ).json()["entries"]
            actions = [e["action"] for e in entries]
            if "live.stop" in actions or time.monotonic() > deadline:
                break
            time.sleep(0.5)
    assert "live.start" in actions and "live.stop" in actions, actions
    start = next(e for e in entries if e["action"] == "live.start")
    assert start["commune"] == "joue-les-tours" and start["detail"]["auth"] == "cookie"
