"""One client TCP connection speaking RTSP, with at most one streaming session."""

from __future__ import annotations

import asyncio
import logging
import os
import re
from typing import TYPE_CHECKING

from beffroi.sim.protocol import ProtocolError, RtspParser, RtspRequest, format_response
from beffroi.sim.sdp import TRACK_CONTROL
from beffroi.sim.session import StreamSession

if TYPE_CHECKING:
    from beffroi.sim.rtsp_server import CameraRuntime, SimulatedCameraServer

log = logging.getLogger(__name__)

PUBLIC_METHODS = "OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, GET_PARAMETER, SET_PARAMETER, TEARDOWN"
_INTERLEAVED_RE = re.compile(r"interleaved=(\d+)(?:-(\d+))?")


class RtspConnection(asyncio.Protocol):
    def __init__(self, server: SimulatedCameraServer) -> None:
        self.server = server
        self.parser = RtspParser()
        self.transport: asyncio.Transport | None = None
        self.camera: CameraRuntime | None = None
        self.session: StreamSession | None = None
        self.session_id = ""
        self.last_activity = 0.0
        self._timeout_handle: asyncio.TimerHandle | None = None

    # -- asyncio.Protocol -----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.server.connections.add(self)
        self.last_activity = asyncio.get_running_loop().time()

    def data_received(self, data: bytes) -> None:
        assert self.transport is not None
        self.last_activity = asyncio.get_running_loop().time()
        try:
            requests = self.parser.feed(data)
        except ProtocolError as exc:
            log.debug("protocol error: %s", exc)
            self.transport.write(format_response(400, "0"))
            self.close()
            return
        for request in requests:
            if self.transport.is_closing():
                return
            try:
                self._handle(request)
            except Exception:
                log.exception("error handling %s %s", request.method, request.url)
                self._respond(request, 500)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.session is not None:
            self.session.close()
        if self._timeout_handle is not None:
            self._timeout_handle.cancel()
        self.server.connections.discard(self)

    def close(self) -> None:
        if self.session is not None:
            self.session.close()
        if self.transport is not None:
            self.transport.close()

    # -- helpers --------------------------------------------------------------------------

    def _respond(
        self,
        request: RtspRequest,
        status: int,
        headers: dict[str, str] | None = None,
        body: bytes = b"",
    ) -> None:
        assert self.transport is not None
        all_headers = dict(headers or {})
        if self.session_id and "Session" not in all_headers and status < 400:
            all_headers["Session"] = self.session_id
        self.transport.write(format_response(status, request.cseq, all_headers, body))

    def _check_session(self, request: RtspRequest) -> bool:
        given = request.header("session").split(";", 1)[0].strip()
        if self.session is None or given != self.session_id:
            self._respond(request, 454)
            return False
        return True

    def _arm_timeout(self) -> None:
        loop = asyncio.get_running_loop()
        if self._timeout_handle is not None:
            self._timeout_handle.cancel()
        period = max(self.server.session_timeout / 4, 0.5)
        self._timeout_handle = loop.call_later(period, self._check_timeout)

    def _check_timeout(self) -> None:
        self._timeout_handle = None
        loop = asyncio.get_running_loop()
        if loop.time() - self.last_activity > self.server.session_timeout:
            log.info("session %s timed out", self.session_id)
            self.close()
            return
        self._arm_timeout()

    # -- request dispatch -----------------------------------------------------------------

    def _handle(self, request: RtspRequest) -> None:
        method = request.method
        camera = self.server.cameras.get(request.camera_name)
        if camera is None and request.path in ("*", "") and self.camera is not None:
            camera = self.camera  # keep-alives are often sent to "*" or the base URL
        if method == "OPTIONS" and camera is None:
            self._respond(request, 200, {"Public": PUBLIC_METHODS})
            return
        if camera is None:
            self._respond(request, 404)
            return
        fault = camera.fault
        if fault is not None and fault.refuse == "close":
            self.close()
            return
        if fault is not None and fault.refuse == "503":
            self._respond(request, 503)
            return
        if method == "OPTIONS":
            self._respond(request, 200, {"Public": PUBLIC_METHODS})
            return
        credentials = camera.credentials
        if credentials is not None and not self.server.auth.verify(
            request.header("authorization"),
            method,
            credentials.username,
            credentials.password,
        ):
            self._respond(request, 401, {"WWW-Authenticate": self.server.auth.challenge()})
            return
        handler = {
            "DESCRIBE": self._describe,
            "SETUP": self._setup,
            "PLAY": self._play,
            "PAUSE": self._pause,
            "GET_PARAMETER": self._keepalive,
            "SET_PARAMETER": self._keepalive,
            "TEARDOWN": self._teardown,
        }.get(method)
        if handler is None:
            self._respond(request, 501, {"Public": PUBLIC_METHODS})
            return
        handler(request, camera)

    def _describe(self, request: RtspRequest, camera: CameraRuntime) -> None:
        sdp = camera.sdp(self.server.url_host).encode("utf-8")
        headers = {
            "Content-Type": "application/sdp",
            "Content-Base": f"{self.server.url(camera.name)}/",
        }
        self._respond(request, 200, headers, sdp)

    def _setup(self, request: RtspRequest, camera: CameraRuntime) -> None:
        assert self.transport is not None
        rest = request.path.split("/", 1)[1] if "/" in request.path else ""
        if rest.rstrip("/") not in ("", TRACK_CONTROL):
            self._respond(request, 404)
            return
        transport_header = request.header("transport")
        if "RTP/AVP/TCP" not in transport_header.upper():
            self._respond(request, 461)
            return
        if self.session is not None and self.camera is not camera:
            self._respond(request, 459)
            return
        match = _INTERLEAVED_RE.search(transport_header)
        rtp_channel = int(match.group(1)) if match else 0
        rtcp_channel = int(match.group(2)) if match and match.group(2) else rtp_channel + 1
        if self.session is None:
            loop = asyncio.get_running_loop()
            self.camera = camera
            self.session_id = os.urandom(8).hex()
            self.session = StreamSession(
                loop,
                self.transport,
                camera.clip,
                camera,
                self.server.stats,
                rtp_channel=rtp_channel,
                rtcp_channel=rtcp_channel,
                sr_interval=self.server.sr_interval,
                stamp=camera.spec.stamp_send_time,
            )
            self._arm_timeout()
        session = self.session
        transport = (
            f"RTP/AVP/TCP;unicast;interleaved={rtp_channel}-{rtcp_channel};ssrc={session.ssrc:08X}"
        )
        self._respond(
            request,
            200,
            {
                "Transport": transport,
                "Session": f"{self.session_id};timeout={self.server.session_timeout}",
            },
        )

    def _play(self, request: RtspRequest, camera: CameraRuntime) -> None:
        if not self._check_session(request):
            return
        assert self.session is not None
        seq, rtptime = self.session.play()
        track_url = f"{self.server.url(camera.name)}/{TRACK_CONTROL}"
        self._respond(
            request,
            200,
            {"Range": "npt=0.000-", "RTP-Info": f"url={track_url};seq={seq};rtptime={rtptime}"},
        )

    def _pause(self, request: RtspRequest, camera: CameraRuntime) -> None:
        if not self._check_session(request):
            return
        assert self.session is not None
        self.session.pause()
        self._respond(request, 200)

    def _keepalive(self, request: RtspRequest, camera: CameraRuntime) -> None:
        if request.header("session") and not self._check_session(request):
            return
        self._respond(request, 200)

    def _teardown(self, request: RtspRequest, camera: CameraRuntime) -> None:
        if not self._check_session(request):
            return
        assert self.session is not None
        self.session.close()
        self._respond(request, 200)
        self.session = None
        self.session_id = ""
        self.camera = None
