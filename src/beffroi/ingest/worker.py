"""A worker records a shard of cameras, one thread each, and reports to the supervisor.
The sessions of our own reader are read by one thread for the whole shard
(`read_loop.py`); each camera's thread connects and reconnects.

Shards exist because one Python process with 170 camera threads fell behind (measured,
DESIGN.md); a few dozen cameras per process keep each process well under a core.
"""

from __future__ import annotations

import logging
import os
import queue
import signal
import threading
from typing import Any, Protocol

from beffroi.ingest.camera import CameraRecorder
from beffroi.ingest.read_loop import ReadLoop
from beffroi.ingest.spec import CameraSpec, SinkFactory
from beffroi.ingest.state import CameraState, LiveSegment, Reason, Status
from beffroi.malloc import Trimmer, tune_allocator

log = logging.getLogger(__name__)

# How often a worker sends its cameras' states (and reads the supervisor's commands).
BATCH_PERIOD_S = 0.5


class _Put(Protocol):
    def put(self, item: Any) -> None: ...


class _Waitable(Protocol):
    def wait(self, timeout: float | None = ...) -> bool: ...

    def is_set(self) -> bool: ...


class QueueEmit:
    """Sends a shard's news to the supervisor as small picklable tuples.

    A camera's periodic state (once a second) waits for the shard's next batch: one
    message for all the worker's cameras, sent by the worker's loop every
    `BATCH_PERIOD_S`, instead of a message, a pickle and a wake-up of the queue's
    thread per camera (issue 14: at 500 cameras the supervisor read 500 messages a
    second). A change of status, a new or closed segment go at once, after the states
    waiting before them, so the supervisor sees every camera's news in order."""

    def __init__(self, events: _Put) -> None:
        self.events = events
        self._lock = threading.Lock()
        self._waiting: dict[str, CameraState] = {}
        self._told: dict[str, tuple[Status, Reason | None]] = {}

    def state(self, state: CameraState) -> None:
        status = (state.status, state.reason)
        with self._lock:
            self._waiting[state.camera_id] = state
            if self._told.get(state.camera_id) != status:
                self._told[state.camera_id] = status
                self._send_waiting()

    def segment(self, info: Any) -> None:
        with self._lock:
            self._send_waiting()
            self.events.put(("segment", info))

    def live(self, camera_id: str, live: LiveSegment | None) -> None:
        with self._lock:
            self._send_waiting()
            self.events.put(("live", camera_id, live))

    def flush(self) -> None:
        """Send the states waiting (the worker's loop, every `BATCH_PERIOD_S`)."""
        with self._lock:
            self._send_waiting()

    def _send_waiting(self) -> None:
        if self._waiting:
            states, self._waiting = list(self._waiting.values()), {}
            self.events.put(("states", states))


class _Get(Protocol):
    def get(self, timeout: float | None = ...) -> Any: ...


def run_shard(
    specs: list[CameraSpec],
    sinks: SinkFactory,
    events: _Put,
    stop: _Waitable,
    commands: _Get,
    watch_parent: bool = False,
) -> None:
    """Record `specs` until `stop`; `commands` adds ("add", spec) or retires
    ("remove", camera_id) cameras without touching the others of the shard."""
    emit = QueueEmit(events)
    running: dict[str, tuple[CameraRecorder, threading.Thread]] = {}
    read_loop = ReadLoop()  # our reader's sessions, all read by one thread

    def add(spec: CameraSpec) -> None:
        recorder = CameraRecorder(spec, sinks, emit, read_loop)
        thread = threading.Thread(target=recorder.run, name=f"cam-{spec.camera_id}", daemon=True)
        running[spec.camera_id] = (recorder, thread)
        thread.start()

    def remove(camera_id: str) -> threading.Thread | None:
        entry = running.pop(camera_id, None)
        if entry is None:
            return None
        entry[0].stop_event.set()
        return entry[1]

    for spec in specs:
        add(spec)
    parent = os.getppid()
    trim = Trimmer()
    while not stop.is_set() and not _terminated.is_set():
        trim()
        if watch_parent and os.getppid() != parent:
            log.error("supervisor died: stopping")  # orphans must not record alone
            break
        emit.flush()
        try:
            command = commands.get(timeout=BATCH_PERIOD_S)
        except (queue.Empty, EOFError, OSError):
            continue
        if command[0] == "add":
            old = remove(command[1].camera_id)  # a changed camera: new session, same shard
            if old is not None:
                old.join(timeout=15)
            add(command[1])
        elif command[0] == "remove":
            remove(command[1])
    stopping = [remove(camera_id) for camera_id in list(running)]
    for thread in stopping:
        # A session blocked in a read wakes within its stall timeout; a `.part` left by
        # one that does not is salvaged at the next start.
        if thread is not None:
            thread.join(timeout=15)
    emit.flush()


_terminated = threading.Event()


def worker_process_main(
    specs: list[CameraSpec],
    sinks: SinkFactory,
    events: _Put,
    stop: _Waitable,
    commands: _Get,
    log_level: int,
) -> None:
    # Ctrl-C reaches the whole process group: the supervisor decides when workers stop,
    # so segments are closed in order. SIGTERM (systemd stops the whole control group)
    # means the same graceful stop.
    tune_allocator()  # before the camera threads exist
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda *_: _terminated.set())
    logging.basicConfig(
        level=log_level, format="%(asctime)s %(processName)s %(name)s %(levelname)s %(message)s"
    )
    run_shard(specs, sinks, events, stop, commands, watch_parent=True)
