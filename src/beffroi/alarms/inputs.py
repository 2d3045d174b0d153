"""The webhook and MQTT receivers as the site file enables them (`alarms.webhook`,
`alarms.mqtt`), wired by `beffroi.server` to the same alarm hook as the DC-09 receiver.

`reload` (SIGHUP) applies new integrations, keys, buildings and the timestamp window at
once, and enables the webhook if the section appeared; a new broker or topics need a
restart, like the DC-09 listen address. A key or password that cannot be read leaves
its integration (or the MQTT receiver) out, reported as a problem: one bad key must
not silence the other receivers.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import Engine

from beffroi.alarms.intake import AlarmHook, JournalLike, MessageLog
from beffroi.alarms.mqtt import RECEIVER as MQTT
from beffroi.alarms.mqtt import MqttReceiver
from beffroi.alarms.webhook import MIN_SECRET, Integration, WebhookReceiver
from beffroi.alarms.webhook import RECEIVER as WEBHOOK
from beffroi.clock import Clock
from beffroi.site.models import AlarmMqttSettings, AlarmWebhookSettings, Site
from beffroi.site.secrets import secret_value

log = logging.getLogger(__name__)


def read_secret(
    env: str | None, file: str | None, environ: Mapping[str, str] | None = None
) -> str | None:
    """A key or password named by the site file (`site.secrets`); None when none is
    named; ValueError when the named one cannot be read, or when both ways are given."""
    if env is not None and file is not None:
        raise ValueError("give the key either through an environment variable or a file")
    value = secret_value(env, file, environ)  # SecretError is a ValueError
    return None if value is None else value.strip()


def integrations_of(
    settings: AlarmWebhookSettings, environ: Mapping[str, str] | None = None
) -> tuple[dict[str, Integration], list[str]]:
    """(integrations by token name, problems in plain words)."""
    found: dict[str, Integration] = {}
    problems: list[str] = []
    for item in settings.integrations:
        try:
            secret = read_secret(item.secret_env, item.secret_file, environ)
            if secret is None or len(secret) < MIN_SECRET:
                raise ValueError(f"a signing key of {MIN_SECRET} characters or more is needed")
        except ValueError as exc:
            problems.append(f"webhook integration {item.token}: {exc}; its alarms are refused")
            continue
        found[item.token] = Integration(item.token, secret.encode(), frozenset(item.buildings))
    return found, problems


def building_communes(site: Site) -> dict[str, str]:
    return {b.id: b.commune for b in site.buildings}


@dataclass
class AlarmInputs:
    engine: Engine
    clock: Clock
    journal: JournalLike | None
    on_alarm: AlarmHook | None
    webhook: WebhookReceiver | None = None
    mqtt: MqttReceiver | None = None
    mqtt_settings: AlarmMqttSettings | None = None
    problems: list[str] = field(default_factory=list)

    @classmethod
    def start(
        cls,
        site: Site,
        engine: Engine,
        clock: Clock,
        journal: JournalLike | None,
        on_alarm: AlarmHook | None,
        environ: Mapping[str, str] | None = None,
    ) -> AlarmInputs:
        inputs = cls(engine, clock, journal, on_alarm)
        inputs._webhook(site, environ)
        settings = site.alarms.mqtt
        if settings is not None:
            try:
                password = read_secret(settings.password_env, settings.password_file, environ)
            except ValueError as exc:
                inputs._problem(f"mqtt receiver: broker password: {exc}; not started")
            else:
                inputs.mqtt = MqttReceiver(
                    settings,
                    engine,
                    clock,
                    on_alarm,
                    MessageLog(engine, journal, receiver=MQTT),
                    building_communes(site),
                    password,
                )
                inputs.mqtt.start()
                inputs.mqtt_settings = settings
        return inputs

    def _webhook(self, site: Site, environ: Mapping[str, str] | None) -> None:
        settings = site.alarms.webhook
        if settings is None:
            if self.webhook is not None:  # the section went away: refuse from now on
                self.webhook.update({}, {}, self.webhook.window_seconds)
            return
        integrations, problems = integrations_of(settings, environ)
        for problem in problems:
            self._problem(problem)
        if self.webhook is None:
            self.webhook = WebhookReceiver(
                self.engine,
                self.clock,
                self.on_alarm,
                MessageLog(self.engine, self.journal, receiver=WEBHOOK),
                integrations,
                building_communes(site),
                settings.window_seconds,
            )
            self.webhook.start()
        else:
            self.webhook.update(integrations, building_communes(site), settings.window_seconds)

    def _problem(self, text: str) -> None:
        self.problems.append(text)
        log.error("alarms: %s", text)

    def reload(self, site: Site, environ: Mapping[str, str] | None = None) -> None:
        self._webhook(site, environ)
        if self.mqtt is not None:
            self.mqtt.update_buildings(building_communes(site))
        if site.alarms.mqtt != self.mqtt_settings:
            log.warning("alarms: the MQTT receiver's settings changed: restart Beffroi")

    def stop(self) -> None:
        if self.mqtt is not None:
            self.mqtt.stop()
        if self.webhook is not None:
            self.webhook.stop()
