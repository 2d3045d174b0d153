"""RTSP/1.0 message framing: requests and interleaved binary data on one TCP stream."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

__all__ = ["REASONS", "ProtocolError", "RtspParser", "RtspRequest", "format_response"]

MAX_HEADER_BYTES = 16 * 1024
MAX_BODY_BYTES = 64 * 1024

REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    454: "Session Not Found",
    455: "Method Not Valid in This State",
    459: "Aggregate Operation Not Allowed",
    461: "Unsupported Transport",
    500: "Internal Server Error",
    501: "Not Implemented",
    503: "Service Unavailable",
    505: "RTSP Version Not Supported",
}


class ProtocolError(Exception):
    """The peer sent something that is not RTSP; the connection should be closed."""


@dataclass
class RtspRequest:
    method: str
    url: str
    version: str
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name.lower(), default)

    @property
    def cseq(self) -> str:
        return self.header("cseq", "0")

    @property
    def path(self) -> str:
        """URL path without leading slash, e.g. ``cam0/trackID=0``; ``*`` stays ``*``."""
        if self.url == "*":
            return "*"
        return urlsplit(self.url).path.lstrip("/")

    @property
    def camera_name(self) -> str:
        return self.path.split("/", 1)[0]


class RtspParser:
    """Incremental parser; ``feed`` returns complete requests, skipping interleaved frames.

    Clients send RTCP receiver reports as ``$``-framed binary data on the same connection;
    those frames are counted and dropped here so they never corrupt request parsing.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self.interleaved_frames = 0

    def feed(self, data: bytes) -> list[RtspRequest]:
        buf = self._buffer
        buf += data
        requests: list[RtspRequest] = []
        while buf:
            if buf[0] == 0x24:
                if len(buf) < 4:
                    break
                length = int.from_bytes(buf[2:4], "big")
                if len(buf) < 4 + length:
                    break
                del buf[: 4 + length]
                self.interleaved_frames += 1
                continue
            if buf[0] in (0x0D, 0x0A):  # stray CRLF between messages is legal
                del buf[:1]
                continue
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                if len(buf) > MAX_HEADER_BYTES:
                    raise ProtocolError("request header too large")
                break
            request = _parse_head(bytes(buf[:end]))
            length = _content_length(request)
            total = end + 4 + length
            if len(buf) < total:
                break
            request.body = bytes(buf[end + 4 : total])
            del buf[:total]
            requests.append(request)
        return requests


def _parse_head(head: bytes) -> RtspRequest:
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError("request is not UTF-8") from None
    lines = text.split("\r\n")
    parts = lines[0].split()
    if len(parts) != 3 or not parts[2].startswith("RTSP/"):
        raise ProtocolError(f"bad request line {lines[0][:80]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep:
            raise ProtocolError(f"bad header line {line[:80]!r}")
        headers[name.strip().lower()] = value.strip()
    return RtspRequest(parts[0].upper(), parts[1], parts[2], headers)


def _content_length(request: RtspRequest) -> int:
    raw = request.header("content-length", "0")
    try:
        length = int(raw)
    except ValueError:
        raise ProtocolError(f"bad Content-Length {raw!r}") from None
    if not 0 <= length <= MAX_BODY_BYTES:
        raise ProtocolError("request body too large")
    return length


def format_response(
    status: int, cseq: str, headers: dict[str, str] | None = None, body: bytes = b""
) -> bytes:
    lines = [f"RTSP/1.0 {status} {REASONS.get(status, 'Unknown')}", f"CSeq: {cseq}"]
    lines.append("Server: Beffroi-sim/1.0")
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if body:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + body
