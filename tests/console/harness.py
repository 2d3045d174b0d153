"""The console's end-to-end harness: the real demo (`beffroi demo`: simulated cameras of
the five communes, recorder, API and console) in a process of its own, users of every
role made with `beffroi user`, and Debian's Chromium signing them in through the page.

A TOTP code is accepted once per 30-second step, so each user signs in through the form
once per test session; later tests reuse that browser session's cookie.
"""

from __future__ import annotations

import fcntl
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
from playwright.sync_api import Browser, BrowserContext, Page, expect

from beffroi.access.totp import code_at

REPO = Path(__file__).resolve().parents[2]
ADMIN_PASSWORD = "Beffroi-Console-Pilote-2026"
USER_PASSWORD = "Vigie-Console-Essai-2026!"


@dataclass
class ConsoleUser:
    username: str
    password: str
    role: str
    totp_secret: str | None = None
    _last_step: int = -1
    storage_state: dict | None = None

    def next_code(self) -> str:
        """A code the server has not seen for this user: the current step, or the next
        one (the server accepts one step of drift) when the current one was used."""
        assert self.totp_secret is not None
        now = datetime.now(UTC)
        step = int(now.timestamp()) // 30
        if step <= self._last_step:
            if self._last_step > step:
                time.sleep(30 - now.timestamp() % 30 + 0.5)
                return self.next_code()
            now += timedelta(seconds=30)
            step += 1
        self._last_step = step
        return code_at(self.totp_secret, now)


@dataclass
class ConsoleServer:
    base: str
    data: Path
    env: dict[str, str]
    proc: subprocess.Popen[str]
    dc09_port: int = 12128
    mail_port: int = 2525
    users: dict[str, ConsoleUser] = field(default_factory=dict)

    def cli(self, *args: str, stdin: str | None = None) -> str:
        out = subprocess.run(
            [sys.executable, "-m", "beffroi.cli", *args],
            input=stdin,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.returncode == 0, out.stdout + out.stderr
        return out.stdout

    def add_user(
        self,
        username: str,
        role: str,
        communes: list[str],
        *,
        cameras: list[str] = (),  # type: ignore[assignment]
        police: bool = True,
        totp: bool = True,
    ) -> ConsoleUser:
        """A user made as the administrator would, with `beffroi user add` (and `totp`)."""
        args = ["user", "add", "--data", str(self.data), username, "--role", role]
        for commune in communes:
            args += ["--commune", commune]
        for camera in cameras:
            args += ["--camera", camera]
        if police:
            args.append("--police")
        self.cli(*args, "--password-stdin", stdin=USER_PASSWORD)
        user = ConsoleUser(username, USER_PASSWORD, role)
        if totp:
            out = self.cli("user", "totp", "--data", str(self.data), username)
            uri = re.search(r"otpauth://\S+", out)
            assert uri is not None, out
            user.totp_secret = parse_qs(urlsplit(uri[0]).query)["secret"][0]
        self.users[username] = user
        return user

    def api(self, user: ConsoleUser) -> httpx.Client:
        """An API client signed in as `user` (bearer token), for set-up and checks."""
        body = {"username": user.username, "password": user.password}
        if user.totp_secret:
            body["totp"] = user.next_code()
        r = httpx.post(f"{self.base}/api/auth/login", json=body, timeout=10)
        assert r.status_code == 200, r.text
        token = r.json()["token"]
        return httpx.Client(
            base_url=self.base, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )


def demo_admin(server: ConsoleServer) -> ConsoleUser:
    """The demo's administrator (`BEFFROI_ADMIN_PASSWORD`): it sees no video, so it has no
    second factor."""
    if "admin" not in server.users:
        server.users["admin"] = ConsoleUser("admin", server.env["BEFFROI_ADMIN_PASSWORD"], "admin")
    return server.users["admin"]


def sign_in_form(page: Page, user: ConsoleUser, base: str) -> None:
    """Sign in through the console's form, answering the TOTP step when asked."""
    page.goto(base + "/")
    page.get_by_label(re.compile("Identifiant")).fill(user.username)
    page.get_by_label(re.compile("Mot de passe")).fill(user.password)
    page.get_by_role("button", name="Se connecter").click()
    if user.totp_secret:
        code = page.locator("input[name=code]")
        expect(code).to_be_visible()
        code.fill(user.next_code())
        page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_test_id("who")).to_contain_text(user.username)


def signed_in_context(browser: Browser, server: ConsoleServer, user: ConsoleUser) -> BrowserContext:
    """A fresh browser context already signed in as `user` (its cookie is reused)."""
    if user.storage_state is None:
        context = browser.new_context()
        page = context.new_page()
        sign_in_form(page, user, server.base)
        user.storage_state = context.storage_state()
        context.close()
    return browser.new_context(storage_state=user.storage_state)


def ensure_console_built() -> None:
    """`make frontend` is a no-op when the build is up to date (make test runs it first).
    A lock keeps concurrent test runs from writing `dist/` at the same time."""
    with (REPO / "frontend" / ".build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        subprocess.run(["make", "-s", "--no-print-directory", "frontend"], cwd=REPO, check=True)


def demo_env() -> dict[str, str]:
    env = dict(os.environ, BEFFROI_ADMIN_PASSWORD=ADMIN_PASSWORD)
    env.pop("BEFFROI_DATABASE_URL", None)  # the demo's own SQLite, as `make run` has
    return env


SCREENSHOTS = REPO / "docs" / "guide" / "img"


def screenshot(page: Page, name: str) -> None:
    """Refresh `docs/guide/img/NAME.png` when BEFFROI_SCREENSHOTS=1 (`make screenshots`):
    the guide shows the screens the tests have just seen. Off by default, so a test run
    leaves the working tree as it found it."""
    if os.environ.get("BEFFROI_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
