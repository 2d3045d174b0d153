"""The supervisor: shards cameras over worker processes, restarts them, gathers news.

It is the recorder's single point of contact with the rest of Beffroi: it keeps the
latest `CameraState` of every camera (the `RecorderView` the API reads) and hands each
finished segment to the index writer, in the order the workers produced them.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from beffroi.ingest.spec import CameraSpec, SinkFactory
from beffroi.ingest.state import CameraState, FinishedSegment, Reason, Status
from beffroi.ingest.worker import run_shard, worker_process_main
from beffroi.malloc import Trimmer

log = logging.getLogger(__name__)


def shard(specs: list[CameraSpec], per_worker: int) -> list[list[CameraSpec]]:
    """Spread cameras evenly over ceil(n / per_worker) shards."""
    if not specs:
        return []
    n = -(-len(specs) // max(1, per_worker))
    return [specs[i::n] for i in range(n)]


class _Shard:
    def __init__(self, index: int, specs: list[CameraSpec]) -> None:
        self.index = index
        self.specs = specs
        self.process: Any = None
        self.stop: Any = None
        self.commands: Any = None
        self.restarts = 0


class Supervisor:
    def __init__(
        self,
        specs: list[CameraSpec],
        sinks: SinkFactory,
        on_segment: Callable[[Any], None],
        cameras_per_worker: int = 30,
        use_processes: bool = True,
        disabled: dict[str, Reason] | None = None,
    ) -> None:
        self.sinks = sinks
        self.on_segment = on_segment
        self.use_processes = use_processes
        self._ctx = mp.get_context("spawn")
        self.events: Any = self._ctx.Queue() if use_processes else queue.Queue()
        self.per_worker = cameras_per_worker
        self.shards = [_Shard(i, s) for i, s in enumerate(shard(specs, cameras_per_worker))]
        # Cameras taken out of recording: their workers' last words must not bring
        # them back to life in the view.
        self._retired: dict[str, Reason] = {}
        self._states: dict[str, CameraState] = {
            s.camera_id: CameraState(s.camera_id) for s in specs
        }
        for camera_id, reason in (disabled or {}).items():
            self._states[camera_id] = CameraState(camera_id, Status.DISABLED, reason)
            self._retired[camera_id] = reason
        self._lock = threading.Lock()
        self._closing = threading.Event()  # no more restarts: we are stopping workers
        self._stopping = threading.Event()  # and then the event pump
        self._threads: list[threading.Thread] = []

    # -- RecorderView ----------------------------------------------------------------
    def camera_states(self) -> dict[str, CameraState]:
        with self._lock:
            return {k: replace(v) for k, v in self._states.items()}

    # -- lifecycle -------------------------------------------------------------------
    def start(self) -> None:
        for sh in self.shards:
            self._spawn(sh)
        for target, name in ((self._pump, "supervisor-events"), (self._watch, "supervisor-watch")):
            t = threading.Thread(target=target, name=name, daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self, timeout: float = 20.0) -> None:
        """Stop every worker; their last segments are indexed before this returns.

        The event pump keeps draining while workers stop: a worker cannot exit while
        its queue's pipe is full, so joining them without draining would deadlock
        until the kill, and the last segments' news would be lost."""
        self._closing.set()
        for sh in self.shards:
            sh.stop.set()
        deadline = time.monotonic() + timeout
        for sh in self.shards:
            sh.process.join(max(0.1, deadline - time.monotonic()))
            if self.use_processes and sh.process.is_alive():
                log.error("worker %d did not stop in time: killed", sh.index)
                sh.process.kill()
        self._stopping.set()
        for t in self._threads:
            t.join(5.0)
        self._drain(deadline=time.monotonic() + 1.0)

    def update(self, specs: list[CameraSpec], disabled: dict[str, Reason]) -> dict[str, list[str]]:
        """Bring recording in line with a re-applied site file, touching only the cameras
        that changed: the others keep their sessions (no gap in their footage)."""
        wanted = {s.camera_id: s for s in specs}
        current = {s.camera_id: (sh, s) for sh in self.shards for s in sh.specs}
        changes: dict[str, list[str]] = {"added": [], "changed": [], "removed": []}
        for camera_id, (sh, old) in current.items():
            new = wanted.get(camera_id)
            if new is None:
                sh.specs = [s for s in sh.specs if s.camera_id != camera_id]
                sh.commands.put(("remove", camera_id))
                changes["removed"].append(camera_id)
            elif new != old:
                sh.specs = [new if s.camera_id == camera_id else s for s in sh.specs]
                sh.commands.put(("add", new))
                changes["changed"].append(camera_id)
        for camera_id, spec in wanted.items():
            if camera_id in current:
                continue
            target = min(self.shards, key=lambda sh: len(sh.specs), default=None)
            if target is None or len(target.specs) >= self.per_worker:
                target = _Shard(len(self.shards), [spec])
                self.shards.append(target)
                self._spawn(target)
            else:
                target.specs.append(spec)
                target.commands.put(("add", spec))
            changes["added"].append(camera_id)
        with self._lock:
            for camera_id in changes["added"] + changes["changed"]:
                self._retired.pop(camera_id, None)
                self._states[camera_id] = CameraState(camera_id)
            for camera_id, reason in disabled.items():
                self._retired[camera_id] = reason
                self._states[camera_id] = CameraState(camera_id, Status.DISABLED, reason)
        return changes

    def _spawn(self, sh: _Shard) -> None:
        if self.use_processes:
            sh.stop = self._ctx.Event()
            sh.commands = self._ctx.Queue()
            sh.process = self._ctx.Process(
                target=worker_process_main,
                args=(
                    sh.specs,
                    self.sinks,
                    self.events,
                    sh.stop,
                    sh.commands,
                    logging.getLogger().level,
                ),
                name=f"beffroi-worker-{sh.index}",
                daemon=True,
            )
        else:
            sh.stop = threading.Event()
            sh.commands = queue.Queue()
            sh.process = threading.Thread(
                target=run_shard,
                args=(list(sh.specs), self.sinks, self.events, sh.stop, sh.commands),
                name=f"beffroi-shard-{sh.index}",
                daemon=True,
            )
        sh.process.start()

    def _watch(self) -> None:
        """Restart a worker that died (killed, crashed): its cameras salvage and go on."""
        trim = Trimmer()  # the whole process's heap: the API's and the recorder's
        while not self._closing.wait(1.0):
            trim()
            for sh in self.shards:
                if not sh.process.is_alive() and not self._closing.is_set():
                    sh.restarts += 1
                    log.error("worker %d died; restarting (restart #%d)", sh.index, sh.restarts)
                    with self._lock:
                        for spec in sh.specs:
                            st = self._states[spec.camera_id]
                            st.status, st.reason, st.live = Status.CONNECTING, None, None
                    self._spawn(sh)

    def _pump(self) -> None:
        while not self._stopping.is_set():
            self._drain(deadline=None)

    def _drain(self, deadline: float | None) -> None:
        while True:
            try:
                event = self.events.get(timeout=0.2)
            except queue.Empty:
                if deadline is None or time.monotonic() > deadline:
                    return
                continue
            except (EOFError, OSError):
                return
            self._handle(event)
            if deadline is None and self._stopping.is_set():
                return

    def _update(self, new: CameraState) -> None:
        if new.camera_id in self._retired:
            return
        old = self._states.get(new.camera_id)
        # `new.live` is the worker's: a state message carries the live segment's
        # progress (`ingest.camera._SinkEmit`).
        if new.status != Status.RECORDING:
            new.live = None
        if old is not None:
            new.segments_written, new.finished = old.segments_written, old.finished
        self._states[new.camera_id] = new

    def _handle(self, event: tuple[Any, ...]) -> None:
        kind = event[0]
        if kind == "segment":
            info = event[1]
            with self._lock:
                st = self._states.get(info.camera_id)
                if st is not None:
                    st.segments_written += 1
                    st.finished = FinishedSegment(
                        info.path, info.start_ms, info.end_ms, info.bytes, info.sha256
                    )
            self.on_segment(info)
        elif kind == "states":  # a worker's batch (`worker.QueueEmit`)
            with self._lock:
                for new in event[1]:
                    self._update(new)
        elif kind == "live":
            with self._lock:
                st = self._states.get(event[1])
                if st is not None:
                    st.live = event[2]
