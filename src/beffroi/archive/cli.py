"""`beffroi holds restore`: put back into the database the holds that only their signed
files next to the archive still remember (`beffroi.archive.hold_files`); `beffroi
reindex`: rebuild the segment index from the files (`beffroi.archive.reindex`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def add_parser(subparsers: Any) -> None:
    holds = subparsers.add_parser("holds", help="judicial holds kept next to the archive")
    sub = holds.add_subparsers(dest="holds_command", required=True)
    restore = sub.add_parser(
        "restore",
        help="put back into the database the holds whose signed files it does not know "
        "(after restoring an older backup), journaled",
    )
    restore.add_argument("--data", type=Path, required=True, help="data directory")
    restore.set_defaults(func=_restore)

    reindex = subparsers.add_parser(
        "reindex",
        help="index the segment files that have no row (a database lost or restored from "
        "an older backup) and report what could not be proven",
    )
    reindex.add_argument("--data", type=Path, required=True, help="data directory")
    reindex.set_defaults(func=_reindex)


def _reindex(args: argparse.Namespace) -> int:
    from beffroi.archive.layout import archive_root
    from beffroi.archive.reindex import format_reindex, reindex
    from beffroi.clock import SystemClock
    from beffroi.db.engine import database_url, make_engine
    from beffroi.db.migrate import upgrade

    root = archive_root(args.data)
    if not root.is_dir():
        print(f"beffroi reindex: no archive in {root}", file=sys.stderr)
        return 2
    engine = make_engine(database_url(args.data))
    upgrade(engine)
    report = reindex(engine, root, SystemClock())
    print(format_reindex(report))
    return 0 if report.proven else 1


def _restore(args: argparse.Namespace) -> int:
    from beffroi.archive import hold_files
    from beffroi.archive.layout import archive_root
    from beffroi.clock import SystemClock
    from beffroi.db.engine import database_url, make_engine
    from beffroi.db.migrate import upgrade
    from beffroi.journal.http import principal_entry
    from beffroi.journal.keys import load_public_key
    from beffroi.journal.service import Journal

    public = load_public_key(args.data)
    if public is None:
        print("beffroi holds restore: no installation key in DATA/keys", file=sys.stderr)
        return 1
    engine = make_engine(database_url(args.data))
    upgrade(engine)
    journal = Journal.open(engine, SystemClock(), args.data)
    folder = archive_root(args.data) / hold_files.FOLDER
    with journal.transaction() as conn:
        back = hold_files.restore(conn, folder, public)
        for record in back:
            entry = principal_entry(
                None, "hold.restore", username="cli", camera=record.camera_id,
                start_ms=record.start_ms, end_ms=record.end_ms,
                detail={"reason": record.reason, "created_by": record.created_by,
                        "created_ms": record.created_ms, "file": record.name},
            )  # fmt: skip
            journal.record(entry, conn)
    for record in back:
        print(f"restored: {record.describe()}")
    print(f"{len(back)} hold(s) restored from {folder}")
    return 0
