"""`frontend/openapi.json` is the API's description as the app gives it now: the
console's types (`frontend/src/lib/api-schema.d.ts`) are generated from that file, so a
response model changed without it would leave the console type-checking against the
old answer."""

from __future__ import annotations

import json
from pathlib import Path

from beffroi.web.openapi_dump import render

FILE = Path(__file__).resolve().parents[2] / "frontend" / "openapi.json"


def test_the_consoles_openapi_file_is_in_step_with_the_app() -> None:
    now = render()
    assert FILE.read_text() == now, (
        "frontend/openapi.json is out of date: run `make api-types` (it writes the file "
        "with python -m beffroi.web.openapi_dump, then the console's types from it with "
        "npm run api-types) and commit both"
    )
    paths = json.loads(now)["paths"]
    assert "/api/cameras" in paths and "/api/auth/session" in paths
