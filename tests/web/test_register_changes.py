"""A register change commits only with its journal entry, and routes have no other way
to write: through the real app's journal, on both databases."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, insert, select
from starlette.requests import Request

from beffroi.access.permissions import Role
from beffroi.access.principal import Principal
from beffroi.journal.http import UnjournaledChangeError, register_change
from beffroi.journal.tables import journal_entries as journal
from beffroi.site.tables import conventions
from beffroi.web.context import AppContext

ROUTES = Path(__file__).parents[2] / "src" / "beffroi" / "web" / "routes"

# Routes that may open a transaction of their own, and why none of them is a register.
OWN_TRANSACTIONS = {
    "layouts.py": "a user's own wall layouts: preferences, no footage, nothing to trace",
}


def _request(client: TestClient) -> Request:
    return Request({"type": "http", "app": client.app, "client": ("127.0.0.1", 5000)})


def _principal() -> Principal:
    return Principal(user_id=0, username="supervisor-test", role=Role.SUPERVISOR, communes=None)


def _count(ctx: AppContext, table) -> int:  # type: ignore[no-untyped-def]
    with ctx.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_a_change_without_its_entry_is_rolled_back(ctx: AppContext, client: TestClient) -> None:
    entries = _count(ctx, journal)
    refused = pytest.raises(UnjournaledChangeError)
    with refused, register_change(_request(client), _principal()) as change:
        change.conn.execute(insert(conventions).values(id="csu-x", name="X", updated_ms=0))
    assert _count(ctx, conventions) == 0
    assert _count(ctx, journal) == entries


def test_a_change_and_its_entry_commit_together(ctx: AppContext, client: TestClient) -> None:
    entries = _count(ctx, journal)
    with register_change(_request(client), _principal()) as change:
        change.conn.execute(insert(conventions).values(id="csu-y", name="Y", updated_ms=0))
        change.journal("convention.write", detail={"convention": "csu-y"})
    assert _count(ctx, conventions) == 1
    with ctx.engine.connect() as conn:
        last = conn.execute(select(journal).order_by(journal.c.seq.desc()).limit(1)).one()
    assert (last.action, last.username) == ("convention.write", "supervisor-test")
    assert _count(ctx, journal) == entries + 1


def test_an_error_after_the_entry_rolls_both_back(ctx: AppContext, client: TestClient) -> None:
    entries = _count(ctx, journal)
    refused = pytest.raises(RuntimeError, match="refused")
    with refused, register_change(_request(client), _principal()) as change:
        change.conn.execute(insert(conventions).values(id="csu-z", name="Z", updated_ms=0))
        change.journal("convention.write", detail={"convention": "csu-z"})
        raise RuntimeError("refused")
    assert _count(ctx, conventions) == 0
    assert _count(ctx, journal) == entries


def _opens_own_transaction(tree: ast.AST) -> list[int]:
    """Lines calling `<anything>.engine.begin()` or `journal.transaction()` directly."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
            if (node.func.attr, name) in {("begin", "engine"), ("transaction", "journal")}:
                found.append(node.lineno)
    return found


def test_routes_write_registers_only_through_register_change() -> None:
    offenders = {
        path.name: lines
        for path in sorted(ROUTES.glob("*.py"))
        if path.name not in OWN_TRANSACTIONS
        and (lines := _opens_own_transaction(ast.parse(path.read_text())))
    }
    assert offenders == {}, (
        "routes that open a transaction of their own: write through "
        "beffroi.journal.http.register_change, or add the file to OWN_TRANSACTIONS with why"
    )
    for name in OWN_TRANSACTIONS:  # the allowance is still needed, or it goes
        assert _opens_own_transaction(ast.parse((ROUTES / name).read_text())), name
