"""The incident state machine, without I/O: new -> notified -> acknowledged -> closed.

`notified` is set by the notification service (not yet built) once the on-call person
was reached; an agent at the screen may acknowledge a `new` incident directly. Closing
needs an acknowledgement first, so every closed incident says who took it in charge.
"""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    NEW = "new"
    NOTIFIED = "notified"
    ACKNOWLEDGED = "acknowledged"
    CLOSED = "closed"


class Disposition(StrEnum):
    FALSE_ALARM = "false_alarm"
    TECHNICAL_FAULT = "technical_fault"
    CONFIRMED_INTRUSION = "confirmed_intrusion"  # police called at HH:MM
    OTHER = "other"


class Action(StrEnum):
    NOTIFY = "notify"
    ACKNOWLEDGE = "acknowledge"
    CLOSE = "close"


# action -> (states it may start from, state it leads to)
TRANSITIONS: dict[Action, tuple[frozenset[State], State]] = {
    Action.NOTIFY: (frozenset({State.NEW}), State.NOTIFIED),
    Action.ACKNOWLEDGE: (frozenset({State.NEW, State.NOTIFIED}), State.ACKNOWLEDGED),
    Action.CLOSE: (frozenset({State.ACKNOWLEDGED}), State.CLOSED),
}

OPEN_STATES = frozenset({State.NEW, State.NOTIFIED, State.ACKNOWLEDGED})


class IllegalTransitionError(Exception):
    def __init__(self, current: State, action: Action) -> None:
        super().__init__(f"cannot {action.value} an incident that is {current.value}")
        self.current = current
        self.action = action


def next_state(current: State, action: Action) -> State:
    sources, target = TRANSITIONS[action]
    if current not in sources:
        raise IllegalTransitionError(current, action)
    return target
