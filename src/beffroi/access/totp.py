"""TOTP second factor (RFC 6238 over RFC 4226 HOTP), standard library only.

HMAC-SHA1, 30-second steps, 6 digits: what every authenticator app reads from an
`otpauth://` URI. A code is accepted for the current step or one step either side
(clock drift of the phone), and a step is accepted at most once per user, so a code
seen over a shoulder cannot be replayed.
"""

from __future__ import annotations

import base64
import hmac
import secrets
import struct
from datetime import datetime
from urllib.parse import quote, urlencode

import segno

STEP_SECONDS = 30
DIGITS = 6
WINDOW = 1
ISSUER = "Beffroi"


def generate_secret() -> str:
    """160 random bits (RFC 4226's recommended length), base32 without padding."""
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii").rstrip("=")


def _key(secret_b32: str) -> bytes:
    padded = secret_b32.upper() + "=" * (-len(secret_b32) % 8)
    return base64.b32decode(padded)


def hotp(key: bytes, counter: int, digits: int = DIGITS, digest: str = "sha1") -> str:
    mac = hmac.new(key, struct.pack(">Q", counter), digest).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


def step_at(when: datetime) -> int:
    return int(when.timestamp()) // STEP_SECONDS


def code_at(secret_b32: str, when: datetime) -> str:
    return hotp(_key(secret_b32), step_at(when))


def match_step(secret_b32: str, code: str, when: datetime, last_step: int | None) -> int | None:
    """The step `code` belongs to (within the window, after `last_step`), else None."""
    code = code.strip().replace(" ", "")
    if len(code) != DIGITS or not code.isdigit():
        return None
    key = _key(secret_b32)
    now = step_at(when)
    for step in range(now - WINDOW, now + WINDOW + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(hotp(key, step), code):
            return step
    return None


def otpauth_uri(secret_b32: str, username: str, issuer: str = ISSUER) -> str:
    label = quote(f"{issuer}:{username}", safe="")
    query = urlencode(
        {
            "secret": secret_b32,
            "issuer": issuer,
            "algorithm": "SHA1",
            "digits": DIGITS,
            "period": STEP_SECONDS,
        }
    )
    return f"otpauth://totp/{label}?{query}"


def qr_svg(uri: str) -> str:
    """The URI as an inline SVG QR code, for the enrolment page."""
    return str(segno.make(uri, error="m").svg_inline(scale=4))
