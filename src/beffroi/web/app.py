"""The FastAPI application: routers per domain, every route guarded."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError

from beffroi import __version__
from beffroi.access.enrolment import encrypt_totp_secrets
from beffroi.access.secrets_box import TotpKey
from beffroi.db.migrate import current_revision
from beffroi.journal.http import connect_access_events
from beffroi.journal.service import Journal
from beffroi.live.hub import LiveHub
from beffroi.web.context import AppContext
from beffroi.web.guard import unguarded_routes
from beffroi.web.headers import SecurityHeaders
from beffroi.web.limits import BodyLimit
from beffroi.web.routes import (
    access,
    alarms,
    auth,
    camera_history,
    cameras,
    communes,
    console,
    docs,
    exports,
    holds,
    incidents,
    journal,
    layouts,
    live,
    liveness,
    metrics,
    oncall,
    playback,
    playback_links,
    recordings,
    registers,
    reports,
    requisitions,
    storage,
    users,
)

# Every router of the API, in the order of the flow; each module owns its routes.
ROUTERS = (
    liveness,
    auth,
    access,
    cameras,
    communes,
    camera_history,
    recordings,
    playback,
    playback_links,
    live,
    storage,
    metrics,
    journal,
    registers,
    users,
    requisitions,
    holds,
    exports,
    alarms,
    incidents,
    oncall,
    reports,
    console,
    layouts,
    docs,
)


class UnguardedRouteError(RuntimeError):
    pass


async def _invalid_data(_request: Request, exc: Exception) -> JSONResponse:
    # A value the database refuses (PostgreSQL: a NUL character in text) is bad input,
    # not a server fault: 422, as on SQLite, which stores it and finds nothing.
    return JSONResponse(
        status_code=422, content={"detail": "invalid value: text may not contain NUL characters"}
    )


def create_app(ctx: AppContext) -> FastAPI:
    app = FastAPI(
        title="Beffroi",
        version=__version__,
        description="API of a municipal urban supervision centre (CSU).",
        # Served from local files by routes/docs.py, never from FastAPI's CDN.
        docs_url=None,
        redoc_url=None,
    )
    app.state.ctx = ctx
    # The schema cannot change while the server runs (it migrates before): read once.
    app.state.schema_revision = current_revision(ctx.engine)
    for module in ROUTERS:
        app.include_router(module.router)
    if ctx.live is None:
        ctx.live = LiveHub.tailing(ctx.archive_root, ctx.recorder)
    if ctx.journal is None:
        ctx.journal = Journal.open(ctx.engine, ctx.clock, ctx.data_dir)
    # Every action on video is journaled, denied attempts included (403/404 handler),
    # and so is every login, failure, lockout and account change.
    journal.install(app, ctx.journal)
    connect_access_events(ctx.journal)
    # TOTP secrets are kept encrypted with a key outside the database: those an older
    # version stored in clear are encrypted now, before any sign-in (journaled).
    if ctx.totp_key is None:
        ctx.totp_key = TotpKey.load(ctx.data_dir)
    encrypt_totp_secrets(ctx.engine, ctx.totp_key, source="startup")
    app.add_exception_handler(DataError, _invalid_data)
    app.add_middleware(BodyLimit)
    app.add_middleware(SecurityHeaders)  # outermost: the 413 of BodyLimit gets them too
    problems = unguarded_routes(app)
    if problems:
        # A route without a permission is a hole in the access control: refuse to serve.
        raise UnguardedRouteError("unguarded routes: " + "; ".join(problems))
    return app
