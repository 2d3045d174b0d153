"""A sealed package built from real footage: jlt-001 with a gap, jlt-002 with none."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine

from beffroi.export.jobs import order_for
from beffroi.export.package import PackageResult, build_package
from beffroi.journal.keys import load_or_create_key
from beffroi.requisitions.register import Requisition
from tests.archive.seed import add_cameras
from tests.export.helpers import T0, make_requisition, record

PLAYER = {
    "index.html": b"<!doctype html><title>Lecteur</title><script src=player.js></script>\n",
    "player.js": b"console.log(window.BEFFROI_MANIFEST.format);\n",
    "player.css": b"body { background: #000 }\n",
}


@dataclass
class Sealed:
    result: PackageResult
    requisition: Requisition
    data_dir: Path
    fingerprint: str


@pytest.fixture
def player_dir(tmp_path: Path) -> Path:
    """Stand-in player files (the real ones are tested with the player)."""
    d = tmp_path / "player"
    d.mkdir()
    for name, data in PLAYER.items():
        (d / name).write_bytes(data)
    return d


@pytest.fixture
def sealed(engine: Engine, tmp_path: Path, player_dir: Path) -> Sealed:
    from beffroi.journal.keys import fingerprint

    data_dir = tmp_path / "data"
    root = data_dir / "archive"
    add_cameras(engine, "jlt-001", "jlt-002")
    record(engine, root, "jlt-001", T0, 2)
    record(engine, root, "jlt-001", T0 + 20_000, 1)
    req = make_requisition(engine, [("jlt-001", T0, T0 + 24_000), ("jlt-002", T0, T0 + 60_000)])
    key = load_or_create_key(data_dir)
    result = build_package(
        engine,
        root,
        data_dir / "exports",
        key,
        order_for(req, 7, "chef", "supervisor"),
        T0 + 3_600_000,
        player_dir=player_dir,
    )
    return Sealed(result, req, data_dir, fingerprint(key.public_key()))
