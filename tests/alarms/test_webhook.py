"""POST /api/alarms over real HTTP handling, a real database (both backends), real API
tokens and the real journal: the signature, the window, replays, scope, the log."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from beffroi.access.permissions import Permission, Role
from beffroi.access.principal import Principal
from beffroi.access.tokens import create_token
from beffroi.alarms.inputs import AlarmInputs
from beffroi.alarms.tables import alarm_messages
from beffroi.clock import FakeClock
from beffroi.incidents.service import IncidentService
from beffroi.journal.tables import journal_entries
from beffroi.web.context import AppContext
from tests.alarms.site import SITE, load, seed
from tests.web.conftest import admin, agent, client, ctx, recorder  # noqa: F401

SECRET = "s3cr3t-key-of-the-building-management-system"
WEBHOOK = """\
  webhook:
    window_seconds: 300
    integrations:
      - {token: gtb-mairie, secret_env: TEST_WEBHOOK_SECRET}
      - {token: sans-cle, secret_env: TEST_WEBHOOK_UNSET}
"""
ADMIN = Principal(user_id=1, username="admin", role=Role.ADMIN, communes=None)


def sign(body: bytes, ts: int, secret: str = SECRET) -> str:
    """Written from the documentation, not with the receiver's helper."""
    mac = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={mac}"


@dataclass
class Hook:
    client: TestClient
    ctx: AppContext
    inputs: AlarmInputs
    token: str

    @property
    def clock(self) -> FakeClock:
        assert isinstance(self.ctx.clock, FakeClock)
        return self.ctx.clock

    def post(
        self,
        payload: dict[str, Any] | bytes,
        *,
        ts: int | None = None,
        signed_ts: int | None = None,
        secret: str = SECRET,
        token: str | None = None,
        signature: str | None = None,
    ) -> Any:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        ts = int(self.clock.now().timestamp()) if ts is None else ts
        headers = {
            "Authorization": f"Bearer {token or self.token}",
            "Content-Type": "application/json",
            "X-Beffroi-Timestamp": str(ts),
            "X-Beffroi-Signature": signature or sign(body, signed_ts or ts, secret),
        }
        return self.client.post("/api/alarms", content=body, headers=headers)

    def messages(self) -> list[dict[str, Any]]:
        webhook = self.inputs.webhook
        assert webhook is not None and webhook.message_log.wait_idle(20)
        with self.ctx.engine.connect() as conn:
            rows = conn.execute(
                select(alarm_messages)
                .where(alarm_messages.c.receiver == "webhook")
                .order_by(alarm_messages.c.id)
            )
            return [dict(r._mapping) for r in rows]


@pytest.fixture
def hook(ctx: AppContext, client: TestClient) -> Iterator[Hook]:  # noqa: F811
    clock = ctx.clock
    assert isinstance(clock, FakeClock)
    seed(ctx.engine, clock)
    token, _ = create_token(
        ctx.engine, clock, ADMIN, "gtb-mairie", [Permission.ALARM_SUBMIT], ["joue-les-tours"]
    )
    journal = client.app.state.ctx.journal  # type: ignore[attr-defined]
    service = IncidentService(ctx.engine, clock, journal, group_seconds=60)
    inputs = AlarmInputs.start(
        load(SITE + WEBHOOK),
        ctx.engine,
        clock,
        journal,
        service.alarm_received,
        environ={"TEST_WEBHOOK_SECRET": SECRET},
    )
    client.app.state.alarm_inputs = inputs  # type: ignore[attr-defined]
    yield Hook(client, ctx, inputs, token)
    inputs.stop()


ALARM = {"id": "gtb-0001", "building": "gymnase-jean-bigot", "zone": 1, "event": "BA"}


def test_a_signed_alarm_opens_an_incident_with_the_zone_cameras(
    hook: Hook,
    agent: dict[str, str],  # noqa: F811
) -> None:
    r = hook.post(ALARM | {"time": "2026-11-01T08:59:58+01:00", "text": "Porte forcée"})
    assert r.status_code == 201, r.text
    incident = r.json()["incident"]
    assert incident is not None
    listed = hook.client.get("/api/incidents", headers=agent).json()
    assert [(i["id"], i["kind"], i["zone"], i["cameras"]) for i in listed] == [
        (incident, "intrusion", 1, ["jlt-004"])
    ]
    # The same event by kind name, another id: it joins the open incident (grouping).
    r = hook.post(ALARM | {"id": "gtb-0002", "event": "intrusion", "zone": 2})
    assert r.status_code == 201 and r.json()["incident"] == incident
    # A restore is logged, and opens nothing.
    r = hook.post(ALARM | {"id": "gtb-0003", "event": "BR"})
    assert r.status_code == 201 and r.json()["incident"] is None
    rows = hook.messages()
    assert [(m["outcome"], m["transport"], m["building_id"]) for m in rows] == [
        ("accepted", "http", "gymnase-jean-bigot")
    ] * 3
    assert rows[0]["event_ms"] is not None and rows[0]["account"] == "gtb-mairie"
    assert json.loads(rows[0]["data"])["text"] == "Porte forcée"


def test_forged_stale_replayed_and_malformed_requests_are_refused_logged_and_journaled(
    hook: Hook,
) -> None:
    now = int(hook.clock.now().timestamp())
    cases = [
        (hook.post(ALARM, secret="not-the-key-of-this-integration-at-all!"), 401, "Signature"),
        (hook.post(ALARM, ts=now - 301), 401, "Timestamp"),
        (hook.post(ALARM, ts=now + 301), 401, "Timestamp"),
        # The timestamp is inside the signed text: moving it breaks the signature.
        (hook.post(ALARM, ts=now, signed_ts=now - 1), 401, "Signature"),
        (hook.post({"id": "x", "zone": 1, "event": "BA"}), 422, "building"),
        (hook.post(b"{not json"), 422, "JSON"),
        (hook.post(b'{"id": "\x00"}'), 422, "JSON"),  # logged all the same (PostgreSQL: NUL)
        (hook.post(ALARM | {"event": "boom"}), 422, "event"),
        (hook.post(ALARM | {"zone": "un"}), 422, "zone"),
        (hook.post(ALARM | {"building": "nulle-part"}), 422, "unknown 'nulle-part'"),
    ]
    # Chambray is outside the token's communes: answered like a building that does not exist.
    other = hook.post(ALARM | {"building": "mairie-chambray"})
    assert other.status_code == 422
    assert other.json()["detail"] == "building: unknown 'mairie-chambray'"
    for response, status, words in cases:
        assert response.status_code == status, response.text
        assert words in response.json()["detail"]
    first = hook.post(ALARM)
    assert first.status_code == 201
    hook.clock.advance(10)  # a captured request, sent again later with a fresh signature
    replay = hook.post(ALARM)
    assert replay.status_code == 409 and "replay" in replay.json()["detail"]
    webhook = hook.inputs.webhook
    assert webhook is not None
    assert webhook.counts == {
        "accepted": 1,
        "refused:signature": 2,
        "refused:timestamp": 2,
        "refused:building": 2,
        "refused:format": 4,
        "refused:event": 1,
        "refused:replay": 1,
    }
    rows = hook.messages()
    assert sum(m["outcome"] == "refused" for m in rows) == 12
    assert {m["reason"] for m in rows if m["outcome"] == "refused"} == {
        "signature",
        "timestamp",
        "building",
        "format",
        "event",
        "replay",
    }
    with hook.ctx.engine.connect() as conn:
        details = [
            json.loads(d)
            for d in conn.scalars(
                select(journal_entries.c.detail).where(journal_entries.c.action == "alarm.refused")
            )
        ]
    assert details and all(d["receiver"] == "webhook" for d in details)
    assert sum(d["refused"] for d in details) == 12


def test_who_may_post(hook: Hook, agent: dict[str, str]) -> None:  # noqa: F811
    # A token with the permission but no integration (no key) in the site file.
    other, _ = create_token(
        hook.ctx.engine, hook.clock, ADMIN, "inconnu", [Permission.ALARM_SUBMIT], []
    )
    r = hook.post(ALARM, token=other)
    assert r.status_code == 401 and "no webhook integration" in r.json()["detail"]
    # An integration whose key is not set is left out (and reported at start).
    assert any("sans-cle" in p for p in hook.inputs.problems)
    # A person, even an operator, does not post alarms.
    r = hook.client.post("/api/alarms", json=ALARM, headers=agent | {"X-Beffroi-Timestamp": "1"})
    assert r.status_code == 403
    # Missing headers are named.
    r = hook.client.post(
        "/api/alarms", json=ALARM, headers={"Authorization": f"Bearer {hook.token}"}
    )
    assert r.status_code == 422 and "X-Beffroi-Timestamp" in r.text


def test_not_enabled_answers_404(ctx: AppContext, client: TestClient) -> None:  # noqa: F811
    clock = ctx.clock
    assert isinstance(clock, FakeClock)
    seed(ctx.engine, clock)
    token, _ = create_token(ctx.engine, clock, ADMIN, "gtb", [Permission.ALARM_SUBMIT], [])
    headers = {
        "Authorization": f"Bearer {token}",
        "X-Beffroi-Timestamp": "0",
        "X-Beffroi-Signature": "sha256=00",
    }
    assert client.post("/api/alarms", json=ALARM, headers=headers).status_code == 404


def test_reload_swaps_keys_and_window(hook: Hook) -> None:
    site = load(SITE + WEBHOOK.replace("window_seconds: 300", "window_seconds: 30"))
    hook.inputs.reload(site, environ={"TEST_WEBHOOK_SECRET": "another-key-for-the-same-gtb-1234"})
    assert hook.post(ALARM).status_code == 401  # the old key is refused at once
    r = hook.post(ALARM, secret="another-key-for-the-same-gtb-1234")
    assert r.status_code == 201
    now = int(hook.clock.now().timestamp())
    late = hook.post(ALARM | {"id": "2"}, ts=now - 31, secret="another-key-for-the-same-gtb-1234")
    assert late.status_code == 401
