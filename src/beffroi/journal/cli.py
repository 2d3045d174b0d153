"""`beffroi journal …`: verify the chain, seal it, show the key, apply the retention,
print the database grants that make the journal append-only.

`journal verify --data DIR` exits 0 when the journal is intact, 1 naming the first bad
entry, 2 when DIR is not a data directory (or the options are unusable). It reads the
public key from DIR's key file and never creates one; `--fingerprint` pins that key to
the published fingerprint (a key file replaced, and the chain re-signed with it, fails),
`--against FILE` compares the database with a published copy of its checkpoints
(site file `journal.publish`).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine


def _data_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", type=Path, required=True, help="data directory (archive, database)")


def add_parser(subparsers: Any) -> None:
    journal = subparsers.add_parser("journal", help="the tamper-evident journal of actions")
    commands = journal.add_subparsers(dest="journal_command", metavar="COMMAND", required=True)

    verify = commands.add_parser(
        "verify",
        help="check every hash, link and signed checkpoint of the journal",
        description="Exit 0 when the journal is intact, 1 naming the first bad entry.",
    )
    _data_arg(verify)
    verify.add_argument("--json", action="store_true", help="print the report as JSON")
    verify.add_argument(
        "--fingerprint",
        metavar="SHA256:HEX",
        help="the installation key's fingerprint as published (`beffroi journal key`): "
        "signatures by any other key, the key file's included, are refused",
    )
    verify.add_argument(
        "--against",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="a published copy of the checkpoints (journal.publish file, syslog extract, "
        "e-mail attachment): each of its seqs must still have the same hash and "
        "signature (repeatable)",
    )
    verify.set_defaults(func=run_verify)

    seal = commands.add_parser("checkpoint", help="sign a checkpoint of the last entry now")
    _data_arg(seal)
    seal.set_defaults(func=run_checkpoint)

    key = commands.add_parser("key", help="print the installation key's fingerprint")
    _data_arg(key)
    key.set_defaults(func=run_key)

    purge = commands.add_parser("purge", help="delete entries older than the retention")
    _data_arg(purge)
    purge.add_argument(
        "--keep-days", type=int, default=365, help="retention in days (at least 30; default 365)"
    )
    purge.set_defaults(func=run_purge)

    grants = commands.add_parser(
        "grants",
        help="print the PostgreSQL grants that make the journal append-only",
        description="SQL for the owner of the tables to run (psql) after the migrations: "
        "the application role may only read and append to the journal; the retention "
        "role, if named, may also delete its oldest entries (`beffroi journal purge`).",
    )
    grants.add_argument("--app-role", required=True, help="role of `beffroi run`")
    grants.add_argument("--purge-role", help="role of `beffroi journal purge` (optional)")
    grants.set_defaults(func=run_grants)


def _engine(data: Path) -> Engine | None:
    from beffroi.db.engine import database_url, make_engine
    from beffroi.db.migrate import upgrade

    if not data.is_dir():
        print(f"beffroi journal: no data directory {data}", file=sys.stderr)
        return None
    engine = make_engine(database_url(data))
    upgrade(engine)
    return engine


def run_verify(args: argparse.Namespace) -> int:
    from beffroi.journal.keys import load_public_key, normalise_fingerprint
    from beffroi.journal.published import PublishedCopy, read_published
    from beffroi.journal.verify import verify_journal

    pinned = None
    if args.fingerprint is not None:
        try:
            pinned = normalise_fingerprint(args.fingerprint)
        except ValueError as exc:
            print(f"beffroi journal verify: {exc}", file=sys.stderr)
            return 2
    published: PublishedCopy | None = None
    for path in args.against:
        try:
            copy = read_published(path)
        except OSError as exc:
            print(f"beffroi journal verify: cannot read {path}: {exc}", file=sys.stderr)
            return 2
        published = copy if published is None else published.merged(copy)
    engine = _engine(args.data)
    if engine is None:
        return 2
    try:
        report = verify_journal(
            engine,
            load_public_key(args.data),
            pinned_fingerprint=pinned,
            published=published,
        )
    finally:
        engine.dispose()
    if args.json:
        print(json.dumps(asdict(report), indent=2))
    else:
        print(report.summary())
    return 0 if report.ok else 1


def run_checkpoint(args: argparse.Namespace) -> int:
    from beffroi.clock import SystemClock
    from beffroi.journal.service import Journal

    engine = _engine(args.data)
    if engine is None:
        return 2
    cp = Journal.open(engine, SystemClock(), args.data).checkpoint()
    print(f"checkpoint at seq {cp.seq}: {cp.hash}" if cp else "nothing new to seal")
    return 0


def run_key(args: argparse.Namespace) -> int:
    from beffroi.journal.keys import fingerprint, key_path, load_public_key

    public = load_public_key(args.data)
    if public is None:
        print(f"no installation key at {key_path(args.data)}", file=sys.stderr)
        return 1
    print(f"SHA256:{fingerprint(public)}  {key_path(args.data)}")
    return 0


def run_purge(args: argparse.Namespace) -> int:
    from beffroi.clock import SystemClock
    from beffroi.journal.retention import JournalRetention
    from beffroi.journal.service import Journal

    engine = _engine(args.data)
    if engine is None:
        return 2
    policy = JournalRetention(keep=timedelta(days=args.keep_days))
    entry = Journal.open(engine, SystemClock(), args.data, retention=policy).purge()
    print(f"purged: {entry.detail}" if entry else "nothing older than the retention")
    return 0


def run_grants(args: argparse.Namespace) -> int:
    from beffroi.journal.roles import grants_sql

    try:
        print(grants_sql(args.app_role, args.purge_role), end="")
    except ValueError as exc:
        print(f"beffroi journal grants: {exc}", file=sys.stderr)
        return 2
    return 0


def main(argv: list[str] | None = None) -> int:
    """`python -m beffroi.journal.cli journal verify --data DIR`: the same commands
    without the rest of `beffroi` (and before `beffroi.cli` wires them in)."""
    parser = argparse.ArgumentParser(prog="beffroi")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
