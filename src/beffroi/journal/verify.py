"""Verification of the whole journal: every hash, every link, every seq, every checkpoint.

One pass in seq order over a server-side cursor (the DBAPI cursor itself: SQLAlchemy
row objects would cost more than the hashing). Per row the work is one dict, one C
JSON encoding and one SHA-256. Checkpoints are few (one per thousand entries) and are
loaded first, so checking them in the pass is a dict lookup.

What each tampering looks like:
- a field edited: the entry's recomputed hash differs from its stored hash (that seq);
- an entry edited and re-hashed: the next entry's prev_hash no longer matches (next seq),
  and a checkpoint at or after it no longer matches or verifies;
- a row deleted: a gap in seq (the first missing seq);
- two rows swapped: seq is hashed, so both rows fail (the lower seq is named);
- the tail deleted: the last checkpoint (or the head row) names a seq past the end;
- the head deleted: the first seq is not 1 and no sealed `journal.purge` explains it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Engine, select

from beffroi.journal.entries import GENESIS, HASHED_KEYS
from beffroi.journal.keys import fingerprint, signature_valid
from beffroi.journal.tables import journal_checkpoints, journal_head

PURGE_ACTION = "journal.purge"
MAX_PROBLEMS = 100
FETCH = 5000

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
_HASH = len(HASHED_KEYS)


@dataclass(frozen=True)
class Problem:
    seq: int
    message: str


@dataclass
class VerifyReport:
    ok: bool = True
    entries: int = 0
    first_bad_seq: int | None = None
    problems: list[Problem] = field(default_factory=list)
    first_seq: int | None = None
    last_seq: int | None = None
    checkpoints: int = 0
    last_checkpoint_seq: int | None = None
    problem_count: int = 0

    def add(self, seq: int, message: str) -> None:
        self.ok = False
        self.problem_count += 1
        if self.first_bad_seq is None or seq < self.first_bad_seq:
            self.first_bad_seq = seq
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(seq, message))

    def summary(self) -> str:
        span = f"seq {self.first_seq}..{self.last_seq}" if self.entries else "empty"
        head = f"{self.entries} entries ({span}), {self.checkpoints} checkpoints"
        if self.ok:
            return f"journal intact: {head}"
        lines = [f"journal NOT intact: first bad entry seq {self.first_bad_seq}; {head}"]
        lines += [f"  seq {p.seq}: {p.message}" for p in sorted(self.problems, key=_by_seq)]
        if self.problem_count > len(self.problems):
            lines.append(f"  … and {self.problem_count - len(self.problems)} more problems")
        return "\n".join(lines)


def _by_seq(p: Problem) -> int:
    return p.seq


def verify_journal(engine: Engine, public_key: Ed25519PublicKey | None) -> VerifyReport:
    """Check the whole chain. `public_key` None: checkpoints exist only as hashes, and
    any checkpoint present is reported as unverifiable."""
    report = VerifyReport()
    checkpoints = _load_checkpoints(engine, public_key, report)
    with engine.connect() as conn:
        head = conn.execute(select(journal_head.c.seq, journal_head.c.hash)).first()
    purges: list[tuple[int, int, str]] = []  # (purge seq, last deleted seq, its hash)
    first_prev: str | None = None
    expected = prev = None
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
                if expected is None:
                    expected, first_prev = seq, row[_PREV]
                    report.first_seq = seq
                elif seq != expected or row[_PREV] != prev:
                    _link_problem(report, seq, expected, row[_PREV], prev)
                if (
                    sha256(encode(dict(zip(keys, row, strict=False))).encode()).hexdigest()
                    != stored
                ):
                    report.add(seq, "content does not match its hash: the entry was altered")
                if seq in checkpoints and checkpoints.pop(seq) != stored:
                    report.add(seq, "differs from the signed checkpoint at this seq")
                if row[_ACTION] == PURGE_ACTION:
                    purges.append(_purge_anchor(report, seq, row[_DETAIL]))
                prev, expected = stored, seq + 1
            n += len(rows)
        report.entries = n
    finally:
        raw.close()
    report.last_seq = None if expected is None else expected - 1
    _check_start(report, first_prev, purges)
    _check_tail(report, checkpoints, head, prev)
    return report


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
    report: VerifyReport, left: dict[int, str], head: Any, last_hash: str | None
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
    elif int(head.seq) > last:
        report.add(last + 1, f"entries after seq {last} missing: the head says {head.seq}")
    elif int(head.seq) < last or (last and head.hash != last_hash):
        report.add(last, "the journal_head row does not match the last entry")


def _load_checkpoints(
    engine: Engine, public_key: Ed25519PublicKey | None, report: VerifyReport
) -> dict[int, str]:
    with engine.connect() as conn:
        rows = conn.execute(select(journal_checkpoints).order_by(journal_checkpoints.c.seq)).all()
    expected_fp = fingerprint(public_key) if public_key is not None else None
    found: dict[int, str] = {}
    for row in rows:
        report.checkpoints += 1
        report.last_checkpoint_seq = row.seq
        if public_key is None:
            report.add(row.seq, "checkpoint cannot be verified: the installation key is missing")
        elif row.key_fingerprint != expected_fp:
            report.add(row.seq, "checkpoint signed by another key")
        elif not signature_valid(public_key, row.seq, row.hash, row.time_ms, row.signature):
            report.add(row.seq, "checkpoint signature is invalid: the checkpoint was altered")
        found[row.seq] = row.hash
    return found
