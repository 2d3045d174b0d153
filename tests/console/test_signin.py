"""Signing in to the console: the demo operator's first sign-in enrols TOTP by QR code;
refusals say why in French."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

from playwright.sync_api import expect

from beffroi.access.demo import DEMO_OPERATOR, DEMO_OPERATOR_PASSWORD_FILE
from beffroi.access.totp import code_at
from tests.browser import BrowserPage
from tests.console.harness import ConsoleServer, ConsoleUser, sign_in_form


def test_demo_operator_first_sign_in_enrols_totp_then_sees_the_wall(
    console: ConsoleServer, page: BrowserPage
) -> None:
    password = (console.data / DEMO_OPERATOR_PASSWORD_FILE).read_text().strip()
    p = page.page
    p.goto(console.base + "/")
    expect(p.locator("html")).to_have_attribute("lang", "fr")
    p.get_by_label("Identifiant").fill(DEMO_OPERATOR)
    p.get_by_label("Mot de passe").fill(password)
    p.get_by_role("button", name="Se connecter").click()
    expect(p.get_by_role("heading", name="Activer la double authentification")).to_be_visible()
    expect(p.get_by_test_id("totp-qr").locator("svg")).to_be_visible()
    secret = p.get_by_test_id("totp-secret").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-7]{16,}", secret), secret
    p.locator("input[name=code]").fill(
        "000000" if code_at(secret, datetime.now(UTC)) != "000000" else "111111"
    )
    p.get_by_role("button", name="Valider le code").click()
    expect(p.get_by_role("alert")).to_contain_text("Code incorrect")
    p.locator("input[name=code]").fill(code_at(secret, datetime.now(UTC)))
    p.get_by_role("button", name="Valider le code").click()
    expect(p.get_by_test_id("who")).to_contain_text(DEMO_OPERATOR)
    assert p.url.endswith("#/wall")
    # The session is a cookie: a reload stays signed in (the CSRF token comes back too).
    p.reload()
    expect(p.get_by_test_id("who")).to_contain_text(DEMO_OPERATOR)
    assert not page.off_scheme_requests(console.base, "blob:", "data:", "ws:")


def test_refusals_are_explained(console: ConsoleServer, page: BrowserPage) -> None:
    user = console.users.get("agent.refus") or console.add_user(
        "agent.refus", "operator", ["joue-les-tours"]
    )
    p = page.page
    p.goto(console.base + "/")
    p.get_by_label("Identifiant").fill(user.username)
    p.get_by_label("Mot de passe").fill("not-the-password-at-all")
    p.get_by_role("button", name="Se connecter").click()
    expect(p.get_by_role("alert")).to_have_text("Identifiant ou mot de passe incorrect.")
    p.get_by_label("Mot de passe").fill(user.password)
    p.get_by_role("button", name="Se connecter").click()
    expect(p.get_by_role("alert")).to_contain_text("code de votre application")
    code = p.locator("input[name=code]")
    wrong = "000000" if user.next_code() != "000000" else "111111"
    code.fill(wrong)
    p.get_by_role("button", name="Se connecter").click()
    expect(p.get_by_role("alert")).to_contain_text("Code incorrect")
    time.sleep(0.1)
    sign_in_form(p, user, console.base)


def test_english_on_demand(
    console: ConsoleServer, operator: ConsoleUser, operator_page: BrowserPage
) -> None:
    p = operator_page.page
    p.goto(console.base + "/#/wall")
    p.get_by_role("button", name="English").click()
    expect(p.get_by_role("link", name="Video wall")).to_be_visible()
    p.get_by_role("button", name="Français").click()
    expect(p.get_by_role("link", name="Mur d'images")).to_be_visible()
