"""One RTSP session of our own reader: OPTIONS, DESCRIBE, SETUP, PLAY, then pictures.

RTP over the RTSP connection only (`transport: tcp`, the default and what cameras behind
a town's network do best); a camera set to UDP is read by FFmpeg. The keep-alive is the
method the camera lists (GET_PARAMETER, else OPTIONS), sent every half of the session's
timeout. A DESCRIBE redirected (3xx with Location) is followed, three times at most.
"""

from __future__ import annotations

import contextlib
import re
import time
from urllib.parse import urlsplit

from beffroi.ingest.rtsp.client import Connection, Reply, RtspError, RtspStatusError
from beffroi.ingest.rtsp.rtp import Depacketizer, Picture, StreamReader
from beffroi.ingest.rtsp.sdp import SdpError, VideoMedia, video_media

MAX_REDIRECTS = 3
DEFAULT_SESSION_TIMEOUT_S = 60.0
_TIMEOUT = re.compile(r"timeout\s*=\s*(\d+)", re.IGNORECASE)
_INTERLEAVED = re.compile(r"interleaved\s*=\s*(\d+)(?:-(\d+))?", re.IGNORECASE)


class EndOfStream(RtspError):
    """The camera closed the connection."""


class StreamStalled(RtspError):
    """Connected, but nothing came for the stall timeout."""


class RtspSession:
    """A playing session: `media` says what the camera sends, `read()` gives pictures."""

    def __init__(
        self, url: str, username: str | None, password: str | None, timeout_s: float
    ) -> None:
        self.timeout_s = timeout_s
        self.conn, describe = self._describe(url, username, password)
        try:
            self.media = video_media(describe.body.decode("utf-8", "replace"))
            if self.media.codec == "hevc" and self.media.max_don_diff > 0:
                raise SdpError("H.265 with decoding order numbers (DONL)", "unsupported_codec")
            self.reader = self._play(describe)
        except BaseException:
            self.conn.close(teardown=False)
            raise
        self.depack: Depacketizer = self.reader.depack
        self._next_keepalive = time.monotonic() + self.keepalive_s

    def _describe(
        self, url: str, username: str | None, password: str | None
    ) -> tuple[Connection, Reply]:
        for _ in range(MAX_REDIRECTS + 1):
            conn = Connection(url, username, password, self.timeout_s)
            try:
                options = conn.request("OPTIONS", conn.url)
                public = options.headers.get("public", "").upper()
                self.keepalive = "GET_PARAMETER" if "GET_PARAMETER" in public else "OPTIONS"
                accept = {"Accept": "application/sdp"}
                reply = conn.request("DESCRIBE", conn.url, accept, redirect=True)
                if reply.status < 300:
                    return conn, reply
                location = reply.headers.get("location", "")
                if not location:
                    raise RtspStatusError("DESCRIBE", conn.url, reply.status, reply.phrase)
                conn.close(teardown=False)
                url = _keep_port(location, conn)
            except BaseException:
                conn.close(teardown=False)
                raise
        raise RtspError(f"more than {MAX_REDIRECTS} redirects")

    def _play(self, describe: Reply) -> StreamReader:
        conn, media = self.conn, self.media
        base = describe.headers.get("content-base") or describe.headers.get("content-location")
        base = base or conn.url
        transport = "RTP/AVP/TCP;unicast;interleaved=0-1"
        setup = conn.request("SETUP", _control_url(base, media), {"Transport": transport})
        session = setup.headers.get("session", "")
        conn.session = session.split(";", 1)[0].strip()
        if not conn.session:
            raise RtspError("SETUP answered without a session")
        found = _TIMEOUT.search(session)
        timeout = float(found[1]) if found else DEFAULT_SESSION_TIMEOUT_S
        self.keepalive_s = max(5.0, timeout / 2)
        if "/TCP" not in setup.headers.get("transport", "/TCP").upper():
            raise RtspStatusError("SETUP", conn.url, 461, "Unsupported transport")
        channels = _interleaved(setup.headers.get("transport", ""))
        play_url = base.rstrip("/") if base != conn.url else conn.url
        conn.request("PLAY", play_url, {"Range": "npt=0.000-"})
        reader = StreamReader(conn.sock, Depacketizer(media.codec, media.payload_type), channels)
        pending, conn.pending = conn.pending, b""
        if pending:
            reader.feed(pending)
        return reader

    def read(self) -> list[Picture]:
        """The pictures completed by one read of the connection (maybe none); blocks up
        to the stall timeout (socket.timeout), EndOfStream when the camera hangs up."""
        if not self.reader.read():
            raise EndOfStream("the camera closed the session")
        now = time.monotonic()
        if now >= self._next_keepalive:
            try:
                self.conn.send(self.keepalive, self.conn.url)
                self._next_keepalive = now + self.keepalive_s
            except BlockingIOError:  # the read loop's socket, its send buffer full
                self._next_keepalive = now + 1.0
        ready = self.depack.ready
        if not ready:
            return []
        self.depack.ready = []
        return ready

    def camera_time_us(self, picture: Picture) -> int | None:
        """The camera's clock (µs since 1970) when `picture` was sampled, from the last
        RTCP sender report; None before the first one."""
        report = self.depack.report
        if report is None:
            return None
        ntp_us, rtp_ts = report
        return ntp_us + (picture.rtp_ts - rtp_ts) * 1_000_000 // self.media.clock_rate

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.conn.close()


def _control_url(base: str, media: VideoMedia) -> str:
    """The media's control URL, as FFmpeg resolves it: absolute as is, `*` the base,
    otherwise appended to the base with one slash."""
    control = media.control
    if "://" in control:
        return control
    if control in ("", "*"):
        return base
    return base.rstrip("/") + "/" + control.lstrip("/")


def _interleaved(transport: str) -> tuple[int, int]:
    found = _INTERLEAVED.search(transport)
    if not found:
        return 0, 1
    rtp = int(found[1])
    return rtp, int(found[2]) if found[2] else rtp + 1


def _keep_port(location: str, conn: Connection) -> str:
    """A redirect's target; a relative one is taken on the same camera."""
    if "://" in location:
        return location
    parts = urlsplit(conn.url)
    return f"{parts.scheme}://{parts.netloc}/{location.lstrip('/')}"
