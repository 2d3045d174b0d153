"""Hold files: every hold in force also lives next to the footage, signed, so that
losing the database (or restoring an older backup) does not lose the law.

The retention loop mirrors the holds table into `ARCHIVE/.holds/` at each round: one
small JSON file per hold in force (camera, range, reason with the requisition number,
author, time), signed with the installation's Ed25519 key, named after the digest of
what identifies the hold. A hold released in the database loses its file. A signed
file the database does not know (a hold placed after the backup that was restored, or a
database lost with the disk that held it) is *unmatched*: retention and disk pressure
keep its footage as if the hold were in force, the health watcher opens a
`hold_unmatched` fault, and `beffroi holds restore` puts the hold back into the
database, journaled. A file whose signature does not verify is ignored and logged:
nobody can keep footage past the law by dropping a file.

The mirror lags the database by one round (10 s): a hold placed and its database lost
within that time is the one case it misses.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import Connection, insert, select

from beffroi.archive.layout import fsync_dir
from beffroi.archive.retention import HoldRange
from beffroi.archive.tables import holds

log = logging.getLogger(__name__)

FOLDER = ".holds"


@dataclass(frozen=True)
class HoldRecord:
    camera_id: str
    start_ms: int
    end_ms: int
    reason: str
    created_by: str
    created_ms: int
    requisition_id: int | None
    expires_ms: int | None

    @classmethod
    def of(cls, row: Any) -> HoldRecord:
        return cls(
            row.camera_id, int(row.start_ms), int(row.end_ms), row.reason, row.created_by,
            int(row.created_ms), row.requisition_id,
            None if row.expires_ms is None else int(row.expires_ms),
        )  # fmt: skip

    @property
    def name(self) -> str:
        """What identifies the hold (not its database id, which a restore may reuse)."""
        ident = (
            f"{self.camera_id}|{self.start_ms}|{self.end_ms}|{self.created_ms}|{self.created_by}"
        )
        return "hold-" + hashlib.sha256(ident.encode()).hexdigest()[:24] + ".json"

    def message(self) -> bytes:
        return json.dumps(asdict(self), sort_keys=True, ensure_ascii=False).encode("utf-8")

    def range(self) -> HoldRange:
        return HoldRange(self.camera_id, self.start_ms, self.end_ms)

    def describe(self) -> str:
        return f"camera {self.camera_id}, {self.start_ms}..{self.end_ms}: {self.reason}"


def write(folder: Path, record: HoldRecord, key: Ed25519PrivateKey) -> None:
    body = {"hold": asdict(record), "signature": base64.b64encode(key.sign(record.message()))}
    text = json.dumps(body, default=lambda b: b.decode("ascii"), indent=1, ensure_ascii=False)
    folder.mkdir(mode=0o750, exist_ok=True)
    tmp = folder / f".{record.name}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text + "\n")
        f.flush()
        os.fsync(f.fileno())
    tmp.replace(folder / record.name)
    fsync_dir(folder)


def read(folder: Path, public_key: Ed25519PublicKey) -> dict[str, HoldRecord]:
    """The signed hold files by name; unsigned or altered ones are logged and skipped."""
    found: dict[str, HoldRecord] = {}
    if not folder.is_dir():
        return found
    for path in sorted(folder.glob("hold-*.json")):
        try:
            body = json.loads(path.read_text(encoding="utf-8"))
            record = HoldRecord(**body["hold"])
            public_key.verify(base64.b64decode(body["signature"]), record.message())
        except (OSError, ValueError, KeyError, TypeError, InvalidSignature) as exc:
            log.error(
                "hold file %s ignored: not a valid signed hold (%s)", path, exc or "signature"
            )
            continue
        if record.name != path.name:
            log.error("hold file %s ignored: its name does not match its content", path)
            continue
        found[path.name] = record
    return found


def mirror(conn: Connection, folder: Path, key: Ed25519PrivateKey) -> list[HoldRecord]:
    """Bring the folder in line with the holds table; returns the unmatched files."""
    rows = conn.execute(select(holds)).all()
    in_db = {HoldRecord.of(r).name: (HoldRecord.of(r), r.released_ms is None) for r in rows}
    files = read(folder, key.public_key())
    for name, (record, in_force) in in_db.items():
        if in_force and name not in files:
            write(folder, record, key)
    unmatched = []
    for name, record in files.items():
        if name not in in_db:
            unmatched.append(record)
        elif not in_db[name][1]:  # released: its footage may age out
            (folder / name).unlink(missing_ok=True)
    return unmatched


def restore(conn: Connection, folder: Path, public_key: Ed25519PublicKey) -> list[HoldRecord]:
    """Put the unmatched holds back into the database (the caller journals them)."""
    known = {HoldRecord.of(r).name for r in conn.execute(select(holds)).all()}
    back = [r for name, r in read(folder, public_key).items() if name not in known]
    for record in back:
        conn.execute(insert(holds).values(**asdict(record)))
    return back
