"""The incident screens: a DC-09 alarm from a simulated panel appears in the operator's
queue; its page plays the pre-alarm clip next to the live camera; the operator takes it
in charge and closes it as a false alarm. A user of another commune never sees it, and a
notification's signed link is checked and told valid, expired or invalid."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from beffroi.oncall.links import IncidentLinks, load_or_create_secret
from tests.console.conftest import DEMO_COMMUNES
from tests.console.harness import ConsoleServer, ConsoleUser, screenshot

# The demo's Saint-Avertin town hall: panel account 5201, zone 1 "Entrée" → sta-001.
BUILDING, ACCOUNT, ZONE, CAMERA = "mairie-saint-avertin", "5201", 1, "sta-001"
WAIT = 20_000  # ms: the machine is shared, the demo records 12 cameras meanwhile
CLIP_WAIT = 120_000  # the clip is made once the 40 s post-alarm period has passed

# Plays for `seconds` of media time, then samples the picture: currentTime must advance
# and the frame must not be one flat colour (a black or grey frame is no picture).
PLAYS = """async (el, seconds) => {
  el.muted = true;
  const deadline = performance.now() + 30000;
  while (el.readyState < 2 && performance.now() < deadline) {
    await new Promise(r => setTimeout(r, 100));
  }
  if (el.paused) { try { await el.play(); } catch (e) {} }
  const t0 = el.currentTime;
  while (el.currentTime < t0 + seconds && performance.now() < deadline) {
    await new Promise(r => setTimeout(r, 100));
  }
  const c = document.createElement('canvas');
  c.width = 64; c.height = 36;
  const g = c.getContext('2d');
  g.drawImage(el, 0, 0, c.width, c.height);
  const px = g.getImageData(0, 0, c.width, c.height).data;
  let sum = 0, sq = 0, n = 0;
  for (let i = 0; i < px.length; i += 4) {
    const y = 0.299 * px[i] + 0.587 * px[i + 1] + 0.114 * px[i + 2];
    sum += y; sq += y * y; n++;
  }
  const mean = sum / n;
  return {t0, t1: el.currentTime, std: Math.sqrt(sq / n - mean * mean),
          w: el.videoWidth, h: el.videoHeight};
}"""


def _assert_plays(video: Locator, seconds: float = 1.5) -> None:
    got = video.evaluate(PLAYS, seconds)
    assert got["t1"] >= got["t0"] + seconds, got
    assert got["w"] > 0 and got["std"] > 5, got


@pytest.fixture(scope="module")
def setup_api(console: ConsoleServer) -> httpx.Client:
    """An operator for set-up and checks through the API (its own TOTP codes)."""
    user = console.users.get("inc.setup") or console.add_user(
        "inc.setup", "operator", DEMO_COMMUNES
    )
    return console.api(user)


@pytest.fixture(scope="module")
def other_commune(console: ConsoleServer) -> ConsoleUser:
    """An operator of Druye, the demo's commune outside the convention csu-sud-tours
    that the five others share: it sees none of their cameras or incidents."""
    return console.users.get("agent.druye") or console.add_user(
        "agent.druye", "operator", ["druye"]
    )


def _close_open_incidents(api: httpx.Client) -> None:
    """An alarm joins the building's open incident: start from none, whatever an earlier
    test of the session left open."""
    for inc in api.get("/api/incidents", params={"limit": 500}).json():
        if inc["building"] != BUILDING or inc["state"] == "closed":
            continue
        if inc["state"] != "acknowledged":
            api.post(f"/api/incidents/{inc['id']}/acknowledge").raise_for_status()
        body = {"disposition": "other", "notes": "clos par la mise en place du test"}
        api.post(f"/api/incidents/{inc['id']}/close", json=body).raise_for_status()


def _send_alarm(console: ConsoleServer) -> datetime:
    sent = datetime.now(UTC)
    out = console.cli(
        "sim", "alarm", "--to", f"127.0.0.1:{console.dc09_port}",
        "--account", ACCOUNT, "--zone", str(ZONE), "--code", "BA",
    )  # fmt: skip
    assert '"ACK"' in out, out
    return sent


def _new_incident(api: httpx.Client, after: int) -> dict:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        for inc in api.get("/api/incidents", params={"limit": 20}).json():
            if inc["id"] > after and inc["building"] == BUILDING:
                return inc
        time.sleep(0.2)
    pytest.fail("the alarm opened no incident within 5 s")


def _state(p: Page) -> Locator:
    return p.get_by_test_id("incident-state")


def test_alarm_to_closed_false_alarm(
    console: ConsoleServer,
    operator: ConsoleUser,
    other_commune: ConsoleUser,
    setup_api: httpx.Client,
    operator_page,
    page_as,
) -> None:
    _close_open_incidents(setup_api)
    before = max((i["id"] for i in setup_api.get("/api/incidents").json()), default=0)
    p = operator_page.page
    p.goto(console.base + "/#/incidents")
    expect(p.get_by_test_id("refreshed")).not_to_be_empty(timeout=WAIT)

    _send_alarm(console)
    inc = _new_incident(setup_api, before)
    assert inc["kind"] == "intrusion" and inc["cameras"] == [CAMERA], inc

    # The queue refreshes by itself (every 5 s) and says an incident arrived.
    row = p.locator(f"[data-testid=incident-row][data-id='{inc['id']}']")
    expect(row).to_be_visible(timeout=12_000)
    expect(row).to_contain_text("Intrusion")
    expect(row).to_contain_text("Mairie de Saint-Avertin")
    expect(row).to_contain_text("1 · Entrée")
    expect(row).to_have_class("fresh")
    expect(p.get_by_test_id("incident-arrival")).to_contain_text("Nouvel incident : Intrusion")
    row.get_by_role("link", name=str(inc["id"])).click()

    page = p.get_by_test_id("incident-detail")
    expect(page).to_be_visible(timeout=WAIT)
    expect(p.get_by_test_id("incident-building")).to_have_text("Mairie de Saint-Avertin")
    # The demo's rota reaches its on-call agent by e-mail at once: new, then notified.
    expect(_state(p)).to_have_attribute("data-state", re.compile("^(new|notified)$"))
    sent = p.get_by_test_id("incident-notifications").locator("li").first
    expect(sent).to_contain_text("email", timeout=WAIT)
    expect(sent).to_contain_text("envoyée")
    expect(
        p.get_by_test_id("incident-timeline").locator("[data-state=notified]")
    ).to_have_attribute("data-reached", "yes")
    panel = p.locator(f"[data-testid=incident-camera][data-camera={CAMERA}]")
    # The live camera next to the clip, from the start.
    live = panel.get_by_test_id("live-video")
    expect(live).to_be_visible(timeout=WAIT)
    # The clip is being made until the post-alarm period has passed, and says so.
    expect(panel.get_by_test_id("clip-state")).to_have_attribute("data-state", "pending")
    expect(panel.get_by_test_id("clip-state")).to_contain_text("en préparation")

    clip = panel.get_by_test_id("incident-clip")
    expect(clip).to_be_visible(timeout=CLIP_WAIT)
    _assert_plays(clip)
    _assert_plays(live)
    screenshot(p, "console-incident")

    # Take it in charge, then close it as a false alarm.
    p.get_by_test_id("acknowledge").click()
    expect(_state(p)).to_have_text("pris en charge", timeout=WAIT)
    form = p.get_by_test_id("close-incident")
    form.get_by_role("button", name="Clore l'incident").click()
    expect(form.get_by_role("alert")).to_have_text("Choisissez une qualification.")
    form.get_by_label("Fausse alarme").check()
    form.get_by_label("Notes").fill("Agent d'entretien resté dans le hall.")
    form.get_by_role("button", name="Clore l'incident").click()
    expect(_state(p)).to_have_text("clos", timeout=WAIT)
    expect(p.get_by_test_id("incident-disposition")).to_have_text("Fausse alarme")
    steps = p.get_by_test_id("incident-timeline")
    expect(steps.locator("[data-state=acknowledged]")).to_contain_text(operator.username)
    expect(steps.locator("[data-state=closed]")).to_contain_text(operator.username)
    closed = setup_api.get(f"/api/incidents/{inc['id']}").json()
    assert closed["state"] == "closed" and closed["disposition"] == "false_alarm", closed
    assert closed["closed_by"] == operator.username

    # Druye's operator sees neither the incident in the queue nor its page.
    q = page_as(other_commune).page
    q.goto(console.base + "/#/incidents?state=all")
    expect(q.get_by_test_id("refreshed")).not_to_be_empty(timeout=WAIT)
    expect(q.locator(f"[data-testid=incident-row][data-id='{inc['id']}']")).to_have_count(0)
    q.goto(f"{console.base}/#/incidents/{inc['id']}")
    expect(q.get_by_role("alert")).to_contain_text("Incident introuvable", timeout=WAIT)
    # Nor does a valid signed link of it open it for them.
    token = IncidentLinks(load_or_create_secret(console.data)).token(inc["id"], datetime.now(UTC))
    q.goto(f"{console.base}/incidents/{inc['id']}?link={token}")
    expect(q.get_by_test_id("link-status")).to_have_attribute("data-state", "invalid", timeout=WAIT)
    expect(q.get_by_test_id("incident-detail")).to_have_count(0)


def test_signed_links_are_checked(
    console: ConsoleServer, setup_api: httpx.Client, operator_page
) -> None:
    incidents = setup_api.get("/api/incidents", params={"state": "closed"}).json()
    if not incidents:
        _close_open_incidents(setup_api)
        _send_alarm(console)
        incidents = [_new_incident(setup_api, 0)]
    inc = incidents[0]["id"]
    links = IncidentLinks(load_or_create_secret(console.data))
    now = datetime.now(UTC)
    p = operator_page.page
    p.set_viewport_size({"width": 390, "height": 844})  # opened on a phone

    # The server path of a notification opens the console on the incident.
    p.goto(f"{console.base}/incidents/{inc}?link={links.token(inc, now)}")
    expect(p.get_by_test_id("link-status")).to_have_attribute("data-state", "ok", timeout=WAIT)
    expect(p.get_by_test_id("incident-detail")).to_have_attribute("data-id", str(inc))
    expect(p.get_by_test_id("incident-camera").first).to_be_visible()
    # Nothing wider than the phone's screen: no sideways scrolling.
    assert p.evaluate("document.documentElement.scrollWidth") <= 390

    expired = links.token(inc, now - timedelta(hours=3))
    p.goto(f"{console.base}/incidents/{inc}?link={expired}")
    status = p.get_by_test_id("link-status")
    expect(status).to_have_attribute("data-state", "expired", timeout=WAIT)
    expect(status).to_contain_text("a expiré")

    token = links.token(inc, now)
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    p.goto(f"{console.base}/incidents/{inc}?link={tampered}")
    status = p.get_by_test_id("link-status")
    expect(status).to_have_attribute("data-state", "invalid", timeout=WAIT)
    expect(status).to_contain_text("invalide")
