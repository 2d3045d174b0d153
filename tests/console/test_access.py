"""Access codes in the console: nobody knows another user's password. The administrator
creates an operator (no password, no code: its invitation waits), a supervisor of its
commune approves and alone reads the code, and the agent, in a browser of its own,
chooses its password with « J'ai un code d'accès » and enrols its second factor. A
forgotten password goes the same way from the user list, the code opened from an
#/access link. A signed-in user changes its own password with the old one and a code."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Locator, Page, expect

from tests.browser import BrowserPage
from tests.console.harness import ConsoleServer, ConsoleUser, demo_admin, sign_in_form

TIMEOUT = 20_000
APPROVE = "Approuver et recevoir le code"
CODE = re.compile(r"[A-Z2-7]{4}(-[A-Z2-7]{1,4})+")


def _chief(console: ConsoleServer) -> ConsoleUser:
    """A supervisor of Joué-lès-Tours only: the second person for its agents."""
    return console.users.get("chef.joue") or console.add_user(
        "chef.joue", "supervisor", ["joue-les-tours"]
    )


def _request(p: Page, username: str) -> Locator:
    return p.locator(f'[data-testid=access-request][data-username="{username}"]')


def _approve(console: ConsoleServer, page_as, username: str) -> str:
    """The supervisor approves the request for `username` and reads its code, once."""
    s = page_as(_chief(console)).page
    s.goto(console.base + "/#/admin")
    s.get_by_test_id("admin-tab-access").click()
    request = _request(s, username)
    request.get_by_role("button", name=APPROVE).click()
    issued = s.get_by_test_id("issued-code")
    expect(issued).to_contain_text(
        "À remettre en main propre à l'agent ; il ne sera plus affiché", timeout=TIMEOUT
    )
    expect(issued).to_contain_text("Valable jusqu'au", timeout=TIMEOUT)
    code = issued.get_by_test_id("access-code").inner_text().strip()
    assert CODE.fullmatch(code), code
    expect(request).to_contain_text("Code remis à chef.joue", timeout=TIMEOUT)
    return code


def _choose_password_and_enrol(p: Page, agent: ConsoleUser) -> None:
    """On the access-code form, past the preview: a refused password, then the agent's
    own, then the TOTP enrolment of its role; ends signed in on the wall."""
    p.get_by_label(re.compile("^Nouveau mot de passe")).fill("court1!A")
    p.get_by_label("Confirmation du mot de passe").fill("court1!A")
    p.get_by_role("button", name="Choisir ce mot de passe et se connecter").click()
    expect(p.get_by_role("alert")).to_have_text(
        "Mot de passe trop court : 12 caractères au moins.", timeout=TIMEOUT
    )
    p.get_by_label(re.compile("^Nouveau mot de passe")).fill(agent.password)
    p.get_by_label("Confirmation du mot de passe").fill(agent.password)
    p.get_by_role("button", name="Choisir ce mot de passe et se connecter").click()
    expect(p.get_by_role("heading", name="Activer la double authentification")).to_be_visible(
        timeout=TIMEOUT
    )
    agent.totp_secret = p.get_by_test_id("totp-secret").inner_text().strip()
    p.locator("input[name=code]").fill(agent.next_code())
    p.get_by_role("button", name="Valider le code").click()
    expect(p.get_by_test_id("who")).to_contain_text(agent.username, timeout=TIMEOUT)
    expect(p).to_have_url(re.compile(r"#/wall$"), timeout=TIMEOUT)


def _user(console: ConsoleServer, username: str) -> dict:
    with console.api(demo_admin(console)) as api:
        return {u["username"]: u for u in api.get("/api/users").json()}[username]


def test_an_invited_operator_gets_its_code_from_a_supervisor_and_chooses_its_password(
    console: ConsoleServer, page_as, page: BrowserPage
) -> None:
    admin = demo_admin(console)
    a = page_as(admin).page
    a.goto(console.base + "/#/admin/users")
    a.get_by_role("button", name="Nouvel utilisateur").click()
    form = a.get_by_test_id("user-form")
    form.get_by_label("Identifiant").fill("agent.invite")
    form.get_by_label("Rôle").select_option("operator")
    form.get_by_label("Joué-lès-Tours").check()
    form.get_by_label("Police municipale").check()
    form.get_by_role("button", name="Créer l'utilisateur").click()
    # The administrator gets no code: an operator views images, a second person approves.
    expect(a.get_by_test_id("access-pending")).to_contain_text(
        "Invitation en attente : un superviseur de la commune ou un second administrateur "
        "doit l'approuver",
        timeout=TIMEOUT,
    )
    expect(a.get_by_test_id("issued-code")).to_have_count(0)
    row = a.locator('[data-testid=user-row][data-username="agent.invite"]')
    expect(row).to_contain_text("Invitation non utilisée", timeout=TIMEOUT)
    # Its own request: the button is there, disabled, and says why.
    a.get_by_test_id("admin-tab-access").click()
    request = _request(a, "agent.invite")
    expect(request.get_by_role("button", name=APPROVE)).to_be_disabled(timeout=TIMEOUT)
    expect(request.get_by_test_id("access-refusal")).to_contain_text(
        "vous avez fait cette demande", timeout=TIMEOUT
    )

    code = _approve(console, page_as, "agent.invite")

    # The agent, in a browser of its own, with nothing but the code.
    agent = ConsoleUser("agent.invite", "Vigie-Invitation-2026!", "operator")
    p = page.page
    p.goto(console.base + "/")
    p.get_by_role("button", name="J'ai un code d'accès").click()
    p.get_by_role("textbox", name="Code d'accès").fill(code.lower().replace("-", " "))
    p.get_by_role("button", name="Continuer").click()
    expect(p.get_by_test_id("access-code-account")).to_have_text(
        "Compte : agent.invite", timeout=TIMEOUT
    )
    expect(p.get_by_test_id("access-code-purpose")).to_contain_text("Invitation")
    _choose_password_and_enrol(p, agent)
    console.users[agent.username] = agent

    made = _user(console, "agent.invite")
    assert made["password_set"] is True and made["totp"] is True
    with console.api(admin) as api:
        open_for = [r["username"] for r in api.get("/api/access-requests").json()]
    assert "agent.invite" not in open_for


def test_a_reset_code_opens_from_a_link_and_replaces_password_and_second_factor(
    console: ConsoleServer, page_as, page: BrowserPage
) -> None:
    agent = console.users.get("agent.oubli") or console.add_user(
        "agent.oubli", "operator", ["joue-les-tours"]
    )
    old_secret = agent.totp_secret
    a = page_as(demo_admin(console)).page
    a.goto(console.base + "/#/admin/users")
    reset = a.locator('[data-testid=user-row][data-username="agent.oubli"]').get_by_test_id(
        "reset-access"
    )
    reset.click()
    expect(reset).to_have_text("Confirmer ?", timeout=TIMEOUT)
    reset.click()
    expect(a.get_by_test_id("access-pending")).to_contain_text(
        "Réinitialisation en attente", timeout=TIMEOUT
    )
    expect(a.get_by_test_id("issued-code")).to_have_count(0)

    code = _approve(console, page_as, "agent.oubli")

    p = page.page
    p.goto(f"{console.base}/#/access?code={code}")
    expect(p.get_by_test_id("access-code-account")).to_have_text(
        "Compte : agent.oubli", timeout=TIMEOUT
    )
    expect(p.get_by_test_id("access-code-purpose")).to_contain_text("Réinitialisation")
    old_password = agent.password
    agent.password = "Vigie-Nouveau-Depart-2026!"
    agent.storage_state = None  # every session of the account ends with the reset
    _choose_password_and_enrol(p, agent)
    assert agent.totp_secret != old_secret
    r = httpx.post(
        console.base + "/api/auth/login",
        json={"username": "agent.oubli", "password": old_password},
        timeout=10,
    )
    assert r.status_code == 401


def test_a_user_changes_its_password_with_the_current_one_and_a_code(
    console: ConsoleServer, page_as, page: BrowserPage
) -> None:
    user = console.users.get("agent.mdp") or console.add_user(
        "agent.mdp", "operator", ["joue-les-tours"]
    )
    new_password = "Beffroi-Changement-2026?"
    p = page_as(user).page
    p.goto(console.base + "/#/wall")
    p.get_by_role("button", name="Changer mon mot de passe").click()
    dialog = p.get_by_test_id("password-dialog")
    dialog.get_by_label("Mot de passe actuel").fill("pas-le-bon-mot-de-passe")
    dialog.get_by_label(re.compile("^Nouveau mot de passe")).fill(new_password)
    dialog.get_by_label("Confirmation du nouveau mot de passe").fill(new_password)
    dialog.get_by_role("button", name="Changer le mot de passe").click()
    expect(dialog.get_by_role("alert")).to_have_text(
        "Mot de passe actuel incorrect.", timeout=TIMEOUT
    )
    # The right password without the code: the server answers 401, a form error that
    # keeps the user signed in.
    dialog.get_by_label("Mot de passe actuel").fill(user.password)
    dialog.get_by_role("button", name="Changer le mot de passe").click()
    expect(dialog.get_by_role("alert")).to_have_text(
        "Saisissez le code de votre application d'authentification.", timeout=TIMEOUT
    )
    expect(p.get_by_test_id("who")).to_contain_text(user.username)
    dialog.get_by_label(re.compile("^Code à six chiffres")).fill(user.next_code())
    dialog.get_by_role("button", name="Changer le mot de passe").click()
    expect(dialog.get_by_role("status")).to_contain_text("Mot de passe changé", timeout=TIMEOUT)
    dialog.get_by_role("button", name="Fermer").click()
    expect(dialog).to_have_count(0)
    expect(p.get_by_test_id("who")).to_contain_text(user.username)
    old_password, user.password = user.password, new_password

    # The next sign-in takes the new password; the old one is refused.
    sign_in_form(page.page, user, console.base)
    r = httpx.post(
        console.base + "/api/auth/login",
        json={"username": user.username, "password": old_password},
        timeout=10,
    )
    assert r.status_code == 401
