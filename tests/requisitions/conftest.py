"""Requisition tests run against the real app (tests/web/conftest.py) on both backends,
with the people of a requisition: supervisors of two communes, investigators, an auditor."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, select

from beffroi.access.sessions import open_session
from beffroi.access.tables import user_communes, users
from beffroi.journal.tables import journal_entries
from beffroi.web.context import AppContext
from tests.web.conftest import client, ctx, recorder  # noqa: F401  (fixtures)

# username -> (role, commune or None)
PEOPLE = {
    "chef": ("supervisor", "joue-les-tours"),
    "chef-cha": ("supervisor", "chambray"),
    "opj-martin": ("investigator", "joue-les-tours"),
    "opj-durand": ("investigator", "joue-les-tours"),
    "dpo": ("auditor", "joue-les-tours"),
}

Headers = dict[str, str]


@pytest.fixture
def people(ctx: AppContext, client: TestClient) -> dict[str, Headers]:  # noqa: F811
    with ctx.engine.begin() as conn:
        for name, (role, commune) in PEOPLE.items():
            uid = conn.execute(
                insert(users)
                .values(username=name, password_hash="x", role=role, disabled=False, created_ms=0)
                .returning(users.c.id)
            ).scalar_one()
            if commune:
                conn.execute(insert(user_communes).values(user_id=uid, commune_id=commune))
    return fresh_sessions(ctx)


def fresh_sessions(ctx: AppContext) -> dict[str, Headers]:  # noqa: F811
    """New sessions for everyone (after the fake clock jumped past the old ones' life)."""
    with ctx.engine.connect() as conn:
        ids = {r.username: r.id for r in conn.execute(select(users.c.username, users.c.id))}
    return {
        name: {"Authorization": f"Bearer {open_session(ctx.engine, ids[name], ctx.clock).token}"}
        for name in PEOPLE
    }


def requisition_body(**over: Any) -> dict[str, Any]:
    """The issue's minimal shape: 60-1, one hour of jlt-001 on 1 November 2026."""
    body: dict[str, Any] = {
        "authority": {"name": "Martin", "rank": "Capitaine", "service": "Commissariat de Tours"},
        "legal_basis": "60-1",
        "procedure": "2026/001234",
        "received_at": "2026-11-01T07:30:00Z",
        "items": [
            {"camera": "jlt-001", "start": "2026-11-01T06:00:00Z", "end": "2026-11-01T07:00:00Z"}
        ],
    }
    body.update(over)
    return body


@pytest.fixture
def journal(ctx: AppContext) -> Callable[[str], list[Any]]:  # noqa: F811
    def entries(action: str) -> list[Any]:
        with ctx.engine.connect() as conn:
            return list(
                conn.execute(
                    select(journal_entries)
                    .where(journal_entries.c.action == action)
                    .order_by(journal_entries.c.seq)
                )
            )

    return entries
