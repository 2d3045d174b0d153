"""The hook through which authentication reports what happened, for the journal.

`access` sits above the journal in the flow, so it does not import it: the server
connects the journal with `set_recorder` at start-up. Until then events go nowhere.
A recorder that raises makes the action fail: an action that cannot be traced must
not happen (CSI R252-13).
"""

from __future__ import annotations

from typing import Protocol


class EventRecorder(Protocol):
    def __call__(
        self,
        action: str,
        username: str | None,
        source: str | None,
        outcome: str,
        detail: str | None,
    ) -> None: ...


def _no_op(
    action: str, username: str | None, source: str | None, outcome: str, detail: str | None
) -> None:
    return None


_recorder: EventRecorder = _no_op

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


def set_recorder(recorder: EventRecorder | None) -> None:
    """Connect the journal (None disconnects it)."""
    global _recorder
    _recorder = recorder or _no_op


def record_event(
    action: str,
    username: str | None,
    source: str | None,
    outcome: str,
    detail: str | None = None,
) -> None:
    _recorder(action, username, source, outcome, detail)
