"""A minimal RTSP/RTP client in pure Python, for measuring (issue 14); not production code.

RTSP over TCP (OPTIONS, DESCRIBE, SETUP of the video track with interleaved channels,
PLAY, Basic or Digest auth, GET_PARAMETER keep-alives), then the interleaved stream read
in large blocks (one ``recv_into`` for every RTP packet that has arrived), RTP and RTCP
headers parsed, and H.264 depacketized (RFC 6184: single NAL unit, STAP-A, FU-A) into
whole pictures in Annex B, cut on the marker bit or a change of timestamp. RTP
timestamps are unwrapped to 64 bits, sequence gaps counted (a picture with a gap is
dropped), sender reports kept for the NTP to RTP mapping.

    client = RtspClient("rtsp://127.0.0.1:8554/cam0")
    reader = client.play(on_picture)  # on_picture(ts64, annexb_bytes, keyframe)
    while reader.pump(): ...          # blocking socket: one recv, then parse

Measured against PyAV by ``bench/rtsp_native_bench.py``.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import re
import socket
import struct
import time
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

__all__ = ["Depacketizer", "RtspClient", "RtspError", "StreamReader"]

START = b"\x00\x00\x00\x01"
BLOCK = 256 * 1024
KEEPALIVE_S = 20.0
_RTP = struct.Struct(">BBHI")
_SR = struct.Struct(">IIII")
_PARAM = re.compile(r'(\w+)\s*=\s*(?:"([^"]*)"|([^\s,]+))')

OnPicture = Callable[[int, bytes, bool], None]


class RtspError(Exception):
    pass


class Depacketizer:
    """RTP packets of one H.264 stream in, whole Annex B pictures out (``on_picture``)."""

    def __init__(self, on_picture: OnPicture) -> None:
        self.on_picture = on_picture
        self.au = bytearray()
        self.key = False
        self.broken = False  # a packet of the current picture was lost
        self.in_fu = False
        self.seq = -1
        self.ts32 = -1
        self.ts64 = 0
        self.pictures = self.packets = self.gaps = self.dropped = self.unsupported = 0
        self.sender_reports: list[tuple[int, int]] = []  # (NTP 32.32, unwrapped RTP time)

    def rtp(self, buf: bytearray, mv: memoryview, p: int, end: int) -> None:
        """One RTP packet at ``buf[p:end]``."""
        b0, b1, seq, ts = _RTP.unpack_from(buf, p)
        self.packets += 1
        lost = 0 if self.seq < 0 else (seq - self.seq - 1) & 0xFFFF
        self.seq = seq
        if ts != self.ts32:
            if self.au:  # the marker of the previous picture was lost
                self.broken = self.broken or lost > 0
                self._emit()
            self.ts64 = self.unwrap(ts)
            self.ts32 = ts
        if lost:  # the lost packets may be this picture's first ones
            self.gaps += lost
            self.broken = True
        s = p + 12 + 4 * (b0 & 0x0F)
        if b0 & 0x10:  # header extension
            s += 4 + 4 * ((buf[s + 2] << 8) | buf[s + 3])
        if b0 & 0x20:  # padding
            end -= buf[end - 1]
        if s < end:
            self._payload(buf, mv, s, end)
        if b1 & 0x80:
            self._emit()

    def unwrap(self, ts: int) -> int:
        """``ts`` on the 64-bit timeline, taken as the nearest to the last timestamp."""
        if self.ts32 < 0:
            return ts
        delta = (ts - self.ts32) & 0xFFFFFFFF
        return self.ts64 + (delta - (1 << 32) if delta >= 1 << 31 else delta)

    def _payload(self, buf: bytearray, mv: memoryview, s: int, end: int) -> None:
        au = self.au
        kind = buf[s] & 0x1F
        if kind == 28:  # FU-A
            fu = buf[s + 1]
            if fu & 0x80:
                au += START
                au.append((buf[s] & 0xE0) | (fu & 0x1F))
                self.in_fu = True
                if fu & 0x1F == 5:
                    self.key = True
            elif not self.in_fu:
                self.broken = True
                return
            au += mv[s + 2 : end]
            if fu & 0x40:
                self.in_fu = False
        elif 0 < kind < 24:
            au += START
            au += mv[s:end]
            if kind == 5:
                self.key = True
        elif kind == 24:  # STAP-A
            s += 1
            while s + 2 < end:
                size = (buf[s] << 8) | buf[s + 1]
                s += 2
                if size == 0 or s + size > end:
                    self.broken = True
                    return
                au += START
                au += mv[s : s + size]
                if buf[s] & 0x1F == 5:
                    self.key = True
                s += size
        else:  # STAP-B, MTAP, FU-B: not sent by cameras in packetization-mode 1
            self.unsupported += 1
            self.broken = True

    def _emit(self) -> None:
        if self.au and not self.broken and not self.in_fu:
            self.pictures += 1
            self.on_picture(self.ts64, bytes(self.au), self.key)
        elif self.au:
            self.dropped += 1
        self.au.clear()
        self.key = self.broken = self.in_fu = False

    def rtcp(self, buf: bytearray, p: int, end: int) -> None:
        """A compound RTCP packet: sender reports kept, the rest skipped."""
        while p + 4 <= end:
            words = (buf[p + 2] << 8) | buf[p + 3]
            if buf[p + 1] == 200 and p + 20 <= end:
                ntp_hi, ntp_lo, rtp_ts, _ = _SR.unpack_from(buf, p + 8)
                self.sender_reports.append(((ntp_hi << 32) | ntp_lo, self.unwrap(rtp_ts)))
            p += 4 * (words + 1)


class StreamReader:
    """The interleaved TCP stream after PLAY: large reads, frames split, RTSP replies skipped."""

    def __init__(self, client: RtspClient, depack: Depacketizer, channels: tuple[int, int]):
        self.client = client
        self.sock = client.sock
        self.depack = depack
        self.rtp_channel, self.rtcp_channel = channels
        self.buf = bytearray(BLOCK)
        self.mv = memoryview(self.buf)
        self.start = self.end = 0
        self.recvs = 0
        self.bytes = 0
        self.next_keepalive = time.monotonic() + KEEPALIVE_S

    def fileno(self) -> int:
        return self.sock.fileno()

    def pump(self) -> bool:
        """One ``recv_into`` and the parse of what it completed; False at end of stream."""
        if self.end == BLOCK:  # compact the partial frame left at the end of the block
            rest = self.end - self.start
            self.mv[:rest] = self.mv[self.start : self.end]
            self.start, self.end = 0, rest
        try:
            n = self.sock.recv_into(self.mv[self.end :])
        except BlockingIOError:
            return True
        except OSError:
            return False
        if not n:
            return False
        self.recvs += 1
        self.bytes += n
        self.end += n
        self._parse()
        if (now := time.monotonic()) > self.next_keepalive:
            self.next_keepalive = now + KEEPALIVE_S
            self.client.keepalive()
        return True

    def _parse(self) -> None:
        buf, mv, depack = self.buf, self.mv, self.depack
        pos, end = self.start, self.end
        rtp_ch, rtcp_ch = self.rtp_channel, self.rtcp_channel
        while end - pos >= 4:
            if buf[pos] != 0x24:  # an RTSP reply (to a keep-alive) between frames
                head = buf.find(b"\r\n\r\n", pos, end)
                if head < 0:
                    break
                match = re.search(rb"(?i)content-length:\s*(\d+)", buf[pos:head])
                total = head + 4 + (int(match.group(1)) if match else 0)
                if total > end:
                    break
                pos = total
                continue
            p = pos + 4
            q = p + ((buf[pos + 2] << 8) | buf[pos + 3])
            if q > end:
                break
            ch = buf[pos + 1]
            if ch == rtp_ch and q - p >= 12:
                depack.rtp(buf, mv, p, q)
            elif ch == rtcp_ch:
                depack.rtcp(buf, p, q)
            pos = q
        if pos == end:
            pos = end = 0
        elif BLOCK - end < 2048:
            self.mv[: end - pos] = self.mv[pos:end]
            pos, end = 0, end - pos
        self.start, self.end = pos, end

    def close(self) -> None:
        self.client.close()


class RtspClient:
    """The RTSP control connection of one camera (blocking, used before the stream runs)."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        parts = urlsplit(url)
        self.user, self.password = parts.username or "", parts.password or ""
        netloc = f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)
        self.url = urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
        self.sock = socket.create_connection((parts.hostname, parts.port or 554), timeout)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        self.cseq = 0
        self.session = ""
        self.auth: tuple[str, dict[str, str]] | None = None
        self.pending = b""

    def request(self, method: str, url: str, headers: dict[str, str] | None = None):
        for _ in range(2):
            self.cseq += 1
            lines = [f"{method} {url} RTSP/1.0", f"CSeq: {self.cseq}", "User-Agent: rtsp-native"]
            lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
            if self.session:
                lines.append(f"Session: {self.session}")
            if self.auth is not None:
                lines.append(f"Authorization: {self._authorization(method, url)}")
            self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
            status, head, body = self._reply()
            challenge = head.get("www-authenticate", "")
            if status != 401 or self.auth is not None or not challenge or not self.user:
                break
            scheme, _, rest = challenge.partition(" ")
            params = {m[0].lower(): m[1] or m[2] for m in _PARAM.findall(rest)}
            self.auth = (scheme.lower(), params)
        if status != 200:
            raise RtspError(f"{method} {url}: {status}")
        return head, body

    def _authorization(self, method: str, url: str) -> str:
        assert self.auth is not None
        scheme, p = self.auth
        if scheme == "basic":
            return "Basic " + base64.b64encode(f"{self.user}:{self.password}".encode()).decode()

        def md5(text: str) -> str:
            return hashlib.md5(text.encode()).hexdigest()

        ha1 = md5(f"{self.user}:{p.get('realm', '')}:{self.password}")
        ha2 = md5(f"{method}:{url}")
        fields = f'username="{self.user}", realm="{p.get("realm", "")}", nonce="{p["nonce"]}"'
        if "auth" in p.get("qop", "").split(","):
            cnonce, nc = os.urandom(8).hex(), f"{self.cseq:08x}"
            response = md5(f"{ha1}:{p['nonce']}:{nc}:{cnonce}:auth:{ha2}")
            fields += f', qop=auth, nc={nc}, cnonce="{cnonce}"'
        else:
            response = md5(f"{ha1}:{p['nonce']}:{ha2}")
        return f'Digest {fields}, uri="{url}", response="{response}"'

    def _reply(self) -> tuple[int, dict[str, str], bytes]:
        data = self.pending
        while b"\r\n\r\n" not in data:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise RtspError("connection closed")
            data += chunk
        raw, _, data = data.partition(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        head = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            head[name.strip().lower()] = value.strip()
        length = int(head.get("content-length", "0"))
        while len(data) < length:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise RtspError("connection closed")
            data += chunk
        self.pending = data[length:]
        return int(lines[0].split()[1]), head, data[:length]

    def play(self, on_picture: OnPicture, blocking: bool = True) -> StreamReader:
        self.request("OPTIONS", self.url)
        head, body = self.request("DESCRIBE", self.url, {"Accept": "application/sdp"})
        base = head.get("content-base") or head.get("content-location") or self.url
        control = _video_control(body.decode("utf-8", "replace"))
        track = control if "://" in control else base.rstrip("/") + "/" + control
        head, _ = self.request("SETUP", track, {"Transport": "RTP/AVP/TCP;unicast;interleaved=0-1"})
        self.session = head["session"].split(";")[0].strip()
        found = re.search(r"interleaved=(\d+)-(\d+)", head.get("transport", ""))
        channels = (int(found[1]), int(found[2])) if found else (0, 1)
        self.request("PLAY", self.url, {"Range": "npt=0.000-"})
        reader = StreamReader(self, Depacketizer(on_picture), channels)
        if self.pending:  # stream bytes that came with the PLAY reply
            reader.buf[: len(self.pending)] = self.pending
            reader.end = len(self.pending)
            reader._parse()
        self.sock.settimeout(None)
        self.sock.setblocking(blocking)
        return reader

    def keepalive(self) -> None:
        self.cseq += 1
        text = f"GET_PARAMETER {self.url} RTSP/1.0\r\nCSeq: {self.cseq}\r\n"
        self.sock.send(f"{text}Session: {self.session}\r\n\r\n".encode())

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()


def _video_control(sdp: str) -> str:
    """The ``a=control`` of the first H.264 video media of an SDP."""
    media, control, h264 = "", "", False
    for line in sdp.splitlines():
        if line.startswith("m="):
            if media == "video" and h264:
                break
            media, control, h264 = line[2:].split(" ", 1)[0], "", False
        elif line.startswith("a=control:") and media:
            control = line[len("a=control:") :].strip()
        elif line.startswith("a=rtpmap:") and "H264/" in line.upper():
            h264 = True
    if media != "video" or not h264 or not control:
        raise RtspError("no H.264 video track in the SDP")
    return control
