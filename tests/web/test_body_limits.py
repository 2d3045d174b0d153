"""Request bodies are bounded before they are read (web/limits.py), through the real
app over a real socket: a declared length over the limit is refused unread, a chunked
body is cut at the limit, and ordinary requests pass."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from beffroi.web.app import create_app
from beffroi.web.context import AppContext
from beffroi.web.limits import DEFAULT_LIMIT, LIMITS
from tests.web.conftest import PW
from tests.web.serving import serving


@pytest.fixture
def base(ctx: AppContext) -> Iterator[str]:
    with serving(create_app(ctx)) as url:
        yield url


def test_login_bodies_are_bounded(base: str) -> None:
    limit = LIMITS["/api/auth/login"]
    ok = httpx.post(f"{base}/api/auth/login", json={"username": "admin", "password": PW})
    assert ok.status_code == 200, ok.text
    big = {"username": "admin", "password": "x" * limit}
    r = httpx.post(f"{base}/api/auth/login", json=big)
    assert r.status_code == 413 and str(limit) in r.json()["detail"]


def test_a_chunked_body_is_cut_at_the_limit(base: str) -> None:
    """No Content-Length: the body is counted as it arrives and refused at the limit,
    however much more the client has to send (here 50 MiB to an administrator's route
    that reads its body)."""

    def endless() -> Iterator[bytes]:
        for _ in range(50 * 16):
            yield b"[" + b" " * (64 * 1024 - 1)

    login = {"username": "admin", "password": PW}
    token = httpx.post(f"{base}/api/auth/login", json=login).json()["token"]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    r = httpx.post(f"{base}/api/tokens", content=endless(), headers=headers, timeout=60)
    assert r.status_code == 413, r.text
    assert str(DEFAULT_LIMIT) in r.json()["detail"]


def test_a_declared_length_over_the_limit_is_refused_unread(base: str) -> None:
    r = httpx.post(
        f"{base}/api/requisitions",
        content=b"{" + b" " * DEFAULT_LIMIT,
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 413
