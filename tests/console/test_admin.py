"""Administration in the console: the demo administrator creates an operator through the
form (no password: an invitation waits for a second person), the health page charts
every camera from the sampler's minutes, and an auditor (no video) reads the journal and
its integrity."""

from __future__ import annotations

import re
import time

from playwright.sync_api import expect

from tests.console.conftest import DEMO_COMMUNES
from tests.console.harness import ConsoleServer, demo_admin, screenshot

TIMEOUT = 20_000


def test_admin_creates_an_operator_through_the_form(console: ConsoleServer, page_as) -> None:
    admin = demo_admin(console)
    p = page_as(admin).page
    p.goto(console.base + "/#/admin")
    expect(p.get_by_test_id("admin-tab-users")).to_have_attribute(
        "aria-current", "page", timeout=TIMEOUT
    )
    expect(p.get_by_test_id("user-row").first).to_be_visible(timeout=TIMEOUT)
    # The administrator administers but does not watch: no wall in its menu.
    expect(p.locator(".topbar nav")).not_to_contain_text("Mur d'images", timeout=TIMEOUT)
    p.get_by_role("button", name="Nouvel utilisateur").click()
    form = p.get_by_test_id("user-form")
    # Nobody chooses another user's password: the form has no such field.
    expect(form.get_by_label(re.compile("Mot de passe"))).to_have_count(0)
    form.get_by_label("Identifiant").fill("agent.formulaire")
    form.get_by_label("Rôle").select_option("operator")
    form.get_by_label("Nom et prénom").fill("Camille Formulaire")
    form.get_by_label("Joué-lès-Tours").check()
    form.get_by_label("Saint-Avertin").check()
    form.get_by_label("Référence de l'agrément préfectoral").fill("PREF-37-2026-204")
    form.get_by_label("Fin de validité de l'agrément").fill("2027-09-30")
    form.get_by_role("button", name="Créer l'utilisateur").click()
    expect(p.get_by_role("status")).to_contain_text("agent.formulaire", timeout=TIMEOUT)
    # An operator views images: the administrator gets no code, a second person must
    # approve the invitation (a supervisor of both its communes, or another admin).
    expect(p.get_by_test_id("access-pending")).to_contain_text(
        "Invitation en attente : un superviseur de toutes ses communes ou un second "
        "administrateur doit l'approuver",
        timeout=TIMEOUT,
    )
    expect(p.get_by_test_id("issued-code")).to_have_count(0)
    row = p.locator('[data-testid=user-row][data-username="agent.formulaire"]')
    expect(row).to_contain_text("Opérateur", timeout=TIMEOUT)
    expect(row).to_contain_text("Joué-lès-Tours, Saint-Avertin", timeout=TIMEOUT)
    expect(row).to_contain_text("PREF-37-2026-204", timeout=TIMEOUT)
    expect(row).to_contain_text("Sans TOTP", timeout=TIMEOUT)
    expect(row).to_contain_text("Invitation non utilisée", timeout=TIMEOUT)
    with console.api(admin) as api:
        made = {u["username"]: u for u in api.get("/api/users").json()}["agent.formulaire"]
        assert made["communes"] == ["joue-les-tours", "saint-avertin"]
        assert made["approval_expires"] == "2027-09-30" and made["is_police"] is False
        assert made["password_set"] is False
        pending = {r["username"]: r for r in api.get("/api/access-requests").json()}
        invitation = pending["agent.formulaire"]
        assert invitation["purpose"] == "invitation" and invitation["approved_by"] is None
        journal = api.get("/api/journal", params={"action": "user.add"}).json()["entries"]
        assert any(
            e["username"] == "admin" and "agent.formulaire" in str(e["detail"]) for e in journal
        )
    screenshot(p, "console-utilisateurs")


def test_health_page_charts_every_camera(console: ConsoleServer, page_as) -> None:
    admin = demo_admin(console)
    with console.api(admin) as api:
        cameras = [c["id"] for c in api.get("/api/cameras").json()]
        # The sampler takes its first minute once the recorder has settled (at most
        # 15 s after start), not a minute later.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            health = api.get("/api/camera-health").json()
            if health and all(h["samples"] >= 1 for h in health):
                break
            time.sleep(0.5)
    assert len(cameras) == 12
    assert {h["camera"] for h in health if h["samples"] >= 1} == set(cameras)
    p = page_as(admin).page
    p.goto(console.base + "/#/admin/health")
    charts = p.get_by_test_id("health-chart")
    expect(charts).to_have_count(len(cameras), timeout=TIMEOUT)
    for camera in cameras:
        chart = p.locator(f'[data-testid=health-chart][data-camera="{camera}"]')
        # The sampler's first minute is taken at start: every chart has a sample, drawn
        # as a run of the status strip.
        expect(chart).to_have_attribute("data-samples", re.compile(r"^[1-9]\d*$"), timeout=TIMEOUT)
        expect(chart.locator("rect.run").first).to_be_attached(timeout=TIMEOUT)
    expect(p.get_by_test_id("forecast")).to_contain_text(
        re.compile(r"jours d'images tiennent|pas de prévision"), timeout=TIMEOUT
    )
    expect(p.get_by_test_id("storage")).to_contain_text("utilisés sur", timeout=TIMEOUT)
    expect(p.get_by_test_id("health-alerts")).to_be_visible(timeout=TIMEOUT)
    screenshot(p, "console-sante")


def test_auditor_reads_the_journal_and_the_registers(console: ConsoleServer, page_as) -> None:
    auditor = console.users.get("auditeur") or console.add_user(
        "auditeur", "auditor", DEMO_COMMUNES, police=False, totp=False
    )
    p = page_as(auditor).page
    p.goto(console.base + "/")
    # The auditor lands on the administration's journal, and has no video anywhere.
    expect(p.get_by_test_id("admin-tab-journal")).to_have_attribute(
        "aria-current", "page", timeout=TIMEOUT
    )
    nav = p.locator(".topbar nav")
    expect(nav).not_to_contain_text("Mur d'images", timeout=TIMEOUT)
    expect(p.get_by_test_id("admin-tab-users")).to_have_count(0, timeout=TIMEOUT)
    expect(p.get_by_test_id("journal-entry").first).to_be_visible(timeout=TIMEOUT)
    expect(p.get_by_test_id("journal-verification")).to_contain_text(
        "Journal intègre", timeout=TIMEOUT
    )
    # Filter on sign-ins: every entry shown is one.
    p.get_by_label("Action (ex. auth.*)").fill("auth.login")
    p.get_by_role("button", name="Rechercher").click()
    codes = p.get_by_test_id("journal-entry").locator("td code")
    expect(codes.filter(has_not_text=re.compile(r"^auth\.login$"))).to_have_count(
        0, timeout=TIMEOUT
    )
    expect(codes.first).to_have_text("auth.login", timeout=TIMEOUT)
    p.get_by_test_id("admin-tab-destructions").click()
    expect(
        p.get_by_test_id("destructions-empty").or_(p.get_by_test_id("destructions"))
    ).to_be_visible(timeout=TIMEOUT)


def test_a_supervisor_sees_when_a_hold_lapses_and_renews_it(
    console: ConsoleServer, page_as
) -> None:
    """A hold placed by hand lapses unless renewed: the holds tab says when, and one
    click renews it for 30 days (journaled by the server)."""
    chief = console.users.get("sup.scelles") or console.add_user(
        "sup.scelles", "supervisor", DEMO_COMMUNES
    )
    with console.api(chief) as api:
        now = time.time()
        body = {
            "camera": "jlt-001",
            "start": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 3600)),
            "end": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 1800)),
            "reason": "réquisition annoncée par téléphone",
            "days": 3,
        }
        placed = api.post("/api/holds", json=body)
        assert placed.status_code == 201, placed.text
        hold = placed.json()
    p = page_as(chief).page
    p.goto(console.base + "/#/admin/holds")
    row = p.locator(f'[data-testid=holds] tr[data-hold="{hold["id"]}"]')
    expect(row.get_by_test_id("hold-lapses")).to_contain_text("Échéance", timeout=TIMEOUT)
    row.get_by_role("button", name="Renouveler 30 jours").click()
    expect(p.get_by_role("status")).to_contain_text("renouvelé", timeout=TIMEOUT)
    with console.api(chief) as api:
        listed = {h["id"]: h for h in api.get("/api/holds").json()}
    assert listed[hold["id"]]["expires_at"] > hold["expires_at"]
