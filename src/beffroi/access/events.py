"""The hook through which authentication reports what happened, for the journal.

`access` sits above the journal in the flow, so it does not import it: the server
connects the journal with `set_recorder` at start-up. Until then events go nowhere.
A recorder that raises makes the action fail: an action that cannot be traced must
not happen (CSI R252-13).

A change of accounts (a user added, changed, disabled, unlocked; a second factor set; an
API token) is written in `change(engine)`'s transaction and reported with
`record_event(..., conn=conn)` inside it: the change and its journal entry commit
together, or neither. Attempts that change nothing but counters (a failed login) are
reported on their own.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Protocol

from sqlalchemy import Connection, Engine


class EventRecorder(Protocol):
    def __call__(
        self,
        action: str,
        username: str | None,
        source: str | None,
        outcome: str,
        detail: str | None,
        conn: Connection | None = None,
    ) -> None: ...


Transaction = Callable[[Engine], AbstractContextManager[Connection]]


def _no_op(
    action: str,
    username: str | None,
    source: str | None,
    outcome: str,
    detail: str | None,
    conn: Connection | None = None,
) -> None:
    return None


def _plain(engine: Engine) -> AbstractContextManager[Connection]:
    return engine.begin()


_recorder: EventRecorder = _no_op
_transaction: Transaction = _plain

# Actions reported; outcome is "ok", "failed" (wrong secret) or "refused" (a rule said no).
LOGIN = "auth.login"
LOCKED = "auth.locked"
LOGOUT = "auth.logout"
THROTTLED = "auth.throttled"
TOTP_ENROLL = "auth.totp_enroll"
TOTP_CONFIRM = "auth.totp_confirm"
TOTP_RESET = "auth.totp_reset"
TOTP_ENCRYPT = "auth.totp_encrypt"  # secrets stored in clear by an older version
UNLOCK = "user.unlock"
USER_ADD = "user.add"
USER_DISABLE = "user.disable"
USER_UPDATE = "user.update"  # role, communes, cameras, agent record
TOKEN_CREATE = "token.create"
TOKEN_REVOKE = "token.revoke"


def set_recorder(recorder: EventRecorder | None, transaction: Transaction | None = None) -> None:
    """Connect the journal (None disconnects it): `transaction` opens a transaction in
    which the recorder may append (on SQLite, one holding the write lock from the start)."""
    global _recorder, _transaction
    _recorder = recorder or _no_op
    _transaction = transaction or _plain


def change(engine: Engine) -> AbstractContextManager[Connection]:
    """The transaction of a change of accounts and of its `record_event(conn=...)`."""
    return _transaction(engine)


def record_event(
    action: str,
    username: str | None,
    source: str | None,
    outcome: str,
    detail: str | None = None,
    *,
    conn: Connection | None = None,
) -> None:
    """Report `action`; with `conn` (from `change`), in that transaction."""
    _recorder(action, username, source, outcome, detail, conn)
