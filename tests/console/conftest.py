"""Fixtures of the console's end-to-end tests: one real demo for the whole session."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext

from tests.browser import BrowserPage, browser, page  # noqa: F401  (pytest fixtures)
from tests.console.harness import (
    ConsoleServer,
    ConsoleUser,
    demo_env,
    ensure_console_built,
    signed_in_context,
)

DEMO_COMMUNES = [
    "joue-les-tours",
    "ballan-mire",
    "saint-avertin",
    "chambray-les-tours",
    "savonnieres",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleServer]:
    """`beffroi demo` on free ports: 12 simulated cameras of five communes, recording."""
    ensure_console_built()
    data = tmp_path_factory.mktemp("console-demo")
    port, sim_port, dc09_port, mail_port = (_free_port() for _ in range(4))
    env = demo_env()
    log = (data / "server.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "beffroi.cli", "demo", "--data", str(data),
         "--listen", f"127.0.0.1:{port}", "--sim-port", str(sim_port),
         "--dc09-port", str(dc09_port), "--mail-port", str(mail_port)],
        env=env, stdout=log, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    server = ConsoleServer(
        f"http://127.0.0.1:{port}", data, env, proc, dc09_port=dc09_port, mail_port=mail_port
    )
    deadline = time.monotonic() + 180
    while True:
        if proc.poll() is not None:
            pytest.fail("the demo stopped: " + (data / "server.log").read_text()[-3000:])
        try:
            if httpx.get(server.base + "/api/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("the demo did not answer within 180 s")
        time.sleep(0.3)
    _wait_recording(server)
    try:
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _wait_recording(server: ConsoleServer) -> None:
    """Until every demo camera records (the wall would show 'connecting' otherwise)."""
    admin = ConsoleUser("admin", "", "admin")
    admin.password = server.env["BEFFROI_ADMIN_PASSWORD"]
    with server.api(admin) as client:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            cams = client.get("/api/cameras").json()
            if cams and all(c["status"] == "recording" for c in cams):
                return
            time.sleep(0.5)
    pytest.fail(f"cameras not recording: {[(c['id'], c['status']) for c in cams]}")


@pytest.fixture(scope="session")
def operator(console: ConsoleServer) -> ConsoleUser:
    """A municipal police operator of every demo commune."""
    communes = [
        "joue-les-tours",
        "ballan-mire",
        "saint-avertin",
        "chambray-les-tours",
        "savonnieres",
    ]
    return console.add_user("agent.mur", "operator", communes)


@pytest.fixture
def operator_page(
    browser: Browser,  # noqa: F811
    console: ConsoleServer,
    operator: ConsoleUser,
) -> Iterator[BrowserPage]:
    """A page signed in as `operator`, errors collected like `tests.browser.page`."""
    context = signed_in_context(browser, console, operator)
    yield from _page_of(context)


def _page_of(context: BrowserContext) -> Iterator[BrowserPage]:
    bp = BrowserPage(context, context.new_page())
    context.on("request", lambda r: bp.requests.append(r.url))
    bp.page.on("pageerror", lambda e: bp.errors.append(str(e)))
    try:
        yield bp
    finally:
        context.close()
    assert not bp.errors, f"uncaught JavaScript errors: {bp.errors}"


@pytest.fixture
def page_as(browser: Browser, console: ConsoleServer) -> Iterator:  # noqa: F811
    """`page_as(user)`: a signed-in page for any user of the session; closed after the test."""
    opened: list[Iterator[BrowserPage]] = []

    def open_page(user: ConsoleUser) -> BrowserPage:
        gen = _page_of(signed_in_context(browser, console, user))
        opened.append(gen)
        return next(gen)

    yield open_page
    for gen in opened:
        for _ in gen:
            pass
