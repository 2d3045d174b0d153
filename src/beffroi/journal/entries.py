"""Journal entries and their canonical serialisation.

The hash of an entry is `sha256(canonical(entry)).hexdigest()`, where `canonical` is
the UTF-8 encoding of a JSON object with exactly these keys, sorted, no whitespace:

    action, camera, commune, communes, detail, end_ms, outcome, prev_hash, role, seq,
    source, start_ms, time_ms, user_id, username

i.e. Python's `json.dumps(obj, sort_keys=True, separators=(",", ":"),
ensure_ascii=False).encode("utf-8")`. Every value is a JSON string, an integer or
null: times are integer milliseconds since the Unix epoch (UTC), never floats, so the
text is identical on every platform. `detail` is the stored JSON *text* (itself
canonical: sorted keys, no whitespace), hashed as a string so verification never
re-parses it. `prev_hash` is the previous entry's hash, or 64 zeros for seq 1.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

GENESIS = "0" * 64

OUTCOMES = frozenset({"ok", "denied", "not_found", "error"})

# The actions Beffroi writes; `append` accepts any dotted lower-case name, so a new
# route can journal a new action without touching this list.
ACTIONS = frozenset(
    {
        "auth.login",
        "auth.login_failed",
        "auth.logout",
        "auth.locked",
        "live.start",
        "live.stop",
        "recording.read",
        "snapshot.read",
        "export.create",
        "hold.place",
        "hold.release",
        "user.create",
        "user.update",
        "site.apply",
        "journal.read",
        "journal.export",
        "journal.purge",
        "journal.checkpoint",
        "request.denied",
    }
)

# Sorted: the order of the canonical object. The verifier selects columns in this order.
HASHED_KEYS = (
    "action",
    "camera",
    "commune",
    "communes",
    "detail",
    "end_ms",
    "outcome",
    "prev_hash",
    "role",
    "seq",
    "source",
    "start_ms",
    "time_ms",
    "user_id",
    "username",
)
assert list(HASHED_KEYS) == sorted(HASHED_KEYS)

# The C encoder, keys in insertion order: with dicts built in HASHED_KEYS order this is
# exactly `sort_keys=True`, without sorting each time (the verifier's hot loop).
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
ALL_COMMUNES = "*"


def canonical_detail(detail: Mapping[str, Any] | None) -> str | None:
    if detail is None:
        return None
    return json.dumps(detail, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def communes_text(communes: Iterable[str] | None) -> str:
    """',a,b,' (sorted, delimited at both ends so a LIKE '%,a,%' matches one commune);
    '*' for a principal whose scope is every commune."""
    if communes is None:
        return ALL_COMMUNES
    items = sorted(set(communes))
    return "," + ",".join(items) + "," if items else ""


def communes_list(text: str | None) -> list[str] | None:
    """The inverse of `communes_text`; None means every commune."""
    if text == ALL_COMMUNES:
        return None
    return [c for c in (text or "").split(",") if c]


@dataclass(frozen=True, slots=True)
class NewEntry:
    """What happened, as a route or a command reports it. Seq, time and hashes are
    assigned by `append` under the chain's lock."""

    action: str
    outcome: str = "ok"
    user_id: int | None = None
    username: str | None = None
    role: str | None = None
    communes: str | None = None  # as `communes_text` writes it
    source: str | None = None
    camera: str | None = None
    commune: str | None = None  # the camera's commune; looked up by `append` when None
    start_ms: int | None = None
    end_ms: int | None = None
    detail: str | None = None  # as `canonical_detail` writes it

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {sorted(OUTCOMES)}: {self.outcome!r}")
        if not self.action or not self.action.replace("_", "").replace(".", "").isalnum():
            raise ValueError(f"action must be a dotted name: {self.action!r}")


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """An entry as stored: a `NewEntry` plus its place in the chain."""

    seq: int
    time_ms: int
    action: str
    outcome: str
    user_id: int | None
    username: str | None
    role: str | None
    communes: str | None
    source: str | None
    camera: str | None
    commune: str | None
    start_ms: int | None
    end_ms: int | None
    detail: str | None
    prev_hash: str
    hash: str

    def hashed_values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, k) for k in HASHED_KEYS)


def canonical(values: Iterable[Any]) -> bytes:
    """The canonical bytes of an entry given its values in `HASHED_KEYS` order."""
    return _encode(dict(zip(HASHED_KEYS, values, strict=True))).encode("utf-8")


def entry_hash(values: Iterable[Any]) -> str:
    return hashlib.sha256(canonical(values)).hexdigest()


def seal(
    entry: NewEntry, seq: int, time_ms: int, prev_hash: str, commune: str | None
) -> JournalEntry:
    """The stored form of `entry` at `seq`, its hash computed."""
    draft = JournalEntry(
        seq=seq,
        time_ms=time_ms,
        action=entry.action,
        outcome=entry.outcome,
        user_id=entry.user_id,
        username=entry.username,
        role=entry.role,
        communes=entry.communes,
        source=entry.source,
        camera=entry.camera,
        commune=commune,
        start_ms=entry.start_ms,
        end_ms=entry.end_ms,
        detail=entry.detail,
        prev_hash=prev_hash,
        hash="",
    )
    return replace(draft, hash=entry_hash(draft.hashed_values()))
