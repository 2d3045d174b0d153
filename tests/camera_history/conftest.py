"""The web tests' seeded site, app and recorder double, for the health package."""

from __future__ import annotations

from tests.web.conftest import (  # noqa: F401  (pytest fixtures)
    client,
    ctx,
    recorder,
)
