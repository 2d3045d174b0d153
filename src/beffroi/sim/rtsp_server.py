"""Asyncio RTSP/1.0 server exposing simulated cameras at ``rtsp://HOST:PORT/<name>``.

Only RTP over the RTSP TCP connection (interleaved, RFC 2326 §10.12) is offered: SETUP with a
UDP transport is answered ``461 Unsupported Transport`` so clients fall back to TCP.
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path

from beffroi.sim.auth import DigestAuthenticator
from beffroi.sim.bitstream import Clip, load_clip
from beffroi.sim.clips import ClipSpec
from beffroi.sim.connection import RtspConnection
from beffroi.sim.faults import Fault
from beffroi.sim.rtp import DEFAULT_MTU, PacketizedClip
from beffroi.sim.sdp import build_sdp
from beffroi.sim.session import StreamStats
from beffroi.sim.specs import CameraSpec, Credentials

__all__ = ["CameraRuntime", "SimulatedCameraServer"]

log = logging.getLogger(__name__)


class CameraRuntime:
    """Live state of one camera: its packetized clip, SDP and current fault."""

    def __init__(self, spec: CameraSpec, clip: PacketizedClip, credentials: Credentials | None):
        self.spec = spec
        self.name = spec.name
        self.clip = clip
        self.credentials = spec.credentials or credentials
        self.fault: Fault | None = spec.fault
        self.fault_set_at = 0.0
        self.sdp_session_id = random.getrandbits(31)

    def sdp(self, host: str) -> str:
        return build_sdp(self.clip.clip, self.name, host, self.sdp_session_id)


class SimulatedCameraServer:
    """Serves ``cameras`` over RTSP from one asyncio event loop.

    ``credentials`` protects every camera with HTTP Digest (a camera's own ``credentials``
    take precedence). ``port=0`` binds a free port, readable from :attr:`port` after
    :meth:`start`. ``reuse_port`` sets ``SO_REUSEPORT`` so several processes can serve the same
    port (see :mod:`beffroi.sim.runner`).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 8554,
        cameras: Iterable[CameraSpec] = (),
        *,
        credentials: Credentials | None = None,
        cache_dir: Path | str | None = None,
        session_timeout: int = 60,
        sr_interval: float = 5.0,
        mtu: int = DEFAULT_MTU,
        reuse_port: bool = False,
        realm: str = "Beffroi",
    ) -> None:
        self.host = host
        self.port = port
        self.specs = list(cameras)
        names = [spec.name for spec in self.specs]
        if len(set(names)) != len(names):
            raise ValueError("camera names must be unique")
        self.credentials = credentials
        self.cache_dir = cache_dir
        self.session_timeout = session_timeout
        self.sr_interval = sr_interval
        self.mtu = mtu
        self.reuse_port = reuse_port
        self.auth = DigestAuthenticator(realm)
        self.stats = StreamStats()
        self.cameras: dict[str, CameraRuntime] = {}
        self.connections: set[RtspConnection] = set()
        self.loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.base_events.Server | None = None
        self._pending_faults: dict[str, Fault | None] = {}
        self._lock = threading.Lock()

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        clips = await self.loop.run_in_executor(None, self._load_clips)
        for spec in self.specs:
            self.cameras[spec.name] = CameraRuntime(spec, clips[spec.clip], self.credentials)
        with self._lock:
            pending, self._pending_faults = self._pending_faults, {}
        for name, fault in pending.items():
            self._apply_fault(name, fault)
        self._server = await self.loop.create_server(
            lambda: RtspConnection(self),
            self.host,
            self.port,
            reuse_port=self.reuse_port or None,
            backlog=1024,
        )
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("serving %d cameras on rtsp://%s:%d/", len(self.specs), self.host, self.port)

    def _load_clips(self) -> dict[ClipSpec, PacketizedClip]:
        loaded: dict[ClipSpec, PacketizedClip] = {}
        for spec in self.specs:
            clip_spec = spec.clip
            if clip_spec not in loaded:
                clip: Clip = load_clip(clip_spec, self.cache_dir)
                loaded[clip_spec] = PacketizedClip(clip, self.mtu)
        return loaded

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for connection in list(self.connections):
            connection.close()
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> SimulatedCameraServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def serve_forever(self) -> None:
        if self._server is None:
            await self.start()
        assert self._server is not None
        await self._server.serve_forever()

    # -- URLs -----------------------------------------------------------------------------

    @property
    def url_host(self) -> str:
        return "127.0.0.1" if self.host in ("", "0.0.0.0", "::") else self.host

    def url(self, name: str, credentials: Credentials | None = None) -> str:
        """The camera URL; ``credentials`` are embedded as ``user:pass@`` when given."""
        auth = f"{credentials.username}:{credentials.password}@" if credentials else ""
        return f"rtsp://{auth}{self.url_host}:{self.port}/{name}"

    @property
    def urls(self) -> list[str]:
        return [self.url(spec.name) for spec in self.specs]

    # -- faults ---------------------------------------------------------------------------

    def set_fault(self, name: str, fault: Fault | None) -> None:
        """Install (or clear with ``None``) a camera's fault. Safe from any thread."""
        if name not in {spec.name for spec in self.specs}:
            raise KeyError(name)
        loop = self.loop
        if loop is None or not self.cameras:
            with self._lock:
                self._pending_faults[name] = fault
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._apply_fault(name, fault)
        else:
            done = threading.Event()

            def apply() -> None:
                try:
                    self._apply_fault(name, fault)
                finally:
                    done.set()

            loop.call_soon_threadsafe(apply)
            done.wait(5.0)

    def _apply_fault(self, name: str, fault: Fault | None) -> None:
        camera = self.cameras[name]
        camera.fault = fault
        assert self.loop is not None
        camera.fault_set_at = self.loop.time()

    def get_fault(self, name: str) -> Fault | None:
        camera = self.cameras.get(name)
        return camera.fault if camera else None

    def stats_dict(self) -> dict[str, float]:
        data: dict[str, float] = dict(asdict(self.stats))
        data["connections"] = len(self.connections)
        return data
