"""The HTTP API: `create_app(AppContext)`, one router per domain, every route guarded."""

from beffroi.web.app import create_app
from beffroi.web.context import AppContext

__all__ = ["AppContext", "create_app"]
