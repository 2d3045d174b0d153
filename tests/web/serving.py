"""The real app on a real loopback socket (uvicorn in a thread), for tests that need a
browser or raw HTTP rather than the in-process TestClient."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """The base URL of `app` served on a free loopback port; stopped on exit."""
    with running(lambda port: uvicorn.Config(app, port=port, log_level="warning")) as url:
        yield url


@contextmanager
def running(config_for: Callable[[int], uvicorn.Config]) -> Iterator[str]:
    """The base URL of uvicorn serving `config_for(port)` on a free loopback port (as
    `beffroi run` configures it, for instance); stopped on exit."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(config_for(port))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
