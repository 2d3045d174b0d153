"""`beffroi backup` and `beffroi restore` (see `beffroi.backup.copy`)."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import Any

PASSPHRASE_ENV = "BEFFROI_BACKUP_PASSPHRASE"


def add_parser(subparsers: Any) -> None:
    backup = subparsers.add_parser(
        "backup",
        help="copy the database, the site file and (sealed) the keys into a new folder; "
        "not the footage",
    )
    backup.add_argument("--data", type=Path, required=True, help="data directory")
    backup.add_argument("--to", type=Path, required=True, help="a new, empty folder")
    backup.add_argument("--site", type=Path, help="the site file, copied with the database")
    backup.add_argument(
        "--with-keys",
        action="store_true",
        help="also the keys (journal signature, TOTP secrets, TLS), sealed with a "
        f"passphrase (--passphrase-file, ${PASSPHRASE_ENV}, or asked)",
    )
    backup.add_argument("--passphrase-file", type=Path, help="the passphrase, first line")
    backup.set_defaults(func=_backup)

    restore = subparsers.add_parser(
        "restore", help="put a backup back into a new data directory (or empty database)"
    )
    restore.add_argument("--from", dest="source", type=Path, required=True, help="the backup")
    restore.add_argument("--data", type=Path, required=True, help="a new data directory")
    restore.add_argument("--passphrase-file", type=Path, help="the keys' passphrase")
    restore.set_defaults(func=_restore)


def _passphrase(args: argparse.Namespace, confirm: bool) -> str:
    if args.passphrase_file is not None:
        return args.passphrase_file.read_text().splitlines()[0]
    if os.environ.get(PASSPHRASE_ENV):
        return os.environ[PASSPHRASE_ENV]
    if not sys.stdin.isatty():
        raise SystemExit(f"a passphrase is needed: --passphrase-file or ${PASSPHRASE_ENV}")
    first = getpass.getpass("Passphrase of the keys: ")
    if confirm and getpass.getpass("Again: ") != first:
        raise SystemExit("the two passphrases differ")
    return first


def _backup(args: argparse.Namespace) -> int:
    from beffroi.backup.copy import BackupError, make_backup
    from beffroi.backup.sealed import SealedKeysError

    passphrase = _passphrase(args, confirm=True) if args.with_keys else None
    try:
        manifest = make_backup(args.data, args.to, site_file=args.site, passphrase=passphrase)
    except (BackupError, SealedKeysError, OSError) as exc:
        print(f"beffroi backup: {exc}", file=sys.stderr)
        return 1
    files = manifest["files"]
    print(f"backup of schema {manifest['schema_revision']} in {args.to}: {', '.join(files)}")
    print("counts: " + ", ".join(f"{k} {v}" for k, v in manifest["counts"].items()))
    if not args.with_keys:
        print(
            "keys not included: keep DATA/keys/ (journal signature, TOTP key) apart, or run "
            "again with --with-keys: without them TOTP codes cannot be checked after a restore"
        )
    return 0


def _restore(args: argparse.Namespace) -> int:
    from beffroi.backup.copy import KEYS_FILE, BackupError, restore_backup
    from beffroi.backup.sealed import SealedKeysError

    passphrase = None
    if (args.source / KEYS_FILE).is_file():
        passphrase = _passphrase(args, confirm=False)
    try:
        done = restore_backup(args.source, args.data, passphrase=passphrase)
    except (BackupError, SealedKeysError, OSError) as exc:
        print(f"beffroi restore: {exc}", file=sys.stderr)
        return 1
    before = done.manifest["counts"]
    print(f"restored into {args.data} (schema {done.manifest['schema_revision']} of the backup)")
    lost = False
    for name, count in done.counts.items():
        print(f"  {name}: {count} (backup: {before.get(name)})")
        lost |= count != before.get(name)
    if done.keys:
        print("keys restored: " + ", ".join(done.keys))
    if done.site_file:
        print(f"site file: {done.site_file}")
    print("next: beffroi journal verify, then beffroi check once the archive disk is mounted")
    return 1 if lost else 0
