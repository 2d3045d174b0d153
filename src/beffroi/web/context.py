"""Everything a request handler may use, built once by `beffroi run` (or a test)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel
from sqlalchemy import Engine

from beffroi.clock import Clock
from beffroi.ingest.state import RecorderView
from beffroi.journal.service import Journal


@dataclass
class AppContext:
    engine: Engine
    clock: Clock
    data_dir: Path
    archive_root: Path
    recorder: RecorderView
    free_floor_bytes: int
    # `beffroi.archive.storage.storage_report` bound to its arguments; None until wired.
    storage_report: Callable[[], BaseModel] | None = None
    # The installation's journal; `create_app` opens one on `data_dir` when None.
    journal: Journal | None = None
