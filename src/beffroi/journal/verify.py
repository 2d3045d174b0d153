"""Verification of the whole journal: every hash, every link, every seq, every checkpoint.

One pass in seq order over a server-side cursor (the DBAPI cursor itself: SQLAlchemy
row objects would cost more than the hashing). Per row the work is one dict, one C
JSON encoding and one SHA-256. Checkpoints are few (one per thousand entries, one per
ten minutes of activity) and are loaded first, so checking them in the pass is a dict
lookup and two integer comparisons.

What each tampering looks like:
- a field edited: the entry's recomputed hash differs from its stored hash (that seq);
- an entry edited and re-hashed: the next entry's prev_hash no longer matches (next seq),
  and a checkpoint at or after it no longer matches or verifies;
- an entry edited, the chain re-hashed after it and the checkpoints that no longer match
  deleted: the checkpoints the policy must have written are missing (`CheckpointPolicy`:
  every `every_entries` seq, and one at the time of any entry appended `every` or more
  after the previous checkpoint), and the head's signature no longer matches;
- a row deleted: a gap in seq (the first missing seq);
- two rows swapped: seq is hashed, so both rows fail (the lower seq is named);
- the tail deleted: the last checkpoint (or the head row) names a seq past the end; the
  head rewound too: its signature (every append signs it) no longer verifies;
- the head deleted: the first seq is not 1 and no sealed `journal.purge` explains it;
- the key swapped (a key file replaced, the chain re-signed): the pinned fingerprint
  (`fingerprint=`, `journal verify --fingerprint`) is not the key's;
- a consistent older state restored (tail, checkpoints and a recorded head all rolled
  back by someone who kept them): only a copy published outside the database shows it
  (`published=`, `journal verify --against FILE`): a published seq is past the end, or
  its hash or signature differs.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Engine, select

from beffroi.clock import from_ms
from beffroi.journal.chain import DEFAULT_POLICY, CheckpointPolicy
from beffroi.journal.entries import GENESIS, HASHED_KEYS
from beffroi.journal.keys import fingerprint
from beffroi.journal.published import PublishedCopy
from beffroi.journal.tables import journal_head
from beffroi.journal.verify_seals import (
    Sealed,
    VerifyReport,
    check_head_signature,
    check_published_copy,
    check_published_left,
    load_checkpoints,
    met_published,
)

PURGE_ACTION = "journal.purge"
FETCH = 5000
_NEVER = 1 << 62  # a time (ms) no entry reaches

# Columns in HASHED_KEYS order, then the stored hash.
_COLUMNS = {"camera": "camera_id", "commune": "commune_id"}
_SELECT = (
    "SELECT "
    + ", ".join(_COLUMNS.get(k, k) for k in HASHED_KEYS)
    + ", hash FROM journal_entries ORDER BY seq"
)
_SEQ = HASHED_KEYS.index("seq")
_PREV = HASHED_KEYS.index("prev_hash")
_ACTION = HASHED_KEYS.index("action")
_DETAIL = HASHED_KEYS.index("detail")
_TIME = HASHED_KEYS.index("time_ms")
_HASH = len(HASHED_KEYS)


def verify_journal(
    engine: Engine,
    public_key: Ed25519PublicKey | None,
    *,
    policy: CheckpointPolicy | None = DEFAULT_POLICY,
    pinned_fingerprint: str | None = None,
    published: PublishedCopy | None = None,
) -> VerifyReport:
    """Check the whole chain. `public_key` None: signatures cannot be checked, and any
    checkpoint (or signed head) present is reported as unverifiable.

    `policy`: the checkpoints the appenders write; each one missing is reported (None
    checks only the checkpoints present). `pinned_fingerprint`: the key's fingerprint as
    published; `public_key` must be that key, and every signature by it.
    `published`: a copy of the checkpoints kept outside the database, compared seq by
    seq."""
    report = VerifyReport()
    trusted = _trusted_key(report, public_key, pinned_fingerprint)
    checkpoints = load_checkpoints(engine, trusted, report)
    pub = check_published_copy(report, published, checkpoints, trusted)
    with engine.connect() as conn:
        head = conn.execute(select(journal_head)).first()
    every = policy.every_ms if policy is not None and policy.every_ms > 0 else _NEVER
    grace = policy.grace_ms if policy is not None else 0
    order = sorted(checkpoints)  # seqs
    times = [checkpoints[s].time_ms for s in order]
    n_cp = len(order)
    hashes = {s: c.hash for s, c in checkpoints.items()}
    purges: list[tuple[int, int, str]] = []  # (purge seq, last deleted seq, its hash)
    first_prev: str | None = None
    expected = prev = None
    i = 0  # index in `order` of the first checkpoint at or after the current seq
    next_cp = deadline = _NEVER
    since_ms = 0  # time of the checkpoint before the current seq (or of the first entry)
    gap_reported = False
    raw = engine.raw_connection()
    try:
        cursor = _stream(raw, engine.dialect.name)
        cursor.execute(_SELECT)
        sha256 = hashlib.sha256
        encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
        keys = HASHED_KEYS
        n = 0
        while rows := cursor.fetchmany(FETCH):
            for row in rows:
                seq = row[_SEQ]
                stored = row[_HASH]
                t = row[_TIME]
                if expected is None:
                    expected, first_prev = seq, row[_PREV]
                    report.first_seq = seq
                    next_cp = -1  # find the checkpoints around the first entry below
                    since_ms = t
                elif seq != expected or row[_PREV] != prev:
                    _link_problem(report, seq, expected, row[_PREV], prev)
                if (
                    sha256(encode(dict(zip(keys, row, strict=False))).encode()).hexdigest()
                    != stored
                ):
                    report.add(seq, "content does not match its hash: the entry was altered")
                if seq in hashes and hashes.pop(seq) != stored:
                    report.add(seq, "differs from the signed checkpoint at this seq")
                if pub and seq in pub:
                    met_published(report, seq, stored, *pub.pop(seq))
                if seq > next_cp:  # past a checkpoint: it is the previous one now
                    while i < n_cp and order[i] < seq:
                        since_ms = times[i]
                        i += 1
                    next_cp = order[i] if i < n_cp else _NEVER
                    deadline = since_ms + every + grace
                    gap_reported = False
                if t > deadline and not gap_reported and (i >= n_cp or times[i] > t + grace):
                    gap_reported = True
                    _missing_in_time(report, seq, t, since_ms, policy)
                if row[_ACTION] == PURGE_ACTION:
                    purges.append(_purge_anchor(report, seq, row[_DETAIL]))
                prev, expected = stored, seq + 1
            n += len(rows)
        report.entries = n
    finally:
        raw.close()
    report.last_seq = None if expected is None else expected - 1
    _check_start(report, first_prev, purges)
    _check_tail(report, hashes, head, prev, trusted)
    if policy is not None:
        _check_every_n(report, checkpoints, policy)
    if pub:
        check_published_left(report, pub)
    return report


def _trusted_key(
    report: VerifyReport, public_key: Ed25519PublicKey | None, pinned: str | None
) -> Ed25519PublicKey | None:
    """The key signatures are checked against: `public_key`, unless a pinned fingerprint
    says it is not the installation's."""
    actual = fingerprint(public_key) if public_key is not None else None
    report.key_fingerprint = pinned or actual
    if pinned is None:
        return public_key
    if public_key is None:
        report.add_general(
            f"no installation key to check the signatures by the pinned key SHA256:{pinned}"
        )
        return None
    if actual != pinned:
        report.add_general(
            f"the installation key is SHA256:{actual}, not the pinned SHA256:{pinned}: "
            "its signatures prove nothing"
        )
        return None
    return public_key


def _stream(raw: Any, dialect: str) -> Any:
    if dialect == "postgresql":
        # A named cursor is a server-side cursor: rows arrive in batches, not all at once.
        cursor = raw.cursor(name="beffroi_journal_verify")
        cursor.itersize = FETCH
        return cursor
    return raw.cursor()


def _link_problem(report: VerifyReport, seq: int, expected: int, got: str, prev: Any) -> None:
    if seq < expected:
        report.add(seq, f"out of order after seq {expected - 1}")
    elif seq > expected:
        missing = f"{expected}" if seq == expected + 1 else f"{expected}..{seq - 1}"
        report.add(expected, f"entries missing: seq {missing} deleted")
    else:
        report.add(seq, f"prev_hash does not match the hash of seq {seq - 1}: one was rewritten")


def _duration(ms: int) -> str:
    minutes = ms // 60_000
    if minutes < 120:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h {minutes % 60:02d}"
    return f"{minutes // 1440} days"


def _missing_in_time(
    report: VerifyReport, seq: int, t: int, since_ms: int, policy: CheckpointPolicy | None
) -> None:
    every = _duration(policy.every_ms) if policy is not None else "?"
    report.missing_checkpoints += 1
    report.add(
        seq,
        f"checkpoint missing: appended {_duration(t - since_ms)} after the previous "
        f"checkpoint ({from_ms(since_ms).isoformat()}), and not sealed then (the policy "
        f"seals at least every {every}): checkpoints were deleted",
    )


def _check_every_n(
    report: VerifyReport, checkpoints: dict[int, Sealed], policy: CheckpointPolicy
) -> None:
    n = policy.every_entries
    if n <= 0 or report.first_seq is None or report.last_seq is None:
        return
    first = -(-report.first_seq // n) * n
    for seq in range(first, report.last_seq + 1, n):
        if seq not in checkpoints:
            report.missing_checkpoints += 1
            report.add(
                seq,
                f"checkpoint missing: the policy seals every {n}th entry; it was deleted",
            )


def _purge_anchor(report: VerifyReport, seq: int, detail: str | None) -> tuple[int, int, str]:
    try:
        data = json.loads(detail or "")
        return seq, int(data["last_seq"]), str(data["last_hash"])
    except (ValueError, KeyError, TypeError):
        report.add(seq, "journal.purge entry without a readable last_seq/last_hash")
        return seq, -1, ""


def _check_start(
    report: VerifyReport, first_prev: str | None, purges: list[tuple[int, int, str]]
) -> None:
    first = report.first_seq
    if first is None:
        return
    if first == 1:
        if first_prev != GENESIS:
            report.add(1, "the first entry does not start the chain (prev_hash is not zero)")
        return
    anchors = [(last, h) for _, last, h in purges if last == first - 1]
    if not anchors:
        before = [last for _, last, _h in purges if last < first - 1]
        missing_from = max(before, default=0) + 1
        report.add(
            missing_from,
            f"entries {missing_from}..{first - 1} missing and no sealed journal.purge "
            "records their deletion",
        )
    elif all(h != first_prev for _, h in anchors):
        report.add(first, "prev_hash does not match the last entry the purge deleted")


def _check_tail(
    report: VerifyReport,
    left: dict[int, str],
    head: Any,
    last_hash: str | None,
    key: Ed25519PublicKey | None,
) -> None:
    last = report.last_seq or 0
    beyond = sorted(s for s in left if s > last)
    if beyond:
        report.add(
            last + 1,
            f"entries after seq {last} missing: a signed checkpoint seals seq {beyond[-1]}",
        )
    for seq in sorted(s for s in left if s <= last and s >= (report.first_seq or 0)):
        report.add(seq, "a signed checkpoint names this seq but the entry is missing")
    if head is None:
        report.add(last + 1, "the journal_head row is missing")
        return
    if int(head.seq) > last:
        report.add(last + 1, f"entries after seq {last} missing: the head says {head.seq}")
    elif int(head.seq) < last or (last and head.hash != last_hash):
        report.add(last, "the journal_head row does not match the last entry")
    elif last:
        check_head_signature(report, head, key, last)
