"""Incidents on a real database (both backends), their building from a real site file,
and the API app of tests/web with its users (agent: Joué-lès-Tours; admin: all)."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import Engine, insert

from beffroi.alarms.events import PanelEvent
from beffroi.alarms.intake import Alarm
from beffroi.alarms.tables import alarm_messages
from beffroi.clock import FakeClock, utc_ms
from beffroi.incidents.service import IncidentService
from tests.alarms.site import seed
from tests.web.conftest import admin, agent, client, ctx, recorder  # noqa: F401


def alarm(
    engine: Engine,
    when: datetime,
    building: str = "gymnase-jean-bigot",
    account: str = "4321",
    *events: PanelEvent,
) -> Alarm:
    """An accepted message as the receiver would have stored it."""
    with engine.begin() as conn:
        message_id = conn.execute(
            insert(alarm_messages)
            .values(
                received_ms=utc_ms(when),
                receiver="sia-dc09",
                transport="tcp",
                account=account,
                building_id=building,
                encrypted=False,
                outcome="accepted",
                raw="test",
            )
            .returning(alarm_messages.c.id)
        ).scalar_one()
    return Alarm(
        message_id=message_id,
        receiver="sia-dc09",
        account=account,
        building_id=building,
        received_at=when,
        event_at=when,
        events=events or (PanelEvent("BA", 1, 1, "intrusion"),),
    )


@pytest.fixture
def service(engine: Engine, clock: FakeClock) -> IncidentService:
    seed(engine, clock)
    return IncidentService(engine, clock, group_seconds=60)
