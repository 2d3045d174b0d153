"""MQTT: one long-lived connection to the site's broker (paho-mqtt), used both to
alert a contact (address = a topic) and to publish incidents and camera status.

The client reconnects by itself (1 to 30 s backoff). `<prefix>/status` is `online`
(retained) while Beffroi is connected and `offline` through the broker's last will, so
a building-management system can tell "no incident" from "Beffroi is down".
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any
from urllib.parse import urlsplit

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from beffroi.oncall.channels import Alert, ChannelError, secret_value
from beffroi.site.models import MqttSettings

log = logging.getLogger(__name__)

QOS = 1
CONNECT_WAIT_S = 3.0
PUBLISH_WAIT_S = 5.0


def valid_topic(topic: str) -> bool:
    return 0 < len(topic) <= 200 and not any(c in topic for c in "+#\x00")


class MqttLink:
    def __init__(self, settings: MqttSettings, client_id: str = "beffroi") -> None:
        self.settings = settings
        self.prefix = settings.topic_prefix
        parts = urlsplit(settings.broker)
        self.host = parts.hostname or "localhost"
        self.port = parts.port or (8883 if parts.scheme == "mqtts" else 1883)
        self.connected = threading.Event()
        client = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id)
        if parts.scheme == "mqtts":
            client.tls_set()
        if settings.username:
            password = secret_value(settings.password_env, settings.password_file)
            client.username_pw_set(settings.username, password)
        client.will_set(self.status_topic, "offline", qos=QOS, retain=True)
        client.reconnect_delay_set(1, 30)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        self.client = client

    @property
    def status_topic(self) -> str:
        return f"{self.prefix}/status"

    def start(self) -> MqttLink:
        self.client.connect_async(self.host, self.port, keepalive=30)
        self.client.loop_start()
        return self

    def stop(self) -> None:
        if self.connected.is_set():
            self.client.publish(
                self.status_topic, "offline", qos=QOS, retain=True
            ).wait_for_publish(2)
        self.client.disconnect()
        self.client.loop_stop()

    def _on_connect(self, client: paho.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            log.error("mqtt: %s:%s refused the connection: %s", self.host, self.port, reason)
            return
        client.publish(self.status_topic, "online", qos=QOS, retain=True)
        self.connected.set()

    def _on_disconnect(self, _c: paho.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        self.connected.clear()
        log.warning("mqtt: disconnected from %s:%s: %s", self.host, self.port, reason)

    def publish(self, topic: str, payload: dict[str, Any] | str, retain: bool = False) -> None:
        """Publish with QoS 1 and wait for the broker's PUBACK; ChannelError otherwise."""
        if not valid_topic(topic):
            raise ChannelError(f"not a topic one may publish to: {topic!r}")
        if not self.connected.wait(CONNECT_WAIT_S):
            raise ChannelError(f"MQTT broker {self.host}:{self.port} is not reachable")
        data = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
        info = self.client.publish(topic, data, qos=QOS, retain=retain)
        try:
            info.wait_for_publish(PUBLISH_WAIT_S)
        except (RuntimeError, ValueError) as exc:
            raise ChannelError(f"MQTT publish to {topic}: {exc}") from None
        if not info.is_published():
            raise ChannelError(f"MQTT broker {self.host}:{self.port} did not confirm {topic}")


class MqttChannel:
    name = "mqtt"

    def __init__(self, link: MqttLink) -> None:
        self.link = link

    def send(self, alert: Alert, address: str) -> None:
        self.link.publish(address, alert.payload())
