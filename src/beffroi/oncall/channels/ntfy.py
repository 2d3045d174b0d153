"""Push notifications to phones through an ntfy-compatible server (ntfy.sh or the
town's own), with ntfy's JSON publishing: POST to the server's root with the topic,
title, message, priority, click URL and tags in the body (UTF-8 safe, unlike headers).
The contact's address is the topic the agent's phone subscribes to.
"""

from __future__ import annotations

import json
import re

from beffroi.oncall.channels import Alert, ChannelError, secret_value
from beffroi.oncall.channels.webhook import post_json
from beffroi.site.models import NtfySettings

TOPIC_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"


class NtfyChannel:
    name = "ntfy"

    def __init__(self, settings: NtfySettings) -> None:
        self.settings = settings

    def body(self, alert: Alert, topic: str) -> bytes:
        payload: dict[str, object] = {
            "topic": topic,
            "title": alert.title,
            "message": alert.text,
            "priority": alert.priority,
            "tags": list(alert.tags),
        }
        if alert.link:
            payload["click"] = alert.link
        return json.dumps(payload, ensure_ascii=False).encode()

    def send(self, alert: Alert, address: str) -> None:
        if not re.match(TOPIC_PATTERN, address):
            raise ChannelError(f"not an ntfy topic: {address}")
        s = self.settings
        token = secret_value(s.token_env, s.token_file)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        post_json(s.url + "/", self.body(alert, address), headers, s.timeout_seconds)
