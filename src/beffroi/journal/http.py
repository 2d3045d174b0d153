"""How route handlers journal what they did: two helpers, one for reading, one for
changing.

    journal_action(request, principal, "recording.read", camera=camera_id,
                   start_ms=start_ms, end_ms=end_ms)

    with register_change(request, principal) as change:
        hold_id = place_hold_in(change.conn, ...)
        change.journal("hold.place", camera=camera_id, detail={"hold": hold_id})

A change of a legal register (requisitions, holds, deliveries, incidents, on-call) is
written only in `register_change`'s transaction, and that transaction commits only if
the change journaled what it did: the entry and the change commit together, or neither
(`tests/web/test_register_changes.py` also checks that no route opens a transaction of
its own).

It reads the process's `Journal` from `request.app.state.journal` (installed by
`beffroi.web.routes.journal.install`), fills in who (user, role, communes), from where
(the client address) and when (the journal's clock, under the chain's lock), and looks
up the camera's commune. It fails closed: if the entry cannot be written the route
fails (500) and the footage is not served, because an unjournaled viewing is what
the law forbids.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection
from starlette.requests import Request

from beffroi.access.events import EventRecorder, set_recorder
from beffroi.access.principal import Principal
from beffroi.journal.chain import locked_chain
from beffroi.journal.entries import JournalEntry, NewEntry, canonical_detail, communes_text
from beffroi.journal.service import Journal


class JournalNotInstalledError(RuntimeError):
    pass


def app_journal(request: Request) -> Journal:
    journal = getattr(request.app.state, "journal", None)
    if not isinstance(journal, Journal):
        raise JournalNotInstalledError("no journal on this app: call journal.install(app)")
    return journal


def client_address(request: Request) -> str | None:
    return request.client.host[:64] if request.client else None


def principal_entry(
    principal: Principal | None,
    action: str,
    *,
    source: str | None = None,
    camera: str | None = None,
    commune: str | None = None,
    start_ms: int | None = None,
    end_ms: int | None = None,
    outcome: str = "ok",
    detail: Mapping[str, Any] | None = None,
    username: str | None = None,
) -> NewEntry:
    """An entry by `principal` (None: an anonymous actor, e.g. a failed login, whose
    typed `username` is recorded as given)."""
    return NewEntry(
        action=action,
        outcome=outcome,
        user_id=principal.user_id if principal else None,
        username=principal.username if principal else username,
        role=principal.role.value if principal else None,
        communes=communes_text(principal.communes) if principal else None,
        source=source,
        camera=camera,
        commune=commune,
        start_ms=start_ms,
        end_ms=end_ms,
        detail=canonical_detail(detail),
    )


def journal_action(
    request: Request,
    principal: Principal | None,
    action: str,
    *,
    camera: str | None = None,
    commune: str | None = None,
    start_ms: int | None = None,
    end_ms: int | None = None,
    outcome: str = "ok",
    detail: Mapping[str, Any] | None = None,
    username: str | None = None,
) -> JournalEntry | None:
    """Journal `action` by `principal` for this request, in a transaction of its own:
    for what changes nothing (viewing, reading); a change goes through
    `register_change`. Call it from sync route handlers (FastAPI runs them in a
    thread); from async code, use `starlette.concurrency.run_in_threadpool`. Pass
    `commune` when the route already loaded the camera: it saves the lookup."""
    return _record(
        request, principal, action, camera=camera, commune=commune, start_ms=start_ms,
        end_ms=end_ms, outcome=outcome, detail=detail, username=username, conn=None,
    )  # fmt: skip


def _record(
    request: Request,
    principal: Principal | None,
    action: str,
    *,
    camera: str | None,
    commune: str | None,
    start_ms: int | None,
    end_ms: int | None,
    outcome: str,
    detail: Mapping[str, Any] | None,
    username: str | None,
    conn: Connection | None,
) -> JournalEntry | None:
    entry = principal_entry(
        principal,
        action,
        source=client_address(request),
        camera=camera,
        commune=commune,
        start_ms=start_ms,
        end_ms=end_ms,
        outcome=outcome,
        detail=detail,
        username=username,
    )
    return app_journal(request).record(entry, conn)


class UnjournaledChangeError(RuntimeError):
    """A register change that journaled nothing: rolled back, never committed."""


class RegisterChange:
    """A change of a legal register in progress: the transaction to write it in, and
    its journal entries, written in the same transaction."""

    def __init__(self, request: Request, principal: Principal, conn: Connection) -> None:
        self.conn = conn
        self._request = request
        self._principal = principal
        self.entries = 0

    def journal(
        self,
        action: str,
        *,
        camera: str | None = None,
        commune: str | None = None,
        start_ms: int | None = None,
        end_ms: int | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> JournalEntry | None:
        """Journal what the change did, by the request's principal (outcome ok)."""
        self.entries += 1
        return _record(
            self._request, self._principal, action, camera=camera, commune=commune,
            start_ms=start_ms, end_ms=end_ms, outcome="ok", detail=detail, username=None,
            conn=self.conn,
        )  # fmt: skip


@contextmanager
def register_change(request: Request, principal: Principal) -> Iterator[RegisterChange]:
    """The transaction in which a route changes a legal register and journals it. It
    commits only if the block journaled at least one entry (`change.journal`); an
    exception, a journal failure or a change without an entry rolls everything back.
    On SQLite it takes the write lock at once, as journal appends need."""
    with app_journal(request).transaction() as conn:
        change = RegisterChange(request, principal, conn)
        yield change
        if change.entries == 0:
            raise UnjournaledChangeError("a register change must journal what it did")


def access_event_recorder(journal: Journal) -> EventRecorder:
    """Bridge `beffroi.access.events` (which may not import the journal) to `journal`:
    logins, failures, lockouts, TOTP and user changes become journal entries, in the
    change's transaction when it gives one. Connect it with `connect_access_events`."""

    def record(
        action: str,
        username: str | None,
        source: str | None,
        outcome: str,
        detail: str | None,
        conn: Connection | None = None,
    ) -> None:
        journal.record(
            principal_entry(
                None,
                action,
                source=source,
                outcome="ok" if outcome == "ok" else "denied",
                detail={"outcome": outcome, "detail": detail} if detail else {"outcome": outcome},
                username=username,
            ),
            conn,
        )

    return record


def connect_access_events(journal: Journal) -> None:
    """Journal access events in `journal`, each account change in its own transaction."""
    set_recorder(access_event_recorder(journal), transaction=locked_chain)
