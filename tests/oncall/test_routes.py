"""The on-call API over real HTTP handling: rotas, contacts, attempts, tests, links."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from beffroi.clock import FakeClock
from beffroi.incidents.service import IncidentService
from beffroi.journal.tables import journal_entries
from beffroi.oncall.channels.smtp import SmtpChannel
from beffroi.oncall.escalation import Escalation
from beffroi.oncall.links import IncidentLinks, load_or_create_secret
from beffroi.oncall.notify import Notifier
from beffroi.site.models import SmtpSettings
from beffroi.web.context import AppContext
from tests.alarms.site import seed
from tests.incidents.conftest import alarm
from tests.oncall.conftest import add_people
from tests.oncall.peers import Mailbox
from tests.oncall.rota import ROTA
from tests.web.conftest import token_for

URL = "/api/rotas/astreinte-jlt"


@pytest.fixture
def staff(ctx: AppContext, client: TestClient) -> dict[str, dict[str, str]]:
    seed(ctx.engine, ctx.clock)
    add_people(ctx.engine)
    return {n: token_for(ctx, n) for n in ("chef", "chef-cha", "agent", "admin", "alice")}


def test_a_supervisor_writes_and_reads_the_rota_of_its_commune(
    ctx: AppContext, client: TestClient, staff: dict[str, dict[str, str]]
) -> None:
    r = client.put(URL, json=ROTA, headers=staff["chef"])
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["communes"] == ["joue-les-tours"] and body["fallbacks"] == ["bruno"]
    assert body["shifts"][0] == ROTA["shifts"][0] and body["updated_by"] == "chef"
    assert client.put(URL, json=ROTA, headers=staff["chef"]).status_code == 200
    assert client.get(URL, headers=staff["chef"]).json() == client.get(
        "/api/rotas", headers=staff["admin"]
    ).json()[0] | {"updated_at": body["updated_at"]}
    now = client.get(
        URL + "/on-call", params={"at": "2026-11-04T22:30:00Z"}, headers=staff["chef"]
    ).json()
    assert now["on_call"] == "alice"
    assert now["chain"] == {"joue-les-tours": ["alice", "bruno", "chef"]}
    with ctx.engine.connect() as conn:
        actions = conn.scalars(select(journal_entries.c.action)).all()
    assert actions.count("oncall.rota.write") == 2


def test_another_commune_s_supervisor_gets_404_like_a_missing_rota(
    client: TestClient, staff: dict[str, dict[str, str]]
) -> None:
    assert client.put(URL, json=ROTA, headers=staff["chef"]).status_code == 201
    theirs = staff["chef-cha"]
    for method in ("GET", "DELETE"):
        seen = client.request(method, URL, headers=theirs)
        ghost = client.request(method, "/api/rotas/nope", headers=theirs)
        assert seen.status_code == 404, method
        assert seen.text == ghost.text.replace("nope", "astreinte-jlt")
    # Taking the rota over for their own commune: 404, and it is untouched.
    takeover = ROTA | {"communes": ["chambray"], "shifts": [], "fallbacks": []}
    assert client.put(URL, json=takeover, headers=theirs).status_code == 404
    assert client.get(URL + "/on-call", headers=theirs).status_code == 404
    assert client.get("/api/rotas", headers=theirs).json() == []
    # Writing a new rota for a commune that is not theirs: as for an unknown commune.
    mine = client.put("/api/rotas/mine", json=ROTA, headers=theirs)
    assert mine.status_code == 422 and "unknown commune 'joue-les-tours'" in mine.text
    assert client.get(URL, headers=staff["chef"]).status_code == 200  # untouched
    assert client.put(URL, json=ROTA, headers=staff["agent"]).status_code == 403


@pytest.mark.parametrize(
    ("change", "loc", "words"),
    [
        ({"fallbacks": ["chef-cha"]}, ["body", "fallbacks", 0], "does not see joue-les-tours"),
        ({"fallbacks": ["admin"]}, ["body", "fallbacks", 0], "may not read incidents"),
        ({"fallbacks": ["ghost"]}, ["body", "fallbacks", 0], "unknown or disabled user"),
        ({"communes": ["joue-les-tours", "joue-les-tours"]}, ["body", "communes"], "twice"),
        ({"escalate_minutes": 0}, ["body", "escalate_minutes"], "greater than or equal"),
        (
            {"shifts": [{"days": ["mon"], "start": "25:00", "end": "06:00", "user": "alice"}]},
            ["body", "shifts", 0, "start"],
            "pattern",
        ),
        (
            {
                "overrides": [
                    {"start": "2026-11-04T12:00", "end": "2026-11-04T09:00", "user": "alice"}
                ]
            },
            ["body", "overrides", 0],
            "end must come after start",
        ),
    ],
)
def test_a_bad_rota_is_a_422_naming_the_field(
    client: TestClient, staff: dict[str, dict[str, str]], change: dict, loc: list, words: str
) -> None:
    r = client.put(URL, json=ROTA | change, headers=staff["chef"])
    assert r.status_code == 422, r.text
    (error,) = r.json()["detail"]
    assert error["loc"] == loc and words in error["msg"]


def test_a_commune_belongs_to_one_rota(
    client: TestClient, staff: dict[str, dict[str, str]]
) -> None:
    assert client.put(URL, json=ROTA, headers=staff["chef"]).status_code == 201
    r = client.put("/api/rotas/second", json=ROTA, headers=staff["chef"])
    assert r.status_code == 422 and "already covered by the rota 'astreinte-jlt'" in r.text
    assert client.delete(URL, headers=staff["chef"]).status_code == 204
    assert client.put("/api/rotas/second", json=ROTA, headers=staff["chef"]).status_code == 201


def test_contacts_are_managed_within_the_commune(
    ctx: AppContext, client: TestClient, staff: dict[str, dict[str, str]]
) -> None:
    url = "/api/users/alice/contacts"
    wanted = {
        "contacts": [
            {"channel": "email", "address": "alice@example.fr"},
            {"channel": "ntfy", "address": "alice-jlt"},
        ]
    }
    assert client.put(url, json=wanted, headers=staff["chef"]).json() == wanted["contacts"]
    assert client.get(url, headers=staff["chef"]).json() == wanted["contacts"]
    assert client.get(url, headers=staff["chef-cha"]).status_code == 404
    assert client.get("/api/users/ghost/contacts", headers=staff["chef"]).status_code == 404
    bad = {"contacts": [{"channel": "email", "address": "not-a-mailbox"}]}
    r = client.put(url, json=bad, headers=staff["chef"])
    assert r.status_code == 422 and "not a email address" in r.text
    # The agent sets her own; an administrator may not (alarm snapshots go there), a
    # colleague does not even see them.
    mine = {"contacts": [{"channel": "email", "address": "alice.perso@example.fr"}]}
    assert client.put(url, json=mine, headers=staff["alice"]).status_code == 200
    assert client.get(url, headers=staff["alice"]).json() == mine["contacts"]
    r = client.put(url, json=wanted, headers=staff["admin"])
    assert r.status_code == 403 and "supervisor of the agent's commune" in r.text
    assert client.put(url, json=wanted, headers=staff["agent"]).status_code == 404
    assert client.get(url, headers=staff["agent"]).status_code == 404
    assert client.get(url, headers=staff["chef"]).json() == mine["contacts"]
    # A webhook contact names a host the site file lists, or none can be saved.
    hook = {"contacts": [{"channel": "webhook", "address": "http://10.0.0.9/admin"}]}
    r = client.put(url, json=hook, headers=staff["alice"])
    assert r.status_code == 422 and "webhook channel is not configured" in r.text
    # Each change is journaled with the addresses before and after.
    with ctx.engine.connect() as conn:
        details = conn.scalars(
            select(journal_entries.c.detail).where(
                journal_entries.c.action == "oncall.contacts.write"
            )
        ).all()
    last = json.loads(details[-1])
    assert last["before"] == wanted["contacts"] and last["after"] == mine["contacts"]


@dataclass
class Runtime:
    notifier: Notifier


def test_attempts_test_messages_and_signed_links(
    ctx: AppContext,
    client: TestClient,
    staff: dict[str, dict[str, str]],
    smtp: tuple[int, Mailbox],
) -> None:
    clock = ctx.clock
    assert isinstance(clock, FakeClock)
    port, mailbox = smtp
    smtp_channel = SmtpChannel(
        SmtpSettings(host="127.0.0.1", port=port, sender="csu@example.fr", starttls=False)
    )
    notifier = Notifier(ctx.engine, clock, {"email": smtp_channel})
    client.app.state.oncall = Runtime(notifier)  # type: ignore[attr-defined]
    assert client.put(URL, json=ROTA, headers=staff["chef"]).status_code == 201
    contacts = {
        "contacts": [
            {"channel": "ntfy", "address": "alice-jlt"},
            {"channel": "email", "address": "alice@example.fr"},
        ]
    }
    client.put("/api/users/alice/contacts", json=contacts, headers=staff["chef"])

    # A test message goes to each contact: ntfy is not configured here, e-mail is.
    r = client.post("/api/notifications/test", json={"user": "alice"}, headers=staff["chef"])
    assert [(a["channel"], a["outcome"]) for a in r.json()] == [
        ("ntfy", "failed"),
        ("email", "sent"),
    ]
    assert "not configured" in r.json()[0]["error"]
    assert mailbox.messages[0]["Subject"] == "[Beffroi] Essai de notification Beffroi"
    assert (
        client.post(
            "/api/notifications/test", json={"user": "alice"}, headers=staff["chef-cha"]
        ).status_code
        == 404
    )

    # An incident escalated: its attempts are listed, within the commune only.
    clock.advance(timedelta(days=3, hours=14))  # Wednesday 23:00 in Paris: Alice
    staff = {n: token_for(ctx, n) for n in staff}  # the earlier sessions have expired
    incident = IncidentService(ctx.engine, clock).alarm_received(alarm(ctx.engine, clock.now()))
    links = IncidentLinks(load_or_create_secret(ctx.data_dir), "https://csu.example.fr")
    Escalation(ctx.engine, clock, notifier, links).tick()
    url = f"/api/incidents/{incident}/notifications"
    listed = client.get(url, headers=staff["alice"]).json()
    assert [(a["user"], a["step"], a["channel"], a["outcome"]) for a in listed] == [
        ("alice", 0, "ntfy", "failed"),
        ("alice", 0, "email", "sent"),
    ]
    assert all(a["address"] for a in listed)  # her own
    # A colleague of the commune sees who was tried and how it went, not where: the
    # addresses (and failures' texts, which quote them) are for those who manage on-call.
    seen = client.get(url, headers=staff["agent"]).json()
    assert [(a["user"], a["outcome"], a["address"], a["error"]) for a in seen] == [
        ("alice", "failed", None, None),
        ("alice", "sent", None, None),
    ]
    managed = client.get(url, headers=staff["chef"]).json()
    assert [a["address"] for a in managed] == [a["address"] for a in listed]
    assert client.get(url, headers=staff["chef-cha"]).status_code == 404
    assert client.get("/api/incidents/999/notifications", headers=staff["alice"]).status_code == 404

    # The mail's link names the incident for a signed-in user of the commune only.
    body = mailbox.messages[-1].get_body(("plain",)).get_content()
    token = body.split("?link=")[1].split()[0]
    opened = client.get(f"/api/incident-links/{token}", headers=staff["alice"])
    assert opened.status_code == 200 and opened.json()["incident"] == incident
    assert client.get(f"/api/incident-links/{token}").status_code == 401
    assert client.get(f"/api/incident-links/{token}", headers=staff["chef-cha"]).status_code == 404
    assert client.get(f"/api/incident-links/{token}x", headers=staff["alice"]).status_code == 404
    clock.advance(timedelta(hours=2))  # links live 120 minutes
    expired = client.get(f"/api/incident-links/{token}", headers=token_for(ctx, "alice"))
    assert expired.status_code == 410 and "expired" in expired.text
