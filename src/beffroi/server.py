"""`beffroi run`: the composition root that starts every stage in a safe order.

Order matters for the archive invariants, so it is explicit here:
1. migrate the schema, apply the site file;
2. finish interrupted deletions (phase 2 of two-phase deletion);
3. index finished files that lost their row in a crash (reconcile);
4. start the index writer, then the recorder (whose workers salvage `.part` files
   before recording anew), then retention, then the API.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from sqlalchemy import Engine

from beffroi import __version__
from beffroi.archive.disk import floor_bytes
from beffroi.archive.index import IndexWriter, reconcile
from beffroi.archive.layout import archive_root
from beffroi.archive.maintenance import RetentionLoop
from beffroi.archive.sink import ArchiveSinks
from beffroi.archive.storage import storage_report
from beffroi.clock import Clock, SystemClock
from beffroi.db.engine import database_url, make_engine
from beffroi.db.migrate import upgrade
from beffroi.ingest.spec import CameraSpec
from beffroi.ingest.state import Reason
from beffroi.ingest.supervisor import Supervisor
from beffroi.journal.http import principal_entry
from beffroi.journal.service import Journal, JournalMaintenance
from beffroi.site.apply import (
    ApplyResult,
    CameraRow,
    active_cameras,
    apply_site,
    camera_stream_credentials,
)
from beffroi.site.loader import SiteError, load_site, today_from
from beffroi.site.models import Site
from beffroi.web.app import create_app
from beffroi.web.context import AppContext

log = logging.getLogger(__name__)

ADMIN_PASSWORD_ENV = "BEFFROI_ADMIN_PASSWORD"


@dataclass
class Options:
    site: Path
    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 8080
    use_processes: bool = True
    demo: bool = False  # also create the demo operator (see beffroi.demo)


def serve(opts: Options, clock: Clock | None = None) -> int:
    from beffroi.access.demo import ensure_demo_operator
    from beffroi.access.users import ensure_admin

    clock = clock or SystemClock()
    try:
        loaded = load_site(opts.site, today=today_from(clock))
    except SiteError as exc:
        print(str(exc), flush=True)
        return 1
    for warning in loaded.warnings:
        log.warning("site: %s", warning)
    site = loaded.site

    data_dir = opts.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    root = archive_root(data_dir)
    root.mkdir(exist_ok=True)
    engine = make_engine(database_url(data_dir))
    upgrade(engine)
    journal = Journal.open(engine, clock, data_dir)
    applied = apply_site(engine, site, clock)
    log.info("site applied: %s", applied)
    _journal_site(journal, opts.site, applied)
    password = ensure_admin(engine, clock, os.environ.get(ADMIN_PASSWORD_ENV))
    demo_lines: list[str] = []
    if opts.demo:
        operator = ensure_demo_operator(engine, clock, data_dir)
        demo_lines.append(
            f"Demo operator (sees video): user '{operator.username}', password "
            f"'{operator.password}'; "
            + (
                "TOTP enrolled."
                if operator.totp_enrolled
                else "the first sign-in enrols the second factor (TOTP): scan the QR code "
                "with an authenticator app"
            )
        )

    floor = floor_bytes(site.recording.free_space_floor, root)
    retention = RetentionLoop(engine, root, clock, free_floor_bytes=floor)
    # Deletions a crash interrupted are finished before anything is re-indexed.
    retention.recover()
    cameras = active_cameras(engine)
    reconciled = reconcile(engine, root, clock, [c.id for c in cameras])
    if reconciled:
        log.warning("indexed %d segment(s) left without a row by a crash", reconciled)

    index = IndexWriter(engine, clock)
    index.start()
    specs, disabled = _camera_specs(cameras, site)
    recorder = Supervisor(
        specs,
        ArchiveSinks(root, segment_ms=site.recording.segment_seconds * 1000),
        on_segment=index.submit,
        cameras_per_worker=site.recording.cameras_per_worker,
        use_processes=opts.use_processes,
        disabled=disabled,
    )
    recorder.start()
    retention.start()
    journal_upkeep = JournalMaintenance(journal)
    journal_upkeep.start()

    ctx = AppContext(
        engine=engine,
        clock=clock,
        data_dir=data_dir,
        archive_root=root,
        recorder=recorder,
        free_floor_bytes=floor,
        storage_report=lambda: storage_report(engine, root, clock, floor),
        journal=journal,
    )
    app = create_app(ctx)
    url = f"http://{opts.host}:{opts.port}"
    _announce(url, len(specs), password, demo_lines)
    config = uvicorn.Config(app, host=opts.host, port=opts.port, log_level="warning")
    server = uvicorn.Server(config)
    # uvicorn re-raises SIGINT/SIGTERM once it has stopped, which would kill this process
    # before the recorder closes its segments; in a thread it leaves signals to us.
    api = threading.Thread(target=server.run, name="api", daemon=True)
    stop = threading.Event()
    reload = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    signal.signal(signal.SIGHUP, lambda *_: reload.set())
    api.start()
    try:
        while not stop.wait(0.5):
            if not api.is_alive():  # the API could not start (port taken…)
                log.error("the API stopped; shutting down")
                return 1
            if reload.is_set():
                reload.clear()
                reload_site(opts.site, engine, clock, recorder, journal)
    finally:
        server.should_exit = True
        api.join(10)
        log.info("stopping: closing segments")
        recorder.stop()
        retention.stop()
        journal_upkeep.stop()
        index.wait_idle(timeout=15)
        index.stop()
    return 0


def reload_site(
    path: Path, engine: Engine, clock: Clock, recorder: Supervisor, journal: Journal
) -> bool:
    """SIGHUP: re-read the site file and apply it. A file with errors changes nothing;
    only the cameras that changed are touched; removed ones stop recording and their
    footage ages out normally."""
    try:
        loaded = load_site(path, today=today_from(clock))
    except SiteError as exc:
        log.error("site file not reloaded, nothing changed:\n%s", exc)
        return False
    applied = apply_site(engine, loaded.site, clock)
    _journal_site(journal, path, applied)
    specs, disabled = _camera_specs(active_cameras(engine), loaded.site)
    for camera_id in applied.cameras_removed:
        disabled[camera_id] = Reason.REMOVED
    changes = recorder.update(specs, disabled)
    log.info("site reloaded: %s", changes)
    return True


def _journal_site(journal: Journal, path: Path, applied: ApplyResult) -> None:
    """Configuration changes are journaled like any action on the system."""
    if not applied.changed:
        return
    detail = {
        "file": str(path),
        "added": applied.cameras_added,
        "updated": applied.cameras_updated,
        "removed": applied.cameras_removed,
        "returned": applied.cameras_returned,
    }
    journal.record(principal_entry(None, "site.apply", username="system", detail=detail))


def _camera_specs(
    cameras: list[CameraRow], site: Site
) -> tuple[list[CameraSpec], dict[str, Reason]]:
    recording = site.recording
    specs: list[CameraSpec] = []
    disabled: dict[str, Reason] = {}
    for cam in cameras:
        if cam.removed_ms is not None:
            disabled[cam.id] = Reason.REMOVED
            continue
        if not cam.enabled:
            disabled[cam.id] = Reason.DISABLED
            continue
        # A password written in the stream URL lives only in the site file, never the DB.
        url, username, password = camera_stream_credentials(site.camera(cam.id) or cam)
        specs.append(
            CameraSpec(
                camera_id=cam.id,
                url=url,
                username=username,
                password=password,
                stall_timeout_s=float(recording.stall_timeout_seconds),
                reconnect_max_s=float(recording.reconnect_max_seconds),
            )
        )
    return specs, disabled


def _announce(url: str, cameras: int, password: str | None, extra: list[str]) -> None:
    lines = [f"Beffroi {__version__}: {cameras} camera(s) recording; console and API on {url}"]
    if password:
        lines.append(f"First start: user 'admin', password '{password}' (shown once: note it)")
    lines.extend(extra)
    print("\n".join(lines), flush=True)
