"""The real client behind trusted reverse proxies.

Behind nginx or Caddy every request comes from the proxy; the client's address is in
`X-Forwarded-For`, which anyone can also send. It is believed only from the proxies
the installation names (`beffroi run --trusted-proxy ADDRESS/PREFIX`): when the peer
is one of them, the client is the right-most address of `X-Forwarded-For` that is not
a trusted proxy (each proxy appends the address it received the request from; what
lies left of that was written by the client and proves nothing). From any other peer
the header is ignored. `X-Forwarded-Proto` (https) is taken from trusted peers alone,
so cookies stay `Secure` behind a TLS proxy.

The middleware rewrites the ASGI scope's `client` (and `scheme`), so everything that
reads the client address (throttling, the journal's source, sessions, the live view's
WebSocket) sees the same one. uvicorn's own handling of these headers is off
(`beffroi.server`): it would believe loopback peers whatever the configuration.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from starlette.types import ASGIApp, Receive, Scope, Send

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_network(text: str) -> IPNetwork:
    """`10.0.0.5`, `10.0.0.0/24`, `::1` or `fd00::/8` (host bits ignored)."""
    return ipaddress.ip_network(text.strip(), strict=False)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


class TrustedProxies:
    def __init__(self, networks: Iterable[IPNetwork]) -> None:
        self.networks = tuple(networks)

    def __bool__(self) -> bool:
        return bool(self.networks)

    def trusts(self, host: str | None) -> bool:
        address = _address(host) if host else None
        return address is not None and any(address in net for net in self.networks)

    def client(self, peer: str | None, forwarded_for: Sequence[str]) -> str | None:
        """The client's address, from the direct `peer` and the `X-Forwarded-For`
        header lines in the order received."""
        if not self.trusts(peer):
            return peer
        hops = [h.strip() for line in forwarded_for for h in line.split(",") if h.strip()]
        for hop in reversed(hops):
            address = _address(hop)
            if address is None:
                return peer  # not an address: nothing from here leftwards is believed
            if not any(address in net for net in self.networks):
                return str(address)
        if hops:  # every hop a trusted proxy: the request started at the left-most
            first = _address(hops[0])
            return str(first) if first is not None else peer
        return peer


class ForwardedFor:
    """ASGI middleware applying `TrustedProxies` to every HTTP and WebSocket request."""

    def __init__(self, app: ASGIApp, trusted: Iterable[IPNetwork]) -> None:
        self.app = app
        self.trusted = TrustedProxies(trusted)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and self.trusted:
            peer = scope.get("client")
            if peer is not None and self.trusted.trusts(peer[0]):
                scope = dict(scope)
                forwarded: list[str] = []
                proto: str | None = None
                for name, value in scope["headers"]:
                    if name == b"x-forwarded-for":
                        forwarded.append(value.decode("latin-1"))
                    elif name == b"x-forwarded-proto":
                        proto = value.decode("latin-1").split(",")[-1].strip().lower()
                client = self.trusted.client(peer[0], forwarded)
                if client is not None and client != peer[0]:
                    scope["client"] = (client, 0)
                if proto in ("http", "https"):
                    secure = proto == "https"
                    if scope["type"] == "websocket":
                        scope["scheme"] = "wss" if secure else "ws"
                    else:
                        scope["scheme"] = proto
        await self.app(scope, receive, send)


def behind_proxies(app: ASGIApp, trusted: Iterable[IPNetwork]) -> ASGIApp:
    """`app` as served: with `ForwardedFor` when there are trusted proxies."""
    networks = tuple(trusted)
    return ForwardedFor(app, networks) if networks else app
