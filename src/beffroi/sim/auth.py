"""HTTP Digest authentication for RTSP (RFC 2617 / RFC 7616 with MD5).

Nonces are stateless: a random prefix plus an HMAC of it under a per-server secret, so any
nonce this server issued is accepted, including across connections, and forged ones are not.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re

__all__ = ["DigestAuthenticator", "parse_auth_params"]

_PARAM_RE = re.compile(r'(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def parse_auth_params(header: str) -> tuple[str, dict[str, str]]:
    """Split ``Digest a="b", c=d`` into the scheme and its parameters."""
    scheme, _, rest = header.strip().partition(" ")
    params: dict[str, str] = {}
    for match in _PARAM_RE.finditer(rest):
        quoted, bare = match.group(2), match.group(3)
        params[match.group(1).lower()] = quoted if quoted is not None else bare
    return scheme.lower(), params


class DigestAuthenticator:
    def __init__(self, realm: str = "Beffroi") -> None:
        self.realm = realm
        self._secret = os.urandom(16)

    def new_nonce(self) -> str:
        salt = os.urandom(8).hex()
        return salt + hmac.new(self._secret, salt.encode(), "sha256").hexdigest()[:16]

    def _nonce_valid(self, nonce: str) -> bool:
        salt, mac = nonce[:16], nonce[16:]
        expected = hmac.new(self._secret, salt.encode(), "sha256").hexdigest()[:16]
        return len(nonce) == 32 and hmac.compare_digest(mac, expected)

    def challenge(self) -> str:
        return f'Digest realm="{self.realm}", nonce="{self.new_nonce()}", algorithm=MD5'

    def verify(self, header: str, method: str, username: str, password: str) -> bool:
        """Check an ``Authorization`` header against the expected credentials."""
        if not header:
            return False
        scheme, params = parse_auth_params(header)
        if scheme != "digest":
            return False
        nonce = params.get("nonce", "")
        uri = params.get("uri", "")
        response = params.get("response", "")
        if params.get("username") != username or params.get("realm") != self.realm:
            return False
        if not self._nonce_valid(nonce):
            return False
        algorithm = params.get("algorithm", "MD5").upper()
        if algorithm != "MD5":
            return False
        ha1 = _md5(f"{username}:{self.realm}:{password}")
        ha2 = _md5(f"{method}:{uri}")
        qop = params.get("qop")
        if qop:
            if qop != "auth":
                return False
            nc, cnonce = params.get("nc", ""), params.get("cnonce", "")
            expected = _md5(f"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}")
        else:
            expected = _md5(f"{ha1}:{nonce}:{ha2}")
        return hmac.compare_digest(expected, response.lower())
