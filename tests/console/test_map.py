"""The map in headless Chromium against the real demo: the five communes' outlines and
their districts drawn from the site's GeoJSON, the 12 cameras' markers coloured by
status with their field of view, a popup whose live video plays, nothing fetched from
outside the server (no tile server is named), and a user's scope on the map."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser import BrowserPage
from tests.console.conftest import DEMO_COMMUNES
from tests.console.harness import ConsoleServer, ConsoleUser, screenshot
from tests.console.test_wall import TIMEOUT, assert_plays

DEMO_CAMERAS = [
    *(f"jlt-00{i}" for i in range(1, 6)),
    "chb-001",
    "chb-002",
    "sta-001",
    "sta-002",
    "bmi-001",
    "bmi-002",
    "svn-001",
]


def open_map(p: Page, base: str, query: str = "") -> None:
    p.goto(f"{base}/#/map{query}")
    expect(p.get_by_test_id("map-page")).to_be_visible(timeout=TIMEOUT)


def marker(p: Page, camera: str) -> Locator:
    return p.locator(f"[data-testid=map-marker][data-camera='{camera}']")


def zoom_on(p: Page, commune: str) -> None:
    """The commune's name in the panel zooms the map on it; waits for the map to settle."""
    area = p.get_by_test_id("map")
    before = area.get_attribute("data-view") or ""
    p.locator(f"[data-testid=map-commune][data-commune='{commune}'] button").click()
    expect(area).not_to_have_attribute("data-view", before)
    expect(area).not_to_have_attribute("data-moving", "")


def assert_popup_shows_live(p: Page) -> None:
    """The popup lies within the map, and its live picture is on screen and plays."""
    popup = p.locator(".leaflet-popup:has([data-testid=map-popup])")
    expect(popup).to_be_visible()
    expect(p.get_by_test_id("map")).not_to_have_attribute("data-moving", "")
    area, box = p.get_by_test_id("map").bounding_box(), popup.bounding_box()
    assert area is not None and box is not None
    assert area["y"] <= box["y"] and box["y"] + box["height"] <= area["y"] + area["height"], (
        area,
        box,
    )
    video = p.get_by_test_id("map-popup").get_by_test_id("live-video")
    shown = video.bounding_box()
    assert shown is not None and shown["height"] >= 120 and shown["width"] >= 200, shown
    assert_plays(video)


def attributes(p: Page, test_id: str, name: str) -> list[str]:
    return sorted(e.get_attribute(name) or "" for e in p.get_by_test_id(test_id).all())


def only_this_origin(bp: BrowserPage, base: str) -> list[str]:
    """Requests to anywhere but the server (blob: and data: URLs stay in the page)."""
    ws = base.replace("http://", "ws://", 1)
    return bp.off_scheme_requests(base + "/", ws + "/", "blob:", "data:")


def test_operator_map_shows_communes_cameras_and_live_view_offline(
    console: ConsoleServer, operator_page: BrowserPage
) -> None:
    p = operator_page.page
    p.set_viewport_size({"width": 1600, "height": 900})
    open_map(p, console.base)
    markers = p.get_by_test_id("map-marker")
    expect(markers).to_have_count(12, timeout=TIMEOUT)
    assert attributes(p, "map-marker", "data-camera") == sorted(DEMO_CAMERAS)
    # The demo's cameras all record (the fixture waits for it): green markers.
    expect(p.locator("[data-testid=map-marker][data-state='recording']")).to_have_count(12)
    expect(p.get_by_test_id("commune-outline")).to_have_count(5)
    assert attributes(p, "commune-outline", "data-commune") == sorted(DEMO_COMMUNES)
    expect(p.get_by_test_id("district-outline")).to_have_count(23)
    # Every demo camera has a field of view: one cone each.
    expect(p.locator("path.map-cone")).to_have_count(12)
    # Outlines only: no tile layer, since the demo names no tile server.
    expect(p.locator(".leaflet-tile-pane img")).to_have_count(0)
    legend = p.get_by_test_id("map-legend")
    expect(legend.locator("li[data-state='recording'] .map-count")).to_have_text("12")
    # Every marker is on the map's visible part (the map opens around the communes).
    box = p.get_by_test_id("map").bounding_box()
    assert box is not None
    for m in markers.all():
        b = m.bounding_box()
        assert b is not None
        assert box["x"] <= b["x"] <= box["x"] + box["width"], m.get_attribute("data-camera")
        assert box["y"] <= b["y"] <= box["y"] + box["height"], m.get_attribute("data-camera")

    # At the whole area's zoom Joué's centre cameras touch: the commune's name zooms in.
    zoom_on(p, "joue-les-tours")
    marker(p, "jlt-001").click()
    popup = p.get_by_test_id("map-popup")
    expect(popup).to_have_attribute("data-camera", "jlt-001")
    expect(popup).to_contain_text("Place François Mitterrand")
    expect(popup).to_contain_text("Joué-lès-Tours · Centre")
    expect(popup.get_by_test_id("map-popup-status").first).to_have_text("enregistrement")
    expect(popup.get_by_test_id("map-popup-open")).to_have_attribute("href", "#/camera/jlt-001")
    assert_popup_shows_live(p)
    screenshot(p, "console-carte")

    # Another marker: the first live view closes, the other plays.
    zoom_on(p, "savonnieres")
    marker(p, "svn-001").click()
    expect(popup).to_have_attribute("data-camera", "svn-001")
    expect(p.get_by_test_id("live-video")).to_have_count(1)
    assert_popup_shows_live(p)
    p.locator(".map-popup .leaflet-popup-close-button").click()
    expect(p.get_by_test_id("live-video")).to_have_count(0)

    # The list goes to a camera and opens it; hiding a commune hides its markers.
    p.locator("[data-testid=map-camera-item][data-camera='sta-002']").click()
    expect(popup).to_have_attribute("data-camera", "sta-002")
    p.locator("[data-testid=map-commune][data-commune='joue-les-tours'] input").uncheck()
    expect(markers).to_have_count(7)
    expect(p.get_by_test_id("commune-outline")).to_have_count(4)
    expect(p.locator("[data-testid=map-marker][data-camera^='jlt-']")).to_have_count(0)

    off = only_this_origin(operator_page, console.base)
    assert not off, f"requests outside the server's origin: {off}"
    # Markers are drawn, not fetched: not even Leaflet's default icon from the server.
    assert not [u for u in operator_page.requests if u.endswith(".png")]


def test_deep_link_opens_a_camera_s_popup(
    console: ConsoleServer, operator_page: BrowserPage
) -> None:
    p = operator_page.page
    open_map(p, console.base, "?camera=chb-002")
    expect(p.get_by_test_id("map-popup")).to_have_attribute(
        "data-camera", "chb-002", timeout=TIMEOUT
    )
    expect(p.get_by_test_id("map-popup")).to_contain_text("Rond-point de la Vrillonnerie")


@pytest.fixture(scope="module")
def ballan_patrol(console: ConsoleServer) -> ConsoleUser:
    """A patrol agent of one commune, Ballan-Miré, with its two cameras."""
    existing = console.users.get("patrouille.ballan")
    return existing or console.add_user(
        "patrouille.ballan", "patrol", ["ballan-mire"], cameras=["bmi-001", "bmi-002"]
    )


def test_a_user_of_one_commune_sees_only_its_markers_on_a_phone(
    console: ConsoleServer,
    ballan_patrol: ConsoleUser,
    page_as: Callable[[ConsoleUser], BrowserPage],
) -> None:
    bp = page_as(ballan_patrol)
    p = bp.page
    p.set_viewport_size({"width": 390, "height": 844})
    open_map(p, console.base)
    expect(p.get_by_test_id("map-marker")).to_have_count(2, timeout=TIMEOUT)
    assert attributes(p, "map-marker", "data-camera") == ["bmi-001", "bmi-002"]
    expect(p.get_by_test_id("commune-outline")).to_have_count(1)
    assert attributes(p, "commune-outline", "data-commune") == ["ballan-mire"]
    expect(p.get_by_test_id("district-outline")).to_have_count(4)
    # Nothing of the other communes: not a name, not an outline.
    expect(p.get_by_test_id("map-page")).not_to_contain_text("Joué-lès-Tours")
    expect(p.get_by_test_id("map-page")).not_to_contain_text("Savonnières")
    # On a phone the map takes the screen's width; the live view opens from the marker.
    box = p.get_by_test_id("map").bounding_box()
    assert box is not None and box["width"] >= 340, box
    p.locator("[data-testid=map-camera-item][data-camera='bmi-002']").click()
    expect(p.get_by_test_id("map-popup")).to_have_attribute("data-camera", "bmi-002")
    p.get_by_test_id("map").scroll_into_view_if_needed()
    assert_popup_shows_live(p)
    off = only_this_origin(bp, console.base)
    assert not off, f"requests outside the server's origin: {off}"
