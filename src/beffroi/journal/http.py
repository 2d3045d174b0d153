"""The one-line helper route handlers call to journal what they did.

    journal_action(request, principal, "recording.read", camera=camera_id,
                   start_ms=start_ms, end_ms=end_ms)

It reads the process's `Journal` from `request.app.state.journal` (installed by
`beffroi.web.routes.journal.install`), fills in who (user, role, communes), from where
(the client address) and when (the journal's clock, under the chain's lock), and looks
up the camera's commune. It fails closed: if the entry cannot be written the route
fails (500) and the footage is not served, because an unjournaled viewing is what
the law forbids.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import Connection
from starlette.requests import Request

from beffroi.access.events import EventRecorder
from beffroi.access.principal import Principal
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
    conn: Connection | None = None,
) -> JournalEntry | None:
    """Journal `action` by `principal` for this request. Call it from sync route
    handlers (FastAPI runs them in a thread); from async code, use
    `starlette.concurrency.run_in_threadpool`. Pass `commune` when the route already
    loaded the camera: it saves the lookup. Pass `conn` (from `journal_transaction`)
    when the action changes a register: the change and its entry commit together."""
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


def journal_transaction(request: Request) -> AbstractContextManager[Connection]:
    """The transaction in which a route changes a legal register (requisitions, holds,
    deliveries, incident states) and journals it: a journal failure rolls the change
    back, so no register change is ever left without its trace."""
    return app_journal(request).transaction()


def access_event_recorder(journal: Journal) -> EventRecorder:
    """Bridge `beffroi.access.events` (which may not import the journal) to `journal`:
    logins, failures, lockouts, TOTP and user changes become journal entries."""

    def record(
        action: str, username: str | None, source: str | None, outcome: str, detail: str | None
    ) -> None:
        journal.record(
            principal_entry(
                None,
                action,
                source=source,
                outcome="ok" if outcome == "ok" else "denied",
                detail={"outcome": outcome, "detail": detail} if detail else {"outcome": outcome},
                username=username,
            )
        )

    return record
