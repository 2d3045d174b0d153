"""The console's static files: served on `/` to anyone (they hold no data), with a strict
content security policy, and never a file outside the build's assets folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from beffroi.web.routes.console import CONSOLE_DIR_ENV


@pytest.fixture
def built(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text('<!doctype html><script src="/assets/index-abc.js"></script>')
    (dist / "assets" / "index-abc.js").write_text("console.log('beffroi')")
    (tmp_path / "secret.txt").write_text("not for the web")
    monkeypatch.setenv(CONSOLE_DIR_ENV, str(dist))
    return dist


def test_index_and_assets_are_served_without_a_session(client: TestClient, built: Path) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert "/assets/index-abc.js" in page.text
    assert page.headers["cache-control"] == "no-cache"
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    asset = client.get("/assets/index-abc.js")
    assert asset.status_code == 200
    assert asset.text == "console.log('beffroi')"
    assert "immutable" in asset.headers["cache-control"]
    # A notification's signed link opens the console on the incident.
    link = client.get("/incidents/42?link=abc")
    assert link.status_code == 200 and "/assets/index-abc.js" in link.text


@pytest.mark.parametrize("name", ["..%2Fsecret.txt", "missing.js", "..%2F..%2Fdist%2Findex.html"])
def test_nothing_outside_the_assets_folder(client: TestClient, built: Path, name: str) -> None:
    r = client.get(f"/assets/{name}")
    assert r.status_code == 404
    assert "not for the web" not in r.text


def test_an_unbuilt_console_says_how_to_build_it(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CONSOLE_DIR_ENV, str(tmp_path / "nowhere"))
    r = client.get("/")
    assert r.status_code == 503
    assert "make run" in r.text
