"""`beffroi backup` and `beffroi restore`: what a town needs to rebuild its centre.

A backup is a folder:

- `database.sqlite3` (SQLite's online backup: consistent while the server writes) or
  `database.pgdump` (`pg_dump --format=custom` of `BEFFROI_DATABASE_URL`): users,
  holds, requisitions, the journal, the segment index, the registers;
- `site.yaml`, the site file, when given;
- `keys.sealed`, only when asked (`--with-keys`): the files of `DATA/keys` and the TLS
  key pair, sealed with a passphrase (`beffroi.backup.sealed`), never in clear;
- `MANIFEST.json`: version, schema revision, the SHA-256 of every file, the counts of
  the main tables, so a restore can tell what came back.

Not the footage: the archive lives on its own disk, and its loss is what retention
and the destruction register account for; after a restore `beffroi check` says which
indexed segments are on the disk.

`restore` checks the manifest's hashes first, refuses a schema newer than this
version's, writes only into an empty data directory (or an empty PostgreSQL database),
then migrates to this version's schema and compares the counts.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, inspect, select

from beffroi import __version__
from beffroi.access.tables import users
from beffroi.archive.tables import holds, segments
from beffroi.backup.sealed import open_sealed, seal
from beffroi.db.engine import database_url, make_engine
from beffroi.db.migrate import (
    SchemaTooNewError,
    current_revision,
    head_revision,
    known_revision,
    sqlite_backup,
)
from beffroi.db.migrate import upgrade as migrate
from beffroi.journal.keys import KEY_DIR
from beffroi.journal.tables import journal_entries
from beffroi.requisitions.tables import requisitions
from beffroi.web.tls import CERT_FILE, TLS_DIR
from beffroi.web.tls import KEY_FILE as TLS_KEY_FILE

MANIFEST = "MANIFEST.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
SITE_FILE = "site.yaml"
KEYS_FILE = "keys.sealed"
FORMAT = 1
COUNTED = {
    "users": users,
    "segments": segments,
    "holds": holds,
    "requisitions": requisitions,
    "journal_entries": journal_entries,
}


class BackupError(RuntimeError):
    """Said to the administrator as is."""


@dataclass(frozen=True)
class Restored:
    manifest: dict[str, Any]
    counts: dict[str, int]
    site_file: Path | None
    keys: list[str]


def make_backup(
    data_dir: Path, target: Path, *, site_file: Path | None = None, passphrase: str | None = None
) -> dict[str, Any]:
    """Write a backup of the installation in `data_dir` into the new folder `target`;
    the keys only with a `passphrase`. Returns the manifest."""
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty: a backup goes into a new folder")
    url = database_url(data_dir)
    engine = make_engine(url)
    revision = current_revision(engine)
    if revision is None:
        raise BackupError(f"no Beffroi database for {data_dir}")
    target.mkdir(mode=0o700, parents=True, exist_ok=True)
    if engine.dialect.name == "sqlite":
        assert engine.url.database
        sqlite_backup(Path(engine.url.database), target / SQLITE_FILE)
    else:
        _run(["pg_dump", "--format=custom", "--no-owner", "--file", str(target / PG_FILE),
              "--dbname", _libpq(url)])  # fmt: skip
    if site_file is not None:
        shutil.copyfile(site_file, target / SITE_FILE)
    if passphrase is not None:
        (target / KEYS_FILE).write_bytes(seal(_key_files(data_dir), passphrase))
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "beffroi_version": __version__,
        "schema_revision": revision,
        "backend": engine.dialect.name,
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "counts": counts(engine),
        "files": {p.name: _describe(p) for p in sorted(target.iterdir())},
    }
    engine.dispose()
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    for path in target.iterdir():
        path.chmod(0o600)
    return manifest


def restore_backup(source: Path, data_dir: Path, *, passphrase: str | None = None) -> Restored:
    """Put the backup in `source` back into the empty `data_dir` (and, for PostgreSQL,
    the empty database of `BEFFROI_DATABASE_URL`); the keys only with `passphrase`."""
    manifest = _checked_manifest(source)
    files = manifest["files"]
    if not known_revision(str(manifest["schema_revision"])):
        raise SchemaTooNewError(
            f"this backup's schema revision {manifest['schema_revision']} is newer than this "
            f"Beffroi's ({head_revision()}): restore it with the version that made it"
        )
    if KEYS_FILE in files and passphrase is None:
        raise BackupError("this backup holds sealed keys: give their passphrase")
    if data_dir.exists() and any(data_dir.iterdir()):
        raise BackupError(f"{data_dir} is not empty: restore into a new data directory")
    keys = {}
    if KEYS_FILE in files and passphrase is not None:
        keys = open_sealed((source / KEYS_FILE).read_bytes(), passphrase)
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    url = database_url(data_dir)
    engine = make_engine(url)
    if (SQLITE_FILE in files) != (engine.dialect.name == "sqlite"):
        raise BackupError(
            f"the backup is of a {manifest['backend']} database and the target is "
            f"{engine.dialect.name}: set BEFFROI_DATABASE_URL accordingly"
        )
    if current_revision(engine) is not None or inspect(engine).get_table_names():
        raise BackupError("the target database is not empty: restore into an empty one")
    if engine.dialect.name == "sqlite":
        assert engine.url.database
        engine.dispose()
        sqlite_backup(source / SQLITE_FILE, Path(engine.url.database))
    else:
        _run(["pg_restore", "--no-owner", "--exit-on-error", "--dbname", _libpq(url),
              str(source / PG_FILE)])  # fmt: skip
    for name, content in keys.items():
        path = data_dir / name
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.write_bytes(content)
        path.chmod(0o600)
    site = None
    if SITE_FILE in files:
        site = data_dir / SITE_FILE
        shutil.copyfile(source / SITE_FILE, site)
    migrate(engine)
    found = counts(engine)
    engine.dispose()
    return Restored(manifest, found, site, sorted(keys))


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            name: int(conn.execute(select(func.count()).select_from(table)).scalar_one())
            for name, table in COUNTED.items()
        }


def _key_files(data_dir: Path) -> dict[str, bytes]:
    keys = data_dir / KEY_DIR
    found = {
        f"{KEY_DIR}/{p.name}": p.read_bytes()
        for p in (sorted(keys.iterdir()) if keys.is_dir() else [])
        if p.is_file()
    }
    for name in (CERT_FILE, TLS_KEY_FILE):
        path = data_dir / TLS_DIR / name
        if path.is_file():
            found[f"{TLS_DIR}/{name}"] = path.read_bytes()
    if not found:
        raise BackupError(f"no keys in {data_dir / KEY_DIR}")
    return found


def _checked_manifest(source: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((source / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"no readable {MANIFEST} in {source}: {exc}") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    for name, described in manifest.get("files", {}).items():
        path = source / name
        if "/" in name or not path.is_file() or _describe(path) != described:
            raise BackupError(f"{name} is missing or differs from the manifest: backup damaged")
    if not isinstance(manifest, dict):
        raise BackupError(f"{MANIFEST} is not an object")
    return manifest


def _describe(path: Path) -> dict[str, object]:
    with open(path, "rb") as f:
        digest = hashlib.file_digest(f, "sha256").hexdigest()
    return {"bytes": path.stat().st_size, "sha256": digest}


def _libpq(url: str) -> str:
    """SQLAlchemy's driver suffix is not libpq's."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _run(cmd: list[str]) -> None:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, env=os.environ.copy())
    except FileNotFoundError:
        raise BackupError(f"{cmd[0]} not found: install PostgreSQL's client tools") from None
    if done.returncode != 0:
        raise BackupError(f"{cmd[0]} failed: {done.stderr.strip()[-2000:]}")
