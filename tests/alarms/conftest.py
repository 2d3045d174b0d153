"""A real receiver on loopback (TCP and UDP), wired to the incidents service, on a real
database (both backends), with the real journal."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from beffroi.alarms.accounts import site_accounts
from beffroi.alarms.decoder import Dc09Policy
from beffroi.alarms.intake import MessageLog
from beffroi.alarms.receiver import Dc09Receiver
from beffroi.alarms.tables import alarm_messages
from beffroi.clock import SystemClock
from beffroi.incidents.queries import IncidentOut, list_incidents
from beffroi.incidents.service import IncidentService
from beffroi.journal.service import Journal
from tests.alarms.site import KEY_ENV, KEY_HEX, seed


@dataclass
class Running:
    receiver: Dc09Receiver
    engine: Engine
    journal: Journal

    @property
    def port(self) -> int:
        return self.receiver.port

    def incidents(self) -> list[IncidentOut]:
        return list_incidents(self.engine, None)

    def messages(self) -> list[dict]:
        assert self.receiver.message_log.wait_idle(20)
        with self.engine.connect() as conn:
            rows = conn.execute(select(alarm_messages).order_by(alarm_messages.c.id))
            return [dict(r._mapping) for r in rows]


@pytest.fixture
def running(engine: Engine, data_dir: Path) -> Iterator[Running]:
    clock = SystemClock()  # panels stamp messages with the real time
    site = seed(engine, clock)
    accounts, problems = site_accounts(site, {KEY_ENV: KEY_HEX})
    assert problems == []
    journal = Journal.open(engine, clock, data_dir)
    service = IncidentService(engine, clock, journal, group_seconds=60)
    receiver = Dc09Receiver(
        "127.0.0.1",
        0,
        Dc09Policy(accounts=accounts, clock=clock),
        engine,
        on_alarm=service.alarm_received,
        message_log=MessageLog(engine, journal),
    )
    receiver.start()
    yield Running(receiver, engine, journal)
    receiver.stop()
