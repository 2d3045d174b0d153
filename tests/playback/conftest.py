"""An app over real fMP4 segments of jlt-001, on both backends, and a real HTTP server.

The archive of jlt-001: three consecutive 4-second segments from T0, a gap, one more
at T0 + 20 s, and (when a test asks) the segment being written after it.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import uvicorn

from beffroi.clock import from_ms
from beffroi.web.app import create_app
from beffroi.web.context import AppContext
from tests.playback.segments import WrittenSegment, index_segment, write_segment

# The web tests' app fixtures, reused as they are (a seeded site, users, a recorder double).
from tests.web.conftest import agent, client, ctx, recorder  # noqa: F401

T0 = 1_793_516_400_000  # 2026-11-01T07:00:00Z, an hour before the test clock's now
CAMERA = "jlt-001"
SECONDS = 4.0


def iso(ms: float) -> str:
    return from_ms(int(ms)).isoformat().replace("+00:00", "Z")


@dataclass
class Archive:
    segments: list[WrittenSegment]
    ids: list[int]


@pytest.fixture
def archive(ctx: AppContext) -> Archive:  # noqa: F811 (the fixture, imported above)
    starts = [T0, T0 + 4_000, T0 + 8_000, T0 + 20_000]
    segs = [write_segment(ctx.archive_root, CAMERA, s, seconds=SECONDS) for s in starts]
    ids = [index_segment(ctx.engine, s, s.end_ms) for s in segs]
    return Archive(segs, ids)


@pytest.fixture
def http_base(ctx: AppContext) -> Iterator[str]:  # noqa: F811
    """The app served by uvicorn on a loopback port: what VLC or ffplay would talk to."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(ctx), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
