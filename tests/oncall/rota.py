"""The rota the tests use, written through the same code as the API."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine

from beffroi.oncall.store import RotaIn, write_rota

# Alice every night 22:00 -> 06:00, Bruno on weekdays 08:00 -> 18:00 and Sundays
# 06:00 -> 22:00; Bruno is also the fallback; the supervisor (chef) comes last.
ROTA = {
    "name": "Astreinte Joué-lès-Tours",
    "communes": ["joue-les-tours"],
    "escalate_minutes": 5,
    "shifts": [
        {
            "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
            "start": "22:00",
            "end": "06:00",
            "user": "alice",
        },
        {
            "days": ["mon", "tue", "wed", "thu", "fri"],
            "start": "08:00",
            "end": "18:00",
            "user": "bruno",
        },
        {"days": ["sun"], "start": "06:00", "end": "22:00", "user": "bruno"},
    ],
    "fallbacks": ["bruno"],
}


def write(engine: Engine, body: dict | None = None, rota_id: str = "astreinte-jlt") -> None:
    with engine.begin() as conn:
        write_rota(
            conn,
            rota_id,
            RotaIn.model_validate(body or ROTA),
            None,
            "test",
            datetime(2026, 11, 1, tzinfo=UTC),
        )
