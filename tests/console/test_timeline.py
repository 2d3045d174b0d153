"""The camera page against the real demo: scrubbing the timeline plays recorded footage
from the chosen instant, at the speeds asked, frame by frame; the PNG snapshot is the
camera's frame; a range marked on the timeline is exported into a sealed package."""

from __future__ import annotations

import io
import json
import struct
import time
import zipfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser import BrowserPage
from tests.console.conftest import DEMO_COMMUNES
from tests.console.harness import ConsoleServer, ConsoleUser, screenshot

CAMERA = "jlt-001"
WAIT = 20_000  # ms: the machine is shared, the page decodes video
PARIS = ZoneInfo("Europe/Paris")

VIDEO = "document.querySelector('[data-testid=playback-video]')"
INSTANT = "Number(document.querySelector('[data-testid=playback-instant]').dataset.instant || 0)"
PLAYING = (
    f"() => {{ const v = {VIDEO}; return v && !v.paused && v.readyState >= 3 && {INSTANT} > 0; }}"
)
# Spread of the luminance of a 64×36 sample of the frame on screen: 0 for a uniform picture.
SPREAD = """(v) => {
  const c = document.createElement('canvas'); c.width = 64; c.height = 36;
  const x = c.getContext('2d'); x.drawImage(v, 0, 0, 64, 36);
  const d = x.getImageData(0, 0, 64, 36).data; let lo = 255, hi = 0;
  for (let i = 0; i < d.length; i += 4) {
    const l = (d[i] + d[i + 1] + d[i + 2]) / 3; lo = Math.min(lo, l); hi = Math.max(hi, l);
  }
  return hi - lo;
}"""


@pytest.fixture(scope="module")
def supervisor(console: ConsoleServer) -> ConsoleUser:
    """Head of the centre (municipal police: no approval needed): plays, exports."""
    return console.users.get("chef.chrono") or console.add_user(
        "chef.chrono", "supervisor", DEMO_COMMUNES
    )


@pytest.fixture
def camera(console: ConsoleServer, supervisor: ConsoleUser) -> Iterator[dict]:
    """The camera's info, once it has recorded the last 70 seconds without a gap."""
    with console.api(supervisor) as client:
        deadline = time.monotonic() + 180
        while True:
            now = datetime.now(UTC)
            r = client.get(
                f"/api/cameras/{CAMERA}/recordings",
                params={
                    "start": (now - timedelta(seconds=70)).isoformat(),
                    "end": (now - timedelta(seconds=4)).isoformat(),
                    "segments": "false",
                },
            )
            assert r.status_code == 200, r.text
            if len(r.json()["ranges"]) == 1 and not r.json()["gaps"]:
                first = datetime.fromisoformat(r.json()["ranges"][0]["start"])
                if first <= now - timedelta(seconds=69):
                    break
            assert time.monotonic() < deadline, f"{CAMERA} has no 70 s of footage: {r.json()}"
            time.sleep(1)
        info = client.get(f"/api/cameras/{CAMERA}").json()
    assert info["width"] and info["height"], info
    yield info


def instant(p: Page) -> float:
    return float(p.evaluate(INSTANT))


def wait_instant_at_least(p: Page, at_ms: float, timeout: int = WAIT) -> None:
    p.wait_for_function(f"() => {INSTANT} >= {at_ms}", timeout=timeout)


def click_at(p: Page, timeline: Locator, at_ms: float) -> float:
    """Click the timeline where `at_ms` is drawn; the instant of the pixel clicked."""
    box = timeline.bounding_box()
    assert box is not None
    start = float(timeline.get_attribute("data-start") or 0)
    span = float(timeline.get_attribute("data-span") or 0)
    x = round((at_ms - start) / span * box["width"])
    assert 0 < x < box["width"], (at_ms, start, span)
    timeline.click(position={"x": x, "y": 45})
    return start + x / box["width"] * span


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", data[:16]
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_scrub_play_speed_step_snapshot_and_export_a_range(
    console: ConsoleServer,
    supervisor: ConsoleUser,
    camera: dict,
    page_as: Callable[[ConsoleUser], BrowserPage],
) -> None:
    bp: BrowserPage = page_as(supervisor)
    p = bp.page
    p.goto(f"{console.base}/#/camera/{CAMERA}")
    expect(p.get_by_test_id("camera-name")).to_have_text(camera["name"], timeout=WAIT)
    timeline = p.get_by_test_id("timeline")
    expect(timeline.locator("rect.rec").first).to_be_visible(timeout=WAIT)

    # Scrubbing: a click 50 s back plays the footage of that instant.
    clicked = click_at(p, timeline, time.time() * 1000 - 50_000)
    clicked_at = time.monotonic()
    p.wait_for_function(PLAYING, timeout=WAIT)
    first = instant(p)
    elapsed_ms = (time.monotonic() - clicked_at) * 1000
    assert clicked - 2000 <= first <= clicked + elapsed_ms + 2000, (first - clicked, elapsed_ms)
    t0 = p.evaluate(f"{VIDEO}.currentTime")
    p.wait_for_function(f"() => {VIDEO}.currentTime > {t0 + 1.5}", timeout=WAIT)
    assert instant(p) >= first + 1000  # the instant shown follows the picture
    spread = p.evaluate(SPREAD, p.get_by_test_id("playback-video").element_handle())
    assert spread > 40, f"the frame is uniform (luminance spread {spread})"
    playhead = float(timeline.get_attribute("data-playhead") or 0)
    assert abs(playhead - instant(p)) < 1500  # the timeline's playhead is the same instant

    # 4×: four seconds of footage per second (1× would need 8 s for the 8 s asked).
    p.get_by_test_id("speed-4").click()
    i1, w1 = instant(p), time.monotonic()
    wait_instant_at_least(p, i1 + 8000)
    rate = 8000 / ((time.monotonic() - w1) * 1000)
    assert rate > 2.2, f"4× played {rate:.2f}× real time"

    # Pause, one frame forward (1/fps), the PNG snapshot of the frame shown.
    p.get_by_test_id("play-pause").click()
    p.wait_for_function(f"() => {VIDEO}.paused", timeout=WAIT)
    paused = instant(p)
    p.locator("body").press("ArrowRight")
    p.wait_for_function(f"() => {INSTANT} > {paused}", timeout=WAIT)
    assert 0 < instant(p) - paused <= 2 * 1000 / (camera["fps"] or 15) + 5
    with p.expect_download() as download:
        p.get_by_test_id("snapshot").click()
    png = Path(download.value.path()).read_bytes()
    assert png_size(png) == (camera["width"], camera["height"])
    assert download.value.suggested_filename.startswith(f"{CAMERA}_")

    # Mark a range on the timeline: start here, end ten seconds of footage later.
    p.get_by_test_id("mark-in").click()
    mark_in = instant(p)
    p.get_by_test_id("play-pause").focus()
    p.keyboard.press("Space")  # plays once: the focused button does not toggle it back
    wait_instant_at_least(p, mark_in + 10_000)
    p.get_by_test_id("play-pause").click()
    p.get_by_test_id("mark-out").click()
    expect(timeline.locator("rect.marked")).to_be_visible()
    screenshot(p, "console-chronologie")

    # Export it into a new requisition: held at once, the sealed package built.
    p.get_by_test_id("export-range").click()
    dialog = p.get_by_test_id("export-dialog")
    dialog.locator("input[name=authority_name]").fill("Martin")
    dialog.locator("input[name=authority_rank]").fill("Capitaine")
    dialog.locator("input[name=authority_service]").fill("Commissariat de Joué-lès-Tours")
    dialog.locator("input[name=procedure]").fill("2026/000451")
    dialog.get_by_test_id("export-submit").click()
    expect(dialog.get_by_test_id("export-requisition")).to_contain_text("Réquisition")
    job = dialog.get_by_test_id("export-job")
    expect(job).to_have_attribute("data-status", "done", timeout=120_000)
    assert float(dialog.get_by_test_id("export-progress").get_attribute("value") or 0) == 1
    with p.expect_download() as download:
        dialog.get_by_test_id("export-download").click()
    with zipfile.ZipFile(io.BytesIO(Path(download.value.path()).read_bytes())) as z:
        manifests = [n for n in z.namelist() if n.endswith("/manifest.json")]
        assert len(manifests) == 1, z.namelist()
        manifest = json.loads(z.read(manifests[0]))
    clip = manifest["clips"][0]
    assert clip["camera"]["id"] == CAMERA and manifest["requisition"]["procedure"] == "2026/000451"
    requested = datetime.fromisoformat(clip["requested"]["start"].replace("Z", "+00:00"))
    assert abs(requested.timestamp() * 1000 - mark_in) < 1000
    assert clip["files"] and clip["files"][0]["duration_s"] >= 9
    # The range is now held: the timeline shows the hold.
    expect(timeline.locator("rect.hold").first).to_be_attached(timeout=WAIT)
    assert not bp.off_scheme_requests(console.base, "blob:", "data:")


def playing_near(p: Page, at_ms: float) -> float:
    """Wait until the page plays within 2.5 s of `at_ms` (footage playing elsewhere
    never does); the seconds waited."""
    asked = time.monotonic()
    p.wait_for_function(
        f"() => {{ const v = {VIDEO}; return v && !v.paused && v.readyState >= 3 && "
        f"Math.abs({INSTANT} - {at_ms}) < 2500; }}",
        timeout=WAIT,
    )
    return time.monotonic() - asked


def test_jump_to_a_paris_date_and_time_and_open_at_an_instant(
    console: ConsoleServer,
    supervisor: ConsoleUser,
    camera: dict,
    page_as: Callable[[ConsoleUser], BrowserPage],
) -> None:
    p = page_as(supervisor).page
    p.goto(f"{console.base}/#/camera/{CAMERA}")
    p.get_by_test_id("mode-playback").click()  # a minute ago
    p.wait_for_function(PLAYING, timeout=WAIT)
    # 30 s later than what plays: the two never meet while both run at 1×.
    target = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=30)
    target_ms = target.timestamp() * 1000
    assert abs(instant(p) - target_ms) > 20_000
    p.get_by_test_id("jump-input").fill(target.astimezone(PARIS).strftime("%Y-%m-%dT%H:%M:%S"))
    p.get_by_role("button", name="Aller à").click()
    waited = playing_near(p, target_ms)
    assert -2000 <= instant(p) - target_ms <= waited * 1000 + 2000
    # ?at= opens playback at that instant too (a link from an incident, a colleague).
    at_ms = target_ms - 20_000
    at = datetime.fromtimestamp(at_ms / 1000, UTC).isoformat().replace("+00:00", "Z")
    p.goto(f"{console.base}/#/camera/{CAMERA}?at={at}")
    waited = playing_near(p, at_ms)
    assert -2000 <= instant(p) - at_ms <= waited * 1000 + 2000
