"""Notification channels, pluggable: each turns an `Alert` into one message to one
address (a mailbox, a URL, a push topic, an MQTT topic) or raises `ChannelError`.

A channel never retries: a failure is recorded as an attempt and the escalation falls
through to the person's next contact, then to the next person. Timeouts are short
(seconds) because an agent waiting on a dead relay is an agent not called.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from beffroi.clock import PARIS
from beffroi.site.secrets import SecretError
from beffroi.site.secrets import secret_value as site_secret


def paris_time(at: datetime) -> str:
    """How a person in the town reads an instant: 01/11/2026 09:00:00."""
    return at.astimezone(PARIS).strftime("%d/%m/%Y %H:%M:%S")


class ChannelError(Exception):
    """The message did not leave (server down, refused, timed out): a failed attempt."""


@dataclass(frozen=True)
class Alert:
    """What a notification says, whatever carries it."""

    title: str  # one line: what and where
    text: str  # the body, in French, for a person
    kind: str
    at: datetime  # when it happened (UTC; shown in Europe/Paris)
    incident_id: int | None = None  # None for a test message
    commune: str | None = None
    building: str | None = None
    building_name: str | None = None
    zone: int | None = None
    zone_name: str | None = None
    cameras: tuple[str, ...] = ()
    link: str | None = None
    priority: int = 4  # ntfy's scale: 1 (min) to 5 (urgent)
    tags: tuple[str, ...] = ()
    snapshot: bytes | None = field(default=None, repr=False)  # JPEG, when one exists

    def local_time(self) -> str:
        return paris_time(self.at)

    def payload(self) -> dict[str, Any]:
        """The JSON form (webhook, MQTT): machine-readable, times in UTC ISO 8601."""
        return {
            "incident": self.incident_id,
            "kind": self.kind,
            "title": self.title,
            "message": self.text,
            "at": self.at.isoformat(),
            "at_local": self.at.astimezone(PARIS).isoformat(),
            "commune": self.commune,
            "building": self.building,
            "building_name": self.building_name,
            "zone": self.zone,
            "zone_name": self.zone_name,
            "cameras": list(self.cameras),
            "link": self.link,
            "priority": self.priority,
            "test": self.incident_id is None,
        }


class Channel(Protocol):
    name: str

    def send(self, alert: Alert, address: str) -> None:
        """Deliver or raise ChannelError."""


def secret_value(
    env: str | None, file: str | None, environ: Mapping[str, str] | None = None
) -> str | None:
    """A secret the site file names (`site.secrets`), its failure a `ChannelError` so it
    shows in the attempt, not as a silent None."""
    try:
        return site_secret(env, file, environ)
    except SecretError as exc:
        raise ChannelError(str(exc)) from None
