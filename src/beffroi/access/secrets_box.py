"""TOTP secrets encrypted at rest, with a key kept outside the database.

A TOTP secret must be readable to check a code, so it cannot be hashed like a password;
stored as is, whoever holds the database (an insider, a stolen dump or backup) would
hold every agent's second factor. It is therefore stored as
`v1:<base64(nonce ‖ AES-256-GCM ciphertext ‖ tag)>`, with the user's id as associated
data: a ciphertext copied to another account does not decrypt there.

The key (32 random bytes) comes from, in this order:
- the environment variable `BEFFROI_TOTP_KEY` (base64), for installations that keep
  secrets in a vault or a service manager's credentials;
- the file `DATA/keys/totp.key` (the key in base64, one line), created mode 0600 on
  first use in the 0700 `keys` directory. A file that the group or others may read or
  write is refused: the key would be no better kept than the database.

Backups must not store the key with the database: a backup holding both gives the
second factor away. Without the right key the secrets cannot be read: a sign-in that
needs one is refused as "second factor unavailable" and the administrator is told in
the log; restoring the key (or resetting the agents' second factor) fixes it.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import secrets
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_DIR = "keys"  # the installation's keys (`beffroi.journal.keys.KEY_DIR`)
KEY_ENV = "BEFFROI_TOTP_KEY"
KEY_FILE = "totp.key"
KEY_BYTES = 32
NONCE_BYTES = 12
PREFIX = "v1:"


class TotpKeyError(RuntimeError):
    """The key cannot be used: a file readable by others, a malformed value."""


class SecretUnavailableError(ValueError):
    """A stored secret that cannot be decrypted: another key, another user's value,
    tampered with, or still in clear."""


def key_path(data_dir: Path | str) -> Path:
    return Path(data_dir) / KEY_DIR / KEY_FILE


def is_sealed(stored: str) -> bool:
    """Whether a stored value is encrypted (a base32 secret never contains ':')."""
    return stored.startswith(PREFIX)


@dataclass(frozen=True)
class TotpKey:
    """The key that seals and opens TOTP secrets; `source` says where it came from (for
    messages; never the key itself)."""

    key: bytes = field(repr=False)
    source: str = "memory"

    def __post_init__(self) -> None:
        if len(self.key) != KEY_BYTES:
            raise TotpKeyError(f"a TOTP key is {KEY_BYTES} bytes, not {len(self.key)}")

    @classmethod
    def load(cls, data_dir: Path | str, environ: Mapping[str, str] | None = None) -> TotpKey:
        """The installation's key: `BEFFROI_TOTP_KEY` if set, else `DATA/keys/totp.key`
        (created on first use). Raises TotpKeyError with what to do."""
        env = os.environ if environ is None else environ
        value = env.get(KEY_ENV, "").strip()
        if value:
            return cls(_decode(value, f"the environment variable {KEY_ENV}"), KEY_ENV)
        path = key_path(data_dir)
        _create(path)
        mode = stat.S_IMODE(os.stat(path).st_mode)
        if mode & 0o077:
            raise TotpKeyError(
                f"{path} may be read or written by other users (mode {mode:04o}): "
                f"run `chmod 600 {path}` (the TOTP key must be readable by Beffroi only)"
            )
        text = path.read_text(encoding="ascii", errors="replace")
        return cls(_decode(text, str(path)), str(path))

    def _aead(self) -> AESGCM:
        return AESGCM(self.key)

    def seal(self, user_id: int, secret: str) -> str:
        """The stored form of `secret` for user `user_id`."""
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = self._aead().encrypt(nonce, secret.encode("ascii"), _bound_to(user_id))
        return PREFIX + base64.b64encode(nonce + sealed).decode("ascii")

    def open(self, user_id: int, stored: str) -> str:
        """The secret of user `user_id` from its stored form; SecretUnavailableError when
        it cannot be read with this key (the reason, never the secret, in the message)."""
        if not is_sealed(stored):
            raise SecretUnavailableError(
                "is stored in clear (not encrypted at start-up): restart `beffroi run` to "
                "encrypt it, or reset this user's second factor"
            )
        try:
            raw = base64.b64decode(stored[len(PREFIX) :], validate=True)
        except (binascii.Error, ValueError):
            raise SecretUnavailableError("is not a valid encrypted value") from None
        if len(raw) <= NONCE_BYTES:
            raise SecretUnavailableError("is not a valid encrypted value")
        try:
            plain = self._aead().decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _bound_to(user_id))
        except InvalidTag:
            raise SecretUnavailableError(
                f"does not decrypt with the key from {self.source} (another installation's "
                "key, or a value copied from another account)"
            ) from None
        return plain.decode("ascii")


def _bound_to(user_id: int) -> bytes:
    return f"beffroi.totp:user:{int(user_id)}".encode("ascii")


def _decode(text: str, where: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != KEY_BYTES:
        raise TotpKeyError(f"{where}: not a TOTP key ({KEY_BYTES} random bytes in base64)")
    return key


def _create(path: Path) -> None:
    """Write a new key unless one exists. Two processes starting together (the API and
    a `beffroi user` command) may both make one: each writes a private temporary file
    and hard-links it to the final name, which only one can win; both then read the
    winner's key, never a half-written file."""
    if path.exists():
        return
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii") + "\n")
            f.flush()
            os.fsync(f.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
