"""`beffroi run`: the composition root that starts every stage in a safe order.

Order matters for the archive invariants, so it is explicit here:
1. migrate the schema, apply the site file;
2. finish interrupted deletions (phase 2 of two-phase deletion);
3. index finished files that lost their row in a crash (reconcile);
4. start the index writer, then the recorder (whose workers salvage `.part` files
   before recording anew), then retention, then the API.
"""

from __future__ import annotations

import functools
import logging
import os
import signal
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine

from beffroi import __version__
from beffroi.access.secrets_box import TotpKey, TotpKeyError
from beffroi.alarms.inputs import AlarmInputs
from beffroi.archive.disk import floor_bytes
from beffroi.archive.index import IndexWriter, reconcile
from beffroi.archive.layout import archive_root
from beffroi.archive.maintenance import RetentionLoop
from beffroi.archive.sink import ArchiveSinks
from beffroi.archive.storage import storage_report
from beffroi.clock import Clock, SystemClock
from beffroi.db.engine import database_url, make_engine
from beffroi.db.migrate import SchemaTooNewError, upgrade
from beffroi.export.jobs import ExportJobs
from beffroi.health.sampler import HealthSampler
from beffroi.incidents.clip_window import MediaSettings
from beffroi.incidents.faults import FaultIncidents
from beffroi.incidents.health import HealthWatcher
from beffroi.incidents.intake import AlarmIntake
from beffroi.incidents.media import IncidentMedia
from beffroi.incidents.service import IncidentService
from beffroi.incidents.stills import snapshot_jpeg
from beffroi.ingest.spec import CameraSpec
from beffroi.ingest.state import Reason
from beffroi.ingest.supervisor import Supervisor
from beffroi.journal.http import principal_entry
from beffroi.journal.service import Journal, JournalMaintenance
from beffroi.live.hub import LiveHub
from beffroi.oncall.runtime import OnCallRuntime
from beffroi.site.apply import ApplyResult, apply_site, camera_stream_credentials
from beffroi.site.camera_rows import CameraRow, active_cameras
from beffroi.site.loader import SiteError, load_site, today_from
from beffroi.site.models import Site
from beffroi.systemd import Notifier
from beffroi.web.app import create_app
from beffroi.web.context import AppContext
from beffroi.web.proxies import IPNetwork, behind_proxies
from beffroi.web.tls import TlsError, TlsFiles, check, is_loopback, listen_refusal, resolve

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
    # Reverse proxies whose X-Forwarded-For names the client (beffroi.web.proxies).
    trusted_proxies: tuple[IPNetwork, ...] = ()
    # TLS (beffroi.web.tls): the pair named, else DATA/tls/{cert,key}.pem when present
    # and `tls_from_data_dir` (the demo serves plain HTTP on loopback unless asked).
    tls_cert: Path | None = None
    tls_key: Path | None = None
    tls_from_data_dir: bool = True
    # Plain HTTP on a non-loopback address: refused unless this is set.
    insecure_http: bool = False


def serve(opts: Options, clock: Clock | None = None) -> int:
    from beffroi.access.demo import ensure_demo_operator
    from beffroi.access.users import ensure_admin
    from beffroi.demo_oncall import DEMO_SUPERVISOR, ensure_demo_oncall

    clock = clock or SystemClock()
    try:
        tls = _tls(opts)  # refused before anything starts
    except TlsError as exc:
        print(f"beffroi: {exc}", file=sys.stderr, flush=True)
        return 2
    try:
        loaded = load_site(opts.site, today=today_from(clock))
    except SiteError as exc:
        print(str(exc), flush=True)
        return 1
    for warning in loaded.warnings:
        log.warning("site: %s", warning)
    site = loaded.site

    data_dir = opts.data_dir
    private_data_dir(data_dir)
    try:  # the key of the TOTP secrets (beffroi.access.secrets_box), before anything starts
        totp_key = TotpKey.load(data_dir)
    except TotpKeyError as exc:
        print(str(exc), flush=True)
        return 1
    root = archive_root(data_dir)
    root.mkdir(exist_ok=True)
    engine = make_engine(database_url(data_dir))
    try:
        copy = upgrade(engine, copy_aside=True)
    except SchemaTooNewError as exc:
        print(str(exc), flush=True)
        return 1
    if copy is not None:
        print(f"database copied before its migration: {copy}", flush=True)
    journal = Journal.open(engine, clock, data_dir)
    journal.configure(site)  # where checkpoints are published
    applied = apply_site(engine, site, clock)
    log.info("site applied: %s", applied)
    _journal_site(journal, opts.site, applied)
    password = ensure_admin(engine, clock, os.environ.get(ADMIN_PASSWORD_ENV))
    demo_lines: list[str] = []
    if opts.demo:
        operator = ensure_demo_operator(engine, clock, data_dir)
        supervisor_password = ensure_demo_oncall(engine, clock, data_dir, operator.username)
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
        demo_lines.append(
            f"Demo supervisor (on-call escalation): user '{DEMO_SUPERVISOR}', password "
            f"'{supervisor_password}'. On-call rota: '{operator.username}' around the clock, "
            f"then '{DEMO_SUPERVISOR}' after 2 minutes without acknowledgement"
        )

    floor = floor_bytes(site.recording.free_space_floor, root)
    retention = RetentionLoop(engine, root, clock, free_floor_bytes=floor, journal=journal)
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
    # Exports a crash interrupted are queued again and run from the start.
    export_jobs = ExportJobs(
        engine,
        clock,
        data_dir,
        root,
        free_floor_bytes=floor,
        journal=journal,
        live_start=functools.partial(_live_start, recorder),
        fingerprint_published_at=site.exports.fingerprint_published_at,
        keep_days=site.exports.keep_days,
    )
    export_jobs.start()
    alarms = _start_alarms(site, engine, clock, journal)
    # One incident service for every receiver: it serialises the opening of incidents.
    incident_service = alarms.service if alarms is not None else None
    if incident_service is None:
        incident_service = IncidentService(
            engine, clock, journal, site.alarms.group_seconds, MediaSettings.of_site(site)
        )
    inputs = _start_alarm_inputs(site, engine, clock, journal, incident_service)
    oncall = _start_oncall(site, engine, clock, journal, data_dir, recorder)
    if oncall is not None:
        wake = oncall.escalation.wake
        incident_service.on_opened.append(lambda _incident: wake())
    # Incidents' snapshots and clips (queued by the alarm path, made off its thread), and
    # the watcher that opens fault incidents (camera offline, disk, retention, clock).
    incident_media = IncidentMedia(engine, clock, data_dir, root, recorder, journal)
    incident_media.start()
    faults = FaultIncidents(engine, clock, journal)
    health = HealthWatcher(
        engine, clock, recorder, faults, archive_root=root, floor_bytes=floor, retention=retention
    )
    health.start()
    # One sample a minute per camera (status, fps, bitrate) for the health page's charts.
    sampler = HealthSampler(engine, clock, recorder)
    sampler.start()

    ctx = AppContext(
        engine=engine,
        clock=clock,
        data_dir=data_dir,
        archive_root=root,
        recorder=recorder,
        free_floor_bytes=floor,
        storage_report=lambda: storage_report(engine, root, clock, floor),
        journal=journal,
        exports=export_jobs,
        # Live view reads the files the recorder writes (one RTSP session per camera,
        # however many viewers); its tasks run on the API's event loop and end with it.
        live=LiveHub.tailing(root, recorder),
        totp_key=totp_key,
    )
    app = create_app(ctx)
    app.state.oncall = oncall  # test messages go through the configured channels
    app.state.alarm_inputs = inputs  # POST /api/alarms: the webhook receiver
    url = f"{'https' if tls else 'http'}://{_url_host(opts.host)}:{opts.port}"
    _announce(url, len(specs), password, demo_lines)
    server = uvicorn.Server(api_config(app, opts, tls))
    # uvicorn re-raises SIGINT/SIGTERM once it has stopped, which would kill this process
    # before the recorder closes its segments; in a thread it leaves signals to us.
    api = threading.Thread(target=server.run, name="api", daemon=True)
    stop = threading.Event()
    reload = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    signal.signal(signal.SIGHUP, lambda *_: reload.set())
    api.start()
    systemd = Notifier()
    systemd.ready(f"serving {url}, {len(specs)} camera(s)")
    try:
        while not stop.wait(0.5):
            if not api.is_alive():  # the API could not start (port taken…)
                log.error("the API stopped; shutting down")
                return 1
            systemd.tick(healthy=retention.running)
            if reload.is_set():
                reload.clear()
                reload_site(
                    opts.site, engine, clock, recorder, journal, alarms, oncall, inputs,
                    export_jobs,
                )  # fmt: skip
    finally:
        systemd.stopping()
        server.should_exit = True
        api.join(10)
        health.stop()  # before the recorder: cameras closing are not faults
        sampler.stop()
        log.info("stopping: closing segments")
        recorder.stop()
        if alarms is not None:
            alarms.stop()
        if inputs is not None:
            inputs.stop()
        if oncall is not None:
            oncall.stop()
        incident_media.stop()
        retention.stop()
        journal_upkeep.stop()
        export_jobs.stop()
        index.wait_idle(timeout=15)
        index.stop()
    return 0


def api_config(app: FastAPI, opts: Options, tls: TlsFiles | None = None) -> uvicorn.Config:
    """How the API is served: over TLS when `tls` names a pair. uvicorn's proxy headers
    are off: by default it believes X-Forwarded-For from any loopback peer; only
    `opts.trusted_proxies` decide."""
    return uvicorn.Config(
        behind_proxies(app, opts.trusted_proxies),
        host=opts.host,
        port=opts.port,
        log_level="warning",
        proxy_headers=False,
        ssl_certfile=str(tls.cert) if tls else None,
        ssl_keyfile=str(tls.key) if tls else None,
    )


def _tls(opts: Options) -> TlsFiles | None:
    """The certificate to serve, or None for plain HTTP. `TlsError` for a configuration
    refused: a pair that cannot or must not be served, or plain HTTP on a network
    address without `--insecure-http` (`beffroi.web.tls`)."""
    data_dir = opts.data_dir if opts.tls_from_data_dir else None
    tls = resolve(opts.tls_cert, opts.tls_key, data_dir)
    for warning in check(tls) if tls else []:
        log.warning("%s", warning)
    refusal = listen_refusal(opts.host, tls, opts.insecure_http)
    if refusal:
        raise TlsError(refusal)
    if tls is None and not is_loopback(opts.host):
        log.warning(
            "plain HTTP on %s (--insecure-http): passwords and session cookies cross the "
            "network in clear",
            opts.host,
        )
    return tls


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def reload_site(
    path: Path,
    engine: Engine,
    clock: Clock,
    recorder: Supervisor,
    journal: Journal,
    alarms: AlarmIntake | None = None,
    oncall: OnCallRuntime | None = None,
    inputs: AlarmInputs | None = None,
    exports: ExportJobs | None = None,
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
    journal.configure(loaded.site)
    _journal_site(journal, path, applied)
    specs, disabled = _camera_specs(active_cameras(engine), loaded.site)
    for camera_id in applied.cameras_removed:
        disabled[camera_id] = Reason.REMOVED
    changes = recorder.update(specs, disabled)
    if alarms is not None:
        alarms.reload(loaded.site)
    if oncall is not None:
        oncall.reload(loaded.site)
    if inputs is not None:
        inputs.reload(loaded.site)
    if exports is not None:
        exports.fingerprint_published_at = loaded.site.exports.fingerprint_published_at
        exports.keep_days = loaded.site.exports.keep_days
    log.info("site reloaded: %s", changes)
    return True


def _start_alarms(site: Site, engine: Engine, clock: Clock, journal: Journal) -> AlarmIntake | None:
    """The alarm receivers the site file enables, wired to the incidents. One that cannot
    start (port taken) is reported loudly, but the recorder keeps recording."""
    try:
        return AlarmIntake.start(site, engine, clock, journal)
    except OSError as exc:
        log.error("alarms: the receiver could not start: %s", exc)
        print(f"ALARMS NOT RECEIVED: the SIA DC-09 receiver could not start: {exc}", flush=True)
        return None


def _start_alarm_inputs(
    site: Site, engine: Engine, clock: Clock, journal: Journal, service: IncidentService
) -> AlarmInputs | None:
    """The webhook and MQTT receivers, on the one incident service (the DC-09 one)."""
    try:
        return AlarmInputs.start(site, engine, clock, journal, service.alarm_received)
    except Exception as exc:
        log.exception("alarms: the webhook or MQTT receiver could not start")
        print(f"ALARMS NOT RECEIVED: the webhook or MQTT receiver failed: {exc}", flush=True)
        return None


def _live_start(recorder: Supervisor, camera_id: str) -> int | None:
    """Start of the segment the recorder is writing for `camera_id`, if any."""
    state = recorder.camera_states().get(camera_id)
    return state.live.start_ms if state is not None and state.live is not None else None


def _start_oncall(
    site: Site, engine: Engine, clock: Clock, journal: Journal, data_dir: Path, recorder: Supervisor
) -> OnCallRuntime | None:
    """Escalation and notification channels. One that cannot start (an MQTT password
    not set) is reported loudly, but recording and alarms go on."""
    try:
        # The alarm's snapshot goes with the alert when it is ready (0.1 to 1 s after
        # the alarm); the first alert does not wait for it.
        snapshot = functools.partial(snapshot_jpeg, engine, data_dir)
        return OnCallRuntime.start(site, engine, clock, journal, data_dir, recorder, snapshot)
    except Exception as exc:
        log.exception("oncall: could not start")
        print(f"ON-CALL AGENTS NOT NOTIFIED: the notification service failed: {exc}", flush=True)
        return None


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


def private_data_dir(data_dir: Path) -> None:
    """Footage, the database (and its WAL), snapshots and keys are nobody else's: the
    data directory is 0700, and what the server and its recorder processes (which
    inherit it) create is at most group-readable (umask 027), never world-readable."""
    os.umask(0o027)
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    if data_dir.stat().st_mode & 0o077:
        log.warning("data directory %s was open to others: now 0700", data_dir)
        data_dir.chmod(0o700)


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
                transport=cam.transport,
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
