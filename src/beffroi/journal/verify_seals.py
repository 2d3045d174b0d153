"""The journal's report, and what vouches for its rows from outside them: signed
checkpoints, the signed head, and copies of the checkpoints published elsewhere
(`verify.verify_journal` runs the pass over the rows and calls these).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Engine, select

from beffroi.journal.keys import head_signature_valid, signature_valid
from beffroi.journal.published import PublishedCopy
from beffroi.journal.tables import journal_checkpoints

MAX_PROBLEMS = 100


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
    # Problems of the journal as a whole (the key, the published copy), not of one seq.
    general: list[str] = field(default_factory=list)
    missing_checkpoints: int = 0
    key_fingerprint: str | None = None  # the key the signatures were checked against
    published: int | None = None  # checkpoints of the published copy checked, if any

    def add(self, seq: int, message: str) -> None:
        self.ok = False
        self.problem_count += 1
        if self.first_bad_seq is None or seq < self.first_bad_seq:
            self.first_bad_seq = seq
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(seq, message))

    def add_general(self, message: str) -> None:
        self.ok = False
        self.problem_count += 1
        self.general.append(message)

    def summary(self) -> str:
        span = f"seq {self.first_seq}..{self.last_seq}" if self.entries else "empty"
        head = f"{self.entries} entries ({span}), {self.checkpoints} checkpoints"
        if self.published is not None:
            head += f", {self.published} published checkpoints compared"
        if self.ok:
            return f"journal intact: {head}"
        first = (
            f"first bad entry seq {self.first_bad_seq}; " if self.first_bad_seq is not None else ""
        )
        lines = [f"journal NOT intact: {first}{head}"]
        lines += [f"  {g}" for g in self.general]
        lines += [f"  seq {p.seq}: {p.message}" for p in sorted(self.problems, key=_by_seq)]
        shown = len(self.problems) + len(self.general)
        if self.problem_count > shown:
            lines.append(f"  … and {self.problem_count - shown} more problems")
        return "\n".join(lines)


def _by_seq(p: Problem) -> int:
    return p.seq


@dataclass(frozen=True)
class Sealed:
    hash: str
    time_ms: int
    signature: str


def check_head_signature(
    report: VerifyReport, head: Any, key: Ed25519PublicKey | None, last: int
) -> None:
    """Every append signs the head, so a head that matches the last entry but not its
    signature was written by someone without the key: typically, rewound over a deleted
    tail (named as from last + 1)."""
    expected = report.key_fingerprint
    if head.signature is None:
        if expected is not None:
            report.add(
                last + 1,
                f"the journal_head row is not signed: nothing proves the chain ended at seq "
                f"{last} (entries after it may have been deleted; a database from before "
                "migration 0017 is signed by its next entry)",
            )
    elif expected is not None and head.key_fingerprint != expected:
        report.add(last + 1, "the journal_head row is signed by another key")
    elif key is None:
        report.add(last + 1, "the journal_head row's signature cannot be verified: no key")
    elif head.time_ms is None or not head_signature_valid(
        key, int(head.seq), str(head.hash), int(head.time_ms), str(head.signature)
    ):
        report.add(
            last + 1,
            f"the journal_head row's signature does not match: it was rewritten, and "
            f"entries after seq {last} may have been deleted",
        )


def load_checkpoints(
    engine: Engine, public_key: Ed25519PublicKey | None, report: VerifyReport
) -> dict[int, Sealed]:
    with engine.connect() as conn:
        rows = conn.execute(select(journal_checkpoints).order_by(journal_checkpoints.c.seq)).all()
    expected_fp = report.key_fingerprint
    found: dict[int, Sealed] = {}
    for row in rows:
        report.checkpoints += 1
        report.last_checkpoint_seq = row.seq
        if expected_fp is not None and row.key_fingerprint != expected_fp:
            report.add(row.seq, "checkpoint signed by another key")
        elif public_key is None:
            report.add(row.seq, "checkpoint cannot be verified: the installation key is missing")
        elif not signature_valid(public_key, row.seq, row.hash, row.time_ms, row.signature):
            report.add(row.seq, "checkpoint signature is invalid: the checkpoint was altered")
        found[row.seq] = Sealed(row.hash, row.time_ms, row.signature)
    return found


def check_published_copy(
    report: VerifyReport,
    copy: PublishedCopy | None,
    checkpoints: dict[int, Sealed],
    key: Ed25519PublicKey | None,
) -> dict[int, tuple[str, str, bool]]:
    """The published checkpoints by seq, as (hash, where, in the database), once each
    was checked on its own (key, signature) and against the database's checkpoint."""
    if copy is None:
        return {}
    report.published = len(copy.checkpoints)
    for error in copy.errors:
        report.add_general(f"{copy.name}: {error}")
    expected_fp = report.key_fingerprint
    out: dict[int, tuple[str, str, bool]] = {}
    for p in copy.checkpoints:
        where = f"{p.source or copy.name} line {p.line}"
        if expected_fp is not None and p.key_fingerprint != expected_fp:
            report.add(p.seq, f"the checkpoint published at {where} is signed by another key")
        elif key is not None and not signature_valid(key, p.seq, p.hash, p.time_ms, p.signature):
            report.add(p.seq, f"the checkpoint published at {where} does not verify")
        mine = checkpoints.get(p.seq)
        if mine is not None and (mine.hash, mine.time_ms, mine.signature) != (
            p.hash,
            p.time_ms,
            p.signature,
        ):
            report.add(p.seq, f"the checkpoint differs from the one published at {where}")
        out[p.seq] = (p.hash, where, mine is not None)
    return out


def met_published(
    report: VerifyReport, seq: int, stored: str, h: str, where: str, kept: bool
) -> None:
    if h != stored:
        report.add(
            seq,
            f"differs from the checkpoint published at {where}: the entry, or the chain "
            "before it, was rewritten",
        )
    elif not kept:
        report.add(seq, f"the checkpoint published at {where} was deleted from the database")


def check_published_left(report: VerifyReport, left: dict[int, tuple[str, str, bool]]) -> None:
    """Published seqs the pass did not meet: past the end (the tail was deleted), in a
    gap, or purged (before the first entry: `_check_start` judges the purge)."""
    last = report.last_seq or 0
    beyond = sorted(s for s in left if s > last)
    if beyond:
        report.add(
            last + 1,
            f"entries after seq {last} missing: {left[beyond[-1]][1]} seals seq {beyond[-1]} "
            f"({len(beyond)} published checkpoints past the end)",
        )
    first = report.first_seq
    for seq in sorted(s for s in left if first is not None and first <= s <= last):
        report.add(seq, f"{left[seq][1]} seals this seq but the entry is missing")
