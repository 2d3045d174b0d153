"""`beffroi run`: the composition root.

1. refuse a TLS set-up that must not serve, load the site file, open and lock the data
   directory (0700) and the key of the TOTP secrets;
2. migrate the schema (an SQLite database is copied aside first), take the centre's
   recorder lease (a second server on the same database refuses to start), open the
   journal, apply the site file, ensure the first administrator (and the demo's people);
3. start the centre (`beffroi.centre.Centre`: the archive's recovery, the index writer,
   the recorder, retention and every other service, in the order the archive's
   invariants need);
4. serve the API and console, tell systemd, and wait for a signal: SIGHUP reloads the
   site file, SIGINT / SIGTERM stop the API then the centre, which closes every segment.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from beffroi import __version__
from beffroi.access.secrets_box import TotpKey, TotpKeyError
from beffroi.archive.disk import floor_bytes
from beffroi.archive.layout import archive_root
from beffroi.archive.storage import storage_report
from beffroi.centre import Centre, journal_site
from beffroi.clock import Clock, SystemClock
from beffroi.cluster.sole import AnotherCentreError, claim_recorder, lock_data_dir
from beffroi.db.engine import database_url, make_engine
from beffroi.db.migrate import SchemaTooNewError, upgrade
from beffroi.journal.service import Journal
from beffroi.live.hub import LiveHub
from beffroi.malloc import tune_allocator
from beffroi.site.apply import apply_site
from beffroi.site.loader import SiteError, load_site, today_from
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

    tune_allocator()  # before the recorder, the API and their threads start
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
    try:  # one recorder per data directory (beffroi.cluster.sole), before anything else
        data_lock = lock_data_dir(data_dir)
    except AnotherCentreError as exc:
        print(f"beffroi: {exc}", file=sys.stderr, flush=True)
        return 1
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
    try:  # and one per database: nothing is applied or recorded before this
        recorder_lease = claim_recorder(engine, clock, data_dir)
    except AnotherCentreError as exc:
        print(f"beffroi: {exc}", file=sys.stderr, flush=True)
        return 1
    journal = Journal.open(engine, clock, data_dir)
    journal.configure(site)  # where checkpoints are published
    applied = apply_site(engine, site, clock)
    log.info("site applied: %s", applied)
    journal_site(journal, opts.site, applied)
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
    centre = Centre.start(site, engine, clock, journal, data_dir, floor, opts.use_processes)
    recorder = centre.recorder

    ctx = AppContext(
        engine=engine,
        clock=clock,
        data_dir=data_dir,
        archive_root=root,
        recorder=recorder,
        free_floor_bytes=floor,
        storage_report=lambda: storage_report(engine, root, clock, floor),
        journal=journal,
        exports=centre.export_jobs,
        # Live view reads the files the recorder writes (one RTSP session per camera,
        # however many viewers); its tasks run on the API's event loop and end with it.
        live=LiveHub.tailing(root, recorder),
        totp_key=totp_key,
    )
    app = create_app(ctx)
    app.state.oncall = centre.oncall  # test messages go through the configured channels
    app.state.alarm_inputs = centre.inputs  # POST /api/alarms: the webhook receiver
    url = f"{'https' if tls else 'http'}://{_url_host(opts.host)}:{opts.port}"
    _announce(url, centre.cameras, password, demo_lines)
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
    systemd.ready(f"serving {url}, {centre.cameras} camera(s)")
    try:
        while not stop.wait(0.5):
            if not api.is_alive():  # the API could not start (port taken…)
                log.error("the API stopped; shutting down")
                return 1
            systemd.tick(healthy=centre.retention.running)
            if reload.is_set():
                reload.clear()
                centre.reload(opts.site, engine, clock, journal)
    finally:
        systemd.stopping()
        server.should_exit = True
        api.join(10)
        centre.stop()
        recorder_lease.stop()  # released: the next server records at once
        data_lock.close()
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


def private_data_dir(data_dir: Path) -> None:
    """Footage, the database (and its WAL), snapshots and keys are nobody else's: the
    data directory is 0700, and what the server and its recorder processes (which
    inherit it) create is at most group-readable (umask 027), never world-readable."""
    os.umask(0o027)
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    if data_dir.stat().st_mode & 0o077:
        log.warning("data directory %s was open to others: now 0700", data_dir)
        data_dir.chmod(0o700)


def _announce(url: str, cameras: int, password: str | None, extra: list[str]) -> None:
    lines = [f"Beffroi {__version__}: {cameras} camera(s) recording; console and API on {url}"]
    if password:
        lines.append(f"First start: user 'admin', password '{password}' (shown once: note it)")
    lines.extend(extra)
    print("\n".join(lines), flush=True)
