"""Fuzz the requisitions and holds routes as the people who may use them (the shared
fuzz test runs as an operator, whom these routes refuse before reading the input)."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import given

from beffroi.web.app import create_app
from beffroi.web.context import AppContext
from tests.requisitions.conftest import Headers
from tests.web.test_fuzz import FUZZ

MINE = ("/api/requisitions", "/api/holds")


def test_no_input_makes_a_server_error(ctx: AppContext, people: dict[str, Headers]) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(ctx))
    seen = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if not operation.path.startswith(MINE) or "exports" in operation.path:
            continue  # the export routes have their own tests
        seen += 1
        for who in ("chef", "opj-martin"):
            _fuzz(operation, people[who], who)
    assert seen == 11


def _fuzz(operation: Any, headers: Headers, who: str) -> None:
    @FUZZ
    @given(case=operation.as_strategy())
    def run(case: Any) -> None:
        response = case.call(headers=headers)
        assert response.status_code < 500, (
            f"{who} {case.method} {case.formatted_path}: {response.text}"
        )
        assert response.status_code in {200, 201, 403, 404, 409, 422}, response.text

    run()
