"""The offline evidence player (arrêté du 3 août 2007, art. 3) from file:// in Chromium:
plays, pauses, steps frames both ways, changes speed, shows camera and Paris time on
every frame, searches by camera and time across the package, saves the frame as PNG."""

from __future__ import annotations

import io
import re
import time
from pathlib import Path

import av
import numpy as np
from PIL import Image
from playwright.sync_api import Download, FileChooser, Page

from tests.browser import BrowserPage
from tests.player.package import (
    CELL,
    CLIPS,
    FILE_ROW,
    FPS,
    FRAME_ROW,
    PLAYER_SRC,
    SIZE,
    identity_of,
    read_identity,
)

SETTLED = (
    "() => { const v = document.getElementById('video'); return !v.seeking && v.readyState > 1; }"
)


def shown(p: Page) -> tuple[int, int]:
    """(file number, frame index) of the picture on screen, from a screenshot of the video
    without its overlay (a canvas grab is refused: from file:// the video taints it)."""
    png = p.locator("#video").screenshot(style="#incrustation { visibility: hidden }")
    with av.open(io.BytesIO(png)) as c:
        rgb = next(c.decode(video=0)).to_ndarray(format="rgb24")
    h, w = rgb.shape[:2]
    xs = [round((c * CELL + CELL / 2) * w / SIZE[0]) for c in range(8)]
    rows = [round(y * h / SIZE[1]) for y in (FILE_ROW, FRAME_ROW)]
    return read_identity([int(rgb[y, x, 0]) for y in rows for x in xs])


def video(p: Page, prop: str):
    return p.evaluate(f"document.getElementById('video').{prop}")


def overlay(p: Page) -> tuple[str, int, int]:
    ds = p.evaluate("({...document.getElementById('incrustation').dataset})")
    return p.inner_text("#incrustation"), int(ds["utcMs"]), int(ds["frame"])


def settle(p: Page) -> None:
    p.wait_for_function(SETTLED)
    # One more presented frame, so the overlay has caught up with the seek.
    p.wait_for_function(
        "() => +document.getElementById('incrustation').dataset.frame === "
        f"Math.floor(document.getElementById('video').currentTime * {FPS} + 1e-3)"
    )


def search(p: Page, camera: str, date: str, hour: str) -> str:
    p.select_option("#r-camera", camera)
    p.fill("#r-date", date)
    p.fill("#r-heure", hour)
    p.click("#recherche button[type=submit]")
    return p.inner_text("#resultat")


def test_plays_and_frames_move(player: BrowserPage) -> None:
    p = player.page
    assert shown(p) == (1, 0)
    p.click("#b-lecture")
    p.wait_for_function("document.getElementById('video').currentTime > 1.2", timeout=10_000)
    p.click("#b-lecture")
    assert video(p, "paused")
    quality = "document.getElementById('video').getVideoPlaybackQuality()"
    decoded = p.evaluate(f"{quality}.totalVideoFrames")
    assert decoded >= 25
    settle(p)
    number, frame = shown(p)
    assert number == 1 and frame >= 30, "the picture did not move while playing"
    assert overlay(p)[2] == frame


def test_frame_steps_forward_and_back(player: BrowserPage) -> None:
    p = player.page
    search(p, "tst-001", "2026-11-01", "08:00:01")
    settle(p)
    t0, (_, ms0, k0) = video(p, "currentTime"), overlay(p)
    assert shown(p) == (1, 25) and k0 == 25
    p.click("#b-image-avant")
    settle(p)
    assert abs(video(p, "currentTime") - t0 - 1 / FPS) < 1e-6
    assert overlay(p)[1] == ms0 + 40 and shown(p) == (1, 26)
    p.focus("#position")
    for _ in range(2):
        p.keyboard.press("ArrowLeft")
        settle(p)
    assert abs(video(p, "currentTime") - t0 + 1 / FPS) < 1e-6
    assert overlay(p)[1] == ms0 - 40 and shown(p) == (1, 24)


def test_overlay_shows_camera_and_paris_time(player: BrowserPage) -> None:
    p = player.page
    search(p, "tst-001", "2026-11-01", "08:00:01.200")  # winter: UTC+1
    settle(p)
    text, ms, frame = overlay(p)
    assert ms == 1_793_516_401_200  # 2026-11-01T07:00:01.200Z
    assert frame == 30 and shown(p) == (1, 30)
    assert "tst-001 — Place de la Mairie" in text
    assert "01/11/2026 08:00:01,200 (heure de Paris, UTC+1)" in text
    assert "2026-11-01 07:00:01,200 UTC" in text
    search(p, "tst-002", "2026-07-14", "12:00:02.480")  # summer: UTC+2
    settle(p)
    text, _, frame = overlay(p)
    assert "tst-002 — Pont de l'Europe" in text
    assert "14/07/2026 12:00:02,480 (heure de Paris, UTC+2)" in text
    assert "2026-07-14 10:00:02,480 UTC" in text
    assert frame == 62 and shown(p) == (3, 62)


def test_overlay_follows_every_frame_while_playing(player: BrowserPage) -> None:
    p = player.page
    p.evaluate("""() => { window.seen = new Set();
      new MutationObserver(() => seen.add(document.getElementById('incrustation').dataset.frame))
        .observe(document.getElementById('incrustation'), {attributes: true}); }""")
    p.click("[data-vitesse='0.5']")
    p.click("#b-lecture")
    p.wait_for_function("document.getElementById('video').currentTime > 1", timeout=10_000)
    p.click("#b-lecture")
    frames = sorted(int(f) for f in p.evaluate("[...window.seen]"))
    assert len(frames) >= 20, f"overlay redrawn for too few frames: {frames}"


def test_speeds(player: BrowserPage) -> None:
    p = player.page
    for label, rate in (("0.25", 0.25), ("0.5", 0.5), ("2", 2), ("4", 4), ("8", 8)):
        p.click(f"[data-vitesse='{label}']")
        assert video(p, "playbackRate") == rate
        assert p.get_attribute(f"[data-vitesse='{label}']", "aria-pressed") == "true"
    p.keyboard.press("ArrowDown")
    assert video(p, "playbackRate") == 4
    p.keyboard.press("1")
    assert video(p, "playbackRate") == 1
    p.click("[data-vitesse='4']")
    p.focus("#position")  # Space on a focused button presses that button, as it should
    p.keyboard.press(" ")
    t0, w0 = video(p, "currentTime"), time.monotonic()
    p.wait_for_function("document.getElementById('video').currentTime > 1.6", timeout=10_000)
    wall = time.monotonic() - w0
    p.keyboard.press(" ")
    assert video(p, "paused")
    assert (video(p, "currentTime") - t0) / wall > 2, "×4 did not play faster than real time"


def test_search_opens_the_right_file_at_the_right_offset(player: BrowserPage) -> None:
    p = player.page
    said = search(p, "tst-001", "2026-11-01", "08:00:08.520")
    settle(p)
    assert CLIPS[1].path in said
    assert video(p, "src").endswith(CLIPS[1].path)
    assert shown(p) == (2, 38)  # 1.52 s into the second run, which starts at 08:00:07
    assert p.get_attribute(f"button[data-path='{CLIPS[1].path}']", "aria-current") == "true"


def test_search_in_a_gap_says_there_is_no_footage(player: BrowserPage) -> None:
    p = player.page
    src = video(p, "src")
    said = search(p, "tst-001", "2026-11-01", "08:00:05")
    assert "Aucune image de la caméra tst-001 le 01/11/2026 à 08:00:05" in said
    gap = "du 01/11/2026 08:00:03,000 au 01/11/2026 08:00:07,000"
    assert f"Interruption de l'enregistrement {gap}" in said
    assert said.count("• ") == 3  # both runs and the gap listed
    assert video(p, "src") == src
    said = search(p, "tst-002", "2026-07-14", "13:00:00")
    assert "Aucune image" in said and "hors de la période demandée" in said


def test_search_a_time_that_does_not_exist_in_paris(player: BrowserPage) -> None:
    said = search(player.page, "tst-001", "2026-03-29", "02:30:00")
    assert "n'existe pas à Paris" in said


def decode_download(download: Download, tmp: Path) -> tuple[np.ndarray, dict[str, str], str]:
    path = tmp / download.suggested_filename
    download.save_as(path)
    with av.open(str(path)) as c:
        rgb = next(c.decode(video=0)).to_ndarray(format="rgb24")
    return rgb, dict(Image.open(io.BytesIO(path.read_bytes())).text), path.name


TAINTED = """() => {
  const c = document.createElement('canvas'), x = c.getContext('2d');
  x.drawImage(document.getElementById('video'), 0, 0);
  try { x.getImageData(0, 0, 1, 1); return false; } catch (e) { return e.name === 'SecurityError'; }
}"""


def test_saving_from_file_urls_asks_for_the_folder_then_saves(
    player: BrowserPage, package_dir: Path, tmp_path: Path
) -> None:
    p = player.page
    # Listen early: Playwright turns dialog interception on asynchronously, and a dialog
    # opened before that is lost (seen: a listener added just before the key press races it).
    choosers: list[FileChooser] = []
    p.on("filechooser", lambda c: choosers.append(c))
    search(p, "tst-002", "2026-07-14", "12:00:02.480")
    settle(p)
    # What the player works around, measured in this Chromium: from file:// the clip taints.
    p.wait_for_function(TAINTED)
    p.keyboard.press("p")
    p.wait_for_function("document.getElementById('message').textContent.includes('dossier')")
    p.wait_for_timeout(200)
    assert len(choosers) == 1, "the folder dialog did not open"
    assert "ouvriez le dossier du paquet" in p.inner_text("#message")
    with p.expect_download() as info:
        choosers[0].set_files(package_dir)
    rgb, text, name = decode_download(info.value, tmp_path)
    assert rgb.shape == (SIZE[1], SIZE[0], 3)
    assert rgb.mean() > 40, "the saved frame is black"
    assert identity_of(rgb) == (3, 62)
    assert name == "tst-002_20260714T100002.480Z.png"
    assert text["Title"] == "tst-002 — Pont de l'Europe"
    assert text["Creation Time"] == "2026-07-14T10:00:02.480Z"
    assert CLIPS[2].path in text["Source"] and "2026-0042" in text["Source"]
    assert video(p, "src").startswith("blob:")


def test_opened_folder_plays_from_blob_urls_and_saves(
    player: BrowserPage, package_dir: Path, tmp_path: Path
) -> None:
    p = player.page
    p.set_input_files("#dossier", package_dir)
    p.wait_for_function("document.getElementById('video').src.startsWith('blob:')")
    p.wait_for_function(SETTLED)
    assert "3 fichier(s) vidéo sur 3" in p.inner_text("#message")
    assert "diffère" not in p.inner_text("#message")
    assert not p.evaluate(TAINTED)
    search(p, "tst-001", "2026-11-01", "08:00:09.960")
    settle(p)
    assert video(p, "src").startswith("blob:")
    with p.expect_download() as info:
        p.click("#b-image-png")
    rgb, _, name = decode_download(info.value, tmp_path)
    assert identity_of(rgb) == (2, 74) == shown(p)
    assert name == "tst-001_20261101T070009.960Z.png"
    assert "Image enregistrée" in p.inner_text("#message")


def test_player_files_reference_nothing_outside_the_package() -> None:
    for name in ("index.html", "player.js", "player.css"):
        text = (PLAYER_SRC / name).read_text(encoding="utf-8")
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text, re.I), name
        assert "@import" not in text and "fetch(" not in text, name
