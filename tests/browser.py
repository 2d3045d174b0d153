"""Headless Debian Chromium driven by Playwright for Python, for browser tests.

Only Debian's /usr/bin/chromium is used (installed by scripts/system-deps.sh); Playwright's
own browser download is never needed. Each browser starts with a fresh, empty profile
(user-data-dir) and the flags that keep it off the network: without them Chromium calls
Google's services at every start, which this closed machine refuses.

Use in a conftest.py:

    from tests.browser import browser, page  # noqa: F401  (pytest fixtures)

`page` is a `BrowserPage`: a fresh context and page, every request the page makes
(`.requests`) and every uncaught JavaScript error (`.errors`, which fails the test at
teardown, so a broken script cannot pass silently).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def launch_chromium(pw: Playwright) -> Browser:
    """Debian's Chromium, headless. Playwright's launch() gives every browser a fresh,
    empty temporary user-data-dir of its own and removes it on close."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/system-deps.sh (apt-get install chromium)")
    return pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)


@dataclass
class BrowserPage:
    context: BrowserContext
    page: Page
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def off_scheme_requests(self, *schemes: str) -> list[str]:
        """Requests whose URL uses none of `schemes` (e.g. "file:", "blob:")."""
        return [u for u in self.requests if not u.startswith(schemes)]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium per test module; each test gets its own context through `page`.
    Not per session: while it runs, Playwright's event loop is the thread's running
    loop, and later tests that call `asyncio.run()` would fail."""
    with sync_playwright() as pw:
        b = launch_chromium(pw)
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[BrowserPage]:
    context = browser.new_context(accept_downloads=True)
    bp = BrowserPage(context, context.new_page())
    context.on("request", lambda r: bp.requests.append(r.url))
    bp.page.on("pageerror", lambda e: bp.errors.append(str(e)))
    try:
        yield bp
    finally:
        context.close()
    assert not bp.errors, f"uncaught JavaScript errors: {bp.errors}"
