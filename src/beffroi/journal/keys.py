"""The installation's Ed25519 key, which signs journal checkpoints.

Generated on first use in `DATA/keys/installation-ed25519.pem` (PKCS#8 PEM, mode 0600,
directory 0700). Two processes starting together (the API and a `beffroi user`
command) may both generate one: each writes a private temporary file and hard-links it
to the final name, which only one can win; the loser reads the winner's key. A reader
therefore never sees a half-written file.

The fingerprint is the SHA-256 of the raw 32-byte public key, in hex: publish it (in
the site's records, to the CNIL on inspection) so a checkpoint can be checked by anyone;
`beffroi journal verify --fingerprint` pins it, so a key file replaced in the data
directory (and a chain re-signed with it) is refused.

The key signs two kinds of message: checkpoints (`checkpoint_message`) and the chain's
head row (`head_message`, the same JSON with `"head":true`), so a checkpoint's signature
can never pass for a head's.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

KEY_DIR = "keys"
KEY_FILE = "installation-ed25519.pem"


def key_path(data_dir: Path | str) -> Path:
    return Path(data_dir) / KEY_DIR / KEY_FILE


def load_or_create_key(data_dir: Path | str) -> Ed25519PrivateKey:
    path = key_path(data_dir)
    if path.exists():
        return load_private_key(path)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    tmp = path.with_name(f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
            f.flush()
            os.fsync(f.fileno())
        # Another process may have won the race: its key is then the installation's.
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_dir(path.parent)
    return load_private_key(path)


def load_private_key(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path}: not an Ed25519 private key")
    return key


def load_public_key(data_dir: Path | str) -> Ed25519PublicKey | None:
    """The installation's public key, or None when no key was ever generated."""
    path = key_path(data_dir)
    if not path.exists():
        return None
    return load_private_key(path).public_key()


def fingerprint(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def checkpoint_message(seq: int, entry_hash: str, time_ms: int) -> bytes:
    """What a checkpoint signs: canonical JSON, like the entries."""
    return json.dumps(
        {"hash": entry_hash, "seq": seq, "time_ms": time_ms}, separators=(",", ":")
    ).encode("utf-8")


def head_message(seq: int, entry_hash: str, time_ms: int) -> bytes:
    """What the signature of the `journal_head` row signs."""
    return json.dumps(
        {"hash": entry_hash, "head": True, "seq": seq, "time_ms": time_ms}, separators=(",", ":")
    ).encode("utf-8")


def sign_head(key: Ed25519PrivateKey, seq: int, entry_hash: str, time_ms: int) -> str:
    return key.sign(head_message(seq, entry_hash, time_ms)).hex()


def head_signature_valid(
    public_key: Ed25519PublicKey, seq: int, entry_hash: str, time_ms: int, signature: str
) -> bool:
    return _valid(public_key, signature, head_message(seq, entry_hash, time_ms))


def normalise_fingerprint(text: str) -> str:
    """`SHA256:AB12…` (as `beffroi journal key` prints it), `ab:12:…` or bare hex, to the
    64 lower-case hex digits stored with each checkpoint. ValueError otherwise."""
    value = text.strip()
    if value[:7].upper() == "SHA256:":
        value = value[7:]
    value = value.replace(":", "").lower()
    if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
        raise ValueError(f"not a SHA-256 fingerprint (64 hex digits): {text!r}")
    return value


def sign_checkpoint(key: Ed25519PrivateKey, seq: int, entry_hash: str, time_ms: int) -> str:
    return key.sign(checkpoint_message(seq, entry_hash, time_ms)).hex()


def signature_valid(
    public_key: Ed25519PublicKey, seq: int, entry_hash: str, time_ms: int, signature: str
) -> bool:
    return _valid(public_key, signature, checkpoint_message(seq, entry_hash, time_ms))


def _valid(public_key: Ed25519PublicKey, signature: str, message: bytes) -> bool:
    try:
        public_key.verify(bytes.fromhex(signature), message)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
