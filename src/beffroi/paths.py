"""Paths read from the database stay in their folder.

Segments, export packages and incident media are found by relative paths stored in the
database. Someone who can write the database (an insider, a restored backup) must not
make the server read, serve or delete a file elsewhere by storing `../../etc/shadow`,
an absolute path or a link out of the folder: every such path is resolved and checked
here before use.
"""

from __future__ import annotations

from pathlib import Path


def inside(base: Path, rel: str | None, folder: str | None = None) -> Path | None:
    """`base / rel`, resolved, when it lies strictly inside `base / folder` (or `base`);
    None otherwise (`rel` empty, absolute, climbing out, or a link leading out)."""
    if not rel:
        return None
    root = (base / folder if folder else base).resolve()
    path = (base / rel).resolve()
    return path if path != root and path.is_relative_to(root) else None
