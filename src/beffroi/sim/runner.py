"""Running the simulator outside an existing event loop: in a thread or in several processes.

Multi-process sharding (``processes=K``) uses ``SO_REUSEPORT`` (Linux): every worker process
serves *all* cameras on the *same* port and the kernel spreads incoming connections across
the workers, so ``rtsp://HOST:PORT/camN`` stays valid whatever K is. Balancing is per TCP
connection (a hash of the client's address and port), hence statistical. Runtime
``set_fault`` is broadcast to every worker. Clips are encoded once by the parent before the
workers start, so workers only read the cache.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import multiprocessing.connection
import socket
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from beffroi.sim.bitstream import load_clip
from beffroi.sim.faults import Fault
from beffroi.sim.rtsp_server import SimulatedCameraServer
from beffroi.sim.specs import CameraSpec, Credentials

__all__ = ["ShardedServer", "ThreadedServer", "run_in_thread"]


class ThreadedServer:
    """A :class:`SimulatedCameraServer` running on its own event loop in a daemon thread."""

    def __init__(self, server: SimulatedCameraServer) -> None:
        self.server = server
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="beffroi-sim", daemon=True)
        self._started = threading.Event()
        self._error: BaseException | None = None

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self.server.start())
        except BaseException as exc:  # reported to the starting thread
            self._error = exc
            self._started.set()
            return
        self._started.set()
        self._loop.run_forever()
        self._loop.run_until_complete(self.server.stop())
        self._loop.close()

    def start(self, timeout: float = 300.0) -> SimulatedCameraServer:
        self._thread.start()
        if not self._started.wait(timeout):
            raise TimeoutError("simulated camera server did not start")
        if self._error is not None:
            raise self._error
        return self.server

    def stop(self) -> None:
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10.0)


@contextlib.contextmanager
def run_in_thread(
    cameras: Sequence[CameraSpec],
    host: str = "127.0.0.1",
    port: int = 0,
    **kwargs: Any,
) -> Iterator[SimulatedCameraServer]:
    """Serve ``cameras`` from a background thread; yields the started server.

    The yielded server's ``port``, ``url()``, ``urls`` and ``set_fault()`` are safe to use
    from the calling thread.
    """
    runner = ThreadedServer(SimulatedCameraServer(host, port, cameras, **kwargs))
    try:
        yield runner.start()
    finally:
        runner.stop()


def _worker_main(
    conn: multiprocessing.connection.Connection,
    host: str,
    port: int,
    cameras: list[CameraSpec],
    kwargs: dict[str, Any],
) -> None:
    async def main() -> None:
        server = SimulatedCameraServer(host, port, cameras, reuse_port=True, **kwargs)
        await server.start()
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()

        def on_message() -> None:
            try:
                message = conn.recv()
            except EOFError:
                stop.set()
                return
            if message[0] == "fault":
                server.set_fault(message[1], message[2])
            elif message[0] == "stats":
                conn.send(server.stats_dict())
            else:
                stop.set()

        loop.add_reader(conn.fileno(), on_message)
        conn.send(("ready", server.port))
        await stop.wait()
        loop.remove_reader(conn.fileno())
        await server.stop()

    asyncio.run(main())


class ShardedServer:
    """Serve the same cameras from ``processes`` worker processes sharing one port."""

    def __init__(
        self,
        cameras: Sequence[CameraSpec],
        host: str = "127.0.0.1",
        port: int = 8554,
        processes: int = 2,
        *,
        credentials: Credentials | None = None,
        cache_dir: Path | str | None = None,
        **kwargs: Any,
    ) -> None:
        if processes < 1:
            raise ValueError("processes must be >= 1")
        self.cameras = list(cameras)
        self.host = host
        self.port = port
        self.processes = processes
        self.kwargs = dict(kwargs, credentials=credentials, cache_dir=cache_dir)
        self._workers: list[tuple[Any, multiprocessing.connection.Connection]] = []
        self._reservation: socket.socket | None = None

    def start(self, timeout: float = 300.0) -> None:
        for spec in {camera.clip for camera in self.cameras}:
            load_clip(spec, self.kwargs["cache_dir"])  # encode once, before the workers
        if self.port == 0:
            # A bound but non-listening socket reserves a free port number without taking a
            # share of the incoming connections.
            self._reservation = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self._reservation.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            self._reservation.bind((self.host, 0))
            self.port = self._reservation.getsockname()[1]
        context = multiprocessing.get_context("spawn")
        for _ in range(self.processes):
            parent, child = context.Pipe()
            process = context.Process(
                target=_worker_main,
                args=(child, self.host, self.port, self.cameras, self.kwargs),
                daemon=True,
            )
            process.start()
            self._workers.append((process, parent))
        for _process, parent in self._workers:
            if not parent.poll(timeout):
                self.stop()
                raise TimeoutError("camera worker did not start")
            message = parent.recv()
            if message[0] != "ready":
                self.stop()
                raise RuntimeError(f"camera worker failed: {message!r}")
        if self._reservation is not None:
            self._reservation.close()
            self._reservation = None

    def stop(self) -> None:
        for _, parent in self._workers:
            with contextlib.suppress(OSError, BrokenPipeError):
                parent.send(("stop",))
        for process, parent in self._workers:
            process.join(10.0)
            if process.is_alive():
                process.terminate()
            parent.close()
        self._workers.clear()

    def __enter__(self) -> ShardedServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def pids(self) -> list[int]:
        return [process.pid for process, _ in self._workers]

    def url(self, name: str) -> str:
        host = "127.0.0.1" if self.host in ("", "0.0.0.0", "::") else self.host
        return f"rtsp://{host}:{self.port}/{name}"

    @property
    def urls(self) -> list[str]:
        return [self.url(camera.name) for camera in self.cameras]

    def set_fault(self, name: str, fault: Fault | None) -> None:
        for _, parent in self._workers:
            parent.send(("fault", name, fault))

    def stats(self) -> list[dict[str, float]]:
        result = []
        for _, parent in self._workers:
            parent.send(("stats",))
            result.append(parent.recv())
        return result
