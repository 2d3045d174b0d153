"""Alarms in, incidents out: the receivers the site file enables, wired to the service.

`beffroi.server` calls `AlarmIntake.start` after the recorder and before the API, and
`reload` on SIGHUP (new accounts, keys and grouping window apply at once; a new listen
address needs a restart). Alarms go to `IncidentService.alarm_received`, the one hook
that notifications and clips will also hang from.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Engine

from beffroi.alarms.accounts import site_accounts
from beffroi.alarms.decoder import Dc09Policy
from beffroi.alarms.intake import JournalLike, MessageLog
from beffroi.alarms.receiver import Dc09Receiver, Receiver
from beffroi.clock import Clock
from beffroi.incidents.clip_window import MediaSettings
from beffroi.incidents.service import IncidentService
from beffroi.site.models import Site

log = logging.getLogger(__name__)


@dataclass
class AlarmIntake:
    service: IncidentService
    receivers: list[Receiver] = field(default_factory=list)
    listen: str | None = None

    @classmethod
    def start(
        cls, site: Site, engine: Engine, clock: Clock, journal: JournalLike | None
    ) -> AlarmIntake:
        service = IncidentService(
            engine, clock, journal, site.alarms.group_seconds, MediaSettings.of_site(site)
        )
        intake = cls(service)
        settings = site.alarms.sia_dc09
        if settings is None:
            return intake
        accounts, problems = site_accounts(site)
        for problem in problems:
            log.error("alarms: %s", problem)
        host, _, port = settings.listen.rpartition(":")
        policy = Dc09Policy(
            accounts=accounts,
            clock=clock,
            past=timedelta(seconds=settings.past_seconds),
            future=timedelta(seconds=settings.future_seconds),
            receiver=settings.receiver,
            line=settings.line,
        )
        receiver = Dc09Receiver(
            host.strip("[]"),
            int(port),
            policy,
            engine,
            on_alarm=service.alarm_received,
            message_log=MessageLog(engine, journal),
        )
        receiver.start()
        intake.receivers.append(receiver)
        intake.listen = settings.listen
        return intake

    def reload(self, site: Site) -> None:
        self.service.group_seconds = site.alarms.group_seconds
        accounts, problems = site_accounts(site)
        for problem in problems:
            log.error("alarms: %s", problem)
        for receiver in self.receivers:
            receiver.update_accounts(accounts)
        wanted = site.alarms.sia_dc09.listen if site.alarms.sia_dc09 else None
        if wanted != self.listen:
            log.warning("alarms: the receiver's address changed: restart Beffroi to apply it")

    def stop(self) -> None:
        for receiver in self.receivers:
            receiver.stop()
