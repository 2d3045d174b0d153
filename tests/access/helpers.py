"""Shared set-up for the access tests: communes and users made through the real API."""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any

from sqlalchemy import Engine, insert

from beffroi.access.secrets_box import TotpKey
from beffroi.access.users import create_user
from beffroi.clock import Clock
from beffroi.site.tables import communes

PW = "Correct-Horse-42!"
LATER = date(2027, 6, 30)
KEY = TotpKey(secrets.token_bytes(32), "tests")  # the TOTP key of these tests


def seed_communes(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(communes),
            [
                {"id": "joue-les-tours", "name": "Joué-lès-Tours", "updated_ms": 0},
                {"id": "chambray", "name": "Chambray-lès-Tours", "updated_ms": 0},
            ],
        )


def make_user(
    engine: Engine,
    clock: Clock,
    username: str,
    role: str = "operator",
    communes: tuple[str, ...] = ("joue-les-tours",),
    **record: Any,
) -> int:
    record.setdefault("is_police", True)
    return create_user(engine, username, PW, role, communes, clock, **record)
