"""A published copy of the journal's checkpoints: one JSON line per checkpoint (seq, hash,
time, time_ms, signature, key fingerprint, sorted keys), written by the publication
targets (`journal.publish`) and read back by `beffroi journal verify --against FILE`
(`journal.verify`). Reading is tolerant of what files live through: a torn last line, a
line from another installation, several days' attachments concatenated.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from beffroi.clock import from_ms
from beffroi.journal.chain import Checkpoint

_TAIL_BYTES = 64 * 1024


def checkpoint_line(cp: Checkpoint) -> str:
    """The published form of a checkpoint: one line of canonical JSON."""
    return json.dumps(
        {
            "hash": cp.hash,
            "key_fingerprint": cp.key_fingerprint,
            "seq": cp.seq,
            "signature": cp.signature,
            "time": from_ms(cp.time_ms).isoformat(),
            "time_ms": cp.time_ms,
        },
        sort_keys=True,
        separators=(",", ":"),
    )


@dataclass(frozen=True)
class PublishedCheckpoint:
    seq: int
    hash: str
    time_ms: int
    signature: str
    key_fingerprint: str
    line: int = 0  # where it was read, for the reports
    source: str = ""


@dataclass
class PublishedCopy:
    name: str
    checkpoints: list[PublishedCheckpoint] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def merged(self, other: PublishedCopy) -> PublishedCopy:
        """Several copies checked as one (the file and the mails, say)."""
        return PublishedCopy(
            name=f"{self.name}, {other.name}",
            checkpoints=[*self.checkpoints, *other.checkpoints],
            errors=[*self.errors, *other.errors],
        )


def parse_line(text: str, line: int = 0, source: str = "") -> PublishedCheckpoint:
    """A published line; also a syslog line that carries one (text before the first
    `{` is ignored), so a collector's log file serves as a copy. ValueError if none."""
    start = text.find("{")
    if start < 0:
        raise ValueError("no checkpoint on this line")
    data = json.loads(text[start:])
    try:
        return PublishedCheckpoint(
            seq=int(data["seq"]),
            hash=str(data["hash"]),
            time_ms=int(data["time_ms"]),
            signature=str(data["signature"]),
            key_fingerprint=str(data["key_fingerprint"]),
            line=line,
            source=source,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"not a checkpoint: {exc}") from None


def read_published(path: Path) -> PublishedCopy:
    """Every checkpoint of a published copy (file, syslog extract, e-mail attachment).
    Unreadable lines and one seq published twice differently are errors of the copy."""
    copy = PublishedCopy(name=str(path))
    seen: dict[int, PublishedCheckpoint] = {}
    with path.open(encoding="utf-8", errors="replace") as f:
        for number, text in enumerate(f, 1):
            if not text.strip():
                continue
            try:
                cp = parse_line(text, number, copy.name)
            except ValueError as exc:  # json's errors are ValueErrors too
                copy.errors.append(f"line {number}: {exc}")
                continue
            before = seen.get(cp.seq)
            if before is None:
                seen[cp.seq] = cp
                copy.checkpoints.append(cp)
            elif (before.hash, before.time_ms, before.signature) != (
                cp.hash,
                cp.time_ms,
                cp.signature,
            ):
                copy.errors.append(
                    f"line {number}: seq {cp.seq} published differently at line {before.line}"
                )
    return copy


def last_published_seq(path: Path) -> int | None:
    """The seq of the file's last readable line (its tail only: the file only grows)."""
    try:
        with path.open("rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - _TAIL_BYTES))
            tail = f.read().decode("utf-8", errors="replace")
    except OSError:  # absent (a new file), or unreadable: then the next write says so
        return None
    for text in reversed(tail.splitlines()):
        try:
            return parse_line(text).seq
        except ValueError:
            continue
    return None
