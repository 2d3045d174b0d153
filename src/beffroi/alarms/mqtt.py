"""The MQTT receiver: alarms read from a broker's topics (paho-mqtt).

How a message becomes an alarm (`alarms.mqtt.topics[]` in the site file):
- the topic pattern may carry `{building}` and `{zone}` as whole levels:
  `alarmes/{building}/{zone}` subscribes to `alarmes/+/+` and reads both from the topic;
  a payload may repeat the topic's building, never name another;
- the payload is, in this order: a plain value listed in `payloads` (`"ON": BA`, for a
  Home Assistant binary sensor), a JSON object (`{"building", "zone", "event", "time",
  "id", "text"}`, each overriding the topic's value, but for the building; other keys
  ignored, devices send many), or else the event itself (`BA`, `intrusion`); the
  topic's `event` fills in when the payload gives none;
- `event` is a SIA code (BA, FA, BR...) or an incident kind, as for the webhook.

Delivery: subscriptions at QoS 1 with a persistent session, and the PUBACK is sent
only once the alarm is stored (paho's manual acknowledgement): the broker keeps
resending what was not stored, as a DC-09 panel does without its ACK. A JSON `id` is a
delivery key (`alarms.deliveries`): a redelivery is logged as a duplicate, without a
second alarm. A malformed message is logged (`alarm_messages`, reason and detail),
counted and acknowledged (resending would not mend it): nothing a sender publishes can
stop the receiver. paho reconnects by itself (1 to 30 s) and `on_connect` subscribes
again, so a broker restart costs the time it is down.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from pydantic import AwareDatetime, TypeAdapter, ValidationError
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from beffroi.alarms.deliveries import (
    PlainAlarmError,
    accept,
    forget_key,
    json_object,
    key_writer,
    panel_event,
    plain_received,
    refuse,
)
from beffroi.alarms.events import PanelEvent
from beffroi.alarms.intake import AlarmHook, MessageLog, store_accepted
from beffroi.clock import Clock
from beffroi.site.models import AlarmMqttSettings, MqttAlarmTopic

log = logging.getLogger(__name__)

RECEIVER = "mqtt"
QOS = 1
MAX_PAYLOAD = 16 * 1024
_TIME = TypeAdapter(AwareDatetime)


@dataclass(frozen=True)
class PlainAlarm:
    building: str
    event: PanelEvent
    at: datetime | None
    key: str | None


def subscription(pattern: str) -> str:
    """The MQTT filter of a topic pattern: `{building}` and `{zone}` levels become `+`."""
    return "/".join("+" if lv in ("{building}", "{zone}") else lv for lv in pattern.split("/"))


def topic_values(pattern: str, topic: str) -> dict[str, str] | None:
    """What the topic's `{building}` / `{zone}` levels say; None if it does not match."""
    if not paho.topic_matches_sub(subscription(pattern), topic):
        return None
    levels = topic.split("/")
    return {
        lv[1:-1]: levels[i]
        for i, lv in enumerate(pattern.split("/"))
        if lv in ("{building}", "{zone}") and i < len(levels)
    }


def _building(in_payload: Any, of_topic: str | None) -> str:
    """The alarm's building. The topic's, when it names one: a broker grants publishing
    per topic, so a device allowed on one building's topic may not raise (or hide under
    another name) another building's alarms through its payload."""
    if in_payload is not None and (not isinstance(in_payload, str) or not in_payload):
        raise PlainAlarmError("building", "building", "building: a building id expected")
    if of_topic and in_payload is not None and in_payload != of_topic:
        raise PlainAlarmError(
            "building",
            "building",
            f"the payload names building {in_payload[:64]!r}, the topic {of_topic!r}",
        )
    building = of_topic or in_payload
    if not building:
        raise PlainAlarmError("building", "building", "no building: in the topic or payload")
    return str(building)


def read_alarm(rule: MqttAlarmTopic, topic: str, payload: bytes) -> PlainAlarm:
    """One message as an alarm, by the rules above; `PlainAlarmError` otherwise."""
    values = topic_values(rule.topic, topic) or {}
    if len(payload) > MAX_PAYLOAD:
        raise PlainAlarmError("format", "payload", f"payload larger than {MAX_PAYLOAD} bytes")
    try:
        text = payload.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise PlainAlarmError("format", "payload", "payload is not UTF-8 text") from None
    data: dict[str, Any] = {}
    if text in rule.payloads:
        data["event"] = rule.payloads[text]
    elif (obj := json_object(payload)) is not None:
        data = obj
    elif text and len(text) <= 16:
        data["event"] = text
    elif not text or rule.event is None:
        raise PlainAlarmError("format", "payload", f"payload {text[:40]!r} is not understood")
    building = _building(data.get("building"), values.get("building", rule.building))
    zone = _zone(data.get("zone", values.get("zone", rule.zone)))
    event = data.get("event", rule.event)
    if not isinstance(event, str) or not event:
        raise PlainAlarmError("event", "event", "no event: in the payload or the topic's rule")
    note = data.get("text")
    at = None
    if data.get("time") is not None:
        try:
            at = _TIME.validate_python(data["time"])
        except ValidationError:
            raise PlainAlarmError("format", "time", "time: ISO 8601 with offset expected") from None
    key = data.get("id")
    if key is not None and (not isinstance(key, str | int) or not 0 < len(str(key)) <= 100):
        raise PlainAlarmError("format", "id", "id: text of 1 to 100 characters expected")
    return PlainAlarm(
        building=building[:64],
        event=panel_event(event, zone, note[:200] if isinstance(note, str) else None),
        at=at,
        key=None if key is None else str(key),
    )


def _zone(value: Any) -> int | None:
    if value is None:
        return None
    try:
        zone = int(value)
    except (TypeError, ValueError):
        zone = -1
    if isinstance(value, bool) or not 0 <= zone <= 9999:
        raise PlainAlarmError("format", "zone", f"zone {str(value)[:16]!r}: 0 to 9999 expected")
    return zone


class MqttReceiver:
    def __init__(
        self,
        settings: AlarmMqttSettings,
        engine: Engine,
        clock: Clock,
        on_alarm: AlarmHook | None,
        message_log: MessageLog,
        buildings: Iterable[str],
        password: str | None = None,
        workers: int = 4,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.clock = clock
        self.on_alarm = on_alarm
        self.message_log = message_log
        self.buildings = frozenset(buildings)
        self.counts: Counter[str] = Counter()  # accepted, duplicate, refused:<reason>
        self.connected = threading.Event()
        parts = urlsplit(settings.broker)
        self.host = parts.hostname or "localhost"
        self.port = parts.port or (8883 if parts.scheme == "mqtts" else 1883)
        self._workers = ThreadPoolExecutor(workers, thread_name_prefix="alarm-mqtt")
        client = paho.Client(
            CallbackAPIVersion.VERSION2,
            client_id=settings.client_id,
            clean_session=False,
            manual_ack=True,
        )
        if parts.scheme == "mqtts":
            client.tls_set()
        if settings.username:
            client.username_pw_set(settings.username, password)
        client.reconnect_delay_set(1, 30)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        self.client = client

    # --- life cycle -------------------------------------------------------------------
    def start(self) -> None:
        """Connect in the background: a broker down at start-up is retried, not fatal."""
        self.message_log.start()
        self.client.connect_async(self.host, self.port, keepalive=30)
        self.client.loop_start()

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
        self._workers.shutdown(wait=True)
        self.message_log.stop()

    def update_buildings(self, buildings: Iterable[str]) -> None:
        self.buildings = frozenset(buildings)

    def _on_connect(self, client: paho.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            log.error("alarms mqtt: %s:%s refused the connection: %s", self.host, self.port, reason)
            return
        client.subscribe([(subscription(t.topic), QOS) for t in self.settings.topics])

    def _on_subscribe(self, _c: paho.Client, _u: Any, _mid: int, codes: Any, _p: Any) -> None:
        refused = [c for c in codes if c.is_failure]
        if refused:
            log.error("alarms mqtt: the broker refused subscriptions: %s", refused)
        log.info("alarms mqtt: subscribed on %s:%s", self.host, self.port)
        self.connected.set()  # connected AND subscribed: alarms published now arrive

    def _on_disconnect(self, _c: paho.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        self.connected.clear()
        log.warning("alarms mqtt: disconnected from %s:%s: %s", self.host, self.port, reason)

    def _on_message(self, _c: paho.Client, _u: Any, message: Any) -> None:
        # Storing waits for the database: off the network thread, which keeps pinging.
        self._workers.submit(
            self._take, message.topic, bytes(message.payload), message.mid, message.qos
        )

    # --- one message ------------------------------------------------------------------
    def _take(self, topic: str, payload: bytes, mid: int, qos: int) -> None:
        try:
            if self.handle(topic, payload):
                self.client.ack(mid, qos)
        except Exception:  # one bad message must never end the receiver
            log.exception("alarms mqtt: message on %s not handled", topic)

    def handle(self, topic: str, payload: bytes) -> bool:
        """Log, store and hand on one message; False when it must not be acknowledged
        (not stored: the broker will deliver it again)."""
        now = self.clock.now()
        msg = plain_received(
            received_at=now, transport="mqtt", peer=topic, raw=payload, sender=RECEIVER
        )
        rule = next(
            (t for t in self.settings.topics if topic_values(t.topic, topic) is not None), None
        )
        try:
            if rule is None:
                raise PlainAlarmError("format", "topic", f"no rule for topic {topic[:80]}")
            alarm = read_alarm(rule, topic, payload)
            if alarm.building not in self.buildings:
                raise PlainAlarmError(
                    "building", "building", f"unknown building {alarm.building!r}"
                )
        except PlainAlarmError as exc:
            self._log(refuse(msg, exc.reason, f"{exc.field}: {exc}"))
            return True
        accept(msg, alarm.building, alarm.event, alarm.at)
        try:
            store_accepted(
                self.engine,
                msg,
                self.on_alarm,
                receiver=RECEIVER,
                also=key_writer(RECEIVER, topic, alarm.key, now),
            )
        except IntegrityError:
            msg.outcome, msg.detail = "duplicate", f"id {alarm.key!r} already received"
            self._log(msg)
            return True
        except Exception as exc:
            log.exception("alarms mqtt: alarm on %s not stored: left unacknowledged", topic)
            if alarm.key is not None:  # else its redelivery would read as a duplicate
                with contextlib.suppress(Exception):
                    forget_key(self.engine, RECEIVER, topic, alarm.key)
            self._log(refuse(msg, "storage", str(exc)))
            return False
        self.counts["accepted"] += 1
        return True

    def _log(self, msg: Any) -> None:
        self.counts[msg.outcome if msg.outcome != "refused" else f"refused:{msg.reason}"] += 1
        self.message_log.submit(msg)
