"""RTP over the RTSP connection: interleaved frames in, whole pictures out.

`StreamReader` reads the TCP stream in large blocks (one `recv_into` for whatever has
arrived, tens of RTP packets) and splits it into interleaved frames (RFC 2326 §10.12),
skipping the replies to keep-alives that arrive between them. `Depacketizer` turns the
RTP packets of one H.264 (RFC 6184: single NAL unit, STAP-A, FU-A) or H.265 (RFC 7798:
single, AP, FU; no DONL) stream into whole pictures in Annex B, cut on the marker bit
or, for a camera that forgets it, on a new timestamp. RTP timestamps are unwrapped to 64
bits; a picture with a lost packet is dropped, counted, never recorded half-grey; RTCP
sender reports give the camera's NTP time of an RTP timestamp.

Why not FFmpeg's reader: it reads each interleaved packet in two system calls with a
`poll` before each (70 system calls a picture) and costs three times this one
(`docs/design/ingest.md`, *A reader of our own*).
"""

from __future__ import annotations

import re
import socket
import struct
from dataclasses import dataclass

BLOCK = 256 * 1024
START = b"\x00\x00\x00\x01"
MAX_PICTURE_BYTES = 16 * 1024 * 1024  # a "picture" larger than this is a lost marker
_RTP = struct.Struct(">BBHI")
_SR = struct.Struct(">IIII")
_CONTENT_LENGTH = re.compile(rb"(?i)content-length:\s*(\d+)")
NTP_UNIX_OFFSET_S = 2_208_988_800  # 1900-01-01 to 1970-01-01

H264_IDR, H264_SEI, H264_SPS = 5, 6, 7
H264_STAP_A, H264_FU_A = 24, 28
HEVC_AP, HEVC_FU = 48, 49
HEVC_IRAP = range(16, 24)  # BLA, IDR, CRA and the reserved IRAP types
HEVC_SPS = 33


@dataclass(slots=True)
class Picture:
    rtp_ts: int  # presentation time, RTP clock ticks, unwrapped to 64 bits
    data: bytes  # Annex B, 4-byte start codes
    keyframe: bool
    parameter_sets: bool  # an SPS is in it


class Depacketizer:
    """RTP packets of one video stream in, `ready` pictures out."""

    def __init__(self, codec: str, payload_type: int) -> None:
        self.hevc = codec == "hevc"
        self.payload_type = payload_type
        self.ready: list[Picture] = []
        self.au = bytearray()
        self.key = self.sps = self.broken = self.in_fu = False
        self.seq = -1
        self.ts32 = -1
        self.ts64 = 0
        self.packets = self.pictures = self.lost = self.dropped = self.unsupported = 0
        self.report: tuple[int, int] | None = None  # last sender report: (NTP µs, RTP ts64)

    def rtp(self, buf: bytearray, mv: memoryview, p: int, end: int) -> None:
        """One RTP packet at `buf[p:end]` (at least its 12-byte header)."""
        b0, b1, seq, ts = _RTP.unpack_from(buf, p)
        if b0 >> 6 != 2 or b1 & 0x7F != self.payload_type:
            return  # not RTP version 2, or another payload type (comfort noise, FEC)
        self.packets += 1
        lost = 0 if self.seq < 0 else (seq - self.seq - 1) & 0xFFFF
        if lost >= 0x8000:  # a late or repeated packet (TCP does not reorder; be safe)
            return
        self.seq = seq
        if ts != self.ts32:
            if self.au:  # the previous picture's marker was lost
                self._emit()
            self.ts64 = self.unwrap(ts)
            self.ts32 = ts
        if lost:  # the lost packets may be this picture's first ones
            self.lost += lost
            self.broken = True
        s = p + 12 + 4 * (b0 & 0x0F)
        if b0 & 0x10 and s + 4 <= end:  # header extension
            s += 4 + 4 * ((buf[s + 2] << 8) | buf[s + 3])
        if b0 & 0x20:  # padding
            end -= buf[end - 1]
        if s < end:
            if self.hevc:
                self._hevc(buf, mv, s, end)
            else:
                self._h264(buf, mv, s, end)
        if b1 & 0x80 or len(self.au) > MAX_PICTURE_BYTES:
            self._emit()

    def unwrap(self, ts: int) -> int:
        """`ts` on the 64-bit timeline: the nearest to the last timestamp."""
        if self.ts32 < 0:
            return ts
        delta = (ts - self.ts32) & 0xFFFFFFFF
        return self.ts64 + (delta - (1 << 32) if delta >= 1 << 31 else delta)

    def _nal(self, kind: int) -> None:
        """A NAL unit of type `kind` starts: note what it says of the picture."""
        if self.hevc:
            self.key = self.key or kind in HEVC_IRAP
            self.sps = self.sps or kind == HEVC_SPS
        else:
            self.key = self.key or kind == H264_IDR
            self.sps = self.sps or kind == H264_SPS

    def _h264(self, buf: bytearray, mv: memoryview, s: int, end: int) -> None:
        au, kind = self.au, buf[s] & 0x1F
        if kind == H264_FU_A:
            if s + 2 > end:
                self.broken = True
                return
            fu = buf[s + 1]
            if fu & 0x80:
                au += START
                au.append((buf[s] & 0xE0) | (fu & 0x1F))
                self._nal(fu & 0x1F)
                self.in_fu = True
            elif not self.in_fu:
                self.broken = True  # the start of this NAL unit was lost
                return
            au += mv[s + 2 : end]
            if fu & 0x40:
                self.in_fu = False
        elif 0 < kind < 24:
            au += START
            au += mv[s:end]
            self._nal(kind)
            if kind == H264_SEI and s + 1 < end and buf[s + 1] == 6:
                self.key = True  # a recovery point: decoding may start here (FFmpeg agrees)
        elif kind == H264_STAP_A:
            self._aggregate(buf, mv, s + 1, end)
        else:  # STAP-B, MTAP, FU-B: only for interleaved mode, which cameras do not use
            self.unsupported += 1
            self.broken = True

    def _hevc(self, buf: bytearray, mv: memoryview, s: int, end: int) -> None:
        if s + 2 > end:
            self.broken = True
            return
        au, kind = self.au, (buf[s] >> 1) & 0x3F
        if kind == HEVC_FU:
            if s + 3 > end:
                self.broken = True
                return
            fu = buf[s + 2]
            if fu & 0x80:
                au += START
                au.append((buf[s] & 0x81) | ((fu & 0x3F) << 1))
                au.append(buf[s + 1])
                self._nal(fu & 0x3F)
                self.in_fu = True
            elif not self.in_fu:
                self.broken = True
                return
            au += mv[s + 3 : end]
            if fu & 0x40:
                self.in_fu = False
        elif kind == HEVC_AP:
            self._aggregate(buf, mv, s + 2, end)
        elif kind < 48:
            au += START
            au += mv[s:end]
            self._nal(kind)
        else:  # PACI (50) and reserved types
            self.unsupported += 1
            self.broken = True

    def _aggregate(self, buf: bytearray, mv: memoryview, s: int, end: int) -> None:
        """STAP-A / AP: NAL units, each after its 16-bit size."""
        while s + 2 < end:
            size = (buf[s] << 8) | buf[s + 1]
            s += 2
            if size == 0 or s + size > end:
                self.broken = True
                return
            self.au += START
            self.au += mv[s : s + size]
            kind = (buf[s] >> 1) & 0x3F if self.hevc else buf[s] & 0x1F
            self._nal(kind)
            s += size

    def _emit(self) -> None:
        if self.au and not self.broken and not self.in_fu:
            self.pictures += 1
            self.ready.append(Picture(self.ts64, bytes(self.au), self.key, self.sps))
        elif self.au:
            self.dropped += 1
        self.au.clear()
        self.key = self.sps = self.broken = self.in_fu = False

    def rtcp(self, buf: bytearray, p: int, end: int) -> None:
        """A compound RTCP packet: the sender report kept, the rest skipped."""
        while p + 4 <= end:
            words = (buf[p + 2] << 8) | buf[p + 3]
            if buf[p + 1] == 200 and p + 28 <= end:
                ntp_hi, ntp_lo, rtp_ts, _ = _SR.unpack_from(buf, p + 8)
                unix_us = (ntp_hi - NTP_UNIX_OFFSET_S) * 1_000_000 + (ntp_lo * 1_000_000 >> 32)
                if self.ts32 >= 0 and ntp_hi:
                    self.report = (unix_us, self.unwrap(rtp_ts))
            p += 4 * (words + 1)


class StreamReader:
    """The interleaved TCP stream after PLAY, read in large blocks."""

    def __init__(self, sock: socket.socket, depack: Depacketizer, channels: tuple[int, int]):
        self.sock = sock
        self.depack = depack
        self.rtp_channel, self.rtcp_channel = channels
        self.buf = bytearray(BLOCK)
        self.mv = memoryview(self.buf)
        self.start = self.end = 0
        self.reads = self.replies = self.resyncs = 0

    def feed(self, data: bytes) -> None:
        """Stream bytes that were read with the PLAY reply."""
        self.mv[self.end : self.end + len(data)] = data
        self.end += len(data)
        self._parse()

    def read(self) -> int:
        """One `recv_into` (blocking up to the socket's timeout) and the parse of what
        it completed; the bytes read, 0 at the end of the stream."""
        n = self.sock.recv_into(self.mv[self.end :])
        self.reads += 1
        if n:
            self.end += n
            self._parse()
        return n

    def _parse(self) -> None:
        buf, mv, depack = self.buf, self.mv, self.depack
        pos, end = self.start, self.end
        rtp_ch, rtcp_ch = self.rtp_channel, self.rtcp_channel
        while end - pos >= 4:
            if buf[pos] != 0x24:
                skipped = self._skip_reply(pos, end)
                if skipped is None:
                    break
                pos = skipped
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
        elif BLOCK - end < 70_000:  # room for a whole interleaved frame (≤ 65,539 B)
            mv[: end - pos] = mv[pos:end]
            pos, end = 0, end - pos
        self.start, self.end = pos, end

    def _skip_reply(self, pos: int, end: int) -> int | None:
        """An RTSP reply (to a keep-alive) between frames, or garbage: where the next
        frame starts, or None to wait for more bytes."""
        buf = self.buf
        n = min(5, end - pos)
        if buf[pos : pos + n] != b"RTSP/"[:n]:
            found = buf.find(b"$", pos + 1, end)  # garbage: resynchronize on a frame
            self.resyncs += 1
            return found if found >= 0 else end
        head = buf.find(b"\r\n\r\n", pos, end)
        if head < 0:
            if end - pos > 64 * 1024:
                self.resyncs += 1
                return end
            return None
        match = _CONTENT_LENGTH.search(buf, pos, head)
        total = head + 4 + (int(match.group(1)) if match else 0)
        if total > end:
            return None
        self.replies += 1
        return total
