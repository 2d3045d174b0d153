"""A worker records a shard of cameras, one thread each, and reports to the supervisor.

Shards exist because one Python process with 170 camera threads fell behind (measured,
DESIGN.md); a few dozen cameras per process keep each process well under a core.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from typing import Any, Protocol

from beffroi.ingest.camera import CameraRecorder
from beffroi.ingest.spec import CameraSpec, SinkFactory
from beffroi.ingest.state import CameraState, LiveSegment

log = logging.getLogger(__name__)


class _Put(Protocol):
    def put(self, item: Any) -> None: ...


class _Waitable(Protocol):
    def wait(self, timeout: float | None = ...) -> bool: ...

    def is_set(self) -> bool: ...


class QueueEmit:
    """Sends a camera's news to the supervisor as small picklable tuples."""

    def __init__(self, events: _Put) -> None:
        self.events = events

    def state(self, state: CameraState) -> None:
        self.events.put(("state", state))

    def segment(self, info: Any) -> None:
        self.events.put(("segment", info))

    def live(self, camera_id: str, live: LiveSegment | None) -> None:
        self.events.put(("live", camera_id, live))


def run_shard(
    specs: list[CameraSpec],
    sinks: SinkFactory,
    events: _Put,
    stop: _Waitable,
    watch_parent: bool = False,
) -> None:
    emit = QueueEmit(events)
    recorders = [CameraRecorder(spec, sinks, emit) for spec in specs]
    threads = [
        threading.Thread(target=r.run, name=f"cam-{r.spec.camera_id}", daemon=True)
        for r in recorders
    ]
    for t in threads:
        t.start()
    parent = os.getppid()
    while not stop.wait(1.0) and not _terminated.is_set():
        if watch_parent and os.getppid() != parent:
            log.error("supervisor died: stopping")  # orphans must not record alone
            break
    for r in recorders:
        r.stop_event.set()
    for t in threads:
        # A session blocked in a read wakes within its stall timeout; a `.part` left by
        # one that does not is salvaged at the next start.
        t.join(timeout=15)


_terminated = threading.Event()


def worker_process_main(
    specs: list[CameraSpec], sinks: SinkFactory, events: _Put, stop: _Waitable, log_level: int
) -> None:
    # Ctrl-C reaches the whole process group: the supervisor decides when workers stop,
    # so segments are closed in order. SIGTERM (systemd stops the whole control group)
    # means the same graceful stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda *_: _terminated.set())
    logging.basicConfig(
        level=log_level, format="%(asctime)s %(processName)s %(name)s %(levelname)s %(message)s"
    )
    run_shard(specs, sinks, events, stop, watch_parent=True)
