"""A blocking raw RTSP client for the simulator's tests, and readers of what it received."""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from beffroi.sim.rtp import NTP_EPOCH_OFFSET
from beffroi.sim.stamp import read_stamp

H264_FU_A = 28
H264_IDR = 5


class RawRtsp:
    """Blocking RTSP client keeping interleaved frames received between responses."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.buffer = b""
        self.frames: list[tuple[int, bytes, float]] = []  # (channel, packet, arrival)
        self.cseq = 0
        self.session = ""

    def close(self) -> None:
        self.sock.close()

    def _fill(self) -> bool:
        chunk = self.sock.recv(65536)
        self.buffer += chunk
        return bool(chunk)

    def _pop_frames(self) -> None:
        while len(self.buffer) >= 4 and self.buffer[0] == 0x24:
            length = int.from_bytes(self.buffer[2:4], "big")
            if len(self.buffer) < 4 + length:
                return
            packet = self.buffer[4 : 4 + length]
            self.frames.append((self.buffer[1], packet, time.monotonic()))
            self.buffer = self.buffer[4 + length :]

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def request(
        self, method: str, url: str, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        self.cseq += 1
        lines = [f"{method} {url} RTSP/1.0", f"CSeq: {self.cseq}"]
        if self.session:
            lines.append(f"Session: {self.session}")
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        while True:
            self._pop_frames()
            if self.buffer and self.buffer[0] != 0x24 and b"\r\n\r\n" in self.buffer:
                head, _, rest = self.buffer.partition(b"\r\n\r\n")
                status_line, *header_lines = head.decode().split("\r\n")
                parsed = {
                    k.strip().lower(): v.strip()
                    for k, _, v in (line.partition(":") for line in header_lines)
                }
                length = int(parsed.get("content-length", "0"))
                while len(rest) < length:
                    if not self._fill():
                        raise ConnectionError("closed")
                    _, _, rest = self.buffer.partition(b"\r\n\r\n")
                self.buffer = rest[length:]
                assert parsed["cseq"] == str(self.cseq)
                return int(status_line.split()[1]), parsed, rest[:length]
            if not self._fill():
                raise ConnectionError("closed by server")

    def read_media(self, seconds: float) -> None:
        self.read_until(lambda: False, seconds)

    def read_until(self, done: Callable[[], bool], timeout: float) -> bool:
        """Read media until ``done()`` holds (checked after each chunk) or ``timeout``."""
        deadline = time.monotonic() + timeout
        try:
            while not done() and (remaining := deadline - time.monotonic()) > 0:
                self.sock.settimeout(remaining)
                try:
                    if not self._fill():
                        break
                except TimeoutError:
                    break
                self._pop_frames()
            return done()
        finally:
            self.sock.settimeout(5)

    def play(self, url: str) -> dict[str, str]:
        status, _, _ = self.request("DESCRIBE", url)
        assert status == 200
        status, headers, _ = self.request(
            "SETUP", f"{url}/trackID=0", {"Transport": "RTP/AVP/TCP;unicast;interleaved=0-1"}
        )
        assert status == 200
        self.session = headers["session"].split(";")[0]
        status, headers, _ = self.request("PLAY", url, {"Range": "npt=0.000-"})
        assert status == 200
        return headers

    def rtp(self) -> list[tuple[int, int, int, bool, bytes]]:
        """(seq, timestamp, ssrc, marker, payload) of every RTP packet received."""
        result = []
        for channel, packet, _ in self.frames:
            if channel == 0:
                _, mpt, seq, ts, ssrc = struct.unpack(">BBHII", packet[:12])
                result.append((seq, ts, ssrc, bool(mpt & 0x80), packet[12:]))
        return result


@dataclass
class AccessUnit:
    """One H.264 frame as received: its RTP timestamp, NAL units and send-time stamp."""

    timestamp: int
    arrival: float
    nals: list[bytes] = field(default_factory=list)

    @property
    def keyframe(self) -> bool:
        return any(nal[0] & 0x1F == H264_IDR for nal in self.nals)

    @property
    def stamp(self) -> float | None:
        """The simulator's send time (Unix seconds), with ``stamp_send_time``."""
        found = [s for nal in self.nals if (s := read_stamp(nal)) is not None]
        return found[0] / 1e6 if found else None

    def annexb(self) -> bytes:
        return b"".join(b"\x00\x00\x00\x01" + nal for nal in self.nals)


@dataclass(frozen=True)
class SenderReport:
    ntp: float  # Unix seconds
    rtp: int
    frames_before: int  # access units completed before it arrived


def access_units(client: RawRtsp) -> list[AccessUnit]:
    """Reassemble the H.264 access units received (RFC 6184 single NAL and FU-A)."""
    units: list[AccessUnit] = []
    current: AccessUnit | None = None
    for channel, packet, arrival in client.frames:
        if channel != 0:
            continue
        marker = bool(packet[1] & 0x80)
        timestamp = int.from_bytes(packet[4:8], "big")
        payload = packet[12:]
        if current is None:
            current = AccessUnit(timestamp, arrival)
        if payload[0] & 0x1F != H264_FU_A:
            current.nals.append(payload)
        elif payload[1] & 0x80:  # first fragment: rebuild the NAL header
            current.nals.append(bytes([(payload[0] & 0xE0) | (payload[1] & 0x1F)]) + payload[2:])
        else:
            current.nals[-1] += payload[2:]
        if marker:
            units.append(current)
            current = None
    return units


def frame_count(client: RawRtsp) -> int:
    """Access units received so far (cheap enough to poll after every chunk)."""
    return sum(1 for channel, packet, _ in client.frames if channel == 0 and packet[1] & 0x80)


def sender_reports(client: RawRtsp) -> list[SenderReport]:
    reports: list[SenderReport] = []
    completed = 0
    for channel, packet, _ in client.frames:
        if channel == 0 and packet[1] & 0x80:
            completed += 1
        elif channel == 1 and packet[1] == 200:
            ntp_sec, ntp_frac, rtp = struct.unpack(">III", packet[8:20])
            ntp = ntp_sec - NTP_EPOCH_OFFSET + ntp_frac / 2**32
            reports.append(SenderReport(ntp, rtp, completed))
    return reports


def ticks(later: int, earlier: int) -> int:
    """Signed difference of two 32-bit RTP timestamps (wrap-aware)."""
    return ((later - earlier + 2**31) & 0xFFFFFFFF) - 2**31
