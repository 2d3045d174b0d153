"""Patrol on a phone, and scope on the wall: a `patrol` agent sees only its designated
cameras, one at a time, live; an agent of Ballan-Miré only sees none of Joué's cameras."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.browser import BrowserPage
from tests.console.harness import ConsoleServer, ConsoleUser, screenshot
from tests.console.test_wall import TIMEOUT, assert_plays, open_wall

DESIGNATED = ["jlt-003", "jlt-001"]  # listed by commune, district, name: jlt-001 first


@pytest.fixture(scope="module")
def patrol_agent(console: ConsoleServer) -> ConsoleUser:
    return console.add_user("patrouille.jlt", "patrol", ["joue-les-tours"], cameras=DESIGNATED)


@pytest.fixture(scope="module")
def ballan_agent(console: ConsoleServer) -> ConsoleUser:
    # The demo's five communes share one centre (convention csu-sud-tours), which widens
    # an operator of Ballan-Miré to all five: an agent who sees Ballan-Miré only is one
    # whose cameras are designated there.
    return console.users.get("patrouille.ballan") or console.add_user(
        "patrouille.ballan", "patrol", ["ballan-mire"], cameras=["bmi-001", "bmi-002"]
    )


def test_patrol_agent_sees_its_cameras_one_at_a_time_on_a_phone(
    console: ConsoleServer,
    patrol_agent: ConsoleUser,
    page_as: Callable[[ConsoleUser], BrowserPage],
) -> None:
    p = page_as(patrol_agent).page
    p.set_viewport_size({"width": 390, "height": 844})
    p.goto(console.base + "/")
    view = p.get_by_test_id("patrol")
    expect(view).to_be_visible(timeout=TIMEOUT)
    assert p.url.endswith("#/patrol")
    options = p.get_by_test_id("patrol-select").locator("option")
    expect(options).to_have_count(2)
    assert sorted(o.get_attribute("value") or "" for o in options.all()) == sorted(DESIGNATED)
    first = view.get_attribute("data-camera")
    assert first in DESIGNATED
    video = p.get_by_test_id("live-video")
    expect(video).to_have_attribute("data-camera", first or "")
    assert_plays(video)
    # Full width on the phone, controls large enough for a thumb.
    box = video.bounding_box()
    assert box is not None and box["width"] >= 370, box
    next_box = p.get_by_test_id("patrol-next").bounding_box()
    assert next_box is not None and next_box["height"] >= 60, next_box
    screenshot(p, "console-patrouille")

    p.get_by_test_id("patrol-next").click()
    second = next(c for c in DESIGNATED if c != first)
    expect(view).to_have_attribute("data-camera", second)
    expect(p.get_by_test_id("live-video")).to_have_attribute("data-camera", second)
    assert_plays(p.get_by_test_id("live-video"))
    p.get_by_test_id("patrol-prev").click()
    expect(view).to_have_attribute("data-camera", first or "")
    p.get_by_test_id("patrol-prev").click()  # round the list
    expect(view).to_have_attribute("data-camera", second)
    # A camera that is not designated cannot be opened by its address.
    p.goto(console.base + "/#/patrol?camera=jlt-002")
    expect(view).to_have_attribute("data-camera", first or "")
    expect(p.locator(".topbar nav")).not_to_contain_text("Mur d'images")


def test_an_agent_of_ballan_mire_only_sees_none_of_joue_s_cameras(
    console: ConsoleServer,
    ballan_agent: ConsoleUser,
    page_as: Callable[[ConsoleUser], BrowserPage],
) -> None:
    p = page_as(ballan_agent).page
    # A wall remembered with Joué's cameras (as if typed in by hand) shows none of them.
    p.add_init_script(
        "localStorage.setItem('beffroi.wall.patrouille.ballan',"
        " JSON.stringify({grid: 4, tiles: ['jlt-001', 'bmi-001', 'jlt-002', null]}))"
    )
    open_wall(p, console.base)
    items = p.get_by_test_id("camera-item")
    expect(items).to_have_count(2)
    assert sorted(i.get_attribute("data-camera") or "" for i in items.all()) == [
        "bmi-001",
        "bmi-002",
    ]
    sidebar = p.get_by_test_id("wall-sidebar")
    expect(sidebar).not_to_contain_text("Joué-lès-Tours")
    expect(p.locator("[data-testid=wall-tile][data-camera^='jlt-']")).to_have_count(0)
    expect(p.locator("[data-testid=wall-tile][data-tile='1']")).to_have_attribute(
        "data-camera", "bmi-001"
    )
    assert_plays(p.locator("[data-testid=wall-tile][data-tile='1'] video"))
    expect(p.get_by_test_id("wall")).not_to_contain_text("Joué-lès-Tours")
    # The same on the patrol view.
    p.goto(console.base + "/#/patrol?camera=jlt-001")
    expect(p.get_by_test_id("patrol")).to_have_attribute("data-camera", "bmi-001")
    expect(p.get_by_test_id("patrol-select").locator("option")).to_have_count(2)
    expect(p.get_by_test_id("patrol")).not_to_contain_text("Joué-lès-Tours")


def test_an_operator_of_a_commune_outside_the_convention_sees_no_camera(
    console: ConsoleServer, page_as: Callable[[ConsoleUser], BrowserPage]
) -> None:
    """Druye is not in the shared centre's convention: its operator's wall and map show
    none of the five communes' cameras, and the API agrees."""
    user = console.users.get("agent.druye") or console.add_user(
        "agent.druye", "operator", ["druye"]
    )
    with console.api(user) as api:
        assert api.get("/api/cameras").json() == []
        assert api.get("/api/cameras/jlt-001").status_code == 404
    p = page_as(user).page
    p.add_init_script(
        "localStorage.setItem('beffroi.wall.agent.druye',"
        " JSON.stringify({grid: 4, tiles: ['jlt-001', 'bmi-001', null, null]}))"
    )
    open_wall(p, console.base)
    expect(p.get_by_test_id("wall-sidebar")).to_be_visible()
    expect(p.get_by_test_id("camera-item")).to_have_count(0)
    expect(p.locator("[data-testid=wall-tile][data-camera^='jlt-']")).to_have_count(0)
    expect(p.locator("video")).to_have_count(0)
    expect(p.get_by_test_id("wall")).not_to_contain_text("Joué-lès-Tours")
