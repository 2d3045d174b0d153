"""A minimal RTSP client that plays a stream over TCP and just drains it (for benchmarks).

It avoids FFmpeg entirely so that hundreds of streams can be consumed by one process while
the server's own CPU usage is measured. Digest authentication is not supported.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

__all__ = ["DrainResult", "drain", "drain_many"]

_SESSION_RE = re.compile(r"^Session:\s*([^;\r\n]+)", re.IGNORECASE | re.MULTILINE)
_LENGTH_RE = re.compile(r"^Content-Length:\s*(\d+)", re.IGNORECASE | re.MULTILINE)


@dataclass
class DrainResult:
    url: str
    bytes_received: int = 0
    first_data_at: float = 0.0
    last_data_at: float = 0.0
    error: str = ""
    frames: int = 0  # RTP packets with the marker bit on channel 0 (only when parse=True)
    rtp_timestamps: list[int] = field(default_factory=list)  # one per frame (parse=True)
    sender_reports: int = 0

    @property
    def bitrate(self) -> float:
        span = self.last_data_at - self.first_data_at
        return self.bytes_received * 8 / span if span > 0 else 0.0


async def _request(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, text: str
) -> tuple[int, str]:
    writer.write(text.encode())
    head = (await reader.readuntil(b"\r\n\r\n")).decode()
    match = _LENGTH_RE.search(head)
    if match:
        await reader.readexactly(int(match.group(1)))
    status = int(head.split(" ", 2)[1])
    return status, head


class _FrameCounter:
    def __init__(self, result: DrainResult) -> None:
        self.result = result
        self.buffer = bytearray()

    def feed(self, data: bytes) -> None:
        buf = self.buffer
        buf += data
        pos = 0
        while len(buf) - pos >= 4 and buf[pos] == 0x24:
            length = int.from_bytes(buf[pos + 2 : pos + 4], "big")
            if len(buf) - pos < 4 + length:
                break
            channel = buf[pos + 1]
            if channel == 0 and length >= 12 and buf[pos + 5] & 0x80:
                self.result.frames += 1
                self.result.rtp_timestamps.append(int.from_bytes(buf[pos + 8 : pos + 12], "big"))
            elif channel == 1 and length >= 2 and buf[pos + 5] == 200:
                self.result.sender_reports += 1
            pos += 4 + length
        del buf[:pos]


async def drain(url: str, seconds: float, parse: bool = False) -> DrainResult:
    """Play ``url`` for ``seconds`` and count the bytes received after PLAY.

    With ``parse`` the interleaved stream is also split to count frames and sender reports.
    """
    result = DrainResult(url)
    parts = urlsplit(url)
    loop = asyncio.get_running_loop()
    writer: asyncio.StreamWriter | None = None
    try:
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port or 554)
        status, _ = await _request(reader, writer, f"DESCRIBE {url} RTSP/1.0\r\nCSeq: 1\r\n\r\n")
        if status != 200:
            raise RuntimeError(f"DESCRIBE {status}")
        status, head = await _request(
            reader,
            writer,
            f"SETUP {url}/trackID=0 RTSP/1.0\r\nCSeq: 2\r\n"
            "Transport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n\r\n",
        )
        session = _SESSION_RE.search(head)
        if status != 200 or session is None:
            raise RuntimeError(f"SETUP {status}")
        status, _ = await _request(
            reader,
            writer,
            f"PLAY {url} RTSP/1.0\r\nCSeq: 3\r\nSession: {session.group(1)}\r\n\r\n",
        )
        if status != 200:
            raise RuntimeError(f"PLAY {status}")
        counter = _FrameCounter(result) if parse else None
        deadline = loop.time() + seconds
        while (remaining := deadline - loop.time()) > 0:
            try:
                chunk = await asyncio.wait_for(reader.read(256 * 1024), remaining)
            except TimeoutError:
                break
            if not chunk:
                break
            now = loop.time()
            if not result.first_data_at:
                result.first_data_at = now
            result.last_data_at = now
            result.bytes_received += len(chunk)
            if counter is not None:
                counter.feed(chunk)
    except (OSError, RuntimeError, asyncio.IncompleteReadError) as exc:
        result.error = f"{type(exc).__name__}: {exc}"
    finally:
        if writer is not None:
            writer.close()
    return result


async def drain_many(urls: list[str], seconds: float, parse: bool = False) -> list[DrainResult]:
    return list(await asyncio.gather(*(drain(url, seconds, parse) for url in urls)))
