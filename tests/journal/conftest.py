"""The web tests' app context (seeded site and users), reused for the journal API."""

from tests.web.conftest import ctx, recorder

__all__ = ["ctx", "recorder"]
