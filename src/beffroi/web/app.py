"""The FastAPI application: routers per domain, every route guarded."""

from __future__ import annotations

from fastapi import FastAPI

from beffroi import __version__
from beffroi.web.context import AppContext
from beffroi.web.guard import unguarded_routes
from beffroi.web.routes import auth, cameras, health, metrics, recordings, storage


class UnguardedRouteError(RuntimeError):
    pass


def create_app(ctx: AppContext) -> FastAPI:
    app = FastAPI(
        title="Beffroi",
        version=__version__,
        description="API of a municipal urban supervision centre (CSU).",
    )
    app.state.ctx = ctx
    for module in (health, auth, cameras, recordings, storage, metrics):
        app.include_router(module.router)
    problems = unguarded_routes(app)
    if problems:
        # A route without a permission is a hole in the access control: refuse to serve.
        raise UnguardedRouteError("unguarded routes: " + "; ".join(problems))
    return app
