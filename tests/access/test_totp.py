"""TOTP against RFC 6238's test vectors, the window, replay, the URI and the QR code."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest

from beffroi.access.totp import (
    code_at,
    generate_secret,
    hotp,
    match_step,
    otpauth_uri,
    qr_svg,
    step_at,
)

RFC_KEY = b"12345678901234567890"  # RFC 6238 appendix B, SHA1


@pytest.mark.parametrize(
    ("unix", "expected"),
    [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1111111111, "14050471"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
        (20000000000, "65353130"),
    ],
)
def test_rfc6238_vectors(unix: int, expected: str) -> None:
    assert hotp(RFC_KEY, unix // 30, digits=8) == expected


def test_six_digit_code_matches_with_one_step_window() -> None:
    secret = base64.b32encode(RFC_KEY).decode()
    now = datetime.fromtimestamp(1111111109, UTC)
    assert code_at(secret, now) == "081804"  # the last 6 digits of the RFC's 8
    step = step_at(now)
    assert match_step(secret, "081804", now, None) == step
    assert match_step(secret, "081804", now + timedelta(seconds=30), None) == step
    assert match_step(secret, "081804", now + timedelta(seconds=61), None) is None
    assert match_step(secret, "000000", now, None) is None
    assert match_step(secret, "08180", now, None) is None
    assert match_step(secret, "abcdef", now, None) is None


def test_a_used_step_is_refused() -> None:
    secret = generate_secret()
    now = datetime(2026, 11, 1, 8, 0, 10, tzinfo=UTC)
    code = code_at(secret, now)
    step = match_step(secret, code, now, None)
    assert step is not None
    assert match_step(secret, code, now, last_step=step) is None
    earlier = code_at(secret, now - timedelta(seconds=30))
    assert match_step(secret, earlier, now, last_step=step) is None


def test_uri_and_qr_code() -> None:
    secret = generate_secret()
    assert len(secret) == 32 and len(base64.b32decode(secret)) == 20
    uri = otpauth_uri(secret, "agent.martin")
    parsed = urlparse(uri)
    assert parsed.scheme == "otpauth" and parsed.netloc == "totp"
    assert parsed.path == "/Beffroi%3Aagent.martin"
    query = parse_qs(parsed.query)
    assert query["secret"] == [secret] and query["period"] == ["30"]
    assert query["digits"] == ["6"] and query["issuer"] == ["Beffroi"]
    svg = qr_svg(uri)
    assert svg.startswith("<svg") and "path" in svg
