"""The TOTP secrets' box: AES-256-GCM bound to the user, the key's sources and checks."""

from __future__ import annotations

import base64
import secrets
import stat
from pathlib import Path

import pytest

from beffroi.access.secrets_box import (
    KEY_ENV,
    SecretUnavailableError,
    TotpKey,
    TotpKeyError,
    key_path,
)
from beffroi.access.totp import generate_secret


def test_seal_and_open_bound_to_the_user() -> None:
    key, secret = TotpKey(secrets.token_bytes(32)), generate_secret()
    sealed = key.seal(7, secret)
    assert sealed.startswith("v1:") and secret not in sealed and len(sealed) <= 128
    assert key.seal(7, secret) != sealed  # a fresh nonce each time
    assert key.open(7, sealed) == secret
    with pytest.raises(SecretUnavailableError, match="another account"):
        key.open(8, sealed)
    with pytest.raises(SecretUnavailableError):
        TotpKey(secrets.token_bytes(32)).open(7, sealed)
    raw = bytearray(base64.b64decode(sealed[3:]))
    raw[-1] ^= 1
    with pytest.raises(SecretUnavailableError):
        key.open(7, "v1:" + base64.b64encode(bytes(raw)).decode())
    for bad in ("v1:***", "v1:AAAA", secret):  # malformed, too short, in clear
        with pytest.raises(SecretUnavailableError):
            key.open(7, bad)
    assert repr(key).count(key.key.hex()) == 0  # never printed


def test_key_file_created_once_private_and_kept(tmp_path: Path) -> None:
    first = TotpKey.load(tmp_path, environ={})
    path = key_path(tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert base64.b64decode(path.read_text().strip()) == first.key  # one base64 line
    assert TotpKey.load(tmp_path, environ={}).key == first.key
    path.chmod(0o640)
    with pytest.raises(TotpKeyError, match="chmod 600"):
        TotpKey.load(tmp_path, environ={})
    path.chmod(0o600)
    path.write_text("short\n")
    with pytest.raises(TotpKeyError, match="not a TOTP key"):
        TotpKey.load(tmp_path, environ={})


def test_key_from_the_environment(tmp_path: Path) -> None:
    raw = secrets.token_bytes(32)
    key = TotpKey.load(tmp_path, environ={KEY_ENV: base64.b64encode(raw).decode() + "\n"})
    assert key.key == raw and key.source == KEY_ENV and not key_path(tmp_path).exists()
    with pytest.raises(TotpKeyError, match=KEY_ENV):
        TotpKey.load(tmp_path, environ={KEY_ENV: base64.b64encode(raw[:16]).decode()})
