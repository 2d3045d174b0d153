"""The life of a requisition: received -> extracting -> delivered | no_footage | refused.

- received: recorded, its ranges held; nothing extracted yet.
- extracting: an export package was started (the export package marks it).
- delivered: handed over (to whom, when, on which medium, who signed for it). Only from
  extracting: there is nothing to hand over before a package was made.
- no_footage: closed because nothing was recorded in any requested range (the route
  checks the index before allowing it).
- refused: closed without delivery, with the reason (out of the legal scope, ranges
  already destroyed by retention before the requisition arrived, ...).

The three closing states are final. Closing does not release the holds.
"""

from __future__ import annotations

import json

RECEIVED = "received"
EXTRACTING = "extracting"
DELIVERED = "delivered"
NO_FOOTAGE = "no_footage"
REFUSED = "refused"

STATES = (RECEIVED, EXTRACTING, DELIVERED, NO_FOOTAGE, REFUSED)
CLOSED = frozenset({DELIVERED, NO_FOOTAGE, REFUSED})

TRANSITIONS: dict[str, frozenset[str]] = {
    RECEIVED: frozenset({EXTRACTING, NO_FOOTAGE, REFUSED}),
    EXTRACTING: frozenset({DELIVERED, NO_FOOTAGE, REFUSED}),
    DELIVERED: frozenset(),
    NO_FOOTAGE: frozenset(),
    REFUSED: frozenset(),
}

# French labels for the printed register.
LABELS_FR = {
    RECEIVED: "reçue",
    EXTRACTING: "extraction en cours",
    DELIVERED: "remise",
    NO_FOOTAGE: "close : pas d'enregistrement",
    REFUSED: "refusée",
}


class IllegalTransition(ValueError):
    """A transition the state machine does not allow (the API answers 409)."""

    def __init__(self, from_state: str, to_state: str, why: str | None = None) -> None:
        self.from_state = from_state
        self.to_state = to_state
        message = f"a requisition in state {from_state!r} cannot become {to_state!r}"
        if why is None and from_state in CLOSED:
            why = "it is closed"
        elif why is None and to_state == DELIVERED:
            why = "export a package first"
        super().__init__(f"{message}: {why}" if why else message)


def check_transition(from_state: str, to_state: str) -> None:
    if to_state not in TRANSITIONS.get(from_state, frozenset()):
        raise IllegalTransition(from_state, to_state)


def history_detail(detail: dict[str, object] | None) -> str | None:
    """Canonical JSON of a transition's facts (sorted keys), or None."""
    if not detail:
        return None
    return json.dumps(detail, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
