"""The installation's keys in a backup, sealed with a passphrase.

The keys (the journal's signing key, the TOTP secrets' key, the TLS key) must never
travel in clear with the database they protect: a backup holding both would give the
second factor of every agent and the power to sign a rewritten journal. They go into
one file encrypted with AES-256-GCM under a key derived from a passphrase by scrypt
(n = 2^15, r = 8, p = 1: about 0.1 s and 32 MiB per try), kept by another person or in
another place than the backup itself.
"""

from __future__ import annotations

import base64
import json
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

MAGIC = "beffroi-sealed-keys-v1"
MIN_PASSPHRASE = 12
_N, _R, _P = 2**15, 8, 1


class SealedKeysError(ValueError):
    pass


def _key(passphrase: str, salt: bytes) -> bytes:
    return Scrypt(salt=salt, length=32, n=_N, r=_R, p=_P).derive(passphrase.encode("utf-8"))


def seal(files: dict[str, bytes], passphrase: str) -> bytes:
    """`files` (relative path → content) encrypted under `passphrase`."""
    if len(passphrase) < MIN_PASSPHRASE:
        raise SealedKeysError(f"the passphrase must have at least {MIN_PASSPHRASE} characters")
    salt, nonce = os.urandom(16), os.urandom(12)
    plain = json.dumps(
        {name: base64.b64encode(data).decode("ascii") for name, data in sorted(files.items())}
    ).encode("utf-8")
    sealed = AESGCM(_key(passphrase, salt)).encrypt(nonce, plain, MAGIC.encode("ascii"))
    envelope = {
        "format": MAGIC,
        "kdf": {"name": "scrypt", "n": _N, "r": _R, "p": _P},
        "salt": base64.b64encode(salt).decode("ascii"),
        "nonce": base64.b64encode(nonce).decode("ascii"),
        "ciphertext": base64.b64encode(sealed).decode("ascii"),
    }
    return json.dumps(envelope, indent=1).encode("utf-8")


def open_sealed(blob: bytes, passphrase: str) -> dict[str, bytes]:
    """The files; SealedKeysError for a wrong passphrase or an altered file."""
    try:
        envelope = json.loads(blob)
        if envelope.get("format") != MAGIC:
            raise SealedKeysError("not a sealed keys file of Beffroi")
        salt = base64.b64decode(envelope["salt"])
        nonce = base64.b64decode(envelope["nonce"])
        sealed = base64.b64decode(envelope["ciphertext"])
    except (ValueError, KeyError, TypeError) as exc:
        raise SealedKeysError(f"unreadable sealed keys file: {exc}") from None
    try:
        plain = AESGCM(_key(passphrase, salt)).decrypt(nonce, sealed, MAGIC.encode("ascii"))
    except InvalidTag:
        raise SealedKeysError("wrong passphrase, or the keys file was altered") from None
    return {name: base64.b64decode(data) for name, data in json.loads(plain).items()}
