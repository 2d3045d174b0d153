"""Fan-out: one source per watched camera, shared by all of that camera's viewers.

A camera's source starts with its first viewer and stops with its last. Every viewer
gets the same bytes (the fragments are rewritten once, by the source), through its own
bounded queue: a viewer that cannot keep up loses fragments up to the next keyframe,
and only it does; the source and the other viewers never wait for it.

The seam for privacy masks (CSI L251-3, a later issue): `SourceFactory` decides what a
camera's viewers get. Today every camera gets `tail_source`, the recorder's own bytes.
A camera with masks will get a source that decodes those fragments, blanks the masked
areas, and encodes new ones, yielding the same `Message`s (a new `StreamInit`, then
fragments); the hub, the queues and the WebSocket route stay as they are.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

from beffroi.ingest.state import RecorderView
from beffroi.live.tailer import CameraTailer, LiveFragment, Message, StreamInit

log = logging.getLogger(__name__)

SourceFactory = Callable[[str], AsyncIterator[Message]]

MAX_QUEUE_S = 4.0  # media a viewer may have waiting before it drops to a keyframe
GOP_CACHE_BYTES = 32 * 1024 * 1024  # what a new viewer is given to start on, at most
RESTART_S = 1.0  # a source that failed is restarted after this long


@dataclass
class LiveCounters:
    """Per camera, since the server started (for /metrics)."""

    viewers: int = 0  # now
    bytes_sent: int = 0
    dropped_fragments: int = 0
    views: int = 0  # viewers that ever joined


class Viewer:
    """One WebSocket's queue. `offer` never blocks: the source calls it for every viewer."""

    def __init__(self, counters: LiveCounters, max_queue_s: float) -> None:
        self.counters = counters
        self.max_queue_s = max_queue_s
        self.queue: deque[Message] = deque()
        self.queued_s = 0.0
        self.need_keyframe = True
        self.dropped = 0
        self._ready = asyncio.Event()

    def offer(self, message: Message, bounded: bool = True) -> None:
        if isinstance(message, StreamInit):
            self.queue.append(message)
            self.need_keyframe = True  # a new track starts on a keyframe
        else:
            if bounded and self.queued_s + message.duration_s > self.max_queue_s:
                self._overflow()
            if self.need_keyframe and not message.keyframe:
                self._drop(1)
                return
            self.need_keyframe = False
            self.queue.append(message)
            self.queued_s += message.duration_s
        self._ready.set()

    def _overflow(self) -> None:
        """Too far behind: throw away the queued media (keeping any new init part) and
        resume at the next keyframe."""
        kept = [m for m in self.queue if isinstance(m, StreamInit)]
        self._drop(len(self.queue) - len(kept))
        self.queue = deque(kept[-1:])
        self.queued_s = 0.0
        self.need_keyframe = True

    def _drop(self, n: int) -> None:
        self.dropped += n
        self.counters.dropped_fragments += n

    async def next(self) -> Message:
        while not self.queue:
            self._ready.clear()
            await self._ready.wait()
        message = self.queue.popleft()
        if isinstance(message, LiveFragment):
            self.queued_s = max(0.0, self.queued_s - message.duration_s)
        return message

    def sent(self, n: int) -> None:
        self.counters.bytes_sent += n


class _Channel:
    def __init__(self) -> None:
        self.viewers: set[Viewer] = set()
        self.init: StreamInit | None = None
        self.gop: list[LiveFragment] = []  # since the newest keyframe: a joiner's start
        self.gop_bytes = 0
        self.task: asyncio.Task[None] | None = None

    def publish(self, message: Message) -> None:
        if isinstance(message, StreamInit):
            self.init, self.gop, self.gop_bytes = message, [], 0
        elif message.keyframe:
            self.gop, self.gop_bytes = [message], len(message.data)
        elif self.gop:
            self.gop.append(message)
            self.gop_bytes += len(message.data)
            if self.gop_bytes > GOP_CACHE_BYTES:
                self.gop, self.gop_bytes = [], 0
        for viewer in self.viewers:
            viewer.offer(message)


def tail_source(archive_root: Path, recorder: RecorderView) -> SourceFactory:
    """Every camera's viewers get the recorder's own fragments (no re-encoding)."""

    def source(camera_id: str) -> AsyncIterator[Message]:
        return CameraTailer(camera_id, archive_root, recorder).messages()

    return source


class LiveHub:
    """Lives in the API process; its tasks run on the server's event loop."""

    def __init__(self, source: SourceFactory, max_queue_s: float = MAX_QUEUE_S) -> None:
        self.source = source
        self.max_queue_s = max_queue_s
        self._channels: dict[str, _Channel] = {}
        self._counters: dict[str, LiveCounters] = {}

    @classmethod
    def tailing(cls, archive_root: Path, recorder: RecorderView, **kw: float) -> LiveHub:
        return cls(tail_source(archive_root, recorder), **kw)

    def counters(self) -> dict[str, LiveCounters]:
        return dict(self._counters)

    @contextlib.asynccontextmanager
    async def watch(self, camera_id: str) -> AsyncIterator[Viewer]:
        counters = self._counters.setdefault(camera_id, LiveCounters())
        channel = self._channels.get(camera_id)
        if channel is None:
            channel = self._channels[camera_id] = _Channel()
            channel.task = asyncio.create_task(self._pump(camera_id, channel))
        viewer = Viewer(counters, self.max_queue_s)
        if channel.init is not None:
            viewer.offer(channel.init)
            for fragment in channel.gop:
                viewer.offer(fragment, bounded=False)
        channel.viewers.add(viewer)
        counters.viewers += 1
        counters.views += 1
        try:
            yield viewer
        finally:
            channel.viewers.discard(viewer)
            counters.viewers -= 1
            if not channel.viewers and self._channels.get(camera_id) is channel:
                del self._channels[camera_id]
                if channel.task is not None:
                    channel.task.cancel()  # its tailer closes its file as it ends

    async def _pump(self, camera_id: str, channel: _Channel) -> None:
        while True:
            try:
                async for message in self.source(camera_id):
                    channel.publish(message)
            except asyncio.CancelledError:
                raise
            except Exception:  # a bad file must not end live view for good
                log.exception("live source of %s failed; restarting", camera_id)
            await asyncio.sleep(RESTART_S)

    async def close(self) -> None:
        for channel in list(self._channels.values()):
            if channel.task is not None:
                channel.task.cancel()
        self._channels.clear()
