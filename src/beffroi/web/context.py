"""Everything a request handler may use, built once by `beffroi run` (or a test)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from beffroi.access.secrets_box import TotpKey
from beffroi.archive.storage import StorageReport
from beffroi.clock import Clock
from beffroi.ingest.state import RecorderView
from beffroi.journal.service import Journal

if TYPE_CHECKING:
    from beffroi.export.jobs import ExportJobs
    from beffroi.live.hub import LiveHub


@dataclass
class AppContext:
    engine: Engine
    clock: Clock
    data_dir: Path
    archive_root: Path
    recorder: RecorderView
    free_floor_bytes: int
    # `beffroi.archive.storage.storage_report` bound to its arguments; None until wired.
    storage_report: Callable[[], StorageReport] | None = None
    # The installation's journal; `create_app` opens one on `data_dir` when None.
    journal: Journal | None = None
    # The export job runner (`beffroi.export.jobs.ExportJobs`), started by `beffroi run`;
    # None: exports answer 503.
    exports: ExportJobs | None = None
    # Live view's fan-out (`beffroi.live.hub.LiveHub`); `create_app` makes one that tails
    # the recorder's files when None.
    live: LiveHub | None = None
    # How often an open live view checks that its viewer may still watch (logged out,
    # disabled, role or scope changed, session expired: the socket closes with 4401).
    live_recheck_s: float = 30.0
    # The key of the TOTP secrets (`beffroi.access.secrets_box`); `create_app` loads it
    # from BEFFROI_TOTP_KEY or `data_dir` when None (`beffroi run` loads it first, so a
    # bad key file stops it before anything starts).
    totp_key: TotpKey | None = None
