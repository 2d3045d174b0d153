"""Alerts as a signed HTTP POST of JSON to the contact's URL.

The body is the alert's JSON; `X-Beffroi-Signature: sha256=<hex>` is the HMAC-SHA256 of
the exact body bytes under the site's webhook secret, so the receiver can check that
the alert comes from the centre. The body carries its own `sent_at`, so a replayed POST
is recognisable by its age.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from datetime import datetime

from beffroi.clock import Clock
from beffroi.oncall.channels import Alert, ChannelError, secret_value
from beffroi.site.models import WebhookSettings

SIGNATURE_HEADER = "X-Beffroi-Signature"


def signature(secret: bytes, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def post_json(url: str, body: bytes, headers: dict[str, str], timeout: float) -> None:
    """POST `body`; ChannelError unless the server answers 2xx. Shared by ntfy."""
    if not url.lower().startswith(("http://", "https://")):
        raise ChannelError(f"not an http(s) address: {url}")
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json", **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read(65536)
    except urllib.error.HTTPError as exc:
        raise ChannelError(f"{url} answered {exc.code} {exc.reason}") from None
    except (OSError, ValueError) as exc:
        raise ChannelError(f"{url}: {exc}") from None


class WebhookChannel:
    name = "webhook"

    def __init__(self, settings: WebhookSettings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock

    def body(self, alert: Alert, sent_at: datetime) -> bytes:
        payload = {**alert.payload(), "sent_at": sent_at.isoformat()}
        return json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()

    def send(self, alert: Alert, address: str) -> None:
        s = self.settings
        secret = secret_value(s.secret_env, s.secret_file)
        if not secret:
            raise ChannelError("no webhook secret: set notifications.webhook.secret_env")
        body = self.body(alert, self.clock.now())
        headers = {SIGNATURE_HEADER: signature(secret.encode(), body)}
        post_json(address, body, headers, s.timeout_seconds)
