"""Short-lived signed links that name an incident, for the agent's phone.

A link is `<public_url>/incidents/<id>?link=<token>`, the token being
`<incident>.<expires>.<signature>`: the expiry in Unix seconds and an HMAC-SHA256 (first
16 bytes, base64url) over both, keyed by the installation's secret in
`DATA/keys/incident-links.key`. The link only NAMES the incident: opening it still
needs a sign-in, and the incident is shown only within the user's communes. What the
signature buys is that a forwarded or guessed link to another incident, or an old
link, is refused, and that the phone opens straight on the right incident.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from beffroi.clock import from_ms, utc_ms
from beffroi.journal.keys import KEY_DIR

SECRET_FILE = "incident-links.key"
SIGNATURE_BYTES = 16


class LinkError(ValueError):
    """A token that is malformed, tampered with, or for another installation."""


class ExpiredLinkError(LinkError):
    pass


def load_or_create_secret(data_dir: Path | str) -> bytes:
    """32 random bytes, created on first use (mode 0600); a concurrent creator's file
    wins the O_EXCL race and both read the same secret."""
    path = Path(data_dir) / KEY_DIR / SECRET_FILE
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(secrets.token_bytes(32))
                f.flush()
                os.fsync(f.fileno())
    secret = path.read_bytes()
    if len(secret) < 32:
        raise LinkError(f"{path} is truncated: delete it to issue new links")
    return secret


@dataclass(frozen=True)
class IncidentLinks:
    secret: bytes
    public_url: str | None = None
    lifetime: timedelta = timedelta(minutes=120)

    def _sign(self, incident_id: int, expires_s: int) -> str:
        mac = hmac.new(self.secret, f"incident:{incident_id}:{expires_s}".encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(mac.digest()[:SIGNATURE_BYTES]).decode().rstrip("=")

    def token(self, incident_id: int, now: datetime) -> str:
        expires_s = -(-utc_ms(now + self.lifetime) // 1000)
        return f"{incident_id}.{expires_s}.{self._sign(incident_id, expires_s)}"

    def url(self, incident_id: int, now: datetime) -> str:
        base = self.public_url or ""
        return f"{base}/incidents/{incident_id}?link={self.token(incident_id, now)}"

    def verify(self, token: str, now: datetime) -> tuple[int, datetime]:
        """(incident id, expiry) of a valid token; LinkError or ExpiredLinkError."""
        parts = token.split(".")
        if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
            raise LinkError("malformed link")
        incident_id, expires_s = int(parts[0]), int(parts[1])
        if incident_id > 2**31 - 1 or expires_s > 2**40:
            raise LinkError("malformed link")
        # Signature before expiry: a tampered link is never reported as merely expired.
        if not hmac.compare_digest(parts[2], self._sign(incident_id, expires_s)):
            raise LinkError("the link's signature does not match")
        expires = from_ms(expires_s * 1000)
        if now >= expires:
            raise ExpiredLinkError("the link has expired")
        return incident_id, expires
