"""The RTSP control connection of one camera (RFC 2326): requests, replies, authentication.

One TCP connection carries the requests and, after PLAY, the interleaved RTP stream
(`rtp.py` reads that): replies to keep-alives then arrive between media frames, and
`Connection.pending` holds stream bytes that came in with a reply. Blocking, with the
socket timeout bounding connect and every read (the camera's stall timeout).

Authentication: Basic, and Digest with MD5 or SHA-256 and `qop=auth` (RFC 7616), a new
challenge (`stale=true`, or a camera that forgets its nonce) answered once more. The
password never appears in an error: requests name the URL without credentials.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import re
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

USER_AGENT = "Beffroi"
MAX_HEADER_BYTES = 64 * 1024  # a reply head larger than this is garbage, not RTSP
MAX_BODY_BYTES = 1024 * 1024
_PARAM = re.compile(r'(\w+)\s*=\s*(?:"([^"]*)"|([^\s,]+))')


class RtspError(Exception):
    """The camera broke the protocol (garbage, closed connection, no session)."""


class RtspStatusError(RtspError):
    """The camera answered a request with an error status (401, 404, 461, 503…)."""

    def __init__(self, method: str, url: str, status: int, phrase: str) -> None:
        super().__init__(f"{method} {url}: RTSP {status} {phrase}".strip())
        self.status = status


@dataclass
class Reply:
    status: int
    phrase: str
    headers: dict[str, str]  # names in lower case
    body: bytes
    challenges: list[str]  # every WWW-Authenticate (cameras offer Digest and Basic apart)


def _digest(algorithm: str, text: str) -> str:
    name = "sha256" if algorithm.upper().startswith("SHA-256") else "md5"
    return hashlib.new(name, text.encode()).hexdigest()


class Connection:
    """Requests on one camera's RTSP connection, in order, each waiting for its reply."""

    def __init__(self, url: str, username: str | None, password: str | None, timeout: float):
        parts = urlsplit(url)
        if parts.scheme != "rtsp" or not parts.hostname:
            raise RtspError(f"not an rtsp:// URL: {parts.scheme}://{parts.hostname or ''}")
        self.host, self.port = parts.hostname, parts.port or 554
        netloc = f"{parts.hostname}:{parts.port}" if parts.port else parts.hostname
        self.url = urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
        self.username, self.password = username or "", password or ""
        self.timeout = timeout
        self.sock = socket.create_connection((self.host, self.port), timeout)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        self.cseq = 0
        self.session = ""
        self.challenge: tuple[str, dict[str, str]] | None = None
        self.pending = b""  # bytes read past the last reply (stream data after PLAY)

    def request(
        self,
        method: str,
        url: str,
        headers: dict[str, str] | None = None,
        redirect: bool = False,
    ) -> Reply:
        """Send `method` and return its reply; RtspStatusError unless it is 2xx (or a
        3xx, when `redirect` says the caller follows them)."""
        answered_challenge = False
        while True:
            self.send(method, url, headers)
            reply = self.read_reply()
            if reply.status == 401 and reply.challenges and self.username:
                if answered_challenge:
                    break
                # A first challenge, or a new nonce for a stale one: answer it once.
                answered_challenge = self.challenge is not None
                self.challenge = _strongest(reply.challenges)
                continue
            break
        if redirect and 300 <= reply.status < 400:
            return reply
        if not 200 <= reply.status < 300:
            raise RtspStatusError(method, url, reply.status, reply.phrase)
        return reply

    def send(self, method: str, url: str, headers: dict[str, str] | None = None) -> None:
        self.cseq += 1
        lines = [f"{method} {url} RTSP/1.0", f"CSeq: {self.cseq}", f"User-Agent: {USER_AGENT}"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        if self.session:
            lines.append(f"Session: {self.session}")
        if self.challenge is not None:
            lines.append(f"Authorization: {self._authorization(method, url)}")
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())

    def read_reply(self) -> Reply:
        """The next reply on the connection (interleaved frames before it are skipped)."""
        data = self.pending
        while True:
            data = _skip_frames(data)
            end = data.find(b"\r\n\r\n") if data[:1] != b"$" else -1
            if end >= 0:
                break
            if len(data) > MAX_HEADER_BYTES:
                raise RtspError("no RTSP reply in 64 KiB from the camera")
            data += self._recv()
        head, data = data[:end].decode("latin-1"), data[end + 4 :]
        status_line, *lines = head.split("\r\n")
        parts = status_line.split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("RTSP/") or not parts[1].isdigit():
            raise RtspError(f"not an RTSP reply: {status_line[:80]!r}")
        headers: dict[str, str] = {}
        challenges = []
        for line in lines:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            headers[name] = value.strip()
            if name == "www-authenticate":
                challenges.append(value.strip())
        try:
            length = int(headers.get("content-length", "0"))
        except ValueError as exc:
            raise RtspError("bad Content-Length in an RTSP reply") from exc
        if not 0 <= length <= MAX_BODY_BYTES:
            raise RtspError(f"RTSP reply body of {length} bytes")
        while len(data) < length:
            data += self._recv()
        self.pending = data[length:]
        phrase = parts[2] if len(parts) > 2 else ""
        return Reply(int(parts[1]), phrase, headers, data[:length], challenges)

    def _recv(self) -> bytes:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise RtspError("the camera closed the connection")
        return chunk

    def _authorization(self, method: str, url: str) -> str:
        assert self.challenge is not None
        scheme, p = self.challenge
        if scheme == "basic":
            token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
            return f"Basic {token}"
        algorithm = p.get("algorithm", "MD5")
        realm, nonce = p.get("realm", ""), p.get("nonce", "")
        ha1 = _digest(algorithm, f"{self.username}:{realm}:{self.password}")
        ha2 = _digest(algorithm, f"{method}:{url}")
        fields = f'username="{self.username}", realm="{realm}", nonce="{nonce}", uri="{url}"'
        if "auth" in [q.strip() for q in p.get("qop", "").split(",")]:
            cnonce, nc = os.urandom(8).hex(), f"{self.cseq:08x}"
            response = _digest(algorithm, f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}")
            fields += f', qop=auth, nc={nc}, cnonce="{cnonce}"'
        else:
            response = _digest(algorithm, f"{ha1}:{nonce}:{ha2}")
        if "algorithm" in p:
            fields += f", algorithm={algorithm}"
        if "opaque" in p:
            fields += f', opaque="{p["opaque"]}"'
        return f'Digest {fields}, response="{response}"'

    def close(self, teardown: bool = True) -> None:
        if teardown and self.session:
            with contextlib.suppress(OSError):
                self.sock.settimeout(1.0)  # a courtesy: the camera frees the session now
                self.send("TEARDOWN", self.url)
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()


def _strongest(headers: list[str]) -> tuple[str, dict[str, str]]:
    """The challenge to answer: Digest (SHA-256 first) over Basic; never another scheme."""
    offers = []
    for header in headers:
        scheme, _, rest = header.strip().partition(" ")
        params = {m[0].lower(): m[1] or m[2] for m in _PARAM.findall(rest)}
        offers.append((scheme.lower(), params))
    rank = {"basic": 1, "digest": 2}
    usable = [o for o in offers if o[0] in rank]
    if not usable:
        raise RtspError(f"unsupported authentication: {', '.join(o[0] for o in offers)}")
    return max(usable, key=lambda o: (rank[o[0]], "SHA-256" in o[1].get("algorithm", "")))


def _skip_frames(data: bytes) -> bytes:
    """Drop whole interleaved frames (`$`, channel, length) ahead of a reply."""
    while len(data) >= 4 and data[0] == 0x24:
        size = 4 + int.from_bytes(data[2:4], "big")
        if len(data) < size:
            break
        data = data[size:]
    return data
