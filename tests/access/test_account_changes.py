"""An account change and its journal entry commit together, or neither: through the
installation's real journal, on both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from beffroi.access import accounts, events, tokens
from beffroi.access.permissions import Permission, Role
from beffroi.access.tables import api_tokens, users
from beffroi.access.users import create_user, load_principal
from beffroi.clock import FakeClock
from beffroi.journal.chain import locked_chain
from beffroi.journal.http import connect_access_events
from beffroi.journal.service import Journal
from beffroi.journal.tables import journal_entries
from beffroi.journal.verify import verify_journal
from tests.access.helpers import PW, make_user, seed_communes


class JournalDown(RuntimeError):
    pass


def _failing(*_args: object, **_kw: object) -> None:
    raise JournalDown("the journal cannot write")


def _actions(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        rows = conn.execute(select(journal_entries.c.action).order_by(journal_entries.c.seq))
        return list(rows.scalars())


def _user(engine: Engine, name: str):  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return conn.execute(select(users).where(users.c.username == name)).first()


def test_changes_are_journaled_with_them(engine: Engine, clock: FakeClock, tmp_path: Path) -> None:
    seed_communes(engine)
    journal = Journal.open(engine, clock, tmp_path)
    connect_access_events(journal)
    make_user(engine, clock, "agent")
    accounts.update_user(engine, "agent", {"role": "supervisor"}, "admin", "10.0.0.9")
    accounts.set_disabled(engine, "agent", True, "admin", "10.0.0.9")
    assert _actions(engine) == ["user.add", "user.update", "user.disable"]
    assert journal.key is not None
    assert verify_journal(engine, journal.key.public_key(), policy=None).ok


def test_a_change_the_journal_cannot_record_does_not_happen(
    engine: Engine, clock: FakeClock
) -> None:
    seed_communes(engine)
    admin_id = make_user(engine, clock, "admin-1", role="admin", communes=())
    make_user(engine, clock, "agent")
    events.set_recorder(_failing, transaction=locked_chain)
    with pytest.raises(JournalDown):
        create_user(engine, "newcomer", PW, "operator", ["joue-les-tours"], clock, is_police=True)
    assert _user(engine, "newcomer") is None
    with pytest.raises(JournalDown):
        accounts.update_user(engine, "agent", {"role": Role.SUPERVISOR.value}, "admin", None)
    assert _user(engine, "agent").role == "operator"
    with pytest.raises(JournalDown):
        accounts.set_disabled(engine, "agent", True, "admin", None)
    assert not _user(engine, "agent").disabled
    with engine.connect() as conn:
        creator = load_principal(conn, admin_id, clock)
    assert creator is not None
    with pytest.raises(JournalDown):
        tokens.create_token(engine, clock, creator, "vms", [Permission.CAMERA_LIST.value], [])
    with engine.connect() as conn:
        assert conn.execute(select(api_tokens)).first() is None
