"""`frontend/openapi.json`, the API's OpenAPI description as the real app gives it, from
which the console's TypeScript types are generated (`frontend/src/lib/api-schema.d.ts`,
by openapi-typescript): the console's idea of an answer is the server's, not a copy.

    python -m beffroi.web.openapi_dump > frontend/openapi.json   # or: make api-types

`tests/web/test_openapi_dump.py` fails when the file and the app disagree, so a changed
response model reaches the console's types (and its type check) in the same change.
The app is built as `beffroi run` builds it, on a throw-away migrated SQLite database
in a temporary directory (the description does not depend on the data).
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from beffroi.access import events
from beffroi.clock import SystemClock
from beffroi.db.engine import make_engine
from beffroi.db.migrate import upgrade
from beffroi.ingest.state import CameraState
from beffroi.web.app import create_app
from beffroi.web.context import AppContext


class _NoRecorder:
    def camera_states(self) -> dict[str, CameraState]:
        return {}


def openapi() -> dict[str, Any]:
    """The description of the app `create_app` builds, with no site and no data."""
    with tempfile.TemporaryDirectory(prefix="beffroi-openapi-") as tmp:
        data = Path(tmp)
        engine = make_engine(f"sqlite:///{data / 'beffroi.sqlite3'}")
        try:
            upgrade(engine)
            archive = data / "archive"
            archive.mkdir()
            ctx = AppContext(
                engine=engine,
                clock=SystemClock(),
                data_dir=data,
                archive_root=archive,
                recorder=_NoRecorder(),
                free_floor_bytes=0,
            )
            try:
                return create_app(ctx).openapi()
            finally:
                events.set_recorder(None)  # create_app connects it for the process
        finally:
            engine.dispose()


def render() -> str:
    return json.dumps(openapi(), indent=2, ensure_ascii=False, sort_keys=False) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
