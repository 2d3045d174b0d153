"""Fuzz the OpenAPI description with schemathesis: no input makes a 500, and nothing
is served without authentication. (Driven through Hypothesis directly: schemathesis'
pytest plugin does not support this pytest version.)"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings

from beffroi.web.app import create_app
from beffroi.web.context import AppContext
from beffroi.web.guard import PUBLIC_PATHS
from tests.web.conftest import token_for

# Derandomized: CI must give the same verdict on every run of the same code.
FUZZ = settings(
    max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True
)


def fuzz(ctx: AppContext, headers: dict[str, str], check: Callable[[Any, Any], None]) -> int:
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(ctx))
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @FUZZ
        @given(case=operation.as_strategy())
        def run(case: Any) -> None:
            check(case, case.call(headers=headers))

        run()
    return operations


def test_no_input_makes_a_server_error(ctx: AppContext) -> None:
    def check(case: Any, response: Any) -> None:
        assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text}"

    assert fuzz(ctx, token_for(ctx, "agent"), check) >= 6


def test_nothing_is_served_without_authentication(ctx: AppContext) -> None:
    def check(case: Any, response: Any) -> None:
        if case.path in PUBLIC_PATHS:
            assert response.status_code < 500
        else:
            assert response.status_code == 401, f"{case.method} {case.formatted_path} served"

    assert fuzz(ctx, {}, check) >= 6
