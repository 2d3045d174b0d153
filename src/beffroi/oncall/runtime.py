"""The on-call service as `beffroi run` starts it: channels from the site file's
`notifications` section, the signed-link key, the escalation loop, the MQTT feed
when a broker is configured, and the dead man's switch (`heartbeat`) when a monitor is.

`reload` (SIGHUP) swaps the channels, the link settings and the monitor at once; a new
broker address needs a restart, like the alarm receiver's address.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine

from beffroi.alarms.intake import JournalLike
from beffroi.clock import Clock
from beffroi.ingest.state import RecorderView
from beffroi.oncall.channels import Channel
from beffroi.oncall.channels.mqtt import MqttChannel, MqttLink
from beffroi.oncall.channels.ntfy import NtfyChannel
from beffroi.oncall.channels.smtp import SmtpChannel
from beffroi.oncall.channels.webhook import WebhookChannel
from beffroi.oncall.escalation import Escalation
from beffroi.oncall.heartbeat import Heartbeat
from beffroi.oncall.links import IncidentLinks, load_or_create_secret
from beffroi.oncall.notify import Notifier, SnapshotSource
from beffroi.oncall.publish import MqttFeed
from beffroi.site.models import NotificationSettings, Site

log = logging.getLogger(__name__)


def build_channels(
    settings: NotificationSettings, clock: Clock, mqtt: MqttLink | None
) -> dict[str, Channel]:
    channels: dict[str, Channel] = {}
    if settings.smtp is not None:
        channels["email"] = SmtpChannel(settings.smtp)
    if settings.webhook is not None:
        channels["webhook"] = WebhookChannel(settings.webhook, clock)
    if settings.ntfy is not None:
        channels["ntfy"] = NtfyChannel(settings.ntfy)
    if mqtt is not None:
        channels["mqtt"] = MqttChannel(mqtt)
    return channels


def build_links(settings: NotificationSettings, data_dir: Path) -> IncidentLinks:
    return IncidentLinks(
        load_or_create_secret(data_dir),
        settings.public_url,
        timedelta(minutes=settings.link_minutes),
    )


@dataclass
class OnCallRuntime:
    notifier: Notifier
    escalation: Escalation
    mqtt: MqttLink | None = None
    feed: MqttFeed | None = None
    broker: str | None = None
    data_dir: Path | None = None
    engine: Engine | None = None
    recorder: RecorderView | None = None  # what the heartbeat reports; None: no heartbeat
    heartbeat: Heartbeat | None = None

    @classmethod
    def start(
        cls,
        site: Site,
        engine: Engine,
        clock: Clock,
        journal: JournalLike | None,
        data_dir: Path,
        recorder: RecorderView | None = None,
        snapshot: SnapshotSource | None = None,
    ) -> OnCallRuntime:
        settings = site.notifications
        mqtt = feed = None
        if settings.mqtt is not None:
            mqtt = MqttLink(settings.mqtt).start()
            feed = MqttFeed(
                engine,
                clock,
                mqtt,
                recorder,
                publish_incidents=settings.mqtt.publish_incidents,
                publish_cameras=settings.mqtt.publish_cameras,
            )
            feed.start()
        notifier = Notifier(engine, clock, build_channels(settings, clock, mqtt), journal)
        escalation = Escalation(
            engine, clock, notifier, build_links(settings, data_dir), journal, snapshot
        )
        escalation.start()
        broker = settings.mqtt.broker if settings.mqtt is not None else None
        runtime = cls(notifier, escalation, mqtt, feed, broker, data_dir, engine, recorder)
        runtime._set_heartbeat(settings)
        return runtime

    def _set_heartbeat(self, settings: NotificationSettings) -> None:
        """Start, change or stop the dead man's switch as the site file now says."""
        wanted = settings.heartbeat
        if wanted is None:
            if self.heartbeat is not None:
                self.heartbeat.stop()
                self.heartbeat = None
        elif self.heartbeat is not None:
            self.heartbeat.settings = wanted
        elif self.engine is not None and self.recorder is not None:
            self.heartbeat = Heartbeat(wanted, self.engine, self.notifier.clock, self.recorder)
            self.heartbeat.start()

    def reload(self, site: Site) -> None:
        settings = site.notifications
        self.notifier.channels = build_channels(settings, self.notifier.clock, self.mqtt)
        if self.data_dir is not None:
            self.escalation.links = build_links(settings, self.data_dir)
        self._set_heartbeat(settings)
        wanted = settings.mqtt.broker if settings.mqtt is not None else None
        if wanted != self.broker:
            log.warning("notifications: the MQTT broker changed: restart Beffroi to apply it")

    def stop(self) -> None:
        if self.heartbeat is not None:
            self.heartbeat.stop()  # first: a centre going down goes silent
        self.escalation.stop()
        if self.feed is not None:
            self.feed.stop()
        if self.mqtt is not None:
            self.mqtt.stop()
