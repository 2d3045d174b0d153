"""Alerts as a signed HTTP POST of JSON to the contact's URL.

The body is the alert's JSON; `X-Beffroi-Signature: sha256=<hex>` is the HMAC-SHA256 of
the exact body bytes under the site's webhook secret, so the receiver can check that
the alert comes from the centre. The body carries its own `sent_at`, so a replayed POST
is recognisable by its age.

A webhook address is typed by whoever sets an agent's contacts: it must not turn the
server into a probe of the town's network (SSRF). So the host must be one the site
file lists (`notifications.webhook.allowed_hosts`); a host resolving to a loopback,
private or link-local address is refused unless that address is listed too; redirects
are not followed; and a failure says what happened (no answer, HTTP status) without
the remote side's text.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from datetime import datetime

from beffroi.clock import Clock
from beffroi.oncall.channels import Alert, ChannelError, secret_value
from beffroi.site.models import WebhookSettings

SIGNATURE_HEADER = "X-Beffroi-Signature"
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

log = logging.getLogger(__name__)


def signature(secret: bytes, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_: object, **__: object) -> None:
        return None  # the 3xx is raised as an HTTPError: a failure, not followed


_OPENER = urllib.request.build_opener(_NoRedirect)


class HttpRefused(Exception):
    """The server answered, with a status other than 2xx (a redirect included)."""

    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status


def http_send(
    url: str, method: str, body: bytes | None, headers: dict[str, str], timeout: float
) -> None:
    """Send one request without following a redirect; `HttpRefused` for an answer
    other than 2xx, OSError or ValueError when the server cannot be reached. Callers
    word the failure (an address may hold a token that must not reach a log)."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            response.read(65536)
    except urllib.error.HTTPError as exc:
        raise HttpRefused(exc.code) from None


def post_json(url: str, body: bytes, headers: dict[str, str], timeout: float) -> None:
    """POST `body`; ChannelError unless the server answers 2xx, without following a
    redirect. Shared by ntfy. The error names the address and the HTTP status, never
    the remote side's text (logged here at debug level)."""
    if not url.lower().startswith(("http://", "https://")):
        raise ChannelError(f"not an http(s) address: {url}")
    try:
        http_send(url, "POST", body, {"Content-Type": "application/json", **headers}, timeout)
    except HttpRefused as exc:
        raise ChannelError(f"{url} answered HTTP {exc.status}") from None
    except (OSError, ValueError) as exc:
        log.debug("POST %s failed: %s", url, exc)
        raise ChannelError(f"{url} could not be reached") from None


def _networks(allowed: Iterable[str]) -> tuple[set[str], list[IPNetwork]]:
    names: set[str] = set()
    nets: list[IPNetwork] = []
    for entry in allowed:
        try:
            nets.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            names.add(entry.strip().lower().rstrip("."))
    return names, nets


def host_allowed(url: str, allowed: Iterable[str]) -> bool:
    """Whether `url`'s host is one the site file lists (by name, address or network)."""
    host = (urllib.parse.urlsplit(url).hostname or "").lower().rstrip(".")
    names, nets = _networks(allowed)
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return bool(host) and host in names
    return any(address in net for net in nets)


def check_target(url: str, allowed: Iterable[str]) -> None:
    """ChannelError unless `url` may be posted to now (see the module's docstring)."""
    allowed = list(allowed)
    if not host_allowed(url, allowed):
        raise ChannelError(f"{url}: host not in notifications.webhook.allowed_hosts")
    parts = urllib.parse.urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except OSError:
        raise ChannelError(f"{url}: the host does not resolve") from None
    _, nets = _networks(allowed)
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        internal = address.is_loopback or address.is_private or address.is_link_local
        if (internal or address.is_unspecified) and not any(address in n for n in nets):
            raise ChannelError(
                f"{url}: resolves to the internal address {address}, which "
                "notifications.webhook.allowed_hosts does not list"
            )


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
        check_target(address, s.allowed_hosts)
        body = self.body(alert, self.clock.now())
        headers = {SIGNATURE_HEADER: signature(secret.encode(), body)}
        post_json(address, body, headers, s.timeout_seconds)
